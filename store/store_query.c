#include "store/store_p.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timefmt.h"
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
    const char *domain, store_row_fn fn, void *ctx, struct err *err)
{
	const char *params[3] = { since, until, domain };

	/* the domain as the report named it (the keyed column may hold a
	 * part of a long one) */
	return store_select(s, "SELECT kind, coalesce(domain_full, domain) AS "
	    "domain, org_name AS reporter, "
	    "report_id, to_char(begin_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "AS begin, to_char(end_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS "
	    "end, records, messages FROM reports WHERE begin_at >= $1 AND "
	    "begin_at < $2 AND ($3::text IS NULL OR lower(coalesce(domain_full, "
	    "domain)) = $3) ORDER BY begin_at, domain, org_name, report_id", 3,
	    params, fn, ctx, err);
}

int
store_errors_list(struct store *s, const char *since, const char *until,
    store_row_fn fn, void *ctx, struct err *err)
{
	const char *params[2] = { since, until };

	return store_select(s, "SELECT id, to_char(at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at, source, code, cause, "
	    "CASE WHEN raw_id IS NULL THEN source ELSE 'raw_inputs.id=' || "
	    "raw_id END AS original, raw_id FROM ingest_errors WHERE at >= "
	    "$1 AND at < $2 ORDER BY at, id", 2, params, fn, ctx, err);
}

int
store_report_exists(struct store *s, const char *domain, bool *out,
    struct err *err)
{
	const char *params[1] = { domain };

	return store_q_exists(s, out, err, "SELECT 1 FROM reports WHERE "
	    "$1::text IS NULL OR domain = $1 LIMIT 1", 1, params, NULL, NULL);
}

int
store_report_seen(struct store *s, const struct report *r, bool *out,
    struct err *err)
{
	char domain[STORE_KEY_MAX + 1], begin[32], end[32];
	const char *params[7] = { store_key_copy(r->domain ? r->domain : "",
		domain), r->domain ? r->domain : "", report_kind_name(r->kind),
		r->org_name ? r->org_name : "", r->report_id ? r->report_id :
		"", begin, end };

	timefmt_iso(r->begin, begin, sizeof(begin));
	timefmt_iso(r->end, end, sizeof(end));
	return store_q_exists(s, out, err, "SELECT 1 FROM reports WHERE "
	    "domain = $1 AND coalesce(domain_full, domain) = $2 AND kind = $3 "
	    "AND translate(org_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	    "'abcdefghijklmnopqrstuvwxyz') = translate($4, "
	    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AND "
	    "report_id = $5 AND begin_at = $6 AND end_at = $7 LIMIT 1", 7,
	    params, NULL, NULL);
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

/* --- reverse DNS cache --- */

int
store_rdns_cached(struct store *s, const char *const *ips, size_t n,
    store_rdns_fn fn, void *ctx, struct err *err)
{
	struct buf arr;
	PGresult *res = NULL;
	int ret = -1;

	if (n == 0)
		return 0;
	buf_init(&arr, 64u << 20);
	if (store_array_literal(&arr, ips, n, err) == -1 ||
	    store_q(s, &res, err, "SELECT ip, name FROM rdns_cache WHERE ip = "
	    "ANY($1::text[]) AND expires_at > now()", 1,
	    (const char *const[]){ buf_str(&arr) }) == -1)
		goto out;
	ret = 0;
	for (int i = 0; i < PQntuples(res) && ret == 0; i++)
		ret = fn(ctx, PQgetvalue(res, i, 0), PQgetisnull(res, i, 1) ?
		    NULL : PQgetvalue(res, i, 1), err);
out:
	PQclear(res);
	buf_release(&arr);
	return ret;
}

/*
 * Rows are sent as arrays, SAVE_CHUNK at a time: one statement per row
 * cost a round trip each (seconds for thousands of domains), one
 * statement for all would grow with them without bound.
 */
enum { SAVE_CHUNK = 10000, SAVE_MAX_COLS = 5 };

/* rows [from, from + n) of a table of ncols columns, cell(row, col) */
typedef const char *(*save_cell_fn)(const void *rows, size_t row,
    size_t col, char *tmp, size_t tmp_size);

struct save {
	const char *sql;	/* $k is the array of column k */
	size_t ncols;
	save_cell_fn cell;
};

static int
save_chunk(struct store *s, const struct save *sv, const void *rows,
    size_t from, size_t n, struct err *err)
{
	struct buf a[SAVE_MAX_COLS];
	const char *params[SAVE_MAX_COLS];
	const char **col = xcalloc(n + 1, sizeof(*col));
	char (*tmp)[32] = xcalloc(n + 1, sizeof(*tmp));
	int ret = 0;

	assert(sv->ncols <= SAVE_MAX_COLS);
	for (size_t c = 0; c < sv->ncols; c++)
		buf_init(&a[c], 256u << 20);
	for (size_t c = 0; c < sv->ncols && ret == 0; c++) {
		for (size_t i = 0; i < n; i++)
			col[i] = sv->cell(rows, from + i, c, tmp[i],
			    sizeof(tmp[i]));
		ret = store_array_literal(&a[c], col, n, err);
		params[c] = buf_str(&a[c]);
	}
	if (ret == 0)
		ret = store_q(s, NULL, err, sv->sql, (int)sv->ncols, params);
	for (size_t c = 0; c < sv->ncols; c++)
		buf_release(&a[c]);
	free(col);
	free(tmp);
	return ret;
}

static int
save_rows(struct store *s, const struct save *sv, const void *rows,
    size_t n, struct err *err)
{
	for (size_t from = 0; from < n; from += SAVE_CHUNK)
		if (save_chunk(s, sv, rows, from, n - from < SAVE_CHUNK ?
		    n - from : SAVE_CHUNK, err) == -1)
			return -1;
	return 0;
}

static const char *
rdns_cell(const void *rows, size_t row, size_t col, char *tmp, size_t size)
{
	const struct store_rdns *r = (const struct store_rdns *)rows + row;

	if (col == 3) {
		snprintf(tmp, size, "%d", r->ttl);
		return tmp;
	}
	return col == 0 ? r->ip : col == 1 ? r->name : r->status;
}

int
store_rdns_save(struct store *s, const struct store_rdns *rows, size_t n,
    struct err *err)
{
	static const struct save sv = { "INSERT INTO rdns_cache AS c (ip, "
	    "name, status, expires_at) SELECT u.ip, u.name, u.status, now() + "
	    "make_interval(secs => u.ttl) FROM unnest($1::text[], "
	    "$2::text[], $3::text[], $4::int[]) AS u(ip, name, status, "
	    "ttl) ON CONFLICT (ip) DO UPDATE SET name = EXCLUDED.name, "
	    "status = EXCLUDED.status, resolved_at = EXCLUDED.resolved_at, "
	    "expires_at = EXCLUDED.expires_at", 4, rdns_cell };

	return save_rows(s, &sv, rows, n, err);
}

/* --- what the analysis concluded, for dashboards and monitoring --- */

static const char *
class_cell(const void *rows, size_t row, size_t col, char *tmp, size_t size)
{
	const struct store_class *r = (const struct store_class *)rows + row;

	(void)tmp, (void)size;
	return col == 0 ? r->domain : col == 1 ? r->source : col == 2 ?
	    r->class_name : r->sender;
}

int
store_save_classes(struct store *s, const struct store_class *rows,
    size_t n, struct err *err)
{
	static const struct save sv = { "INSERT INTO source_classes AS c "
	    "(domain, source, class, sender) SELECT DISTINCT ON (u.domain, "
	    "u.source) u.domain, u.source, u.class, u.sender FROM "
	    "unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS "
	    "u(domain, source, class, sender) ORDER BY 1, 2 ON CONFLICT "
	    "(domain, source) DO UPDATE SET class = EXCLUDED.class, sender = "
	    "EXCLUDED.sender, judged_at = CASE WHEN c.class IS DISTINCT FROM "
	    "EXCLUDED.class THEN EXCLUDED.judged_at ELSE c.judged_at END WHERE "
	    "c.class IS DISTINCT FROM EXCLUDED.class OR c.sender IS DISTINCT "
	    "FROM EXCLUDED.sender", 4, class_cell };

	return save_rows(s, &sv, rows, n, err);
}

static const char *
verdict_cell(const void *rows, size_t row, size_t col, char *tmp,
    size_t size)
{
	const struct store_verdict *r = (const struct store_verdict *)rows +
	    row;

	if (col == 4) {
		snprintf(tmp, size, "%.6f", r->legitimate_pass_rate);
		return tmp;
	}
	return col == 0 ? r->domain : col == 1 ? r->verdict : col == 2 ?
	    r->policy : r->next_record;
}

int
store_save_verdicts(struct store *s, const struct store_verdict *rows,
    size_t n, struct err *err)
{
	static const struct save sv = { "INSERT INTO domain_verdicts AS v "
	    "(domain, verdict, policy, next_record, legitimate_pass_rate) "
	    "SELECT u.domain, u.verdict, u.policy, u.next_record, "
	    "u.rate::float8 FROM unnest($1::text[], $2::text[], $3::text[], "
	    "$4::text[], $5::text[]) AS u(domain, verdict, policy, "
	    "next_record, rate) ORDER BY 1 ON CONFLICT (domain) DO UPDATE SET "
	    "verdict = EXCLUDED.verdict, policy = EXCLUDED.policy, "
	    "next_record = EXCLUDED.next_record, legitimate_pass_rate = "
	    "EXCLUDED.legitimate_pass_rate, judged_at = EXCLUDED.judged_at", 5,
	    verdict_cell };

	return save_rows(s, &sv, rows, n, err);
}

/* --- the analysis: rollups over a span of days --- */

/* sql with $1 since, $2 until, $3 domain and $4 recent: the first n */
static int
query_span(struct store *s, const char *sql, int n,
    const struct store_span *span, store_row_fn fn, void *ctx,
    struct err *err)
{
	const char *params[4] = { span->since, span->until, span->domain,
		span->recent };

	return store_select(s, sql, n, params, fn, ctx, err);
}

int
store_analysis_session(struct store *s, struct err *err)
{
	return store_exec(s, "SET work_mem = '64MB'; SET jit = off", err);
}

/* 64-bit sums that saturate (sql/008): a reporter's absurd count never
 * makes the analysis fail; one reporter may claim billions of messages
 * of one source and day (an int4 cast failed the whole query on them) */
int
store_domain_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT domain, dmarcctl_clamp(sum(reports)), "
	    "dmarcctl_clamp(sum(messages)), dmarcctl_clamp(sum(dmarc_pass)), "
	    "dmarcctl_clamp(sum(dkim_aligned)), "
	    "dmarcctl_clamp(sum(spf_aligned)), "
	    "dmarcctl_clamp(sum(quarantined)), dmarcctl_clamp(sum(rejected)), "
	    "dmarcctl_clamp(sum(subdomain)), "
	    "dmarcctl_clamp(sum(subdomain_fail)), "
	    "dmarcctl_clamp(sum(disagree)), count(DISTINCT day), "
	    "count(DISTINCT org_name) FROM domain_daily WHERE day >= $1::date "
	    "AND day < $2::date AND ($3::text IS NULL OR domain = $3) GROUP BY "
	    "domain ORDER BY domain", 3, span, fn, ctx, err);
}

