/*
 * source: where raw input units come from.  A unit is one file or one
 * email, handed out as a stream with a name; ingest knows no parser.
 *
 * Kinds (one table in source.c): "-" is standard input; a directory is
 * walked recursively in name order (a Maildir's cur/ and new/ are
 * directories like any other; tmp/ of a Maildir, hidden entries and
 * symbolic links to directories are skipped); anything else is one file.
 * The IMAP source joins this table with its own ack.
 */
#ifndef DMARC_INGEST_SOURCE_H
#define DMARC_INGEST_SOURCE_H

#include "common/err.h"
#include "common/stream.h"

struct source;

/* ERR_IO naming the path when it cannot be opened. */
int source_open(struct source **out, const char *path, struct err *err);

/*
 * The next unit: returns 1 with *unit (owned by the source, valid until
 * the next call) and *name (the path or "stdin", for messages and the
 * database: valid UTF-8, an 8-bit file name read as Latin-1), 0 at the
 * end, -1 when one entry could not be opened (ERR_IO naming it; the next
 * call goes on with the entry after it).
 */
int source_next(struct source *s, struct stream **unit, const char **name,
    struct err *err);

void source_free(struct source *s);

#endif
