#include "model/orgdomain.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "common/str.h"

/* RFC 1035: a name is at most 253 characters in text, a label 63 */
#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

/* The list in use, and the same pointer when it came from a file (ours to
 * free); the built-in list is static inside libpsl. */
static const psl_ctx_t *psl;
static psl_ctx_t *psl_owned;

int
orgdomain_init(struct err *err)
{
	if (psl != NULL)
		return 0;
	/* psl_latest() falls back to the built-in list by itself, but a
	 * libpsl built without one may still return NULL */
	psl_owned = psl_latest(NULL);
	psl = psl_owned;
	if (psl == NULL)
		psl = psl_builtin();
	if (psl == NULL)
		return err_set(err, ERR_IO, "cannot load the public suffix "
		    "list: no /usr/share/publicsuffix and no built-in list");
	return 0;
}

void
orgdomain_cleanup(void)
{
	/* psl_free() leaves the built-in list alone */
	psl_free(psl_owned);
	psl_owned = NULL;
	psl = NULL;
}

/* Length of name without one trailing dot. */
static size_t
name_len(const char *name)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	return len;
}

/*
 * True when name (lower case, no trailing dot) looks like a DNS name:
 * labels of 1 to 63 printable characters, 253 in all, and a top-level
 * label that is not all digits, so that an IPv4 literal is no domain.
 */
static bool
name_is_valid(const char *name)
{
	size_t label = 0, len = 0;
	bool is_numeric = true;

	for (const char *p = name;; p++, len++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			if (label == 0 || label > LABEL_MAX_LEN)
				return false;
			if (c == '\0')
				break;
			label = 0;
			is_numeric = true;
			continue;
		}
		if (c <= ' ' || c >= 0x7f)
			return false;
		if (c < '0' || c > '9')
			is_numeric = false;
		label++;
	}
	return len <= NAME_MAX_LEN && !is_numeric;
}

/* Copy len bytes of s, lower-cased, to out; NULL when they do not fit. */
static const char *
copy_lower(char *out, size_t outsz, const char *s, size_t len)
{
	if (len >= outsz)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return str_lower(out);
}

const char *
orgdomain_of(const char *name, char *out, size_t outsz)
{
	char buf[NAME_MAX_LEN + 1];
	const char *reg;
	size_t len;

	assert(psl != NULL);
	assert(name != NULL);
	len = name_len(name);
	/* longer than any DNS name: itself, as for every invalid name */
	if (len > NAME_MAX_LEN)
		return copy_lower(out, outsz, name, len);
	copy_lower(buf, sizeof(buf), name, len);
	reg = NULL;
	if (name_is_valid(buf))
		reg = psl_registrable_domain(psl, buf);
	/* NULL for a public suffix or an invalid name: the name itself */
	if (reg == NULL)
		reg = buf;
	return copy_lower(out, outsz, reg, strlen(reg));
}

bool
orgdomain_aligned(const char *a, const char *b, bool is_strict)
{
	char org_a[NAME_MAX_LEN + 2], org_b[NAME_MAX_LEN + 2];
	size_t len_a, len_b;

	if (a == NULL || b == NULL)
		return false;
	len_a = name_len(a);
	len_b = name_len(b);
	if (len_a == 0 || len_b == 0)
		return false;
	if (len_a == len_b && strncasecmp(a, b, len_a) == 0)
		return true;
	if (is_strict)
		return false;
	/* a name too long to be a DNS name aligns with nothing else */
	if (orgdomain_of(a, org_a, sizeof(org_a)) == NULL ||
	    orgdomain_of(b, org_b, sizeof(org_b)) == NULL)
		return false;
	return strcmp(org_a, org_b) == 0;
}
