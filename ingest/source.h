/*
 * source: where raw input units come from.  A unit is one file or one
 * email, handed out as a stream with its metadata; ingest knows no parser.
 *
 * Every kind of source is one row of the table in source.c, a struct
 * source_ops: open, next (one unit per call), ack (what became of the
 * unit, said only after its reports are committed), close; and, for a
 * mailbox, flush (acks are batched), wait (for new mail) and moved.
 *
 * Kinds: "-" is standard input; a directory is walked recursively in name
 * order (a Maildir's cur/ and new/ are directories like any other; tmp/ of
 * a Maildir, hidden entries and symbolic links to directories are
 * skipped); anything else is one file (an mbox file is one unit: the
 * parser finds its messages).  None of these moves anything on ack.  The
 * IMAP mailbox (source_imap.h) is opened from its settings, not a path,
 * and moves each message on ack to the archive or errors folder.
 */
#ifndef DMARC_INGEST_SOURCE_H
#define DMARC_INGEST_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/stream.h"

struct source;

/* One unit, as next hands it out: everything is owned by the source and
 * valid until the next call to next or close. */
struct source_unit {
	struct stream *stream;	/* the raw bytes; NULL when next failed */
	/* the path, "stdin" or an IMAP URL without the password, for
	 * messages and the database: valid UTF-8 (an 8-bit file name is read
	 * as Latin-1) */
	const char *name;
	uint64_t size;		/* in bytes as the source announced it; 0:
				 * not known before reading */
	const char *id;		/* an IMAP UID, or NULL */
	/* its place among the units the source listed (1-based) and how
	 * many that was; 0: not known (files are found as they are read) */
	size_t index, total;
};

/* What became of a unit, told to the source by ack. */
enum source_fate {
	SOURCE_STORED,	/* its reports are committed (new or duplicate) */
	SOURCE_FAILED,	/* it holds no valid report (recorded failed) */
};

struct source_ops {
	const char *kind;
	/* -1 with err when the source cannot be used */
	int (*open)(void **impl, const void *where, struct err *err);
	/*
	 * The next unit: 1 with *out, 0 at the end, -1 when it failed:
	 * ERR_NET when the source itself is lost (stop); any other code
	 * when this one unit failed (out->name names it; ack it as failed,
	 * and the next call goes on with the unit after it).
	 */
	int (*next)(void *impl, struct source_unit *out, struct err *err);
	/*
	 * A unit is done with: the current one (id NULL), or one handed out
	 * before, by the id next gave it (a caller may hold acks until what
	 * it stored is committed).  *moved_to is set to where it went, or
	 * NULL when it stays.  -1 ERR_NET when the source is lost.
	 */
	int (*ack)(void *impl, const char *id, enum source_fate fate,
	    const char **moved_to, struct err *err);
	/* Optional (NULL: acks never wait): send what acks left waiting;
	 * -1 ERR_NET when the source is lost. */
	int (*flush)(void *impl, struct err *err);
	/* Optional (NULL: nothing new ever arrives): wait up to seconds for
	 * new units, returning early when *stop becomes true; 1 when units
	 * wait, 0 none, -1 ERR_NET. */
	int (*wait)(void *impl, unsigned seconds, volatile sig_atomic_t *stop,
	    struct err *err);
	/* Optional (NULL: nothing moves): how many units this source moved
	 * so far, per fate. */
	void (*moved)(void *impl, unsigned *stored, unsigned *failed);
	/* End and free. */
	void (*close)(void *impl);
};

/* A path (a file, a directory or Maildir, or "-"): ERR_IO naming the path
 * when it cannot be opened. */
int source_open(struct source **out, const char *path, struct err *err);

/* Any row of the table, from what its open takes (source_imap.h). */
int source_open_ops(struct source **out, const struct source_ops *ops,
    const void *where, struct err *err);

/* The ops' hooks, on s: see struct source_ops. */
int source_next(struct source *s, struct source_unit *out, struct err *err);
int source_ack(struct source *s, const char *id, enum source_fate fate,
    const char **moved_to, struct err *err);
int source_flush(struct source *s, struct err *err);
int source_wait(struct source *s, unsigned seconds,
    volatile sig_atomic_t *stop, struct err *err);
void source_moved(const struct source *s, unsigned *stored,
    unsigned *failed);

/* Close and free s (NULL is fine). */
void source_close(struct source *s);

#endif
