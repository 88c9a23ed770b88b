/*
 * jsonw: a JSON writer appending to a struct buf the caller owns.
 * Strings are escaped per RFC 8259; control characters (C0, DEL and C1)
 * as \u00XX, so JSON shown on a terminal cannot drive it; invalid UTF-8
 * bytes become U+FFFD so the output is always valid JSON.
 *
 * The error is sticky: the first failure (the buffer passing its maximum)
 * is kept and every later call does nothing, so a document is written
 * call after call and checked once, with jsonw_finish.
 */
#ifndef DMARC_COMMON_JSONW_H
#define DMARC_COMMON_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct jsonw {
	struct buf *b;		/* borrowed */
	struct err err;		/* the first failure */
	bool has_failed;
};

/* Write to b (borrowed; it must outlive w). */
void jsonw_init(struct jsonw *w, struct buf *b);
/* 0, or -1 with the first failure copied to *err. */
int jsonw_finish(const struct jsonw *w, struct err *err);

/* Bytes as they are: punctuation ("{", "]}\n") or a number's text. */
void jsonw_raw(struct jsonw *w, const char *s);
/* A JSON string, or null when s is NULL. */
void jsonw_str(struct jsonw *w, const char *s);
/* "key": (with a leading comma unless first) */
void jsonw_key(struct jsonw *w, const char *key, bool is_first);
/* "key":"value" / "key":null, with the comma logic of jsonw_key */
void jsonw_kv_str(struct jsonw *w, const char *key, const char *v,
    bool is_first);
/* "key":123, or "key":null when v < 0 and is_nullable */
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v,
    bool is_nullable, bool is_first);
/* "key":0.1234 (a rate, four decimals; never first) */
void jsonw_kv_rate(struct jsonw *w, const char *key, double v);

#endif
