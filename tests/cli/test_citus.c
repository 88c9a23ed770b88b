/*
 * The same inputs on a Citus cluster and on one PostgreSQL: the same
 * output, byte for byte (make check-citus; tests/run-tests.sh with
 * TEST_PG_RIG=citus starts both, the cluster in TEST_PG_CONNINFO, the
 * single node in TEST_PG_SINGLE_CONNINFO).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

/* every file of the corpus, relative to CORPUS (cd there first) */
#define CORPUS_FILES "$(tail -n +2 MANIFEST.tsv | cut -f1)"
/* every report the inputs hold, whenever it began */
#define SPAN "--since 2000-01-01 --until 2100-01-01"

/* test_db_migrated() on the cluster whose maintenance database is admin */
static char *
db_on(const char *admin)
{
	char *saved = xstrdup(getenv("TEST_PG_CONNINFO")), *ci;

	setenv("TEST_PG_CONNINFO", admin, 1);
	ci = test_db_migrated();
	setenv("TEST_PG_CONNINFO", saved, 1);
	free(saved);
	return ci;
}

static void
drop_on(const char *admin, char *ci)
{
	char *saved = xstrdup(getenv("TEST_PG_CONNINFO"));

	setenv("TEST_PG_CONNINFO", admin, 1);
	test_db_drop(ci);
	setenv("TEST_PG_CONNINFO", saved, 1);
	free(saved);
}

/* `dmarcctl ARGS` in dir against ci: stdout (malloc'd) and exit status */
static char *
run(const char *dir, const char *ci, const char *args, int *rc)
{
	char *out, *err;

	*rc = test_dmarcctl(dir, ci, args, &out, &err);
	free(err);
	return out;
}

/* args on both databases: the same exit status and the same stdout */
static void
expect_same(const char *dir, const char *single, const char *citus,
    const char *args)
{
	int rc_single, rc_citus;
	char *a = run(dir, single, args, &rc_single);
	char *b = run(dir, citus, args, &rc_citus);

	cr_expect_eq(rc_citus, rc_single, "%s: exit %d on Citus, %d on one "
	    "node", args, rc_citus, rc_single);
	cr_expect(strcmp(a, b) == 0, "%s differs:\n--- one node\n%s\n--- "
	    "Citus\n%s", args, a, b);
	cr_expect_gt(strlen(a), 2, "%s: no output", args);
	free(a);
	free(b);
}

/* the analysis of every domain on both: the same */
static void
expect_same_answers(const char *single, const char *citus)
{
	static const char *const queries[] = { "summary", "sources",
		"advise", "tls" };
	char args[256];

	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		snprintf(args, sizeof(args), "%s --no-dns --format json "
		    SPAN, queries[i]);
		expect_same(NULL, single, citus, args);
	}
}

Test(citus, same_inputs_same_outputs_as_one_node, .timeout = 600)
{
	const char *admin = getenv("TEST_PG_SINGLE_CONNINFO");
	char *citus, *single, *dir, *out, *err, gen[1024], cmd[4096];
	char args[2048];
	const char *bin = DMARCCTL_BIN, *slash = strrchr(bin, '/');

	if (admin == NULL || *admin == '\0')
		cr_skip_test("no single node beside the cluster: make "
		    "check-citus runs this");
	citus = test_db_migrated();
	cr_assert(test_db_is_citus(citus), "TEST_PG_CONNINFO is no Citus "
	    "cluster");
	single = db_on(admin);
	cr_assert(!test_db_is_citus(single));

	/* the corpus and two weeks of the demo's mail */
	dir = test_tmpdir();
	snprintf(gen, sizeof(gen), "%.*s/demo-gen", (int)(slash - bin), bin);
	snprintf(cmd, sizeof(cmd), "%s -d 14 -o %s/mail", gen, dir);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s (make %s first): %s",
	    cmd, gen, err);
	free(out);
	free(err);

	expect_same(CORPUS, single, citus, "ingest --json " CORPUS_FILES);
	snprintf(args, sizeof(args), "ingest --json %s/mail", dir);
	expect_same(NULL, single, citus, args);
	/* again: every report a duplicate */
	expect_same(CORPUS, single, citus, "ingest --json " CORPUS_FILES);
	expect_same(NULL, single, citus, args);

	expect_same_answers(single, citus);
	/* and for one domain (one shard group on the cluster) */
	expect_same(NULL, single, citus, "summary --no-dns --format json "
	    "--domain acme-widgets.example " SPAN);
	expect_same(NULL, single, citus, "sources --no-dns --format json "
	    "--domain acme-widgets.example " SPAN);
	expect_same(NULL, single, citus, "reports --format json");

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(dir);
	drop_on(admin, single);
	test_db_drop(citus);
}

