/*
 * One bad input never stops ingest: inputs the database refuses, or that
 * are too large to archive, mixed between valid reports.  Each is rolled
 * back and listed by `dmarcctl errors` (with its original when it can be
 * archived), every valid report is stored, the exit status is 65, a
 * second run stores nothing new, and the query commands still answer.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/sha256.h"
#include "common/buf.h"
#include "store/store.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define DAY 86400

/* `dmarcctl --db CI ARGS` in dir */
static int
dm(const char *dir, const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(dir, ci, args, out, err);
}

/* midnight UTC, days days ago */
static long long
day_back(int days)
{
	long long now = time(NULL);

	return now - now % DAY - (long long)days * DAY;
}

/* an aggregate report of domain: one record of count messages, passing */
static char *
dmarc_xml(const char *org, const char *id, const char *domain,
    long long begin, const char *ip, long long count)
{
	struct buf b;

	buf_init(&b, 1u << 20);
	buf_addf(&b, NULL, "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>dmarc@%s</email>"
	    "<report_id>%s</report_id><date_range><begin>%lld</begin><end>"
	    "%lld</end></date_range></report_metadata><policy_published>"
	    "<domain>%s</domain><adkim>r</adkim><aspf>r</aspf><p>none</p>"
	    "<pct>100</pct></policy_published><record><row><source_ip>%s"
	    "</source_ip><count>%lld</count><policy_evaluated><disposition>"
	    "none</disposition><dkim>pass</dkim><spf>pass</spf>"
	    "</policy_evaluated></row><identifiers><header_from>%s"
	    "</header_from></identifiers><auth_results><dkim><domain>%s"
	    "</domain><result>pass</result></dkim><spf><domain>%s</domain>"
	    "<result>pass</result></spf></auth_results></record></feedback>\n",
	    org, org, id, begin, begin + DAY - 1, domain, ip, count, domain,
	    domain, domain);
	return b.data;
}

/* a TLS-RPT report of domain: one STS policy */
static char *
tls_json(const char *org, const char *id, const char *domain,
    long long begin, const char *ok, const char *failed)
{
	char start[32], end[32];
	time_t t = (time_t)begin, e = (time_t)(begin + DAY - 1);
	struct tm tm;
	struct buf b;

	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t,
	    &tm));
	strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e, &tm));
	buf_init(&b, 1u << 20);
	buf_addf(&b, NULL, "{\"organization-name\":\"%s\",\"date-range\":{"
	    "\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tls@%s\",\"report-id\":\"%s\",\"policies\":[{"
	    "\"policy\":{\"policy-type\":\"sts\",\"policy-string\":["
	    "\"version: STSv1\",\"mode: testing\",\"mx: mx.%s\","
	    "\"max_age: 86400\"],\"policy-domain\":\"%s\"},\"summary\":{"
	    "\"total-successful-session-count\":%s,"
	    "\"total-failure-session-count\":%s}}]}\n", org, start, end, org,
	    id, domain, domain, ok, failed);
	return b.data;
}

/* text with an XML comment of about n bytes appended (text is consumed) */
static char *
padded(char *text, size_t n)
{
	size_t len = strlen(text);

	text = xrealloc(text, len + n + 1);
	memcpy(text + len, "<!--", 4);
	memset(text + len + 4, 'x', n - 8);
	memcpy(text + len + n - 4, "-->\n", 5);
	return text;
}

/* write text as dir/name; its SHA-256 in hex into sha (65 bytes) */
static void
put(const char *dir, const char *name, char *text, char *sha)
{
	char path[1024];
	unsigned char h[32];
	struct sha256 s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, text, strlen(text));
	if (sha != NULL) {
		sha256_init(&s);
		sha256_add(&s, text, strlen(text));
		sha256_done(&s, h);
		sha256_hex(h, sha);
	}
	free(text);
}

/* an integer of the --json summary */
static long long
summary_value(const char *out, const char *key)
{
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	long long v;

	cr_assert_not_null(j, "not JSON: '%s': %s", out, je.text);
	cr_assert(json_is_integer(json_object_get(j, key)), "%s: no %s", out,
	    key);
	v = json_integer_value(json_object_get(j, key));
	json_decref(j);
	return v;
}

/*
 * An input larger than [limits] max_archive is refused whole, by size:
 * listed without an original (the cause says so), and the run goes on.
 * The setting names its range when it is out of it.
 */
