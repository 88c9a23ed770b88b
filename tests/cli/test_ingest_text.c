/*
 * ingest end to end with inputs whose text used to stop the run or be
 * stored wrong: 8-bit file names and MIME filenames, internationalized
 * domains, counts and dates past their columns, TLS-RPT policies without
 * a domain, and the broken XML shapes that are repaired.  Good reports
 * are stored whatever is mixed between them, bad ones are listed, and a
 * second run stores nothing new.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "tests/test_util.h"

#define DMARC(domain, id, count, header_from) \
	"<?xml version=\"1.0\"?><feedback><report_metadata>" \
	"<org_name>text.example</org_name><email>a@text.example</email>" \
	"<report_id>" id "</report_id><date_range><begin>1700000000</begin>" \
	"<end>1700086399</end></date_range></report_metadata>" \
	"<policy_published><domain>" domain "</domain><p>none</p>" \
	"</policy_published><record><row><source_ip>192.0.2.1</source_ip>" \
	"<count>" count "</count><policy_evaluated><disposition>none" \
	"</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>" \
	"</row><identifiers><header_from>" header_from "</header_from>" \
	"</identifiers><auth_results/></record></feedback>\n"

#define TLS(id, policies) \
	"{\"organization-name\":\"text.example\",\"date-range\":" \
	"{\"start-datetime\":\"2024-01-01T00:00:00Z\",\"end-datetime\":" \
	"\"2024-01-01T23:59:59Z\"},\"contact-info\":\"tls@text.example\"," \
	"\"report-id\":\"" id "\",\"policies\":[" policies "]}\n"
#define POL(domain) \
	"{\"policy\":{\"policy-type\":\"sts\"" domain "}," \
	"\"summary\":{\"total-successful-session-count\":2," \
	"\"total-failure-session-count\":0}}"

struct input {
	const char *name;	/* may hold 8-bit bytes */
	const char *data;
	bool is_good;
};

static const struct input inputs[] = {
	{ "a_plain.xml", DMARC("example.com", "t-plain", "1", "example.com"),
	    true },
	{ "b_latin1_b\xfc" "cher.xml", DMARC("example.com", "t-latin1", "1",
	    "example.com"), true },
	{ "c_idn.xml", DMARC("B\xc3\x9c" "CHER.example", "t-idn", "2",
	    "mail.b\xc3\xbc" "cher.example"), true },
	{ "d_count_too_big.xml", DMARC("example.com", "t-big", "2199023255552",
	    "example.com"), false },
	{ "e_count_twice.xml", DMARC("example.com", "t-twice",
	    "3</count><count>4", "example.com"), false },
	{ "f_not_idna.xml", DMARC("example.com", "t-emoji", "1",
	    "\xf0\x9f\x98\x80.example"), false },
	{ "g_tls_google.json", TLS("t-google", POL("") ","
	    POL(",\"policy-domain\":\"example.com\"") "," POL("")), true },
	{ "h_tls_no_domain.json", TLS("t-nodomain", POL("") "," POL("")),
	    false },
	{ "i_tls_no_policies.json", TLS("t-empty", ""), false },
	{ "j_tls_bad_date.json", "{\"organization-name\":\"x\",\"date-range\":"
	    "{\"start-datetime\":\"2024-02-31T00:00:00Z\",\"end-datetime\":"
	    "\"2024-03-01T00:00:00Z\"},\"report-id\":\"t-date\",\"policies\":["
	    POL(",\"policy-domain\":\"example.com\"") "]}", false },
	{ "k_last.xml", DMARC("example.com", "t-last", "1", "example.com"),
	    true },
};

static const char *const repaired[] = {
	"ikea_xs-schema-never-closed.xml", "ikea_xs-schema-around-feedback.xml",
	"sitnet_quote-after-declaration.xml", "uwaterloo_unescaped-address.xml",
	"kddi_report-id-missing-lt.xml",
};

/* a zip whose one entry has an 8-bit name */
static void
add_zip(const char *dir)
{
	static const char xml[] = DMARC("example.com", "t-zip", "1",
	    "example.com");
	const char *names[] = { "r\xe9sum\xe9.xml" };
	const char *datas[] = { xml };
	size_t lens[] = { sizeof(xml) - 1 }, len;
	char *zip = test_zip(names, datas, lens, 1, &len), path[1024];

	snprintf(path, sizeof(path), "%s/in/m_entry.zip", dir);
	test_write_file(path, zip, len);
	free(zip);
}

