/*
 * The Grafana dashboards of grafana/dashboards, proved against a real
 * database: the demo's three weeks of reports (build/demo-gen) ingested
 * into a fresh database, then every query of every dashboard file (the
 * panels, those nested in rows, and the template variables), with
 * Grafana's PostgreSQL macros and variables expanded the way Grafana
 * expands them, run as the read-only role dmarcctl_grafana.  A query that
 * fails, reads a table, uses a macro Grafana does not have, returns the
 * wrong columns, returns nothing, or cannot use the rollups' indexes for
 * its time range fails make check.  A new dashboard file is covered as
 * soon as it is in the folder.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define GRAFANA FIXTURES "/../../grafana"
#define DASHBOARDS GRAFANA "/dashboards"
#define DS_YAML GRAFANA "/provisioning/datasources/dmarcctl.yaml"
#define ROLE "dmarcctl_grafana"
#define DEMO_DOMAIN "acme-widgets.example"
#define DAY 86400

static void become_grafana(PGconn *c, const char *ci);

/* --- running dmarcctl and demo-gen --- */

/* `dmarcctl --db CI ARGS`: the exit status; stderr in the message */
static int
dm(const char *ci, const char *args)
{
	char *out, *err;
	int rc = test_dmarcctl(NULL, ci, args, &out, &err);
	if (rc != 0 && rc != 65)
		cr_log_error("dmarcctl %s: exit %d: %s", args, rc, err);
	free(out);
	free(err);
	return rc;
}

/* the demo generator, built beside dmarcctl (make $(B)/demo-gen) */
static void
demo_gen_path(char *out, size_t size)
{
	const char *bin = DMARCCTL_BIN;
	const char *slash = strrchr(bin, '/');

	snprintf(out, size, "%.*s/demo-gen", (int)(slash - bin), bin);
}

static PGconn *
connect_ok(const char *ci)
{
	PGconn *c = PQconnectdb(ci);

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "connect: %s",
	    PQerrorMessage(c));
	return c;
}

static void
command_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(r);
}

/*
 * A fresh database holding the demo: 21 days of DMARC and TLS reports of
 * acme-widgets.example and its four failure reports (two of the outbound
 * gateway breaking our DKIM body hash, two of spoofers) ingested, one
 * refused input (a message that holds no report), the analyzer's
 * verdict and source classes, and reverse-DNS names for the senders in
 * the documentation ranges (as `dmarcctl sources` would cache them).
 */
