/*
 * dnsrec and finding: DMARC, DKIM, MTA-STS and TLS-RPT texts as DNS and
 * web servers hand them out, well-formed and hostile.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dnsrec.h"
#include "model/finding.h"

/* openssl genrsa 1024 | openssl rsa -pubout (SubjectPublicKeyInfo) */
#define RSA1024 \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDC4MXtNJtMBponolQ1+LwTy4pcx" \
	"TPXaUIm0RYG1db8OQNt6LgckI5ig+pQP/MgZCyWJl48uEq2Qm4CfA8k8ZhFSOnQIbF" \
	"FEnEJWQYFMKBZ5fxwr/sIolerTvNpl0ZhC8TRfP8dRFb5qXQlnxdmPZQVAhLch+KmM" \
	"tEeoKJqfgozJQIDAQAB"
/* the same key as a bare RSAPublicKey (-RSAPublicKey_out) */
#define RSA1024_BARE \
	"MIGJAoGBAMLgxe00m0wGmieiVDX4vBPLilzFM9dpQibRFgbV1vw5A23ouByQjmKD6l" \
	"A/8yBkLJYmXjy4SrZCbgJ8DyTxmEVI6dAhsUUScQlZBgUwoFnl/HCv+wiiV6tO82mX" \
	"RmELxNF8/x1EVvmpdCWfF2Y9lBUCEtyH4qYy0R6gomp+CjMlAgMBAAE="
/* openssl genrsa 2048 | openssl rsa -pubout */
#define RSA2048 \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr3VKYVm0bPnjGkFmuD5WHH" \
	"xRGW8tJU8FJHLo5r265dlkHPVe1Qinj7PlRfwEDjjxcSxBYKAnRMk5BUuu/z7nS38o" \
	"KzNN6etBqudnrHzLdon+wmQBCSIjTLVw07uNqsIQNjqNMwfFZLO/WAViMM+/p1bmkI" \
	"aSBMajq4uoQsUrFwegSsq1tsfSCmW1DwLrSJ7jbKxwKV4DalihSt+pfBKdEyUzH2PF" \
	"k4PnlSqske7MyQBd+i137QytsMy6Jntn3aqnfMAl38q1GgrzodF6mqm9F1DpUKVpMo" \
	"sSPmulaSfZij4YryxTDpPBHCGMiLEm3sy7yaxqDVPY02Gq07uNEQuQlwIDAQAB"
/* openssl genpkey -algorithm ed25519: the 32 bytes of the key */
#define ED25519 "Ap+ECliaEpkW+l/jvFTkkAWozZ6gFTWmAmhyqGiX0hw="
/* the same key in a SubjectPublicKeyInfo (wrong for DKIM, RFC 8463) */
#define ED25519_SPKI "MCowBQYDK2VwAyEAAp+ECliaEpkW+l/jvFTkkAWozZ6gFTWmAmhyqGiX0hw="

#define RUA "rua=mailto:dmarc@example.com"

/* No text of a finding holds a control character. */
static void
expect_clean(const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		for (const unsigned char *p =
		    (const unsigned char *)f->v[i].message; *p; p++)
			cr_expect(*p >= 0x20 && *p != 0x7f,
			    "finding %zu: control byte %#x", i, *p);
		cr_expect_str_neq(severity_name(f->v[i].sev), "");
	}
}

static bool
has_finding(const struct findings *f, const char *code, enum severity sev)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, code) == 0 && f->v[i].sev == sev)
			return true;
	return false;
}

static void
dump(const char *what, const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		fprintf(stderr, "%s: %s %s %s\n", what,
		    severity_name(f->v[i].sev), f->v[i].code,
		    f->v[i].message);
}

/* ---- finding -------------------------------------------------------- */

Test(finding, add_count_worst_free)
{
	struct findings f = { 0 };

	cr_expect_eq(findings_worst(&f), SEV_INFO);
	findings_add(&f, SEV_WARNING, "a-code", NULL, "x=%d", 1);
	findings_add(&f, SEV_INFO, "b-code", "v=DMARC1; p=none", "plain");
	findings_add(&f, SEV_WARNING, "a-code", NULL, "again");
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.v[0].message, "x=1");
	cr_expect_null(f.v[0].fix);
	cr_expect_str_eq(f.v[1].fix, "v=DMARC1; p=none");
	cr_expect_eq(findings_count(&f, "a-code"), 2);
	cr_expect_eq(findings_count(&f, "none"), 0);
	cr_expect_eq(findings_worst(&f), SEV_WARNING);
	findings_add(&f, SEV_ERROR, "c-code", NULL, "bad");
	cr_expect_eq(findings_worst(&f), SEV_ERROR);
	cr_expect_str_eq(severity_name(SEV_INFO), "info");
	cr_expect_str_eq(severity_name(SEV_WARNING), "warning");
	cr_expect_str_eq(severity_name(SEV_ERROR), "error");
	findings_free(&f);
	cr_expect_eq(f.n, 0);
	cr_expect_null(f.v);
	findings_free(NULL);
}

