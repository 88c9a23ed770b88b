#include "model/normalize.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <idn2.h>

#include "common/str.h"

struct alias {
	const char *from;
	const char *to;
};

struct norm_table {
	const char *name;
	const char *const *words;	/* NULL-terminated canonical words */
	const struct alias *aliases;	/* NULL-terminated, may be NULL */
};

static const char *const disposition_words[] = {
	"none", "pass", "quarantine", "reject", NULL };
static const char *const verdict_words[] = { "pass", "fail", NULL };
static const char *const dkim_words[] = { "none", "pass", "fail", "policy",
	"neutral", "temperror", "permerror", NULL };
static const char *const spf_words[] = { "none", "neutral", "pass", "fail",
	"softfail", "policy", "temperror", "permerror", NULL };
static const char *const scope_words[] = { "helo", "mfrom", NULL };
static const char *const alignment_words[] = { "r", "s", NULL };
static const char *const policy_words[] = {
	"none", "quarantine", "reject", NULL };
static const char *const reason_words[] = { "forwarded", "sampled_out",
	"trusted_forwarder", "mailing_list", "local_policy", "other",
	"policy_test_mode", NULL };
static const char *const testing_words[] = { "n", "y", NULL };
static const char *const discovery_words[] = { "psl", "treewalk", NULL };
static const char *const tls_policy_words[] = {
	"sts", "tlsa", "no-policy-found", NULL };
static const char *const tls_result_words[] = { "starttls-not-supported",
	"certificate-host-mismatch", "certificate-expired",
	"certificate-not-trusted", "validation-failure", "tlsa-invalid",
	"dnssec-invalid", "dane-required", "sts-policy-fetch-error",
	"sts-policy-invalid", "sts-webpki-invalid", NULL };

/* spellings seen in real reports (standards notes 5.3, 5.4) */
static const struct alias result_aliases[] = {
	{ "hardfail", "fail" }, { "unknown", "permerror" },
	{ "error", "temperror" }, { "temp_error", "temperror" },
	{ "perm_error", "permerror" }, { NULL, NULL } };
static const struct alias verdict_aliases[] = {
	{ "hardfail", "fail" }, { "softfail", "fail" }, { NULL, NULL } };
static const struct alias scope_aliases[] = {
	{ "mailfrom", "mfrom" }, { NULL, NULL } };
static const struct alias reason_aliases[] = {
	{ "trusted-forwarder", "trusted_forwarder" },
	{ "mailing-list", "mailing_list" },
	{ "local-policy", "local_policy" },
	{ "sampled-out", "sampled_out" }, { NULL, NULL } };
static const struct alias alignment_aliases[] = {
	{ "relaxed", "r" }, { "strict", "s" }, { NULL, NULL } };
static const struct alias testing_aliases[] = {
	{ "no", "n" }, { "yes", "y" }, { NULL, NULL } };

static const struct norm_table tables[NORM_KIND_COUNT] = {
	[NORM_DISPOSITION] = { "disposition", disposition_words, NULL },
	[NORM_VERDICT] = { "policy_evaluated result", verdict_words,
	    verdict_aliases },
	[NORM_DKIM_RESULT] = { "dkim result", dkim_words, result_aliases },
	[NORM_SPF_RESULT] = { "spf result", spf_words, result_aliases },
	[NORM_SPF_SCOPE] = { "spf scope", scope_words, scope_aliases },
	[NORM_ALIGNMENT] = { "alignment", alignment_words,
	    alignment_aliases },
	[NORM_POLICY] = { "policy", policy_words, NULL },
	[NORM_REASON] = { "reason type", reason_words, reason_aliases },
	[NORM_TESTING] = { "testing", testing_words, testing_aliases },
	[NORM_DISCOVERY] = { "discovery_method", discovery_words, NULL },
	[NORM_TLS_POLICY_TYPE] = { "policy-type", tls_policy_words, NULL },
	[NORM_TLS_RESULT_TYPE] = { "result-type", tls_result_words, NULL },
};

enum norm_result
norm_enum(enum norm_kind kind, char *raw, const char **out)
{
	const struct norm_table *t = &tables[kind];
	char *s = str_lower(str_trim(raw));

	if (*s == '\0') {
		*out = NULL;
		return NORM_EMPTY;
	}
	for (const char *const *w = t->words; *w != NULL; w++)
		if (strcmp(s, *w) == 0) {
			*out = *w;
			return NORM_OK;
		}
	for (const struct alias *a = t->aliases; a && a->from != NULL; a++)
		if (strcmp(s, a->from) == 0) {
			*out = a->to;
			return NORM_ALIAS;
		}
	*out = s;
	return NORM_UNKNOWN;
}

const char *
norm_kind_name(enum norm_kind kind)
{
	return tables[kind].name;
}

