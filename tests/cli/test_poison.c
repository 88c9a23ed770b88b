/*
 * One bad input never stops the pipeline: the poison inputs of
 * tests/poison.h between valid reports, through `ingest DIR` and
 * `ingest -` (an mbox), into a fresh database each.  Every valid report
 * is stored, every poison input stored or listed with its original, the
 * exit status is 65, a second run stores nothing new, and every query
 * command still answers, printing no control character to a terminal.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/xalloc.h"
#include "tests/poison.h"
#include "tests/test_util.h"

/* a config whose resolver answers nothing, at once */
static char *
quiet_config(const char *dir)
{
	char *path = xmalloc(strlen(dir) + 32), text[256];

	sprintf(path, "%s/dmarcctl.conf", dir);
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 200\n", test_free_port(SOCK_DGRAM));
	test_write_file(path, text, strlen(text));
	return path;
}

/* a control character a terminal would act on (C0 but \t \n, DEL, C1) */
static const char *
control_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
			return (const char *)p;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return (const char *)p;
	}
	return NULL;
}

/* every query command answers (0, or 1 for a finding), text clean */
static void
query_all(const char *ci, const char *conf)
{
	static const char *const cmds[] = { "summary", "sources", "advise",
		"tls", "reports", "errors", "check", "summary --format json",
		"sources --format json", "advise --format json",
		"tls --format json", "reports --format json",
		"errors --format json", "summary --format csv" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char args[512], *out, *err;
		const char *bad;
		int rc;

		snprintf(args, sizeof(args), "-c '%s' %s", conf, cmds[i]);
		rc = test_dmarcctl(NULL, ci, args, &out, &err);
		cr_expect(rc == 0 || (rc == 1 && strcmp(cmds[i], "check") == 0),
		    "%s: exit %d: %s", cmds[i], rc, err);
		bad = control_char(out);
		cr_expect_null(bad, "%s prints a control character: ...%.40s",
		    cmds[i], bad != NULL ? bad - (bad - out > 20 ? 20 : 0) : "");
		bad = control_char(err);
		cr_expect_null(bad, "%s: stderr has a control character",
		    cmds[i]);
		free(out);
		free(err);
	}
}

static long long
stored(const char *ci)
{
	return test_db_count(ci, "SELECT count(*) FROM reports");
}

/*
 * `dmarcctl ARGS` over the poison twice: the first run stores or lists
 * every item and exits 65 with an escaped stderr, the second stores and
 * lists nothing new.  Returns the second run's stdout (malloc'd).
 */
static char *
ingest_twice(const char *ci, const char *args, const struct poison *p,
    size_t n)
{
	char *out, *err;
	long long reports, errors;
	int rc;

	rc = test_dmarcctl(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "exit %d: %s", rc, err);
	cr_expect_null(control_char(err), "stderr is escaped: %s", err);
	free(out);
	free(err);
	poison_check(ci, p, n);

	reports = stored(ci);
	errors = test_db_count(ci, "SELECT count(*) FROM ingest_errors");
	rc = test_dmarcctl(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "exit %d: %s", rc, err);
	cr_expect_eq(stored(ci), reports);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    errors, "nothing listed twice");
	free(err);
	return out;
}

Test(poison, a_directory_of_poison_between_valid_reports, .timeout = 120)
{
	struct poison *p;
	size_t n = poison_make(&p);
	char *dir = test_tmpdir(), *ci = test_db_migrated(), *conf;
	char args[1024], path[1024];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/in/%s", dir, p[i].name);
		test_write_file(path, p[i].data, p[i].len);
	}
	conf = quiet_config(dir);
	snprintf(args, sizeof(args), "ingest '%s/in'", dir);
	free(ingest_twice(ci, args, p, n));

	query_all(ci, conf);
	free(conf);
	poison_free(p, n);
	test_db_drop(ci);
	free(dir);
}

Test(poison, an_mbox_of_poison_on_stdin, .timeout = 120)
{
	struct poison *p;
	size_t n = poison_make(&p);
	char *dir = test_tmpdir(), *ci = test_db_migrated(), *conf, *out;
	char args[1200], path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/reports.mbox", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *m = poison_mail(&p[i], &len);

		fprintf(f, "From dmarc@reporter.example Thu Dec  3 06:00:00 "
		    "2026\n");
		cr_assert_eq(fwrite(m, 1, len, f), len);
		fputs("\n", f);
		free(m);
	}
	cr_assert_eq(fclose(f), 0);
	conf = quiet_config(dir);
	snprintf(args, sizeof(args), "ingest --json - < '%s'", path);
	out = ingest_twice(ci, args, p, n);
	cr_expect(strstr(out, "\"new\":0") != NULL, "nothing new: %s", out);
	free(out);

	query_all(ci, conf);
	free(conf);
	poison_free(p, n);
	test_db_drop(ci);
	free(dir);
}