Test(finding, control_characters_become_question_marks)
{
	struct findings f = { 0 };

	findings_add(&f, SEV_ERROR, "x", "a\nb\x1b[31m", "%s", "l1\r\nl2\t\x7f");
	/* a C1 control in UTF-8, and a Latin-1 byte read as U+0085 */
	findings_add(&f, SEV_ERROR, "x", NULL, "%s", "a\xc2\x85z \x85");
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.v[0].message, "l1??l2??");
	cr_expect_str_eq(f.v[0].fix, "a?b?[31m");
	cr_expect_str_eq(f.v[1].message, "a?z ?");
	findings_free(&f);
}

/* ---- DMARC ---------------------------------------------------------- */

Test(dmarc, is_record)
{
	static const struct {
		const char *text;
		bool is;
	} cases[] = {
		{ "v=DMARC1; p=none", true },
		{ "v=DMARC1", true },
		{ "v=DMARC1;", true },
		{ " v = DMARC1 ; p=none", true },
		{ "V=dmarc1;p=none", true },
		{ "v=DMARC1\t;p=reject", true },
		{ "v=DMARC1 p=reject", false },
		{ "v=DMARC10; p=none", false },
		{ "v=DMARC2; p=none", false },
		{ "p=none; v=DMARC1", false },
		{ "v=spf1 -all", false },
		{ "", false },
		{ "=", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(dmarc_txt_is(cases[i].text), cases[i].is,
		    "case %zu '%s'", i, cases[i].text);
}

Test(dmarc, valid_records_have_no_findings)
{
	static const char *const texts[] = {
		"v=DMARC1; p=reject; " RUA,
		"v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; "
		    "aspf=r; pct=100; t=n; fo=0:1:d:s; ri=86400; psd=n; "
		    "rua=mailto:a@b.example!10m, mailto:c@d.example; "
		    "ruf=mailto:f@b.example; rf=afrf",
		"v=DMARC1;p=none;" RUA ";",
		"v=DMARC1 ; p = none ;\t" RUA " ;;",
		"v=DMARC1; p=none; t=y; psd=u; rua=https://r.example/x!1g",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct findings f = { 0 };
		struct dmarc_txt r;

		cr_expect_eq(dmarc_txt_parse(texts[i], &r, &f), 0,
		    "%s", texts[i]);
		dump(texts[i], &f);
		cr_expect_eq(f.n, 0, "%s", texts[i]);
		cr_expect_str_eq(r.tags[0].name, "v");
		cr_expect_str_eq(r.tags[0].value, "DMARC1");
		dmarc_txt_free(&r);
		findings_free(&f);
	}
}

Test(dmarc, upper_case_names_and_values)
{
	struct findings f = { 0 };
	struct dmarc_txt r;

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; P=Reject; SP = QUARANTINE"
	    " ; ADKIM=S; RUA=MAILTO:Dmarc@Example.COM", &r, &f), 0);
	dump("upper", &f);
	cr_expect_eq(f.n, 0);
	cr_assert_eq(r.n_tags, 5);
	cr_expect_str_eq(r.tags[1].name, "p");
	cr_expect_str_eq(r.tags[1].value, "Reject");
	cr_expect_str_eq(r.tags[2].name, "sp");
	cr_expect_str_eq(r.tags[2].value, "QUARANTINE");
	cr_expect_str_eq(dmarc_txt_get(&r, "P"), "Reject");
	cr_expect_str_eq(dmarc_txt_get(&r, "adkim"), "S");
	cr_expect_null(dmarc_txt_get(&r, "np"));
	dmarc_txt_free(&r);
	findings_free(&f);
}

Test(dmarc, each_finding)
{
	static const struct {
		const char *text;
		const char *code;
		enum severity sev;
	} cases[] = {
		{ "v=DMARC1; p=none; " RUA "; junk", "dmarc-syntax",
		  SEV_ERROR },
		{ "v=DMARC1; =x; p=none; " RUA, "dmarc-syntax", SEV_ERROR },
		{ "v=DMARC1; p x=none; " RUA, "dmarc-syntax", SEV_ERROR },
		{ "v=dmarc1; p=none; " RUA, "dmarc-syntax", SEV_WARNING },
		{ "v=DMARC1; p=none; P=reject; " RUA, "dmarc-duplicate-tag",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; x=1; " RUA, "dmarc-unknown-tag",
		  SEV_WARNING },
		{ "v=DMARC1; p=block; " RUA, "dmarc-bad-value", SEV_ERROR },
		{ "v=DMARC1; p=; " RUA, "dmarc-bad-value", SEV_ERROR },
		{ "v=DMARC1; p=none; sp=x; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; np=allow; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; adkim=x; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; aspf=relaxed; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; pct=101; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; pct=-1; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; t=yes; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; fo=0:2; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; fo=1:; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; ri=1h; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; psd=x; " RUA, "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; rua=dmarc@example.com", "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; rua=mailto:", "dmarc-bad-value",
		  SEV_ERROR },
		{ "v=DMARC1; p=none; rua=mailto:a@b.example!10x",
		  "dmarc-bad-value", SEV_ERROR },
		{ "v=DMARC1; p=none; rua=mailto:a@b.example,,mailto:c@d.example",
		  "dmarc-bad-value", SEV_ERROR },
		{ "v=DMARC1; p=none; " RUA "; ruf=mailto:x y@b.example",
		  "dmarc-bad-value", SEV_ERROR },
		{ "v=DMARC1; " RUA, "dmarc-no-policy", SEV_WARNING },
		{ "v=DMARC1; sp=reject", "dmarc-no-policy", SEV_ERROR },
		{ "v=DMARC1; p=reject; pct=50; " RUA, "dmarc-pct",
		  SEV_WARNING },
		{ "v=DMARC1; p=reject", "dmarc-rua-missing", SEV_WARNING },
		{ "v=DMARC1; p=reject; rua=", "dmarc-rua-missing",
		  SEV_WARNING },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct dmarc_txt r;

		cr_expect_eq(dmarc_txt_parse(cases[i].text, &r, &f), 0,
		    "%s", cases[i].text);
		cr_expect(has_finding(&f, cases[i].code, cases[i].sev),
		    "case %zu '%s': no %s", i, cases[i].text, cases[i].code);
		expect_clean(&f);
		dmarc_txt_free(&r);
		findings_free(&f);
	}
}