/* a conninfo's database as PostgreSQL's tools take it (-d accepts a
 * conninfo) */
static void
tool(const char *name, const char *args, const char *ci)
{
	const char *bin = getenv("PGBIN");
	char *q = test_shq(ci), cmd[4096], *out, *err;

	snprintf(cmd, sizeof(cmd), "%s/%s %s -d %s",
	    bin != NULL ? bin : "/usr/lib/postgresql/15/bin", name, args, q);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s: %s", cmd, err);
	free(out);
	free(err);
	free(q);
}

Test(citus, a_database_moved_in_with_pg_dump_is_distributed_by_migrate,
    .timeout = 600)
{
	const char *admin = getenv("TEST_PG_SINGLE_CONNINFO");
	char *citus, *single, *dir, *out, args[1024];
	int rc;

	if (admin == NULL || *admin == '\0')
		cr_skip_test("no single node beside the cluster: make "
		    "check-citus runs this");
	single = db_on(admin);
	out = run(CORPUS, single, "ingest --json " CORPUS_FILES, &rc);
	free(out);
	/* README's way: dump, restore into the coordinator, migrate */
	dir = test_tmpdir();
	snprintf(args, sizeof(args), "-Fc -f %s/db.dump", dir);
	tool("pg_dump", args, single);
	citus = test_db_new();
	cr_assert(test_db_is_citus(citus));
	snprintf(args, sizeof(args), "--no-owner --no-privileges %s/db.dump",
	    dir);
	tool("pg_restore", args, citus);
	out = run(NULL, citus, "db status", &rc);
	cr_expect_eq(rc, 0);
	cr_expect(strstr(out, "not yet distributed: run dmarcctl db "
	    "migrate") != NULL, "%s", out);
	free(out);
	out = run(NULL, citus, "db migrate", &rc);
	cr_expect_eq(rc, 0);
	free(out);
	out = run(NULL, citus, "db status", &rc);
	cr_expect(strstr(out, "\nmode: distributed (Citus, 2 workers)\n") !=
	    NULL, "%s", out);
	free(out);
	/* the same answers, and the reports known: all duplicates */
	expect_same_answers(single, citus);
	expect_same(NULL, single, citus, "failures --format json " SPAN);
	expect_same(CORPUS, single, citus, "ingest --json " CORPUS_FILES);
	snprintf(args, sizeof(args), "rm -rf %s", dir);
	cr_expect_eq(system(args), 0);
	free(dir);
	drop_on(admin, single);
	test_db_drop(citus);
}

/* the lines of EXPLAIN sql with one text parameter, as libpq sends it */
static char *
explain(const char *ci, const char *sql, const char *param)
{
	PGconn *c = PQconnectdb(ci);
	PGresult *r;
	struct buf b;
	struct err e;
	char *out;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(c));
	buf_init(&b, 1u << 20);
	for (int i = 0; i < PQntuples(r); i++)
		cr_assert_eq(buf_addf(&b, &e, "%s\n", PQgetvalue(r, i, 0)), 0);
	PQclear(r);
	PQfinish(c);
	out = xstrdup(buf_str(&b));
	buf_release(&b);
	return out;
}

/*
 * A query of one domain goes to the one shard group that holds it: one
 * task on one worker.  The rollup query of the analysis (store_domain_days)
 * as the store sends it, its domain a parameter that may be NULL.
 */
Test(citus, one_domain_is_one_task)
{
	static const char q[] = "EXPLAIN SELECT domain, sum(messages), "
	    "count(DISTINCT day) FROM domain_daily WHERE day >= '2000-01-01' "
	    "AND day < '2100-01-01' AND ($1::text IS NULL OR domain = $1) "
	    "GROUP BY domain ORDER BY domain";
	char *ci, *plan;

	if (getenv("TEST_PG_SINGLE_CONNINFO") == NULL)
		cr_skip_test("not on Citus: make check-citus runs this");
	ci = test_db_migrated();
	plan = explain(ci, q, "example.com");
	cr_expect(strstr(plan, "Task Count: 1\n") != NULL, "%s", plan);
	free(plan);
	/* every domain: every shard, each aggregating its own domains */
	plan = explain(ci, q, NULL);
	cr_expect(strstr(plan, "Task Count: 1\n") == NULL, "%s", plan);
	free(plan);
	test_db_drop(ci);
}
