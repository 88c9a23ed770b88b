/*
 * Failure (ruf) reports in the database, end to end through dmarcctl
 * ingest on a fresh database per test: every fixture of
 * tests/fixtures/failure/ stored as its .expect says, exactly once
 * whatever the wrapping, what each [failures] keep level lets reach the
 * tables, the [failures] settings refused, db prune and retention, and a
 * failure report among aggregate reports or the database refusing one.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "tests/test_util.h"

#define FAILURE FIXTURES "/failure"

/* the fixtures that are failure reports (abuse_rfc5965-arf.eml is not) */
static const char *const samples[] = {
	"gateway_plain-text-notice",
	"hostile_folded-mixed-case-crlf",
	"linkedin_2019-04_arf-in-mbox",
	"rfc6591_dkim-failure-rfc822-headers",
	"rfc6591_spf-failure-rfc822",
	"rfc9991_dmarc-failure-alignment",
};
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))
#define ALL_SAMPLES "gateway_plain-text-notice.eml " \
	"hostile_folded-mixed-case-crlf.eml linkedin_2019-04_arf-in-mbox.eml " \
	"rfc6591_dkim-failure-rfc822-headers.eml " \
	"rfc6591_spf-failure-rfc822.eml rfc9991_dmarc-failure-alignment.eml"

/* --- running dmarcctl --- */

/* `cd tests/fixtures/failure && dmarcctl --db CI ARGS` */
static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(FAILURE, ci, args, out, err);
}

/* the same, stdout and stderr dropped: the exit status */
static int
dm_quiet(const char *ci, const char *args)
{
	char *out, *err;
	int rc = dm(ci, args, &out, &err);

	free(out);
	free(err);
	return rc;
}

/* a config file in dir holding text: its path, malloc'd */
static char *
config(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, text, strlen(text));
	return xstrdup(path);
}

static long long
count(const char *ci, const char *sql)
{
	return test_db_count(ci, sql);
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* the --json summary's value of key */
static long long
summary_key(const char *out, const char *key)
{
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	long long v;

	cr_assert_not_null(j, "not JSON: '%s': %s", out, je.text);
	cr_assert(json_is_integer(json_object_get(j, key)), "%s: %s", out,
	    key);
	v = json_integer_value(json_object_get(j, key));
	json_decref(j);
	return v;
}

/* --- the stored sample against its .expect --- */

struct row {
	size_t n;
	char **names, **values;	/* NULL value: SQL NULL */
};

static int
keep_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct row *r = ctx;

	(void)err;
	cr_assert_eq(r->n, 0, "more than one row");
	r->n = ncols;
	r->names = xcalloc(ncols, sizeof(char *));
	r->values = xcalloc(ncols, sizeof(char *));
	for (size_t i = 0; i < ncols; i++) {
		r->names[i] = xstrdup(names[i]);
		r->values[i] = values[i] != NULL ? xstrdup(values[i]) : NULL;
	}
	return 0;
}

static void
row_free(struct row *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
}

/* the one row a parameterized query returns (none: n is 0) */
static struct row
one_row(const char *ci, const char *sql, int n, const char *const *params)
{
	struct store *s = NULL;
	struct row r = { 0, NULL, NULL };
	struct err err;

	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_select(s, sql, n, params, keep_row, &r, &err), 0,
	    "%s: %s", sql, err.msg);
	store_free(s);
	return r;
}

static const char *
col(const struct row *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->values[i];
	cr_assert_fail("no column %s", name);
	return NULL;
}

/* the .expect's two lines: the report and its record */
static void
load_expect(const char *name, json_t **report, json_t **record)
{
	char path[512];
	size_t len;
	char *text, *nl;
	json_error_t je;

	snprintf(path, sizeof(path), "%s/%s.expect", FAILURE, name);
	text = test_slurp(path, &len);
	nl = strchr(text, '\n');
	cr_assert_not_null(nl, "%s", path);
	*nl = '\0';
	*report = json_loads(text, 0, &je);
	cr_assert_not_null(*report, "%s: %s", path, je.text);
	*record = json_loads(nl + 1, 0, &je);
	cr_assert_not_null(*record, "%s: %s", path, je.text);
	free(text);
}

static void
expect_value(const char *name, const char *field, json_t *want,
    const char *have)
{
	if (json_is_null(want))
		cr_expect_null(have, "%s: %s is '%s', not NULL", name, field,
		    have);
	else
		cr_expect(have != NULL && strcmp(have,
		    json_string_value(want)) == 0, "%s: %s is '%s', not '%s'",
		    name, field, have ? have : "NULL",
		    json_string_value(want));
}