Test(dmarc, duplicate_keeps_the_first)
{
	struct findings f = { 0 };
	struct dmarc_txt r;

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; p=none; p=reject; " RUA,
	    &r, &f), 0);
	cr_expect_eq(findings_count(&f, "dmarc-duplicate-tag"), 1);
	cr_expect_eq(r.n_tags, 3);
	cr_expect_str_eq(dmarc_txt_get(&r, "p"), "none");
	dmarc_txt_free(&r);
	findings_free(&f);
}

Test(dmarc, fixes_are_records)
{
	struct findings f = { 0 };
	struct dmarc_txt r;

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; " RUA, &r, &f), 0);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.v[0].fix, "v=DMARC1; p=none; " RUA);
	dmarc_txt_free(&r);
	findings_free(&f);

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; p=reject; pct=20; " RUA,
	    &r, &f), 0);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.v[0].code, "dmarc-pct");
	cr_expect_str_eq(f.v[0].fix, "v=DMARC1; p=reject; " RUA);
	dmarc_txt_free(&r);
	findings_free(&f);
}

Test(dmarc, not_a_dmarc_txt)
{
	static const char *const texts[] = { "v=spf1 -all", "", "=",
		"v=DMARC1 p=reject", "v=DMARC2; p=none", "p=none; v=DMARC1",
		";;;;", "\xff\xfe" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct findings f = { 0 };
		struct dmarc_txt r;

		cr_expect_eq(dmarc_txt_parse(texts[i], &r, &f), -1,
		    "case %zu", i);
		cr_expect_eq(r.n_tags, 0);
		cr_expect_null(r.tags);
		cr_assert_eq(f.n, 1);
		cr_expect_str_eq(f.v[0].code, "dmarc-syntax");
		cr_expect_eq(f.v[0].sev, SEV_ERROR);
		expect_clean(&f);
		dmarc_txt_free(&r);
		findings_free(&f);
	}
}

Test(dmarc, set_and_format_round_trip)
{
	struct findings f = { 0 };
	struct dmarc_txt r, c;
	char out[256];

	cr_assert_eq(dmarc_txt_parse("v=DMARC1;P=None ; pct=50;rua = "
	    "mailto:a@b.example", &r, &f), 0);
	dmarc_txt_format(&r, out, sizeof(out));
	cr_expect_str_eq(out, "v=DMARC1; p=None; pct=50; "
	    "rua=mailto:a@b.example");
	dmarc_txt_set(&r, "p", "reject");
	dmarc_txt_set(&r, "PCT", NULL);
	dmarc_txt_set(&r, "sp", "quarantine");
	dmarc_txt_set(&r, "np", NULL);
	dmarc_txt_format(&r, out, sizeof(out));
	cr_expect_str_eq(out, "v=DMARC1; p=reject; rua=mailto:a@b.example; "
	    "sp=quarantine");

	/* what was formatted parses back to the same tags */
	findings_free(&f);
	cr_assert_eq(dmarc_txt_parse(out, &c, &f), 0);
	cr_expect_eq(f.n, 0);
	cr_assert_eq(c.n_tags, r.n_tags);
	for (size_t i = 0; i < c.n_tags; i++) {
		cr_expect_str_eq(c.tags[i].name, r.tags[i].name);
		cr_expect_str_eq(c.tags[i].value, r.tags[i].value);
	}
	dmarc_txt_free(&c);

	/* a copy is deep */
	dmarc_txt_copy(&c, &r);
	dmarc_txt_set(&c, "p", "none");
	cr_expect_str_eq(dmarc_txt_get(&r, "p"), "reject");
	cr_expect_str_eq(dmarc_txt_get(&c, "p"), "none");
	dmarc_txt_free(&c);

	/* cut to the buffer, always terminated */
	dmarc_txt_format(&r, out, 9);
	cr_expect_str_eq(out, "v=DMARC1");
	dmarc_txt_free(&r);
	dmarc_txt_free(NULL);
	findings_free(&f);
}

