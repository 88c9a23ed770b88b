/*
 * store_p: what the files of the store module share, and no one else.
 * store.c holds the connection, error text and the query helpers;
 * store_migrate.c migrations; store_archive.c the raw archive and ingest
 * errors; store_load.c the report sink and its COPY loader;
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

/* the child tables loaded from spool files once the main COPY is done */
enum spool {
	SP_REASONS, SP_DKIM, SP_SPF, SP_TLS_FAILURES,
	SP_SOURCE,	/* source_stage: one row per record, merged into
			 * source_daily at the end of the report */
	SP_COUNT
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
	bool has_spool_rows[SP_COUNT];
	struct buf row;
	int ensured_month;	/* year * 12 + month of the last partitions */
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
const char *store_key_copy(const char *v, char *out);
int store_start_copy(struct store *s, const char *sql, struct err *err);
int store_end_copy(struct store *s, struct err *err);
int store_put_copy(struct store *s, const char *data, size_t len,
    struct err *err);
int store_ensure_stage(struct store *s, struct err *err);
int store_copy_spool(struct store *s, enum spool sp, struct err *err);

/* --- store_rollup.c --- */

int store_analysis_row(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err);
int store_analysis_load(struct store *s, const struct report *r,
    struct err *err);
int store_tls_rollup_load(struct store *s, const struct report *r,
    struct err *err);
int store_kept_rollups(struct store *s, struct err *err);

#endif
