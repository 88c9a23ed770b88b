/*
 * The live checks against a real DNS server on loopback: scripts/dns-rig.sh
 * starts a private dnsmasq serving tests/fixtures/dns/zone.records, where
 * each domain shows one thing that can be wrong with what a mail domain
 * publishes.  The failure cases use a port where nothing listens and a
 * socket that takes queries and never answers.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "dns/check.h"
#include "dns/resolve.h"
#include "dns/spf.h"
#include "model/orgdomain.h"
#include "tests/test_util.h"

#define ZONE FIXTURES "/dns/zone"

static char *rig_dir;
static char server[64];

static void
rig_start(void)
{
	size_t len;
	char *hosts = test_slurp(ZONE ".hosts", &len);
	char *records = test_slurp(ZONE ".records", &len);
	struct err err;

	rig_dir = test_tmpdir();
	snprintf(server, sizeof(server), "127.0.0.1:%u",
	    test_dns_start_records(rig_dir, hosts, records));
	free(hosts);
	free(records);
	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
}

static void
rig_stop(void)
{
	test_dns_stop(rig_dir);
	free(rig_dir);
}

TestSuite(dns_check, .init = rig_start, .fini = rig_stop, .timeout = 60);

static struct resolver *
resolver(void)
{
	struct resolver *r;
	struct err err;

	cr_assert_eq(resolver_new(&r, server, 1000, 20000, &err), 0, "%s",
	    err.msg);
	return r;
}

static bool
has_finding(const struct findings *f, const char *code, enum severity sev)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, code) == 0 && f->v[i].sev == sev)
			return true;
	return false;
}

static void
dump(const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		cr_log_info("%s %s: %s", severity_name(f->v[i].sev),
		    f->v[i].code, f->v[i].message);
}

Test(dns_check, resolver_answers)
{
	struct resolver *r = resolver();
	const struct dns_answer *a;
	size_t q;

	a = resolver_ask(r, "good.example", ns_t_txt);
	cr_assert_eq(a->rc, DNS_ANSWER);
	cr_expect_eq(a->n, 2);
	a = resolver_ask(r, "mailcow._domainkey.good.example", ns_t_txt);
	cr_assert_eq(a->n, 1);
	/* two strings of one record are one text (RFC 7208 3.3) */
	cr_expect_gt(strlen(a->v[0]), 300, "%s", a->v[0]);
	cr_expect_null(strchr(a->v[0], '"'));
	a = resolver_ask(r, "good.example", ns_t_mx);
	cr_assert_eq(a->n, 2);
	cr_expect_str_eq(a->v[0], "mx.good.example");
	cr_expect_eq(a->pref[0], 10);
	cr_expect_str_eq(a->v[1], "mx2.good.example");
	a = resolver_ask(r, "mx.good.example", ns_t_a);
	cr_assert_eq(a->rc, DNS_ANSWER);
	cr_expect_str_eq(a->v[0], "127.0.0.11");
	cr_expect_eq(resolver_ask(r, "nothing.good.example", ns_t_txt)->rc,
	    DNS_NXDOMAIN);
	cr_expect_eq(resolver_ask(r, "_dmarc.good.example", ns_t_a)->rc,
	    DNS_NODATA);
	/* recalled, not asked again */
	q = resolver_queries(r);
	resolver_ask(r, "GOOD.example", ns_t_txt);
	cr_expect_eq(resolver_queries(r), q);
	/* never sent */
	cr_expect_eq(resolver_ask(r, "a b.example", ns_t_txt)->rc, DNS_FAIL);
	cr_expect_eq(resolver_queries(r), q);
	cr_expect(resolver_reached(r));
	resolver_free(r);
}

Test(dns_check, resolver_unreachable_is_quick)
{
	struct resolver *r;
	struct err err;
	unsigned port = test_free_port(SOCK_DGRAM);
	char where[64];
	time_t t0 = time(NULL);

	snprintf(where, sizeof(where), "127.0.0.1:%u", port);
	cr_assert_eq(resolver_new(&r, where, 200, 5000, &err), 0);
	cr_expect_eq(resolver_ask(r, "good.example", ns_t_txt)->rc, DNS_FAIL);
	cr_expect_not(resolver_reached(r));
	cr_expect_leq(time(NULL) - t0, 3);
	resolver_free(r);
	cr_expect_eq(resolver_new(&r, "not a server", 200, 5000, &err), -1);
	cr_expect_eq(err.code, ERR_USAGE);
}