int
store_domain_policies(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "WITH w AS (SELECT * FROM reports WHERE kind = "
	    "'dmarc' AND begin_at >= $1 AND begin_at < $2 AND ($3::text IS "
	    "NULL OR domain = $3)), q AS (SELECT domain, count(DISTINCT "
	    "(begin_at AT TIME ZONE 'UTC')::date) AS days FROM w WHERE (p = "
	    "'quarantine' AND coalesce(pct, 100) >= 100 AND coalesce(testing, "
	    "'n') <> 'y') OR p = 'reject' GROUP BY domain) SELECT DISTINCT ON "
	    "(w.domain) w.domain, p, sp, np, pct, adkim, aspf, testing, "
	    "coalesce(q.days, 0) FROM w LEFT JOIN q USING (domain) ORDER BY "
	    "w.domain, begin_at DESC, id DESC", 3, span, fn, ctx, err);
}

int
store_source_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	struct buf nx;
	const char *params[5] = { span->since, span->until, span->domain,
		span->recent, NULL };
	int ret;

	buf_init(&nx, 64u << 20);
	if (store_array_literal(&nx, span->nonexistent, span->n_nonexistent,
	    err) == -1) {
		buf_release(&nx);
		return -1;
	}
	params[4] = buf_str(&nx);
	ret = store_select(s, "SELECT domain, source, "
	    "dmarcctl_clamp(sum(messages)), dmarcctl_clamp(sum(dmarc_pass)), "
	    "dmarcctl_clamp(sum(dkim_aligned)), "
	    "dmarcctl_clamp(sum(spf_aligned)), coalesce(dmarcctl_clamp("
	    "sum(messages) FILTER (WHERE day >= $4::date)), 0), "
	    "coalesce(dmarcctl_clamp(sum(dmarc_pass) FILTER (WHERE day >= "
	    "$4::date)), 0), dmarcctl_clamp(sum(dkim_foreign)), "
	    "dmarcctl_clamp(sum(spf_foreign)), "
	    "dmarcctl_clamp(sum(dkim_missing)), "
	    "dmarcctl_clamp(sum(own_dkim_broken)), "
	    "dmarcctl_clamp(sum(overridden)), dmarcctl_clamp(sum(disagree)), "
	    "max(foreign_dkim), max(foreign_spf), count(*), CASE WHEN "
	    "from_domain = '' THEN 'o' WHEN from_domain = ANY($5::text[]) "
	    "THEN 'n' ELSE 's' END, min(spf_low), bit_or(1::bigint << CASE "
	    "WHEN $2::date - $1::date <= 64 THEN day - $1::date ELSE (day - "
	    "$1::date) * 64 / ($2::date - $1::date) END), min(dkim_low) "
	    "FROM source_daily WHERE day >= $1::date AND day < $2::date AND "
	    "($3::text IS NULL OR domain = $3) GROUP BY domain, source, 18",
	    5, params, fn, ctx, err);
	buf_release(&nx);
	return ret;
}

