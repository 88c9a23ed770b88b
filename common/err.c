#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"

/*
 * Both functions format into a local buffer first: an argument may point
 * into e->msg itself ("%s", e->msg), and a message cut at the end of the
 * buffer is cut between characters, never inside one.
 */
int
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	str_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->code = code;
	memcpy(e->msg, msg, sizeof(msg));
	return -1;
}

int
err_wrap(struct err *e, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	str_vformat(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* the message is cut at sizeof(msg) when the chain is very long */
	str_format(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	return -1;
}
void
err_clear(struct err *e)
{
	e->code = ERR_OK;
	e->msg[0] = '\0';
}

const char *
err_code_name(enum err_code code)
{
	static const char *const names[] = {
		[ERR_OK] = "ok", [ERR_USAGE] = "usage", [ERR_IO] = "io",
		[ERR_PARSE] = "parse", [ERR_LIMIT] = "limit",
		[ERR_DB] = "db", [ERR_NET] = "net", [ERR_REFUSED] = "refused",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[code];
}
