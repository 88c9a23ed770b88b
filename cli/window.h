/*
 * window: the time window of the query commands (dmarcctl.1, "OPTIONS OF
 * THE QUERY COMMANDS"), always whole UTC days.  --days N is the last N
 * whole days before today: a day's reports arrive the day after, so
 * today's partial day is never in it.  --since/--until (ISO 8601 date or
 * date-time, UTC; until exclusive) keep the whole days inside them: a
 * date-time that is not midnight leaves out the day it falls in (since
 * moves to the next midnight, until back to the last one), just as --days
 * leaves out today.  Reports and the daily rollups are then counted over
 * the same days.
 */
#ifndef DMARC_CLI_WINDOW_H
#define DMARC_CLI_WINDOW_H

#include <stdint.h>

#include "common/err.h"

/* --days: a hundred years */
enum { WINDOW_MAX_DAYS = 36500 };

struct window {
	long days;		/* --days; 0: not given */
	int64_t since, until;	/* -1: not given; then UTC midnights */
	char since_text[32], until_text[32];	/* after window_finish */
};

/* The getopt_long entries: "days", "since", "until" (values 'D', 'S', 'U'). */
#define WINDOW_OPTIONS \
	{ "days", required_argument, NULL, 'D' }, \
	{ "since", required_argument, NULL, 'S' }, \
	{ "until", required_argument, NULL, 'U' }

void window_init(struct window *w);
/* Take one window option (ch 'D', 'S' or 'U'); ERR_USAGE naming the
 * option and what it accepts (cli/opt.h) when bad. */
int window_option(struct window *w, int ch, const char *arg, struct err *err);
/*
 * Round to whole UTC days and fill the defaults: until today's midnight
 * (now's day), since days (or default_days) before until; then the texts.
 * ERR_USAGE when --days is combined with --since/--until, or when no whole
 * day is left.  now is a parameter so that tests can choose it.
 */
int window_finish_at(struct window *w, long default_days, int64_t now,
    struct err *err);
/* window_finish_at with now the current time. */
int window_finish(struct window *w, long default_days, struct err *err);
/* The whole days of a finished window. */
long window_days(const struct window *w);
/* *out: the last days whole days of the finished window w, which may
 * reach before it (a verdict window ending where w ends). */
int window_last(struct window *out, const struct window *w, long days,
    struct err *err);

/* The window as the dates of the daily rollups: since, until (exclusive),
 * and recent, the first of the last recent_days days. */
struct window_dates {
	char since[16], until[16], recent[16];
};
void window_dates(const struct window *w, int recent_days,
    struct window_dates *out);

#endif
