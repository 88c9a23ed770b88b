/*
 * dmarcctl tls: per policy domain, the TLS-RPT sessions of the window,
 * their failures by receiving MX, and a verdict on the MTA-STS mode.
 * Text is for a person; JSON is one object per domain, one per line; csv
 * is one row per MX and result type (DANE policies apart), or one row
 * without MX for a domain without failures.
 *
 * Two windows, each named where its figures are: sessions, failures and
 * failure_rate (failures / sessions) count the window shown, the same in
 * every format; the verdict looks at the verdict window (verdict_window)
 * and counts only the sessions it judges ("judged" in JSON, "verdict
 * over" in text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis_tls.h"
#include "cli/cmd.h"
#include "cli/live.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/count.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"

/* what the renderers share: the window the verdict was judged over, the
 * domains shown, and the rows csv keeps until the end */
struct tls_out {
	const struct query *q;
	const struct window *vw;
	const struct analysis_tls *a;
	struct table *t;
	struct live_quota quota;	/* what DNS may still be asked */
};

/* start: what comes before the domains, or NULL; domain: print (or keep)
 * one domain; end: what follows them, or NULL */
struct tls_renderer {
	void (*start)(struct tls_out *o);
	int (*domain)(struct tls_out *o, const struct analysis_tls_domain *d,
	    const struct verdict_tls_advice *adv, struct err *err);
	int (*end)(struct tls_out *o, struct err *err);
};

/* results of one type, summed over the MX names; first: where the type
 * first appears in the results (most sessions first) */
struct result_sum {
	const char *result_type;
	size_t first;
	int64_t sessions;
};

static int
cmp_result_index(const void *pa, const void *pb)
{
	const struct result_sum *a = pa, *b = pb;
	int c = strcmp(a->result_type, b->result_type);

	if (c != 0)
		return c;
	return a->first < b->first ? -1 : a->first > b->first;
}

