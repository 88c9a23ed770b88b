/*
 * The store through its API, on a fresh database per test: migrations,
 * whole reports with their children and rollups, exactly once across
 * wrappings, all or nothing when a report fails part way, the raw archive
 * and ingest errors.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/sha256.h"
#include "common/stream.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "tests/test_util.h"

#define AGG CORPUS "/aggregate/"
#define TLS CORPUS "/tlsrpt/"

/* a sink in front of the store's: counts, and fails on request */
struct loader {
	struct store *s;
	struct report_sink inner;
	struct report_sink sink;
	unsigned fail_at;	/* fail on this record or policy; 0: never */
	unsigned seen;		/* records and policies of the report */
	unsigned ends, aborts, failures;
	uint64_t reasons, dkim, spf, tls_failures;
	bool want_record_errors;	/* failures go to store_record_error */
	char why[512];
};

static int
l_header(void *ctx, const struct report *r, struct err *err)
{
	struct loader *l = ctx;

	l->seen = 0;
	return l->inner.on_header(l->inner.ctx, r, err);
}

static int
l_record(void *ctx, const struct report *r, const struct dmarc_record *rec,
    struct err *err)
{
	struct loader *l = ctx;

	if (++l->seen == l->fail_at)
		return err_set(err, ERR_PARSE, "record %u: made to fail",
		    l->seen);
	l->reasons += rec->n_reasons;
	l->dkim += rec->n_dkim;
	l->spf += rec->n_spf;
	return l->inner.on_dmarc_record(l->inner.ctx, r, rec, err);
}

static int
l_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct loader *l = ctx;

	if (++l->seen == l->fail_at)
		return err_set(err, ERR_PARSE, "policy %u: made to fail",
		    l->seen);
	l->tls_failures += p->n_failures;
	return l->inner.on_tls_policy(l->inner.ctx, r, p, err);
}

static int
l_end(void *ctx, const struct report *r, struct err *err)
{
	struct loader *l = ctx;

	l->ends++;
	return l->inner.on_end(l->inner.ctx, r, err);
}

static void
l_abort(void *ctx, const struct report *r)
{
	struct loader *l = ctx;

	l->aborts++;
	l->inner.on_abort(l->inner.ctx, r);
}

static void
l_failure(void *ctx, const struct err *why)
{
	struct loader *l = ctx;
	struct err err;

	l->failures++;
	snprintf(l->why, sizeof(l->why), "%s", why->msg);
	if (l->want_record_errors)
		cr_assert_eq(store_record_error(l->s, why, &err), 0, "%s",
		    err.msg);
}

static void
loader_init(struct loader *l, struct store *s)
{
	memset(l, 0, sizeof(*l));
	l->s = s;
	store_sink(s, &l->inner);
	l->sink = (struct report_sink){ l, l_header, l_record, l_policy,
		l_end, l_abort, l_failure, NULL, NULL };
}

/* one unit, as cmd_ingest hands it over; is_archived: with its bytes */
static void
load_mem(struct loader *l, const void *data, size_t len, const char *name,
    bool is_archived)
{
	struct report_limits lim;
	struct report_stats st;
	struct store_unit u;
	struct stream *in = NULL;
	struct sha256 h;
	struct err err;

	memset(&u, 0, sizeof(u));
	u.source = name;
	u.size = len;
	u.encoding = "identity";
	if (is_archived) {
		u.data = data;
		u.len = len;
	}
	sha256_init(&h);
	sha256_add(&h, data, len);
	sha256_done(&h, u.sha256);
	store_set_unit(l->s, &u);
	report_limits_default(&lim);
	/* the store takes whatever the widest [limits] max_count lets in */
	lim.max_count = INT64_MAX;
	stream_new_mem(&in, data, len, name);
	cr_assert_eq(report_parse(in, name, &lim, &l->sink, &st, &err), 0,
	    "%s: %s", name, err.msg);
	stream_free(in);
}

static void
load_file(struct loader *l, const char *path)
{
	size_t len;
	char *data = test_slurp(path, &len);

	load_mem(l, data, len, path, true);
	free(data);
}

