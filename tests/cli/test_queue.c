/*
 * ingest writes small reports many to a transaction (the store's queue):
 * each report still stored once with its own original, the same report
 * twice in one run counted a duplicate, a large report among small ones
 * loaded on its own, and the queue written whole across its limits.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define DAY 86400

static long long
day_back(int days)
{
	long long now = time(NULL);

	return now - now % DAY - (long long)days * DAY;
}

/* an aggregate report of n records (192.0.2.x / 198.51.100.x), record i
 * count i + 1, the odd ones failing DKIM */
static char *
report(const char *id, const char *domain, long long begin, unsigned n)
{
	struct buf b;

	buf_init(&b, 64u << 20);
	buf_addf(&b, NULL, "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>queue.example</org_name><email>"
	    "dmarc@queue.example</email><report_id>%s</report_id><date_range>"
	    "<begin>%lld</begin><end>%lld</end></date_range></report_metadata>"
	    "<policy_published><domain>%s</domain><p>none</p>"
	    "</policy_published>", id, begin, begin + DAY - 1, domain);
	for (unsigned i = 0; i < n; i++)
		buf_addf(&b, NULL, "<record><row><source_ip>%s.%u.%u</source_ip>"
		    "<count>%u</count><policy_evaluated><disposition>none"
		    "</disposition><dkim>%s</dkim><spf>fail</spf>"
		    "</policy_evaluated></row><identifiers><header_from>%s"
		    "</header_from></identifiers><auth_results><dkim><domain>%s"
		    "</domain><result>%s</result></dkim><spf><domain>%s</domain>"
		    "<result>fail</result></spf></auth_results></record>",
		    i % 2 ? "192.0" : "198.51", i / 250 % 250, i % 250 + 1,
		    i + 1, i % 2 ? "fail" : "pass", domain, domain,
		    i % 2 ? "fail" : "pass", domain);
	buf_addf(&b, NULL, "</feedback>\n");
	return b.data;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, text, strlen(text));
}

static long long
json_count(const char *out, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(out, pat);
	cr_assert_not_null(p, "no %s in %s", key, out);
	return strtoll(p + strlen(pat), NULL, 10);
}

static void
ingest(const char *ci, const char *path, int want_rc, long long want_new,
    long long want_dup)
{
	char args[1024];
	char *out = NULL, *err = NULL;
	int rc;

	snprintf(args, sizeof(args), "ingest --json %s", path);
	rc = test_dmarcctl(NULL, ci, args, &out, &err);
	cr_expect_eq(rc, want_rc, "rc %d: %s", rc, err);
	cr_expect_eq(json_count(out, "new"), want_new, "%s", out);
	cr_expect_eq(json_count(out, "duplicate"), want_dup, "%s", out);
	free(out);
	free(err);
}

Test(queue, six_hundred_reports_each_with_its_own_original)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	char name[64], id[64];

	/* more than the queue holds: written in several transactions */
	for (unsigned i = 0; i < 600; i++) {
		char *x;

		snprintf(id, sizeof(id), "q%03u", i);
		snprintf(name, sizeof(name), "q%03u.xml", i);
		x = report(id, i % 3 ? "a.example" : "b.example",
		    day_back(1 + (int)(i % 40)), 1 + i % 7);
		put(dir, name, x);
		free(x);
	}
	ingest(ci, dir, 0, 600, 0);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 600);
	/* each report points at the file it came from */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports r JOIN "
	    "raw_inputs w ON w.id = r.raw_id WHERE w.source LIKE '%/' || "
	    "r.report_id || '.xml'"), 600);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM raw_inputs"), 600);
	/* the rollups hold every record once */
	cr_expect_eq(test_db_count(ci, "SELECT sum(records) FROM reports"),
	    test_db_count(ci, "SELECT count(*) FROM records"));
	cr_expect_eq(test_db_count(ci, "SELECT sum(records) FROM "
	    "domain_daily"), test_db_count(ci, "SELECT count(*) FROM "
	    "records"));
	cr_expect_eq(test_db_count(ci, "SELECT sum(messages) FROM "
	    "source_daily"), test_db_count(ci, "SELECT sum(count) FROM "
	    "records"));
	cr_expect_eq(test_db_count(ci, "SELECT sum(reports) FROM "
	    "domain_daily"), 600);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM dkim_results"),
	    test_db_count(ci, "SELECT count(*) FROM records"));
	/* a rerun: all known, nothing added */
	ingest(ci, dir, 0, 0, 600);
	cr_expect_eq(test_db_count(ci, "SELECT sum(reports) FROM "
	    "domain_daily"), 600);
	test_db_drop(ci);
	free(dir);
}

