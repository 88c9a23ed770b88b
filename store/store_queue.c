/*
 * The writer of reports: the statements of a load, the queue of small
 * reports, and write_reports, which stores one report or a queue of them
 * in one transaction: a pipeline to check and lock, a pipeline for the
 * rows that are one statement each, one COPY per table from the spools,
 * a pipeline for the rollups and the commit.
 */
#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

/* the queue is written when it holds this many reports or originals */
enum { QUEUE_MAX = 256, QUEUE_MAX_BYTES = 8u << 20 };

/* all of a batch's rollups at once: see write_reports */
#define ROLLUP_LOCK "7301553520463411"

const char *const store_stmt_sql[ST_COUNT] = {
	/* stored: by its key, or (same bytes) by its original and head;
	 * key or original may be NULL */
	[ST_KNOWN] = "SELECT EXISTS (SELECT 1 FROM reports WHERE domain = $1 "
	"AND report_key = $2) OR EXISTS (SELECT 1 FROM reports r JOIN "
	"raw_inputs w ON w.id = r.raw_id WHERE w.sha256 = $3 AND r.domain = "
	"$1 AND coalesce(r.domain_full, r.domain) = $4 AND r.kind = $5 AND "
	"translate(r.org_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	"'abcdefghijklmnopqrstuvwxyz') = translate($6, "
	"'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AND "
	"r.report_id = $7 AND r.begin_at = $8 AND r.end_at = $9)",
	[ST_LOCK] = "SELECT pg_advisory_xact_lock($1::bigint)",
	/* a concurrent loader may insert the same bytes: then read its row
	 * (this statement's snapshot may not see it: no row, and the next
	 * statement finds it) */
	[ST_RAW] = "WITH ins AS (INSERT INTO raw_inputs (sha256, encoding, "
	"content, size, source) VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
	"(sha256) DO NOTHING RETURNING id) SELECT id FROM ins UNION ALL "
	"SELECT id FROM raw_inputs WHERE sha256 = $1 LIMIT 1",
	[ST_REPORT] = "INSERT INTO reports (id, domain, kind, org_name, "
	"report_id, begin_at, end_at, email, extra_contact_info, p, sp, np, "
	"pct, fo, adkim, aspf, testing, discovery_method, version, xmlns, "
	"generator, location, domain_full, records, messages, notes, error, "
	"is_rfc9990, raw_id, content_sha256, report_key) VALUES ($1, $2, $3, "
	"$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
	"$19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)",
	/* the sums saturate (sql/008): a poisoned row never blocks the
	 * reports after it */
	[ST_DAY] = "INSERT INTO domain_daily AS t (domain, day, org_name, "
	"reports, messages, dmarc_pass, dkim_aligned, spf_aligned, "
	"quarantined, rejected, subdomain, subdomain_fail, disagree, "
	"overruled, unproved, records) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, "
	"$8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (domain, day, "
	"org_name) DO UPDATE SET reports = dmarcctl_add(t.reports, 1), "
	"records = dmarcctl_add(t.records, EXCLUDED.records), messages = "
	"dmarcctl_add(t.messages, EXCLUDED.messages), dmarc_pass = "
	"dmarcctl_add(t.dmarc_pass, EXCLUDED.dmarc_pass), dkim_aligned = "
	"dmarcctl_add(t.dkim_aligned, EXCLUDED.dkim_aligned), spf_aligned "
	"= dmarcctl_add(t.spf_aligned, EXCLUDED.spf_aligned), quarantined "
	"= dmarcctl_add(t.quarantined, EXCLUDED.quarantined), rejected = "
	"dmarcctl_add(t.rejected, EXCLUDED.rejected), subdomain = "
	"dmarcctl_add(t.subdomain, EXCLUDED.subdomain), subdomain_fail = "
	"dmarcctl_add(t.subdomain_fail, EXCLUDED.subdomain_fail), "
	"disagree = dmarcctl_add(t.disagree, EXCLUDED.disagree), "
	"overruled = dmarcctl_add(t.overruled, EXCLUDED.overruled), "
	"unproved = dmarcctl_add(t.unproved, EXCLUDED.unproved)",
	/* the stage's rows past the mark, merged, in key order */
	[ST_SOURCE_DAY] = "INSERT INTO source_daily AS t SELECT domain, day, "
	"source, dmarcctl_clamp(sum(messages)), dmarcctl_clamp(sum("
	"dmarc_pass)), dmarcctl_clamp(sum(dkim_aligned)), dmarcctl_clamp(sum("
	"spf_aligned)), dmarcctl_clamp(sum(dkim_foreign)), dmarcctl_clamp(sum("
	"spf_foreign)), dmarcctl_clamp(sum(dkim_missing)), dmarcctl_clamp(sum("
	"own_dkim_broken)), dmarcctl_clamp(sum(overridden)), dmarcctl_clamp("
	"sum(disagree)), max(foreign_dkim), max(foreign_spf), from_domain, "
	"min(foreign_spf), min(foreign_dkim) FROM source_stage WHERE n > $1 "
	"GROUP BY domain, day, source, from_domain ORDER BY domain, day, "
	"source, from_domain ON CONFLICT (domain, day, source, from_domain) "
	"DO UPDATE SET messages = dmarcctl_add(t.messages, "
	"EXCLUDED.messages), dmarc_pass = dmarcctl_add(t.dmarc_pass, "
	"EXCLUDED.dmarc_pass), dkim_aligned = "
	"dmarcctl_add(t.dkim_aligned, EXCLUDED.dkim_aligned), spf_aligned "
	"= dmarcctl_add(t.spf_aligned, EXCLUDED.spf_aligned), "
	"dkim_foreign = dmarcctl_add(t.dkim_foreign, "
	"EXCLUDED.dkim_foreign), spf_foreign = "
	"dmarcctl_add(t.spf_foreign, EXCLUDED.spf_foreign), dkim_missing "
	"= dmarcctl_add(t.dkim_missing, EXCLUDED.dkim_missing), "
	"own_dkim_broken = dmarcctl_add(t.own_dkim_broken, "
	"EXCLUDED.own_dkim_broken), overridden = "
	"dmarcctl_add(t.overridden, EXCLUDED.overridden), disagree = "
	"dmarcctl_add(t.disagree, EXCLUDED.disagree), foreign_dkim = "
	"greatest(t.foreign_dkim, EXCLUDED.foreign_dkim), foreign_spf = "
	"greatest(t.foreign_spf, EXCLUDED.foreign_spf), spf_low = "
	"least(t.spf_low, EXCLUDED.spf_low), dkim_low = "
	"least(t.dkim_low, EXCLUDED.dkim_low)",
	/* a TLS report's rollups, merged, rows in key order; the sums
	 * saturate (sql/008) */
	[ST_TLS_DAY] = "INSERT INTO tls_daily AS t (domain, day, org_name, "
	"policy_type, successful, failed) SELECT coalesce(dmarcctl_cap("
	"policy_domain), $1), $5::date, $4, dmarcctl_cap(policy_type), "
	"dmarcctl_clamp(sum(successful)), dmarcctl_clamp(sum(failed)) "
	"FROM tls_policies WHERE domain = $1 AND report = $2 AND begin_at = "
	"$3 GROUP BY 1, 4 ORDER BY 1, 4 ON CONFLICT (domain, day, org_name, "
	"policy_type) DO UPDATE SET successful = dmarcctl_add(t.successful, "
	"EXCLUDED.successful), failed = dmarcctl_add(t.failed, "
	"EXCLUDED.failed)",
	[ST_TLS_FAIL_DAY] = "INSERT INTO tls_daily_failures AS t (domain, day, "
	"org_name, policy_type, result_type, mx, sessions) SELECT coalesce("
	"dmarcctl_cap(p.policy_domain), $1), $5::date, $4, dmarcctl_cap("
	"p.policy_type), dmarcctl_cap(f.result_type), dmarcctl_cap(coalesce("
	"f.receiving_mx_hostname, '')), dmarcctl_clamp(sum("
	"f.failed_session_count)) FROM tls_failures f JOIN tls_policies p ON "
	"p.domain = f.domain AND p.report = f.report AND p.pol_no = f.pol_no "
	"WHERE f.domain = $1 AND f.report = $2 AND f.begin_at = $3 GROUP BY 1, "
	"4, 5, 6 ORDER BY 1, 4, 5, 6 ON CONFLICT (domain, day, org_name, "
	"policy_type, result_type, mx) DO UPDATE SET sessions = "
	"dmarcctl_add(t.sessions, EXCLUDED.sessions)",
};

