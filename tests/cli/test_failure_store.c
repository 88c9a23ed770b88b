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
#include <time.h>

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

/* found by fuzz_store: 8-bit bytes in a notice's fields (Latin-1 in the
 * wild) are read as Latin-1, never handed to the database as they are */
Test(failure_store, an_8bit_notice_is_stored_as_utf8)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_expect_eq(dm(ci, "ingest ../fuzz/fuzz_store-8bit-auth-failure.eml",
	    &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "auth_failure = 'dmarc,\xc3\x90x' AND delivery_result = "
	    "'sp\xc3\xa4m'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 0);
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

/* --- privacy: what each keep level lets reach the tables --- */

/* conninfo whose bytea values print as text: words stay searchable */
static char *
escape_conninfo(const char *ci)
{
	size_t n = strlen(ci) + 64;
	char *s = xmalloc(n);

	snprintf(s, n, "%s options='-c bytea_output=escape'", ci);
	return s;
}

static int
add_name(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct buf *b = ctx;

	(void)ncols, (void)names;
	return buf_addf(b, err, "%s\n", values[0]);
}

/* every row of every table of the database as text, lowercased */
static char *
dump_all(const char *ci)
{
	char *eci = escape_conninfo(ci), *tables, *out;
	struct store *s = NULL;
	struct buf names, all;
	struct err err;

	buf_init(&names, 1u << 20);
	buf_init(&all, 256u << 20);
	/* on Citus the workers render the rows of their shards, in their
	 * own sessions: the setting goes to the database on every node */
	test_db_exec(ci, "DO $$ DECLARE a text := format('ALTER DATABASE %I "
	    "SET bytea_output = escape', current_database()); BEGIN IF "
	    "to_regproc('run_command_on_workers') IS NOT NULL THEN PERFORM "
	    "run_command_on_workers(a); END IF; END $$");
	cr_assert_eq(store_open(&s, eci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_select(s, "SELECT quote_ident(n.nspname) || '.' "
	    "|| quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND "
	    "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' ORDER "
	    "BY 1", 0, NULL, add_name, &names, &err), 0, "%s", err.msg);
	store_free(s);
	tables = names.data;
	cr_assert(strstr(tables, "failure_samples") != NULL, "%s", tables);
	for (char *t = tables, *nl; (nl = strchr(t, '\n')) != NULL;
	    t = nl + 1) {
		char sql[512], *v;

		*nl = '\0';
		/* names from the catalog, quoted by the server */
		snprintf(sql, sizeof(sql), "SELECT coalesce(string_agg("
		    "t::text, E'\\n'), '') FROM %s t", t);
		v = test_db_value(eci, sql);
		cr_assert_eq(buf_addf(&all, &err, "== %s\n%s\n", t, v), 0);
		free(v);
	}
	for (size_t i = 0; i < all.len; i++)
		all.data[i] = (char)tolower((unsigned char)all.data[i]);
	out = xstrdup(buf_str(&all));
	buf_release(&names);
	buf_release(&all);
	free(eci);
	return out;
}

/* where needle (any case) is in the dump: the table and the text near */
static bool
has(const char *dump, const char *needle, char *where, size_t size)
{
	char low[256];
	const char *at, *table;
	size_t n = strlen(needle);

	cr_assert_lt(n, sizeof(low));
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)needle[i]);
	at = strstr(dump, low);
	if (at == NULL)
		return false;
	for (table = at; table > dump && strncmp(table, "== ", 3) != 0;
	    table--)
		;
	snprintf(where, size, "%.*s ... %.60s", (int)strcspn(table, "\n"),
	    table, at > dump + 30 ? at - 30 : dump);
	return true;
}

/* "local@" of every address in the failure fixtures */
static size_t
fixture_locals(char ***out)
{
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < N_SAMPLES; i++) {
		char path[512], *text;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s.eml", FAILURE, samples[i]);
		text = test_slurp(path, &len);
		for (char *at = text; (at = strchr(at, '@')) != NULL; at++) {
			char *p = at;

			while (p > text && (isalnum((unsigned char)p[-1]) ||
			    strchr("._%+-", p[-1]) != NULL))
				p--;
			if (p == at || !isalnum((unsigned char)at[1]))
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n] = xmalloc((size_t)(at - p) + 2);
			memcpy(v[n], p, (size_t)(at - p) + 1);
			v[n][at - p + 1] = '\0';
			n++;
		}
		free(text);
	}
	*out = v;
	return n;
}

