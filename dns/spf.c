#include "dns/spf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"

/* a hostile tree may be wide and deep: the walk shows this many records
 * and goes this deep (RFC 7208 stops at 10 lookups anyway) */
#define WALK_NODES_MAX 64
#define WALK_DEPTH_MAX 12
/* the most the walk counts: enough to say how far over the limit */
#define COUNT_MAX 100
#define TERM_MAX 512

const char *
spf_result_name(enum spf_result r)
{
	static const char *const names[] = {
		[SPF_NONE] = "none", [SPF_NEUTRAL] = "neutral",
		[SPF_PASS] = "pass", [SPF_FAIL] = "fail",
		[SPF_SOFTFAIL] = "softfail", [SPF_TEMPERROR] = "temperror",
		[SPF_PERMERROR] = "permerror",
	};

	return names[r];
}

/* One term of a record, split. */
struct term {
	char qualifier;		/* '+', '-', '~', '?' */
	char name[16];		/* mechanism or modifier, lower-case */
	bool is_modifier;
	char arg[TERM_MAX];	/* domain-spec, address or value; "" */
	int cidr4, cidr6;	/* -1 when absent */
};

static bool
is_mechanism(const char *name)
{
	static const char *const names[] = {
		"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Whether a DNS lookup is counted for the mechanism or modifier. */
static bool
is_counted(const struct term *t)
{
	static const char *const names[] = {
		"include", "a", "mx", "ptr", "exists", "redirect",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(t->name, names[i]) == 0)
			return true;
	return false;
}

/* "/24" or "//64" or "/24//64" at the end of s: cut off and read. */
static int
cut_cidr(char *s, int *c4, int *c6)
{
	char *p;

	*c4 = *c6 = -1;
	if ((p = strstr(s, "//")) != NULL) {
		char *end;
		long v = strtol(p + 2, &end, 10);

		if (*end != '\0' || end == p + 2 || v < 0 || v > 128)
			return -1;
		*c6 = (int)v;
		*p = '\0';
	}
	if ((p = strrchr(s, '/')) != NULL) {
		char *end;
		long v = strtol(p + 1, &end, 10);

		if (*end != '\0' || end == p + 1 || v < 0 || v > 32)
			return -1;
		*c4 = (int)v;
		*p = '\0';
	}
	return 0;
}

/* Split one term; -1 when it is not SPF syntax. */
static int
term_parse(const char *text, struct term *t)
{
	const char *p = text, *sep;
	size_t n;

	memset(t, 0, sizeof(*t));
	t->qualifier = '+';
	t->cidr4 = t->cidr6 = -1;
	if (strlen(text) >= TERM_MAX)
		return -1;
	n = strcspn(p, ":=/");
	if (p[n] == '=') {	/* modifier */
		if (n == 0 || n >= sizeof(t->name))
			return n == 0 ? -1 : (t->is_modifier = true, 0);
		memcpy(t->name, p, n);
		t->is_modifier = true;
		for (char *c = t->name; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		snprintf(t->arg, sizeof(t->arg), "%s", p + n + 1);
		return 0;
	}
	if (strchr("+-~?", *p) != NULL && *p != '\0')
		t->qualifier = *p++;
	n = strcspn(p, ":/");
	if (n == 0 || n >= sizeof(t->name))
		return -1;
	memcpy(t->name, p, n);
	for (char *c = t->name; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!is_mechanism(t->name))
		return -1;
	sep = p + n;
	if (*sep == ':')
		snprintf(t->arg, sizeof(t->arg), "%s", sep + 1);
	else
		snprintf(t->arg, sizeof(t->arg), "%s", sep);
	if (strcmp(t->name, "ip4") == 0 || strcmp(t->name, "ip6") == 0) {
		unsigned char a[16];
		char *slash;
		int fam = t->name[2] == '4' ? AF_INET : AF_INET6;
		long v = fam == AF_INET ? 32 : 128;

		if (*sep != ':')
			return -1;
		if ((slash = strchr(t->arg, '/')) != NULL) {
			char *end;

			v = strtol(slash + 1, &end, 10);
			if (*end != '\0' || end == slash + 1 || v < 0 ||
			    v > (fam == AF_INET ? 32 : 128))
				return -1;
			*slash = '\0';
		}
		if (inet_pton(fam, t->arg, a) != 1)
			return -1;
		if (fam == AF_INET)
			t->cidr4 = (int)v;
		else
			t->cidr6 = (int)v;
		return 0;
	}
	if (strcmp(t->name, "all") == 0)
		return *sep == '\0' ? 0 : -1;
	if (strcmp(t->name, "a") == 0 || strcmp(t->name, "mx") == 0) {
		if (cut_cidr(t->arg, &t->cidr4, &t->cidr6) == -1)
			return -1;
		if (*sep == '/' && t->arg[0] != '\0')
			return -1;
		return 0;
	}
	/* include, exists need a domain; ptr may have one */
	if (*sep != ':' && strcmp(t->name, "ptr") != 0)
		return -1;
	return *sep == ':' && t->arg[0] == '\0' ? -1 : 0;
}

/* Whether text is an SPF record: "v=spf1" alone or before a space. */
static bool
is_spf(const char *text)
{
	return strncasecmp(text, "v=spf1", 6) == 0 &&
	    (text[6] == '\0' || text[6] == ' ');
}

/* The one SPF record of domain: its text, or NULL with *count records
 * (0 or 2+) and the DNS outcome. */
static const char *
spf_record(struct resolver *r, const char *domain, int *count,
    const struct dns_answer **ans)
{
	const struct dns_answer *a = resolver_ask(r, domain, ns_t_txt);
	const char *found = NULL;

	*ans = a;
	*count = 0;
	for (size_t i = 0; a->rc == DNS_ANSWER && i < a->n; i++)
		if (is_spf(a->v[i])) {
			found = a->v[i];
			(*count)++;
		}
	return *count == 1 ? found : NULL;
}

/* Each space-separated term of record (after v=spf1), as fn(term text). */
#define FOR_EACH_TERM(record, buf, tok, save)				\
	for (char *tok = (snprintf(buf, sizeof(buf), "%s", (record) + 6),\
	    strtok_r(buf, " \t", &save)); tok != NULL;			\
	    tok = strtok_r(NULL, " \t", &save))

struct walk {
	struct resolver *r;
	struct spf_tree *t;
	struct findings *f;
	const char *stack[WALK_DEPTH_MAX + 1];
	int has_failed_dns;
};

static bool
has_macro(const char *s)
{
	return strchr(s, '%') != NULL;
}

static size_t
node_push(struct spf_tree *t, const char *domain, const char *via, int depth)
{
	struct spf_node *n;

	t->nodes = xgrow(t->nodes, t->n, &t->cap, sizeof(*t->nodes));
	n = &t->nodes[t->n];
	memset(n, 0, sizeof(*n));
	n->domain = xstrdup(domain);
	n->via = via;
	n->depth = depth;
	return t->n++;
}

static bool
is_void(const struct dns_answer *a)
{
	return a->rc == DNS_NXDOMAIN || a->rc == DNS_NODATA;
}

static void count_lookup(struct walk *w, size_t node)
{
	if (w->t->lookups < COUNT_MAX)
		w->t->lookups++;
	w->t->nodes[node].lookups++;
}

static void
note_answer(struct walk *w, const struct dns_answer *a, const char *name)
{
	if (is_void(a)) {
		if (w->t->void_lookups < COUNT_MAX)
			w->t->void_lookups++;
	} else if (a->rc == DNS_FAIL && !w->has_failed_dns) {
		w->has_failed_dns = 1;
		findings_add(w->f, SEV_WARNING, "spf-dns-failed", NULL,
		    "the SPF tree could not be read whole: %s: %s", name,
		    a->detail);
	}
}

static void walk_domain(struct walk *w, const char *domain, const char *via,
    int depth, bool is_main);

static void
walk_term(struct walk *w, size_t node, const char *domain,
    const struct term *t, int depth, bool is_main, char *redirect)
{
	const char *target = t->arg[0] != '\0' && t->arg[0] != '/' ?
	    t->arg : domain;
	const struct dns_answer *a;

	if (is_counted(t))
		count_lookup(w, node);
	if (t->is_modifier) {
		if (strcmp(t->name, "redirect") == 0)
			snprintf(redirect, TERM_MAX, "%s", t->arg);
		return;
	}
	if (strcmp(t->name, "all") == 0) {
		if (is_main && w->t->all[0] == '\0')
			snprintf(w->t->all, sizeof(w->t->all), "%call",
			    t->qualifier);
		return;
	}
	if (strcmp(t->name, "ptr") == 0) {
		findings_add(w->f, SEV_WARNING, "spf-ptr", NULL,
		    "%s uses the ptr mechanism, which RFC 7208 5.5 says not "
		    "to use: slow, unreliable, and many receivers skip it",
		    domain);
		return;
	}
	if (has_macro(target) || strcmp(t->name, "ip4") == 0 ||
	    strcmp(t->name, "ip6") == 0)
		return;
	if (strcmp(t->name, "include") == 0) {
		walk_domain(w, target, "include", depth + 1, false);
		return;
	}
	if (strcmp(t->name, "mx") == 0) {
		a = resolver_ask(w->r, target, ns_t_mx);
		note_answer(w, a, target);
		if (a->rc == DNS_ANSWER && a->n > SPF_LOOKUP_LIMIT)
			findings_add(w->f, SEV_ERROR, "spf-mx-too-many", NULL,
			    "mx:%s has %zu MX names: more than 10 is a "
			    "permanent error (RFC 7208 4.6.4)", target, a->n);
		return;
	}
	/* a, exists: an address */
	a = resolver_ask(w->r, target, ns_t_a);
	if (is_void(a) && strcmp(t->name, "a") == 0) {
		const struct dns_answer *a6 =
		    resolver_ask(w->r, target, ns_t_aaaa);

		if (!is_void(a6))
			a = a6;
	}
	note_answer(w, a, target);
}

/* An ip4: or ip6: range so wide it is as good as +all: shorter than /8
 * (16 million addresses and more) or /16 for IPv6. */
static bool
is_wide(const struct term *t)
{
	if (strcmp(t->name, "ip4") == 0)
		return t->cidr4 >= 0 && t->cidr4 < 8;
	if (strcmp(t->name, "ip6") == 0)
		return t->cidr6 >= 0 && t->cidr6 < 16;
	return false;
}

static bool
is_on_stack(const struct walk *w, int depth, const char *domain)
{
	for (int i = 0; i < depth; i++)
		if (w->stack[i] != NULL && strcasecmp(w->stack[i], domain) == 0)
			return true;
	return false;
}

static void
walk_domain(struct walk *w, const char *domain, const char *via, int depth,
    bool is_main)
{
	const struct dns_answer *a;
	const char *record;
	char buf[4096], redirect[TERM_MAX] = "", *save = NULL;
	size_t node;
	int count, modifiers[2] = { 0, 0 };	/* exp=, redirect= */
	bool has_all = false;

	if (depth > WALK_DEPTH_MAX || w->t->n >= WALK_NODES_MAX)
		return;
	if (is_on_stack(w, depth, domain)) {
		findings_add(w->f, SEV_ERROR, "spf-include-loop", NULL,
		    "%s includes itself through its own tree: a permanent "
		    "error for every receiver", domain);
		return;
	}
	w->stack[depth] = domain;
	node = node_push(w->t, domain, via, depth);
	record = spf_record(w->r, domain, &count, &a);
	if (a->rc == DNS_FAIL) {
		note_answer(w, a, domain);
		goto out;
	}
	if (record == NULL && depth > 0 && count == 0) {
		if (is_void(a))
			note_answer(w, a, domain);
		findings_add(w->f, SEV_ERROR, "spf-include-missing", NULL,
		    "%s:%s publishes no SPF record: a permanent error, "
		    "receivers treat the whole SPF policy as broken", via,
		    domain);
		goto out;
	}
	if (count > 1) {
		findings_add(w->f, SEV_ERROR, "spf-multiple", NULL,
		    "%s publishes %d SPF records: a permanent error (RFC "
		    "7208 4.5); merge them into one", domain, count);
		goto out;
	}
	if (record == NULL)
		goto out;
	if (depth == 0)
		w->t->has_record = 1;
	w->t->nodes[node].record = xstrdup(record);
	if (strlen(record) >= sizeof(buf)) {
		findings_add(w->f, SEV_ERROR, "spf-syntax", NULL,
		    "the SPF record of %s is too long to read", domain);
		goto out;
	}
	FOR_EACH_TERM(record, buf, tok, save) {
		struct term t;

		if (term_parse(tok, &t) == -1) {
			findings_add(w->f, SEV_ERROR, "spf-syntax", NULL,
			    "the SPF record of %s has a bad term '%.64s': a "
			    "permanent error for every receiver", domain, tok);
			continue;
		}
		if (strcmp(t.name, "all") == 0)
			has_all = true;
		if (t.is_modifier && (strcmp(t.name, "redirect") == 0 ||
		    strcmp(t.name, "exp") == 0) && ++modifiers[t.name[0] ==
		    'r'] == 2)
			findings_add(w->f, SEV_ERROR, "spf-syntax", NULL,
			    "the SPF record of %s has %s= twice: a permanent "
			    "error for every receiver (RFC 7208 6)", domain,
			    t.name);
		if (is_main && t.qualifier == '+' && is_wide(&t))
			findings_add(w->f, SEV_ERROR, "spf-all-pass", NULL,
			    "the SPF record of %s lets %s send: a range that "
			    "wide lets almost every server of the Internet "
			    "pass as %s; list your servers", domain, tok,
			    domain);
		if (is_main && t.is_modifier &&
		    strcmp(t.name, "redirect") == 0)
			w->t->has_redirect = 1;
		walk_term(w, node, domain, &t, depth, is_main, redirect);
	}
	/* redirect= is ignored when the record has an all (RFC 7208 6.1) */
	if (redirect[0] != '\0' && !has_all && !has_macro(redirect))
		walk_domain(w, redirect, "redirect", depth + 1, is_main);
out:
	w->stack[depth] = NULL;
}

void
spf_walk(struct resolver *r, const char *domain, struct spf_tree *out,
    struct findings *f)
{
	struct walk w = { .r = r, .t = out, .f = f };
	int count;
	const struct dns_answer *a;

	memset(out, 0, sizeof(*out));
	(void)spf_record(r, domain, &count, &a);
	if (a->rc != DNS_FAIL && count == 0) {
		findings_add(f, SEV_ERROR, "spf-missing",
		    "v=spf1 mx -all",
		    "%s publishes no SPF record: receivers cannot tell its "
		    "servers from forgeries by SPF", domain);
		node_push(out, domain, NULL, 0);
		return;
	}
	walk_domain(&w, domain, NULL, 0, true);
	if (out->lookups > SPF_LOOKUP_LIMIT)
		findings_add(f, SEV_ERROR, "spf-too-many-lookups", NULL,
		    "the SPF record of %s needs %d DNS lookups, over the "
		    "limit of 10: receivers stop with a permanent error and "
		    "SPF fails for all your mail; replace includes by the "
		    "ip4:/ip6: ranges they hold, or drop senders you no "
		    "longer use", domain, out->lookups);
	if (out->void_lookups > SPF_VOID_LIMIT)
		findings_add(f, SEV_ERROR, "spf-void-lookups", NULL,
		    "the SPF tree of %s has %d lookups that find nothing, "
		    "over the limit of 2 (RFC 7208 4.6.4): remove the terms "
		    "that name domains without records", domain,
		    out->void_lookups);
	else if (out->void_lookups > 0)
		findings_add(f, SEV_WARNING, "spf-void-lookups", NULL,
		    "the SPF tree of %s has %d lookup(s) that find nothing "
		    "(limit 2): remove the terms that name domains without "
		    "records", domain, out->void_lookups);
	if (!out->has_record)
		return;
	if (strcmp(out->all, "+all") == 0)
		findings_add(f, SEV_ERROR, "spf-all-pass", NULL,
		    "the SPF record of %s ends in +all: every server of the "
		    "Internet may send as %s; end it in -all", domain, domain);
	else if (strcmp(out->all, "?all") == 0)
		findings_add(f, SEV_WARNING, "spf-all-neutral", NULL,
		    "the SPF record of %s ends in ?all: SPF says nothing "
		    "about other servers; end it in -all (or ~all)", domain);
	else if (strcmp(out->all, "~all") == 0)
		findings_add(f, SEV_INFO, "spf-all-soft", NULL,
		    "the SPF record of %s ends in ~all (softfail); -all is "
		    "stricter, DMARC decides either way", domain);
	else if (out->all[0] == '\0' && !out->has_redirect)
		findings_add(f, SEV_WARNING, "spf-no-all", NULL,
		    "the SPF record of %s has no all and no redirect: other "
		    "servers get neutral; end it in -all", domain);
}

void
spf_tree_free(struct spf_tree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].domain);
		free(t->nodes[i].record);
	}
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

/* ---- check_host() ---- */

struct check {
	struct resolver *r;
	int family;
	unsigned char addr[16];
	const char *ip;
	int lookups, voids;
	char *why;
	size_t why_size;
};

static bool
in_cidr(const struct check *c, int family, const unsigned char *net,
    int bits)
{
	int len = family == AF_INET ? 4 : 16;

	if (family != c->family)
		return false;
	if (bits < 0)
		bits = len * 8;
	for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));

		if ((c->addr[i] & mask) != (net[i] & mask))
			return false;
	}
	return true;
}