/* the report row's values, in ST_REPORT's order */
enum {
	QV_ID, QV_DOMAIN, QV_KIND, QV_ORG, QV_REPORT_ID, QV_BEGIN, QV_END,
	QV_EMAIL, QV_EXTRA, QV_P, QV_SP, QV_NP, QV_PCT, QV_FO, QV_ADKIM,
	QV_ASPF, QV_TESTING, QV_DISCOVERY, QV_VERSION, QV_XMLNS, QV_GENERATOR,
	QV_LOCATION, QV_DOMAIN_FULL, QV_RECORDS, QV_MESSAGES, QV_NOTES,
	QV_ERROR, QV_RFC9990, QV_RAW_ID,
	QV_COUNT
};

_Static_assert(QV_COUNT <= sizeof(((struct qreport *)0)->v) /
    sizeof(char *), "qreport.v holds the report row");

static const char *const spool_copy[SP_COUNT] = {
	[SP_RECORDS] = "COPY records (domain, report, rec_no, begin_at, "
	    "source_ip, source_text, count, disposition, dkim, spf, "
	    "header_from, envelope_from, envelope_to, flags) FROM STDIN",
	[SP_TLS_POLICIES] = "COPY tls_policies (domain, report, pol_no, "
	    "begin_at, policy_type, policy_domain, policy_strings, mx_hosts, "
	    "successful, failed) FROM STDIN",
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
	[SP_SOURCE] = "COPY source_stage (domain, day, source, messages, "
	    "dmarc_pass, dkim_aligned, spf_aligned, dkim_foreign, spf_foreign, "
	    "dkim_missing, own_dkim_broken, overridden, disagree, foreign_dkim, "
	    "foreign_spf, from_domain) FROM STDIN",
};

