/*
 * Failure reports (RFC 6591 auth-failure, RFC 9991) and gateways'
 * plain-text notices: each field, one digest whatever wraps a sample,
 * privacy (domains only, the Message-ID as a digest), hostile input, and
 * `dmarcctl parse` on the fixtures of tests/fixtures/failure.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "parsers/report.h"
#include "tests/test_util.h"

#define FAIL(name) FIXTURE("failure/" name)

/* what one failure report delivered, copied */
enum {
	S_AUTH, S_ALIGN, S_IP, S_DOMAIN, S_HFROM, S_MFROM, S_RCPT, S_DDOM,
	S_DID, S_DSEL, S_SPF, S_DELIV, S_MSGID, S_FORMAT, S_N
};

struct got {
	unsigned headers, samples, ends, aborts, failed;
	struct buf failures;
	char org[256], email[256], report_id[80], domain[256], kind[16];
	char notes[512];
	int64_t begin, end, arrival;
	uint64_t records, messages;
	char *s[S_N];
	bool has_headers, has_body;
	size_t headers_len, body_len;
};

static void
copy(char *out, size_t n, const char *s)
{
	snprintf(out, n, "%s", s != NULL ? s : "(null)");
}

static int
g_header(void *ctx, const struct report *r, struct err *err)
{
	struct got *g = ctx;

	(void)err;
	g->headers++;
	copy(g->kind, sizeof(g->kind), report_kind_name(r->kind));
	return 0;
}

static int
g_sample(void *ctx, const struct report *r, const struct failure_sample *f,
    struct err *err)
{
	struct got *g = ctx;
	const char *v[S_N] = { f->auth_failure, f->identity_alignment,
		f->source_ip, f->reported_domain, f->header_from, f->mail_from,
		f->rcpt_to, f->dkim_domain, f->dkim_identity, f->dkim_selector,
		f->spf_dns, f->delivery_result, f->message_id, f->format };

	(void)r;
	(void)err;
	g->samples++;
	cr_expect_str_eq(f->feedback_type, "auth-failure");
	for (int i = 0; i < S_N; i++) {
		free(g->s[i]);
		g->s[i] = v[i] != NULL ? xstrdup(v[i]) : NULL;
	}
	g->arrival = f->arrival;
	g->has_headers = f->headers != NULL;
	g->has_body = f->body != NULL;
	g->headers_len = f->headers_len;
	g->body_len = f->body_len;
	return 0;
}

static int
g_end(void *ctx, const struct report *r, struct err *err)
{
	struct got *g = ctx;

	(void)err;
	g->ends++;
	copy(g->org, sizeof(g->org), r->org_name);
	copy(g->email, sizeof(g->email), r->email);
	copy(g->report_id, sizeof(g->report_id), r->report_id);
	copy(g->domain, sizeof(g->domain), r->domain);
	g->begin = r->begin;
	g->end = r->end;
	g->records = r->records;
	g->messages = r->messages;
	g->notes[0] = '\0';
	for (size_t i = 0; i < r->n_notes; i++)
		snprintf(g->notes + strlen(g->notes),
		    sizeof(g->notes) - strlen(g->notes), "%s;", r->notes[i]);
	return 0;
}

static void
g_abort(void *ctx, const struct report *r)
{
	struct got *g = ctx;

	(void)r;
	g->aborts++;
}

static void
g_failure(void *ctx, const struct err *why)
{
	struct got *g = ctx;
	struct err e;

	g->failed++;
	buf_addf(&g->failures, &e, "%s\n", why->msg);
}

static void
got_release(struct got *g)
{
	for (int i = 0; i < S_N; i++)
		free(g->s[i]);
	buf_release(&g->failures);
}

static void
parse_mem_lim(struct got *g, const char *data, size_t len,
    const struct report_limits *lim_in, bool want_samples)
{
	struct report_sink sink = { g, g_header, NULL, NULL, g_end, g_abort,
		g_failure, NULL, want_samples ? g_sample : NULL };
	struct report_limits lim;
	struct report_stats st;
	struct stream *s = NULL;
	struct err err;

	memset(g, 0, sizeof(*g));
	g->begin = g->arrival = -2;
	buf_init(&g->failures, 1u << 20);
	if (lim_in != NULL)
		lim = *lim_in;
	else
		report_limits_default(&lim);
	stream_new_mem(&s, data, len, "memory");
	cr_assert_eq(report_parse(s, "memory", &lim, &sink, &st, &err), 0,
	    "%s", err.msg);
	stream_free(s);
}

