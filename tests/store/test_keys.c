/*
 * The store's keys: values past PostgreSQL's B-tree row limit are stored
 * whole and read back whole; the duplicate key ignores record order and
 * the case of the reporter's name; rows stored before sql/007 keep a key of
 * their own; the C cut of key columns is the SQL one.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/buf.h"
#include "common/sha256.h"
#include "common/stream.h"
#include "store/migrations.h"
#include "store/store.h"
#include "tests/test_util.h"

/* a DMARC report; records "a" and "b" in the order given */
static char *
dmarc_xml(const char *org, const char *id, const char *domain,
    const char *order, const char *mx_ip)
{
	struct buf b;
	struct err err;

	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>r@example.net"
	    "</email><report_id>%s</report_id><date_range><begin>1714521600"
	    "</begin><end>1714607999</end></date_range></report_metadata>"
	    "<policy_published><domain>%s</domain><p>none</p>"
	    "</policy_published>", org, id, domain), 0);
	for (const char *o = order; *o != '\0'; o++)
		cr_assert_eq(buf_addf(&b, &err, "<record><row><source_ip>%s"
		    "</source_ip><count>%d</count><policy_evaluated>"
		    "<disposition>none</disposition><dkim>pass</dkim><spf>"
		    "fail</spf></policy_evaluated></row><identifiers>"
		    "<header_from>%s</header_from></identifiers>"
		    "<auth_results><dkim><domain>%s</domain><result>pass"
		    "</result></dkim></auth_results></record>",
		    *o == 'a' ? "192.0.2.1" : mx_ip, *o == 'a' ? 3 : 5,
		    domain, domain), 0);
	cr_assert_eq(buf_addf(&b, &err, "</feedback>\n"), 0);
	return b.data;
}

/* a TLS-RPT report with one policy whose names are long */
static char *
tls_json(const char *org, const char *id, const char *domain,
    const char *type, const char *mx)
{
	struct buf b;
	struct err err;

	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "{\"organization-name\":\"%s\","
	    "\"date-range\":{\"start-datetime\":\"2024-05-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-05-01T23:59:59Z\"},\"contact-info\":"
	    "\"r@example.net\",\"report-id\":\"%s\",\"policies\":[{\"policy\":"
	    "{\"policy-type\":\"%s\",\"policy-string\":[\"version: STSv1\"],"
	    "\"policy-domain\":\"%s\",\"mx-host\":[\"%s\"]},\"summary\":{"
	    "\"total-successful-session-count\":7,"
	    "\"total-failure-session-count\":2},\"failure-details\":[{"
	    "\"result-type\":\"%s\",\"sending-mta-ip\":\"192.0.2.9\","
	    "\"receiving-mx-hostname\":\"%s\",\"failed-session-count\":2}]}]}",
	    org, id, type, domain, mx, type, mx), 0);
	return b.data;
}

/* n bytes of letters that do not repeat: nothing for TOAST to squeeze */
static char *
random_text(size_t n, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), sfx = strlen(suffix);
	char *v = malloc(p + n + sfx + 1);
	unsigned x = 2463534242u;

	cr_assert_not_null(v);
	memcpy(v, prefix, p);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[p + i] = (char)('a' + x % 26);
	}
	memcpy(v + p + n, suffix, sfx + 1);
	return v;
}

