#include "cli/window.h"

#include <time.h>

#include "common/str.h"
#include "parsers/normalize.h"

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
		if (str_to_long(arg, 1, 100000, &w->days, "--days", err) == -1)
			return err_set(err, ERR_USAGE, "%s", err->msg);
		return 0;
	case 'S':
	case 'U':
		if (norm_datetime(arg, ch == 'S' ? &w->since : &w->until,
		    ch == 'S' ? "--since" : "--until", err) == -1)
			return err_set(err, ERR_USAGE, "%s", err->msg);
		return 0;
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
	if (w->since >= w->until)
		return err_set(err, ERR_USAGE, "the window is empty: --since "
		    "must come before --until");
	norm_format_time(w->since, w->since_text, sizeof(w->since_text));
	norm_format_time(w->until, w->until_text, sizeof(w->until_text));
	return 0;
}