/* local parts without the @, subjects and body text of the fixtures:
 * none may be stored under metadata */
static const char *const private_words[] = {
	/* local parts, as a field might keep them */
	"mallory", "victim", "billing", "alice", "bounces+a1b2",
	"newsletter", "finance", "recipient", "ruf-noreply", "arf-daemon",
	"postmaster", "dmarc-noreply", "failure-reports", "dmarc-failures",
	"dkim-reports", "spf-reports",
	/* the originals' subjects */
	"your invoice", "monthly news", "lunch", "subject line, could be",
	"thread topic",
	/* the originals' bodies, and the reports' human text */
	"invoice is attached", "shall we meet", "alternative", "html text",
	"this line is the human text", "it was quarantined",
	"authentication failure report for an email",
};

/* the level's config file in dir, "" for the default */
static char *
keep_config(const char *dir, const char *level)
{
	char text[128];

	if (*level == '\0')
		return config(dir, "default.conf", "# nothing set\n");
	snprintf(text, sizeof(text), "[failures]\nkeep = %s\n", level);
	return config(dir, level, text);
}

/* ingest every sample with the level; the dump of the database */
static char *
ingest_with(const char *ci, const char *dir, const char *level)
{
	char *conf = keep_config(dir, level), args[1024], *out, *err, *d;

	snprintf(args, sizeof(args), "-c %s ingest " ALL_SAMPLES, conf);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s: %s", level, err);
	free(out);
	free(err);
	free(conf);
	d = dump_all(ci);
	cr_assert_eq(count(ci, "SELECT count(*) FROM failure_samples"),
	    N_SAMPLES);
	return d;
}

Test(failure_store, metadata_keeps_no_local_part_subject_or_body)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), **locals;
	char where[256];
	size_t n = fixture_locals(&locals);
	/* the default and the level named: the same */
	const char *const levels[] = { "", "metadata" };

	cr_assert_geq(n, 20, "only %zu addresses in the fixtures", n);
	for (size_t l = 0; l < 2; l++) {
		char *d = ingest_with(ci, dir, levels[l]);

		for (size_t i = 0; i < n; i++)
			cr_expect(!has(d, locals[i], where, sizeof(where)),
			    "'%s' (%s) is stored: %s", locals[i], levels[l],
			    where);
		for (size_t i = 0; i < sizeof(private_words) /
		    sizeof(private_words[0]); i++)
			cr_expect(!has(d, private_words[i], where,
			    sizeof(where)), "'%s' (%s) is stored: %s",
			    private_words[i], levels[l], where);
		/* the domains are: the test would find a leak */
		cr_expect(has(d, "mailer.vendor.example", where,
		    sizeof(where)));
		cr_expect(has(d, "sel-2025", where, sizeof(where)));
		cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
		cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples "
		    "WHERE headers IS NOT NULL OR body IS NOT NULL"), 0);
		free(d);
		test_db_drop(ci);
		ci = test_db_migrated();
	}
	for (size_t i = 0; i < n; i++)
		free(locals[i]);
	free(locals);
	free(dir);
	test_db_drop(ci);
}

