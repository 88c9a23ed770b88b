/*
 * store: reports into PostgreSQL, exactly once.  The only module that
 * includes libpq-fe.h.
 *
 * Each report is stored whole or not at all: the report row, its records
 * by COPY (never an INSERT per record), its auth results and reasons by
 * COPY, and the daily rollups, committed together; one transaction per
 * report, or (store_queue) one for many small reports.  The same report in
 * any wrapping (.xml, .gz, inside an email) is stored once: it is keyed by
 * reporter (ASCII case-folded), report id, policy domain, period and a
 * hash of its normalized records that does not depend on their order; a
 * second copy counts as a duplicate.  Concurrent loaders take an advisory
 * lock on that key, so they never store a report twice.
 *
 * Whatever their length, values are stored whole; what goes into a unique
 * index is short: the key is a SHA-256 (reports.report_key), and the
 * domain, reporter and TLS names that key the rollups are cut to
 * STORE_KEY_MAX bytes on a UTF-8 boundary (reports.domain_full keeps a
 * policy domain that was cut).
 *
 * Errors: ERR_DB with libpq's message.  A lost connection is ERR_DB too;
 * store_is_connected() tells the two apart.  A value the server refuses
 * (SQLSTATE class 22 data exception, 23 integrity, 54 program limit) is
 * ERR_REFUSED with the server's reason on one line, escaped, never the
 * statement: the input is at fault, the connection is usable, and the
 * report it belonged to is rolled back.
 */
#ifndef DMARC_STORE_STORE_H
#define DMARC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/stream.h"
#include "model/report.h"

struct store;

/* the most bytes of a name in a key column (sql/007_keys.sql) */
enum { STORE_KEY_MAX = 255 };

/*
 * How many bytes of v (UTF-8) go into a key column: all of it up to
 * STORE_KEY_MAX bytes, else the longest prefix that fits and ends on a
 * character boundary; the SQL function dmarcctl_cap cuts the same way.
 */
size_t store_key_cap(const char *v);

/*
 * Connect (conninfo: a libpq string or URI; NULL or "" for libpq's PG*
 * defaults).  ERR_DB naming the server when it is unreachable.  The
 * password is never part of the message.
 */
int store_open(struct store **out, const char *conninfo, struct err *err);
void store_free(struct store *s);
bool store_is_connected(const struct store *s);

/* Apply the migrations not yet applied, each in its own transaction;
 * *applied counts them.  On Citus, then distribute the tables not yet
 * distributed (store_mode), in one transaction; *distributed (unless
 * NULL) counts them.  Safe to run concurrently and from cron. */
int store_migrate(struct store *s, unsigned *applied, unsigned *distributed,
    struct err *err);

/*
 * Where the tables live: one PostgreSQL, or a Citus cluster (the
 * extension citus exists in the database).  On Citus, store_migrate also
 * distributes every table with a domain column by domain, co-located with
 * reports, and makes the other tables (raw_inputs, ingest_errors,
 * rdns_cache) reference tables: sql/014_citus.sql says why, table by table.
 */
struct store_mode {
	bool is_citus;
	unsigned workers;	/* active worker nodes (Citus) */
	unsigned undistributed;	/* tables store_migrate has yet to spread */
};

/* *out: the mode of the database.  ERR_DB. */
int store_mode(struct store *s, struct store_mode *out, struct err *err);

/* Each known migration and when it was applied ("" when it was not). */
typedef int (*store_status_fn)(void *ctx, int version, const char *name,
    const char *applied_at, struct err *err);
int store_status(struct store *s, store_status_fn fn, void *ctx,
    struct err *err);

/* ERR_DB "database is not migrated..." unless every migration is in. */
int store_check_schema(struct store *s, struct err *err);

/* --- loading --- */

struct store_stats {
	unsigned reports_new;
	unsigned reports_duplicate;
	uint64_t records;	/* in new reports */
};

