/*
 * dmarcctl dns, advise and tls against records as mail administrators
 * really publish them: upper-case tags, odd spacing, records split into
 * strings, SPF trees at the limits, big answers, unusual DKIM keys,
 * MTA-STS policies written by hand, and a DNS server that never answers.
 * The zone is tests/fixtures/dns/hostile.records and hostile.hosts,
 * served by a private dnsmasq (scripts/dns-rig.sh); MTA-STS policies come
 * from nginx with certificates of a test CA (scripts/tls-rig.sh).
 *
 * Each test asserts what an experienced mail administrator expects.
 */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "common/xalloc.h"
#include "tests/test_util.h"

#define HZONE FIXTURES "/dns/hostile"
#define HTLS_RIG FIXTURES "/../../scripts/tls-rig.sh"
#define HDAY 86400
#define HNO_DB "host=127.0.0.1 port=1 connect_timeout=2"

static char *hdir;
static char hconf[600];		/* the zone, no DKIM selectors */
static char hconf_dkim[600];	/* the zone, with dkim_selectors */
static char hconf_silent[600];	/* a DNS server that never answers */
static int silent_fd = -1;

/* the MTA-STS domains, and the policy file each one's host serves */
static const struct {
	const char *domain, *policy;
} sts[] = {
	{ "stscrlf", "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.stscrlf.example\r\nmax_age: 604800\r\n" },
	{ "stslf", "version: STSv1\nmode: enforce\nmx:mx.stslf.example\n"
	    "max_age: 604800\n" },
	{ "stsnone", "version: STSv1\nmode: none\nmax_age: 86400\n" },
	{ "stsmax0", "version: STSv1\nmode: testing\n"
	    "mx: mx.stsmax0.example\nmax_age: 0\n" },
	{ "stswild", "version: STSv1\nmode: enforce\n"
	    "mx: *.stswild.example\nmax_age: 604800\n" },
	{ "stsdup", "version: STSv1\nmode: enforce\nmode: none\n"
	    "mx: mx.stsdup.example\nmax_age: 604800\n" },
	{ "stsext", "version: STSv1\nmode: testing\n"
	    "mx: mx.stsext.example\nmax_age: 604800\n" },
	{ "stsid33", "version: STSv1\nmode: testing\n"
	    "mx: mx.stsid33.example\nmax_age: 604800\n" },
	/* white space after the values, as editors leave it */
	{ "ststrail", "version: STSv1 \nmode: enforce \n"
	    "mx: mx.ststrail.example \nmax_age: 604800 \n" },
	/* no line end after the last line */
	{ "stsnoeol", "version: STSv1\nmode: enforce\n"
	    "mx: mx.stsnoeol.example\nmax_age: 604800" },
};
#define N_STS (sizeof(sts) / sizeof(sts[0]))

static char *
hslurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = xmalloc((size_t)n + 1);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
hrun_ok(const char *cmd)
{
	char *out, *err;
	int st = test_run(cmd, &out, &err);

	cr_assert_eq(st, 0, "%s: %s%s", cmd, out, err);
	free(out);
	free(err);
}

static void
hwrite(const char *name, const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", hdir, name);
	test_write_file(path, text, strlen(text));
}