Test(refused, an_input_too_large_to_archive_is_listed_and_skipped)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char *etc = test_tmpdir(), conf[600], args[1400], *v;
	long long begin = day_back(2);
	int rc;

	put(dir, "a.xml", dmarc_xml("google.com", "small-1", "size.example",
	    begin, "192.0.2.1", 5), NULL);
	/* valid reports padded past the limit: held whole, and spooled */
	put(dir, "b.xml", padded(dmarc_xml("google.com", "big-1",
	    "size.example", begin, "192.0.2.2", 5), 200000), NULL);
	put(dir, "c.xml", dmarc_xml("google.com", "small-2", "size.example",
	    begin, "192.0.2.3", 5), NULL);
	put(dir, "d.xml", padded(dmarc_xml("google.com", "big-2",
	    "size.example", begin, "192.0.2.4", 5), 1200000), NULL);
	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", etc);
	test_write_file(conf, "[limits]\nmax_archive = 100K\n", 28);

	snprintf(args, sizeof(args), "-c %s ingest --json %s", conf, dir);
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect_eq(summary_value(out, "new"), 2, "%s", out);
	cr_expect_eq(summary_value(out, "failed"), 2, "%s", out);
	cr_expect(strstr(err, "b.xml: 200") != NULL &&
	    strstr(err, "d.xml: more than 102400 bytes") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM raw_inputs"), 2);
	v = test_db_value(ci, "SELECT string_agg(format('%s|%s|%s', code, "
	    "raw_id IS NULL, cause), E'\\n' ORDER BY source) FROM "
	    "ingest_errors");
	cr_expect(strncmp(v, "limit|t|", 8) == 0 &&
	    strstr(v, "\nlimit|t|") != NULL, "%s", v);
	cr_expect(strstr(v, "larger than [limits] max_archive (102400 bytes)")
	    != NULL && strstr(v, "not archived") != NULL, "%s", v);
	free(v);

	/* from stdin, past the limit while spooling */
	test_write_file(conf, "[limits]\nmax_archive = 1M\n", 26);
	snprintf(args, sizeof(args), "-c %s ingest - < %s/d.xml", conf, dir);
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "stdin: more than 1048576 bytes, larger than "
	    "[limits] max_archive") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors "
	    "WHERE code = 'limit' AND raw_id IS NULL"), 3);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM raw_inputs"), 2);

	test_write_file(conf, "[limits]\nmax_archive = 501M\n", 28);
	snprintf(args, sizeof(args), "-c %s ingest %s", conf, dir);
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 64, "%d: %s", rc, err);
	cr_expect(strstr(err, "max_archive '501M': expected a size from 1 to "
	    "500M") != NULL, "%s", err);
	free(out);
	free(err);
	test_db_drop(ci);
	free(dir);
	free(etc);
}

/*
 * Refusals the database makes whatever the parsers let through, so the
 * test does not depend on which values they catch first: triggers that
 * refuse one report at each stage of its load (the report row, a record
 * in the COPY, the rollup at the end), each with another SQLSTATE class.
 */
static const char *const poison_sql[] = {
	TEST_UNSAFE_TRIGGERS,
	"CREATE FUNCTION t_refuse_report() RETURNS trigger LANGUAGE plpgsql "
	"AS $$ BEGIN IF NEW.report_id = 'poison-header' THEN RAISE EXCEPTION "
	"'report % refused', NEW.report_id USING ERRCODE = '23514'; END IF; "
	"RETURN NEW; END $$",
	"CREATE TRIGGER t_refuse BEFORE INSERT ON reports FOR EACH ROW "
	"EXECUTE FUNCTION t_refuse_report()",
	"CREATE FUNCTION t_refuse_record() RETURNS trigger LANGUAGE plpgsql "
	"AS $$ BEGIN IF NEW.count = 4242 THEN RAISE EXCEPTION E'count\\n"
	"\\x1b[31m4242 refused' USING ERRCODE = '22003'; END IF; "
	"RETURN NEW; END $$",
	"CREATE TRIGGER t_refuse BEFORE INSERT ON records FOR EACH ROW "
	"EXECUTE FUNCTION t_refuse_record()",
	"CREATE FUNCTION t_refuse_rollup() RETURNS trigger LANGUAGE plpgsql "
	"AS $$ BEGIN IF NEW.org_name = 'poison-rollup.example' THEN RAISE "
	"EXCEPTION 'rollup refused' USING ERRCODE = '54000'; END IF; "
	"RETURN NEW; END $$",
	"CREATE TRIGGER t_refuse BEFORE INSERT OR UPDATE ON domain_daily FOR "
	"EACH ROW EXECUTE FUNCTION t_refuse_rollup()",
};