int
store_subdomains(struct store *s, const struct store_span *span,
    long limit, store_row_fn fn, void *ctx, struct err *err)
{
	char lim[24];
	const char *params[4] = { span->since, span->until, span->domain,
		lim };

	snprintf(lim, sizeof(lim), "%ld", limit);
	return store_select(s, "SELECT domain, from_domain, "
	    "dmarcctl_clamp(sum(messages)) FROM source_daily WHERE day >= "
	    "$1::date AND day < $2::date AND ($3::text IS NULL OR domain = "
	    "$3) AND from_domain <> '' GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 "
	    "LIMIT $4::bigint", 4, params, fn, ctx, err);
}

int
store_dkim_selectors(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT domain, d, sel, passed FROM (SELECT "
	    "domain, d, sel, passed, row_number() OVER (PARTITION BY domain "
	    "ORDER BY n DESC, d, sel) AS k FROM (SELECT domain, "
	    "lower(dkim_domain) AS d, lower(selector) AS sel, bool_or(result = "
	    "'pass') AS passed, count(*) AS n FROM dkim_results WHERE "
	    "begin_at >= $1 AND begin_at < $2 AND ($3::text IS NULL OR "
	    "domain = $3) AND selector IS NOT NULL AND selector ~ "
	    "'^[A-Za-z0-9._-]{1,63}$' AND (lower(dkim_domain) = domain OR "
	    "right(lower(dkim_domain), length(domain) + 1) = '.' || domain) "
	    "GROUP BY 1, 2, 3) g) r WHERE k <= 64 ORDER BY domain, d, sel", 3,
	    span, fn, ctx, err);
}