/* a fresh database, migrated, and a store on it */
static struct store *
open_migrated(char **ci)
{
	struct store *s = NULL;
	struct err err;
	unsigned applied;

	*ci = test_db_new();
	cr_assert_eq(store_open(&s, *ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	cr_assert_gt(applied, 0);
	return s;
}

static long long
count(const char *ci, const char *sql)
{
	return test_db_count(ci, sql);
}

/* every table the loader writes, as "name=rows ..." */
static char *
table_counts(const char *ci)
{
	return test_db_value(ci, "SELECT format('raw=%s reports=%s records=%s "
	    "reasons=%s dkim=%s spf=%s tls_policies=%s tls_failures=%s "
	    "domain_daily=%s tls_daily=%s tls_daily_failures=%s errors=%s', "
	    "(SELECT count(*) FROM raw_inputs), "
	    "(SELECT count(*) FROM reports), "
	    "(SELECT count(*) FROM records), "
	    "(SELECT count(*) FROM record_reasons), "
	    "(SELECT count(*) FROM dkim_results), "
	    "(SELECT count(*) FROM spf_results), "
	    "(SELECT count(*) FROM tls_policies), "
	    "(SELECT count(*) FROM tls_failures), "
	    "(SELECT count(*) FROM domain_daily), "
	    "(SELECT count(*) FROM tls_daily), "
	    "(SELECT count(*) FROM tls_daily_failures), "
	    "(SELECT count(*) FROM ingest_errors))");
}

static const char empty_tables[] = "raw=0 reports=0 records=0 reasons=0 "
    "dkim=0 spf=0 tls_policies=0 tls_failures=0 domain_daily=0 tls_daily=0 "
    "tls_daily_failures=0 errors=0";

static int
status_row(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	unsigned *n = ctx;

	(void)err;
	cr_expect_gt(version, 0);
	cr_expect_neq(*name, '\0');
	/* applied: an ISO 8601 time */
	cr_expect(strlen(at) == 20 && at[4] == '-' && at[10] == 'T' &&
	    at[19] == 'Z', "migration %d applied at '%s'", version, at);
	(*n)++;
	return 0;
}

Test(store, migrate_applies_each_migration_once)
{
	char *ci = test_db_new();
	struct store *s = NULL;
	struct err err;
	unsigned applied = 99, listed = 0;

	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_expect_eq(store_check_schema(s, &err), -1);
	cr_expect_eq(err.code, ERR_DB);
	cr_expect(strstr(err.msg, "run dmarcctl db migrate") != NULL, "%s",
	    err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	cr_expect_gt(applied, 0);
	cr_expect_eq(store_check_schema(s, &err), 0, "%s", err.msg);
	cr_assert_eq(store_status(s, status_row, &listed, &err), 0, "%s",
	    err.msg);
	cr_expect_eq(listed, applied);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(applied, 0, "a second migrate applied %u", applied);
	cr_expect_eq(count(ci, "SELECT count(*) FROM dmarcctl_migrations"),
	    listed);
	store_free(s);
	test_db_drop(ci);
}

Test(store, open_fails_with_one_line)
{
	struct store *s = NULL;
	struct err err;

	cr_assert_eq(store_open(&s, "host=/nonexistent port=1 "
	    "connect_timeout=5", &err), -1);
	cr_expect_null(s);
	cr_expect_eq(err.code, ERR_DB);
	cr_expect(strncmp(err.msg, "cannot connect to database: ", 28) == 0,
	    "%s", err.msg);
	cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
	cr_expect(strchr(err.msg, '\t') == NULL, "one line: %s", err.msg);
}

Test(store, dmarc_report_is_stored_whole)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	struct loader l;

	loader_init(&l, s);
	load_file(&l, AGG "zoho_no-version-spf-helo-no-domain.xml");
	cr_assert_eq(l.ends, 1);
	cr_expect_eq(store_stats(s)->reports_new, 1);
	cr_expect_eq(store_stats(s)->reports_duplicate, 0);
	cr_expect_eq(store_stats(s)->records, 8);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE "
	    "org_name = 'zoho.com' AND domain = 'example.com' AND records = 8 "
	    "AND messages = 9 AND length(content_sha256) = 32 AND raw_id IS "
	    "NOT NULL AND kind = 'dmarc'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 8);
	cr_expect_eq(count(ci, "SELECT sum(count) FROM records"), 9);
	/* rec_no is the position: 1..8, once each */
	cr_expect_eq(count(ci, "SELECT count(DISTINCT rec_no) FROM records "
	    "WHERE rec_no BETWEEN 1 AND 8"), 8);
	cr_expect_eq(count(ci, "SELECT count(*) FROM dkim_results"),
	    (long long)l.dkim);
	cr_expect_eq(count(ci, "SELECT count(*) FROM spf_results"),
	    (long long)l.spf);
	cr_expect_eq(count(ci, "SELECT count(*) FROM record_reasons"),
	    (long long)l.reasons);
	cr_expect_gt(l.dkim + l.spf, 0);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"), 9);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"), 8);
	cr_expect_eq(count(ci, "SELECT sum(reports) FROM domain_daily"), 1);
	/* per source, the rollup sums the records of that source */
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM source_daily"), 9);
	cr_expect_eq(count(ci, "SELECT count(*) FROM (SELECT coalesce("
	    "host(source_ip), '') AS s, sum(count) AS c FROM records GROUP BY "
	    "1) r JOIN (SELECT source, sum(messages) AS m FROM source_daily "
	    "GROUP BY 1) d ON d.source = r.s AND d.m = r.c"),
	    count(ci, "SELECT count(DISTINCT source) FROM source_daily"));
	cr_expect_eq(count(ci, "SELECT count(DISTINCT source) FROM "
	    "source_daily"), count(ci, "SELECT count(DISTINCT coalesce("
	    "host(source_ip), '')) FROM records"));
	/* the original is archived as it came */
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs w JOIN "
	    "reports r ON r.raw_id = w.id WHERE w.encoding = 'identity' AND "
	    "w.size = length(w.content) AND w.source LIKE '%/zoho_no-version-"
	    "spf-helo-no-domain.xml'"), 1);
	store_free(s);
	test_db_drop(ci);
}