static void
parse_str(struct got *g, const char *data)
{
	parse_mem_lim(g, data, strlen(data), NULL, true);
}

static void
parse_fixture(struct got *g, const char *path)
{
	size_t len;
	char *data = test_slurp(path, &len);

	parse_mem_lim(g, data, len, NULL, true);
	free(data);
}

static void
expect_one(const struct got *g)
{
	cr_expect_eq(g->failed, 0, "%s", buf_str(&g->failures));
	cr_expect_eq(g->headers, 1);
	cr_expect_eq(g->samples, 1);
	cr_expect_eq(g->ends, 1);
	cr_expect_eq(g->aborts, 0);
	cr_expect_str_eq(g->kind, "failure");
	cr_expect_eq(g->records, 1);
	cr_expect_eq(g->messages, 1);
	cr_expect_eq(g->begin, g->end);
}

static void
expect_s(const struct got *g, int i, const char *want)
{
	if (want == NULL)
		cr_expect_null(g->s[i], "field %d: %s", i, g->s[i]);
	else
		cr_expect(g->s[i] != NULL && strcmp(g->s[i], want) == 0,
		    "field %d: '%s', want '%s'", i,
		    g->s[i] ? g->s[i] : "(null)", want);
}

static bool
is_hex64(const char *s)
{
	if (s == NULL || strlen(s) != 64)
		return false;
	return strspn(s, "0123456789abcdef") == 64;
}

/* An ARF report around fields and an original (NULL: none). */
static char *
arf_mail(const char *top, const char *fields, const char *orig_type,
    const char *orig)
{
	struct buf b;
	struct err e;
	char *out;

	buf_init(&b, 64u << 20);
	buf_addf(&b, &e, "%sMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=\"rb\"\n\n--rb\nContent-Type: text/plain\n\n"
	    "A failure report.\n\n--rb\n"
	    "Content-Type: message/feedback-report\n\n", top);
	buf_adds(&b, fields, &e);
	if (orig != NULL)
		buf_addf(&b, &e, "\n--rb\nContent-Type: %s\n\n", orig_type);
	if (orig != NULL)
		buf_adds(&b, orig, &e);
	buf_adds(&b, "\n--rb--\n", &e);
	out = xstrdup(buf_str(&b));
	buf_release(&b);
	return out;
}

#define TOP "From: ruf@reporter.example\nDate: Mon, 2 Jun 2025 10:00:00 " \
	"+0000\nSubject: failure report\n"
#define FIELDS "Feedback-Type: auth-failure\nAuth-Failure: dmarc\n" \
	"Source-IP: 192.0.2.5\nReported-Domain: sender.example\n" \
	"Arrival-Date: Mon, 2 Jun 2025 09:59:00 +0000\n"
#define ORIG "From: Someone <someone@sender.example>\n" \
	"Message-ID: <abc@sender.example>\nSubject: hello\n\nbody text\n"

Test(arf, linkedin_sample_every_field)
{
	struct got g;

	parse_fixture(&g, FAIL("linkedin_2019-04_arf-in-mbox.eml"));
	expect_one(&g);
	cr_expect_str_eq(g.org, "linkedin.com");
	cr_expect_str_eq(g.email, "dmarc-noreply@linkedin.com");
	cr_expect_str_eq(g.domain, "example.com");
	cr_expect_eq(g.begin, 1556590140);	/* 2019-04-30T02:09:00Z */
	cr_expect_eq(g.arrival, 1556590140);
	expect_s(&g, S_AUTH, "dmarc");
	expect_s(&g, S_ALIGN, NULL);
	expect_s(&g, S_IP, "10.10.10.10");
	expect_s(&g, S_DOMAIN, "example.com");
	expect_s(&g, S_HFROM, "example.com");
	expect_s(&g, S_MFROM, NULL);		/* empty Original-Mail-From */
	expect_s(&g, S_RCPT, "linkedin.com");
	expect_s(&g, S_DELIV, "delivered");
	expect_s(&g, S_FORMAT, "arf");
	cr_expect(is_hex64(g.s[S_MSGID]), "%s", g.s[S_MSGID]);
	cr_expect(is_hex64(g.report_id), "%s", g.report_id);
	cr_expect(g.has_headers && g.has_body);
	cr_expect_gt(g.headers_len, 1000);
	cr_expect_gt(g.body_len, 100);
	got_release(&g);
}

