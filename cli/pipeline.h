/*
 * pipeline: what joins ingest (units), parsers (reports) and store (rows),
 * for every command that loads reports: ingest, fetch and reparse.
 *
 * Each unit (a file, an email of a Maildir or of an IMAP mailbox) is read
 * into memory when it is small (INLINE_MAX), so its original is archived in
 * the transaction of its first report; a larger one is spooled to a
 * temporary file, archived as a stream in a transaction of its own, and
 * parsed from the file: memory stays flat whatever the size of the input.
 * Reports are stored whole, small ones queued many to a transaction (a
 * mailbox's message is committed before it is acked); a unit that holds
 * no valid report is recorded in ingest_errors, and the run goes on; so
 * is a report whose values the database refuses (ERR_REFUSED).  A database failure stops
 * the run: what was committed stays.
 */
#ifndef DMARC_CLI_PIPELINE_H
#define DMARC_CLI_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cli/config.h"
#include "common/err.h"
#include "common/stream.h"
#include "ingest/source.h"
#include "parsers/report.h"

struct store;

/* a mailbox's unit whose reports wait in the store's queue: acked once
 * they are committed */
struct held_unit {
	char *id;
	char *name;
	unsigned reports;	/* parsed */
	unsigned refused;	/* of them, refused when the queue was written */
};

struct pipeline {
	const struct config *cfg;
	struct store *store;	/* NULL with --dry-run */
	/* the store's (or the dry run's), with our on_failure */
	struct report_sink sink;
	bool want_json;
	unsigned inputs;
	unsigned reports;
	unsigned failed;
	bool has_io_error;	/* an input could not be read at all: 74 */
	unsigned dry_reports;
	unsigned dry_duplicates;
	uint64_t dry_records;
	/* --dry-run: the database, when it answers, read only to tell the
	 * reports already stored */
	struct store *dry_store;
	bool is_db_lost;	/* a database error: stop the run */
	struct err db_err;
	time_t last_progress;
	time_t started;		/* the first unit, for the rate */
	size_t index, total;	/* the unit's place in its source's list */
	unsigned unit_reports;	/* the last unit's, as parsed */
	unsigned unit_refused;	/* the current unit's, refused */
	struct held_unit *held;
	size_t n_held, cap_held;
	/* fetch: messages moved out of the mailbox */
	bool is_mailbox;
	unsigned archived;
	unsigned rejected;
};

/* what became of a unit: the IMAP source moves the message accordingly */
enum unit_fate {
	UNIT_STORED,	/* its reports are committed (new or duplicate) */
	UNIT_REJECTED,	/* it holds no valid report: recorded as failed */
	UNIT_STOPPED,	/* the database failed: nothing is known, stop */
};

/*
 * Ready g: connected to a migrated database, or (is_dry) counting only.
 * -1 when the database cannot be used (said on stderr).
 */
int pipeline_init(struct pipeline *g, const struct config *cfg, bool is_dry);

/* Parse and store one unit. */
enum unit_fate pipeline_unit(struct pipeline *g, struct stream *in,
    const char *name);

/*
 * Every unit of src, each through pipeline_unit and acked once its
 * reports are committed (a unit that failed in the source is acked as
 * failed), then what the acks left waiting is flushed.  Ends at the end
 * of src, when *stop becomes true (stop may be NULL), or when the
 * database fails (g->is_db_lost: the unit at hand is not acked, the ones
 * before it are flushed).  -1 with err (ERR_NET) when the source is lost:
 * what was not moved is seen again next time.
 */
int pipeline_drain(struct pipeline *g, struct source *src,
    volatile sig_atomic_t *stop, struct err *err);

/* A unit that failed before it could be parsed: counted, said, recorded. */
void pipeline_begin_unit(struct pipeline *g, const char *name);
void pipeline_failure(struct pipeline *g, const struct err *why);

void pipeline_progress(struct pipeline *g);

/* The summary (text on stderr, --json on stdout); the exit status. */
int pipeline_finish(struct pipeline *g);

/* What pipeline_finish does but the summary: the exit status; the store
 * is closed. */
int pipeline_end(struct pipeline *g);

/* What a run did, as the summary tells it (fetch adds them up). */
struct pipeline_counts {
	unsigned inputs;
	unsigned reports;
	unsigned new_reports;
	unsigned duplicate;
	unsigned failed;
	uint64_t records;
	unsigned archived;	/* fetch: moved to the archive */
	unsigned rejected;	/* fetch: moved to errors */
	bool is_dry;
};

/* g's counts so far (before pipeline_end, which closes the store). */
void pipeline_counts(const struct pipeline *g, struct pipeline_counts *out);
void pipeline_counts_add(struct pipeline_counts *sum,
    const struct pipeline_counts *c);

/* The keys of the --json summary on stdout, without the braces. */
void pipeline_json_keys(const struct pipeline_counts *c, bool is_mailbox);

/* The text summary on stderr, after "who: " when who is not NULL. */
void pipeline_text(const struct pipeline_counts *c, bool is_mailbox,
    const char *who);

#endif
