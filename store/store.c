#include "store/store.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/sha256.h"
#include "model/align.h"
#include "model/orgdomain.h"
#include "common/xalloc.h"
#include "store/migrations.h"

enum { MAX_PARAMS = 16 };

/* the counts of domain_daily, in its column order after reports */
enum {
	DC_MESSAGES, DC_PASS, DC_DKIM, DC_SPF, DC_QUARANTINED, DC_REJECTED,
	DC_SUBDOMAIN, DC_SUBDOMAIN_FAIL, DC_DISAGREE, DC_RECORDS, DC_COUNT
};

/* the counts of a source_stage row, in its column order after source */
enum {
	SC_MESSAGES, SC_PASS, SC_DKIM, SC_SPF, SC_DKIM_FOREIGN, SC_SPF_FOREIGN,
	SC_DKIM_MISSING, SC_OWN_DKIM_BROKEN, SC_OVERRIDDEN, SC_DISAGREE,
	SC_COUNT
};

/* the child tables loaded from spool files once the main COPY is done */
enum spool {
	SP_REASONS, SP_DKIM, SP_SPF, SP_TLS_FAILURES,
	SP_SOURCE,	/* source_stage: one row per record, merged into
			 * source_daily at the end of the report */
	SP_COUNT
};

static const char *const spool_copy[SP_COUNT] = {
	[SP_REASONS] = "COPY record_reasons (domain, report, rec_no, "
	    "begin_at, type, comment) FROM STDIN",
	[SP_DKIM] = "COPY dkim_results (domain, report, rec_no, begin_at, "
	    "dkim_domain, selector, result, human_result) FROM STDIN",
	[SP_SPF] = "COPY spf_results (domain, report, rec_no, begin_at, "
	    "spf_domain, scope, result, human_result) FROM STDIN",
	[SP_TLS_FAILURES] = "COPY tls_failures (domain, report, pol_no, "
	    "begin_at, result_type, sending_mta_ip, receiving_mx_hostname, "
	    "receiving_mx_helo, receiving_ip, additional_information, "
	    "failure_reason_code, failed_session_count) FROM STDIN",
	[SP_SOURCE] = "COPY source_stage (source, messages, dmarc_pass, "
	    "dkim_aligned, spf_aligned, dkim_foreign, spf_foreign, "
	    "dkim_missing, own_dkim_broken, overridden, disagree, "
	    "foreign_dkim, foreign_spf) FROM STDIN",
};

struct store {
	PGconn *conn;
	char notice[256];	/* the server's last notice, not printed */
	struct store_stats stats;

	struct store_unit unit;
	char *unit_source;
	long long raw_id;	/* 0: not stored (yet) */

	/* the report being loaded */
	bool in_batch;		/* one transaction, savepoints inside */
	long long old_max;	/* reparse: the last report before, or -1 */
	struct store_stats unit_stats;	/* at store_unit_begin */
	bool in_tx;
	bool in_copy;
	bool is_skip;		/* known duplicate: records are ignored */
	long long report;	/* reports.id */
	unsigned rec_no;
	char begin[32];		/* the report's begin, for partitions */
	char domain[STORE_KEY_MAX + 1];	/* the report's domain, capped */
	char org[STORE_KEY_MAX + 1];	/* its org_name, capped */
	struct sha256 head;	/* the report's key fields: report_head */
	struct sha256 rec_hash;	/* of the record (policy) being loaded */
	unsigned char content[32];	/* sum of the records' hashes */
	FILE *spool[SP_COUNT];
	bool has_spool_rows[SP_COUNT];
	struct buf row;
	int ensured_month;	/* year * 12 + month of the last partitions */
	bool has_stage;		/* the session's source_stage exists */
	char stage_mark[24];	/* its rows of earlier reports in a batch */
	long long stage_base;	/* the mark when it was last emptied */
	/* the report's domain_daily counts */
	int64_t day_counts[DC_COUNT];
};

/* --- small helpers --- */

/*
 * Each line break and the indentation after it become "; ", or a space
 * when an indented line goes on with the same sentence (lower case).
 */
static void
join_lines(char *msg, size_t size)
{
	char *in = xstrdup(msg);
	size_t n = 0;

	for (const char *p = in; *p != '\0' && n + 1 < size; p++) {
		bool is_indented = false;

		if (*p != '\n' && *p != '\r') {
			msg[n++] = *p;
			continue;
		}
		for (; p[1] == '\n' || p[1] == '\r' || p[1] == '\t' ||
		    p[1] == ' '; p++)
			is_indented = p[1] == '\t' || p[1] == ' ';
		for (const char *j = is_indented &&
		    islower((unsigned char)p[1]) ? " " : "; ";
		    *j != '\0' && n + 1 < size; j++)
			msg[n++] = *j;
	}
	msg[n] = '\0';
	free(in);
}

/* --- errors: the server's, or the data's --- */

/*
 * SQLSTATE classes that blame the data, not the server: 22 data exception
 * (a number out of range, an invalid byte sequence), 23 integrity
 * constraint violation, 54 program limit exceeded (an index row too
 * large).  Class 42 stays a server error: each of its errors (undefined
 * table, insufficient privilege, syntax) is a fault of the schema, of our
 * SQL or of the grants, whatever the report holds.
 */
static bool
is_refused_state(const char *state)
{
	static const char *const classes[] = { "22", "23", "54" };

	if (state == NULL || strlen(state) != 5)
		return false;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strncmp(state, classes[i], 2) == 0)
			return true;
	return false;
}

/* length of the valid UTF-8 character at p (n bytes left), 0 if none */
static size_t
utf8_char_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 &&
	    p[0] <= 0xef ? 3 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	unsigned lo = p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ? 0x90 : 0x80;
	unsigned hi = p[0] == 0xed ? 0x9f : p[0] == 0xf4 ? 0x8f : 0xbf;

	if (len == 0 || len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Append text to out (size bytes, NUL-terminated) as one printable line:
 * control characters and bytes that are not UTF-8 become \xNN; a
 * character that does not fit is left out whole.
 */
static void
add_escaped(char *out, size_t size, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(out), left = strlen(text);

	while (left > 0) {
		size_t len = *p >= 0x80 ? utf8_char_len(p, left) : 1;
		bool is_esc = len == 0 || *p < 0x20 || *p == 0x7f;
		size_t need = is_esc ? 4 : len;

		if (n + need >= size)
			break;
		if (is_esc)
			snprintf(out + n, 5, "\\x%02x", *p);
		else
			memcpy(out + n, p, len);
		n += need;
		len = len == 0 ? 1 : len;
		p += len;
		left -= len;
	}
	out[n] = '\0';
}

/*
 * The server refused a value of the report: ERR_REFUSED, with the
 * server's one-line reason (and, in a COPY, which row and column), never
 * the statement, escaped: the values in it come from the report.
 */
static int
refused_error(struct err *err, const PGresult *res, const char *state)
{
	const char *primary = PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	char line[sizeof(err->msg)] = "";

	add_escaped(line, 320, primary != NULL ? primary : "no reason given");
	if (context != NULL && strncmp(context, "COPY ", 5) == 0) {
		size_t n = strlen(line);
		char first[160];

		snprintf(first, sizeof(first), "%.*s", (int)strcspn(context,
		    "\n"), context);
		snprintf(line + n, sizeof(line) - n, " (");
		add_escaped(line, 440, first);
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ")");
	}
	return err_set(err, ERR_REFUSED, "refused by the database: %s "
	    "[SQLSTATE %s]", line, state);
}

static int
db_error(struct store *s, struct err *err, const char *what,
    const PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";
	const char *conn_msg = PQerrorMessage(s->conn);
	bool is_lost = PQstatus(s->conn) == CONNECTION_BAD;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;

	if (!is_lost && is_refused_state(state))
		return refused_error(err, res, state);

	/* a dropped connection: libpq's own message has the whole story
	 * ("FATAL: terminating connection...\nserver closed the...") */
	if (msg == NULL || *msg == '\0' || (is_lost && conn_msg != NULL &&
	    *conn_msg != '\0'))
		msg = conn_msg;
	err_set(err, ERR_DB, "%s: %s", what, msg);
	/* libpq's messages end in a newline and may span lines ("...failed:
	 * No such file or directory\n\tIs the server running...?"); ours
	 * are one line: "; " joins the lines */
	for (size_t n = strlen(err->msg); n > 0 && (err->msg[n - 1] == '\n' ||
	    err->msg[n - 1] == ' '); n--)
		err->msg[n - 1] = '\0';
	/* a dropped connection: the server may have said why before it
	 * hung up ("FATAL: terminating connection due to...") */
	if (is_lost && *s->notice != '\0' && strstr(msg, s->notice) == NULL) {
		size_t n = strlen(err->msg);

		snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)",
		    s->notice);
	}
	join_lines(err->msg, sizeof(err->msg));
	return -1;
}

