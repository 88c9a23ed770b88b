/*
 * buf: a growing byte string with a hard maximum.
 *
 * Always NUL-terminated (data[len] == 0 once anything was added).  The
 * caller holds the struct (buf_init / buf_release).  Growing past max fails
 * with ERR_LIMIT; that is how every size cap in dmarcctl is enforced.
 */
#ifndef DMARC_COMMON_BUF_H
#define DMARC_COMMON_BUF_H

#include <stddef.h>

#include "common/err.h"

struct buf {
	char *data;	/* NULL until the first byte is added */
	size_t len;
	size_t cap;
	size_t max;	/* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Forget the contents, keep the memory. */
void buf_reset(struct buf *b);

/* Append; ERR_LIMIT when len would pass max (the buffer is unchanged). */
int buf_add(struct buf *b, const void *p, size_t n, struct err *err);
int buf_addc(struct buf *b, char c, struct err *err);
int buf_adds(struct buf *b, const char *s, struct err *err);
int buf_addf(struct buf *b, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

#endif
