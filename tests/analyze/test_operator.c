/*
 * The operator map: lookups against the real table built from
 * data/parsedmarc-maps/, base domains with every kind of PSL override,
 * and the generator (scripts/operator-gen.c) on good and broken input.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/operator.h"
#include "analyze/operator_p.h"
#include "common/err.h"
#include "common/xalloc.h"
#include "model/orgdomain.h"
#include "tests/test_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
psl_load(void)
{
	struct err err = { 0 };

	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
}

static void
psl_unload(void)
{
	orgdomain_cleanup();
}

/* Rows of base_reverse_dns_map.csv as the build carries them. */
Test(operator, finds_real_entries)
{
	static const struct {
		const char *domain, *name, *type;
	} cases[] = {
		{ "sendgrid.net", "Twilio SendGrid", "Marketing" },
		{ "mcsv.net", "Intuit Mailchimp", "Marketing" },
		{ "google.com", "Google (Including Gmail and Google Workspace)",
		  "Email Provider" },
		{ "outlook.com", "Outlook (Personal and Microsoft 365)",
		  "Email Provider" },
		{ "mimecast.com", "Mimecast", "Email Security" },
		{ "amazonses.com", "Amazon SES", "SaaS" },
		{ "amazonaws.com", "Amazon Web Services (AWS)", "PaaS" },
		{ "0101host.com", "0101HOST", "Web Host" },
		/* a name with a comma: a quoted CSV field */
		{ "1-msp.net", "Internet de Nuevo Laredo, S.A de C.V.", "ISP" },
		/* the map's key ends in a dot */
		{ "communicate.technology", "Communicate", "ISP" },
		/* the map's key is in Unicode: the table has its xn-- form */
		{ "xn--e1akbobkf.xn--p1ai", "Ix-2", "ISP" },
		{ "xn--aelovideocableavc-fxb.com", "AVC", "ISP" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		const struct operator *op = operator_lookup(cases[i].domain);

		cr_assert_not_null(op, "%s", cases[i].domain);
		cr_expect_str_eq(op->domain, cases[i].domain);
		cr_expect_str_eq(op->name, cases[i].name, "%s",
		    cases[i].domain);
		cr_expect_str_eq(op->type, cases[i].type, "%s",
		    cases[i].domain);
	}
}

/* The nearest domain of the map on the way up, whatever the case and a
 * trailing dot; nothing for names that only look alike. */
Test(operator, parents_case_and_trailing_dot)
{
	static const struct {
		const char *name, *domain;	/* domain NULL: no match */
	} cases[] = {
		{ "o1.mail.sendgrid.net", "sendgrid.net" },
		{ "O1.Mail.SendGrid.NET", "sendgrid.net" },
		{ "o1.mail.sendgrid.net.", "sendgrid.net" },
		{ "SENDGRID.NET.", "sendgrid.net" },
		{ "mail-wr1-f54.google.com", "google.com" },
		{ "a8-1.smtp-out.amazonses.com", "amazonses.com" },
		{ "ec2-1-2-3-4.compute-1.amazonaws.com", "amazonaws.com" },
		/* the label next to the match counts, not the end of the text */
		{ "notsendgrid.net", NULL },
		{ "sendgrid.net.example", NULL },
		{ "mail.example.invalid", NULL },
		{ "net", NULL },
		{ ".", NULL },
		{ "", NULL },
		{ "sendgrid.net..", NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		const struct operator *op = operator_lookup(cases[i].name);

		if (cases[i].domain == NULL) {
			cr_expect_null(op, "%s found %s", cases[i].name,
			    op ? op->domain : "");
			continue;
		}
		cr_assert_not_null(op, "%s", cases[i].name);
		cr_expect_str_eq(op->domain, cases[i].domain, "%s",
		    cases[i].name);
	}
}

Test(operator, no_match_for_null_or_overlong)
{
	char name[400];

	cr_expect_null(operator_lookup(NULL));
	memset(name, 'a', sizeof(name));
	memcpy(name + sizeof(name) - sizeof(".sendgrid.net"),
	    ".sendgrid.net", sizeof(".sendgrid.net"));
	cr_expect_null(operator_lookup(name));
}

/* Sorted, unique, lower case: what the binary search relies on; and each
 * row found by its own domain. */
Test(operator, table_is_sorted_and_complete)
{
	cr_assert_gt(operator_table_len, 38000);
	for (size_t i = 0; i < operator_table_len; i++) {
		const struct operator *row = &operator_table[i];

		if (i > 0)
			cr_assert_lt(strcmp(operator_table[i - 1].domain,
			    row->domain), 0, "%s", row->domain);
		for (const char *p = row->domain; *p != '\0'; p++)
			cr_assert(!(*p >= 'A' && *p <= 'Z'), "%s", row->domain);
		cr_assert_eq(operator_lookup(row->domain), row, "%s",
		    row->domain);
	}
	for (size_t i = 1; i < operator_overrides_len; i++)
		cr_assert_lt(strcmp(operator_overrides[i - 1],
		    operator_overrides[i]), 0, "%s", operator_overrides[i]);
}

/* The PSL's answer unless an override of psl_overrides.txt covers the
 * name; the PSL column says what it alone would give. */
Test(operator, base_follows_every_kind_of_override, .init = psl_load,
    .fini = psl_unload)
{
	static const struct {
		const char *name, *base, *psl;
	} cases[] = {
		/* "-applefibernet.com": any name that ends so */
		{ "customer1-applefibernet.com", "applefibernet.com",
		  "customer1-applefibernet.com" },
		{ "a.b-applefibernet.com", "applefibernet.com",
		  "b-applefibernet.com" },
		{ "applefibernet.com", "applefibernet.com", NULL },
		{ "xapplefibernet.com", "xapplefibernet.com", NULL },
		/* ".akamaiedge.net", ".amazonaws.com", ".appspot.com": names
		 * under them, deeper than the PSL's suffixes reach */
		{ "e3191.c.akamaiedge.net", "akamaiedge.net",
		  "c.akamaiedge.net" },
		{ "ec2-1-2-3-4.compute-1.amazonaws.com", "amazonaws.com",
		  "ec2-1-2-3-4.compute-1.amazonaws.com" },
		{ "mta.example.appspot.com", "appspot.com",
		  "example.appspot.com" },
		/* "tigobusiness.com.ni": itself and names under it, whole
		 * labels only */
		{ "tigobusiness.com.ni", "tigobusiness.com.ni", NULL },
		{ "host.tigobusiness.com.ni", "tigobusiness.com.ni", NULL },
		{ "xtigobusiness.com.ni", "xtigobusiness.com.ni", NULL },
		/* case and a trailing dot do not matter */
		{ "E3191.C.AkamaiEdge.NET.", "akamaiedge.net", NULL },
		{ "Customer1-AppleFibernet.COM.", "applefibernet.com", NULL },
		/* no override: the organizational domain */
		{ "o1.mail.sendgrid.net", "sendgrid.net", "sendgrid.net" },
		{ "mail.example.co.uk", "example.co.uk", "example.co.uk" },
		{ "Mail.Example.COM.", "example.com", "example.com" },
	};
	char out[256], psl[256];

	for (size_t i = 0; i < NELEM(cases); i++) {
		const char *got = operator_base(cases[i].name, out,
		    sizeof(out));

		cr_assert_not_null(got, "%s", cases[i].name);
		cr_expect_str_eq(got, cases[i].base, "%s", cases[i].name);
		if (cases[i].psl == NULL)
			continue;
		cr_assert_not_null(orgdomain_of(cases[i].name, psl,
		    sizeof(psl)));
		cr_expect_str_eq(psl, cases[i].psl, "PSL for %s",
		    cases[i].name);
	}
}

Test(operator, base_that_does_not_fit, .init = psl_load, .fini = psl_unload)
{
	char out[sizeof("akamaiedge.net")];

	cr_expect_not_null(operator_base("e1.c.akamaiedge.net", out,
	    sizeof(out)));
	cr_expect_null(operator_base("e1.c.akamaiedge.net", out,
	    sizeof(out) - 1));
	cr_expect_null(operator_base("mail.example-long-name.com", out,
	    sizeof(out)));
}

/* From a PTR name to its operator, as `sources` goes. */
Test(operator, names_the_sender_of_a_ptr, .init = psl_load,
    .fini = psl_unload)
{
	char base[256];
	const struct operator *op;

	cr_assert_not_null(operator_base("e3191.c.akamaiedge.net", base,
	    sizeof(base)));
	op = operator_lookup(base);
	cr_assert_not_null(op);
	cr_expect_str_eq(op->name, "Akamai");
	cr_expect_str_eq(op->type, "Technology");
}

/* ---- the generator ---- */

/* The result of one operator-gen run in a directory of its own. */
struct gen {
	int status;
	char *out;		/* the C file written, NULL when none */
	char *err;		/* its stderr */
};

static struct gen
gen_run(const char *csv, size_t csv_len, const char *overrides)
{
	char *dir = test_tmpdir(), *out = NULL;
	char map[512], over[512], c[512], cmd[2048];
	struct gen g = { 0 };
	size_t len;

	snprintf(map, sizeof(map), "%s/map.csv", dir);
	snprintf(over, sizeof(over), "%s/overrides.txt", dir);
	snprintf(c, sizeof(c), "%s/operators.c", dir);
	test_write_file(map, csv, csv_len);
	test_write_file(over, overrides, strlen(overrides));
	snprintf(cmd, sizeof(cmd), "%s %s %s %s", OPERATOR_GEN, map, over, c);
	g.status = test_run(cmd, &out, &g.err);
	free(out);
	if (access(c, F_OK) == 0) {
		g.out = test_slurp(c, &len);
		unlink(c);
	}
	cr_assert_eq(access(c, F_OK), -1, "operators.c stays");
	snprintf(c, sizeof(c), "%s/operators.c.tmp", dir);
	cr_assert_eq(access(c, F_OK), -1, "a temporary file stays");
	unlink(map);
	unlink(over);
	rmdir(dir);
	free(dir);
	return g;
}

static void
gen_free(struct gen *g)
{
	free(g->out);
	free(g->err);
}

#define HEADER "base_reverse_dns,name,type\n"

/* BOM, CRLF, quotes, commas, "" in a name, case, a trailing dot, the same
 * row twice, a Unicode domain, blank lines among the overrides. */
Test(operator, generator_reads_real_csv_shapes)
{
	static const char csv[] =
	    "\xef\xbb\xbf" "base_reverse_dns,name,type\r\n"
	    "Mail.Example.COM.,\"Example, Inc. \"\"Ex\"\"\",Email Provider\r\n"
	    "a.example,A,ISP\r\n"
	    "a.example,A,ISP\r\n"
	    "\"quoted.example\",  Spaced  ,SaaS\r\n"
	    "\xd0\xbf\xd0\xbb\xd0\xb5\xd0\xba\xd1\x81\xd0\xbe\xd1\x80.\xd1\x80"
	    "\xd1\x84,Ix-2,ISP\r\n"
	    "what.example,Who?? Me?,Web Host";
	struct gen g = gen_run(csv, sizeof(csv) - 1,
	    "\xef\xbb\xbf-dash.example\r\n\r\n.Dot.Example\nbare.example\n");

	cr_assert_eq(g.status, 0, "%s", g.err);
	cr_assert_not_null(g.out);
	cr_expect_not_null(strstr(g.out, "\t{ \"a.example\", \"A\", \"ISP\" },\n"
	    "\t{ \"mail.example.com\", \"Example, Inc. \\\"Ex\\\"\", "
	    "\"Email Provider\" },\n"
	    "\t{ \"quoted.example\", \"Spaced\", \"SaaS\" },\n"
	    "\t{ \"what.example\", \"Who\\?\\? Me\\?\", \"Web Host\" },\n"
	    "\t{ \"xn--e1akbobkf.xn--p1ai\", \"Ix-2\", \"ISP\" },\n};\n"
	    "const size_t operator_table_len = 5;\n"), "%s", g.out);
	cr_expect_not_null(strstr(g.out, "\t\"-dash.example\",\n"
	    "\t\".dot.example\",\n\t\"bare.example\",\n};\n"
	    "const size_t operator_overrides_len = 3;\n"), "%s", g.out);
	gen_free(&g);
}

/* Malformed input stops the build with the file, the line and what is
 * wrong, and writes nothing. */
Test(operator, generator_rejects_malformed_input)
{
	static const struct {
		const char *csv;
		size_t len;		/* 0: strlen(csv) */
		const char *overrides;
		const char *msg;	/* in stderr after "FILE:" */
	} cases[] = {
		{ "", 0, "", "map.csv:1: empty file" },
		{ "domain,name,type\n", 0, "",
		  "map.csv:1: header field 1 is 'domain'" },
		{ HEADER, 0, "", "map.csv:1: no records" },
		{ HEADER "a.example,A\n", 0, "",
		  "map.csv:2: 2 fields, expected 3" },
		{ HEADER "a.example,A,ISP,x\n", 0, "",
		  "map.csv:2: 4 fields, expected 3" },
		{ HEADER "a.example,\"A,ISP\n", 0, "",
		  "map.csv:2: line break inside a quoted field" },
		{ HEADER "a.example,\"A,ISP", 0, "",
		  "map.csv:2: a quoted field never ends" },
		{ HEADER "a.example,A \"B\",ISP\n", 0, "",
		  "map.csv:2: quote inside an unquoted field" },
		{ HEADER "a.example,\"A\"B,ISP\n", 0, "",
		  "map.csv:2: text after the closing quote" },
		{ HEADER "a.example,A,ISP\rb.example,B,ISP\n", 0, "",
		  "map.csv:2: carriage return without a line feed" },
		{ HEADER "a.example,A,ISP\n\nb.example,B,ISP\n", 0, "",
		  "map.csv:3: empty line" },
		{ HEADER "a.example,,ISP\n", 0, "", "map.csv:2: empty name" },
		{ HEADER "a.example,A, \n", 0, "", "map.csv:2: empty type" },
		{ HEADER "a.example,A\tB,ISP\n", 0, "",
		  "map.csv:2: control character 0x09 in the name" },
		{ HEADER "a.example,A\xff,ISP\n", 0, "",
		  "map.csv:2: the name is not UTF-8" },
		{ HEADER "a example,A,ISP\n", 0, "",
		  "map.csv:2: domain 'a example' is no domain name" },
		{ HEADER "a..example,A,ISP\n", 0, "",
		  "map.csv:2: domain 'a..example' is no domain name" },
		{ HEADER ",A,ISP\n", 0, "", "map.csv:2: domain '' is no domain" },
		{ HEADER "a.example,A,ISP\nb.example,B,ISP\nA.example.,C,ISP\n",
		  0, "", "map.csv:4: a.example is 'C' (ISP) here but 'A' (ISP) "
		  "on line 2" },
		{ HEADER "a.example,A,ISP\nb.ex\0ample,B,ISP\n",
		  sizeof(HEADER "a.example,A,ISP\nb.ex\0ample,B,ISP\n") - 1, "",
		  "map.csv:3: NUL byte" },
		{ HEADER "a.example,A,ISP\n", 0, ".ok.example\n-\n",
		  "overrides.txt:2: override '' is no domain name" },
		{ HEADER "a.example,A,ISP\n", 0, "bad name.example\n",
		  "overrides.txt:1: override 'bad name.example' is no domain" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		size_t len = cases[i].len ? cases[i].len :
		    strlen(cases[i].csv);
		struct gen g = gen_run(cases[i].csv, len, cases[i].overrides);

		cr_expect_eq(g.status, 1, "case %zu: exit %d", i, g.status);
		cr_expect_null(g.out, "case %zu wrote a table", i);
		cr_expect_not_null(strstr(g.err, cases[i].msg),
		    "case %zu: want '%s' in '%s'", i, cases[i].msg, g.err);
		cr_expect_eq(strncmp(g.err, "operator-gen: ", 14), 0,
		    "case %zu: %s", i, g.err);
		gen_free(&g);
	}
}

Test(operator, generator_usage)
{
	char *out = NULL, *err = NULL;

	cr_expect_eq(test_run(OPERATOR_GEN " only-one-file", &out, &err), 64);
	cr_expect_not_null(strstr(err, "usage: operator-gen"), "%s", err);
	free(out);
	free(err);
	cr_expect_eq(test_run(OPERATOR_GEN " /nonexistent/map.csv "
	    "/nonexistent/o.txt /tmp/never.c", &out, &err), 1);
	cr_expect_not_null(strstr(err, "cannot open /nonexistent/map.csv"),
	    "%s", err);
	free(out);
	free(err);
}
