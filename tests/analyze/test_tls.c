/*
 * The MTA-STS verdict of `dmarcctl tls`, as a specification: each rule of
 * verdict_tls (analyze/tls.h) with the default thresholds, on a domain
 * with enough data (30 days, 3 reporters, 100000 sessions) whose policy is
 * in testing mode, unless a case says otherwise.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "analyze/tls.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool
tls_has_line(const struct verdict_tls_advice *a, const char *needle)
{
	for (size_t i = 0; i < a->n_lines; i++)
		if (strstr(a->lines[i], needle) != NULL)
			return true;
	return false;
}

static void
tls(const struct verdict_tls_input *in, struct verdict_tls_advice *out)
{
	struct verdict_thresholds th = verdict_defaults();

	verdict_tls(in, &th, out);
}

/* failures of one MX and type: n sessions from rep reporters on d days,
 * the last on November last, repaired on November fixed (0: no
 * evidence) */
#define MX1 "mx1.example.com"
#define MX2 "mx2.example.com"
#define NOV(day) "2026-11-" #day
#define FAIL(pt, host, type, n, rep, d, last, fixed) \
	{ .policy_type = (pt), .mx = (host), .result_type = (type), \
	  .sessions = (n), .reporters = (rep), .days = (d), \
	  .last_seen = NOV(last), \
	  .repaired_on = #fixed[0] == '0' ? NULL : NOV(fixed) }

static struct verdict_tls_input
testing(const struct tls_result_stats *r, size_t n, int64_t failures)
{
	return (struct verdict_tls_input){ .domain = "example.com",
		.mode = "testing", .days = 30, .reporters = 3,
		.sessions = 100000, .failures = failures, .results = r,
		.n_results = n };
}

/* ---- the rules, one table ---- */

struct rule_case {
	const char *what;
	struct tls_result_stats r[3];
	size_t n;
	int64_t failures;	/* summary failures of the reports */
	const char *verdict;
	size_t blockers, warnings, dane;
};

static const struct rule_case rule_cases[] = {
	/* 1. a policy the sender could not use is no failed delivery:
	 * RFC 8461 sections 3.3 and 5 */
	{ "policy fetch error, many sessions",
	  { FAIL("sts", NULL, "sts-policy-fetch-error", 5000, 3, 20, 28, 0) },
	  1, 5000, "enforce", 0, 1, 0 },
	{ "invalid policy",
	  { FAIL("sts", NULL, "sts-policy-invalid", 300, 2, 4, 28, 0) },
	  1, 300, "enforce", 0, 1, 0 },
	{ "policy host certificate",
	  { FAIL("sts", NULL, "sts-webpki-invalid", 40, 1, 2, 27, 0) },
	  1, 40, "enforce", 0, 1, 0 },
	{ "fetch errors do not hide a real failure",
	  { FAIL("sts", NULL, "sts-policy-fetch-error", 5000, 3, 20, 28, 0),
	    FAIL("sts", MX2, "certificate-expired", 40, 2, 3, 28, 0) },
	  2, 5040, "stay", 1, 1, 0 },
	/* 2. isolated noise warns; a real failure blocks */
	{ "one session, one reporter, one day",
	  { FAIL("sts", MX1, "starttls-not-supported", 1, 1, 1, 29, 0) },
	  1, 1, "enforce", 0, 1, 0 },
	{ "two sessions, one reporter, one day",
	  { FAIL("sts", MX1, "certificate-not-trusted", 2, 1, 1, 20, 0) },
	  1, 2, "enforce", 0, 1, 0 },
	{ "three sessions",
	  { FAIL("sts", MX1, "starttls-not-supported", 3, 1, 1, 29, 0) },
	  1, 3, "stay", 1, 0, 0 },
	{ "one session each from two reporters",
	  { FAIL("sts", MX1, "starttls-not-supported", 2, 2, 1, 29, 0) },
	  1, 2, "stay", 1, 0, 0 },
	{ "one session on each of two days",
	  { FAIL("sts", MX1, "validation-failure", 2, 1, 2, 29, 0) },
	  1, 2, "stay", 1, 0, 0 },
	{ "a share above the failure rate",
	  { FAIL("sts", MX1, "starttls-not-supported", 2, 1, 1, 29, 0) },
	  1, 2, "stay", 1, 0, 0 },	/* of 1000 sessions: see below */
	{ "without a policy, still the same MX",
	  { FAIL("no-policy-found", MX1, "starttls-not-supported", 9, 2, 3,
	    29, 0) }, 1, 9, "stay", 1, 0, 0 },
	/* 3. DANE is its own problem */
	{ "TLSA mismatch",
	  { FAIL("tlsa", MX1, "tlsa-invalid", 500, 3, 10, 29, 0) },
	  1, 500, "enforce", 0, 0, 1 },
	{ "certificate failure under a tlsa policy",
	  { FAIL("tlsa", MX1, "certificate-expired", 80, 2, 4, 29, 0) },
	  1, 80, "enforce", 0, 0, 1 },
	{ "DANE type under sts, and a real sts failure",
	  { FAIL("sts", MX1, "dnssec-invalid", 7, 1, 2, 29, 0),
	    FAIL("sts", MX2, "certificate-expired", 7, 1, 2, 29, 0) },
	  2, 14, "stay", 1, 0, 1 },
	{ "the same MX and type under tlsa and sts",
	  { FAIL("tlsa", MX1, "certificate-expired", 50, 2, 4, 29, 0),
	    FAIL("sts", MX1, "certificate-expired", 50, 2, 4, 29, 0) },
	  2, 100, "stay", 1, 0, 1 },
	/* 4. quiet days are no repair; evidence is */
	{ "expired three weeks ago, no sessions since",
	  { FAIL("sts", MX2, "certificate-expired", 20, 2, 3, 09, 0) },
	  1, 20, "stay", 1, 0, 0 },
	{ "expired three weeks ago, clean reports since",
	  { FAIL("sts", MX2, "certificate-expired", 20, 2, 3, 09, 10) },
	  1, 20, "enforce", 0, 0, 0 },
	{ "repaired under sts, not without a policy",
	  { FAIL("sts", MX2, "certificate-expired", 20, 2, 3, 09, 10),
	    FAIL("no-policy-found", MX2, "certificate-expired", 5, 1, 2, 09,
	    0) }, 2, 25, "stay", 1, 0, 0 },
	{ "expired three weeks ago, the MX left the policy since",
	  { { .policy_type = "sts", .mx = MX2,
	      .result_type = "certificate-expired", .sessions = 20,
	      .reporters = 2, .days = 3, .last_seen = NOV(09),
	      .retired_on = NOV(12) } }, 1, 20, "enforce", 0, 0, 0 },
	{ "an MX repaired, the other not",
	  { FAIL("sts", MX1, "certificate-expired", 20, 2, 3, 09, 10),
	    FAIL("sts", MX2, "starttls-not-supported", 4, 1, 1, 12, 0) },
	  2, 24, "stay", 1, 0, 0 },
};

Test(tls, rules)
{
	for (size_t i = 0; i < NELEM(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		struct verdict_tls_input in = testing(c->r, c->n, c->failures);
		struct verdict_tls_advice a;

		int64_t dane = 0;
		struct tls_policy_stats types[2];

		if (strcmp(c->what, "a share above the failure rate") == 0)
			in.sessions = 1000;
		/* the summary counts by policy type, as reports give them */
		for (size_t k = 0; k < c->n; k++)
			if (c->r[k].policy_type != NULL &&
			    strcmp(c->r[k].policy_type, "tlsa") == 0)
				dane += c->r[k].sessions;
		types[0] = (struct tls_policy_stats){ "sts", in.sessions,
			c->failures - dane };
		types[1] = (struct tls_policy_stats){ "tlsa", 10000, dane };
		in.types = types;
		in.n_types = 2;
		in.sessions += 10000;
		tls(&in, &a);
		cr_expect_str_eq(verdict_name(a.verdict), c->verdict, "%s",
		    c->what);
		cr_expect_eq(a.n_blockers, c->blockers, "%s: blockers",
		    c->what);
		cr_expect_eq(a.n_warnings, c->warnings, "%s: warnings",
		    c->what);
		cr_expect_eq(a.n_dane, c->dane, "%s: dane", c->what);
		verdict_tls_advice_free(&a);
	}
}

/* ---- what each rule says ---- */

Test(tls, fetch_error_warns_about_the_policy_host)
{
	struct tls_result_stats r[] = {
		FAIL("sts", NULL, "sts-policy-fetch-error", 5000, 3, 20, 28,
		    0),
		FAIL("sts", MX2, "certificate-expired", 40, 2, 3, 28, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 5040);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_eq(a.counted_failures, 40);
	cr_expect_eq(a.failure_rate, 0.0004);
	cr_assert_eq(a.n_warnings, 1);
	cr_expect_str_eq(a.warnings[0].mx, "");
	cr_expect_str_eq(a.warnings[0].result_type, "sts-policy-fetch-error");
	cr_expect_eq(a.warnings[0].sessions, 5000);
	cr_expect(strstr(a.warnings[0].reason, "not a failed delivery") !=
	    NULL, "%s", a.warnings[0].reason);
	cr_expect(strstr(a.warnings[0].reason, "https://mta-sts.example.com/"
	    ".well-known/mta-sts.txt") != NULL, "%s", a.warnings[0].reason);
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].result_type, "certificate-expired");
	cr_expect(tls_has_line(&a, "ok: 0.040% of the 100000 sessions judged "
	    "failed"));
	verdict_tls_advice_free(&a);
}

Test(tls, isolated_failure_warns_with_what_would_make_it_block)
{
	struct tls_result_stats r[] = {
		FAIL("sts", MX1, "starttls-not-supported", 1, 1, 1, 29, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 1);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_assert_eq(a.n_warnings, 1);
	cr_expect_str_eq(a.warnings[0].mx, MX1);
	cr_expect_str_eq(a.warnings[0].reason, "isolated: 1 session from 1 "
	    "reporter on 1 day; it blocks enforce once it recurs (3 "
	    "sessions, 2 reporters or 2 days)");
	verdict_tls_advice_free(&a);
}

Test(tls, thresholds_of_a_real_failure_are_settings)
{
	struct tls_result_stats r[] = {
		FAIL("sts", MX1, "starttls-not-supported", 3, 1, 1, 29, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 3);
	struct verdict_thresholds th = verdict_defaults();
	struct verdict_tls_advice a;

	th.tls_min_failure_sessions = 4;
	verdict_tls(&in, &th, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_expect_eq(a.n_warnings, 1);
	verdict_tls_advice_free(&a);
	th.tls_min_failure_sessions = 3;
	verdict_tls(&in, &th, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	verdict_tls_advice_free(&a);
}

Test(tls, dane_failures_are_urgent_and_apart)
{
	struct tls_result_stats r[] = {
		FAIL("tlsa", MX1, "tlsa-invalid", 500, 3, 10, 29, 0),
		FAIL("tlsa", MX2, "certificate-expired", 80, 2, 4, 27, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 580);
	struct tls_policy_stats types[] = {
		{ "sts", 90000, 0 },
		{ "tlsa", 10000, 580 },
	};
	struct verdict_tls_advice a;

	in.types = types;
	in.n_types = NELEM(types);
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_expect_eq(a.counted_sessions, 90000);
	cr_expect_eq(a.counted_failures, 0);
	cr_expect_eq(a.n_blockers, 0);
	cr_assert_eq(a.n_dane, 2);
	cr_expect_str_eq(a.dane[0].mx, MX1);
	cr_expect_eq(a.dane[0].sessions, 500);
	cr_expect_str_eq(a.dane[0].last_seen, "2026-11-29");
	cr_expect(strstr(a.dane[0].fix, "_25._tcp." MX1) != NULL, "%s",
	    a.dane[0].fix);
	cr_expect_str_eq(a.dane[1].result_type, "certificate-expired");
	cr_expect(strstr(a.dane[1].fix, "TLSA records at _25._tcp." MX2) !=
	    NULL, "%s", a.dane[1].fix);
	cr_expect(tls_has_line(&a, "urgent: 2 DANE failures"));
	verdict_tls_advice_free(&a);
}

Test(tls, quiet_days_keep_a_failure_and_name_its_last_day)
{
	/* the certificate expired on 9 November; nothing since */
	struct tls_result_stats r[] = {
		FAIL("sts", MX2, "certificate-expired", 20, 2, 3, 09, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 20);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].mx, MX2);
	cr_expect_eq(a.blockers[0].reporters, 2);
	cr_expect_eq(a.blockers[0].days, 3);
	cr_expect_str_eq(a.blockers[0].last_seen, "2026-11-09");
	cr_expect(tls_has_line(&a, "not met: 20 sessions with real STARTTLS, "
	    "certificate or validation failures and no evidence of repair"));
	verdict_tls_advice_free(&a);
}

Test(tls, evidence_of_repair_lifts_the_blocker)
{
	struct tls_result_stats r[] = {
		FAIL("sts", MX2, "certificate-expired", 20, 2, 3, 09, 10),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 20);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.counted_failures, 0, "repaired: left out of the rate");
	cr_expect(tls_has_line(&a, "repaired: certificate-expired at " MX2
	    ", last seen 2026-11-09"));
	verdict_tls_advice_free(&a);
}

Test(tls, an_mx_that_left_the_policy_blocks_no_more)
{
	struct tls_result_stats r[] = {
		{ .policy_type = "sts", .mx = MX2,
		  .result_type = "starttls-not-supported", .sessions = 90,
		  .reporters = 3, .days = 5, .last_seen = NOV(09),
		  .retired_on = NOV(12) },
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 90);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.counted_failures, 0);
	cr_expect(tls_has_line(&a, "left the policy: starttls-not-supported "
	    "at " MX2 ", last seen 2026-11-09"));
	verdict_tls_advice_free(&a);
}

Test(tls, high_failure_rate_names_every_result)
{
	struct tls_result_stats r[] = {
		FAIL(NULL, NULL, "sts-policy-fetch-error", 1000, 3, 20, 29,
		    0),
		FAIL("sts", MX1, "x-new-thing", 200, 2, 5, 29, 0),
		FAIL("sts", MX1, "starttls-not-supported", 1, 1, 1, 29, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 1201);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].result_type, "x-new-thing");
	cr_expect_eq(a.n_warnings, 2, "fetch error and isolated failure");
	cr_expect(tls_has_line(&a, "not met: 0.201% of the 100000 "
	    "sessions"));
	verdict_tls_advice_free(&a);
}

Test(tls, rows_of_one_mx_and_type_are_one_blocker)
{
	struct tls_result_stats r[] = {
		FAIL("sts", MX1, "starttls-not-supported", 10, 2, 3, 20, 0),
		FAIL("no-policy-found", "MX1.example.com",
		    "STARTTLS-not-supported", 5, 3, 2, 25, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 15);
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_eq(a.blockers[0].sessions, 15);
	cr_expect_eq(a.blockers[0].reporters, 3);
	cr_expect_eq(a.blockers[0].days, 3);
	cr_expect_str_eq(a.blockers[0].last_seen, "2026-11-25");
	cr_expect(strstr(a.blockers[0].fix, "enable STARTTLS on " MX1) !=
	    NULL, "%s", a.blockers[0].fix);
	verdict_tls_advice_free(&a);
}

Test(tls, enforce_healthy_is_done)
{
	struct verdict_tls_input in = testing(NULL, 0, 0);
	struct verdict_tls_advice a;

	in.mode = "enforce";
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "done");
	cr_expect_eq(a.n_blockers, 0);
	verdict_tls_advice_free(&a);
}

Test(tls, enforce_failing_stays)
{
	struct tls_result_stats r[] = {
		FAIL("sts", MX1, "starttls-not-supported", 12, 2, 2, 29, 0),
	};
	struct verdict_tls_input in = testing(r, NELEM(r), 12);
	struct verdict_tls_advice a;

	in.mode = "enforce";
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect(strstr(a.blockers[0].fix,
	    "enable STARTTLS on mx1.example.com") != NULL);
	cr_expect(tls_has_line(&a, "warning: mode: enforce is published"));
	verdict_tls_advice_free(&a);
}

Test(tls, insufficient_and_no_policy)
{
	struct verdict_tls_input in = testing(NULL, 0, 0);
	struct verdict_tls_advice a;

	in.days = 13;
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "insufficient-data");
	verdict_tls_advice_free(&a);
	in.days = 30;
	in.reporters = 1;
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "insufficient-data");
	verdict_tls_advice_free(&a);
	in.reporters = 2;
	in.sessions = 0;
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "insufficient-data");
	verdict_tls_advice_free(&a);
	in.sessions = 50000;
	in.mode = NULL;
	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect(tls_has_line(&a, "publish one with mode: testing"));
	verdict_tls_advice_free(&a);
}

