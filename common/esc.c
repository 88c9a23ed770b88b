#include "common/esc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

size_t
esc_utf8_len(const char *s)
{
	size_t k = str_utf8_char(s, strnlen(s, 4));

	return k == STR_UTF8_SHORT || *s == '\0' ? 0 : k;
}

/* how many bytes at s pass unchanged: 0 when the byte at s must be
 * escaped (a control, DEL, a C1 control, not UTF-8) */
static size_t
plain_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (p[0] < 0x20 || p[0] == 0x7f)
		return 0;
	n = esc_utf8_len(s);
	/* U+0080..U+009F: C2 80..C2 9F */
	if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
		return 0;
	return n;
}

bool
esc_needed(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (; *s != '\0'; s += n)
		if ((n = plain_len(s)) == 0)
			return true;
	return false;
}

/* the escape at s into out, its length in *len; returns the bytes it
 * stands for (a C1 control: both of its bytes) */
static size_t
escape_at(const char *s, char out[9], size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t k = 0, n = 1;

	if (p[0] == 0xc2 && esc_utf8_len(s) == 2)
		n = 2;
	for (size_t i = 0; i < n; i++) {
		out[k++] = '\\';
		out[k++] = 'x';
		out[k++] = hex[p[i] >> 4];
		out[k++] = hex[p[i] & 15];
	}
	*len = k;
	return n;
}

int
esc_buf(struct buf *b, const char *s, struct err *err)
{
	if (s == NULL)
		return buf_adds(b, "", err);
	while (*s != '\0') {
		const char *run = s;
		size_t n, len;
		char e[9];

		while (*s != '\0' && (n = plain_len(s)) > 0)
			s += n;
		if (s > run && buf_add(b, run, (size_t)(s - run), err) == -1)
			return -1;
		if (*s == '\0')
			break;
		s += escape_at(s, e, &len);
		if (buf_add(b, e, len, err) == -1)
			return -1;
	}
	return 0;
}

void
esc_fputs(const char *s, FILE *f)
{
	if (s == NULL)
		return;
	while (*s != '\0') {
		const char *run = s;
		size_t n, len;
		char e[9];

		while (*s != '\0' && (n = plain_len(s)) > 0)
			s += n;
		if (s > run)
			fwrite(run, 1, (size_t)(s - run), f);
		if (*s == '\0')
			break;
		s += escape_at(s, e, &len);
		fwrite(e, 1, len, f);
	}
}

void
esc_vlinef(FILE *f, const char *fmt, va_list ap)
{
	va_list again;
	char *line;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		line = xmalloc((size_t)n + 1);
		vsnprintf(line, (size_t)n + 1, fmt, again);
		esc_fputs(line, f);
		free(line);
	}
	va_end(again);
	fputc('\n', f);
}

void
esc_linef(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	esc_vlinef(f, fmt, ap);
	va_end(ap);
}
