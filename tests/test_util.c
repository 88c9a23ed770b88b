#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/output.h"
#include "common/stream.h"
#include "common/xalloc.h"
#include "store/store.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <zip.h>
#include <zlib.h>

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	(void)err;
	c->headers++;
	buf_reset(&c->rec);
	return 0;
}

static int
on_dmarc_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	c->records++;
	if (output_dmarc_record_json(&c->rec, rec, err) == -1)
		return -1;
	return buf_addc(&c->rec, '\n', err);
}

static int
on_tls_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	c->records++;
	if (output_tls_policy_json(&c->rec, p, err) == -1)
		return -1;
	return buf_addc(&c->rec, '\n', err);
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct collect *c = ctx;

	c->reports++;
	c->messages += r->messages;
	c->last = *r;
	copy(c->domain, sizeof(c->domain), r->domain);
	copy(c->org_name, sizeof(c->org_name), r->org_name);
	copy(c->report_id, sizeof(c->report_id), r->report_id);
	copy(c->kind, sizeof(c->kind), report_kind_name(r->kind));
	if (output_report_json(&c->out, r, err) == -1 ||
	    buf_addc(&c->out, '\n', err) == -1 ||
	    buf_add(&c->out, c->rec.data, c->rec.len, err) == -1)
		return -1;
	buf_reset(&c->rec);
	return 0;
}

static void
on_abort(void *ctx, const struct report *r)
{
	struct collect *c = ctx;

	(void)r;
	c->aborts++;
	buf_reset(&c->rec);
}

static void
on_failure(void *ctx, const struct err *why)
{
	struct collect *c = ctx;
	struct err e;

	c->failed++;
	c->last_code = why->code;
	buf_adds(&c->failures, why->msg, &e);
	buf_addc(&c->failures, '\n', &e);
}

void
collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->out, 64u << 20);
	buf_init(&c->rec, 64u << 20);
	buf_init(&c->failures, 1u << 20);
}

void
collect_release(struct collect *c)
{
	buf_release(&c->out);
	buf_release(&c->rec);
	buf_release(&c->failures);
}

void
collect_sink(struct collect *c, struct report_sink *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = c;
	out->on_header = on_header;
	out->on_dmarc_record = on_dmarc_record;
	out->on_tls_policy = on_tls_policy;
	out->on_end = on_end;
	out->on_abort = on_abort;
	out->on_failure = on_failure;
}

static int
collect_stream(struct collect *c, struct stream *s, const char *name,
    const struct report_limits *lim, struct report_stats *st)
{
	struct report_limits def;
	struct report_sink sink;
	struct report_stats dummy;
	struct err err;
	int r;

	if (lim == NULL) {
		report_limits_default(&def);
		lim = &def;
	}
	collect_sink(c, &sink);
	r = report_parse(s, name, lim, &sink, st ? st : &dummy, &err);
	if (r == -1) {
		c->failed++;
		c->last_code = err.code;
		buf_adds(&c->failures, err.msg, &err);
		buf_addc(&c->failures, '\n', &err);
	}
	return r;
}

int
collect_file(struct collect *c, const char *path,
    const struct report_limits *lim, struct report_stats *st)
{
	struct stream *s = NULL;
	const char *name = path;
	struct err err;
	int r;

	if (stream_open_file(&s, path, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	if (strncmp(path, FIXTURES "/", strlen(FIXTURES "/")) == 0)
		name = path + strlen(FIXTURES "/");
	r = collect_stream(c, s, name, lim, st);
	stream_free(s);
	return r;
}

int
collect_mem(struct collect *c, const void *data, size_t len,
    const struct report_limits *lim, struct report_stats *st)
{
	struct stream *s = NULL;
	int r;

	stream_new_mem(&s, data, len, "memory");
	r = collect_stream(c, s, "memory", lim, st);
	stream_free(s);
	return r;
}

char *
test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		abort();
	}
	rewind(f);
	p = xmalloc((size_t)n + 1);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		abort();
	}
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/dmarcctl-test.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return xstrdup(tmpl);
}

