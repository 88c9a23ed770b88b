/*
 * dmarcctl db, ingest, reports and errors end to end, on a fresh database
 * per test: the corpus as MANIFEST.tsv describes it, exactly once across
 * reruns, wrappings, concurrent loaders and loaders killed part way, the
 * exit statuses of dmarcctl.1, and the inputs that fail.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <jansson.h>
#include <sys/wait.h>

#include "cli/cmd.h"
#include "common/buf.h"
#include "common/sha256.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "tests/test_util.h"

/* every file of the corpus, relative to CORPUS (cd there first) */
#define CORPUS_FILES "$(tail -n +2 MANIFEST.tsv | cut -f1)"
#define NO_DB "host=/nonexistent port=1"

/* --- the manifest --- */

struct mrow {
	char file[256];
	char kind[32];
	char org[128];
	char id[128];
	char domain[128];
	long long records, messages;
	bool is_report;
	bool is_dmarc;
	bool is_failure;	/* a forensic (ruf) report: one sample */
};

/* split line at tabs in place: at most n fields */
static size_t
split_tabs(char *line, char **fields, size_t n)
{
	size_t k = 0;

	fields[k++] = line;
	for (char *p = line; *p != '\0' && k < n; p++)
		if (*p == '\t') {
			*p = '\0';
			fields[k++] = p + 1;
		}
	return k;
}

static size_t
manifest(struct mrow **out)
{
	size_t len, n = 0;
	char *text = test_slurp(CORPUS "/MANIFEST.tsv", &len), *line, *next;
	struct mrow *rows = xcalloc(256, sizeof(*rows));

	line = strchr(text, '\n') + 1;	/* the header */
	for (; *line != '\0'; line = next) {
		char *f[10];
		struct mrow *r = &rows[n];

		next = strchr(line, '\n');
		next = next != NULL ? (*next = '\0', next + 1) :
		    line + strlen(line);
		if (*line == '\0')
			continue;
		cr_assert_eq(split_tabs(line, f, 10), 10, "manifest: %s", line);
		cr_assert_lt(n, 255);
		snprintf(r->file, sizeof(r->file), "%s", f[0]);
		snprintf(r->kind, sizeof(r->kind), "%s", f[3]);
		snprintf(r->org, sizeof(r->org), "%s", f[4]);
		snprintf(r->id, sizeof(r->id), "%s", f[5]);
		snprintf(r->domain, sizeof(r->domain), "%s", f[6]);
		r->is_report = *f[7] != '\0';
		r->records = strtoll(f[7], NULL, 10);
		r->messages = strtoll(f[8], NULL, 10);
		r->is_dmarc = strstr(r->kind, "aggregate") != NULL;
		r->is_failure = strcmp(r->kind, "forensic") == 0;
		n++;
	}
	free(text);
	*out = rows;
	return n;
}

/* what a whole-corpus run must say */
struct totals {
	long long inputs, reports, failed;
	long long records;		/* records + policies + samples */
	long long dmarc_records, dmarc_messages;
	long long tls_records, tls_messages;
	long long failure_reports;		/* one sample each */
	long long archived;			/* rows of raw_inputs */
};

static void
corpus_totals(const struct mrow *rows, size_t n, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->inputs = (long long)n;
	t->archived = (long long)n;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].is_report) {
			t->failed++;
			continue;
		}
		t->reports++;
		t->records += rows[i].records;
		if (rows[i].is_failure) {
			/* a user's mail: not archived under keep = metadata */
			t->failure_reports++;
			t->archived--;
		} else if (rows[i].is_dmarc) {
			t->dmarc_records += rows[i].records;
			t->dmarc_messages += rows[i].messages;
		} else {
			t->tls_records += rows[i].records;
			t->tls_messages += rows[i].messages;
		}
	}
}

/* --- running dmarcctl --- */

/* `cd CORPUS && dmarcctl --db CI ARGS` */
static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(CORPUS, ci, args, out, err);
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct summary {
	long long inputs, reports, new_, duplicate, failed, records;
};

/* the --json line: every key present, a number */
static struct summary
summary(const char *out)
{
	static const char *const keys[] = { "inputs", "reports", "new",
		"duplicate", "failed", "records" };
	long long v[6];
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);

	cr_assert_not_null(j, "not JSON: '%s': %s", out, je.text);
	cr_assert_eq(lines(out), 1, "one line: %s", out);
	for (size_t i = 0; i < 6; i++) {
		json_t *x = json_object_get(j, keys[i]);

		cr_assert(json_is_integer(x), "%s: no integer %s", out,
		    keys[i]);
		v[i] = json_integer_value(x);
	}
	cr_expect_eq(json_object_size(j), 6, "%s", out);
	json_decref(j);
	return (struct summary){ v[0], v[1], v[2], v[3], v[4], v[5] };
}


static long long
count(const char *ci, const char *sql)
{
	return test_db_count(ci, sql);
}

/* --- queries with parameters --- */

struct counter {
	long long n;
};

static int
count_rows(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct counter *c = ctx;

	(void)ncols, (void)names, (void)values, (void)err;
	c->n++;
	return 0;
}

/* rows a parameterized query returns */
static long long
rows_of(const char *ci, const char *sql, int n, const char *const *params)
{
	struct store *s = NULL;
	struct counter c = { 0 };
	struct err err;

	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_select(s, sql, n, params, count_rows, &c, &err), 0,
	    "%s: %s", sql, err.msg);
	store_free(s);
	return c.n;
}

static void
file_sha256(const char *path, char hex[65], long long *size)
{
	unsigned char d[32];
	struct sha256 h;
	size_t len;
	char *data = test_slurp(path, &len);

	sha256_init(&h);
	sha256_add(&h, data, len);
	sha256_done(&h, d);
	sha256_hex(d, hex);
	*size = (long long)len;
	free(data);
}

/* all rows and the rollups, content included: equal means untouched */
static char *
fingerprint(const char *ci)
{
	return test_db_value(ci, "SELECT concat_ws(' ', "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM raw_inputs x), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM reports x), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM records x), "
	    "(SELECT count(*) FROM record_reasons), "
	    "(SELECT count(*) FROM dkim_results), "
	    "(SELECT count(*) FROM spf_results), "
	    "(SELECT count(*) FROM tls_policies), "
	    "(SELECT count(*) FROM tls_failures), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM domain_daily x), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM tls_daily x), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM tls_daily_failures x), "
	    "(SELECT count(*) || '/' || md5(string_agg(x::text, ',' ORDER BY "
	    "x::text)) FROM failure_samples x), "
	    "(SELECT count(*) || '/' || md5(string_agg(concat_ws('|', source, "
	    "location, code, cause, raw_id), ',' ORDER BY id)) FROM "
	    "ingest_errors))");
}

static const char nothing_stored[] = "SELECT (SELECT count(*) FROM "
    "raw_inputs) + (SELECT count(*) FROM reports) + (SELECT count(*) FROM "
    "records) + (SELECT count(*) FROM tls_policies) + (SELECT count(*) FROM "
    "domain_daily) + (SELECT count(*) FROM tls_daily) + (SELECT count(*) "
    "FROM ingest_errors) + (SELECT count(*) FROM failure_samples)";

/* --- db --- */