Test(failure_store, headers_keeps_the_header_block_and_no_body)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *d;
	char where[256];
	static const char *const bodies[] = { "invoice is attached",
		"shall we meet", "html text" };

	d = ingest_with(ci, dir, "headers");
	/* every sample with an original: all but the plain-text notice */
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "headers IS NOT NULL"), N_SAMPLES - 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "body IS NOT NULL"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "position(E'\\nSubject: Your invoice\\n' IN convert_from(headers, "
	    "'UTF8')) > 0 AND position('billing@sender.example' IN "
	    "convert_from(headers, 'UTF8')) > 0"), 1);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		cr_expect(!has(d, bodies[i], where, sizeof(where)),
		    "'%s' is stored: %s", bodies[i], where);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	free(d);
	free(dir);
	test_db_drop(ci);
}

Test(failure_store, full_keeps_the_body_and_the_original)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *d;
	char where[256];

	d = ingest_with(ci, dir, "full");
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "headers IS NOT NULL"), N_SAMPLES - 1);
	/* the samples whose original came whole (message/rfc822) */
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "body IS NOT NULL"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "convert_from(body, 'UTF8') LIKE '%Shall we meet at noon?%'"), 1);
	cr_expect(has(d, "invoice is attached", where, sizeof(where)));
	/* each original archived and named by its report */
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), N_SAMPLES);
	cr_expect_eq(count(ci, "SELECT count(DISTINCT raw_id) FROM reports "
	    "WHERE kind = 'failure'"), N_SAMPLES);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE email IS "
	    "NOT NULL"), N_SAMPLES);
	free(d);
	free(dir);
	test_db_drop(ci);
}

/* --- exactly once --- */

/* text with the first from replaced by to (from must be in it) */
static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *s = xmalloc(n);

	cr_assert_not_null(at, "'%s' not found", from);
	snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to,
	    at + strlen(from));
	return s;
}

/* the file at dir/name holding text (its directories made) */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, text, strlen(text));
}

/* `[-c CONF] ingest --json ARGS` run in dir: no failure, new and
 * duplicate as said */
static void
ingest_in(const char *dir, const char *ci, const char *conf, const char *args,
    long long new_, long long dup)
{
	char cmd[1024], *out, *err;

	snprintf(cmd, sizeof(cmd), "%s%s ingest --json %s", conf ? "-c " : "",
	    conf ? conf : "", args);
	cr_expect_eq(test_dmarcctl(dir, ci, cmd, &out, &err), 0, "%s: %s",
	    args, err);
	cr_expect_eq(summary_key(out, "failed"), 0, "%s: %s", args, err);
	cr_expect_eq(summary_key(out, "new"), new_, "%s: %s", args, out);
	cr_expect_eq(summary_key(out, "duplicate"), dup, "%s: %s", args, out);
	free(out);
	free(err);
}

