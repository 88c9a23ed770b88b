/*
 * dmarcctl advise: per policy domain, the verdict of analyze/verdict.c
 * with its evidence, the senders that block the next step, the verdict
 * of each gate (p, sp, np), warnings about reporters, and the DNS record
 * to publish.  Text is for a person, and short: the blockers with the
 * most messages (--all: every one); JSON is one object per domain, one
 * per line, with every blocker.  No csv: the advice is not a table.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "cli/live.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/xalloc.h"

/* start: what comes before the domains, or NULL; domain: print one
 * domain's advice, adv[] holding each gate's */
struct advise_renderer {
	void (*start)(const struct query *q, const struct analysis *a);
	int (*domain)(const struct query *q, const struct analysis_domain *d,
	    const struct verdict_advice *adv, struct err *err);
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* the blockers text shows of each gate without --all */
enum { TEXT_BLOCKERS = 5 };

static int64_t
overruled_of(const struct analysis_reporter *r)
{
	return r->overruled;
}

static int64_t
unproved_of(const struct analysis_reporter *r)
{
	return r->unproved;
}

/* the mail each gate judges, for people */
static const char *const gate_mail[] = {
	[POP_ORGANIZATIONAL] = "mail From the domain",
	[POP_SUBDOMAIN] = "mail From its subdomains",
	[POP_NONEXISTENT] = "mail From subdomains that do not exist",
};

/* the sender a blocker of gate g names */
static const struct sender *
blocker_sender(const struct analysis_domain *d, enum population g,
    const struct verdict_blocker *bl)
{
	return bl->index < d->gates[g].n ? d->gates[g].senders[bl->index] :
	    NULL;
}

/* the address of a sender with the most messages */
static const char *
main_address(const struct analysis_domain *d, const struct sender *snd)
{
	return snd != NULL && snd->n_members > 0 ?
	    d->stats[snd->members[0]].ip : NULL;
}

static void
evidence_json(struct jsonw *w, const struct analysis_domain *d,
    const struct verdict_evidence *e)
{
	jsonw_raw(w, "{");
	jsonw_kv_int(w, "days", e->days, false, true);
	jsonw_kv_int(w, "reporters", e->reporters, false, false);
	jsonw_kv_int(w, "messages", e->messages, false, false);
	jsonw_kv_int(w, "legitimate_messages", e->legitimate_messages, false,
	    false);
	jsonw_kv_rate(w, "legitimate_pass_rate", e->legitimate_pass_rate);
	jsonw_kv_rate(w, "dkim_aligned_rate", e->dkim_aligned_rate);
	jsonw_kv_int(w, "disagree", d->disagree, false, false);
	jsonw_raw(w, "}");
}

static void
blockers_json(struct jsonw *w, const struct analysis_domain *d,
    enum population g, const struct verdict_advice *adv)
{
	jsonw_raw(w, "[");
	for (size_t i = 0; i < adv->n_blockers; i++) {
		const struct verdict_blocker *bl = &adv->blockers[i];
		const struct sender *snd = blocker_sender(d, g, bl);
		const char *main = main_address(d, snd);
		struct failure_evidence ev;

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "sender", bl->source, true);
		jsonw_kv_str(w, "name", *bl->name ? bl->name : NULL, false);
		jsonw_kv_str(w, "source", main != NULL ? main : bl->source,
		    false);
		jsonw_key(w, "addresses", false);
		jsonw_raw(w, "[");
		for (size_t m = 0; snd != NULL && m < snd->n_members; m++) {
			if (m > 0)
				jsonw_raw(w, ",");
			jsonw_str(w, d->stats[snd->members[m]].ip);
		}
		jsonw_raw(w, "]");
		jsonw_kv_int(w, "messages", bl->messages, false, false);
		jsonw_kv_int(w, "failing", bl->failing, false, false);
		jsonw_kv_str(w, "class", verdict_class_name(bl->class), false);
		jsonw_kv_str(w, "rule", snd != NULL ? snd->rule : NULL, false);
		jsonw_kv_str(w, "problem", bl->problem, false);
		jsonw_kv_str(w, "fix", bl->fix, false);
		analysis_sender_failures(d, snd, &ev);
		jsonw_key(w, "failure_reports", false);
		query_failures_json(w, &ev);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

/* what each population's policy allows */
static void
gates_json(struct jsonw *w, const struct analysis_domain *d,
    const struct verdict_advice *adv)
{
	jsonw_raw(w, "[");
	for (int g = 0; g < POP_COUNT; g++) {
		jsonw_raw(w, g > 0 ? ",{" : "{");
		jsonw_kv_str(w, "gate", verdict_gate_name(g), true);
		jsonw_kv_str(w, "population", verdict_population_name(g),
		    false);
		jsonw_kv_str(w, "policy", adv[g].policy, false);
		jsonw_key(w, "inherited", false);
		jsonw_raw(w, adv[g].is_inherited ? "true" : "false");
		jsonw_kv_str(w, "verdict", verdict_name(adv[g].verdict),
		    false);
		jsonw_kv_int(w, "legitimate_messages",
		    adv[g].evidence.legitimate_messages, false, false);
		jsonw_kv_rate(w, "legitimate_pass_rate",
		    adv[g].evidence.legitimate_pass_rate);
		jsonw_key(w, "blockers", false);
		blockers_json(w, d, g, &adv[g]);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

/* A reporter's verdicts against its own results, each way: what it
 * said, how many messages, and what that means. */
static const struct reporter_warning {
	const char *said;
	int64_t (*count)(const struct analysis_reporter *r);
	const char *text;
} reporter_warnings[] = {
	{ "fail", overruled_of, "that its own auth_results show passing "
	  "aligned DKIM or SPF: dmarcctl counts them as passing; the "
	  "reporter's verdicts are wrong, not your mail" },
	{ "pass", unproved_of, "whose own auth_results show no aligned DKIM "
	  "or SPF pass: dmarcctl counts them as passing as the reporter "
	  "says, but other receivers may not: check what sends them" },
};

/* the sentence of one warning */
static void
warning_text(const struct reporter_warning *rw,
    const struct analysis_reporter *r, char *out, size_t size)
{
	snprintf(out, size, "%s said %s for %lld messages %s", r->org_name,
	    rw->said, (long long)rw->count(r), rw->text);
}

static void
warnings_json(struct jsonw *w, const struct analysis_domain *d)
{
	size_t n = 0;

	jsonw_raw(w, "[");
	for (size_t i = 0; i < d->n_reporters_overruled; i++)
		for (size_t k = 0; k < NELEM(reporter_warnings); k++) {
			const struct reporter_warning *rw =
			    &reporter_warnings[k];
			const struct analysis_reporter *r =
			    &d->reporters_overruled[i];
			char text[512];

			if (rw->count(r) <= 0)
				continue;
			warning_text(rw, r, text, sizeof(text));
			jsonw_raw(w, n++ > 0 ? ",{" : "{");
			jsonw_kv_str(w, "kind", "reporter-disagrees", true);
			jsonw_kv_str(w, "reporter", r->org_name, false);
			jsonw_kv_str(w, "said", rw->said, false);
			jsonw_kv_int(w, "messages", rw->count(r), false, false);
			jsonw_kv_str(w, "text", text, false);
			jsonw_raw(w, "}");
		}
	for (size_t i = 0; d->dns_findings != NULL &&
	    i < d->dns_findings->n; i++) {
		const struct finding *f = &d->dns_findings->v[i];

		if (!live_is_warning(f))
			continue;
		jsonw_raw(w, n++ > 0 ? ",{" : "{");
		jsonw_kv_str(w, "kind", "dns", true);
		jsonw_kv_str(w, "severity", severity_name(f->sev), false);
		jsonw_kv_str(w, "code", f->code, false);
		jsonw_kv_str(w, "text", f->message, false);
		jsonw_kv_str(w, "fix", f->fix, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

static int
render_json(const struct query *q, const struct analysis_domain *d,
    const struct verdict_advice *adv, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, 64u << 20);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	query_print_window(&q->w, TABLE_JSON, &w);
	jsonw_kv_str(&w, "domain", d->domain, false);
	jsonw_key(&w, "policy", false);
	query_policy_json(&w, &d->policy);
	jsonw_kv_str(&w, "verdict", verdict_name(adv->verdict), false);
	jsonw_kv_str(&w, "next_record", adv->next_record, false);
	jsonw_key(&w, "evidence", false);
	evidence_json(&w, d, &adv->evidence);
	jsonw_key(&w, "blockers", false);
	blockers_json(&w, d, POP_ORGANIZATIONAL, adv);
	jsonw_key(&w, "gates", false);
	gates_json(&w, d, adv);
	jsonw_key(&w, "warnings", false);
	warnings_json(&w, d);
	jsonw_raw(&w, "}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

/* the blockers of a gate, most messages first */
static int
cmp_blocker_messages(const void *pa, const void *pb)
{
	const struct verdict_blocker *a = *(const struct verdict_blocker *
	    const *)pa, *b = *(const struct verdict_blocker *const *)pb;

	if (a->messages != b->messages)
		return a->messages > b->messages ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* the blockers in the analyzer's order (where they lie in its array) */
static int
cmp_pointer(const void *pa, const void *pb)
{
	const struct verdict_blocker *a = *(const struct verdict_blocker *
	    const *)pa, *b = *(const struct verdict_blocker *const *)pb;

	return a < b ? -1 : a > b;
}

/* Text shows the blockers with the most messages, at most TEXT_BLOCKERS
 * unless --all, in the analyzer's order; *more: how many it leaves out. */
static size_t
shown_blockers(const struct query *q, const struct verdict_advice *adv,
    const struct verdict_blocker ***out, size_t *more)
{
	const struct verdict_blocker **v = xcalloc(adv->n_blockers + 1,
	    sizeof(*v));
	size_t n = adv->n_blockers;

	for (size_t i = 0; i < n; i++)
		v[i] = &adv->blockers[i];
	*more = 0;
	if (!q->want_all && n > TEXT_BLOCKERS) {
		qsort(v, n, sizeof(*v), cmp_blocker_messages);
		*more = n - TEXT_BLOCKERS;
		n = TEXT_BLOCKERS;
		/* back to the analyzer's order, which the full list has */
		qsort(v, n, sizeof(*v), cmp_pointer);
	}
	*out = v;
	return n;
}

static int
blockers_text(const struct query *q, const struct analysis_domain *d,
    enum population g, const struct verdict_advice *adv, struct err *err)
{
	static const char *const names[] = { "sender", "name", "addresses",
		"messages", "problem", "fix" };
	static const char *const numbers[] = { "addresses", "messages", NULL };
	const struct verdict_blocker **shown;
	size_t more, n = shown_blockers(q, adv, &shown, &more);
	struct table *t;
	int ret = 0;

	printf("  blockers (%s gate):\n", verdict_gate_name(g));
	table_new(&t, numbers);
	for (size_t i = 0; i < n && ret == 0; i++) {
		const struct verdict_blocker *bl = shown[i];
		const struct sender *snd = blocker_sender(d, g, bl);
		char m[32], a[32];
		const char *row[6] = { bl->source, bl->name, a, m,
			bl->problem, bl->fix };

		snprintf(m, sizeof(m), "%lld", (long long)bl->messages);
		snprintf(a, sizeof(a), "%zu", snd != NULL ? snd->n_members :
		    (size_t)1);
		ret = table_add_row(t, 6, names, row, err);
	}
	if (ret == 0)
		ret = table_print(t, TABLE_TEXT, "blockers", stdout, err);
	table_free(t);
	if (ret == 0 && more > 0)
		printf("    ... and %zu more blocker%s (dmarcctl advise "
		    "--all)\n", more, more == 1 ? "" : "s");
	/* why they fail, as the failure reports say */
	for (size_t i = 0; i < n && ret == 0; i++) {
		const struct verdict_blocker *bl = shown[i];
		struct failure_evidence ev;
		char text[512];

		analysis_sender_failures(d, blocker_sender(d, g, bl), &ev);
		failure_evidence_text(&ev, text, sizeof(text));
		if (*text != '\0')
			esc_linef(stdout, "    %s: %s", bl->source, text);
	}
	free(shown);
	return ret;
}

static void
start_text(const struct query *q, const struct analysis *a)
{
	(void)a;
	query_print_window(&q->w, TABLE_TEXT, NULL);
}

static int
render_text(const struct query *q, const struct analysis_domain *d,
    const struct verdict_advice *adv, struct err *err)
{
	const struct verdict_evidence *e = &adv->evidence;
	char pol[64], p1[16], p2[16];

	esc_linef(stdout, "%s: %s (now %s)", d->domain,
	    verdict_name(adv->verdict), query_policy_text(&d->policy, pol,
	    sizeof(pol)));
	esc_linef(stdout, "  evidence:    %d days, %d reporters, %lld "
	    "messages; legitimate %lld: %s pass, %s with aligned DKIM", e->days,
	    e->reporters, (long long)e->messages,
	    (long long)e->legitimate_messages,
	    query_pct_text((int64_t)(e->legitimate_pass_rate * 1e6), 1000000,
	    p1, sizeof(p1)), query_pct_text((int64_t)(e->dkim_aligned_rate *
	    1e6), 1000000, p2, sizeof(p2)));
	esc_linef(stdout, "  next record: %s", adv->next_record);
	for (int g = POP_SUBDOMAIN; g < POP_COUNT; g++)
		esc_linef(stdout, "  %s gate:     %s (now %s=%s%s; %s, %lld "
		    "legitimate messages)", verdict_gate_name(g),
		    verdict_name(adv[g].verdict), verdict_gate_name(g),
		    adv[g].policy, adv[g].is_inherited ? ", inherited" : "",
		    gate_mail[g],
		    (long long)adv[g].evidence.legitimate_messages);
	for (int g = 0; g < POP_COUNT; g++)
		if (adv[g].n_blockers > 0 &&
		    blockers_text(q, d, g, &adv[g], err) == -1)
			return -1;
	for (size_t i = 0; i < d->n_reporters_overruled; i++)
		for (size_t k = 0; k < NELEM(reporter_warnings); k++) {
			const struct analysis_reporter *r =
			    &d->reporters_overruled[i];
			char text[512];

			if (reporter_warnings[k].count(r) <= 0)
				continue;
			warning_text(&reporter_warnings[k], r, text,
			    sizeof(text));
			esc_linef(stdout, "  warning: %s", text);
		}
	for (size_t i = 0; d->dns_findings != NULL &&
	    i < d->dns_findings->n; i++)
		if (live_is_warning(&d->dns_findings->v[i]))
			esc_linef(stdout, "  warning: %s (dns %s)",
			    d->dns_findings->v[i].message,
			    d->dns_findings->v[i].code);
	if (d->disagree > 0)
		printf("  - %lld messages were judged by their reporter "
		    "differently from the alignment recomputed from their "
		    "DKIM and SPF results (see dmarcctl sources)\n",
		    (long long)d->disagree);
	for (size_t i = 0; i < adv->n_lines; i++)
		esc_linef(stdout, "  - %s", adv->lines[i]);
	fputc('\n', stdout);
	return 0;
}

static const struct advise_renderer renderers[] = {
	[TABLE_TEXT] = { start_text, render_text },
	[TABLE_JSON] = { NULL, render_json },
	[TABLE_CSV] = { NULL, NULL },
};

static int
render_domain(const struct query *q, const struct analysis_domain *d,
    struct err *err)
{
	const struct advise_renderer *r = &renderers[q->format];
	struct verdict_advice adv[POP_COUNT];
	int ret;

	analysis_advise(d, &q->cfg->thresholds, adv);
	ret = r->domain(q, d, adv, err);
	for (int g = 0; g < POP_COUNT; g++)
		verdict_advice_free(&adv[g]);
	return ret;
}

/* No reports in the window: said on stderr; --domain D still answers
 * for D, with nothing counted (insufficient data), so that monitoring
 * gets its verdict. */
static int
render(const struct query *q, const struct analysis *a, struct err *err)
{
	const struct advise_renderer *r = &renderers[q->format];
	struct analysis_domain none = { .policy = { .pct = -1 } };
	int ret = 0;

	if (a->n_domains == 0)
		query_say_empty(q, "DMARC reports");
	if (r->start != NULL)
		r->start(q, a);
	for (size_t i = 0; i < a->n_domains && ret == 0; i++)
		ret = render_domain(q, &a->domains[i], err);
	if (a->n_domains == 0 && q->domain != NULL) {
		none.domain = xstrdup(q->domain);
		ret = render_domain(q, &none, err);
		free(none.domain);
	}
	return ret;
}

/* what DNS holds now for one domain, and what of it blocks */
struct advise_live {
	struct dns_posture p;
	struct live_problems problems;
};

/*
 * The live DMARC, SPF and DKIM records of each domain, attached to it:
 * next_record keeps the user's tags, and problems in DNS block or warn.
 * DNS that does not answer is said once, and the reports alone answer.
 */
static struct advise_live *
read_live(const struct query *q, struct analysis *a)
{
	struct advise_live *live = xcalloc(a->n_domains + 1, sizeof(*live));
	struct live_opts lo = { DNS_PART_DMARC | DNS_PART_SPF |
		DNS_PART_DKIM, false };
	struct live_quota quota;

	live_quota_init(&quota, q->cfg);
	for (size_t i = 0; i < a->n_domains && live_quota_take(&quota); i++) {
		struct analysis_domain *d = &a->domains[i];
		struct advise_live *l = &live[i];
		struct err err;

		if (live_check(q->cfg, q->store, &q->w, d, d->domain, &lo,
		    &l->p, &err) == -1) {
			log_warn("%s: the records in DNS are not read: %s",
			    d->domain, err.msg);
			continue;
		}
		live_quota_done(&quota, &l->p);
		if (!l->p.is_reached)
			break;
		/* no DMARC record where the reports show one: a resolver
		 * that does not see the zone as receivers do, or a record
		 * withdrawn; either way the reports are the evidence */
		if (!l->p.has_dmarc) {
			log_warn("%s: DNS shows no usable DMARC record (dmarcctl "
			    "dns tells why): the advice is drawn from the "
			    "reports alone", d->domain);
			continue;
		}
		live_problems_of(&l->p, &l->problems);
		d->live = &l->p.dmarc;
		d->dns_problems = l->problems.v;
		d->n_dns_problems = l->problems.n;
		d->dns_findings = &l->p.findings;
	}
	return live;
}

int
cmd_advise(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "advise", .default_days = ADVISE_DAYS,
	    .has_csv = renderers[TABLE_CSV].domain != NULL, .has_all = true };
	struct analysis a;
	struct advise_live *live = NULL;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, true, &a, &err) == -1)
		return query_failed(&q, &err);
	if (q.want_dns)
		live = read_live(&q, &a);
	if (render(&q, &a, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	for (size_t i = 0; live != NULL && i < a.n_domains; i++)
		dns_posture_free(&live[i].p);
	free(live);
	analysis_release(&a);
	return query_finish(&q, r);
}
