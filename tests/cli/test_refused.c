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
	cr_expect(strstr(err, "max_archive '501M' is out of range (1 to "
	    "500M)") != NULL, "%s", err);
	free(out);
	free(err);
	test_db_drop(ci);
	free(dir);
	free(etc);
}
