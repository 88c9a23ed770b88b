/*
 * What a mail admin meets in the first week, through the binary: a help
 * page per command, failed inputs named so they can be found (the
 * message's Date, From and Subject), their originals written back out,
 * and retried after an upgrade.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/test_util.h"

#define MULTI "corpus/aggregate/examplenet_dmarcbis-v2-testing-treewalk.xml"

static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(FIXTURES, ci, args, out, err);
}

static void
drop(char *out, char *err)
{
	free(out);
	free(err);
}

/* the commands of `dmarcctl help`: each has a whole page */
Test(everyday, every_command_has_a_help_page_with_options_and_examples)
{
	static const char *const names[] = { "parse", "ingest", "fetch",
		"reparse", "db", "reports", "errors", "raw", "summary",
		"sources", "advise", "tls", "check", "failures", "dns", "help",
		"version" };
	char *out, *err, args[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(args, sizeof(args), "help %s", names[i]);
		cr_expect_eq(dm("", args, &out, &err), 0, "%s: %s", args, err);
		cr_expect(strstr(out, "\nExamples:\n  dmarcctl ") != NULL,
		    "%s: %s", args, out);
		cr_expect(strstr(out, "See dmarcctl(1).") != NULL, "%s", out);
		drop(out, err);
	}
	/* the options of a command are on its page */
	cr_expect_eq(dm("", "advise --help", &out, &err), 0);
	cr_expect(strstr(out, "\nOptions:\n") != NULL && strstr(out,
	    "--format F            text (default) or json") != NULL, "%s",
	    out);
	drop(out, err);
	/* a usage error: the synopsis and where to read more, on stderr */
	cr_expect_eq(dm("", "errors --bogus", &out, &err), 64);
	cr_expect_str_eq(out, "");
	cr_expect(strstr(err, "usage: dmarcctl errors [WINDOW]") != NULL &&
	    strstr(err, "Try 'dmarcctl help errors'.") != NULL, "%s", err);
	drop(out, err);
	cr_expect_eq(dm("", "help nosuch", &out, &err), 64);
	cr_expect(strstr(err, "unknown command 'nosuch'") != NULL, "%s", err);
	drop(out, err);
	cr_expect_eq(dm("", "version --bogus", &out, &err), 64);
	cr_expect(strstr(err, "usage: dmarcctl version") != NULL, "%s", err);
	drop(out, err);
}

/* a message that is no report: its own name, as the errors folder shows
 * it */
static const char bad_mail[] =
    "From: DMARC Reporter <noreply-dmarc@reporter.example>\r\n"
    "To: dmarc@example.com\r\n"
    "Subject: =?utf-8?q?Report_Domain=3A_example=2Ecom_=C3=A9t=C3=A9?=\r\n"
    "Date: Tue, 10 Jun 2025 12:00:05 +0200\r\n"
    "Message-ID: <r1@reporter.example>\r\n"
    "\r\n"
    "This message has no report.\r\n";

Test(everyday, errors_name_the_message_and_raw_writes_it_back)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char path[512], args[600];
	json_t *doc, *e;
	json_error_t je;

	snprintf(path, sizeof(path), "%s/bad.eml", dir);
	test_write_file(path, bad_mail, strlen(bad_mail));
	snprintf(args, sizeof(args), "ingest %s", path);
	cr_assert_eq(dm(ci, args, &out, &err), 65, "%s", err);
	drop(out, err);

	cr_assert_eq(dm(ci, "errors --format json", &out, &err), 0, "%s",
	    err);
	doc = json_loads(out, 0, &je);
	cr_assert(doc != NULL, "%s: %s", je.text, out);
	cr_assert_eq(json_array_size(json_object_get(doc, "errors")), 1);
	e = json_array_get(json_object_get(doc, "errors"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(e, "date")),
	    "2025-06-10T10:00:05Z");
	cr_expect_str_eq(json_string_value(json_object_get(e, "from")),
	    "noreply-dmarc@reporter.example");
	cr_expect_str_eq(json_string_value(json_object_get(e, "subject")),
	    "Report Domain: example.com \xc3\xa9t\xc3\xa9");
	cr_expect_str_eq(json_string_value(json_object_get(e, "source")),
	    path);
	cr_assert(json_is_string(json_object_get(e, "original")));
	snprintf(args, sizeof(args), "raw %s",
	    json_string_value(json_object_get(e, "original")));
	json_decref(doc);
	drop(out, err);

	/* the original, byte for byte, by either name */
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, bad_mail);
	drop(out, err);
	cr_expect_eq(dm(ci, "raw 999999", &out, &err), 64);
	cr_expect_str_eq(out, "");
	cr_expect(strstr(err, "no archived original with id 999999") != NULL,
	    "%s", err);
	drop(out, err);
	cr_expect_eq(dm(ci, "raw seven", &out, &err), 64);
	drop(out, err);

	/* the window: by when the input failed, today included */
	cr_expect_eq(dm(ci, "errors --days 1 --format csv", &out, &err), 0);
	cr_expect(strstr(out, "noreply-dmarc@reporter.example") != NULL,
	    "%s", out);
	drop(out, err);
	cr_expect_eq(dm(ci, "errors --since 2020-01-01 --until 2020-02-01 "
	    "--format json", &out, &err), 0);
	cr_expect(strstr(out, "\"errors\":[]") != NULL, "%s", out);
	cr_expect(strstr(err, "no errors from 2020-01-01") != NULL, "%s",
	    err);
	drop(out, err);
	cr_expect_eq(dm(ci, "errors --domain example.com", &out, &err), 64);
	drop(out, err);
	test_db_drop(ci);
	free(dir);
}

