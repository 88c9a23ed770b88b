#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"
#include "common/stream.h"
#include "common/xalloc.h"
#include "parsers/mail.h"

#define EMAIL(name) (FIXTURES "/corpus/email/" name)

enum { MAX_MESSAGE = 1 << 20, REC_PARTS = 40, REC_MSGS = 8 };

struct rec_part {
	char type[64];
	char filename[160];	/* "" when NULL */
	bool has_filename;
	char location[256];
	char *data;		/* a copy */
	size_t len;
};

struct rec_end {
	unsigned index;
	bool is_mbox;
	bool is_forensic;
	unsigned n_parts;
	char types[256];
	char subject[256];
	bool has_subject;
};

struct rec_error {
	unsigned index;
	enum err_code code;
	struct err why;
};

/* What a walk delivered, for assertions. */
struct rec {
	struct rec_part parts[REC_PARTS];
	unsigned n_parts;
	struct rec_end ends[REC_MSGS];
	unsigned n_ends;
	struct rec_error errors[REC_MSGS];
	unsigned n_errors;
	unsigned stop_at_part;		/* on_part fails at this part number */
	unsigned stop_at_end;		/* on_message_end fails at this one */
};

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

static int
rec_part(void *ctx, const struct mail_part *part, struct err *err)
{
	struct rec *r = ctx;
	struct rec_part *p;

	cr_assert_lt(r->n_parts, REC_PARTS);
	p = &r->parts[r->n_parts++];
	copy_str(p->type, sizeof(p->type), part->content_type);
	copy_str(p->filename, sizeof(p->filename), part->filename);
	p->has_filename = part->filename != NULL;
	copy_str(p->location, sizeof(p->location), part->location);
	p->data = xmalloc(part->len + 1);
	memcpy(p->data, part->data, part->len);
	p->data[part->len] = '\0';
	p->len = part->len;
	if (r->n_parts == r->stop_at_part)
		return err_set(err, ERR_PARSE, "stopped at part %u",
		    r->n_parts);
	return 0;
}

static int
rec_end(void *ctx, const struct mail_info *info, struct err *err)
{
	struct rec *r = ctx;
	struct rec_end *e;

	cr_assert_lt(r->n_ends, REC_MSGS);
	e = &r->ends[r->n_ends++];
	e->index = info->index;
	e->is_mbox = info->is_mbox;
	e->is_forensic = info->is_forensic;
	e->n_parts = info->n_parts;
	copy_str(e->types, sizeof(e->types), info->types);
	copy_str(e->subject, sizeof(e->subject), info->subject);
	e->has_subject = info->subject != NULL;
	if (r->n_ends == r->stop_at_end)
		return err_set(err, ERR_PARSE, "stopped at message %u",
		    info->index);
	return 0;
}

static void
rec_error(void *ctx, const struct mail_info *info, const struct err *why)
{
	struct rec *r = ctx;
	struct rec_error *e;

	cr_assert_lt(r->n_errors, REC_MSGS);
	e = &r->errors[r->n_errors++];
	e->index = info->index;
	e->code = why->code;
	e->why = *why;
}

static void
rec_release(struct rec *r)
{
	unsigned i;

	for (i = 0; i < r->n_parts; i++)
		free(r->parts[i].data);
}

static int
walk_stream(struct rec *r, struct stream *in, size_t max, struct err *err)
{
	struct mail_walker w = { r, rec_part, rec_end, rec_error, NULL };

	return mail_walk(in, max, &w, err);
}

static int
walk_mem(struct rec *r, const char *s, size_t n, size_t max,
    struct err *err)
{
	struct stream *in = NULL;
	int ret;

	stream_new_mem(&in, s, n, "test message");
	ret = walk_stream(r, in, max, err);
	stream_free(in);
	return ret;
}

static int
walk_str(struct rec *r, const char *s, struct err *err)
{
	return walk_mem(r, s, strlen(s), MAX_MESSAGE, err);
}

static void
walk_file(struct rec *r, const char *path)
{
	struct stream *in = NULL;
	struct err err = { 0 };

	cr_assert_eq(stream_open_file(&in, path, &err), 0, "%s", err.msg);
	cr_assert_eq(walk_stream(r, in, MAX_MESSAGE, &err), 0, "%s: %s",
	    path, err.msg);
	stream_free(in);
}

/* The index of the first part of that type, or -1. */
static int
find_part(const struct rec *r, const char *type)
{
	unsigned i;

	for (i = 0; i < r->n_parts; i++)
		if (strcmp(r->parts[i].type, type) == 0)
			return (int)i;
	return -1;
}

static void
b64_encode(struct buf *out, const unsigned char *p, size_t n)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct err err;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 |
		    p[i + 2];

		cr_assert_eq(buf_addf(out, &err, "%c%c%c%c", abc[v >> 18],
		    abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]), 0);
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		buf_addf(out, &err, "%c%c==", abc[v >> 18],
		    abc[(v >> 12) & 63]);
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		buf_addf(out, &err, "%c%c%c=", abc[v >> 18],
		    abc[(v >> 12) & 63], abc[(v >> 6) & 63]);
	}
}

