#include "store/store_p.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int
store_try_lock(struct store *s, const char *name, struct err *err)
{
	const char *const params[] = { name };
	PGresult *res = NULL;
	int ret;

	if (store_q(s, &res, err, "SELECT "
	    "pg_try_advisory_lock(hashtextextended('dmarcctl lock ' || $1, 0))",
	    1, params) == -1)
		return -1;
	ret = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return ret;
}


/* what reparse rebuilds; a batch locks it against concurrent loaders */
static const char lock_derived[] = "LOCK TABLE reports, records, "
    "record_reasons, dkim_results, spf_results, tls_policies, tls_failures, "
    "tls_daily, tls_daily_failures, domain_daily, source_daily, "
    "ingest_errors IN SHARE ROW EXCLUSIVE MODE";

int
store_batch_begin(struct store *s, struct err *err)
{
	assert(!s->in_batch && !s->in_tx);
	/* the stage outlives reports: made before the transaction */
	if (store_ensure_stage(s, err) == -1 || store_exec(s, "BEGIN; SET "
	    "LOCAL work_mem = '64MB'", err) == -1)
		return -1;
	s->in_batch = true;
	s->old_max = -1;
	/* ids reserved before are below the batch's old_max: not for it */
	store_forget_ids(s);
	if (store_exec(s, lock_derived, err) == -1) {
		store_batch_end(s, false, NULL);
		return -1;
	}
	return 0;
}

int
store_clear_derived(struct store *s, struct err *err)
{
	PGresult *res = NULL;

	assert(s->in_batch);
	/* reports up to here are the old ones: each goes when its input is
	 * parsed again (store_unit_begin) */
	if (store_q(s, &res, err, "SELECT coalesce(max(id), 0) FROM reports", 0,
	    NULL) == -1)
		return -1;
	s->old_max = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return store_exec(s, "DELETE FROM domain_daily; DELETE FROM "
	    "source_daily; DELETE FROM tls_daily; DELETE FROM "
	    "tls_daily_failures; DELETE FROM ingest_errors WHERE raw_id IS NOT "
	    "NULL", err);
}

int
store_unit_begin(struct store *s, int64_t raw_id, struct err *err)
{
	char id[32];
	const char *params[1] = { id };

	assert(s->in_batch);
	s->unit_stats = s->stats;
	snprintf(id, sizeof(id), "%lld", (long long)raw_id);
	snprintf(s->unit_raw, sizeof(s->unit_raw), "%s", id);
	if (store_exec(s, "SAVEPOINT unit", err) == -1)
		return -1;
	/* the children go in one sweep at the end (store_batch_end) */
	return s->old_max < 0 ? 0 : store_q(s, NULL, err, "DELETE FROM reports "
	    "WHERE raw_id = $1", 1, params);
}

int
store_unit_end(struct store *s, bool is_kept, struct err *err)
{
	const char *params[1] = { s->unit_raw };

	assert(s->in_batch && !s->in_tx);
	/* an input that reads whole now has no error left */
	if (is_kept)
		return store_q(s, NULL, err, "DELETE FROM ingest_errors WHERE "
		    "raw_id = $1", 1, params) == -1 ? -1 :
		    store_exec(s, "RELEASE SAVEPOINT unit", err);
	s->stats = s->unit_stats;
	return store_exec(s, "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT "
	    "unit",
	    err);
}

/* the rows of the reports that went, in one pass per table */
static const char *const sweep_children[] = {
	"records", "record_reasons", "dkim_results", "spf_results",
	"tls_policies", "tls_failures",
};

static int
sweep(struct store *s, struct err *err)
{
	char sql[256], upto[32];
	const char *params[1] = { upto };

	snprintf(upto, sizeof(upto), "%lld", s->old_max);
	for (size_t i = 0; i < sizeof(sweep_children) /
	    sizeof(sweep_children[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s c WHERE c.report <= "
		    "$1 AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.domain "
		    "= c.domain AND r.id = c.report)", sweep_children[i]);
		if (store_q(s, NULL, err, sql, 1, params) == -1)
			return -1;
	}
	return 0;
}

int
store_batch_end(struct store *s, bool is_commit, struct err *err)
{
	int ret = 0;

	assert(s->in_batch && !s->in_tx);
	if (is_commit && s->old_max >= 0 &&
	    (sweep(s, err) == -1 || store_kept_rollups(s, err) == -1))
		is_commit = false, ret = -1;
	if (is_commit && store_exec(s, "COMMIT", err) == -1)
		ret = -1;
	if (!is_commit || ret == -1) {
		PQclear(PQexec(s->conn, "ROLLBACK"));
		/* partitions made in the batch are gone with it */
		store_forget_partitions(s);
	}
	s->in_batch = false;
	s->old_max = -1;
	return ret;
}

int
store_each_raw(struct store *s, bool is_failed_only, store_raw_fn fn,
    void *ctx, struct err *err)
{
	char after[32] = "0";
	const char *params[2] = { after, is_failed_only ? "t" : "f" };

	/* one row at a time, by id: the archive may be large */
	for (;;) {
		PGresult *res = PQexecParams(s->conn, "SELECT id, source, "
		    "content FROM raw_inputs WHERE id > $1 AND (NOT $2::bool OR "
		    "id IN (SELECT raw_id FROM ingest_errors)) ORDER BY id "
		    "LIMIT 1", 2, NULL, params, NULL, NULL, 1);
		const unsigned char *b;
		int64_t id = 0;
		char *source;
		int r;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_db_error(s, err, "database", res);
			PQclear(res);
			return -1;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			return 0;
		}
		/* binary results: the id is 8 bytes, big-endian */
		b = (const unsigned char *)PQgetvalue(res, 0, 0);
		for (int k = 0; k < 8; k++)
			id = id << 8 | b[k];
		snprintf(after, sizeof(after), "%lld", (long long)id);
		source = xstrndup(PQgetvalue(res, 0, 1),
		    (size_t)PQgetlength(res, 0, 1));
		r = fn(ctx, id, source, PQgetvalue(res, 0, 2),
		    (size_t)PQgetlength(res, 0, 2), err);
		free(source);
		PQclear(res);
		if (r == -1)
			return -1;
	}
}
