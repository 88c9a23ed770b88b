/*
 * window: the time window of the query commands (README, "dmarcctl
 * summary, sources, advise, tls"): --days N (the last N x 24 h up to
 * now) or --since/--until (ISO 8601 date or date-time, UTC; until
 * exclusive).
 */
#ifndef DMARC_CLI_WINDOW_H
#define DMARC_CLI_WINDOW_H

#include <stdint.h>

#include "common/err.h"

/* --days: a hundred years */
enum { WINDOW_MAX_DAYS = 36500 };

struct window {
	long days;		/* 0: not given */
	int64_t since, until;	/* -1: not given */
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
/* Fill the defaults (default_days up to now) and the texts. */
int window_finish(struct window *w, long default_days, struct err *err);

#endif
