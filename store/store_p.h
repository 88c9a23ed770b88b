/*
 * store_p: what the files of the store module share, and no one else.
 * store.c holds the connection, error text and the query helpers;
 * store_migrate.c migrations; store_archive.c the raw archive and ingest
 * errors; store_load.c the report sink, its rows and COPY helpers;
 * store_queue.c the load's statements, the queue and the writer;
 * store_rollup.c the rollups; store_query.c the queries; store_reparse.c
 * batches, reparse and locks.
 */
#ifndef DMARC_STORE_STORE_P_H
#define DMARC_STORE_STORE_P_H

#include "store/store.h"

#include <stdio.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/sha256.h"

enum { MAX_PARAMS = 16 };

/* the counts of domain_daily, in its column order after reports */
enum {
	DC_MESSAGES, DC_PASS, DC_DKIM, DC_SPF, DC_QUARANTINED, DC_REJECTED,
	DC_SUBDOMAIN, DC_SUBDOMAIN_FAIL, DC_DISAGREE, DC_OVERRULED, DC_UNPROVED,
	DC_RECORDS,
	DC_COUNT
};

/* the counts of a source_stage row, in its column order after source */
enum {
	SC_MESSAGES, SC_PASS, SC_DKIM, SC_SPF, SC_DKIM_FOREIGN, SC_SPF_FOREIGN,
	SC_DKIM_MISSING, SC_OWN_DKIM_BROKEN, SC_OVERRIDDEN, SC_DISAGREE,
	SC_COUNT
};

/*
 * The rows of the reports in hand, one temporary file per table: the
 * main rows (records, TLS policies) while reports are queued (a report
 * loaded on its own streams them to its COPY instead), the children
 * always.  Each report's rows are one run of each file (struct spans).
 */
enum spool {
	SP_RECORDS, SP_TLS_POLICIES,
	SP_REASONS, SP_DKIM, SP_SPF, SP_TLS_FAILURES,
	SP_SOURCE,	/* source_stage: one row per record, merged into
			 * source_daily when the report commits */
	SP_COUNT
};

/* where a report's rows begin in each spool file */
struct spans {
	long at[SP_COUNT];
};

/*
 * The statements sent in pipelines, prepared once per connection
 * (store.c holds their text: stmt_sql).
 */
enum stmt {
	ST_KNOWN,	/* is the report stored: its key, or its original */
	ST_LOCK,	/* the report head's advisory lock */
	ST_RAW,		/* archive an original */
	ST_REPORT,	/* the report row, complete */
	ST_DAY,		/* domain_daily, merged */
	ST_SOURCE_DAY,	/* source_daily from the stage, merged */
	ST_TLS_DAY,	/* tls_daily of a report, merged */
	ST_TLS_FAIL_DAY,	/* tls_daily_failures of a report, merged */
	ST_COUNT
};

/* one statement of a pipeline: a prepared one, or plain SQL (params 0) */
struct pipe_q {
	enum stmt st;
	const char *sql;	/* instead of st, without parameters */
	int n;			/* parameters */
	const char *params[40];
	int lens[40];
	int formats[40];
	PGresult *res;		/* kept when want_res */
	bool want_res;
};

/* a unit whose reports wait in the queue: a copy of store_unit */
struct qunit {
	char *source;
	void *data;		/* NULL: archived already, or not at all */
	size_t len;
	char *encoding;
	uint64_t size;
	unsigned char sha256[32];
	long long raw_id;	/* archived already (0: not) */
	long long new_raw_id;	/* archived by the last write */
	bool has_sha;		/* sha256 names an original */
	bool is_private;	/* never archived */
};

/* a report that waits in the queue, its rows in the spools */
struct qreport {
	long long id;
	size_t unit;		/* in store->qunits */
	struct spans from, to;	/* its rows in the spools */
	enum report_kind kind;
	char *v[32];		/* the report row's text values (NULL: SQL
				 * NULL), in ST_REPORT's order */
	char *org_key;		/* org_name capped: the rollups' key */
	unsigned char content[32];
	unsigned char key[32];
	long long lock;		/* the head's advisory lock key */
	int64_t day_counts[DC_COUNT];
	uint64_t records;
	bool is_dup;
};


struct store {
	PGconn *conn;
	char notice[256];	/* the server's last notice, not printed */
	struct store_stats stats;

	struct store_unit unit;
	char *unit_source;
	long long raw_id;	/* 0: not stored (yet) */
	bool is_unit_private;	/* holds a failure report kept without its
				 * original: never archived */
	enum failure_keep failure_keep;	/* what failure samples keep */