/*
 * The input unit (a file or one email) whose reports come next.  Its raw
 * bytes are stored once, in the first report's transaction; data is
 * borrowed until the next store_set_unit.  data NULL: not archived (too
 * large; the original stays where source says).
 */
struct store_unit {
	const char *source;	/* path, "stdin", "imap:INBOX/4711" */
	const void *data;	/* the bytes to archive (maybe gzip'd) */
	size_t len;
	const char *encoding;	/* "identity" or "gzip" */
	uint64_t size;		/* bytes as received */
	unsigned char sha256[32];	/* of the bytes as received */
	int64_t archived_id;	/* raw_inputs.id when already archived */
};

void store_set_unit(struct store *s, const struct store_unit *u);

/*
 * What a failure report keeps ([failures] keep): metadata only (the
 * default: no local part, subject or body anywhere, not even the
 * reporter's own address, and the original is not archived), the
 * original's header block too, or everything (its body, and the original
 * mail archived like any input).
 */
enum failure_keep { KEEP_METADATA, KEEP_HEADERS, KEEP_FULL };

void store_set_failure_keep(struct store *s, enum failure_keep keep);

/*
 * Delete the failure reports whose sample arrived before the given time
 * (ISO 8601), with their samples and the originals archived for them
 * that nothing else names; with is_dry nothing is deleted.  *out is how
 * many reports there are.  ERR_DB on failure.
 */
int store_prune_failures(struct store *s, const char *before, bool is_dry,
    long long *out, struct err *err);

/* What store_prune_reports deleted (or, dry, would delete). */
struct store_pruned {
	long long reports;	/* aggregate and TLS reports */
	long long errors;	/* ingest errors */
	long long partitions;	/* monthly partitions of the record tables */
};

/*
 * Delete the aggregate and TLS reports whose period began before the
 * given time (ISO 8601: a month's first instant, so that the monthly
 * partitions of their records go whole), their rows and daily rollups,
 * the ingest errors recorded before it, and the originals nothing names
 * any more; with is_dry only count them.  ERR_DB on failure.
 */
int store_prune_reports(struct store *s, const char *before, bool is_dry,
    struct store_pruned *out, struct err *err);

/*
 * Archive a unit too large to hold, from a stream of the bytes to store
 * (u->data is NULL; sha256, size, encoding and source are set), in a
 * transaction of its own, sent in chunks: memory stays flat.  *out_id is
 * the raw_inputs row, new or already there.
 */
int store_archive_stream(struct store *s, const struct store_unit *u,
    struct stream *content, int64_t *out_id, struct err *err);

/*
 * The original archived as raw_inputs id, read in chunks as it is stored
 * (*is_gzip: gzip'd for the archive, the caller inflates it); the stream
 * must be freed before s.  ERR_USAGE when there is no such id.
 */
int store_raw_open(struct store *s, int64_t id, struct stream **out,
    bool *is_gzip, struct err *err);

/*
 * A sink that loads reports into the store (on_failure is left NULL:
 * failures are the caller's to record with store_record_error).
 */
void store_sink(struct store *s, struct report_sink *out);

/*
 * Queue reports (for a loader of many inputs): from now on the sink keeps
 * each report (its rows in temporary files, its unit's original copied)
 * and writes many in one transaction: a pipeline of prepared statements
 * and one COPY per table.  Exactly once still holds report by report:
 * the queue is checked against the store, and against itself, under the
 * reports' advisory locks.  A report that grows past STORE_QUEUE_ROWS
 * records (or policies) is loaded on its own instead, streamed, and one
 * stored already is then left unread (its record callback returns 1).
 *
 * The queue is written when it is full and by store_flush; nothing queued
 * is committed before.  When the database refuses a value, each report of
 * the queue is written alone, and refused(ctx, source, why) is told of
 * the one at fault (source: its unit's) with its unit current again (store_record_error records it); the
 * others are stored.  Failure reports, and reports inside a batch, are
 * never queued.
 */
enum { STORE_QUEUE_ROWS = 1024 };
typedef void (*store_refused_fn)(void *ctx, const char *source,
    const struct err *why);
