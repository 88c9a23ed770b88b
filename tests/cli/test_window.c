#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "cli/window.h"

/* 2026-12-03T08:25:41Z, a Thursday morning */
#define NOW 1796286341

/* the options as the user gave them, and the window they make */
struct window_case {
	const char *days, *since, *until;
	long default_days;
	const char *want_since, *want_until;	/* NULL: ERR_USAGE */
	long want_days;
};

static const struct window_case cases[] = {
	/* --days N: the N whole days before today; today is left out */
	{ "14", NULL, NULL, 30, "2026-11-19T00:00:00Z",
	  "2026-12-03T00:00:00Z", 14 },
	{ "1", NULL, NULL, 30, "2026-12-02T00:00:00Z",
	  "2026-12-03T00:00:00Z", 1 },
	/* the defaults are the same whole days */
	{ NULL, NULL, NULL, 14, "2026-11-19T00:00:00Z",
	  "2026-12-03T00:00:00Z", 14 },
	{ NULL, NULL, NULL, 30, "2026-11-03T00:00:00Z",
	  "2026-12-03T00:00:00Z", 30 },
	/* dates stay as they are, until exclusive */
	{ NULL, "2026-11-01", "2026-11-08", 14, "2026-11-01T00:00:00Z",
	  "2026-11-08T00:00:00Z", 7 },
	/* a date-time keeps the whole days inside: a non-midnight until
	 * leaves out the day it falls in, a non-midnight since too */
	{ NULL, "2026-11-01T00:00:00Z", "2026-11-08T12:00", 14,
	  "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z", 7 },
	{ NULL, "2026-11-01T06:00", "2026-11-08", 14,
	  "2026-11-02T00:00:00Z", "2026-11-08T00:00:00Z", 6 },
	{ NULL, "2026-11-01T23:59:59Z", "2026-11-08T00:00:01Z", 14,
	  "2026-11-02T00:00:00Z", "2026-11-08T00:00:00Z", 6 },
	/* an offset is a time like any other: 01:00+02:00 is midnight UTC */
	{ NULL, "2026-11-01T02:00+02:00", "2026-11-08", 14,
	  "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z", 7 },
	/* --until alone: the default days before it */
	{ NULL, NULL, "2026-11-08T18:00", 14, "2026-10-25T00:00:00Z",
	  "2026-11-08T00:00:00Z", 14 },
	/* --since alone: up to today's midnight */
	{ NULL, "2026-11-30", NULL, 14, "2026-11-30T00:00:00Z",
	  "2026-12-03T00:00:00Z", 3 },
	/* from the epoch on */
	{ NULL, NULL, "1970-01-05", 14, "1970-01-01T00:00:00Z",
	  "1970-01-05T00:00:00Z", 4 },
	/* no whole day inside, or none at all */
	{ NULL, "2026-11-01T06:00", "2026-11-01T18:00", 14, NULL, NULL, 0 },
	{ NULL, "2026-11-01T06:00", "2026-11-02T05:00", 14, NULL, NULL, 0 },
	{ NULL, "2026-11-08", "2026-11-01", 14, NULL, NULL, 0 },
	{ NULL, "2026-12-03", NULL, 14, NULL, NULL, 0 },
	{ NULL, NULL, "1970-01-01T12:00", 14, NULL, NULL, 0 },
	/* --days with --since or --until */
	{ "14", "2026-11-01", NULL, 14, NULL, NULL, 0 },
	{ "14", NULL, "2026-11-01", 14, NULL, NULL, 0 },
};

static int
finish(const struct window_case *c, struct window *w, struct err *e)
{
	window_init(w);
	if ((c->days != NULL && window_option(w, 'D', c->days, e) == -1) ||
	    (c->since != NULL && window_option(w, 'S', c->since, e) == -1) ||
	    (c->until != NULL && window_option(w, 'U', c->until, e) == -1))
		return -2;
	return window_finish_at(w, c->default_days, NOW, e);
}

Test(window, whole_utc_days)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct window_case *c = &cases[i];
		struct window w;
		struct err e;
		int r = finish(c, &w, &e);

		cr_assert_neq(r, -2, "case %zu: option: %s", i, e.msg);
		if (c->want_since == NULL) {
			cr_expect_eq(r, -1, "case %zu: accepted: %s .. %s", i,
			    w.since_text, w.until_text);
			if (r == -1)
				cr_expect_eq(e.code, ERR_USAGE, "case %zu", i);
			continue;
		}
		cr_assert_eq(r, 0, "case %zu: %s", i, e.msg);
		cr_expect_str_eq(w.since_text, c->want_since, "case %zu", i);
		cr_expect_str_eq(w.until_text, c->want_until, "case %zu", i);
		cr_expect_eq(window_days(&w), c->want_days, "case %zu", i);
	}
}

Test(window, empty_windows_say_why)
{
	struct window w;
	struct err e;

	window_init(&w);
	cr_assert_eq(window_option(&w, 'S', "2026-11-01T06:00", &e), 0);
	cr_assert_eq(window_option(&w, 'U', "2026-11-01T18:00", &e), 0);
	cr_assert_eq(window_finish_at(&w, 14, NOW, &e), -1);
	cr_expect(strstr(e.msg, "whole UTC day") != NULL, "%s", e.msg);
	window_init(&w);
	cr_assert_eq(window_option(&w, 'D', "7", &e), 0);
	cr_assert_eq(window_option(&w, 'U', "2026-11-01", &e), 0);
	cr_assert_eq(window_finish_at(&w, 14, NOW, &e), -1);
	cr_expect(strstr(e.msg, "cannot be combined") != NULL, "%s", e.msg);
}

/* the verdict window ends where the shown one ends */
Test(window, last_days_end_with_the_window)
{
	struct window w, v;
	struct err e;

	window_init(&w);
	cr_assert_eq(window_option(&w, 'D', "14", &e), 0);
	cr_assert_eq(window_finish_at(&w, 14, NOW, &e), 0);
	cr_assert_eq(window_last(&v, &w, 30, &e), 0, "%s", e.msg);
	cr_expect_str_eq(v.since_text, "2026-11-03T00:00:00Z");
	cr_expect_str_eq(v.until_text, "2026-12-03T00:00:00Z");
	cr_expect_eq(window_days(&v), 30);
	/* near the epoch it starts there */
	window_init(&w);
	cr_assert_eq(window_option(&w, 'U', "1970-01-03", &e), 0);
	cr_assert_eq(window_finish_at(&w, 1, NOW, &e), 0);
	cr_assert_eq(window_last(&v, &w, 30, &e), 0, "%s", e.msg);
	cr_expect_str_eq(v.since_text, "1970-01-01T00:00:00Z");
	cr_expect_eq(window_days(&v), 2);
}
