/*
 * dmarc_xml: the superset model of RFC 7489 and RFC 9990, normalization,
 * and what the sink sees.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "common/xalloc.h"
#include "parsers/dmarc_xml.h"
#include "tests/test_util.h"

#define META "<report_metadata><org_name>Org</org_name><email>a@b</email>" \
	"<report_id>r1</report_id><date_range><begin>1700000000</begin>" \
	"<end>1700086399</end></date_range></report_metadata>"
#define POLICY "<policy_published><domain>Example.COM.</domain>" \
	"<p>none</p></policy_published>"

/* parse one document straight through dmarc_xml_parse */
static int
parse(struct collect *c, const char *xml, const struct report_limits *lim,
    struct err *err)
{
	struct report_limits def;
	struct report_sink sink;
	struct report_env env;
	struct stream *s = NULL;
	uint64_t used = 0;
	int r;

	report_limits_default(&def);
	collect_sink(c, &sink);
	env = (struct report_env){ lim ? lim : &def, &sink, "t.xml", "",
		&used, 0 };
	stream_new_mem(&s, xml, strlen(xml), "t.xml");
	r = dmarc_xml_parse(s, &env, err);
	stream_free(s);
	return r;
}

static void
has(const struct collect *c, const char *text)
{
	cr_expect(strstr(buf_str(&c->out), text) != NULL, "'%s' not in:\n%s",
	    text, buf_str(&c->out));
}

Test(dmarc_xml, rfc9990_namespace_and_fields)
{
	struct collect c;
	struct err err;
	const char *x = "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">"
	    "<version>1.0</version>" META "<policy_published>"
	    "<domain>example.com</domain><p>reject</p><sp>quarantine</sp>"
	    "<np>reject</np><testing>Y</testing>"
	    "<discovery_method>treewalk</discovery_method>"
	    "</policy_published><record><row><source_ip>192.0.2.1</source_ip>"
	    "<count>2</count><policy_evaluated><disposition>pass</disposition>"
	    "<dkim>pass</dkim><spf>fail</spf><reason><type>policy_test_mode"
	    "</type></reason></policy_evaluated></row><identifiers>"
	    "<header_from>example.com</header_from></identifiers>"
	    "<auth_results><dkim><domain>example.com</domain><selector>s1"
	    "</selector><result>pass</result></dkim></auth_results></record>"
	    "</feedback>";

	collect_init(&c);
	cr_assert_eq(parse(&c, x, NULL, &err), 1, "%s", err.msg);
	cr_expect(c.last.is_rfc9990);
	cr_expect_eq(c.last.policy.pct, -1);
	has(&c, "\"disposition\":\"pass\"");
	has(&c, "\"type\":\"policy_test_mode\"");
	collect_release(&c);
}

Test(dmarc_xml, bis_fields_without_namespace_mark_rfc9990)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META "<policy_published><domain>"
	    "example.com</domain><p>none</p><np>reject</np></policy_published>"
	    "</feedback>", NULL, &err), 1, "%s", err.msg);
	cr_expect(c.last.is_rfc9990);
	cr_expect_eq(c.records, 0);
	collect_release(&c);
}

Test(dmarc_xml, extensions_in_other_namespaces_are_skipped)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback xmlns:e=\"urn:example:ext\">" META
	    POLICY "<e:extension><e:record><e:count>99</e:count></e:record>"
	    "</e:extension><record><row><source_ip>192.0.2.1</source_ip>"
	    "<count>1</count><e:count>50</e:count></row></record></feedback>",
	    NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(c.records, 1);
	cr_expect_eq(c.messages, 1);
	collect_release(&c);
}