/* Whether an address text of an answer is in the cidr of the term. */
static bool
addr_matches(const struct check *c, const char *text, const struct term *t)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		return in_cidr(c, AF_INET, a, t->cidr4);
	if (inet_pton(AF_INET6, text, a) == 1)
		return in_cidr(c, AF_INET6, a, t->cidr6);
	return false;
}

/*
 * Macro expansion (RFC 7208 7) for what a receiver knows of a probe:
 * i, ir, d, o, v, h (the domain) and s, l (postmaster@domain).  -1 when
 * the spec cannot be expanded.
 */
static int
expand(const struct check *c, const char *spec, const char *domain,
    char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = spec; *p != '\0'; p++) {
		char val[256], parts[64][64], delim[8] = ".";
		const char *v = val;
		int n = 0, keep = 0;
		bool rev = false;
		char letter;

		if (*p != '%') {
			if (o + 1 >= size)
				return -1;
			out[o++] = *p;
			continue;
		}
		p++;
		if (*p == '%' || *p == '_' || *p == '-') {
			const char *lit = *p == '%' ? "%" : *p == '_' ? " " :
			    "%20";

			if (o + strlen(lit) >= size)
				return -1;
			memcpy(out + o, lit, strlen(lit));
			o += strlen(lit);
			continue;
		}
		if (*p != '{' || p[1] == '\0')
			return -1;
		letter = (char)tolower((unsigned char)p[1]);
		p += 2;
		while (isdigit((unsigned char)*p))
			keep = keep * 10 + (*p++ - '0');
		if (tolower((unsigned char)*p) == 'r') {
			rev = true;
			p++;
		}
		if (*p != '}') {
			size_t dn = strcspn(p, "}");

			if (p[dn] != '}' || dn >= sizeof(delim))
				return -1;
			memcpy(delim, p, dn);
			delim[dn] = '\0';
			p += dn;
		}
		switch (letter) {
		case 'i':
			if (c->family == AF_INET)
				snprintf(val, sizeof(val), "%s", c->ip);
			else {
				size_t k = 0;

				for (int i = 0; i < 16; i++) {
					k += (size_t)snprintf(val + k,
					    sizeof(val) - k, "%x.%x.",
					    c->addr[i] >> 4, c->addr[i] & 15);
				}
				val[k - 1] = '\0';
			}
			break;
		case 'd': case 'o': case 'h':
			snprintf(val, sizeof(val), "%s", domain);
			break;
		case 's':
			snprintf(val, sizeof(val), "postmaster@%s", domain);
			break;
		case 'l':
			v = "postmaster";
			break;
		case 'v':
			v = c->family == AF_INET ? "in-addr" : "ip6";
			break;
		default:
			return -1;
		}
		if (v == val) {
			/* split on the delimiters, reverse, keep the right */
			char tmp[256], *save = NULL;

			snprintf(tmp, sizeof(tmp), "%s", val);
			for (char *tok = strtok_r(tmp, delim, &save);
			    tok != NULL && n < 64;
			    tok = strtok_r(NULL, delim, &save))
				snprintf(parts[n++], sizeof(parts[0]), "%s",
				    tok);
			val[0] = '\0';
			for (int i = 0, first = 1; i < n; i++) {
				int k = rev ? n - 1 - i : i;

				if (keep > 0 && i < n - keep)
					continue;
				if (strlen(val) + strlen(parts[k]) + 2 >
				    sizeof(val))
					return -1;
				if (!first)
					strcat(val, ".");
				strcat(val, parts[k]);
				first = 0;
			}
		}
		if (o + strlen(v) >= size)
			return -1;
		memcpy(out + o, v, strlen(v));
		o += strlen(v);
	}
	out[o] = '\0';
	return 0;
}