static char *
demo_db(void)
{
	char *ci = test_db_new(), *dir = test_tmpdir(), *out, *err;
	char gen[1024], cmd[4096], args[2048];
	PGconn *c;

	cr_assert_eq(dm(ci, "db migrate"), 0);
	demo_gen_path(gen, sizeof(gen));
	snprintf(cmd, sizeof(cmd), "%s -d 21 -o %s/mail", gen, dir);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s (make %s first): %s",
	    cmd, gen, err);
	free(out);
	free(err);
	/* a message without a report is refused */
	snprintf(args, sizeof(args), "ingest %s/mail", dir);
	cr_assert_eq(dm(ci, args), 65);
	cr_assert_eq(dm(ci, "advise --no-dns"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(dir);
	c = connect_ok(ci);
	command_ok(c, "INSERT INTO rdns_cache (ip, name, status, expires_at) "
	    "SELECT DISTINCT source, 'host-' || translate(source, '.:', '--') "
	    "|| '.example', 'ok', now() + interval '1 day' FROM source_daily "
	    "WHERE source LIKE '192.0.2.%' OR source LIKE '198.51.100.%'");
	PQfinish(c);
	return ci;
}

/* --- Grafana's expansion of a panel query --- */

struct expand {
	char from[32], to[32];	/* the time range, as Grafana's RFC 3339 */
	const char *interval;	/* $__interval as Grafana writes it: "1d" */
	const char *domains;	/* $domain: a quoted list, 'a','b' */
};

static void
rfc3339(char *out, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* an interval as Grafana parses it (1d, 12h, 7d, 1w...): seconds, or -1 */
static long long
interval_secs(const char *s, size_t len)
{
	static const struct {
		const char *unit;
		long long secs;
	} units[] = { { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", DAY },
		{ "w", 7 * DAY }, { "y", 365 * DAY } };
	long long n = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		n = n * 10 + (s[i] - '0');
	if (i == 0 || n == 0)
		return -1;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (len - i == strlen(units[u].unit) &&
		    memcmp(s + i, units[u].unit, len - i) == 0)
			return n * units[u].secs;
	return -1;
}

static size_t
ident_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	    (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n;
}

/*
 * First pass, as Grafana's front end does: template variables ($domain,
 * ${domain}, $__interval, $__interval_ms).  $name( is a macro, left for
 * the second pass.  An unknown variable is an error (Grafana would send
 * it to the database as is).
 */
static bool
expand_variables(const char *sql, const struct expand *x, struct buf *out,
    char *why, size_t n)
{
	struct err e;

	for (const char *p = sql; *p != '\0';) {
		const char *name = p + 1;
		size_t len;
		bool is_braced = p[0] == '$' && p[1] == '{';

		if (p[0] != '$') {
			buf_addc(out, *p++, &e);
			continue;
		}
		name += is_braced;
		len = ident_len(name);
		if (!is_braced && name[len] == '(') {	/* a macro */
			buf_add(out, p, 1 + len, &e);
			p += 1 + len;
			continue;
		}
		if (len == 6 && memcmp(name, "domain", 6) == 0)
			buf_adds(out, x->domains, &e);
		else if (len == 10 && memcmp(name, "__interval", 10) == 0)
			buf_adds(out, x->interval, &e);
		else if (len == 13 && memcmp(name, "__interval_ms", 13) == 0)
			buf_addf(out, &e, "%lld", 1000 * interval_secs(
			    x->interval, strlen(x->interval)));
		else {
			snprintf(why, n, "unknown variable $%.*s", (int)len,
			    name);
			return false;
		}
		p = name + len + (is_braced && name[len] == '}');
	}
	return true;
}

/* Grafana's PostgreSQL macros (pkg/tsdb/grafana-postgresql-datasource,
 * macros.go): only those dmarcctl's dashboards may use. */
static bool
expand_macro(const char *name, size_t len, char **args, size_t nargs,
    const struct expand *x, struct buf *out, char *why, size_t n)
{
	struct err e;
	long long secs;

#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
	if (IS("__timeFilter") && nargs == 1 && *args[0] != '\0')
		buf_addf(out, &e, "%s BETWEEN '%s' AND '%s'", args[0], x->from,
		    x->to);
	else if (IS("__timeFrom") && nargs == 1 && *args[0] == '\0')
		buf_addf(out, &e, "'%s'", x->from);
	else if (IS("__timeTo") && nargs == 1 && *args[0] == '\0')
		buf_addf(out, &e, "'%s'", x->to);
	else if (IS("__timeGroupAlias") && (nargs == 2 || nargs == 3)) {
		const char *iv = args[1];
		size_t ivlen = strlen(iv);

		if (ivlen >= 2 && iv[0] == '\'' && iv[ivlen - 1] == '\'') {
			iv++;
			ivlen -= 2;
		}
		secs = interval_secs(iv, ivlen);
		if (secs <= 0) {
			snprintf(why, n, "bad interval '%s'", args[1]);
			return false;
		}
		buf_addf(out, &e, "floor(extract(epoch from %s)/%lld)*%lld "
		    "AS \"time\"", args[0], secs, secs);
	} else {
		snprintf(why, n, "macro $%.*s with %zu arguments: not one of "
		    "$__timeFilter(col), $__timeGroupAlias(col, interval), "
		    "$__timeFrom(), $__timeTo()", (int)len, name, nargs);
		return false;
	}
#undef IS
	return true;
}

/* Second pass, as Grafana's back end does: $name(args), args without ')'
 * split at commas and trimmed. */
static bool
expand_macros(const char *sql, const struct expand *x, struct buf *out,
    char *why, size_t n)
{
	struct err e;

	for (const char *p = sql; *p != '\0';) {
		size_t len = p[0] == '$' ? ident_len(p + 1) : 0;
		const char *close;
		char *inner, *args[8], *a;
		size_t nargs = 0;
		bool ok;

		if (p[0] != '$' || p[1 + len] != '(') {
			if (p[0] == '$') {
				snprintf(why, n, "unexpanded '%.20s'", p);
				return false;
			}
			buf_addc(out, *p++, &e);
			continue;
		}
		close = strchr(p + 2 + len, ')');
		if (close == NULL) {
			snprintf(why, n, "unclosed macro '%.20s'", p);
			return false;
		}
		inner = xstrndup(p + 2 + len, (size_t)(close - p - 2 - len));
		for (a = inner; nargs < 8;) {
			char *comma = strchr(a, ',');
			char *end;

			if (comma != NULL)
				*comma = '\0';
			while (*a == ' ' || *a == '\n' || *a == '\t')
				a++;
			end = a + strlen(a);
			while (end > a && (end[-1] == ' ' || end[-1] == '\n' ||
			    end[-1] == '\t'))
				*--end = '\0';
			args[nargs++] = a;
			if (comma == NULL)
				break;
			a = comma + 1;
		}
		ok = expand_macro(p + 1, len, args, nargs, x, out, why, n);
		free(inner);
		if (!ok)
			return false;
		p = close + 1;
	}
	return true;
}

/* the query Grafana would send: malloc'd, or NULL with why */
static char *
expand_sql(const char *sql, const struct expand *x, char *why, size_t n)
{
	struct buf vars, final;
	char *out = NULL;

	buf_init(&vars, 1u << 20);
	buf_init(&final, 1u << 20);
	if (expand_variables(sql, x, &vars, why, n) &&
	    expand_macros(buf_str(&vars), x, &final, why, n))
		out = xstrdup(buf_str(&final));
	buf_release(&vars);
	buf_release(&final);
	return out;
}

Test(grafana, expands_macros_as_grafana_does)
{
	struct expand x = { .interval = "1d", .domains = "'a.example'" };
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "SELECT $__timeGroupAlias(\"time\", $__interval), 1 "
		  "WHERE $__timeFilter(day) AND domain IN ($domain)",
		  "SELECT floor(extract(epoch from \"time\")/86400)*86400 AS "
		  "\"time\", 1 WHERE day BETWEEN '2024-05-01T00:00:00Z' AND "
		  "'2024-05-31T00:00:00Z' AND domain IN ('a.example')" },
		{ "$__timeFrom() < $__timeTo() AND ${domain} <> ''",
		  "'2024-05-01T00:00:00Z' < '2024-05-31T00:00:00Z' AND "
		  "'a.example' <> ''" },
		{ "$__timeGroupAlias(t, '7d') $__interval_ms",
		  "floor(extract(epoch from t)/604800)*604800 AS \"time\" "
		  "86400000" },
	};
	static const char *const bad[] = { "$__timeGroup(t, 1d)",
		"$__unixEpochFilter(t)", "$host", "$__timeFilter()",
		"$__timeGroupAlias(t, 1q)", "$__timeFilter(t" };
	char why[256], *got;

	rfc3339(x.from, sizeof(x.from), 1714521600);
	rfc3339(x.to, sizeof(x.to), 1714521600 + 30 * DAY);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = expand_sql(cases[i].in, &x, why, sizeof(why));
		cr_assert_not_null(got, "%s: %s", cases[i].in, why);
		cr_expect_str_eq(got, cases[i].want);
		free(got);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = expand_sql(bad[i], &x, why, sizeof(why));
		cr_expect_null(got, "%s expanded to %s", bad[i], got);
		free(got);
	}
}

