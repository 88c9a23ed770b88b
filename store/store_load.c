#include "common/timefmt.h"
#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/orgdomain.h"

static const char *const spool_copy[SP_COUNT] = {
	[SP_REASONS] = "COPY record_reasons (domain, report, rec_no, "
	    "begin_at, type, comment) FROM STDIN",
	[SP_DKIM] = "COPY dkim_results (domain, report, rec_no, begin_at, "
	    "dkim_domain, selector, result, human_result) FROM STDIN",
	[SP_SPF] = "COPY spf_results (domain, report, rec_no, begin_at, "
	    "spf_domain, scope, result, human_result) FROM STDIN",
	[SP_TLS_FAILURES] = "COPY tls_failures (domain, report, pol_no, "
	    "begin_at, result_type, sending_mta_ip, receiving_mx_hostname, "
	    "receiving_mx_helo, receiving_ip, additional_information, "
	    "failure_reason_code, failed_session_count) FROM STDIN",
	[SP_SOURCE] = "COPY source_stage (source, messages, dmarc_pass, "
	    "dkim_aligned, spf_aligned, dkim_foreign, spf_foreign, "
	    "dkim_missing, own_dkim_broken, overridden, disagree, "
	    "foreign_dkim, foreign_spf, from_domain) FROM STDIN",
};


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

static int
ensure_partitions(struct store *s, int64_t begin, struct err *err)
{
	time_t t = (time_t)begin;
	struct tm tm;
	const char *params[1] = { s->begin };
	int month;

	gmtime_r(&t, &tm);
	month = tm.tm_year * 12 + tm.tm_mon;
	if (month == s->ensured_month)
		return 0;
	/* in a transaction of its own: DDL is not kept waiting by loads */
	if (store_q(s, NULL, err, "SELECT dmarcctl_ensure_partitions($1)", 1,
	    params) == -1)
		return -1;
	s->ensured_month = month;
	return 0;
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
		s->has_spool_rows[i] = false;
	}
	return 0;
}

