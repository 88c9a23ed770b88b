#include "parsers/arf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/sha256.h"
#include "common/str.h"
#include "model/normalize.h"

enum {
	FIELD_NAME_MAX = 76,	/* longest field name taken */
	IP_TEXT_MAX = 64,
};

/* the fields of a feedback report (or a notice) that are kept */
enum slot {
	F_TYPE, F_AUTH, F_ALIGN, F_IP, F_ARRIVAL, F_DOMAIN, F_MAIL_FROM,
	F_RCPT_TO, F_DKIM_DOMAIN, F_DKIM_ID, F_DKIM_SEL, F_SPF_DNS,
	F_DELIVERY, F_MSGID, F_MTA, F_N
};

static const struct {
	const char *name;
	enum slot slot;
} known[] = {
	{ "feedback-type", F_TYPE },
	{ "auth-failure", F_AUTH },
	{ "identity-alignment", F_ALIGN },
	{ "source-ip", F_IP },
	{ "arrival-date", F_ARRIVAL },
	{ "received-date", F_ARRIVAL },	/* RFC 5965's older name */
	{ "reported-domain", F_DOMAIN },
	{ "original-mail-from", F_MAIL_FROM },
	{ "original-rcpt-to", F_RCPT_TO },
	{ "dkim-domain", F_DKIM_DOMAIN },
	{ "dkim-identity", F_DKIM_ID },
	{ "dkim-selector", F_DKIM_SEL },
	{ "spf-dns", F_SPF_DNS },
	{ "delivery-result", F_DELIVERY },
	{ "message-id", F_MSGID },	/* some reporters copy it here */
	{ "reporting-mta", F_MTA },
};

/* One failure report being read. */
struct arf {
	const struct report_env *env;
	struct arena a;
	struct buf val;			/* the field being read */
	char *f[F_N];			/* kept fields, trimmed */
	const char *mail_from_addr;	/* the report mail's From */
	int64_t mail_date;
	const char *orig_from;		/* the original's From and Message-ID */
	const char *orig_msgid;
	struct report r;
	struct failure_sample s;
	char ip[IP_TEXT_MAX];
	char msgid_hex[65];
	char id_hex[65];
};

/* Reads the fields of one header block, unfolding them. */
struct fields {
	const char *p, *end;
	unsigned n;
	bool is_strict;		/* a line that is no field is an error */
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The line at p: its length without CR LF, and where the next starts. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

