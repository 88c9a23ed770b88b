/*
 * The TLS failure rollup by policy type (sql/010): failures stored before
 * it get their policy type from the stored reports where those account
 * for them, and keep an empty one otherwise.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "store/migrations.h"
#include "store/store.h"
#include "tests/test_util.h"

static void
exec_sql(const char *ci, const char *sql)
{
	PGconn *c = PQconnectdb(ci);
	PGresult *r = NULL;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, sql);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK, "%.200s: %s", sql,
	    PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* the schema as it was before the migration of that version */
static void
migrate_before(const char *ci, int version)
{
	struct buf b;
	struct err err;

	exec_sql(ci, "CREATE TABLE dmarcctl_migrations (version integer "
	    "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
	    "DEFAULT now())");
	buf_init(&b, 4u << 20);
	for (size_t i = 0; i < n_migrations && migrations[i].version <
	    version; i++) {
		buf_reset(&b);
		cr_assert_eq(buf_addf(&b, &err, "%s; INSERT INTO "
		    "dmarcctl_migrations (version, name) VALUES (%d, '%s')",
		    migrations[i].sql, migrations[i].version,
		    migrations[i].name), 0);
		exec_sql(ci, buf_str(&b));
	}
	buf_release(&b);
}

static char *
rows(const char *ci)
{
	return test_db_value(ci, "SELECT string_agg(concat_ws(' ', day, "
	    "org_name, coalesce(nullif(policy_type, ''), '?'), result_type, "
	    "mx, sessions), ', ' ORDER BY day, policy_type, mx) FROM "
	    "tls_daily_failures");
}

Test(store_tls_rollup, failures_stored_before_get_their_policy_type)
{
	char *ci = test_db_new();
	struct store *s = NULL;
	struct err err;
	unsigned applied;
	char *v;

	migrate_before(ci, 10);
	/* one report: 5 failures at mx1 under sts, 3 under tlsa */
	exec_sql(ci, "INSERT INTO reports (id, domain, kind, org_name, "
	    "report_id, begin_at, end_at, content_sha256, records, messages) "
	    "VALUES (1, 'example.org', 'tlsrpt', 'Google', 'r1', "
	    "'2026-05-01T00:00:00Z', '2026-05-01T23:59:59Z', '\\x01', 2, 0)");
	exec_sql(ci, "INSERT INTO tls_policies (domain, report, pol_no, "
	    "begin_at, policy_type, policy_domain, successful, failed) VALUES "
	    "('example.org', 1, 0, '2026-05-01T00:00:00Z', 'sts', "
	    "'example.org', 100, 5), ('example.org', 1, 1, "
	    "'2026-05-01T00:00:00Z', 'tlsa', 'example.org', 50, 3)");
	exec_sql(ci, "INSERT INTO tls_failures (domain, report, pol_no, "
	    "begin_at, result_type, receiving_mx_hostname, "
	    "failed_session_count) VALUES ('example.org', 1, 0, "
	    "'2026-05-01T00:00:00Z', 'certificate-expired', "
	    "'mx1.example.org', 5), ('example.org', 1, 1, "
	    "'2026-05-01T00:00:00Z', 'certificate-expired', "
	    "'mx1.example.org', 3)");
	/* its rollup as it was, and a row whose report is gone */
	exec_sql(ci, "INSERT INTO tls_daily_failures (domain, day, org_name, "
	    "result_type, mx, sessions) VALUES ('example.org', '2026-05-01', "
	    "'Google', 'certificate-expired', 'mx1.example.org', 8), "
	    "('example.org', '2026-04-01', 'Google', 'starttls-not-supported', "
	    "'mx2.example.org', 4)");
	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	v = rows(ci);
	cr_expect_str_eq(v, "2026-04-01 Google ? starttls-not-supported "
	    "mx2.example.org 4, 2026-05-01 Google sts certificate-expired "
	    "mx1.example.org 5, 2026-05-01 Google tlsa certificate-expired "
	    "mx1.example.org 3");
	free(v);
	store_free(s);
	test_db_drop(ci);
}

Test(store_tls_rollup, a_row_the_reports_do_not_account_for_stays_whole)
{
	char *ci = test_db_new();
	struct store *s = NULL;
	struct err err;
	unsigned applied;
	char *v;

	migrate_before(ci, 10);
	exec_sql(ci, "INSERT INTO reports (id, domain, kind, org_name, "
	    "report_id, begin_at, end_at, content_sha256, records, messages) "
	    "VALUES (1, 'example.org', 'tlsrpt', 'Google', 'r1', "
	    "'2026-05-01T00:00:00Z', '2026-05-01T23:59:59Z', '\\x01', 1, 0)");
	exec_sql(ci, "INSERT INTO tls_policies (domain, report, pol_no, "
	    "begin_at, policy_type, successful, failed) VALUES "
	    "('example.org', 1, 0, '2026-05-01T00:00:00Z', 'sts', 100, 5)");
	exec_sql(ci, "INSERT INTO tls_failures (domain, report, pol_no, "
	    "begin_at, result_type, receiving_mx_hostname, "
	    "failed_session_count) VALUES ('example.org', 1, 0, "
	    "'2026-05-01T00:00:00Z', 'certificate-expired', "
	    "'mx1.example.org', 5)");
	/* 9 sessions: another report of that day is no longer stored */
	exec_sql(ci, "INSERT INTO tls_daily_failures (domain, day, org_name, "
	    "result_type, mx, sessions) VALUES ('example.org', '2026-05-01', "
	    "'Google', 'certificate-expired', 'mx1.example.org', 9)");
	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	v = rows(ci);
	cr_expect_str_eq(v, "2026-05-01 Google ? certificate-expired "
	    "mx1.example.org 9");
	free(v);
	store_free(s);
	test_db_drop(ci);
}