static enum spf_result check_host(struct check *c, const char *domain,
    int depth, const char *trail);

/* 1 match, 0 no match, -1 temperror, -2 permerror */
static int
mechanism_matches(struct check *c, const char *domain, const struct term *t,
    int depth, const char *trail)
{
	char target[TERM_MAX];
	const struct dns_answer *a;

	if (strcmp(t->name, "all") == 0)
		return 1;
	if (strcmp(t->name, "ip4") == 0 || strcmp(t->name, "ip6") == 0) {
		unsigned char net[16];
		int fam = t->name[2] == '4' ? AF_INET : AF_INET6;

		if (inet_pton(fam, t->arg, net) != 1)
			return -2;
		return in_cidr(c, fam, net,
		    fam == AF_INET ? t->cidr4 : t->cidr6);
	}
	if (++c->lookups > SPF_LOOKUP_LIMIT)
		return -2;
	if (strcmp(t->name, "ptr") == 0)
		return 0;	/* not followed: deprecated, rarely decisive */
	if (expand(c, t->arg[0] != '\0' ? t->arg : domain, domain, target,
	    sizeof(target)) == -1)
		return -2;
	if (strcmp(t->name, "include") == 0) {
		char sub[1024];
		enum spf_result r;
		bool had_why;

		snprintf(sub, sizeof(sub), "%s%sinclude:%s", trail,
		    *trail != '\0' ? " in " : "", target);
		had_why = c->why != NULL && c->why[0] != '\0';
		r = check_host(c, target, depth + 1, sub);
		/* what decided inside a failing include decided nothing */
		if (r != SPF_PASS && r != SPF_PERMERROR &&
		    r != SPF_TEMPERROR && !had_why && c->why != NULL)
			c->why[0] = '\0';
		if (r == SPF_PASS)
			return 1;
		if (r == SPF_TEMPERROR)
			return -1;
		if (r == SPF_PERMERROR || r == SPF_NONE)
			return -2;
		return 0;
	}
	if (strcmp(t->name, "exists") == 0) {
		a = resolver_ask(c->r, target, ns_t_a);
		if (a->rc == DNS_FAIL)
			return -1;
		if (is_void(a) && ++c->voids > SPF_VOID_LIMIT)
			return -2;
		return a->rc == DNS_ANSWER;
	}
	if (strcmp(t->name, "a") == 0) {
		a = resolver_ask(c->r, target,
		    c->family == AF_INET ? ns_t_a : ns_t_aaaa);
		if (a->rc == DNS_FAIL)
			return -1;
		if (is_void(a) && ++c->voids > SPF_VOID_LIMIT)
			return -2;
		for (size_t i = 0; i < a->n; i++)
			if (addr_matches(c, a->v[i], t))
				return 1;
		return 0;
	}
	/* mx */
	a = resolver_ask(c->r, target, ns_t_mx);
	if (a->rc == DNS_FAIL)
		return -1;
	if (is_void(a) && ++c->voids > SPF_VOID_LIMIT)
		return -2;
	if (a->n > SPF_LOOKUP_LIMIT)
		return -2;
	for (size_t i = 0; i < a->n; i++) {
		const struct dns_answer *x = resolver_ask(c->r, a->v[i],
		    c->family == AF_INET ? ns_t_a : ns_t_aaaa);

		for (size_t k = 0; x->rc == DNS_ANSWER && k < x->n; k++)
			if (addr_matches(c, x->v[k], t))
				return 1;
	}
	return 0;
}

