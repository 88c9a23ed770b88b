/*
 * dmarcctl parse, end to end: the contract of dmarcctl.1 (JSON Lines,
 * --records, stdin, exit 65 with one stderr line per failed input).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "tests/test_util.h"

#define AGG "corpus/aggregate/"

static int
run(const char *args, char **out, char **err)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cd %s && %s %s", FIXTURES, DMARCCTL_BIN,
	    args);
	return test_run(cmd, out, err);
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(cli_parse, one_json_line_per_report)
{
	char *out, *err;

	cr_expect_eq(run("parse " AGG "outlook_envelope-to-two-records-no-"
	    "final-newline.xml", &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "{\"file\":\"" AGG "outlook_envelope-to-two-"
	    "records-no-final-newline.xml\",\"kind\":\"dmarc\",\"org_name\":"
	    "\"Outlook.com\",\"report_id\":\"a4f4ef0654474d3faa5dca167a34a86a\""
	    ",\"domain\":\"random.net\",\"begin\":\"2024-03-06T00:00:00Z\","
	    "\"end\":\"2024-03-07T00:00:00Z\",\"records\":2,\"messages\":3}\n");
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
}

Test(cli_parse, records_follow_their_report)
{
	char *out, *err;

	cr_expect_eq(run("parse --records " AGG "outlook_envelope-to-two-"
	    "records-no-final-newline.xml", &out, &err), 0, "%s", err);
	cr_expect_eq(lines(out), 3);
	cr_expect(strncmp(out, "{\"file\":", 8) == 0);
	cr_expect(strstr(out, "\n{\"record\":{\"source_ip\":") != NULL, "%s",
	    out);
	free(out);
	free(err);
}

Test(cli_parse, a_bad_input_exits_65_and_the_rest_is_read)
{
	char *out, *err;

	cr_expect_eq(run("parse " AGG "testcom_unclosed-report-metadata.xml "
	    AGG "yahoo_strict-alignment-no-sp.xml", &out, &err), 65);
	cr_expect_eq(lines(out), 1, "%s", out);
	cr_expect(strstr(out, "\"org_name\":\"Yahoo\"") != NULL);
	cr_expect_eq(lines(err), 1, "%s", err);
	cr_expect(strncmp(err, "dmarcctl: " AGG "testcom_unclosed-report-"
	    "metadata.xml: line 9: ", 60) == 0, "%s", err);
	free(out);
	free(err);
}

Test(cli_parse, reads_stdin)
{
	char *out, *err;

	cr_expect_eq(test_run("cd " FIXTURES " && gzip -c " AGG "mailru_single-"
	    "line-no-version.xml | " DMARCCTL_BIN " parse -", &out, &err), 0,
	    "%s", err);
	cr_expect(strstr(out, "\"file\":\"stdin\"") != NULL, "%s", out);
	cr_expect(strstr(out, "\"org_name\":\"Mail.Ru\"") != NULL, "%s", out);
	free(out);
	free(err);
}

Test(cli_parse, exit_codes)
{
	static const struct {
		const char *args;
		int status;
		const char *err;
	} cases[] = {
		{ "parse", 64, "no input given" },
		{ "parse --bogus x", 64, "usage" },
		{ "frobnicate", 64, "unknown command" },
		{ "parse /nonexistent.xml", 74,
		  "cannot open /nonexistent.xml" },
		{ "parse corpus/email/exampleorg_email-no-attachment.eml", 65,
		  "no report found in the message (parts: text/plain)" },
		{ "-c /nonexistent.conf parse x", 64, "cannot open config" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err;

		cr_expect_eq(run(cases[i].args, &out, &err), cases[i].status,
		    "%s: %s", cases[i].args, err);
		cr_expect(strstr(err, cases[i].err) != NULL, "%s: %s",
		    cases[i].args, err);
		cr_expect_str_eq(out, "", "%s: stdout is for data only",
		    cases[i].args);
		free(out);
		free(err);
	}
}

Test(cli_parse, caps_come_from_the_config_file)
{
	char *dir = test_tmpdir(), conf[512], args[1024], *out, *err;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fputs("# test\n[limits]\nmax_records = 1   # tiny\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "-c %s parse " AGG
	    "zoho_no-version-spf-helo-no-domain.xml", conf);
	cr_expect_eq(run(args, &out, &err), 65);
	cr_expect(strstr(err, "more than 1 records") != NULL, "%s", err);
	free(out);
	free(err);
	f = fopen(conf, "w");
	fputs("[limits]\nmax_recordz = 1\n", f);
	fclose(f);
	cr_expect_eq(run(args, &out, &err), 64);
	cr_expect(strstr(err, "line 2: unknown setting 'limits.max_recordz'")
	    != NULL, "%s", err);
	free(out);
	free(err);
	unlink(conf);
	rmdir(dir);
	free(dir);
}