static struct store *
open_migrated(char **ci)
{
	struct store *s = NULL;
	struct err err;
	unsigned applied;

	*ci = test_db_new();
	cr_assert_eq(store_open(&s, *ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	return s;
}

/* why the last input failed, for the assertion that says so */
static char last_failure[512];

static void
on_failure(void *ctx, const struct err *why)
{
	(void)ctx;
	snprintf(last_failure, sizeof(last_failure), "%s", why->msg);
}

/* one unit through the store's sink, archived with it */
static void
load(struct store *s, const char *data, const char *name)
{
	struct report_limits lim;
	struct report_stats st;
	struct report_sink sink;
	struct store_unit u;
	struct stream *in = NULL;
	struct sha256 h;
	struct err err;
	size_t len = strlen(data);

	memset(&u, 0, sizeof(u));
	u.source = name;
	u.size = len;
	u.encoding = "identity";
	u.data = data;
	u.len = len;
	sha256_init(&h);
	sha256_add(&h, data, len);
	sha256_done(&h, u.sha256);
	store_set_unit(s, &u);
	store_sink(s, &sink);
	sink.on_failure = on_failure;
	report_limits_default(&lim);
	stream_new_mem(&in, data, len, name);
	*last_failure = '\0';
	cr_assert_eq(report_parse(in, name, &lim, &sink, &st, &err), 0,
	    "%s: %s", name, err.msg);
	stream_free(in);
	cr_assert_eq(st.failures, 0, "%s: %s", name, last_failure);
	cr_assert_eq(st.reports, 1, "%s: %u reports", name, st.reports);
}

static char *
sqlq(const char *v)
{
	struct buf b;
	struct err err;

	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addc(&b, '\'', &err), 0);
	for (; *v != '\0'; v++)
		cr_assert_eq((*v == '\'' ? buf_add(&b, "''", 2, &err) :
		    buf_addc(&b, *v, &err)), 0);
	cr_assert_eq(buf_addc(&b, '\'', &err), 0);
	return b.data;
}

/* the values of query sql, which must be the one row's one column */
static void
expect_value(const char *ci, const char *sql, const char *want)
{
	char *v = test_db_value(ci, sql);

	cr_expect_str_eq(v, want, "%s", sql);
	free(v);
}

Test(store_keys, long_dmarc_values_are_stored_whole)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	/* 3 kB each: one alone is past the B-tree limit (2704 bytes) */
	char *org = random_text(3000, "\xc3\x96rg ", "");
	char *id = random_text(3000, "", "");
	/* ASCII: the parsers refuse a name this long that needs IDNA */
	char *domain = random_text(3000, "d", ".example.com");
	char *xml = dmarc_xml(org, id, domain, "ab", "198.51.100.7");
	char *xml2 = dmarc_xml(org, id, domain, "ab", "198.51.100.8");
	char sql[512], *qorg = sqlq(org), *qid = sqlq(id), *qdom = sqlq(domain);
	struct buf b;
	struct err err;

	load(s, xml, "long.xml");
	/* another report of the same long key (other records): new */
	load(s, xml2, "long2.xml");
	cr_expect_eq(store_stats(s)->reports_new, 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 2);
	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "SELECT count(*) FROM reports WHERE "
	    "org_name = %s AND report_id = %s AND domain_full = %s AND "
	    "domain = dmarcctl_cap(%s) AND octet_length(domain) <= 255", qorg,
	    qid, qdom, qdom), 0);
	cr_expect_eq(test_db_count(ci, b.data), 2, "%s", "values read back");
	buf_reset(&b);
	/* the cut domain keys the records; a cut name is whole characters */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports WHERE "
	    "octet_length(domain) = 255"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM domain_daily "
	    "WHERE left(org_name, 1) = '\xc3\x96' AND octet_length(org_name) "
	    "BETWEEN 252 AND 255"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM records r JOIN "
	    "reports p ON p.domain = r.domain AND p.id = r.report"), 4);
	cr_assert_eq(buf_addf(&b, &err, "SELECT count(*) FROM domain_daily "
	    "WHERE org_name = dmarcctl_cap(%s) AND messages = 16", qorg), 0);
	cr_expect_eq(test_db_count(ci, b.data), 1, "rollup: %s", b.data);
	snprintf(sql, sizeof(sql), "SELECT sum(messages) FROM source_daily");
	expect_value(ci, sql, "16");
	buf_release(&b);
	free(qorg);
	free(qid);
	free(qdom);
	free(xml);
	free(xml2);
	free(org);
	free(id);
	free(domain);
	store_free(s);
	test_db_drop(ci);
}

