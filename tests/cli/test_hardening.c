/*
 * The command line against hostile values: every bad option and setting
 * exits 64 naming itself and what it accepts; config files at their edges
 * (huge numbers, long lines, a readable password); control characters
 * from reports never reach a terminal raw; a read-only server that is up
 * to date migrates fine; a report with 100,000 policy domains is analysed
 * in one go.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/buf.h"
#include "tests/test_util.h"

#define NO_DB "host=/nonexistent port=1"
#define DAY 86400

static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(NULL, ci, args, out, err);
}

/* a config file of text in a fresh directory; its path, malloc'd */
static char *
config_file(const char *text, mode_t mode)
{
	char *dir = test_tmpdir(), *path = malloc(strlen(dir) + 16);

	snprintf(path, strlen(dir) + 16, "%s/c.conf", dir);
	test_write_file(path, text, strlen(text));
	cr_assert_eq(chmod(path, mode), 0);
	free(dir);
	return path;
}

/* `dmarcctl -c path args`, without a database */
static int
with_config(const char *path, const char *args, char **out, char **err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "-c %s %s", path, args);
	return dm(NO_DB, buf, out, err);
}

/* no byte of s is a raw control a terminal would obey */
static void
expect_no_controls(const char *s, const char *what)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		cr_expect(*p >= 0x20 || *p == '\n', "%s: raw control 0x%02x "
		    "at %zu", what, *p, (size_t)(p - (const unsigned char *)s));
		cr_expect(*p != 0x7f, "%s: raw DEL", what);
		cr_expect(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0),
		    "%s: raw C1 control", what);
		if (*p < 0x20 && *p != '\n')
			break;
	}
}

/* --- options --- */