const char *
store_spool_copy_sql(enum spool sp)
{
	return spool_copy[sp];
}

void
store_queue(struct store *s, store_refused_fn refused, void *ctx)
{
	s->is_queued = true;
	s->on_refused = refused;
	s->refused_ctx = ctx;
}

size_t
store_queued(const struct store *s)
{
	return s->n_queue;
}

/* --- ids and partitions --- */

/*
 * The report's id, taken before its rows are written (they carry it):
 * reserved from the sequence in blocks that grow with the run, so a run
 * of one report leaves no gap and a long one costs a round trip per 256.
 */
int
store_take_id(struct store *s, struct err *err)
{
	char n[16];
	const char *params[1] = { n };
	PGresult *res = NULL;

	if (s->ids_left == 0) {
		s->ids_block = s->ids_block == 0 ? 1 : s->ids_block >= 64 ?
		    256 : s->ids_block * 4;
		snprintf(n, sizeof(n), "%u", s->ids_block);
		if (store_q(s, &res, err, "SELECT nextval(pg_get_serial_"
		    "sequence('reports', 'id')) FROM generate_series(1, "
		    "$1::int)", 1, params) == -1)
			return -1;
		/* nextval is not contiguous under concurrency: each one */
		for (int i = PQntuples(res); i-- > 0;)
			s->ids[s->ids_left++] = strtoll(PQgetvalue(res, i, 0),
			    NULL, 10);
		PQclear(res);
	}
	s->report = s->ids[--s->ids_left];
	return 0;
}

/* this process's reserved ids are for nothing else (reparse: old_max) */
void
store_forget_ids(struct store *s)
{
	s->ids_left = 0;
}

/* the month's partitions, made once per process (outside any report) */
int
store_ensure_partitions(struct store *s, int64_t begin, struct err *err)
{
	time_t t = (time_t)begin;
	struct tm tm;
	const char *params[1] = { s->begin };
	int month;

	gmtime_r(&t, &tm);
	month = tm.tm_year * 12 + tm.tm_mon;
	for (unsigned i = 0; i < s->n_months; i++)
		if (s->months[i] == month)
			return 0;
	if (store_q(s, NULL, err, "SELECT dmarcctl_ensure_partitions($1)", 1,
	    params) == -1)
		return -1;
	if (s->n_months == sizeof(s->months) / sizeof(s->months[0]))
		s->n_months = 0;
	s->months[s->n_months++] = month;
	return 0;
}

void
store_forget_partitions(struct store *s)
{
	s->n_months = 0;
}

/* --- spools --- */

int
store_spool_at(struct store *s, struct spans *out, struct err *err)
{
	for (int i = 0; i < SP_COUNT; i++)
		if ((out->at[i] = s->spool[i] != NULL ? ftell(s->spool[i]) :
		    0) == -1)
			return err_set(err, ERR_IO, "cannot read a temporary "
			    "file position");
	return 0;
}

/* back to sp: the rows after it are forgotten */
int
store_spool_cut(struct store *s, const struct spans *sp, struct err *err)
{
	for (int i = 0; i < SP_COUNT; i++)
		if (s->spool[i] != NULL && (fflush(s->spool[i]) == EOF ||
		    ftruncate(fileno(s->spool[i]), sp->at[i]) == -1 ||
		    fseek(s->spool[i], sp->at[i], SEEK_SET) == -1))
			return err_set(err, ERR_IO, "cannot reset a temporary "
			    "file");
	return 0;
}

/* the spool's bytes [from, to) into the COPY in progress */
static int
copy_range(struct store *s, enum spool sp, long from, long to,
    struct err *err)
{
	char chunk[65536];
	FILE *f = s->spool[sp];

	if (fseek(f, from, SEEK_SET) == -1)
		return err_set(err, ERR_IO, "cannot read a temporary file");
	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(chunk) ?
		    (size_t)(to - from) : sizeof(chunk);
		size_t n = fread(chunk, 1, want, f);

		if (n == 0)
			return err_set(err, ERR_IO, "cannot read a temporary "
			    "file");
		if (store_put_copy(s, chunk, n, err) == -1)
			return -1;
		from += (long)n;
	}
	return 0;
}

/* into the COPY just started: sp's bytes from from on */
int
store_copy_spooled(struct store *s, enum spool sp, long from, struct err *err)
{
	long to;

	if (fflush(s->spool[sp]) == EOF || (to = ftell(s->spool[sp])) == -1)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	if (copy_range(s, sp, from, to, err) == -1)
		return -1;
	if (fseek(s->spool[sp], 0, SEEK_END) == -1)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	return 0;
}

/*
 * One COPY into sp's table of the rows of the reports idx[0..n), each a
 * run of the spool; none when they have no rows there.  The file is left
 * at its end, where rows go on being written.
 */