static void
fill_bytes(unsigned char *p, size_t n)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* s with every "\n" turned into "\r\n"; malloc'd. */
static char *
to_crlf(const char *s)
{
	struct buf b;
	struct err err;

	buf_init(&b, (size_t)-1);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_addc(&b, '\r', &err);
		buf_addc(&b, *s, &err);
	}
	return b.data;
}

Test(mail, sniff_table)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen */
		bool want;
	} cases[] = {
		{ "From reports@example.org Mon Jan  1 00:00:00 2024\n", 0,
		    true },
		{ "Return-Path: <noreply@google.com>\r\n", 0, true },
		{ "Received: from mail.example.org", 0, true },
		{ "X-Original-To: dmarc@example.org\n", 0, true },
		{ "MIME-Version: 1.0\n", 0, true },
		{ "Subject:", 0, true },
		{ "a:", 0, true },
		{ "Authentication-Results-Original: x", 0, true },
		{ "", 0, false },
		{ "<?xml version=\"1.0\"?>\n<feedback/>", 0, false },
		{ "{\"organization-name\":\"Google Inc.\"}", 0, false },
		{ "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8, false },
		{ "PK\x03\x04\x14\x00", 6, false },
		{ "hello world", 0, false },
		{ "hello world: not a field name", 0, false },
		{ ":no name", 0, false },
		{ " Subject: leading space", 0, false },
		{ "Subject : space before colon", 0, false },
		{ "\xef\xbb\xbfSubject: bom", 0, false },
		{ "From", 0, false },
		{ "Fromage: cheese", 0, true },
		{ "Subject\nX: on the second line", 0, false },
	};
	char name[100];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].len != 0 ? cases[i].len :
		    strlen(cases[i].in);

		cr_expect_eq(mail_sniff((const unsigned char *)cases[i].in, n),
		    cases[i].want, "case %zu: '%s'", i, cases[i].in);
	}
	/* a field name may be 76 characters long, not 77 */
	memset(name, 'x', sizeof(name));
	name[76] = ':';
	cr_expect(mail_sniff((const unsigned char *)name, 77));
	name[76] = 'x';
	name[77] = ':';
	cr_expect_not(mail_sniff((const unsigned char *)name, 78));
}

Test(mail, google_zip_attachment_and_footer)
{
	struct rec r = { 0 };
	int zip, footer;

	walk_file(&r, EMAIL("google_zip-attachment-utm-footer-"
	    "no-final-newline.eml"));
	cr_assert_eq(r.n_parts, 2);
	zip = find_part(&r, "application/zip");
	cr_assert_geq(zip, 0);
	cr_assert_gt(r.parts[zip].len, 4);
	cr_expect_eq(memcmp(r.parts[zip].data, "PK\x03\x04", 4), 0);
	cr_expect_eq(r.parts[zip].len, 683);
	cr_expect_str_eq(r.parts[zip].filename,
	    "google.com!twlnet.com!1549756800!1549843199.zip");
	cr_expect_str_eq(r.parts[zip].location,
	    "part 1 'google.com!twlnet.com!1549756800!1549843199.zip'");
	footer = find_part(&r, "text/plain");
	cr_assert_geq(footer, 0);
	cr_expect(strstr(r.parts[footer].data, "Sophos UTM") != NULL);
	cr_expect_str_eq(r.parts[footer].location, "part 2");
	cr_expect_not(r.parts[footer].has_filename);
	cr_assert_eq(r.n_ends, 1);
	cr_expect_eq(r.ends[0].index, 1);
	cr_expect_not(r.ends[0].is_mbox);
	cr_expect_not(r.ends[0].is_forensic);
	cr_expect_eq(r.ends[0].n_parts, 2);
	cr_expect_str_eq(r.ends[0].types, "application/zip, text/plain");
	cr_expect_str_eq(r.ends[0].subject, "Report domain: twlnet.com "
	    "Submitter: google.com Report-ID: 1627703331531660819");
	rec_release(&r);
}

Test(mail, tlsrpt_gzip_with_tab_folded_params)
{
	struct rec r = { 0 };
	int gz, text;

	walk_file(&r, EMAIL("google_tlsrpt-cardinalhealth.eml"));
	gz = find_part(&r, "application/tlsrpt+gzip");
	cr_assert_geq(gz, 0);
	cr_assert_gt(r.parts[gz].len, 2);
	cr_expect_eq((unsigned char)r.parts[gz].data[0], 0x1f);
	cr_expect_eq((unsigned char)r.parts[gz].data[1], 0x8b);
	cr_expect_str_eq(r.parts[gz].filename,
	    "google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz");
	/* the quoted-printable banner is decoded */
	text = find_part(&r, "text/plain");
	cr_assert_geq(text, 0);
	cr_expect(strstr(r.parts[text].data,
	    "External Email \xe2\x80\x93 Please use caution before opening "
	    "attachments") != NULL, "%s", r.parts[text].data);
	cr_assert_eq(r.n_ends, 1);
	cr_expect_not(r.ends[0].is_forensic);
	cr_expect_eq(r.ends[0].n_parts, 2);
	rec_release(&r);
}

