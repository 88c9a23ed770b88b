#include "common/str.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"

int
str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out,
    const char *what, struct err *err)
{
	char *end;
	long long v;

	if (s == NULL || str_blank(s))
		return err_set(err, ERR_PARSE, "%s is empty", what);
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end != '\0' && isspace((unsigned char)*end))
		end++;
	if (errno != 0 || end == s || *end != '\0')
		return err_set(err, ERR_PARSE, "%s '%.*s' is not a number",
		    what, STR_CUT(s, 40));
	if (v < min || v > max)
		return err_set(err, ERR_PARSE, "%s %lld is out of range",
		    what, v);
	*out = v;
	return 0;
}

int
str_to_long(const char *s, long min, long max, long *out, const char *what,
    struct err *err)
{
	int64_t v;

	if (str_to_i64(s, min, max, &v, what, err) == -1)
		return -1;
	*out = (long)v;
	return 0;
}

char *
str_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

char *
str_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

bool
str_blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

int
str_to_size(const char *s, uint64_t *out, const char *what, struct err *err)
{
	static const struct {
		char suffix;
		unsigned shift;
	} units[] = { { 'k', 10 }, { 'm', 20 }, { 'g', 30 } };
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (s == NULL || !isdigit((unsigned char)*s))
		return err_set(err, ERR_USAGE, "%s '%s' is not a size", what,
		    s ? s : "");
	v = strtoull(s, &end, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (tolower((unsigned char)*end) == units[i].suffix) {
			shift = units[i].shift;
			end++;
			break;
		}
	if (*end == 'b' || *end == 'B')
		end++;
	if (errno != 0 || *end != '\0' || v > (UINT64_MAX >> shift))
		return err_set(err, ERR_USAGE, "%s '%s' is not a size", what,
		    s);
	*out = (uint64_t)v << shift;
	return 0;
}

size_t
str_utf8_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	if (n < max || u[n] == '\0')
		return n;
	/* u[n] is the first byte left out: step back over a split
	 * character, at most three continuation bytes */
	for (size_t k = 0; k < 3 && n > 0 && (u[n] & 0xc0) == 0x80; k++)
		n--;
	return n;
}

size_t
str_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n;

	assert(size > 0);
	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)n >= size)
		n = (int)str_utf8_cut(buf, size - 1);
	buf[n] = '\0';
	if (!str_is_utf8(buf, (size_t)n)) {
		/* a Latin-1 path or name among the arguments */
		char *u = str_to_utf8(buf);

		n = (int)str_utf8_cut(u, size - 1);
		memcpy(buf, u, (size_t)n);
		buf[n] = '\0';
		free(u);
	}
	return (size_t)n;
}

size_t
str_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = str_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

size_t
str_utf8_char(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;
	for (size_t i = 1; i < need; i++) {
		if (i >= n)
			return STR_UTF8_SHORT;
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return need;
}

/* the whole character at s, of n bytes, or 0 */
static size_t
utf8_whole(const char *s, size_t n)
{
	size_t k = str_utf8_char(s, n);

	return k == STR_UTF8_SHORT ? 0 : k;
}

bool
str_is_utf8(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_whole(s + i, n - i)) == 0)
			return false;
	return true;
}

char *
str_to_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	char *out;

	if (str_is_utf8(s, n))
		return xstrdup(s);
	out = xmalloc(2 * n + 1);
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_whole(s + i, n - i);
		if (k > 0) {
			memcpy(out + o, p + i, k);
			o += k;
			continue;
		}
		/* Latin-1: U+0080..U+00FF in two bytes */
		out[o++] = (char)(0xc0 | p[i] >> 6);
		out[o++] = (char)(0x80 | (p[i] & 0x3f));
		k = 1;
	}
	out[o] = '\0';
	return out;
}