Test(store, tlsrpt_report_is_stored_whole)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	struct loader l;

	loader_init(&l, s);
	load_file(&l, TLS "microsoft_sts-plus-tlsa-policies.json");
	cr_assert_eq(l.ends, 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'tlsrpt' AND domain = 'random.net' AND records = 2 AND "
	    "messages = 4"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_policies"), 2);
	cr_expect_eq(count(ci, "SELECT count(DISTINCT policy_type) FROM "
	    "tls_policies"), 2);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_failures"),
	    (long long)l.tls_failures);
	cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
	    "tls_daily"), 4);
	cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
	    "tls_policies"), 4);
	cr_expect_eq(count(ci, "SELECT coalesce(sum(sessions), 0) FROM "
	    "tls_daily_failures"), count(ci, "SELECT coalesce(sum("
	    "failed_session_count), 0) FROM tls_failures"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 0);
	store_free(s);
	test_db_drop(ci);
}

Test(store, a_report_is_stored_once_in_any_wrapping)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	struct loader l;
	size_t len, gzlen, maillen;
	char *xml = test_slurp(AGG "outlook_envelope-to-two-records-no-final-"
	    "newline.xml", &len);
	char *gz = test_gzip(xml, len, &gzlen);
	char *mail = test_email(gz, gzlen, "application/gzip", "r.xml.gz",
	    &maillen);
	char *before;

	loader_init(&l, s);
	load_mem(&l, xml, len, "r.xml", true);
	cr_expect_eq(store_stats(s)->reports_new, 1);
	before = table_counts(ci);
	/* the same bytes again, then the same report in other wrappings,
	 * then without an archived original */
	load_mem(&l, xml, len, "r.xml", true);
	load_mem(&l, gz, gzlen, "r.xml.gz", true);
	load_mem(&l, mail, maillen, "r.eml", true);
	load_mem(&l, gz, gzlen, "big.xml.gz", false);
	cr_expect_eq(l.ends, 5);
	cr_expect_eq(store_stats(s)->reports_new, 1);
	cr_expect_eq(store_stats(s)->reports_duplicate, 4);
	cr_expect_eq(store_stats(s)->records, 2);
	{
		char *after = table_counts(ci);

		cr_expect_str_eq(after, before, "a duplicate wrote rows");
		free(after);
	}
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"), 3);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"), 2);
	free(before);
	free(xml);
	free(gz);
	free(mail);
	store_free(s);
	test_db_drop(ci);
}

Test(store, same_report_id_with_other_content_is_another_report)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	struct loader l;

	loader_init(&l, s);
	load_file(&l, AGG "testinc_trailing-space-in-end-no-version.xml");
	load_file(&l, AGG "testinc_empty-record-zero-count-self-closing.xml");
	load_file(&l, AGG "testinc_trailing-space-in-end-no-version.xml");
	cr_expect_eq(store_stats(s)->reports_new, 2);
	cr_expect_eq(store_stats(s)->reports_duplicate, 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE report_id "
	    "= '1.id.0'"), 2);
	cr_expect_eq(count(ci, "SELECT count(DISTINCT content_sha256) FROM "
	    "reports"), 2);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM reports"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 3);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"), 7);
	store_free(s);
	test_db_drop(ci);
}