Test(store_keys, long_tls_names_are_stored_whole)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	char *org = random_text(3000, "", "");
	char *domain = random_text(3000, "", ".example");
	char *type = random_text(3000, "sts", "");
	char *mx = random_text(3000, "mx.", ".example");
	char *js = tls_json(org, "r1", domain, type, mx);
	char *qmx = sqlq(mx), *qtype = sqlq(type);
	struct buf b;
	struct err err;

	load(s, js, "long.json");
	cr_expect_eq(store_stats(s)->reports_new, 1);
	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "SELECT count(*) FROM tls_policies p "
	    "JOIN tls_failures f USING (domain, report, pol_no) WHERE "
	    "p.policy_type = %s AND f.receiving_mx_hostname = %s AND "
	    "p.mx_hosts[1] = %s", qtype, qmx, qmx), 0);
	cr_expect_eq(test_db_count(ci, b.data), 1, "read back whole");
	buf_reset(&b);
	cr_assert_eq(buf_addf(&b, &err, "SELECT count(*) FROM "
	    "tls_daily_failures WHERE mx = dmarcctl_cap(%s) AND result_type = "
	    "dmarcctl_cap(%s) AND sessions = 2", qmx, qtype), 0);
	cr_expect_eq(test_db_count(ci, b.data), 1, "rollup %s", b.data);
	cr_expect_eq(test_db_count(ci, "SELECT sum(successful) FROM "
	    "tls_daily WHERE octet_length(policy_type) = 255"), 7);
	/* again: a duplicate, nothing new */
	load(s, js, "long-again.json");
	cr_expect_eq(store_stats(s)->reports_duplicate, 1);
	buf_release(&b);
	free(qmx);
	free(qtype);
	free(js);
	free(org);
	free(domain);
	free(type);
	free(mx);
	store_free(s);
	test_db_drop(ci);
}

Test(store_keys, record_order_and_reporter_case_do_not_make_new_reports)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	char *ab = dmarc_xml("Example Mail", "r-1", "example.com", "ab",
	    "198.51.100.7");
	char *ba = dmarc_xml("Example Mail", "r-1", "example.com", "ba",
	    "198.51.100.7");
	char *upper = dmarc_xml("EXAMPLE MAIL", "r-1", "example.com", "ab",
	    "198.51.100.7");
	char *lower_ba = dmarc_xml("example mail", "r-1", "example.com", "ba",
	    "198.51.100.7");
	/* not duplicates: another record, the same record twice, another
	 * report id (ids keep their case) */
	char *other = dmarc_xml("Example Mail", "r-1", "example.com", "ab",
	    "198.51.100.8");
	char *twice = dmarc_xml("Example Mail", "r-1", "example.com", "abb",
	    "198.51.100.7");
	char *id_case = dmarc_xml("Example Mail", "R-1", "example.com", "ab",
	    "198.51.100.7");

	load(s, ab, "ab.xml");
	load(s, ba, "ba.xml");
	load(s, upper, "upper.xml");
	load(s, lower_ba, "lower-ba.xml");
	cr_expect_eq(store_stats(s)->reports_new, 1);
	cr_expect_eq(store_stats(s)->reports_duplicate, 3);
	load(s, other, "other.xml");
	load(s, twice, "twice.xml");
	load(s, id_case, "id-case.xml");
	cr_expect_eq(store_stats(s)->reports_new, 4);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 4);
	/* the duplicates added nothing to the rollups */
	cr_expect_eq(test_db_count(ci, "SELECT sum(reports) FROM "
	    "domain_daily"), 4);
	free(ab);
	free(ba);
	free(upper);
	free(lower_ba);
	free(other);
	free(twice);
	free(id_case);
	store_free(s);
	test_db_drop(ci);
}

/* statements without results, as psql -c would run them */
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

