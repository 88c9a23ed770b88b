/*
 * The answer commands as a person and a script see them: one set of
 * figures per window, the same in text, JSON and csv (tls); yes/no in
 * every csv, never PostgreSQL's t/f; JSON Lines that parse also when
 * nothing is stored; one refusal for a format a command does not print;
 * advise's text kept short (its top blockers, --all for every one).
 * Reports are made up on the spot, dated over the last weeks (UTC), and
 * ingested into a fresh database.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/buf.h"
#include "tests/test_util.h"

#define DAY 86400
#define NO_DB "host=/nonexistent port=1"
#define ALL "--since 2000-01-01 --until 2030-01-01"
#define TLS_DOMAIN "example.org"
#define DMARC_DOMAIN "blocked.example"

static const char *const reporters[] = { "google.com", "yahoo.com" };

static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(NULL, ci, args, out, err);
}

/* midnight UTC of the day k days back from now */
static int64_t
day_start(int64_t now, int k)
{
	return now - now % DAY - (int64_t)k * DAY;
}

/* t as 2026-11-19T00:00:00Z, or only its date */
static const char *
iso(int64_t t, bool is_date, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (is_date)
		strftime(out, size, "%Y-%m-%d", gmtime_r(&tt, &tm));
	else
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
	return out;
}

/* --- the data sets --- */

/*
 * TLS-RPT: each of 2 reporters, each day back 1..20: an sts policy with
 * 1000 successful sessions and, on days 1..10, 5 certificate-expired
 * failures at its one MX; on every 4th day a tlsa policy with 50
 * successful and 2 tlsa-invalid.  Over the default window (days 1..14):
 * sts 2 * (14000 + 50) sessions, 100 failed; tlsa 2 * 3 * 52, 12 failed.
 */
enum {
	TLS_DAYS = 20,
	TLS_SESSIONS = 2 * (14 * 1000 + 10 * 5) + 2 * 3 * 52,
	TLS_FAILURES = 2 * 10 * 5 + 2 * 3 * 2,
	/* the verdict's 30 days: sts alone (DANE is apart) */
	TLS_JUDGED = 2 * (20 * 1000 + 10 * 5),
	TLS_JUDGED_FAILURES = 2 * 10 * 5,
};

static void
tls_report(struct buf *b, int64_t now, int k, int r)
{
	int64_t begin = day_start(now, k);
	char from[32], to[32];
	struct err e;
	int fails = k <= 10 ? 5 : 0;

	buf_reset(b);
	buf_addf(b, &e, "{\"organization-name\":\"%s\",\"date-range\":"
	    "{\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tls@%s\",\"report-id\":\"%s-%d\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	    "\"mx: mx1." TLS_DOMAIN "\",\"max_age: 86400\"],"
	    "\"policy-domain\":\"" TLS_DOMAIN "\",\"mx-host\":[\"mx1."
	    TLS_DOMAIN "\"]},\"summary\":{\"total-successful-session-count\":"
	    "1000,\"total-failure-session-count\":%d}", reporters[r],
	    iso(begin, false, from, sizeof(from)),
	    iso(begin + DAY - 1, false, to, sizeof(to)),
	    reporters[r], reporters[r], k, fails);
	if (fails > 0)
		buf_addf(b, &e, ",\"failure-details\":[{\"result-type\":"
		    "\"certificate-expired\",\"sending-mta-ip\":"
		    "\"209.85.222.201\",\"receiving-ip\":\"192.0.2.25\","
		    "\"receiving-mx-hostname\":\"mx1." TLS_DOMAIN "\","
		    "\"failed-session-count\":%d}]", fails);
	buf_adds(b, "}", &e);
	if (k % 4 == 0)
		buf_adds(b, ",{\"policy\":{\"policy-type\":\"tlsa\","
		    "\"policy-string\":[\"3 1 1 00\"],\"policy-domain\":\""
		    TLS_DOMAIN "\",\"mx-host\":[\"mx1." TLS_DOMAIN "\"]},"
		    "\"summary\":{\"total-successful-session-count\":50,"
		    "\"total-failure-session-count\":2},\"failure-details\":"
		    "[{\"result-type\":\"tlsa-invalid\",\"sending-mta-ip\":"
		    "\"209.85.222.201\",\"receiving-ip\":\"192.0.2.25\","
		    "\"receiving-mx-hostname\":\"mx1." TLS_DOMAIN "\","
		    "\"failed-session-count\":2}]}", &e);
	buf_adds(b, "]}\n", &e);
}