Test(failure_store, one_sample_in_any_wrapping_is_stored_once)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *text, *mbox;
	char *resent, *tmp, *full, *fwd, *before, *after;
	size_t len, n;

	text = test_slurp(FAILURE "/rfc9991_dmarc-failure-alignment.eml",
	    &len);
	put(dir, "a.eml", text);
	/* as the one mail of an mbox */
	n = 2 * len + 512;
	mbox = xmalloc(n);
	snprintf(mbox, n, "From MAILER-DAEMON Mon May 18 07:20:01 2026\n%s",
	    text);
	put(dir, "box.mbox", mbox);
	/* delivered to a Maildir */
	put(dir, "md/new/1779088502.M1P1.host", text);
	put(dir, "md/cur/.keep", "");
	put(dir, "md/tmp/.keep", "");
	/* sent again: another Message-ID and Date outside, a Received */
	tmp = replaced(text, "Message-ID: <ruf-7731.20260518091502@"
	    "mx.receiver.example>",
	    "Message-ID: <again-1@mx.receiver.example>");
	resent = replaced(tmp, "Date: Mon, 18 May 2026 09:15:02 +0200",
	    "Date: Tue, 19 May 2026 11:00:00 +0200");
	free(tmp);
	tmp = resent;
	n = strlen(tmp) + 256;
	resent = xmalloc(n);
	snprintf(resent, n, "Received: from mx.receiver.example by "
	    "mx.sender.example; Tue, 19 May 2026 11:00:01 +0200\n%s", tmp);
	free(tmp);
	put(dir, "resent.eml", resent);
	/* forwarded whole, as an attachment of someone else's mail */
	n = len + 512;
	fwd = xmalloc(n);
	snprintf(fwd, n, "From: Postmaster <postmaster@sender.example>\n"
	    "To: dmarc@sender.example\nSubject: Fwd: DMARC failure report\n"
	    "Date: Tue, 19 May 2026 08:00:00 +0000\nMessage-ID: "
	    "<fwd-1@sender.example>\nMIME-Version: 1.0\nContent-Type: "
	    "multipart/mixed; boundary=\"fw\"\n\n--fw\nContent-Type: "
	    "text/plain\n\nForwarded.\n\n--fw\nContent-Type: message/rfc822"
	    "\n\n%s\n--fw--\n", text);
	put(dir, "fwd.eml", fwd);
	/* the same bytes twice in one run: stored once */
	ingest_in(dir, ci, NULL, "a.eml a.eml", 1, 1);
	before = test_db_value(ci, "SELECT string_agg(f::text, ',') FROM "
	    "failure_samples f");
	ingest_in(dir, ci, NULL, "box.mbox", 0, 1);
	ingest_in(dir, ci, NULL, "md", 0, 1);
	ingest_in(dir, ci, NULL, "resent.eml", 0, 1);
	ingest_in(dir, ci, NULL, "fwd.eml", 0, 1);
	/* a second run over all of them stores nothing new */
	ingest_in(dir, ci, NULL, "a.eml box.mbox md resent.eml fwd.eml", 0, 5);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 1);
	after = test_db_value(ci, "SELECT string_agg(f::text, ',') FROM "
	    "failure_samples f");
	cr_expect_str_eq(after, before);
	/* nor does a wider keep level: what is kept is no part of it */
	full = config(dir, "full.conf", "[failures]\nkeep = full\n");
	ingest_in(dir, ci, full, "resent.eml", 0, 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	free(full);
	free(before);
	free(after);
	free(fwd);
	free(resent);
	free(mbox);
	free(text);
	free(dir);
	test_db_drop(ci);
}

/* a failure report among aggregate reports: each stored */
Test(failure_store, a_mixed_mbox_stores_each_report)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *mbox, *xml;
	char *mail, *arf, *out, *err;
	size_t len, xlen, mlen, n;
	char cmd[256];

	xml = test_slurp(FIXTURES "/corpus/aggregate/"
	    "google_np-reject-single-record.xml", &xlen);
	mail = test_email(xml, xlen, "application/xml", "r.xml", &mlen);
	arf = test_slurp(FAILURE "/rfc6591_spf-failure-rfc822.eml", &len);
	n = mlen + len + 256;
	mbox = xmalloc(n);
	snprintf(mbox, n, "From MAILER-DAEMON Mon May 18 07:20:00 2026\n%s\n"
	    "From MAILER-DAEMON Mon May 18 07:20:01 2026\n%s", arf, mail);
	put(dir, "mixed.mbox", mbox);
	snprintf(cmd, sizeof(cmd), "ingest --json mixed.mbox");
	cr_expect_eq(test_dmarcctl(dir, ci, cmd, &out, &err), 0, "%s", err);
	cr_expect_eq(summary_key(out, "new"), 2, "%s", out);
	cr_expect_eq(summary_key(out, "failed"), 0, "%s", out);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'failure'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'dmarc'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 1);
	free(out);
	free(err);
	free(mbox);
	free(mail);
	free(arf);
	free(xml);
	free(dir);
	test_db_drop(ci);
}

/* --- [failures] settings --- */