/*
 * Run a statement with parameters (NULL values allowed; lens and formats
 * NULL for text ones, else per libpq for binary ones such as hashes); *out
 * gets the result when wanted (caller PQclears), else it is cleared here.
 */
static int
q_bin(struct store *s, PGresult **out, struct err *err, const char *sql,
    int n, const char *const *params, const int *lens, const int *formats)
{
	PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, lens,
	    formats, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_error(s, err, "database", res);
		PQclear(res);
		return -1;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

static int
q(struct store *s, PGresult **out, struct err *err, const char *sql,
    int n, const char *const *params)
{
	return q_bin(s, out, err, sql, n, params, NULL, NULL);
}

/* whether the query returns a row */
static int
q_exists(struct store *s, bool *out, struct err *err, const char *sql,
    int n, const char *const *params, const int *lens, const int *formats)
{
	PGresult *res = NULL;

	if (q_bin(s, &res, err, sql, n, params, lens, formats) == -1)
		return -1;
	*out = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* a statement without parameters (may be several, ";"-separated) */
static int
exec(struct store *s, const char *sql, struct err *err)
{
	PGresult *res = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = db_error(s, err, "database", res);
	PQclear(res);
	return ret;
}

static void
format_time(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* the year in four digits at least: %Y writes year 900 as "900",
	 * which PostgreSQL does not read as a year */
	if (gmtime_r(&tt, &tm) == NULL ||
	    (size_t)snprintf(out, n, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec) >= n)
		snprintf(out, n, "1970-01-01T00:00:00Z");
}

/* COPY text format: \N for NULL, and escapes for the specials; plain
 * runs are appended whole (this runs for every field of every record) */
static int
copy_field(struct buf *b, const char *v, bool is_last, struct err *err)
{
	if (v == NULL) {
		if (buf_add(b, "\\N", 2, err) == -1)
			return -1;
	} else {
		while (*v != '\0') {
			size_t run = strcspn(v, "\\\t\n\r");
			const char *esc;

			if (run > 0 && buf_add(b, v, run, err) == -1)
				return -1;
			v += run;
			if (*v == '\0')
				break;
			esc = *v == '\\' ? "\\\\" : *v == '\t' ? "\\t" :
			    *v == '\n' ? "\\n" : "\\r";
			if (buf_add(b, esc, 2, err) == -1)
				return -1;
			v++;
		}
	}
	return buf_addc(b, is_last ? '\n' : '\t', err);
}

static int
copy_int(struct buf *b, long long v, bool is_last, struct err *err)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld%c", v, is_last ? '\n' : '\t');

	return buf_add(b, num, (size_t)n, err);
}

/* a PostgreSQL array literal of strings: {"a","b\"c"} */
static int
array_literal(struct buf *b, const char *const *v, size_t n, struct err *err)
{
	if (buf_addc(b, '{', err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    buf_addc(b, '"', err) == -1)
			return -1;
		for (const char *p = v[i] ? v[i] : ""; *p != '\0'; p++)
			if ((*p == '"' || *p == '\\') &&
			    buf_addc(b, '\\', err) == -1)
				return -1;
			else if (buf_addc(b, *p, err) == -1)
				return -1;
		if (buf_addc(b, '"', err) == -1)
			return -1;
	}
	return buf_addc(b, '}', err);
}

/* --- connection and migrations --- */

/* keep the server's notices and unsolicited errors off stderr (store
 * does not print): the last one may explain a dropped connection */
static void
keep_notice(void *ctx, const char *msg)
{
	struct store *s = ctx;
	size_t n;

	snprintf(s->notice, sizeof(s->notice), "%s", msg);
	for (n = strlen(s->notice); n > 0 && (s->notice[n - 1] == '\n' ||
	    s->notice[n - 1] == ' '); n--)
		s->notice[n - 1] = '\0';
}

int
store_open(struct store **out, const char *conninfo, struct err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->ensured_month = -1;	/* no partitions made yet */
	s->conn = PQconnectdb(conninfo != NULL ? conninfo : "");
	if (PQstatus(s->conn) != CONNECTION_OK) {
		db_error(s, err, "cannot connect to database", NULL);
		store_free(s);
		return -1;
	}
	PQsetNoticeProcessor(s->conn, keep_notice, s);
	buf_init(&s->row, 64u << 20);
	/* times are UTC throughout; keep the server's notices off stderr */
	if (exec(s, "SET TIME ZONE 'UTC'; SET client_min_messages = warning",
	    err) == -1) {
		store_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < SP_COUNT; i++)
		if (s->spool[i] != NULL)
			fclose(s->spool[i]);
	if (s->conn != NULL)
		PQfinish(s->conn);
	buf_release(&s->row);
	free(s->unit_source);
	free(s);
}

bool
store_is_connected(const struct store *s)
{
	return s != NULL && PQstatus(s->conn) == CONNECTION_OK;
}

/* one migration in its own transaction, unless already applied */
static int
migrate_one(struct store *s, const struct migration *m, unsigned *applied,
    struct err *err)
{
	char ver[16];
	const char *params[2] = { ver, m->name };
	PGresult *res = NULL;
	bool is_done;

	snprintf(ver, sizeof(ver), "%d", m->version);
	if (exec(s, "BEGIN", err) == -1)
		return -1;
	if (q(s, &res, err, "SELECT 1 FROM dmarcctl_migrations WHERE "
	    "version = $1", 1, params) == -1)
		goto fail;
	is_done = PQntuples(res) > 0;
	PQclear(res);
	if (!is_done) {
		res = PQexec(s->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			db_error(s, err, "migration failed", res);
			err_wrap(err, "sql/%03d_%s.sql", m->version, m->name);
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		if (q(s, NULL, err, "INSERT INTO dmarcctl_migrations (version, "
		    "name) VALUES ($1, $2)", 2, params) == -1)
			goto fail;
		(*applied)++;
	}
	return exec(s, "COMMIT", err);
fail:
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return -1;
}

int
store_migrate(struct store *s, unsigned *applied, struct err *err)
{
	int ret = -1;

	*applied = 0;
	/* one migrator at a time, however many cron jobs start together */
	if (exec(s, "SELECT pg_advisory_lock(hashtext('dmarcctl_migrate'))",
	    err) == -1)
		return -1;
	if (exec(s, "CREATE TABLE IF NOT EXISTS dmarcctl_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", err) == -1)
		goto out;
	for (size_t i = 0; i < n_migrations; i++)
		if (migrate_one(s, &migrations[i], applied, err) == -1)
			goto out;
	ret = 0;
out:
	PQclear(PQexec(s->conn,
	    "SELECT pg_advisory_unlock(hashtext('dmarcctl_migrate'))"));
	return ret;
}

int
store_status(struct store *s, store_status_fn fn, void *ctx, struct err *err)
{
	PGresult *res = NULL;
	int ret = -1, n = 0;

	if (q(s, &res, err, "SELECT to_regclass('dmarcctl_migrations') IS "
	    "NOT NULL", 0, NULL) == -1)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		if (q(s, &res, err, "SELECT version, to_char(applied_at AT TIME "
		    "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM "
		    "dmarcctl_migrations", 0, NULL) == -1)
			return -1;
		n = PQntuples(res);
	}
	for (size_t i = 0; i < n_migrations; i++) {
		const char *at = "";

		for (int r = 0; r < n; r++)
			if (strtol(PQgetvalue(res, r, 0), NULL, 10) ==
			    migrations[i].version)
				at = PQgetvalue(res, r, 1);
		if (fn(ctx, migrations[i].version, migrations[i].name, at,
		    err) == -1)
			goto out;
	}
	ret = 0;
out:
	PQclear(res);
	return ret;
}

static int
count_applied(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	(void)version, (void)name, (void)err;
	if (*at != '\0')
		(*(size_t *)ctx)++;
	return 0;
}

int
store_check_schema(struct store *s, struct err *err)
{
	size_t applied = 0;

	if (store_status(s, count_applied, &applied, err) == -1)
		return -1;
	if (applied < n_migrations)
		return err_set(err, ERR_DB, "database is not migrated (%zu of "
		    "%zu migrations applied): run dmarcctl db migrate",
		    applied, n_migrations);
	return 0;
}

/* --- the input unit and its raw archive --- */

void
store_set_unit(struct store *s, const struct store_unit *u)
{
	free(s->unit_source);
	s->unit = *u;
	s->unit_source = xstrdup(u->source ? u->source : "");
	s->unit.source = s->unit_source;
	s->raw_id = u->archived_id;
}

/* store the unit's bytes once (inside the caller's transaction) */
static int
store_raw(struct store *s, struct err *err)
{
	char size[32];
	const char *params[5] = { (const char *)s->unit.sha256,
		s->unit.encoding, s->unit.data, size, s->unit.source };
	int lens[5] = { 32, 0, (int)s->unit.len, 0, 0 };
	int formats[5] = { 1, 0, 1, 0, 0 };

	if (s->raw_id != 0 || s->unit.data == NULL)
		return 0;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)s->unit.size);
	/* a concurrent loader may insert the same bytes: then read its row,
	 * with a fresh snapshot if this statement's one cannot see it */
	for (int tries = 0; tries < 2 && s->raw_id == 0; tries++) {
		PGresult *res = PQexecParams(s->conn, "WITH ins AS (INSERT "
		    "INTO raw_inputs (sha256, encoding, content, size, source) "
		    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO "
		    "NOTHING RETURNING id) SELECT id FROM ins UNION ALL SELECT "
		    "id FROM raw_inputs WHERE sha256 = $1 LIMIT 1", 5, NULL,
		    params, lens, formats, 0);

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			db_error(s, err, "cannot archive the original", res);
			PQclear(res);
			return -1;
		}
		if (PQntuples(res) == 1)
			s->raw_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if (s->raw_id == 0)
		return err_set(err, ERR_DB, "cannot archive the original: "
		    "no row");
	return 0;
}