/* an input refused under a lower limit reads under the usual one: it is
 * stored, and leaves the errors; the one that still fails stays */
Test(everyday, reparse_failed_retries_only_the_failed_inputs)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char low[512], none[512], bad[512], args[1200];

	snprintf(low, sizeof(low), "%s/low.conf", dir);
	snprintf(none, sizeof(none), "%s/none.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.eml", dir);
	test_write_file(low, "[limits]\nmax_records = 1\n", 25);
	test_write_file(none, "", 0);
	test_write_file(bad, bad_mail, strlen(bad_mail));
	snprintf(args, sizeof(args), "-c %s ingest %s %s", low, MULTI, bad);
	cr_assert_eq(dm(ci, args, &out, &err), 65, "%s", err);
	drop(out, err);
	cr_assert_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 0);
	cr_assert_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    2);

	/* still under the low limit: nothing changes */
	snprintf(args, sizeof(args), "-c %s reparse --failed", low);
	cr_expect_eq(dm(ci, args, &out, &err), 65, "%s", err);
	drop(out, err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 0);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    2);

	snprintf(args, sizeof(args), "-c %s reparse --failed", none);
	cr_expect_eq(dm(ci, args, &out, &err), 65, "%s", err);
	cr_expect(strstr(err, "2 inputs, 1 reports (1 new, 0 duplicate), 1 "
	    "failed") != NULL, "%s", err);
	drop(out, err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT sum(messages) FROM "
	    "domain_daily"), 7);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors "
	    "WHERE source LIKE '%bad.eml'"), 1);

	/* and once more: the stored one is not read again */
	snprintf(args, sizeof(args), "-c %s reparse --failed", none);
	cr_expect_eq(dm(ci, args, &out, &err), 65, "%s", err);
	cr_expect(strstr(err, "1 inputs, 0 reports") != NULL, "%s", err);
	drop(out, err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(dm(ci, "reparse --bogus", &out, &err), 64);
	drop(out, err);
	test_db_drop(ci);
	free(dir);
}

/* on a terminal the progress line is cleared before any other message:
 * a warning never lands in the middle of it */
Test(everyday, progress_line_never_collides_with_messages)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *q, *out, *err;
	char path[512], cmd[2048];
	static const char *const names[] = { "a.eml", "c.eml", "d.eml" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		test_write_file(path, bad_mail, strlen(bad_mail));
	}
	snprintf(path, sizeof(path), "%s/b.xml", dir);
	test_write_file(path, "<feedback/>", 11);
	q = test_shq(ci);
	/* script(1): stderr is a terminal */
	snprintf(cmd, sizeof(cmd), "script -qec \"%s --db %s ingest %s\" "
	    "/dev/null", DMARCCTL_BIN, q, dir);
	free(q);
	cr_assert_eq(test_run(cmd, &out, &err), 65, "%s%s", out, err);
	cr_expect(strstr(out, "inputs (") != NULL, "no progress: %s", out);
	cr_expect(strstr(out, "failed dmarcctl") == NULL, "%s", out);
	cr_expect(strstr(out, "failed\033[K\r\033[Kdmarcctl: ") != NULL,
	    "%s", out);
	/* the summary on a clean line of its own */
	cr_expect(strstr(out, "\ndmarcctl: 4 inputs, 0 reports") != NULL ||
	    strstr(out, "\r\033[Kdmarcctl: 4 inputs, 0 reports") != NULL,
	    "%s", out);
	drop(out, err);
	/* not a terminal: no progress at all */
	snprintf(cmd, sizeof(cmd), "ingest %s", dir);
	cr_expect_eq(dm(ci, cmd, &out, &err), 65);
	cr_expect(strchr(err, '\r') == NULL && strstr(err, "inputs (") ==
	    NULL, "%s", err);
	drop(out, err);
	test_db_drop(ci);
	free(dir);
}