Test(dmarc_xml, values_are_trimmed_and_case_folded)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META POLICY "<record><row>"
	    "<source_ip> 2001:DB8:0:0:0:0:0:1 </source_ip><count> 7 </count>"
	    "<policy_evaluated><disposition> Quarantine</disposition>"
	    "<dkim>Pass </dkim><spf>FAIL</spf></policy_evaluated></row>"
	    "<identifiers><header_from>Mail.Example.COM</header_from>"
	    "</identifiers><auth_results><spf><domain>x.org</domain>"
	    "<result>SoftFail</result></spf></auth_results></record>"
	    "</feedback>", NULL, &err), 1, "%s", err.msg);
	has(&c, "\"source_ip\":\"2001:db8::1\"");
	has(&c, "\"count\":7");
	has(&c, "\"disposition\":\"quarantine\"");
	has(&c, "\"dkim\":\"pass\",\"spf\":\"fail\"");
	has(&c, "\"header_from\":\"mail.example.com\"");
	has(&c, "\"result\":\"softfail\"");
	cr_expect_str_eq(c.domain, "example.com");
	collect_release(&c);
}

Test(dmarc_xml, several_dkim_and_spf_results_are_kept)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META POLICY "<record><row>"
	    "<source_ip>192.0.2.1</source_ip><count>1</count></row>"
	    "<auth_results><dkim><domain>a.com</domain><result>pass</result>"
	    "</dkim><dkim><domain>b.com</domain><selector>s</selector>"
	    "<result>fail</result><human_result>bad sig</human_result></dkim>"
	    "<spf><domain>a.com</domain><scope>helo</scope><result>pass"
	    "</result></spf><spf><domain>a.com</domain><scope>mfrom</scope>"
	    "<result>pass</result></spf></auth_results></record></feedback>",
	    NULL, &err), 1, "%s", err.msg);
	has(&c, "{\"domain\":\"a.com\",\"selector\":null,\"result\":\"pass\"");
	has(&c, "\"domain\":\"b.com\",\"selector\":\"s\",\"result\":\"fail\","
	    "\"human_result\":\"bad sig\"");
	has(&c, "\"scope\":\"helo\"");
	has(&c, "\"scope\":\"mfrom\"");
	collect_release(&c);
}

Test(dmarc_xml, unknown_values_are_kept_and_flagged)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META POLICY "<record><row>"
	    "<source_ip>X.X.X.X</source_ip><count>1</count><policy_evaluated>"
	    "<disposition>softfail</disposition><dkim>pass</dkim><spf>pass"
	    "</spf></policy_evaluated></row></record></feedback>", NULL, &err),
	    1, "%s", err.msg);
	has(&c, "\"disposition\":\"softfail\"");
	has(&c, "\"flags\":[\"unknown_disposition\",\"bad_source_ip\"]");
	cr_expect_geq(c.last.n_notes, 2);
	collect_release(&c);
}

Test(dmarc_xml, field_quirks_are_read)
{
	struct collect c;
	struct err err;

	/* identities for identifiers (junc.org), bare-text reason (rspamd),
	 * a repeated policy_published (the first counts) */
	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META POLICY "<policy_published>"
	    "<domain>other.org</domain><p>reject</p></policy_published>"
	    "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
	    "<policy_evaluated><reason>sampled_out</reason>"
	    "</policy_evaluated></row><identities><header_from>a.example.com"
	    "</header_from></identities></record></feedback>", NULL, &err), 1,
	    "%s", err.msg);
	cr_expect_str_eq(c.domain, "example.com");
	has(&c, "\"type\":\"sampled_out\"");
	has(&c, "\"header_from\":\"a.example.com\"");
	collect_release(&c);
}