/* --- the dashboard files --- */

struct dashboards {
	char **paths;
	size_t n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every *.json of grafana/dashboards, in name order */
static void
dashboards_list(struct dashboards *d)
{
	DIR *dir = opendir(DASHBOARDS);
	struct dirent *de;

	cr_assert_not_null(dir, "cannot open %s", DASHBOARDS);
	d->paths = NULL;
	d->n = 0;
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[1024];

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", DASHBOARDS, de->d_name);
		d->paths = xreallocarray(d->paths, d->n + 1,
		    sizeof(*d->paths));
		d->paths[d->n++] = xstrdup(path);
	}
	closedir(dir);
	qsort(d->paths, d->n, sizeof(*d->paths), cmp_str);
	cr_assert_geq(d->n, 4, "dashboards in %s: %zu", DASHBOARDS, d->n);
}

static void
dashboards_free(struct dashboards *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->paths[i]);
	free(d->paths);
}

static json_t *
dashboard_load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);

	cr_assert_not_null(j, "%s:%d: %s", path, je.line, je.text);
	cr_assert(json_is_object(j), "%s: not an object", path);
	return j;
}

static const char *
str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* `key: value` of the first line holding key in the datasource file,
 * quotes stripped */
static void
yaml_value(const char *key, char *out, size_t size)
{
	size_t len;
	char *text = test_slurp(DS_YAML, &len), *line = text, *v, *end;
	size_t klen = strlen(key);

	*out = '\0';
	for (; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		line += *line == '\n';
		v = line + strspn(line, " -");
		if (strncmp(v, key, klen) != 0 || v[klen] != ':')
			continue;
		v += klen + 1;
		v += strspn(v, " \"'");
		end = v + strcspn(v, "\"'\n #");
		snprintf(out, size, "%.*s", (int)(end - v), v);
		break;
	}
	free(text);
	cr_assert_neq(*out, '\0', "%s: no %s", DS_YAML, key);
}

/* one query of a dashboard: a panel target or a template variable */
typedef void (*query_fn)(void *ctx, const char *file, json_t *panel,
    json_t *target, const char *sql);

/* every panel, those of collapsed rows included */
static void
each_panel(json_t *panels, void (*fn)(void *ctx, json_t *panel), void *ctx)
{
	size_t i;
	json_t *p;

	json_array_foreach(panels, i, p) {
		fn(ctx, p);
		each_panel(json_object_get(p, "panels"), fn, ctx);
	}
}

struct walk {
	const char *file;
	query_fn fn;
	void *ctx;
	unsigned targets;
};

static void
walk_targets(void *ctx, json_t *panel)
{
	struct walk *w = ctx;
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(panel, "targets"), i, t) {
		w->fn(w->ctx, w->file, panel, t, str_of(t, "rawSql"));
		w->targets++;
	}
}

/* the variable's query: a string, or an object with rawSql or query */
static const char *
variable_sql(json_t *var)
{
	json_t *q = json_object_get(var, "query");

	if (json_is_object(q))
		return *str_of(q, "rawSql") != '\0' ? str_of(q, "rawSql") :
		    str_of(q, "query");
	return json_string_value(q) != NULL ? json_string_value(q) : "";
}