/* --- loading one report --- */

static void
rollback(struct store *s)
{
	if (s->in_copy) {
		PQputCopyEnd(s->conn, "report aborted");
		PQclear(PQgetResult(s->conn));
		s->in_copy = false;
	}
	/* in a batch, the report's savepoint: the batch goes on */
	if (s->in_tx)
		PQclear(PQexec(s->conn, s->in_batch ? "ROLLBACK TO SAVEPOINT "
		    "report; RELEASE SAVEPOINT report" : "ROLLBACK"));
	s->in_tx = false;
	/* a raw row inserted in this transaction is gone with it */
	s->raw_id = s->unit.archived_id;
}

/*
 * ON COMMIT DELETE ROWS empties the stage after each report; a batch
 * commits once, and rows deleted in it would stay (dead, scanned) until
 * then.  So each report reads its own rows, past the mark, and the stage
 * is truncated now and then, between reports (a TRUNCATE per report
 * costs more than it saves).
 */
static int
stage_mark(struct store *s, struct err *err)
{
	PGresult *res = NULL;
	long long n;

	if (!s->has_stage)
		return 0;
	if (q(s, &res, err, "SELECT coalesce(max(n), 0) FROM source_stage", 0,
	    NULL) == -1)
		return -1;
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	snprintf(s->stage_mark, sizeof(s->stage_mark), "%lld", n);
	if (n - s->stage_base < 4096)
		return 0;
	s->stage_base = n;
	return exec(s, "TRUNCATE source_stage", err);
}

/* a report's transaction, or its savepoint in a batch */
static int
tx_begin(struct store *s, struct err *err)
{
	if (exec(s, s->in_batch ? "SAVEPOINT report" : "BEGIN; "
	    "SET LOCAL work_mem = '64MB'", err) == -1)
		return -1;
	s->in_tx = true;
	return 0;
}

static int
tx_commit(struct store *s, struct err *err)
{
	if (exec(s, s->in_batch ? "RELEASE SAVEPOINT report" : "COMMIT",
	    err) == -1)
		return -1;
	s->in_tx = false;
	return s->in_batch ? stage_mark(s, err) : 0;
}

static int
ensure_partitions(struct store *s, int64_t begin, struct err *err)
{
	time_t t = (time_t)begin;
	struct tm tm;
	const char *params[1] = { s->begin };
	int month;

	gmtime_r(&t, &tm);
	month = tm.tm_year * 12 + tm.tm_mon;
	if (month == s->ensured_month)
		return 0;
	/* in a transaction of its own: DDL is not kept waiting by loads */
	if (q(s, NULL, err, "SELECT dmarcctl_ensure_partitions($1)", 1,
	    params) == -1)
		return -1;
	s->ensured_month = month;
	return 0;
}

static int
spool_reset(struct store *s, struct err *err)
{
	for (int i = 0; i < SP_COUNT; i++) {
		if (s->spool[i] == NULL && (s->spool[i] = tmpfile()) == NULL)
			return err_set(err, ERR_IO, "cannot create a "
			    "temporary file");
		/* reused for every report: empty it, not just rewind */
		rewind(s->spool[i]);
		if (ftruncate(fileno(s->spool[i]), 0) == -1)
			return err_set(err, ERR_IO, "cannot reset a temporary "
			    "file");
		s->has_spool_rows[i] = false;
	}
	return 0;
}

static int
spool_row(struct store *s, enum spool sp, struct err *err)
{
	if (fwrite(s->row.data, 1, s->row.len, s->spool[sp]) != s->row.len)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	s->has_spool_rows[sp] = true;
	buf_reset(&s->row);
	return 0;
}

/* --- the report's key: short, whatever the reporter sent --- */

size_t
store_key_cap(const char *v)
{
	size_t n = strlen(v);

	if (n <= STORE_KEY_MAX)
		return n;
	/* back over the continuation bytes of a character cut in two */
	for (n = STORE_KEY_MAX; n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80;
	    n--)
		;
	return n;
}

/* v capped into out (STORE_KEY_MAX + 1 bytes) */
static const char *
key_cap(const char *v, char *out)
{
	size_t n = store_key_cap(v);

	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* a field as the key sees it: its length (4 bytes, big-endian), its bytes */
static void
key_len(struct sha256 *h, size_t n)
{
	unsigned char len[4] = { (unsigned char)(n >> 24),
		(unsigned char)(n >> 16), (unsigned char)(n >> 8),
		(unsigned char)n };

	sha256_add(h, len, sizeof(len));
}

static void
key_field(struct sha256 *h, const char *v)
{
	key_len(h, strlen(v));
	sha256_add(h, v, strlen(v));
}

/* the reporter's name, ASCII case-folded: "Google.com" is google.com */
static void
key_folded(struct sha256 *h, const char *v)
{
	char chunk[256];
	size_t n = strlen(v);

	key_len(h, n);
	while (n > 0) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		for (size_t i = 0; i < k; i++)
			chunk[i] = v[i] >= 'A' && v[i] <= 'Z' ?
			    (char)(v[i] - 'A' + 'a') : v[i];
		sha256_add(h, chunk, k);
		v += k;
		n -= k;
	}
}

/*
 * What names a report apart from its records: kind, reporter (folded),
 * report id, period and the full policy domain ("v2": reports stored
 * before sql/007 carry a "v1" key).
 */
static void
report_head(const struct report *r, const char *begin, const char *end,
    struct sha256 *h)
{
	sha256_init(h);
	key_field(h, "v2");
	key_field(h, report_kind_name(r->kind));
	key_folded(h, r->org_name ? r->org_name : "");
	key_field(h, r->report_id ? r->report_id : "");
	key_field(h, begin);
	key_field(h, end);
	key_field(h, r->domain ? r->domain : "");
}

