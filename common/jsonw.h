/*
 * jsonw: append JSON values to a struct buf.  Strings are escaped per
 * RFC 8259; control characters (C0, DEL and C1) as \u00XX, so JSON shown
 * on a terminal cannot drive it; invalid UTF-8 bytes become U+FFFD so the
 * output is always valid JSON.
 */
#ifndef DMARC_COMMON_JSONW_H
#define DMARC_COMMON_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* A JSON string, or null when s is NULL. */
int jsonw_str(struct buf *b, const char *s, struct err *err);
/* "key": (with a leading comma unless first) */
int jsonw_key(struct buf *b, const char *key, bool is_first, struct err *err);
/* "key":"value" / "key":null, with the comma logic of jsonw_key */
int jsonw_kv_str(struct buf *b, const char *key, const char *v,
    bool is_first, struct err *err);
/* "key":123, or "key":null when v < 0 and is_nullable */
int jsonw_kv_int(struct buf *b, const char *key, int64_t v, bool is_nullable,
    bool is_first, struct err *err);
int jsonw_kv_bool(struct buf *b, const char *key, bool v, bool is_first,
    struct err *err);

#endif