/* fn on every panel query and query variable of a dashboard */
static unsigned
each_query(const char *path, json_t *dash, query_fn fn, void *ctx)
{
	struct walk w = { base_name(path), fn, ctx, 0 };
	json_t *var;
	size_t i;

	each_panel(json_object_get(dash, "panels"), walk_targets, &w);
	json_array_foreach(json_object_get(json_object_get(dash, "templating"),
	    "list"), i, var)
		if (strcmp(str_of(var, "type"), "query") == 0) {
			fn(ctx, w.file, NULL, var, variable_sql(var));
			w.targets++;
		}
	return w.targets;
}

struct shape {
	const char *file;
	char uid[128], type[128];
	long ids[512];
	size_t n_ids;
};

static void
check_datasource(const struct shape *s, json_t *ds, const char *what)
{
	cr_expect(json_is_object(ds), "%s: %s has no datasource", s->file,
	    what);
	cr_expect_str_eq(str_of(ds, "uid"), s->uid, "%s: %s: datasource uid",
	    s->file, what);
	cr_expect_str_eq(str_of(ds, "type"), s->type,
	    "%s: %s: datasource type", s->file, what);
}

static void
check_panel(void *ctx, json_t *panel)
{
	struct shape *s = ctx;
	json_t *id = json_object_get(panel, "id"), *t;
	const char *title = str_of(panel, "title");
	size_t i;

	cr_expect(*title != '\0', "%s: a panel without a title", s->file);
	cr_assert(json_is_integer(id), "%s: panel '%s' has no id", s->file,
	    title);
	for (i = 0; i < s->n_ids; i++)
		cr_expect_neq(s->ids[i], json_integer_value(id),
		    "%s: panel id %lld twice ('%s')", s->file,
		    (long long)json_integer_value(id), title);
	cr_assert_lt(s->n_ids, 512);
	s->ids[s->n_ids++] = (long)json_integer_value(id);
	if (strcmp(str_of(panel, "type"), "row") == 0)
		return;
	cr_expect_gt(json_array_size(json_object_get(panel, "targets")), 0,
	    "%s: panel '%s' has no query", s->file, title);
	check_datasource(s, json_object_get(panel, "datasource"), title);
	json_array_foreach(json_object_get(panel, "targets"), i, t) {
		const char *fmt = str_of(t, "format");

		check_datasource(s, json_object_get(t, "datasource"), title);
		/* the code editor: rawSql is what runs */
		cr_expect(json_is_true(json_object_get(t, "rawQuery")) &&
		    strcmp(str_of(t, "editorMode"), "code") == 0,
		    "%s: panel '%s': not a raw SQL query", s->file, title);
		cr_expect(strcmp(fmt, "time_series") == 0 ||
		    strcmp(fmt, "table") == 0, "%s: panel '%s': format '%s'",
		    s->file, title, fmt);
		cr_expect(*str_of(t, "rawSql") != '\0',
		    "%s: panel '%s': empty query", s->file, title);
	}
}

Test(grafana, dashboards_are_well_formed)
{
	struct dashboards d;
	char uids[64][128];

	dashboards_list(&d);
	cr_assert_lt(d.n, 64);
	for (size_t i = 0; i < d.n; i++) {
		json_t *dash = dashboard_load(d.paths[i]), *var, *domain = NULL;
		struct shape s = { .file = base_name(d.paths[i]) };
		size_t k;

		yaml_value("uid", s.uid, sizeof(s.uid));
		yaml_value("type", s.type, sizeof(s.type));
		cr_expect(*str_of(dash, "title") != '\0', "%s: no title",
		    s.file);
		snprintf(uids[i], sizeof(uids[i]), "%s", str_of(dash, "uid"));
		cr_expect(*uids[i] != '\0', "%s: no uid", s.file);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(uids[j], uids[i], "%s: uid %s twice",
			    s.file, uids[i]);
		json_array_foreach(json_object_get(json_object_get(dash,
		    "templating"), "list"), k, var) {
			if (strcmp(str_of(var, "name"), "domain") == 0)
				domain = var;
			if (strcmp(str_of(var, "type"), "query") == 0)
				check_datasource(&s, json_object_get(var,
				    "datasource"), str_of(var, "name"));
		}
		cr_assert_not_null(domain, "%s: no domain variable", s.file);
		cr_expect_str_eq(str_of(domain, "type"), "query", "%s", s.file);
		cr_expect(json_is_true(json_object_get(domain, "multi")) &&
		    json_is_true(json_object_get(domain, "includeAll")),
		    "%s: domain is not multi-value with All", s.file);
		cr_expect(strstr(variable_sql(domain), "grafana_domains") !=
		    NULL, "%s: domain: %s", s.file, variable_sql(domain));
		each_panel(json_object_get(dash, "panels"), check_panel, &s);
		cr_expect_gt(s.n_ids, 0, "%s: no panels", s.file);
		json_decref(dash);
	}
	dashboards_free(&d);
}

/* --- the queries against the demo --- */

struct run {
	PGconn *c;
	const struct expand *x;
	bool want_rows;		/* the demo has data for every panel */
	bool check_plan;	/* EXPLAIN: index ranges on the time range */
	unsigned queries;
};

static bool
is_numeric(Oid t)
{
	/* int2 int4 int8 float4 float8 numeric */
	return t == 21 || t == 23 || t == 20 || t == 700 || t == 701 ||
	    t == 1700;
}