int
store_failures(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT domain, host(source_ip) AS source_ip, "
	    "count(*) AS samples, min(arrival_at) AS first, max(arrival_at) "
	    "AS last, string_agg(DISTINCT auth_failure, ',') AS "
	    "auth_failures, string_agg(DISTINCT dkim_selector, ',') AS "
	    "dkim_selectors, string_agg(DISTINCT dkim_domain, ',') AS "
	    "dkim_domains, string_agg(DISTINCT header_from, ',') AS "
	    "from_domains, string_agg(DISTINCT delivery_result, ',') AS "
	    "delivery_results FROM failure_samples WHERE arrival_at >= $1 AND "
	    "arrival_at < $2 AND ($3::text IS NULL OR domain = $3) GROUP BY "
	    "domain, source_ip ORDER BY domain, 3 DESC, 2", 3, span, fn, ctx,
	    err);
}

/*
 * The originals among ids (a bigint[] literal) that no report or error
 * names any more go; Citus deletes from a reference table (raw_inputs)
 * only with other reference tables in the statement, so the ids still
 * named are found first.
 */
static int
prune_originals(struct store *s, const char *ids, struct err *err)
{
	const char *params[1] = { ids };
	PGresult *res = NULL;
	const char *p2[1];
	int ret;

	if (store_q(s, &res, err, "SELECT coalesce(array_agg(u.id), '{}') "
	    "FROM unnest($1::bigint[]) AS u(id) WHERE u.id NOT IN (SELECT "
	    "raw_id FROM reports WHERE raw_id = ANY ($1::bigint[])) AND u.id "
	    "NOT IN (SELECT raw_id FROM ingest_errors WHERE raw_id = ANY "
	    "($1::bigint[]))", 1, params) == -1)
		return -1;
	p2[0] = PQgetvalue(res, 0, 0);
	ret = store_q(s, NULL, err, "DELETE FROM raw_inputs WHERE id = ANY "
	    "($1::bigint[])", 1, p2);
	PQclear(res);
	return ret;
}