Test(arf, dkim_failure_with_headers_only)
{
	struct got g;

	parse_fixture(&g, FAIL("rfc6591_dkim-failure-rfc822-headers.eml"));
	expect_one(&g);
	cr_expect_str_eq(g.org, "example.com");
	cr_expect_str_eq(g.domain, "example.net");
	/* Received-Date, EDT */
	cr_expect_eq(g.arrival, 1110304800);
	expect_s(&g, S_AUTH, "bodyhash");
	expect_s(&g, S_DDOM, "example.net");
	expect_s(&g, S_DID, "example.net");
	expect_s(&g, S_DSEL, "news");
	expect_s(&g, S_MFROM, "example.net");
	expect_s(&g, S_RCPT, "example.com");
	expect_s(&g, S_HFROM, "example.net");
	cr_expect(g.has_headers);
	cr_expect_not(g.has_body, "text/rfc822-headers has no body");
	got_release(&g);
}

Test(arf, spf_failure_with_the_whole_original)
{
	struct got g;

	parse_fixture(&g, FAIL("rfc6591_spf-failure-rfc822.eml"));
	expect_one(&g);
	expect_s(&g, S_AUTH, "spf");
	expect_s(&g, S_SPF, "txt : example.net : \"v=spf1 "
	    "ip4:192.0.2.128/25 -all\"");
	expect_s(&g, S_DELIV, "reject");
	cr_expect(g.has_headers && g.has_body);
	cr_expect_eq(g.body_len, strlen("Shall we meet at noon?\n"), "%zu",
	    g.body_len);
	got_release(&g);
}

Test(arf, rfc9991_fields)
{
	struct got g;

	parse_fixture(&g, FAIL("rfc9991_dmarc-failure-alignment.eml"));
	expect_one(&g);
	cr_expect_str_eq(g.org, "mx.receiver.example");
	cr_expect_str_eq(g.domain, "sender.example");
	cr_expect_eq(g.arrival, 1779088498);	/* 2026-05-18T07:14:58Z */
	expect_s(&g, S_ALIGN, "none");
	expect_s(&g, S_IP, "2001:db8::25");
	expect_s(&g, S_MFROM, "mailer.vendor.example");
	expect_s(&g, S_RCPT, "receiver.example");
	expect_s(&g, S_DDOM, "vendor.example");
	expect_s(&g, S_DID, "vendor.example");
	expect_s(&g, S_DSEL, "s2026");
	expect_s(&g, S_DELIV, "reject");
	expect_s(&g, S_HFROM, "sender.example");
	got_release(&g);
}

Test(arf, folded_mixed_case_fields)
{
	struct got g;

	parse_fixture(&g, FAIL("hostile_folded-mixed-case-crlf.eml"));
	expect_one(&g);
	cr_expect_str_eq(g.org, "reporter.example");
	cr_expect_str_eq(g.domain, "shop.example");
	cr_expect_eq(g.arrival, 1754204341);	/* 2025-08-03T06:59:01Z */
	expect_s(&g, S_AUTH, "dkim,spf,signature");
	expect_s(&g, S_ALIGN, "dkim,spf");
	expect_s(&g, S_IP, NULL);
	cr_expect(strstr(g.notes, "198.51.100.07") != NULL, "%s", g.notes);
	expect_s(&g, S_MFROM, "bulk.shop.example");
	expect_s(&g, S_RCPT, "inbound.example");
	expect_s(&g, S_DID, "sub.shop.example");
	expect_s(&g, S_DDOM, "sub.shop.example");
	expect_s(&g, S_DSEL, "sel-2025");
	expect_s(&g, S_HFROM, "shop.example");
	got_release(&g);
}

Test(arf, gateway_plain_text_notice)
{
	struct got g;

	parse_fixture(&g, FAIL("gateway_plain-text-notice.eml"));
	expect_one(&g);
	cr_expect_str_eq(g.org, "gw.receiver.example");
	cr_expect_str_eq(g.domain, "sender.example");
	expect_s(&g, S_FORMAT, "text");
	expect_s(&g, S_IP, "192.0.2.77");
	expect_s(&g, S_MFROM, "sender.example");
	expect_s(&g, S_RCPT, "receiver.example");
	expect_s(&g, S_DELIV, "spam");
	cr_expect(is_hex64(g.s[S_MSGID]));
	cr_expect_not(g.has_headers);
	cr_expect_not(g.has_body);
	got_release(&g);
}

