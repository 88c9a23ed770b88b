/*
 * dmarcctl sources: per policy domain, the senders of the window (an
 * organisation with its addresses, analyze/sender.h), one row each, most
 * messages first, with name, class, the rule that decided it and counts.
 * Text is an aligned table with shares and a legend (--addresses adds a
 * row per address under its sender), csv a row per sender, JSON one
 * document holding every sender's addresses.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/jsonw.h"
#include "common/log.h"

typedef int (*sources_render_fn)(const struct query *q,
    const struct analysis *a, struct err *err);

static const char *const sender_numbers[] = { "addresses", "messages",
	"dmarc_pass", "dkim_aligned", "spf_aligned", "days", "failure_reports",
	NULL };

static bool
is_shown(const struct query *q, const struct sender *snd)
{
	return q->class_filter == NULL ||
	    strcmp(q->class_filter, verdict_class_name(snd->class)) == 0;
}

/* the next sender of d to show after *i (of --class, at most --limit,
 * *shown so far), or NULL */
static const struct sender *
next_shown(const struct query *q, const struct analysis_domain *d, size_t *i,
    size_t *shown)
{
	if (q->limit > 0 && *shown >= (size_t)q->limit)
		return NULL;
	while (*i < d->senders.n) {
		const struct sender *snd = &d->senders.senders[(*i)++];

		if (is_shown(q, snd)) {
			(*shown)++;
			return snd;
		}
	}
	return NULL;
}

/* the domains seen: a foreign one, or ours when it passed aligned */
static const char *
dkim_domain(const struct analysis_domain *d, const struct source_stats *st)
{
	return st->foreign_dkim_domain != NULL ? st->foreign_dkim_domain :
	    st->dkim_aligned > 0 ? d->domain : NULL;
}

static const char *
spf_domain(const struct analysis_domain *d, const struct source_stats *st)
{
	return st->foreign_spf_domain != NULL ? st->foreign_spf_domain :
	    st->spf_aligned > 0 ? d->domain : NULL;
}

/* --- table: text and csv --- */

enum { COLS = 15 };

static const char *const names[COLS] = { "domain", "sender", "name",
	"class", "rule", "population", "addresses", "messages", "dmarc_pass",
	"dkim_aligned", "spf_aligned", "days", "dkim_domain", "spf_domain",
	"failure_reports" };

/* one row: a sender, or (is_address) one of its addresses */
static int
add_row(struct table *t, bool is_text, const struct analysis_domain *d,
    const struct sender *snd, const struct source_stats *st,
    bool is_address, struct err *err)
{
	char cell[COLS][64], label[300];
	const char *row[COLS];
	struct failure_evidence ev;

	if (is_address)
		snprintf(label, sizeof(label), "  %s", *st->ip != '\0' ?
		    st->ip : "(invalid)");
	row[0] = d->domain;
	row[1] = is_address ? label : snd->key;
	row[2] = is_address ? st->name : snd->name;
	row[3] = is_address ? NULL : verdict_class_name(snd->class);
	row[4] = is_address ? NULL : snd->rule;
	row[5] = is_address ? NULL : verdict_population_name(snd->pop);
	snprintf(cell[6], 64, "%zu", is_address ? (size_t)1 : snd->n_members);
	snprintf(cell[7], 64, "%lld", (long long)st->messages);
	if (is_text) {
		query_pct_text(st->dmarc_pass, st->messages, cell[8], 64);
		query_pct_text(st->dkim_aligned, st->messages, cell[9], 64);
		query_pct_text(st->spf_aligned, st->messages, cell[10], 64);
	} else {
		snprintf(cell[8], 64, "%lld", (long long)st->dmarc_pass);
		snprintf(cell[9], 64, "%lld", (long long)st->dkim_aligned);
		snprintf(cell[10], 64, "%lld", (long long)st->spf_aligned);
	}
	snprintf(cell[11], 64, "%d", st->days);
	for (int c = 6; c < 12; c++)
		row[c] = cell[c];
	row[12] = dkim_domain(d, st);
	row[13] = spf_domain(d, st);
	/* a sender's samples; its addresses' under it */
	if (is_address)
		analysis_address_failures(d, st->ip, &ev);
	else
		analysis_sender_failures(d, snd, &ev);
	snprintf(cell[14], 64, "%lld", (long long)ev.samples);
	row[14] = cell[14];
	return table_add_row(t, COLS, names, row, err);
}

static int
fill(struct table *t, const struct query *q, const struct analysis *a,
    struct err *err)
{
	bool is_text = q->format == TABLE_TEXT;

	for (size_t i = 0; i < a->n_domains; i++) {
		const struct analysis_domain *d = &a->domains[i];
		const struct sender *snd;
		size_t k = 0, n = 0;

		while ((snd = next_shown(q, d, &k, &n)) != NULL) {
			if (add_row(t, is_text, d, snd, &snd->st, false,
			    err) == -1)
				return -1;
			for (size_t m = 0; is_text && q->want_addresses &&
			    m < snd->n_members; m++)
				if (add_row(t, is_text, d, snd,
				    &d->stats[snd->members[m]], true,
				    err) == -1)
					return -1;
		}
	}
	return 0;
}