Test(cli_ingest, db_migrate_is_idempotent_and_status_shows_it)
{
	char *ci = test_db_new(), *out, *err;
	long long n;

	cr_expect_eq(dm(ci, "db status", &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "001") != NULL && strstr(out, "pending") !=
	    NULL, "%s", out);
	cr_expect_str_eq(err, "");
	free(out);
	free(err);

	cr_expect_eq(dm(ci, "db migrate", &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "");
	cr_expect(strstr(err, "applied") != NULL, "%s", err);
	free(out);
	free(err);

	/* nothing to do: exit 0, not a word (cron) */
	cr_expect_eq(dm(ci, "db migrate", &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "");
	cr_expect_str_eq(err, "");
	free(out);
	free(err);

	n = count(ci, "SELECT count(*) FROM dmarcctl_migrations");
	cr_expect_gt(n, 0);
	cr_expect_eq(dm(ci, "db status", &out, &err), 0, "%s", err);
	/* the version, the mode, then a line per migration */
	cr_expect_eq(lines(out), n + 2, "%s", out);
	cr_expect(starts(out, "version: ") && (strstr(out, "\nmode: single "
	    "node\n") != NULL || strstr(out, "\nmode: distributed (Citus, ") !=
	    NULL), "%s", out);
	cr_expect(strncmp(out + 9, dmarcctl_version, strlen(dmarcctl_version))
	    == 0, "%s", out);
	cr_expect(strstr(out, "pending") == NULL, "%s", out);
	for (const char *l = strchr(strchr(out, '\n') + 1, '\n') + 1;
	    *l != '\0';
	    l = strchr(l, '\n') + 1) {
		const char *t = strchr(l, 'T');

		/* NNN  name  YYYY-MM-DDTHH:MM:SSZ */
		cr_expect(t != NULL && t - l >= 10 && t[-3] == '-' &&
		    t[-6] == '-' && t[9] == 'Z', "%.*s",
		    (int)(strchr(l, '\n') - l), l);
	}
	free(out);
	free(err);
	test_db_drop(ci);
}

Test(cli_ingest, concurrent_migrations_apply_the_schema_once)
{
	char *ci = test_db_new(), *q = test_shq(ci), *dir = test_tmpdir();
	char cmd[4096], path[512], *out, *err;
	size_t len;
	int talkers = 0;

	snprintf(cmd, sizeof(cmd), "cd %s && for i in 1 2 3 4; do "
	    "(%s --db %s db migrate 2>err$i; echo $? >rc$i) & done; wait", dir,
	    DMARCCTL_BIN, q);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	for (int i = 1; i <= 4; i++) {
		char *rc, *e;

		snprintf(path, sizeof(path), "%s/rc%d", dir, i);
		rc = test_slurp(path, &len);
		snprintf(path, sizeof(path), "%s/err%d", dir, i);
		e = test_slurp(path, &len);
		cr_expect_str_eq(rc, "0\n", "migrate %d: %s", i, e);
		/* one of them applied it; the others had nothing to do */
		if (*e != '\0') {
			talkers++;
			cr_expect(strstr(e, "applied") != NULL, "%s", e);
		}
		free(rc);
		free(e);
	}
	cr_expect_eq(talkers, 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM dmarcctl_migrations"),
	    count(ci, "SELECT count(DISTINCT version) FROM "
	    "dmarcctl_migrations"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM pg_class WHERE relname = "
	    "'reports' AND relkind = 'r'"), 1);
	/* and it is usable */
	cr_expect_eq(dm(ci, "reports", &out, &err), 0, "%s", err);
	free(out);
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
	free(q);
	test_db_drop(ci);
}

/* --- the corpus --- */

struct db_report {
	char id[128], domain[128], org[128], kind[16];
	long long records, messages;
};

struct db_reports {
	struct db_report *r;
	size_t n;
};

static int
add_report(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct db_reports *d = ctx;
	struct db_report *r;

	(void)names, (void)err;
	cr_assert_eq(ncols, 6);
	d->r = xreallocarray(d->r, d->n + 1, sizeof(*d->r));
	r = &d->r[d->n++];
	snprintf(r->id, sizeof(r->id), "%s", v[0]);
	snprintf(r->domain, sizeof(r->domain), "%s", v[1]);
	snprintf(r->org, sizeof(r->org), "%s", v[2]);
	snprintf(r->kind, sizeof(r->kind), "%s", v[3]);
	r->records = strtoll(v[4], NULL, 10);
	r->messages = strtoll(v[5], NULL, 10);
	return 0;
}

static bool
same_report(const struct mrow *m, const char *id, const char *domain,
    const char *org)
{
	return strcmp(m->id, id) == 0 && strcmp(m->domain, domain) == 0 &&
	    strcmp(m->org, org) == 0;
}

/* every manifest report is in reports, with its numbers */
static void
check_reports(const char *ci, const struct mrow *rows, size_t n)
{
	struct db_reports d = { NULL, 0 };
	struct store *s = NULL;
	struct err err;

	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_select(s, "SELECT report_id, domain, org_name, "
	    "kind, records, messages FROM reports WHERE (raw_id IS NOT NULL) "
	    "= (kind <> 'failure') AND length(content_sha256) = 32", 0, NULL,
	    add_report, &d, &err),
	    0, "%s", err.msg);
	store_free(s);
	for (size_t i = 0; i < n; i++) {
		const struct mrow *m = &rows[i];
		size_t want = 0, have = 0;

		if (!m->is_report)
			continue;
		/* two reports may share id, domain and reporter: compare
		 * how many rows have these numbers too */
		for (size_t k = 0; k < n; k++)
			want += rows[k].is_report && same_report(&rows[k],
			    m->id, m->domain, m->org) && rows[k].records ==
			    m->records && rows[k].messages == m->messages;
		for (size_t k = 0; k < d.n; k++)
			have += same_report(m, d.r[k].id, d.r[k].domain,
			    d.r[k].org) && d.r[k].records == m->records &&
			    d.r[k].messages == m->messages &&
			    strcmp(d.r[k].kind, m->is_dmarc ? "dmarc" :
			    m->is_failure ? "failure" : "tlsrpt") == 0;
		cr_expect_eq(have, want, "%s: %zu rows with report_id %s, "
		    "domain %s, reporter '%s', %lld records, %lld messages",
		    m->file, have, m->id, m->domain, m->org, m->records,
		    m->messages);
	}
	free(d.r);
}

/* each report file's original is archived, byte for byte */
static void
check_originals(const char *ci, const struct mrow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[512], hex[65], size[32];
		const char *p[4] = { rows[i].file, hex, size, NULL };
		long long len;

		snprintf(path, sizeof(path), "%s/%s", CORPUS, rows[i].file);
		file_sha256(path, hex, &len);
		snprintf(size, sizeof(size), "%lld", len);
		if (rows[i].is_failure) {
			/* neither archived nor an error: nowhere but in its
			 * report and sample */
			cr_expect_eq(rows_of(ci, "SELECT 1 FROM raw_inputs "
			    "WHERE source = $1 OR sha256 = decode($2, 'hex')",
			    2, p), 0, "%s", rows[i].file);
			cr_expect_eq(rows_of(ci, "SELECT 1 FROM ingest_errors "
			    "WHERE source = $1", 1, p), 0, "%s", rows[i].file);
			cr_expect_eq(rows_of(ci, "SELECT 1 FROM reports r JOIN "
			    "failure_samples f ON f.domain = r.domain AND "
			    "f.report = r.id WHERE r.kind = 'failure' AND "
			    "r.report_id = $1 AND f.reported_domain = $2", 2,
			    (const char *const[]){ rows[i].id,
			    rows[i].domain }), 1, "%s", rows[i].file);
		} else if (rows[i].is_report) {
			p[3] = rows[i].id;
			cr_expect_eq(rows_of(ci, "SELECT 1 FROM reports r "
			    "JOIN raw_inputs w ON w.id = r.raw_id WHERE "
			    "w.source = $1 AND w.sha256 = decode($2, 'hex') "
			    "AND w.size = $3 AND r.report_id = $4", 4, p), 1,
			    "%s", rows[i].file);
		} else {
			/* the failure, naming its file, with its original */
			cr_expect_eq(rows_of(ci, "SELECT 1 FROM ingest_errors "
			    "e JOIN raw_inputs w ON w.id = e.raw_id WHERE "
			    "e.source = $1 AND w.sha256 = decode($2, 'hex') "
			    "AND w.size = $3 AND e.code <> '' AND "
			    "e.cause <> ''", 3, p), 1, "%s", rows[i].file);
		}
	}
}