Test(failure_store, a_bad_failures_setting_is_exit_64_naming_the_key)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "[failures]\nkeep = everything\n", "[failures] keep "
		  "'everything': expected metadata, headers or full" },
		{ "[failures]\nkeep = Metadata\n", "[failures] keep" },
		{ "[failures]\nkeep = metadata,headers\n", "[failures] keep" },
		{ "[failures]\nretention = 0\n", "[failures] retention '0': "
		  "expected a whole number from 1 to 36500" },
		{ "[failures]\nretention = -3\n", "[failures] retention" },
		{ "[failures]\nretention = 30d\n", "[failures] retention" },
		{ "[failures]\nretention = 36501\n", "[failures] retention" },
		{ "[failures]\nkept = full\n", "unknown setting "
		  "'failures.kept'" },
	};
	char *ci = test_db_migrated(), *dir = test_tmpdir();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[32], args[1024], *conf, *out, *err;

		snprintf(name, sizeof(name), "bad%zu.conf", i);
		conf = config(dir, name, bad[i].text);
		/* at load: before any command, even one that stores nothing */
		snprintf(args, sizeof(args), "-c %s ingest " ALL_SAMPLES, conf);
		cr_expect_eq(dm(ci, args, &out, &err), 64, "%s", bad[i].text);
		cr_expect_eq(lines(err), 1, "%s", err);
		cr_expect(strstr(err, bad[i].says) != NULL && strstr(err,
		    "line 2") != NULL && strncmp(err, "dmarcctl: ", 10) == 0,
		    "%s", err);
		cr_expect_str_eq(out, "");
		free(out);
		free(err);
		snprintf(args, sizeof(args), "-c %s reports", conf);
		cr_expect_eq(dm_quiet(ci, args), 64, "%s", bad[i].text);
		free(conf);
	}
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 0);
	free(dir);
	test_db_drop(ci);
}

/* --- db prune and retention --- */

/* days from now back to 2020-06-01: the samples of 2005 and 2019 are
 * older, those of 2025 and 2026 younger (whatever the clock says) */
static long
days_to_2020(void)
{
	return (long)((time(NULL) - 1590969600) / 86400);
}

/* the corpus' aggregate report of 2018 and TLS report of 2020 */
#define OLD_REPORTS "../corpus/aggregate/accurateplastics_empty-orgname.xml " \
	"../corpus/tlsrpt/google_certificate-host-mismatch-weekly.json"

static char *
report_kinds(const char *ci)
{
	return test_db_value(ci, "SELECT string_agg(kind || '=' || n, ' ' "
	    "ORDER BY kind) FROM (SELECT kind, count(*) AS n FROM reports "
	    "GROUP BY kind) k");
}

/* failure reports by their arrival; aggregate and TLS reports by the
 * month their period began in, with their records' partitions whole */
