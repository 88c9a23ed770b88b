#include "model/dnsrec.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "common/xalloc.h"

/* Texts come from DNS: whoever publishes them decides their size.  A real
 * record has a dozen tags; past MAX_PARTS the rest is not read, and past
 * MAX_FINDINGS one finding says how many more there were. */
#define MAX_PARTS	256
#define MAX_FINDINGS	32
/* bytes of a published value quoted in a message */
#define SHOW		64
#define SHOWN(s, n)	shown_len((s), (n)), (s)

#define STS_MAX_AGE	31557600L
#define STS_SHORT_AGE	86400L

/* The findings of one parse: counted, capped, and what to call syntax. */
struct ctx {
	struct findings *f;
	const char *syntax;	/* code of a malformed part */
	const char *dup;	/* code of a repeated tag */
	size_t n;		/* findings added */
	size_t dropped;		/* findings not added past MAX_FINDINGS */
	enum severity dropped_sev;
	bool has_error;
};

struct tagvec {
	struct dnsrec_tag *v;
	size_t n, cap;
};

/* The length of s (n bytes, maybe not NUL-terminated: a policy body) to
 * quote: at most SHOW bytes, not ending inside a UTF-8 character. */
static int
shown_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n <= SHOW)
		return (int)n;
	n = SHOW;
	for (size_t k = 0; k < 3 && n > 0 && (u[n] & 0xc0) == 0x80; k++)
		n--;
	return (int)n;
}

static void note(struct ctx *c, enum severity sev, const char *code,
    const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
note(struct ctx *c, enum severity sev, const char *code, const char *fix,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (sev == SEV_ERROR)
		c->has_error = true;
	if (c->n >= MAX_FINDINGS) {
		c->dropped++;
		if (sev > c->dropped_sev)
			c->dropped_sev = sev;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	findings_add(c->f, sev, code, fix, "%s", msg);
	c->n++;
}

static void
ctx_done(struct ctx *c)
{
	if (c->dropped > 0)
		findings_add(c->f, c->dropped_sev, c->syntax, NULL,
		    "%zu more problems of this record not listed", c->dropped);
}

static bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alnum(char ch)
{
	return is_alpha(ch) || is_digit(ch);
}

/* Narrow [*s, *s + *n) to its part without surrounding white space. */
static void
trim_span(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*s)[*n - 1]))
		(*n)--;
}