/* per policy domain, the rollup says what the manifest says */
static void
check_domain_daily(const char *ci, const struct mrow *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long long msgs = 0, recs = 0;
		char sql[512];

		if (!rows[i].is_report || !rows[i].is_dmarc)
			continue;
		for (size_t k = 0; k < n; k++)
			if (rows[k].is_report && rows[k].is_dmarc &&
			    strcmp(rows[k].domain, rows[i].domain) == 0) {
				msgs += rows[k].messages;
				recs += rows[k].records;
			}
		/* corpus domains are plain names: no quoting needed */
		cr_assert(strchr(rows[i].domain, '\'') == NULL);
		snprintf(sql, sizeof(sql), "SELECT sum(messages) FROM "
		    "domain_daily WHERE domain = '%s'", rows[i].domain);
		cr_expect_eq(count(ci, sql), msgs, "%s", sql);
		snprintf(sql, sizeof(sql), "SELECT sum(records) FROM "
		    "domain_daily WHERE domain = '%s'", rows[i].domain);
		cr_expect_eq(count(ci, sql), recs, "%s", sql);
	}
}

static void
check_corpus_stored(const char *ci, const struct mrow *rows, size_t n,
    const struct totals *t)
{
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 37);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), t->reports);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'failure'"), t->failure_reports);
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"),
	    t->failure_reports);
	check_reports(ci, rows, n);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"),
	    t->dmarc_records);
	cr_expect_eq(count(ci, "SELECT sum(count) FROM records"),
	    t->dmarc_messages);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM reports WHERE kind = "
	    "'dmarc'"), t->dmarc_records);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_policies"),
	    t->tls_records);
	cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
	    "tls_policies"), t->tls_messages);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
	    t->dmarc_messages);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"),
	    t->dmarc_records);
	cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
	    "tls_daily"), t->tls_messages);
	check_domain_daily(ci, rows, n);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 3);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"),
	    t->failed);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"),
	    t->archived);
	check_originals(ci, rows, n);
}

Test(cli_ingest, the_corpus_as_the_manifest_says)
{
	struct mrow *rows;
	size_t n = manifest(&rows);
	char *ci = test_db_migrated(), *out, *err;
	struct totals t;
	struct summary s;

	corpus_totals(rows, n, &t);
	cr_assert_eq(t.reports, 37);
	cr_assert_eq(t.failure_reports, 1);
	cr_assert_eq(t.failed, 3);
	cr_expect_eq(dm(ci, "ingest --json " CORPUS_FILES, &out, &err), 65,
	    "%s", err);
	s = summary(out);
	cr_expect_eq(s.inputs, (long long)n);
	cr_expect_eq(s.reports, 37);
	cr_expect_eq(s.new_, 37);
	cr_expect_eq(s.duplicate, 0);
	cr_expect_eq(s.failed, 3);
	cr_expect_eq(s.records, t.records);
	/* stderr: one line per failed file, naming it, and the summary */
	cr_expect_eq(lines(err), 4, "%s", err);
	for (size_t i = 0; i < n; i++) {
		char want[300];

		snprintf(want, sizeof(want), "dmarcctl: %s: ", rows[i].file);
		cr_expect_eq(strstr(err, want) != NULL, !rows[i].is_report,
		    "%s: %s", rows[i].file, err);
	}
	check_corpus_stored(ci, rows, n, &t);
	free(out);
	free(err);
	free(rows);
	test_db_drop(ci);
}

Test(cli_ingest, a_second_run_stores_nothing_new)
{
	struct mrow *rows;
	size_t n = manifest(&rows);
	char *ci = test_db_migrated(), *out, *err, *before, *after, want[256];
	struct totals t;

	corpus_totals(rows, n, &t);
	cr_expect_eq(dm(ci, "ingest --json " CORPUS_FILES, &out, &err), 65,
	    "%s", err);
	free(out);
	free(err);
	before = fingerprint(ci);
	cr_expect_eq(dm(ci, "ingest --json " CORPUS_FILES, &out, &err), 65,
	    "%s", err);
	snprintf(want, sizeof(want), "{\"inputs\":%zu,\"reports\":37,"
	    "\"new\":0,\"duplicate\":37,\"failed\":3,\"records\":0}\n", n);
	cr_expect_str_eq(out, want);
	after = fingerprint(ci);
	cr_expect_str_eq(after, before, "the rerun changed the tables");
	check_corpus_stored(ci, rows, n, &t);
	free(before);
	free(after);
	free(out);
	free(err);
	free(rows);
	test_db_drop(ci);
}

Test(cli_ingest, one_report_in_three_wrappings_is_stored_once)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err, *xml, *gz;
	char *mail, path[512], args[1024];
	size_t len, gzlen, maillen;
	static const struct {
		const char *name;
		const char *json;
	} steps[] = {
		{ "r.xml", "{\"inputs\":1,\"reports\":1,\"new\":1,"
		  "\"duplicate\":0,\"failed\":0,\"records\":8}\n" },
		{ "r.xml.gz", "{\"inputs\":1,\"reports\":1,\"new\":0,"
		  "\"duplicate\":1,\"failed\":0,\"records\":0}\n" },
		{ "r.eml", "{\"inputs\":1,\"reports\":1,\"new\":0,"
		  "\"duplicate\":1,\"failed\":0,\"records\":0}\n" },
	};

	xml = test_slurp(CORPUS "/aggregate/zoho_no-version-spf-helo-no-"
	    "domain.xml", &len);
	gz = test_gzip(xml, len, &gzlen);
	mail = test_email(xml, len, "application/xml", "zoho.xml", &maillen);
	snprintf(path, sizeof(path), "%s/r.xml", dir);
	test_write_file(path, xml, len);
	snprintf(path, sizeof(path), "%s/r.xml.gz", dir);
	test_write_file(path, gz, gzlen);
	snprintf(path, sizeof(path), "%s/r.eml", dir);
	test_write_file(path, mail, maillen);
	for (size_t i = 0; i < 3; i++) {
		snprintf(args, sizeof(args), "ingest --json %s/%s", dir,
		    steps[i].name);
		cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
		cr_expect_str_eq(out, steps[i].json, "%s", steps[i].name);
		free(out);
		free(err);
	}
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 8);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"), 9);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"), 8);
	/* the copy that was stored is the one archived */
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 1);
	snprintf(args, sizeof(args), "SELECT count(*) FROM raw_inputs WHERE "
	    "source LIKE '%%/r.xml' AND encoding = 'gzip' AND size = %zu", len);
	cr_expect_eq(count(ci, args), 1);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(xml);
	free(gz);
	free(mail);
	free(dir);
	test_db_drop(ci);
}