/* a UDP socket on 127.0.0.1 that receives queries and never answers */
static unsigned
silent_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	silent_fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(silent_fd, 0);
	cr_assert_eq(bind(silent_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(silent_fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void
hrigs_start(void)
{
	char *hosts = hslurp(HZONE ".hosts"), *records = hslurp(HZONE
	    ".records");
	char cmd[8192], https[8192], names[4096] = "";
	unsigned dns_port, https_port;
	size_t n = 0;

	hdir = test_tmpdir();
	dns_port = test_dns_start_records(hdir, hosts, records);
	free(hosts);
	free(records);
	for (size_t i = 0; i < N_STS; i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n,
		    "mta-sts.%s.example ", sts[i].domain);
	snprintf(cmd, sizeof(cmd), "'%s' certs '%s/tls' %s", HTLS_RIG, hdir,
	    names);
	hrun_ok(cmd);
	n = 0;
	for (size_t i = 0; i < N_STS; i++) {
		char file[64];

		snprintf(file, sizeof(file), "%s.txt", sts[i].domain);
		hwrite(file, sts[i].policy);
		n += (size_t)snprintf(https + n, sizeof(https) - n,
		    "mta-sts.%2$s.example %1$s/tls/good.pem %1$s/tls/good.key "
		    "policy %1$s/%2$s.txt\n", hdir, sts[i].domain);
	}
	hwrite("https.conf", https);
	https_port = test_free_port(SOCK_STREAM);
	snprintf(cmd, sizeof(cmd), "TLS_RIG_OWNER=%ld '%s' https start "
	    "'%s/https' %u '%s/https.conf'", (long)getpid(), HTLS_RIG, hdir,
	    https_port, hdir);
	hrun_ok(cmd);
	snprintf(cmd, sizeof(cmd), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 1000\ntls_ca_file = %s/tls/ca.pem\n"
	    "mta_sts_port = %u\n", dns_port, hdir, https_port);
	hwrite("hostile.conf", cmd);
	snprintf(hconf, sizeof(hconf), "%s/hostile.conf", hdir);
	snprintf(cmd, sizeof(cmd), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 1000\ntls_ca_file = %s/tls/ca.pem\n"
	    "mta_sts_port = %u\ndkim_selectors = ed, sha, strict, UPPER, "
	    "spaced\n",
	    dns_port, hdir, https_port);
	hwrite("dkim.conf", cmd);
	snprintf(hconf_dkim, sizeof(hconf_dkim), "%s/dkim.conf", hdir);
	/* the defaults of dns_timeout and dns_budget: what a user gets */
	snprintf(cmd, sizeof(cmd), "[analysis]\ndns_server = 127.0.0.1:%u\n",
	    silent_server());
	hwrite("silent.conf", cmd);
	snprintf(hconf_silent, sizeof(hconf_silent), "%s/silent.conf", hdir);
}

static void
hrigs_stop(void)
{
	char cmd[1024], *out, *err;

	snprintf(cmd, sizeof(cmd), "'%s' https stop '%s/https'", HTLS_RIG,
	    hdir);
	if (test_run(cmd, &out, &err) == 0) {
		free(out);
		free(err);
	}
	test_dns_stop(hdir);
	if (silent_fd >= 0)
		close(silent_fd);
}

TestSuite(dns_hostile, .init = hrigs_start, .fini = hrigs_stop,
    .timeout = 300);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dmarcctl -c CFG ARGS; the exit status, and the seconds it took */
static int
hdm(const char *ci, const char *cfg, const char *args, char **out,
    char **err, double *secs)
{
	char line[2048];
	double t0 = now_s();
	int st;

	snprintf(line, sizeof(line), "-c '%s' %s", cfg, args);
	st = test_dmarcctl(NULL, ci, line, out, err);
	if (secs != NULL)
		*secs = now_s() - t0;
	return st;
}

/* `dns --format json --domain D` with cfg: its object (NULL when the
 * output is no JSON, the output then in *raw), the exit status */
static json_t *
hdns(const char *cfg, const char *domain, int *status, char **raw)
{
	char args[512], *out, *err;
	json_error_t je;
	json_t *j;

	snprintf(args, sizeof(args), "dns --format json --domain %s", domain);
	*status = hdm(HNO_DB, cfg, args, &out, &err, NULL);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	if (raw != NULL) {
		size_t n = strlen(out) + strlen(err) + 2;

		*raw = xmalloc(n);
		snprintf(*raw, n, "%s\n%s", out, err);
	}
	free(out);
	free(err);
	return j;
}

/* the same, asserting JSON came out */
static json_t *
hdns_ok(const char *cfg, const char *domain, int *status)
{
	char *raw;
	json_t *j = hdns(cfg, domain, status, &raw);

	cr_assert_not_null(j, "%s: exit %d, not JSON: %s", domain, *status,
	    raw);
	free(raw);
	return j;
}

static const char *
hstr(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static long long
hint(const json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

/* whether a finding has code (sev NULL: at any severity) */
static bool
hhas(const json_t *j, const char *code, const char *sev)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(j, "findings"), i, v)
		if (strcmp(hstr(v, "code"), code) == 0 &&
		    (sev == NULL || strcmp(hstr(v, "severity"), sev) == 0))
			return true;
	return false;
}

/* whether a finding whose code starts with prefix is at sev */
static bool
hhas_prefix(const json_t *j, const char *prefix, const char *sev)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(j, "findings"), i, v)
		if (strncmp(hstr(v, "code"), prefix, strlen(prefix)) == 0 &&
		    strcmp(hstr(v, "severity"), sev) == 0)
			return true;
	return false;
}

static char *
hfind(const json_t *j)
{
	return json_dumps(json_object_get(j, "findings"), JSON_COMPACT);
}

/* ------------------------------------------------------------------ */
/* DMARC records as people type them                                    */

Test(dns_hostile, dmarc_upper_case_tags_are_a_valid_reject)
{
	int st;
	json_t *j = hdns_ok(hconf, "upper.example", &st);
	char *f = hfind(j);
	const char *p = hstr(json_object_get(j, "dmarc"), "p");

	/* V=DMARC1; P=Reject; RUA=mailto:D@UPPER.example */
	cr_expect_eq(st, 0, "%s", f);
	cr_assert_not_null(p, "%s", f);
	cr_expect(strcasecmp(p, "reject") == 0, "p=%s", p);
	cr_expect_not(hhas_prefix(j, "dmarc-", "error"), "%s", f);
	cr_expect_not(hhas(j, "dmarc-report-unauthorized", NULL), "%s", f);
	free(f);
	json_decref(j);
}

/* A JSON consumer compares p with "reject": the policy value is
 * case-insensitive (RFC 7489 6.4 ABNF), so it should come out in the
 * canonical lower case.  (Debatable: the record itself is shown too.) */
Test(dns_hostile, dmarc_upper_case_policy_reported_canonical)
{
	int st;
	json_t *j = hdns_ok(hconf, "upper.example", &st);

	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "p"), "reject");
	json_decref(j);
}