static void
add_poison_triggers(const char *ci)
{
	struct store *s = NULL;
	struct err err;

	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(poison_sql) / sizeof(poison_sql[0]); i++)
		/* on Citus a worker's refusal inside a COPY comes back
		 * without its SQLSTATE (XX000): not a refusal dmarcctl can
		 * tell from a failing cluster, so no record is refused */
		if (!test_db_is_citus(ci) ||
		    strstr(poison_sql[i], "ON records") == NULL)
			cr_assert_eq(store_select(s, poison_sql[i], 0, NULL,
			    NULL, NULL, &err), 0, "%s: %s", poison_sql[i],
			    err.msg);
	store_free(s);
}

/* a report_id of n random letters and digits: no compression helps */
static char *
random_id(size_t n)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
	    "OPQRSTUVWXYZ0123456789";
	char *id = xmalloc(n + 1);
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id[i] = set[x % (sizeof(set) - 1)];
	}
	id[n] = '\0';
	return id;
}

enum { N_VALID_DAYS = 7 };

struct poison {
	const char *file;
	char sha[65];
	bool is_refused;	/* always refused (else: stored, or refused) */
};

/* the query commands answer, with exit 0, over what was stored */
static void
expect_queries_answer(const char *ci)
{
	static const char *const cmds[] = { "summary --format json",
		"sources --format json", "advise --format json",
		"tls --format json", "check", "reports", "errors" };
	char *out, *err;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = dm(NULL, ci, cmds[i], &out, &err);

		cr_expect_eq(rc, 0, "%s: %d: %s%s", cmds[i], rc, out, err);
		free(out);
		free(err);
	}
	cr_expect_eq(dm(NULL, ci, "summary --format json", &out, &err), 0);
	/* 3e9 messages from one reporter in one report, summed in 64 bits */
	cr_expect(strstr(out, "\"domain\":\"main.example\"") != NULL &&
	    strstr(out, "\"messages\":300000") != NULL, "%s", out);
	free(out);
	free(err);
}