/* --- concurrency --- */

Test(cli_ingest, four_loaders_at_once_store_each_report_once)
{
	struct mrow *rows;
	size_t n = manifest(&rows);
	struct totals t;

	corpus_totals(rows, n, &t);
	for (int round = 0; round < 2; round++) {
		char *ci = test_db_migrated(), *q = test_shq(ci), *dir = test_tmpdir();
		char cmd[4096], path[512], *out, *err;
		long long new_total = 0, records_total = 0;

		snprintf(cmd, sizeof(cmd), "cd %s && for i in 1 2 3 4; do "
		    "(%s -q --db %s ingest --json " CORPUS_FILES " >%s/out$i "
		    "2>%s/err$i; echo $? >%s/rc$i) & done; wait", CORPUS,
		    DMARCCTL_BIN, q, dir, dir, dir);
		cr_assert_eq(test_run(cmd, &out, &err), 0, "%s", err);
		free(out);
		free(err);
		for (int i = 1; i <= 4; i++) {
			char *rc, *o, *e;
			size_t len;
			struct summary s;

			snprintf(path, sizeof(path), "%s/rc%d", dir, i);
			rc = test_slurp(path, &len);
			snprintf(path, sizeof(path), "%s/out%d", dir, i);
			o = test_slurp(path, &len);
			snprintf(path, sizeof(path), "%s/err%d", dir, i);
			e = test_slurp(path, &len);
			/* failed inputs: 65; never 69, 70 or 75 */
			cr_expect_str_eq(rc, "65\n", "loader %d: %s", i, e);
			cr_expect(strstr(e, "database") == NULL &&
			    strstr(e, "deadlock") == NULL, "loader %d: %s", i,
			    e);
			cr_expect_eq(lines(e), 3, "loader %d: %s", i, e);
			s = summary(o);
			cr_expect_eq(s.inputs, (long long)n);
			cr_expect_eq(s.reports, 37);
			cr_expect_eq(s.new_ + s.duplicate, 37, "%s", o);
			cr_expect_eq(s.failed, 3);
			new_total += s.new_;
			records_total += s.records;
			free(rc);
			free(o);
			free(e);
		}
		cr_expect_eq(new_total, 37, "round %d", round);
		cr_expect_eq(records_total, t.records, "round %d", round);
		cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 37);
		cr_expect_eq(count(ci, "SELECT count(*) FROM (SELECT DISTINCT "
		    "domain, kind, org_name, report_id, begin_at, end_at, "
		    "content_sha256 FROM reports) k"), 37);
		cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"),
		    t.failure_reports);
		cr_expect_eq(count(ci, "SELECT count(*) FROM records"),
		    t.dmarc_records);
		cr_expect_eq(count(ci, "SELECT count(*) FROM (SELECT DISTINCT "
		    "domain, report, rec_no FROM records) k"),
		    t.dmarc_records);
		cr_expect_eq(count(ci, "SELECT count(*) FROM tls_policies"),
		    t.tls_records);
		cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
		    t.dmarc_messages);
		cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"),
		    t.dmarc_records);
		cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
		    "tls_daily"), t.tls_messages);
		check_domain_daily(ci, rows, n);
		cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"),
		    3);
		cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"),
		    t.archived);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_expect_eq(system(cmd), 0);
		free(dir);
		free(q);
		test_db_drop(ci);
	}
	free(rows);
}

/* the same reports in other wrappings, loaded at once in other orders:
 * the duplicate is found by content */
Test(cli_ingest, four_loaders_over_other_wrappings_store_each_report_once)
{
	static const char *const files[] = {
		"aggregate/zoho_no-version-spf-helo-no-domain.xml",
		"aggregate/outlook_envelope-to-two-records-no-final-"
		"newline.xml",
		"aggregate/usssa_empty-envelope-from-empty-auth-results.xml",
		"tlsrpt/microsoft_sts-plus-tlsa-policies.json",
	};
	static const char *const ext[] = { "raw", "gz", "eml" };
	char *ci = test_db_migrated(), *q = test_shq(ci), *dir = test_tmpdir();
	char path[512], *out, *err;
	struct buf cmd;
	struct err e;
	long long new_total = 0;

	for (size_t f = 0; f < 4; f++) {
		size_t len, gzlen, maillen;
		char *data, *gz, *mail;

		snprintf(path, sizeof(path), "%s/%s", CORPUS, files[f]);
		data = test_slurp(path, &len);
		gz = test_gzip(data, len, &gzlen);
		mail = test_email(gz, gzlen, "application/gzip", "r.gz",
		    &maillen);
		snprintf(path, sizeof(path), "%s/%zu.raw", dir, f);
		test_write_file(path, data, len);
		snprintf(path, sizeof(path), "%s/%zu.gz", dir, f);
		test_write_file(path, gz, gzlen);
		snprintf(path, sizeof(path), "%s/%zu.eml", dir, f);
		test_write_file(path, mail, maillen);
		free(data);
		free(gz);
		free(mail);
	}
	/* loader i starts with wrapping i % 3 and walks the reports
	 * forwards or backwards */
	buf_init(&cmd, 1u << 20);
	buf_addf(&cmd, &e, "cd %s || exit 1; ", dir);
	for (int i = 0; i < 4; i++) {
		buf_addf(&cmd, &e, "(%s -q --db %s ingest --json", DMARCCTL_BIN,
		    q);
		for (int w = 0; w < 3; w++)
			for (int f = 0; f < 4; f++)
				buf_addf(&cmd, &e, " %d.%s", i % 2 ? 3 - f : f,
				    ext[(i + w) % 3]);
		buf_addf(&cmd, &e, " >out%d 2>err%d; echo $? >rc%d) & ", i, i,
		    i);
	}
	buf_adds(&cmd, "wait", &e);
	cr_assert_eq(test_run(buf_str(&cmd), &out, &err), 0, "%s", err);
	free(out);
	free(err);
	for (int i = 0; i < 4; i++) {
		char *rc, *o, *errtext;
		size_t len;
		struct summary s;

		snprintf(path, sizeof(path), "%s/rc%d", dir, i);
		rc = test_slurp(path, &len);
		snprintf(path, sizeof(path), "%s/out%d", dir, i);
		o = test_slurp(path, &len);
		snprintf(path, sizeof(path), "%s/err%d", dir, i);
		errtext = test_slurp(path, &len);
		cr_expect_str_eq(rc, "0\n", "loader %d: %s", i, errtext);
		cr_expect_str_eq(errtext, "", "loader %d", i);
		s = summary(o);
		cr_expect_eq(s.inputs, 12);
		cr_expect_eq(s.reports, 12);
		cr_expect_eq(s.new_ + s.duplicate, 12, "%s", o);
		new_total += s.new_;
		free(rc);
		free(o);
		free(errtext);
	}
	cr_expect_eq(new_total, 4);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 4);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), 8 + 2 + 2);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
	    9 + 3 + 2);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"),
	    8 + 2 + 2);
	cr_expect_eq(count(ci, "SELECT count(*) FROM tls_policies"), 2);
	cr_expect_eq(count(ci, "SELECT sum(successful + failed) FROM "
	    "tls_daily"), 4);
	/* only the copies that were stored are archived */
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), 4);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports r JOIN "
	    "raw_inputs w ON w.id = r.raw_id"), 4);
	buf_release(&cmd);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	cr_expect_eq(system(path), 0);
	free(dir);
	free(q);
	test_db_drop(ci);
}

