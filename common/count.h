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

#endif