Test(tls, result_type_table)
{
	/* B: blocks when real; D: a DANE check; F: the policy could not
	 * be used */
	enum { B = 1, D = 2, F = 4 };
	static const struct {
		const char *type;
		int kind;
		const char *fix;	/* for mx1.example.com, example.com */
	} cases[] = {
		{ "starttls-not-supported", B,
		    "enable STARTTLS on mx1.example.com" },
		{ "certificate-host-mismatch", B,
		    "whose subjectAltName includes mx1.example.com" },
		{ "certificate-expired", B,
		    "renew the certificate of mx1.example.com and automate "
		    "renewal" },
		{ "certificate-not-trusted", B, "serve the full chain" },
		{ "validation-failure", B, "failure-reason-code" },
		{ "tlsa-invalid", B | D, "_25._tcp.mx1.example.com" },
		{ "dnssec-invalid", B | D, "repair DNSSEC" },
		{ "dane-required", B | D,
		    "publish DNSSEC-signed TLSA records" },
		{ "sts-policy-fetch-error", F,
		    "make https://mta-sts.example.com/.well-known/mta-sts.txt "
		    "reachable with a valid certificate" },
		{ "sts-policy-invalid", F,
		    "https://mta-sts.example.com/.well-known/mta-sts.txt" },
		{ "sts-webpki-invalid", F, "for mta-sts.example.com" },
		{ "CERTIFICATE-EXPIRED", B, "renew the certificate" },
	};
	const char *generic = verdict_tls_meaning("no-such-type");

	cr_expect_str_eq(verdict_tls_meaning(NULL), generic);
	cr_expect(!verdict_tls_is_blocking("no-such-type"));
	cr_expect(!verdict_tls_is_blocking(NULL));
	cr_expect(!verdict_tls_is_dane(NULL));
	cr_expect(!verdict_tls_is_policy_fetch("no-such-type"));
	for (size_t i = 0; i < NELEM(cases); i++) {
		char fix[VERDICT_FIX_MAX];

		cr_expect_str_neq(verdict_tls_meaning(cases[i].type), generic,
		    "%s", cases[i].type);
		cr_expect_eq(verdict_tls_is_blocking(cases[i].type),
		    (cases[i].kind & B) != 0, "%s", cases[i].type);
		cr_expect_eq(verdict_tls_is_dane(cases[i].type),
		    (cases[i].kind & D) != 0, "%s", cases[i].type);
		cr_expect_eq(verdict_tls_is_policy_fetch(cases[i].type),
		    (cases[i].kind & F) != 0, "%s", cases[i].type);
		verdict_tls_fix(cases[i].type, "example.com",
		    "mx1.example.com", fix, sizeof(fix));
		cr_expect(strstr(fix, cases[i].fix) != NULL, "%s: %s",
		    cases[i].type, fix);
	}
}