static bool
is_timeish(Oid t)
{
	/* the epoch of $__timeGroupAlias, or date, timestamp, timestamptz */
	return is_numeric(t) || t == 1082 || t == 1114 || t == 1184;
}

static int
column(const PGresult *r, const char *name)
{
	for (int i = 0; i < PQnfields(r); i++)
		if (strcmp(PQfname(r, i), name) == 0)
			return i;
	return -1;
}

/* time series: a "time" column in ascending order (Grafana turns long
 * frames into series only when sorted) and a number */
static void
check_time_series(const PGresult *r, const char *what)
{
	int t = column(r, "time"), values = 0;

	cr_expect_geq(t, 0, "%s: no \"time\" column", what);
	if (t < 0)
		return;
	cr_expect(is_timeish(PQftype(r, t)), "%s: \"time\" of type %u",
	    what, PQftype(r, t));
	for (int i = 0; i < PQnfields(r); i++)
		values += i != t && is_numeric(PQftype(r, i));
	cr_expect_gt(values, 0, "%s: no numeric column", what);
	for (int row = 1; row < PQntuples(r); row++) {
		const char *a = PQgetvalue(r, row - 1, t);
		const char *b = PQgetvalue(r, row, t);
		bool is_sorted = is_numeric(PQftype(r, t)) ?
		    strtod(a, NULL) <= strtod(b, NULL) : strcmp(a, b) <= 0;

		cr_expect(is_sorted, "%s: not ordered by time (%s, then %s)",
		    what, a, b);
		if (!is_sorted)
			break;
	}
}

/* stat, pie chart: a number, and with data one that is not NULL (an
 * aggregate over no rows still returns one) */
static void
check_values(const PGresult *r, bool want_value, const char *what)
{
	int values = 0, non_null = 0;

	for (int i = 0; i < PQnfields(r); i++) {
		if (!is_numeric(PQftype(r, i)))
			continue;
		values++;
		for (int row = 0; row < PQntuples(r); row++)
			non_null += !PQgetisnull(r, row, i);
	}
	cr_expect_gt(values, 0, "%s: no numeric column", what);
	if (want_value)
		cr_expect_gt(non_null, 0, "%s: no value from the demo's three "
		    "weeks", what);
}

/* the columns a panel names (overrides by name, organize) are there */
static void
check_named_columns(const PGresult *r, json_t *panel, const char *what)
{
	json_t *o, *tr, *fc = json_object_get(panel, "fieldConfig");
	size_t i;

	if (column(r, "metric") >= 0)	/* series are named by its values */
		return;
	json_array_foreach(json_object_get(fc, "overrides"), i, o) {
		json_t *m = json_object_get(o, "matcher");

		if (strcmp(str_of(m, "id"), "byName") == 0)
			cr_expect_geq(column(r, str_of(m, "options")), 0,
			    "%s: no column '%s' for an override", what,
			    str_of(m, "options"));
	}
	json_array_foreach(json_object_get(panel, "transformations"), i, tr) {
		static const char *const maps[] = { "renameByName",
			"indexByName", "excludeByName" };
		json_t *opt = json_object_get(tr, "options"), *v;
		const char *key;

		if (strcmp(str_of(tr, "id"), "organize") != 0)
			continue;
		for (size_t m = 0; m < 3; m++) {
			json_object_foreach(json_object_get(opt, maps[m]), key,
			    v) {
				cr_expect_geq(column(r, key), 0, "%s: no "
				    "column '%s' to organize", what, key);
			}
		}
	}
}

static const char *const raw_tables[] = { "records", "record_reasons",
	"dkim_results", "spf_results", "tls_policies", "tls_failures" };

/* a large table and the columns its time ranges are indexed on */
static const struct {
	const char *table, *cols[3];
} ranged[] = {
	{ "domain_daily", { "day" } },
	{ "source_daily", { "day" } },
	{ "tls_daily", { "day" } },
	{ "tls_daily_failures", { "day" } },
	{ "reports", { "begin_at", "ingested_at" } },
	{ "ingest_errors", { "at" } },
	{ "failure_samples", { "arrival_at" } },
};

/* a scan of a large table must be an index range on its time column */
static void
check_plan_node(json_t *node, const char *what)
{
	const char *rel = str_of(node, "Relation Name");
	const char *type = str_of(node, "Node Type");
	json_t *child;
	size_t i;

	for (i = 0; i < sizeof(raw_tables) / sizeof(raw_tables[0]); i++)
		cr_expect(strncmp(rel, raw_tables[i], strlen(raw_tables[i])) !=
		    0, "%s: reads %s: panels read the rollups", what, rel);
	for (i = 0; i < sizeof(ranged) / sizeof(ranged[0]); i++) {
		const char *cond = strcmp(type, "Bitmap Heap Scan") == 0 ?
		    str_of(node, "Recheck Cond") : str_of(node, "Index Cond");
		bool has_range = false;
		char pat[64];

		if (strcmp(rel, ranged[i].table) != 0)
			continue;
		for (size_t k = 0; k < 3 && ranged[i].cols[k] != NULL; k++) {
			snprintf(pat, sizeof(pat), "(%s ", ranged[i].cols[k]);
			has_range |= strstr(cond, pat) != NULL;
		}
		cr_expect(has_range, "%s: %s on %s without an index range on "
		    "its time (%s): slow on years of data", what, type, rel,
		    *cond != '\0' ? cond : "no condition");
	}
	json_array_foreach(json_object_get(node, "Plans"), i, child)
		check_plan_node(child, what);
}