/* blocking senders: each signs with its own d= (mail.espN.example), an
 * ESP not set up for aligned DKIM; espN sends 7 + N a report */
enum { N_ESP = 7, OWN_COUNT = 200 };

static void
record(struct buf *b, const char *ip, int count, const char *dkim,
    const char *d, const char *spf)
{
	struct err e;

	buf_addf(b, &e, "<record><row><source_ip>%s</source_ip><count>%d"
	    "</count><policy_evaluated><disposition>none</disposition><dkim>"
	    "%s</dkim><spf>%s</spf></policy_evaluated></row><identifiers>"
	    "<header_from>" DMARC_DOMAIN "</header_from></identifiers>"
	    "<auth_results><dkim><domain>%s</domain><selector>s1</selector>"
	    "<result>pass</result></dkim><spf><domain>%s</domain><scope>"
	    "mfrom</scope><result>pass</result></spf></auth_results>"
	    "</record>\n", ip, count, dkim, spf, d, d);
}

static void
dmarc_report(struct buf *b, int64_t now, int k, int r)
{
	int64_t begin = day_start(now, k);
	struct err e;

	buf_reset(b);
	buf_addf(b, &e, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<feedback><report_metadata><org_name>%s</org_name><email>"
	    "dmarc@%s</email><report_id>" DMARC_DOMAIN "-%d-%d</report_id>"
	    "<date_range><begin>%lld</begin><end>%lld</end></date_range>"
	    "</report_metadata><policy_published><domain>" DMARC_DOMAIN
	    "</domain><adkim>r</adkim><aspf>r</aspf><p>none</p><sp>none</sp>"
	    "<pct>100</pct></policy_published>\n", reporters[r],
	    reporters[r], r, k, (long long)begin,
	    (long long)(begin + DAY - 1));
	record(b, "192.0.2.10", OWN_COUNT, "pass", DMARC_DOMAIN, "pass");
	for (int i = 1; i <= N_ESP; i++) {
		char ip[32], d[64];

		snprintf(ip, sizeof(ip), "198.51.100.%d", 20 + i);
		snprintf(d, sizeof(d), "mail.esp%d.example", i);
		record(b, ip, 7 + i, "fail", d, "fail");
	}
	buf_adds(b, "</feedback>\n", &e);
}

static void
ingest(const char *ci, const char *path, int want_rc)
{
	char args[1024], *out, *err;
	int rc;

	snprintf(args, sizeof(args), "ingest '%s'", path);
	rc = dm(ci, args, &out, &err);
	cr_assert_eq(rc, want_rc, "ingest %s: exit %d: %s", path, rc, err);
	free(out);
	free(err);
}