Test(queue, the_same_report_twice_in_one_run_is_one_report)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	char *a = report("twice", "a.example", day_back(2), 5);
	char *b = report("other", "a.example", day_back(2), 3);
	char path[512];
	char *gz;
	size_t gzlen;

	put(dir, "1.xml", a);
	put(dir, "2.xml", b);
	/* other bytes, the same report */
	gz = test_gzip(a, strlen(a), &gzlen);
	snprintf(path, sizeof(path), "%s/3.xml.gz", dir);
	test_write_file(path, gz, gzlen);
	put(dir, "4.xml", a);
	ingest(ci, dir, 0, 2, 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT sum(reports) FROM "
	    "domain_daily"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT sum(messages) FROM "
	    "domain_daily"), 15 + 6);
	free(a);
	free(b);
	free(gz);
	test_db_drop(ci);
	free(dir);
}

Test(queue, a_large_report_among_small_ones_is_loaded_on_its_own)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	char *big = report("big", "a.example", day_back(3), 3000);
	char name[64], id[64];
	long long records;

	for (unsigned i = 0; i < 10; i++) {
		char *x;

		snprintf(id, sizeof(id), "s%u", i);
		snprintf(name, sizeof(name), "%u.xml", i * 2);
		x = report(id, "a.example", day_back(3), 4);
		put(dir, name, x);
		free(x);
	}
	put(dir, "9.xml", big);
	ingest(ci, dir, 0, 11, 0);
	records = test_db_count(ci, "SELECT count(*) FROM records");
	cr_expect_eq(records, 3000 + 40);
	cr_expect_eq(test_db_count(ci, "SELECT records FROM reports WHERE "
	    "report_id = 'big'"), 3000);
	cr_expect_eq(test_db_count(ci, "SELECT sum(records) FROM "
	    "domain_daily"), records);
	cr_expect_eq(test_db_count(ci, "SELECT sum(messages) FROM "
	    "source_daily"), test_db_count(ci, "SELECT sum(count) FROM "
	    "records"));
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports r JOIN "
	    "raw_inputs w ON w.id = r.raw_id WHERE r.report_id = 'big' AND "
	    "w.source LIKE '%/9.xml'"), 1);
	/* again: the large one is known part way, the rest at the end */
	ingest(ci, dir, 0, 0, 11);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM records"),
	    records);
	/* the large one alone, on stdin */
	{
		char in[600];

		snprintf(in, sizeof(in), "- < %s/9.xml", dir);
		ingest(ci, in, 0, 0, 1);
	}
	free(big);
	test_db_drop(ci);
	free(dir);
}

Test(queue, a_large_report_cut_short_stores_nothing_of_it)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	char *big = report("cut", "a.example", day_back(3), 2500);
	char *small = report("fine", "a.example", day_back(3), 2);
	char *rc_out = NULL, *rc_err = NULL;
	char args[512];
	int rc;

	/* past the queue's limit, then the document ends */
	big[strlen(big) * 3 / 4] = '\0';
	put(dir, "1.xml", small);
	put(dir, "2.xml", big);
	snprintf(args, sizeof(args), "ingest --json %s", dir);
	rc = test_dmarcctl(NULL, ci, args, &rc_out, &rc_err);
	cr_expect_eq(rc, 65, "%d: %s", rc, rc_err);
	cr_expect_eq(json_count(rc_out, "new"), 1, "%s", rc_out);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM records"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors"),
	    1);
	cr_expect_eq(test_db_count(ci, "SELECT sum(records) FROM "
	    "domain_daily"), 2);
	free(rc_out);
	free(rc_err);
	free(big);
	free(small);
	test_db_drop(ci);
	free(dir);
}
