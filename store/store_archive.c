#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stream.h"
#include "common/xalloc.h"

void
store_set_unit(struct store *s, const struct store_unit *u)
{
	free(s->unit_source);
	s->unit = *u;
	s->unit_source = xstrdup(u->source ? u->source : "");
	s->unit.source = s->unit_source;
	s->raw_id = u->archived_id;
	s->is_unit_private = false;
	s->has_qunit = false;	/* copied anew for the queue */
}

/* store the unit's bytes once (inside the caller's transaction) */
int
store_raw(struct store *s, struct err *err)
{
	char size[32];
	const char *params[5] = { (const char *)s->unit.sha256,
		s->unit.encoding, s->unit.data, size, s->unit.source };
	int lens[5] = { 32, 0, (int)s->unit.len, 0, 0 };
	int formats[5] = { 1, 0, 1, 0, 0 };

	if (s->raw_id != 0 || s->unit.data == NULL || s->is_unit_private)
		return 0;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)s->unit.size);
	/* a concurrent loader may insert the same bytes: then read its row,
	 * with a fresh snapshot if this statement's one cannot see it */
	for (int tries = 0; tries < 2 && s->raw_id == 0; tries++) {
		PGresult *res = PQexecParams(s->conn, store_stmt_sql[ST_RAW],
		    5, NULL, params, lens, formats, 0);

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			store_db_error(s, err, "cannot archive the original",
			    res);
			PQclear(res);
			return -1;
		}
		if (PQntuples(res) == 1)
			s->raw_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if (s->raw_id == 0)
		return err_set(err, ERR_DB, "cannot archive the original: "
		    "no row");
	return 0;
}