/* --- crash safety --- */

enum { CRASH_FILES = 40, CRASH_RECORDS = 2500 };

/* report i: n records, counts 1..5 (3 on average when n % 5 == 0) */
static void
big_report(struct buf *out, int i, int n)
{
	static const char *const dkim[] = { "pass", "fail" };
	struct buf b;
	struct err e;
	long long begin = 1767225600LL + 86400LL * i;

	buf_init(&b, 64u << 20);
	buf_addf(&b, &e, "<?xml version=\"1.0\"?>\n<feedback>\n"
	    "<report_metadata><org_name>gen%d.example</org_name>"
	    "<email>dmarc@gen%d.example</email><report_id>crash-%d</report_id>"
	    "<date_range><begin>%lld</begin><end>%lld</end></date_range>"
	    "</report_metadata>\n<policy_published><domain>d%d.example"
	    "</domain><p>none</p><pct>100</pct></policy_published>\n",
	    i % 3, i % 3, i, begin, begin + 86399, i % 4);
	for (int j = 0; j < n; j++)
		buf_addf(&b, &e, "<record><row><source_ip>10.%d.%d.%d"
		    "</source_ip><count>%d</count><policy_evaluated>"
		    "<disposition>none</disposition><dkim>%s</dkim>"
		    "<spf>pass</spf></policy_evaluated></row><identifiers>"
		    "<header_from>d%d.example</header_from></identifiers>"
		    "<auth_results><dkim><domain>d%d.example</domain>"
		    "<result>%s</result></dkim><spf><domain>d%d.example"
		    "</domain><result>pass</result></spf></auth_results>"
		    "</record>\n",
		    i, j / 250, j % 250, 1 + j % 5, dkim[j % 2], i % 4, i % 4,
		    dkim[j % 2], i % 4);
	buf_adds(&b, "</feedback>\n", &e);
	*out = b;
}

static void
write_big_report(const char *dir, int i)
{
	char path[512];
	struct buf b;

	big_report(&b, i, CRASH_RECORDS);
	snprintf(path, sizeof(path), "%s/r%02d.xml", dir, i);
	test_write_file(path, b.data, b.len);
	buf_release(&b);
}

/* start `dmarcctl ingest dir`, kill -9 it after ms milliseconds; whether
 * it was still running */
static bool
kill_ingest_after(const char *ci, const char *dir, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	pid_t pid = fork();
	int st;
	bool was_running;

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(DMARCCTL_BIN, DMARCCTL_BIN, "-q", "--db", ci, "ingest",
		    dir, (char *)NULL);
		_exit(127);
	}
	nanosleep(&ts, NULL);
	was_running = kill(pid, SIGKILL) == 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	was_running = was_running && WIFSIGNALED(st);
	if (!was_running)
		cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d",
		    st);
	return was_running;
}

/* committed state is always whole: every report with all its records */
static void
check_whole(const char *ci, const char *when)
{
	char *v = test_db_value(ci, "SELECT format('%s %s %s %s %s', "
	    "(SELECT count(*) FROM records) = (SELECT coalesce(sum(records), "
	    "0) FROM reports), "
	    "(SELECT count(*) FROM reports WHERE records <> 2500 OR "
	    "length(content_sha256) <> 32 OR raw_id IS NULL) = 0, "
	    "(SELECT count(*) FROM dkim_results) = (SELECT count(*) FROM "
	    "records), "
	    "(SELECT coalesce(sum(messages), 0) FROM domain_daily) = (SELECT "
	    "coalesce(sum(count), 0) FROM records), "
	    "(SELECT count(*) FROM raw_inputs) = (SELECT count(*) FROM "
	    "reports))");

	cr_expect_str_eq(v, "t t t t t", "%s: records, reports, children, "
	    "rollup, originals", when);
	free(v);
}

Test(cli_ingest, killed_loaders_leave_whole_reports_and_a_rerun_finishes)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char args[1024], when[64];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	long long before, want_messages = 0;
	int killed = 0;
	struct summary s;

	for (int i = 0; i < CRASH_FILES; i++)
		write_big_report(dir, i);
	for (int j = 0; j < CRASH_RECORDS; j++)
		want_messages += 1 + j % 5;
	want_messages *= CRASH_FILES;
	srand(seed);
	for (int k = 0; k < 4; k++) {
		long ms = 50 + rand() % 251;

		killed += kill_ingest_after(ci, dir, ms);
		snprintf(when, sizeof(when), "after kill %d at %ld ms "
		    "(seed %u)", k, ms, seed);
		check_whole(ci, when);
	}
	cr_expect_gt(killed, 0, "no loader was killed part way");
	before = count(ci, "SELECT count(*) FROM reports");

	snprintf(args, sizeof(args), "ingest --json %s", dir);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	s = summary(out);
	cr_expect_eq(s.inputs, CRASH_FILES);
	cr_expect_eq(s.reports, CRASH_FILES);
	cr_expect_eq(s.failed, 0);
	cr_expect_eq(s.duplicate, before);
	cr_expect_eq(s.new_, CRASH_FILES - before);
	cr_expect_eq(s.records, (CRASH_FILES - before) * CRASH_RECORDS);
	free(out);
	free(err);

	check_whole(ci, "after the rerun");
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), CRASH_FILES);
	cr_expect_eq(count(ci, "SELECT count(DISTINCT report_id) FROM "
	    "reports"), CRASH_FILES);
	cr_expect_eq(count(ci, "SELECT min(records) FROM reports"),
	    CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"),
	    (long long)CRASH_FILES * CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT count(*) FROM (SELECT DISTINCT report, "
	    "rec_no FROM records) k"), (long long)CRASH_FILES * CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT sum(count) FROM records"),
	    want_messages);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM reports"),
	    want_messages);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
	    want_messages);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"),
	    (long long)CRASH_FILES * CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT count(*) FROM spf_results"),
	    (long long)CRASH_FILES * CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs"), CRASH_FILES);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 0);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(dir);
	test_db_drop(ci);
}

/* cut every other connection to the test database; how many were cut */
static long long
cut_connections(const char *ci)
{
	return rows_of(ci, "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE datname = current_database() AND pid <> "
	    "pg_backend_pid()", 0, NULL);
}

/* the server drops the loader's connection part way: exit 75 (retry),
 * whole reports only, and the retry finishes the job */
