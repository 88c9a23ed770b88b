/*
 * dmarcctl dns, and advise and tls with what DNS holds now, end to end
 * against real servers on loopback: a private dnsmasq serving the test
 * zone (tests/fixtures/dns/zone.records), nginx serving MTA-STS policy
 * files with certificates of a test CA, and SMTP servers with STARTTLS
 * presenting a good, an expired and a wrong-name certificate, each on an
 * address of its own (scripts/dns-rig.sh, scripts/tls-rig.sh).
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define ZONE FIXTURES "/dns/zone"
#define TLS_RIG FIXTURES "/../../scripts/tls-rig.sh"
#define DAY 86400
/* a conninfo where no server listens: dns goes on without the reports */
#define NO_DB "host=127.0.0.1 port=1 connect_timeout=2"

static char *dir;		/* the rigs' files */
static char conf[600];		/* the config naming them */
static char conf_dead[600];	/* the same with a DNS server that is not
				 * there */

/* the SMTP servers: each MX of the zone that a probe meets */
static const struct {
	const char *addr, *cert, *mode;
} smtp[] = {
	{ "127.0.0.11", "good", "" },		/* mx.good.example, advise */
	{ "127.0.0.12", "good", "" },		/* mx2.good.example */
	{ "127.0.0.15", "expired", "" },	/* mx.expired.example */
	{ "127.0.0.16", "wrong", "" },		/* mx.wrongname.example */
	{ "127.0.0.17", "good", "no-starttls" },
};

static const char *const cert_names =
    "mx.good.example mx2.good.example mta-sts.good.example "
    "mta-sts.stsmiss.example mta-sts.stsbadid.example "
    "mta-sts.redirect.example mta-sts.big.example mta-sts.html.example "
    "mta-sts.expired.example mx.expired.example mx.wrongname.example "
    "mx.nostarttls.example mx.advise.example mx.stsmiss.example "
    "mx-other.stsmiss.example";

static void
run_ok(const char *cmd)
{
	char *out, *err;
	int st = test_run(cmd, &out, &err);

	cr_assert_eq(st, 0, "%s: %s%s", cmd, out, err);
	free(out);
	free(err);
}

static void
write_text(const char *name, const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write_file(path, text, strlen(text));
}