char *
test_gzip(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	size_t cap = len + len / 100 + 1024;
	char *out = xmalloc(cap);

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

char *
test_zip(const char *const *names, const char *const *datas,
    const size_t *lens, size_t n, size_t *out_len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	char *out;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (src == NULL)
		abort();
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (za == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		zip_source_t *f = zip_source_buffer(za, datas[i], lens[i], 0);

		if (f == NULL || zip_file_add(za, names[i], f, 0) < 0)
			abort();
	}
	if (zip_close(za) != 0 || zip_source_stat(src, &st) != 0 ||
	    zip_source_open(src) != 0)
		abort();
	out = xmalloc(st.size + 1);
	if (zip_source_read(src, out, st.size) != (zip_int64_t)st.size)
		abort();
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*out_len = st.size;
	return out;
}

static char *
slurp_or_empty(const char *path)
{
	size_t len;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return xstrdup("");
	fclose(f);
	return test_slurp(path, &len);
}

int
test_run(const char *cmdline, char **out, char **errout)
{
	char *dir = test_tmpdir();
	char o[512], e[512], cmd[8192];
	int st;

	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "(%s) >%s 2>%s", cmdline, o, e);
	st = system(cmd);
	*out = slurp_or_empty(o);
	*errout = slurp_or_empty(e);
	unlink(o);
	unlink(e);
	rmdir(dir);
	free(dir);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* libpq's last error, without its final newline, in msg. */
static void
pq_error(char *msg, size_t n, const char *text)
{
	size_t len;

	snprintf(msg, n, "%s", text != NULL ? text : "");
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
}

/* A connection to the maintenance database of the test cluster. */
static PGconn *
db_admin(void)
{
	const char *ci = getenv("TEST_PG_CONNINFO");
	char msg[512];
	PGconn *c;

	if (ci == NULL || *ci == '\0')
		cr_assert_fail("TEST_PG_CONNINFO is not set: store tests run "
		    "under make check (tests/run-tests.sh starts PostgreSQL)");
	c = PQconnectdb(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		pq_error(msg, sizeof(msg), PQerrorMessage(c));
		PQfinish(c);
		cr_assert_fail("cannot connect to the test cluster "
		    "(TEST_PG_CONNINFO=%s): %s", ci, msg);
	}
	return c;
}

/* Run one statement; returns its SQLSTATE ("" when it succeeded) and
 * fills msg with the error. */
static void
db_exec(PGconn *c, const char *sql, char *state, size_t sn, char *msg,
    size_t mn)
{
	PGresult *r = PQexec(c, sql);
	const char *code;

	snprintf(state, sn, "%s", "");
	snprintf(msg, mn, "%s", "");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(state, sn, "%s", code != NULL ? code : "?");
		pq_error(msg, mn, PQerrorMessage(c));
	}
	PQclear(r);
}

/* key='value ', quoted as conninfo wants it. */
static char *
conn_put(char *p, const char *key, const char *val)
{
	size_t k = strlen(key);

	memcpy(p, key, k);
	p += k;
	*p++ = '=';
	*p++ = '\'';
	for (; *val != '\0'; val++) {
		if (*val == '\\' || *val == '\'')
			*p++ = '\\';
		*p++ = *val;
	}
	*p++ = '\'';
	*p++ = ' ';
	return p;
}

/* ci with its dbname replaced (or added); malloc'd. */
static char *
conninfo_with_db(const char *ci, const char *dbname)
{
	PQconninfoOption *opts, *o;
	char *errmsg = NULL, *out, *p;
	size_t n = strlen("dbname='' ") + 2 * strlen(dbname) + 1;

	opts = PQconninfoParse(ci, &errmsg);
	if (opts == NULL)
		cr_assert_fail("bad TEST_PG_CONNINFO %s: %s", ci,
		    errmsg != NULL ? errmsg : "out of memory");
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && strcmp(o->keyword, "dbname") != 0)
			n += strlen(o->keyword) + 2 * strlen(o->val) + 4;
	p = out = xmalloc(n);
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && strcmp(o->keyword, "dbname") != 0)
			p = conn_put(p, o->keyword, o->val);
	p = conn_put(p, "dbname", dbname);
	p[-1] = '\0';
	PQconninfoFree(opts);
	return out;
}

char *
test_db_new(void)
{
	/* each test runs in a process forked from the runner: the pid keeps
	 * the names apart, the counter the databases of one test */
	static unsigned counter;
	char name[64], sql[128], state[8], msg[512];
	PGconn *c = db_admin();

	for (int tries = 0;; tries++) {
		snprintf(name, sizeof(name), "t_%ld_%u", (long)getpid(),
		    ++counter);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
		db_exec(c, sql, state, sizeof(state), msg, sizeof(msg));
		/* 42P04: left over by an earlier process with the same pid */
		if (strcmp(state, "42P04") != 0 || tries == 100)
			break;
	}
	PQfinish(c);
	if (*state != '\0')
		cr_assert_fail("test_db_new: CREATE DATABASE %s: %s", name, msg);
	return conninfo_with_db(getenv("TEST_PG_CONNINFO"), name);
}

