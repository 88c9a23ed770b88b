#include "store/store_p.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"

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
void
store_add_escaped(char *out, size_t size, const char *text)
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

	store_add_escaped(line, 320, primary != NULL ? primary :
	    "no reason given");
	if (context != NULL && strncmp(context, "COPY ", 5) == 0) {
		size_t n = strlen(line);
		char first[160];

		snprintf(first, sizeof(first), "%.*s", (int)strcspn(context,
		    "\n"), context);
		snprintf(line + n, sizeof(line) - n, " (");
		store_add_escaped(line, 440, first);
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ")");
	}
	return err_set(err, ERR_REFUSED, "refused by the database: %s "
	    "[SQLSTATE %s]", line, state);
}

int
store_db_error(struct store *s, struct err *err, const char *what,
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
int
store_q_bin(struct store *s, PGresult **out, struct err *err, const char *sql,
    int n, const char *const *params, const int *lens, const int *formats)
{
	PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, lens,
	    formats, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		store_db_error(s, err, "database", res);
		PQclear(res);
		return -1;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

int
store_q(struct store *s, PGresult **out, struct err *err, const char *sql,
    int n, const char *const *params)
{
	return store_q_bin(s, out, err, sql, n, params, NULL, NULL);
}

/* whether the query returns a row */
int
store_q_exists(struct store *s, bool *out, struct err *err, const char *sql,
    int n, const char *const *params, const int *lens, const int *formats)
{
	PGresult *res = NULL;

	if (store_q_bin(s, &res, err, sql, n, params, lens, formats) == -1)
		return -1;
	*out = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* a statement without parameters (may be several, ";"-separated) */
int
store_exec(struct store *s, const char *sql, struct err *err)
{
	PGresult *res = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = store_db_error(s, err, "database", res);
	PQclear(res);
	return ret;
}

static int
prepare(struct store *s, enum stmt st, struct err *err)
{
	char name[32];
	PGresult *res;
	int ret = 0;

	if (s->is_prepared[st])
		return 0;
	snprintf(name, sizeof(name), "dmarcctl_%d", (int)st);
	res = PQprepare(s->conn, name, store_stmt_sql[st], 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_db_error(s, err, "cannot prepare a statement", res);
	else
		s->is_prepared[st] = true;
	PQclear(res);
	return ret;
}

static bool
send_q(struct store *s, const struct pipe_q *q)
{
	char name[32];

	if (q->sql != NULL)
		return PQsendQueryParams(s->conn, q->sql, 0, NULL, NULL, NULL,
		    NULL, 0) == 1;
	snprintf(name, sizeof(name), "dmarcctl_%d", (int)q->st);
	return PQsendQueryPrepared(s->conn, name, q->n, q->params, q->lens,
	    q->formats, 0) == 1;
}

int
store_pipe(struct store *s, struct pipe_q *q, size_t n, struct err *err)
{
	PGresult *res;
	size_t sent = 0;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		if (q[i].sql == NULL && prepare(s, q[i].st, err) == -1)
			return -1;
	if (PQenterPipelineMode(s->conn) != 1)
		return store_db_error(s, err, "database", NULL);
	while (sent < n && send_q(s, &q[sent]))
		sent++;
	if (sent < n || PQpipelineSync(s->conn) != 1) {
		/* the connection is gone: nothing more can be read */
		store_db_error(s, err, "database", NULL);
		PQexitPipelineMode(s->conn);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		ExecStatusType st;

		q[i].res = NULL;
		if ((res = PQgetResult(s->conn)) == NULL)
			return store_db_error(s, err, "database", NULL);
		st = PQresultStatus(res);
		/* an error, a statement aborted after one, or anything else
		 * unlooked-for: the pipeline failed */
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    ret == 0)
			ret = store_db_error(s, err, "database", res);
		if (q[i].want_res && st == PGRES_TUPLES_OK)
			q[i].res = res;
		else
			PQclear(res);
		/* each statement's results end with a NULL */
		while ((res = PQgetResult(s->conn)) != NULL)
			PQclear(res);
	}
	res = PQgetResult(s->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && ret == 0)
		ret = store_db_error(s, err, "database", res);
	PQclear(res);
	if (PQexitPipelineMode(s->conn) != 1 && ret == 0)
		ret = store_db_error(s, err, "database", NULL);
	if (ret == -1)
		for (size_t i = 0; i < n; i++) {
			PQclear(q[i].res);
			q[i].res = NULL;
		}
	return ret;
}

/* COPY text format: \N for NULL, and escapes for the specials; plain
 * runs are appended whole (this runs for every field of every record) */
int
store_copy_field(struct buf *b, const char *v, bool is_last, struct err *err)
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

int
store_copy_int(struct buf *b, long long v, bool is_last, struct err *err)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld%c", v, is_last ? '\n' : '\t');

	return buf_add(b, num, (size_t)n, err);
}

/* a PostgreSQL text[] literal: {"a","b\"c",NULL} (a NULL element is NULL) */
int
store_array_literal(struct buf *b, const char *const *v, size_t n,
    struct err *err)
{
	if (buf_addc(b, '{', err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && buf_addc(b, ',', err) == -1)
			return -1;
		if (v[i] == NULL) {
			if (buf_adds(b, "NULL", err) == -1)
				return -1;
			continue;
		}
		if (buf_addc(b, '"', err) == -1)
			return -1;
		for (const char *p = v[i]; *p != '\0'; p++)
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

	s->conn = PQconnectdb(conninfo != NULL ? conninfo : "");
	if (PQstatus(s->conn) != CONNECTION_OK) {
		store_db_error(s, err, "cannot connect to database", NULL);
		store_free(s);
		return -1;
	}
	PQsetNoticeProcessor(s->conn, keep_notice, s);
	buf_init(&s->row, 64u << 20);
	/* times are UTC throughout; keep the server's notices off stderr.
	 * On Citus, reports refer to raw_inputs, a reference table: a
	 * transaction that writes both must reach each node over one
	 * connection, or Citus refuses the second write; the setting is a
	 * harmless placeholder on plain PostgreSQL. */
	if (store_exec(s, "SET TIME ZONE 'UTC'; SET client_min_messages = "
	    "warning; SET citus.multi_shard_modify_mode = 'sequential'",
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
	store_queue_free(s);
	free(s);
}

bool
store_is_connected(const struct store *s)
{
	return s != NULL && PQstatus(s->conn) == CONNECTION_OK;
}