/* the inputs, the repair fixtures and an email with a Latin-1 filename */
static char *
make_inputs(unsigned *n_good)
{
	char *dir = test_tmpdir(), path[1024];
	char *mail;
	size_t len;

	*n_good = 0;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		snprintf(path, sizeof(path), "%s/in/%s", dir, inputs[i].name);
		test_write_file(path, inputs[i].data, strlen(inputs[i].data));
		*n_good += inputs[i].is_good;
	}
	for (size_t i = 0; i < sizeof(repaired) / sizeof(repaired[0]); i++) {
		char from[512], *data;

		snprintf(from, sizeof(from), "%s/repair/%s", FIXTURES,
		    repaired[i]);
		data = test_slurp(from, &len);
		snprintf(path, sizeof(path), "%s/in/r_%s", dir, repaired[i]);
		test_write_file(path, data, len);
		free(data);
		(*n_good)++;
	}
	mail = test_email(DMARC("example.com", "t-mail", "1", "example.com"),
	    strlen(DMARC("example.com", "t-mail", "1", "example.com")),
	    "text/xml", "r\xe9sum\xe9.xml", &len);
	snprintf(path, sizeof(path), "%s/in/l_mail.eml", dir);
	test_write_file(path, mail, len);
	free(mail);
	(*n_good)++;
	add_zip(dir);
	(*n_good)++;
	return dir;
}

Test(cli_ingest_text, poison_between_good_reports_stops_nothing)
{
	char *ci = test_db_migrated(), *out, *err, *v;
	unsigned n_good;
	char *dir = make_inputs(&n_good);
	char args[1200];
	int rc;

	snprintf(args, sizeof(args), "ingest %s/in", dir);
	rc = test_dmarcctl(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%s", err);
	cr_expect(str_is_utf8(err, strlen(err)), "stderr is not UTF-8");
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"),
	    n_good, "%s", err);
	/* every poison input is listed, once, with its cause */
	cr_expect_eq(test_db_count(ci, "SELECT count(DISTINCT source) FROM "
	    "ingest_errors"), 6, "%s", err);
	cr_expect(strstr(err, "above the limit") != NULL, "%s", err);
	cr_expect(strstr(err, "two <count> values") != NULL, "%s", err);
	cr_expect(strstr(err, "not a valid internationalized") != NULL, "%s",
	    err);
	cr_expect(strstr(err, "no policy has a policy-domain") != NULL, "%s",
	    err);
	cr_expect(strstr(err, "policies is empty") != NULL, "%s", err);
	cr_expect(strstr(err, "has no day 31") != NULL, "%s", err);
	free(out);
	free(err);

	/* names as UTF-8, domains as A-labels, a domain for every policy */
	v = test_db_value(ci, "SELECT domain FROM reports WHERE report_id = "
	    "'t-idn'");
	cr_expect_str_eq(v, "xn--bcher-kva.example");
	free(v);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM records WHERE "
	    "header_from = 'mail.xn--bcher-kva.example'"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM raw_inputs "
	    "WHERE source LIKE '%b_latin1_b\xc3\xbc" "cher.xml'"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM tls_policies "
	    "WHERE policy_domain = 'example.com'"), 3);

	/* a second run stores nothing new */
	rc = test_dmarcctl(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%s", err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"),
	    n_good);
	free(out);
	free(err);
	test_db_drop(ci);
	free(dir);
}

/* parse refuses what ingest refuses, with the same causes */
Test(cli_ingest_text, parse_and_ingest_refuse_alike)
{
	unsigned n_good;
	char *dir = make_inputs(&n_good), *out, *err;
	char args[1200];
	const char *const causes[] = { "above the limit", "two <count> "
		"values", "not a valid internationalized", "no policy has a "
		"policy-domain", "policies is empty", "has no day 31" };

	/* parse reads files, not directories: the shell lists them */
	snprintf(args, sizeof(args), "parse in/*");
	cr_expect_eq(test_dmarcctl(dir, "", args, &out, &err), 65, "%s",
	    err);
	cr_expect(str_is_utf8(out, strlen(out)), "stdout is not UTF-8");
	cr_expect(str_is_utf8(err, strlen(err)), "stderr is not UTF-8");
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		cr_expect(strstr(err, causes[i]) != NULL, "no '%s' in:\n%s",
		    causes[i], err);
	/* one line a report on stdout: every good input */
	{
		unsigned n = 0;

		for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
			n++;
		cr_expect_eq(n, n_good, "%s", out);
	}
	cr_expect(strstr(out, "xn--bcher-kva.example") != NULL, "%s", out);
	free(out);
	free(err);
	free(dir);
}
