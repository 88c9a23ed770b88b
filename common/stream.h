/*
 * stream: a pull source of bytes that can be stacked.
 *
 * A stream may be a file descriptor, a block of memory, or a filter over
 * another stream (gunzip, a zip entry: see parsers/decomp.h).  Readers pull
 * with stream_read(); stream_peek() looks ahead without consuming, so the
 * format of any stream can be detected by its content.
 *
 * Ownership: stream_free() frees the stream and whatever it was told it
 * owns (an fd opened by stream_open_file, an inner stream handed over with
 * STREAM_OWN_INNER).  A stream over borrowed memory or a borrowed inner
 * stream must not outlive them.
 */
#ifndef DMARC_COMMON_STREAM_H
#define DMARC_COMMON_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct stream;

/* What a filter implements; used by parsers/decomp.c and tests. */
struct stream_ops {
	/* read up to len bytes: >0 bytes, 0 end, -1 error */
	ssize_t (*read)(void *impl, void *buf, size_t len, struct err *err);
	void (*close)(void *impl);
};

/*
 * Open path for reading ("-" is standard input, not closed at free).
 * ERR_IO with the path and strerror on failure.
 */
int stream_open_file(struct stream **out, const char *path, struct err *err);

/* A stream over an fd; the fd is closed at free only when owns_fd. */
void stream_new_fd(struct stream **out, int fd, bool owns_fd,
    const char *name);

/* A stream over borrowed memory (not copied, not freed). */
void stream_new_mem(struct stream **out, const void *data, size_t len,
    const char *name);

/* A stream whose bytes come from ops/impl; close(impl) runs at free. */
void stream_new_ops(struct stream **out, const struct stream_ops *ops,
    void *impl, const char *name);

void stream_free(struct stream *s);

/*
 * Read up to len bytes: returns the count (>0), 0 at end of data, -1 on
 * error.  Short reads are normal.
 */
ssize_t stream_read(struct stream *s, void *buf, size_t len, struct err *err);

/*
 * Make up to n bytes (n <= STREAM_PEEK_MAX) available without consuming
 * them.  *out points into the stream's buffer until the next read or peek;
 * *avail is less than n only at end of data.
 */
enum { STREAM_PEEK_MAX = 4096 };
int stream_peek(struct stream *s, size_t n, const unsigned char **out,
    size_t *avail, struct err *err);

/*
 * Read at most max bytes into a new malloc'd block, NUL-terminated (*len
 * excludes the NUL); *is_whole says whether that was all of the stream
 * (a stream of exactly max bytes or more is not whole).  The block is
 * the caller's; what was not read stays in s.
 */
int stream_read_upto(struct stream *s, size_t max, char **out, size_t *len,
    bool *is_whole, struct err *err);

/* Read everything into a new malloc'd block of at most max bytes
 * (ERR_LIMIT beyond); *out is NUL-terminated, *len excludes the NUL. */
int stream_slurp(struct stream *s, size_t max, char **out, size_t *len,
    struct err *err);

/* The name given at creation (a path, "stdin", "part 2"...); borrowed. */
const char *stream_name(const struct stream *s);

/* The fd under a file stream from which nothing was consumed yet (peeking
 * is fine), else -1: lets libzip read a zip file in place (it seeks)
 * instead of copying it into memory. */
int stream_fd_fresh(const struct stream *s);

#endif