/* a fresh database with the TLS-RPT and DMARC reports above */
static char *
db_with_reports(void)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), path[512];
	char cmd[600], *out, *err;
	int64_t now = time(NULL);
	struct buf b;

	buf_init(&b, 1u << 20);
	for (int k = 1; k <= TLS_DAYS; k++)
		for (int r = 0; r < 2; r++) {
			tls_report(&b, now, k, r);
			snprintf(path, sizeof(path), "%s/tls-%d-%02d.json", dir,
			    r, k);
			test_write_file(path, b.data, b.len);
			dmarc_report(&b, now, k, r);
			snprintf(path, sizeof(path), "%s/dmarc-%d-%02d.xml",
			    dir, r, k);
			test_write_file(path, b.data, b.len);
		}
	buf_release(&b);
	ingest(ci, dir, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(test_run(cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(dir);
	return ci;
}

/* --- reading what was printed --- */

/* every line of out one JSON object (JSON Lines); how many */
static size_t
json_lines(const char *args, const char *out, json_t **first)
{
	const char *p = out;
	size_t n = 0;

	*first = NULL;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		json_error_t je;
		json_t *j;

		cr_assert_not_null(nl, "%s: a line without its newline: '%s'",
		    args, p);
		j = json_loadb(p, (size_t)(nl - p), 0, &je);
		cr_assert(json_is_object(j), "%s: line %zu is not a JSON "
		    "object: %s: '%.*s'", args, n + 1, je.text, (int)(nl - p),
		    p);
		if (n++ == 0)
			*first = j;
		else
			json_decref(j);
		p = nl + 1;
	}
	return n;
}

/* `dmarcctl ARGS` exits 0 and prints JSON Lines: the first (the
 * caller's, or NULL) and how many */
static size_t
run_lines(const char *ci, const char *args, json_t **first, char **errout)
{
	char *out, *err;
	int rc = dm(ci, args, &out, &err);
	size_t n;

	cr_assert_eq(rc, 0, "dmarcctl %s: exit %d: %s", args, rc, err);
	n = json_lines(args, out, first);
	free(out);
	if (errout != NULL)
		*errout = err;
	else
		free(err);
	return n;
}

static long long
jint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "no integer \"%s\"", key);
	return json_integer_value(v);
}

static double
jreal(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "no number \"%s\"", key);
	return json_number_value(v);
}

static const char *
jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "no string \"%s\"", key);
	return json_string_value(v);
}

/* The fields of one csv line (no quoted commas in what is read here),
 * at most max; how many. */