int
store_copy_runs(struct store *s, enum spool sp, const struct spans *from,
    const struct spans *to, size_t n, struct err *err)
{
	bool has_rows = false;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		has_rows |= to[i].at[sp] > from[i].at[sp];
	if (!has_rows)
		return 0;
	if (fflush(s->spool[sp]) == EOF)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	if (store_start_copy(s, spool_copy[sp], err) == -1)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = copy_range(s, sp, from[i].at[sp], to[i].at[sp], err);
	if (ret == 0)
		ret = store_end_copy(s, err);
	if (fseek(s->spool[sp], 0, SEEK_END) == -1 && ret == 0)
		ret = err_set(err, ERR_IO, "cannot write a temporary file");
	return ret;
}

/* --- the queue --- */

static char *
dup_or_null(const char *v)
{
	return v != NULL ? xstrdup(v) : NULL;
}

/* the current unit, copied once for the reports of it that wait */
static size_t
queue_unit(struct store *s)
{
	struct qunit *u;
	bool is_kept = s->unit.data != NULL && s->raw_id == 0 &&
	    !s->is_unit_private;

	if (s->has_qunit)
		return s->n_qunits - 1;
	if (s->n_qunits == s->cap_qunits) {
		s->cap_qunits = s->cap_qunits ? s->cap_qunits * 2 : 16;
		s->qunits = xreallocarray(s->qunits, s->cap_qunits,
		    sizeof(*s->qunits));
	}
	u = &s->qunits[s->n_qunits++];
	memset(u, 0, sizeof(*u));
	u->source = xstrdup(s->unit.source ? s->unit.source : "");
	u->encoding = dup_or_null(s->unit.encoding);
	u->size = s->unit.size;
	u->len = s->unit.len;
	memcpy(u->sha256, s->unit.sha256, sizeof(u->sha256));
	u->raw_id = s->raw_id;
	u->is_private = s->is_unit_private;
	u->has_sha = s->unit.data != NULL || s->unit.archived_id != 0;
	if (is_kept) {
		u->data = xmalloc(s->unit.len ? s->unit.len : 1);
		memcpy(u->data, s->unit.data, s->unit.len);
		s->queued_bytes += s->unit.len;
	}
	s->has_qunit = true;
	return s->n_qunits - 1;
}

static void
queue_clear(struct store *s)
{
	for (size_t i = 0; i < s->n_queue; i++)
		for (int k = 0; k < QV_COUNT; k++)
			free(s->queue[i].v[k]);
	for (size_t i = 0; i < s->n_queue; i++)
		free(s->queue[i].org_key);
	for (size_t i = 0; i < s->n_qunits; i++) {
		free(s->qunits[i].source);
		free(s->qunits[i].encoding);
		free(s->qunits[i].data);
	}
	s->n_queue = 0;
	s->n_qunits = 0;
	s->has_qunit = false;
	s->queued_bytes = 0;
}

void
store_queue_free(struct store *s)
{
	queue_clear(s);
	free(s->queue);
	free(s->qunits);
}

/*
 * The current report, ended, as a queue entry: the values of its row,
 * its key and its runs of the spools (up to where they are now).
 */
int
store_queue_push(struct store *s, const struct report *r,
    const unsigned char key[32], struct err *err)
{
	const struct report_policy *p = &r->policy;
	struct qreport *q;
	struct buf notes;
	char num[32];

	if (s->n_queue == s->cap_queue) {
		s->cap_queue = s->cap_queue ? s->cap_queue * 2 : 16;
		s->queue = xreallocarray(s->queue, s->cap_queue,
		    sizeof(*s->queue));
	}
	q = &s->queue[s->n_queue];
	memset(q, 0, sizeof(*q));
	if (store_spool_at(s, &q->to, err) == -1)
		return -1;
	buf_init(&notes, 1u << 20);
	if (store_array_literal(&notes, r->notes, r->n_notes, err) == -1) {
		buf_release(&notes);
		return -1;
	}
	q->v[QV_NOTES] = xstrdup(buf_str(&notes));
	buf_release(&notes);
	q->id = s->report;
	q->kind = r->kind;
	q->from = s->cur;
	q->unit = queue_unit(s);
	memcpy(q->content, s->content, 32);
	memcpy(q->key, key, 32);
	memcpy(q->day_counts, s->day_counts, sizeof(q->day_counts));
	q->records = r->records;
	q->lock = s->lock;
	snprintf(num, sizeof(num), "%lld", s->report);
	q->v[QV_ID] = xstrdup(num);
	q->v[QV_DOMAIN] = xstrdup(s->domain);
	q->v[QV_KIND] = xstrdup(report_kind_name(r->kind));
	q->v[QV_ORG] = xstrdup(r->org_name ? r->org_name : "");
	q->org_key = xstrdup(s->org);
	q->v[QV_REPORT_ID] = xstrdup(r->report_id);
	q->v[QV_BEGIN] = xstrdup(s->begin);
	q->v[QV_END] = xstrdup(s->end);
	/* a failure report's reporter is its org_name under metadata: no
	 * address with a local part is kept at that level, not even its */
	q->v[QV_EMAIL] = r->kind == REPORT_FAILURE &&
	    s->failure_keep == KEEP_METADATA ? NULL : dup_or_null(r->email);
	q->v[QV_EXTRA] = dup_or_null(r->extra_contact_info);
	q->v[QV_P] = dup_or_null(p->p);
	q->v[QV_SP] = dup_or_null(p->sp);
	q->v[QV_NP] = dup_or_null(p->np);
	snprintf(num, sizeof(num), "%d", p->pct);
	q->v[QV_PCT] = p->pct >= 0 ? xstrdup(num) : NULL;
	q->v[QV_FO] = dup_or_null(p->fo);
	q->v[QV_ADKIM] = dup_or_null(p->adkim);
	q->v[QV_ASPF] = dup_or_null(p->aspf);
	q->v[QV_TESTING] = dup_or_null(p->testing);
	q->v[QV_DISCOVERY] = dup_or_null(p->discovery_method);
	q->v[QV_VERSION] = dup_or_null(r->version);
	q->v[QV_XMLNS] = dup_or_null(r->xmlns);
	q->v[QV_GENERATOR] = dup_or_null(r->generator);
	q->v[QV_LOCATION] = dup_or_null(r->location);
	/* the whole domain, when the keyed column holds a part of it */
	q->v[QV_DOMAIN_FULL] = r->domain != NULL &&
	    strcmp(s->domain, r->domain) != 0 ? xstrdup(r->domain) : NULL;
	/* the totals are unsigned sums, the columns bigint: they saturate */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)
	    (r->records > INT64_MAX ? INT64_MAX : r->records));
	q->v[QV_RECORDS] = xstrdup(num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)
	    (r->messages > INT64_MAX ? INT64_MAX : r->messages));
	q->v[QV_MESSAGES] = xstrdup(num);
	q->v[QV_ERROR] = dup_or_null(r->error);
	q->v[QV_RFC9990] = xstrdup(r->is_rfc9990 ? "t" : "f");
	s->n_queue++;
	return 0;
}