Test(mail, tlsrpt_with_mbox_content_length_headers)
{
	struct rec r = { 0 };
	int gz;

	walk_file(&r, EMAIL("google_tlsrpt-blogreen-content-length-lines.eml"));
	gz = find_part(&r, "application/tlsrpt+gzip");
	cr_assert_geq(gz, 0);
	cr_expect_eq(r.parts[gz].len, 300);
	cr_expect_eq(memcmp(r.parts[gz].data, "\x1f\x8b", 2), 0);
	cr_expect_str_eq(r.parts[gz].filename,
	    "google.com!blogreen.org!1675296000!1675382399!001.json.gz");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_str_eq(r.ends[0].types,
	    "text/plain, application/tlsrpt+gzip");
	cr_expect_str_eq(r.ends[0].subject, "Report Domain: blogreen.org "
	    "Submitter: google.com Report-ID: "
	    "<2023.02.02T00.00.00Z+blogreen.org@google.com>");
	rec_release(&r);
}

Test(mail, linkedin_arf_in_mbox_is_forensic)
{
	struct rec r = { 0 };

	walk_file(&r, EMAIL("linkedin_forensic-arf-auth-failure-"
	    "mbox-from-line.eml"));
	cr_assert_eq(r.n_ends, 1);
	cr_expect_eq(r.n_errors, 0);
	cr_expect(r.ends[0].is_mbox);
	cr_expect_eq(r.ends[0].index, 1);
	cr_expect(r.ends[0].is_forensic);
	/* the feedback report itself is not handed over */
	cr_expect_eq(find_part(&r, "message/feedback-report"), -1);
	cr_expect(strstr(r.ends[0].types, "message/feedback-report") != NULL,
	    "%s", r.ends[0].types);
	/* the explanation and the original message's two parts */
	cr_expect_eq(r.ends[0].n_parts, 3);
	cr_expect_eq(r.n_parts, 3);
	cr_expect_str_eq(r.parts[0].location, "message 1, part 1");
	cr_expect_str_eq(r.ends[0].subject,
	    "DMARC Failure report for example.com Mail-From: IP:10.10.10.10");
	rec_release(&r);
}

Test(mail, plain_message_has_one_text_part)
{
	struct rec r = { 0 };

	walk_file(&r, EMAIL("exampleorg_email-no-attachment.eml"));
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "text/plain");
	cr_expect_str_eq(r.parts[0].data, "test");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_eq(r.ends[0].n_parts, 1);
	cr_expect_str_eq(r.ends[0].types, "text/plain");
	cr_expect_str_eq(r.ends[0].subject, "Test");
	rec_release(&r);
}

Test(mail, zip_bytes_in_text_plain_part)
{
	struct rec r = { 0 };

	walk_file(&r, EMAIL("exampleorg_email-zip-bytes-labelled-"
	    "text-plain-not-xml.eml"));
	cr_assert_eq(r.n_parts, 3);
	cr_expect_str_eq(r.parts[0].type, "text/plain");
	cr_expect_str_eq(r.parts[1].type, "text/html");
	cr_expect_str_eq(r.parts[2].type, "text/plain");
	cr_expect_str_eq(r.parts[2].filename, "test.txt");
	cr_expect_str_eq(r.parts[2].location, "part 3 'test.txt'");
	cr_expect_eq(r.parts[2].len, 180);
	cr_expect_eq(memcmp(r.parts[2].data, "PK\x03\x04", 4), 0);
	cr_assert_eq(r.n_ends, 1);
	cr_expect_str_eq(r.ends[0].types, "text/plain, text/html, text/plain");
	rec_release(&r);
}

static const char mbox3[] =
    "From reports@example.org Mon Jan  1 00:00:00 2024\n"
    "Subject: one\n"
    "\n"
    "first\n"
    ">From the start\n"
    ">>From deeper\n"
    "> From is not quoting\n"
    "\n"
    "From reports@example.org Mon Jan  1 00:00:01 2024\n"
    "Subject: two\n"
    "\n"
    "second\n"
    "\n"
    "From reports@example.org Mon Jan  1 00:00:02 2024\n"
    "Subject: three\n"
    "\n"
    "third\n";

Test(mail, mbox_three_messages_unquotes_from)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	unsigned i;

	cr_assert_eq(walk_str(&r, mbox3, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 3);
	cr_expect_eq(r.n_errors, 0);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(r.ends[i].index, i + 1);
		cr_expect(r.ends[i].is_mbox);
		cr_expect_eq(r.ends[i].n_parts, 1);
	}
	cr_expect_str_eq(r.ends[0].subject, "one");
	cr_expect_str_eq(r.ends[1].subject, "two");
	cr_expect_str_eq(r.ends[2].subject, "three");
	cr_assert_eq(r.n_parts, 3);
	cr_expect_str_eq(r.parts[0].data, "first\nFrom the start\n"
	    ">From deeper\n> From is not quoting\n");
	cr_expect_str_eq(r.parts[1].data, "second\n");
	cr_expect_str_eq(r.parts[2].data, "third\n");
	cr_expect_str_eq(r.parts[1].location, "message 2, part 1");
	rec_release(&r);
}