Test(dns_check, resolver_budget_ends_a_silent_server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct resolver *r;
	struct err err;
	char where[64];
	struct timespec t0, t1;
	long ms;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(where, sizeof(where), "127.0.0.1:%u", ntohs(sa.sin_port));
	/* each try could wait 2 s; the budget of the run is 600 ms */
	cr_assert_eq(resolver_new(&r, where, 2000, 600, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(resolver_ask(r, i % 2 ? "a.example" :
		    "b.example", ns_t_txt)->rc, DNS_FAIL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	cr_expect_leq(ms, 1500, "%ld ms", ms);
	resolver_free(r);
	close(fd);
}

static void
walk(const char *domain, struct spf_tree *t, struct findings *f)
{
	struct resolver *r = resolver();

	memset(f, 0, sizeof(*f));
	spf_walk(r, domain, t, f);
	dump(f);
	resolver_free(r);
}

Test(dns_check, spf_good)
{
	struct spf_tree t;
	struct findings f;

	walk("good.example", &t, &f);
	cr_expect_eq(t.lookups, 2);
	cr_expect_eq(t.void_lookups, 0);
	cr_expect_str_eq(t.all, "-all");
	cr_assert_eq(t.n, 2);
	cr_expect_str_eq(t.nodes[1].domain, "_spf.esp.example");
	cr_expect_str_eq(t.nodes[1].via, "include");
	cr_expect_eq(findings_worst(&f), SEV_INFO);
	spf_tree_free(&t);
	findings_free(&f);
}

Test(dns_check, spf_over_the_lookup_limit)
{
	struct spf_tree t;
	struct findings f;

	walk("spf11.example", &t, &f);
	cr_expect_eq(t.lookups, 11);
	cr_expect(has_finding(&f, "spf-too-many-lookups", SEV_ERROR));
	cr_expect_eq(t.n, 4);
	spf_tree_free(&t);
	findings_free(&f);
}

Test(dns_check, spf_void_lookups_and_missing_include)
{
	struct spf_tree t;
	struct findings f;

	walk("void.example", &t, &f);
	cr_expect_eq(t.void_lookups, 3);
	cr_expect(has_finding(&f, "spf-void-lookups", SEV_ERROR));
	cr_expect(has_finding(&f, "spf-include-missing", SEV_ERROR));
	spf_tree_free(&t);
	findings_free(&f);
}

Test(dns_check, spf_bad_records)
{
	static const struct {
		const char *domain, *code;
		enum severity sev;
	} cases[] = {
		{ "allpass.example", "spf-all-pass", SEV_ERROR },
		{ "loop.example", "spf-include-loop", SEV_ERROR },
		{ "multi.example", "spf-multiple", SEV_ERROR },
		{ "nothere.example", "spf-missing", SEV_ERROR },
		{ "weak.example", "spf-all-pass", SEV_INFO },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spf_tree t;
		struct findings f;
		bool want = cases[i].sev != SEV_INFO;

		walk(cases[i].domain, &t, &f);
		cr_expect_eq(has_finding(&f, cases[i].code, want ?
		    cases[i].sev : SEV_ERROR), want, "%s: %s",
		    cases[i].domain, cases[i].code);
		spf_tree_free(&t);
		findings_free(&f);
	}
}

Test(dns_check, spf_redirect_gives_its_all)
{
	struct spf_tree t;
	struct findings f;

	walk("redir.example", &t, &f);
	cr_expect_str_eq(t.all, "-all");
	cr_expect_eq(t.lookups, 1);
	cr_assert_eq(t.n, 2);
	cr_expect_str_eq(t.nodes[1].via, "redirect");
	spf_tree_free(&t);
	findings_free(&f);
}

Test(dns_check, spf_check_host)
{
	static const struct {
		const char *domain, *ip;
		enum spf_result want;
		const char *why;
	} cases[] = {
		{ "good.example", "198.51.100.7", SPF_PASS,
		  "ip4:198.51.100.0/24 in include:_spf.esp.example" },
		{ "good.example", "192.0.2.200", SPF_PASS, "ip4:192.0.2.0/24" },
		{ "good.example", "127.0.0.12", SPF_PASS, "mx" },
		{ "good.example", "2001:db8::1", SPF_PASS, NULL },
		{ "good.example", "2001:db9::1", SPF_FAIL, "-all" },
		{ "good.example", "203.0.113.5", SPF_FAIL, "-all" },
		{ "macro.example", "192.0.2.77", SPF_PASS, NULL },
		{ "macro.example", "192.0.2.78", SPF_FAIL, NULL },
		{ "redir.example", "198.51.100.1", SPF_PASS, NULL },
		{ "redir.example", "203.0.113.1", SPF_FAIL, NULL },
		{ "allpass.example", "203.0.113.1", SPF_PASS, "+all" },
		{ "nothere.example", "203.0.113.1", SPF_NONE, NULL },
		{ "multi.example", "203.0.113.1", SPF_PERMERROR, NULL },
		{ "loop.example", "203.0.113.1", SPF_PERMERROR, NULL },
		{ "void.example", "203.0.113.1", SPF_PERMERROR, NULL },
		{ "good.example", "not an address", SPF_PERMERROR, NULL },
	};
	struct resolver *r = resolver();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256];
		enum spf_result got = spf_check(r, cases[i].domain,
		    cases[i].ip, why, sizeof(why));

		cr_expect_eq(got, cases[i].want, "%s %s: %s (%s)",
		    cases[i].domain, cases[i].ip, spf_result_name(got), why);
		if (cases[i].why != NULL)
			cr_expect_str_eq(why, cases[i].why, "%s %s",
			    cases[i].domain, cases[i].ip);
	}
	resolver_free(r);
}

static void
check(const char *domain, const struct dns_check_opts *o,
    struct dns_posture *p)
{
	struct resolver *r = resolver();
	struct err err;

	cr_assert_eq(dns_check(r, domain, o, p, &err), 0, "%s", err.msg);
	dump(&p->findings);
	resolver_free(r);
}

Test(dns_check, good_domain_has_no_problem)
{
	static const struct dns_selector sel[] = {
		{ "mailcow", "good.example", SELECTOR_USED },
	};
	static const struct dns_sender snd[] = {
		{ "198.51.100.9", "esp", 40, NULL },
		{ "203.0.113.5", NULL, 12, NULL },
		/* a pool with a return-path of its own: SPF cannot align */
		{ "198.18.0.1", "bulk", 30, "rp.bulk.example" },
		{ "198.18.0.2", "bulk", 20, "rp.bulk.example" },
		/* a relay with our return-path, two addresses: one finding */
		{ "198.19.25.10", "relay", 300, NULL },
		{ "198.19.25.11", "relay", 200, NULL },
	};
	struct dns_check_opts o = { .parts = DNS_PART_ALL & ~DNS_PART_STS,
		.selectors = sel, .n_selectors = 1, .senders = snd,
		.n_senders = sizeof(snd) / sizeof(snd[0]) };
	struct dns_posture p;

	check("good.example", &o, &p);
	cr_expect(p.is_reached);
	cr_expect(p.has_dmarc);
	cr_expect_str_eq(dmarc_txt_get(&p.dmarc, "p"), "none");
	cr_expect_str_eq(dmarc_txt_get(&p.dmarc, "fo"), "1");
	cr_assert_eq(p.n_dkim, 1);
	cr_expect(p.dkim[0].has_key);
	cr_expect_eq(p.dkim[0].key.bits, 2048);
	cr_expect_eq(p.n_mx, 2);
	cr_expect(p.has_tlsrpt);
	cr_assert_eq(p.n_senders, 6);
	cr_expect_eq(p.senders[0].result, SPF_PASS);
	cr_expect_eq(p.senders[1].result, SPF_FAIL);
	/* the unlisted senders, one finding each, the relay's fix both
	 * addresses; the pool needs DKIM, not SPF */
	cr_expect_eq(findings_count(&p.findings, "spf-sender-not-listed"), 2);
	cr_expect_eq(findings_count(&p.findings, "spf-sender-own-domain"), 1);
	for (size_t i = 0; i < p.findings.n; i++)
		if (strcmp(p.findings.v[i].code, "spf-sender-not-listed") == 0 &&
		    strstr(p.findings.v[i].message, "relay") != NULL)
			cr_expect_str_eq(p.findings.v[i].fix,
			    "ip4:198.19.25.10 ip4:198.19.25.11");
	cr_expect_neq(findings_worst(&p.findings), SEV_ERROR);
	dns_posture_free(&p);
}

Test(dns_check, dkim_keys_judged)
{
	static const struct dns_selector sel[] = {
		{ "s1024", "weak.example", SELECTOR_USED },
		{ "s512", "weak.example", SELECTOR_USED },
		{ "old", "weak.example", SELECTOR_SEEN },
		{ "gone", "weak.example", SELECTOR_USED },
		{ "maybe", "weak.example", SELECTOR_SEEN },
		{ "mailcow", "weak.example", SELECTOR_GUESS },
	};
	struct dns_check_opts o = { .parts = DNS_PART_DKIM, .selectors = sel,
		.n_selectors = sizeof(sel) / sizeof(sel[0]) };
	struct dns_posture p;

	check("weak.example", &o, &p);
	cr_assert_eq(p.n_dkim, 6);
	cr_expect_eq(p.dkim[0].key.bits, 1024);
	cr_expect_eq(p.dkim[1].key.bits, 512);
	cr_expect(p.dkim[2].key.is_revoked);
	cr_expect(has_finding(&p.findings, "dkim-key-short", SEV_WARNING));
	cr_expect(has_finding(&p.findings, "dkim-key-weak", SEV_ERROR));
	cr_expect(has_finding(&p.findings, "dkim-missing", SEV_ERROR));
	cr_expect(has_finding(&p.findings, "dkim-missing", SEV_WARNING));
	/* a usual name that is not published is no finding */
	cr_expect_eq(findings_count(&p.findings, "dkim-missing"), 2);
	dns_posture_free(&p);
}

Test(dns_check, dmarc_records_judged)
{
	static const struct {
		const char *domain, *code;
		enum severity sev;
	} cases[] = {
		{ "extrua.example", "dmarc-report-unauthorized", SEV_ERROR },
		{ "multi.example", "dmarc-multiple", SEV_ERROR },
		{ "void.example", "dmarc-missing", SEV_ERROR },
		{ "sub.inherit.example", "dmarc-inherited", SEV_INFO },
	};
	struct dns_check_opts o = { .parts = DNS_PART_DMARC };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_posture p;

		check(cases[i].domain, &o, &p);
		cr_expect(has_finding(&p.findings, cases[i].code,
		    cases[i].sev), "%s: %s", cases[i].domain, cases[i].code);
		dns_posture_free(&p);
	}
}

