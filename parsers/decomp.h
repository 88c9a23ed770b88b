/*
 * decomp: gzip and zip, as streams.  The only module that uses zlib and
 * libzip.
 *
 * Every byte decompressed counts against one budget per input (*used, at
 * most max): deflate expands a thousandfold, so passing it is ERR_LIMIT.
 */
#ifndef DMARC_PARSERS_DECOMP_H
#define DMARC_PARSERS_DECOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/stream.h"

/* True when the bytes start with the gzip / zip magic. */
bool decomp_is_gzip(const unsigned char *p, size_t n);
bool decomp_is_zip(const unsigned char *p, size_t n);

/*
 * A stream of the gunzipped bytes of inner (borrowed: it must outlive the
 * new stream).  Multi-member gzip is read whole; bytes after the last
 * member that do not start a new member are ignored (Mimecast appends a
 * CRLF).  Truncated or corrupt data is ERR_PARSE at the read that sees it.
 */
void decomp_gunzip(struct stream **out, struct stream *inner,
    uint64_t *used, uint64_t max);

struct zip_reader;

/*
 * Open a zip archive.  A fresh file stream is read in place; any other
 * stream is read into memory first (at most max_zip bytes).  At most
 * max_entries entries are allowed.
 */
int decomp_zip_open(struct zip_reader **out, struct stream *in,
    size_t max_zip, unsigned max_entries, uint64_t *used, uint64_t max,
    struct err *err);

/*
 * The next file entry (directories are skipped) as a stream owned by the
 * reader, valid until the next call or decomp_zip_free; *name is borrowed
 * likewise.  Returns 1, 0 at the end, -1 on error.
 */
int decomp_zip_next(struct zip_reader *z, struct stream **entry,
    const char **name, struct err *err);

void decomp_zip_free(struct zip_reader *z);

/*
 * A stream of the gzip compression of inner (borrowed), for archiving a
 * large original without holding it: memory stays flat.
 */
void decomp_gzip_stream(struct stream **out, struct stream *inner);

/*
 * gzip n bytes into a new malloc'd buffer (the raw archive keeps plain
 * XML and JSON compressed).  ERR_LIMIT when the result would pass max.
 */
int decomp_gzip_mem(const void *data, size_t n, size_t max, char **out,
    size_t *out_len, struct err *err);

#endif