Test(mail, mbox_with_crlf_lines)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	char *crlf = to_crlf(mbox3);

	cr_assert_eq(walk_str(&r, crlf, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 3);
	cr_assert_eq(r.n_parts, 3);
	cr_expect_str_eq(r.parts[0].data, "first\r\nFrom the start\r\n"
	    ">From deeper\r\n> From is not quoting\r\n");
	cr_expect_str_eq(r.ends[2].subject, "three");
	free(crlf);
	rec_release(&r);
}

Test(mail, mbox_oversized_message_is_skipped)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;
	size_t i;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, "From a@example.org Mon Jan  1 00:00:00 2024\n"
	    "Subject: small one\n\nhello\n\n"
	    "From a@example.org Mon Jan  1 00:00:01 2024\n"
	    "Subject: big\n\n", &err);
	for (i = 0; i < 50; i++)
		buf_adds(&b, "01234567890123456789012345678901234\n", &err);
	buf_adds(&b, "\nFrom a@example.org Mon Jan  1 00:00:02 2024\n"
	    "Subject: small three\n\nbye\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, 200, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_errors, 1);
	cr_expect_eq(r.errors[0].index, 2);
	cr_expect_eq(r.errors[0].code, ERR_LIMIT);
	cr_expect(strstr(r.errors[0].why.msg, "200-byte limit") != NULL, "%s",
	    r.errors[0].why.msg);
	cr_assert_eq(r.n_ends, 2);
	cr_expect_eq(r.ends[0].index, 1);
	cr_expect_str_eq(r.ends[0].subject, "small one");
	cr_expect_eq(r.ends[1].index, 3);
	cr_expect_str_eq(r.ends[1].subject, "small three");
	cr_assert_eq(r.n_parts, 2);
	cr_expect_str_eq(r.parts[1].data, "bye\n");
	buf_release(&b);
	rec_release(&r);
}

Test(mail, single_message_over_limit)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	char msg[300];

	memset(msg, 'x', sizeof(msg));
	memcpy(msg, "Subject: big\n\n", 14);
	cr_assert_eq(walk_mem(&r, msg, sizeof(msg), 100, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect_str_eq(err.msg, "message exceeds the 100-byte limit");
	cr_expect_eq(r.n_parts, 0);
	cr_expect_eq(r.n_ends, 0);
}

static const char b64_head[] =
    "From: reports@example.org\n"
    "Subject: base64\n"
    "MIME-Version: 1.0\n"
    "Content-Type: application/octet-stream; name=\"r.xml.gz\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n";

Test(mail, base64_single_long_line)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	unsigned char raw[3750];
	struct buf b;

	fill_bytes(raw, sizeof(raw));
	buf_init(&b, (size_t)-1);
	buf_adds(&b, b64_head, &err);
	b64_encode(&b, raw, sizeof(raw));
	cr_assert_eq(b.len, strlen(b64_head) + 5000);
	buf_adds(&b, "\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "application/octet-stream");
	cr_expect_str_eq(r.parts[0].filename, "r.xml.gz");
	cr_assert_eq(r.parts[0].len, sizeof(raw));
	cr_expect_eq(memcmp(r.parts[0].data, raw, sizeof(raw)), 0);
	buf_release(&b);
	rec_release(&r);
}

Test(mail, base64_without_padding)
{
	static const struct {
		const char *body;
		const char *want;
	} cases[] = {
		{ "aGVsbG8hIQ\n", "hello!!" },		/* "==" missing */
		{ "aGVsbG8h\n", "hello!" },
		{ "aGVsbG8gd29ybA\n", "hello worl" },	/* "=" missing */
		{ "aGVsbG8gd29ybA", "hello worl" },	/* and no newline */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r = { 0 };
		struct err err = { 0 };
		struct buf b;

		buf_init(&b, (size_t)-1);
		buf_adds(&b, b64_head, &err);
		buf_adds(&b, cases[i].body, &err);
		cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0,
		    "%s", err.msg);
		cr_assert_eq(r.n_parts, 1);
		cr_expect_str_eq(r.parts[0].data, cases[i].want, "case %zu",
		    i);
		cr_expect_eq(r.parts[0].len, strlen(cases[i].want));
		buf_release(&b);
		rec_release(&r);
	}
}

Test(mail, base64_stray_whitespace_and_junk)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, b64_head, &err);
	buf_adds(&b, "  aGVs bG8g\r\n\td29y*bGQ=  \n\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].data, "hello world");
	buf_release(&b);
	rec_release(&r);
}

Test(mail, quoted_printable_part)
{
	static const char msg[] =
	    "From: reports@example.org\n"
	    "Subject: =?UTF-8?Q?caf=C3=A9_report?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/xml; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "<feedback a=3D\"1\">caf=C3=A9 =\n"
	    "<org_name>example</org_name></feedback>";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "text/xml");
	cr_expect_str_eq(r.parts[0].data, "<feedback a=\"1\">caf\xc3\xa9 "
	    "<org_name>example</org_name></feedback>");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_str_eq(r.ends[0].subject, "caf\xc3\xa9 report");
	rec_release(&r);
}