	/* the report being loaded */
	bool in_batch;		/* one transaction, savepoints inside */
	long long old_max;	/* reparse: the last report before, or -1 */
	struct store_stats unit_stats;	/* at store_unit_begin */
	char unit_raw[32];	/* its raw_inputs id, as text */
	bool in_tx;
	bool in_copy;
	bool is_skip;		/* known duplicate: records are ignored */
	long long report;	/* reports.id */
	unsigned rec_no;
	char begin[32];		/* the report's begin, for partitions */
	char domain[STORE_KEY_MAX + 1];	/* the report's domain, capped */
	char org[STORE_KEY_MAX + 1];	/* its org_name, capped */
	struct sha256 head;	/* the report's key fields: report_head */
	struct sha256 rec_hash;	/* of the record (policy) being loaded */
	unsigned char content[32];	/* sum of the records' hashes */
	FILE *spool[SP_COUNT];
	struct spans cur;	/* the current report's rows in the spools */
	bool is_direct;		/* the current report is loaded on its own, in
				 * its transaction, its main rows by COPY */
	bool is_queued;		/* queue small reports (store_queue) */
	store_refused_fn on_refused;
	void *refused_ctx;
	struct qreport *queue;
	size_t n_queue, cap_queue;
	struct qunit *qunits;
	size_t n_qunits, cap_qunits;
	bool has_qunit;		/* the current unit is the last qunit */
	size_t queued_bytes;	/* originals copied into qunits */
	long long ids[256];	/* reports.id reserved, not used yet */
	unsigned ids_left, ids_block;
	long long lock;		/* the current head's advisory lock key */
	char end[32];		/* the report's end (ISO 8601) */
	bool is_prepared[ST_COUNT];
	int months[16];		/* partitions made: year * 12 + month */
	unsigned n_months;
	struct buf row;
	bool has_stage;		/* the session's source_stage exists */
	char stage_mark[24];	/* its rows of earlier reports in a batch */
	long long stage_base;	/* the mark when it was last emptied */
	/* the report's domain_daily counts */
	int64_t day_counts[DC_COUNT];
};


/* --- store.c: errors, statements, COPY text --- */

/* Append text to out as one printable line (\xNN escapes). */
void store_add_escaped(char *out, size_t size, const char *text);
/* ERR_DB (or ERR_REFUSED) from res or the connection; returns -1. */
int store_db_error(struct store *s, struct err *err, const char *what,
    const PGresult *res);
/*
 * Run a statement with parameters (text ones unless lens and formats say
 * binary); *out gets the result when wanted (caller PQclears).
 */
int store_q_bin(struct store *s, PGresult **out, struct err *err,
    const char *sql, int n, const char *const *params, const int *lens,
    const int *formats);
int store_q(struct store *s, PGresult **out, struct err *err, const char *sql,
    int n, const char *const *params);
/* *out: whether the query returns a row */
int store_q_exists(struct store *s, bool *out, struct err *err, const char *sql,
    int n, const char *const *params, const int *lens, const int *formats);
/* A statement without parameters (may be several). */
int store_exec(struct store *s, const char *sql, struct err *err);
/* The text of each enum stmt (store_queue.c). */
extern const char *const store_stmt_sql[ST_COUNT];
/*
 * Send q[0..n) in one pipeline and read every result: one round trip
 * (and one more per statement not yet prepared on this connection).
 * The first failure is err (ERR_REFUSED or ERR_DB, as store_db_error);
 * results wanted are kept in q[i].res (caller PQclears) only on success.
 */
int store_pipe(struct store *s, struct pipe_q *q, size_t n, struct err *err);
/* COPY text format fields, tab- or newline-terminated. */
int store_copy_field(struct buf *b, const char *v, bool is_last,
    struct err *err);
int store_copy_int(struct buf *b, long long v, bool is_last, struct err *err);
/* A PostgreSQL text[] literal: {"a","b\\"c",NULL}; the one encoder. */
int store_array_literal(struct buf *b, const char *const *v, size_t n,
    struct err *err);

/* --- store_archive.c --- */

/* Archive the current unit in the open transaction, once. */
int store_raw(struct store *s, struct err *err);

/* --- store_load.c: transactions, spools, COPY --- */

void store_rollback(struct store *s);
int store_stage_mark(struct store *s, struct err *err);
int store_tx_begin(struct store *s, struct err *err);
int store_tx_commit(struct store *s, struct err *err);
int store_spool_reset(struct store *s, struct err *err);
int store_spool_row(struct store *s, enum spool sp, struct err *err);
/* the current report's rows of sp so far, by COPY */
int store_copy_spool(struct store *s, enum spool sp, struct err *err);
const char *store_key_copy(const char *v, char *out);
int store_start_copy(struct store *s, const char *sql, struct err *err);
int store_end_copy(struct store *s, struct err *err);
int store_put_copy(struct store *s, const char *data, size_t len,
    struct err *err);
int store_ensure_stage(struct store *s, struct err *err);

/* --- store_queue.c: statements, ids, partitions, spools, the queue --- */

const char *store_spool_copy_sql(enum spool sp);
int store_take_id(struct store *s, struct err *err);
void store_forget_ids(struct store *s);
int store_ensure_partitions(struct store *s, int64_t begin, struct err *err);
void store_forget_partitions(struct store *s);
/* the spools' positions now; back to them */
int store_spool_at(struct store *s, struct spans *out, struct err *err);
int store_spool_cut(struct store *s, const struct spans *sp, struct err *err);
/* into the COPY just started: sp's bytes from from on */
int store_copy_spooled(struct store *s, enum spool sp, long from,
    struct err *err);
/* one COPY of the runs [from[i], to[i]) of sp, i < n */
int store_copy_runs(struct store *s, enum spool sp, const struct spans *from,
    const struct spans *to, size_t n, struct err *err);
/* the current report, ended, into the queue */
int store_queue_push(struct store *s, const struct report *r,
    const unsigned char key[32], struct err *err);
bool store_queue_is_full(const struct store *s);
void store_queue_free(struct store *s);
/* the report just pushed (the queue held nothing else), loaded on its
 * own, its transaction open: checked, written, committed */
int store_write_current(struct store *s, struct err *err);

/* --- store_rollup.c --- */

int store_analysis_row(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err);
int store_analysis_load(struct store *s, const struct report *r,
    struct err *err);
int store_tls_rollup_load(struct store *s, const struct report *r,
    struct err *err);
int store_kept_rollups(struct store *s, struct err *err);

#endif
