/*
 * The poison inputs of tests/poison.h: one or more per class of input that
 * once stopped a run or stored wrong data, valid reports in between.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "tests/poison.h"
#include "tests/test_util.h"

#define MAX_ITEMS 64

struct gen {
	struct poison *items;
	size_t n;
	long day;		/* a recent midnight, so default windows see it */
};

static char *
vfmt(const char *f, va_list ap)
{
	va_list again;
	int n;
	char *s;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, f, ap);
	cr_assert_geq(n, 0);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, f, again);
	va_end(again);
	return s;
}

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return s;
}

/* n copies of s */
static char *
rep(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *out = xmalloc(len * n + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

static struct poison *
add(struct gen *g, const char *tag, const char *what, enum poison_want want,
    const char *id, char *data, size_t len)
{
	struct poison *p;

	cr_assert_lt(g->n, MAX_ITEMS);
	p = &g->items[g->n++];
	snprintf(p->tag, sizeof(p->tag), "%s", tag);
	p->what = what;
	p->want = want;
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->data = data;
	p->len = len;
	p->type = data[0] == '{' ? "application/tlsrpt+json" :
	    "text/xml";
	p->name = fmt("%02zu-%s.%s", g->n, tag, data[0] == '{' ? "json" :
	    "xml");
	return p;
}

/* --- DMARC aggregate reports --- */

/* one <record>: source, count element(s), DKIM domain */
static char *
record(const char *source, const char *counts, const char *dkim)
{
	return fmt("<record><row><source_ip>%s</source_ip>%s"
	    "<policy_evaluated><disposition>none</disposition><dkim>pass"
	    "</dkim><spf>pass</spf></policy_evaluated></row><identifiers>"
	    "<header_from>example.org</header_from></identifiers>"
	    "<auth_results><dkim><domain>%s</domain><selector>s1</selector>"
	    "<result>pass</result></dkim><spf><domain>example.org</domain>"
	    "<result>pass</result></spf></auth_results></record>", source,
	    counts, dkim);
}

static char *
dmarc_doc(const char *prolog, const char *org, const char *email,
    const char *id, long begin, long end, const char *domain,
    const char *records)
{
	return fmt("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n%s<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>%s</email>"
	    "<report_id>%s</report_id><date_range><begin>%ld</begin><end>%ld"
	    "</end></date_range></report_metadata><policy_published><domain>"
	    "%s</domain><adkim>r</adkim><aspf>r</aspf><p>none</p><sp>none"
	    "</sp><pct>100</pct></policy_published>%s</feedback>\n", prolog,
	    org, email, id, begin, end, domain, records);
}

/* a DMARC report of one record from source with counts */
static void
dmarc(struct gen *g, const char *tag, const char *what,
    enum poison_want want, const char *id, const char *domain,
    const char *source, const char *counts)
{
	char *rec = record(source, counts, "example.org");
	char *doc = dmarc_doc("", "reporter.example", "dmarc@reporter.example",
	    id, g->day, g->day + 86399, domain, rec);

	add(g, tag, what, want, id, doc, strlen(doc));
	free(rec);
}

/* a valid report of two records (reordered and re-cased later) */
static char *
two_records(const struct gen *g, const char *org, const char *id, int swap)
{
	char *a = record("192.0.2.10", "<count>3</count>", "example.org");
	char *b = record("198.51.100.7", "<count>5</count>", "example.org");
	char *recs = swap ? fmt("%s%s", b, a) : fmt("%s%s", a, b);
	char *doc = dmarc_doc("", org, "dmarc@reporter.example", id, g->day,
	    g->day + 86399, "example.org", recs);

	free(a);
	free(b);
	free(recs);
	return doc;
}

static void
valid(struct gen *g, int i)
{
	char tag[8], id[32];
	char *doc;

	snprintf(tag, sizeof(tag), "ok%02d", i);
	snprintf(id, sizeof(id), "ok-%02d", i);
	doc = two_records(g, "Reporter.Example", id, 0);
	add(g, tag, "a valid report", POISON_STORED, id, doc, strlen(doc));
}

/* --- TLS-RPT reports --- */

static char *
tls_doc(const char *org, const char *id, const char *start,
    const char *end, const char *policies)
{
	return fmt("{\"organization-name\":\"%s\",\"date-range\":"
	    "{\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tls@reporter.example\",\"report-id\":\"%s\""
	    "%s%s}\n", org, start, end, id, policies[0] != '\0' ? "," : "",
	    policies);
}

static char *
tls_policy(const char *type, const char *domain, const char *mx,
    const char *ok, const char *failed, const char *details)
{
	return fmt("{\"policy\":{\"policy-type\":\"%s\"%s%s%s,"
	    "\"mx-host\":[\"%s\"]},\"summary\":{\"total-successful-session-"
	    "count\":%s,\"total-failure-session-count\":%s}%s%s%s}", type,
	    domain != NULL ? ",\"policy-domain\":\"" : "",
	    domain != NULL ? domain : "", domain != NULL ? "\"" : "", mx, ok,
	    failed, details[0] != '\0' ? ",\"failure-details\":[" : "",
	    details, details[0] != '\0' ? "]" : "");
}

static void
tls(struct gen *g, const char *tag, const char *what, enum poison_want want,
    const char *org, const char *id, const char *start, const char *end,
    const char *policies)
{
	char *doc = tls_doc(org, id, start, end, policies);

	add(g, tag, what, want, id, doc, strlen(doc));
}

/* one policy for example.org, as a "policies" member */
static char *
tls_one(const char *type, const char *mx, const char *ok, const char *failed,
    const char *details)
{
	char *p = tls_policy(type, "example.org", mx, ok, failed, details);
	char *s = fmt("\"policies\":[%s]", p);

	free(p);
	return s;
}

static void
tls_simple(struct gen *g, const char *tag, const char *what,
    enum poison_want want, const char *id, const char *start,
    const char *end, const char *type, const char *mx, const char *ok,
    const char *failed, const char *details, const char *org)
{
	char *pol = tls_one(type, mx, ok, failed, details);

	tls(g, tag, what, want, org, id, start, end, pol);
	free(pol);
}

size_t
poison_make(struct poison **out)
{
	struct gen g = { xcalloc(MAX_ITEMS, sizeof(struct poison)), 0,
		(long)(time(NULL) / 86400 - 3) * 86400 };
	char start[32], end[32], *s, *t, *u;
	struct tm tm;
	time_t day = (time_t)g.day;

	gmtime_r(&day, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT00:00:00Z", &tm);
	strftime(end, sizeof(end), "%Y-%m-%dT23:59:59Z", &tm);

	valid(&g, 0);
	/* text cut inside a UTF-8 character: the notes that quote a value */
	u = rep("\xc3\xa9", 40);
	s = fmt("1%s", u);
	free(u);
	t = record(s, "<count>1</count>", "example.org");
	u = dmarc_doc("", "reporter.example", "d@reporter.example", "p01",
	    g.day, g.day + 86399, "example.org", t);
	add(&g, "p01", "a note cut inside a UTF-8 character", POISON_STORED,
	    "p01", u, strlen(u));
	free(s);
	free(t);
	u = rep("\xc3\xa9", 40);
	s = fmt("{\"result-type\":\"x%s\",\"failed-session-count\":1}",
	    u);
	free(u);
	tls_simple(&g, "p02", "a TLS note cut inside a UTF-8 character",
	    POISON_STORED, "p02", start, end, "sts", "mx.example.org", "5",
	    "1", s, "reporter.example");
	free(s);
	s = rep("\xc3\xa9", 30);
	t = fmt("<x%s>1</x%s>", s, s);
	u = record("192.0.2.3", "<count>1</count>", "example.org");
	free(s);
	s = fmt("%s%s", t, u);
	free(t);
	free(u);
	t = dmarc_doc("", "reporter.example", "d@reporter.example", "p03",
	    g.day, g.day + 86399, "example.org", s);
	add(&g, "p03", "an unknown element with a long multibyte name",
	    POISON_STORED, "p03", t, strlen(t));
	free(s);
	valid(&g, 1);
	/* 8-bit names: a zip entry cut inside a character, Latin-1 names */
	{
		char *doc = dmarc_doc("", "reporter.example",
		    "d@reporter.example", "p04", g.day, g.day + 86399,
		    "example.org", s = record("192.0.2.4", "<count>1</count>",
		    "example.org"));
		char *e200 = rep("\xc3\xa9", 200);
		char *name = fmt("%s.xml", e200);
		const char *names[] = { name }, *datas[] = { doc };
		size_t lens[] = { strlen(doc) }, zlen;
		char *zip = test_zip(names, datas, lens, 1, &zlen);
		struct poison *p = add(&g, "p04", "a zip entry name of 400 "
		    "bytes in 2-byte characters", POISON_STORED, "p04", zip,
		    zlen);

		p->type = "application/zip";
		free(p->name);
		p->name = fmt("%02zu-p04.zip", g.n);
		free(s);
		free(doc);
		free(name);
		free(e200);
	}
	{
		struct poison *p;

		dmarc(&g, "p05", "a Latin-1 file name (and MIME filename=)",
		    POISON_STORED, "p05", "example.org", "192.0.2.5",
		    "<count>1</count>");
		p = &g.items[g.n - 1];
		free(p->name);
		p->name = fmt("%02zu-p05-rapport-\xe9t\xe9-\xc0.xml", g.n);
	}
	/* control characters and NUL in names */
	tls_simple(&g, "p06", "ESC sequences in org_name", POISON_STORED,
	    "p06", start, end, "sts", "mx.example.org", "5", "0", "",
	    "evil\\u001b[31m\\u001b]0;pwned\\u0007corp\\u009b2J");
	tls_simple(&g, "p07", "a NUL in org_name", POISON_ERROR, "p07",
	    start, end, "sts", "mx.example.org", "5", "0", "",
	    "evil\\u0000corp");
	/* IDNA */
	dmarc(&g, "p08", "a Unicode upper-case domain", POISON_STORED, "p08",
	    "B\xc3\x9c" "CHER.example", "192.0.2.8", "<count>1</count>");
	valid(&g, 2);
	/* numbers past their columns */
	tls_simple(&g, "p09", "a TLS session count of 2^63-1", POISON_ERROR,
	    "p09", start, end, "sts", "mx.example.org",
	    "9223372036854775807", "0", "", "reporter.example");
	tls_simple(&g, "p10", "a TLS session count past 2^63", POISON_ERROR,
	    "p10", start, end, "sts", "mx.example.org",
	    "9223372036854775808", "0", "", "reporter.example");
	tls_simple(&g, "p11", "a TLS failure count of 2^62", POISON_ERROR,
	    "p11", start, end, "sts", "mx.example.org", "1",
	    "4611686018427387904", "", "reporter.example");
	tls_simple(&g, "p12", "a second TLS count of 2^62, same day",
	    POISON_ERROR, "p12", start, end, "sts", "mx.example.org",
	    "4611686018427387904", "0", "", "reporter.example");
	dmarc(&g, "p13", "a DMARC count of 3e9 (past 2^31)", POISON_STORED,
	    "p13", "example.org", "192.0.2.13", "<count>3000000000</count>");
	dmarc(&g, "p14", "a DMARC count of 2^63", POISON_ERROR, "p14",
	    "example.org", "192.0.2.14", "<count>9223372036854775808</count>");
	dmarc(&g, "p15", "a negative DMARC count", POISON_ERROR, "p15",
	    "example.org", "192.0.2.15", "<count>-5</count>");
	/* dates */
	tls_simple(&g, "p16", "a TLS date in year 10000", POISON_ERROR,
	    "p16", "10000-01-01T00:00:00Z", "10000-01-01T23:59:59Z", "sts",
	    "mx.example.org", "5", "0", "", "reporter.example");
	tls_simple(&g, "p17", "a TLS date in year 0", POISON_ERROR, "p17",
	    "0000-01-01T00:00:00Z", "0000-01-01T23:59:59Z", "sts",
	    "mx.example.org", "5", "0", "", "reporter.example");
	tls_simple(&g, "p18", "February 31", POISON_ERROR, "p18",
	    "2024-02-31T00:00:00Z", "2024-02-31T23:59:59Z", "sts",
	    "mx.example.org", "5", "0", "", "reporter.example");
	s = fmt("%.10sT23:59:60Z", end);
	tls_simple(&g, "p19", "a leap second", POISON_STORED, "p19", start, s,
	    "sts", "mx.example.org", "5", "0", "", "reporter.example");
	free(s);
	valid(&g, 3);
	s = dmarc_doc("", "reporter.example", "d@reporter.example", "p20",
	    -86400L, -1L, "example.org", t = record("192.0.2.20",
	    "<count>1</count>", "example.org"));
	add(&g, "p20", "a DMARC begin before 1970", POISON_ERROR, "p20", s,
	    strlen(s));
	free(t);
	s = dmarc_doc("", "reporter.example", "d@reporter.example", "p21",
	    1000000000000000L, 1000000000086399L, "example.org",
	    t = record("192.0.2.21", "<count>1</count>", "example.org"));
	add(&g, "p21", "a DMARC begin past year 9999", POISON_ERROR, "p21", s,
	    strlen(s));
	free(t);
	dmarc(&g, "p22", "a repeated <count> with another value",
	    POISON_ERROR, "p22", "example.org", "192.0.2.22",
	    "<count>1</count><count>7</count>");
	dmarc(&g, "p23", "a repeated <count> with the same value",
	    POISON_STORED, "p23", "example.org", "192.0.2.23",
	    "<count>4</count><count>4</count>");
	/* TLS-RPT policies without a domain */
	s = tls_policy("sts", NULL, "mx.example.org", "3", "0", "");
	t = tls_policy("sts", "example.org", "mx.example.org", "4", "0", "");
	u = fmt("\"policies\":[%s,%s]", s, t);
	tls(&g, "p24", "a policy without policy-domain", POISON_STORED,
	    "reporter.example", "p24", start, end, u);
	free(s);
	free(u);
	s = tls_policy("sts", "", "mx.example.org", "3", "0", "");
	u = fmt("\"policies\":[%s,%s]", s, t);
	tls(&g, "p25", "a policy with an empty policy-domain", POISON_STORED,
	    "reporter.example", "p25", start, end, u);
	free(s);
	free(t);
	free(u);
	s = tls_policy("sts", NULL, "mx.example.org", "3", "0", "");
	u = fmt("\"policies\":[%s,%s]", s, s);
	tls(&g, "p26", "no policy has a domain", POISON_ERROR,
	    "reporter.example", "p26", start, end, u);
	free(s);
	free(u);
	tls(&g, "p27", "an empty policies array", POISON_ERROR,
	    "reporter.example", "p27", start, end, "\"policies\":[]");
	tls(&g, "p28", "no policies at all", POISON_ERROR, "reporter.example",
	    "p28", start, end, "");
	t = tls_policy("sts", "example.org", "mx.example.org", "4", "0", "");
	u = fmt("\"policies\":[\"not a policy\",%s]", t);
	tls(&g, "p29", "a malformed first policy", POISON_ERROR,
	    "reporter.example", "p29", start, end, u);
	free(t);
	free(u);
	valid(&g, 4);
	/* keys past the btree row limit (3 KB of random-ish text) */
	{
		char *big = xmalloc(3001);

		/* random letters: compression cannot bring them under
		 * the index row limit */
		for (uint64_t i = 0, x = 88172645463325252ULL; i < 3000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			big[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[x % 36];
		}
		big[3000] = '\0';
		s = fmt("p30-%s", big);
		dmarc(&g, "p30", "a 3 KB report_id", POISON_STORED, s,
		    "example.org", "192.0.2.30", "<count>1</count>");
		free(s);
		t = record("192.0.2.31", "<count>1</count>", "example.org");
		s = dmarc_doc("", big, "d@reporter.example", "p31", g.day,
		    g.day + 86399, "example.org", t);
		add(&g, "p31", "a 3 KB org_name", POISON_STORED, "p31", s,
		    strlen(s));
		free(t);
		t = record(big, "<count>1</count>", "example.org");
		s = dmarc_doc("", "reporter.example", "d@reporter.example",
		    "p32", g.day, g.day + 86399, "example.org", t);
		add(&g, "p32", "a 3 KB source_ip text", POISON_STORED, "p32",
		    s, strlen(s));
		free(t);
		u = fmt("%s.example.org", big);
		t = record("192.0.2.33", "<count>1</count>", u);
		s = dmarc_doc("", "reporter.example", "d@reporter.example",
		    "p33", g.day, g.day + 86399, "example.org", t);
		add(&g, "p33", "a 3 KB DKIM domain", POISON_STORED, "p33", s,
		    strlen(s));
		free(t);
		tls_simple(&g, "p34", "a 3 KB MX name", POISON_STORED, "p34",
		    start, end, "sts", u, "5", "0", "", "reporter.example");
		free(u);
		tls_simple(&g, "p35", "a 3 KB policy type", POISON_STORED,
		    "p35", start, end, big, "mx.example.org", "5", "0", "",
		    "reporter.example");
		s = fmt("p36-%s", big);
		tls_simple(&g, "p36", "a 3 KB TLS report-id", POISON_STORED, s,
		    start, end, "sts", "mx.example.org", "5", "0", "",
		    "reporter.example");
		free(s);
		free(big);
	}
	/* the same report again: records reordered, org_name re-cased */
	s = two_records(&g, "Reporter.Example", "ok-01", 1);
	add(&g, "p37", "ok01 with its records in another order",
	    POISON_DUPLICATE, "ok-01", s, strlen(s));
	s = two_records(&g, "REPORTER.example", "ok-02", 0);
	add(&g, "p38", "ok02 with org_name in another case",
	    POISON_DUPLICATE, "ok-02", s, strlen(s));
	/* known broken shapes of real reporters, repaired */
	t = record("192.0.2.39", "<count>1</count>", "example.org");
	s = dmarc_doc("<xs:schema xmlns:xs=\"http://www.w3.org/2001/"
	    "XMLSchema\" elementFormDefault=\"qualified\">\n",
	    "reporter.example", "d@reporter.example", "p39", g.day,
	    g.day + 86399, "example.org", t);
	add(&g, "p39", "a report inside a never-closed <xs:schema>",
	    POISON_STORED, "p39", s, strlen(s));
	s = dmarc_doc("", "reporter.example", "Reporter <dmarc@reporter.exam"
	    "ple>", "p40", g.day, g.day + 86399, "example.org", t);
	add(&g, "p40", "an unescaped <addr@host> in <email>", POISON_STORED,
	    "p40", s, strlen(s));
	free(t);
	/* broken beyond repair */
	s = two_records(&g, "reporter.example", "p41", 0);
	add(&g, "p41", "a report cut short", POISON_ERROR, "p41", s,
	    strlen(s) * 2 / 3);
	{
		size_t zlen;
		char *doc = two_records(&g, "reporter.example", "p42", 0);
		char *gz = test_gzip(doc, strlen(doc), &zlen);
		struct poison *p;

		gz[zlen / 2] ^= 0x55;
		gz[zlen / 2 + 1] ^= 0x55;
		p = add(&g, "p42", "a broken gzip stream", POISON_ERROR, "p42",
		    gz, zlen);
		p->type = "application/gzip";
		free(p->name);
		p->name = fmt("%02zu-p42.xml.gz", g.n);
		free(doc);
	}
	s = xstrdup("Not a report at all.\n");
	add(&g, "p43", "a text that is no report", POISON_ERROR, "p43", s,
	    strlen(s));
	/* odd but readable: stored, with a note where something was off */
	dmarc(&g, "p44", "an IPv6 source with a zone id", POISON_STORED,
	    "p44", "example.org", "fe80::1%eth0", "<count>1</count>");
	t = record("192.0.2.45", "<count>1</count>", "example.org");
	s = dmarc_doc("", "reporter.example", "d@reporter.example", "p45",
	    g.day + 86399, g.day, "example.org", t);
	add(&g, "p45", "a date range that ends before it begins",
	    POISON_STORED, "p45", s, strlen(s));
	s = dmarc_doc("", "caf\xe9 reporter", "d@reporter.example", "p46",
	    g.day, g.day + 86399, "example.org", t);
	u = fmt("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>%s",
	    strchr(s, '\n'));
	free(s);
	add(&g, "p46", "a Latin-1 document", POISON_STORED, "p46", u,
	    strlen(u));
	s = dmarc_doc("", "caf\xe9 \xff\xfe reporter", "d@reporter.example",
	    "p47", g.day, g.day + 86399, "example.org", t);
	add(&g, "p47", "bytes that are not UTF-8 in a UTF-8 document",
	    POISON_STORED, "p47", s, strlen(s));
	s = dmarc_doc("", "r&#1;x", "d@reporter.example", "p48", g.day,
	    g.day + 86399, "example.org", t);
	add(&g, "p48", "a character reference to a control character",
	    POISON_ERROR, "p48", s, strlen(s));
	free(t);
	tls_simple(&g, "p49", "a TLS failure detail count of 2^62",
	    POISON_ERROR, "p49", start, end, "sts", "mx.example.org", "1", "1",
	    "{\"result-type\":\"certificate-expired\",\"failed-session-"
	    "count\":4611686018427387904}", "reporter.example");
	valid(&g, 5);
	*out = g.items;
	return g.n;
}

void
poison_free(struct poison *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].data);
	}
	free(p);
}

char *
poison_mail(const struct poison *p, size_t *len)
{
	return test_email(p->data, p->len, p->type, p->name, len);
}

size_t
poison_errors(const struct poison *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i].want == POISON_ERROR;
	return k;
}