/* is the queue due to be written (before the next report) */
bool
store_queue_is_full(const struct store *s)
{
	return s->n_queue >= QUEUE_MAX || s->queued_bytes >= QUEUE_MAX_BYTES;
}

/* --- writing --- */

static void
q_param(struct pipe_q *q, const char *v)
{
	q->params[q->n] = v;
	q->lens[q->n] = 0;
	q->formats[q->n] = 0;
	q->n++;
}

static void
q_bin(struct pipe_q *q, const void *v, int len)
{
	q->params[q->n] = v;
	q->lens[q->n] = len;
	q->formats[q->n] = 1;
	q->n++;
}

static struct pipe_q *
q_add(struct pipe_q **qs, size_t *n, size_t *cap, enum stmt st,
    const char *sql)
{
	struct pipe_q *q;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*qs = xreallocarray(*qs, *cap, sizeof(**qs));
	}
	q = &(*qs)[(*n)++];
	memset(q, 0, sizeof(*q));
	q->st = st;
	q->sql = sql;
	return q;
}

/* whether q's original goes into the archive with it */
static bool
is_archived(const struct store *s, const struct qreport *q)
{
	const struct qunit *u = &s->qunits[q->unit];

	return !u->is_private && (q->kind != REPORT_FAILURE ||
	    s->failure_keep == KEEP_FULL);
}

static void
add_known(struct store *s, struct pipe_q **qs, size_t *n, size_t *cap,
    const struct qreport *q)
{
	const struct qunit *u = &s->qunits[q->unit];
	struct pipe_q *k = q_add(qs, n, cap, ST_KNOWN, NULL);

	q_param(k, q->v[QV_DOMAIN]);
	q_bin(k, q->key, 32);
	if (u->has_sha)
		q_bin(k, u->sha256, 32);
	else
		q_param(k, NULL);
	q_param(k, q->v[QV_DOMAIN_FULL] ? q->v[QV_DOMAIN_FULL] :
	    q->v[QV_DOMAIN]);
	q_param(k, q->v[QV_KIND]);
	q_param(k, q->v[QV_ORG]);
	q_param(k, q->v[QV_REPORT_ID]);
	q_param(k, q->v[QV_BEGIN]);
	q_param(k, q->v[QV_END]);
	k->want_res = true;
}

