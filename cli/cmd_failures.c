/*
 * dmarcctl failures: the failure report samples (ruf) stored over the
 * window, per policy domain and sending address, each named by the
 * sender the analysis groups it into, with the failure types, DKIM
 * selectors and domains, From domains and delivery results the samples
 * show.  What a sample keeps is [failures] keep; this shows metadata only.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "common/log.h"
#include "store/store.h"

struct failures_out {
	const struct analysis *a;
	struct table *t;
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

/* a row of store_failures, with the sender and its class put in */
static int
failure_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct failures_out *o = ctx;
	const char *nn[16], *vv[16];
	const struct sender *s;
	size_t n = 0;

	if (ncols < 2 || ncols > 13)
		return err_set(err, ERR_DB, "failures: %zu columns", ncols);
	s = sender_of(o->a, v[0], v[1]);
	for (size_t i = 0; i < ncols; i++) {
		nn[n] = names[i];
		vv[n++] = v[i];
		if (i == 1) {
			nn[n] = "sender";
			vv[n++] = s != NULL ? s->name : NULL;
			nn[n] = "class";
			vv[n++] = s != NULL ? verdict_class_name(s->class) :
			    NULL;
		}
	}
	return table_add_row(o->t, n, nn, vv, err);
}

int
cmd_failures(int argc, char **argv, const struct config *cfg)
{
	static const char *const numbers[] = { "samples", NULL };
	struct query q = { .name = "failures", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json|csv]", .default_days = 14, .has_csv = true };
	struct analysis a;
	struct failures_out o = { &a, NULL };
	struct store_span span;
	struct err err;
	int r = query_start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (query_load_judged(&q, &q.w, false, &a, &err) == -1)
		return query_failed(&q, &err);
	span = (struct store_span){ .since = q.w.since_text,
		.until = q.w.until_text, .domain = q.domain };
	table_new(&o.t, numbers);
	table_set_json_head(o.t, query_window_head, &q.w);
	if (q.format == TABLE_TEXT)
		query_print_window(&q.w, TABLE_TEXT, NULL);
	if (store_failures(q.store, &span, failure_row, &o, &err) == -1 ||
	    table_print(o.t, q.format, "failures", stdout, &err) == -1) {
		log_error("%s", err.msg);
		r = cmd_exit_status(err.code);
	}
	table_free(o.t);
	analysis_release(&a);
	return query_finish(&q, r);
}