int
store_spool_row(struct store *s, enum spool sp, struct err *err)
{
	if (fwrite(s->row.data, 1, s->row.len, s->spool[sp]) != s->row.len)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	s->has_spool_rows[sp] = true;
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

/* one loader per report head at a time: no race, no deadlock */
static int
lock_head(struct store *s, struct err *err)
{
	struct sha256 h = s->head;
	unsigned char d[32];
	char lock[24];
	const char *params[1] = { lock };
	uint64_t v = 0;

	/* a batch holds the tables: loaders wait, and one lock per report
	 * would fill the server's lock table */
	if (s->in_batch)
		return 0;
	sha256_done(&h, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	snprintf(lock, sizeof(lock), "%lld", (long long)v);
	return store_q(s, NULL, err, "SELECT pg_advisory_xact_lock("
	    "$1::bigint)", 1, params);
}

/* the same bytes already gave this report: nothing to load again */
static int
is_known(struct store *s, const struct report *r, const char *begin,
    const char *end, bool *out, struct err *err)
{
	const char *params[8] = { (const char *)s->unit.sha256, s->domain,
		r->domain, report_kind_name(r->kind),
		r->org_name ? r->org_name : "", r->report_id, begin, end };
	int lens[8] = { 32 }, formats[8] = { 1 };

	*out = false;
	/* the hash of the original is known when it is held or archived */
	if (s->unit.data == NULL && s->unit.archived_id == 0)
		return 0;
	/* the raw row by its index, then its few reports: never a scan */
	return store_q_exists(s, out, err, "SELECT 1 FROM reports r JOIN "
	    "raw_inputs w ON w.id = r.raw_id WHERE w.sha256 = $1 AND r.domain "
	    "= $2 AND coalesce(r.domain_full, r.domain) = $3 AND r.kind = $4 "
	    "AND translate(r.org_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	    "'abcdefghijklmnopqrstuvwxyz') = translate($5, "
	    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AND "
	    "r.report_id = $6 AND r.begin_at = $7 AND r.end_at = $8", 8,
	    params, lens, formats);
}

static int
insert_report(struct store *s, const struct report *r, const char *begin,
    const char *end, struct err *err)
{
	const struct report_policy *p = &r->policy;
	char pct[16], raw[32];
	const char *params[23];
	PGresult *res = NULL;

	snprintf(pct, sizeof(pct), "%d", p->pct);
	snprintf(raw, sizeof(raw), "%lld", s->raw_id);
	params[0] = s->domain;
	params[1] = report_kind_name(r->kind);
	params[2] = r->org_name ? r->org_name : "";
	params[3] = r->report_id;
	params[4] = begin;
	params[5] = end;
	/* a failure report's reporter is its org_name under metadata: no
	 * address with a local part is kept at that level, not even its */
	params[6] = r->kind == REPORT_FAILURE &&
	    s->failure_keep == KEEP_METADATA ? NULL : r->email;
	params[7] = r->extra_contact_info;
	params[8] = p->p;
	params[9] = p->sp;
	params[10] = p->np;
	params[11] = p->pct >= 0 ? pct : NULL;
	params[12] = p->fo;
	params[13] = p->adkim;
	params[14] = p->aspf;
	params[15] = p->testing;
	params[16] = p->discovery_method;
	params[17] = r->version;
	params[18] = r->xmlns;
	params[19] = r->generator;
	params[20] = s->raw_id != 0 && (r->kind != REPORT_FAILURE ||
	    s->failure_keep == KEEP_FULL) ? raw : NULL;
	params[21] = r->location;
	/* the whole domain, when the keyed column holds a part of it */
	params[22] = r->domain != NULL && strcmp(s->domain, r->domain) != 0 ?
	    r->domain : NULL;
	if (store_q(s, &res, err, "INSERT INTO reports (domain, kind, "
	    "org_name, report_id, begin_at, end_at, email, extra_contact_info, "
	    "p, sp, np, pct, fo, adkim, aspf, testing, discovery_method, "
	    "version, xmlns, generator, raw_id, location, domain_full, "
	    "content_sha256, records, messages) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
	    "$20, $21, $22, $23, '\\x', 0, 0) RETURNING id", 23, params) == -1)
		return -1;
	s->report = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
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
	    "NOT EXISTS source_stage (source text COLLATE \"C\" NOT NULL, "
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

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	char begin[32], end[32];
	bool is_dup;

	timefmt_iso(r->begin, begin, sizeof(begin));
	timefmt_iso(r->end, end, sizeof(end));
	snprintf(s->begin, sizeof(s->begin), "%s", begin);
	store_key_copy(r->domain ? r->domain : "", s->domain);
	store_key_copy(r->org_name ? r->org_name : "", s->org);
	report_head(r, begin, end, &s->head);
	s->is_skip = false;
	s->rec_no = 0;
	memset(s->day_counts, 0, sizeof(s->day_counts));
	memset(s->content, 0, sizeof(s->content));
	if (r->kind == REPORT_FAILURE && s->failure_keep != KEEP_FULL &&
	    unarchive_unit(s, err) == -1)
		return -1;
	if ((r->kind == REPORT_DMARC && store_ensure_stage(s, err) == -1) ||
	    ensure_partitions(s, r->begin, err) == -1 ||
	    store_spool_reset(s, err) == -1 || store_tx_begin(s, err) == -1)
		return -1;
	if (lock_head(s, err) == -1 ||
	    is_known(s, r, begin, end, &is_dup, err) == -1)
		goto fail;
	if (is_dup) {
		s->is_skip = true;	/* a rerun: skip the work */
		return 1;
	}
	/* a failure report's original is a user's mail: archived only
	 * when everything is to be kept */
	if (r->kind == REPORT_FAILURE) {
		if ((s->failure_keep == KEEP_FULL && store_raw(s, err) == -1) ||
		    insert_report(s, r, begin, end, err) == -1)
			goto fail;
		return 0;
	}
	if (store_raw(s, err) == -1 ||
	    insert_report(s, r, begin, end, err) == -1 ||
	    store_start_copy(s, r->kind == REPORT_DMARC ? "COPY records "
	    "(domain, report, rec_no, begin_at, source_ip, source_text, count, "
	    "disposition, dkim, spf, header_from, envelope_from, envelope_to, "
	    "flags) FROM STDIN" : "COPY tls_policies (domain, report, pol_no, "
	    "begin_at, policy_type, policy_domain, policy_strings, mx_hosts, "
	    "successful, failed) FROM STDIN", err) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
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
	if (store_put_copy(s, s->row.data, s->row.len, err) == -1)
		return -1;
	buf_reset(&s->row);
	if (spool_children(s, r, rec, err) == -1)
		return -1;
	record_done(s);
	return store_analysis_row(s, r, rec, err);
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
	if (store_put_copy(s, s->row.data, s->row.len, err) == -1)
		return -1;
	buf_reset(&s->row);
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
	return 0;
}

/* copy a spool file into its table */
int
store_copy_spool(struct store *s, enum spool sp, struct err *err)
{
	char chunk[65536];
	size_t n;

	if (!s->has_spool_rows[sp])
		return 0;
	if (fflush(s->spool[sp]) == EOF)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	rewind(s->spool[sp]);
	if (store_start_copy(s, spool_copy[sp], err) == -1)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), s->spool[sp])) > 0)
		if (store_put_copy(s, chunk, n, err) == -1)
			return -1;
	if (ferror(s->spool[sp]))
		return err_set(err, ERR_IO, "cannot read a temporary file");
	return store_end_copy(s, err);
}

