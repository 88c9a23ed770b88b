/*
 * dmarcctl failures: the failure report samples (ruf) stored over the
 * window, per policy domain and sending address, each named by the
 * sender the analysis groups it into, with the failure types, DKIM
 * selectors and domains, From domains and delivery results the samples
 * show.  What a sample keeps is [failures] keep; this shows metadata only.
 *
 * Text and CSV: one row per address, its sender and class beside it.
 * JSON: shaped as `sources --format json`: per domain its senders (the
 * analysis' sender, else the address alone), each with its addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/buf.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/store.h"

/* the comma lists of store_failures, in its column order from 5 on */
enum { N_LISTS = 5 };
static const char *const list_keys[N_LISTS] = { "auth_failures",
	"dkim_selectors", "dkim_domains", "from_domains", "delivery_results" };

/* one row of store_failures: an address of a domain */
struct frow {
	char *domain, *ip;		/* ip NULL: no valid Source-IP */
	char first[32], last[32];	/* ISO 8601, UTC */
	long long samples;
	char *lists[N_LISTS];		/* comma lists, NULL: none */
	const struct sender *s;		/* the analysis', or NULL */
};

struct failures_out {
	const struct analysis *a;
	struct frow *rows;
	size_t n, cap;
};

/* the sender the analysis groups ip into for domain, or NULL */
static const struct sender *
sender_of(const struct analysis *a, const char *domain, const char *ip)
{
	const struct analysis_domain *d = analysis_find(a, domain);

	if (d == NULL || ip == NULL)
		return NULL;
	for (size_t i = 0; i < d->senders.n; i++) {
		const struct sender *s = &d->senders.senders[i];

		for (size_t m = 0; m < s->n_members; m++)
			if (strcmp(d->stats[s->members[m]].ip, ip) == 0)
				return s;
	}
	return NULL;
}

/* "2026-05-18 07:14:58+00" (the session is UTC) as 2026-05-18T07:14:58Z */
static void
iso_time(const char *v, char *out, size_t size)
{
	if (v != NULL && strlen(v) == 22 && v[10] == ' ' &&
	    strcmp(v + 19, "+00") == 0)
		snprintf(out, size, "%.10sT%.8sZ", v, v + 11);
	else
		snprintf(out, size, "%s", v != NULL ? v : "");
}

static char *
dup_or_null(const char *v)
{
	return v != NULL ? xstrdup(v) : NULL;
}

/* a row of store_failures, kept with the sender of its address */
static int
failure_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct failures_out *o = ctx;
	struct frow *r;

	(void)names;
	if (ncols != 5 + N_LISTS)
		return err_set(err, ERR_DB, "failures: %zu columns", ncols);
	o->rows = xgrow(o->rows, o->n + 1, &o->cap, sizeof(*o->rows));
	r = &o->rows[o->n++];
	memset(r, 0, sizeof(*r));
	r->domain = xstrdup(v[0]);
	r->ip = dup_or_null(v[1]);
	r->samples = strtoll(v[2], NULL, 10);
	iso_time(v[3], r->first, sizeof(r->first));
	iso_time(v[4], r->last, sizeof(r->last));
	for (size_t i = 0; i < N_LISTS; i++)
		r->lists[i] = dup_or_null(v[5 + i]);
	r->s = sender_of(o->a, r->domain, r->ip);
	return 0;
}

static void
rows_free(struct failures_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->rows[i].domain);
		free(o->rows[i].ip);
		for (size_t k = 0; k < N_LISTS; k++)
			free(o->rows[i].lists[k]);
	}
	free(o->rows);
}

/* --- text and CSV: a row per address --- */

static int
render_table(const struct query *q, const struct failures_out *o,
    struct err *err)
{
	static const char *const numbers[] = { "samples", NULL };
	static const char *const names[] = { "domain", "source_ip", "sender",
		"class", "samples", "first", "last", "auth_failures",
		"dkim_selectors", "dkim_domains", "from_domains",
		"delivery_results" };
	struct table *t;
	int ret = 0;