Test(dmarc_xml, missing_essentials_are_errors)
{
	static const struct {
		const char *xml;
		const char *why;
	} cases[] = {
		{ "<feedback>" POLICY "</feedback>", "no <report_metadata>" },
		{ "<feedback><report_metadata><org_name>o</org_name>"
		  "<date_range><begin>1</begin><end>2</end></date_range>"
		  "</report_metadata>" POLICY "</feedback>", "no <report_id>" },
		{ "<feedback>" META "</feedback>", "no <policy_published>" },
		{ "<feedback>" META POLICY "<record><row><source_ip>192.0.2.1"
		  "</source_ip></row></record></feedback>", "record 1 has no "
		  "<count>" },
		{ "<feedback>" META POLICY "<record><row><count>many</count>"
		  "</row></record></feedback>",
		  "count 'many' is not a number" },
		{ "<feedback><report_metadata><report_id>x</report_id>"
		  "<date_range><begin>yesterday</begin><end>2</end>"
		  "</date_range></report_metadata></feedback>",
		  "date_range begin 'yesterday'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collect c;
		struct err err;

		collect_init(&c);
		cr_expect_eq(parse(&c, cases[i].xml, NULL, &err), -1,
		    "case %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "case %zu", i);
		cr_expect(strstr(err.msg, cases[i].why) != NULL,
		    "case %zu: '%s' not in '%s'", i, cases[i].why, err.msg);
		cr_expect_eq(c.reports, 0, "case %zu", i);
		cr_expect_eq(c.aborts, c.headers, "case %zu", i);
		collect_release(&c);
	}
}

Test(dmarc_xml, other_xml_is_not_a_report)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_expect_eq(parse(&c, "<?xml version=\"1.0\"?><html><p>hi</p></html>",
	    NULL, &err), 0);
	cr_expect_eq(c.headers, 0);
	collect_release(&c);
}

/* a failure in the middle of the records aborts the report in the sink */
static int
fail_second(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	unsigned *n = ctx;

	(void)r, (void)rec;
	if (++*n == 2)
		return err_set(err, ERR_DB, "sink is full");
	return 0;
}

static void
count_abort(void *ctx, const struct report *r)
{
	(void)r;
	*(unsigned *)ctx += 100;
}

Test(dmarc_xml, sink_failure_aborts_the_report)
{
	const char *x = "<feedback>" META POLICY
	    "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
	    "</row></record><record><row><source_ip>192.0.2.2</source_ip>"
	    "<count>1</count></row></record></feedback>";
	struct report_limits lim;
	unsigned n = 0;
	struct report_sink sink = { &n, NULL, fail_second, NULL, NULL,
		count_abort, NULL, NULL, NULL };
	struct stream *s = NULL;
	uint64_t used = 0;
	struct report_env env = { &lim, &sink, "t", "", &used, 0 };
	struct err err;

	report_limits_default(&lim);
	stream_new_mem(&s, x, strlen(x), "t");
	cr_expect_eq(dmarc_xml_parse(s, &env, &err), -1);
	cr_expect_eq(err.code, ERR_DB);
	cr_expect_str_eq(err.msg, "sink is full");
	cr_expect_eq(n, 102, "records seen + 100 per abort: %u", n);
	stream_free(s);
}

/* a sink that knows every report: counts what it is handed */
struct known {
	unsigned headers, records, ends, aborts;
};

static int
known_header(void *ctx, const struct report *r, struct err *err)
{
	(void)r, (void)err;
	((struct known *)ctx)->headers++;
	return 1;
}

static int
known_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	(void)r, (void)rec, (void)err;
	((struct known *)ctx)->records++;
	return 0;
}

static int
known_end(void *ctx, const struct report *r, struct err *err)
{
	(void)r, (void)err;
	((struct known *)ctx)->ends++;
	return 0;
}

static void
known_abort(void *ctx, const struct report *r)
{
	(void)r;
	((struct known *)ctx)->aborts++;
}

Test(dmarc_xml, a_known_report_is_not_read_past_its_header)
{
	/* what follows the first record would fail the report if read:
	 * the sink knows it, so the parser stops and ends it whole */
	const char *x = "<feedback>" META POLICY
	    "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
	    "</row></record><record><row><source_ip>192.0.2.2</source_ip>"
	    "<count>-5</count></row></record><unclosed>";
	struct report_limits lim;
	struct known k = { 0 };
	struct report_sink sink = { &k, known_header, known_record, NULL,
		known_end, known_abort, NULL, NULL, NULL };
	struct stream *s = NULL;
	uint64_t used = 0;
	struct report_env env = { &lim, &sink, "t", "", &used, 0 };
	struct err err;

	report_limits_default(&lim);
	stream_new_mem(&s, x, strlen(x), "t");
	cr_expect_eq(dmarc_xml_parse(s, &env, &err), 1, "%s", err.msg);
	cr_expect_eq(k.headers, 1);
	cr_expect_eq(k.records, 0);
	cr_expect_eq(k.ends, 1);
	cr_expect_eq(k.aborts, 0);
	stream_free(s);
}