/* the same report from other bytes: records in another order, say */
static int
is_content_known(struct store *s, const unsigned char key[32], bool *out,
    struct err *err)
{
	char id[32];
	const char *params[3] = { s->domain, (const char *)key, id };
	int lens[3] = { 0, 32, 0 }, formats[3] = { 0, 1, 0 };

	snprintf(id, sizeof(id), "%lld", s->report);
	return store_q_exists(s, out, err, "SELECT 1 FROM reports WHERE domain "
	    "= $1 AND report_key = $2 AND id <> $3", 3, params, lens, formats);
}

static int
finish_report(struct store *s, const struct report *r,
    const unsigned char key[32], struct err *err)
{
	char id[32], records[32], messages[32];
	const char *params[9];
	int lens[9] = { 0 }, formats[9] = { 0 };
	struct buf notes;
	int ret;

	snprintf(id, sizeof(id), "%lld", s->report);
	/* the totals are unsigned sums, the columns bigint: they saturate */
	snprintf(records, sizeof(records), "%llu", (unsigned long long)
	    (r->records > INT64_MAX ? INT64_MAX : r->records));
	snprintf(messages, sizeof(messages), "%llu", (unsigned long long)
	    (r->messages > INT64_MAX ? INT64_MAX : r->messages));
	buf_init(&notes, 1u << 20);
	if (store_array_literal(&notes, r->notes, r->n_notes, err) == -1) {
		buf_release(&notes);
		return -1;
	}
	params[0] = s->domain;
	params[1] = id;
	params[2] = (const char *)s->content;
	lens[2] = 32;
	formats[2] = 1;
	params[3] = records;
	params[4] = messages;
	params[5] = buf_str(&notes);
	params[6] = r->error;
	params[7] = r->is_rfc9990 ? "t" : "f";
	params[8] = (const char *)key;
	lens[8] = 32;
	formats[8] = 1;
	ret = store_q_bin(s, NULL, err, "UPDATE reports SET content_sha256 = "
	    "$3, records = $4, messages = $5, notes = $6, error = $7, "
	    "is_rfc9990 = $8, report_key = $9 WHERE domain = $1 AND id = $2",
	    9, params, lens, formats);
	buf_release(&notes);
	return ret;
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	unsigned char key[32];
	bool is_dup;

	if (s->is_skip) {
		store_rollback(s);
		s->stats.reports_duplicate++;
		return 0;
	}
	/* a failure report copies nothing: its sample is one row */
	if (r->kind != REPORT_FAILURE && store_end_copy(s, err) == -1)
		goto fail;
	for (int i = 0; i < SP_COUNT; i++)
		if (store_copy_spool(s, (enum spool)i, err) == -1)
			goto fail;
	report_key(s, key);
	if (is_content_known(s, key, &is_dup, err) == -1)
		goto fail;
	if (is_dup) {
		store_rollback(s);
		s->stats.reports_duplicate++;
		return 0;
	}
	if (finish_report(s, r, key, err) == -1 ||
	    (r->kind == REPORT_TLSRPT &&
	    store_tls_rollup_load(s, r, err) == -1) ||
	    (r->kind == REPORT_DMARC && store_analysis_load(s, r, err) == -1) ||
	    store_tx_commit(s, err) == -1)
		goto fail;
	s->stats.reports_new++;
	s->stats.records += r->records;
	return 0;
fail:
	store_rollback(s);
	return -1;
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
	(void)r;
	store_rollback(ctx);
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