/* the schema as it was before sql/007 */
static void
migrate_before_keys(const char *ci)
{
	struct buf b;
	struct err err;

	exec_sql(ci, "CREATE TABLE dmarcctl_migrations (version integer "
	    "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
	    "DEFAULT now())");
	buf_init(&b, 4u << 20);
	for (size_t i = 0; i < n_migrations && migrations[i].version < 7;
	    i++) {
		buf_reset(&b);
		cr_assert_eq(buf_addf(&b, &err, "%s; INSERT INTO "
		    "dmarcctl_migrations (version, name) VALUES (%d, '%s')",
		    migrations[i].sql, migrations[i].version,
		    migrations[i].name), 0);
		exec_sql(ci, buf_str(&b));
	}
	buf_release(&b);
}

Test(store_keys, rows_stored_before_keys_stay_unique)
{
	char *ci = test_db_new();
	struct store *s = NULL;
	struct err err;
	unsigned applied;
	char *xml = dmarc_xml("Old Mail", "old-1", "example.com", "ab",
	    "198.51.100.7");
	char *other = dmarc_xml("Old Mail", "old-1", "example.com", "ab",
	    "198.51.100.8");
	char *v, *qxml = sqlq(xml);
	struct buf b;

	migrate_before_keys(ci);
	/* two old rows that differ in the content hash only, the first from
	 * the archived original xml */
	buf_init(&b, 1u << 20);
	cr_assert_eq(buf_addf(&b, &err, "INSERT INTO raw_inputs (sha256, "
	    "encoding, content, size, source) VALUES (sha256(convert_to(%s, "
	    "'UTF8')), 'identity', convert_to(%s, 'UTF8'), 1, 'old.xml')",
	    qxml, qxml), 0);
	exec_sql(ci, buf_str(&b));
	buf_release(&b);
	exec_sql(ci, "INSERT INTO reports (domain, kind, org_name, "
	    "report_id, begin_at, end_at, content_sha256, records, messages, "
	    "raw_id) SELECT 'example.com', 'dmarc', 'Old Mail', 'old-1', "
	    "'2024-05-01T00:00:00Z', '2024-05-01T23:59:59Z', h, 2, 8, CASE "
	    "WHEN r THEN (SELECT id FROM raw_inputs) END FROM (VALUES "
	    "('\\x01'::bytea, true), ('\\x02', false)) t (h, r)");
	cr_assert_eq(store_open(&s, ci, &err), 0, "%s", err.msg);
	cr_assert_eq(store_migrate(s, &applied, NULL, &err), 0, "%s", err.msg);
	cr_expect_eq(applied, n_migrations - 6);
	cr_expect_eq(test_db_count(ci, "SELECT count(DISTINCT report_key) "
	    "FROM reports WHERE report_key IS NOT NULL"), 2);
	/* the v1 key is what the migration says it is */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports WHERE "
	    "report_key = sha256(dmarcctl_key_field('v1') || "
	    "dmarcctl_key_field('dmarc') || dmarcctl_key_field('Old Mail') || "
	    "dmarcctl_key_field('old-1') || dmarcctl_key_field("
	    "'2024-05-01T00:00:00Z') || dmarcctl_key_field("
	    "'2024-05-01T23:59:59Z') || dmarcctl_key_field(content_sha256))"),
	    2);
	/* an old row cannot be stored twice: the new key is unique too */
	v = test_db_value(ci, "SELECT count(*) FROM (SELECT domain, "
	    "report_key FROM reports GROUP BY 1, 2 HAVING count(*) > 1) d");
	cr_expect_str_eq(v, "0");
	free(v);
	/* the same original again: known, though its key is v1 */
	load(s, xml, "old-again.xml");
	cr_expect_eq(store_stats(s)->reports_duplicate, 1);
	cr_expect_eq(store_stats(s)->reports_new, 0);
	/* new reports load beside them */
	load(s, other, "new.xml");
	cr_expect_eq(store_stats(s)->reports_new, 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM reports"), 3);
	free(qxml);
	free(other);
	free(xml);
	store_free(s);
	test_db_drop(ci);
}

