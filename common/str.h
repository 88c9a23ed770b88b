/*
 * str: small string helpers used by every layer (numbers, trimming, case).
 */
#ifndef DMARC_COMMON_STR_H
#define DMARC_COMMON_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Parse a whole decimal integer in [min, max]; leading and trailing white
 * space is allowed, nothing else.  ERR_PARSE with what names the value.
 */
int str_to_long(const char *s, long min, long max, long *out,
    const char *what, struct err *err);
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out,
    const char *what, struct err *err);

/* Trim ASCII white space in place; returns s moved past leading space. */
char *str_trim(char *s);
/* Lower-case ASCII in place; returns s. */
char *str_lower(char *s);
/* True when s is NULL or only white space. */
bool str_blank(const char *s);

/*
 * Length of the longest prefix of s, at most max bytes, that does not end
 * inside a UTF-8 character: "%.*s" with it never prints half a character.
 */
size_t str_utf8_cut(const char *s, size_t max);
/* The two arguments of "%.*s" for s cut to at most max bytes. */
#define STR_CUT(s, max) (int)str_utf8_cut((s), (max)), (s)

/*
 * snprintf into buf (size > 0); a result longer than size - 1 is cut on a
 * UTF-8 character boundary, and bytes that are not UTF-8 (an 8-bit name
 * among the arguments) are read as Latin-1: the result is always valid
 * UTF-8.  Returns the length written.  The arguments must not point into
 * buf.
 */
size_t str_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t str_vformat(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* True when the n bytes at s are valid UTF-8 (no overlongs, surrogates). */
bool str_is_utf8(const char *s, size_t n);

/*
 * The length (1 to 4) of the well-formed UTF-8 character that starts s,
 * of n bytes: 0 when the bytes there are none (n is 0, a stray or overlong
 * byte, a surrogate, past U+10FFFF), STR_UTF8_SHORT when n ends inside a
 * character its first bytes begin well (a stream reads on).
 */
#define STR_UTF8_SHORT ((size_t)-1)
size_t str_utf8_char(const char *s, size_t n);

/*
 * A copy of s that is valid UTF-8: s itself when it already is, otherwise
 * every byte outside a valid sequence is read as Latin-1 (8-bit file names
 * and MIME parameters).  The caller frees the result.
 */
char *str_to_utf8(const char *s);

/* Parse a byte size with optional K/M/G suffix (binary): "512M". */
int str_to_size(const char *s, uint64_t *out, const char *what,
    struct err *err);

#endif