Test(failure_store, db_prune_deletes_old_reports_of_every_kind)
{
	char *ci = test_db_migrated(), *out, *err, *kinds, *before, args[256];
	long days = days_to_2020();

	cr_assert_eq(dm_quiet(ci, "ingest " ALL_SAMPLES " " OLD_REPORTS), 0);
	kinds = report_kinds(ci);
	cr_expect_str_eq(kinds, "dmarc=1 failure=6 tlsrpt=1");
	free(kinds);
	before = test_db_value(ci, "SELECT md5(string_agg(x::text, ',' ORDER "
	    "BY x::text)) FROM (SELECT r::text FROM reports r UNION ALL "
	    "SELECT f::text FROM failure_samples f) x");

	/* the dry run counts, deletes nothing */
	snprintf(args, sizeof(args), "db prune --older-than %ld --dry-run",
	    days);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect(strncmp(out, "3 failure reports arrived before ", 33) == 0 &&
	    strstr(out, ": would be deleted\n") != NULL && lines(out) == 2,
	    "%s", out);
	cr_expect(strstr(out, "\n2 reports begun before 2020-06-01T00:00:00Z, "
	    "0 errors and ") != NULL && strstr(out, " partitions of records: "
	    "would be deleted\n") != NULL, "%s", out);
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
	kinds = test_db_value(ci, "SELECT md5(string_agg(x::text, ',' ORDER "
	    "BY x::text)) FROM (SELECT r::text FROM reports r UNION ALL "
	    "SELECT f::text FROM failure_samples f) x");
	cr_expect_str_eq(kinds, before, "the dry run changed the tables");
	free(kinds);
	free(before);

	/* then deletes the three, their samples with them; data: none */
	snprintf(args, sizeof(args), "db prune --older-than %ld", days);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
	kinds = report_kinds(ci);
	cr_expect_str_eq(kinds, "failure=3");
	free(kinds);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "arrival_at < '2020-06-01'"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples f WHERE "
	    "NOT EXISTS (SELECT 1 FROM reports r WHERE r.domain = f.domain "
	    "AND r.id = f.report)"), 0);
	/* the aggregate (2018) and TLS (January 2020) reports went, with
	 * their records, the partitions of October 2018, their rollups and
	 * their originals */
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_policies"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM domain_daily"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_daily"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM pg_class WHERE relname "
	    "~ '_y[0-9]{4}m[0-9]{2}$' AND right(relname, 8) < 'y2020m06'"), 0);
	cr_expect_gt(count(ci, "SELECT count(*) FROM pg_class WHERE relname "
	    "~ '_y[0-9]{4}m[0-9]{2}$' AND right(relname, 8) >= 'y2020m06'"),
	    0);
	/* again: nothing left to delete */
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 3);
	test_db_drop(ci);
}

Test(failure_store, db_prune_takes_the_originals_kept_in_full)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *conf, args[1024];

	conf = config(dir, "full.conf", "[failures]\nkeep = full\n");
	snprintf(args, sizeof(args), "-c %s ingest " ALL_SAMPLES " "
	    OLD_REPORTS, conf);
	cr_assert_eq(dm_quiet(ci, args), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 8);
	snprintf(args, sizeof(args), "db prune --older-than %ld",
	    days_to_2020());
	cr_expect_eq(dm_quiet(ci, args), 0);
	/* the three pruned failure reports' originals are gone, and the
	 * old aggregate and TLS reports', the others kept */
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs WHERE id NOT "
	    "IN (SELECT raw_id FROM reports WHERE raw_id IS NOT NULL)"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs WHERE source "
	    "LIKE '%rfc6591%' OR source LIKE '%linkedin%'"), 0);
	free(conf);
	free(dir);
	test_db_drop(ci);
}

Test(failure_store, db_prune_refuses_a_bad_number_of_days)
{
	static const char *const bad[] = {
		"db prune", "db prune --older-than", "db prune --older-than 0",
		"db prune --older-than -1", "db prune --older-than x",
		"db prune --older-than 7d", "db prune --older-than 36501",
		"db prune --older-than 30 --dry", "db prune 30",
	};
	char *ci = test_db_migrated(), *out, *err;

	cr_assert_eq(dm_quiet(ci, "ingest " ALL_SAMPLES), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(dm(ci, bad[i], &out, &err), 64, "%s: %s", bad[i],
		    err);
		cr_expect(strncmp(err, "dmarcctl: ", 10) == 0 ||
		    strncmp(err, "usage: ", 7) == 0, "%s: %s", bad[i], err);
		cr_expect(strstr(err, "usage: dmarcctl db") != NULL, "%s: %s",
		    bad[i], err);
		cr_expect_str_eq(out, "", "%s", bad[i]);
		free(out);
		free(err);
	}
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"),
	    N_SAMPLES);
	test_db_drop(ci);
}

