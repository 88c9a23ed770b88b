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

Test(tls, testing_with_recent_certificate_failures_stays)
{
	struct tls_result_stats r[] = {
		{ "mx2.example.com", "certificate-expired", 30, true },
		{ "mx2.example.com", "certificate-expired", 10, false },
		{ "mx1.example.com", "sts-policy-fetch-error", 5, true },
	};
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "testing", .days = 30, .reporters = 4,
		.sessions = 200000, .failures = 46, .results = r,
		.n_results = NELEM(r) };
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].mx, "mx2.example.com");
	cr_expect_str_eq(a.blockers[0].result_type, "certificate-expired");
	cr_expect_eq(a.blockers[0].sessions, 30);
	cr_expect_str_eq(a.blockers[0].fix, "renew the certificate of "
	    "mx2.example.com and automate renewal (an ACME client, for "
	    "example)");
	cr_expect(tls_has_line(&a, "ok: 0.023% of 200000 sessions failed"));
	cr_expect(tls_has_line(&a, "not met: 30 sessions with STARTTLS"));
	verdict_tls_advice_free(&a);
}

Test(tls, testing_clean_goes_to_enforce)
{
	/* an expired certificate fixed more than a week ago */
	struct tls_result_stats r[] = {
		{ "mx2.example.com", "certificate-expired", 20, false },
		{ "mx1.example.com", "sts-policy-fetch-error", 3, true },
	};
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "testing", .days = 30, .reporters = 3,
		.sessions = 100000, .failures = 23, .results = r,
		.n_results = NELEM(r) };
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "enforce");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.failure_rate, 0.00023);
	cr_expect(tls_has_line(&a, "set mode: enforce in "
	    "https://mta-sts.example.com/.well-known/mta-sts.txt"));
	verdict_tls_advice_free(&a);
}

Test(tls, high_failure_rate_names_every_result)
{
	struct tls_result_stats r[] = {
		{ NULL, "sts-policy-fetch-error", 400, true },
		{ NULL, "sts-policy-fetch-error", 600, false },
		{ "mx1.example.com", "x-new-thing", 100, false },
	};
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "testing", .days = 30, .reporters = 3,
		.sessions = 100000, .failures = 1100, .results = r,
		.n_results = NELEM(r) };
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 2);
	cr_expect_str_eq(a.blockers[0].mx, "");
	cr_expect_eq(a.blockers[0].sessions, 1000, "rows merged");
	cr_expect(strstr(a.blockers[0].fix, "https://mta-sts.example.com/"
	    ".well-known/mta-sts.txt") != NULL, "%s", a.blockers[0].fix);
	cr_expect_str_eq(a.blockers[1].result_type, "x-new-thing");
	cr_expect(tls_has_line(&a, "not met: 1.100% of 100000 sessions"));
	verdict_tls_advice_free(&a);
}

Test(tls, enforce_healthy_is_done)
{
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "enforce", .days = 30, .reporters = 3,
		.sessions = 50000, .failures = 0 };
	struct verdict_tls_advice a;

	tls(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "done");
	cr_expect_eq(a.n_blockers, 0);
	verdict_tls_advice_free(&a);
}

Test(tls, enforce_failing_stays)
{
	struct tls_result_stats r[] = {
		{ "mx1.example.com", "starttls-not-supported", 12, true },
	};
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "enforce", .days = 30, .reporters = 3,
		.sessions = 50000, .failures = 12, .results = r,
		.n_results = NELEM(r) };
	struct verdict_tls_advice a;

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
	struct verdict_tls_input in = { .domain = "example.com",
		.mode = "testing", .days = 13, .reporters = 3,
		.sessions = 50000 };
	struct verdict_tls_advice a;

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
	static const struct {
		const char *type;
		bool is_blocking;
		const char *fix;	/* for mx1.example.com, example.com */
	} cases[] = {
		{ "starttls-not-supported", true,
		    "enable STARTTLS on mx1.example.com" },
		{ "certificate-host-mismatch", true,
		    "whose subjectAltName includes mx1.example.com" },
		{ "certificate-expired", true,
		    "renew the certificate of mx1.example.com and automate "
		    "renewal" },
		{ "certificate-not-trusted", true, "serve the full chain" },
		{ "validation-failure", true, "failure-reason-code" },
		{ "tlsa-invalid", true, "_25._tcp.mx1.example.com" },
		{ "dnssec-invalid", true, "repair DNSSEC" },
		{ "dane-required", true,
		    "publish DNSSEC-signed TLSA records" },
		{ "sts-policy-fetch-error", false,
		    "make https://mta-sts.example.com/.well-known/mta-sts.txt "
		    "reachable with a valid certificate" },
		{ "sts-policy-invalid", false,
		    "https://mta-sts.example.com/.well-known/mta-sts.txt" },
		{ "sts-webpki-invalid", false, "for mta-sts.example.com" },
		{ "CERTIFICATE-EXPIRED", true, "renew the certificate" },
	};
	const char *generic = verdict_tls_meaning("no-such-type");

	cr_expect_str_eq(verdict_tls_meaning(NULL), generic);
	cr_expect(!verdict_tls_is_blocking("no-such-type"));
	cr_expect(!verdict_tls_is_blocking(NULL));
	for (size_t i = 0; i < NELEM(cases); i++) {
		char fix[VERDICT_FIX_MAX];

		cr_expect_str_neq(verdict_tls_meaning(cases[i].type), generic,
		    "%s", cases[i].type);
		cr_expect_eq(verdict_tls_is_blocking(cases[i].type),
		    cases[i].is_blocking, "%s", cases[i].type);
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

Test(tls, advice_free_accepts_null_and_zeroed)
{
	struct verdict_tls_advice t = { 0 };

	verdict_tls_advice_free(NULL);
	verdict_tls_advice_free(&t);
	cr_expect_eq(t.n_blockers, 0);
}