Test(arf, a_notice_that_does_not_read_reliably_is_an_error)
{
	struct got g;

	parse_str(&g, "From: gw@gw.example\nDate: Mon, 2 Jun 2025 10:00:00 "
	    "+0000\nSubject: notice\n\nAuth-Failure: dmarc\n"
	    "Source-IP: somewhere\nReported-Domain: sender.example\n");
	cr_expect_eq(g.ends, 0);
	cr_expect_eq(g.failed, 1);
	cr_expect(strstr(buf_str(&g.failures), "does not read reliably")
	    != NULL, "%s", buf_str(&g.failures));
	got_release(&g);
}

Test(arf, abuse_report_is_an_error)
{
	struct got g;

	parse_fixture(&g, FAIL("abuse_rfc5965-arf.eml"));
	cr_expect_eq(g.headers, 0);
	cr_expect_eq(g.failed, 1);
	cr_expect(strstr(buf_str(&g.failures), "type 'abuse', not a DMARC "
	    "failure report") != NULL, "%s", buf_str(&g.failures));
	got_release(&g);
}

Test(arf, a_sink_without_on_failure_sample_refuses_as_before)
{
	struct got g;
	size_t len;
	char *data = test_slurp(FAIL("linkedin_2019-04_arf-in-mbox.eml"),
	    &len);

	parse_mem_lim(&g, data, len, NULL, false);
	cr_expect_eq(g.headers, 0);
	cr_expect_eq(g.failed, 1);
	cr_expect(strstr(buf_str(&g.failures), "a DMARC failure (forensic) "
	    "report, not an aggregate report: not stored yet") != NULL, "%s",
	    buf_str(&g.failures));
	got_release(&g);
	free(data);
}

/* the report inside a forward: plain or base64 message/rfc822 */
static char *
forward(const char *inner, bool is_base64)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	size_t len = strlen(inner);
	struct buf b;
	struct err e;
	char *out;

	buf_init(&b, 64u << 20);
	buf_addf(&b, &e, "From: admin@forwarder.example\nDate: Tue, 3 Jun "
	    "2025 08:00:00 +0000\nSubject: Fwd: failure report\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=fw\n"
	    "\n--fw\nContent-Type: text/plain\n\nsee attached\n--fw\n"
	    "Content-Type: message/rfc822\n%s\n",
	    is_base64 ? "Content-Transfer-Encoding: base64\n" : "");
	if (!is_base64)
		buf_adds(&b, inner, &e);
	for (size_t i = 0; is_base64 && i < len; i += 3) {
		unsigned v = (unsigned char)inner[i] << 16;

		v |= i + 1 < len ? (unsigned char)inner[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned char)inner[i + 2] : 0;
		buf_addc(&b, b64[v >> 18 & 63], &e);
		buf_addc(&b, b64[v >> 12 & 63], &e);
		buf_addc(&b, i + 1 < len ? b64[v >> 6 & 63] : '=', &e);
		buf_addc(&b, i + 2 < len ? b64[v & 63] : '=', &e);
		if (i % 57 == 54)
			buf_addc(&b, '\n', &e);
	}
	buf_adds(&b, "\n--fw--\n", &e);
	out = xstrdup(buf_str(&b));
	buf_release(&b);
	return out;
}

Test(arf, one_digest_whatever_wraps_the_sample)
{
	const char *const files[] = { "rfc9991_dmarc-failure-alignment.eml",
		"rfc6591_dkim-failure-rfc822-headers.eml",
		"linkedin_2019-04_arf-in-mbox.eml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], *data, *inner, *fw, *fw64;
		struct got a, b, c;
		size_t len;

		snprintf(path, sizeof(path), "%s", FIXTURE("failure/"));
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "%s", files[i]);
		data = test_slurp(path, &len);
		/* an mbox From line does not belong inside a message */
		inner = strncmp(data, "From ", 5) == 0 ?
		    strchr(data, '\n') + 1 : data;
		fw = forward(inner, false);
		fw64 = forward(inner, true);
		parse_mem_lim(&a, data, len, NULL, true);
		parse_str(&b, fw);
		parse_str(&c, fw64);
		expect_one(&a);
		expect_one(&b);
		expect_one(&c);
		cr_expect_str_eq(a.report_id, b.report_id, "%s", files[i]);
		cr_expect_str_eq(a.report_id, c.report_id, "%s", files[i]);
		cr_expect_str_eq(b.org, a.org, "the reporter, not the "
		    "forwarder");
		cr_expect_str_eq(a.s[S_MSGID], b.s[S_MSGID]);
		cr_expect_str_eq(a.s[S_MSGID], c.s[S_MSGID]);
		got_release(&a);
		got_release(&b);
		got_release(&c);
		free(fw);
		free(fw64);
		free(data);
	}
}