Test(tls, fix_without_names_and_small_buffers)
{
	char fix[VERDICT_FIX_MAX];
	char tiny[16];

	verdict_tls_fix("certificate-expired", NULL, NULL, fix, sizeof(fix));
	cr_expect(strstr(fix, "renew the certificate of the MX") != NULL,
	    "%s", fix);
	verdict_tls_fix("sts-policy-fetch-error", NULL, NULL, fix,
	    sizeof(fix));
	cr_expect(strstr(fix, "https://mta-sts.<domain>/") != NULL, "%s",
	    fix);
	verdict_tls_fix("no-such-type", "example.com", "mx9.example.com", fix,
	    sizeof(fix));
	cr_expect(strstr(fix, "reports for mx9.example.com") != NULL, "%s",
	    fix);
	cr_expect_eq(verdict_tls_fix("certificate-expired", NULL,
	    "mx.example.com", tiny, sizeof(tiny)), tiny);
	cr_expect_str_eq(tiny, "renew the ce...");
}

Test(tls, default_thresholds_of_a_real_failure)
{
	struct verdict_thresholds th = verdict_defaults();

	cr_expect_eq(th.tls_min_failure_sessions, 3);
	cr_expect_eq(th.tls_min_failure_reporters, 2);
	cr_expect_eq(th.tls_min_failure_days, 2);
	cr_expect_eq(th.tls_failure_rate, 0.001);
}

Test(tls, advice_free_accepts_null_and_zeroed)
{
	struct verdict_tls_advice t = { 0 };

	verdict_tls_advice_free(NULL);
	verdict_tls_advice_free(&t);
	cr_expect_eq(t.n_blockers, 0);
}