Test(cli_ingest, a_dropped_connection_is_exit_75_and_a_retry_finishes)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *logs = test_tmpdir();
	char o[512], e[512], args[1024], *out, *err;
	struct timespec tick = { 0, 5 * 1000000L };
	long long cut = 0;
	size_t len;
	pid_t pid;
	int st;
	struct summary s;

	for (int i = 0; i < CRASH_FILES; i++)
		write_big_report(dir, i);
	snprintf(o, sizeof(o), "%s/out", logs);
	snprintf(e, sizeof(e), "%s/err", logs);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fo, 1);
		dup2(fe, 2);
		execl(DMARCCTL_BIN, DMARCCTL_BIN, "--db", ci, "ingest",
		    "--json", dir, (char *)NULL);
		_exit(127);
	}
	/* once the first report is in, cut the loader off */
	for (int i = 0; i < 2000 && cut == 0; i++) {
		nanosleep(&tick, NULL);
		if (waitpid(pid, &st, WNOHANG) == pid)
			cr_assert_fail("the loader ended before it was cut off: "
			    "status %d", st);
		if (count(ci, "SELECT count(*) FROM reports") > 0)
			cut = cut_connections(ci);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_gt(cut, 0, "the loader was never seen at work");
	out = test_slurp(o, &len);
	err = test_slurp(e, &len);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 75, "status %d: %s", st,
	    err);
	s = summary(out);
	cr_expect_lt(s.new_, CRASH_FILES);
	cr_expect_eq(s.failed, 0, "a lost connection is no bad input");
	/* the summary, then the cause in one line */
	cr_expect_eq(lines(err), 2, "%s", err);
	cr_expect(strstr(err, "dmarcctl: ") != NULL && (strstr(err,
	    "terminat") != NULL || strstr(err, "closed the connection") !=
	    NULL), "%s", err);
	free(out);
	free(err);
	check_whole(ci, "after the cut");
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors"), 0);

	snprintf(args, sizeof(args), "ingest --json %s", dir);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	s = summary(out);
	cr_expect_eq(s.reports, CRASH_FILES);
	cr_expect_eq(s.new_ + s.duplicate, CRASH_FILES);
	free(out);
	free(err);
	check_whole(ci, "after the retry");
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), CRASH_FILES);
	snprintf(args, sizeof(args), "rm -rf %s %s", dir, logs);
	cr_expect_eq(system(args), 0);
	free(dir);
	free(logs);
	test_db_drop(ci);
}

/* a report that breaks off part way is not stored at all; its file is
 * recorded as failed, with its original */
Test(cli_ingest, a_report_cut_short_stores_only_its_error)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err, *gz;
	char path[512], args[1024];
	size_t gzlen;
	struct buf b;

	big_report(&b, 7, CRASH_RECORDS);
	snprintf(path, sizeof(path), "%s/cut.xml", dir);
	test_write_file(path, b.data, b.len * 3 / 5);
	gz = test_gzip(b.data, b.len, &gzlen);
	snprintf(path, sizeof(path), "%s/cut.xml.gz", dir);
	test_write_file(path, gz, gzlen * 3 / 5);
	snprintf(args, sizeof(args), "ingest --json %s/cut.xml %s/cut.xml.gz",
	    dir, dir);
	cr_expect_eq(dm(ci, args, &out, &err), 65, "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":2,\"reports\":0,\"new\":0,"
	    "\"duplicate\":0,\"failed\":2,\"records\":0}\n");
	cr_expect_eq(lines(err), 3, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(count(ci, "SELECT (SELECT count(*) FROM reports) + "
	    "(SELECT count(*) FROM records) + (SELECT count(*) FROM "
	    "dkim_results) + (SELECT count(*) FROM domain_daily)"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM ingest_errors e JOIN "
	    "raw_inputs w ON w.id = e.raw_id WHERE e.source LIKE '%/cut.xml%' "
	    "AND e.source = w.source"), 2);
	/* the whole file, later: stored */
	snprintf(path, sizeof(path), "%s/whole.xml", dir);
	test_write_file(path, b.data, b.len);
	snprintf(args, sizeof(args), "ingest --json %s", path);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":1,\"reports\":1,\"new\":1,"
	    "\"duplicate\":0,\"failed\":0,\"records\":2500}\n");
	free(out);
	free(err);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), CRASH_RECORDS);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"),
	    CRASH_RECORDS);
	buf_release(&b);
	free(gz);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(dir);
	test_db_drop(ci);
}

/* --- the database away or not ready --- */

Test(cli_ingest, an_unreachable_database_is_exit_69_in_one_line)
{
	static const char *const cmds[] = {
		"ingest aggregate/zoho_no-version-spf-helo-no-domain.xml",
		"ingest --json " CORPUS_FILES,
		"db migrate",
		"db status",
		"reports --format json",
		"errors",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out, *err;

		cr_expect_eq(dm(NO_DB, cmds[i], &out, &err), 69, "%s: %s",
		    cmds[i], err);
		cr_expect_str_eq(out, "", "%s", cmds[i]);
		cr_expect(starts(err, "dmarcctl: cannot connect to database"),
		    "%s: %s", cmds[i], err);
		cr_expect_eq(lines(err), 1, "%s: %s", cmds[i], err);
		cr_expect(strstr(err, "/nonexistent") != NULL, "%s: %s",
		    cmds[i], err);
		free(out);
		free(err);
	}
}

Test(cli_ingest, a_database_not_migrated_is_exit_69)
{
	static const char *const cmds[] = {
		"ingest --json " CORPUS_FILES,
		"reports",
		"errors --format json",
	};
	char *ci = test_db_new();

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out, *err;

		cr_expect_eq(dm(ci, cmds[i], &out, &err), 69, "%s: %s",
		    cmds[i], err);
		cr_expect_str_eq(out, "", "%s", cmds[i]);
		cr_expect(starts(err, "dmarcctl: ") && strstr(err, "run "
		    "dmarcctl db migrate") != NULL, "%s: %s", cmds[i], err);
		cr_expect_eq(lines(err), 1, "%s: %s", cmds[i], err);
		free(out);
		free(err);
	}
	/* and nothing was created */
	cr_expect_eq(count(ci, "SELECT count(*) FROM pg_class c JOIN "
	    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
	    "'public' AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid "
	    "= c.oid AND d.deptype = 'e')"), 0);
	test_db_drop(ci);
}

/* --- --dry-run --- */

Test(cli_ingest, dry_run_needs_no_database_and_writes_nothing)
{
	struct mrow *rows;
	size_t n = manifest(&rows);
	char *ci = test_db_migrated(), *out, *err;
	struct totals t;
	struct summary s;

	corpus_totals(rows, n, &t);
	cr_expect_eq(dm(NO_DB, "ingest --dry-run --json " CORPUS_FILES, &out,
	    &err), 65, "%s", err);
	s = summary(out);
	cr_expect_eq(s.inputs, (long long)n);
	cr_expect_eq(s.reports, 37);
	cr_expect_eq(s.failed, 3);
	cr_expect_eq(s.duplicate, 0);
	cr_expect_eq(s.records, t.records);
	cr_expect(strstr(err, "cannot connect") == NULL, "%s", err);
	cr_expect(strstr(err, "dry run") != NULL, "%s", err);
	free(out);
	free(err);

	cr_expect_eq(dm(ci, "ingest --dry-run --json " CORPUS_FILES, &out,
	    &err), 65, "%s", err);
	s = summary(out);
	cr_expect_eq(s.reports, 37);
	cr_expect_eq(count(ci, nothing_stored), 0);
	free(out);
	free(err);

	/* once stored, a dry run counts them as the duplicates they are */
	cr_expect_eq(dm(ci, "ingest " CORPUS_FILES, &out, &err), 65, "%s",
	    err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "ingest --dry-run --json " CORPUS_FILES, &out,
	    &err), 65, "%s", err);
	s = summary(out);
	cr_expect_eq(s.reports, 37);
	cr_expect_eq(s.new_, 0, "%s", out);
	cr_expect_eq(s.duplicate, 37, "%s", out);
	cr_expect_eq(s.records, 0, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "ingest --dry-run " CORPUS_FILES, &out, &err), 65,
	    "%s", err);
	cr_expect(strstr(err, "(0 new, 37 duplicate), 3 failed, 0 records "
	    "would be stored (dry run: nothing stored)") != NULL, "%s", err);
	free(out);
	free(err);
	free(rows);
	test_db_drop(ci);
}