/* the records' hash: a sum mod 2^256 of each one's, so order is no part */
static void
content_add(unsigned char sum[32], const unsigned char h[32])
{
	unsigned carry = 0;

	for (int i = 31; i >= 0; i--) {
		carry += (unsigned)sum[i] + h[i];
		sum[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

static void
record_begin(struct store *s)
{
	sha256_init(&s->rec_hash);
}

static void
record_done(struct store *s)
{
	unsigned char h[32];

	sha256_done(&s->rec_hash, h);
	content_add(s->content, h);
}

/* the unique key: the head, then the records' hash */
static void
report_key(const struct store *s, unsigned char out[32])
{
	struct sha256 h = s->head;

	key_len(&h, 32);
	sha256_add(&h, s->content, 32);
	sha256_done(&h, out);
}

/* one loader per report head at a time: no race, no deadlock */
static int
lock_head(struct store *s, struct err *err)
{
	struct sha256 h = s->head;
	unsigned char d[32];
	char lock[24];
	const char *params[1] = { lock };
	uint64_t v = 0;

	/* a batch holds the tables: loaders wait, and one lock per report
	 * would fill the server's lock table */
	if (s->in_batch)
		return 0;
	sha256_done(&h, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	snprintf(lock, sizeof(lock), "%lld", (long long)v);
	return q(s, NULL, err, "SELECT pg_advisory_xact_lock($1::bigint)", 1,
	    params);
}

/* the same bytes already gave this report: nothing to load again */
static int
is_known(struct store *s, const struct report *r, const char *begin,
    const char *end, bool *out, struct err *err)
{
	const char *params[8] = { (const char *)s->unit.sha256, s->domain,
		r->domain, report_kind_name(r->kind),
		r->org_name ? r->org_name : "", r->report_id, begin, end };
	int lens[8] = { 32 }, formats[8] = { 1 };

	*out = false;
	/* the hash of the original is known when it is held or archived */
	if (s->unit.data == NULL && s->unit.archived_id == 0)
		return 0;
	/* the raw row by its index, then its few reports: never a scan */
	return q_exists(s, out, err, "SELECT 1 FROM reports r JOIN raw_inputs "
	    "w ON w.id = r.raw_id WHERE w.sha256 = $1 AND r.domain = $2 AND "
	    "coalesce(r.domain_full, r.domain) = $3 AND r.kind = $4 AND "
	    "translate(r.org_name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
	    "'abcdefghijklmnopqrstuvwxyz') = translate($5, "
	    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AND "
	    "r.report_id = $6 AND r.begin_at = $7 AND r.end_at = $8", 8,
	    params, lens, formats);
}

static int
insert_report(struct store *s, const struct report *r, const char *begin,
    const char *end, struct err *err)
{
	const struct report_policy *p = &r->policy;
	char pct[16], raw[32];
	const char *params[23];
	PGresult *res = NULL;

	snprintf(pct, sizeof(pct), "%d", p->pct);
	snprintf(raw, sizeof(raw), "%lld", s->raw_id);
	params[0] = s->domain;
	params[1] = report_kind_name(r->kind);
	params[2] = r->org_name ? r->org_name : "";
	params[3] = r->report_id;
	params[4] = begin;
	params[5] = end;
	params[6] = r->email;
	params[7] = r->extra_contact_info;
	params[8] = p->p;
	params[9] = p->sp;
	params[10] = p->np;
	params[11] = p->pct >= 0 ? pct : NULL;
	params[12] = p->fo;
	params[13] = p->adkim;
	params[14] = p->aspf;
	params[15] = p->testing;
	params[16] = p->discovery_method;
	params[17] = r->version;
	params[18] = r->xmlns;
	params[19] = r->generator;
	params[20] = s->raw_id != 0 ? raw : NULL;
	params[21] = r->location;
	/* the whole domain, when the keyed column holds a part of it */
	params[22] = r->domain != NULL && strcmp(s->domain, r->domain) != 0 ?
	    r->domain : NULL;
	if (q(s, &res, err, "INSERT INTO reports (domain, kind, org_name, "
	    "report_id, begin_at, end_at, email, extra_contact_info, p, sp, np, "
	    "pct, fo, adkim, aspf, testing, discovery_method, version, xmlns, "
	    "generator, raw_id, location, domain_full, content_sha256, "
	    "records, messages) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, "
	    "$23, '\\x', 0, 0) RETURNING id", 23, params) == -1)
		return -1;
	s->report = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static int
start_copy(struct store *s, const char *sql, struct err *err)
{
	PGresult *res = PQexec(s->conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		db_error(s, err, "cannot start COPY", res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	s->in_copy = true;
	return 0;
}

static int
end_copy(struct store *s, struct err *err)
{
	PGresult *res;
	int ret = 0;

	s->in_copy = false;
	if (PQputCopyEnd(s->conn, NULL) != 1)
		return db_error(s, err, "COPY failed", NULL);
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ret == 0)
			ret = db_error(s, err, "COPY failed", res);
		PQclear(res);
	}
	return ret;
}

static int
put_copy(struct store *s, const char *data, size_t len, struct err *err)
{
	if (PQputCopyData(s->conn, data, (int)len) != 1)
		return db_error(s, err, "COPY failed", NULL);
	return 0;
}

/*
 * The session's staging table for source_daily, outside any transaction
 * (a rollback would take it away); emptied at every commit.
 */
static int
ensure_stage(struct store *s, struct err *err)
{
	if (s->has_stage)
		return 0;
	if (orgdomain_init(err) == -1 || exec(s, "CREATE TEMP TABLE IF NOT "
	    "EXISTS source_stage (source text NOT NULL, messages bigint, "
	    "dmarc_pass bigint, dkim_aligned bigint, spf_aligned bigint, "
	    "dkim_foreign bigint, spf_foreign bigint, dkim_missing bigint, "
	    "own_dkim_broken bigint, overridden bigint, disagree bigint, "
	    "foreign_dkim text, foreign_spf text, n bigserial) ON COMMIT "
	    "DELETE ROWS", err) == -1)
		return -1;
	s->has_stage = true;
	return 0;
}

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	char begin[32], end[32];
	bool is_dup;

	format_time(r->begin, begin, sizeof(begin));
	format_time(r->end, end, sizeof(end));
	snprintf(s->begin, sizeof(s->begin), "%s", begin);
	key_cap(r->domain ? r->domain : "", s->domain);
	key_cap(r->org_name ? r->org_name : "", s->org);
	report_head(r, begin, end, &s->head);
	s->is_skip = false;
	s->rec_no = 0;
	memset(s->day_counts, 0, sizeof(s->day_counts));
	memset(s->content, 0, sizeof(s->content));
	if ((r->kind == REPORT_DMARC && ensure_stage(s, err) == -1) ||
	    ensure_partitions(s, r->begin, err) == -1 ||
	    spool_reset(s, err) == -1 || tx_begin(s, err) == -1)
		return -1;
	if (lock_head(s, err) == -1 ||
	    is_known(s, r, begin, end, &is_dup, err) == -1)
		goto fail;
	if (is_dup) {
		s->is_skip = true;	/* a rerun: skip the work */
		return 0;
	}
	if (store_raw(s, err) == -1 ||
	    insert_report(s, r, begin, end, err) == -1 ||
	    start_copy(s, r->kind == REPORT_DMARC ? "COPY records (domain, "
	    "report, rec_no, begin_at, source_ip, source_text, count, "
	    "disposition, dkim, spf, header_from, envelope_from, envelope_to, "
	    "flags) FROM STDIN" : "COPY tls_policies (domain, report, pol_no, "
	    "begin_at, policy_type, policy_domain, policy_strings, mx_hosts, "
	    "successful, failed) FROM STDIN", err) == -1)
		goto fail;
	return 0;
fail:
	rollback(s);
	return -1;
}

/* "domain \t report \t no \t begin \t": the row's place, not its content */
static int
row_start(struct store *s, const struct report *r, unsigned no,
    struct err *err)
{
	char place[96];
	int n = snprintf(place, sizeof(place), "%lld\t%u\t%s\t", s->report,
	    no, s->begin);

	(void)r;
	buf_reset(&s->row);
	if (copy_field(&s->row, s->domain, false, err) == -1)
		return -1;
	return buf_add(&s->row, place, (size_t)n, err);
}

/* hash the content part of a row (after its place) */
static void
hash_row(struct store *s, size_t content_from)
{
	sha256_add(&s->rec_hash, s->row.data + content_from,
	    s->row.len - content_from);
}

/* one row of a child table: its place, then fields, hashed and spooled */
static int
child_row(struct store *s, const struct report *r, enum spool sp,
    const char *const *fields, size_t n, struct err *err)
{
	size_t from;

	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	for (size_t i = 0; i < n; i++)
		if (copy_field(&s->row, fields[i], i + 1 == n, err) == -1)
			return -1;
	sha256_add(&s->rec_hash, &sp, sizeof(sp));
	hash_row(s, from);
	return spool_row(s, sp, err);
}

static int
spool_children(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	for (size_t i = 0; i < rec->n_reasons; i++) {
		const struct dmarc_reason *x = &rec->reasons[i];
		const char *f[] = { x->type, x->comment };

		if (child_row(s, r, SP_REASONS, f, 2, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *x = &rec->dkim_results[i];
		const char *f[] = { x->domain, x->selector, x->result,
			x->human_result };

		if (child_row(s, r, SP_DKIM, f, 4, err) == -1)
			return -1;
	}
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *x = &rec->spf_results[i];
		const char *f[] = { x->domain, x->scope, x->result,
			x->human_result };

		if (child_row(s, r, SP_SPF, f, 4, err) == -1)
			return -1;
	}
	return 0;
}

static bool
is_value(const char *v, const char *want)
{
	return v != NULL && strcmp(v, want) == 0;
}

/*
 * What the analyzer needs of the record: the domain's counts (summed in
 * memory: one row per report) and the source's (one staging row per
 * record, merged by source at the end of the report).
 */
static int
analysis_row(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct record_auth a;
	int64_t n = rec->count, c[SC_COUNT];
	bool is_pass = is_value(rec->dkim, "pass") || is_value(rec->spf, "pass");
	bool is_fail = !is_pass;
	int64_t *d = s->day_counts;

	align_record(r, rec, &a);
	d[DC_MESSAGES] += n;
	d[DC_PASS] += is_pass ? n : 0;
	d[DC_DKIM] += is_value(rec->dkim, "pass") ? n : 0;
	d[DC_SPF] += is_value(rec->spf, "pass") ? n : 0;
	d[DC_QUARANTINED] += is_value(rec->disposition, "quarantine") ? n : 0;
	d[DC_REJECTED] += is_value(rec->disposition, "reject") ? n : 0;
	d[DC_SUBDOMAIN] += a.is_subdomain ? n : 0;
	d[DC_SUBDOMAIN_FAIL] += a.is_subdomain && is_fail ? n : 0;
	d[DC_DISAGREE] += a.is_disagreement ? n : 0;
	d[DC_RECORDS]++;

	c[SC_MESSAGES] = n;
	c[SC_PASS] = is_pass ? n : 0;
	c[SC_DKIM] = is_value(rec->dkim, "pass") ? n : 0;
	c[SC_SPF] = is_value(rec->spf, "pass") ? n : 0;
	c[SC_DKIM_FOREIGN] = is_fail && a.dkim == AUTH_FOREIGN_PASS ? n : 0;
	c[SC_SPF_FOREIGN] = is_fail && a.spf == AUTH_FOREIGN_PASS ? n : 0;
	c[SC_DKIM_MISSING] = is_fail && a.dkim == AUTH_NONE ? n : 0;
	/* apart from overridden: the verdict adds the two up */
	c[SC_OWN_DKIM_BROKEN] = is_fail && a.has_own_dkim_fail &&
	    !a.is_overridden ? n : 0;
	c[SC_OVERRIDDEN] = is_fail && a.is_overridden ? n : 0;
	c[SC_DISAGREE] = a.is_disagreement ? n : 0;
	buf_reset(&s->row);
	if (copy_field(&s->row, rec->ip_family ? rec->source_ip : "", false,
	    err) == -1)
		return -1;
	for (int i = 0; i < SC_COUNT; i++)
		if (copy_int(&s->row, c[i], false, err) == -1)
			return -1;
	if (copy_field(&s->row, a.dkim == AUTH_FOREIGN_PASS ? a.dkim_domain :
	    NULL, false, err) == -1 ||
	    copy_field(&s->row, a.spf == AUTH_FOREIGN_PASS ? a.spf_domain :
	    NULL, true, err) == -1)
		return -1;
	return spool_row(s, SP_SOURCE, err);
}

/*
 * The analyzer's rollups, merged in the report's transaction with rows
 * locked in key order (concurrent loaders cannot deadlock).
 */
static int
analysis_load(struct store *s, const struct report *r, struct err *err)
{
	char day[16], num[DC_COUNT][24];
	const char *params[3 + DC_COUNT];
	const char *mark = *s->stage_mark != '\0' ? s->stage_mark : "0";

	/* the date part: up to the T, whatever the year's length */
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(s->begin, "T"),
	    s->begin);
	(void)r;
	params[0] = s->domain;
	params[1] = day;
	params[2] = s->org;
	for (int i = 0; i < DC_COUNT; i++) {
		snprintf(num[i], sizeof(num[i]), "%lld",
		    (long long)s->day_counts[i]);
		params[3 + i] = num[i];
	}
	/* the sums saturate (sql/008): a poisoned row never blocks the
	 * reports after it */
	if (q(s, NULL, err, "INSERT INTO domain_daily AS t (domain, day, "
	    "org_name, reports, messages, dmarc_pass, dkim_aligned, "
	    "spf_aligned, quarantined, rejected, subdomain, subdomain_fail, "
	    "disagree, records) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, "
	    "$9, $10, $11, $12, $13) ON CONFLICT (domain, day, org_name) DO "
	    "UPDATE SET reports = dmarcctl_add(t.reports, 1), records = "
	    "dmarcctl_add(t.records, EXCLUDED.records), messages = "
	    "dmarcctl_add(t.messages, EXCLUDED.messages), dmarc_pass = "
	    "dmarcctl_add(t.dmarc_pass, EXCLUDED.dmarc_pass), dkim_aligned = "
	    "dmarcctl_add(t.dkim_aligned, EXCLUDED.dkim_aligned), spf_aligned "
	    "= dmarcctl_add(t.spf_aligned, EXCLUDED.spf_aligned), quarantined "
	    "= dmarcctl_add(t.quarantined, EXCLUDED.quarantined), rejected = "
	    "dmarcctl_add(t.rejected, EXCLUDED.rejected), subdomain = "
	    "dmarcctl_add(t.subdomain, EXCLUDED.subdomain), subdomain_fail = "
	    "dmarcctl_add(t.subdomain_fail, EXCLUDED.subdomain_fail), "
	    "disagree = dmarcctl_add(t.disagree, EXCLUDED.disagree)",
	    3 + DC_COUNT, params) == -1)
		return -1;
	if (!s->has_spool_rows[SP_SOURCE])
		return 0;
	return q(s, NULL, err, "INSERT INTO source_daily AS t SELECT $1, "
	    "$2::date, source, dmarcctl_clamp(sum(messages)), "
	    "dmarcctl_clamp(sum(dmarc_pass)), "
	    "dmarcctl_clamp(sum(dkim_aligned)), "
	    "dmarcctl_clamp(sum(spf_aligned)), "
	    "dmarcctl_clamp(sum(dkim_foreign)), "
	    "dmarcctl_clamp(sum(spf_foreign)), "
	    "dmarcctl_clamp(sum(dkim_missing)), "
	    "dmarcctl_clamp(sum(own_dkim_broken)), "
	    "dmarcctl_clamp(sum(overridden)), dmarcctl_clamp(sum(disagree)), "
	    "max(foreign_dkim), max(foreign_spf) FROM source_stage WHERE n > $3 "
	    "GROUP BY source ORDER BY source ON CONFLICT (domain, day, source) "
	    "DO UPDATE SET messages = dmarcctl_add(t.messages, "
	    "EXCLUDED.messages), dmarc_pass = dmarcctl_add(t.dmarc_pass, "
	    "EXCLUDED.dmarc_pass), dkim_aligned = "
	    "dmarcctl_add(t.dkim_aligned, EXCLUDED.dkim_aligned), spf_aligned "
	    "= dmarcctl_add(t.spf_aligned, EXCLUDED.spf_aligned), "
	    "dkim_foreign = dmarcctl_add(t.dkim_foreign, "
	    "EXCLUDED.dkim_foreign), spf_foreign = "
	    "dmarcctl_add(t.spf_foreign, EXCLUDED.spf_foreign), dkim_missing "
	    "= dmarcctl_add(t.dkim_missing, EXCLUDED.dkim_missing), "
	    "own_dkim_broken = dmarcctl_add(t.own_dkim_broken, "
	    "EXCLUDED.own_dkim_broken), overridden = "
	    "dmarcctl_add(t.overridden, EXCLUDED.overridden), disagree = "
	    "dmarcctl_add(t.disagree, EXCLUDED.disagree), foreign_dkim = "
	    "greatest(t.foreign_dkim, EXCLUDED.foreign_dkim), foreign_spf = "
	    "greatest(t.foreign_spf, EXCLUDED.foreign_spf)", 3,
	    (const char *const[]){ params[0], params[1], mark });
}

static int
on_dmarc_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct store *s = ctx;
	bool is_ip = rec->ip_family != 0;
	size_t from;

	if (s->is_skip)
		return 0;
	s->rec_no++;
	record_begin(s);
	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	if (copy_field(&s->row, is_ip ? rec->source_ip : NULL, false,
	    err) == -1 ||
	    copy_field(&s->row, is_ip ? NULL : rec->source_ip, false,
	    err) == -1 ||
	    copy_int(&s->row, rec->count, false, err) == -1 ||
	    copy_field(&s->row, rec->disposition, false, err) == -1 ||
	    copy_field(&s->row, rec->dkim, false, err) == -1 ||
	    copy_field(&s->row, rec->spf, false, err) == -1 ||
	    copy_field(&s->row, rec->header_from, false, err) == -1 ||
	    copy_field(&s->row, rec->envelope_from, false, err) == -1 ||
	    copy_field(&s->row, rec->envelope_to, false, err) == -1 ||
	    copy_int(&s->row, rec->flags, true, err) == -1)
		return -1;
	hash_row(s, from);
	if (put_copy(s, s->row.data, s->row.len, err) == -1)
		return -1;
	buf_reset(&s->row);
	if (spool_children(s, r, rec, err) == -1)
		return -1;
	record_done(s);
	return analysis_row(s, r, rec, err);
}

static int
on_tls_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct store *s = ctx;
	size_t from;

	if (s->is_skip)
		return 0;
	s->rec_no++;
	record_begin(s);
	if (row_start(s, r, s->rec_no, err) == -1)
		return -1;
	from = s->row.len;
	if (copy_field(&s->row, p->policy_type, false, err) == -1 ||
	    copy_field(&s->row, p->policy_domain, false, err) == -1)
		return -1;
	/* arrays: literal first, then COPY-escaped as one field */
	for (int k = 0; k < 2; k++) {
		struct buf lit;
		int r2;

		buf_init(&lit, 16u << 20);
		r2 = array_literal(&lit, k == 0 ? p->policy_strings :
		    p->mx_hosts, k == 0 ? p->n_policy_strings : p->n_mx_hosts,
		    err);
		if (r2 == 0)
			r2 = copy_field(&s->row, buf_str(&lit), false, err);
		buf_release(&lit);
		if (r2 == -1)
			return -1;
	}
	if (copy_int(&s->row, p->successful, false, err) == -1 ||
	    copy_int(&s->row, p->failed, true, err) == -1)
		return -1;
	hash_row(s, from);
	if (put_copy(s, s->row.data, s->row.len, err) == -1)
		return -1;
	buf_reset(&s->row);
	for (size_t i = 0; i < p->n_failures; i++) {
		const struct tls_failure *f = &p->failures[i];
		char count[32];
		const char *fields[] = { f->result_type, f->sending_mta_ip,
			f->receiving_mx_hostname, f->receiving_mx_helo,
			f->receiving_ip, f->additional_information,
			f->failure_reason_code, count };

		snprintf(count, sizeof(count), "%lld",
		    (long long)f->failed_session_count);
		if (child_row(s, r, SP_TLS_FAILURES, fields, 8, err) == -1)
			return -1;
	}
	record_done(s);
	return 0;
}

/* copy a spool file into its table */
static int
copy_spool(struct store *s, enum spool sp, struct err *err)
{
	char chunk[65536];
	size_t n;

	if (!s->has_spool_rows[sp])
		return 0;
	if (fflush(s->spool[sp]) == EOF)
		return err_set(err, ERR_IO, "cannot write a temporary file");
	rewind(s->spool[sp]);
	if (start_copy(s, spool_copy[sp], err) == -1)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), s->spool[sp])) > 0)
		if (put_copy(s, chunk, n, err) == -1)
			return -1;
	if (ferror(s->spool[sp]))
		return err_set(err, ERR_IO, "cannot read a temporary file");
	return end_copy(s, err);
}

