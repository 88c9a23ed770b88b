/*
 * align: the authentication of a record recomputed from auth_results,
 * header_from and adkim/aspf, table-driven.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "model/align.h"
#include "model/orgdomain.h"

struct align_case {
	const char *name;
	const char *adkim, *aspf;
	const char *header_from;
	const char *pe_dkim, *pe_spf;	/* policy_evaluated */
	struct dmarc_dkim dkim[2];
	size_t n_dkim;
	struct dmarc_spf spf[2];
	size_t n_spf;
	struct dmarc_reason why[1];
	size_t n_why;
	/* expected */
	enum auth_state dkim_state, spf_state;
	const char *dkim_domain, *spf_domain;
	bool has_own_dkim_fail, is_overridden, is_subdomain, is_disagreement;
};

#define D(dom, res) { dom, "s1", res, NULL }
#define S(dom, scope, res) { dom, scope, res, NULL }

static const struct align_case cases[] = {
	{ "aligned both", NULL, NULL, "example.com", "pass", "pass",
	  { D("example.com", "pass") }, 1, { S("example.com", "mfrom", "pass") },
	  1, { { NULL, NULL } }, 0, AUTH_ALIGNED_PASS, AUTH_ALIGNED_PASS, NULL,
	  NULL, false, false, false, false },
	{ "relaxed: a subdomain signs", NULL, NULL, "example.com", "pass",
	  "fail", { D("mail.example.com", "pass") }, 1,
	  { S("bounce.esp.net", "mfrom", "pass") }, 1, { { NULL, NULL } }, 0,
	  AUTH_ALIGNED_PASS, AUTH_FOREIGN_PASS, NULL, "bounce.esp.net", false,
	  false, false, false },
	{ "strict: a subdomain does not align", "s", "s", "example.com", "fail",
	  "fail", { D("mail.example.com", "pass") }, 1,
	  { S("mail.example.com", "mfrom", "pass") }, 1, { { NULL, NULL } }, 0,
	  AUTH_FOREIGN_PASS, AUTH_FOREIGN_PASS, "mail.example.com",
	  "mail.example.com", false, false, false, false },
	{ "ESP with its own d= and return-path", NULL, NULL, "example.com",
	  "fail", "fail", { D("sendgrid.net", "pass") }, 1,
	  { S("em123.sendgrid.net", "mfrom", "pass") }, 1, { { NULL, NULL } }, 0,
	  AUTH_FOREIGN_PASS, AUTH_FOREIGN_PASS, "sendgrid.net",
	  "em123.sendgrid.net", false, false, false, false },
	{ "forwarder: our DKIM broken, ARC trusted", NULL, NULL, "example.com",
	  "fail", "fail", { D("example.com", "fail"), D("fwd.example.org",
	  "pass") }, 2, { S("fwd.example.org", "mfrom", "pass") }, 1,
	  { { "local_policy", "arc=pass as.1.google.com=pass" } }, 1,
	  AUTH_FOREIGN_PASS, AUTH_FOREIGN_PASS, "fwd.example.org",
	  "fwd.example.org", true, true, false, false },
	{ "mailing list reason", NULL, NULL, "example.com", "fail", "fail",
	  { D("example.com", "fail") }, 1, { S("lists.example.net", "mfrom",
	  "softfail") }, 1, { { "mailing_list", NULL } }, 1, AUTH_FAIL,
	  AUTH_FAIL, NULL, NULL, true, true, false, false },
	{ "local_policy without ARC is no forwarding", NULL, NULL,
	  "example.com", "fail", "fail", { { NULL, NULL, NULL, NULL } }, 0,
	  { S("example.com", "mfrom", "fail") }, 1, { { "local_policy",
	  "sender is on a block list" } }, 1, AUTH_NONE, AUTH_FAIL, NULL, NULL,
	  false, false, false, false },
	{ "unsigned spoof", NULL, NULL, "example.com", "fail", "fail",
	  { { NULL, NULL, NULL, NULL } }, 0, { S("example.com", "mfrom",
	  "softfail") }, 1, { { NULL, NULL } }, 0, AUTH_NONE, AUTH_FAIL, NULL,
	  NULL, false, false, false, false },
	{ "a HELO result counts only alone", NULL, NULL, "example.com", "fail",
	  "fail", { { NULL, NULL, NULL, NULL } }, 0, { S("example.com", "helo",
	  "pass"), S("other.net", "mfrom", "fail") }, 2, { { NULL, NULL } }, 0,
	  AUTH_NONE, AUTH_FAIL, NULL, NULL, false, false, false, false },
	{ "subdomain From", NULL, NULL, "news.example.com", "pass", "pass",
	  { D("example.com", "pass") }, 1, { S("news.example.com", "mfrom",
	  "pass") }, 1, { { NULL, NULL } }, 0, AUTH_ALIGNED_PASS,
	  AUTH_ALIGNED_PASS, NULL, NULL, false, false, true, false },
	{ "the reporter says pass where nothing aligned passed", NULL, NULL,
	  "example.com", "pass", "fail", { D("other.net", "pass") }, 1,
	  { S("other.net", "mfrom", "pass") }, 1, { { NULL, NULL } }, 0,
	  AUTH_FOREIGN_PASS, AUTH_FOREIGN_PASS, "other.net", "other.net", false,
	  false, false, true },
	{ "private suffixes do not align", NULL, NULL, "foo.github.io",
	  "fail", "fail", { D("bar.github.io", "pass") }, 1,
	  { S("bar.github.io", "mfrom", "pass") }, 1, { { NULL, NULL } }, 0,
	  AUTH_FOREIGN_PASS, AUTH_FOREIGN_PASS, "bar.github.io",
	  "bar.github.io", false, false, false, false },
};