Test(hardening, bad_options_exit_64_naming_option_and_range)
{
	static const struct {
		const char *args, *name, *range;
	} cases[] = {
		{ "summary --days 0", "--days", "from 1 to 36500" },
		{ "tls --days 36501", "--days", "from 1 to 36500" },
		{ "advise --days 7x", "--days", "from 1 to 36500" },
		{ "reports --days -3", "--days", "from 1 to 36500" },
		{ "summary --since 1969-12-31", "--since", "from 1970-01-01" },
		{ "reports --since 1969-12-31T23:59:59Z", "--since",
		  "from 1970-01-01" },
		{ "sources --until 2024-02-31", "--until", "from 1970-01-01" },
		{ "tls --until 2023-02-29", "--until", "from 1970-01-01" },
		{ "advise --since 2024-01-01T24:00", "--since",
		  "from 1970-01-01" },
		{ "summary --since 10000-01-01", "--since", "to 9999-12-31" },
		{ "check --max-silence 0", "--max-silence", "from 1 to 3650" },
		{ "check --max-silence 99999999999999999999",
		  "--max-silence", "from 1 to 3650" },
		{ "summary --domain \"$(printf 'ex\\377ample.com')\"",
		  "--domain", "1 to 253 characters" },
		{ "tls --domain \"$(printf 'ex\\303ample.com')\"", "--domain",
		  "1 to 253 characters" },
		{ "check --domain \"$(printf 'a\\033[2Jb')\"", "--domain",
		  "1 to 253 characters" },
		{ "advise --domain ''", "--domain", "1 to 253 characters" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err;
		int rc = dm(NO_DB, cases[i].args, &out, &err);

		cr_expect_eq(rc, 64, "%s: exit %d: %s", cases[i].args, rc, err);
		cr_expect(strstr(err, cases[i].name) != NULL &&
		    strstr(err, cases[i].range) != NULL, "%s: %s",
		    cases[i].args, err);
		cr_expect(strstr(err, "dmarcctl: \n") == NULL, "%s: empty "
		    "message", cases[i].args);
		expect_no_controls(err, cases[i].args);
		free(out);
		free(err);
	}
}

Test(hardening, window_edges_are_accepted)
{
	static const char *const ok[] = {
		"reports --since 1970-01-01 --until 1970-01-02",
		"reports --days 36500",
		"reports --since 2024-02-29 --until 2024-03-01T00:00:00Z",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *out, *err;
		int rc = dm(NO_DB, ok[i], &out, &err);

		/* the options pass; then the database is missing */
		cr_expect_eq(rc, 69, "%s: exit %d: %s", ok[i], rc, err);
		free(out);
		free(err);
	}
}

/* --- settings --- */

Test(hardening, bad_settings_exit_64_naming_setting_and_range)
{
	static const struct {
		const char *text, *name, *range;
	} cases[] = {
		{ "[limits]\nmax_depth = 4294967295\n", "[limits] max_depth",
		  "from 8 to 1024" },
		{ "[limits]\nmax_depth = 0\n", "[limits] max_depth",
		  "from 8 to 1024" },
		{ "[limits]\nmax_zip_entries = 4294967296\n",
		  "[limits] max_zip_entries", "from 1 to 65535" },
		{ "[limits]\nmax_nesting = 65\n", "[limits] max_nesting",
		  "from 1 to 64" },
		{ "[limits]\nmax_results = 0\n", "[limits] max_results",
		  "from 1 to 1000000" },
		{ "[limits]\nmax_records = 18446744073709551615\n",
		  "[limits] max_records", "from 1 to 1000000000" },
		{ "[limits]\nmax_text = 1T\n", "[limits] max_text",
		  "from 1K to 256M" },
		{ "[limits]\nmax_decompressed = 16777216G\n",
		  "[limits] max_decompressed", "from 1K to 64G" },
		{ "[limits]\nmax_message = 0\n", "[limits] max_message",
		  "from 1K to 1G" },
		{ "[limits]\nmax_json = 2G\n", "[limits] max_json",
		  "from 1K to 1G" },
		{ "[limits]\nmax_zip = lots\n", "[limits] max_zip",
		  "from 1K to 1G" },
		{ "[analysis]\nmin_days = 0\n", "[analysis] min_days",
		  "from 1 to 3650" },
		{ "[analysis]\nmin_reporters = 2147483648\n",
		  "[analysis] min_reporters", "from 1 to 100000" },
		{ "[analysis]\nmin_messages = -1\n", "[analysis] min_messages",
		  "from 1 to 1000000000000" },
		{ "[analysis]\nrecent_days = 4000\n", "[analysis] recent_days",
		  "from 1 to 3650" },
		{ "[analysis]\ntls_recent_days = 0\n",
		  "[analysis] tls_recent_days", "from 1 to 3650" },
		{ "[analysis]\naligned_rate = 1.5\n", "[analysis] aligned_rate",
		  "from 0 to 1" },
		{ "[analysis]\ntls_failure_rate = 101%\n",
		  "[analysis] tls_failure_rate", "from 0 to 1" },
		{ "[analysis]\ntls_min_failure_sessions = 0\n",
		  "[analysis] tls_min_failure_sessions",
		  "from 1 to 1000000000000" },
		{ "[analysis]\ntls_min_failure_reporters = 100001\n",
		  "[analysis] tls_min_failure_reporters", "from 1 to 100000" },
		{ "[analysis]\ntls_min_failure_days = 3651\n",
		  "[analysis] tls_min_failure_days", "from 1 to 3650" },
		{ "[analysis]\ndns_timeout = 0\n", "[analysis] dns_timeout",
		  "from 1 to 60000" },
		{ "[imap]\nport = 65536\n", "[imap] port", "from 1 to 65535" },
		{ "[imap]\ntimeout = 86400\n", "[imap] timeout",
		  "from 1 to 3600" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = config_file(cases[i].text, 0600), *out, *err;
		int rc = with_config(path, "parse " FIXTURES "/../../README.md",
		    &out, &err);

		cr_expect_eq(rc, 64, "%s: exit %d: %s", cases[i].text, rc, err);
		cr_expect(strstr(err, cases[i].name) != NULL &&
		    strstr(err, cases[i].range) != NULL &&
		    strstr(err, "line 2") != NULL, "%s: %s", cases[i].text,
		    err);
		free(path);
		free(out);
		free(err);
	}
}

Test(hardening, huge_max_depth_is_refused_and_the_largest_works)
{
	const char *xml = FIXTURES "/corpus/aggregate";
	char *path, *out, *err, args[1024];
	int rc;

	path = config_file("[limits]\nmax_depth = 4294967295\n", 0600);
	snprintf(args, sizeof(args), "parse \"$(ls %s/*.xml | head -1)\"",
	    xml);
	rc = with_config(path, args, &out, &err);
	cr_expect_eq(rc, 64, "exit %d: %s", rc, err);
	free(path);
	free(out);
	free(err);
	path = config_file("[limits]\nmax_depth = 1024\nmax_text = 256M\n",
	    0600);
	rc = with_config(path, args, &out, &err);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	cr_expect(strstr(out, "\"kind\":\"dmarc\"") != NULL, "%s", out);
	free(path);
	free(out);
	free(err);
}

Test(hardening, config_lines_are_read_whole_up_to_64k)
{
	struct buf b;
	struct err e;
	char *path, *out, *err;
	int rc;

	/* 40 KB of authorized senders on one line: one setting, not ten
	 * pieces of one */
	buf_init(&b, 1u << 20);
	buf_adds(&b, "[analysis]\nauthorized = ", &e);
	for (int i = 0; i < 2000; i++)
		buf_addf(&b, &e, "%ssender-%04d.example", i ? ", " : "", i);
	buf_adds(&b, "\nmin_days = 7\n", &e);
	path = config_file(buf_str(&b), 0600);
	rc = with_config(path, "parse " FIXTURES "/../../README.md", &out,
	    &err);
	/* README.md holds no report: 65, but the config was read */
	cr_expect_eq(rc, 65, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "c.conf") == NULL, "%s", err);
	free(path);
	free(out);
	free(err);

	/* past 64 KiB: refused, naming the line */
	buf_reset(&b);
	buf_adds(&b, "# a comment\nauthorized = ", &e);
	for (int i = 0; i < 70000; i++)
		buf_addc(&b, 'a', &e);
	buf_adds(&b, "\n", &e);
	path = config_file(buf_str(&b), 0600);
	rc = with_config(path, "parse " FIXTURES "/../../README.md", &out,
	    &err);
	cr_expect_eq(rc, 64, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "line 2") != NULL &&
	    strstr(err, "longer than 65536 bytes") != NULL, "%s", err);
	free(path);
	free(out);
	free(err);
	buf_release(&b);
}