/* --- directories, Maildirs, standard input --- */

static void
put_report(const char *dir, const char *name, const char *corpus_file,
    bool is_mail)
{
	char path[512], *data, *mail;
	size_t len, maillen;

	snprintf(path, sizeof(path), "%s/%s", CORPUS, corpus_file);
	data = test_slurp(path, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (is_mail) {
		mail = test_email(data, len, "application/xml", "report.xml",
		    &maillen);
		test_write_file(path, mail, maillen);
		free(mail);
	} else {
		test_write_file(path, data, len);
	}
	free(data);
}

static long long
stored(const char *ci, const char *report_id)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM reports WHERE "
	    "report_id = '%s'", report_id);
	return count(ci, sql);
}

Test(cli_ingest, directories_maildirs_and_stdin)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err;
	char args[2048], md[512], *json, *gz;
	size_t len, gzlen;
	static const struct {
		const char *id;
		long long want;
	} want[] = {
		{ "3166094538684628578", 1 },		/* Maildir cur/ */
		{ "28327321193681154911721360800", 1 },	/* Maildir new/ */
		{ "1781848448.914260", 0 },		/* Maildir tmp/ */
		{ "cfeafefe4129445e8c81018bd9177197", 1 },	/* a/ */
		{ "2025-03-27T00:00:00Z_foo-bar.io", 1 },	/* a/b/c/ gz */
		{ "e2cb5d97-dcbb-470f-b2dd-45519a2abbb3", 0 },	/* .hidden */
		{ "quirky-unknown-enums", 0 },		/* .git/ */
	};

	put_report(dir, "mail/cur/1700000000.1.host:2,S",
	    "aggregate/google_np-reject-single-record.xml", true);
	put_report(dir, "mail/new/1700000001.2.host",
	    "aggregate/mailru_single-line-no-version.xml", true);
	put_report(dir, "mail/tmp/1700000002.3.host",
	    "aggregate/yahoo_strict-alignment-no-sp.xml", true);
	put_report(dir, "a/outlook.xml",
	    "aggregate/outlook_envelope-to-hotmail.xml", false);
	json = test_slurp(CORPUS "/tlsrpt/google_no-policy-found-pretty.json",
	    &len);
	gz = test_gzip(json, len, &gzlen);
	snprintf(args, sizeof(args), "%s/a/b/c/tls.json.gz", dir);
	test_write_file(args, gz, gzlen);
	put_report(dir, ".hidden.xml",
	    "aggregate/zoho_no-version-spf-helo-no-domain.xml", false);
	put_report(dir, "a/.git/q.xml",
	    "aggregate/quirkyexample_unknown-enum-values.xml", false);

	/* the Maildir alone: cur/ and new/, not tmp/ */
	snprintf(md, sizeof(md), "%s/mail", dir);
	snprintf(args, sizeof(args), "ingest --json %s", md);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":2,\"reports\":2,\"new\":2,"
	    "\"duplicate\":0,\"failed\":0,\"records\":2}\n");
	free(out);
	free(err);
	/* the whole tree: nested directories, no hidden entries */
	snprintf(args, sizeof(args), "ingest --json %s", dir);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":4,\"reports\":4,\"new\":2,"
	    "\"duplicate\":2,\"failed\":0,\"records\":2}\n");
	free(out);
	free(err);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(stored(ci, want[i].id), want[i].want, "%s",
		    want[i].id);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs WHERE source "
	    "LIKE '%/mail/tmp/%' OR source LIKE '%/.%'"), 0);

	/* standard input, gzip'd */
	snprintf(args, sizeof(args), "gzip -c aggregate/yahoo_trailing-tab-"
	    "every-line.xml | %s --db %s ingest --json -", DMARCCTL_BIN,
	    "\"$DB\"");
	{
		char *q = test_shq(ci), cmd[4096];

		snprintf(cmd, sizeof(cmd), "cd %s && DB=%s && %s", CORPUS, q,
		    args);
		cr_expect_eq(test_run(cmd, &out, &err), 0, "%s", err);
		free(q);
	}
	cr_expect_str_eq(out, "{\"inputs\":1,\"reports\":1,\"new\":1,"
	    "\"duplicate\":0,\"failed\":0,\"records\":1}\n");
	free(out);
	free(err);
	cr_expect_eq(stored(ci, "1709600619.487850"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM raw_inputs w JOIN reports "
	    "r ON r.raw_id = w.id WHERE w.source = 'stdin' AND "
	    "r.report_id = '1709600619.487850'"), 1);

	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(json);
	free(gz);
	free(dir);
	test_db_drop(ci);
}

/* --- reports and errors --- */

static json_t *
load_json(const char *out, const char *key, size_t want)
{
	json_error_t je;
	json_t *j = json_loads(out, 0, &je), *a;

	cr_assert_not_null(j, "not JSON: %s: %s", je.text, out);
	a = json_object_get(j, key);
	cr_assert(json_is_array(a), "no array %s: %s", key, out);
	cr_expect_eq(json_array_size(a), want, "%s", out);
	return j;
}

/* a large input: stored once, its original archived byte for byte */
Test(cli_ingest, a_large_input_is_stored_once_and_archived)
{
	enum { N = 8000 };
	char *ci = test_db_migrated(), *dir = test_tmpdir(), *out, *err, *gz;
	char path[512], args[1024], hex[65], *before, *after;
	const char *p[3] = { path, hex, args };
	long long size;
	size_t gzlen;
	struct buf b;

	big_report(&b, 11, N);
	cr_assert_gt(b.len, 2u << 20);
	snprintf(path, sizeof(path), "%s/big.xml", dir);
	test_write_file(path, b.data, b.len);
	gz = test_gzip(b.data, b.len, &gzlen);
	snprintf(args, sizeof(args), "%s/big.xml.gz", dir);
	test_write_file(args, gz, gzlen);
	snprintf(args, sizeof(args), "ingest --json %s", path);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":1,\"reports\":1,\"new\":1,"
	    "\"duplicate\":0,\"failed\":0,\"records\":8000}\n");
	free(out);
	free(err);
	file_sha256(path, hex, &size);
	snprintf(args, sizeof(args), "%lld", size);
	cr_expect_eq(rows_of(ci, "SELECT 1 FROM reports r JOIN raw_inputs w "
	    "ON w.id = r.raw_id WHERE w.source = $1 AND w.sha256 = "
	    "decode($2, 'hex') AND w.size = $3 AND r.records = 8000 AND "
	    "r.messages = 24000", 3, p), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), N);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
	    3 * N);
	before = fingerprint(ci);
	/* again, and gzip'd: nothing new */
	for (int k = 0; k < 2; k++) {
		snprintf(args, sizeof(args), "ingest --json %s%s", path,
		    k == 0 ? "" : ".gz");
		cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
		cr_expect_str_eq(out, "{\"inputs\":1,\"reports\":1,"
		    "\"new\":0,\"duplicate\":1,\"failed\":0,"
		    "\"records\":0}\n");
		free(out);
		free(err);
		if (k == 0) {
			after = fingerprint(ci);
			cr_expect_str_eq(after, before);
			free(after);
		}
	}
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM records"), N);
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM domain_daily"),
	    3 * N);
	cr_expect_eq(count(ci, "SELECT sum(records) FROM domain_daily"), N);
	free(before);
	free(gz);
	buf_release(&b);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(dir);
	test_db_drop(ci);
}