static const char nested_head[] =
    "From: someone@example.org\n"
    "Subject: Fwd: Report domain: example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "--outer\n"
    "Content-Type: text/plain\n"
    "\n"
    "see the forwarded report\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: noreply@example.com\n"
    "Subject: Report domain: example.org\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"inner\"\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "an aggregate report\n"
    "--inner\n"
    "Content-Type: application/gzip;\n"
    "\tname=\"example.com!example.org!1700000000!1700086400.xml.gz\"\n"
    "Content-Disposition: attachment;\n"
    "\tfilename=\"example.com!example.org!1700000000!1700086400.xml.gz\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n";

static const char nested_tail[] =
    "\n"
    "--inner--\n"
    "\n"
    "--outer\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "footer =E2=80=93 scanned\n"
    "--outer--\n";

/* The nested message with raw as its attachment; malloc'd. */
static char *
nested_message(const unsigned char *raw, size_t n)
{
	struct buf b;
	struct err err;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, nested_head, &err);
	b64_encode(&b, raw, n);
	buf_adds(&b, nested_tail, &err);
	return b.data;
}

Test(mail, nested_rfc822_attachment_is_reached)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	unsigned char raw[500];
	char *msg;
	int gz;

	fill_bytes(raw, sizeof(raw));
	raw[0] = 0x1f;
	raw[1] = 0x8b;
	msg = nested_message(raw, sizeof(raw));
	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_parts, 4);
	gz = find_part(&r, "application/gzip");
	cr_assert_eq(gz, 2);
	cr_expect_eq(r.parts[gz].len, sizeof(raw));
	cr_expect_eq(memcmp(r.parts[gz].data, raw, sizeof(raw)), 0);
	cr_expect_str_eq(r.parts[gz].filename,
	    "example.com!example.org!1700000000!1700086400.xml.gz");
	cr_expect_str_eq(r.parts[gz].location, "part 3 "
	    "'example.com!example.org!1700000000!1700086400.xml.gz'");
	cr_expect_str_eq(r.parts[1].data, "an aggregate report");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_str_eq(r.ends[0].types,
	    "text/plain, text/plain, application/gzip, text/plain");
	/* the subject is the outer message's */
	cr_expect_str_eq(r.ends[0].subject,
	    "Fwd: Report domain: example.org");
	free(msg);
	rec_release(&r);
}

Test(mail, crlf_and_lf_decode_alike)
{
	struct rec lf = { 0 }, crlf = { 0 };
	struct err err = { 0 };
	unsigned char raw[2000];
	char *msg, *msg_crlf;
	unsigned i;

	fill_bytes(raw, sizeof(raw));
	msg = nested_message(raw, sizeof(raw));
	msg_crlf = to_crlf(msg);
	cr_assert_eq(walk_str(&lf, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(walk_str(&crlf, msg_crlf, &err), 0, "%s", err.msg);
	cr_assert_eq(lf.n_parts, 4);
	cr_assert_eq(crlf.n_parts, lf.n_parts);
	cr_expect_eq(lf.parts[2].len, sizeof(raw));
	for (i = 0; i < lf.n_parts; i++) {
		cr_expect_str_eq(crlf.parts[i].type, lf.parts[i].type);
		cr_expect_str_eq(crlf.parts[i].location, lf.parts[i].location);
		cr_expect_eq(crlf.parts[i].len, lf.parts[i].len, "part %u", i);
		cr_expect_eq(memcmp(crlf.parts[i].data, lf.parts[i].data,
		    lf.parts[i].len), 0, "part %u", i);
	}
	cr_expect_str_eq(crlf.ends[0].subject, lf.ends[0].subject);
	free(msg);
	free(msg_crlf);
	rec_release(&lf);
	rec_release(&crlf);
}

Test(mail, report_type_feedback_report_is_forensic)
{
	static const char msg[] =
	    "Subject: failure report\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=\"Feedback-Report\";\n"
	    "  boundary=\"b\"\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "an authentication failure\n"
	    "--b--\n";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 1);
	cr_expect(r.ends[0].is_forensic);
	cr_expect_eq(r.ends[0].n_parts, 1);
	rec_release(&r);
}

Test(mail, on_part_failure_stops_the_walk)
{
	struct rec r = { 0 };
	struct stream *in = NULL;
	struct err err = { 0 };

	r.stop_at_part = 1;
	cr_assert_eq(stream_open_file(&in,
	    EMAIL("google_zip-attachment-utm-footer-no-final-newline.eml"),
	    &err), 0);
	cr_expect_eq(walk_stream(&r, in, MAX_MESSAGE, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_str_eq(err.msg, "stopped at part 1");
	cr_expect_eq(r.n_parts, 1);
	cr_expect_eq(r.n_ends, 0);
	stream_free(in);
	rec_release(&r);
}

Test(mail, on_message_end_failure_stops_an_mbox)
{
	struct rec r = { 0 };
	struct err err = { 0 };

	r.stop_at_end = 2;
	cr_expect_eq(walk_str(&r, mbox3, &err), -1);
	cr_expect_str_eq(err.msg, "stopped at message 2");
	cr_expect_eq(r.n_ends, 2);
	cr_expect_eq(r.n_parts, 2);
	cr_expect_eq(r.n_errors, 0);
	rec_release(&r);
}

/* A message with depth nested multiparts around one text part. */
static void
deep_message(struct buf *b, unsigned depth)
{
	struct err err;
	unsigned i;

	buf_adds(b, "Subject: deep\nMIME-Version: 1.0\n", &err);
	for (i = 0; i < depth; i++)
		buf_addf(b, &err, "Content-Type: multipart/mixed; "
		    "boundary=\"b%u\"\n\n--b%u\n", i, i);
	buf_adds(b, "Content-Type: text/plain\n\nhi\n", &err);
	for (i = depth; i > 0; i--)
		buf_addf(b, &err, "--b%u--\n", i - 1);
}

Test(mail, nesting_deeper_than_32_is_limit)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;

	buf_init(&b, (size_t)-1);
	deep_message(&b, 30);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_expect_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].data, "hi");
	rec_release(&r);
	memset(&r, 0, sizeof(r));
	buf_reset(&b);
	deep_message(&b, 40);
	cr_expect_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect(strstr(err.msg, "nested deeper than 32") != NULL, "%s",
	    err.msg);
	cr_expect_eq(r.n_ends, 0);
	buf_release(&b);
	rec_release(&r);
}