/*
 * The plan with sequential scans priced out: on the demo's few rows a
 * sequential scan is cheapest, on years of data it is not; what matters
 * is that an index range can serve the query's time range at all.
 */
static void
check_plan(PGconn *c, const char *sql, const char *what)
{
	char *q = xmalloc(strlen(sql) + 32);
	PGresult *r;
	json_error_t je;
	json_t *plan;

	snprintf(q, strlen(sql) + 32, "EXPLAIN (FORMAT JSON) %s", sql);
	command_ok(c, "SET enable_seqscan = off");
	r = PQexec(c, q);
	free(q);
	command_ok(c, "RESET enable_seqscan");
	cr_expect_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: EXPLAIN: %s",
	    what, PQresultErrorMessage(r));
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		plan = json_loads(PQgetvalue(r, 0, 0), 0, &je);
		cr_expect_not_null(plan, "%s: EXPLAIN: %s", what, je.text);
		check_plan_node(json_object_get(json_array_get(plan, 0),
		    "Plan"), what);
		json_decref(plan);
	}
	PQclear(r);
}

static void
run_query(void *ctx, const char *file, json_t *panel, json_t *target,
    const char *raw)
{
	struct run *run = ctx;
	const char *kind = panel != NULL ? str_of(panel, "type") : "variable";
	const char *fmt = str_of(target, "format");
	char what[512], why[256], *sql;
	PGresult *r;

	snprintf(what, sizeof(what), "%s: %s '%s' (%s, domains %s)", file,
	    kind, panel != NULL ? str_of(panel, "title") :
	    str_of(target, "name"), run->x->interval, run->x->domains);
	run->queries++;
	sql = expand_sql(raw, run->x, why, sizeof(why));
	cr_expect_not_null(sql, "%s: %s", what, why);
	if (sql == NULL)
		return;
	r = PQexec(run->c, sql);
	cr_expect_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s\n%s", what,
	    PQresultErrorMessage(r), sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		cr_expect_gt(PQnfields(r), 0, "%s: no columns", what);
		if (run->want_rows)
			cr_expect_gt(PQntuples(r), 0, "%s: no rows from the "
			    "demo's three weeks\n%s", what, sql);
		if (panel == NULL)
			cr_expect_eq(PQnfields(r), 1, "%s: variable of %d "
			    "columns", what, PQnfields(r));
		else if (strcmp(fmt, "time_series") == 0)
			check_time_series(r, what);
		else if (strcmp(kind, "table") != 0)	/* stat, pie... */
			check_values(r, run->want_rows, what);
		if (panel != NULL)
			check_named_columns(r, panel, what);
		if (panel != NULL && run->check_plan)
			check_plan(run->c, sql, what);
	}
	PQclear(r);
	free(sql);
}

/* every query of every dashboard, with x, as the Grafana role */
static void
run_all(PGconn *c, const struct expand *x, bool want_rows, bool check_plan)
{
	struct run run = { c, x, want_rows, check_plan, 0 };
	struct dashboards d;

	dashboards_list(&d);
	for (size_t i = 0; i < d.n; i++) {
		json_t *dash = dashboard_load(d.paths[i]);

		cr_expect_gt(each_query(d.paths[i], dash, run_query, &run), 0,
		    "%s: no queries", d.paths[i]);
		json_decref(dash);
	}
	dashboards_free(&d);
	cr_log_info("%u queries run (%s, %s)", run.queries, x->interval,
	    x->domains);
}

static long long
count(const char *ci, const char *sql)
{
	return test_db_count(ci, sql);
}

/* the failure samples' view counts what failure_samples holds, per
 * day, and names the senders as grafana_sources does */
