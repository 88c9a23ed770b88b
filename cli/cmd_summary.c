/*
 * dmarcctl summary: per policy domain, the window's counts and the advise
 * verdict.  Text is an aligned table with shares, csv the counts, JSON
 * the counts and the policy.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/jsonw.h"
#include "common/log.h"

struct summary {
	const struct query *q;
	const struct analysis *a;
	const struct verdicts *v;
};

typedef int (*summary_render_fn)(const struct summary *s, struct err *err);

static const char *const summary_numbers[] = { "reports", "reporters",
	"messages", "dmarc_pass", "spf_aligned", "dkim_aligned", "quarantined",
	"rejected", "disagree", NULL };

/* one row; text shows shares, csv the counts */
static int
add_row(struct table *t, const struct summary *s,
    const struct analysis_domain *d, struct err *err)
{
	static const char *const names[] = { "domain", "policy", "reports",
		"reporters", "messages", "dmarc_pass", "spf_aligned",
		"dkim_aligned", "quarantined", "rejected", "disagree",
		"verdict" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	char cell[N][64];
	const char *row[N];

	snprintf(cell[0], 64, "%s", d->domain);
	query_policy_text(&d->policy, cell[1], 64);
	snprintf(cell[2], 64, "%lld", (long long)d->reports);
	snprintf(cell[3], 64, "%d", d->reporters);
	snprintf(cell[4], 64, "%lld", (long long)d->messages);
	if (s->q->format == TABLE_TEXT) {
		query_pct_text(d->dmarc_pass, d->messages, cell[5], 64);
		query_pct_text(d->spf_aligned, d->messages, cell[6], 64);
		query_pct_text(d->dkim_aligned, d->messages, cell[7], 64);
	} else {
		snprintf(cell[5], 64, "%lld", (long long)d->dmarc_pass);
		snprintf(cell[6], 64, "%lld", (long long)d->spf_aligned);
		snprintf(cell[7], 64, "%lld", (long long)d->dkim_aligned);
	}
	snprintf(cell[8], 64, "%lld", (long long)d->quarantined);
	snprintf(cell[9], 64, "%lld", (long long)d->rejected);
	snprintf(cell[10], 64, "%lld", (long long)d->disagree);
	snprintf(cell[11], 64, "%s", verdict_name(query_verdict_of(s->q, s->v,
	    d->domain)));
	for (int c = 0; c < N; c++)
		row[c] = cell[c];
	return table_add_row(t, N, names, row, err);
}

static int
print_table(const struct summary *s, struct err *err)
{
	struct table *t;
	int ret = 0;

	table_new(&t, summary_numbers);
	for (size_t i = 0; i < s->a->n_domains && ret == 0; i++)
		ret = add_row(t, s, &s->a->domains[i], err);
	if (ret == 0 && s->a->n_domains > 0)
		ret = table_print(t, s->q->format, "domains", stdout, err);
	table_free(t);
	return ret;
}

static int
render_text(const struct summary *s, struct err *err)
{
	query_print_window(&s->q->w, TABLE_TEXT, NULL);
	if (print_table(s, err) == -1)
		return -1;
	if (s->a->n_domains == 0)
		return 0;
	printf("\npass: DMARC pass (policy_evaluated dkim or spf); "
	    "disagree: messages whose reporter's verdict differs from "
	    "the alignment recomputed from auth_results; verdict: "
	    "dmarcctl advise (last %d days)\n", ADVISE_DAYS);
	return 0;
}

static void
domain_json(struct jsonw *w, const struct summary *s,
    const struct analysis_domain *d)
{
	jsonw_kv_str(w, "domain", d->domain, true);
	jsonw_kv_int(w, "reports", d->reports, false, false);
	jsonw_kv_int(w, "reporters", d->reporters, false, false);
	jsonw_kv_int(w, "messages", d->messages, false, false);
	jsonw_kv_int(w, "dmarc_pass", d->dmarc_pass, false, false);
	jsonw_kv_int(w, "spf_aligned", d->spf_aligned, false, false);
	jsonw_kv_int(w, "dkim_aligned", d->dkim_aligned, false, false);
	jsonw_kv_int(w, "quarantined", d->quarantined, false, false);
	jsonw_kv_int(w, "rejected", d->rejected, false, false);
	jsonw_kv_int(w, "disagree", d->disagree, false, false);
	jsonw_key(w, "policy", false);
	query_policy_json(w, &d->policy);
	jsonw_kv_str(w, "verdict", verdict_name(query_verdict_of(s->q, s->v,
	    d->domain)), false);
}

static int
render_json(const struct summary *s, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, 256u << 20);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	query_print_window(&s->q->w, TABLE_JSON, &w);
	jsonw_key(&w, "domains", false);
	jsonw_raw(&w, "[");
	for (size_t i = 0; i < s->a->n_domains; i++) {
		jsonw_raw(&w, i > 0 ? ",{" : "{");
		domain_json(&w, s, &s->a->domains[i]);
		jsonw_raw(&w, "}");
	}
	jsonw_raw(&w, "]}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

static const summary_render_fn renderers[] = {
	[TABLE_TEXT] = render_text,
	[TABLE_JSON] = render_json,
	[TABLE_CSV] = print_table,
};

int
cmd_summary(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "summary", .default_days = 14,
	    .has_csv = renderers[TABLE_CSV] != NULL };
	struct analysis_options opt = { NULL, false, false };
	struct analysis a;
	struct verdicts v;
	struct summary s = { &q, &a, &v };
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	memset(&v, 0, sizeof(v));
	opt.domain = q.domain;
	if (analysis_load(q.store, cfg, &q.w, &opt, &a, &err) == -1)
		return query_failed(&q, &err);
	if (query_load_verdicts(&q, &v, &err) == -1) {
		analysis_release(&a);
		return query_failed(&q, &err);
	}
	if (a.n_domains == 0)
		query_say_empty(&q, "DMARC reports");
	if (renderers[q.format](&s, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	analysis_release(&a);
	analysis_release(&v.a);
	return query_finish(&q, r);
}