Test(mail, thousands_of_nested_parts_fail_fast, .timeout = 10)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;

	buf_init(&b, (size_t)-1);
	deep_message(&b, 20000);
	cr_expect_eq(walk_mem(&r, b.data, b.len, 1 << 26, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect(strstr(err.msg, "more than 256") != NULL, "%s", err.msg);
	cr_expect_eq(r.n_parts, 0);
	buf_release(&b);
}

Test(mail, mbox_message_with_broken_structure_is_reported)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, "From a@example.org Mon Jan  1 00:00:00 2024\n", &err);
	deep_message(&b, 40);
	buf_adds(&b, "\nFrom a@example.org Mon Jan  1 00:00:01 2024\n"
	    "Subject: fine\n\nok\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_errors, 1);
	cr_expect_eq(r.errors[0].index, 1);
	cr_expect_eq(r.errors[0].code, ERR_LIMIT);
	cr_assert_eq(r.n_ends, 1);
	cr_expect_eq(r.ends[0].index, 2);
	cr_expect_str_eq(r.ends[0].subject, "fine");
	buf_release(&b);
	rec_release(&r);
}

Test(mail, missing_content_type_is_text_plain)
{
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, "To: a@example.org\n\nbody", &err), 0,
	    "%s", err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "text/plain");
	cr_expect_str_eq(r.parts[0].data, "body");
	cr_expect_str_eq(r.parts[0].location, "part 1");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_not(r.ends[0].has_subject);
	rec_release(&r);
}

Test(mail, upper_case_types_are_lowered)
{
	static const char msg[] =
	    "Subject: x\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: Application/X-GZIP; NAME=\"a.xml.gz\"\n"
	    "Content-Transfer-Encoding: BASE64\n"
	    "\n"
	    "H4sI\n";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "application/x-gzip");
	cr_expect_str_eq(r.parts[0].filename, "a.xml.gz");
	cr_expect_eq(r.parts[0].len, 3);
	cr_expect_eq(memcmp(r.parts[0].data, "\x1f\x8b\x08", 3), 0);
	rec_release(&r);
}

Test(mail, feedback_report_part_is_forensic_and_withheld)
{
	static const char msg[] =
	    "Subject: forwarded failure report\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "see below\n"
	    "--b\n"
	    "Content-Type: message/feedback-report\n"
	    "\n"
	    "Feedback-Type: auth-failure\n"
	    "Auth-Failure: dmarc\n"
	    "--b--\n";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 1);
	cr_expect(r.ends[0].is_forensic);
	cr_expect_eq(r.ends[0].n_parts, 1);
	cr_expect_str_eq(r.ends[0].types,
	    "text/plain, message/feedback-report");
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "text/plain");
	rec_release(&r);
}

/* A stream over memory that hands out one byte per read. */
struct trickle {
	const char *p;
	size_t len;
	size_t off;
};

static ssize_t
trickle_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct trickle *t = impl;

	(void)err;
	if (t->off == t->len || len == 0)
		return 0;
	memcpy(buf, t->p + t->off++, 1);
	return 1;
}

static void
trickle_close(void *impl)
{
	(void)impl;
}