/* a report the sink gives up on part way leaves nothing behind */
Test(store, a_report_that_fails_part_way_leaves_no_rows)
{
	static const struct {
		const char *file;
		unsigned fail_at;
	} cases[] = {
		{ AGG "zoho_no-version-spf-helo-no-domain.xml", 1 },
		{ AGG "zoho_no-version-spf-helo-no-domain.xml", 5 },
		{ AGG "zoho_no-version-spf-helo-no-domain.xml", 8 },
		{ TLS "microsoft_sts-plus-tlsa-policies.json", 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ci, *counts;
		struct store *s = open_migrated(&ci);
		struct loader l;

		loader_init(&l, s);
		l.fail_at = cases[i].fail_at;
		load_file(&l, cases[i].file);
		cr_expect_eq(l.aborts, 1, "%s @%u", cases[i].file,
		    cases[i].fail_at);
		cr_expect_eq(l.failures, 1);
		cr_expect(strstr(l.why, "made to fail") != NULL, "%s", l.why);
		cr_expect_eq(store_stats(s)->reports_new, 0);
		counts = table_counts(ci);
		cr_expect_str_eq(counts, empty_tables, "%s failing at %u",
		    cases[i].file, cases[i].fail_at);
		free(counts);
		/* the store goes on: the same report now loads whole */
		l.fail_at = 0;
		load_file(&l, cases[i].file);
		cr_expect_eq(store_stats(s)->reports_new, 1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE "
		    "length(content_sha256) = 32 AND records > 0 AND raw_id IS "
		    "NOT NULL"), 1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 1);
		store_free(s);
		test_db_drop(ci);
	}
}

/* a header and records straight into the sink, as a parser sends them */
static int
send_report(struct store *s, const char *id, const char *const *ips,
    size_t n, struct err *err)
{
	struct report_sink sink;
	struct report r;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	r.kind = REPORT_DMARC;
	r.input = "memory";
	r.location = "";
	r.org_name = "example.org";
	r.report_id = id;
	r.domain = "example.com";
	r.begin = 1700006400;
	r.end = r.begin + 86399;
	r.policy.domain = "example.com";
	r.policy.p = "none";
	r.policy.pct = -1;
	store_sink(s, &sink);
	if (sink.on_header(sink.ctx, &r, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dmarc_record rec;

		memset(&rec, 0, sizeof(rec));
		rec.source_ip = ips[i];
		rec.ip_family = strchr(ips[i], ':') != NULL ? 6 : 4;
		rec.count = 2;
		rec.disposition = "none";
		rec.dkim = "pass";
		rec.spf = "fail";
		rec.header_from = "example.com";
		r.records++;
		r.messages += 2;
		if (sink.on_dmarc_record(sink.ctx, &r, &rec, err) == -1)
			goto out;
	}
	if (sink.on_end(sink.ctx, &r, err) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		sink.on_abort(sink.ctx, &r);
	return ret;
}

/*
 * The server refuses a row in the middle of the COPY: early in a long
 * report (the error reaches the client while it still sends rows) and
 * late in a short one (it comes with the end of the COPY).
 */
Test(store, a_row_the_server_refuses_rolls_the_report_back)
{
	static const struct {
		size_t n, bad;
	} cases[] = { { 300, 150 }, { 50000, 10 } };

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].n;
		char *ci, *counts, sql[256];
		struct store *s = open_migrated(&ci);
		const char **ips = xcalloc(n, sizeof(*ips));
		char (*text)[32] = xcalloc(n, sizeof(*text));
		struct err err;

		for (size_t i = 0; i < n; i++) {
			snprintf(text[i], sizeof(text[i]), "10.%zu.%zu.%zu",
			    i / 62500, i / 250 % 250, i % 250);
			ips[i] = text[i];
		}
		/* claimed to be IPv4, but not an address: inet refuses it */
		ips[cases[c].bad] = "192.0.2.999";
		err_clear(&err);
		cr_expect_eq(send_report(s, "bad-row", ips, n, &err), -1);
		cr_expect_eq(err.code, ERR_REFUSED, "%zu records: %s", n,
		    err.msg);
		cr_expect(strstr(err.msg, "192.0.2.999") != NULL, "%zu "
		    "records: %s", n, err.msg);
		cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s",
		    err.msg);
		cr_expect(store_is_connected(s));
		counts = table_counts(ci);
		cr_expect_str_eq(counts, empty_tables);
		free(counts);
		/* the connection is usable: the next report loads */
		ips[cases[c].bad] = "2001:db8::1";
		cr_expect_eq(send_report(s, "good", ips, n, &err), 0, "%s",
		    err.msg);
		cr_expect_eq(store_stats(s)->reports_new, 1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM records"),
		    (long long)n);
		cr_expect_eq(count(ci, "SELECT count(*) FROM records WHERE "
		    "source_ip = '2001:db8::1'"), 1);
		cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
		    2 * (long long)n);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM reports WHERE "
		    "report_id = 'good' AND records = %zu AND messages = %zu",
		    n, 2 * n);
		cr_expect_eq(count(ci, sql), 1);
		free(ips);
		free(text);
		store_free(s);
		test_db_drop(ci);
	}
}