int
norm_ip(const char *raw, char *out, size_t outlen)
{
	char tmp[64];
	unsigned char addr[16];
	size_t n;

	out[0] = '\0';
	while (isspace((unsigned char)*raw))
		raw++;
	n = strlen(raw);
	while (n > 0 && isspace((unsigned char)raw[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, raw, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return inet_ntop(AF_INET, addr, out, (socklen_t)outlen) ? 4 : 0;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) ?
		    6 : 0;
	return 0;
}

int
norm_epoch(const char *raw, int64_t *out, const char *what, struct err *err)
{
	int64_t t;
	struct err e;

	/* up to year 9999; negative times are not report periods */
	if (str_to_i64(raw, INT64_MIN, INT64_MAX, &t, what, &e) == -1)
		return err_set(err, ERR_PARSE, "%s", e.msg);
	if (t < 0 || t > NORM_TIME_MAX)
		return err_set(err, ERR_PARSE, "%s %lld is outside the years "
		    "1970 to 9999 (0 to %lld)", what, (long long)t,
		    (long long)NORM_TIME_MAX);
	*out = t;
	return 0;
}

int
norm_count(const char *raw, uint64_t max, int64_t *out, const char *what,
    struct err *err)
{
	const char *p = raw;
	unsigned long long v;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' && isdigit((unsigned char)p[1]))
		return err_set(err, ERR_PARSE, "%s '%.*s' is negative", what,
		    STR_CUT(p, 40));
	/* strtoll read "+3" before: still fine */
	if (*p == '+' && isdigit((unsigned char)p[1]))
		p++;
	if (!isdigit((unsigned char)*p))
		return err_set(err, ERR_PARSE, "%s '%.*s' is not a number",
		    what, STR_CUT(p, 40));
	errno = 0;
	v = strtoull(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return err_set(err, ERR_PARSE, "%s '%.*s' is not a number",
		    what, STR_CUT(p, 40));
	/* past 2^64 is past any limit too */
	if (errno == ERANGE || v > max || v > INT64_MAX)
		return err_set(err, ERR_LIMIT, "%s %.*s is above the limit of "
		    "%llu ([limits] max_count)", what, STR_CUT(p, 40),
		    (unsigned long long)max);
	*out = (int64_t)v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool is_leap_year = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && is_leap_year ? 29 : days[m - 1];
}

/* days since 1970-01-01 of a proleptic Gregorian date (Hinnant) */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static const char *
digits(const char *p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return NULL;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return p;
}

int
norm_datetime(const char *raw, int64_t *out, const char *what,
    struct err *err)
{
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0, sign = 0;
	const char *p = raw;
	bool is_leap;

	while (p && isspace((unsigned char)*p))
		p++;
	if (p == NULL || (p = digits(p, 4, &y)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &mo)) == NULL || *p++ != '-' ||
	    (p = digits(p, 2, &d)) == NULL)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((p = digits(p, 2, &h)) == NULL || *p++ != ':' ||
		    (p = digits(p, 2, &mi)) == NULL)
			goto bad;
		if (*p == ':' && (p = digits(p + 1, 2, &s)) == NULL)
			goto bad;
		if (*p == '.' || *p == ',')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if ((p = digits(p + 1, 2, &oh)) == NULL)
			goto bad;
		if (*p == ':')
			p++;
		if ((p = digits(p, 2, &om)) == NULL)
			goto bad;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || h > 23 ||
	    mi > 59 || s > 60 || oh > 23 || om > 59)
		goto bad;
	/* 2024-02-31 is an error, not March 2 */
	if (d > days_in_month(y, mo))
		return err_set(err, ERR_PARSE, "%s '%.*s': %04d-%02d has no "
		    "day %d", what, STR_CUT(raw, 40), y, mo, d);
	if (y < 1970)
		return err_set(err, ERR_PARSE, "%s '%.*s' is before 1970",
		    what, STR_CUT(raw, 40));
	/* a leap second is read as the second before it */
	is_leap = s == 60;
	if (is_leap)
		s = 59;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + s - sign * (oh * 3600 + om * 60);
	if (*out < 0 || *out > NORM_TIME_MAX)
		return err_set(err, ERR_PARSE, "%s '%.*s' is outside the "
		    "years 1970 to 9999", what, STR_CUT(raw, 40));
	return is_leap ? 1 : 0;
bad:
	return err_set(err, ERR_PARSE, "%s '%.*s' is not an RFC 3339 "
	    "date-time", what, STR_CUT(raw ? raw : "", 40));
}

int
norm_domain(struct arena *a, const char *raw, const char **out,
    const char *what, struct err *err)
{
	char *s = str_lower(str_trim(arena_strdup(a, raw)));
	bool is_ascii = true;
	size_t n;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			is_ascii = false;
	if (!is_ascii) {
		char *ace = NULL;
		int rc = idn2_to_ascii_8z(s, &ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

		if (rc != IDN2_OK)
			return err_set(err, ERR_PARSE, "%s '%.*s' is not a "
			    "valid internationalized domain name: %s", what,
			    STR_CUT(s, 80), idn2_strerror(rc));
		s = arena_strdup(a, ace);
		idn2_free(ace);
	}
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	*out = s;
	return 0;
}