static int
render_table(const struct query *q, const struct analysis *a,
    struct err *err)
{
	struct table *t;
	int ret;

	table_new(&t, sender_numbers);
	ret = fill(t, q, a, err);
	if (ret == 0)
		ret = table_print(t, q->format, "sources", stdout, err);
	table_free(t);
	return ret;
}

static int
render_text(const struct query *q, const struct analysis *a,
    struct err *err)
{
	query_print_window(&q->w, TABLE_TEXT, NULL);
	if (render_table(q, a, err) == -1)
		return -1;
	if (a->n_domains == 0)
		return 0;
	printf("\nclass: aligned (passes), partial (some mail fails), "
	    "third-party (a service sending with its own domain), relay "
	    "(your own relay, breaking your DKIM), indirect (forwarders, "
	    "lists), unauthenticated (spoofing or unknown)\n");
	if (!q->want_addresses)
		printf("a sender is an organisation with its addresses: "
		    "--addresses lists them\n");
	return 0;
}

/* --- JSON: one document --- */

static void
address_json(struct jsonw *w, const struct analysis_domain *d,
    const struct source_stats *st, bool is_first)
{
	jsonw_raw(w, is_first ? "{" : ",{");
	jsonw_kv_str(w, "source", st->ip, true);
	jsonw_kv_str(w, "name", st->name, false);
	jsonw_kv_str(w, "base", st->base, false);
	jsonw_kv_int(w, "messages", st->messages, false, false);
	jsonw_kv_int(w, "dmarc_pass", st->dmarc_pass, false, false);
	jsonw_kv_int(w, "dkim_aligned", st->dkim_aligned, false, false);
	jsonw_kv_int(w, "spf_aligned", st->spf_aligned, false, false);
	jsonw_kv_int(w, "days", st->days, false, false);
	jsonw_kv_str(w, "dkim_domain", dkim_domain(d, st), false);
	jsonw_kv_str(w, "spf_domain", spf_domain(d, st), false);
	jsonw_raw(w, "}");
}

static void
sender_json(struct jsonw *w, const struct analysis_domain *d,
    const struct sender *snd, bool is_first)
{
	const struct source_stats *st = &snd->st;
	struct failure_evidence ev;

	jsonw_raw(w, is_first ? "{" : ",{");
	jsonw_kv_str(w, "sender", snd->key, true);
	jsonw_kv_str(w, "name", snd->name, false);
	jsonw_kv_str(w, "type", snd->type, false);
	jsonw_kv_str(w, "class", verdict_class_name(snd->class), false);
	jsonw_kv_str(w, "population", verdict_population_name(snd->pop),
	    false);
	jsonw_kv_str(w, "rule", snd->rule, false);
	jsonw_kv_str(w, "reason", snd->reason, false);
	jsonw_kv_int(w, "messages", st->messages, false, false);
	jsonw_kv_int(w, "dmarc_pass", st->dmarc_pass, false, false);
	jsonw_kv_int(w, "dkim_aligned", st->dkim_aligned, false, false);
	jsonw_kv_int(w, "spf_aligned", st->spf_aligned, false, false);
	jsonw_kv_int(w, "days", st->days, false, false);
	jsonw_kv_int(w, "n_addresses", (int64_t)snd->n_members, false, false);
	jsonw_kv_str(w, "dkim_domain", dkim_domain(d, st), false);
	jsonw_kv_str(w, "spf_domain", spf_domain(d, st), false);
	analysis_sender_failures(d, snd, &ev);
	jsonw_key(w, "failure_reports", false);
	query_failures_json(w, &ev);
	jsonw_key(w, "addresses", false);
	jsonw_raw(w, "[");
	for (size_t m = 0; m < snd->n_members; m++)
		address_json(w, d, &d->stats[snd->members[m]], m == 0);
	jsonw_raw(w, "]}");
}

static int
render_json(const struct query *q, const struct analysis *a,
    struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, (size_t)1 << 30);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	query_print_window(&q->w, TABLE_JSON, &w);
	jsonw_key(&w, "domains", false);
	jsonw_raw(&w, "[");
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct analysis_domain *d = &a->domains[i];
		const struct sender *snd;
		size_t k = 0, n = 0;

		jsonw_raw(&w, i > 0 ? ",{" : "{");
		jsonw_kv_str(&w, "domain", d->domain, true);
		jsonw_key(&w, "senders", false);
		jsonw_raw(&w, "[");
		while ((snd = next_shown(q, d, &k, &n)) != NULL)
			sender_json(&w, d, snd, n == 1);
		jsonw_raw(&w, "]}");
	}
	jsonw_raw(&w, "]}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

static const sources_render_fn renderers[] = {
	[TABLE_TEXT] = render_text,
	[TABLE_JSON] = render_json,
	[TABLE_CSV] = render_table,
};

int
cmd_sources(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "sources", .default_days = 14,
	    .has_sender_options = true, .has_csv = renderers[TABLE_CSV] != NULL };
	struct analysis a;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, false, &a, &err) == -1)
		return query_failed(&q, &err);
	if (a.n_domains == 0)
		query_say_empty(&q, "DMARC reports");
	if (renderers[q.format](&q, &a, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	analysis_release(&a);
	return query_finish(&q, r);
}