/* a unit with a good and a bad part: one original, one report, one error */
Test(store, a_unit_is_archived_once_for_reports_and_errors)
{
	static const char *const names[] = { "a.xml", "b.xml" };
	size_t lens[2], ziplen;
	char *datas[2], *zip;

	datas[0] = test_slurp(AGG "zoho_no-version-spf-helo-no-domain.xml",
	    &lens[0]);
	datas[1] = test_slurp(AGG "testcom_unclosed-report-metadata.xml",
	    &lens[1]);
	for (int order = 0; order < 2; order++) {
		const char *d[2] = { datas[order], datas[1 - order] };
		size_t n[2] = { lens[order], lens[1 - order] };
		char *ci;
		struct store *s = open_migrated(&ci);
		struct loader l;

		zip = test_zip(names, d, n, 2, &ziplen);
		loader_init(&l, s);
		l.want_record_errors = true;
		load_mem(&l, zip, ziplen, "both.zip", true);
		cr_expect_eq(l.ends, 1);
		cr_expect_eq(l.failures, 1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs WHERE "
		    "source = 'both.zip'"), 1, "order %d", order);
		cr_expect_eq(count(ci, "SELECT count(*) FROM reports r JOIN "
		    "raw_inputs w ON w.id = r.raw_id WHERE w.source = "
		    "'both.zip'"), 1, "order %d", order);
		cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors e "
		    "JOIN raw_inputs w ON w.id = e.raw_id WHERE e.source = "
		    "'both.zip' AND e.code = 'parse' AND e.cause LIKE "
		    "'%line 9%'"), 1, "order %d", order);
		/* the cause does not repeat the source */
		cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors "
		    "WHERE cause LIKE 'both.zip%'"), 0);
		/* a rerun says it again: still one error row, one original */
		load_mem(&l, zip, ziplen, "both.zip", true);
		cr_expect_eq(store_stats(s)->reports_duplicate, 1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"),
		    1);
		cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 1);
		free(zip);
		store_free(s);
		test_db_drop(ci);
	}
	free(datas[0]);
	free(datas[1]);
}

Test(store, an_error_without_an_original_names_where_it_is)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	struct store_unit u;
	struct err why, err;

	memset(&u, 0, sizeof(u));
	u.source = "/var/mail/huge.mbox";
	store_set_unit(s, &u);
	err_set(&why, ERR_LIMIT, "/var/mail/huge.mbox: message 3: more than "
	    "5 records");
	cr_assert_eq(store_record_error(s, &why, &err), 0, "%s", err.msg);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors WHERE "
	    "source = '/var/mail/huge.mbox' AND code = 'limit' AND cause = "
	    "'message 3: more than 5 records' AND raw_id IS NULL"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	store_free(s);
	test_db_drop(ci);
}

/*
 * A source name or cause the server would refuse (not UTF-8, past the
 * index row limit) is recorded escaped and cut, original and all: the
 * failure is never lost for its name.
 */
