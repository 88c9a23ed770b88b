#include "common/timefmt.h"
#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/orgdomain.h"

void
store_rollback(struct store *s)
{
	if (s->in_copy) {
		PQputCopyEnd(s->conn, "report aborted");
		PQclear(PQgetResult(s->conn));
		s->in_copy = false;
	}
	/* in a batch, the report's savepoint: the batch goes on */
	if (s->in_tx)
		PQclear(PQexec(s->conn, s->in_batch ? "ROLLBACK TO SAVEPOINT "
		    "report; RELEASE SAVEPOINT report" : "ROLLBACK"));
	s->in_tx = false;
	/* a raw row inserted in this transaction is gone with it */
	s->raw_id = s->unit.archived_id;
}

/*
 * ON COMMIT DELETE ROWS empties the stage after each report; a batch
 * commits once, and rows deleted in it would stay (dead, scanned) until
 * then.  So each report reads its own rows, past the mark, and the stage
 * is truncated now and then, between reports (a TRUNCATE per report
 * costs more than it saves).
 */
int
store_stage_mark(struct store *s, struct err *err)
{
	PGresult *res = NULL;
	long long n;

	if (!s->has_stage)
		return 0;
	if (store_q(s, &res, err, "SELECT coalesce(max(n), 0) FROM "
	    "source_stage", 0, NULL) == -1)
		return -1;
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	snprintf(s->stage_mark, sizeof(s->stage_mark), "%lld", n);
	if (n - s->stage_base < 4096)
		return 0;
	s->stage_base = n;
	return store_exec(s, "TRUNCATE source_stage", err);
}

/* a report's transaction, or its savepoint in a batch */
int
store_tx_begin(struct store *s, struct err *err)
{
	if (store_exec(s, s->in_batch ? "SAVEPOINT report" : "BEGIN; "
	    "SET LOCAL work_mem = '64MB'", err) == -1)
		return -1;
	s->in_tx = true;
	return 0;
}

int
store_tx_commit(struct store *s, struct err *err)
{
	if (store_exec(s, s->in_batch ? "RELEASE SAVEPOINT report" : "COMMIT",
	    err) == -1)
		return -1;
	s->in_tx = false;
	return s->in_batch ? store_stage_mark(s, err) : 0;
}

int
store_spool_reset(struct store *s, struct err *err)
{
	for (int i = 0; i < SP_COUNT; i++) {
		if (s->spool[i] == NULL && (s->spool[i] = tmpfile()) == NULL)
			return err_set(err, ERR_IO, "cannot create a "
			    "temporary file");
		/* reused for every report: empty it, not just rewind */
		rewind(s->spool[i]);
		if (ftruncate(fileno(s->spool[i]), 0) == -1)
			return err_set(err, ERR_IO, "cannot reset a temporary "
			    "file");
	}
	memset(&s->cur, 0, sizeof(s->cur));
	return 0;
}

int
store_spool_row(struct store *s, enum spool sp, struct err *err)
{
	if (fwrite(s->row.data, 1, s->row.len, s->spool[sp]) != s->row.len)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	buf_reset(&s->row);
	return 0;
}


size_t
store_key_cap(const char *v)
{
	size_t n = strlen(v);

	if (n <= STORE_KEY_MAX)
		return n;
	/* back over the continuation bytes of a character cut in two */
	for (n = STORE_KEY_MAX; n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80;
	    n--)
		;
	return n;
}

/* v capped into out (STORE_KEY_MAX + 1 bytes) */
const char *
store_key_copy(const char *v, char *out)
{
	size_t n = store_key_cap(v);

	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* a field as the key sees it: its length (4 bytes, big-endian), its bytes */
static void
key_len(struct sha256 *h, size_t n)
{
	unsigned char len[4] = { (unsigned char)(n >> 24),
		(unsigned char)(n >> 16), (unsigned char)(n >> 8),
		(unsigned char)n };

	sha256_add(h, len, sizeof(len));
}

static void
key_field(struct sha256 *h, const char *v)
{
	key_len(h, strlen(v));
	sha256_add(h, v, strlen(v));
}

/* the reporter's name, ASCII case-folded: "Google.com" is google.com */
static void
key_folded(struct sha256 *h, const char *v)
{
	char chunk[256];
	size_t n = strlen(v);

	key_len(h, n);
	while (n > 0) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		for (size_t i = 0; i < k; i++)
			chunk[i] = v[i] >= 'A' && v[i] <= 'Z' ?
			    (char)(v[i] - 'A' + 'a') : v[i];
		sha256_add(h, chunk, k);
		v += k;
		n -= k;
	}
}