Test(failure_store, retention_prunes_after_an_ingest_run)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *conf, *out, *err;
	char text[128], args[1024];

	snprintf(text, sizeof(text), "[failures]\nretention = %ld\n",
	    days_to_2020());
	conf = config(dir, "retention.conf", text);
	snprintf(args, sizeof(args), "-c %s ingest --json " ALL_SAMPLES " "
	    OLD_REPORTS, conf);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	/* stored, then pruned at the end of the run */
	cr_expect_eq(summary_key(out, "new"), 8, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'failure'"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind <> "
	    "'failure'"), 2);
	/* a dry run prunes nothing */
	snprintf(text, sizeof(text), "[failures]\nretention = 1\n");
	free(conf);
	conf = config(dir, "one-day.conf", text);
	snprintf(args, sizeof(args), "-c %s ingest --dry-run " ALL_SAMPLES,
	    conf);
	cr_expect_eq(dm_quiet(ci, args), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 3);
	free(conf);
	free(dir);
	test_db_drop(ci);
}

/* --- one input's error, never an outage --- */

/* the rfc9991 sample with one field's line replaced */
static void
put_variant(const char *dir, const char *name, const char *from,
    const char *to)
{
	size_t len;
	char *text = test_slurp(FAILURE "/rfc9991_dmarc-failure-alignment.eml",
	    &len), *v = replaced(text, from, to);

	put(dir, name, v);
	free(v);
	free(text);
}

Test(failure_store, a_sample_the_database_refuses_is_one_inputs_error)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char *big = xmalloc(200000), *line, *mail, *xml, *bad, *mbox;
	size_t xlen, mlen, blen, n;

	/* values the server refuses (a constraint of the user's) */
	test_db_refuse_poisoned(ci);
	put_variant(dir, "selector.eml", "DKIM-Selector: s2026",
	    "DKIM-Selector: poisoned");
	put_variant(dir, "result.eml", "Delivery-Result: reject",
	    "Delivery-Result: poisoned");
	/* bytes that are no UTF-8: read as Latin-1, a selector that is none
	 * a note; never a refusal */
	put_variant(dir, "latin1.eml", "DKIM-Selector: s2026",
	    "DKIM-Selector: s\xff\xfe" "2026");
	/* a selector past the field limit */
	memset(big, 's', 199999);
	big[199999] = '\0';
	n = strlen(big) + 32;
	line = xmalloc(n);
	snprintf(line, n, "DKIM-Selector: %s", big);
	put_variant(dir, "huge.eml", "DKIM-Selector: s2026", line);
	/* an address that is none: a note, the sample stored without it */
	put_variant(dir, "ip.eml", "Source-IP: 2001:DB8:0:0::25",
	    "Source-IP: 300.1.2.3");
	/* a refused one in an mbox before an aggregate report */
	xml = test_slurp(FIXTURES "/corpus/aggregate/"
	    "google_np-reject-single-record.xml", &xlen);
	mail = test_email(xml, xlen, "application/xml", "r.xml", &mlen);
	bad = test_slurp(FAILURE "/rfc6591_spf-failure-rfc822.eml", &blen);
	free(line);
	line = replaced(bad, "Delivery-Result: reject",
	    "Delivery-Result: poisoned");
	n = mlen + blen + 256;
	mbox = xmalloc(n);
	snprintf(mbox, n, "From MAILER-DAEMON Mon May 18 07:20:00 2026\n%s\n"
	    "From MAILER-DAEMON Mon May 18 07:20:01 2026\n%s", line, mail);
	put(dir, "mixed.mbox", mbox);
	put(dir, "good.eml", bad);

	cr_expect_eq(test_dmarcctl(dir, ci, "ingest --json selector.eml "
	    "result.eml latin1.eml huge.eml ip.eml mixed.mbox good.eml", &out,
	    &err), 65, "%s", err);
	/* never a database outage: each named, the others stored */
	cr_expect(strstr(err, "selector.eml: refused by the database") !=
	    NULL, "%s", err);
	cr_expect(strstr(err, "result.eml: refused by the database") != NULL,
	    "%s", err);
	cr_expect(strstr(err, "huge.eml: ") != NULL, "%s", err);
	cr_expect(strstr(err, "mixed.mbox: ") != NULL, "%s", err);
	cr_expect(strstr(err, "latin1.eml") == NULL, "%s", err);
	cr_expect_eq(summary_key(out, "failed"), 4, "%s", out);
	cr_expect_eq(summary_key(out, "new"), 4, "%s", out);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 4);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples f JOIN "
	    "reports r ON r.domain = f.domain AND r.id = f.report WHERE "
	    "f.dkim_selector IS NULL AND array_to_string(r.notes, ' ') LIKE "
	    "'%DKIM selector ''s\xc3\xbf\xc3\xbe" "2026'' is not a selector%'"),
	    1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'dmarc'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "delivery_result = 'reject' AND mail_from = 'example.net'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples WHERE "
	    "source_ip IS NULL AND dkim_selector = 's2026'"), 1);
	/* whole or not at all */
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'failure'"), count(ci, "SELECT count(*) FROM failure_samples"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 3);
	free(out);
	free(err);
	free(mbox);
	free(line);
	free(bad);
	free(mail);
	free(xml);
	free(big);
	free(dir);
	test_db_drop(ci);
}