Test(arf, a_different_sample_has_another_digest)
{
	char *m1 = arf_mail(TOP, FIELDS, "message/rfc822", ORIG);
	char *m2 = arf_mail(TOP, FIELDS "Auth-Failure: spf\n",
	    "message/rfc822", ORIG);
	struct got a, b;

	parse_str(&a, m1);
	parse_str(&b, m2);
	expect_one(&a);
	expect_one(&b);
	cr_expect_str_neq(a.report_id, b.report_id);
	cr_expect_str_eq(b.s[S_AUTH], "spf,dmarc");
	got_release(&a);
	got_release(&b);
	free(m1);
	free(m2);
}

Test(arf, addresses_are_reduced_to_their_domains)
{
	const char *const files[] = { "linkedin_2019-04_arf-in-mbox.eml",
		"rfc6591_dkim-failure-rfc822-headers.eml",
		"rfc6591_spf-failure-rfc822.eml",
		"rfc9991_dmarc-failure-alignment.eml",
		"hostile_folded-mixed-case-crlf.eml",
		"gateway_plain-text-notice.eml" };
	/* the local parts of the fixtures' addresses that are no label of
	 * their domains */
	const char *const locals[] = { "recipient", "newsletter", "bounces",
		"alice", "billing", "mallory", "victim", "ceo", "finance",
		"noreply" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		struct got g;

		snprintf(path, sizeof(path), "%s%s", FIXTURE("failure/"),
		    files[i]);
		parse_fixture(&g, path);
		expect_one(&g);
		cr_expect(is_hex64(g.s[S_MSGID]), "%s: message_id %s",
		    files[i], g.s[S_MSGID]);
		for (int k = 0; k < S_N; k++) {
			if (g.s[k] == NULL || k == S_SPF)
				continue;
			cr_expect_null(strchr(g.s[k], '@'), "%s: field %d: %s",
			    files[i], k, g.s[k]);
			for (size_t l = 0; l < sizeof(locals) /
			    sizeof(locals[0]); l++)
				cr_expect_null(strstr(g.s[k], locals[l]),
				    "%s: field %d: %s", files[i], k, g.s[k]);
		}
		got_release(&g);
	}
}

Test(arf, message_id_is_the_digest_of_the_original_one)
{
	char *m = arf_mail(TOP, FIELDS, "message/rfc822", ORIG);
	struct got g;

	parse_str(&g, m);
	expect_one(&g);
	/* sha256("<abc@sender.example>") */
	cr_expect_str_eq(g.s[S_MSGID], "910a8597022cabd8d058f42e6bef24cc"
	    "dba29465d700c28382da7c444e47dccc");
	got_release(&g);
	free(m);
}

/* Arrival-Date forms: RFC 5322 and what reporters write */
Test(arf, arrival_dates)
{
	static const struct {
		const char *date;
		int64_t want;	/* -1: a note, the report mail's Date */
	} cases[] = {
		{ "Mon, 2 Jun 2025 09:59:00 +0000", 1748858340 },
		{ "2 Jun 2025 09:59:00 +0000", 1748858340 },
		{ "Mon, 02 Jun 2025 11:59:00 +0200", 1748858340 },
		{ "Mon, 2 Jun 2025 05:59:00 EDT", 1748858340 },
		{ "Mon, 2 Jun 2025 09:59 GMT", 1748858340 },
		{ "Mon, 2 Jun 25 09:59:00 +0000 (UTC)", 1748858340 },
		{ "Mon, 2 Jun 2025 09:59:00", 1748858340 },
		{ "2025-06-02T09:59:00Z", -1 },
		{ "Mon, 32 Jun 2025 09:59:00 +0000", -1 },
		{ "Mon, 2 Foo 2025 09:59:00 +0000", -1 },
		{ "Mon, 2 Jun 2025 25:59:00 +0000", -1 },
		{ "Mon, 2 Jun 2025 09:59:00 +9999", -1 },
		{ "yesterday", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fields[256];
		char *m;
		struct got g;

		snprintf(fields, sizeof(fields), "Feedback-Type: auth-failure"
		    "\nAuth-Failure: dmarc\nReported-Domain: sender.example\n"
		    "Arrival-Date: %s\n", cases[i].date);
		m = arf_mail(TOP, fields, "message/rfc822", ORIG);
		parse_str(&g, m);
		expect_one(&g);
		cr_expect_eq(g.arrival, cases[i].want, "%s: %lld",
		    cases[i].date, (long long)g.arrival);
		if (cases[i].want == -1) {
			cr_expect_eq(g.begin, 1748858400, "%s", cases[i].date);
			cr_expect(strstr(g.notes, "arrival date") != NULL,
			    "%s", cases[i].date);
		}
		got_release(&g);
		free(m);
	}
}

Test(arf, a_bad_source_ip_is_a_note)
{
	const char *const ips[] = { "999.1.1.1", "192.0.2", "::g",
		"192.0.2.1/24" };

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		char fields[256];
		char *m;
		struct got g;

		snprintf(fields, sizeof(fields), "Feedback-Type: auth-failure"
		    "\nAuth-Failure: dmarc\nReported-Domain: sender.example\n"
		    "Source-IP: %s\n", ips[i]);
		m = arf_mail(TOP, fields, "message/rfc822", ORIG);
		parse_str(&g, m);
		expect_one(&g);
		expect_s(&g, S_IP, NULL);
		cr_expect(strstr(g.notes, "is not an address") != NULL,
		    "%s: %s", ips[i], g.notes);
		got_release(&g);
		free(m);
	}
}