/*
 * What names a report apart from its records: kind, reporter (folded),
 * report id, period and the full policy domain ("v2": reports stored
 * before sql/007 carry a "v1" key).
 */
static void
report_head(const struct report *r, const char *begin, const char *end,
    struct sha256 *h)
{
	sha256_init(h);
	key_field(h, "v2");
	key_field(h, report_kind_name(r->kind));
	key_folded(h, r->org_name ? r->org_name : "");
	key_field(h, r->report_id ? r->report_id : "");
	key_field(h, begin);
	key_field(h, end);
	key_field(h, r->domain ? r->domain : "");
}

/* the records' hash: a sum mod 2^256 of each one's, so order is no part */
static void
content_add(unsigned char sum[32], const unsigned char h[32])
{
	unsigned carry = 0;

	for (int i = 31; i >= 0; i--) {
		carry += (unsigned)sum[i] + h[i];
		sum[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

static void
record_begin(struct store *s)
{
	sha256_init(&s->rec_hash);
}

static void
record_done(struct store *s)
{
	unsigned char h[32];

	sha256_done(&s->rec_hash, h);
	content_add(s->content, h);
}

/* the unique key: the head, then the records' hash */
static void
report_key(const struct store *s, unsigned char out[32])
{
	struct sha256 h = s->head;

	key_len(&h, 32);
	sha256_add(&h, s->content, 32);
	sha256_done(&h, out);
}

/* the head's advisory lock key: its hash's first 8 bytes */
static long long
head_lock(const struct store *s)
{
	struct sha256 h = s->head;
	unsigned char d[32];
	uint64_t v = 0;

	sha256_done(&h, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return (long long)v;
}

int
store_start_copy(struct store *s, const char *sql, struct err *err)
{
	PGresult *res = PQexec(s->conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		store_db_error(s, err, "cannot start COPY", res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	s->in_copy = true;
	return 0;
}

/*
 * Sending failed: the server refused the COPY before its end (Citus
 * passes rows on to the workers as they come, and a worker's refusal
 * ends the COPY at once), or the connection is gone.  The refusal is a
 * result waiting to be read, with its SQLSTATE: a refused value is
 * ERR_REFUSED here too.
 */
static int
copy_failed(struct store *s, struct err *err)
{
	PGresult *res;
	bool has_error = false;

	s->in_copy = false;
	while (PQstatus(s->conn) == CONNECTION_OK &&
	    (res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COPY_IN)
			PQputCopyEnd(s->conn, "report aborted");
		else if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
		    !has_error) {
			store_db_error(s, err, "COPY failed", res);
			has_error = true;
		}
		PQclear(res);
	}
	return has_error ? -1 : store_db_error(s, err, "COPY failed", NULL);
}

int
store_end_copy(struct store *s, struct err *err)
{
	PGresult *res;
	int ret = 0;

	if (PQputCopyEnd(s->conn, NULL) != 1)
		return copy_failed(s, err);
	s->in_copy = false;
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ret == 0)
			ret = store_db_error(s, err, "COPY failed", res);
		PQclear(res);
	}
	return ret;
}

int
store_put_copy(struct store *s, const char *data, size_t len, struct err *err)
{
	if (PQputCopyData(s->conn, data, (int)len) != 1)
		return copy_failed(s, err);
	return 0;
}

/*
 * The session's staging table for source_daily, outside any transaction
 * (a rollback would take it away); emptied at every commit.  Its texts
 * compare bytewise, as source_daily's keys do: the grouping sort needs
 * no locale, whatever the cluster's.
 */
int
store_ensure_stage(struct store *s, struct err *err)
{
	if (s->has_stage)
		return 0;
	if (orgdomain_init(err) == -1 || store_exec(s, "CREATE TEMP TABLE IF "
	    "NOT EXISTS source_stage (domain text COLLATE \"C\" NOT NULL, day "
	    "date NOT NULL, source text COLLATE \"C\" NOT NULL, "
	    "messages bigint, dmarc_pass bigint, dkim_aligned bigint, "
	    "spf_aligned bigint, dkim_foreign bigint, spf_foreign bigint, "
	    "dkim_missing bigint, own_dkim_broken bigint, overridden bigint, "
	    "disagree bigint, foreign_dkim text COLLATE \"C\", foreign_spf "
	    "text COLLATE \"C\", from_domain text COLLATE \"C\" NOT NULL, "
	    "n bigserial) ON COMMIT "
	    "DELETE ROWS", err) == -1)
		return -1;
	s->has_stage = true;
	return 0;
}

/*
 * A unit that holds a failure report holds a user's mail: unless keep =
 * full, it leaves the archive, also when it was archived before it was
 * parsed (too large to hold) or for a report before this one (an mbox);
 * those reports lose their original, and nothing of the unit is archived
 * after (no later report, no error).
 */
static int
unarchive_unit(struct store *s, struct err *err)
{
	char raw[32];
	const char *params[1] = { raw };

	/* reparse reads the archive, in a batch: it leaves it as it is */
	if (s->in_batch)
		return 0;
	s->is_unit_private = true;
	s->has_qunit = false;	/* its later reports: no original */
	/* archived with a report of the queue: found by its hash */
	if (s->raw_id == 0 && s->unit.data != NULL) {
		const char *p[1] = { (const char *)s->unit.sha256 };
		int lens[1] = { 32 }, formats[1] = { 1 };
		PGresult *res = NULL;

		if (store_q_bin(s, &res, err, "SELECT id FROM raw_inputs "
		    "WHERE sha256 = $1", 1, p, lens, formats) == -1)
			return -1;
		if (PQntuples(res) == 1)
			s->raw_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if (s->raw_id == 0)
		return 0;
	snprintf(raw, sizeof(raw), "%lld", s->raw_id);
	if (store_tx_begin(s, err) == -1)
		return -1;
	if (store_q(s, NULL, err, "WITH r AS (UPDATE reports SET raw_id = "
	    "NULL WHERE raw_id = $1), e AS (UPDATE ingest_errors SET raw_id = "
	    "NULL WHERE raw_id = $1) DELETE FROM raw_inputs WHERE id = $1", 1,
	    params) == -1 || store_tx_commit(s, err) == -1) {
		store_rollback(s);
		return -1;
	}
	s->unit.archived_id = 0;
	s->raw_id = 0;
	return 0;
}

/* the main rows' spool of a kind of report */
static enum spool
main_spool(enum report_kind kind)
{
	return kind == REPORT_TLSRPT ? SP_TLS_POLICIES : SP_RECORDS;
}

/*
 * The current report, loaded on its own from here on: its transaction
 * (a savepoint in a batch), its head locked, checked against the store
 * (1: stored already, rolled back), and the COPY of its main rows open
 * with those spooled so far sent.
 */
static int
go_direct(struct store *s, const struct report *r, struct err *err)
{
	struct pipe_q q[4];
	char lock[24];
	bool has_sha = s->unit.data != NULL || s->unit.archived_id != 0;
	const char *known[9] = { s->domain, NULL, has_sha ?
		(const char *)s->unit.sha256 : NULL, r->domain ? r->domain : "",
		report_kind_name(r->kind), r->org_name ? r->org_name : "",
		r->report_id, s->begin, s->end };
	size_t n = 0;
	bool is_known;
	enum spool sp = main_spool(r->kind);

	memset(q, 0, sizeof(q));
	snprintf(lock, sizeof(lock), "%lld", s->lock);
	q[n++].sql = s->in_batch ? "SAVEPOINT report" : "BEGIN";
	/* a batch holds the tables: no lock per report (they would fill
	 * the server's lock table) */
	if (!s->in_batch) {
		q[n].st = ST_LOCK;
		q[n].n = 1;
		q[n++].params[0] = lock;
		q[n++].sql = "SELECT pg_advisory_xact_lock_shared("
		    "7301553520463411)";
	}
	q[n].st = ST_KNOWN;
	q[n].n = 9;
	for (int i = 0; i < 9; i++)
		q[n].params[i] = known[i];
	q[n].lens[2] = 32;
	q[n].formats[2] = 1;
	q[n++].want_res = true;
	s->in_tx = true;
	if (store_pipe(s, q, n, err) == -1)
		goto fail;
	is_known = q[n - 1].res != NULL && PQntuples(q[n - 1].res) == 1 &&
	    strcmp(PQgetvalue(q[n - 1].res, 0, 0), "t") == 0;
	PQclear(q[n - 1].res);
	if (is_known) {
		store_rollback(s);
		s->is_skip = true;	/* a rerun: skip the work */
		return 1;
	}
	s->is_direct = true;
	if (r->kind == REPORT_FAILURE)
		return 0;	/* one sample, one row: no COPY */
	if (store_start_copy(s, store_spool_copy_sql(sp), err) == -1 ||
	    store_copy_spooled(s, sp, s->cur.at[sp], err) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	char begin[32];
	bool is_direct = !s->is_queued || s->in_batch ||
	    r->kind == REPORT_FAILURE;

	timefmt_iso(r->begin, begin, sizeof(begin));
	timefmt_iso(r->end, s->end, sizeof(s->end));
	snprintf(s->begin, sizeof(s->begin), "%s", begin);
	store_key_copy(r->domain ? r->domain : "", s->domain);
	store_key_copy(r->org_name ? r->org_name : "", s->org);
	report_head(r, begin, s->end, &s->head);
	s->lock = head_lock(s);
	s->is_skip = false;
	s->is_direct = false;
	s->rec_no = 0;
	memset(s->day_counts, 0, sizeof(s->day_counts));
	memset(s->content, 0, sizeof(s->content));
	/* a report loaded on its own comes after those queued before it */
	if (is_direct && store_flush(s, err) == -1)
		return -1;
	if (r->kind == REPORT_FAILURE && s->failure_keep != KEEP_FULL &&
	    unarchive_unit(s, err) == -1)
		return -1;
	if ((r->kind == REPORT_DMARC && store_ensure_stage(s, err) == -1) ||
	    store_ensure_partitions(s, r->begin, err) == -1 ||
	    (s->n_queue == 0 && store_spool_reset(s, err) == -1) ||
	    store_spool_at(s, &s->cur, err) == -1 ||
	    store_take_id(s, err) == -1)
		return -1;
	return is_direct ? go_direct(s, r, err) : 0;
}

/*
 * A queued report grown large: the queue is written, and the report goes
 * on on its own, streamed (1: it is stored already, read no further).
 */
static int
check_size(struct store *s, const struct report *r, struct err *err)
{
	if (s->is_direct || s->rec_no < STORE_QUEUE_ROWS)
		return 0;
	if (store_flush(s, err) == -1)
		return -1;
	return go_direct(s, r, err);
}

/* the main row in s->row: to the COPY, or to its spool */
static int
main_row(struct store *s, enum report_kind kind, struct err *err)
{
	if (!s->is_direct)
		return store_spool_row(s, main_spool(kind), err);
	if (store_put_copy(s, s->row.data, s->row.len, err) == -1)
		return -1;
	buf_reset(&s->row);
	return 0;
}

/* "domain \t report \t no \t begin \t": the row's place, not its content */
static int
row_start(struct store *s, const struct report *r, unsigned no,
    struct err *err)
{
	char place[96];
	int n = snprintf(place, sizeof(place), "%lld\t%u\t%s\t", s->report,
	    no, s->begin);

	(void)r;
	buf_reset(&s->row);
	if (store_copy_field(&s->row, s->domain, false, err) == -1)
		return -1;
	return buf_add(&s->row, place, (size_t)n, err);
}

/* hash the content part of a row (after its place) */
static void
hash_row(struct store *s, size_t content_from)
{
	sha256_add(&s->rec_hash, s->row.data + content_from,
	    s->row.len - content_from);
}

/* one row of a child table: its place, then fields, hashed and spooled */
static int
child_row(struct store *s, const struct report *r, enum spool sp,
    const char *const *fields, size_t n, struct err *err)
{
	size_t from;

	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	for (size_t i = 0; i < n; i++)
		if (store_copy_field(&s->row, fields[i], i + 1 == n, err) == -1)
			return -1;
	sha256_add(&s->rec_hash, &sp, sizeof(sp));
	hash_row(s, from);
	return store_spool_row(s, sp, err);
}

static int
spool_children(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	for (size_t i = 0; i < rec->n_reasons; i++) {
		const struct dmarc_reason *x = &rec->reasons[i];
		const char *f[] = { x->type, x->comment };

		if (child_row(s, r, SP_REASONS, f, 2, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *x = &rec->dkim_results[i];
		const char *f[] = { x->domain, x->selector, x->result,
			x->human_result };

		if (child_row(s, r, SP_DKIM, f, 4, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *x = &rec->spf_results[i];
		const char *f[] = { x->domain, x->scope, x->result,
			x->human_result };

		if (child_row(s, r, SP_SPF, f, 4, err) == -1)
			return -1;
	}
	return 0;
}

static int
on_dmarc_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct store *s = ctx;
	bool is_ip = rec->ip_family != 0;
	size_t from;

	if (s->is_skip)
		return 0;
	s->rec_no++;
	record_begin(s);
	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	if (store_copy_field(&s->row, is_ip ? rec->source_ip : NULL, false,
	    err) == -1 ||
	    store_copy_field(&s->row, is_ip ? NULL : rec->source_ip, false,
	    err) == -1 ||
	    store_copy_int(&s->row, rec->count, false, err) == -1 ||
	    store_copy_field(&s->row, rec->disposition, false, err) == -1 ||
	    store_copy_field(&s->row, rec->dkim, false, err) == -1 ||
	    store_copy_field(&s->row, rec->spf, false, err) == -1 ||
	    store_copy_field(&s->row, rec->header_from, false, err) == -1 ||
	    store_copy_field(&s->row, rec->envelope_from, false, err) == -1 ||
	    store_copy_field(&s->row, rec->envelope_to, false, err) == -1 ||
	    store_copy_int(&s->row, rec->flags, true, err) == -1)
		return -1;
	hash_row(s, from);
	if (main_row(s, r->kind, err) == -1 ||
	    spool_children(s, r, rec, err) == -1)
		return -1;
	record_done(s);
	if (store_analysis_row(s, r, rec, err) == -1)
		return -1;
	return check_size(s, r, err);
}

static int
on_tls_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct store *s = ctx;
	size_t from;

	if (s->is_skip)
		return 0;
	s->rec_no++;
	record_begin(s);
	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	if (store_copy_field(&s->row, p->policy_type, false, err) == -1 ||
	    store_copy_field(&s->row, p->policy_domain, false, err) == -1)
		return -1;
	/* arrays: literal first, then COPY-escaped as one field */
	for (int k = 0; k < 2; k++) {
		struct buf lit;
		int r2;

		buf_init(&lit, 16u << 20);
		r2 = store_array_literal(&lit, k == 0 ? p->policy_strings :
		    p->mx_hosts, k == 0 ? p->n_policy_strings : p->n_mx_hosts,
		    err);
		if (r2 == 0)
			r2 = store_copy_field(&s->row, buf_str(&lit), false,
			    err);
		buf_release(&lit);
		if (r2 == -1)
			return -1;
	}
	if (store_copy_int(&s->row, p->successful, false, err) == -1 ||
	    store_copy_int(&s->row, p->failed, true, err) == -1)
		return -1;
	hash_row(s, from);
	if (main_row(s, r->kind, err) == -1)
		return -1;
	for (size_t i = 0; i < p->n_failures; i++) {
		const struct tls_failure *f = &p->failures[i];
		char count[32];
		const char *fields[] = { f->result_type, f->sending_mta_ip,
			f->receiving_mx_hostname, f->receiving_mx_helo,
			f->receiving_ip, f->additional_information,
			f->failure_reason_code, count };

		snprintf(count, sizeof(count), "%lld",
		    (long long)f->failed_session_count);
		if (child_row(s, r, SP_TLS_FAILURES, fields, 8, err) == -1)
			return -1;
	}
	record_done(s);
	return check_size(s, r, err);
}

/* the current report's rows of sp so far, by COPY */
int
store_copy_spool(struct store *s, enum spool sp, struct err *err)
{
	struct spans now;

	if (store_spool_at(s, &now, err) == -1)
		return -1;
	return store_copy_runs(s, sp, &s->cur, &now, 1, err);
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	unsigned char key[32];
	int ret;

	if (s->is_skip) {
		s->stats.reports_duplicate++;
		s->is_skip = false;
		return store_spool_cut(s, &s->cur, err);
	}
	if (s->is_direct && r->kind != REPORT_FAILURE &&
	    store_end_copy(s, err) == -1)
		return -1;	/* on_abort rolls back */
	report_key(s, key);
	if (store_queue_push(s, r, key, err) == -1)
		return -1;
	if (!s->is_direct)
		return store_queue_is_full(s) ? store_flush(s, err) : 0;
	/* alone in the queue: written now, in its transaction */
	ret = store_write_current(s, err);
	s->is_direct = false;
	if (store_spool_reset(s, err) == -1)
		return -1;
	return ret;
}

/*
 * The one sample of a failure report: its metadata always, the
 * original's headers and body only as [failures] keep allows.  The
 * content hash covers what is kept whatever the level, so the same sample
 * is the same report at any level.
 */
static int
on_failure_sample(void *ctx, const struct report *r,
    const struct failure_sample *f, struct err *err)
{
	struct store *s = ctx;
	char id[32], arrival[32];
	const char *params[19];
	int lens[19] = { 0 }, formats[19] = { 0 };
	const char *fields[] = { f->auth_failure, f->identity_alignment,
		f->source_ip, f->reported_domain, f->header_from, f->mail_from,
		f->rcpt_to, f->dkim_domain, f->dkim_identity,
		f->dkim_selector, f->spf_dns, f->delivery_result,
		f->message_id, f->format };
	struct sha256 h;
	unsigned char d[32];
	bool has_headers = s->failure_keep >= KEEP_HEADERS &&
	    f->headers != NULL;
	bool has_body = s->failure_keep == KEEP_FULL && f->body != NULL;

	if (s->is_skip)
		return 0;
	sha256_init(&h);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		key_len(&h, fields[i] != NULL ? strlen(fields[i]) + 1 : 0);
		if (fields[i] != NULL)
			sha256_add(&h, fields[i], strlen(fields[i]));
	}
	sha256_done(&h, d);
	content_add(s->content, d);
	snprintf(id, sizeof(id), "%lld", s->report);
	timefmt_iso(f->arrival >= 0 ? f->arrival : r->begin, arrival,
	    sizeof(arrival));
	params[0] = s->domain;
	params[1] = id;
	params[2] = arrival;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		params[3 + i] = fields[i];
	params[17] = has_headers ? f->headers : NULL;
	lens[17] = has_headers ? (int)f->headers_len : 0;
	formats[17] = 1;
	params[18] = has_body ? f->body : NULL;
	lens[18] = has_body ? (int)f->body_len : 0;
	formats[18] = 1;
	if (params[16] == NULL)
		params[16] = "arf";
	return store_q_bin(s, NULL, err, "INSERT INTO failure_samples "
	    "(domain, report, arrival_at, auth_failure, identity_alignment, "
	    "source_ip, reported_domain, header_from, mail_from, rcpt_to, "
	    "dkim_domain, dkim_identity, dkim_selector, spf_dns, "
	    "delivery_result, message_id, format, headers, body) VALUES ($1, "
	    "$2, $3, $4, $5, $6::inet, $7, $8, $9, $10, $11, $12, $13, $14, "
	    "$15, $16, $17, $18, $19)", 19, params, lens, formats);
}

static void
on_abort(void *ctx, const struct report *r)
{
	struct store *s = ctx;
	struct err err;

	(void)r;
	store_rollback(s);
	/* its rows are forgotten (a write failed: the spools may be gone
	 * too, and the next report starts them again) */
	if (store_spool_cut(s, &s->cur, &err) == -1)
		(void)store_spool_reset(s, &err);
	s->is_direct = false;
	s->is_skip = false;
}

void
store_sink(struct store *s, struct report_sink *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = s;
	out->on_header = on_header;
	out->on_dmarc_record = on_dmarc_record;
	out->on_tls_policy = on_tls_policy;
	out->on_end = on_end;
	out->on_abort = on_abort;
	out->on_failure_sample = on_failure_sample;
}

void
store_set_failure_keep(struct store *s, enum failure_keep keep)
{
	s->failure_keep = keep;
}

const struct store_stats *
store_stats(const struct store *s)
{
	return &s->stats;
}