Test(dmarc, set_inserts_p_after_v)
{
	struct findings f = { 0 };
	struct dmarc_txt r, empty = { NULL, 0 };
	char out[256];

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; rua=mailto:a@b.example",
	    &r, &f), 0);
	dmarc_txt_set(&r, "P", "none");
	dmarc_txt_set(&r, "adkim", "s");
	dmarc_txt_format(&r, out, sizeof(out));
	cr_expect_str_eq(out, "v=DMARC1; p=none; rua=mailto:a@b.example; "
	    "adkim=s");
	dmarc_txt_set(&r, "rua", NULL);
	dmarc_txt_set(&r, "adkim", NULL);
	dmarc_txt_set(&r, "ruf", NULL);
	dmarc_txt_format(&r, out, sizeof(out));
	cr_expect_str_eq(out, "v=DMARC1; p=none");
	dmarc_txt_free(&r);

	dmarc_txt_set(&empty, "p", "none");
	dmarc_txt_set(&empty, "v", "DMARC1");
	dmarc_txt_format(&empty, out, sizeof(out));
	cr_expect_str_eq(out, "v=DMARC1; p=none");
	dmarc_txt_free(&empty);
	findings_free(&f);
}

Test(dmarc, uri_mailboxes)
{
	static const struct {
		const char *value;
		const char *boxes[3];
	} cases[] = {
		{ "mailto:a@b.example!10m, mailto:c@d.example",
		  { "a@b.example", "c@d.example" } },
		{ "MAILTO:Dmarc@Example.COM", { "dmarc@example.com" } },
		{ "https://r.example/x, mailto:x@y.example!1",
		  { "x@y.example" } },
		{ "mailto:rua%2Bx@b.example,mailto:%64@e.example",
		  { "rua+x@b.example", "d@e.example" } },
		{ "mailto:a@b.example?subject=dmarc", { "a@b.example" } },
		{ " , ,mailto:,mailto:@x,mailto:x@", { NULL } },
		{ "", { NULL } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **boxes = NULL;
		size_t n = dmarc_uri_mailboxes(cases[i].value, &boxes);
		size_t want = 0;

		while (want < 3 && cases[i].boxes[want] != NULL)
			want++;
		cr_expect_eq(n, want, "case %zu: %zu mailboxes", i, n);
		for (size_t k = 0; k < n && k < want; k++)
			cr_expect_str_eq(boxes[k], cases[i].boxes[k],
			    "case %zu", i);
		for (size_t k = 0; k < n; k++)
			free(boxes[k]);
		free(boxes);
	}
}

/* ---- hostile texts -------------------------------------------------- */

static void
parse_all(const char *text)
{
	struct findings f = { 0 };
	struct dmarc_txt r;
	struct dkim_key k;
	struct sts_record s;
	struct sts_policy p;
	struct tlsrpt_record t;
	size_t len = strlen(text);
	char *body = malloc(len > 0 ? len : 1);
	char **boxes = NULL;
	size_t n;

	dmarc_txt_parse(text, &r, &f);
	dmarc_txt_free(&r);
	dkim_key_parse(text, &k, &f);
	sts_record_parse(text, &s, &f);
	/* the body is not NUL-terminated: a read past it is caught by ASan */
	memcpy(body, text, len);
	sts_policy_parse(body, len, &p, &f);
	sts_policy_free(&p);
	free(body);
	tlsrpt_record_parse(text, &t, &f);
	tlsrpt_record_free(&t);
	n = dmarc_uri_mailboxes(text, &boxes);
	for (size_t i = 0; i < n; i++)
		free(boxes[i]);
	free(boxes);
	expect_clean(&f);
	findings_free(&f);
}

Test(hostile_dns, huge_value)
{
	size_t n = 100 * 1024;
	char *text = malloc(n + 64);
	struct findings f = { 0 };
	struct dmarc_txt r;
	size_t o;

	o = (size_t)snprintf(text, 64, "v=DMARC1; p=none; rua=mailto:");
	memset(text + o, 'a', n);
	text[o + n] = '\0';
	cr_assert_eq(dmarc_txt_parse(text, &r, &f), 0);
	cr_expect_eq(r.n_tags, 3);
	for (size_t i = 0; i < f.n; i++)
		cr_expect_lt(strlen(f.v[i].message), 1024);
	dmarc_txt_free(&r);
	findings_free(&f);
	parse_all(text);
	free(text);
}

Test(hostile_dns, ten_thousand_tags)
{
	size_t n = 10000, o = 0, size = n * 16 + 64;
	char *text = malloc(size);
	struct findings f = { 0 };
	struct dmarc_txt r;

	o += (size_t)snprintf(text, size, "v=DMARC1; p=none");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, size - o, "; x%zu=%zu", i, i);
	cr_assert_eq(dmarc_txt_parse(text, &r, &f), 0);
	cr_expect_leq(r.n_tags, 256);
	cr_expect_geq(r.n_tags, 2);
	cr_expect_leq(f.n, 40, "%zu findings", f.n);
	cr_expect_eq(findings_worst(&f), SEV_ERROR);
	dmarc_txt_free(&r);
	findings_free(&f);
	parse_all(text);

	/* the same tag 10000 times */
	o = (size_t)snprintf(text, size, "v=DMARC1");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, size - o, "; p=none");
	cr_assert_eq(dmarc_txt_parse(text, &r, &f), 0);
	cr_expect_eq(r.n_tags, 2);
	cr_expect_leq(f.n, 40);
	dmarc_txt_free(&r);
	findings_free(&f);
	parse_all(text);
	free(text);
}