	table_new(&t, numbers);
	if (q->format == TABLE_TEXT)
		query_print_window(&q->w, TABLE_TEXT, NULL);
	for (size_t i = 0; i < o->n && ret == 0; i++) {
		const struct frow *r = &o->rows[i];
		const char *v[12];
		char samples[32];

		snprintf(samples, sizeof(samples), "%lld", r->samples);
		v[0] = r->domain;
		v[1] = r->ip;
		v[2] = r->s != NULL ? r->s->name : NULL;
		v[3] = r->s != NULL ? verdict_class_name(r->s->class) : NULL;
		v[4] = samples;
		v[5] = r->first;
		v[6] = r->last;
		for (size_t k = 0; k < N_LISTS; k++)
			v[7 + k] = r->lists[k];
		ret = table_add_row(t, 12, names, v, err);
	}
	if (ret == 0)
		ret = table_print(t, q->format, "failures", stdout, err);
	table_free(t);
	return ret;
}

/* --- JSON: per domain, its senders, their addresses --- */

/* the sender rows i and j share: the analysis' one, else the address */
static bool
same_sender(const struct frow *a, const struct frow *b)
{
	if (strcmp(a->domain, b->domain) != 0)
		return false;
	if (a->s != NULL || b->s != NULL)
		return a->s == b->s;
	if (a->ip == NULL || b->ip == NULL)
		return a->ip == b->ip;
	return strcmp(a->ip, b->ip) == 0;
}

/* each distinct value of the comma lists k of the rows in g, in order */
static void
list_json(struct jsonw *w, const struct failures_out *o, const size_t *g,
    size_t n, size_t k)
{
	struct buf seen;
	struct err e;

	buf_init(&seen, (size_t)1 << 24);
	buf_addc(&seen, ',', &e);
	jsonw_key(w, list_keys[k], false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		const char *p = o->rows[g[i]].lists[k];

		while (p != NULL && *p != '\0') {
			size_t len = strcspn(p, ",");
			char val[512], mark[516];

			snprintf(val, sizeof(val), "%.*s", (int)len, p);
			snprintf(mark, sizeof(mark), ",%s,", val);
			if (*val != '\0' &&
			    strstr(buf_str(&seen), mark) == NULL) {
				jsonw_raw(w, seen.len > 1 ? "," : "");
				jsonw_str(w, val);
				buf_adds(&seen, mark + 1, &e);
			}
			p += len + (p[len] == ',');
		}
	}
	jsonw_raw(w, "]");
	buf_release(&seen);
}

/* samples, first, last and the lists of the rows in g */
static void
counts_json(struct jsonw *w, const struct failures_out *o, const size_t *g,
    size_t n)
{
	const char *first = o->rows[g[0]].first, *last = o->rows[g[0]].last;
	long long samples = 0;

	for (size_t i = 0; i < n; i++) {
		const struct frow *r = &o->rows[g[i]];

		samples += r->samples;
		if (strcmp(r->first, first) < 0)
			first = r->first;
		if (strcmp(r->last, last) > 0)
			last = r->last;
	}
	jsonw_kv_int(w, "samples", samples, false, false);
	jsonw_kv_str(w, "first", first, false);
	jsonw_kv_str(w, "last", last, false);
	for (size_t k = 0; k < N_LISTS; k++)
		list_json(w, o, g, n, k);
}

/* one sender: the rows in g, its addresses */
static void
sender_json(struct jsonw *w, const struct failures_out *o, const size_t *g,
    size_t n, bool is_first)
{
	const struct frow *r = &o->rows[g[0]];

	jsonw_raw(w, is_first ? "{" : ",{");
	jsonw_kv_str(w, "sender", r->s != NULL ? r->s->key : r->ip, true);
	jsonw_kv_str(w, "name", r->s != NULL ? r->s->name : NULL, false);
	jsonw_kv_str(w, "class", r->s != NULL ?
	    verdict_class_name(r->s->class) : NULL, false);
	counts_json(w, o, g, n);
	jsonw_key(w, "addresses", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "source", o->rows[g[i]].ip, true);
		counts_json(w, o, &g[i], 1);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]}");
}

