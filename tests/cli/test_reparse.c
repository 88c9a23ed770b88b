/*
 * dmarcctl reparse end to end: at every moment each report is in its old
 * or its new form (killed with SIGKILL at random moments, the reports and
 * rollups others see never change), and an archived input that no longer
 * parses is listed and skipped with its old rows kept.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sys/wait.h>

#include "common/buf.h"
#include "tests/test_util.h"

enum { N_REPORTS = 300, N_RECORDS = 6, N_KILLS = 20 };

/* report i: records with several sources, verdicts and auth results */
static void
write_report(const char *dir, int i)
{
	char path[512];
	struct buf b;
	struct err err;

	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>r@example.net"
	    "</email><report_id>rp-%d</report_id><date_range><begin>%d"
	    "</begin><end>%d</end></date_range></report_metadata>"
	    "<policy_published><domain>example%d.com</domain><adkim>r"
	    "</adkim><aspf>r</aspf><p>none</p></policy_published>",
	    i % 3 ? "Google.com" : "Yahoo! Inc.", i, 1714521600 + i % 40 *
	    86400, 1714521600 + i % 40 * 86400 + 86399, i % 7), 0);
	for (int j = 0; j < N_RECORDS; j++)
		cr_assert_eq(buf_addf(&b, &err, "<record><row><source_ip>"
		    "192.0.2.%d</source_ip><count>%d</count>"
		    "<policy_evaluated><disposition>none</disposition><dkim>%s"
		    "</dkim><spf>%s</spf>%s</policy_evaluated></row>"
		    "<identifiers><header_from>%sexample%d.com</header_from>"
		    "</identifiers><auth_results><dkim><domain>%s</domain>"
		    "<selector>s%d</selector><result>%s</result></dkim><spf>"
		    "<domain>example%d.com</domain><result>%s</result></spf>"
		    "</auth_results></record>", (i + j) % 50, 1 + j % 4,
		    j % 3 ? "pass" : "fail", j % 2 ? "pass" : "fail",
		    j == 5 ? "<reason><type>forwarded</type></reason>" : "",
		    j == 4 ? "news." : "", i % 7, j % 3 ? "example.com" :
		    "esp.example.net", j, j % 3 ? "pass" : "fail", i % 7,
		    j % 2 ? "pass" : "softfail"), 0);
	cr_assert_eq(buf_addf(&b, &err, "</feedback>\n"), 0);
	snprintf(path, sizeof(path), "%s/r%03d.xml", dir, i);
	test_write_file(path, b.data, b.len);
	buf_release(&b);
}

/* what others see: the reports, their rows and every rollup */
static const char snapshot_sql[] = "SELECT format('%s|%s|%s|%s|%s|%s|%s|"
    "%s|%s', (SELECT count(*) FROM reports), (SELECT sum(messages) FROM "
    "reports), (SELECT count(*) FROM records), (SELECT count(*) FROM "
    "dkim_results) + (SELECT count(*) FROM spf_results) + (SELECT count(*) "
    "FROM record_reasons), (SELECT md5(string_agg(report_id || ' ' || "
    "encode(report_key, 'hex'), ',' ORDER BY report_id)) FROM reports), "
    "(SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM "
    "domain_daily t), (SELECT md5(string_agg(t::text, ',' ORDER BY "
    "t::text)) FROM source_daily t), (SELECT count(*) FROM (SELECT domain, "
    "report FROM records EXCEPT SELECT domain, id FROM reports) o), "
    "(SELECT count(*) FROM ingest_errors))";

static char *
snapshot(const char *ci)
{
	return test_db_value(ci, snapshot_sql);
}

static PGconn *
connect_ok(const char *ci)
{
	PGconn *c = PQconnectdb(ci);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	return c;
}

static long long
report_count(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT count(*) FROM reports");
	long long n;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(c));
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * `dmarcctl reparse`, killed with SIGKILL after ms milliseconds, the
 * report count read all the while; whether it was still running.
 */
static bool
kill_reparse_after(const char *ci, long ms, long long want, const char *when)
{
	PGconn *c = connect_ok(ci);
	struct timespec t0;
	pid_t pid;
	int st;
	bool was_running;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(DMARCCTL_BIN, DMARCCTL_BIN, "-q", "--db", ci, "reparse",
		    (char *)NULL);
		_exit(127);
	}
	/* readers are never kept waiting, and never see fewer reports (an
	 * assertion would leave the child running: expect, and stop) */
	while (elapsed_ms(&t0) < ms) {
		long long n = report_count(c);

		if (n != want) {
			cr_expect_eq(n, want, "%s: while it ran", when);
			break;
		}
	}
	was_running = kill(pid, SIGKILL) == 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	was_running = was_running && WIFSIGNALED(st);
	if (!was_running)
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status "
		    "%d", when, st);
	cr_expect_eq(report_count(c), want, "%s: after", when);
	PQfinish(c);
	return was_running;
}