static const char sample_sql[] = "SELECT r.kind, r.org_name, r.domain, "
    "to_char(r.begin_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "AS begin, to_char(r.end_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS end, r.records, r.messages, "
    "r.email, r.raw_id, to_char(f.arrival_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS arrival, f.auth_failure, "
    "f.identity_alignment, host(f.source_ip) AS source_ip, "
    "f.reported_domain, f.header_from, f.mail_from, f.rcpt_to, "
    "f.dkim_domain, f.dkim_identity, f.dkim_selector, f.spf_dns, "
    "f.delivery_result, f.message_id, f.format, f.headers IS NOT NULL AS "
    "has_headers, f.body IS NOT NULL AS has_body FROM reports r JOIN "
    "failure_samples f ON f.domain = r.domain AND f.report = r.id WHERE "
    "r.report_id = $1";

/* the fields of the .expect record that are columns of failure_samples */
static const char *const sample_fields[] = {
	"auth_failure", "identity_alignment", "source_ip", "arrival",
	"reported_domain", "header_from", "mail_from", "rcpt_to",
	"dkim_domain", "dkim_identity", "dkim_selector", "spf_dns",
	"delivery_result", "message_id", "format",
};

/* the report and its sample as stored: what the .expect says */
static void
check_sample(const char *ci, const char *name)
{
	json_t *rep, *rec, *x;
	struct row r;
	const char *id;

	load_expect(name, &rep, &rec);
	x = json_object_get(rec, "record");
	id = json_string_value(json_object_get(rep, "report_id"));
	cr_assert_not_null(id, "%s", name);
	r = one_row(ci, sample_sql, 1, (const char *const[]){ id });
	cr_assert_neq(r.n, 0, "%s: report %s not stored", name, id);
	cr_expect_str_eq(col(&r, "kind"), "failure", "%s", name);
	expect_value(name, "org_name", json_object_get(rep, "org_name"),
	    col(&r, "org_name"));
	expect_value(name, "domain", json_object_get(rep, "domain"),
	    col(&r, "domain"));
	expect_value(name, "begin", json_object_get(rep, "begin"),
	    col(&r, "begin"));
	expect_value(name, "end", json_object_get(rep, "end"),
	    col(&r, "end"));
	cr_expect_str_eq(col(&r, "records"), "1", "%s", name);
	cr_expect_str_eq(col(&r, "messages"), "1", "%s", name);
	for (size_t i = 0; i < sizeof(sample_fields) /
	    sizeof(sample_fields[0]); i++)
		expect_value(name, sample_fields[i], json_object_get(x,
		    sample_fields[i]), col(&r, sample_fields[i]));
	/* keep = metadata: no header block, no body, no original */
	cr_expect_str_eq(col(&r, "has_headers"), "f", "%s", name);
	cr_expect_str_eq(col(&r, "has_body"), "f", "%s", name);
	cr_expect_null(col(&r, "raw_id"), "%s", name);
	cr_expect_null(col(&r, "email"), "%s: the reporter's address '%s' "
	    "is kept under metadata", name, col(&r, "email"));
	row_free(&r);
	json_decref(rep);
	json_decref(rec);
}

Test(failure_store, every_fixture_is_stored_as_its_expect_says)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_expect_eq(dm(ci, "ingest --json " ALL_SAMPLES, &out, &err), 0,
	    "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":6,\"reports\":6,\"new\":6,"
	    "\"duplicate\":0,\"failed\":0,\"records\":6}\n", "%s", err);
	free(out);
	free(err);
	for (size_t i = 0; i < N_SAMPLES; i++)
		check_sample(ci, samples[i]);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), N_SAMPLES);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"),
	    N_SAMPLES);
	/* a failure report is no aggregate report: nothing else is loaded */
	cr_expect_eq(count(ci, "SELECT (SELECT count(*) FROM records) + "
	    "(SELECT count(*) FROM tls_policies) + (SELECT count(*) FROM "
	    "domain_daily) + (SELECT count(*) FROM raw_inputs) + (SELECT "
	    "count(*) FROM ingest_errors)"), 0);
	/* the hostile sample's bad Source-IP is a note on its report */
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE "
	    "org_name = 'reporter.example' AND notes = ARRAY['source ip "
	    "''198.51.100.07'' is not an address']"), 1);
	test_db_drop(ci);
}

Test(failure_store, an_abuse_report_is_an_error_not_a_sample)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_expect_eq(dm(ci, "ingest abuse_rfc5965-arf.eml", &out, &err), 65,
	    "%s", err);
	cr_expect(strstr(err, "abuse_rfc5965-arf.eml: a feedback report of "
	    "type 'abuse'") != NULL, "%s", err);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 0);
	free(out);
	free(err);
	test_db_drop(ci);
}