static bool
span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* A whole decimal number of at most max_digits digits, nothing else. */
static bool
parse_digits(const char *s, size_t max_digits, long *out)
{
	size_t n = strlen(s);
	long v = 0;

	if (n == 0 || n > max_digits)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * Whether text starts "v=<word>" and that part ends there: white space
 * around '=' and the word, names and word compared without case (the
 * exact spelling is checked by the parse, which warns).
 */
static bool
starts_version(const char *text, const char *word)
{
	const char *p = text;
	size_t n = strlen(word);

	while (is_wsp(*p))
		p++;
	if (*p != 'v' && *p != 'V')
		return false;
	for (p++; is_wsp(*p); p++)
		;
	if (*p != '=')
		return false;
	for (p++; is_wsp(*p); p++)
		;
	if (strncasecmp(p, word, n) != 0)
		return false;
	for (p += n; is_wsp(*p); p++)
		;
	return *p == '\0' || *p == ';';
}

static const char *
tag_get(const struct dnsrec_tag *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

static void
tags_release(struct dnsrec_tag *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* tag-name = ALPHA *ALNUMPUNC (RFC 6376 3.2, RFC 7489 6.4) */
static bool
tag_name_ok(const char *s, size_t n)
{
	if (n == 0 || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* One non-blank "name=value" part of a tag list. */
static void
tag_part(const char *s, size_t n, struct tagvec *tv, struct ctx *c)
{
	const char *eq = memchr(s, '=', n);
	const char *name = s, *value;
	size_t nlen, vlen;
	char *lname;

	if (eq == NULL) {
		note(c, SEV_ERROR, c->syntax, NULL, "'%.*s' is no tag=value",
		    SHOWN(s, n));
		return;
	}
	nlen = (size_t)(eq - s);
	value = eq + 1;
	vlen = n - nlen - 1;
	trim_span(&name, &nlen);
	trim_span(&value, &vlen);
	if (nlen == 0) {
		note(c, SEV_ERROR, c->syntax, NULL,
		    "empty tag name before '=%.*s'", SHOWN(value, vlen));
		return;
	}
	if (!tag_name_ok(name, nlen)) {
		note(c, SEV_ERROR, c->syntax, NULL, "'%.*s' is no tag name",
		    SHOWN(name, nlen));
		return;
	}
	lname = str_lower(xstrndup(name, nlen));
	if (tag_get(tv->v, tv->n, lname) != NULL) {
		note(c, SEV_ERROR, c->dup, NULL,
		    "tag %s appears more than once: the first counts",
		    lname);
		free(lname);
		return;
	}
	tv->v = xgrow(tv->v, tv->n, &tv->cap, sizeof(*tv->v));
	tv->v[tv->n].name = lname;
	tv->v[tv->n].value = xstrndup(value, vlen);
	tv->n++;
}

/* The tags of text, split at ';'; empty parts (";;", a trailing ';') are
 * tolerated as receivers do. */
static void
tags_parse(const char *text, struct tagvec *tv, struct ctx *c)
{
	size_t parts = 0;

	for (const char *p = text; *p != '\0';) {
		size_t len = strcspn(p, ";");
		const char *s = p;
		size_t n = len;

		trim_span(&s, &n);
		if (n > 0) {
			if (++parts > MAX_PARTS) {
				note(c, SEV_ERROR, c->syntax, NULL,
				    "more than %d tags: the rest is not read",
				    MAX_PARTS);
				return;
			}
			tag_part(s, n, tv, c);
		}
		p += len;
		if (*p == ';')
			p++;
	}
}

/* A warning when v= has the right word in the wrong case: the RFC
 * grammars spell it exactly, and strict receivers ignore the record. */
static void
version_case(struct ctx *c, const char *value, const char *word)
{
	if (value != NULL && strcmp(value, word) != 0)
		note(c, SEV_WARNING, c->syntax, NULL,
		    "v=%.*s: the standard spelling is %s, strict receivers "
		    "ignore other ones", SHOWN(value, strlen(value)), word);
}

/* ---- DMARC ---------------------------------------------------------- */

static bool
is_one_of(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcasecmp(v, *words) == 0)
			return true;
	return false;
}

static bool
dmarc_policy_ok(const char *v)
{
	static const char *const w[] = { "none", "quarantine", "reject",
		NULL };

	return is_one_of(v, w);
}

static bool
dmarc_alignment_ok(const char *v)
{
	static const char *const w[] = { "r", "s", NULL };

	return is_one_of(v, w);
}

static bool
dmarc_yn_ok(const char *v)
{
	static const char *const w[] = { "y", "n", NULL };

	return is_one_of(v, w);
}

static bool
dmarc_psd_ok(const char *v)
{
	static const char *const w[] = { "y", "n", "u", NULL };

	return is_one_of(v, w);
}

static bool
dmarc_pct_ok(const char *v)
{
	long n;

	return parse_digits(v, 3, &n) && n <= 100;
}

static bool
dmarc_ri_ok(const char *v)
{
	long n;

	/* an unsigned 32-bit number of seconds */
	return parse_digits(v, 10, &n) && n <= 4294967295L;
}

static bool
dmarc_fo_ok(const char *v)
{
	static const char *const w[] = { "0", "1", "d", "s", NULL };

	for (const char *p = v;;) {
		size_t len = strcspn(p, ":");
		const char *s = p;
		size_t n = len;
		char word[2];

		trim_span(&s, &n);
		if (n != 1)
			return false;
		word[0] = s[0];
		word[1] = '\0';
		if (!is_one_of(word, w))
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

/* URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 7489 6.4): a scheme,
 * ':', printable ASCII; a mailto: address with both sides of '@'. */
static bool
dmarc_uri_ok(const char *s, size_t n)
{
	const char *bang = NULL, *at;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '!')
			bang = s + i;
	if (bang != NULL) {
		const char *q = bang + 1, *end = s + n;

		if (q == end || !is_digit(*q))
			return false;
		while (q < end && is_digit(*q))
			q++;
		if (q < end && strchr("kmgtKMGT", *q) != NULL)
			q++;
		if (q != end)
			return false;
		n = (size_t)(bang - s);
	}
	if (n == 0 || !is_alpha(s[0]))
		return false;
	for (i = 1; i < n && s[i] != ':'; i++)
		if (!is_alnum(s[i]) && strchr("+-.", s[i]) == NULL)
			return false;
	if (i >= n - 1)
		return false;
	for (size_t j = i + 1; j < n; j++)
		if ((unsigned char)s[j] <= ' ' || (unsigned char)s[j] >= 0x7f)
			return false;
	if (i != 6 || strncasecmp(s, "mailto", 6) != 0)
		return true;
	s += 7;
	n -= 7;
	if (memchr(s, '?', n) != NULL)
		n = (size_t)((const char *)memchr(s, '?', n) - s);
	at = memchr(s, '@', n);
	return at != NULL && at > s && at < s + n - 1;
}

static bool
dmarc_uris_ok(const char *v)
{
	for (const char *p = v;;) {
		size_t len = strcspn(p, ",");
		const char *s = p;
		size_t n = len;

		trim_span(&s, &n);
		if (!dmarc_uri_ok(s, n))
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

struct dmarc_rule {
	const char *name;
	bool (*is_ok)(const char *value);	/* NULL: any value */
	const char *want;
};

/* RFC 7489 6.3 and RFC 9989: pct, ri and rf are gone from DMARCbis but
 * still read (and ignored) by receivers, so they are known tags */
static const struct dmarc_rule dmarc_rules[] = {
	{ "v", NULL, NULL },
	{ "p", dmarc_policy_ok, "none, quarantine or reject" },
	{ "sp", dmarc_policy_ok, "none, quarantine or reject" },
	{ "np", dmarc_policy_ok, "none, quarantine or reject" },
	{ "adkim", dmarc_alignment_ok, "r or s" },
	{ "aspf", dmarc_alignment_ok, "r or s" },
	{ "pct", dmarc_pct_ok, "a number from 0 to 100" },
	{ "t", dmarc_yn_ok, "y or n" },
	{ "fo", dmarc_fo_ok, "0, 1, d or s, joined by ':'" },
	{ "ri", dmarc_ri_ok, "a number of seconds" },
	{ "psd", dmarc_psd_ok, "y, n or u" },
	{ "rua", dmarc_uris_ok, "comma-separated URIs such as "
	    "mailto:dmarc@example.com" },
	{ "ruf", dmarc_uris_ok, "comma-separated URIs such as "
	    "mailto:dmarc@example.com" },
	{ "rf", NULL, NULL },
};

static void
dmarc_check_tags(const struct dmarc_txt *r, struct ctx *c)
{
	size_t n_rules = sizeof(dmarc_rules) / sizeof(dmarc_rules[0]);

	for (size_t i = 0; i < r->n_tags; i++) {
		const struct dnsrec_tag *t = &r->tags[i];
		const struct dmarc_rule *rule = NULL;

		for (size_t k = 0; k < n_rules; k++)
			if (strcmp(dmarc_rules[k].name, t->name) == 0)
				rule = &dmarc_rules[k];
		if (rule == NULL)
			note(c, SEV_WARNING, "dmarc-unknown-tag", NULL,
			    "unknown tag %s: receivers ignore it", t->name);
		else if (rule->is_ok != NULL && !rule->is_ok(t->value))
			note(c, SEV_ERROR, "dmarc-bad-value", NULL,
			    "%s=%.*s: want %s", t->name,
			    SHOWN(t->value, strlen(t->value)), rule->want);
	}
}

/* r with tag set to value (NULL: removed), formatted; malloc'd. */
static char *
dmarc_fixed(const struct dmarc_txt *r, const char *tag, const char *value)
{
	struct dmarc_txt copy;
	size_t size = 1;
	char *s;

	dmarc_txt_copy(&copy, r);
	dmarc_txt_set(&copy, tag, value);
	for (size_t i = 0; i < copy.n_tags; i++)
		size += strlen(copy.tags[i].name) +
		    strlen(copy.tags[i].value) + 3;
	s = xmalloc(size);
	dmarc_txt_format(&copy, s, size);
	dmarc_txt_free(&copy);
	return s;
}

static void
dmarc_check_policy(const struct dmarc_txt *r, struct ctx *c)
{
	const char *rua = dmarc_txt_get(r, "rua");
	const char *pct = dmarc_txt_get(r, "pct");
	long n;
	char *fix;

	if (dmarc_txt_get(r, "p") == NULL) {
		fix = dmarc_fixed(r, "p", "none");
		if (rua != NULL)
			note(c, SEV_WARNING, "dmarc-no-policy", fix,
			    "no p= tag: receivers read p=none because rua= "
			    "is there");
		else
			note(c, SEV_ERROR, "dmarc-no-policy", fix,
			    "no p= tag: receivers ignore the record");
		free(fix);
	}
	if (pct != NULL && parse_digits(pct, 3, &n) && n < 100) {
		fix = dmarc_fixed(r, "pct", NULL);
		note(c, SEV_WARNING, "dmarc-pct", fix,
		    "pct=%ld: RFC 9989 drops pct, receivers that follow it "
		    "apply the policy to all failing mail (t=y is the way "
		    "to test)", n);
		free(fix);
	}
	if (str_blank(rua))
		note(c, SEV_WARNING, "dmarc-rua-missing", NULL,
		    "no rua= tag: nobody sends aggregate reports");
}

bool
dmarc_txt_is(const char *text)
{
	return starts_version(text, "DMARC1");
}

int
dmarc_txt_parse(const char *text, struct dmarc_txt *out,
    struct findings *f)
{
	struct ctx c = { .f = f, .syntax = "dmarc-syntax",
		.dup = "dmarc-duplicate-tag" };
	struct tagvec tv = { NULL, 0, 0 };

	memset(out, 0, sizeof(*out));
	if (!dmarc_txt_is(text)) {
		findings_add(f, SEV_ERROR, "dmarc-syntax", NULL,
		    "not a DMARC record: '%.*s' does not start v=DMARC1",
		    SHOWN(text, strlen(text)));
		return -1;
	}
	tags_parse(text, &tv, &c);
	out->tags = tv.v;
	out->n_tags = tv.n;
	version_case(&c, dmarc_txt_get(out, "v"), "DMARC1");
	dmarc_check_tags(out, &c);
	dmarc_check_policy(out, &c);
	ctx_done(&c);
	return 0;
}

const char *
dmarc_txt_get(const struct dmarc_txt *r, const char *name)
{
	return tag_get(r->tags, r->n_tags, name);
}

void
dmarc_txt_set(struct dmarc_txt *r, const char *name,
    const char *value)
{
	size_t at;

	for (size_t i = 0; i < r->n_tags; i++) {
		if (strcasecmp(r->tags[i].name, name) != 0)
			continue;
		free(r->tags[i].value);
		if (value != NULL) {
			r->tags[i].value = xstrdup(value);
			return;
		}
		free(r->tags[i].name);
		memmove(&r->tags[i], &r->tags[i + 1],
		    (r->n_tags - i - 1) * sizeof(r->tags[0]));
		r->n_tags--;
		return;
	}
	if (value == NULL)
		return;
	at = r->n_tags;
	if (strcasecmp(name, "v") == 0)
		at = 0;
	else if (strcasecmp(name, "p") == 0 && r->n_tags > 0 &&
	    strcmp(r->tags[0].name, "v") == 0)
		at = 1;
	r->tags = xreallocarray(r->tags, r->n_tags + 1, sizeof(r->tags[0]));
	memmove(&r->tags[at + 1], &r->tags[at],
	    (r->n_tags - at) * sizeof(r->tags[0]));
	r->tags[at].name = str_lower(xstrdup(name));
	r->tags[at].value = xstrdup(value);
	r->n_tags++;
}

bool
dmarc_txt_format(const struct dmarc_txt *r, char *dst, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return false;
	for (size_t i = 0; i < r->n_tags; i++) {
		const char *parts[] = { i > 0 ? "; " : "", r->tags[i].name,
			"=", r->tags[i].value };

		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
			for (const char *p = parts[k]; *p != '\0'; p++) {
				if (o + 1 >= size) {
					dst[o] = '\0';
					return false;
				}
				dst[o++] = *p;
			}
	}
	dst[o] = '\0';
	return true;
}

void
dmarc_txt_copy(struct dmarc_txt *dst, const struct dmarc_txt *src)
{
	dst->n_tags = src->n_tags;
	dst->tags = NULL;
	if (src->n_tags == 0)
		return;
	dst->tags = xreallocarray(NULL, src->n_tags, sizeof(dst->tags[0]));
	for (size_t i = 0; i < src->n_tags; i++) {
		dst->tags[i].name = xstrdup(src->tags[i].name);
		dst->tags[i].value = xstrdup(src->tags[i].value);
	}
}

void
dmarc_txt_free(struct dmarc_txt *r)
{
	if (r == NULL)
		return;
	tags_release(r->tags, r->n_tags);
	memset(r, 0, sizeof(*r));
}

static int
hex_digit(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The mailbox of one "mailto:..." URI of n bytes, or NULL: the size and
 * any "?header" cut, %XX decoded (but never to NUL), lower-cased. */
static char *
mailto_mailbox(const char *s, size_t n)
{
	const char *bang = NULL;
	char *box, *at;
	size_t o = 0;

	if (n < 7 || strncasecmp(s, "mailto:", 7) != 0)
		return NULL;
	s += 7;
	n -= 7;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '!')
			bang = s + i;
	if (bang != NULL)
		n = (size_t)(bang - s);
	if (memchr(s, '?', n) != NULL)
		n = (size_t)((const char *)memchr(s, '?', n) - s);
	box = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
		int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0 && hi * 16 + lo > 0) {
			box[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			box[o++] = s[i];
		}
	}
	box[o] = '\0';
	str_lower(str_trim(box));
	at = strchr(box, '@');
	if (at == NULL || at == box || at[1] == '\0') {
		free(box);
		return NULL;
	}
	return box;
}

size_t
dmarc_uri_mailboxes(const char *value, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0;

	for (const char *p = value; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *s = p;
		size_t slen = len;
		char *box;

		trim_span(&s, &slen);
		box = mailto_mailbox(s, slen);
		if (box != NULL) {
			v = xgrow(v, n, &cap, sizeof(*v));
			v[n++] = box;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = v;
	return n;
}

/* ---- DKIM ----------------------------------------------------------- */

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (is_digit(ch))
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decode base64 with white space anywhere (RFC 6376 3.6.1 allows FWS in
 * p=) and with or without its '=' padding.  A malloc'd buffer and its
 * length in *len, or NULL when s is not base64.
 */
static unsigned char *
b64_decode(const char *s, size_t *len)
{
	unsigned char *out = xmalloc(strlen(s) / 4 * 3 + 3);
	size_t o = 0, chars = 0, pad = 0;
	uint32_t acc = 0;

	for (; *s != '\0'; s++) {
		int v = b64_value(*s);

		if (is_wsp(*s))
			continue;
		if (*s == '=' && chars > 0) {
			pad++;
			continue;
		}
		if (v < 0 || pad > 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++chars % 4 == 0) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
		}
	}
	if (chars % 4 == 1 || pad > 2 || (pad > 0 && (chars + pad) % 4 != 0))
		goto bad;
	if (chars % 4 == 2) {
		out[o++] = (unsigned char)(acc >> 4);
	} else if (chars % 4 == 3) {
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*len = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* A DER value: what is left of the bytes being read. */
struct der {
	const unsigned char *p;
	size_t n;
};

/* Read one TLV of tag from d into *content (definite lengths only). */
static bool
der_next(struct der *d, unsigned char tag, struct der *content)
{
	size_t len, hdr = 2;

	if (d->n < 2 || d->p[0] != tag)
		return false;
	len = d->p[1];
	if (len >= 0x80) {
		size_t k = len & 0x7f;

		if (k == 0 || k > 4 || d->n < 2 + k)
			return false;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		hdr += k;
	}
	if (len > d->n - hdr)
		return false;
	content->p = d->p + hdr;
	content->n = len;
	d->p += hdr + len;
	d->n -= hdr + len;
	return true;
}

static bool
der_is(const struct der *d, const unsigned char *bytes, size_t n)
{
	return d->n == n && memcmp(d->p, bytes, n) == 0;
}

/*
 * The modulus length in bits of a SubjectPublicKeyInfo holding an RSA key,
 * or of a bare RSAPublicKey (RFC 3447 A.1.1); 0 with *why when the bytes
 * are neither.
 */
static int
rsa_bits(const unsigned char *buf, size_t len, const char **why)
{
	static const unsigned char rsa_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7,
		0x0d, 0x01, 0x01, 0x01 };
	static const unsigned char ed25519_oid[] = { 0x2b, 0x65, 0x70 };
	struct der all = { buf, len }, seq, key, alg, oid, bits, mod, e;
	unsigned char top;
	int n;

	*why = "not a DER public key";
	if (!der_next(&all, 0x30, &seq))
		return 0;
	if (seq.n > 0 && seq.p[0] == 0x02) {
		key = seq;
	} else {
		if (!der_next(&seq, 0x30, &alg) ||
		    !der_next(&alg, 0x06, &oid))
			return 0;
		if (der_is(&oid, ed25519_oid, sizeof(ed25519_oid))) {
			*why = "an ed25519 key under k=rsa";
			return 0;
		}
		if (!der_is(&oid, rsa_oid, sizeof(rsa_oid))) {
			*why = "a public key of another algorithm than RSA";
			return 0;
		}
		/* the BIT STRING's first byte counts unused bits: none */
		if (!der_next(&seq, 0x03, &bits) || bits.n < 1 ||
		    bits.p[0] != 0)
			return 0;
		bits.p++;
		bits.n--;
		if (!der_next(&bits, 0x30, &key))
			return 0;
	}
	if (!der_next(&key, 0x02, &mod) || !der_next(&key, 0x02, &e))
		return 0;
	while (mod.n > 0 && mod.p[0] == 0) {
		mod.p++;
		mod.n--;
	}
	if (mod.n == 0 || mod.n > INT_MAX / 8) {
		*why = "an RSA key without a modulus";
		return 0;
	}
	n = (int)(mod.n - 1) * 8;
	for (top = mod.p[0]; top != 0; top >>= 1)
		n++;
	return n;
}

/* ed25519 keys are the 32 raw bytes (RFC 8463 4.2) */
static int
ed25519_bits(const unsigned char *buf, size_t len, const char **why)
{
	static const unsigned char spki[] = { 0x30, 0x2a, 0x30, 0x05, 0x06,
		0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

	if (len == 32)
		return 256;
	if (len == 44 && memcmp(buf, spki, sizeof(spki)) == 0)
		*why = "an ed25519 key inside a SubjectPublicKeyInfo, "
		    "RFC 8463 wants the 32 bytes of the key alone";
	else
		*why = "not 32 bytes, the length of an ed25519 key";
	return 0;
}

static void
dkim_read_key(struct dkim_key *out, const char *p, struct ctx *c)
{
	const char *why = "not base64";
	unsigned char *buf;
	size_t len = 0;

	buf = b64_decode(p, &len);
	if (buf != NULL && strcmp(out->key_type, "rsa") == 0)
		out->bits = rsa_bits(buf, len, &why);
	else if (buf != NULL)
		out->bits = ed25519_bits(buf, len, &why);
	if (out->bits == 0)
		note(c, SEV_ERROR, "dkim-key-unreadable", NULL,
		    "p= is %s", why);
	free(buf);
}

static void
dkim_check_flags(struct dkim_key *out, const char *t, struct ctx *c)
{
	for (const char *p = t; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ":");
		const char *s = p;
		size_t n = len;

		trim_span(&s, &n);
		if (span_is(s, n, "y"))
			out->is_testing = true;
		p += len;
		if (*p == ':')
			p++;
	}
	if (out->is_testing)
		note(c, SEV_WARNING, "dkim-testing", NULL,
		    "t=y: the domain is testing DKIM, verifiers may treat "
		    "its signed mail as unsigned");
}

static void
dkim_check_key(struct dkim_key *out, const struct tagvec *tv, struct ctx *c)
{
	const char *k = tag_get(tv->v, tv->n, "k");
	const char *p = tag_get(tv->v, tv->n, "p");

	if (k != NULL) {
		snprintf(out->key_type, sizeof(out->key_type), "%s", k);
		str_lower(out->key_type);
	}
	if (k != NULL && strcasecmp(k, "rsa") != 0 &&
	    strcasecmp(k, "ed25519") != 0) {
		note(c, SEV_ERROR, "dkim-unknown-type", NULL,
		    "k=%.*s: verifiers know rsa and ed25519", SHOWN(k,
		    strlen(k)));
	} else if (p == NULL) {
		note(c, SEV_ERROR, "dkim-syntax", NULL, "no p= tag");
	} else if (str_blank(p)) {
		out->is_revoked = true;
		note(c, SEV_WARNING, "dkim-revoked", NULL,
		    "p= is empty: the key is revoked");
	} else {
		dkim_read_key(out, p, c);
	}
}

int
dkim_key_parse(const char *text, struct dkim_key *out, struct findings *f)
{
	struct ctx c = { .f = f, .syntax = "dkim-syntax",
		.dup = "dkim-syntax" };
	struct tagvec tv = { NULL, 0, 0 };
	const char *v;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->key_type, sizeof(out->key_type), "rsa");
	tags_parse(text, &tv, &c);
	v = tag_get(tv.v, tv.n, "v");
	if (v != NULL && strcasecmp(v, "DKIM1") != 0) {
		note(&c, SEV_ERROR, "dkim-syntax", NULL,
		    "v=%.*s: not a DKIM key record", SHOWN(v, strlen(v)));
		ret = -1;
		goto out;
	}
	version_case(&c, v, "DKIM1");
	if (v != NULL && strcmp(tv.v[0].name, "v") != 0)
		note(&c, SEV_ERROR, "dkim-syntax", NULL,
		    "v= is not the first tag");
	dkim_check_key(out, &tv, &c);
	dkim_check_flags(out, tag_get(tv.v, tv.n, "t"), &c);
	out->is_valid = !c.has_error && !out->is_revoked;
out:
	ctx_done(&c);
	tags_release(tv.v, tv.n);
	return ret;
}

/* ---- MTA-STS -------------------------------------------------------- */

bool
sts_record_is(const char *text)
{
	return starts_version(text, "STSv1");
}

int
sts_record_parse(const char *text, struct sts_record *out,
    struct findings *f)
{
	struct ctx c = { .f = f, .syntax = "sts-syntax", .dup = "sts-syntax" };
	struct tagvec tv = { NULL, 0, 0 };
	const char *id;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!sts_record_is(text)) {
		findings_add(f, SEV_ERROR, "sts-syntax", NULL,
		    "not an MTA-STS record: '%.*s' does not start v=STSv1",
		    SHOWN(text, strlen(text)));
		return -1;
	}
	tags_parse(text, &tv, &c);
	version_case(&c, tag_get(tv.v, tv.n, "v"), "STSv1");
	id = tag_get(tv.v, tv.n, "id");
	n = id != NULL ? strlen(id) : 0;
	if (id == NULL) {
		note(&c, SEV_ERROR, "sts-bad-id", NULL,
		    "no id= tag: senders cannot tell a changed policy");
	} else {
		bool ok = n >= 1 && n <= 32;

		for (size_t i = 0; ok && i < n; i++)
			ok = is_alnum(id[i]);
		if (ok)
			memcpy(out->id, id, n + 1);
		else
			note(&c, SEV_ERROR, "sts-bad-id", NULL,
			    "id=%.*s: want 1 to 32 letters and digits",
			    SHOWN(id, n));
	}
	ctx_done(&c);
	tags_release(tv.v, tv.n);
	return 0;
}

static const char *const sts_mode_names[] = {
	[STS_MODE_NONE] = "none", [STS_MODE_TESTING] = "testing",
	[STS_MODE_ENFORCE] = "enforce", [STS_MODE_UNKNOWN] = "unknown",
};

const char *
sts_mode_name(enum sts_mode m)
{
	if ((size_t)m >= sizeof(sts_mode_names) / sizeof(sts_mode_names[0]))
		return "unknown";
	return sts_mode_names[m];
}

/*
 * What is wrong with an mx pattern (RFC 8461 3.2, 4.1): a host name of
 * LDH labels, or "*." and one: NULL when nothing.
 */
static const char *
sts_mx_problem(const char *s, size_t n)
{
	size_t labels = 0;

	if (n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n == 0)
		return "empty";
	if (n > 253)
		return "longer than 253 bytes";
	for (size_t i = 0; i <= n; labels++) {
		size_t len = 0;

		while (i + len < n && s[i + len] != '.')
			len++;
		if (len == 0)
			return "a host name with an empty label";
		if (len > 63)
			return "a host name with a label over 63 bytes";
		if (s[i] == '-' || s[i + len - 1] == '-')
			return "a host name with a label that starts or "
			    "ends with '-'";
		for (size_t k = i; k < i + len; k++) {
			if (s[k] == '*')
				return "a pattern with '*' that is not its "
				    "whole first label";
			if (!is_alnum(s[k]) && s[k] != '-')
				return "not a host name (letters, digits, "
				    "'-', A-labels for IDN)";
		}
		i += len + 1;
	}
	return labels < 2 ? "not a fully qualified host name" : NULL;
}

enum sts_key_id { STS_KEY_VERSION, STS_KEY_MODE, STS_KEY_MX,
	STS_KEY_MAX_AGE, STS_KEY_COUNT };

/* The policy being read: the line, and which keys were seen. */
struct sts_read {
	struct sts_policy *p;
	struct ctx *c;
	size_t line;
	bool is_seen[STS_KEY_COUNT];
};

static void
sts_key_version(struct sts_read *r, const char *v, size_t n)
{
	if (!span_is(v, n, "STSv1"))
		note(r->c, SEV_ERROR, "sts-policy-syntax", NULL,
		    "line %zu: version %.*s, want STSv1", r->line,
		    SHOWN(v, n));
}

static void
sts_key_mode(struct sts_read *r, const char *v, size_t n)
{
	static const enum sts_mode modes[] = { STS_MODE_NONE,
		STS_MODE_TESTING, STS_MODE_ENFORCE };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (span_is(v, n, sts_mode_names[modes[i]])) {
			r->p->mode = modes[i];
			return;
		}
	note(r->c, SEV_ERROR, "sts-policy-mode", NULL,
	    "line %zu: mode %.*s, want enforce, testing or none", r->line,
	    SHOWN(v, n));
}

static void
sts_key_mx(struct sts_read *r, const char *v, size_t n)
{
	const char *why = sts_mx_problem(v, n);
	struct sts_policy *p = r->p;

	if (why != NULL) {
		note(r->c, SEV_ERROR, "sts-policy-mx", NULL,
		    "line %zu: mx %.*s is %s", r->line, SHOWN(v, n), why);
		return;
	}
	p->mx = xreallocarray(p->mx, p->n_mx + 1, sizeof(p->mx[0]));
	p->mx[p->n_mx++] = str_lower(xstrndup(v, n));
}

static void
sts_key_max_age(struct sts_read *r, const char *v, size_t n)
{
	long age = 0;
	bool ok = n >= 1;

	for (size_t i = 0; ok && i < n; i++) {
		ok = is_digit(v[i]);
		/* saturates: all that matters is that it is too large */
		if (age <= STS_MAX_AGE)
			age = age * 10 + (v[i] - '0');
	}
	if (!ok)
		note(r->c, SEV_ERROR, "sts-policy-max-age", NULL,
		    "line %zu: max_age %.*s is not a number of seconds",
		    r->line, SHOWN(v, n));
	else if (age > STS_MAX_AGE)
		note(r->c, SEV_ERROR, "sts-policy-max-age", NULL,
		    "line %zu: max_age %.*s is above %ld (one year)", r->line,
		    SHOWN(v, n), STS_MAX_AGE);
	else
		r->p->max_age = age;
}

struct sts_key {
	const char *name;
	void (*read)(struct sts_read *r, const char *v, size_t n);
	bool is_once;	/* a repeat is ignored: all but mx (RFC 8461 3.2) */
};

static const struct sts_key sts_keys[STS_KEY_COUNT] = {
	[STS_KEY_VERSION] = { "version", sts_key_version, true },
	[STS_KEY_MODE] = { "mode", sts_key_mode, true },
	[STS_KEY_MX] = { "mx", sts_key_mx, false },
	[STS_KEY_MAX_AGE] = { "max_age", sts_key_max_age, true },
};

/* One non-blank line "key: value" of n bytes; the first must be version. */
static void
sts_line(struct sts_read *r, const char *s, size_t n, bool is_first)
{
	const char *colon = memchr(s, ':', n), *key = s, *v;
	size_t klen, vlen;

	if (colon == NULL) {
		note(r->c, SEV_ERROR, "sts-policy-syntax", NULL,
		    "line %zu: '%.*s' is no key: value", r->line, SHOWN(s, n));
		return;
	}
	klen = (size_t)(colon - s);
	v = colon + 1;
	vlen = n - klen - 1;
	trim_span(&key, &klen);
	trim_span(&v, &vlen);
	if (is_first && !span_is(key, klen, "version"))
		note(r->c, SEV_ERROR, "sts-policy-syntax", NULL,
		    "line %zu: the first key is %.*s, not version", r->line,
		    SHOWN(key, klen));
	for (size_t i = 0; i < STS_KEY_COUNT; i++) {
		const struct sts_key *k = &sts_keys[i];

		if (!span_is(key, klen, k->name))
			continue;
		if (k->is_once && r->is_seen[i]) {
			note(r->c, SEV_WARNING, "sts-policy-syntax", NULL,
			    "line %zu: a second %s, the first counts",
			    r->line, k->name);
			return;
		}
		r->is_seen[i] = true;
		k->read(r, v, vlen);
		return;
	}
}

static void
sts_check_policy(struct sts_read *r)
{
	struct sts_policy *p = r->p;

	if (!r->is_seen[STS_KEY_VERSION])
		note(r->c, SEV_ERROR, "sts-policy-syntax", NULL,
		    "no version: STSv1 line");
	if (!r->is_seen[STS_KEY_MODE])
		note(r->c, SEV_ERROR, "sts-policy-mode", NULL, "no mode line");
	if ((p->mode == STS_MODE_TESTING || p->mode == STS_MODE_ENFORCE) &&
	    p->n_mx == 0)
		note(r->c, SEV_ERROR, "sts-policy-mx", NULL,
		    "mode %s without a usable mx line: no MX can match",
		    sts_mode_name(p->mode));
	if (!r->is_seen[STS_KEY_MAX_AGE])
		note(r->c, SEV_ERROR, "sts-policy-max-age", NULL,
		    "no max_age line");
	else if (p->mode == STS_MODE_ENFORCE && p->max_age >= 0 &&
	    p->max_age < STS_SHORT_AGE)
		note(r->c, SEV_WARNING, "sts-policy-max-age", NULL,
		    "max_age %ld: under a day is too short to protect, "
		    "weeks are usual", p->max_age);
}

int
sts_policy_parse(const char *body, size_t len, struct sts_policy *out,
    struct findings *f)
{
	struct ctx c = { .f = f, .syntax = "sts-policy-syntax",
		.dup = "sts-policy-syntax" };
	struct sts_read r = { .p = out, .c = &c };
	const char *end = body + len;
	bool is_first = true;

	memset(out, 0, sizeof(*out));
	out->mode = STS_MODE_UNKNOWN;
	out->max_age = -1;
	for (const char *s = body; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl != NULL ? nl : end) - s);
		const char *line = s;

		r.line++;
		s += n + (nl != NULL);
		trim_span(&line, &n);
		if (n == 0)
			continue;
		sts_line(&r, line, n, is_first);
		is_first = false;
	}
	sts_check_policy(&r);
	ctx_done(&c);
	return c.has_error ? -1 : 0;
}

void
sts_policy_free(struct sts_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	memset(p, 0, sizeof(*p));
}

/* ---- TLS-RPT -------------------------------------------------------- */

bool
tlsrpt_record_is(const char *text)
{
	return starts_version(text, "TLSRPTv1");
}

/* mailto:local@domain or https://host... (RFC 8460 3) */
static bool
tlsrpt_uri_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	if (n > 7 && strncasecmp(s, "mailto:", 7) == 0) {
		const char *at = memchr(s + 7, '@', n - 7);

		return at != NULL && at > s + 7 && at < s + n - 1;
	}
	return n > 8 && strncasecmp(s, "https://", 8) == 0 && s[8] != '/';
}

static void
tlsrpt_read_rua(struct tlsrpt_record *out, const char *rua, struct ctx *c)
{
	for (const char *p = rua; *p != '\0';) {
		size_t len = strcspn(p, ",");
		const char *s = p;
		size_t n = len;

		trim_span(&s, &n);
		p += len;
		if (*p == ',')
			p++;
		if (n == 0)
			continue;
		if (!tlsrpt_uri_ok(s, n)) {
			note(c, SEV_ERROR, "tlsrpt-bad-rua", NULL,
			    "rua %.*s: want mailto:address or https://host/...",
			    SHOWN(s, n));
			continue;
		}
		out->rua = xreallocarray(out->rua, out->n_rua + 1,
		    sizeof(out->rua[0]));
		out->rua[out->n_rua++] = xstrndup(s, n);
	}
}

int
tlsrpt_record_parse(const char *text, struct tlsrpt_record *out,
    struct findings *f)
{
	struct ctx c = { .f = f, .syntax = "tlsrpt-syntax",
		.dup = "tlsrpt-syntax" };
	struct tagvec tv = { NULL, 0, 0 };
	const char *rua;

	memset(out, 0, sizeof(*out));
	if (!tlsrpt_record_is(text)) {
		findings_add(f, SEV_ERROR, "tlsrpt-syntax", NULL,
		    "not a TLS-RPT record: '%.*s' does not start v=TLSRPTv1",
		    SHOWN(text, strlen(text)));
		return -1;
	}
	tags_parse(text, &tv, &c);
	version_case(&c, tag_get(tv.v, tv.n, "v"), "TLSRPTv1");
	rua = tag_get(tv.v, tv.n, "rua");
	if (str_blank(rua))
		note(&c, SEV_ERROR, "tlsrpt-no-rua", NULL,
		    "no rua= tag: nobody receives the TLS reports");
	else
		tlsrpt_read_rua(out, rua, &c);
	ctx_done(&c);
	tags_release(tv.v, tv.n);
	return 0;
}

void
tlsrpt_record_free(struct tlsrpt_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rua; i++)
		free(r->rua[i]);
	free(r->rua);
	memset(r, 0, sizeof(*r));
}