Test(store, an_error_the_server_refuses_is_recorded_escaped)
{
	char *ci, *long_name = xmalloc(4001), *v;
	struct store *s = open_migrated(&ci);
	struct store_unit u;
	struct err why, err;
	static const char data[] = "not a report";

	memset(&u, 0, sizeof(u));
	u.source = "/in/caf\xe9.xml";
	u.data = data;
	u.len = sizeof(data) - 1;
	u.encoding = "identity";
	u.size = u.len;
	memset(u.sha256, 7, sizeof(u.sha256));
	store_set_unit(s, &u);
	/* err_set keeps messages UTF-8 (8-bit bytes read as Latin-1) */
	err_set(&why, ERR_PARSE, "line 1: bad \x1b[1m\xff");
	cr_assert_eq(store_record_error(s, &why, &err), 0, "%s", err.msg);
	v = test_db_value(ci, "SELECT format('%s|%s|%s', e.source, e.cause, "
	    "w.source) FROM ingest_errors e JOIN raw_inputs w ON w.id = "
	    "e.raw_id");
	cr_expect_str_eq(v, "/in/caf\\xe9.xml|line 1: bad \\x1b[1m\xc3\xbf|"
	    "/in/caf\\xe9.xml");
	free(v);

	/* random letters: compression cannot bring it under the limit */
	for (uint64_t i = 0, x = 88172645463325252ULL; i < 4000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		long_name[i] = (char)('a' + x % 26);
	}
	memcpy(long_name, "/aaa", 4);
	long_name[4000] = '\0';
	memset(&u, 0, sizeof(u));
	u.source = long_name;
	store_set_unit(s, &u);
	err_set(&why, ERR_PARSE, "no report found");
	cr_assert_eq(store_record_error(s, &why, &err), 0, "%s", err.msg);
	/* the unique index hashes the name (sql/007): kept whole */
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors WHERE "
	    "source LIKE '/aaa%' AND length(source) = 4000 AND raw_id IS "
	    "NULL"), 1);
	free(long_name);
	store_free(s);
	test_db_drop(ci);
}

struct rows {
	struct buf text;
	size_t ncols;
};

static int
rows_add(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct rows *r = ctx;

	r->ncols = ncols;
	for (size_t i = 0; i < ncols; i++)
		if (buf_addf(&r->text, err, "%s=%s%c", names[i],
		    values[i] != NULL ? values[i] : "NULL",
		    i + 1 < ncols ? ' ' : '\n') == -1)
			return -1;
	return 0;
}

Test(store, select_takes_parameters_and_reports_errors)
{
	char *ci;
	struct store *s = open_migrated(&ci);
	const char *params[2] = { "b", NULL };
	struct rows r;
	struct err err;

	buf_init(&r.text, 1u << 16);
	cr_assert_eq(store_select(s, "SELECT x AS v, $2::text AS n FROM "
	    "unnest(ARRAY['a', 'b', 'c']) x WHERE x >= $1 ORDER BY x", 2,
	    params, rows_add, &r, &err), 0, "%s", err.msg);
	cr_expect_eq(r.ncols, 2);
	cr_expect_str_eq(buf_str(&r.text), "v=b n=NULL\nv=c n=NULL\n");
	cr_expect_eq(store_select(s, "SELECT * FROM no_such_table", 0, NULL,
	    rows_add, &r, &err), -1);
	cr_expect_eq(err.code, ERR_DB);
	cr_expect(strstr(err.msg, "no_such_table") != NULL, "%s", err.msg);
	cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
	buf_release(&r.text);
	store_free(s);
	test_db_drop(ci);
}

/*
 * What the server says decides who is at fault: the data (22, 23, 54:
 * ERR_REFUSED, the run goes on) or the server (anything else: ERR_DB).
 * Run in order on one session: the last ones change its settings.
 */
