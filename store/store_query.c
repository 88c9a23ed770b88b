#include "store/store_p.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int
store_select(struct store *s, const char *sql, int nparams,
    const char *const *params, store_row_fn fn, void *ctx, struct err *err)
{
	PGresult *res = NULL;
	const char **names = NULL, **values = NULL;
	int ncols, ret = -1;

	if (store_q(s, &res, err, sql, nparams, params) == -1)
		return -1;
	ncols = PQnfields(res);
	names = xcalloc((size_t)ncols + 1, sizeof(*names));
	values = xcalloc((size_t)ncols + 1, sizeof(*values));
	for (int c = 0; c < ncols; c++)
		names[c] = PQfname(res, c);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < ncols; c++)
			values[c] = PQgetisnull(res, r, c) ? NULL :
			    PQgetvalue(res, r, c);
		if (fn != NULL && fn(ctx, (size_t)ncols, names, values,
		    err) == -1)
			goto out;
	}
	ret = 0;
out:
	free(names);
	free(values);
	PQclear(res);
	return ret;
}

int
store_reports_list(struct store *s, const char *since, const char *until,
    store_row_fn fn, void *ctx, struct err *err)
{
	const char *params[2] = { since, until };

	return store_select(s, "SELECT kind, domain, org_name AS reporter, "
	    "report_id, to_char(begin_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "AS begin, to_char(end_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS "
	    "end, records, messages FROM reports WHERE begin_at >= $1 AND "
	    "begin_at < $2 ORDER BY begin_at, domain, org_name, report_id", 2,
	    params, fn, ctx, err);
}

int
store_errors_list(struct store *s, store_row_fn fn, void *ctx,
    struct err *err)
{
	return store_select(s, "SELECT id, to_char(at, "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at, source, code, cause, "
	    "CASE WHEN raw_id IS NULL THEN source ELSE 'raw_inputs.id=' || "
	    "raw_id END AS original FROM ingest_errors ORDER BY at, id", 0,
	    NULL, fn, ctx, err);
}

int
store_report_count(struct store *s, const char *domain, int64_t *out,
    struct err *err)
{
	const char *params[1] = { domain };
	PGresult *res = NULL;

	if (store_q(s, &res, err, "SELECT count(*) FROM reports WHERE domain "
	    "= $1", 1, params) == -1)
		return -1;
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
store_last_heard(struct store *s, const char *since, const char *domain,
    store_heard_fn fn, void *ctx, struct err *err)
{
	const char *params[2] = { since, domain };
	PGresult *res = NULL;
	int ret = 0;

	if (store_q(s, &res, err, "SELECT domain, kind, to_char(max(end_at), "
	    "'YYYY-MM-DD HH24:MI\"Z\"'), floor(extract(epoch FROM now() - "
	    "max(end_at)) / 86400)::bigint FROM reports WHERE begin_at >= $1 "
	    "AND ($2::text IS NULL OR domain = $2) GROUP BY domain, kind ORDER "
	    "BY domain, kind", 2, params) == -1)
		return -1;
	for (int i = 0; i < PQntuples(res) && ret == 0; i++) {
		struct store_heard h = {
			.domain = PQgetvalue(res, i, 0),
			.is_tlsrpt = strcmp(PQgetvalue(res, i, 1),
			    "tlsrpt") == 0,
			.last_end = PQgetvalue(res, i, 2),
			.days = strtoll(PQgetvalue(res, i, 3), NULL, 10),
		};

		ret = fn(ctx, &h, err);
	}
	PQclear(res);
	return ret;
}

