/*
 * dmarcctl dns: what each policy domain really publishes (DMARC, SPF,
 * DKIM, MTA-STS, TLS-RPT, MX), read live through [analysis] dns_server,
 * judged, and tied to the reports: the selectors they show, the failing
 * senders' addresses against SPF, the policy receivers saw.  With --probe
 * each MX is connected to as a sender would.  Text is for a person; JSON
 * is one object per domain, one per line.  Exit 0 when no finding is an
 * error, 1 when one is, 69 when DNS cannot be reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cmd.h"
#include "cli/live.h"
#include "cli/query.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"

/* The published policy against the one the reports show receivers
 * applied: a changed record, or receivers with an old copy. */
static void
compare_reported(const struct analysis_domain *d, struct dns_posture *p)
{
	static const struct { const char *tag; size_t off; } tags[] = {
		{ "p", offsetof(struct dmarc_policy, p) },
		{ "sp", offsetof(struct dmarc_policy, sp) },
		{ "adkim", offsetof(struct dmarc_policy, adkim) },
		{ "aspf", offsetof(struct dmarc_policy, aspf) },
	};

	if (d == NULL || !d->has_policy || !p->has_dmarc)
		return;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		const char *seen = *(const char *const *)(const void *)
		    ((const char *)&d->policy + tags[i].off);
		const char *live = dmarc_txt_get(&p->dmarc, tags[i].tag);

		if (seen == NULL || live == NULL ||
		    strcasecmp(seen, live) == 0)
			continue;
		findings_add(&p->findings, SEV_INFO, "dmarc-reports-differ",
		    NULL, "the latest reports show %s=%s, DNS now says %s=%s: "
		    "the record changed since, or some receivers still use "
		    "an old copy", tags[i].tag, seen, tags[i].tag, live);
	}
}

static void
findings_json(struct jsonw *w, const struct findings *f)
{
	jsonw_key(w, "findings", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < f->n; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "severity", severity_name(f->v[i].sev), true);
		jsonw_kv_str(w, "code", f->v[i].code, false);
		jsonw_kv_str(w, "message", f->v[i].message, false);
		jsonw_kv_str(w, "fix", f->v[i].fix, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

static void
dmarc_json(struct jsonw *w, const struct dns_posture *p)
{
	/* the tags, and whether their values are words (given in lower
	 * case, as receivers read them: P=Reject is p=reject) */
	static const struct {
		const char *tag;
		bool is_word;
	} tags[] = {
		{ "p", true }, { "sp", true }, { "np", true }, { "t", true },
		{ "pct", false }, { "adkim", true }, { "aspf", true },
		{ "rua", false }, { "ruf", false }, { "fo", false },
		{ "psd", true },
	};

	jsonw_key(w, "dmarc", false);
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "name", p->dmarc_at, true);
	jsonw_kv_str(w, "record", p->dmarc_text, false);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		const char *v = p->has_dmarc ?
		    dmarc_txt_get(&p->dmarc, tags[i].tag) : NULL;
		char *word = v != NULL && tags[i].is_word ?
		    str_lower(xstrdup(v)) : NULL;

		jsonw_kv_str(w, tags[i].tag, word != NULL ? word : v, false);
		free(word);
	}
	jsonw_raw(w, "}");
}

static void
spf_json(struct jsonw *w, const struct dns_posture *p)
{
	const struct spf_tree *t = &p->spf;

	jsonw_key(w, "spf", false);
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "record", t->n > 0 ? t->nodes[0].record : NULL, true);
	jsonw_kv_int(w, "lookups", t->lookups, false, false);
	jsonw_kv_int(w, "void_lookups", t->void_lookups, false, false);
	jsonw_kv_str(w, "all", t->all[0] != '\0' ? t->all : NULL, false);
	jsonw_key(w, "tree", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < t->n; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "domain", t->nodes[i].domain, true);
		jsonw_kv_str(w, "via", t->nodes[i].via, false);
		jsonw_kv_int(w, "depth", t->nodes[i].depth, false, false);
		jsonw_kv_int(w, "lookups", t->nodes[i].lookups, false, false);
		jsonw_kv_str(w, "record", t->nodes[i].record, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
	jsonw_key(w, "senders", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < p->n_senders; i++) {
		const struct dns_sender_check *s = &p->senders[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "ip", s->ip, true);
		jsonw_kv_str(w, "sender", s->name, false);
		jsonw_kv_int(w, "messages", s->messages, false, false);
		jsonw_kv_str(w, "result", spf_result_name(s->result), false);
		jsonw_kv_str(w, "why", s->why[0] != '\0' ? s->why : NULL,
		    false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]}");
}

