/*
 * Test helpers: fixture paths and a sink that collects what parsers deliver
 * (as the JSON lines `dmarcctl parse --records` prints) for assertions.
 */
#ifndef DMARC_TESTS_TEST_UTIL_H
#define DMARC_TESTS_TEST_UTIL_H

#include <stdint.h>

#include "common/buf.h"
#include "parsers/report.h"

#define FIXTURE(p) (FIXTURES "/" p)

struct collect {
	struct buf out;		/* report and record JSON lines, as
				 * `dmarcctl parse --records` prints them */
	struct buf rec;		/* records of the report in progress */
	struct buf failures;	/* one line per on_failure */
	unsigned reports;	/* on_end calls */
	unsigned headers;	/* on_header calls */
	unsigned aborts;
	unsigned failed;
	uint64_t records;	/* record callbacks */
	uint64_t messages;	/* sum of r->messages at on_end */
	enum err_code last_code;
	struct report last;	/* shallow copy at on_end: strings invalid */
	char domain[256];	/* of the last report */
	char org_name[256];
	char report_id[256];
	char kind[16];
};

void collect_init(struct collect *c);
void collect_release(struct collect *c);
/* A sink that fills c. */
void collect_sink(struct collect *c, struct report_sink *out);

/*
 * Run report_parse over a file (or memory) with default limits, or lim
 * when not NULL.  Returns report_parse's result.  A file under FIXTURES
 * is named by its path relative to it, as `cd FIXTURES; dmarcctl parse`
 * would name it.
 */
int collect_file(struct collect *c, const char *path,
    const struct report_limits *lim, struct report_stats *st);
int collect_mem(struct collect *c, const void *data, size_t len,
    const struct report_limits *lim, struct report_stats *st);

/* Read a whole file into a malloc'd buffer (test setup; aborts on error). */
char *test_slurp(const char *path, size_t *len);

/* gzip / zip some bytes in memory (test inputs made on the fly);
 * malloc'd results. */
char *test_gzip(const void *data, size_t len, size_t *out_len);
char *test_zip(const char *const *names, const char *const *datas,
    const size_t *lens, size_t n, size_t *out_len);

/* Run a shell command line; stdout and stderr are captured (malloc'd,
 * NUL-terminated).  Returns the exit status, or -1 if it died. */
int test_run(const char *cmdline, char **out, char **errout);

/* s in single quotes for sh (malloc'd). */
char *test_shq(const char *s);

/*
 * `dmarcctl --db CI ARGS` run in dir (NULL: the current directory), as
 * test_run: the exit status, stdout and stderr malloc'd.
 */
int test_dmarcctl(const char *dir, const char *ci, const char *args,
    char **out, char **err);

/* A port on 127.0.0.1 nothing listens on (free a moment ago), for
 * SOCK_STREAM or SOCK_DGRAM. */
unsigned test_free_port(int type);

/* A UDP socket on 127.0.0.1 that takes queries and never answers (a
 * resolver that is down but not refused): its port; *fd to close. */
unsigned test_silent_udp(int *fd);

/*
 * A private DNS server (dnsmasq through scripts/dns-rig.sh) answering PTR
 * queries from hosts ("IP name" lines), on a free UDP port of 127.0.0.1,
 * its files in dir: returns the port.  It ends with the calling process
 * should the test crash; test_dns_stop() stops it (call it from a .fini,
 * so an assertion that fails leaves no server behind).
 */
unsigned test_dns_start(const char *dir, const char *hosts);
/* The same with more records: lines of dnsmasq options without their
 * dashes (txt-record=..., mx-host=...; scripts/dns-rig.sh). */
unsigned test_dns_start_records(const char *dir, const char *hosts,
    const char *records);
void test_dns_stop(const char *dir);

/* A fresh temporary directory for one test (removed by the OS's tmp
 * cleaning; tests keep it small). */
char *test_tmpdir(void);

/*
 * Store tests: a fresh, empty database on the PostgreSQL cluster that
 * tests/run-tests.sh starts for `make check` (TEST_PG_CONNINFO names its
 * maintenance database).  test_db_new() creates t_<pid>_<n> (unique across
 * the forked test processes) and returns a malloc'd conninfo for it: the
 * same conninfo with dbname replaced.  test_db_drop() drops that database
 * (WITH (FORCE): open connections are cut) and frees the string; NULL is
 * a no-op.  A missing TEST_PG_CONNINFO or an unreachable server fails the
 * test: store tests never skip.
 */
char *test_db_new(void);
void test_db_drop(char *conninfo);

/* test_db_new(), migrated by `dmarcctl db migrate` (which must work). */
char *test_db_migrated(void);

/*
 * An email (CRLF lines) from a reporter, whose one attachment holds data
 * base64-encoded, as MIME type `type` named `filename`; malloc'd.
 */
char *test_email(const void *data, size_t len, const char *type,
    const char *filename, size_t *out_len);

/* Write (create or replace) a file, making its parent directories (test
 * setup; aborts on error). */
void test_write_file(const char *path, const void *data, size_t len);

/*
 * The single value of a query that returns one row of one column, run
 * through store_select on conninfo: malloc'd, "" for NULL.  Any failure,
 * or another number of rows, fails the test.  test_db_count() is the
 * same as a number (a NULL is 0).
 */
char *test_db_value(const char *conninfo, const char *sql);
/* Run statements (DDL too) on conninfo; a failure fails the test. */
void test_db_exec(const char *conninfo, const char *sql);
/*
 * Make the database on conninfo refuse, as a constraint would, a failure
 * sample whose DKIM selector or delivery result is "poisoned": the way
 * to test that a value the server refuses is one input's error.
 */
/*
 * Before a CREATE TRIGGER on the tables: Citus refuses triggers on
 * distributed tables unless told that they are safe (these are: they only
 * refuse a row); a placeholder setting on plain PostgreSQL.
 */
/* Whether the database is on a Citus cluster (TEST_PG_RIG=citus). */
bool test_db_is_citus(const char *conninfo);

#define TEST_UNSAFE_TRIGGERS "SET citus.enable_unsafe_triggers = on; "

void test_db_refuse_poisoned(const char *conninfo);
long long test_db_count(const char *conninfo, const char *sql);

#endif