/* the same report from other bytes: records in another order, say */
static int
is_content_known(struct store *s, const unsigned char key[32], bool *out,
    struct err *err)
{
	char id[32];
	const char *params[3] = { s->domain, (const char *)key, id };
	int lens[3] = { 0, 32, 0 }, formats[3] = { 0, 1, 0 };

	snprintf(id, sizeof(id), "%lld", s->report);
	return q_exists(s, out, err, "SELECT 1 FROM reports WHERE domain = $1 "
	    "AND report_key = $2 AND id <> $3", 3, params, lens, formats);
}

static int
finish_report(struct store *s, const struct report *r,
    const unsigned char key[32], struct err *err)
{
	char id[32], records[32], messages[32];
	const char *params[9];
	int lens[9] = { 0 }, formats[9] = { 0 };
	struct buf notes;
	int ret;

	snprintf(id, sizeof(id), "%lld", s->report);
	/* the totals are unsigned sums, the columns bigint: they saturate */
	snprintf(records, sizeof(records), "%llu", (unsigned long long)
	    (r->records > INT64_MAX ? INT64_MAX : r->records));
	snprintf(messages, sizeof(messages), "%llu", (unsigned long long)
	    (r->messages > INT64_MAX ? INT64_MAX : r->messages));
	buf_init(&notes, 1u << 20);
	if (array_literal(&notes, r->notes, r->n_notes, err) == -1) {
		buf_release(&notes);
		return -1;
	}
	params[0] = s->domain;
	params[1] = id;
	params[2] = (const char *)s->content;
	lens[2] = 32;
	formats[2] = 1;
	params[3] = records;
	params[4] = messages;
	params[5] = buf_str(&notes);
	params[6] = r->error;
	params[7] = r->is_rfc9990 ? "t" : "f";
	params[8] = (const char *)key;
	lens[8] = 32;
	formats[8] = 1;
	ret = q_bin(s, NULL, err, "UPDATE reports SET content_sha256 = $3, "
	    "records = $4, messages = $5, notes = $6, error = $7, "
	    "is_rfc9990 = $8, report_key = $9 WHERE domain = $1 AND id = $2",
	    9, params, lens, formats);
	buf_release(&notes);
	return ret;
}