Test(dns_check, external_reports_authorised)
{
	struct dns_check_opts o = { .parts = DNS_PART_DMARC };
	struct dns_posture p;

	check("authrua.example", &o, &p);
	cr_expect_eq(findings_count(&p.findings, "dmarc-report-unauthorized"),
	    0);
	cr_expect_str_eq(dmarc_txt_get(&p.dmarc, "p"), "quarantine");
	dns_posture_free(&p);
	check("extrua.example", &o, &p);
	/* one of its two addresses is in another organisation */
	cr_expect_eq(findings_count(&p.findings, "dmarc-report-unauthorized"),
	    1);
	cr_assert_eq(p.findings.n > 0, true);
	dns_posture_free(&p);
}

Test(dns_check, inherited_record_is_the_parent)
{
	struct dns_check_opts o = { .parts = DNS_PART_DMARC };
	struct dns_posture p;

	check("sub.inherit.example", &o, &p);
	cr_expect(p.has_dmarc);
	cr_expect_str_eq(p.dmarc_at, "_dmarc.inherit.example");
	cr_expect_str_eq(dmarc_txt_get(&p.dmarc, "sp"), "quarantine");
	dns_posture_free(&p);
}

Test(dns_check, mx_and_tlsrpt)
{
	struct dns_check_opts o = { .parts = DNS_PART_MX | DNS_PART_TLSRPT };
	struct dns_posture p;

	check("stsmiss.example", &o, &p);
	cr_assert_eq(p.n_mx, 2);
	cr_expect_str_eq(p.mx[0].host, "mx.stsmiss.example");
	cr_assert_eq(p.mx[0].n_addrs, 1);
	cr_expect_str_eq(p.mx[0].addrs[0], "127.0.0.13");
	cr_expect(has_finding(&p.findings, "tlsrpt-missing", SEV_WARNING) ||
	    has_finding(&p.findings, "tlsrpt-missing", SEV_INFO));
	dns_posture_free(&p);
	check("weak.example", &o, &p);
	cr_expect(has_finding(&p.findings, "mx-missing", SEV_WARNING));
	dns_posture_free(&p);
}

Test(dns_check, unreachable_dns_stops_after_one_question)
{
	struct resolver *r;
	struct err err;
	struct dns_posture p;
	struct dns_check_opts o = { 0 };
	char where[64];

	snprintf(where, sizeof(where), "127.0.0.1:%u",
	    test_free_port(SOCK_DGRAM));
	cr_assert_eq(resolver_new(&r, where, 200, 5000, &err), 0);
	cr_assert_eq(dns_check(r, "good.example", &o, &p, &err), 0);
	cr_expect_not(p.is_reached);
	cr_expect_leq(resolver_queries(r), 2);
	dns_posture_free(&p);
	resolver_free(r);
}