Test(arf, an_empty_field_is_no_field)
{
	char *m = arf_mail(TOP, "Feedback-Type: auth-failure\nAuth-Failure: "
	    "dmarc\nReported-Domain:\nReported-Domain: sender.example\n"
	    "Source-IP: \nSource-IP: 192.0.2.7\nDKIM-Selector:\n",
	    "message/rfc822", ORIG);
	struct got g;

	parse_str(&g, m);
	expect_one(&g);
	expect_s(&g, S_IP, "192.0.2.7");
	expect_s(&g, S_DOMAIN, "sender.example");
	cr_expect_str_eq(g.notes, "");
	got_release(&g);
	free(m);
}

Test(arf, a_bad_selector_or_8bit_text_is_a_note_never_a_refusal)
{
	char *m = arf_mail(TOP, "Feedback-Type: auth-failure\nAuth-Failure: "
	    "dkim, \xd0x\nReported-Domain: sender.example\n"
	    "Source-IP: 192.0.2.7\nDKIM-Selector: sel\xff\nSPF-DNS: txt : sender.example : "
	    "v=spf1 \xe9\n", "message/rfc822", ORIG);
	struct got g;

	parse_str(&g, m);
	expect_one(&g);
	expect_s(&g, S_DSEL, NULL);
	cr_expect(strstr(g.notes, "DKIM selector 'sel\xc3\xbf' is not a "
	    "selector") != NULL, "%s", g.notes);
	expect_s(&g, S_SPF, "txt : sender.example : v=spf1 \xc3\xa9");
	/* an 8-bit keyword too: the database takes only UTF-8 */
	expect_s(&g, S_AUTH, "dkim,\xc3\x90x");
	got_release(&g);
	free(m);
}

static void
expect_error(const char *top, const char *fields, const char *orig,
    const char *why)
{
	char *m = arf_mail(top, fields, "message/rfc822", orig);
	struct got g;

	parse_str(&g, m);
	cr_expect_eq(g.ends, 0, "%s", why);
	cr_expect_eq(g.headers, g.aborts);
	cr_expect_eq(g.failed, 1, "%s", why);
	cr_expect(strstr(buf_str(&g.failures), why) != NULL, "want '%s': %s",
	    why, buf_str(&g.failures));
	got_release(&g);
	free(m);
}

Test(arf, missing_fields)
{
	expect_error(TOP, "Auth-Failure: dmarc\nReported-Domain: a.example\n",
	    ORIG, "no Feedback-Type field");
	expect_error(TOP, "Feedback-Type: auth-failure\n"
	    "Reported-Domain: a.example\n", ORIG, "no Auth-Failure field");
	expect_error(TOP, "Feedback-Type: auth-failure\nAuth-Failure: dkim\n",
	    "Subject: no from\n\nbody\n", "names no domain");
	expect_error("Subject: no from, no date\n", FIELDS, ORIG,
	    "names no reporter");
	expect_error("From: a@reporter.example\n", "Feedback-Type: "
	    "auth-failure\nAuth-Failure: dkim\nReported-Domain: a.example\n",
	    ORIG, "has no date");
	expect_error(TOP, "Feedback-Type: auth-failure\nAuth-Failure: dkim\n"
	    "Reported-Domain: not a domain\n", ORIG, "is no domain name");
	expect_error(TOP, "Feedback-Type: auth-failure\nthis is no field\n",
	    ORIG, "no header field");
	expect_error(TOP, "Feedback-Type: fraud\nAuth-Failure: dkim\n", ORIG,
	    "type 'fraud'");
}