int
store_prune_failures(struct store *s, const char *before, bool is_dry,
    long long *out, struct err *err)
{
	const char *params[1] = { before };
	PGresult *res = NULL;

	if (is_dry) {
		if (store_q(s, &res, err, "SELECT count(*) FROM "
		    "failure_samples WHERE arrival_at < $1", 1, params) == -1)
			return -1;
		*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		return 0;
	}
	/* the samples go with their reports, and so do the originals that
	 * keep = full archived, unless another report or an error still
	 * names them: a user's mail outlives no retention.  One
	 * transaction. */
	if (store_exec(s, "BEGIN", err) == -1)
		return -1;
	if (store_q(s, &res, err, "WITH f AS (DELETE FROM failure_samples "
	    "WHERE arrival_at < $1 RETURNING domain, report), r AS (DELETE "
	    "FROM reports x USING f WHERE x.domain = f.domain AND x.id = "
	    "f.report AND x.kind = 'failure' RETURNING x.raw_id) SELECT "
	    "count(*), coalesce(array_agg(DISTINCT raw_id) FILTER (WHERE "
	    "raw_id IS NOT NULL), '{}') FROM r", 1, params) == -1 ||
	    prune_originals(s, PQgetvalue(res, 0, 1), err) == -1 ||
	    store_exec(s, "COMMIT", err) == -1) {
		PQclear(res);
		PQclear(PQexec(s->conn, "ROLLBACK"));
		return -1;
	}
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* the first value of a one-row result, as a number */
static long long
first_count(PGresult *res)
{
	return strtoll(PQgetvalue(res, 0, 0), NULL, 10);
}

int
store_prune_reports(struct store *s, const char *before, bool is_dry,
    struct store_pruned *out, struct err *err)
{
	const char *params[2] = { before, is_dry ? "t" : "f" };
	PGresult *res = NULL, *e = NULL;

	memset(out, 0, sizeof(*out));
	if (is_dry) {
		if (store_q(s, &res, err, "SELECT (SELECT count(*) FROM "
		    "reports WHERE begin_at < $1 AND kind <> 'failure'), "
		    "(SELECT count(*) FROM ingest_errors WHERE at < $1), "
		    "(SELECT count(*) FROM dmarcctl_prune_partitions($1, "
		    "true))", 1, params) == -1)
			return -1;
		out->reports = first_count(res);
		out->errors = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		out->partitions = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		PQclear(res);
		return 0;
	}
	/* the rows first, in one transaction (the originals no report or
	 * error names any more go with them); then the partitions, which
	 * hold only records of reports gone: a prune stopped between the
	 * two leaves them to the next one */
	if (store_exec(s, "BEGIN", err) == -1)
		return -1;
	if (store_q(s, &res, err, "WITH r AS (DELETE FROM reports WHERE "
	    "begin_at < $1 AND kind <> 'failure' RETURNING raw_id) SELECT "
	    "count(*), coalesce(array_agg(DISTINCT raw_id) FILTER (WHERE "
	    "raw_id IS NOT NULL), '{}') FROM r", 1, params) == -1 ||
	    store_q(s, &e, err, "WITH x AS (DELETE FROM ingest_errors WHERE "
	    "at < $1 RETURNING raw_id) SELECT count(*), "
	    "coalesce(array_agg(DISTINCT raw_id) FILTER (WHERE raw_id IS NOT "
	    "NULL), '{}') FROM x", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM tls_policies WHERE begin_at < "
	    "$1", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM tls_failures WHERE begin_at < "
	    "$1", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM domain_daily WHERE day < "
	    "$1::timestamptz::date", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM source_daily WHERE day < "
	    "$1::timestamptz::date", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM tls_daily WHERE day < "
	    "$1::timestamptz::date", 1, params) == -1 ||
	    store_q(s, NULL, err, "DELETE FROM tls_daily_failures WHERE day "
	    "< $1::timestamptz::date", 1, params) == -1 ||
	    prune_originals(s, PQgetvalue(res, 0, 1), err) == -1 ||
	    prune_originals(s, PQgetvalue(e, 0, 1), err) == -1 ||
	    store_exec(s, "COMMIT", err) == -1) {
		PQclear(res);
		PQclear(e);
		PQclear(PQexec(s->conn, "ROLLBACK"));
		return -1;
	}
	out->reports = first_count(res);
	out->errors = first_count(e);
	PQclear(res);
	PQclear(e);
	res = NULL;
	if (store_q(s, &res, err, "SELECT count(*) FROM "
	    "dmarcctl_prune_partitions($1, $2)", 2, params) == -1)
		return -1;
	out->partitions = first_count(res);
	PQclear(res);
	return 0;
}

int
store_reporters_overruled(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT domain, org_name, "
	    "dmarcctl_clamp(sum(overruled)), dmarcctl_clamp(sum(messages)), "
	    "dmarcctl_clamp(sum(unproved)) FROM domain_daily WHERE day >= "
	    "$1::date AND day < $2::date AND ($3::text IS NULL OR domain = "
	    "$3) GROUP BY domain, org_name HAVING sum(overruled) > 0 OR "
	    "sum(unproved) > 0 ORDER BY domain, 3 DESC, 5 DESC, org_name", 3,
	    span, fn, ctx, err);
}