static void
rigs_start(void)
{
	size_t len;
	char *hosts = test_slurp(ZONE ".hosts", &len);
	char *records = test_slurp(ZONE ".records", &len);
	char cmd[4096], https[4096];
	unsigned dns_port, https_port, smtp_port;

	dir = test_tmpdir();
	dns_port = test_dns_start_records(dir, hosts, records);
	free(hosts);
	free(records);
	snprintf(cmd, sizeof(cmd), "'%s' certs '%s/tls' %s", TLS_RIG, dir,
	    cert_names);
	run_ok(cmd);
	write_text("good.txt", "version: STSv1\r\nmode: testing\r\n"
	    "mx: mx.good.example\r\nmx: *.good.example\r\n"
	    "max_age: 604800\r\n");
	write_text("stsmiss.txt", "version: STSv1\nmode: enforce\n"
	    "mx: mx.stsmiss.example\nmax_age: 604800\n");
	snprintf(https, sizeof(https),
	    "mta-sts.good.example %1$s/tls/good.pem %1$s/tls/good.key policy "
	    "%1$s/good.txt\n"
	    "mta-sts.stsmiss.example %1$s/tls/good.pem %1$s/tls/good.key "
	    "policy %1$s/stsmiss.txt\n"
	    "mta-sts.stsbadid.example %1$s/tls/good.pem %1$s/tls/good.key "
	    "policy %1$s/good.txt\n"
	    "mta-sts.expired.example %1$s/tls/expired.pem "
	    "%1$s/tls/expired.key policy %1$s/good.txt\n"
	    "mta-sts.redirect.example %1$s/tls/good.pem %1$s/tls/good.key "
	    "redirect https://mta-sts.good.example/.well-known/mta-sts.txt\n"
	    "mta-sts.big.example %1$s/tls/good.pem %1$s/tls/good.key large\n"
	    "mta-sts.html.example %1$s/tls/good.pem %1$s/tls/good.key html\n",
	    dir);
	write_text("https.conf", https);
	https_port = test_free_port(SOCK_STREAM);
	snprintf(cmd, sizeof(cmd), "TLS_RIG_OWNER=%ld '%s' https start "
	    "'%s/https' %u '%s/https.conf'", (long)getpid(), TLS_RIG, dir,
	    https_port, dir);
	run_ok(cmd);
	smtp_port = test_free_port(SOCK_STREAM);
	for (size_t i = 0; i < sizeof(smtp) / sizeof(smtp[0]); i++) {
		snprintf(cmd, sizeof(cmd), "TLS_RIG_OWNER=%ld '%s' smtp start "
		    "'%s/smtp%zu' %s:%u '%s/tls/%s.pem' '%s/tls/%s.key' %s",
		    (long)getpid(), TLS_RIG, dir, i, smtp[i].addr, smtp_port,
		    dir, smtp[i].cert, dir, smtp[i].cert, smtp[i].mode);
		run_ok(cmd);
	}
	snprintf(cmd, sizeof(cmd), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 500\ntls_ca_file = %s/tls/ca.pem\n"
	    "mta_sts_port = %u\nsmtp_port = %u\n", dns_port, dir, https_port,
	    smtp_port);
	write_text("dmarcctl.conf", cmd);
	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", dir);
	snprintf(cmd, sizeof(cmd), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 200\n", test_free_port(SOCK_DGRAM));
	write_text("dead.conf", cmd);
	snprintf(conf_dead, sizeof(conf_dead), "%s/dead.conf", dir);
}

static void
rigs_stop(void)
{
	char cmd[1024], *out, *err;

	for (size_t i = 0; i < sizeof(smtp) / sizeof(smtp[0]); i++) {
		snprintf(cmd, sizeof(cmd), "'%s' smtp stop '%s/smtp%zu'",
		    TLS_RIG, dir, i);
		if (test_run(cmd, &out, &err) == 0) {
			free(out);
			free(err);
		}
	}
	snprintf(cmd, sizeof(cmd), "'%s' https stop '%s/https'", TLS_RIG,
	    dir);
	if (test_run(cmd, &out, &err) == 0) {
		free(out);
		free(err);
	}
	test_dns_stop(dir);
}

TestSuite(dns_cli, .init = rigs_start, .fini = rigs_stop, .timeout = 240);

/* dmarcctl -c CONF ARGS against ci; the exit status; out and err the
 * caller's */
static int
dm(const char *ci, const char *cfg, const char *args, char **out,
    char **err)
{
	char line[2048];

	snprintf(line, sizeof(line), "-c '%s' %s", cfg, args);
	return test_dmarcctl(NULL, ci, line, out, err);
}

/* `dns --format json` of one domain: its object, the exit status in
 * *status */
static json_t *
dns_json(const char *ci, const char *domain, const char *extra, int *status)
{
	char args[512], *out, *err;
	json_error_t je;
	json_t *j;

	snprintf(args, sizeof(args), "dns --format json --domain %s %s",
	    domain, extra != NULL ? extra : "");
	*status = dm(ci, conf, args, &out, &err);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	cr_assert_not_null(j, "%s: not JSON: %s (%s)", args, out, err);
	free(out);
	free(err);
	return j;
}

static const char *
jstr(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static long long
jint(const json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

/* whether the findings hold code at severity sev */
static bool
has_finding(const json_t *j, const char *code, const char *sev)
{
	const json_t *f = json_object_get(j, "findings"), *v;
	size_t i;

	json_array_foreach(f, i, v)
		if (strcmp(jstr(v, "code"), code) == 0 &&
		    strcmp(jstr(v, "severity"), sev) == 0)
			return true;
	return false;
}

static char *
findings_text(const json_t *j)
{
	return json_dumps(json_object_get(j, "findings"), JSON_COMPACT);
}

Test(dns_cli, good_domain)
{
	int st;
	json_t *j = dns_json(NO_DB, "good.example", NULL, &st);
	char *f = findings_text(j);
	const json_t *mts = json_object_get(j, "mta_sts"), *mx;

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_eq(jint(j, "errors"), 0, "%s", f);
	cr_expect_str_eq(jstr(json_object_get(j, "dmarc"), "p"), "none");
	cr_expect_str_eq(jstr(json_object_get(j, "dmarc"), "rua"),
	    "mailto:dmarc@good.example");
	cr_expect_eq(jint(json_object_get(j, "spf"), "lookups"), 2);
	cr_expect_str_eq(jstr(json_object_get(j, "spf"), "all"), "-all");
	cr_expect_str_eq(jstr(mts, "id"), "20261201T000000");
	cr_expect_str_eq(jstr(mts, "fetch"), "ok", "%s", f);
	cr_expect_str_eq(jstr(mts, "mode"), "testing");
	cr_expect_eq(jint(mts, "max_age"), 604800);
	mx = json_object_get(j, "mx");
	cr_assert_eq(json_array_size(mx), 2);
	cr_expect_str_eq(jstr(json_array_get(mx, 0), "host"),
	    "mx.good.example");
	cr_expect_str_eq(jstr(json_array_get(mx, 1), "sts_covered"), "true");
	cr_expect(json_is_null(json_object_get(json_array_get(mx, 0),
	    "probe")));
	free(f);
	json_decref(j);
}

Test(dns_cli, each_problem_found)
{
	static const struct {
		const char *domain, *code, *sev;
	} cases[] = {
		{ "spf11.example", "spf-too-many-lookups", "error" },
		{ "void.example", "spf-void-lookups", "error" },
		{ "void.example", "dmarc-missing", "error" },
		{ "extrua.example", "dmarc-report-unauthorized", "error" },
		{ "multi.example", "dmarc-multiple", "error" },
		{ "allpass.example", "spf-all-pass", "error" },
		{ "stsmiss.example", "sts-mx-not-covered", "error" },
		{ "stsbadid.example", "sts-bad-id", "error" },
		{ "redirect.example", "sts-policy-redirect", "error" },
		{ "big.example", "sts-policy-too-large", "error" },
		{ "html.example", "sts-policy-content-type", "error" },
		{ "expired.example", "sts-policy-certificate", "error" },
		{ "good.example", "spf-all-pass", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st;
		json_t *j = dns_json(NO_DB, cases[i].domain, NULL, &st);
		char *f = findings_text(j);

		if (cases[i].sev == NULL) {
			cr_expect_not(has_finding(j, cases[i].code, "error"),
			    "%s: %s", cases[i].domain, f);
		} else {
			cr_expect(has_finding(j, cases[i].code, cases[i].sev),
			    "%s: want %s %s: %s", cases[i].domain,
			    cases[i].sev, cases[i].code, f);
			cr_expect_eq(st, 1, "%s: exit %d", cases[i].domain, st);
		}
		free(f);
		json_decref(j);
	}
}

Test(dns_cli, fix_is_a_record_to_publish)
{
	int st;
	json_t *j = dns_json(NO_DB, "extrua.example", NULL, &st);
	const json_t *f = json_object_get(j, "findings"), *v;
	size_t i;
	bool seen = false;

	json_array_foreach(f, i, v)
		if (strcmp(jstr(v, "code"), "dmarc-report-unauthorized") == 0) {
			cr_expect_str_eq(jstr(v, "fix"), "extrua.example."
			    "_report._dmarc.collector.example TXT "
			    "\"v=DMARC1\"");
			seen = true;
		}
	cr_expect(seen);
	json_decref(j);
}

Test(dns_cli, probe_certificates)
{
	static const struct {
		const char *domain, *code;
	} cases[] = {
		{ "expired.example", "mx-cert-expired" },
		{ "wrongname.example", "mx-cert-name" },
		{ "nostarttls.example", "mx-no-starttls" },
	};
	int st;
	json_t *j = dns_json(NO_DB, "good.example", "--probe", &st);
	const json_t *probe = json_object_get(json_array_get(
	    json_object_get(j, "mx"), 0), "probe");
	char *f = findings_text(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_assert(json_is_object(probe), "%s", f);
	cr_expect_str_eq(jstr(probe, "status"), "ok");
	cr_expect_str_eq(jstr(probe, "trusted"), "true");
	cr_expect_str_eq(jstr(probe, "name_ok"), "true");
	cr_expect_gt(jint(probe, "days_left"), 300);
	free(f);
	json_decref(j);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = dns_json(NO_DB, cases[i].domain, "--probe", &st);
		f = findings_text(j);
		cr_expect(has_finding(j, cases[i].code, "error") ||
		    has_finding(j, cases[i].code, "warning"), "%s: want %s: %s",
		    cases[i].domain, cases[i].code, f);
		free(f);
		json_decref(j);
	}
}

Test(dns_cli, text_output_names_the_records)
{
	char *out, *err;
	int st = dm(NO_DB, conf, "dns --domain good.example", &out, &err);

	cr_expect_eq(st, 0, "%s", err);
	cr_expect(strstr(out, "good.example: 0 error(s)") != NULL, "%s", out);
	cr_expect(strstr(out, "include:_spf.esp.example") != NULL, "%s", out);
	cr_expect(strstr(out, "mailcow._domainkey.good.example: rsa, 2048 "
	    "bits") != NULL, "%s", out);
	cr_expect(strstr(out, "mode testing") != NULL, "%s", out);
	cr_expect(strstr(err, "without the reports") != NULL, "%s", err);
	free(out);
	free(err);
	st = dm(NO_DB, conf, "dns --domain spf11.example", &out, &err);
	cr_expect_eq(st, 1);
	cr_expect(strstr(out, "error    spf-too-many-lookups") != NULL, "%s",
	    out);
	free(out);
	free(err);
}

Test(dns_cli, dns_unreachable_is_69)
{
	char *out, *err;
	int st = dm(NO_DB, conf_dead, "dns --domain good.example", &out,
	    &err);

	cr_expect_eq(st, 69, "%s", err);
	cr_expect(strstr(err, "no DNS server answers") != NULL, "%s", err);
	free(out);
	free(err);
}

Test(dns_cli, usage_errors)
{
	char *out, *err;

	cr_expect_eq(dm(NO_DB, conf, "dns --format csv --domain good.example",
	    &out, &err), 64);
	free(out);
	free(err);
	cr_expect_eq(dm(NO_DB, conf, "dns --domain 'a b'", &out, &err), 64);
	free(out);
	free(err);
	cr_expect_eq(dm(NO_DB, conf, "summary --probe", &out, &err), 64);
	free(out);
	free(err);
	/* without --domain the reports are needed */
	cr_expect_eq(dm(NO_DB, conf, "dns", &out, &err), 69);
	free(out);
	free(err);
}

/* --- with the reports --- */

static int64_t
day_start(int k)
{
	int64_t now = (int64_t)time(NULL);

	return now - now % DAY - (int64_t)k * DAY;
}

/* an aggregate report of domain for day k back by reporter r: all of it
 * from 192.0.2.10, aligned (DKIM s=mailcow and SPF pass) */
static void
dmarc_report(const char *path, const char *domain, int k, int r)
{
	static const char *const reporters[] = { "google.com",
		"outlook.com", "yahoo.com" };
	char xml[4096];
	int64_t b = day_start(k);

	snprintf(xml, sizeof(xml), "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>r@%s</email>"
	    "<report_id>%s-%s-%d</report_id><date_range><begin>%lld</begin>"
	    "<end>%lld</end></date_range></report_metadata>"
	    "<policy_published><domain>%s</domain><adkim>r</adkim>"
	    "<aspf>r</aspf><p>none</p><pct>100</pct></policy_published>"
	    "<record><row><source_ip>192.0.2.10</source_ip><count>500</count>"
	    "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
	    "<spf>pass</spf></policy_evaluated></row><identifiers>"
	    "<header_from>%s</header_from></identifiers><auth_results>"
	    "<dkim><domain>%s</domain><selector>mailcow</selector>"
	    "<result>pass</result></dkim><spf><domain>%s</domain>"
	    "<result>pass</result></spf></auth_results></record></feedback>\n",
	    reporters[r], reporters[r], domain, reporters[r], k,
	    (long long)b, (long long)(b + DAY - 1), domain, domain, domain,
	    domain);
	test_write_file(path, xml, strlen(xml));
}

/* a TLS-RPT report of domain for day k back by reporter r: mode
 * testing, 1000 sessions, 40 failed with result at mx */
static void
tls_report(const char *path, const char *domain, const char *mx,
    const char *result, int k, int r)
{
	static const char *const reporters[] = { "google.com",
		"microsoft.com", "yahoo.com" };
	char json[4096], from[32], to[32];
	time_t t0 = (time_t)day_start(k), t1 = t0 + DAY - 1;
	struct tm tm;

	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	snprintf(json, sizeof(json), "{\"organization-name\":\"%s\","
	    "\"date-range\":{\"start-datetime\":\"%s\",\"end-datetime\":"
	    "\"%s\"},\"contact-info\":\"tls@%s\",\"report-id\":\"%s-%s-%d\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	    "\"mx: %s\",\"max_age: 604800\"],\"policy-domain\":\"%s\"},"
	    "\"summary\":{\"total-successful-session-count\":960,"
	    "\"total-failure-session-count\":40},\"failure-details\":[{"
	    "\"result-type\":\"%s\",\"receiving-mx-hostname\":\"%s\","
	    "\"failed-session-count\":40}]}]}\n", reporters[r], from, to,
	    reporters[r], domain, reporters[r], k, mx, domain, result, mx);
	test_write_file(path, json, strlen(json));
}

/* a database with 20 days of DMARC reports from three reporters for
 * advise.example and nokey.example, and TLS-RPT reports of certificate
 * failures for good.example (its certificate valid now) and
 * expired.example (still expired) */
static char *
db_with_reports(void)
{
	static const char *const domains[] = { "advise.example",
		"nokey.example" };
	char *ci = test_db_migrated(), *rd = test_tmpdir(), path[600];
	char args[700], *out, *err;
	int n = 0;

	for (int k = 1; k <= 20; k++)
		for (int r = 0; r < 3; r++) {
			for (size_t d = 0; d < 2; d++) {
				snprintf(path, sizeof(path), "%s/d%zu-%d-%d.xml",
				    rd, d, k, r);
				dmarc_report(path, domains[d], k, r);
				n++;
			}
			snprintf(path, sizeof(path), "%s/t0-%d-%d.json", rd, k,
			    r);
			tls_report(path, "good.example", "mx.good.example",
			    "certificate-expired", k, r);
			snprintf(path, sizeof(path), "%s/t1-%d-%d.json", rd, k,
			    r);
			tls_report(path, "expired.example", "mx.expired.example",
			    "certificate-expired", k, r);
			snprintf(path, sizeof(path), "%s/t2-%d-%d.json", rd, k,
			    r);
			tls_report(path, "stsmiss.example", "mx.stsmiss.example",
			    "certificate-expired", k, r);
			n += 3;
		}
	snprintf(args, sizeof(args), "ingest --json '%s'", rd);
	cr_assert_eq(test_dmarcctl(NULL, ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(rd);
	(void)n;
	return ci;
}

static json_t *
query_json(const char *ci, const char *cfg, const char *args)
{
	char *out, *err;
	json_error_t je;
	json_t *j;
	int st = dm(ci, cfg, args, &out, &err);

	cr_assert_eq(st, 0, "%s: exit %d: %s", args, st, err);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	cr_assert_not_null(j, "%s: not JSON: %s (%s)", args, out, err);
	free(out);
	free(err);
	return j;
}

Test(dns_cli, advise_keeps_the_published_tags)
{
	char *ci = db_with_reports();
	json_t *j = query_json(ci, conf, "advise --format json --domain "
	    "advise.example");
	const char *rec = jstr(j, "next_record");

	cr_expect_str_eq(jstr(j, "verdict"), "quarantine");
	cr_expect(strstr(rec, "p=quarantine") != NULL, "%s", rec);
	cr_expect(strstr(rec, "rua=mailto:agg@advise.example") != NULL, "%s",
	    rec);
	cr_expect(strstr(rec, "ruf=mailto:fail@advise.example") != NULL,
	    "%s", rec);
	cr_expect(strstr(rec, "fo=1") != NULL, "%s", rec);
	cr_expect(strstr(rec, "ri=86400") != NULL, "%s", rec);
	cr_expect_eq(strncmp(rec, "v=DMARC1; p=quarantine", 22), 0, "%s", rec);
	json_decref(j);
	/* offline, from the reports alone: no ruf to keep */
	j = query_json(ci, conf, "advise --no-dns --format json --domain "
	    "advise.example");
	rec = jstr(j, "next_record");
	cr_expect_str_eq(jstr(j, "verdict"), "quarantine");
	cr_expect_null(strstr(rec, "ruf="), "%s", rec);
	json_decref(j);
	/* DNS that does not answer: the same, with a warning */
	j = query_json(ci, conf_dead, "advise --format json --domain "
	    "advise.example");
	cr_expect_str_eq(jstr(j, "verdict"), "quarantine");
	json_decref(j);
	test_db_drop(ci);
}

Test(dns_cli, advise_blocks_on_a_missing_key)
{
	char *ci = db_with_reports();
	json_t *j = query_json(ci, conf, "advise --format json --domain "
	    "nokey.example");
	const json_t *bl = json_object_get(j, "blockers");
	char *s = json_dumps(bl, JSON_COMPACT);

	cr_expect_str_eq(jstr(j, "verdict"), "stay", "%s", s);
	cr_assert_eq(json_array_size(bl), 1, "%s", s);
	cr_expect_str_eq(jstr(json_array_get(bl, 0), "problem"),
	    "dkim-missing");
	cr_expect(strstr(jstr(json_array_get(bl, 0), "fix"),
	    "mailcow._domainkey.nokey.example") != NULL, "%s", s);
	cr_expect(strncmp(jstr(j, "next_record"), "v=DMARC1; p=none", 16) == 0,
	    "%s", jstr(j, "next_record"));
	free(s);
	json_decref(j);
	test_db_drop(ci);
}

Test(dns_cli, dns_reads_the_reports)
{
	char *ci = db_with_reports(), *out, *err;
	int st = dm(ci, conf, "dns --format json", &out, &err);

	/* nokey.example's missing key is an error */
	cr_expect_eq(st, 1, "%s", err);
	cr_expect(strstr(out, "\"domain\":\"advise.example\"") != NULL, "%s",
	    out);
	cr_expect(strstr(out, "\"domain\":\"nokey.example\"") != NULL, "%s",
	    out);
	cr_expect(strstr(out, "\"selector\":\"mailcow\",\"domain\":"
	    "\"nokey.example\",\"source\":\"signing\"") != NULL, "%s", out);
	cr_expect(strstr(out, "\"code\":\"dkim-missing\"") != NULL, "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* the blockers of tls --format json for domain, compact */
static char *
tls_blockers(const char *ci, const char *domain, const char *extra,
    const char **verdict, json_t **keep)
{
	char args[512];
	json_t *j;

	snprintf(args, sizeof(args), "tls --format json --domain %s %s",
	    domain, extra);
	j = query_json(ci, conf, args);
	*verdict = jstr(j, "verdict");
	*keep = j;
	return json_dumps(json_object_get(j, "blockers"), JSON_COMPACT);
}

Test(dns_cli, tls_probe_confirms_or_refutes)
{
	char *ci = db_with_reports(), *bl;
	const char *verdict;
	json_t *j;

	/* from the reports alone: the expired certificate blocks */
	bl = tls_blockers(ci, "good.example", "--no-dns", &verdict, &j);
	cr_expect_str_eq(verdict, "stay", "%s", bl);
	cr_expect(strstr(bl, "certificate-expired") != NULL, "%s", bl);
	free(bl);
	json_decref(j);
	/* the probe finds a valid certificate now: repaired */
	bl = tls_blockers(ci, "good.example", "--probe", &verdict, &j);
	cr_expect_str_eq(verdict, "enforce", "%s", bl);
	free(bl);
	json_decref(j);
	/* still expired: it blocks, with the days since */
	bl = tls_blockers(ci, "expired.example", "--probe", &verdict, &j);
	cr_expect_str_eq(verdict, "stay", "%s", bl);
	cr_expect(strstr(bl, "still expired now") != NULL, "%s", bl);
	free(bl);
	json_decref(j);
	test_db_drop(ci);
}

Test(dns_cli, tls_live_policy_beats_the_reports)
{
	char *ci = db_with_reports(), *bl;
	const char *verdict;
	json_t *j;

	/* the reports saw testing; DNS says enforce, and it misses an MX */
	bl = tls_blockers(ci, "stsmiss.example", "", &verdict, &j);
	cr_expect_str_eq(verdict, "stay", "%s", bl);
	cr_expect(strstr(bl, "mx-not-in-policy") != NULL, "%s", bl);
	cr_expect(strstr(bl, "mx-other.stsmiss.example") != NULL, "%s", bl);
	free(bl);
	json_decref(j);
	test_db_drop(ci);
}