void store_queue(struct store *s, store_refused_fn refused, void *ctx);
/* How many reports wait in the queue (0: everything is committed). */
size_t store_queued(const struct store *s);
/* Write what the queue holds.  -1 ERR_DB: nothing of it is stored. */
int store_flush(struct store *s, struct err *err);

/* What the sink loaded so far (what a flush committed). */
const struct store_stats *store_stats(const struct store *s);

/*
 * Record that a part of the current unit held no valid report: why, and
 * where the original is (the unit's raw bytes are archived with it).  A
 * source or cause the server refuses (not UTF-8, too long to index) is
 * recorded escaped and cut instead.
 */
int store_record_error(struct store *s, const struct err *why,
    struct err *err);

/*
 * Take the session-wide lock called name unless another connection holds
 * it: 1 taken (held until store_free), 0 busy.  One fetch per mailbox.
 */
int store_try_lock(struct store *s, const char *name, struct err *err);

/* --- batches, and reparse: rebuild every row from the raw archive --- */

/*
 * A batch: one transaction for many reports, so that until it commits
 * others see every report as it was.  store_batch_begin locks the tables
 * derived from the archive (reports, their children, rollups, ingest
 * errors) in SHARE ROW EXCLUSIVE mode: concurrent loaders wait, readers
 * do not.  Inside, each report (and each store_record_error) is a
 * savepoint: one that fails is rolled back alone and the batch goes on.
 * store_batch_end commits (is_commit) or rolls everything back; after
 * store_clear_derived it first drops the rows of the reports that went
 * and rebuilds the rollups of the old reports that stay.  A batch that
 * never ends (the process killed, the connection lost) changes nothing.
 * ERR_DB; store_batch_end with is_commit false accepts a NULL err.
 */
int store_batch_begin(struct store *s, struct err *err);
int store_batch_end(struct store *s, bool is_commit, struct err *err);

/*
 * In a batch: start rebuilding.  The rollups and the ingest errors of
 * archived inputs are emptied (each input parsed again adds its own back);
 * the reports stored so far stay until their input is parsed again
 * (store_unit_begin).
 */
int store_clear_derived(struct store *s, struct err *err);

/*
 * In a batch: the archived input raw_id is parsed again.  Begin takes a
 * savepoint and deletes the reports derived from that input (after
 * store_clear_derived); end with is_kept keeps what the new parse stored
 * and forgets the input's ingest errors, else rolls back to the
 * savepoint: the input's old reports are back, and the stats too.
 */
int store_unit_begin(struct store *s, int64_t raw_id, struct err *err);
int store_unit_end(struct store *s, bool is_kept, struct err *err);

/*
 * Each archived input in arrival order (is_failed_only: only those an
 * ingest error names), one at a time (data borrowed for the call;
 * encoding "identity" or "gzip").  fn returning -1 stops.
 */
typedef int (*store_raw_fn)(void *ctx, int64_t id, const char *source,
    const void *data, size_t len, struct err *err);
int store_each_raw(struct store *s, bool is_failed_only, store_raw_fn fn,
    void *ctx, struct err *err);

/* --- queries --- */

/* One row: ncols names and values (NULL for SQL NULL), borrowed. */
typedef int (*store_row_fn)(void *ctx, size_t ncols,
    const char *const *names, const char *const *values, struct err *err);

/*
 * Run one parameterized statement (text parameters, $1...) and hand each
 * row to fn (NULL: a statement whose rows do not matter).  For tests and
 * tools that poke at the schema: the program's own statements are the
 * typed functions below, and no SQL text lives outside store/.
 */
int store_select(struct store *s, const char *sql, int nparams,
    const char *const *params, store_row_fn fn, void *ctx,
    struct err *err);

/* --- what is stored: the listings and the checks --- */

/*
 * The reports that began in [since, until) (ISO 8601, UTC), of domain
 * (its policy domain; NULL: every one), in begin order; each row to fn
 * with the columns kind, domain, reporter, report_id, begin, end,
 * records, messages (the names are the output's).
 */