static const char *const weight_names[] = {
	[SELECTOR_GUESS] = "usual", [SELECTOR_SEEN] = "reports",
	[SELECTOR_USED] = "signing",
};

static void
dkim_json(struct jsonw *w, const struct dns_posture *p)
{
	jsonw_key(w, "dkim", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < p->n_dkim; i++) {
		const struct dns_dkim *k = &p->dkim[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "selector", k->selector, true);
		jsonw_kv_str(w, "domain", k->domain, false);
		jsonw_kv_str(w, "source", weight_names[k->weight], false);
		jsonw_kv_str(w, "dns", dns_rcode_name(k->rc), false);
		jsonw_kv_str(w, "key_type", k->has_key ? k->key.key_type :
		    NULL, false);
		jsonw_kv_int(w, "bits", k->has_key ? k->key.bits : 0, false,
		    false);
		jsonw_kv_str(w, "revoked", k->has_key && k->key.is_revoked ?
		    "true" : "false", false);
		jsonw_kv_str(w, "testing", k->has_key && k->key.is_testing ?
		    "true" : "false", false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

static void
sts_json(struct jsonw *w, const struct dns_posture *p)
{
	jsonw_key(w, "mta_sts", false);
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "record", p->sts_text, true);
	jsonw_kv_str(w, "id", p->has_sts && p->sts.id[0] != '\0' ?
	    p->sts.id : NULL, false);
	jsonw_kv_str(w, "fetch", p->sts_text == NULL ? NULL :
	    https_status_name(p->policy_status), false);
	jsonw_kv_str(w, "mode", p->has_policy ?
	    sts_mode_name(p->policy.mode) : NULL, false);
	jsonw_kv_int(w, "max_age", p->has_policy ? p->policy.max_age : -1,
	    false, false);
	jsonw_key(w, "mx", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; p->has_policy && i < p->policy.n_mx; i++) {
		if (i > 0)
			jsonw_raw(w, ",");
		jsonw_str(w, p->policy.mx[i]);
	}
	jsonw_raw(w, "]}");
	jsonw_key(w, "tlsrpt", false);
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "record", p->tlsrpt_text, true);
	jsonw_key(w, "rua", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; p->has_tlsrpt && i < p->tlsrpt.n_rua; i++) {
		if (i > 0)
			jsonw_raw(w, ",");
		jsonw_str(w, p->tlsrpt.rua[i]);
	}
	jsonw_raw(w, "]}");
}

static void
probe_json(struct jsonw *w, const struct dns_mx *m)
{
	const struct probe_result *r = &m->probe;

	jsonw_key(w, "probe", false);
	if (!m->has_probe) {
		jsonw_raw(w, "null");
		return;
	}
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "status", probe_status_name(r->st), true);
	jsonw_kv_str(w, "detail", r->detail[0] != '\0' ? r->detail : NULL,
	    false);
	if (r->st == PROBE_OK) {
		jsonw_kv_str(w, "trusted", r->is_trusted ? "true" : "false",
		    false);
		jsonw_kv_str(w, "name_ok", r->is_name_ok ? "true" : "false",
		    false);
		jsonw_kv_str(w, "expired", r->is_expired ? "true" : "false",
		    false);
		jsonw_kv_int(w, "days_left", r->days_left, false, false);
		jsonw_kv_str(w, "issuer", r->issuer, false);
	}
	jsonw_raw(w, "}");
}

