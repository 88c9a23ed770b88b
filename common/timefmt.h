/*
 * timefmt: Unix seconds as UTC text, the one way dmarcctl writes a time
 * (command output, windows, SQL parameters).  The year has four digits
 * at least: %Y writes year 900 as "900", which PostgreSQL does not read
 * as a year.
 */
#ifndef DMARC_COMMON_TIMEFMT_H
#define DMARC_COMMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2024-05-01T00:00:00Z" into out (>= 21 bytes); the number itself when
 * t is beyond what gmtime_r holds. */
void timefmt_iso(int64_t t, char *out, size_t size);
/* "2024-05-01" into out (>= 11 bytes), likewise. */
void timefmt_date(int64_t t, char *out, size_t size);

#endif