static void
check_failure_views(const char *ci)
{
	cr_expect_eq(count(ci, "SELECT count(*) FROM failure_samples"), 4);
	cr_expect_eq(count(ci, "SELECT sum(samples) FROM grafana_failures"),
	    count(ci, "SELECT count(*) FROM failure_samples"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM (SELECT domain, day, "
	    "sum(samples) AS n FROM grafana_failures GROUP BY 1, 2 EXCEPT "
	    "SELECT domain, (arrival_at AT TIME ZONE 'UTC')::date, count(*) "
	    "FROM failure_samples GROUP BY 1, 2) AS d"), 0);
	cr_expect_eq(count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'failure'"), 4);
	/* the gateway's footer breaking our signature: two samples of one
	 * sender, judged as in grafana_sources */
	cr_expect_eq(count(ci, "SELECT sum(samples) FROM grafana_failures "
	    "WHERE sender = 'mailgate-relay.example' AND class = 'relay' AND "
	    "auth_failure = 'bodyhash' AND dkim_domain = '" DEMO_DOMAIN "' "
	    "AND dkim_selector = 'mail2024' AND source LIKE '198.19.25.%'"),
	    2);
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_failures f JOIN "
	    "(SELECT DISTINCT domain, source, sender, class FROM "
	    "grafana_sources) s USING (domain, source) WHERE f.sender <> "
	    "s.sender OR f.class <> s.class"), 0);
	cr_expect_eq(count(ci, "SELECT sum(samples) FROM grafana_failures "
	    "WHERE auth_failure = 'dmarc'"), 2);
	/* metadata only: no column that can hold a local part, a subject,
	 * headers or a body */
	cr_expect_eq(count(ci, "SELECT count(*) FROM information_schema."
	    "columns WHERE table_name = 'grafana_failures' AND column_name "
	    "NOT IN ('domain', 'day', 'time', 'source', 'sender', 'class', "
	    "'auth_failure', 'dkim_domain', 'dkim_selector', "
	    "'delivery_result', 'samples')"), 0);
}

/* the views say what the rollups say */
static void
check_views(const char *ci)
{
	cr_expect_eq(count(ci, "SELECT sum(messages) FROM "
	    "grafana_dmarc_daily"), count(ci, "SELECT sum(messages) FROM "
	    "domain_daily"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_sources"),
	    count(ci, "SELECT count(*) FROM source_daily"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_domains WHERE "
	    "domain = '" DEMO_DOMAIN "'"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_domains"), 1);
	/* the ESP signing as itself: third-party, named */
	cr_expect_gt(count(ci, "SELECT count(*) FROM grafana_sources WHERE "
	    "source LIKE '198.51.100.%' AND class = 'third-party' AND name "
	    "LIKE 'host-198-51-100-%'"), 0);
	/* advise judged every source of its 30 days */
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_sources WHERE "
	    "class = 'unclassified'"), 0);
	cr_expect_eq(count(ci, "SELECT sum(reports) FROM grafana_ingest"),
	    count(ci, "SELECT count(*) FROM reports"));
	cr_expect_eq(count(ci, "SELECT sum(errors) FROM grafana_ingest"), 1);
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_ingest_errors"),
	    1);
	cr_expect_gt(count(ci, "SELECT sum(sessions) FROM grafana_tls_failures "
	    "WHERE result_type = 'certificate-expired' AND mx = "
	    "'mx2." DEMO_DOMAIN "'"), 0);
	cr_expect_eq(count(ci, "SELECT sum(sessions) FROM grafana_tls_daily"),
	    count(ci, "SELECT sum(successful + failed) FROM tls_daily"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_policy WHERE p = "
	    "'none'"), count(ci, "SELECT count(*) FROM reports WHERE kind = "
	    "'dmarc'"));
	cr_expect_eq(count(ci, "SELECT count(*) FROM grafana_verdicts WHERE "
	    "domain = '" DEMO_DOMAIN "'"), 1);
	check_failure_views(ci);
}

Test(grafana, every_panel_query_runs_on_the_demo, .timeout = 300)
{
	char *ci = demo_db();
	time_t now = time(NULL);
	struct expand x = { .interval = "1d",
		.domains = "'" DEMO_DOMAIN "','other.example'" };
	PGconn *c;

	check_views(ci);
	c = connect_ok(ci);
	/*
	 * The demo's three weeks put every row inside the dashboards' range:
	 * with statistics (autovacuum may have gathered them by now) the
	 * planner rightly skips the time index.  The plan check is about
	 * years of data, where the range is selective: plans are judged
	 * without statistics, and autovacuum may not gather them meanwhile
	 * (gathered first, so that the run does not depend on whether it
	 * already had).
	 */
	command_ok(c, "ANALYZE");
	/* (on Citus, DDL on a reference table after a distributed one in a
	 * transaction wants one connection per node) */
	command_ok(c, "DO $$ DECLARE r regclass; BEGIN PERFORM set_config("
	    "'citus.multi_shard_modify_mode', 'sequential', true); FOR r IN "
	    "SELECT c.oid "
	    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE n.nspname = current_schema() AND c.relkind = 'r' LOOP "
	    "EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = off)', "
	    "r); END LOOP; END $$");
	command_ok(c, "DELETE FROM pg_statistic WHERE starelid IN (SELECT "
	    "c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = "
	    "c.relnamespace WHERE n.nspname = current_schema())");
	/* Grafana's sessions keep the server's time zone: not UTC here */
	command_ok(c, "SET TIME ZONE 'America/New_York'");
	become_grafana(c, ci);

	/* the dashboards' default range, now-30d: every panel has data,
	 * and its time range is an index range on a large table */
	rfc3339(x.from, sizeof(x.from), now - 30 * DAY);
	rfc3339(x.to, sizeof(x.to), now + 60);	/* after the last arrival */
	run_all(c, &x, true, true);

	/* a longer range in weekly buckets */
	rfc3339(x.from, sizeof(x.from), now - 400 * DAY);
	x.interval = "7d";
	run_all(c, &x, true, false);

	/* a domain without data: empty or NULL, never an error */
	x.interval = "1d";
	x.domains = "'other.example'";
	run_all(c, &x, false, false);

	PQfinish(c);
	test_db_drop(ci);
}