int
store_tls_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "WITH d AS (SELECT domain, count(DISTINCT day) AS "
	    "days, count(DISTINCT org_name) AS reporters FROM tls_daily WHERE "
	    "day >= $1::date AND day < $2::date AND ($3::text IS NULL OR "
	    "domain = $3) GROUP BY domain) SELECT t.domain, t.policy_type, "
	    "dmarcctl_clamp(sum(dmarcctl_add(t.successful, t.failed))), "
	    "dmarcctl_clamp(sum(t.failed)), max(d.days), "
	    "max(d.reporters) FROM tls_daily t JOIN d USING (domain) WHERE "
	    "t.day >= $1::date AND t.day < $2::date GROUP BY t.domain, "
	    "t.policy_type ORDER BY t.domain, t.policy_type", 3,
	    span, fn, ctx, err);
}

int
store_tls_modes(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT coalesce(policy_domain, domain), "
	    "array_to_string(policy_strings, E'\\n') FROM tls_policies WHERE "
	    "policy_type = 'sts' AND begin_at >= $1 AND begin_at < $2 AND "
	    "($3::text IS NULL OR coalesce(policy_domain, domain) = $3) "
	    "ORDER BY begin_at DESC, report DESC", 3, span, fn, ctx, err);
}

/*
 * One row per MX (case aside) and result type, tlsa policies apart from
 * the others: reporters and days of an MX failing under sts for one
 * reporter and without a policy for another are counted once each.
 *
 * Evidence of repair of a failure at an MX: after the last day it was
 * seen, a reporter that saw it sent a failure-free report, with
 * sessions, for an MTA-STS policy whose only MX is that one (so those
 * sessions went to it: TLS-RPT has no success counts per MX).  f: the
 * failures, o: who saw each, c: the latest failure-free report of each
 * reporter and sole MX.  Joined on equal keys only: the rows of f and c
 * can each run to hundreds of thousands.
 *
 * Evidence that the MX left the policy: after the last day it was seen,
 * a reporter that saw it sent a failure-free report, with sessions, for
 * an MTA-STS policy whose MX list is known and matches it nowhere (an MX
 * still in DNS but not in the policy fails validation: such a report
 * would not be failure-free).  k: the latest failure-free report of each
 * reporter and MX list (a few per reporter), matched against the MX
 * names in x: "*." stands for one whole left-most label (RFC 8461 4.1).
 */