/*
 * The TLS rollups, in the report's transaction, merged, rows locked in
 * key order so concurrent loaders cannot deadlock; the sums saturate
 * (sql/008), so a reporter's absurd counts never block later reports.  (The DMARC rollup rows
 * are merged by analysis_load.)
 */
static const char *const tls_rollup[] = {
	"INSERT INTO tls_daily AS t (domain, day, org_name, policy_type, "
	"successful, failed) SELECT coalesce(dmarcctl_cap(policy_domain), $1), "
	"$5::date, $4, dmarcctl_cap(policy_type), "
	"dmarcctl_clamp(sum(successful)), dmarcctl_clamp(sum(failed)) "
	"FROM tls_policies WHERE "
	"domain = $1 AND report = $2 AND begin_at = $3 GROUP BY 1, 4 "
	"ORDER BY 1, 4 ON CONFLICT "
	"(domain, day, org_name, policy_type) DO UPDATE SET successful = "
	"dmarcctl_add(t.successful, EXCLUDED.successful), failed = "
	"dmarcctl_add(t.failed, EXCLUDED.failed)",
	"INSERT INTO tls_daily_failures AS t (domain, day, org_name, "
	"result_type, mx, sessions) SELECT coalesce(dmarcctl_cap("
	"p.policy_domain), $1), $5::date, $4, dmarcctl_cap(f.result_type), "
	"dmarcctl_cap(coalesce(f.receiving_mx_hostname, '')), "
	"dmarcctl_clamp(sum(f.failed_session_count)) FROM tls_failures f "
	"JOIN tls_policies p "
	"ON p.domain = f.domain AND p.report = f.report AND p.pol_no = "
	"f.pol_no WHERE f.domain = $1 AND f.report = $2 AND f.begin_at = $3 "
	"GROUP BY 1, 4, 5 "
	"ORDER BY 1, 4, 5 ON CONFLICT (domain, day, org_name, result_type, mx) "
	"DO UPDATE SET sessions = dmarcctl_add(t.sessions, EXCLUDED.sessions)",
};

static int
tls_rollup_load(struct store *s, const struct report *r, struct err *err)
{
	char id[32], day[16];
	const char *params[5] = { s->domain, id, s->begin, s->org, day };

	(void)r;
	snprintf(id, sizeof(id), "%lld", s->report);
	/* the date part: up to the T, whatever the year's length */
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(s->begin, "T"),
	    s->begin);
	for (size_t i = 0; i < sizeof(tls_rollup) / sizeof(tls_rollup[0]); i++)
		if (q(s, NULL, err, tls_rollup[i], 5, params) == -1)
			return -1;
	return 0;
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct store *s = ctx;
	unsigned char key[32];
	bool is_dup;

	if (s->is_skip) {
		rollback(s);
		s->stats.reports_duplicate++;
		return 0;
	}
	if (end_copy(s, err) == -1)
		goto fail;
	for (int i = 0; i < SP_COUNT; i++)
		if (copy_spool(s, (enum spool)i, err) == -1)
			goto fail;
	report_key(s, key);
	if (is_content_known(s, key, &is_dup, err) == -1)
		goto fail;
	if (is_dup) {
		rollback(s);
		s->stats.reports_duplicate++;
		return 0;
	}
	if (finish_report(s, r, key, err) == -1 ||
	    (r->kind == REPORT_TLSRPT && tls_rollup_load(s, r, err) == -1) ||
	    (r->kind == REPORT_DMARC && analysis_load(s, r, err) == -1) ||
	    tx_commit(s, err) == -1)
		goto fail;
	s->stats.reports_new++;
	s->stats.records += r->records;
	return 0;
fail:
	rollback(s);
	return -1;
}

static void
on_abort(void *ctx, const struct report *r)
{
	(void)r;
	rollback(ctx);
}

void
store_sink(struct store *s, struct report_sink *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = s;
	out->on_header = on_header;
	out->on_dmarc_record = on_dmarc_record;
	out->on_tls_policy = on_tls_policy;
	out->on_end = on_end;
	out->on_abort = on_abort;
}

const struct store_stats *
store_stats(const struct store *s)
{
	return &s->stats;
}

/* one row of ingest_errors, with the unit's original when there is one */
static int
error_row(struct store *s, const char *source, const char *code,
    const char *cause, struct err *err)
{
	char raw[32];
	const char *params[4] = { source, code, cause, raw };

	if (tx_begin(s, err) == -1)
		return -1;
	if (store_raw(s, err) == -1)
		goto fail;
	snprintf(raw, sizeof(raw), "%lld", s->raw_id);
	if (s->raw_id == 0)
		params[3] = NULL;
	/* a rerun over the same input says it again: keep one row */
	if (q(s, NULL, err, "INSERT INTO ingest_errors (source, code, cause, "
	    "raw_id) VALUES ($1, $2, $3, $4) ON CONFLICT (md5(source), "
	    "md5(location), md5(cause)) DO UPDATE SET at = now(), raw_id = "
	    "EXCLUDED.raw_id", 4,
	    params) == -1 || tx_commit(s, err) == -1)
		goto fail;
	return 0;
fail:
	rollback(s);
	return -1;
}