Test(store, server_errors_are_classified_by_sqlstate)
{
	static const struct {
		const char *sql;
		enum err_code code;
		const char *state;
	} cases[] = {
		{ "SELECT 1 / 0", ERR_REFUSED, "22012" },
		{ "SELECT 3000000000::int", ERR_REFUSED, "22003" },
		{ "SELECT '10000-01-01'::timestamptz + interval '300000 years'",
		  ERR_REFUSED, "22008" },
		{ "SELECT E'\\x1b[31m\\nred'::int", ERR_REFUSED, "22P02" },
		{ "INSERT INTO ingest_errors (source, code, cause) VALUES "
		  "(NULL, 'x', 'y')", ERR_REFUSED, "23502" },
		{ "INSERT INTO reports (domain, kind, org_name, report_id, "
		  "begin_at, end_at, content_sha256, records, messages) VALUES "
		  "('a', 'nope', '', '', now(), now(), '', 0, 0)", ERR_REFUSED,
		  "23514" },
		/* past the btree row limit of a unique index (the schema's
		 * own keys are hashed or capped: a table of the test's) */
		{ "CREATE TABLE wide (x text PRIMARY KEY)", ERR_OK, NULL },
		{ "INSERT INTO wide SELECT string_agg(md5(i::text), '') FROM "
		  "generate_series(1, 400) i", ERR_REFUSED, "54000" },
		{ "SELECT * FROM no_such_table", ERR_DB, "42P01" },
		{ "SELECT no_such_function()", ERR_DB, "42883" },
		{ "SET statement_timeout = 1", ERR_OK, NULL },
		{ "SELECT pg_sleep(1)", ERR_DB, "57014" },
		{ "SET default_transaction_read_only = on", ERR_OK, NULL },
		{ "INSERT INTO ingest_errors (source, code, cause) VALUES "
		  "('a', 'x', 'y')", ERR_DB, "25006" },
	};
	char *ci;
	struct store *s = open_migrated(&ci);
	struct err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char state[32];
		int r;

		err_clear(&err);
		r = store_select(s, cases[i].sql, 0, NULL, NULL, NULL, &err);
		cr_expect_eq(r, cases[i].code == ERR_OK ? 0 : -1, "%s",
		    cases[i].sql);
		cr_expect_eq(err.code, cases[i].code, "%s: %s (%s)",
		    cases[i].sql, err_code_name(err.code), err.msg);
		cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s",
		    err.msg);
		cr_expect(strchr(err.msg, 0x1b) == NULL, "escaped: %s",
		    err.msg);
		if (cases[i].code != ERR_REFUSED)
			continue;
		snprintf(state, sizeof(state), "[SQLSTATE %s]",
		    cases[i].state);
		cr_expect(strstr(err.msg, state) != NULL, "%s: %s",
		    cases[i].sql, err.msg);
		/* the reason, never the statement */
		cr_expect(strstr(err.msg, "SELECT") == NULL &&
		    strstr(err.msg, "INSERT") == NULL, "%s", err.msg);
		cr_expect(store_is_connected(s));
	}
	cr_expect(strstr(err.msg, "read-only") != NULL, "%s", err.msg);
	store_free(s);
	test_db_drop(ci);
}

/* a TLS-RPT report of example.com on 2024-01-09 with absurd counts */
static char *
tls_huge(const char *id, size_t *len)
{
	char *json = xmalloc(2048);

	*len = (size_t)snprintf(json, 2048, "{\"organization-name\":\"Example "
	    "Inc.\",\"date-range\":{\"start-datetime\":"
	    "\"2024-01-09T00:00:00Z\",\"end-datetime\":"
	    "\"2024-01-09T23:59:59Z\"},\"contact-info\":\"tls@example.org\","
	    "\"report-id\":\"%s\",\"policies\":[{\"policy\":{"
	    "\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":"
	    "9223372036854775000,\"total-failure-session-count\":"
	    "9223372036854775000},\"failure-details\":[{\"result-type\":"
	    "\"certificate-expired\",\"receiving-mx-hostname\":"
	    "\"mx.example.com\",\"failed-session-count\":"
	    "9223372036854775000}]}]}", id);
	return json;
}

/*
 * Counts a reporter controls stop at 2^63-1 in the rollups instead of
 * failing: two reports whose sums pass it are both stored, and a rollup
 * row already at the top does not block the reports after it.
 */
