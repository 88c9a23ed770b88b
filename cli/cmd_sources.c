/*
 * dmarcctl sources: per policy domain, each sending IP of the window with
 * its name, class and counts.  Text is an aligned table with shares and a
 * legend, csv and JSON the counts.
 */
#include <stdio.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/log.h"

typedef int (*sources_render_fn)(const struct query *q, struct table *t,
    struct err *err);

static const char *const source_numbers[] = { "messages", "dmarc_pass",
	"dkim_aligned", "spf_aligned", "days", "disagree", NULL };

/* one row; text shows shares, csv and JSON the counts */
static int
add_row(struct table *t, bool is_text, const struct analysis_domain *d,
    const struct analysis_source *src, struct err *err)
{
	static const char *const names[] = { "domain", "source", "name",
		"base", "class", "messages", "dmarc_pass", "dkim_aligned",
		"spf_aligned", "dkim_domain", "spf_domain", "days",
		"disagree" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	const struct source_stats *st = &src->st;
	char cell[N][64];
	const char *row[N];

	row[0] = d->domain;
	row[1] = *st->ip != '\0' ? st->ip : "(invalid)";
	row[2] = st->name;
	row[3] = st->base;
	row[4] = verdict_class_name(src->class);
	snprintf(cell[5], 64, "%lld", (long long)st->messages);
	if (is_text) {
		query_pct_text(st->dmarc_pass, st->messages, cell[6], 64);
		query_pct_text(st->dkim_aligned, st->messages, cell[7], 64);
		query_pct_text(st->spf_aligned, st->messages, cell[8], 64);
	} else {
		snprintf(cell[6], 64, "%lld", (long long)st->dmarc_pass);
		snprintf(cell[7], 64, "%lld", (long long)st->dkim_aligned);
		snprintf(cell[8], 64, "%lld", (long long)st->spf_aligned);
	}
	/* the domains seen: a foreign one, or ours when it passed aligned */
	row[9] = st->foreign_dkim_domain != NULL ? st->foreign_dkim_domain :
	    st->dkim_aligned > 0 ? d->domain : NULL;
	row[10] = st->foreign_spf_domain != NULL ? st->foreign_spf_domain :
	    st->spf_aligned > 0 ? d->domain : NULL;
	snprintf(cell[11], 64, "%d", st->days);
	snprintf(cell[12], 64, "%lld", (long long)src->disagree);
	for (int c = 5; c < N; c++)
		if (c != 9 && c != 10)
			row[c] = cell[c];
	return table_add_row(t, N, names, row, err);
}

static int
render_table(const struct query *q, struct table *t, struct err *err)
{
	return table_print(t, q->format, "sources", stdout, err);
}

static int
render_json(const struct query *q, struct table *t, struct err *err)
{
	table_set_json_head(t, query_window_head, &q->w);
	return render_table(q, t, err);
}

static int
render_text(const struct query *q, struct table *t, struct err *err)
{
	query_print_window(&q->w, TABLE_TEXT, NULL);
	if (render_table(q, t, err) == -1)
		return -1;
	printf("\nclass: aligned (passes), partial (some mail fails), "
	    "third-party (a service sending with its own domain), "
	    "indirect (forwarders, lists), unauthenticated (spoofing "
	    "or unknown)\n");
	return 0;
}

static const sources_render_fn renderers[] = {
	[TABLE_TEXT] = render_text,
	[TABLE_JSON] = render_json,
	[TABLE_CSV] = render_table,
};

static int
fill(struct table *t, const struct query *q, const struct analysis *a,
    struct err *err)
{
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct analysis_domain *d = &a->domains[i];

		for (size_t k = 0; k < d->n_sources; k++)
			if (add_row(t, q->format == TABLE_TEXT, d,
			    &d->sources[k], err) == -1)
				return -1;
	}
	return 0;
}

int
cmd_sources(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "sources", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json|csv]", .default_days = 14,
	    .has_csv = renderers[TABLE_CSV] != NULL };
	struct analysis a;
	struct table *t;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, false, &a, &err) == -1)
		return query_failed(&q, &err);
	table_new(&t, source_numbers);
	if (fill(t, &q, &a, &err) == -1 ||
	    renderers[q.format](&q, t, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	table_free(t);
	analysis_release(&a);
	return query_finish(&q, r);
}