static int
cmp_result_first(const void *pa, const void *pb)
{
	const struct result_sum *a = pa, *b = pb;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* by result type: the rows per MX summed, in the order of first
 * appearance; sorted, not compared pairwise (a reporter may name
 * thousands of MX hosts) */
static void
by_result_json(struct jsonw *w, const struct analysis_tls_domain *d)
{
	struct result_sum *r = xcalloc(d->n_results + 1, sizeof(*r));
	size_t n = 0;

	for (size_t i = 0; i < d->n_results; i++)
		r[i] = (struct result_sum){ d->results[i].result_type, i,
			d->results[i].sessions };
	qsort(r, d->n_results, sizeof(*r), cmp_result_index);
	for (size_t i = 0; i < d->n_results; i++) {
		if (n > 0 && strcmp(r[n - 1].result_type,
		    r[i].result_type) == 0) {
			r[n - 1].sessions = count_add(r[n - 1].sessions,
			    r[i].sessions);
			continue;
		}
		r[n++] = r[i];
	}
	qsort(r, n, sizeof(*r), cmp_result_first);
	jsonw_key(w, "by_result", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "result_type", r[i].result_type, true);
		jsonw_kv_int(w, "sessions", r[i].sessions, false, false);
		jsonw_kv_str(w, "meaning", verdict_tls_meaning(
		    r[i].result_type), false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
	free(r);
}

static void
types_json(struct jsonw *w, const struct analysis_tls_domain *d)
{
	jsonw_key(w, "by_policy_type", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < d->n_types; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "policy_type", d->types[i].policy_type, true);
		jsonw_kv_int(w, "sessions", d->types[i].sessions, false, false);
		jsonw_kv_int(w, "failures", d->types[i].failures, false, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

/* blockers and DANE problems: the same keys */
static void
blocker_list_json(struct jsonw *w, const char *key,
    const struct verdict_tls_blocker *list, size_t n)
{
	jsonw_key(w, key, false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		const struct verdict_tls_blocker *bl = &list[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "mx", *bl->mx ? bl->mx : NULL, true);
		jsonw_kv_str(w, "result_type", bl->result_type, false);
		jsonw_kv_int(w, "sessions", bl->sessions, false, false);
		jsonw_kv_int(w, "reporters", bl->reporters, false, false);
		jsonw_kv_int(w, "days", bl->days, false, false);
		jsonw_kv_str(w, "last_seen", *bl->last_seen ? bl->last_seen :
		    NULL, false);
		jsonw_kv_str(w, "fix", bl->fix, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

static void
warnings_json(struct jsonw *w, const struct verdict_tls_advice *adv)
{
	jsonw_key(w, "warnings", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < adv->n_warnings; i++) {
		const struct verdict_tls_warning *wa = &adv->warnings[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "mx", *wa->mx ? wa->mx : NULL, true);
		jsonw_kv_str(w, "result_type", wa->result_type, false);
		jsonw_kv_int(w, "sessions", wa->sessions, false, false);
		jsonw_kv_str(w, "reason", wa->reason, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

/* what the verdict counted, over its own window */
static void
judged_json(struct jsonw *w, const struct window *vw,
    const struct verdict_tls_advice *adv)
{
	jsonw_key(w, "judged", false);
	jsonw_raw(w, "{");
	query_print_window(vw, TABLE_JSON, w);
	jsonw_kv_int(w, "sessions", adv->counted_sessions, false, false);
	jsonw_kv_int(w, "failures", adv->counted_failures, false, false);
	jsonw_kv_rate(w, "failure_rate", adv->failure_rate);
	jsonw_raw(w, "}");
}

static int
domain_json(struct tls_out *o, const struct analysis_tls_domain *d,
    const struct verdict_tls_advice *adv, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, 64u << 20);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	query_print_window(&o->q->w, TABLE_JSON, &w);
	jsonw_kv_str(&w, "domain", d->domain, false);
	jsonw_kv_str(&w, "mode", adv->mode != NULL ? adv->mode : d->mode,
	    false);
	jsonw_kv_int(&w, "sessions", d->sessions, false, false);
	jsonw_kv_int(&w, "failures", d->failures, false, false);
	jsonw_kv_rate(&w, "failure_rate", count_ratio(d->failures,
	    d->sessions));
	/* "days" is the window's */
	jsonw_kv_int(&w, "days_reported", d->days, false, false);
	jsonw_kv_int(&w, "reporters", d->reporters, false, false);
	jsonw_kv_str(&w, "verdict", verdict_name(adv->verdict), false);
	judged_json(&w, o->vw, adv);
	types_json(&w, d);
	by_result_json(&w, d);
	blocker_list_json(&w, "blockers", adv->blockers, adv->n_blockers);
	warnings_json(&w, adv);
	blocker_list_json(&w, "dane", adv->dane, adv->n_dane);
	jsonw_raw(&w, "}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

static int
results_text(const struct analysis_tls_domain *d, struct err *err)
{
	static const char *const names[] = { "mx", "policy", "result_type",
		"sessions", "last_7_days", "last_seen", "meaning" };
	static const char *const numbers[] = { "sessions", "last_7_days",
		NULL };
	struct table *t;
	int ret = 0;

	printf("  failures by receiving MX:\n");
	table_new(&t, numbers);
	for (size_t i = 0; i < d->n_results && ret == 0; i++) {
		const struct tls_result_stats *r = &d->results[i];
		char n[32], recent[32];
		const char *row[7] = { r->mx != NULL ? r->mx : "-",
			r->policy_type != NULL ? r->policy_type : "-",
			r->result_type, n, recent,
			r->last_seen != NULL ? r->last_seen : "-",
			verdict_tls_meaning(r->result_type) };

		snprintf(n, sizeof(n), "%lld", (long long)r->sessions);
		snprintf(recent, sizeof(recent), "%lld",
		    (long long)r->recent_sessions);
		ret = table_add_row(t, 7, names, row, err);
	}
	if (ret == 0)
		ret = table_print(t, TABLE_TEXT, "results", stdout, err);
	table_free(t);
	return ret;
}

static void
blocker_text(const char *what, const struct verdict_tls_blocker *bl)
{
	esc_linef(stdout, "  %s: %s %s (%lld sessions from %d reporters on "
	    "%d days, last %s): %s", what, *bl->mx ? bl->mx : "(no MX named)",
	    bl->result_type, (long long)bl->sessions, bl->reporters, bl->days,
	    *bl->last_seen ? bl->last_seen : "unknown", bl->fix);
}

/* "2026-11-19 .. 2026-12-02 (14 days)": a window's first and last day */
static const char *
span_text(const struct window *w, char *out, size_t size)
{
	char first[16], last[16];

	timefmt_date(w->since, first, sizeof(first));
	timefmt_date(w->until - 86400, last, sizeof(last));
	snprintf(out, size, "%s .. %s (%ld days)", first, last,
	    window_days(w));
	return out;
}

/* a rate in percent, as the verdict's lines print it */
static const char *
rate_text(double rate, char *out, size_t size)
{
	snprintf(out, size, "%.3f%%", 100.0 * rate);
	return out;
}

static int
domain_text(struct tls_out *o, const struct analysis_tls_domain *d,
    const struct verdict_tls_advice *adv, struct err *err)
{
	char p[32], span[64];

	esc_linef(stdout, "%s: %s (MTA-STS mode %s)", d->domain,
	    verdict_name(adv->verdict), adv->mode != NULL ? adv->mode :
	    d->mode != NULL ? d->mode : "unknown");
	esc_linef(stdout, "  sessions %s: %lld, %lld failed (%s); reports "
	    "on %d days from %d reporters", span_text(&o->q->w, span,
	    sizeof(span)), (long long)d->sessions, (long long)d->failures,
	    rate_text(count_ratio(d->failures, d->sessions), p, sizeof(p)),
	    d->days, d->reporters);
	for (size_t i = 0; i < d->n_types; i++)
		esc_linef(stdout, "  %-12s %lld sessions, %lld failed",
		    d->types[i].policy_type, (long long)d->types[i].sessions,
		    (long long)d->types[i].failures);
	if (d->n_results > 0 && results_text(d, err) == -1)
		return -1;
	esc_linef(stdout, "  verdict over %s: %lld sessions judged, %lld "
	    "failed (%s)", span_text(o->vw, span, sizeof(span)),
	    (long long)adv->counted_sessions,
	    (long long)adv->counted_failures, rate_text(adv->failure_rate, p,
	    sizeof(p)));
	for (size_t i = 0; i < adv->n_dane; i++)
		blocker_text("DANE FAILURE", &adv->dane[i]);
	for (size_t i = 0; i < adv->n_blockers; i++)
		blocker_text("blocker", &adv->blockers[i]);
	for (size_t i = 0; i < adv->n_warnings; i++) {
		const struct verdict_tls_warning *wa = &adv->warnings[i];

		esc_linef(stdout, "  warning: %s %s (%lld sessions): %s",
		    *wa->mx ? wa->mx : "(no MX named)", wa->result_type,
		    (long long)wa->sessions, wa->reason);
	}
	for (size_t i = 0; i < adv->n_lines; i++)
		esc_linef(stdout, "  - %s", adv->lines[i]);
	fputc('\n', stdout);
	return 0;
}

static void
start_text(struct tls_out *o)
{
	query_print_window(&o->q->w, TABLE_TEXT, NULL);
}


/* one csv row: the domain's figures of the window (as text and JSON
 * have them) on each, then one MX and result type, or none (r NULL) */
static int
row_csv(struct tls_out *o, const struct analysis_tls_domain *d,
    const struct tls_result_stats *r, struct err *err)
{
	static const char *const names[] = { "domain", "mode", "mx",
		"result_type", "sessions", "recent", "policy_type",
		"recent_sessions", "last_seen", "domain_sessions",
		"domain_failures", "domain_failure_rate" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	char n[32], recent[32], all[32], failed[32], rate[32];
	const char *row[N] = { d->domain, d->mode, NULL, NULL, "0", "no",
		NULL, "0", NULL, all, failed, rate };

	snprintf(all, sizeof(all), "%lld", (long long)d->sessions);
	snprintf(failed, sizeof(failed), "%lld", (long long)d->failures);
	/* JSON's jsonw_kv_rate */
	snprintf(rate, sizeof(rate), "%.4f", count_ratio(d->failures,
	    d->sessions));
	if (r != NULL) {
		snprintf(n, sizeof(n), "%lld", (long long)r->sessions);
		snprintf(recent, sizeof(recent), "%lld",
		    (long long)r->recent_sessions);
		row[2] = r->mx;
		row[3] = r->result_type;
		row[4] = n;
		/* yes/no as text says it, not PostgreSQL's t/f */
		row[5] = r->recent_sessions > 0 ? "yes" : "no";
		row[6] = r->policy_type;
		row[7] = recent;
		row[8] = r->last_seen;
	}
	return table_add_row(o->t, N, names, row, err);
}

static int
domain_csv(struct tls_out *o, const struct analysis_tls_domain *d,
    const struct verdict_tls_advice *adv, struct err *err)
{
	(void)adv;
	if (d->n_results == 0)
		return row_csv(o, d, NULL, err);
	for (size_t i = 0; i < d->n_results; i++)
		if (row_csv(o, d, &d->results[i], err) == -1)
			return -1;
	return 0;
}

static int
end_csv(struct tls_out *o, struct err *err)
{
	return table_print(o->t, TABLE_CSV, "results", stdout, err);
}

static const struct tls_renderer renderers[] = {
	[TABLE_TEXT] = { start_text, domain_text, NULL },
	[TABLE_JSON] = { NULL, domain_json, NULL },
	[TABLE_CSV] = { NULL, domain_csv, end_csv },
};

enum { TLS_LIVE_MX_MAX = 32 };

/* what DNS and a probe say of one domain now */
struct tls_live {
	struct dns_posture p;
	struct tls_live_mx mx[TLS_LIVE_MX_MAX];
};

/* The live MTA-STS policy and MX hosts (probed with --probe), unless
 * --no-dns or DNS did not answer before; false when not read. */
static bool
read_live(struct tls_out *o, const char *domain, struct tls_live *l,
    struct verdict_tls_input *in)
{
	struct live_opts lo = { DNS_PART_MX | DNS_PART_STS,
		o->q->want_probe };
	struct err err;

	memset(l, 0, sizeof(*l));
	if (!o->q->want_dns || !live_quota_take(&o->quota))
		return false;
	if (live_check(o->q->cfg, NULL, NULL, NULL, domain, &lo, &l->p,
	    &err) == -1) {
		log_warn("%s: the MTA-STS policy in DNS is not read: %s",
		    domain, err.msg);
		return false;
	}
	live_quota_done(&o->quota, &l->p);
	if (!l->p.is_reached)
		return false;
	in->live_mode = live_sts_mode(&l->p);
	in->live_mx = l->mx;
	in->n_live_mx = live_tls_mx(&l->p, l->mx, TLS_LIVE_MX_MAX);
	return true;
}

/* the verdict of a domain over the verdict window, or insufficient data */
static void
tls_verdict(struct tls_out *o, const struct analysis_tls *judge,
    const char *domain, struct verdict_tls_advice *adv)
{
	const struct analysis_tls_domain *d = analysis_tls_find(judge, domain);
	struct verdict_tls_input in;
	static const struct analysis_tls_domain none;
	struct tls_live live;

	analysis_tls_input(d != NULL ? d : &none, &in);
	in.domain = domain;
	read_live(o, domain, &live, &in);
	verdict_tls(&in, &o->q->cfg->thresholds, adv);
	dns_posture_free(&live.p);
}

static int
render_domain(struct tls_out *o, const struct analysis_tls *judge,
    const struct analysis_tls_domain *d, struct err *err)
{
	const struct tls_renderer *r = &renderers[o->q->format];
	struct verdict_tls_advice adv;
	int ret;

	tls_verdict(o, judge, d->domain, &adv);
	ret = r->domain(o, d, &adv, err);
	verdict_tls_advice_free(&adv);
	return ret;
}

/* No reports in the window: said on stderr; --domain D still answers
 * for D, with nothing counted, so that monitoring gets its verdict. */
static int
render(struct tls_out *o, const struct analysis_tls *judge, struct err *err)
{
	const struct tls_renderer *r = &renderers[o->q->format];
	struct analysis_tls_domain none = { 0 };
	int ret = 0;

	if (o->a->n_domains == 0)
		query_say_empty(o->q, "TLS reports");
	if (r->start != NULL)
		r->start(o);
	for (size_t i = 0; i < o->a->n_domains && ret == 0; i++)
		ret = render_domain(o, judge, &o->a->domains[i], err);
	if (o->a->n_domains == 0 && o->q->domain != NULL) {
		none.domain = xstrdup(o->q->domain);
		ret = render_domain(o, judge, &none, err);
		free(none.domain);
	}
	if (ret == 0 && r->end != NULL)
		ret = r->end(o, err);
	return ret;
}

/* The verdict looks at the verdict window (30 days, or the given one when
 * longer), as advise does. */
static int
verdict_window(const struct query *q, struct window *vw, struct err *err)
{
	*vw = q->w;
	if (window_days(vw) >= ADVISE_DAYS)
		return 0;
	return window_last(vw, &q->w, ADVISE_DAYS, err);
}

int
cmd_tls(int argc, char **argv, const struct config *cfg)
{
	static const char *const numbers[] = { "sessions", "recent_sessions",
		"domain_sessions", "domain_failures", NULL };
	struct query q = { .name = "tls", .default_days = 14, .has_probe = true,
	    .has_csv = renderers[TABLE_CSV].domain != NULL };
	struct analysis_tls a, judge;
	struct window vw;
	struct tls_out o = { &q, &vw, &a, NULL, { 0 } };
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (verdict_window(&q, &vw, &err) == -1)
		return query_failed(&q, &err);
	if (analysis_tls_load(q.store, cfg, &q.w, q.domain, &a, &err) == -1)
		return query_failed(&q, &err);
	if (analysis_tls_load(q.store, cfg, &vw, q.domain, &judge,
	    &err) == -1) {
		analysis_tls_release(&a);
		return query_failed(&q, &err);
	}
	table_new(&o.t, numbers);
	live_quota_init(&o.quota, cfg);
	if (render(&o, &judge, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	table_free(o.t);
	analysis_tls_release(&a);
	analysis_tls_release(&judge);
	return query_finish(&q, r);
}