static void
setup(void)
{
	struct err err;

	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
}

static void
teardown(void)
{
	orgdomain_cleanup();
}

static const char *
str_or_null(const char *s)
{
	return s != NULL ? s : "(null)";
}

Test(align, table, .init = setup, .fini = teardown)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct align_case *c = &cases[i];
		struct report r;
		struct dmarc_record rec;
		struct record_auth a;

		memset(&r, 0, sizeof(r));
		memset(&rec, 0, sizeof(rec));
		r.kind = REPORT_DMARC;
		r.domain = strstr(c->header_from, "github.io") != NULL ?
		    c->header_from : "example.com";
		r.policy.adkim = c->adkim;
		r.policy.aspf = c->aspf;
		rec.header_from = c->header_from;
		rec.dkim = c->pe_dkim;
		rec.spf = c->pe_spf;
		rec.dkim_results = c->dkim;
		rec.n_dkim = c->n_dkim;
		rec.spf_results = c->spf;
		rec.n_spf = c->n_spf;
		rec.reasons = c->why;
		rec.n_reasons = c->n_why;
		align_record(&r, &rec, &a);
		cr_expect_eq(a.dkim, c->dkim_state, "%s: dkim %d", c->name,
		    (int)a.dkim);
		cr_expect_eq(a.spf, c->spf_state, "%s: spf %d", c->name,
		    (int)a.spf);
		cr_expect_str_eq(str_or_null(a.dkim_domain),
		    str_or_null(c->dkim_domain), "%s", c->name);
		cr_expect_str_eq(str_or_null(a.spf_domain),
		    str_or_null(c->spf_domain), "%s", c->name);
		cr_expect_eq(a.has_own_dkim_fail, c->has_own_dkim_fail, "%s",
		    c->name);
		cr_expect_eq(a.is_overridden, c->is_overridden, "%s", c->name);
		cr_expect_eq(a.is_subdomain, c->is_subdomain, "%s", c->name);
		cr_expect_eq(a.is_disagreement, c->is_disagreement, "%s",
		    c->name);
	}
}
