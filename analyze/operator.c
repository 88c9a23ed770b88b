#include "analyze/operator.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/operator_p.h"
#include "model/orgdomain.h"

/* RFC 1035: a name is at most 253 characters in text */
#define NAME_MAX_LEN 253

/*
 * name lower-cased and without one trailing dot in buf (NAME_MAX_LEN + 1
 * bytes); NULL for NULL, "" or a name too long to be a DNS name.
 */
static const char *
normalize(const char *name, char buf[NAME_MAX_LEN + 1])
{
	size_t len;

	if (name == NULL)
		return NULL;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		buf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	buf[len] = '\0';
	return buf;
}

static int
cmp_operator(const void *key, const void *row)
{
	return strcmp(key, ((const struct operator *)row)->domain);
}

static int
cmp_override(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

const struct operator *
operator_lookup(const char *domain)
{
	char buf[NAME_MAX_LEN + 1];
	const char *name = normalize(domain, buf);

	/* the name itself first, then each parent: the nearest wins */
	for (const char *p = name; p != NULL; p = strchr(p, '.')) {
		const struct operator *op;

		p += *p == '.';
		op = bsearch(p, operator_table, operator_table_len,
		    sizeof(*operator_table), cmp_operator);
		if (op != NULL)
			return op;
	}
	return NULL;
}

static bool
is_override(const char *s)
{
	return bsearch(s, operator_overrides, operator_overrides_len,
	    sizeof(*operator_overrides), cmp_override) != NULL;
}

/*
 * The override entry that covers name, NULL when none does.  Each entry
 * is a suffix of name that starts at its first byte or at a '-' or '.',
 * so those few suffixes, longest first, are looked up: "-x.com" at a '-',
 * ".x.com" at a '.', and "x.com" after a '.' or as the whole name.
 */
static const char *
override_of(const char *name)
{
	if (is_override(name))
		return name;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p != '-' && *p != '.')
			continue;
		if (is_override(p))
			return p;
		if (*p == '.' && is_override(p + 1))
			return p + 1;
	}
	return NULL;
}

const char *
operator_base(const char *rdns_name, char *out, size_t size)
{
	char buf[NAME_MAX_LEN + 1];
	const char *name = normalize(rdns_name, buf), *over;
	size_t len;

	assert(rdns_name != NULL);
	over = name != NULL ? override_of(name) : NULL;
	if (over == NULL)
		return orgdomain_of(rdns_name, out, size);
	/* the entry without its mark is the base */
	over += *over == '-' || *over == '.';
	len = strlen(over);
	if (len >= size)
		return NULL;
	memcpy(out, over, len + 1);
	return out;
}