int
store_tls_failures(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "WITH g AS (SELECT domain, policy_type = 'tlsa' "
	    "AS is_tlsa, nullif(policy_type, '') AS policy_type, lower(mx) AS "
	    "mx, result_type, org_name, day, sessions FROM tls_daily_failures "
	    "WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL "
	    "OR domain = $3)), f AS (SELECT domain, is_tlsa, mx, result_type, "
	    "string_agg(DISTINCT policy_type, ',') AS policy_types, "
	    "dmarcctl_clamp(sum(sessions)) AS sessions, "
	    "coalesce(dmarcctl_clamp(sum(sessions) FILTER (WHERE day >= "
	    "$4::date)), 0) AS recent, count(DISTINCT org_name) AS reporters, "
	    "count(DISTINCT day) AS days, max(day) AS last_seen FROM g "
	    "GROUP BY 1, 2, 3, 4), o AS (SELECT DISTINCT domain, is_tlsa, mx, "
	    "result_type, org_name FROM g WHERE mx <> ''), c AS (SELECT "
	    "coalesce(dmarcctl_cap(p.policy_domain), p.domain) AS domain, "
	    "lower(rtrim(p.mx_hosts[1], '.')) AS mx, dmarcctl_cap(r.org_name) "
	    "AS org_name, max((p.begin_at AT TIME ZONE 'UTC')::date) AS day "
	    "FROM tls_policies p JOIN reports r ON r.domain = p.domain AND "
	    "r.id = p.report WHERE p.policy_type = 'sts' AND "
	    "cardinality(p.mx_hosts) = 1 AND p.successful > 0 AND p.failed = 0 "
	    "AND p.begin_at >= $1::date::timestamp AT TIME ZONE 'UTC' AND "
	    "p.begin_at < $2::date::timestamp AT TIME ZONE 'UTC' GROUP BY 1, "
	    "2, 3), e AS (SELECT f.domain, f.is_tlsa, f.mx, f.result_type, "
	    "max(c.day) AS repaired_on FROM f JOIN o USING (domain, is_tlsa, "
	    "mx, result_type) JOIN c ON c.domain = o.domain AND c.mx = "
	    "rtrim(o.mx, '.') AND c.org_name = o.org_name WHERE c.day > "
	    "f.last_seen GROUP BY 1, 2, 3, 4), k AS (SELECT "
	    "coalesce(dmarcctl_cap(p.policy_domain), p.domain) AS domain, "
	    "dmarcctl_cap(r.org_name) AS org_name, p.mx_hosts, "
	    "max((p.begin_at AT TIME ZONE 'UTC')::date) AS day FROM "
	    "tls_policies p JOIN reports r ON r.domain = p.domain AND r.id = "
	    "p.report WHERE p.policy_type = 'sts' AND cardinality(p.mx_hosts) "
	    "> 0 AND p.successful > 0 AND p.failed = 0 AND p.begin_at >= "
	    "$1::date::timestamp AT TIME ZONE 'UTC' AND p.begin_at < "
	    "$2::date::timestamp AT TIME ZONE 'UTC' GROUP BY 1, 2, 3), x AS "
	    "(SELECT f.domain, f.is_tlsa, f.mx, f.result_type, max(k.day) AS "
	    "retired_on FROM f JOIN o USING (domain, is_tlsa, mx, "
	    "result_type) JOIN k ON k.domain = o.domain AND k.org_name = "
	    "o.org_name WHERE k.day > f.last_seen AND NOT EXISTS (SELECT 1 "
	    "FROM unnest(k.mx_hosts) h WHERE lower(rtrim(h, '.')) = "
	    "rtrim(o.mx, '.') OR (left(h, 2) = '*.' AND lower(substr(rtrim(h, "
	    "'.'), 2)) = substr(rtrim(o.mx, '.'), strpos(o.mx, '.')))) GROUP "
	    "BY 1, 2, 3, 4) SELECT f.domain, f.policy_types, f.mx, "
	    "f.result_type, f.sessions, f.recent, f.reporters, f.days, "
	    "to_char(f.last_seen, 'YYYY-MM-DD'), to_char(e.repaired_on, "
	    "'YYYY-MM-DD'), to_char(x.retired_on, 'YYYY-MM-DD') FROM f LEFT "
	    "JOIN e USING (domain, is_tlsa, mx, result_type) LEFT JOIN x USING "
	    "(domain, is_tlsa, mx, result_type) ORDER BY f.domain, f.sessions "
	    "DESC, f.mx, f.result_type, f.is_tlsa", 4, span, fn, ctx, err);
}

int
store_failure_evidence(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err)
{
	return query_span(s, "SELECT domain, host(source_ip), auth_failure, "
	    "dkim_selector, dkim_domain, count(*) FROM failure_samples WHERE "
	    "arrival_at >= $1 AND arrival_at < $2 AND ($3::text IS NULL OR "
	    "domain = $3 OR right(domain, length($3) + 1) = '.' || $3) AND "
	    "source_ip IS NOT NULL GROUP BY 1, 2, 3, 4, 5 "
	    "ORDER BY 1, 2", 3, span, fn, ctx, err);
}