int store_reports_list(struct store *s, const char *since, const char *until,
    const char *domain, store_row_fn fn, void *ctx, struct err *err);

/*
 * The ingest errors recorded in [since, until), oldest first; each row to
 * fn with the columns id, at, source, code, cause, original (where the
 * input is kept), raw_id (its raw_inputs id, or NULL).
 */
int store_errors_list(struct store *s, const char *since, const char *until,
    store_row_fn fn, void *ctx,
    struct err *err);

/*
 * *out: whether a report with r's reporter, id, policy domain and period
 * is stored (what a dry run counts as a duplicate; the store's own key
 * also tells apart reports that differ in their records).
 */
int store_report_seen(struct store *s, const struct report *r, bool *out,
    struct err *err);

/* *out: whether a report was ever stored for domain (NULL: any). */
int store_report_exists(struct store *s, const char *domain, bool *out,
    struct err *err);

/* A policy domain heard from: the latest end of its reports of a kind. */
struct store_heard {
	const char *domain;	/* borrowed for the call */
	bool is_tlsrpt;		/* else DMARC */
	const char *last_end;	/* "YYYY-MM-DD HH:MMZ" */
	int64_t days;		/* whole days since last_end */
};

typedef int (*store_heard_fn)(void *ctx, const struct store_heard *h,
    struct err *err);

/*
 * Each domain (only domain, unless NULL) and kind with a report that
 * began at or after since (ISO 8601, UTC), by domain and kind.
 */
int store_last_heard(struct store *s, const char *since, const char *domain,
    store_heard_fn fn, void *ctx, struct err *err);

/* --- the analysis: reverse DNS cache and what was concluded --- */

typedef int (*store_rdns_fn)(void *ctx, const char *ip, const char *name,
    struct err *err);

/*
 * Each of the n ips with a cache entry not yet expired, to fn with its
 * name (NULL: known to have none); strings borrowed for the call.
 */
int store_rdns_cached(struct store *s, const char *const *ips, size_t n,
    store_rdns_fn fn, void *ctx, struct err *err);

/* A reverse DNS answer to cache for ttl seconds. */
struct store_rdns {
	const char *ip;
	const char *name;	/* NULL: none */
	const char *status;	/* "ok", "none", "fail" */
	int ttl;
};

/* Cache n answers (replacing older ones).  ERR_DB. */
int store_rdns_save(struct store *s, const struct store_rdns *rows,
    size_t n, struct err *err);

/* The class the analysis gave a source of a domain. */
struct store_class {
	const char *domain;
	const char *source;
	const char *class_name;
	const char *sender;	/* the sender it belongs to */
};

/* Keep n classes for dashboards (judged_at moves when one changes). */
int store_save_classes(struct store *s, const struct store_class *rows,
    size_t n, struct err *err);

/* A domain's verdict, for dashboards and monitoring. */
struct store_verdict {
	const char *domain;
	const char *verdict;
	const char *policy;	/* p=, NULL when unknown */
	const char *next_record;
	double legitimate_pass_rate;
};

/* Keep n verdicts, one per domain, replacing the last ones.  ERR_DB. */
int store_save_verdicts(struct store *s, const struct store_verdict *rows,
    size_t n, struct err *err);

/*
 * A span of the analysis: [since, until) as dates (YYYY-MM-DD) for the
 * daily rollups, as ISO 8601 UTC times for reports; recent is the date
 * from which a rollup's days count as recent.  All borrowed.
 */
struct store_span {
	const char *since;
	const char *until;
	const char *domain;	/* NULL: every domain */
	const char *recent;	/* only where a query says so */
	/* store_source_days: From subdomains that do not exist */
	const char *const *nonexistent;
	size_t n_nonexistent;
};

/*
 * The queries of the analysis.  Each hands fn one row at a time, the
 * columns in the order given (values as text, NULL for SQL NULL); the
 * sums saturate (sql/008) instead of failing.
 */