Test(arf, a_huge_field_is_a_limit)
{
	struct report_limits lim;
	struct buf f;
	struct err e;
	struct got g;
	char *m;

	report_limits_default(&lim);
	buf_init(&f, 64u << 20);
	buf_adds(&f, FIELDS "DKIM-Canonicalized-Header: ", &e);
	for (size_t i = 0; i < 2 * lim.max_text / 64; i++)
		buf_adds(&f, "\n  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAA", &e);
	buf_adds(&f, "\n", &e);
	m = arf_mail(TOP, buf_str(&f), "message/rfc822", ORIG);
	parse_str(&g, m);
	cr_expect_eq(g.ends, 0);
	cr_expect_eq(g.failed, 1);
	cr_expect(strstr(buf_str(&g.failures), "dkim-canonicalized-header is "
	    "longer than") != NULL, "%s", buf_str(&g.failures));
	got_release(&g);
	free(m);
	buf_release(&f);
}

Test(arf, ten_thousand_fields_are_a_limit)
{
	struct buf f;
	struct err e;
	struct got g;
	char *m;

	buf_init(&f, 64u << 20);
	buf_adds(&f, FIELDS, &e);
	for (int i = 0; i < 10000; i++)
		buf_addf(&f, &e, "X-Field-%d: %d\n", i, i);
	m = arf_mail(TOP, buf_str(&f), "message/rfc822", ORIG);
	parse_str(&g, m);
	cr_expect_eq(g.ends, 0);
	cr_expect_eq(g.failed, 1);
	cr_expect(strstr(buf_str(&g.failures), "more than 1000 header "
	    "fields") != NULL, "%s", buf_str(&g.failures));
	got_release(&g);
	free(m);
	buf_release(&f);
}

Test(arf, ten_thousand_auth_failures_stay_one_short_list)
{
	struct buf f;
	struct err e;
	struct report_limits lim;
	struct got g;
	char *m;

	report_limits_default(&lim);
	lim.max_results = 20000;
	buf_init(&f, 64u << 20);
	buf_adds(&f, FIELDS, &e);
	for (int i = 0; i < 10000; i++)
		buf_adds(&f, i % 2 ? "auth-failure: DKIM\n" :
		    "Auth-Failure: spf, dmarc\n", &e);
	m = arf_mail(TOP, buf_str(&f), "message/rfc822", ORIG);
	parse_mem_lim(&g, m, strlen(m), &lim, true);
	expect_one(&g);
	expect_s(&g, S_AUTH, "dkim,spf,dmarc");
	got_release(&g);
	free(m);
	buf_release(&f);
}

Test(arf, no_feedback_part_or_no_original)
{
	static const char no_fields[] = TOP "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=rb\n\n--rb\nContent-Type: text/plain\n\nhi\n--rb--\n";
	char *m = arf_mail(TOP, FIELDS, NULL, NULL);
	struct got g;

	parse_str(&g, no_fields);
	cr_expect_eq(g.ends, 0);
	cr_expect(strstr(buf_str(&g.failures), "without its "
	    "message/feedback-report part") != NULL, "%s",
	    buf_str(&g.failures));
	got_release(&g);
	/* without an original: the sample still stands */
	parse_str(&g, m);
	expect_one(&g);
	cr_expect_not(g.has_headers);
	expect_s(&g, S_MSGID, NULL);
	got_release(&g);
	free(m);
}

/* `dmarcctl parse`: one report line and one record line per sample */
static int
run(const char *args, char **out, char **err)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cd %s && %s %s", FIXTURES, DMARCCTL_BIN,
	    args);
	return test_run(cmd, out, err);
}

Test(arf, cli_parse_prints_what_the_expect_files_say)
{
	const char *const cases[] = { "linkedin_2019-04_arf-in-mbox",
		"rfc6591_dkim-failure-rfc822-headers",
		"rfc6591_spf-failure-rfc822",
		"rfc9991_dmarc-failure-alignment",
		"hostile_folded-mixed-case-crlf",
		"gateway_plain-text-notice" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char args[512], path[512], *out, *err, *want;
		size_t len;

		snprintf(args, sizeof(args), "parse --records failure/%s.eml",
		    cases[i]);
		snprintf(path, sizeof(path), "%s/failure/%s.expect", FIXTURES,
		    cases[i]);
		want = test_slurp(path, &len);
		cr_expect_eq(run(args, &out, &err), 0, "%s: %s", cases[i],
		    err);
		cr_expect_str_eq(out, want, "%s", cases[i]);
		cr_expect_str_eq(err, "");
		free(want);
		free(out);
		free(err);
	}
}

