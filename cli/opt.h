/*
 * opt: the values of options and settings, checked one way.  A bad value
 * is ERR_USAGE whose message names the option or setting, repeats the
 * value (escaped when printed) and says what is accepted:
 *
 *   --days '0': expected a whole number from 1 to 36500
 *
 * name is what the user wrote ("--days", "[limits] max_depth").
 */
#ifndef DMARC_CLI_OPT_H
#define DMARC_CLI_OPT_H

#include <stdint.h>

#include "common/err.h"

/* A whole decimal number in [min, max] (white space around it allowed). */
int opt_long(const char *name, const char *text, long min, long max,
    long *out, struct err *err);
int opt_i64(const char *name, const char *text, int64_t min, int64_t max,
    int64_t *out, struct err *err);

/* A byte size in [min, max]: digits with an optional K, M or G (binary)
 * and an optional B ("512M"). */
int opt_size(const char *name, const char *text, uint64_t min, uint64_t max,
    uint64_t *out, struct err *err);

/* A share in [0, 1]: "0.98" or "98%". */
int opt_rate(const char *name, const char *text, double *out,
    struct err *err);

/*
 * A date or date-time, UTC unless it names its offset (ISO 8601:
 * YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]), that exists (no
 * 2024-02-31, no 24:00) and lies in 1970-01-01..9999-12-31: seconds since
 * the epoch in *out.
 */
int opt_date(const char *name, const char *text, int64_t *out,
    struct err *err);

/* A domain name to filter on: 1 to 253 characters of valid UTF-8 and no
 * control characters or white space, written to out (OPT_DOMAIN_SIZE
 * bytes) in the spelling the database keeps: lower case, IDNA A-labels,
 * no trailing dot (domain names ignore case, RFC 4343). */
enum { OPT_DOMAIN_SIZE = 1024 };
int opt_domain(const char *name, const char *text, char *out,
    struct err *err);

#endif