Test(dmarc_xml, encodings_and_bad_bytes_are_repaired)
{
	static const struct {
		const char *xml;
		const char *want;
	} cases[] = {
		/* declared windows-1252: libxml2 converts */
		{ "<?xml version=\"1.0\" encoding=\"windows-1252\"?><feedback>"
		  "<report_metadata><org_name>Caf\xe9</org_name><report_id>1"
		  "</report_id><date_range><begin>1</begin><end>2</end>"
		  "</date_range></report_metadata>" POLICY "</feedback>",
		  "Caf\xc3\xa9" },
		/* 0x91 in a UTF-8 document: read as windows-1252 */
		{ "<feedback><report_metadata><org_name>\x91Q\x92</org_name>"
		  "<report_id>1</report_id><date_range><begin>1</begin><end>2"
		  "</end></date_range></report_metadata>" POLICY "</feedback>",
		  "\xe2\x80\x98Q\xe2\x80\x99" },
		/* BEL in a comment (Yahoo): replaced by a space */
		{ "<feedback>" META POLICY "<record><row><source_ip>192.0.2.1"
		  "</source_ip><count>1</count><policy_evaluated><reason><type>"
		  "local_policy</type><comment>arc=pass\x07 as</comment>"
		  "</reason></policy_evaluated></row></record></feedback>",
		  "arc=pass  as" },
		/* a UTF-8 BOM */
		{ "\xef\xbb\xbf<feedback>" META POLICY "</feedback>", "Org" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collect c;
		struct report_stats st;

		collect_init(&c);
		collect_mem(&c, cases[i].xml, strlen(cases[i].xml), NULL, &st);
		cr_expect_eq(c.reports, 1, "case %zu: %s", i,
		    buf_str(&c.failures));
		has(&c, cases[i].want);
		collect_release(&c);
	}
}

Test(dmarc_xml, parses_a_200k_record_report)
{
	/* 200k records in one report, one at a time through the sink;
	 * (make bench measures that memory stays flat) */
	struct report_limits lim;
	struct buf b;
	struct err e;
	struct collect c;

	buf_init(&b, 1u << 30);
	buf_adds(&b, "<feedback>" META POLICY, &e);
	for (int i = 0; i < 200000; i++)
		buf_addf(&b, &e, "<record><row><source_ip>10.%d.%d.%d"
		    "</source_ip><count>1</count></row></record>",
		    i >> 16 & 255, i >> 8 & 255, i & 255);
	buf_adds(&b, "</feedback>", &e);
	report_limits_default(&lim);
	collect_init(&c);
	c.out.max = (size_t)-1;
	c.rec.max = (size_t)-1;
	collect_mem(&c, b.data, b.len, &lim, NULL);
	cr_expect_eq(c.reports, 1, "%s", buf_str(&c.failures));
	cr_expect_eq(c.records, 200000);
	cr_expect_eq(c.messages, 200000);
	collect_release(&c);
	buf_release(&b);
}

#define ROW(count) "<record><row><source_ip>192.0.2.1</source_ip>" count \
	"<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>" \
	"<spf>pass</spf></policy_evaluated></row><identifiers><header_from>" \
	"example.com</header_from></identifiers><auth_results/></record>"

Test(dmarc_xml, count_above_max_count_is_limit)
{
	struct report_limits lim;
	struct collect c;
	struct err err;

	report_limits_default(&lim);
	cr_expect_eq(lim.max_count, 1ull << 40);
	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>1099511627777</count>") "</feedback>", NULL, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT, "%s", err.msg);
	cr_expect(strstr(err.msg, "record 1: count") != NULL, "%s", err.msg);
	cr_expect_eq(c.reports, 0);
	collect_release(&c);

	lim.max_count = 10;
	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>11</count>") "</feedback>", &lim, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT, "%s", err.msg);
	collect_release(&c);
	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>10</count>") "</feedback>", &lim, &err), 1, "%s",
	    err.msg);
	cr_expect_eq(c.messages, 10);
	collect_release(&c);
}

