#include "cli/opt.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/esc.h"
#include "common/str.h"
#include "model/normalize.h"

enum {
	TEXT_SHOWN = 64,	/* bytes of a bad value repeated in messages */
	DOMAIN_MAX = 253,	/* characters of a domain name */
	YEAR_MIN = 1970,
	YEAR_MAX = 9999,
};

/* the value as the message repeats it: its start, cut on a character */
static const char *
shown(const char *text, char *out, size_t size)
{
	size_t n = 0, k;

	if (text == NULL)
		text = "";
	while (text[n] != '\0') {
		k = esc_utf8_len(text + n);
		if (k == 0)
			k = 1;
		if (n + k >= size - 4 || n + k > TEXT_SHOWN)
			break;
		n += k;
	}
	snprintf(out, size, "%.*s%s", (int)n, text, text[n] != '\0' ? "..." :
	    "");
	return out;
}

int
opt_i64(const char *name, const char *text, int64_t min, int64_t max,
    int64_t *out, struct err *err)
{
	char sh[TEXT_SHOWN + 8];
	const char *p = text;
	char *end;
	long long v;

	while (p != NULL && isspace((unsigned char)*p))
		p++;
	if (p == NULL || !(isdigit((unsigned char)*p) || (*p == '-' &&
	    isdigit((unsigned char)p[1]))))
		goto bad;
	errno = 0;
	v = strtoll(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return err_set(err, ERR_USAGE, "%s '%s': expected a whole number "
	    "from %" PRId64 " to %" PRId64, name, shown(text, sh, sizeof(sh)),
	    min, max);
}

int
opt_long(const char *name, const char *text, long min, long max, long *out,
    struct err *err)
{
	int64_t v;

	if (opt_i64(name, text, min, max, &v, err) == -1)
		return -1;
	*out = (long)v;
	return 0;
}

/* 1024 -> "1K", 1048576 -> "1M", 1000 -> "1000" */
static const char *
size_text(uint64_t v, char *out, size_t size)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		unsigned shift = (unsigned)(30 - 10 * i);

		if (v >= ((uint64_t)1 << shift) &&
		    v % ((uint64_t)1 << shift) == 0) {
			snprintf(out, size, "%" PRIu64 "%c", v >> shift,
			    units[i]);
			return out;
		}
	}
	snprintf(out, size, "%" PRIu64, v);
	return out;
}

int
opt_size(const char *name, const char *text, uint64_t min, uint64_t max,
    uint64_t *out, struct err *err)
{
	char sh[TEXT_SHOWN + 8], lo[32], hi[32];
	struct err ignored;
	uint64_t v;

	if (str_to_size(text, &v, name, &ignored) == -1 || v < min || v > max)
		return err_set(err, ERR_USAGE, "%s '%s': expected a size from "
		    "%s to %s (bytes, or with K, M or G)", name,
		    shown(text, sh, sizeof(sh)), size_text(min, lo,
		    sizeof(lo)), size_text(max, hi, sizeof(hi)));
	*out = v;
	return 0;
}

int
opt_rate(const char *name, const char *text, double *out, struct err *err)
{
	char sh[TEXT_SHOWN + 8];
	char *end;
	double v;

	errno = 0;
	v = text != NULL ? strtod(text, &end) : 0;
	if (text != NULL && end != text && *end == '%') {
		v /= 100;
		end++;
	}
	if (text == NULL || end == text || *end != '\0' || errno != 0 ||
	    !(v >= 0 && v <= 1))
		return err_set(err, ERR_USAGE, "%s '%s': expected a share from "
		    "0 to 1, such as 0.98 or 98%%", name,
		    shown(text, sh, sizeof(sh)));
	*out = v;
	return 0;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* the fields of a date-time that norm_datetime accepted name a moment
 * that exists */
static bool
date_exists(const char *p)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, mo, d, h = 0, mi = 0, s = 0, n = 0;

	if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	if (y < YEAR_MIN || y > YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return false;
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d", &h, &mi) != 2)
			return false;
		if (p[6] == ':' && sscanf(p + 7, "%2d", &s) != 1)
			return false;
	}
	return h <= 23 && mi <= 59 && s <= 59;
}

int
opt_date(const char *name, const char *text, int64_t *out, struct err *err)
{
	char sh[TEXT_SHOWN + 8];
	const char *p = text;
	struct err ignored;
	int64_t t;

	while (p != NULL && isspace((unsigned char)*p))
		p++;
	/* the strict shape first: date_exists reads the fields it allows */
	if (p == NULL || norm_datetime(p, &t, name, &ignored) == -1 ||
	    !date_exists(p) || t < 0)
		return err_set(err, ERR_USAGE, "%s '%s': expected a date from "
		    "1970-01-01 to 9999-12-31 (UTC), as YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]", name,
		    shown(text, sh, sizeof(sh)));
	*out = t;
	return 0;
}

/* the stored spelling of a domain, into out (OPT_DOMAIN_SIZE bytes) */
static int
spell_domain(const char *name, const char *text, char *out, struct err *err)
{
	struct arena a;
	const char *norm;
	int ret;

	arena_init(&a);
	ret = norm_domain(&a, text, &norm, name, err);
	if (ret == 0 && strlen(norm) >= OPT_DOMAIN_SIZE)
		ret = err_set(err, ERR_USAGE, "%s: the domain is too long",
		    name);
	if (ret == 0)
		snprintf(out, OPT_DOMAIN_SIZE, "%s", norm);
	else
		err->code = ERR_USAGE;
	arena_release(&a);
	return ret;
}

int
opt_domain(const char *name, const char *text, char *out, struct err *err)
{
	char sh[TEXT_SHOWN + 8];
	size_t chars = 0, k;

	for (const char *p = text; p != NULL && *p != '\0'; p += k, chars++) {
		k = esc_utf8_len(p);
		if (k == 0 || (k == 1 && (isspace((unsigned char)*p) ||
		    iscntrl((unsigned char)*p))) || (k == 2 &&
		    (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] < 0xa0))
			goto bad;
	}
	if (chars >= 1 && chars <= DOMAIN_MAX)
		return spell_domain(name, text, out, err);
bad:
	return err_set(err, ERR_USAGE, "%s '%s': expected a domain name of "
	    "1 to %d characters in UTF-8, without white space or control "
	    "characters", name, shown(text, sh, sizeof(sh)), DOMAIN_MAX);
}