void
test_db_drop(char *conninfo)
{
	PQconninfoOption *opts, *o;
	char name[64] = "", sql[128], state[8], msg[512];
	PGconn *c;

	if (conninfo == NULL)
		return;
	opts = PQconninfoParse(conninfo, NULL);
	for (o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			snprintf(name, sizeof(name), "%s", o->val);
	PQconninfoFree(opts);
	free(conninfo);
	/* only ever a name test_db_new made: nothing to quote */
	if (strncmp(name, "t_", 2) != 0 ||
	    strspn(name + 2, "0123456789_") != strlen(name + 2))
		cr_assert_fail("test_db_drop: \"%s\" is not a test database",
		    name);
	c = db_admin();
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", name);
	/* on Citus, FORCE ends the sessions of the coordinator only, and
	 * the drop is not one transaction: a worker still serving a session
	 * of the test (55006) keeps its copy while the coordinator's goes.
	 * So the workers' sessions end first, and a retry that finds the
	 * database gone (3D000) has nothing left to do. */
	for (int tries = 0;; tries++) {
		char end[512];

		snprintf(end, sizeof(end), "DO $$ BEGIN IF to_regproc("
		    "'run_command_on_workers') IS NOT NULL THEN PERFORM "
		    "run_command_on_workers('SELECT count(pg_terminate_backend("
		    "pid)) FROM pg_stat_activity WHERE datname = ''%s'''); "
		    "END IF; END $$", name);
		db_exec(c, end, state, sizeof(state), msg, sizeof(msg));
		db_exec(c, sql, state, sizeof(state), msg, sizeof(msg));
		if (tries > 0 && strcmp(state, "3D000") == 0)
			*state = '\0';
		if (strcmp(state, "55006") != 0 || tries == 100)
			break;
		nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	PQfinish(c);
	if (*state != '\0')
		cr_assert_fail("test_db_drop: DROP DATABASE %s: %s", name, msg);
}

char *
test_email(const void *data, size_t len, const char *type,
    const char *filename, size_t *out_len)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	struct buf b;
	struct err e;
	char *out;

	buf_init(&b, (size_t)-1);
	buf_addf(&b, &e, "From: noreply-dmarc-support@example.net\r\n"
	    "To: dmarc-reports@example.com\r\n"
	    "Subject: Report domain: example.com\r\n"
	    "Message-ID: <%zu.%s@example.net>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
	    "--b1\r\nContent-Type: %s; name=\"%s\"\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", len, filename,
	    type, filename, filename);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		v |= i + 1 < len ? (unsigned)p[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned)p[i + 2] : 0;
		buf_addc(&b, abc[v >> 18 & 63], &e);
		buf_addc(&b, abc[v >> 12 & 63], &e);
		buf_addc(&b, i + 1 < len ? abc[v >> 6 & 63] : '=', &e);
		buf_addc(&b, i + 2 < len ? abc[v & 63] : '=', &e);
		if (i % 57 == 54)
			buf_adds(&b, "\r\n", &e);
	}
	buf_adds(&b, "\r\n--b1--\r\n", &e);
	out = xmalloc(b.len + 1);
	memcpy(out, b.data, b.len + 1);
	*out_len = b.len;
	buf_release(&b);
	return out;
}

void
test_write_file(const char *path, const void *data, size_t len)
{
	char *dir = xstrdup(path);
	FILE *f;

	for (char *p = strchr(dir + 1, '/'); p != NULL;
	    p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			perror(dir);
			abort();
		}
		*p = '/';
	}
	free(dir);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

struct db_value {
	char *value;
	int rows;
};

static int
db_value_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct db_value *v = ctx;

	(void)names, (void)err;
	if (v->rows++ == 0 && ncols > 0)
		v->value = xstrdup(values[0] != NULL ? values[0] : "");
	return 0;
}

char *
test_db_value(const char *conninfo, const char *sql)
{
	struct db_value v = { NULL, 0 };
	struct store *s = NULL;
	struct err err;

	if (store_open(&s, conninfo, &err) == -1)
		cr_assert_fail("%s", err.msg);
	if (store_select(s, sql, 0, NULL, db_value_row, &v, &err) == -1) {
		store_free(s);
		cr_assert_fail("%s: %s", sql, err.msg);
	}
	store_free(s);
	if (v.rows != 1 || v.value == NULL) {
		free(v.value);
		cr_assert_fail("%s: %d rows, want one value", sql, v.rows);
	}
	return v.value;
}

void
test_db_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	char state[8], msg[512];

	if (PQstatus(c) != CONNECTION_OK) {
		pq_error(msg, sizeof(msg), PQerrorMessage(c));
		PQfinish(c);
		cr_assert_fail("cannot connect: %s", msg);
	}
	db_exec(c, sql, state, sizeof(state), msg, sizeof(msg));
	PQfinish(c);
	if (*state != '\0')
		cr_assert_fail("%s: %s", sql, msg);
}