Test(dmarc_xml, negative_count_is_refused)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>-3</count>") "</feedback>", NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE, "%s", err.msg);
	cr_expect(strstr(err.msg, "negative") != NULL, "%s", err.msg);
	cr_expect_eq(c.reports, 0);
	collect_release(&c);
}

Test(dmarc_xml, repeated_count_must_agree)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>3</count><count>5</count>") "</feedback>", NULL, &err),
	    -1);
	cr_expect_eq(err.code, ERR_PARSE, "%s", err.msg);
	cr_expect(strstr(err.msg, "two <count> values, 3 and 5") != NULL,
	    "%s", err.msg);
	cr_expect_eq(c.reports, 0);
	collect_release(&c);

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META POLICY
	    ROW("<count>3</count><count> 3 </count>") "</feedback>", NULL,
	    &err), 1, "%s", err.msg);
	cr_expect_eq(c.messages, 3);
	has(&c, "repeated <count> with the same value");
	collect_release(&c);
}

Test(dmarc_xml, date_range_outside_years_1970_to_9999_is_refused)
{
	static const char *const docs[] = {
		"<feedback><report_metadata><org_name>O</org_name>"
		    "<report_id>r</report_id><date_range><begin>-62167219200"
		    "</begin><end>1</end></date_range></report_metadata>"
		    POLICY "</feedback>",
		"<feedback><report_metadata><org_name>O</org_name>"
		    "<report_id>r</report_id><date_range><begin>1</begin>"
		    "<end>253402300800</end></date_range></report_metadata>"
		    POLICY "</feedback>",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct err err;

		collect_init(&c);
		cr_expect_eq(parse(&c, docs[i], NULL, &err), -1, "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE);
		cr_expect(strstr(err.msg, "1970 to 9999") != NULL, "%s",
		    err.msg);
		cr_expect_eq(c.reports, 0);
		collect_release(&c);
	}
}

Test(dmarc_xml, domains_are_stored_as_a_labels)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_assert_eq(parse(&c, "<feedback>" META "<policy_published><domain>"
	    "B\xc3\x9c" "CHER.example</domain><p>none</p></policy_published>"
	    "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
	    "</row><identifiers><header_from>mail.b\xc3\xbc" "cher.example"
	    "</header_from></identifiers><auth_results><dkim><domain>"
	    "B\xc3\xbc" "cher.Example</domain><result>pass</result></dkim>"
	    "</auth_results></record></feedback>", NULL, &err), 1, "%s",
	    err.msg);
	cr_expect_str_eq(c.domain, "xn--bcher-kva.example");
	has(&c, "\"header_from\":\"mail.xn--bcher-kva.example\"");
	has(&c, "\"domain\":\"xn--bcher-kva.example\"");
	collect_release(&c);
}

Test(dmarc_xml, domain_that_is_not_idna_is_refused)
{
	struct collect c;
	struct err err;

	collect_init(&c);
	cr_expect_eq(parse(&c, "<feedback>" META POLICY "<record><row>"
	    "<source_ip>192.0.2.1</source_ip><count>1</count></row>"
	    "<identifiers><header_from>\xf0\x9f\x98\x80.example</header_from>"
	    "</identifiers></record></feedback>", NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect(strstr(err.msg, "record 1: header_from") == err.msg, "%s",
	    err.msg);
	cr_expect(strstr(err.msg, "not a valid internationalized domain") !=
	    NULL, "%s", err.msg);
	cr_expect_eq(c.reports, 0);
	collect_release(&c);
}
