#include "common/timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/* is_date: the day only */
static void
format(int64_t t, bool is_date, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int n;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, size, "%lld", (long long)t);
		return;
	}
	if (is_date)
		n = snprintf(out, size, "%04lld-%02d-%02d",
		    (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	else
		n = snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		snprintf(out, size, "%lld", (long long)t);
}

void
timefmt_iso(int64_t t, char *out, size_t size)
{
	format(t, false, out, size);
}

void
timefmt_date(int64_t t, char *out, size_t size)
{
	format(t, true, out, size);
}