static void
mx_json(struct jsonw *w, const struct dns_posture *p)
{
	jsonw_key(w, "mx", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < p->n_mx; i++) {
		const struct dns_mx *m = &p->mx[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "host", m->host, true);
		jsonw_kv_int(w, "preference", m->pref, false, false);
		jsonw_key(w, "addresses", false);
		jsonw_raw(w, "[");
		for (size_t k = 0; k < m->n_addrs; k++) {
			if (k > 0)
				jsonw_raw(w, ",");
			jsonw_str(w, m->addrs[k]);
		}
		jsonw_raw(w, "]");
		jsonw_kv_str(w, "sts_covered", !p->has_policy ? NULL :
		    m->is_covered ? "true" : "false", false);
		probe_json(w, m);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

static size_t
count_sev(const struct findings *f, enum severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].sev == sev;
	return n;
}

static int
render_json(const struct dns_posture *p, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, 16u << 20);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	jsonw_kv_str(&w, "domain", p->domain, true);
	jsonw_kv_int(&w, "errors", (int64_t)count_sev(&p->findings,
	    SEV_ERROR), false, false);
	jsonw_kv_int(&w, "warnings", (int64_t)count_sev(&p->findings,
	    SEV_WARNING), false, false);
	dmarc_json(&w, p);
	spf_json(&w, p);
	dkim_json(&w, p);
	sts_json(&w, p);
	mx_json(&w, p);
	findings_json(&w, &p->findings);
	jsonw_raw(&w, "}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

static void
spf_text(const struct dns_posture *p)
{
	const struct spf_tree *t = &p->spf;

	if (t->n == 0 || t->nodes[0].record == NULL) {
		printf("  SPF      none\n");
		return;
	}
	esc_linef(stdout, "  SPF      %s", t->nodes[0].record);
	printf("           %d of 10 DNS lookups, %d void\n", t->lookups,
	    t->void_lookups);
	for (size_t i = 1; i < t->n; i++)
		esc_linef(stdout, "           %*s%s:%s (%d)",
		    2 * t->nodes[i].depth - 2, "", t->nodes[i].via,
		    t->nodes[i].domain, t->nodes[i].lookups);
	for (size_t i = 0; i < p->n_senders; i++)
		esc_linef(stdout, "           sender %s: %s%s%s",
		    p->senders[i].ip, spf_result_name(p->senders[i].result),
		    p->senders[i].why[0] != '\0' ? ", " : "",
		    p->senders[i].why);
}

static void
dkim_text(const struct dns_posture *p)
{
	for (size_t i = 0; i < p->n_dkim; i++) {
		const struct dns_dkim *k = &p->dkim[i];

		if (!k->has_key && k->weight == SELECTOR_GUESS)
			continue;
		if (!k->has_key)
			esc_linef(stdout, "  DKIM     %s._domainkey.%s: no key "
			    "(%s)", k->selector, k->domain,
			    dns_rcode_name(k->rc));
		else if (k->key.is_revoked)
			esc_linef(stdout, "  DKIM     %s._domainkey.%s: "
			    "revoked", k->selector, k->domain);
		else
			esc_linef(stdout, "  DKIM     %s._domainkey.%s: %s, "
			    "%d bits%s", k->selector, k->domain,
			    k->key.key_type, k->key.bits, k->key.is_testing ?
			    ", testing" : "");
	}
}

static void
sts_text(const struct dns_posture *p)
{
	if (p->sts_text == NULL)
		printf("  MTA-STS  none\n");
	else if (!p->has_policy)
		esc_linef(stdout, "  MTA-STS  id=%s, policy: %s %s",
		    p->sts.id[0] != '\0' ? p->sts.id : "?",
		    https_status_name(p->policy_status), p->policy_detail);
	else {
		char mx[512] = "";

		for (size_t i = 0; i < p->policy.n_mx; i++) {
			size_t n = strlen(mx);

			snprintf(mx + n, sizeof(mx) - n, "%s%s", i ? ", " : "",
			    p->policy.mx[i]);
		}
		esc_linef(stdout, "  MTA-STS  id=%s, mode %s, max_age %ld, "
		    "mx: %s", p->sts.id[0] != '\0' ? p->sts.id : "?",
		    sts_mode_name(p->policy.mode), p->policy.max_age, mx);
	}
	esc_linef(stdout, "  TLS-RPT  %s", p->tlsrpt_text != NULL ?
	    p->tlsrpt_text : "none");
}

static void
mx_text(const struct dns_posture *p)
{
	if (p->n_mx == 0)
		printf("  MX       %s\n", p->is_null_mx ? "null (no mail)" :
		    "none");
	for (size_t i = 0; i < p->n_mx; i++) {
		const struct dns_mx *m = &p->mx[i];
		const struct probe_result *r = &m->probe;
		char probe[300] = "";

		if (m->has_probe && r->st == PROBE_OK)
			snprintf(probe, sizeof(probe), "; STARTTLS, "
			    "certificate %s%s, %s %d days",
			    r->is_trusted ? "trusted" : "untrusted",
			    r->is_name_ok ? "" : ", wrong name",
			    r->days_left < 0 ? "expired" : "valid",
			    r->days_left < 0 ? -r->days_left : r->days_left);
		else if (m->has_probe)
			snprintf(probe, sizeof(probe), "; %s: %.200s",
			    probe_status_name(r->st), r->detail);
		esc_linef(stdout, "  MX       %u %s (%s)%s%s", m->pref,
		    m->host, m->n_addrs > 0 ? m->addrs[0] : "no address",
		    !p->has_policy ? "" : m->is_covered ?
		    ", in the MTA-STS policy" : ", NOT in the MTA-STS policy",
		    probe);
	}
}

static int
render_text(const struct dns_posture *p, struct err *err)
{
	(void)err;
	esc_linef(stdout, "%s: %zu error(s), %zu warning(s)", p->domain,
	    count_sev(&p->findings, SEV_ERROR),
	    count_sev(&p->findings, SEV_WARNING));
	esc_linef(stdout, "  DMARC    %s%s%s", p->dmarc_text != NULL ?
	    p->dmarc_text : "none", p->dmarc_at != NULL ? " at " : "",
	    p->dmarc_at != NULL ? p->dmarc_at : "");
	spf_text(p);
	dkim_text(p);
	sts_text(p);
	mx_text(p);
	for (size_t i = 0; i < p->findings.n; i++) {
		const struct finding *f = &p->findings.v[i];

		esc_linef(stdout, "  %-8s %s: %s", severity_name(f->sev),
		    f->code, f->message);
		if (f->fix != NULL)
			esc_linef(stdout, "           publish: %s", f->fix);
	}
	fputc('\n', stdout);
	return 0;
}

static int (*const renderers[])(const struct dns_posture *p,
    struct err *err) = {
	[TABLE_TEXT] = render_text,
	[TABLE_JSON] = render_json,
	[TABLE_CSV] = NULL,
};

/* The domains to check: --domain, else those of the reports. */
static size_t
domains_of(const struct query *q, const struct analysis *a,
    const char ***out)
{
	size_t n = 0;

	*out = xcalloc(a->n_domains + 1, sizeof(**out));
	if (q->domain != NULL)
		(*out)[n++] = q->domain;
	else
		for (size_t i = 0; i < a->n_domains; i++)
			(*out)[n++] = a->domains[i].domain;
	return n;
}

int
cmd_dns(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "dns", .default_days = ADVISE_DAYS,
	    .has_probe = true, .is_store_optional = true };
	struct analysis a = { 0 };
	const char **domains = NULL;
	bool has_error = false, has_reached = false, has_a = false;
	size_t n;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (q.store != NULL) {
		if (query_load_judged(&q, &q.w, false, &a, &err) == -1)
			return query_failed(&q, &err);
		has_a = true;
	}
	n = domains_of(&q, &a, &domains);
	if (n == 0)
		log_warn("no DMARC reports in the window: name a domain with "
		    "--domain");
	for (size_t i = 0; i < n && r == 0; i++) {
		struct live_opts lo = { 0, q.want_probe };
		const struct analysis_domain *d = has_a ?
		    analysis_find(&a, domains[i]) : NULL;
		struct dns_posture p;

		if (live_check(cfg, q.store, &q.w, d, domains[i], &lo, &p,
		    &err) == -1) {
			dns_posture_free(&p);
			log_error("%s", err.msg);
			r = cmd_exit_status(err.code);
			break;
		}
		if (!p.is_reached) {
			log_error("dns: %s: no DNS server answers (%s)",
			    domains[i], cfg->dns_server != NULL ?
			    cfg->dns_server : "the system resolver");
			dns_posture_free(&p);
			continue;
		}
		has_reached = true;
		compare_reported(d, &p);
		has_error |= findings_worst(&p.findings) == SEV_ERROR;
		if (renderers[q.format](&p, &err) == -1) {
			log_error("%s", err.msg);
			r = cmd_exit_status(err.code);
		}
		dns_posture_free(&p);
	}
	free(domains);
	if (has_a)
		analysis_release(&a);
	if (r == 0 && n > 0 && !has_reached)
		r = EXIT_UNAVAILABLE;
	else if (r == 0 && has_error)
		r = 1;
	return query_finish(&q, r);
}