Test(store_keys, c_and_sql_cut_names_alike)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	/* 1-, 2-, 3- and 4-byte characters across the 255th byte */
	static const char *const units[] = { "a", "é", "€", "𝄞" };
	struct buf b, q;
	struct err err;

	buf_init(&b, 1u << 20);
	buf_init(&q, 1u << 20);
	for (size_t u = 0; u < 4; u++) {
		for (size_t shift = 0; shift < 4; shift++) {
			char *quoted, *v;
			size_t n;

			buf_reset(&b);
			for (size_t i = 0; i < shift; i++)
				cr_assert_eq(buf_addc(&b, 'x', &err), 0);
			while (b.len < 300)
				cr_assert_eq(buf_addf(&b, &err, "%s", units[u]),
				    0);
			n = store_key_cap(buf_str(&b));
			cr_expect_leq(n, STORE_KEY_MAX);
			cr_expect_gt(n, STORE_KEY_MAX - 4);
			cr_expect_neq((unsigned char)b.data[n] & 0xc0, 0x80,
			    "cut inside a character");
			quoted = sqlq(buf_str(&b));
			buf_reset(&q);
			cr_assert_eq(buf_addf(&q, &err, "SELECT octet_length("
			    "dmarcctl_cap(%s))", quoted), 0);
			v = test_db_value(ci, buf_str(&q));
			cr_expect_eq(strtoul(v, NULL, 10), n, "%s: sql %s, "
			    "c %zu", units[u], v, n);
			free(v);
			free(quoted);
		}
	}
	cr_expect_eq(store_key_cap("short.example"), 13);
	buf_release(&b);
	buf_release(&q);
	store_free(s);
	test_db_drop(ci);
}

/* the first and the last year the parsers let in (1970..9999) */
Test(store_keys, the_edge_years_key_their_day)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	static const char *const years[] = { "1970-01-01", "9999-12-31" };

	for (int i = 0; i < 2; i++) {
		char js[1024], name[32];

		snprintf(js, sizeof(js), "{\"organization-name\":"
		    "\"old.example\",\"date-range\":{\"start-datetime\":"
		    "\"%sT00:00:00Z\",\"end-datetime\":\"%sT23:59:59Z\"},"
		    "\"contact-info\":\"r@example.net\",\"report-id\":\"y%d\","
		    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
		    "\"policy-domain\":\"example.com\"},\"summary\":{"
		    "\"total-successful-session-count\":1,"
		    "\"total-failure-session-count\":0}}]}", years[i],
		    years[i], i);
		snprintf(name, sizeof(name), "y%d.json", i);
		load(s, js, name);
	}
	cr_expect_eq(store_stats(s)->reports_new, 2);
	expect_value(ci, "SELECT string_agg(day::text, ' ' ORDER BY day) "
	    "FROM tls_daily", "1970-01-01 9999-12-31");
	expect_value(ci, "SELECT max(begin_at) FROM reports", "9999-12-31 "
	    "00:00:00+00");
	store_free(s);
	test_db_drop(ci);
}

Test(store_keys, long_error_sources_are_recorded_once)
{
	char *ci = NULL;
	struct store *s = open_migrated(&ci);
	/* an IMAP folder or a path of 3 kB, and a cause that fills err */
	char *source = random_text(3000, "imap:", "/4711");
	struct store_unit u;
	struct err why, err;
	struct buf q;

	memset(&u, 0, sizeof(u));
	u.source = source;
	err_set(&why, ERR_PARSE, "%.250s", source + 5);
	for (int i = 0; i < 2; i++) {
		store_set_unit(s, &u);
		cr_assert_eq(store_record_error(s, &why, &err), 0, "%s",
		    err.msg);
	}
	buf_init(&q, 1u << 20);
	cr_assert_eq(buf_addf(&q, &err, "SELECT count(*) FROM ingest_errors "
	    "WHERE octet_length(source) = %zu AND octet_length(cause) = 250",
	    strlen(source)), 0);
	cr_expect_eq(test_db_count(ci, buf_str(&q)), 1, "one row, whole");
	buf_release(&q);
	free(source);
	store_free(s);
	test_db_drop(ci);
}