static void say(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The first reason given is the one kept. */
static void
say(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why == NULL || c->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, c->why_size, fmt, ap);
	va_end(ap);
}

static enum spf_result
check_host(struct check *c, const char *domain, int depth, const char *trail)
{
	const struct dns_answer *a;
	const char *record;
	char buf[4096], redirect[TERM_MAX] = "", *save = NULL;
	int count;

	if (depth > WALK_DEPTH_MAX)
		return SPF_PERMERROR;
	record = spf_record(c->r, domain, &count, &a);
	if (a->rc == DNS_FAIL) {
		say(c, "dns failed for %s", domain);
		return SPF_TEMPERROR;
	}
	if (count > 1) {
		say(c, "%s publishes several SPF records", domain);
		return SPF_PERMERROR;
	}
	if (record == NULL)
		return SPF_NONE;
	if (strlen(record) >= sizeof(buf))
		return SPF_PERMERROR;
	FOR_EACH_TERM(record, buf, tok, save) {
		struct term t;
		int m;

		if (term_parse(tok, &t) == -1) {
			say(c, "bad term '%s' in the record of %s", tok,
			    domain);
			return SPF_PERMERROR;
		}
		if (t.is_modifier) {
			if (strcmp(t.name, "redirect") == 0)
				snprintf(redirect, sizeof(redirect), "%s",
				    t.arg);
			continue;
		}
		m = mechanism_matches(c, domain, &t, depth, trail);
		if (m == -1)
			return SPF_TEMPERROR;
		if (m == -2) {
			if (c->lookups > SPF_LOOKUP_LIMIT)
				say(c, "more than 10 DNS lookups");
			else
				say(c, "a permanent error at %s", tok);
			return SPF_PERMERROR;
		}
		if (m == 1) {
			if (strcmp(t.name, "include") != 0) {
				char where[1024];

				snprintf(where, sizeof(where), "%s%s",
				    *trail != '\0' ? " in " : "", trail);
				say(c, "%s%s", tok, where);
			}
			switch (t.qualifier) {
			case '-': return SPF_FAIL;
			case '~': return SPF_SOFTFAIL;
			case '?': return SPF_NEUTRAL;
			default: return SPF_PASS;
			}
		}
	}
	if (redirect[0] != '\0') {
		char target[TERM_MAX];
		enum spf_result r;

		if (++c->lookups > SPF_LOOKUP_LIMIT ||
		    expand(c, redirect, domain, target, sizeof(target)) == -1)
			return SPF_PERMERROR;
		r = check_host(c, target, depth + 1, trail);
		return r == SPF_NONE ? SPF_PERMERROR : r;
	}
	return SPF_NEUTRAL;
}

enum spf_result
spf_check(struct resolver *r, const char *domain, const char *ip, char *why,
    size_t why_size)
{
	struct check c = { .r = r, .ip = ip, .why = why,
		.why_size = why_size };
	enum spf_result res;

	if (why != NULL && why_size > 0)
		why[0] = '\0';
	if (inet_pton(AF_INET, ip, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, c.addr) == 1)
		c.family = AF_INET6;
	else {
		if (why != NULL)
			snprintf(why, why_size, "not an IP address");
		return SPF_PERMERROR;
	}
	res = check_host(&c, domain, 0, "");
	if (why != NULL && why[0] == '\0' && res == SPF_NEUTRAL)
		snprintf(why, why_size, "no term matches");
	return res;
}
