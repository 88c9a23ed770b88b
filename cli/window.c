#include "cli/window.h"

#include <time.h>

#include "cli/opt.h"
#include "common/timefmt.h"

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

int
window_finish(struct window *w, long default_days, struct err *err)
{
	int64_t now = (int64_t)time(NULL);

	if (w->days > 0 && (w->since >= 0 || w->until >= 0))
		return err_set(err, ERR_USAGE, "--days and --since/--until "
		    "cannot be combined");
	if (w->until < 0)
		w->until = now;
	if (w->since < 0)
		w->since = w->until - (w->days > 0 ? w->days : default_days) *
		    86400;
	/* --until 1970-01-05 with 14 days: from the epoch on */
	if (w->since < 0)
		w->since = 0;
	if (w->since >= w->until)
		return err_set(err, ERR_USAGE, "the window is empty: --since "
		    "must come before --until");
	timefmt_iso(w->since, w->since_text, sizeof(w->since_text));
	timefmt_iso(w->until, w->until_text, sizeof(w->until_text));
	return 0;
}