Test(hostile_dns, odd_separators)
{
	static const char *const texts[] = {
		"v=DMARC1; =", "v=DMARC1; ====", "v=DMARC1;;;;;;;;", ";;;;",
		"=", "v=DMARC1; p==none", "v=DMARC1; p=none=reject",
		"v=DMARC1; \xc3\xa9=\xff\xfe; p=r\xe9ject; rua=mailto:\xc3@x",
		"v=DMARC1; p=none\x01\x1b[2J; rua=mailto:a@b\x7f",
		"v=DMARC1;\t\r\n p=none\t;\trua=mailto:a@b.example\r\n",
		"v=DKIM1; p=\xff", "v=STSv1; id=\xe2\x82\xac",
		"v=TLSRPTv1; rua=mailto:\x01@x, https://\xff",
		"version: STSv1\nmode: enforce\nmx: \xff.example\nmax_age: 9\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		parse_all(texts[i]);
}

Test(hostile_dns, equals_only_and_empty_parts)
{
	struct findings f = { 0 };
	struct dmarc_txt r;

	cr_assert_eq(dmarc_txt_parse("v=DMARC1; =; ;;; p=none;;;" RUA ";",
	    &r, &f), 0);
	cr_expect_eq(r.n_tags, 3);
	cr_expect_eq(findings_count(&f, "dmarc-syntax"), 1);
	dmarc_txt_free(&r);
	findings_free(&f);
}

Test(hostile_dns, random_bytes)
{
	unsigned seed = 4711;
	static const char *const prefixes[] = { "v=DMARC1;", "v=DKIM1;",
		"v=STSv1;", "v=TLSRPTv1;", "version: STSv1\n", "" };
	static const char alphabet[] = "=;:,! \t\r\n@.*%-pPvV0aZ\x01\xc3\xa9\xff";

	for (int round = 0; round < 3000; round++) {
		char text[200];
		size_t o = (size_t)snprintf(text, sizeof(text), "%s",
		    prefixes[round % 6]);
		size_t n = (size_t)(rand_r(&seed) % 150);

		for (size_t i = 0; i < n; i++)
			text[o++] = alphabet[rand_r(&seed) %
			    (sizeof(alphabet) - 1)];
		text[o] = '\0';
		parse_all(text);
	}
}

/* ---- DKIM ----------------------------------------------------------- */

Test(dkim, rsa_key_lengths)
{
	static const struct {
		const char *text;
		int bits;
	} cases[] = {
		{ "v=DKIM1; k=rsa; p=" RSA1024, 1024 },
		{ "v=DKIM1; p=" RSA2048, 2048 },
		{ "p=" RSA2048, 2048 },
		{ "v=DKIM1; h=sha256; k=RSA; s=email; p=" RSA1024_BARE, 1024 },
		{ "V=DKIM1;K=rsa;P=" RSA1024 ";", 1024 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct dkim_key k;

		cr_expect_eq(dkim_key_parse(cases[i].text, &k, &f), 0);
		dump("dkim", &f);
		cr_expect_eq(k.bits, cases[i].bits, "case %zu: %d bits", i,
		    k.bits);
		cr_expect_str_eq(k.key_type, "rsa");
		cr_expect(k.is_valid, "case %zu", i);
		cr_expect_not(k.is_revoked);
		cr_expect_not(k.is_testing);
		cr_expect_eq(f.n, 0, "case %zu", i);
		findings_free(&f);
	}
}

Test(dkim, white_space_inside_p)
{
	char text[1024];
	const char *key = RSA2048;
	size_t o = (size_t)snprintf(text, sizeof(text), "v=DKIM1; k=rsa; p=");
	struct findings f = { 0 };
	struct dkim_key k;

	/* as a zone file or a TXT split into strings hands it out */
	for (size_t i = 0; key[i] != '\0'; i++) {
		if (i % 60 == 59)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    i % 120 == 119 ? " \t" : "\r\n ");
		text[o++] = key[i];
	}
	text[o] = '\0';
	cr_assert_eq(dkim_key_parse(text, &k, &f), 0);
	cr_expect_eq(k.bits, 2048);
	cr_expect(k.is_valid);
	cr_expect_eq(f.n, 0);
	findings_free(&f);
}

Test(dkim, ed25519)
{
	struct findings f = { 0 };
	struct dkim_key k;

	cr_assert_eq(dkim_key_parse("v=DKIM1; k=ed25519; p=" ED25519, &k,
	    &f), 0);
	cr_expect_str_eq(k.key_type, "ed25519");
	cr_expect_eq(k.bits, 256);
	cr_expect(k.is_valid);
	cr_expect_eq(f.n, 0);
	findings_free(&f);

	cr_assert_eq(dkim_key_parse("v=DKIM1; k=ed25519; p=" ED25519_SPKI,
	    &k, &f), 0);
	cr_expect_eq(k.bits, 0);
	cr_expect_not(k.is_valid);
	cr_expect_eq(findings_count(&f, "dkim-key-unreadable"), 1);
	findings_free(&f);

	cr_assert_eq(dkim_key_parse("v=DKIM1; k=rsa; p=" ED25519_SPKI, &k,
	    &f), 0);
	cr_expect_eq(k.bits, 0);
	cr_expect_eq(findings_count(&f, "dkim-key-unreadable"), 1);
	findings_free(&f);

	cr_assert_eq(dkim_key_parse("v=DKIM1; k=ed25519; p=" RSA1024, &k,
	    &f), 0);
	cr_expect_eq(k.bits, 0);
	cr_expect_eq(findings_count(&f, "dkim-key-unreadable"), 1);
	findings_free(&f);
}

Test(dkim, revoked_and_testing)
{
	struct findings f = { 0 };
	struct dkim_key k;

	cr_assert_eq(dkim_key_parse("v=DKIM1; k=rsa; p=", &k, &f), 0);
	cr_expect(k.is_revoked);
	cr_expect_not(k.is_valid);
	cr_expect_eq(k.bits, 0);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.v[0].code, "dkim-revoked");
	cr_expect_eq(f.v[0].sev, SEV_WARNING);
	findings_free(&f);

	cr_assert_eq(dkim_key_parse("v=DKIM1; t=y:s; p=" RSA1024, &k, &f),
	    0);
	cr_expect(k.is_testing);
	cr_expect(k.is_valid);
	cr_expect_eq(k.bits, 1024);
	cr_assert_eq(f.n, 1);
	cr_expect_str_eq(f.v[0].code, "dkim-testing");
	cr_expect_eq(f.v[0].sev, SEV_WARNING);
	findings_free(&f);

	cr_assert_eq(dkim_key_parse("v=DKIM1; t=s; p=" RSA1024, &k, &f), 0);
	cr_expect_not(k.is_testing);
	cr_expect_eq(f.n, 0);
	findings_free(&f);
}