/* --- the role --- */

/*
 * Become the Grafana role.  On Citus a query reaches the workers as the
 * current role, which must be able to log in there: Grafana logs in as a
 * role of its own in dmarcctl_grafana (README), and so does the test.
 */
static void
become_grafana(PGconn *c, const char *ci)
{
	if (!test_db_is_citus(ci)) {
		command_ok(c, "SET ROLE " ROLE);
		return;
	}
	/* roles belong to the cluster: another test may make it too */
	command_ok(c, "DO $$ BEGIN CREATE ROLE " ROLE "_login LOGIN IN ROLE "
	    ROLE "; EXCEPTION WHEN duplicate_object OR unique_violation THEN "
	    "NULL; END $$");
	command_ok(c, "SET ROLE " ROLE "_login");
}

/* the names of one column of a query's rows, one per line; malloc'd */
static char *
names(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	struct buf b;
	struct err e;
	char *out;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	buf_init(&b, 1u << 20);
	for (int i = 0; i < PQntuples(r); i++)
		buf_addf(&b, &e, "%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	out = xstrdup(buf_str(&b));
	buf_release(&b);
	return out;
}

/* SELECT from each relation named in list: is it allowed? */
static void
expect_readable(PGconn *c, const char *list, bool want, unsigned *n)
{
	for (const char *p = list; *p != '\0'; p = strchr(p, '\n') + 1) {
		char sql[512];
		PGresult *r;
		int len = (int)(strchr(p, '\n') - p);
		const char *state;

		snprintf(sql, sizeof(sql), "SELECT * FROM %.*s LIMIT 0", len,
		    p);
		r = PQexec(c, sql);
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (want)
			cr_expect_eq(PQresultStatus(r), PGRES_TUPLES_OK,
			    "%s as " ROLE ": %s", sql, PQerrorMessage(c));
		else
			cr_expect_str_eq(state != NULL ? state : "", "42501",
			    "%s as " ROLE ": %s", sql,
			    PQresultStatus(r) == PGRES_TUPLES_OK ? "allowed" :
			    PQerrorMessage(c));
		PQclear(r);
		(*n)++;
	}
}

Test(grafana, role_reads_the_views_and_nothing_else)
{
	char *a = test_db_new(), *b = test_db_new(), *tables, *views, *v;
	unsigned n_tables = 0, n_views = 0;
	bool is_citus;
	const char *state;
	PGresult *r;
	PGconn *c;

	/* the role belongs to the cluster: a second database migrates too */
	cr_assert_eq(dm(a, "db migrate"), 0);
	cr_assert_eq(dm(b, "db migrate"), 0);
	v = test_db_value(a, "SELECT rolcanlogin::text FROM pg_roles WHERE "
	    "rolname = '" ROLE "'");
	cr_expect_str_eq(v, "false");
	free(v);
	c = connect_ok(b);
	is_citus = test_db_is_citus(b);
	/* on Citus the role also reads the columns the views read (sql/
	 * 014_citus.sql): the tables it reads none of, and those columns
	 * that no view reads, stay closed */
	tables = names(c, "SELECT c.oid::regclass FROM pg_class c WHERE "
	    "c.relkind IN ('r', 'p') AND c.relnamespace = "
	    "current_schema()::regnamespace AND NOT (EXISTS (SELECT FROM "
	    "pg_extension WHERE extname = 'citus') AND "
	    "has_any_column_privilege('" ROLE "', c.oid, 'SELECT')) ORDER BY "
	    "1");
	/* (Citus's own views, citus_tables..., are not dmarcctl's) */
	views = names(c, "SELECT c.oid::regclass FROM pg_class c WHERE "
	    "c.relkind = 'v' AND c.relnamespace = "
	    "current_schema()::regnamespace AND NOT EXISTS (SELECT FROM "
	    "pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') ORDER BY "
	    "1");
	become_grafana(c, b);
	expect_readable(c, tables, false, &n_tables);
	expect_readable(c, views, true, &n_views);
	cr_expect_geq(n_tables, is_citus ? 3 : 15, "%s", tables);
	if (is_citus) {
		unsigned n_cols = 0;

		expect_readable(c, "(SELECT headers FROM failure_samples) h\n"
		    "(SELECT body FROM failure_samples) b\n"
		    "(SELECT email FROM reports) e\n"
		    "(SELECT extra_contact_info FROM reports) x\n"
		    "(SELECT content FROM raw_inputs) r\n", false, &n_cols);
	}
	cr_expect_geq(n_views, 9, "%s", views);
	cr_expect(strstr(views, "grafana_dmarc_daily\n") != NULL, "%s", views);
	/* nor write through one (simple views are updatable) */
	r = PQexec(c, "DELETE FROM grafana_dmarc_daily");
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	cr_expect_str_eq(state != NULL ? state : "", "42501", "DELETE: %s",
	    PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	free(tables);
	free(views);
	test_db_drop(a);
	test_db_drop(b);
}