static size_t
csv_fields(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (char *p = line; n < max;) {
		f[n++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static int
csv_column(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	cr_assert_fail("no csv column %s", name);
	return -1;
}

/* --- 1. tls: one set of figures, the same in every format --- */

Test(answers, tls_text_json_and_csv_give_the_same_figures)
{
	char *ci = db_with_reports(), *out, *err, want[256], first[16];
	char last[16], *save = NULL, *line;
	int64_t now = time(NULL);
	char *head[16], *f[16];
	json_t *t, *judged;
	size_t n, nh;
	int cs, cf, cr;

	n = run_lines(ci, "tls --no-dns --format json", &t, NULL);
	cr_assert_eq(n, 1, "one line per domain");
	cr_expect_str_eq(jstr(t, "domain"), TLS_DOMAIN);
	cr_expect_eq(jint(t, "sessions"), TLS_SESSIONS);
	cr_expect_eq(jint(t, "failures"), TLS_FAILURES);
	cr_expect(fabs(jreal(t, "failure_rate") - (double)TLS_FAILURES /
	    TLS_SESSIONS) < 0.00005, "failure_rate %f",
	    jreal(t, "failure_rate"));
	cr_expect_eq(jint(t, "days"), 14);
	/* the verdict's figures say their window */
	judged = json_object_get(t, "judged");
	cr_assert(json_is_object(judged));
	cr_expect_eq(jint(judged, "days"), 30);
	cr_expect_eq(jint(judged, "sessions"), TLS_JUDGED);
	cr_expect_eq(jint(judged, "failures"), TLS_JUDGED_FAILURES);

	/* text: the same figures, and the window they count */
	cr_assert_eq(dm(ci, "tls --no-dns", &out, &err), 0, "%s", err);
	iso(day_start(now, 14), true, first, sizeof(first));
	iso(day_start(now, 1), true, last, sizeof(last));
	snprintf(want, sizeof(want), "  sessions %s .. %s (14 days): %d, %d "
	    "failed (%.3f%%)", first, last, TLS_SESSIONS, TLS_FAILURES,
	    100.0 * TLS_FAILURES / TLS_SESSIONS);
	cr_expect(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
	iso(day_start(now, 30), true, first, sizeof(first));
	snprintf(want, sizeof(want), "  verdict over %s .. %s (30 days): %d "
	    "sessions judged, %d failed (%.3f%%)", first, last, TLS_JUDGED,
	    TLS_JUDGED_FAILURES, 100.0 * TLS_JUDGED_FAILURES / TLS_JUDGED);
	cr_expect(fabs(jreal(judged, "failure_rate") - (double)
	    TLS_JUDGED_FAILURES / TLS_JUDGED) < 0.00005, "judged rate %f",
	    jreal(judged, "failure_rate"));
	cr_expect(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), "%.3f%% of the %d sessions judged failed",
	    100.0 * TLS_JUDGED_FAILURES / TLS_JUDGED, TLS_JUDGED);
	cr_expect(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
	free(out);
	free(err);

	/* csv: the domain's figures on each row, as JSON has them */
	cr_assert_eq(dm(ci, "tls --no-dns --format csv", &out, &err), 0, "%s",
	    err);
	line = strtok_r(out, "\n", &save);
	cr_assert_not_null(line);
	nh = csv_fields(line, head, 16);
	cs = csv_column(head, nh, "domain_sessions");
	cf = csv_column(head, nh, "domain_failures");
	cr = csv_column(head, nh, "domain_failure_rate");
	n = 0;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		cr_assert_eq(csv_fields(line, f, 16), nh, "%s", line);
		cr_expect_eq(strtoll(f[cs], NULL, 10), TLS_SESSIONS);
		cr_expect_eq(strtoll(f[cf], NULL, 10), TLS_FAILURES);
		cr_expect(fabs(strtod(f[cr], NULL) - jreal(t,
		    "failure_rate")) < 1e-9, "csv %s", f[cr]);
		n++;
	}
	cr_expect_eq(n, 2, "one row per MX and result type");
	free(out);
	free(err);
	json_decref(t);
	test_db_drop(ci);
}

/* --- 2. csv booleans --- */

/* no field of any line of a csv is t or f */
static void
expect_no_tf(const char *args, char *csv)
{
	char *save = NULL, *line;

	for (line = strtok_r(csv, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f[64];
		size_t n = csv_fields(line, f, 64);

		for (size_t i = 0; i < n; i++)
			cr_expect(strcmp(f[i], "t") != 0 &&
			    strcmp(f[i], "f") != 0, "%s: raw boolean in "
			    "field %zu: %s", args, i + 1, line);
	}
}

/* every csv of a database with every kind of row; and each JSON one
 * line (a listing, or the one domain) */
Test(answers, csv_says_yes_or_no_never_t_or_f)
{
	static const char *const commands[] = {
		"summary --no-dns " ALL, "sources --no-dns " ALL,
		"tls --no-dns " ALL, "failures --no-dns " ALL,
		"reports " ALL, "errors",
	};
	char *ci = db_with_reports(), *dir = test_tmpdir(), path[512];
	char args[256], *out, *err;
	json_t *j;

	/* a failure report and an input that is none */
	snprintf(path, sizeof(path), "%s/failure/rfc6591_dkim-failure-"
	    "rfc822-headers.eml", FIXTURES);
	ingest(ci, path, 0);
	snprintf(path, sizeof(path), "%s/garbage.xml", dir);
	test_write_file(path, "<feedback>", 10);
	ingest(ci, path, 65);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		snprintf(args, sizeof(args), "%s --format csv", commands[i]);
		cr_assert_eq(dm(ci, args, &out, &err), 0, "%s: %s", args, err);
		cr_expect(strchr(out, '\n') != NULL, "%s: no rows", args);
		/* recent: the last 7 days of the window (of 2029 here) */
		if (strncmp(commands[i], "tls", 3) == 0)
			cr_expect(strstr(out, ",no,sts,") != NULL, "%s:\n%s",
			    args, out);
		expect_no_tf(args, out);
		free(out);
		free(err);
		/* and JSON: one line, the listing or the domain */
		snprintf(args, sizeof(args), "%s --format json", commands[i]);
		cr_expect_eq(run_lines(ci, args, &j, NULL), 1, "%s", args);
		json_decref(j);
	}
	cr_expect_eq(run_lines(ci, "advise --no-dns --format json " ALL, &j,
	    NULL), 1);
	cr_expect_str_eq(jstr(j, "domain"), DMARC_DOMAIN);
	json_decref(j);
	free(dir);
	test_db_drop(ci);
}

/* --- 3. an empty database: valid output in every format --- */

/* listings: one line, the window (when they have one) and an empty
 * array */
Test(answers, empty_listings_print_their_object_with_an_empty_array)
{
	static const struct {
		const char *args, *key;
		bool has_window;
	} listings[] = {
		{ "summary --no-dns", "domains", true },
		{ "sources --no-dns", "domains", true },
		{ "failures --no-dns", "domains", true },
		{ "reports", "reports", true },
		{ "errors", "errors", false },
	};
	static const char *const formats[] = { "text", "csv" };
	char *ci = test_db_migrated(), args[256], *out, *err;

	for (size_t i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
		json_t *j, *a;

		snprintf(args, sizeof(args), "%s --format json",
		    listings[i].args);
		cr_expect_eq(run_lines(ci, args, &j, NULL), 1, "%s", args);
		a = json_object_get(j, listings[i].key);
		cr_expect(json_is_array(a) && json_array_size(a) == 0,
		    "%s: \"%s\" is no empty array", args, listings[i].key);
		if (listings[i].has_window) {
			cr_expect(json_is_string(json_object_get(j,
			    "since")), "%s: since", args);
			cr_expect(json_is_string(json_object_get(j,
			    "until")), "%s: until", args);
		}
		json_decref(j);
		for (size_t k = 0; k < 2; k++) {
			snprintf(args, sizeof(args), "%s --format %s",
			    listings[i].args, formats[k]);
			cr_expect_eq(dm(ci, args, &out, &err), 0, "%s: %s",
			    args, err);
			free(out);
			free(err);
		}
	}
	test_db_drop(ci);
}

/* advise and tls: no line and a notice; with --domain D, D's answer */
Test(answers, empty_verdicts_print_no_line_or_the_domain_asked_for)
{
	static const struct {
		const char *cmd, *notice;
	} verdicts[] = {
		{ "advise", "dmarcctl: no DMARC reports from " },
		{ "tls", "dmarcctl: no TLS reports from " },
	};
	static const char *const formats[] = { "json", "text", "csv" };
	char *ci = test_db_migrated(), args[256], *out, *err;

	for (size_t i = 0; i < 2; i++) {
		json_t *j;

		for (size_t k = 0; k < 3; k++) {
			if (i == 0 && k == 2)
				continue;	/* advise has no csv */
			snprintf(args, sizeof(args), "%s --no-dns --format %s",
			    verdicts[i].cmd, formats[k]);
			cr_assert_eq(dm(ci, args, &out, &err), 0, "%s: %s",
			    args, err);
			cr_expect(strstr(err, verdicts[i].notice) != NULL &&
			    strchr(err, '\n') == err + strlen(err) - 1,
			    "%s: stderr '%s'", args, err);
			if (k == 0)
				cr_expect_str_empty(out, "%s", args);
			else
				cr_expect(strstr(out, "example") == NULL,
				    "%s: '%s'", args, out);
			free(out);
			free(err);
		}
		snprintf(args, sizeof(args), "%s --no-dns --format json "
		    "--domain Example.ORG", verdicts[i].cmd);
		cr_assert_eq(run_lines(ci, args, &j, NULL), 1, "%s", args);
		cr_expect_str_eq(jstr(j, "domain"), "example.org");
		cr_expect_str_eq(jstr(j, "verdict"), "insufficient-data");
		if (i == 0)
			cr_expect_eq(jint(json_object_get(j, "evidence"),
			    "messages"), 0);
		else
			cr_expect_eq(jint(j, "sessions"), 0);
		json_decref(j);
	}
	cr_assert_eq(dm(ci, "tls --no-dns --format csv --domain example.org",
	    &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "\nexample.org,") != NULL, "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

Test(answers, empty_dns_prints_no_line)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_assert_eq(dm(ci, "dns --format json", &out, &err), 0, "%s", err);
	cr_expect_str_empty(out);
	cr_expect(strstr(err, "no DMARC reports") != NULL, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(dm(ci, "dns --format text", &out, &err), 0, "%s", err);
	cr_expect_str_empty(out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* --- 4. one refusal for a format a command does not print --- */

Test(answers, an_unsupported_format_is_a_usage_error_naming_the_formats)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{ "advise --format csv", "--format 'csv': advise prints text "
		  "or json" },
		{ "dns --format csv", "--format 'csv': dns prints text or "
		  "json" },
		{ "tls --format xml", "--format 'xml': tls prints text, json "
		  "or csv" },
		{ "summary --format tsv", "--format 'tsv': summary prints "
		  "text, json or csv" },
		{ "sources --format JSON", "--format 'JSON': sources prints "
		  "text, json or csv" },
		{ "failures --format yaml", "--format 'yaml': failures prints "
		  "text, json or csv" },
		{ "reports --format xml", "--format 'xml': reports prints "
		  "text, json or csv" },
		{ "errors --format xml", "--format 'xml': errors prints text, "
		  "json or csv" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err;

		cr_expect_eq(dm(NO_DB, cases[i].args, &out, &err), 64, "%s",
		    cases[i].args);
		cr_expect(strstr(err, cases[i].msg) != NULL, "%s: '%s'",
		    cases[i].args, err);
		cr_expect(strstr(err, "usage: ") != NULL, "%s: '%s'",
		    cases[i].args, err);
		cr_expect_str_empty(out, "%s", cases[i].args);
		free(out);
		free(err);
	}
}

/* --- 5. advise: the top blockers in text, every one with --all --- */

/* how many of esp1..espN the text names */
static int
esp_named(const char *out, bool named[N_ESP + 1])
{
	int n = 0;

	for (int i = 1; i <= N_ESP; i++) {
		char d[32];

		snprintf(d, sizeof(d), "esp%d.example", i);
		named[i] = strstr(out, d) != NULL;
		n += named[i];
	}
	return n;
}

Test(answers, advise_text_shows_the_top_blockers_and_all_with_all)
{
	char *ci = db_with_reports(), *out, *err;
	bool named[N_ESP + 1];
	json_t *j;

	cr_assert_eq(run_lines(ci, "advise --no-dns --format json --domain "
	    DMARC_DOMAIN, &j, NULL), 1);
	cr_expect_str_eq(jstr(j, "verdict"), "stay");
	cr_expect_eq(json_array_size(json_object_get(j, "blockers")), N_ESP,
	    "JSON carries every blocker");
	json_decref(j);

	cr_assert_eq(dm(ci, "advise --no-dns --domain " DMARC_DOMAIN, &out,
	    &err), 0, "%s", err);
	cr_expect_eq(esp_named(out, named), 5, "%s", out);
	/* the 5 with the most messages: esp3..esp7 */
	cr_expect(!named[1] && !named[2] && named[3] && named[7], "%s", out);
	cr_expect(strstr(out, "... and 2 more blockers (dmarcctl advise "
	    "--all)\n") != NULL, "%s", out);
	cr_expect(strstr(out, "next record: v=DMARC1; p=none") != NULL, "%s",
	    out);
	free(out);
	free(err);

	cr_assert_eq(dm(ci, "advise --no-dns --all --domain " DMARC_DOMAIN,
	    &out, &err), 0, "%s", err);
	cr_expect_eq(esp_named(out, named), N_ESP, "%s", out);
	cr_expect(strstr(out, "more blocker") == NULL, "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}
