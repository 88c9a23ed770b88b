/*
 * str: small string helpers used by every layer (numbers, trimming, case).
 */
#ifndef DMARC_COMMON_STR_H
#define DMARC_COMMON_STR_H

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
/* True when s starts with prefix. */
bool str_starts(const char *s, const char *prefix);

/* Parse a byte size with optional K/M/G suffix (binary): "512M". */
int str_to_size(const char *s, uint64_t *out, const char *what,
    struct err *err);

#endif