Test(cli_ingest, reports_and_errors_list_what_ingest_did)
{
	char *ci = test_db_migrated(), *q = test_shq(ci), *out, *err, cmd[4096];
	json_t *j, *a, *x;
	size_t i;
	int found = 0;

	cr_expect_eq(dm(ci, "ingest " CORPUS_FILES, &out, &err), 65, "%s",
	    err);
	free(out);
	free(err);

	/* the database from the environment this time */
	snprintf(cmd, sizeof(cmd), "DMARCCTL_DB=%s %s reports --days 36500 "
	    "--format json", q, DMARCCTL_BIN);
	cr_expect_eq(test_run(cmd, &out, &err), 0, "%s", err);
	cr_expect_str_eq(err, "");
	/* the corpus has reports dated after some clocks' now */
	j = load_json(out, "reports", (size_t)count(ci, "SELECT count(*) FROM "
	    "reports WHERE begin_at >= now() - interval '36500 days' AND "
	    "begin_at < now()"));
	a = json_object_get(j, "reports");
	json_array_foreach(a, i, x) {
		static const char *const keys[] = { "kind", "domain",
			"reporter", "report_id", "begin", "end" };

		for (size_t k = 0; k < 6; k++)
			cr_expect(json_is_string(json_object_get(x, keys[k])),
			    "report %zu: %s", i, keys[k]);
		cr_expect(json_is_integer(json_object_get(x, "records")));
		cr_expect(json_is_integer(json_object_get(x, "messages")));
		if (strcmp(json_string_value(json_object_get(x, "report_id")),
		    "e2cb5d97-dcbb-470f-b2dd-45519a2abbb3") == 0) {
			found++;
			cr_expect_str_eq(json_string_value(json_object_get(x,
			    "reporter")), "zoho.com");
			cr_expect_str_eq(json_string_value(json_object_get(x,
			    "kind")), "dmarc");
			cr_expect_eq(json_integer_value(json_object_get(x,
			    "records")), 8);
			cr_expect_eq(json_integer_value(json_object_get(x,
			    "messages")), 9);
		}
	}
	cr_expect_eq(found, 1);
	json_decref(j);
	free(out);
	free(err);

	cr_expect_eq(dm(ci, "reports --since 1970-01-01 --until 2100-01-01 "
	    "--format csv", &out, &err), 0, "%s", err);
	cr_expect(starts(out, "kind,domain,reporter,report_id,begin,end,"
	    "records,messages\n"), "%s", out);
	cr_expect_eq(lines(out), 38, "%s", out);
	free(out);
	free(err);

	cr_expect_eq(dm(ci, "errors --format json", &out, &err), 0, "%s", err);
	j = load_json(out, "errors", 3);
	a = json_object_get(j, "errors");
	json_array_foreach(a, i, x) {
		const char *src = json_string_value(json_object_get(x,
		    "source"));
		const char *orig = json_string_value(json_object_get(x,
		    "original"));

		cr_expect(src != NULL && (starts(src, "aggregate/") ||
		    starts(src, "email/")), "error %zu: %s", i, src);
		cr_expect_str_eq(json_string_value(json_object_get(x, "code")),
		    "parse");
		cr_expect(json_is_string(json_object_get(x, "cause")) &&
		    *json_string_value(json_object_get(x, "cause")) != '\0');
		cr_expect(orig != NULL && starts(orig, "raw_inputs.id="),
		    "error %zu: %s", i, orig);
	}
	cr_expect(strstr(out, "testcom_unclosed-report-metadata.xml") != NULL);
	cr_expect(strstr(out, "exampleorg_email-no-attachment.eml") != NULL);
	cr_expect(strstr(out, "exampleorg_email-zip-bytes-labelled-text-"
	    "plain-not-xml.eml") != NULL);
	/* a failure report is stored now, no error */
	cr_expect(strstr(out, "linkedin_forensic") == NULL, "%s", out);
	json_decref(j);
	free(out);
	free(err);
	free(q);
	test_db_drop(ci);
}

/* an input that cannot be read at all is an I/O error (74), recorded, and
 * the other inputs are still stored */
Test(cli_ingest, unreadable_input_exits_74_and_the_rest_is_stored)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_expect_eq(dm(ci, "ingest --json /nonexistent/report.xml "
	    "aggregate/yahoo_strict-alignment-no-sp.xml", &out, &err), 74,
	    "%s", err);
	cr_expect_str_eq(out, "{\"inputs\":2,\"reports\":1,\"new\":1,"
	    "\"duplicate\":0,\"failed\":1,\"records\":1}\n");
	cr_expect(strstr(err, "dmarcctl: cannot open /nonexistent/report.xml: "
	    "No such file or directory\n") != NULL, "%s", err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM ingest_errors "
	    "WHERE source = '/nonexistent/report.xml' AND code = 'io'"), 1);
	free(out);
	free(err);
	test_db_drop(ci);
}

Test(cli_ingest, reports_of_one_domain_and_an_empty_window_said)
{
	char *ci = test_db_migrated(), *out, *err, *all;
	long long n;

	cr_expect_eq(dm(ci, "ingest " CORPUS_FILES, &out, &err), 65, "%s",
	    err);
	free(out);
	free(err);
	n = count(ci, "SELECT count(*) FROM reports WHERE lower(coalesce("
	    "domain_full, domain)) = 'foo-bar.io'");
	cr_assert_gt(n, 0);
	/* any case: domain names ignore it */
	cr_expect_eq(dm(ci, "reports --since 1970-01-01 --until 2100-01-01 "
	    "--domain Foo-Bar.IO --format csv", &out, &err), 0, "%s", err);
	cr_expect_str_eq(err, "");
	all = out;
	/* a header and one line per report, each of that domain */
	{
		long long lines = 0;

		for (const char *p = all; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		cr_expect_eq(lines, n + 1, "%s", all);
	}
	cr_expect(strstr(all, ",foo-bar.io,") != NULL, "%s", all);
	free(all);
	free(err);
	/* nothing there: an empty listing, and a line on stderr */
	cr_expect_eq(dm(ci, "reports --since 1971-01-01 --until 1971-02-01 "
	    "--format json", &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "\"reports\":[]") != NULL, "%s", out);
	cr_expect(strstr(err, "no reports from 1971-01-01T00:00:00Z to "
	    "1971-02-01T00:00:00Z") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "reports --days 36500 --domain nothing.example",
	    &out, &err), 0, "%s", err);
	cr_expect(strstr(err, "no reports of nothing.example") != NULL, "%s",
	    err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "reports --domain 'a b'", &out, &err), 64, "%s",
	    err);
	free(out);
	free(err);
	test_db_drop(ci);
}