void
test_db_refuse_poisoned(const char *conninfo)
{
	test_db_exec(conninfo, "CREATE FUNCTION test_refuse_poisoned() "
	    "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
	    "NEW.dkim_selector = 'poisoned' OR NEW.delivery_result = "
	    "'poisoned' THEN RAISE EXCEPTION 'value refused' USING ERRCODE = "
	    "'23514'; END IF; RETURN NEW; END $$");
	/* (Citus passes a CREATE TRIGGER on to the workers as it was sent:
	 * one statement alone) */
	test_db_exec(conninfo, "DO $$ BEGIN " TEST_UNSAFE_TRIGGERS "CREATE "
	    "TRIGGER test_refuse_poisoned BEFORE INSERT ON failure_samples "
	    "FOR EACH ROW EXECUTE FUNCTION test_refuse_poisoned(); END $$");
}

bool
test_db_is_citus(const char *conninfo)
{
	return test_db_count(conninfo, "SELECT count(*) FROM pg_extension "
	    "WHERE extname = 'citus'") > 0;
}

long long
test_db_count(const char *conninfo, const char *sql)
{
	char *v = test_db_value(conninfo, sql), *end;
	long long n = strtoll(v, &end, 10);

	if (*end != '\0') {
		free(v);
		cr_assert_fail("%s: not a number", sql);
	}
	free(v);
	return n;
}

char *
test_shq(const char *s)
{
	struct buf b;
	char *out;

	buf_init(&b, 1u << 20);
	buf_addc(&b, '\'', NULL);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			buf_adds(&b, "'\\''", NULL);
		else
			buf_addc(&b, *s, NULL);
	buf_addc(&b, '\'', NULL);
	out = xstrdup(buf_str(&b));
	buf_release(&b);
	return out;
}

int
test_dmarcctl(const char *dir, const char *ci, const char *args,
    char **out, char **err)
{
	char *q = test_shq(ci), cmd[8192];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s%s%s%s --db %s %s", dir ? "cd " : "",
	    dir ? dir : "", dir ? " && " : "", DMARCCTL_BIN, q, args);
	free(q);
	rc = test_run(cmd, out, err);
	return rc;
}

unsigned
test_silent_udp(int *fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (*fd == -1 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(*fd, (struct sockaddr *)&sa, &len) == -1)
		abort();
	return ntohs(sa.sin_port);
}

unsigned
test_free_port(int type)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	if (fd == -1)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

char *
test_db_migrated(void)
{
	char *ci = test_db_new(), *out, *err;
	int rc = test_dmarcctl(NULL, ci, "db migrate", &out, &err);

	cr_assert_eq(rc, 0, "dmarcctl db migrate: exit %d: %s", rc, err);
	free(out);
	free(err);
	return ci;
}

#define DNS_RIG FIXTURES "/../../scripts/dns-rig.sh"

unsigned
test_dns_start_records(const char *dir, const char *hosts,
    const char *records)
{
	char path[512], rpath[512], cmd[2048], *out = NULL, *err = NULL;
	unsigned port = 0;
	int st = -1;

	snprintf(path, sizeof(path), "%s/hosts", dir);
	test_write_file(path, hosts, strlen(hosts));
	snprintf(rpath, sizeof(rpath), "%s/records", dir);
	test_write_file(rpath, records != NULL ? records : "",
	    records != NULL ? strlen(records) : 0);
	/* another process may take the free port first: try a few */
	for (int attempt = 0; attempt < 3 && st != 0; attempt++) {
		port = test_free_port(SOCK_DGRAM);
		free(out);
		free(err);
		snprintf(cmd, sizeof(cmd), "DNS_RIG_OWNER=%ld '%s' start "
		    "'%s/rig' %u '%s' '%s'", (long)getpid(), DNS_RIG, dir, port,
		    path, rpath);
		st = test_run(cmd, &out, &err);
	}
	cr_assert_eq(st, 0, "dns-rig.sh start: %s", err);
	free(out);
	free(err);
	return port;
}

unsigned
test_dns_start(const char *dir, const char *hosts)
{
	return test_dns_start_records(dir, hosts, NULL);
}

void
test_dns_stop(const char *dir)
{
	char cmd[2048], *out, *err;

	snprintf(cmd, sizeof(cmd), "'%s' stop '%s/rig'", DNS_RIG, dir);
	if (test_run(cmd, &out, &err) != 0)
		cr_log_error("dns-rig.sh stop: %s", err);
	free(out);
	free(err);
}