/* one row of ingest_errors, with the unit's original when there is one */
static int
error_row(struct store *s, const char *source, const char *code,
    const char *cause, struct err *err)
{
	char raw[32];
	const char *params[4] = { source, code, cause, raw };

	if (store_tx_begin(s, err) == -1)
		return -1;
	if (store_raw(s, err) == -1)
		goto fail;
	snprintf(raw, sizeof(raw), "%lld", s->raw_id);
	if (s->raw_id == 0)
		params[3] = NULL;
	/* a rerun over the same input says it again: keep one row */
	if (store_q(s, NULL, err, "INSERT INTO ingest_errors (source, code, "
	    "cause, raw_id) VALUES ($1, $2, $3, $4) ON CONFLICT (md5(source), "
	    "md5(location), md5(cause)) DO UPDATE SET at = EXCLUDED.at, raw_id = "
	    "EXCLUDED.raw_id", 4,
	    params) == -1 || store_tx_commit(s, err) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_record_error(struct store *s, const struct err *why, struct err *err)
{
	const char *code = err_code_name(why->code), *cause = why->msg;
	const char *source = s->unit.source;
	char safe_source[1024] = "", safe_cause[1024] = "";
	size_t n = strlen(source);
	int ret;

	/* the message names the source first: the column says it already */
	if (strncmp(why->msg, source, n) == 0 &&
	    strncmp(why->msg + n, ": ", 2) == 0)
		cause = why->msg + n + 2;
	if (error_row(s, source, code, cause, err) == 0)
		return 0;
	if (err->code != ERR_REFUSED)
		return -1;
	/*
	 * Refused: a name or cause that is not UTF-8, or one too long for
	 * the index.  Once more, escaped and cut (the archived original
	 * names it the same way): a failure is never lost for its name.
	 */
	store_add_escaped(safe_source, sizeof(safe_source), source);
	store_add_escaped(safe_cause, sizeof(safe_cause), cause);
	s->unit.source = safe_source;
	ret = error_row(s, safe_source, code, safe_cause, err);
	s->unit.source = source;
	return ret;
}

/* the id of the archived bytes with this hash, or 0 */
static int
raw_lookup(struct store *s, const unsigned char sha[32], int64_t *out,
    struct err *err)
{
	const char *params[1] = { (const char *)sha };
	int lens[1] = { 32 }, formats[1] = { 1 };
	PGresult *res = NULL;

	if (store_q_bin(s, &res, err, "SELECT id FROM raw_inputs WHERE sha256 "
	    "= $1",
	    1, params, lens, formats) == -1)
		return -1;
	*out = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/* COPY text: the bytea as \\x and hex, 64 KiB of input at a time */
static int
copy_hex(struct store *s, struct stream *content, struct err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char in[65536];
	char out[2 * sizeof(in)];
	ssize_t n;

	if (store_put_copy(s, "\\\\x", 3, err) == -1)
		return -1;
	while ((n = stream_read(content, in, sizeof(in), err)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			out[2 * i] = hex[in[i] >> 4];
			out[2 * i + 1] = hex[in[i] & 15];
		}
		if (store_put_copy(s, out, 2 * (size_t)n, err) == -1)
			return -1;
	}
	return n == -1 ? -1 : 0;
}

int
store_archive_stream(struct store *s, const struct store_unit *u,
    struct stream *content, int64_t *out_id, struct err *err)
{
	char sha[65], size[32];
	struct buf tail;
	int ret = -1;

	sha256_hex(u->sha256, sha);
	buf_init(&tail, 1u << 20);
	if (store_exec(s, "BEGIN", err) == -1)
		goto out;
	s->in_tx = true;
	/* one archiver per original: the lock, then look, then write */
	if (store_q(s, NULL, err, "SELECT "
	    "pg_advisory_xact_lock(hashtextextended($1, 0))",
	    1, (const char *[]){ sha }) == -1 ||
	    raw_lookup(s, u->sha256, out_id, err) == -1)
		goto fail;
	if (*out_id == 0) {
		snprintf(size, sizeof(size), "%llu",
		    (unsigned long long)u->size);
		if (store_start_copy(s, "COPY raw_inputs (sha256, encoding, "
		    "size, source, content) FROM STDIN", err) == -1 ||
		    buf_addf(&tail, err, "\\\\x%s\t%s\t%s\t", sha, u->encoding,
		    size) == -1 || store_copy_field(&tail, u->source, false,
		    err) == -1 ||
		    store_put_copy(s, tail.data, tail.len, err) == -1 ||
		    copy_hex(s, content, err) == -1 ||
		    store_put_copy(s, "\n", 1, err) == -1 ||
		    store_end_copy(s, err) == -1 ||
		    raw_lookup(s, u->sha256, out_id, err) == -1)
			goto fail;
	}
	if (store_exec(s, "COMMIT", err) == -1)
		goto fail;
	s->in_tx = false;
	ret = 0;
	goto out;
fail:
	store_rollback(s);
out:
	buf_release(&tail);
	return ret;
}

/* an archived original, read in chunks: memory stays flat */
struct raw_reader {
	struct store *s;
	char id[32];
	long long at, size;	/* the next byte (1-based), the length */
};

#define RAW_CHUNK (1 << 20)

static ssize_t
raw_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct raw_reader *r = impl;
	char at[32], n[32];
	const char *params[3] = { r->id, at, n };
	PGresult *res;
	size_t got;

	if (r->at > r->size)
		return 0;
	if (len > RAW_CHUNK)
		len = RAW_CHUNK;
	snprintf(at, sizeof(at), "%lld", r->at);
	snprintf(n, sizeof(n), "%zu", len);
	/* a binary result: the bytes as they are */
	res = PQexecParams(r->s->conn, "SELECT substring(content FROM "
	    "$2::int FOR $3::int) FROM raw_inputs WHERE id = $1", 3, NULL,
	    params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_db_error(r->s, err, "cannot read the original", res);
		PQclear(res);
		return -1;
	}
	got = PQntuples(res) == 1 ? (size_t)PQgetlength(res, 0, 0) : 0;
	if (got > len)
		got = len;
	memcpy(buf, PQgetvalue(res, 0, 0), got);
	PQclear(res);
	r->at += (long long)got;
	if (got == 0)
		r->at = r->size + 1;
	return (ssize_t)got;
}

static void
raw_close(void *impl)
{
	free(impl);
}

int
store_raw_open(struct store *s, int64_t id, struct stream **out,
    bool *is_gzip, struct err *err)
{
	static const struct stream_ops ops = { raw_read, raw_close };
	struct raw_reader *r = xcalloc(1, sizeof(*r));
	const char *params[1] = { r->id };
	PGresult *res = NULL;
	char name[48];

	r->s = s;
	r->at = 1;
	snprintf(r->id, sizeof(r->id), "%lld", (long long)id);
	if (store_q(s, &res, err, "SELECT encoding, octet_length(content) "
	    "FROM raw_inputs WHERE id = $1", 1, params) == -1) {
		free(r);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		free(r);
		return err_set(err, ERR_USAGE, "no archived original with id "
		    "%lld", (long long)id);
	}
	*is_gzip = strcmp(PQgetvalue(res, 0, 0), "gzip") == 0;
	r->size = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	snprintf(name, sizeof(name), "raw_inputs.id=%lld", (long long)id);
	stream_new_ops(out, &ops, r, name);
	return 0;
}