Test(hardening, readable_config_with_a_database_password_warns)
{
	static const struct {
		const char *text;
		mode_t mode;
		bool want_warning;
	} cases[] = {
		{ "database = host=/x dbname=dmarc password=s3cret\n", 0644,
		  true },
		{ "database = host=/x dbname=dmarc password = s3cret\n", 0604,
		  true },
		{ "database = postgresql://dmarc:s3cret@db.example/dmarc\n",
		  0644, true },
		{ "database = host=/x dbname=dmarc password=s3cret\n", 0600,
		  false },
		{ "database = host=/x dbname=dmarc password=s3cret\n", 0640,
		  false },
		{ "database = host=/x dbname=dmarc\n", 0644, false },
		{ "database = postgresql://dmarc@db.example/dmarc\n", 0644,
		  false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = config_file(cases[i].text, cases[i].mode);
		char *out, *err;
		int rc = with_config(path, "parse " FIXTURES "/../../README.md",
		    &out, &err);
		bool has = strstr(err, "warning") != NULL &&
		    strstr(err, "password") != NULL &&
		    strstr(err, path) != NULL;

		cr_expect_eq(rc, 65, "case %zu: exit %d: %s", i, rc, err);
		cr_expect_eq(has, cases[i].want_warning, "case %zu: %s", i,
		    err);
		cr_expect(strstr(err, "s3cret") == NULL, "case %zu leaks the "
		    "password: %s", i, err);
		free(path);
		free(out);
		free(err);
	}
}

/* --- control characters from reports --- */

/* a TLS-RPT report of yesterday whose names carry control characters */
static void
write_hostile_tls(const char *path, time_t now)
{
	char day[16], json[4096];
	time_t t = now - 2 * DAY;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(json, sizeof(json), "{\"organization-name\":\"Evil\\u001b]0;"
	    "pwned\\u0007 \\u001b[31mOrg\\u007f\\u009b2J\",\"date-range\":{"
	    "\"start-datetime\":\"%sT00:00:00Z\",\"end-datetime\":"
	    "\"%sT23:59:59Z\"},\"contact-info\":\"tls@evil.example\","
	    "\"report-id\":\"id-\\u001b[2J-1\",\"policies\":[{\"policy\":{"
	    "\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\","
	    "\"mode: testing\\u001b[5m\",\"mx: mx.hostile.example\","
	    "\"max_age: 86400\"],\"policy-domain\":\"hostile.example\"},"
	    "\"summary\":{\"total-successful-session-count\":5,"
	    "\"total-failure-session-count\":1},\"failure-details\":[{"
	    "\"result-type\":\"certificate-expired\",\"sending-mta-ip\":"
	    "\"192.0.2.1\",\"receiving-mx-hostname\":\"mx.hostile.example\","
	    "\"failed-session-count\":1}]}]}\n", day, day);
	test_write_file(path, json, strlen(json));
}

static char *
run_ok(const char *ci, const char *args, int want)
{
	char *out, *err;
	int rc = dm(ci, args, &out, &err);

	cr_expect_eq(rc, want, "%s: exit %d: %s", args, rc, err);
	expect_no_controls(out, args);
	expect_no_controls(err, args);
	free(err);
	return out;
}

Test(hardening, controls_from_reports_are_escaped)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char path[512], args[1024];
	time_t now = time(NULL);
	int rc;

	snprintf(path, sizeof(path), "%s/hostile.json", dir);
	write_hostile_tls(path, now);
	/* a file whose name holds ESC, and is no report */
	snprintf(path, sizeof(path), "%s/bad\033[31mname.xml", dir);
	test_write_file(path, "<feedback>", 10);
	snprintf(args, sizeof(args), "ingest %s", dir);
	rc = dm(ci, args, &out, &err);
	cr_expect_eq(rc, 65, "exit %d: %s", rc, err);
	expect_no_controls(err, "ingest");
	cr_expect(strstr(err, "bad\\x1b[31mname.xml") != NULL, "%s", err);
	free(out);
	free(err);

	out = run_ok(ci, "reports", 0);
	cr_expect(strstr(out, "Evil\\x1b]0;pwned\\x07 \\x1b[31mOrg\\x7f"
	    "\\xc2\\x9b2J") != NULL, "%s", out);
	cr_expect(strstr(out, "id-\\x1b[2J-1") != NULL, "%s", out);
	free(out);

	out = run_ok(ci, "reports --format json", 0);
	cr_expect(strstr(out, "Evil\\u001b]0;pwned\\u0007 \\u001b[31mOrg"
	    "\\u007f\\u009b2J") != NULL, "%s", out);
	free(out);

	out = run_ok(ci, "errors", 0);
	cr_expect(strstr(out, "bad\\x1b[31mname.xml") != NULL, "%s", out);
	free(out);

	out = run_ok(ci, "tls", 0);
	cr_expect(strstr(out, "testing\\x1b[5m") != NULL, "%s", out);
	free(out);
	out = run_ok(ci, "tls --format json", 0);
	cr_expect(strstr(out, "testing\\u001b[5m") != NULL, "%s", out);
	free(out);

	/* a domain that went silent, its name as a hostile store holds it */
	/* (moved, not updated: Citus does not change a row's domain, the
	 * distribution column, in place) */
	test_db_exec(ci, "INSERT INTO reports (domain, kind, org_name, "
	    "report_id, begin_at, end_at, content_sha256, records, messages, "
	    "report_key) SELECT E'silent\\033]0;x\\007.example', kind, "
	    "org_name, report_id, begin_at, now() - interval '5 days', "
	    "content_sha256, records, messages, report_key FROM reports; "
	    "DELETE FROM reports WHERE domain <> E'silent\\033]0;x\\007."
	    "example'");
	out = run_ok(ci, "check", 1);
	cr_expect(strstr(out, "silent\\x1b]0;x\\x07.example: no ") != NULL,
	    "%s", out);
	free(out);
	test_db_drop(ci);
	free(dir);
}