int
store_record_error(struct store *s, const struct err *why, struct err *err)
{
	const char *code = err_code_name(why->code), *cause = why->msg;
	const char *source = s->unit.source;
	char safe_source[1024] = "", safe_cause[1024] = "";
	size_t n = strlen(source);
	int ret;

	/* the message names the source first: the column says it already */
	if (strncmp(why->msg, source, n) == 0 &&
	    strncmp(why->msg + n, ": ", 2) == 0)
		cause = why->msg + n + 2;
	if (error_row(s, source, code, cause, err) == 0)
		return 0;
	if (err->code != ERR_REFUSED)
		return -1;
	/*
	 * Refused: a name or cause that is not UTF-8, or one too long for
	 * the index.  Once more, escaped and cut (the archived original
	 * names it the same way): a failure is never lost for its name.
	 */
	add_escaped(safe_source, sizeof(safe_source), source);
	add_escaped(safe_cause, sizeof(safe_cause), cause);
	s->unit.source = safe_source;
	ret = error_row(s, safe_source, code, safe_cause, err);
	s->unit.source = source;
	return ret;
}

int
store_select(struct store *s, const char *sql, int nparams,
    const char *const *params, store_row_fn fn, void *ctx, struct err *err)
{
	PGresult *res = NULL;
	const char **names = NULL, **values = NULL;
	int ncols, ret = -1;

	if (q(s, &res, err, sql, nparams, params) == -1)
		return -1;
	ncols = PQnfields(res);
	names = xcalloc((size_t)ncols + 1, sizeof(*names));
	values = xcalloc((size_t)ncols + 1, sizeof(*values));
	for (int c = 0; c < ncols; c++)
		names[c] = PQfname(res, c);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < ncols; c++)
			values[c] = PQgetisnull(res, r, c) ? NULL :
			    PQgetvalue(res, r, c);
		if (fn != NULL && fn(ctx, (size_t)ncols, names, values,
		    err) == -1)
			goto out;
	}
	ret = 0;
out:
	free(names);
	free(values);
	PQclear(res);
	return ret;
}

int
store_try_lock(struct store *s, const char *name, struct err *err)
{
	const char *const params[] = { name };
	PGresult *res = NULL;
	int ret;

	if (q(s, &res, err, "SELECT pg_try_advisory_lock(hashtextextended("
	    "'dmarcctl lock ' || $1, 0))", 1, params) == -1)
		return -1;
	ret = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return ret;
}

/* the id of the archived bytes with this hash, or 0 */
static int
raw_lookup(struct store *s, const unsigned char sha[32], int64_t *out,
    struct err *err)
{
	const char *params[1] = { (const char *)sha };
	int lens[1] = { 32 }, formats[1] = { 1 };
	PGresult *res = NULL;

	if (q_bin(s, &res, err, "SELECT id FROM raw_inputs WHERE sha256 = $1",
	    1, params, lens, formats) == -1)
		return -1;
	*out = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return 0;
}

/* COPY text: the bytea as \\x and hex, 64 KiB of input at a time */
static int
copy_hex(struct store *s, struct stream *content, struct err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char in[65536];
	char out[2 * sizeof(in)];
	ssize_t n;

	if (put_copy(s, "\\\\x", 3, err) == -1)
		return -1;
	while ((n = stream_read(content, in, sizeof(in), err)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			out[2 * i] = hex[in[i] >> 4];
			out[2 * i + 1] = hex[in[i] & 15];
		}
		if (put_copy(s, out, 2 * (size_t)n, err) == -1)
			return -1;
	}
	return n == -1 ? -1 : 0;
}

int
store_archive_stream(struct store *s, const struct store_unit *u,
    struct stream *content, int64_t *out_id, struct err *err)
{
	char sha[65], size[32];
	struct buf tail;
	int ret = -1;

	sha256_hex(u->sha256, sha);
	buf_init(&tail, 1u << 20);
	if (exec(s, "BEGIN", err) == -1)
		goto out;
	s->in_tx = true;
	/* one archiver per original: the lock, then look, then write */
	if (q(s, NULL, err, "SELECT pg_advisory_xact_lock(hashtextextended("
	    "$1, 0))", 1, (const char *[]){ sha }) == -1 ||
	    raw_lookup(s, u->sha256, out_id, err) == -1)
		goto fail;
	if (*out_id == 0) {
		snprintf(size, sizeof(size), "%llu",
		    (unsigned long long)u->size);
		if (start_copy(s, "COPY raw_inputs (sha256, encoding, size, "
		    "source, content) FROM STDIN", err) == -1 ||
		    buf_addf(&tail, err, "\\\\x%s\t%s\t%s\t", sha, u->encoding,
		    size) == -1 || copy_field(&tail, u->source, false,
		    err) == -1 ||
		    put_copy(s, tail.data, tail.len, err) == -1 ||
		    copy_hex(s, content, err) == -1 ||
		    put_copy(s, "\n", 1, err) == -1 || end_copy(s, err) == -1 ||
		    raw_lookup(s, u->sha256, out_id, err) == -1)
			goto fail;
	}
	if (exec(s, "COMMIT", err) == -1)
		goto fail;
	s->in_tx = false;
	ret = 0;
	goto out;
fail:
	rollback(s);
out:
	buf_release(&tail);
	return ret;
}

/* --- batches: many reports in one transaction (reparse) --- */

/* what reparse rebuilds; a batch locks it against concurrent loaders */
static const char lock_derived[] = "LOCK TABLE reports, records, "
    "record_reasons, dkim_results, spf_results, tls_policies, tls_failures, "
    "tls_daily, tls_daily_failures, domain_daily, source_daily, "
    "ingest_errors IN SHARE ROW EXCLUSIVE MODE";

int
store_batch_begin(struct store *s, struct err *err)
{
	assert(!s->in_batch && !s->in_tx);
	/* the stage outlives reports: made before the transaction */
	if (ensure_stage(s, err) == -1 || exec(s, "BEGIN; SET LOCAL "
	    "work_mem = '64MB'", err) == -1)
		return -1;
	s->in_batch = true;
	s->old_max = -1;
	if (exec(s, lock_derived, err) == -1) {
		store_batch_end(s, false, NULL);
		return -1;
	}
	return 0;
}

int
store_clear_derived(struct store *s, struct err *err)
{
	PGresult *res = NULL;

	assert(s->in_batch);
	/* reports up to here are the old ones: each goes when its input is
	 * parsed again (store_unit_begin) */
	if (q(s, &res, err, "SELECT coalesce(max(id), 0) FROM reports", 0,
	    NULL) == -1)
		return -1;
	s->old_max = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return exec(s, "DELETE FROM domain_daily; DELETE FROM source_daily; "
	    "DELETE FROM tls_daily; DELETE FROM tls_daily_failures; "
	    "DELETE FROM ingest_errors WHERE raw_id IS NOT NULL", err);
}

int
store_unit_begin(struct store *s, int64_t raw_id, struct err *err)
{
	char id[32];
	const char *params[1] = { id };

	assert(s->in_batch);
	s->unit_stats = s->stats;
	snprintf(id, sizeof(id), "%lld", (long long)raw_id);
	if (exec(s, "SAVEPOINT unit", err) == -1)
		return -1;
	/* the children go in one sweep at the end (store_batch_end) */
	return s->old_max < 0 ? 0 : q(s, NULL, err, "DELETE FROM reports "
	    "WHERE raw_id = $1", 1, params);
}

int
store_unit_end(struct store *s, bool is_kept, struct err *err)
{
	assert(s->in_batch && !s->in_tx);
	if (is_kept)
		return exec(s, "RELEASE SAVEPOINT unit", err);
	s->stats = s->unit_stats;
	return exec(s, "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit",
	    err);
}

/* the rows of a kept report's children, walked along with its records */
struct kept_children {
	PGresult *res;
	int row;
};

static int
kept_fetch(struct store *s, struct kept_children *c, const char *sql,
    const char *const params[3], struct err *err)
{
	c->row = 0;
	return q(s, &c->res, err, sql, 3, params);
}

static const char *
kept_value(const struct kept_children *c, int row, int col)
{
	return PQgetisnull(c->res, row, col) ? NULL :
	    PQgetvalue(c->res, row, col);
}

/* how many rows from c->row on belong to record rec_no */
static size_t
kept_rows(struct kept_children *c, long rec_no)
{
	int from = c->row;

	while (c->row < PQntuples(c->res) &&
	    strtol(PQgetvalue(c->res, c->row, 0), NULL, 10) == rec_no)
		c->row++;
	return (size_t)(c->row - from);
}

static const char *const kept_sql[] = {
	"SELECT rec_no, CASE WHEN source_ip IS NULL THEN source_text ELSE "
	"host(source_ip) END, source_ip IS NOT NULL, family(source_ip), count, "
	"disposition, dkim, spf, header_from, envelope_from, envelope_to, "
	"flags FROM records WHERE domain = $1 AND report = $2 AND begin_at = "
	"$3 ORDER BY rec_no",
	"SELECT rec_no, type, comment FROM record_reasons WHERE domain = $1 "
	"AND report = $2 AND begin_at = $3 ORDER BY rec_no, ctid",
	"SELECT rec_no, dkim_domain, selector, result, human_result FROM "
	"dkim_results WHERE domain = $1 AND report = $2 AND begin_at = $3 "
	"ORDER BY rec_no, ctid",
	"SELECT rec_no, spf_domain, scope, result, human_result FROM "
	"spf_results WHERE domain = $1 AND report = $2 AND begin_at = $3 "
	"ORDER BY rec_no, ctid",
};