/* --- a user's mail in the archive --- */

/*
 * An input that holds a failure report holds a user's mail: under keep =
 * metadata it is not archived, also when an aggregate report came before
 * it in the same mbox, or when it is too large to be read in memory (it
 * is archived before it is parsed).
 */
Test(failure_store, an_input_with_a_failure_report_is_not_archived)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *mbox, *xml;
	char *mail, *arf, *big, *out, *err;
	size_t len, xlen, mlen, n;

	xml = test_slurp(FIXTURES "/corpus/aggregate/"
	    "google_np-reject-single-record.xml", &xlen);
	mail = test_email(xml, xlen, "application/xml", "r.xml", &mlen);
	arf = test_slurp(FAILURE "/rfc6591_spf-failure-rfc822.eml", &len);
	n = mlen + len + 256;
	mbox = xmalloc(n);
	snprintf(mbox, n, "From MAILER-DAEMON Mon May 18 07:20:00 2026\n%s\n"
	    "From MAILER-DAEMON Mon May 18 07:20:01 2026\n%s", mail, arf);
	put(dir, "mixed.mbox", mbox);
	/* the sample's original with 2 MiB of body: past what is held */
	n = len + (2u << 20) + 64;
	big = xmalloc(n);
	{
		char *tail = strstr(arf, "Shall we meet at noon?\n");
		size_t k = (size_t)(tail - arf);

		cr_assert_not_null(tail);
		memcpy(big, arf, k);
		for (size_t i = 0; i < (2u << 20) / 64; i++)
			memcpy(big + k + i * 64, "Shall we meet at noon? The "
			    "whole text of a long mail, in lines.\n", 64);
		k += (2u << 20);
		snprintf(big + k, n - k, "%s", tail);
	}
	{
		char *v = replaced(big, "Arrival-Date: Thu, 8 Mar 2005 "
		    "14:00:00", "Arrival-Date: Thu, 8 Mar 2005 15:00:00");

		put(dir, "big.eml", v);
		free(v);
	}
	cr_expect_eq(test_dmarcctl(dir, ci, "ingest --json mixed.mbox big.eml",
	    &out, &err), 0, "%s", err);
	cr_expect_eq(summary_key(out, "new"), 3, "%s", out);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 2);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'dmarc'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE raw_id IS "
	    "NOT NULL"), 0);
	free(out);
	free(err);
	/* again: nothing new, still nothing archived */
	cr_expect_eq(test_dmarcctl(dir, ci, "ingest --json mixed.mbox big.eml",
	    &out, &err), 0, "%s", err);
	cr_expect_eq(summary_key(out, "duplicate"), 3, "%s", out);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 0);
	free(out);
	free(err);
	free(big);
	free(mbox);
	free(mail);
	free(arf);
	free(xml);
	free(dir);
	test_db_drop(ci);
}
