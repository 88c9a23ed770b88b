/*
 * The PostgreSQL test rig itself: make check starts a throwaway cluster
 * (tests/run-tests.sh) and test_db_new() hands each test a fresh database.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "tests/test_util.h"

static PGconn *
connect_ok(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect %s: %s", conninfo,
	    PQerrorMessage(c));
	return c;
}

/* The one value of a query that must return one row. */
static char *
query_value(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	char *v;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	cr_assert_eq(PQntuples(r), 1, "%s: %d rows", sql, PQntuples(r));
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_assert_not_null(v);
	return v;
}

static void
command_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(r);
}

static void
expect_value(PGconn *c, const char *sql, const char *want)
{
	char *v = query_value(c, sql);

	cr_expect_str_eq(v, want, "%s", sql);
	free(v);
}

Test(rig, fresh_database_is_empty_and_writable)
{
	char *ci = test_db_new();
	PGconn *c = connect_ok(ci);
	char *name = query_value(c, "SELECT current_database()");

	cr_expect_eq(strncmp(name, "t_", 2), 0, "database %s", name);
	free(name);
	expect_value(c, "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
	    "ON n.oid = c.relnamespace WHERE n.nspname = 'public'", "0");
	command_ok(c, "CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)");
	command_ok(c, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
	expect_value(c, "SELECT string_agg(name, ',' ORDER BY id) FROM t",
	    "one,two");
	PQfinish(c);
	test_db_drop(ci);
}

Test(rig, databases_are_distinct_and_dropped)
{
	char *a = test_db_new(), *b = test_db_new();
	PGconn *ca = connect_ok(a), *cb = connect_ok(b), *admin;
	char *na = query_value(ca, "SELECT current_database()");
	char *nb = query_value(cb, "SELECT current_database()");
	char sql[256];

	cr_expect_str_neq(na, nb);
	command_ok(ca, "CREATE TABLE only_in_a (x int)");
	expect_value(cb, "SELECT count(*) FROM pg_class "
	    "WHERE relname = 'only_in_a'", "0");
	PQfinish(ca);
	/* b is dropped with a connection still open: WITH (FORCE) */
	test_db_drop(a);
	test_db_drop(b);
	PQfinish(cb);

	admin = connect_ok(getenv("TEST_PG_CONNINFO"));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_database "
	    "WHERE datname IN ('%s', '%s')", na, nb);
	expect_value(admin, sql, "0");
	PQfinish(admin);
	free(na);
	free(nb);
}