/* one record of a kept report, as the parser gave it, into the rollups */
static int
kept_record(struct store *s, const struct report *r,
    struct kept_children c[4], int i, struct err *err)
{
	struct dmarc_record rec;
	long rec_no = strtol(PQgetvalue(c[0].res, i, 0), NULL, 10);
	int from[3] = { c[1].row, c[2].row, c[3].row };
	size_t n[3];
	struct dmarc_reason *why = NULL;
	struct dmarc_dkim *dkim = NULL;
	struct dmarc_spf *spf = NULL;
	int ret;

	memset(&rec, 0, sizeof(rec));
	for (int k = 0; k < 3; k++)
		n[k] = kept_rows(&c[k + 1], rec_no);
	why = xcalloc(n[0] + 1, sizeof(*why));
	dkim = xcalloc(n[1] + 1, sizeof(*dkim));
	spf = xcalloc(n[2] + 1, sizeof(*spf));
	for (size_t j = 0; j < n[0]; j++) {
		int row = from[0] + (int)j;

		why[j] = (struct dmarc_reason){ kept_value(&c[1], row, 1),
			kept_value(&c[1], row, 2) };
	}
	for (size_t j = 0; j < n[1]; j++) {
		int row = from[1] + (int)j;

		dkim[j] = (struct dmarc_dkim){ kept_value(&c[2], row, 1),
			kept_value(&c[2], row, 2), kept_value(&c[2], row, 3),
			kept_value(&c[2], row, 4) };
	}
	for (size_t j = 0; j < n[2]; j++) {
		int row = from[2] + (int)j;

		spf[j] = (struct dmarc_spf){ kept_value(&c[3], row, 1),
			kept_value(&c[3], row, 2), kept_value(&c[3], row, 3),
			kept_value(&c[3], row, 4) };
	}
	rec.source_ip = kept_value(&c[0], i, 1);
	rec.ip_family = strcmp(PQgetvalue(c[0].res, i, 2), "t") != 0 ? 0 :
	    strtol(PQgetvalue(c[0].res, i, 3), NULL, 10) == 6 ? 6 : 4;
	rec.count = strtoll(PQgetvalue(c[0].res, i, 4), NULL, 10);
	rec.disposition = kept_value(&c[0], i, 5);
	rec.dkim = kept_value(&c[0], i, 6);
	rec.spf = kept_value(&c[0], i, 7);
	rec.header_from = kept_value(&c[0], i, 8);
	rec.envelope_from = kept_value(&c[0], i, 9);
	rec.envelope_to = kept_value(&c[0], i, 10);
	rec.flags = (unsigned)strtoul(PQgetvalue(c[0].res, i, 11), NULL, 10);
	rec.reasons = why;
	rec.n_reasons = n[0];
	rec.dkim_results = dkim;
	rec.n_dkim = n[1];
	rec.spf_results = spf;
	rec.n_spf = n[2];
	ret = analysis_row(s, r, &rec, err);
	free(why);
	free(dkim);
	free(spf);
	return ret;
}

/* a DMARC report kept as it was: its rollups again, from its rows */
static int
kept_dmarc(struct store *s, const struct report *r, struct err *err)
{
	const char *params[3] = { s->domain, NULL, s->begin };
	char id[32];
	struct kept_children c[4];
	int ret = -1;

	memset(c, 0, sizeof(c));
	snprintf(id, sizeof(id), "%lld", s->report);
	params[1] = id;
	memset(s->day_counts, 0, sizeof(s->day_counts));
	if (spool_reset(s, err) == -1)
		return -1;
	for (int k = 0; k < 4; k++)
		if (kept_fetch(s, &c[k], kept_sql[k], params, err) == -1)
			goto out;
	for (int i = 0; i < PQntuples(c[0].res); i++)
		if (kept_record(s, r, c, i, err) == -1)
			goto out;
	if (copy_spool(s, SP_SOURCE, err) == -1 ||
	    analysis_load(s, r, err) == -1 || stage_mark(s, err) == -1)
		goto out;
	ret = 0;
out:
	for (int k = 0; k < 4; k++)
		PQclear(c[k].res);
	return ret;
}

/* one kept report (a row of kept_reports' query) into the rollups */
static int
kept_report(struct store *s, PGresult *res, int i, struct err *err)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	s->report = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	key_cap(PQgetvalue(res, i, 1), s->domain);
	key_cap(PQgetvalue(res, i, 4), s->org);
	snprintf(s->begin, sizeof(s->begin), "%s", PQgetvalue(res, i, 5));
	r.kind = strcmp(PQgetvalue(res, i, 3), "dmarc") == 0 ? REPORT_DMARC :
	    REPORT_TLSRPT;
	r.domain = PQgetvalue(res, i, 2);
	r.org_name = PQgetvalue(res, i, 4);
	r.policy.adkim = PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6);
	r.policy.aspf = PQgetisnull(res, i, 7) ? NULL : PQgetvalue(res, i, 7);
	r.policy.p = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8);
	r.policy.pct = -1;
	if (r.kind == REPORT_TLSRPT)
		return tls_rollup_load(s, &r, err);
	return kept_dmarc(s, &r, err);
}

/* the rollups of the old reports that stay (their input failed, or they
 * have none), a page of reports at a time */
static int
kept_rollups(struct store *s, struct err *err)
{
	char after[32] = "0", upto[32];
	const char *params[2] = { after, upto };

	snprintf(upto, sizeof(upto), "%lld", s->old_max);
	for (;;) {
		PGresult *res = NULL;
		int n;

		if (q(s, &res, err, "SELECT id, domain, coalesce(domain_full, "
		    "domain), kind, org_name, to_char(begin_at AT TIME ZONE "
		    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), adkim, aspf, p "
		    "FROM reports WHERE id > $1 AND id <= $2 ORDER BY id "
		    "LIMIT 256", 2, params) == -1)
			return -1;
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			if (kept_report(s, res, i, err) == -1) {
				PQclear(res);
				return -1;
			}
		if (n > 0)
			snprintf(after, sizeof(after), "%s",
			    PQgetvalue(res, n - 1, 0));
		PQclear(res);
		if (n < 256)
			return 0;
	}
}

/* the rows of the reports that went, in one pass per table */
static const char *const sweep_children[] = {
	"records", "record_reasons", "dkim_results", "spf_results",
	"tls_policies", "tls_failures",
};

static int
sweep(struct store *s, struct err *err)
{
	char sql[256], upto[32];
	const char *params[1] = { upto };

	snprintf(upto, sizeof(upto), "%lld", s->old_max);
	for (size_t i = 0; i < sizeof(sweep_children) /
	    sizeof(sweep_children[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s c WHERE c.report <= "
		    "$1 AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.domain "
		    "= c.domain AND r.id = c.report)", sweep_children[i]);
		if (q(s, NULL, err, sql, 1, params) == -1)
			return -1;
	}
	return 0;
}

int
store_batch_end(struct store *s, bool is_commit, struct err *err)
{
	int ret = 0;

	assert(s->in_batch && !s->in_tx);
	if (is_commit && s->old_max >= 0 &&
	    (sweep(s, err) == -1 || kept_rollups(s, err) == -1))
		is_commit = false, ret = -1;
	if (is_commit && exec(s, "COMMIT", err) == -1)
		ret = -1;
	if (!is_commit || ret == -1) {
		PQclear(PQexec(s->conn, "ROLLBACK"));
		/* partitions made in the batch are gone with it */
		s->ensured_month = -1;
	}
	s->in_batch = false;
	s->old_max = -1;
	return ret;
}

int
store_each_raw(struct store *s, store_raw_fn fn, void *ctx, struct err *err)
{
	char after[32] = "0";
	const char *params[1] = { after };

	/* one row at a time, by id: the archive may be large */
	for (;;) {
		PGresult *res = PQexecParams(s->conn, "SELECT id, source, "
		    "content FROM raw_inputs WHERE id > $1 ORDER BY id LIMIT 1",
		    1, NULL, params, NULL, NULL, 1);
		const unsigned char *b;
		int64_t id = 0;
		char *source;
		int r;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			db_error(s, err, "database", res);
			PQclear(res);
			return -1;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			return 0;
		}
		/* binary results: the id is 8 bytes, big-endian */
		b = (const unsigned char *)PQgetvalue(res, 0, 0);
		for (int k = 0; k < 8; k++)
			id = id << 8 | b[k];
		snprintf(after, sizeof(after), "%lld", (long long)id);
		source = xstrndup(PQgetvalue(res, 0, 1),
		    (size_t)PQgetlength(res, 0, 1));
		r = fn(ctx, id, source, PQgetvalue(res, 0, 2),
		    (size_t)PQgetlength(res, 0, 2), err);
		free(source);
		PQclear(res);
		if (r == -1)
			return -1;
	}
}