/* Per domain, over domain_daily days: domain, reports, messages,
 * dmarc_pass, dkim_aligned, spf_aligned, quarantined, rejected, subdomain,
 * subdomain_fail, disagree, days, reporters; by domain. */
/*
 * Ready the session for the analysis: its aggregates over a window's
 * rollups hash in memory (work_mem 64 MB) instead of sorting on disk, and
 * skip JIT compilation, which costs more than it saves on them.
 */
int store_analysis_session(struct store *s, struct err *err);

int store_domain_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per domain, of the DMARC reports that began in the span (times): its
 * latest policy (domain, p, sp, np, pct, adkim, aspf, testing) and on how
 * many days it was enforced (quarantine at 100 %, or reject). */
int store_domain_policies(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per domain and source, over source_daily days: domain, source,
 * messages, dmarc_pass, dkim_aligned, spf_aligned, the messages and
 * dmarc_pass of the recent days, dkim_foreign, spf_foreign, dkim_missing,
 * own_dkim_broken, overridden, disagree, foreign_dkim, foreign_spf,
 * rows (days; more where a source sent From several subdomains on a
 * day), population ("o" mail From the domain, "s" From a subdomain, "n"
 * From a subdomain in span->nonexistent: one row for each population of
 * a source), spf_low (the smallest foreign SPF domain),
 * the days seen as a bigint mask (bit i: the day i after since; for a
 * span longer than 64 days, bit i covers 1/64 of it), and dkim_low (the
 * smallest foreign DKIM d=).  Every aggregate combines in parallel workers. */
int store_source_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* The From subdomains of source_daily over the span, most messages
 * first, at most limit: domain, subdomain, messages. */
int store_subdomains(struct store *s, const struct store_span *span,
    long limit, store_row_fn fn, void *ctx, struct err *err);

/* The DKIM selectors the reports of the span (times) show for each
 * domain, signing as the domain or one of its subdomains: domain, d=
 * (lower-case), selector, whether any of its results passed; by domain,
 * at most 64 a domain (the most frequent). */
int store_dkim_selectors(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per domain and source address, the failure samples that arrived in the
 * span (times): domain, source_ip, samples, first, last, the failure
 * types, DKIM selectors, DKIM domains, From domains and delivery results
 * (each distinct, comma-joined); by domain, most samples first. */
int store_failures(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per domain, sending address, failure types and DKIM key, the failure
 * samples that arrived in the span (times): domain, source_ip,
 * auth_failure, dkim_selector, dkim_domain, samples; samples without an
 * address are left out (they name no sender); span->domain takes its
 * subdomains too.  By domain and address. */
int store_failure_evidence(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per domain and reporter over domain_daily days, reporters whose
 * verdicts their own auth_results contradict: domain, org_name, the
 * messages it failed although they prove an aligned pass, all its
 * messages, the messages it passed although they show no aligned pass. */
int store_reporters_overruled(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* Per TLS domain and policy type, over tls_daily days: domain,
 * policy_type, sessions, failed, and the domain's days and reporters;
 * by domain and type. */
int store_tls_days(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/* The STS policies of TLS reports that began in the span (times), newest
 * first: policy domain, its policy strings joined by newlines. */
int store_tls_modes(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

/*
 * Per TLS domain, MX (lower case) and result type, tlsa policies apart
 * from the others, over tls_daily_failures days: domain, the policy
 * types ("sts", "no-policy-found", "tlsa"; several joined by ",", NULL
 * when none is known), mx, result_type, sessions, those of the recent
 * days, reporters, days, the last day seen, and the day of the evidence
 * of its repair or NULL (after the last day seen, a reporter that saw it
 * sent a failure-free report with sessions for an MTA-STS policy whose
 * only MX is that MX; the latest such day), and the day of the evidence
 * that it left the policy or NULL (the same, for a policy whose MX list
 * does not match it); by domain, most sessions first.
 */
int store_tls_failures(struct store *s, const struct store_span *span,
    store_row_fn fn, void *ctx, struct err *err);

#endif