	*next = nl != NULL ? nl + 1 : end;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* The length of "name" before ':' in a field line, or 0. */
static size_t
field_name_len(const char *p, size_t n)
{
	for (size_t i = 0; i < n && i <= FIELD_NAME_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			return i;
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 0;
}

/*
 * The next field of the block: name (lower case) and its unfolded value
 * in a->val.  Returns 1, 0 at the block's end (an empty line or the end
 * of the text), -1 with *err.
 */
static int
field_next(struct arf *a, struct fields *it, char *name, struct err *err)
{
	const struct report_limits *lim = a->env->lim;
	const char *next;
	size_t n, k;

	for (;;) {
		if (it->p >= it->end)
			return 0;
		n = line_at(it->p, it->end, &next);
		if (n == 0) {
			it->p = it->end;
			return 0;
		}
		k = field_name_len(it->p, n);
		if (k > 0 && !is_wsp(it->p[0]))
			break;
		if (it->is_strict && !is_wsp(it->p[0]))
			return err_set(err, ERR_PARSE, "a line of the feedback "
			    "report is no header field");
		it->p = next;
	}
	if (++it->n > lim->max_results)
		return err_set(err, ERR_LIMIT, "more than %u header fields",
		    lim->max_results);
	memcpy(name, it->p, k);
	name[k] = '\0';
	str_lower(name);
	buf_reset(&a->val);
	if (buf_add(&a->val, it->p + k + 1, n - k - 1, err) == -1)
		goto too_long;
	/* folded lines go on with white space; CR LF is dropped */
	while ((it->p = next) < it->end && is_wsp(*it->p)) {
		n = line_at(it->p, it->end, &next);
		if (buf_add(&a->val, it->p, n, err) == -1)
			goto too_long;
	}
	if (buf_addc(&a->val, '\0', err) == -1)
		goto too_long;
	return 1;
too_long:
	return err_set(err, ERR_LIMIT, "header field %s is longer than %zu "
	    "bytes", name, lim->max_text);
}

/* the value just read, trimmed, as an arena string of valid UTF-8 (a
 * stray 8-bit byte read as Latin-1): every field may reach the database */
static char *
field_value(struct arf *a)
{
	char *u = str_to_utf8(str_trim(a->val.data));
	char *v = arena_strdup(&a->a, u);

	free(u);
	return v;
}

static char *
lower_dup(struct arf *a, const char *s)
{
	return s != NULL ? str_lower(arena_strdup(&a->a, s)) : NULL;
}

/* tok is one of the comma-separated words of list */
static bool
list_has(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; *p != '\0'; p += strcspn(p, ","),
	    p += *p == ',') {
		if (strncmp(p, tok, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * A list of keywords in one order whatever the reporter's: the known ones
 * first, as model/report.h lists them, then others as sent.
 */
static char *
list_canon(struct arf *a, const char *list, struct err *err)
{
	static const char *const order[] = { "none", "dkim", "spf", "dmarc",
		"bodyhash", "signature", "revoked" };
	struct buf b;
	char *out = NULL;
	const char *p;

	buf_init(&b, a->env->lim->max_text);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (list_has(list, order[i]) && buf_addf(&b, err, "%s%s",
		    b.len ? "," : "", order[i]) == -1)
			goto out;
	for (p = list; *p != '\0'; p += *p == ',') {
		size_t n = strcspn(p, ",");
		bool is_known = false;

		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			is_known |= strlen(order[i]) == n &&
			    strncmp(p, order[i], n) == 0;
		if (!is_known && buf_addf(&b, err, "%s%.*s", b.len ? "," : "",
		    (int)n, p) == -1)
			goto out;
		p += n;
	}
	out = arena_strdup(&a->a, buf_str(&b));
out:
	buf_release(&b);
	return out;
}

/*
 * A list of keywords ("dkim, SPF" or several fields) as "dkim,spf":
 * trimmed, lower case, each once.  prev is what earlier fields gave.
 */
static char *
list_add(struct arf *a, const char *prev, const char *s, struct err *err)
{
	struct buf b;
	char *out = NULL;
	const char *p = s;

	buf_init(&b, a->env->lim->max_text);
	if (prev != NULL && buf_adds(&b, prev, err) == -1)
		goto out;
	while (*p != '\0') {
		size_t n = strcspn(p, ", \t");
		char tok[64];

		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			str_lower(tok);
			if (!list_has(buf_str(&b), tok) &&
			    buf_addf(&b, err, "%s%s", b.len ? "," : "",
			    tok) == -1)
				goto out;
		} else if (n > 0) {
			err_set(err, ERR_PARSE, "keyword '%.*s...' is too "
			    "long", STR_CUT(p, 40));
			goto out;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	out = arena_strdup(&a->a, buf_str(&b));
out:
	buf_release(&b);
	return out;
}

/*
 * The addr-spec of an address field ("Name <a@b.example>", "a@b.example
 * (Name)", "<>"): between the last angle brackets, else the first word
 * holding '@'.  NULL when there is none.
 */
static char *
addr_spec(struct arf *a, const char *s)
{
	const char *lt = strrchr(s, '<'), *p = s, *e;

	if (lt != NULL) {
		p = lt + 1;
		e = strchr(p, '>');
		if (e == NULL)
			e = p + strlen(p);
	} else {
		for (;;) {
			p += strspn(p, " \t,;)");
			if (*p == '(') {	/* a comment */
				p += strcspn(p, ")");
				continue;
			}
			e = p + strcspn(p, " \t,;()");
			if (e == p)
				return NULL;
			if (memchr(p, '@', (size_t)(e - p)) != NULL)
				break;
			p = e;
		}
	}
	while (p < e && is_wsp(*p))
		p++;
	while (e > p && is_wsp(e[-1]))
		e--;
	if (e == p || memchr(p, '@', (size_t)(e - p)) == NULL)
		return NULL;
	return arena_strndup(&a->a, p, (size_t)(e - p));
}

/* Only a host name's characters: anything else is not kept as a domain. */
static bool
is_domain(const char *d)
{
	if (*d == '\0' || *d == '.' || *d == '-')
		return false;
	for (; *d != '\0'; d++)
		if (!(*d >= 'a' && *d <= 'z') && !(*d >= '0' && *d <= '9') &&
		    *d != '-' && *d != '.' && *d != '_')
			return false;
	return true;
}

/* A DKIM selector (RFC 6376 3.1): dot-separated labels of a host name's
 * characters, as long as a domain name at most. */
static bool
is_selector(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || *s == '.' || s[n - 1] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '-' && *s != '.' &&
		    *s != '_')
			return false;
	return true;
}

/* The domain of an address (or of "@domain"), lower case; NULL if none:
 * the local part never leaves this function. */
static char *
addr_domain(struct arf *a, const char *s)
{
	char *spec = s != NULL ? addr_spec(a, s) : NULL;
	char *at, *d;

	if (spec == NULL && s != NULL && s[0] == '@')
		spec = arena_strdup(&a->a, s);
	if (spec == NULL || (at = strrchr(spec, '@')) == NULL)
		return NULL;
	d = str_lower(at + 1);
	if (d[0] != '\0' && d[strlen(d) - 1] == '.')
		d[strlen(d) - 1] = '\0';
	return is_domain(d) ? d : NULL;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
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

/* an RFC 5322 zone: +hhmm, or an obsolete name; seconds east of UTC */
static bool
date_zone(const char *z, long *out)
{
	static const struct {
		const char *name;
		long hours;
	} names[] = { { "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 } };
	unsigned hh, mm;
	int n = 0;

	if (*z == '\0' || *z == '(') {
		*out = 0;	/* no zone: taken as UTC */
		return true;
	}
	if ((*z == '+' || *z == '-') &&
	    sscanf(z + 1, "%2u%2u%n", &hh, &mm, &n) == 2 && n == 4 &&
	    hh < 24 && mm < 60) {
		*out = (*z == '-' ? -1 : 1) * (long)(hh * 3600 + mm * 60);
		return true;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncasecmp(z, names[i].name, strlen(names[i].name)) ==
		    0 && !((z[strlen(names[i].name)] | 0x20) >= 'a' &&
		    (z[strlen(names[i].name)] | 0x20) <= 'z')) {
			*out = names[i].hours * 3600;
			return true;
		}
	return false;
}

/* An RFC 5322 date-time ("Tue, 30 Apr 2019 02:09:00 +0000") in Unix
 * seconds; -1 when it is none. */
static int64_t
date_parse(const char *s)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	unsigned d, y, hh, mm, ss = 0;
	char mon[4];
	const char *p = s, *m;
	long zone;
	int n = 0;

	if (s == NULL)
		return -1;
	while (is_wsp(*p))
		p++;
	/* a day name comes first, with its comma */
	if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z' &&
	    (p = strchr(p, ',')) == NULL)
		return -1;
	if (*p == ',')
		p++;
	if (sscanf(p, " %2u %3s %4u %2u:%2u%n", &d, mon, &y, &hh, &mm,
	    &n) != 5)
		return -1;
	p += n;
	if (*p == ':' && sscanf(p, ":%2u%n", &ss, &n) == 1)
		p += n;
	str_lower(mon);
	m = strstr(months, mon);
	if (strlen(mon) != 3 || m == NULL || (m - months) % 3 != 0)
		return -1;
	if (y < 100)
		y += y < 50 ? 2000 : 1900;
	while (is_wsp(*p))
		p++;
	if (d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 ||
	    ss > 60 || !date_zone(p, &zone))
		return -1;
	return days_from_civil(y, (unsigned)(m - months) / 3 + 1, d) *
	    86400 + hh * 3600 + mm * 60 + ss - zone;
}

/* Keep the known fields of a feedback report or a notice's block. */
static int
read_fields(struct arf *a, struct fields *it, struct err *err)
{
	char name[FIELD_NAME_MAX + 2];
	int r;

	while ((r = field_next(a, it, name, err)) == 1) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			enum slot k = known[i].slot;

			/* an empty field is no field: a later one counts */
			if (strcmp(name, known[i].name) != 0 ||
			    *str_trim(a->val.data) == '\0')
				continue;
			if (k == F_AUTH) {
				a->f[k] = list_add(a, a->f[k],
				    field_value(a), err);
				if (a->f[k] == NULL)
					return -1;
			} else if (a->f[k] == NULL) {
				a->f[k] = field_value(a);
			}
		}
	}
	return r;
}

/* From and Date (or From and Message-ID) of a header block. */
static int
read_header(struct arf *a, const char *p, size_t n, const char **from,
    const char **other, const char *other_name, struct err *err)
{
	struct fields it = { p, p + n, 0, false };
	char name[FIELD_NAME_MAX + 2];
	int r;

	while ((r = field_next(a, &it, name, err)) == 1) {
		if (strcmp(name, "from") == 0 && *from == NULL)
			*from = field_value(a);
		else if (strcmp(name, other_name) == 0 && *other == NULL)
			*other = field_value(a);
	}
	return r;
}

/* Where a header block ends (its empty line) and the body starts. */
static size_t
header_end(const char *p, size_t n, const char **body)
{
	const char *q = p, *end = p + n, *next;

	*body = NULL;
	while (q < end) {
		if (line_at(q, end, &next) == 0) {
			*body = next;
			return (size_t)(q - p);
		}
		q = next;
	}
	return n;
}

static int
read_original(struct arf *a, const struct arf_input *in, struct err *err)
{
	const char *body;

	if (in->original == NULL)
		return 0;
	a->s.headers = in->original;
	a->s.headers_len = header_end(in->original, in->original_len, &body);
	if (body != NULL && !in->is_headers_only) {
		a->s.body = body;
		a->s.body_len = in->original_len - (size_t)(body -
		    in->original);
	}
	if (read_header(a, a->s.headers, a->s.headers_len, &a->orig_from,
	    &a->orig_msgid, "message-id", err) == -1)
		return err_wrap(err, "the original message");
	return 0;
}

static int
read_mail_header(struct arf *a, const char *p, size_t n, struct err *err)
{
	const char *body, *date = NULL, *from = NULL;

	if (p == NULL)
		return 0;
	n = header_end(p, n, &body);
	if (read_header(a, p, n, &from, &date, "date", err) == -1)
		return err_wrap(err, "the report mail");
	a->mail_from_addr = from != NULL ? addr_spec(a, from) : NULL;
	a->mail_date = date_parse(date);
	return 0;
}

static void
arf_init(struct arf *a, const struct report_env *env)
{
	memset(a, 0, sizeof(*a));
	a->env = env;
	arena_init(&a->a);
	buf_init(&a->val, env->lim->max_text);
	a->mail_date = -1;
	a->r.kind = REPORT_FAILURE;
	a->r.input = env->input;
	a->r.location = env->location;
	a->r.policy.pct = -1;
	a->s.feedback_type = "auth-failure";
	a->s.arrival = -1;
}

static void
arf_release(struct arf *a)
{
	buf_release(&a->val);
	arena_release(&a->a);
}

static void
hex_digest(const char *s, size_t n, char out[65])
{
	struct sha256 c;
	unsigned char d[32];

	sha256_init(&c);
	sha256_add(&c, s, n);
	sha256_done(&c, d);
	sha256_hex(d, out);
}

/* The sample's own fields, from the kept fields and the original. */
static int
fill_sample(struct arf *a, struct err *err)
{
	struct failure_sample *s = &a->s;
	const char *msgid = a->orig_msgid != NULL ? a->orig_msgid :
	    a->f[F_MSGID];

	if (a->f[F_AUTH] == NULL || a->f[F_AUTH][0] == '\0')
		return err_set(err, ERR_PARSE, "the failure report has no "
		    "Auth-Failure field");
	if ((s->auth_failure = list_canon(a, a->f[F_AUTH], err)) == NULL)
		return -1;
	if (a->f[F_ALIGN] != NULL &&
	    ((s->identity_alignment = list_add(a, NULL, a->f[F_ALIGN],
	    err)) == NULL || (s->identity_alignment = list_canon(a,
	    s->identity_alignment, err)) == NULL))
		return -1;
	if (a->f[F_IP] != NULL && norm_ip(a->f[F_IP], a->ip,
	    sizeof(a->ip)) != 0)
		s->source_ip = a->ip;
	else if (a->f[F_IP] != NULL)
		report_note(&a->r, &a->a, "source ip '%.*s' is not an "
		    "address", STR_CUT(a->f[F_IP], 60));
	if (a->f[F_ARRIVAL] != NULL &&
	    (s->arrival = date_parse(a->f[F_ARRIVAL])) == -1)
		report_note(&a->r, &a->a, "arrival date '%.*s' is not an "
		    "RFC 5322 date", STR_CUT(a->f[F_ARRIVAL], 60));
	s->reported_domain = lower_dup(a, a->f[F_DOMAIN]);
	if (s->reported_domain != NULL && !is_domain(s->reported_domain))
		return err_set(err, ERR_PARSE, "reported domain '%.*s' is no "
		    "domain name", STR_CUT(a->f[F_DOMAIN], 60));
	s->header_from = addr_domain(a, a->orig_from);
	s->mail_from = addr_domain(a, a->f[F_MAIL_FROM]);
	s->rcpt_to = addr_domain(a, a->f[F_RCPT_TO]);
	s->dkim_domain = lower_dup(a, a->f[F_DKIM_DOMAIN]);
	if (s->dkim_domain != NULL && !is_domain(s->dkim_domain))
		s->dkim_domain = NULL;
	s->dkim_identity = addr_domain(a, a->f[F_DKIM_ID]);
	s->dkim_selector = a->f[F_DKIM_SEL];
	if (s->dkim_selector != NULL && !is_selector(s->dkim_selector)) {
		report_note(&a->r, &a->a, "DKIM selector '%.*s' is not a "
		    "selector", STR_CUT(s->dkim_selector, 60));
		s->dkim_selector = NULL;
	}
	s->spf_dns = a->f[F_SPF_DNS];
	s->delivery_result = lower_dup(a, a->f[F_DELIVERY]);
	if (msgid != NULL && *msgid != '\0') {
		hex_digest(msgid, strlen(msgid), a->msgid_hex);
		s->message_id = a->msgid_hex;
	}
	return 0;
}

/* Reporting-MTA: "dns; mx.example.com" */
static char *
mta_name(struct arf *a)
{
	const char *m = a->f[F_MTA], *semi;
	char *d;

	if (m == NULL)
		return NULL;
	semi = strchr(m, ';');
	d = str_lower(arena_strdup(&a->a, semi != NULL ? semi + 1 : m));
	d = str_trim(d);
	return is_domain(d) ? d : NULL;
}

/* The report around the sample: who, which domain, when, its id. */
static int
fill_report(struct arf *a, struct err *err)
{
	struct report *r = &a->r;
	struct buf id;

	r->email = a->mail_from_addr;
	r->org_name = addr_domain(a, a->mail_from_addr);
	if (r->org_name == NULL)
		r->org_name = mta_name(a);
	if (r->org_name == NULL)
		return err_set(err, ERR_PARSE, "the failure report names no "
		    "reporter (no From address, no Reporting-MTA)");
	r->domain = a->s.reported_domain != NULL ? a->s.reported_domain :
	    a->s.header_from;
	if (r->domain == NULL)
		return err_set(err, ERR_PARSE, "the failure report names no "
		    "domain (no Reported-Domain, no From in the original)");
	r->begin = r->end = a->s.arrival != -1 ? a->s.arrival : a->mail_date;
	if (r->begin == -1)
		return err_set(err, ERR_PARSE, "the failure report has no "
		    "date (no Arrival-Date, no Date of the report mail)");
	/* what the sample is, not how it travelled */
	buf_init(&id, 1u << 20);
	if (buf_addf(&id, err, "%s%c%s%c%lld%c%s%c%s", r->org_name, 0,
	    a->s.message_id ? a->s.message_id : "", 0, (long long)r->begin, 0,
	    a->s.source_ip ? a->s.source_ip : "", 0, a->s.auth_failure) == -1) {
		buf_release(&id);
		return -1;
	}
	hex_digest(id.data, id.len, a->id_hex);
	buf_release(&id);
	r->report_id = a->id_hex;
	return 0;
}

static int
deliver(struct arf *a, struct err *err)
{
	const struct report_sink *k = a->env->sink;

	if (k->on_header != NULL && k->on_header(k->ctx, &a->r, err) == -1)
		return -1;
	a->r.records = 1;
	a->r.messages = 1;
	if (k->on_failure_sample(k->ctx, &a->r, &a->s, err) == -1 ||
	    (k->on_end != NULL && k->on_end(k->ctx, &a->r, err) == -1)) {
		if (k->on_abort != NULL)
			k->on_abort(k->ctx, &a->r);
		return -1;
	}
	return 1;
}

static int
not_taken(struct err *err)
{
	return err_set(err, ERR_PARSE, "a DMARC failure (forensic) report, "
	    "not an aggregate report: not stored yet");
}

static int
check_type(const struct arf *a, struct err *err)
{
	if (a->f[F_TYPE] == NULL)
		return err_set(err, ERR_PARSE, "the feedback report has no "
		    "Feedback-Type field");
	if (strcasecmp(a->f[F_TYPE], "auth-failure") != 0)
		return err_set(err, ERR_PARSE, "a feedback report of type "
		    "'%.*s', not a DMARC failure report", STR_CUT(a->f[F_TYPE],
		    40));
	return 0;
}

int
arf_parse(const struct arf_input *in, const struct report_env *env,
    struct err *err)
{
	struct arf a;
	struct fields it;
	int ret = -1;

	if (env->sink->on_failure_sample == NULL)
		return not_taken(err);
	arf_init(&a, env);
	if (in->fields == NULL) {
		err_set(err, ERR_PARSE, "a feedback report without its "
		    "message/feedback-report part");
		goto out;
	}
	it.p = in->fields;
	it.end = in->fields + in->fields_len;
	it.n = 0;
	it.is_strict = true;
	while (it.p < it.end && (*it.p == '\r' || *it.p == '\n'))
		it.p++;
	if (read_fields(&a, &it, err) == -1 || check_type(&a, err) == -1 ||
	    read_original(&a, in, err) == -1 ||
	    read_mail_header(&a, in->header, in->header_len, err) == -1)
		goto out;
	a.s.format = "arf";
	if (fill_sample(&a, err) == -1 || fill_report(&a, err) == -1)
		goto out;
	ret = deliver(&a, err);
out:
	arf_release(&a);
	return ret;
}

/* The start of the block a notice's fields are in, or NULL. */
static const char *
text_block(const char *p, size_t n)
{
	static const char *const need[] = { "auth-failure:", "source-ip:",
		"reported-domain:" };
	const char *q = p, *end = p + n, *next, *start = p;
	unsigned seen = 0;

	while (q < end) {
		size_t len = line_at(q, end, &next);

		if (len == 0) {
			seen = 0;
			start = next;
		}
		for (unsigned i = 0; i < 3; i++)
			if (len >= strlen(need[i]) &&
			    strncasecmp(q, need[i], strlen(need[i])) == 0)
				seen |= 1u << i;
		if (seen == 7)
			return start;
		q = next;
	}
	return NULL;
}

bool
arf_text_sniff(const char *p, size_t n)
{
	return text_block(p, n) != NULL;
}

int
arf_parse_text(const char *p, size_t n, const char *header,
    size_t header_len, const struct report_env *env, struct err *err)
{
	struct arf a;
	struct fields it = { NULL, p + n, 0, false };
	int ret = -1;

	if (env->sink->on_failure_sample == NULL)
		return not_taken(err);
	arf_init(&a, env);
	if ((it.p = text_block(p, n)) == NULL) {
		err_set(err, ERR_PARSE, "no failure notice in the text");
		goto out;
	}
	if (read_fields(&a, &it, err) == -1 ||
	    (a.f[F_TYPE] != NULL && check_type(&a, err) == -1) ||
	    read_mail_header(&a, header, header_len, err) == -1)
		goto out;
	a.s.format = "text";
	if (fill_sample(&a, err) == -1)
		goto out;
	/* a notice is taken only when it reads without doubt */
	if (a.s.source_ip == NULL || a.s.reported_domain == NULL) {
		err_set(err, ERR_PARSE, "a failure notice in plain text that "
		    "does not read reliably (Source-IP '%.*s')",
		    STR_CUT(a.f[F_IP] ? a.f[F_IP] : "", 60));
		goto out;
	}
	if (fill_report(&a, err) == -1)
		goto out;
	ret = deliver(&a, err);
out:
	arf_release(&a);
	return ret;
}