Test(dns_hostile, dmarc_spaces_and_trailing_semicolon)
{
	int st;
	json_t *j = hdns_ok(hconf, "spaces.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "p"), "quarantine");
	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "rua"),
	    "mailto:d@spaces.example");
	cr_expect_not(hhas(j, "dmarc-syntax", NULL), "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_none_with_pct_and_t_is_no_error)
{
	int st;
	json_t *j = hdns_ok(hconf, "pctt.example", &st);
	char *f = hfind(j);
	const json_t *d = json_object_get(j, "dmarc");

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_str_eq(hstr(d, "p"), "none");
	cr_expect_str_eq(hstr(d, "pct"), "50");
	cr_expect_str_eq(hstr(d, "t"), "y");
	cr_expect_not(hhas(j, "dmarc-bad-value", NULL), "%s", f);
	cr_expect_not(hhas(j, "dmarc-unknown-tag", NULL), "t= is RFC 9989: %s",
	    f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_record_split_into_strings_is_joined)
{
	int st;
	json_t *j = hdns_ok(hconf, "long.example", &st);
	char *f = hfind(j);
	const json_t *d = json_object_get(j, "dmarc");
	const char *rec = hstr(d, "record"), *rua = hstr(d, "rua");

	cr_expect_eq(st, 0, "%s", f);
	cr_assert_not_null(rec);
	cr_expect_gt(strlen(rec), 255, "%s", rec);
	/* strings are joined with nothing between (RFC 7208 3.3, RFC 7489) */
	cr_expect_null(strstr(rec, "\" \""), "%s", rec);
	cr_expect(strstr(rec, "; fo=1") != NULL, "%s", rec);
	cr_assert_not_null(rua);
	cr_expect(strstr(rua, "mailto:dmarc-reports-11@long.example") != NULL,
	    "%s", rua);
	cr_expect_str_eq(hstr(d, "fo"), "1");
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_only_version_has_no_policy)
{
	int st;
	json_t *j = hdns_ok(hconf, "nop.example", &st);
	char *f = hfind(j);

	cr_expect(hhas(j, "dmarc-no-policy", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_spf_text_at_dmarc_is_ignored)
{
	int st;
	json_t *j = hdns_ok(hconf, "mixed.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "dmarc-multiple", NULL), "%s", f);
	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "p"), "reject");
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_rua_size_suffix_and_spaces_after_comma)
{
	int st;
	json_t *j = hdns_ok(hconf, "sizesuf.example", &st);
	char *f = hfind(j);

	/* the second address is authorised by collector2.example */
	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "dmarc-report-unauthorized", NULL), "%s", f);
	cr_expect_not(hhas(j, "dmarc-bad-value", NULL), "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_rua_in_own_subdomain_needs_no_authorisation)
{
	int st;
	json_t *j = hdns_ok(hconf, "subrua.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "dmarc-report-unauthorized", NULL), "%s", f);
	cr_expect_not(hhas(j, "dmarc-report-auth-unknown", NULL), "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, dmarc_psd_tag_is_known)
{
	int st;
	json_t *j = hdns_ok(hconf, "psd.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "dmarc-unknown-tag", NULL), "%s", f);
	cr_expect_not(hhas(j, "dmarc-bad-value", NULL), "%s", f);
	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "psd"), "y");
	free(f);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* SPF                                                                  */

Test(dns_hostile, spf_exactly_ten_lookups_is_ok)
{
	int st;
	json_t *j = hdns_ok(hconf, "spf10.example", &st);
	char *f = hfind(j);

	cr_expect_eq(hint(json_object_get(j, "spf"), "lookups"), 10, "%s", f);
	cr_expect_not(hhas(j, "spf-too-many-lookups", NULL), "%s", f);
	cr_expect_eq(st, 0, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, spf_include_chain_ten_deep)
{
	int st;
	json_t *j = hdns_ok(hconf, "deep.example", &st);
	char *f = hfind(j);
	const json_t *tree = json_object_get(json_object_get(j, "spf"),
	    "tree");

	cr_expect_eq(st, 0, "%s", f);
	cr_assert_eq(json_array_size(tree), 11, "%s", f);
	cr_expect_eq(hint(json_array_get(tree, 10), "depth"), 10);
	cr_expect_str_eq(hstr(json_array_get(tree, 10), "domain"),
	    "d10.deep.example");
	cr_expect_eq(hint(json_object_get(j, "spf"), "lookups"), 10);
	free(f);
	json_decref(j);
}

Test(dns_hostile, spf_redirect_to_domain_without_spf_is_an_error)
{
	int st;
	json_t *j = hdns_ok(hconf, "redirnone.example", &st);
	char *f = hfind(j);

	cr_expect(hhas_prefix(j, "spf-", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

/* The record ends in redirect=: it is not "without all and redirect";
 * the broken redirect target is the one problem to report. */
Test(dns_hostile, spf_redirect_record_not_called_without_redirect)
{
	int st;
	json_t *j = hdns_ok(hconf, "redirnone.example", &st);
	char *f = hfind(j);

	cr_expect_not(hhas(j, "spf-no-all", NULL), "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, spf_mx_with_more_than_ten_hosts)
{
	int st;
	json_t *j = hdns_ok(hconf, "mx11.example", &st);
	char *f = hfind(j);

	cr_expect(hhas(j, "spf-mx-too-many", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, spf_unusual_but_valid_terms)
{
	static const struct {
		const char *domain;
		int lookups;
	} cases[] = {
		{ "acidr.example", 4 },	/* a/24 mx/24 a:h/24 a:h/24//64 */
		{ "macros.example", 3 },	/* include, exists, a with macros */
		{ "exp.example", 0 },		/* exp= is not a lookup */
		{ "unkmod.example", 0 },	/* foo=bar moo.cow_1=x */
		{ "upperspf.example", 0 },	/* V=SPF1 IP4:... -ALL */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st;
		json_t *j = hdns_ok(hconf, cases[i].domain, &st);
		char *f = hfind(j);
		const json_t *spf = json_object_get(j, "spf");

		cr_expect_eq(st, 0, "%s: %s", cases[i].domain, f);
		cr_expect_not(hhas(j, "spf-syntax", NULL), "%s: %s",
		    cases[i].domain, f);
		cr_expect_eq(hint(spf, "lookups"), cases[i].lookups,
		    "%s: %lld lookups", cases[i].domain, hint(spf, "lookups"));
		cr_expect(hstr(spf, "all") != NULL &&
		    strcasecmp(hstr(spf, "all"), "-all") == 0, "%s: all %s",
		    cases[i].domain, hstr(spf, "all"));
		free(f);
		json_decref(j);
	}
}

/* RFC 7208 6: redirect= and exp= MUST NOT appear more than once; a
 * receiver returns permerror, so the whole SPF policy is broken. */
Test(dns_hostile, spf_duplicate_redirect_is_a_permerror)
{
	int st;
	json_t *j = hdns_ok(hconf, "dupredir.example", &st);
	char *f = hfind(j);

	cr_expect(hhas(j, "spf-syntax", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, spf_include_through_a_cname)
{
	int st;
	json_t *j = hdns_ok(hconf, "cnameinc.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "spf-include-missing", NULL), "%s", f);
	free(f);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Big answers                                                          */

Test(dns_hostile, fifty_txt_records_at_one_name)
{
	int st;
	json_t *j = hdns_ok(hconf, "many.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_str_eq(hstr(json_object_get(j, "spf"), "record"),
	    "v=spf1 ip4:192.0.2.0/24 -all");
	free(f);
	json_decref(j);
}

Test(dns_hostile, long_spf_record_in_many_strings)
{
	int st;
	json_t *j = hdns_ok(hconf, "bigtxt.example", &st);
	char *f = hfind(j);
	const char *rec = hstr(json_object_get(j, "spf"), "record");

	cr_expect_eq(st, 0, "%s", f);
	cr_assert_not_null(rec, "%s", f);
	cr_expect_gt(strlen(rec), 900);
	cr_expect_str_eq(hstr(json_object_get(j, "spf"), "all"), "-all");
	cr_expect_not(hhas(j, "spf-syntax", NULL), "%s", f);
	free(f);
	json_decref(j);
}

/* 40 MX hosts: a large provider's setup.  dmarcctl must not crash. */
Test(dns_hostile, forty_mx_hosts_no_crash)
{
	int st;
	char *raw;
	json_t *j = hdns(hconf, "mx40.example", &st, &raw);

	cr_expect_neq(st, -1, "dmarcctl died on a signal: %s", raw);
	cr_expect_eq(st, 0, "exit %d: %s", st, raw);
	cr_assert_not_null(j, "no JSON: %s", raw);
	cr_expect_eq(json_array_size(json_object_get(j, "mx")), 40);
	cr_expect_str_eq(hstr(json_array_get(json_object_get(j, "mx"), 39),
	    "host"), "mail-exchanger-number-39.mx40.example");
	free(raw);
	json_decref(j);
}

Test(dns_hostile, forty_mx_hosts_text_no_crash)
{
	char *out, *err;
	int st = hdm(HNO_DB, hconf, "dns --domain mx40.example", &out, &err,
	    NULL);

	cr_expect_eq(st, 0, "exit %d: %s%s", st, out, err);
	free(out);
	free(err);
}

/* ------------------------------------------------------------------ */
/* DKIM                                                                 */

Test(dns_hostile, dkim_unusual_keys)
{
	int st;
	json_t *j = hdns_ok(hconf_dkim, "dkim.example", &st);
	char *f = hfind(j), *d = json_dumps(json_object_get(j, "dkim"),
	    JSON_COMPACT);
	const json_t *v;
	size_t i;
	int seen = 0;

	cr_expect_eq(st, 0, "%s %s", f, d);
	cr_expect_not(hhas_prefix(j, "dkim-", "error"), "%s", f);
	cr_expect_not(hhas_prefix(j, "dkim-", "warning"), "%s", f);
	json_array_foreach(json_object_get(j, "dkim"), i, v) {
		const char *sel = hstr(v, "selector");

		if (strcasecmp(sel, "ed") == 0) {
			cr_expect_str_eq(hstr(v, "key_type"), "ed25519");
			seen++;
		} else if (strcasecmp(sel, "strict") == 0) {
			/* t=s is strict, not testing */
			cr_expect_str_eq(hstr(v, "testing"), "false");
			seen++;
		} else if (strcasecmp(sel, "upper") == 0 ||
		    strcasecmp(sel, "sha") == 0) {
			cr_expect_str_eq(hstr(v, "dns"), "answer", "%s", d);
			cr_expect_eq(hint(v, "bits"), 2048);
			seen++;
		}
	}
	cr_expect_eq(seen, 4, "%s", d);
	free(f);
	free(d);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* MTA-STS                                                              */

static json_t *
sts_of(const char *domain, int *st, char **f)
{
	char name[128];
	json_t *j;

	snprintf(name, sizeof(name), "%s.example", domain);
	j = hdns_ok(hconf, name, st);
	*f = hfind(j);
	return j;
}

Test(dns_hostile, sts_policy_crlf_and_lf)
{
	static const char *const d[] = { "stscrlf", "stslf" };

	for (size_t i = 0; i < 2; i++) {
		int st;
		char *f;
		json_t *j = sts_of(d[i], &st, &f);
		const json_t *m = json_object_get(j, "mta_sts");

		cr_expect_eq(st, 0, "%s: %s", d[i], f);
		cr_expect_str_eq(hstr(m, "fetch"), "ok", "%s: %s", d[i], f);
		cr_expect_str_eq(hstr(m, "mode"), "enforce", "%s", d[i]);
		cr_expect_eq(hint(m, "max_age"), 604800, "%s", d[i]);
		cr_expect_str_eq(hstr(json_array_get(json_object_get(j, "mx"),
		    0), "sts_covered"), "true", "%s: %s", d[i], f);
		free(f);
		json_decref(j);
	}
}

Test(dns_hostile, sts_mode_none_needs_no_mx)
{
	int st;
	char *f;
	json_t *j = sts_of("stsnone", &st, &f);

	cr_expect_str_eq(hstr(json_object_get(j, "mta_sts"), "mode"), "none",
	    "%s", f);
	cr_expect_not(hhas(j, "sts-policy-mx", NULL), "%s", f);
	cr_expect_not(hhas(j, "sts-mx-not-covered", NULL), "%s", f);
	cr_expect_eq(st, 0, "%s", f);
	free(f);
	json_decref(j);
}

/* max_age 0 is legal (RFC 8461 3.2: 0 to 31557600): a domain leaving
 * MTA-STS publishes it.  A warning at most. */
Test(dns_hostile, sts_max_age_zero_is_legal)
{
	int st;
	char *f;
	json_t *j = sts_of("stsmax0", &st, &f);

	cr_expect_eq(hint(json_object_get(j, "mta_sts"), "max_age"), 0, "%s",
	    f);
	cr_expect_not(hhas(j, "sts-policy-max-age", "error"), "%s", f);
	cr_expect_eq(st, 0, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, sts_wildcard_covers_one_label_only)
{
	int st;
	char *f;
	json_t *j = sts_of("stswild", &st, &f);
	const json_t *mx = json_object_get(j, "mx"), *v;
	size_t i;
	int seen = 0;

	json_array_foreach(mx, i, v) {
		if (strcmp(hstr(v, "host"), "mx.stswild.example") == 0) {
			cr_expect_str_eq(hstr(v, "sts_covered"), "true");
			seen++;
		} else if (strcmp(hstr(v, "host"), "a.b.stswild.example") == 0) {
			cr_expect_str_eq(hstr(v, "sts_covered"), "false");
			seen++;
		}
	}
	cr_expect_eq(seen, 2, "%s", f);
	cr_expect(hhas(j, "sts-mx-not-covered", "error"), "%s", f);
	cr_expect_eq(st, 1);
	free(f);
	json_decref(j);
}

Test(dns_hostile, sts_duplicated_mode_first_counts_with_a_warning)
{
	int st;
	char *f;
	json_t *j = sts_of("stsdup", &st, &f);

	cr_expect_str_eq(hstr(json_object_get(j, "mta_sts"), "mode"),
	    "enforce", "%s", f);
	cr_expect(hhas(j, "sts-policy-syntax", "warning"), "%s", f);
	free(f);
	json_decref(j);
}

/* RFC 8461 3.1: sts-extension fields are allowed in the record */
Test(dns_hostile, sts_record_with_extension_tag)
{
	int st;
	char *f;
	json_t *j = sts_of("stsext", &st, &f);

	cr_expect_str_eq(hstr(json_object_get(j, "mta_sts"), "id"), "20261201",
	    "%s", f);
	cr_expect_not(hhas_prefix(j, "sts-", "error"), "%s", f);
	cr_expect_eq(st, 0, "%s", f);
	free(f);
	json_decref(j);
}

Test(dns_hostile, sts_id_of_33_characters)
{
	int st;
	char *f;
	json_t *j = sts_of("stsid33", &st, &f);

	cr_expect(hhas(j, "sts-bad-id", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Exit statuses, hangs                                                 */

Test(dns_hostile, exit_statuses)
{
	char *out, *err;

	cr_expect_eq(hdm(HNO_DB, hconf, "dns --domain clean.example", &out,
	    &err, NULL), 0, "%s%s", out, err);
	free(out);
	free(err);
	cr_expect_eq(hdm(HNO_DB, hconf, "dns --domain nop.example", &out,
	    &err, NULL), 1, "%s%s", out, err);
	free(out);
	free(err);
	cr_expect_eq(hdm(HNO_DB, hconf, "dns --format csv --domain "
	    "clean.example", &out, &err, NULL), 64, "%s%s", out, err);
	free(out);
	free(err);
	/* a domain that does not exist at all: DNS answered, it is an
	 * error of the domain, not an unavailable server */
	cr_expect_eq(hdm(HNO_DB, hconf, "dns --domain nosuchdomain.example",
	    &out, &err, NULL), 1, "%s%s", out, err);
	free(out);
	free(err);
}

Test(dns_hostile, silent_dns_server_is_69_quickly)
{
	static const char *const args[] = {
		"dns --domain clean.example",
		"dns --format json --domain clean.example",
		"dns --probe --domain clean.example",
	};

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		char *out, *err;
		double secs;
		int st = hdm(HNO_DB, hconf_silent, args[i], &out, &err, &secs);

		cr_expect_eq(st, 69, "%s: exit %d: %s", args[i], st, err);
		cr_expect_lt(secs, 30.0, "%s: %.1f s", args[i], secs);
		free(out);
		free(err);
	}
}

/* A domain as a user types it: DNS names are case-insensitive, and the
 * trailing dot of a fully-qualified name is common. */
Test(dns_hostile, domain_argument_in_upper_case)
{
	int st;
	json_t *j = hdns_ok(hconf, "Clean.EXAMPLE", &st);

	cr_expect_eq(st, 0);
	cr_expect_str_eq(hstr(j, "domain"), "clean.example");
	json_decref(j);
}

Test(dns_hostile, domain_argument_with_trailing_dot)
{
	int st;
	char *raw;
	json_t *j = hdns(hconf, "clean.example.", &st, &raw);

	cr_expect_eq(st, 0, "%s", raw);
	cr_expect(j != NULL && strcmp(hstr(j, "domain"), "clean.example") == 0,
	    "%s", raw);
	free(raw);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* advise with a live record                                            */

static int64_t
hday(int k)
{
	int64_t now = (int64_t)time(NULL);

	return now - now % HDAY - (int64_t)k * HDAY;
}

/* an aggregate report of domain for day k by reporter r, published p,
 * all aligned mail of 192.0.2.10 signed with s=mailcow */
static void
hreport(const char *path, const char *domain, const char *p, int k, int r)
{
	static const char *const reporters[] = { "google.com",
		"outlook.com", "yahoo.com" };
	char xml[4096];
	int64_t b = hday(k);

	snprintf(xml, sizeof(xml), "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>%s</org_name><email>r@%s</email>"
	    "<report_id>%s-%s-%d</report_id><date_range><begin>%lld</begin>"
	    "<end>%lld</end></date_range></report_metadata>"
	    "<policy_published><domain>%s</domain><adkim>r</adkim>"
	    "<aspf>r</aspf><p>%s</p><pct>100</pct></policy_published>"
	    "<record><row><source_ip>192.0.2.10</source_ip><count>500</count>"
	    "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
	    "<spf>pass</spf></policy_evaluated></row><identifiers>"
	    "<header_from>%s</header_from></identifiers><auth_results>"
	    "<dkim><domain>%s</domain><selector>mailcow</selector>"
	    "<result>pass</result></dkim><spf><domain>%s</domain>"
	    "<result>pass</result></spf></auth_results></record></feedback>\n",
	    reporters[r], reporters[r], domain, reporters[r], k,
	    (long long)b, (long long)(b + HDAY - 1), domain, p, domain, domain,
	    domain);
	test_write_file(path, xml, strlen(xml));
}

/* 20 days of reports from three reporters, all saying p=none, for
 * adv2.example, adv3.example and adv4.example */
static char *
hdb(void)
{
	static const char *const domains[] = { "adv2.example",
		"adv3.example", "adv4.example" };
	char *ci = test_db_migrated(), *rd = test_tmpdir(), path[600];
	char args[700], *out, *err;

	for (int k = 1; k <= 20; k++)
		for (int r = 0; r < 3; r++)
			for (size_t d = 0; d < 3; d++) {
				snprintf(path, sizeof(path), "%s/d%zu-%d-%d.xml",
				    rd, d, k, r);
				hreport(path, domains[d], "none", k, r);
			}
	snprintf(args, sizeof(args), "ingest --json '%s'", rd);
	cr_assert_eq(test_dmarcctl(NULL, ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(rd);
	return ci;
}

static json_t *
hadvise(const char *ci, const char *domain)
{
	char args[256], *out, *err;
	json_error_t je;
	json_t *j;
	int st;

	snprintf(args, sizeof(args), "advise --format json --domain %s",
	    domain);
	st = hdm(ci, hconf, args, &out, &err, NULL);
	cr_assert_eq(st, 0, "%s: exit %d: %s", args, st, err);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	cr_assert_not_null(j, "%s: not JSON: %s (%s)", args, out, err);
	free(out);
	free(err);
	return j;
}

/* live: v=DMARC1; p=none; pct=50; t=y; rua=...; foo=bar; ri=3600; zz=1.
 * Taking the step to quarantine: pct goes (the step is the whole
 * policy); t=y is the first step's testing mode (it softens nothing but
 * p here, dmarcctl.1), kept where it was; every other tag stays where it
 * was. */
Test(dns_hostile, advise_keeps_unknown_tags_in_order)
{
	char *ci = hdb();
	json_t *j = hadvise(ci, "adv2.example");
	const char *rec = hstr(j, "next_record");

	cr_expect_str_eq(hstr(j, "verdict"), "quarantine", "%s", rec);
	cr_assert_not_null(rec);
	cr_expect_str_eq(rec, "v=DMARC1; p=quarantine; t=y; "
	    "rua=mailto:agg@adv2.example; foo=bar; ri=3600; zz=1");
	cr_expect_null(strstr(rec, "pct="), "%s", rec);
	json_decref(j);
	test_db_drop(ci);
}

/* The reports still show p=none (receivers lag), DNS already says
 * p=quarantine: nothing to change now (reject needs weeks of reports
 * under quarantine), and never t=y added to what is in force. */
Test(dns_hostile, advise_live_p_differs_from_reports)
{
	char *ci = hdb();
	json_t *j = hadvise(ci, "adv3.example");
	const char *rec = hstr(j, "next_record");

	cr_assert_not_null(rec);
	cr_expect_str_eq(rec, "v=DMARC1; p=quarantine; "
	    "rua=mailto:agg@adv3.example");
	cr_expect_null(strstr(rec, "t=y"), "%s", rec);
	cr_expect_null(strstr(rec, "p=none"), "%s", rec);
	json_decref(j);
	test_db_drop(ci);
}

/* ------------------------------------------------------------------ */
/* More records met in the wild                                         */

/* URI schemes are case-insensitive (RFC 3986 3.1): MAILTO: to another
 * organisation still needs its authorisation */
Test(dns_hostile, dmarc_upper_case_mailto_scheme_is_checked)
{
	int st;
	json_t *j = hdns_ok(hconf, "mailtoup.example", &st);
	char *f = hfind(j);

	cr_expect(hhas(j, "dmarc-report-unauthorized", "error"), "%s", f);
	free(f);
	json_decref(j);
}

/* ip4:0.0.0.0/0 lets every address of the Internet pass: it is +all
 * under another name, and as dangerous */
Test(dns_hostile, spf_ip4_whole_internet_is_like_all_pass)
{
	int st;
	json_t *j = hdns_ok(hconf, "ip4all.example", &st);
	char *f = hfind(j);

	cr_expect(hhas_prefix(j, "spf-", "error"), "%s", f);
	cr_expect_eq(st, 1, "%s", f);
	free(f);
	json_decref(j);
}

/* a Sender ID record (spf2.0/...) next to the SPF record is not a second
 * SPF record */
Test(dns_hostile, spf_sender_id_record_is_not_a_second_spf)
{
	int st;
	json_t *j = hdns_ok(hconf, "senderid.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_not(hhas(j, "spf-multiple", NULL), "%s", f);
	free(f);
	json_decref(j);
}

/* k=RSA, an n= note, and a space inside p= where the strings were cut */
Test(dns_hostile, dkim_key_with_spaces_and_notes)
{
	int st;
	json_t *j = hdns_ok(hconf_dkim, "dkim.example", &st);
	char *d = json_dumps(json_object_get(j, "dkim"), JSON_COMPACT);
	const json_t *v;
	size_t i;
	bool seen = false;

	json_array_foreach(json_object_get(j, "dkim"), i, v)
		if (strcmp(hstr(v, "selector"), "spaced") == 0) {
			cr_expect_eq(hint(v, "bits"), 2048, "%s", d);
			seen = true;
		}
	cr_expect(seen, "%s", d);
	free(d);
	json_decref(j);
}

Test(dns_hostile, sts_policy_trailing_white_space_and_no_final_newline)
{
	static const char *const d[] = { "ststrail", "stsnoeol" };

	for (size_t i = 0; i < 2; i++) {
		int st;
		char *f;
		json_t *j = sts_of(d[i], &st, &f);
		const json_t *m = json_object_get(j, "mta_sts");

		cr_expect_str_eq(hstr(m, "fetch"), "ok", "%s: %s", d[i], f);
		cr_expect_str_eq(hstr(m, "mode"), "enforce", "%s: %s", d[i], f);
		cr_expect_eq(hint(m, "max_age"), 604800, "%s: %s", d[i], f);
		cr_expect_not(hhas_prefix(j, "sts-", "error"), "%s: %s", d[i],
		    f);
		free(f);
		json_decref(j);
	}
}

/* A hosted-mail setup: five MX hosts with IPv4 and IPv6, SPF through
 * the provider's nested includes.  Run under valgrind when it is there:
 * the MX list must not be read from freed memory (the resolver's answer
 * cache grows while the MX answer is still in use). */
static void
under_valgrind_status(const char *domain, int want)
{
	char cmd[2048], *out, *err, *q = test_shq(HNO_DB);
	int st;

	/* the sanitizer build checks memory itself (and cannot run under
	 * valgrind) */
	const char *checker = getenv("ASAN_OPTIONS") != NULL ? "" :
	    "valgrind -q --error-exitcode=99 ";

	if (*checker != '\0' &&
	    test_run("command -v valgrind", &out, &err) != 0) {
		free(out);
		free(err);
		free(q);
		cr_skip_test("no valgrind");
	}
	if (*checker != '\0') {
		free(out);
		free(err);
	}
	snprintf(cmd, sizeof(cmd), "%s'%s' --db %s -c '%s' dns --format json "
	    "--domain %s", checker, DMARCCTL_BIN, q, hconf, domain);
	free(q);
	st = test_run(cmd, &out, &err);
	cr_expect_neq(st, 99, "%s: memory errors: %s", domain, err);
	cr_expect_eq(st, want, "%s: exit %d: %s", domain, st, err);
	free(out);
	free(err);
}

static void
under_valgrind(const char *domain)
{
	under_valgrind_status(domain, 0);
}

Test(dns_hostile, hosted_mail_five_mx_no_use_after_free)
{
	under_valgrind("gws.example");
}

Test(dns_hostile, hosted_mail_five_mx_json)
{
	int st;
	json_t *j = hdns_ok(hconf, "gws.example", &st);
	char *f = hfind(j);
	const json_t *mx = json_object_get(j, "mx");

	cr_expect_eq(st, 0, "%s", f);
	cr_assert_eq(json_array_size(mx), 5, "%s", f);
	cr_expect_str_eq(hstr(json_array_get(mx, 0), "host"),
	    "aspmx.l.gws-provider.example");
	cr_expect_eq(json_array_size(json_object_get(json_array_get(mx, 4),
	    "addresses")), 2);
	free(f);
	json_decref(j);
}

/* advise when DNS never answers: the reports alone, a warning, and an
 * end well within 30 s */
Test(dns_hostile, advise_with_silent_dns_falls_back_quickly)
{
	char *ci = hdb(), *out, *err;
	double secs;
	int st = hdm(ci, hconf_silent, "advise --format json --domain "
	    "adv2.example", &out, &err, &secs);

	cr_expect_eq(st, 0, "exit %d: %s", st, err);
	cr_expect_lt(secs, 30.0, "%.1f s", secs);
	cr_expect(strstr(out, "\"verdict\":\"quarantine\"") != NULL, "%s", out);
	free(out);
	free(err);
	st = hdm(ci, hconf_silent, "tls --probe --format json --domain "
	    "adv2.example", &out, &err, &secs);
	cr_expect_lt(secs, 30.0, "tls --probe: %.1f s", secs);
	cr_expect(st == 0 || st == 69, "tls --probe: exit %d: %s", st, err);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* Control characters served in TXT strings reach no terminal raw and
 * keep the JSON valid. */
Test(dns_hostile, control_characters_in_records_are_not_printed_raw)
{
	char *out, *err;
	int st = hdm(HNO_DB, hconf, "dns --domain esc.example", &out, &err,
	    NULL);
	json_t *j;

	cr_expect_eq(st, 1, "%s", err);
	cr_expect_null(strchr(out, '\033'), "raw ESC in: %s", out);
	cr_expect_null(strchr(out, '\007'), "raw BEL in: %s", out);
	free(out);
	free(err);
	j = hdns_ok(hconf, "esc.example", &st);
	cr_expect(hhas(j, "spf-syntax", "error"));
	json_decref(j);
}

Test(dns_hostile, dmarc_record_behind_a_cname)
{
	int st;
	json_t *j = hdns_ok(hconf, "cn.example", &st);
	char *f = hfind(j);

	cr_expect_eq(st, 0, "%s", f);
	cr_expect_str_eq(hstr(json_object_get(j, "dmarc"), "p"), "quarantine",
	    "%s", f);
	free(f);
	json_decref(j);
}

/* strstr without case */
static const char *
ci_strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* live: V=DMARC1; P=None; RUA=...; FO=1.  The step is quarantine, with
 * the one p tag, rua and fo kept. */
Test(dns_hostile, advise_live_record_in_upper_case)
{
	char *ci = hdb();
	json_t *j = hadvise(ci, "adv4.example");
	const char *rec = hstr(j, "next_record");
	const char *p1, *p2;

	cr_expect_str_eq(hstr(j, "verdict"), "quarantine", "%s", rec);
	cr_assert_not_null(rec);
	cr_expect(strncasecmp(rec, "v=DMARC1; p=quarantine", 22) == 0, "%s",
	    rec);
	p1 = ci_strstr(rec, "; p=");
	p2 = p1 != NULL ? ci_strstr(p1 + 1, "; p=") : NULL;
	cr_expect_null(p2, "two p tags: %s", rec);
	cr_expect_null(ci_strstr(rec, "p=None"), "%s", rec);
	cr_expect(ci_strstr(rec, "rua=mailto:agg@adv4.example") != NULL, "%s",
	    rec);
	cr_expect(ci_strstr(rec, "fo=1") != NULL, "%s", rec);
	json_decref(j);
	test_db_drop(ci);
}

/* ------------------------------------------------------------------ */
/* tls with the live MTA-STS policy                                     */

/* a clean TLS-RPT report of domain for day k by reporter r: mode testing
 * with the one MX mx, 1000 sessions, none failed */
static void
htls_report(const char *path, const char *domain, const char *mx, int k,
    int r)
{
	static const char *const reporters[] = { "google.com",
		"microsoft.com", "yahoo.com" };
	char json[4096], from[32], to[32];
	time_t t0 = (time_t)hday(k), t1 = t0 + HDAY - 1;
	struct tm tm;

	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	snprintf(json, sizeof(json), "{\"organization-name\":\"%s\","
	    "\"date-range\":{\"start-datetime\":\"%s\",\"end-datetime\":"
	    "\"%s\"},\"contact-info\":\"tls@%s\",\"report-id\":\"%s-%s-%d\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	    "\"mx: %s\",\"max_age: 604800\"],\"policy-domain\":\"%s\"},"
	    "\"summary\":{\"total-successful-session-count\":1000,"
	    "\"total-failure-session-count\":0}}]}\n", reporters[r], from, to,
	    reporters[r], domain, reporters[r], k, mx, domain);
	test_write_file(path, json, strlen(json));
}

/* 20 days of clean reports in testing for stswild.example (policy
 * *.stswild.example) and stscrlf.example */
static char *
htls_db(void)
{
	char *ci = test_db_migrated(), *rd = test_tmpdir(), path[600];
	char args[700], *out, *err;

	for (int k = 1; k <= 20; k++)
		for (int r = 0; r < 3; r++) {
			snprintf(path, sizeof(path), "%s/w-%d-%d.json", rd, k, r);
			htls_report(path, "stswild.example", "*.stswild.example",
			    k, r);
			snprintf(path, sizeof(path), "%s/c-%d-%d.json", rd, k, r);
			htls_report(path, "stscrlf.example", "mx.stscrlf.example",
			    k, r);
		}
	snprintf(args, sizeof(args), "ingest --json '%s'", rd);
	cr_assert_eq(test_dmarcctl(NULL, ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(rd);
	return ci;
}

static json_t *
htls(const char *ci, const char *domain)
{
	char args[256], *out, *err;
	json_error_t je;
	json_t *j;
	int st;

	snprintf(args, sizeof(args), "tls --format json --domain %s", domain);
	st = hdm(ci, hconf, args, &out, &err, NULL);
	cr_assert_eq(st, 0, "%s: exit %d: %s", args, st, err);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &je);
	cr_assert_not_null(j, "%s: not JSON: %s (%s)", args, out, err);
	free(out);
	free(err);
	return j;
}

/* *.stswild.example covers mx.stswild.example and not a.b.stswild.example
 * (RFC 8461 4.1: the wildcard is one label): that one MX blocks */
Test(dns_hostile, tls_wildcard_policy_blocks_only_the_deeper_mx)
{
	char *ci = htls_db();
	json_t *j = htls(ci, "stswild.example");
	char *bl = json_dumps(json_object_get(j, "blockers"), JSON_COMPACT);

	cr_expect(strstr(bl, "a.b.stswild.example") != NULL, "%s", bl);
	cr_expect(strstr(bl, "\"mx.stswild.example\"") == NULL, "%s", bl);
	cr_expect_str_eq(hstr(j, "verdict"), "stay", "%s", bl);
	free(bl);
	json_decref(j);
	test_db_drop(ci);
}

/* the reports saw testing, the live policy (CRLF lines) is enforce and
 * covers its MX: nothing left to do, and the mode shown is the one the
 * verdict was drawn from (debatable: mode may be meant as the reports'
 * mode, but then "done" contradicts it on the same line) */
Test(dns_hostile, tls_live_enforce_with_crlf_policy_is_done)
{
	char *ci = htls_db();
	json_t *j = htls(ci, "stscrlf.example");
	char *bl = json_dumps(json_object_get(j, "blockers"), JSON_COMPACT);

	cr_expect_str_eq(hstr(j, "mode"), "enforce", "mode %s, verdict %s: %s",
	    hstr(j, "mode"), hstr(j, "verdict"), bl);
	cr_expect_str_eq(hstr(j, "verdict"), "done", "verdict %s: %s",
	    hstr(j, "verdict"), bl);
	free(bl);
	json_decref(j);
	test_db_drop(ci);
}

/* ------------------------------------------------------------------ */
/* Domain names that are no domain names                                */

/* A typo in --domain is a usage error (64), never "no DNS server
 * answers" (69): the server is fine, and 69 sends the admin to look at
 * the resolver.  (127.0.0.1 is debatable: an address is no mail
 * domain.) */
Test(dns_hostile, bad_domain_names_are_usage_errors)
{
	static const char *const names[] = {
		"clean..example",
		"clean.example/",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    ".example",		/* a label of 64 octets */
		"127.0.0.1",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char args[300], *out, *err;
		int st;

		snprintf(args, sizeof(args), "dns --domain '%s'", names[i]);
		st = hdm(HNO_DB, hconf, args, &out, &err, NULL);
		cr_expect_eq(st, 64, "%s: exit %d: %s", names[i], st, err);
		cr_expect_null(strstr(err, "no DNS server answers"), "%s: %s",
		    names[i], err);
		free(out);
		free(err);
	}
}

/* an internationalised domain is asked in its A-label form */
Test(dns_hostile, idn_domain_is_asked_as_a_label)
{
	int st;
	json_t *j = hdns_ok(hconf, "bücher.example", &st);

	cr_expect_str_eq(hstr(j, "domain"), "xn--bcher-kva.example");
	cr_expect_eq(st, 1);	/* it publishes nothing: dmarc-missing */
	json_decref(j);
}

/* An SPF tree of IPv6-only hosts: each a-term asks A, finds nothing, and
 * asks AAAA.  The A answer must not be read after the AAAA question has
 * grown the resolver's cache. */
/* two void lookups (e. and gone.aaaa.example): at the limit, a warning */
Test(dns_hostile, spf_ipv6_only_hosts_no_use_after_free)
{
	under_valgrind_status("aaaa.example", 0);
}
