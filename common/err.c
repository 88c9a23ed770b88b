#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_wrap(struct err *e, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* the message is cut at sizeof(msg) when the chain is very long */
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) < 0)
		e->msg[0] = '\0';
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