Test(dkim, broken_records)
{
	static const struct {
		const char *text;
		const char *code;
	} cases[] = {
		{ "v=DKIM1; k=dsa; p=" RSA1024, "dkim-unknown-type" },
		{ "v=DKIM1; p=!!notbase64!!", "dkim-key-unreadable" },
		{ "v=DKIM1; p=aGVsbG8gd29ybGQ=", "dkim-key-unreadable" },
		{ "v=DKIM1; p=A", "dkim-key-unreadable" },
		{ "v=DKIM1; p=QUJD===", "dkim-key-unreadable" },
		{ "v=DKIM1; k=rsa", "dkim-syntax" },
		{ "v=DKIM1; p=" RSA1024 "; p=" RSA2048, "dkim-syntax" },
		{ "k=rsa; v=DKIM1; p=" RSA1024, "dkim-syntax" },
		{ "v=DKIM1; junk; p=" RSA1024, "dkim-syntax" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct dkim_key k;

		cr_expect_eq(dkim_key_parse(cases[i].text, &k, &f), 0);
		cr_expect(has_finding(&f, cases[i].code, SEV_ERROR),
		    "case %zu: no %s", i, cases[i].code);
		cr_expect_not(k.is_valid, "case %zu", i);
		findings_free(&f);
	}
}

Test(dkim, truncated_keys_are_unreadable)
{
	const char *key = RSA2048;

	/* every whole-quad prefix of a real key: no read past the bytes */
	for (size_t n = 4; n < strlen(key); n += 4) {
		char text[512];
		struct findings f = { 0 };
		struct dkim_key k;

		snprintf(text, sizeof(text), "p=%.*s", (int)n, key);
		cr_expect_eq(dkim_key_parse(text, &k, &f), 0);
		cr_expect_eq(k.bits, 0, "prefix %zu: %d bits", n, k.bits);
		cr_expect_eq(findings_count(&f, "dkim-key-unreadable"), 1);
		findings_free(&f);
	}
}

Test(dkim, not_dkim1)
{
	struct findings f = { 0 };
	struct dkim_key k;

	cr_expect_eq(dkim_key_parse("v=DKIM2; p=" RSA1024, &k, &f), -1);
	cr_expect_not(k.is_valid);
	cr_expect_eq(k.bits, 0);
	cr_expect(has_finding(&f, "dkim-syntax", SEV_ERROR));
	findings_free(&f);
	cr_expect_eq(dkim_key_parse("v=spf1 -all", &k, &f), -1);
	findings_free(&f);
}

/* ---- MTA-STS -------------------------------------------------------- */

Test(sts, records)
{
	static const struct {
		const char *text;
		int ret;
		const char *id;
		const char *code;
	} cases[] = {
		{ "v=STSv1; id=20240101T000000;", 0, "20240101T000000", NULL },
		{ " v = STSv1 ;ID=abc", 0, "abc", NULL },
		{ "v=STSv1; id=12345678901234567890123456789012", 0,
		  "12345678901234567890123456789012", NULL },
		{ "v=STSv1; id=123456789012345678901234567890123", 0, "",
		  "sts-bad-id" },
		{ "v=STSv1; id=2024-01-01", 0, "", "sts-bad-id" },
		{ "v=STSv1; id=", 0, "", "sts-bad-id" },
		{ "v=STSv1", 0, "", "sts-bad-id" },
		{ "v=STSv1; id=1; id=2", 0, "1", "sts-syntax" },
		{ "v=STSv2; id=1", -1, "", "sts-syntax" },
		{ "id=1; v=STSv1", -1, "", "sts-syntax" },
	};

	cr_expect(sts_record_is("v=STSv1; id=1"));
	cr_expect_not(sts_record_is("v=spf1"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct sts_record r;

		cr_expect_eq(sts_record_parse(cases[i].text, &r, &f),
		    cases[i].ret, "case %zu", i);
		cr_expect_str_eq(r.id, cases[i].id, "case %zu", i);
		if (cases[i].code == NULL)
			cr_expect_eq(f.n, 0, "case %zu", i);
		else
			cr_expect(has_finding(&f, cases[i].code, SEV_ERROR),
			    "case %zu: no %s", i, cases[i].code);
		findings_free(&f);
	}
}

static int
policy(const char *body, struct sts_policy *p, struct findings *f)
{
	return sts_policy_parse(body, strlen(body), p, f);
}

Test(sts, policy_lf_and_crlf)
{
	static const char *const bodies[] = {
		"version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
		    "mx: *.Example.NET\nmax_age: 604800\n",
		"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
		    "mx: *.Example.NET\r\nmax_age: 604800\r\n",
		"version:STSv1\r\nmode:enforce\r\nmx:mx1.example.com\r\n"
		    "mx:  *.example.net\r\nmax_age:604800\r\nfuture: x",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct findings f = { 0 };
		struct sts_policy p;

		cr_expect_eq(policy(bodies[i], &p, &f), 0, "case %zu", i);
		dump("policy", &f);
		cr_expect_eq(f.n, 0);
		cr_expect_eq(p.mode, STS_MODE_ENFORCE);
		cr_expect_str_eq(sts_mode_name(p.mode), "enforce");
		cr_expect_eq(p.max_age, 604800);
		cr_assert_eq(p.n_mx, 2);
		cr_expect_str_eq(p.mx[0], "mx1.example.com");
		cr_expect_str_eq(p.mx[1], "*.example.net");
		sts_policy_free(&p);
		cr_expect_null(p.mx);
		findings_free(&f);
	}
	sts_policy_free(NULL);
}

Test(sts, policy_findings)
{
	static const struct {
		const char *body;
		int ret;
		const char *code;
		enum severity sev;
	} cases[] = {
		{ "mode: enforce\nmx: mx.example.com\nmax_age: 604800\n", -1,
		  "sts-policy-syntax", SEV_ERROR },
		{ "mode: enforce\nversion: STSv1\nmx: mx.example.com\n"
		  "max_age: 604800\n", -1, "sts-policy-syntax", SEV_ERROR },
		{ "version: STSv2\nmode: enforce\nmx: mx.example.com\n"
		  "max_age: 604800\n", -1, "sts-policy-syntax", SEV_ERROR },
		{ "version: STSv1\nmode enforce\nmx: mx.example.com\n"
		  "max_age: 604800\n", -1, "sts-policy-syntax", SEV_ERROR },
		{ "version: STSv1\nmx: mx.example.com\nmax_age: 604800\n", -1,
		  "sts-policy-mode", SEV_ERROR },
		{ "version: STSv1\nmode: strict\nmx: mx.example.com\n"
		  "max_age: 604800\n", -1, "sts-policy-mode", SEV_ERROR },
		{ "version: STSv1\nmode: testing\nmax_age: 604800\n", -1,
		  "sts-policy-mx", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: a.*.example.com\n"
		  "mx: mx.example.com\nmax_age: 604800\n", -1,
		  "sts-policy-mx", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: mx.example.com\n"
		  "max_age: 31557601\n", -1, "sts-policy-max-age", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: mx.example.com\n"
		  "max_age: 1w\n", -1, "sts-policy-max-age", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: mx.example.com\n"
		  "max_age: 999999999999999999999999\n", -1,
		  "sts-policy-max-age", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: mx.example.com\n", -1,
		  "sts-policy-max-age", SEV_ERROR },
		{ "version: STSv1\nmode: enforce\nmx: mx.example.com\n"
		  "max_age: 3600\n", 0, "sts-policy-max-age", SEV_WARNING },
		{ "version: STSv1\nmode: enforce\nmode: none\n"
		  "mx: mx.example.com\nmax_age: 604800\n", 0,
		  "sts-policy-syntax", SEV_WARNING },
		{ "", -1, "sts-policy-syntax", SEV_ERROR },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct sts_policy p;

		cr_expect_eq(policy(cases[i].body, &p, &f), cases[i].ret,
		    "case %zu", i);
		cr_expect(has_finding(&f, cases[i].code, cases[i].sev),
		    "case %zu: no %s", i, cases[i].code);
		expect_clean(&f);
		sts_policy_free(&p);
		findings_free(&f);
	}
}

Test(sts, policy_none_needs_no_mx)
{
	struct findings f = { 0 };
	struct sts_policy p;

	cr_expect_eq(policy("version: STSv1\nmode: none\nmax_age: 86400\n",
	    &p, &f), 0);
	cr_expect_eq(p.mode, STS_MODE_NONE);
	cr_expect_eq(f.n, 0);
	sts_policy_free(&p);
	findings_free(&f);
}

Test(sts, policy_duplicated_mode_first_counts)
{
	struct findings f = { 0 };
	struct sts_policy p;

	policy("version: STSv1\nmode: testing\nmode: enforce\n"
	    "mx: mx.example.com\nmax_age: 60\nmax_age: 999999999\n", &p, &f);
	cr_expect_eq(p.mode, STS_MODE_TESTING);
	cr_expect_eq(p.max_age, 60);
	/* under a day is short only in enforce */
	cr_expect_eq(findings_count(&f, "sts-policy-max-age"), 0);
	cr_expect_eq(findings_count(&f, "sts-policy-syntax"), 2);
	sts_policy_free(&p);
	findings_free(&f);
}

Test(sts, mx_patterns)
{
	static const struct {
		const char *mx;
		bool is_ok;
	} cases[] = {
		{ "mx.example.com", true }, { "*.example.com", true },
		{ "MX-1.Example.Com", true }, { "xn--bcher-kva.example", true },
		{ "a.*.example.com", false }, { "*", false },
		{ "*.", false }, { "**.example.com", false },
		{ "mx.example.com.", false }, { ".example.com", false },
		{ "mx..example.com", false }, { "-mx.example.com", false },
		{ "mx_1.example.com", false }, { "localhost", false },
		{ "m\xc3\xbcnchen.example", false }, { "*.*.example", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct sts_policy p;
		char body[256];

		snprintf(body, sizeof(body), "version: STSv1\nmode: testing\n"
		    "mx: %s\nmax_age: 86400\n", cases[i].mx);
		cr_expect_eq(policy(body, &p, &f), cases[i].is_ok ? 0 : -1,
		    "case %zu '%s'", i, cases[i].mx);
		cr_expect_eq(p.n_mx, cases[i].is_ok ? 1 : 0, "case %zu", i);
		cr_expect_eq(findings_count(&f, "sts-policy-mx") > 0,
		    !cases[i].is_ok, "case %zu", i);
		expect_clean(&f);
		sts_policy_free(&p);
		findings_free(&f);
	}
}

Test(sts, policy_with_nul_bytes)
{
	static const char body[] = "version: STSv1\nmode: enforce\n"
	    "mx: mx\0.example.com\nmx: mx.example.com\nmax_age: 604800";
	struct findings f = { 0 };
	struct sts_policy p;

	cr_expect_eq(sts_policy_parse(body, sizeof(body) - 1, &p, &f), -1);
	cr_expect_eq(p.n_mx, 1);
	cr_expect_eq(p.max_age, 604800);
	cr_expect_eq(findings_count(&f, "sts-policy-mx"), 1);
	sts_policy_free(&p);
	findings_free(&f);
}

/* ---- TLS-RPT -------------------------------------------------------- */

Test(tlsrpt, records)
{
	struct findings f = { 0 };
	struct tlsrpt_record r;

	cr_expect(tlsrpt_record_is("v=TLSRPTv1; rua=mailto:a@b.example"));
	cr_expect_not(tlsrpt_record_is("v=TLSRPTv10; rua=mailto:a@b"));
	cr_assert_eq(tlsrpt_record_parse("v=TLSRPTv1; rua=mailto:tls@example"
	    ".com, https://reports.example.net/tls;", &r, &f), 0);
	dump("tlsrpt", &f);
	cr_expect_eq(f.n, 0);
	cr_assert_eq(r.n_rua, 2);
	cr_expect_str_eq(r.rua[0], "mailto:tls@example.com");
	cr_expect_str_eq(r.rua[1], "https://reports.example.net/tls");
	tlsrpt_record_free(&r);
	cr_expect_null(r.rua);
	tlsrpt_record_free(NULL);
	findings_free(&f);
}

Test(tlsrpt, findings)
{
	static const struct {
		const char *text;
		int ret;
		size_t n_rua;
		const char *code;
	} cases[] = {
		{ "v=TLSRPTv1; rua=http://reports.example.net/, "
		  "mailto:a@b.example", 0, 1, "tlsrpt-bad-rua" },
		{ "v=TLSRPTv1; rua=ftp://x.example", 0, 0, "tlsrpt-bad-rua" },
		{ "v=TLSRPTv1; rua=mailto:nobody", 0, 0, "tlsrpt-bad-rua" },
		{ "v=TLSRPTv1; rua=https://", 0, 0, "tlsrpt-bad-rua" },
		{ "v=TLSRPTv1", 0, 0, "tlsrpt-no-rua" },
		{ "v=TLSRPTv1; rua=", 0, 0, "tlsrpt-no-rua" },
		{ "v=TLSRPTv1; rua", 0, 0, "tlsrpt-syntax" },
		{ "v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example",
		  0, 1, "tlsrpt-syntax" },
		{ "v=TLSRPTv2; rua=mailto:a@b.example", -1, 0,
		  "tlsrpt-syntax" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = { 0 };
		struct tlsrpt_record r;

		cr_expect_eq(tlsrpt_record_parse(cases[i].text, &r, &f),
		    cases[i].ret, "case %zu", i);
		cr_expect_eq(r.n_rua, cases[i].n_rua, "case %zu", i);
		cr_expect(has_finding(&f, cases[i].code, SEV_ERROR),
		    "case %zu: no %s", i, cases[i].code);
		tlsrpt_record_free(&r);
		findings_free(&f);
	}
}
