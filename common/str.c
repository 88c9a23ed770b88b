#include "common/str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		return err_set(err, ERR_PARSE, "%s '%.40s' is not a number",
		    what, s);
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

bool
str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
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
