#include "analyze/text.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "common/xalloc.h"

/* dst is full: whole characters, then "..." */
static void
mark_cut(char *dst, size_t size)
{
	size_t n;

	if (size < 4)
		return;
	n = str_utf8_cut(dst, size - 4);
	memcpy(dst + n, "...", 4);
}

void
text_fixed(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert(size > 0);
	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		dst[0] = '\0';
	else if ((size_t)n >= size)
		mark_cut(dst, size);
}

void
text_append(char *dst, size_t size, const char *fmt, ...)
{
	size_t len = strlen(dst);
	va_list ap;
	int n;

	if (len >= size)
		return;
	/* a full buffer still learns whether more was to come */
	va_start(ap, fmt);
	n = vsnprintf(dst + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		dst[len] = '\0';
	else if ((size_t)n >= size - len)
		mark_cut(dst, size);
}

void
text_line(char ***lines, size_t *n, const char *fmt, ...)
{
	va_list ap, ap2;
	char *s;
	int len;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert(len >= 0);
	s = xmalloc((size_t)len + 1);
	vsnprintf(s, (size_t)len + 1, fmt, ap2);
	va_end(ap2);
	*lines = xreallocarray(*lines, *n + 1, sizeof(**lines));
	(*lines)[(*n)++] = s;
}

void
text_lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

const char *
text_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

bool
text_is_word(const char *s, const char *word)
{
	return s != NULL && strcasecmp(s, word) == 0;
}

const char *
text_ok(bool held)
{
	return held ? "ok" : "not met";
}