Test(refused, poison_between_valid_reports_never_stops_ingest,
    .timeout = 120)
{
	static const char *const orgs[] = { "google.com", "yahoo.com" };
	struct poison poisons[] = {
		{ "d3_poison-header.xml", "", true },
		{ "d3_poison-copy.xml", "", true },
		{ "d3_poison-rollup.xml", "", true },
		{ "d4_huge-id.xml", "", false },
		{ "d5_tls-huge-1.json", "", false },
		{ "d5_tls-huge-2.json", "", false },
		{ "d6_dmarc-3e9.xml", "", false },
	};
	size_t n_poisons = sizeof(poisons) / sizeof(poisons[0]);
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err, *v;
	/* no record is refused on Citus (add_poison_triggers) */
	bool is_citus = test_db_is_citus(ci);
	char name[64], id[64], args[1900], sql[512], conf[600];
	char *etc = test_tmpdir();
	long long refused, errors, reports;
	int rc;

	/* the widest count the parsers may let in: the store must take it */
	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", etc);
	test_write_file(conf, "[limits]\nmax_count = 9223372036854775807\n",
	    41);
	add_poison_triggers(ci);
	/* valid: a week of two reporters, and TLS-RPT, named so that a
	 * directory walk meets them before, between and after the poison */
	for (int d = 1; d <= N_VALID_DAYS; d++)
		for (int o = 0; o < 2; o++) {
			snprintf(name, sizeof(name), "d%d_valid_%d.xml", d, o);
			snprintf(id, sizeof(id), "valid-%d-%d", d, o);
			put(dir, name, dmarc_xml(orgs[o], id, "main.example",
			    day_back(d), "192.0.2.10", 100), NULL);
		}
	for (int d = 1; d <= 2; d++) {
		snprintf(name, sizeof(name), "d%d_valid_tls.json", d);
		snprintf(id, sizeof(id), "tls-valid-%d", d);
		put(dir, name, tls_json("google.com", id, "tls.example",
		    day_back(d), "1000", "0"), NULL);
	}
	put(dir, poisons[0].file, dmarc_xml("google.com", "poison-header",
	    "main.example", day_back(3), "192.0.2.10", 100), poisons[0].sha);
	put(dir, poisons[1].file, dmarc_xml("google.com", "poison-copy",
	    "main.example", day_back(3), "192.0.2.10", 4242), poisons[1].sha);
	put(dir, poisons[2].file, dmarc_xml("poison-rollup.example",
	    "poison-rollup", "main.example", day_back(3), "192.0.2.10", 100),
	    poisons[2].sha);
	v = random_id(3000);
	put(dir, poisons[3].file, dmarc_xml("google.com", v, "main.example",
	    day_back(4), "192.0.2.10", 100), poisons[3].sha);
	free(v);
	/* near 2^63 twice: their rollup row sums past it */
	put(dir, poisons[4].file, tls_json("google.com", "tls-huge-1",
	    "tls.example", day_back(5), "9223372036854775000", "0"),
	    poisons[4].sha);
	put(dir, poisons[5].file, tls_json("google.com", "tls-huge-2",
	    "tls.example", day_back(5), "9223372036854775000", "0"),
	    poisons[5].sha);
	put(dir, poisons[6].file, dmarc_xml("bigsender.example", "dmarc-3e9",
	    "main.example", day_back(6), "192.0.2.10", 3000000000LL),
	    poisons[6].sha);

	snprintf(args, sizeof(args), "-c %s ingest --json %s", conf, dir);
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	refused = test_db_count(ci, "SELECT count(*) FROM ingest_errors WHERE "
	    "code = 'refused'");
	reports = test_db_count(ci, "SELECT count(*) FROM reports");
	cr_expect_geq(refused, is_citus ? 2 : 3);
	cr_expect_eq(summary_value(out, "failed"), refused, "%s", out);
	cr_expect_eq(summary_value(out, "new"), reports, "%s", out);
	cr_expect_eq(summary_value(out, "inputs"),
	    2 * N_VALID_DAYS + 2 + (long long)n_poisons, "%s", out);
	/* stderr: one line per refusal, escaped, no SQL */
	cr_expect(is_citus || strstr(err, "d3_poison-copy.xml: "
	    "refused by the database: count\\x0a\\x1b[31m4242 refused "
	    "[SQLSTATE 22003]") != NULL, "%s", err);
	cr_expect(strchr(err, 0x1b) == NULL, "%s", err);
	cr_expect(strstr(err, "INSERT") == NULL && strstr(err, "SELECT") ==
	    NULL, "%s", err);
	free(out);
	free(err);

	/* every valid report stored */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports WHERE "
	    "report_id LIKE 'valid-%' OR report_id LIKE 'tls-valid-%'"),
	    2 * N_VALID_DAYS + 2);
	/* the absurd counts stored, saturating in the rollups */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports WHERE "
	    "report_id IN ('tls-huge-1', 'tls-huge-2', 'dmarc-3e9')"), 3);
	v = test_db_value(ci, "SELECT max(successful) FROM tls_daily");
	cr_expect_str_eq(v, "9223372036854775807");
	free(v);
	/* every poison stored, or listed as refused with its original */
	for (size_t i = 0; i < n_poisons; i++) {
		long long listed;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM ingest_errors e "
		    "JOIN raw_inputs w ON w.id = e.raw_id WHERE e.code = "
		    "'refused' AND e.source LIKE '%%/%s' AND w.sha256 = "
		    "decode('%s', 'hex') AND e.cause LIKE 'refused by the "
		    "database: %%' AND e.cause NOT LIKE E'%%\\n%%'",
		    poisons[i].file, poisons[i].sha);
		listed = test_db_count(ci, sql);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM reports r "
		    "JOIN raw_inputs w ON w.id = r.raw_id WHERE w.sha256 = "
		    "decode('%s', 'hex')", poisons[i].sha);
		if (poisons[i].is_refused && !(is_citus &&
		    strstr(poisons[i].file, "copy") != NULL))
			cr_expect_eq(listed, 1, "%s is not listed",
			    poisons[i].file);
		else
			cr_expect_eq(listed + test_db_count(ci, sql), 1,
			    "%s: neither stored nor listed", poisons[i].file);
	}
	cr_expect_eq(dm(NULL, ci, "errors --format json", &out, &err), 0);
	cr_expect(strstr(out, "\"code\":\"refused\"") != NULL &&
	    strstr(out, "\"original\":\"raw_inputs.id=") != NULL, "%s", out);
	free(out);
	free(err);

	/* the same again: nothing new, the same errors */
	errors = test_db_count(ci, "SELECT count(*) FROM ingest_errors");
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect_eq(summary_value(out, "new"), 0, "%s", out);
	cr_expect_eq(summary_value(out, "failed"), refused, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"),
	    reports);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    errors);

	/* from stdin, the same way */
	snprintf(args, sizeof(args), "ingest - < %s/%s", dir,
	    poisons[0].file);
	rc = dm(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "stdin: refused by the database: report "
	    "poison-header refused [SQLSTATE 23514]") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors "
	    "WHERE source = 'stdin' AND code = 'refused' AND raw_id IS NOT "
	    "NULL"), 1);

	expect_queries_answer(ci);
	test_db_drop(ci);
	free(dir);
	free(etc);
}
