/*
 * count: sums of message and session counts.  Counts come from reports
 * (never negative, at most INT64_MAX); their sums stop at INT64_MAX, as
 * the rollups' dmarcctl_add() does, instead of overflowing.
 */
#ifndef DMARC_COMMON_COUNT_H
#define DMARC_COMMON_COUNT_H

#include <stdint.h>

/* a + b for counts a, b >= 0, saturating at INT64_MAX */
static inline int64_t
count_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* v within 0..hi */
static inline int64_t
count_clamp(int64_t v, int64_t hi)
{
	return v < 0 ? 0 : v > hi ? hi : v;
}

/* part / whole as a rate, 0 without a whole; divided correctly rounded,
 * so that 98 of 100 equals 0.98 */
static inline double
count_ratio(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0.0;
}

#endif