/* a store of N_REPORTS reports from dir; its snapshot */
static char *
loaded(char **ci, char **dir)
{
	char args[1024], *out, *err;

	*ci = test_db_migrated();
	*dir = test_tmpdir();
	for (int i = 0; i < N_REPORTS; i++)
		write_report(*dir, i);
	snprintf(args, sizeof(args), "-q ingest %s", *dir);
	cr_assert_eq(test_dmarcctl(NULL, *ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(test_db_count(*ci, "SELECT count(*) FROM reports"),
	    N_REPORTS);
	return snapshot(*ci);
}

Test(reparse, rebuilds_the_same_rows_and_rollups, .timeout = 300)
{
	char *ci, *dir, *before = loaded(&ci, &dir), *after, *out, *err;

	cr_expect_eq(test_dmarcctl(NULL, ci, "reparse", &out, &err), 0, "%s",
	    err);
	after = snapshot(ci);
	cr_expect_str_eq(after, before);
	free(out);
	free(err);
	free(after);
	free(before);
	free(dir);
	test_db_drop(ci);
}

Test(reparse, killed_at_random_moments_loses_nothing, .timeout = 600)
{
	char *ci, *dir, *before = loaded(&ci, &dir), *after, *out, *err;
	char when[96];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	struct timespec t0;
	long full;
	int killed = 0;

	/* how long a whole run takes: the kills fall inside it */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(test_dmarcctl(NULL, ci, "-q reparse", &out, &err), 0,
	    "%s", err);
	full = elapsed_ms(&t0);
	free(out);
	free(err);
	srand(seed);
	/* within the first three quarters: a loaded machine runs faster or
	 * slower than the run timed */
	for (int k = 0; k < N_KILLS; k++) {
		long ms = rand() % (full * 3 / 4 + 1);

		snprintf(when, sizeof(when), "kill %d at %ld of %ld ms (seed "
		    "%u)", k, ms, full, seed);
		killed += kill_reparse_after(ci, ms, N_REPORTS, when);
		after = snapshot(ci);
		cr_expect_str_eq(after, before, "%s", when);
		free(after);
	}
	cr_expect_geq(killed, N_KILLS / 4, "only %d of %d runs killed part "
	    "way (a whole run: %ld ms)", killed, N_KILLS, full);
	/* and the next one completes */
	cr_expect_eq(test_dmarcctl(NULL, ci, "reparse", &out, &err), 0, "%s",
	    err);
	after = snapshot(ci);
	cr_expect_str_eq(after, before);
	free(out);
	free(err);
	free(after);
	free(before);
	free(dir);
	test_db_drop(ci);
}

Test(reparse, bad_archived_input_is_listed_and_keeps_its_rows,
    .timeout = 300)
{
	char *ci, *dir, *before = loaded(&ci, &dir), *after, *out, *err;
	char *v;

	/* one archived original no longer parses (a parser grew stricter,
	 * the bytes were damaged) */
	free(test_db_value(ci, "UPDATE raw_inputs SET content = convert_to("
	    "'<feedback><report_metadata>', 'UTF8'), encoding = 'identity' "
	    "WHERE source LIKE '%/r007.xml' RETURNING 1"));
	cr_expect_eq(test_dmarcctl(NULL, ci, "reparse", &out, &err), 65,
	    "%s", err);
	cr_expect(strstr(err, "r007.xml") != NULL, "not listed: %s", err);
	/* the others are rebuilt, r007's report is as it was, rollups too */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports WHERE "
	    "report_id = 'rp-7' AND records = 6"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM records r JOIN "
	    "reports p ON p.domain = r.domain AND p.id = r.report WHERE "
	    "p.report_id = 'rp-7'"), N_RECORDS);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors "
	    "WHERE source LIKE '%/r007.xml' AND raw_id IS NOT NULL"), 1);
	after = snapshot(ci);
	/* the same but for the one error */
	v = strrchr(after, '|');
	cr_assert_not_null(v);
	cr_expect_str_eq(v, "|1");
	*v = '\0';
	*strrchr(before, '|') = '\0';
	cr_expect_str_eq(after, before);
	free(out);
	free(err);
	free(after);
	/* listed by dmarcctl errors */
	cr_expect_eq(test_dmarcctl(NULL, ci, "errors", &out, &err), 0, "%s",
	    err);
	cr_expect(strstr(out, "r007.xml") != NULL, "%s", out);
	free(out);
	free(err);
	free(before);
	free(dir);
	test_db_drop(ci);
}