/* --- the database --- */

/* what advise concluded is kept for every domain, in chunks of rows */
Test(hardening, advise_keeps_every_verdict_and_class)
{
	char *ci = test_db_migrated(), *out, *err;
	long long domains;
	int rc;

	rc = dm(ci, "ingest " FIXTURES "/corpus/aggregate", &out, &err);
	cr_expect(rc == 0 || rc == 65, "exit %d: %s", rc, err);
	free(out);
	free(err);
	rc = dm(ci, "advise --no-dns --since 1970-01-01 --until 9999-01-01",
	    &out, &err);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
	domains = test_db_count(ci, "SELECT count(DISTINCT domain) FROM "
	    "domain_daily");
	cr_expect_gt(domains, 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM domain_verdicts"),
	    domains);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM (SELECT DISTINCT "
	    "domain, source FROM source_daily) s"), test_db_count(ci,
	    "SELECT count(*) FROM source_classes"));
	test_db_drop(ci);
}

/* the conninfo ci of a server that refuses every write */
static char *
read_only(const char *ci)
{
	size_t n = strlen(ci) + 64;
	char *ro = malloc(n);

	snprintf(ro, n, "%s options='-c default_transaction_read_only=on'",
	    ci);
	return ro;
}

Test(hardening, migrate_on_a_read_only_server_with_nothing_to_apply)
{
	char *ci = test_db_migrated(), *ro, *out, *err;
	int rc;

	ro = read_only(ci);
	rc = dm(ro, "db migrate", &out, &err);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
	/* it is read-only indeed: what must write still fails, as a
	 * server that cannot be used (not a crash) */
	rc = dm(ro, "ingest " FIXTURES "/corpus/tlsrpt", &out, &err);
	cr_expect_eq(rc, 69, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "read-only transaction") != NULL, "%s", err);
	free(out);
	free(err);
	free(ro);
	test_db_drop(ci);

	/* with migrations pending, a read-only server is an error */
	ci = test_db_new();
	ro = read_only(ci);
	rc = dm(ro, "db migrate", &out, &err);
	cr_expect_eq(rc, 69, "exit %d: %s", rc, err);
	cr_expect(strstr(err, "read-only") != NULL, "%s", err);
	free(out);
	free(err);
	free(ro);
	test_db_drop(ci);
}