Test(mail, mbox_read_one_byte_at_a_time)
{
	static const struct stream_ops ops = { trickle_read, trickle_close };
	struct trickle t = { mbox3, sizeof(mbox3) - 1, 0 };
	struct stream *in = NULL;
	struct rec r = { 0 };
	struct err err = { 0 };

	stream_new_ops(&in, &ops, &t, "trickle");
	cr_assert_eq(walk_stream(&r, in, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_ends, 3);
	cr_assert_eq(r.n_parts, 3);
	cr_expect_str_eq(r.parts[0].data, "first\nFrom the start\n"
	    ">From deeper\n> From is not quoting\n");
	cr_expect_str_eq(r.parts[2].data, "third\n");
	stream_free(in);
	rec_release(&r);
}

Test(mail, mbox_lines_longer_than_the_read_chunk)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	unsigned char *raw;
	size_t n = 150000, i;
	struct buf b;

	raw = xmalloc(n);
	fill_bytes(raw, n);
	buf_init(&b, (size_t)-1);
	for (i = 1; i <= 3; i++) {
		buf_addf(&b, &err, "From a@example.org Mon Jan  1 00:00:0%zu "
		    "2024\n", i);
		buf_adds(&b, b64_head, &err);
		/* one unwrapped line of 200000 characters */
		b64_encode(&b, raw, n - i);
		buf_adds(&b, "\n\n", &err);
	}
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_ends, 3);
	cr_assert_eq(r.n_parts, 3);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(r.parts[i].len, n - i - 1);
		cr_expect_eq(memcmp(r.parts[i].data, raw, n - i - 1), 0);
	}
	free(raw);
	buf_release(&b);
	rec_release(&r);
}

Test(mail, base64_encoded_rfc822_is_walked)
{
	static const char inner[] =
	    "Subject: inner report\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: application/zip; name=\"inner.zip\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "UEsDBBQAAAAIAA==\n";
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, "Subject: outer\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"o\"\n"
	    "\n"
	    "--o\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n", &err);
	b64_encode(&b, (const unsigned char *)inner, strlen(inner));
	buf_adds(&b, "\n--o--\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].type, "application/zip");
	cr_expect_str_eq(r.parts[0].location, "part 1 'inner.zip'");
	cr_expect_eq(r.parts[0].len, 10);
	cr_expect_eq(memcmp(r.parts[0].data, "PK\x03\x04", 4), 0);
	cr_assert_eq(r.n_ends, 1);
	cr_expect_str_eq(r.ends[0].subject, "outer");
	buf_release(&b);
	rec_release(&r);
}

Test(mail, folded_encoded_subject_is_unfolded)
{
	static const char msg[] =
	    "Subject: Report Domain: example.org\n"
	    "\tSubmitter: =?utf-8?B?ZXhhbXBsZS5jb20=?=\n"
	    "  Report-ID: <1@example.com>\n"
	    "\n"
	    "body\n";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 1);
	cr_expect(r.ends[0].has_subject);
	cr_expect_eq(strchr(r.ends[0].subject, '\n'), NULL);
	cr_expect_eq(strchr(r.ends[0].subject, '\t'), NULL);
	cr_expect(strstr(r.ends[0].subject, "Report Domain: example.org") ==
	    r.ends[0].subject, "%s", r.ends[0].subject);
	cr_expect(strstr(r.ends[0].subject, "Submitter: example.com") != NULL,
	    "%s", r.ends[0].subject);
	cr_expect(strstr(r.ends[0].subject, "Report-ID: <1@example.com>") !=
	    NULL, "%s", r.ends[0].subject);
	rec_release(&r);
}

Test(mail, types_list_is_capped)
{
	struct rec r = { 0 };
	struct err err = { 0 };
	struct buf b;
	unsigned i;

	buf_init(&b, (size_t)-1);
	buf_adds(&b, "Subject: many\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n", &err);
	for (i = 0; i < 30; i++)
		buf_addf(&b, &err, "--b\nContent-Type: text/plain\n\n%u\n", i);
	buf_adds(&b, "--b--\n", &err);
	cr_assert_eq(walk_mem(&r, b.data, b.len, MAX_MESSAGE, &err), 0, "%s",
	    err.msg);
	cr_expect_eq(r.n_parts, 30);
	cr_expect_str_eq(r.parts[29].data, "29");
	cr_expect_str_eq(r.parts[29].location, "part 30");
	cr_assert_eq(r.n_ends, 1);
	cr_expect_eq(r.ends[0].n_parts, 30);
	cr_expect_leq(strlen(r.ends[0].types), 205);
	cr_expect(strncmp(r.ends[0].types, "text/plain, text/plain", 22) == 0);
	cr_expect_str_eq(r.ends[0].types + strlen(r.ends[0].types) - 5,
	    ", ...");
	buf_release(&b);
	rec_release(&r);
}

/* a raw 8-bit (Latin-1) filename= as some mailers send it */
Test(mail, latin1_filename_becomes_utf8)
{
	static const char msg[] =
	    "From: reports@example.org\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/xml\n"
	    "Content-Disposition: attachment; filename=\"b\xfc" "cher.xml\"\n"
	    "\n"
	    "<feedback/>";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_parts, 1);
	cr_expect_str_eq(r.parts[0].filename, "b\xc3\xbc" "cher.xml");
	cr_expect(str_is_utf8(r.parts[0].location,
	    strlen(r.parts[0].location)));
	rec_release(&r);
}