void
poison_check(const char *conninfo, const struct poison *p, size_t n)
{
	static const char *const want_name[] = { "stored", "an error",
		"a duplicate" };

	for (size_t i = 0; i < n; i++) {
		char sql[256];
		long long got;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM reports WHERE "
		    "report_id LIKE '%s%%'", p[i].id);
		got = test_db_count(conninfo, sql);
		cr_expect_eq(got, p[i].want == POISON_ERROR ? 0 : 1,
		    "%s (%s) should be %s: %lld stored", p[i].tag, p[i].what,
		    want_name[p[i].want], got);
	}
	cr_expect_eq(test_db_count(conninfo, "SELECT count(*) FROM reports "
	    "WHERE report_id = 'p08' AND domain = 'xn--bcher-kva.example'"), 1,
	    "the Unicode domain is stored as its lowercase A-label");
	cr_expect_eq(test_db_count(conninfo, "SELECT messages FROM reports "
	    "WHERE report_id = 'p13'"), 3000000000LL);
	cr_expect_eq(test_db_count(conninfo, "SELECT count(*) FROM "
	    "ingest_errors"), (long long)poison_errors(p, n),
	    "one error per input that failed");
	cr_expect_eq(test_db_count(conninfo, "SELECT count(*) FROM "
	    "ingest_errors WHERE raw_id IS NULL"), 0,
	    "every failed input keeps its original");
}