static int
cmp_lock(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* the domain_daily key of q: domain, day, org, as the rows sort */
static int
cmp_day(const struct qreport *a, const struct qreport *b)
{
	int c = strcmp(a->v[QV_DOMAIN], b->v[QV_DOMAIN]);

	if (c == 0)
		c = strncmp(a->v[QV_BEGIN], b->v[QV_BEGIN],
		    strcspn(a->v[QV_BEGIN], "T"));
	return c != 0 ? c : strcmp(a->org_key, b->org_key);
}

struct write {
	struct store *s;
	size_t *idx;		/* the reports to write, in the queue */
	size_t n;
	bool is_open;		/* one report, its transaction open, its main
				 * rows sent by COPY */
	bool *is_dup;
	long long *rid;		/* per unit: its original's row, or 0 */
	char (*nums)[DC_COUNT][24];
	char (*days)[16];
	char (*rawid)[24];
};

/* check (and, unless open, begin and lock): which are stored already */
static int
check_known(struct write *w, struct err *err)
{
	struct store *s = w->s;
	struct pipe_q *qs = NULL;
	size_t n = 0, cap = 0, first;
	long long *locks = xcalloc(w->n + 1, sizeof(*locks));
	int ret = -1;

	if (!w->is_open) {
		q_add(&qs, &n, &cap, 0, "BEGIN");
		/* the heads in order, then the rollups: concurrent loaders
		 * never wait on each other in a circle */
		for (size_t i = 0; i < w->n; i++)
			locks[i] = s->queue[w->idx[i]].lock;
		qsort(locks, w->n, sizeof(*locks), cmp_lock);
		for (size_t i = 0; i < w->n; i++) {
			char *v = xmalloc(24);

			snprintf(v, 24, "%lld", locks[i]);
			q_param(q_add(&qs, &n, &cap, ST_LOCK, NULL), v);
		}
		q_add(&qs, &n, &cap, 0, "SELECT pg_advisory_xact_lock("
		    ROLLUP_LOCK ")");
		s->in_tx = true;
	}
	first = n;
	for (size_t i = 0; i < w->n; i++)
		add_known(s, &qs, &n, &cap, &s->queue[w->idx[i]]);
	if (store_pipe(s, qs, n, err) == 0) {
		for (size_t i = 0; i < w->n; i++) {
			PGresult *res = qs[first + i].res;

			w->is_dup[i] = res != NULL && PQntuples(res) == 1 &&
			    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		}
		ret = 0;
	}
	for (size_t i = 0; i < n; i++) {
		PQclear(qs[i].res);
		if (qs[i].st == ST_LOCK && qs[i].sql == NULL)
			free((char *)qs[i].params[0]);
	}
	free(qs);
	free(locks);
	return ret;
}

static void
add_raw(struct pipe_q **qs, size_t *n, size_t *cap, const struct qunit *u,
    char *size)
{
	struct pipe_q *q = q_add(qs, n, cap, ST_RAW, NULL);

	snprintf(size, 32, "%llu", (unsigned long long)u->size);
	q_bin(q, u->sha256, 32);
	q_param(q, u->encoding);
	q_bin(q, u->data, (int)u->len);
	q_param(q, size);
	q_param(q, u->source);
	q->want_res = true;
}

static void
add_report(struct write *w, struct pipe_q **qs, size_t *n, size_t *cap,
    const struct qreport *r, size_t i)
{
	struct store *s = w->s;
	const struct qunit *u = &s->qunits[r->unit];
	struct pipe_q *q = q_add(qs, n, cap, ST_REPORT, NULL);
	bool is_kept = is_archived(s, r);

	long long raw = u->raw_id != 0 ? u->raw_id : w->rid[r->unit];

	for (int k = 0; k < QV_RAW_ID; k++)
		q_param(q, r->v[k]);
	snprintf(w->rawid[i], sizeof(w->rawid[i]), "%lld", raw);
	q_param(q, is_kept && raw != 0 ? w->rawid[i] : NULL);
	q_bin(q, r->content, 32);
	q_bin(q, r->key, 32);
}

static void
add_day(struct write *w, struct pipe_q **qs, size_t *n, size_t *cap,
    const struct qreport *r, size_t i)
{
	struct pipe_q *q = q_add(qs, n, cap, ST_DAY, NULL);

	snprintf(w->days[i], sizeof(w->days[i]), "%.*s",
	    (int)strcspn(r->v[QV_BEGIN], "T"), r->v[QV_BEGIN]);
	q_param(q, r->v[QV_DOMAIN]);
	q_param(q, w->days[i]);
	q_param(q, r->org_key);
	for (int k = 0; k < DC_COUNT; k++) {
		snprintf(w->nums[i][k], sizeof(w->nums[i][k]), "%lld",
		    (long long)r->day_counts[k]);
		q_param(q, w->nums[i][k]);
	}
}

/* the order the rollup rows go in: domain_daily's key */
static struct store *sort_store;

static int
cmp_idx_day(const void *a, const void *b)
{
	const struct qreport *x = &sort_store->queue[*(const size_t *)a];
	const struct qreport *y = &sort_store->queue[*(const size_t *)b];

	return cmp_day(x, y);
}

/*
 * The originals of the units with new reports, archived: a pipeline, and
 * a look-up for one a concurrent loader archived meanwhile (its row was
 * not in the insert's snapshot).  w->rid gets each one's id.
 */
static int
write_originals(struct write *w, size_t *new_idx, size_t n_new,
    struct err *err)
{
	struct store *s = w->s;
	struct pipe_q *qs = NULL;
	size_t n = 0, cap = 0;
	size_t *raw_q = xcalloc(s->n_qunits + 1, sizeof(*raw_q));
	char (*sizes)[32] = xcalloc(s->n_qunits + 1, sizeof(*sizes));
	int ret = 0;

	for (size_t i = 0; i < n_new; i++) {
		const struct qreport *r = &s->queue[new_idx[i]];
		struct qunit *u = &s->qunits[r->unit];

		if (is_archived(s, r) && u->raw_id == 0 && u->data != NULL &&
		    raw_q[r->unit] == 0) {
			add_raw(&qs, &n, &cap, u, sizes[r->unit]);
			raw_q[r->unit] = n;	/* its statement, plus one */
		}
	}
	if (n > 0)
		ret = store_pipe(s, qs, n, err);
	for (size_t u = 0; ret == 0 && u < s->n_qunits; u++) {
		PGresult *res = raw_q[u] ? qs[raw_q[u] - 1].res : NULL;
		const char *p[1] = { (const char *)s->qunits[u].sha256 };
		int lens[1] = { 32 }, formats[1] = { 1 };

		if (raw_q[u] == 0)
			continue;
		if (res != NULL && PQntuples(res) == 1) {
			w->rid[u] = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			continue;
		}
		if (store_q_bin(s, &res, err, "SELECT id FROM raw_inputs WHERE "
		    "sha256 = $1", 1, p, lens, formats) == -1) {
			ret = -1;
			break;
		}
		if (PQntuples(res) == 1)
			w->rid[u] = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		else
			ret = err_set(err, ERR_DB, "cannot archive the "
			    "original: no row");
		PQclear(res);
	}
	for (size_t i = 0; i < n; i++)
		PQclear(qs[i].res);
	free(qs);
	free(raw_q);
	free(sizes);
	return ret;
}

/* the report rows and their day counts */
static int
write_rows(struct write *w, size_t *new_idx, size_t n_new, struct err *err)
{
	struct store *s = w->s;
	struct pipe_q *qs = NULL;
	size_t n = 0, cap = 0;
	size_t *by_day = xcalloc(n_new + 1, sizeof(*by_day));
	int ret;

	if (write_originals(w, new_idx, n_new, err) == -1) {
		free(by_day);
		return -1;
	}
	for (size_t i = 0; i < n_new; i++)
		add_report(w, &qs, &n, &cap, &s->queue[new_idx[i]], i);
	memcpy(by_day, new_idx, n_new * sizeof(*by_day));
	sort_store = s;
	qsort(by_day, n_new, sizeof(*by_day), cmp_idx_day);
	for (size_t i = 0; i < n_new; i++)
		if (s->queue[by_day[i]].kind == REPORT_DMARC)
			add_day(w, &qs, &n, &cap, &s->queue[by_day[i]], i);
	ret = store_pipe(s, qs, n, err);
	for (size_t i = 0; i < n; i++)
		PQclear(qs[i].res);
	free(qs);
	free(by_day);
	return ret;
}

/* the rollups that read the rows just copied, and the commit */
static int
write_rollups(struct write *w, size_t *new_idx, size_t n_new,
    struct err *err)
{
	struct store *s = w->s;
	struct pipe_q *qs = NULL;
	size_t n = 0, cap = 0;
	const char *mark = *s->stage_mark != '\0' ? s->stage_mark : "0";
	bool has_stage = false;
	int ret;

	for (size_t i = 0; i < n_new; i++) {
		const struct qreport *r = &s->queue[new_idx[i]];

		has_stage |= r->to.at[SP_SOURCE] > r->from.at[SP_SOURCE];
	}
	if (has_stage)
		q_param(q_add(&qs, &n, &cap, ST_SOURCE_DAY, NULL), mark);
	for (size_t i = 0; i < n_new; i++) {
		const struct qreport *r = &s->queue[new_idx[i]];

		if (r->kind != REPORT_TLSRPT)
			continue;
		snprintf(w->days[i], sizeof(w->days[i]), "%.*s",
		    (int)strcspn(r->v[QV_BEGIN], "T"), r->v[QV_BEGIN]);
		for (int k = 0; k < 2; k++) {
			struct pipe_q *q = q_add(&qs, &n, &cap, k == 0 ?
			    ST_TLS_DAY : ST_TLS_FAIL_DAY, NULL);

			q_param(q, r->v[QV_DOMAIN]);
			q_param(q, r->v[QV_ID]);
			q_param(q, r->v[QV_BEGIN]);
			q_param(q, r->org_key);
			q_param(q, w->days[i]);
		}
	}
	if (!w->is_open)
		q_add(&qs, &n, &cap, 0, "COMMIT");
	ret = n > 0 ? store_pipe(s, qs, n, err) : 0;
	free(qs);
	if (ret == 0 && !w->is_open)
		s->in_tx = false;
	/* open: the caller's transaction, or savepoint, commits */
	return ret == 0 && w->is_open ? store_tx_commit(s, err) : ret;
}

/*
 * Store the reports idx[0..n) of the queue in one transaction (is_open:
 * the one report whose transaction is open).  *dups counts those stored
 * already.  On failure everything is rolled back.
 */
static int
write_reports(struct store *s, size_t *idx, size_t n, bool is_open,
    unsigned *dups, struct err *err)
{
	struct write w = { s, idx, n, is_open, NULL, NULL, NULL, NULL, NULL };
	size_t *new_idx = xcalloc(n + 1, sizeof(*new_idx));
	struct spans *from = xcalloc(n + 1, sizeof(*from));
	struct spans *to = xcalloc(n + 1, sizeof(*to));
	size_t n_new = 0;
	int ret = -1;

	w.is_dup = xcalloc(n + 1, sizeof(*w.is_dup));
	w.nums = xcalloc(n + 1, sizeof(*w.nums));
	w.days = xcalloc(n + 1, sizeof(*w.days));
	w.rawid = xcalloc(n + 1, sizeof(*w.rawid));
	w.rid = xcalloc(s->n_qunits + 1, sizeof(*w.rid));
	*dups = 0;
	if (check_known(&w, err) == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct qreport *r = &s->queue[idx[i]];

		if (w.is_dup[i] || r->is_dup) {
			(*dups)++;
			continue;
		}
		from[n_new] = r->from;
		to[n_new] = r->to;
		new_idx[n_new++] = idx[i];
	}
	if (n_new == 0) {
		store_rollback(s);
		ret = 0;
		goto out;
	}
	if (write_rows(&w, new_idx, n_new, err) == -1)
		goto out;
	for (int sp = 0; sp < SP_COUNT; sp++) {
		/* open: its main rows went by COPY as they came */
		if (is_open && (sp == SP_RECORDS || sp == SP_TLS_POLICIES))
			continue;
		if (store_copy_runs(s, (enum spool)sp, from, to, n_new,
		    err) == -1)
			goto out;
	}
	if (write_rollups(&w, new_idx, n_new, err) == -1)
		goto out;
	for (size_t i = 0; i < n_new; i++) {
		s->stats.reports_new++;
		s->stats.records += s->queue[new_idx[i]].records;
	}
	/* committed: the originals' rows are there for later reports */
	for (size_t u = 0; u < s->n_qunits; u++)
		if (w.rid[u] != 0)
			s->qunits[u].new_raw_id = w.rid[u];
	ret = 0;
out:
	if (ret == -1)
		store_rollback(s);
	free(new_idx);
	free(from);
	free(to);
	free(w.is_dup);
	free(w.nums);
	free(w.days);
	free(w.rawid);
	free(w.rid);
	return ret;
}

/* the current report, ended in its own transaction: written */
int
store_write_current(struct store *s, struct err *err)
{
	size_t idx = s->n_queue - 1;
	unsigned dups;
	int ret = write_reports(s, &idx, 1, true, &dups, err);

	if (ret == 0) {
		s->stats.reports_duplicate += dups;
		if (s->raw_id == 0)
			s->raw_id = s->qunits[s->n_qunits - 1].new_raw_id;
	}
	queue_clear(s);
	return ret;
}

/* a queued report the database refused: told with its unit current */
static void
tell_refused(struct store *s, const struct qreport *q, const struct err *e)
{
	const struct qunit *u = &s->qunits[q->unit];
	struct store_unit saved = s->unit;
	long long saved_raw = s->raw_id;
	bool saved_private = s->is_unit_private;
	struct err why;

	/* named as the parser names a report's failure: where it is */
	if (q->v[QV_LOCATION] != NULL && *q->v[QV_LOCATION] != '\0')
		err_set(&why, e->code, "%s: %s: %s", u->source,
		    q->v[QV_LOCATION], e->msg);
	else
		err_set(&why, e->code, "%s: %s", u->source, e->msg);
	s->unit.source = u->source;
	s->unit.data = u->data;
	s->unit.len = u->len;
	s->unit.encoding = u->encoding;
	s->unit.size = u->size;
	memcpy(s->unit.sha256, u->sha256, 32);
	s->unit.archived_id = u->raw_id;
	s->raw_id = u->raw_id;
	s->is_unit_private = u->is_private;
	if (s->on_refused != NULL)
		s->on_refused(s->refused_ctx, u->source, &why);
	s->unit = saved;
	s->raw_id = saved_raw;
	s->is_unit_private = saved_private;
}

/* the same report twice in the queue: the later one is a duplicate */
static void
mark_queue_dups(struct store *s)
{
	for (size_t i = 1; i < s->n_queue; i++)
		for (size_t j = 0; j < i && !s->queue[i].is_dup; j++)
			s->queue[i].is_dup = !s->queue[j].is_dup &&
			    memcmp(s->queue[i].key, s->queue[j].key, 32) == 0 &&
			    strcmp(s->queue[i].v[QV_DOMAIN],
			    s->queue[j].v[QV_DOMAIN]) == 0;
}

int
store_flush(struct store *s, struct err *err)
{
	size_t n = s->n_queue, *idx;
	unsigned dups = 0;
	int ret = 0;

	if (n == 0)
		return 0;
	idx = xcalloc(n, sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	mark_queue_dups(s);
	if (write_reports(s, idx, n, false, &dups, err) == 0) {
		s->stats.reports_duplicate += dups;
	} else if (err->code == ERR_REFUSED && store_is_connected(s)) {
		/* one report at fault: each alone, to store the others */
		for (size_t i = 0; i < n && ret == 0; i++) {
			struct err e;

			if (write_reports(s, &idx[i], 1, false, &dups,
			    &e) == 0)
				s->stats.reports_duplicate += dups;
			else if (e.code == ERR_REFUSED &&
			    store_is_connected(s))
				tell_refused(s, &s->queue[i], &e);
			else
				ret = -1, *err = e;
		}
	} else {
		ret = -1;
	}
	/* the current unit's original, archived now: its later reports and
	 * errors refer to it */
	if (ret == 0 && s->has_qunit && s->raw_id == 0)
		s->raw_id = s->qunits[s->n_qunits - 1].new_raw_id;
	free(idx);
	queue_clear(s);
	return ret;
}
