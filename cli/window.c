#include "cli/window.h"

#include <time.h>

#include "cli/opt.h"
#include "common/timefmt.h"

enum { DAY = 86400 };

void
window_init(struct window *w)
{
	w->days = 0;
	w->since = -1;
	w->until = -1;
	w->since_text[0] = w->until_text[0] = '\0';
}

int
window_option(struct window *w, int ch, const char *arg, struct err *err)
{
	switch (ch) {
	case 'D':
		return opt_long("--days", arg, 1, WINDOW_MAX_DAYS, &w->days,
		    err);
	case 'S':
		return opt_date("--since", arg, &w->since, err);
	case 'U':
		return opt_date("--until", arg, &w->until, err);
	default:
		return err_set(err, ERR_USAGE, "unknown window option");
	}
}

/* times are from 1970 on (opt_date), so % rounds toward the past */
static int64_t
day_floor(int64_t t)
{
	return t - t % DAY;
}

static int64_t
day_ceil(int64_t t)
{
	return day_floor(t + DAY - 1);
}

int
window_finish_at(struct window *w, long default_days, int64_t now,
    struct err *err)
{
	long days = w->days > 0 ? w->days : default_days;

	if (w->days > 0 && (w->since >= 0 || w->until >= 0))
		return err_set(err, ERR_USAGE, "--days and --since/--until "
		    "cannot be combined");
	/* today is not over: its reports come tomorrow */
	w->until = day_floor(w->until >= 0 ? w->until : now);
	if (w->since >= 0)
		w->since = day_ceil(w->since);
	else
		w->since = w->until - (int64_t)days * DAY;
	/* --until 1970-01-05 with 14 days: from the epoch on */
	if (w->since < 0)
		w->since = 0;
	if (w->since >= w->until)
		return err_set(err, ERR_USAGE, "the window is empty: --since "
		    "and --until must hold a whole UTC day");
	timefmt_iso(w->since, w->since_text, sizeof(w->since_text));
	timefmt_iso(w->until, w->until_text, sizeof(w->until_text));
	return 0;
}

int
window_finish(struct window *w, long default_days, struct err *err)
{
	return window_finish_at(w, default_days, (int64_t)time(NULL), err);
}

long
window_days(const struct window *w)
{
	return (long)((w->until - w->since) / DAY);
}

int
window_last(struct window *out, const struct window *w, long days,
    struct err *err)
{
	window_init(out);
	out->until = w->until;
	out->since = w->until - (int64_t)days * DAY;
	if (out->since < 0)
		out->since = 0;
	return window_finish_at(out, days, w->until, err);
}

void
window_dates(const struct window *w, int recent_days,
    struct window_dates *out)
{
	/* whole days since window_finish: midnights */
	timefmt_date(w->since, out->since, sizeof(out->since));
	timefmt_date(w->until, out->until, sizeof(out->until));
	timefmt_date(w->until - (int64_t)recent_days * 86400, out->recent,
	    sizeof(out->recent));
}