Test(store, rollup_sums_saturate_instead_of_failing)
{
	static const char max[] = "9223372036854775807";
	static const char *const ips[] = { "192.0.2.1" };
	char *ci, *v;
	struct store *s = open_migrated(&ci);
	struct loader l;
	struct err err;
	size_t len;

	loader_init(&l, s);
	for (int i = 0; i < 2; i++) {
		char id[24], *json;

		snprintf(id, sizeof(id), "huge-%d", i);
		json = tls_huge(id, &len);
		load_mem(&l, json, len, id, true);
		free(json);
	}
	cr_expect_eq(l.failures, 0, "%s", l.why);
	cr_expect_eq(store_stats(s)->reports_new, 2);
	v = test_db_value(ci, "SELECT format('%s %s', successful, failed) "
	    "FROM tls_daily");
	cr_expect_str_eq(v, "9223372036854775807 9223372036854775807");
	free(v);
	v = test_db_value(ci, "SELECT sessions FROM tls_daily_failures");
	cr_expect_str_eq(v, max);
	free(v);
	v = test_db_value(ci, "SELECT max(messages) FROM reports");
	cr_expect_str_eq(v, max);
	free(v);

	/* rows at the top already: the next report still loads */
	cr_assert_eq(store_select(s, "INSERT INTO domain_daily VALUES "
	    "('example.com', '2023-11-15', 'example.org', "
	    "9223372036854775807, 1, 9223372036854775807, "
	    "9223372036854775807, 9223372036854775807, 0, 0, 0, 0, 0, 0)",
	    0, NULL, NULL, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(store_select(s, "INSERT INTO source_daily VALUES "
	    "('example.com', '2023-11-15', '192.0.2.1', 9223372036854775807, "
	    "9223372036854775807, 9223372036854775807, 0, 0, 0, 0, 0, 0, 0, "
	    "NULL, NULL)", 0, NULL, NULL, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(send_report(s, "after", ips, 1, &err), 0, "%s", err.msg);
	v = test_db_value(ci, "SELECT format('%s %s %s', reports, messages, "
	    "records) FROM domain_daily");
	cr_expect_str_eq(v, "9223372036854775807 9223372036854775807 2");
	free(v);
	v = test_db_value(ci, "SELECT format('%s %s %s', messages, dmarc_pass, "
	    "dkim_aligned) FROM source_daily");
	cr_expect_str_eq(v, "9223372036854775807 9223372036854775807 "
	    "9223372036854775807");
	free(v);
	v = test_db_value(ci, "SELECT format('%s %s %s %s', "
	    "dmarcctl_add(1, 2), dmarcctl_add(9223372036854775800, 100), "
	    "dmarcctl_clamp(99999999999999999999), "
	    "coalesce(dmarcctl_clamp(NULL), -1))");
	cr_expect_str_eq(v, "3 9223372036854775807 9223372036854775807 -1");
	free(v);
	store_free(s);
	test_db_drop(ci);
}

static int
first_value(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	(void)ncols, (void)names, (void)err;
	snprintf(ctx, 32, "%s", values[0] != NULL ? values[0] : "");
	return 0;
}

/* run one query with stderr going to a file: what it printed, malloc'd */
static int
select_capturing_stderr(struct store *s, const char *sql, char **noise,
    struct err *err)
{
	char *dir = test_tmpdir(), path[512], pid[32];
	size_t len;
	int saved, fd, ret;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(saved != -1 && fd != -1);
	dup2(fd, 2);
	close(fd);
	ret = store_select(s, sql, 0, NULL, first_value, pid, err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*noise = test_slurp(path, &len);
	unlink(path);
	rmdir(dir);
	free(dir);
	return ret;
}

/* the server's notices are the store's business, never printed */
Test(store, server_notices_are_not_printed)
{
	char *ci, *noise;
	struct store *s = open_migrated(&ci);
	struct err err;

	cr_expect_eq(select_capturing_stderr(s, "DO $$BEGIN RAISE WARNING "
	    "'careful'; RAISE NOTICE 'hello'; END$$", &noise, &err), 0, "%s",
	    err.msg);
	cr_expect_str_eq(noise, "", "printed behind our back");
	free(noise);
	store_free(s);
	test_db_drop(ci);
}

/* the server hangs up on us: one error that says why, nothing printed */
Test(store, a_dropped_connection_is_one_error_and_no_noise)
{
	char *ci, pid[32] = "", sql[128], *cut, *noise;
	struct store *s = open_migrated(&ci);
	struct timespec pause = { 0, 200 * 1000000L };
	struct err err;

	cr_assert_eq(store_select(s, "SELECT pg_backend_pid()", 0, NULL,
	    first_value, pid, &err), 0, "%s", err.msg);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)", pid);
	cut = test_db_value(ci, sql);
	cr_expect_str_eq(cut, "t");
	free(cut);
	nanosleep(&pause, NULL);
	cr_expect_eq(select_capturing_stderr(s, "SELECT 1", &noise, &err), -1);
	cr_expect_str_eq(noise, "", "printed behind our back");
	cr_expect_eq(err.code, ERR_DB);
	cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
	cr_expect(strstr(err.msg, "terminating connection") != NULL, "%s",
	    err.msg);
	cr_expect(!store_is_connected(s));
	free(noise);
	store_free(s);
	test_db_drop(ci);
}