Test(arf, cli_parse_report_line_and_record_line)
{
	char *out, *err;

	cr_expect_eq(run("parse failure/rfc6591_spf-failure-rfc822.eml", &out,
	    &err), 0, "%s", err);
	cr_expect(strncmp(out, "{\"file\":\"failure/rfc6591_spf-failure-"
	    "rfc822.eml\",\"kind\":\"failure\",\"org_name\":\"example.com\","
	    "\"report_id\":\"", 100) == 0, "%s", out);
	cr_expect(strstr(out, "\"domain\":\"example.net\",\"begin\":"
	    "\"2005-03-08T18:00:00Z\",\"end\":\"2005-03-08T18:00:00Z\","
	    "\"records\":1,\"messages\":1}\n") != NULL, "%s", out);
	cr_expect_null(strstr(out, "{\"record\""));
	free(out);
	free(err);

	cr_expect_eq(run("parse --records failure/rfc6591_spf-failure-"
	    "rfc822.eml", &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "\n{\"record\":{\"auth_failure\":\"spf\","
	    "\"identity_alignment\":null,\"source_ip\":\"192.0.2.1\","
	    "\"arrival\":\"2005-03-08T18:00:00Z\",\"reported_domain\":"
	    "\"example.net\",\"header_from\":\"example.net\",\"mail_from\":"
	    "\"example.net\",\"rcpt_to\":\"example.com\",\"dkim_domain\":"
	    "null,\"dkim_identity\":null,\"dkim_selector\":null,\"spf_dns\":"
	    "\"txt : example.net : \\\"v=spf1 ip4:192.0.2.128/25 -all\\\"\","
	    "\"delivery_result\":\"reject\",\"message_id\":\"") != NULL,
	    "%s", out);
	cr_expect(strstr(out, "\"format\":\"arf\",\"has_headers\":true,"
	    "\"has_body\":true}}\n") != NULL, "%s", out);
	/* never the original itself */
	cr_expect_null(strstr(out, "noon"));
	cr_expect_null(strstr(out, "Lunch"));
	cr_expect_null(strstr(out, "8787KJKJ"));
	cr_expect_null(strstr(out, "user@"));
	free(out);
	free(err);
}

Test(arf, cli_parse_refuses_an_abuse_report)
{
	char *out, *err;

	cr_expect_eq(run("parse failure/abuse_rfc5965-arf.eml "
	    "failure/rfc9991_dmarc-failure-alignment.eml", &out, &err), 65);
	cr_expect_str_eq(err, "dmarcctl: failure/abuse_rfc5965-arf.eml: a "
	    "feedback report of type 'abuse', not a DMARC failure report\n");
	cr_expect(strstr(out, "\"kind\":\"failure\"") != NULL, "%s", out);
	free(out);
	free(err);
}

/* address forms of Original-Mail-From: only the domain stays */
Test(arf, address_forms)
{
	static const struct {
		const char *from;
		const char *want;
	} cases[] = {
		{ "<bob@mail.example>", "mail.example" },
		{ "bob@Mail.Example", "mail.example" },
		{ "Bob <bob@mail.example>", "mail.example" },
		{ "\"a@b.example\" <bob@mail.example>", "mail.example" },
		{ "(comment) bob@mail.example", "mail.example" },
		{ "bob@mail.example (Bob)", "mail.example" },
		{ "\"bob smith\"@mail.example", "mail.example" },
		{ "<bob@mail.example.>", "mail.example" },
		{ "<>", NULL },
		{ "", NULL },
		{ "postmaster", NULL },
		{ "<bob@[192.0.2.1]>", NULL },
		{ "<bob@mail example>", NULL },
		{ "<bob@>", NULL },
		{ "@@@", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fields[512];
		char *m;
		struct got g;

		snprintf(fields, sizeof(fields), FIELDS
		    "Original-Mail-From: %s\n", cases[i].from);
		m = arf_mail(TOP, fields, "message/rfc822", ORIG);
		parse_str(&g, m);
		expect_one(&g);
		expect_s(&g, S_MFROM, cases[i].want);
		got_release(&g);
		free(m);
	}
}
