#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/esc.h"
#include "common/xalloc.h"

static enum log_level level = LOG_NORMAL;
static bool is_progress_shown;	/* a progress line is on the terminal */

void
log_set_level(enum log_level l)
{
	level = l;
}

enum log_level
log_get_level(void)
{
	return level;
}

/* messages carry what reports hold (names, causes): escaped, so that a
 * control sequence in a report cannot drive the terminal */
static void
emit(const char *kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
emit(const char *kind, const char *fmt, va_list ap)
{
	char small[1024], *msg = small;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		msg = xmalloc((size_t)n + 1);
		vsnprintf(msg, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	log_progress_clear();
	fputs("dmarcctl: ", stderr);
	if (kind != NULL)
		fputs(kind, stderr);
	if (n >= 0)
		esc_fputs(msg, stderr);
	fputc('\n', stderr);
	if (msg != small)
		free(msg);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	emit(NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	emit(NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	emit("debug: ", fmt, ap);
	va_end(ap);
}

bool
log_want_progress(void)
{
	return level >= LOG_NORMAL && isatty(STDERR_FILENO);
}

void
log_progress(const char *fmt, ...)
{
	va_list ap;

	if (!log_want_progress())
		return;
	fputs("\rdmarcctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);	/* what a longer line left */
	fflush(stderr);
	is_progress_shown = true;
}

void
log_progress_clear(void)
{
	if (!is_progress_shown)
		return;
	fputs("\r\033[K", stderr);
	is_progress_shown = false;
}