/* a long name in the location is cut between characters */
Test(mail, long_filename_is_cut_between_characters)
{
	struct buf b;
	struct rec r = { 0 };
	struct err err = { 0 };
	const char *loc;

	buf_init(&b, (size_t)-1);
	buf_addf(&b, &err, "From: a@example.org\nMIME-Version: 1.0\n"
	    "Content-Type: text/xml\nContent-Disposition: attachment; "
	    "filename=\"x");
	for (int i = 0; i < 150; i++)
		buf_addf(&b, &err, "\xc3\xa9");
	buf_addf(&b, &err, ".xml\"\n\n<feedback/>");
	cr_assert_eq(walk_str(&r, b.data, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_parts, 1);
	loc = r.parts[0].location;
	cr_expect(str_is_utf8(loc, strlen(loc)), "%s", loc);
	cr_expect(strstr(loc, "x\xc3\xa9") != NULL, "%s", loc);
	rec_release(&r);
	buf_release(&b);
}

Test(mail, raw_8bit_subject_becomes_utf8)
{
	static const char msg[] =
	    "From: reports@example.org\n"
	    "Subject: Report domain: b\xfc" "cher.example\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "x";
	struct rec r = { 0 };
	struct err err = { 0 };

	cr_assert_eq(walk_str(&r, msg, &err), 0, "%s", err.msg);
	cr_assert_eq(r.n_ends, 1);
	/* libetpan may already have replaced the byte: valid either way */
	cr_expect(str_is_utf8(r.ends[0].subject, strlen(r.ends[0].subject)),
	    "%s", r.ends[0].subject);
	cr_expect(strncmp(r.ends[0].subject, "Report domain: b", 16) == 0,
	    "%s", r.ends[0].subject);
	rec_release(&r);
}

/* what on_feedback handed over, copied */
struct fb_rec {
	unsigned n;
	char header[64], fields[64], original[64], location[32];
	size_t original_len;
	bool is_headers_only;
};

static int
fb_on_feedback(void *ctx, const struct mail_feedback *fb, struct err *err)
{
	struct fb_rec *f = ctx;

	(void)err;
	f->n++;
	snprintf(f->header, sizeof(f->header), "%.*s",
	    (int)(fb->header_len < 40 ? fb->header_len : 40),
	    fb->header ? fb->header : "");
	snprintf(f->fields, sizeof(f->fields), "%.*s",
	    (int)(fb->fields_len < 27 ? fb->fields_len : 27),
	    fb->fields ? fb->fields : "");
	snprintf(f->original, sizeof(f->original), "%.*s",
	    (int)(fb->original_len < 15 ? fb->original_len : 15),
	    fb->original ? fb->original : "");
	snprintf(f->location, sizeof(f->location), "%s", fb->location);
	f->original_len = fb->original_len;
	f->is_headers_only = fb->is_headers_only;
	return 0;
}

Test(mail, feedback_report_pieces_are_handed_over)
{
	struct fb_rec f = { 0 };
	struct mail_walker w = { &f, NULL, NULL, NULL, fb_on_feedback };
	struct stream *in = NULL;
	struct err err = { 0 };

	cr_assert_eq(stream_open_file(&in, EMAIL("linkedin_forensic-arf-"
	    "auth-failure-mbox-from-line.eml"), &err), 0, "%s", err.msg);
	cr_assert_eq(mail_walk(in, MAX_MESSAGE, &w, &err), 0, "%s", err.msg);
	stream_free(in);
	cr_assert_eq(f.n, 1);
	/* the report mail's own header block, after the mbox From line */
	cr_expect_str_eq(f.header, "Received: from mailf-cd.linkedin.com ([1");
	cr_expect_str_eq(f.fields, "Feedback-Type: auth-failure");
	/* the original raw, its header block first */
	cr_expect_str_eq(f.original, "Return-Path: <>");
	cr_expect_gt(f.original_len, 2000);
	cr_expect_not(f.is_headers_only);
	cr_expect_str_eq(f.location, "message 1");
}

Test(mail, feedback_report_with_headers_only_and_base64_fields)
{
	static const char msg[] =
	    "From: a@reporter.example\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    " boundary=\"b\"\n"
	    "\n"
	    "--b\n"
	    "Content-Type: message/feedback-report\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "RmVlZGJhY2stVHlwZTogYXV0aC1mYWlsdXJlCg==\n"
	    "--b\n"
	    "Content-Type: text/rfc822-headers\n"
	    "\n"
	    "From: x@y.example\n"
	    "--b--\n";
	struct fb_rec f = { 0 };
	struct mail_walker w = { &f, NULL, NULL, NULL, fb_on_feedback };
	struct stream *in = NULL;
	struct err err = { 0 };

	stream_new_mem(&in, msg, strlen(msg), "test message");
	cr_assert_eq(mail_walk(in, MAX_MESSAGE, &w, &err), 0, "%s", err.msg);
	stream_free(in);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.fields, "Feedback-Type: auth-failure");
	cr_expect_str_eq(f.original, "From: x@y.examp");
	cr_expect(f.is_headers_only);
	cr_expect_str_eq(f.location, "");
}
