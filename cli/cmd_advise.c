/*
 * dmarcctl advise: per policy domain, the verdict of analyze/verdict.c
 * with its evidence, the sources that block the next step, and the DNS
 * record to publish.  Text is for a person; JSON is one object per
 * domain, one per line.  No csv: the advice is not a table.
 */
#include <stdio.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/log.h"

/* start: what comes before the domains, or NULL; domain: print one
 * domain's advice */
struct advise_renderer {
	void (*start)(const struct query *q, const struct analysis *a);
	int (*domain)(const struct query *q, const struct analysis_domain *d,
	    const struct verdict_advice *adv, struct err *err);
};

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
blockers_json(struct jsonw *w, const struct verdict_advice *adv)
{
	jsonw_raw(w, "[");
	for (size_t i = 0; i < adv->n_blockers; i++) {
		const struct verdict_blocker *bl = &adv->blockers[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "source", bl->source, true);
		jsonw_kv_str(w, "name", *bl->name ? bl->name : NULL, false);
		jsonw_kv_int(w, "messages", bl->messages, false, false);
		jsonw_kv_str(w, "problem", bl->problem, false);
		jsonw_kv_str(w, "fix", bl->fix, false);
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
	blockers_json(&w, adv);
	jsonw_raw(&w, "}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

static int
blockers_text(const struct verdict_advice *adv, struct err *err)
{
	static const char *const names[] = { "source", "name", "messages",
		"problem", "fix" };
	static const char *const numbers[] = { "messages", NULL };
	struct table *t;
	int ret = 0;

	printf("  blockers:\n");
	table_new(&t, numbers);
	for (size_t i = 0; i < adv->n_blockers && ret == 0; i++) {
		const struct verdict_blocker *bl = &adv->blockers[i];
		char n[32];
		const char *row[5] = { bl->source, bl->name, n, bl->problem,
			bl->fix };

		snprintf(n, sizeof(n), "%lld", (long long)bl->messages);
		ret = table_add_row(t, 5, names, row, err);
	}
	if (ret == 0)
		ret = table_print(t, TABLE_TEXT, "blockers", stdout, err);
	table_free(t);
	return ret;
}

static void
start_text(const struct query *q, const struct analysis *a)
{
	query_print_window(&q->w, TABLE_TEXT, NULL);
	if (a->n_domains == 0)
		esc_linef(stdout, "no DMARC reports in the window%s%s",
		    q->domain ? " for " : "", q->domain ? q->domain : "");
}

static int
render_text(const struct query *q, const struct analysis_domain *d,
    const struct verdict_advice *adv, struct err *err)
{
	const struct verdict_evidence *e = &adv->evidence;
	char pol[64], p1[16], p2[16];

	(void)q;
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
	if (adv->n_blockers > 0 && blockers_text(adv, err) == -1)
		return -1;
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
render(const struct query *q, const struct analysis *a, struct err *err)
{
	const struct advise_renderer *r = &renderers[q->format];
	int ret = 0;

	if (r->start != NULL)
		r->start(q, a);
	for (size_t i = 0; i < a->n_domains && ret == 0; i++) {
		struct verdict_input in;
		struct verdict_advice adv;

		analysis_input(&a->domains[i], &in);
		verdict_advise(&in, &q->cfg->thresholds, &adv);
		ret = r->domain(q, &a->domains[i], &adv, err);
		verdict_advice_free(&adv);
	}
	return ret;
}

int
cmd_advise(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "advise", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json]", .default_days = ADVISE_DAYS,
	    .has_csv = renderers[TABLE_CSV].domain != NULL };
	struct analysis a;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, true, &a, &err) == -1)
		return query_failed(&q, &err);
	if (render(&q, &a, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	analysis_release(&a);
	return query_finish(&q, r);
}