/* --- a reporter's counts --- */

/*
 * 100,000 policy domains, in 100 reports of 1,000 (the daily rollup of
 * one report is the store's business; here the domains must meet in
 * the analysis of one window).
 */
enum { MANY_REPORTS = 100, DOMAINS_PER_REPORT = 1000 };

static void
write_many(const char *dir, int k, const char *day)
{
	char path[512];
	struct buf b;
	struct err e;

	buf_init(&b, 64u << 20);
	buf_addf(&b, &e, "{\"organization-name\":\"Big\",\"date-range\":{"
	    "\"start-datetime\":\"%sT00:00:00Z\",\"end-datetime\":"
	    "\"%sT23:59:59Z\"},\"contact-info\":\"tls@big.example\","
	    "\"report-id\":\"many-%d\",\"policies\":[", day, day, k);
	for (int i = k * DOMAINS_PER_REPORT; i < (k + 1) * DOMAINS_PER_REPORT;
	    i++)
		buf_addf(&b, &e, "%s{\"policy\":{\"policy-type\":\"sts\","
		    "\"policy-string\":[\"version: STSv1\",\"mode: testing\"],"
		    "\"policy-domain\":\"d%06d.example\"},\"summary\":{"
		    "\"total-successful-session-count\":10,"
		    "\"total-failure-session-count\":1},\"failure-details\":[{"
		    "\"result-type\":\"certificate-expired\","
		    "\"receiving-mx-hostname\":\"mx.d%06d.example\","
		    "\"failed-session-count\":1}]}",
		    i > k * DOMAINS_PER_REPORT ? "," : "", i, i);
	buf_adds(&b, "]}\n", &e);
	snprintf(path, sizeof(path), "%s/many-%03d.json", dir, k);
	test_write_file(path, b.data, b.len);
	buf_release(&b);
}

Test(hardening, tls_with_100k_policy_domains_completes, .timeout = 900)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char day[16], args[1024];
	time_t t = time(NULL) - 2 * DAY;
	struct tm tm;
	size_t lines = 0;
	int rc;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	for (int k = 0; k < MANY_REPORTS; k++)
		write_many(dir, k, day);
	snprintf(args, sizeof(args), "ingest %s", dir);
	rc = dm(ci, args, &out, &err);
	cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
	free(out);
	free(err);
	rc = dm(ci, "tls --format json", &out, &err);
	cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_expect_eq(lines, MANY_REPORTS * DOMAINS_PER_REPORT);
	/* each object starts with its window, then the domain */
	cr_expect(strstr(out, ",\"domain\":\"d099999.example\"") != NULL);
	free(out);
	free(err);
	test_db_drop(ci);
	free(dir);
}