/* the senders of the rows [start, end): in g, the rows of each one after
 * another; in at and len, where each starts and how many; their count */
static size_t
group_rows(const struct failures_out *o, size_t start, size_t end,
    size_t *g, size_t *at, size_t *len)
{
	bool *done = xcalloc(end - start, sizeof(*done));
	size_t n = 0, n_senders = 0;

	for (size_t i = start; i < end; i++) {
		if (done[i - start])
			continue;
		at[n_senders] = n;
		for (size_t j = i; j < end; j++)
			if (!done[j - start] && same_sender(&o->rows[i],
			    &o->rows[j])) {
				done[j - start] = true;
				g[n++] = j;
			}
		len[n_senders] = n - at[n_senders];
		n_senders++;
	}
	free(done);
	return n_senders;
}

static long long
samples_of(const struct failures_out *o, const size_t *g, size_t n)
{
	long long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += o->rows[g[i]].samples;
	return sum;
}

/*
 * The domain whose rows start at *at (rows come by domain, most samples
 * first): its senders, most samples first (then as the rows come), each
 * with its addresses.
 */
static void
domain_json(struct jsonw *w, const struct failures_out *o, size_t *at,
    bool is_first)
{
	size_t start = *at, end = start, n_senders, *order;
	size_t *g = xcalloc(o->n, sizeof(*g)), *gat, *glen;

	while (end < o->n && strcmp(o->rows[end].domain,
	    o->rows[start].domain) == 0)
		end++;
	gat = xcalloc(end - start, sizeof(*gat));
	glen = xcalloc(end - start, sizeof(*glen));
	order = xcalloc(end - start, sizeof(*order));
	n_senders = group_rows(o, start, end, g, gat, glen);
	for (size_t i = 0; i < n_senders; i++) {	/* insertion sort */
		long long n = samples_of(o, &g[gat[i]], glen[i]);
		size_t j = i;

		for (; j > 0 && samples_of(o, &g[gat[order[j - 1]]],
		    glen[order[j - 1]]) < n; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	jsonw_raw(w, is_first ? "{" : ",{");
	jsonw_kv_str(w, "domain", o->rows[start].domain, true);
	jsonw_key(w, "senders", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n_senders; i++)
		sender_json(w, o, &g[gat[order[i]]], glen[order[i]], i == 0);
	jsonw_raw(w, "]}");
	free(order);
	free(glen);
	free(gat);
	free(g);
	*at = end;
}

static int
render_json(const struct query *q, const struct failures_out *o,
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
	for (size_t at = 0; at < o->n;)
		domain_json(&w, o, &at, at == 0);
	jsonw_raw(&w, "]}\n");
	if (jsonw_finish(&w, err) == 0 && query_print_json(&b, err) == 0)
		ret = 0;
	buf_release(&b);
	return ret;
}

typedef int (*failures_render_fn)(const struct query *q,
    const struct failures_out *o, struct err *err);

static const failures_render_fn renderers[] = {
	[TABLE_TEXT] = render_table,
	[TABLE_JSON] = render_json,
	[TABLE_CSV] = render_table,
};

/* no rows: a notice on stderr (the output keeps its shape); 0 */
static int
say_if_empty(const struct query *q, const struct failures_out *o)
{
	if (o->n == 0)
		query_say_empty(q, "failure reports");
	return 0;
}

int
cmd_failures(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "failures", .default_days = 14,
	    .has_csv = true };
	struct analysis a;
	struct failures_out o = { &a, NULL, 0, 0 };
	struct store_span span;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, false, &a, &err) == -1)
		return query_failed(&q, &err);
	span = (struct store_span){ .since = q.w.since_text,
		.until = q.w.until_text, .domain = q.domain };
	if (store_failures(q.store, &span, failure_row, &o, &err) == -1 ||
	    say_if_empty(&q, &o) == -1 ||
	    renderers[q.format](&q, &o, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	rows_free(&o);
	analysis_release(&a);
	return query_finish(&q, r);
}
