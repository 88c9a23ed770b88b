#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "analyze/verdict.h"
#include "common/str.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A source seen every day whose mail passes with aligned DKIM; half of
 * it in the recent window. */
static struct source_stats
own(const char *ip, int64_t messages)
{
	return (struct source_stats){
		.ip = ip, .name = "mail.example.com", .base = "example.com",
		.messages = messages, .dmarc_pass = messages,
		.dkim_aligned = messages, .spf_aligned = messages,
		.recent_messages = messages / 2, .recent_pass = messages / 2,
		.days = 30,
	};
}

/* A source that fails everything, with no signature of ours. */
static struct source_stats
failing(const char *ip, int64_t messages)
{
	return (struct source_stats){
		.ip = ip, .messages = messages,
		.recent_messages = messages / 2,
		.dkim_missing = messages, .days = 30,
	};
}

static struct verdict_input
domain(const char *p, const struct source_stats *s, size_t n)
{
	int64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += s[i].messages;
	return (struct verdict_input){
		.domain = "example.com",
		.policy = { .p = p, .pct = -1 },
		.days = 30, .reporters = 5, .messages = total,
		.sources = s, .n_sources = n,
	};
}

static bool
has_line(const struct verdict_advice *a, const char *needle)
{
	for (size_t i = 0; i < a->n_lines; i++)
		if (strstr(a->lines[i], needle) != NULL)
			return true;
	return false;
}

static void
advise(const struct verdict_input *in, struct verdict_advice *out)
{
	struct verdict_thresholds th = verdict_defaults();

	verdict_advise(in, &th, out);
}

/* ---- names and tables ---- */

Test(verdict, names)
{
	cr_expect_str_eq(verdict_class_name(SOURCE_ALIGNED), "aligned");
	cr_expect_str_eq(verdict_class_name(SOURCE_PARTIAL), "partial");
	cr_expect_str_eq(verdict_class_name(SOURCE_THIRD_PARTY),
	    "third-party");
	cr_expect_str_eq(verdict_class_name(SOURCE_INDIRECT), "indirect");
	cr_expect_str_eq(verdict_class_name(SOURCE_UNAUTHENTICATED),
	    "unauthenticated");
	cr_expect_str_eq(verdict_name(VERDICT_INSUFFICIENT_DATA),
	    "insufficient-data");
	cr_expect_str_eq(verdict_name(VERDICT_STAY), "stay");
	cr_expect_str_eq(verdict_name(VERDICT_QUARANTINE), "quarantine");
	cr_expect_str_eq(verdict_name(VERDICT_REJECT), "reject");
	cr_expect_str_eq(verdict_name(VERDICT_DONE), "done");
	cr_expect_str_eq(verdict_name(VERDICT_ENFORCE), "enforce");
	cr_expect(verdict_class_is_legitimate(SOURCE_THIRD_PARTY));
	cr_expect(!verdict_class_is_legitimate(SOURCE_INDIRECT));
	cr_expect(!verdict_class_is_legitimate(SOURCE_UNAUTHENTICATED));
}

Test(verdict, defaults)
{
	struct verdict_thresholds th = verdict_defaults();

	cr_expect_eq(th.min_days, 14);
	cr_expect_eq(th.min_reporters, 2);
	cr_expect_eq(th.min_messages, 100);
	cr_expect_eq(th.recent_days, 14);
	cr_expect_eq(th.aligned_rate, 0.99);
	cr_expect_eq(th.third_party_days, 3);
	cr_expect_eq(th.quarantine_pass_rate, 0.98);
	cr_expect_eq(th.source_share, 0.005);
	cr_expect_eq(th.source_pass_rate, 0.95);
	cr_expect_eq(th.reject_quarantine_days, 28);
	cr_expect_eq(th.reject_pass_rate, 0.995);
	cr_expect_eq(th.reject_dkim_rate, 0.98);
	cr_expect_eq(th.reject_indirect_share, 0.01);
	cr_expect_eq(th.tls_min_days, 14);
	cr_expect_eq(th.tls_min_reporters, 2);
	cr_expect_eq(th.tls_recent_days, 7);
	cr_expect_eq(th.tls_failure_rate, 0.001);
}

Test(verdict, known_service_table)
{
	static const struct {
		const char *domain;
		const char *want;	/* NULL: not a known service */
	} cases[] = {
		{ "sendgrid.net", "SendGrid" },
		{ "o1.ptr1234.SENDGRID.NET.", "SendGrid" },
		{ "a27-1.smtp-out.eu-west-1.amazonses.com", "Amazon SES" },
		{ "mail-eopbgr80057.outbound.protection.outlook.com",
		    "Microsoft 365" },
		{ "mail-wr1-f54.google.com", "Google Workspace" },
		{ "example-com.20230601.gappssmtp.com", "Google Workspace" },
		{ "mail137-1.atl71.mandrillapp.com", "Mandrill" },
		{ "mcsv.net", "Mailchimp" },
		{ "sendinblue.com", "Brevo" },
		{ "pm.mtasv.net", "Postmark" },
		{ "notsendgrid.net", NULL },
		{ "sendgrid.net.evil.example", NULL },
		{ "example.com", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		const char *got = verdict_known_service(cases[i].domain);

		if (cases[i].want == NULL)
			cr_expect_null(got, "case %zu '%s': %s", i,
			    cases[i].domain ? cases[i].domain : "(null)",
			    got ? got : "");
		else
			cr_expect(got != NULL &&
			    strcmp(got, cases[i].want) == 0,
			    "case '%s': %s", cases[i].domain,
			    got ? got : "(null)");
	}
}

/* ---- classification ---- */

Test(verdict, classify_table)
{
	struct verdict_thresholds th = verdict_defaults();
	static const struct {
		const char *what;
		struct source_stats s;
		enum source_class want;
	} cases[] = {
		{ "all pass", { .messages = 1000, .dmarc_pass = 1000,
		    .days = 1 }, SOURCE_ALIGNED },
		{ "99% passes", { .messages = 100, .dmarc_pass = 99,
		    .dkim_missing = 1 }, SOURCE_ALIGNED },
		{ "98% passes", { .messages = 100, .dmarc_pass = 98,
		    .dkim_missing = 2 }, SOURCE_PARTIAL },
		{ "half passes", { .messages = 100, .dmarc_pass = 50,
		    .spf_foreign = 50 }, SOURCE_PARTIAL },
		{ "one passes", { .messages = 100, .dmarc_pass = 1 },
		    SOURCE_PARTIAL },
		{ "foreign DKIM, 3 days", { .messages = 100,
		    .dkim_foreign = 100, .days = 3 }, SOURCE_THIRD_PARTY },
		{ "foreign SPF, 2 days, unknown", { .messages = 100,
		    .spf_foreign = 100, .days = 2 }, SOURCE_UNAUTHENTICATED },
		{ "foreign SPF, 1 day, known rDNS", { .messages = 100,
		    .spf_foreign = 100, .days = 1,
		    .name = "o1.ptr.sendgrid.net" }, SOURCE_THIRD_PARTY },
		{ "foreign DKIM, 1 day, known d=", { .messages = 100,
		    .dkim_foreign = 100, .days = 1,
		    .foreign_dkim_domain = "mcsv.net" }, SOURCE_THIRD_PARTY },
		{ "foreign SPF, 1 day, known base", { .messages = 10,
		    .spf_foreign = 10, .days = 1, .base = "amazonses.com" },
		    SOURCE_THIRD_PARTY },
		{ "foreign SPF domain known", { .messages = 10,
		    .spf_foreign = 10, .days = 1,
		    .foreign_spf_domain = "bounces.mailgun.org" },
		    SOURCE_THIRD_PARTY },
		{ "foreign, 1 day, authorized", { .messages = 100,
		    .spf_foreign = 100, .days = 1, .is_authorized = true },
		    SOURCE_THIRD_PARTY },
		{ "nothing of ours, authorized", { .messages = 100,
		    .dkim_missing = 100, .days = 1, .is_authorized = true },
		    SOURCE_THIRD_PARTY },
		{ "nothing passes", { .messages = 5000,
		    .dkim_missing = 5000, .days = 30 },
		    SOURCE_UNAUTHENTICATED },
		{ "known rDNS, nothing foreign", { .messages = 100,
		    .dkim_missing = 100, .name = "x.sendgrid.net" },
		    SOURCE_UNAUTHENTICATED },
		{ "forwarded overrides", { .messages = 100,
		    .overridden = 100, .days = 30 }, SOURCE_INDIRECT },
		{ "own DKIM broken", { .messages = 100,
		    .own_dkim_broken = 60, .dkim_missing = 40 },
		    SOURCE_INDIRECT },
		{ "forwarder, some DKIM survives", { .messages = 100,
		    .dmarc_pass = 70, .own_dkim_broken = 30 },
		    SOURCE_INDIRECT },
		{ "override beats foreign", { .messages = 100,
		    .overridden = 80, .spf_foreign = 100, .days = 30,
		    .name = "mail-x.google.com" }, SOURCE_INDIRECT },
		{ "overrides a minority", { .messages = 100,
		    .overridden = 20, .dkim_foreign = 100, .days = 30 },
		    SOURCE_THIRD_PARTY },
		{ "overlapping counts capped", { .messages = 100,
		    .dmarc_pass = 50, .overridden = 500,
		    .own_dkim_broken = 500 }, SOURCE_INDIRECT },
		{ "authorized is never indirect", { .messages = 100,
		    .dmarc_pass = 50, .own_dkim_broken = 50,
		    .is_authorized = true }, SOURCE_PARTIAL },
		{ "no messages", { .messages = 0 }, SOURCE_UNAUTHENTICATED },
		{ "more passes than messages", { .messages = 10,
		    .dmarc_pass = 20 }, SOURCE_ALIGNED },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		enum source_class got = verdict_classify(&cases[i].s, &th);

		cr_expect_eq(got, cases[i].want, "%s: got %s, want %s",
		    cases[i].what, verdict_class_name(got),
		    verdict_class_name(cases[i].want));
	}
}

Test(verdict, classify_thresholds_are_configurable)
{
	struct verdict_thresholds th = verdict_defaults();
	struct source_stats s = { .messages = 100, .dmarc_pass = 97,
		.dkim_missing = 3 };
	struct source_stats tp = { .messages = 100, .spf_foreign = 100,
		.days = 2 };

	cr_expect_eq(verdict_classify(&s, &th), SOURCE_PARTIAL);
	cr_expect_eq(verdict_classify(&tp, &th), SOURCE_UNAUTHENTICATED);
	th.aligned_rate = 0.95;
	th.third_party_days = 2;
	cr_expect_eq(verdict_classify(&s, &th), SOURCE_ALIGNED);
	cr_expect_eq(verdict_classify(&tp, &th), SOURCE_THIRD_PARTY);
}

/* ---- diagnosis ---- */

Test(verdict, diagnose_table)
{
	static const struct {
		struct source_stats s;
		const char *problem;
		const char *fix1, *fix2;
	} cases[] = {
		{ { .ip = "198.51.100.7", .messages = 100,
		    .dkim_foreign = 100, .spf_foreign = 100,
		    .foreign_dkim_domain = "sendgrid.net",
		    .foreign_spf_domain = "bounces.sendgrid.net" },
		    "third-party d=", "signs with its own domain sendgrid.net",
		    "configure aligned DKIM (a CNAME/selector for your "
		    "domain) at SendGrid" },
		{ { .ip = "198.51.100.8", .messages = 100,
		    .spf_foreign = 100, .dkim_missing = 60,
		    .foreign_spf_domain = "mg.mailgun.org" },
		    "SPF unaligned", "SPF passes for mg.mailgun.org, not "
		    "aligned with the From domain",
		    "custom return-path (MAIL FROM) under your domain at "
		    "Mailgun" },
		{ { .ip = "198.51.100.9", .messages = 100,
		    .dkim_missing = 100, .base = "hosting.example.net" },
		    "DKIM missing", "enable DKIM signing with a key under "
		    "your domain",
		    "the sending service (hosting.example.net)" },
		{ { .ip = "198.51.100.10", .messages = 100,
		    .own_dkim_broken = 100, .spf_foreign = 100 },
		    "DKIM broken", "selector's public key in DNS",
		    "the sending service (198.51.100.10)" },
		{ { .ip = "198.51.100.11", .messages = 100,
		    .name = "relay.example.net" }, "not aligned",
		    "neither DKIM nor SPF passes aligned",
		    "the sending service (relay.example.net)" },
		{ { .ip = "198.51.100.12", .messages = 100,
		    .dkim_foreign = 100, .base = "unknown-esp.example" },
		    "third-party d=", "signs with its own domain (not "
		    "reported)", "the sending service (unknown-esp.example)" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct verdict_problem p;

		verdict_diagnose(&cases[i].s, &p);
		cr_expect_str_eq(p.problem, cases[i].problem, "case %zu", i);
		cr_expect(strstr(p.fix, cases[i].fix1) != NULL,
		    "case %zu: %s", i, p.fix);
		cr_expect(strstr(p.fix, cases[i].fix2) != NULL,
		    "case %zu: %s", i, p.fix);
	}
}

Test(verdict, diagnose_cuts_long_texts_visibly)
{
	char longname[700];
	struct source_stats s = { .ip = "192.0.2.1", .messages = 10,
		.dkim_foreign = 10, .foreign_dkim_domain = longname };
	struct verdict_problem p;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	verdict_diagnose(&s, &p);
	cr_expect_eq(strlen(p.fix), sizeof(p.fix) - 1);
	cr_expect_str_eq(p.fix + strlen(p.fix) - 3, "...");
}

Test(verdict, long_texts_are_cut_between_characters)
{
	/* two alignments of 2-byte characters: one of them puts the cut
	 * inside a character */
	for (size_t shift = 0; shift < 2; shift++) {
		char longname[700];
		struct source_stats s = { .ip = "192.0.2.1", .messages = 10,
			.dkim_foreign = 10, .foreign_dkim_domain = longname };
		struct verdict_problem p;
		size_t i = 0;

		if (shift)
			longname[i++] = 'a';
		for (; i + 2 < sizeof(longname); i += 2)
			memcpy(longname + i, "\xc3\xa9", 2);
		longname[i] = '\0';
		verdict_diagnose(&s, &p);
		cr_expect(str_is_utf8(p.fix, strlen(p.fix)), "shift %zu: %s",
		    shift, p.fix);
		cr_expect_str_eq(p.fix + strlen(p.fix) - 3, "...");
	}
}

/* ---- domain verdicts: p=none ---- */

Test(verdict, clean_domain_at_none_is_ready_for_quarantine)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "209.85.220.41", .name = "mail-sor-f41.google.com",
		    .base = "google.com", .messages = 5000,
		    .dmarc_pass = 5000, .dkim_aligned = 5000,
		    .spf_aligned = 5000, .recent_messages = 2500,
		    .recent_pass = 2500, .days = 30 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_advice a;

	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=quarantine; t=y");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.evidence.days, 30);
	cr_expect_eq(a.evidence.reporters, 5);
	cr_expect_eq(a.evidence.messages, 15000);
	cr_expect_eq(a.evidence.legitimate_messages, 15000);
	cr_expect_eq(a.evidence.legitimate_pass_rate, 1.0);
	cr_expect_eq(a.evidence.dkim_aligned_rate, 1.0);
	cr_expect(has_line(&a, "t=y for a first staged week"));
	cr_expect(has_line(&a, "pct is only for legacy receivers"));
	cr_expect(has_line(&a, "keep your rua=mailto:"));
	cr_expect(has_line(&a, "mail rejected by SPF -all before DMARC "
	    "never appears in reports"));
	cr_expect(has_line(&a, "ok: legitimate pass rate over the last 14 "
	    "days 100.00%"));
	verdict_advice_free(&a);
	cr_expect_null(a.lines);
	cr_expect_eq(a.n_lines, 0);
}

Test(verdict, esp_with_its_own_dkim_and_return_path_stays)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "149.72.12.34", .name = "o1.ptr4711.sendgrid.net",
		    .base = "sendgrid.net", .messages = 2000,
		    .recent_messages = 1000, .dkim_foreign = 2000,
		    .spf_foreign = 2000, .foreign_dkim_domain = "sendgrid.net",
		    .foreign_spf_domain = "em123.sendgrid.net", .days = 25 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_thresholds th = verdict_defaults();
	struct verdict_advice a;

	cr_expect_eq(verdict_classify(&s[1], &th), SOURCE_THIRD_PARTY);
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=none");
	cr_expect_eq(a.evidence.legitimate_messages, 12000);
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].source, "149.72.12.34");
	cr_expect_str_eq(a.blockers[0].name, "o1.ptr4711.sendgrid.net");
	cr_expect_eq(a.blockers[0].messages, 2000);
	cr_expect_eq(a.blockers[0].failing, 2000);
	cr_expect_str_eq(a.blockers[0].problem, "third-party d=");
	cr_expect(strstr(a.blockers[0].fix, "configure aligned DKIM") != NULL,
	    "%s", a.blockers[0].fix);
	cr_expect(strstr(a.blockers[0].fix, "SendGrid") != NULL);
	cr_expect(has_line(&a, "not met: legitimate pass rate"));
	cr_expect(has_line(&a, "not met: 1 legitimate senders"));
	verdict_advice_free(&a);
}

Test(verdict, forwarding_only_failures_do_not_block)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		/* a forwarder: our DKIM survives on most, breaks on some */
		{ .ip = "203.0.113.5", .name = "fwd.university.example",
		    .messages = 500, .dmarc_pass = 200, .dkim_aligned = 200,
		    .recent_messages = 250, .recent_pass = 100,
		    .own_dkim_broken = 250, .overridden = 100, .days = 20 },
		/* a mailing list the receiver recognized */
		{ .ip = "203.0.113.6", .name = "lists.example.org",
		    .messages = 300, .recent_messages = 150,
		    .overridden = 300, .spf_foreign = 300,
		    .foreign_spf_domain = "lists.example.org", .days = 20 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_thresholds th = verdict_defaults();
	struct verdict_advice a;

	cr_expect_eq(verdict_classify(&s[1], &th), SOURCE_INDIRECT);
	cr_expect_eq(verdict_classify(&s[2], &th), SOURCE_INDIRECT);
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.evidence.legitimate_messages, 10000);
	cr_expect_eq(a.evidence.messages, 10800);
	cr_expect(has_line(&a, "indirect 800"));
	verdict_advice_free(&a);
}

Test(verdict, spoofing_flood_does_not_block)
{
	struct source_stats s[] = {
		own("192.0.2.10", 1000),
		failing("198.18.0.1", 60000),
		failing("198.18.0.2", 40000),
		/* SPF passes for the spammer's own domain, seen once */
		{ .ip = "198.18.0.3", .messages = 5000, .spf_foreign = 5000,
		    .foreign_spf_domain = "spam.example", .days = 1 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_thresholds th = verdict_defaults();
	struct verdict_advice a;

	for (size_t i = 1; i < NELEM(s); i++)
		cr_expect_eq(verdict_classify(&s[i], &th),
		    SOURCE_UNAUTHENTICATED, "source %zu", i);
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect_eq(a.evidence.messages, 106000);
	cr_expect_eq(a.evidence.legitimate_messages, 1000);
	cr_expect_eq(a.evidence.legitimate_pass_rate, 1.0);
	cr_expect(has_line(&a, "unauthenticated 105000"));
	verdict_advice_free(&a);
}

Test(verdict, too_little_data_table)
{
	static const struct {
		int days, reporters;
		int64_t messages;
		const char *line;
	} cases[] = {
		{ 13, 5, 15000, "not met: 13 days with reports (need at "
		    "least 14)" },
		{ 30, 1, 15000, "not met: 1 reporters (need at least 2)" },
		{ 30, 5, 99, "not met: 99 messages (need at least 100)" },
	};
	struct source_stats s[] = { own("192.0.2.10", 15000) };

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct verdict_input in = domain("none", s, NELEM(s));
		struct verdict_advice a;

		in.days = cases[i].days;
		in.reporters = cases[i].reporters;
		in.messages = cases[i].messages;
		advise(&in, &a);
		cr_expect_str_eq(verdict_name(a.verdict), "insufficient-data",
		    "case %zu", i);
		cr_expect_str_eq(a.next_record, "v=DMARC1; p=none");
		cr_expect(has_line(&a, cases[i].line), "case %zu", i);
		cr_expect_eq(a.n_blockers, 0);
		cr_expect_eq(a.evidence.days, cases[i].days);
		verdict_advice_free(&a);
	}
}

Test(verdict, a_fixed_source_no_longer_blocks)
{
	/* failed for weeks, passes since its DKIM was set up */
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "192.0.2.20", .messages = 4000, .dmarc_pass = 2000,
		    .dkim_aligned = 2000, .recent_messages = 2000,
		    .recent_pass = 2000, .dkim_missing = 2000, .days = 30 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_advice a;

	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect(a.evidence.legitimate_pass_rate < 0.9);
	verdict_advice_free(&a);
}

Test(verdict, many_small_failing_sources_block_together)
{
	/* none reaches 0.5% of legitimate volume; together 3% fail */
	struct source_stats s[11];
	struct verdict_input in;
	struct verdict_advice a;

	s[0] = own("192.0.2.10", 9700);
	for (size_t i = 1; i < NELEM(s); i++) {
		s[i] = (struct source_stats){ .ip = "192.0.2.30",
			.messages = 30, .dmarc_pass = 1, .dkim_aligned = 1,
			.recent_messages = 30, .recent_pass = 1,
			.dkim_missing = 29, .days = 30 };
	}
	s[5].ip = "192.0.2.35";
	s[5].messages = s[5].recent_messages = 40;
	s[5].dkim_missing = 39;
	in = domain("none", s, NELEM(s));
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_eq(a.n_blockers, 10);
	cr_assert_gt(a.n_blockers, 0);
	cr_expect_str_eq(a.blockers[0].source, "192.0.2.35", "worst first");
	cr_expect_eq(a.blockers[0].messages, 40);
	cr_expect_str_eq(a.blockers[0].problem, "DKIM missing");
	cr_expect(has_line(&a, "ok: 0 legitimate senders with at least"));
	verdict_advice_free(&a);
}

Test(verdict, small_failing_source_alone_does_not_block)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "192.0.2.40", .messages = 40, .dmarc_pass = 20,
		    .recent_messages = 20, .recent_pass = 10,
		    .dkim_missing = 20, .days = 10 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_advice a;

	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect(has_line(&a, "note: 1 small legitimate senders"));
	verdict_advice_free(&a);
}

/* a domain only spoofed: nothing legitimate can be lost */
Test(verdict, no_legitimate_mail_moves_on)
{
	struct source_stats s[] = { failing("198.18.0.1", 5000) };
	struct verdict_input in = domain(NULL, s, NELEM(s));
	struct verdict_advice a;

	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=quarantine; t=y");
	cr_expect_eq(a.evidence.legitimate_messages, 0);
	cr_expect_eq(a.evidence.legitimate_pass_rate, 0.0);
	cr_expect(has_line(&a, "no legitimate (authenticated) mail"));
	verdict_advice_free(&a);
}

Test(verdict, thresholds_change_the_verdict)
{
	struct source_stats s[] = {
		own("192.0.2.10", 9700),
		{ .ip = "192.0.2.20", .messages = 300, .dmarc_pass = 290,
		    .dkim_aligned = 290, .recent_messages = 150,
		    .recent_pass = 140, .dkim_missing = 10, .days = 30 },
	};
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_thresholds th = verdict_defaults();
	struct verdict_advice a;

	/* 140/150 = 93% recent for a 3% source: blocks by default */
	verdict_advise(&in, &th, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	verdict_advice_free(&a);
	th.source_pass_rate = 0.90;
	verdict_advise(&in, &th, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	verdict_advice_free(&a);
	th.min_days = 31;
	verdict_advise(&in, &th, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "insufficient-data");
	verdict_advice_free(&a);
}

/* ---- p=quarantine ---- */

Test(verdict, full_quarantine_ready_for_reject)
{
	struct source_stats s[] = {
		own("192.0.2.10", 20000),
		{ .ip = "203.0.113.5", .messages = 300, .dmarc_pass = 200,
		    .dkim_aligned = 200, .recent_messages = 150,
		    .recent_pass = 100, .overridden = 100, .days = 20 },
	};
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.quarantine_days = 30;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "reject");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=reject");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect(has_line(&a, "ok: 30 days at full quarantine"));
	cr_expect(has_line(&a, "ok: 100.00% of legitimate mail passes with "
	    "aligned DKIM"));
	verdict_advice_free(&a);
}

Test(verdict, too_short_at_quarantine_stays)
{
	struct source_stats s[] = { own("192.0.2.10", 20000) };
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.quarantine_days = 20;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=quarantine");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect(has_line(&a, "not met: 20 days at full quarantine (need "
	    "at least 28"));
	verdict_advice_free(&a);
}

Test(verdict, passing_by_spf_alone_stays_at_quarantine)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "192.0.2.25", .name = "crm.example.com",
		    .messages = 2000, .dmarc_pass = 2000, .spf_aligned = 2000,
		    .recent_messages = 1000, .recent_pass = 1000,
		    .days = 30 },
	};
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.quarantine_days = 40;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_eq(a.evidence.legitimate_pass_rate, 1.0);
	cr_expect(a.evidence.dkim_aligned_rate < 0.84);
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].source, "192.0.2.25");
	cr_expect_str_eq(a.blockers[0].problem, "passes by SPF only");
	cr_expect_str_eq(a.blockers[0].fix,
	    "sign with aligned DKIM: forwarding breaks SPF");
	cr_expect_eq(a.blockers[0].failing, 2000);
	cr_expect(has_line(&a, "not met: 83.33% of legitimate mail passes "
	    "with aligned DKIM"));
	verdict_advice_free(&a);
}

Test(verdict, indirect_loss_blocks_reject)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "203.0.113.9", .name = "lists.example.org",
		    .messages = 400, .recent_messages = 200,
		    .own_dkim_broken = 400, .days = 30 },
	};
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.quarantine_days = 40;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].source, "203.0.113.9");
	cr_expect_str_eq(a.blockers[0].problem, "indirect flow fails");
	cr_expect(has_line(&a, "not met: failing indirect mail"));
	verdict_advice_free(&a);
}

Test(verdict, partial_quarantine_pct_50_goes_to_full_quarantine)
{
	struct source_stats s[] = { own("192.0.2.10", 20000) };
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.policy.pct = 50;
	in.quarantine_days = 0;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=quarantine");
	cr_expect(has_line(&a, "pct=50"));
	cr_expect(has_line(&a, "next: full quarantine"));
	verdict_advice_free(&a);
}

Test(verdict, partial_quarantine_with_failing_source_stays)
{
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		failing("192.0.2.50", 1000),
	};
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	s[1].is_authorized = true;
	in.policy.t = "y";
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=quarantine; t=y");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].problem, "DKIM missing");
	cr_expect(has_line(&a, "t=y: receivers that implement RFC 9989"));
	verdict_advice_free(&a);
}

/* ---- p=reject ---- */

Test(verdict, reject_healthy_is_done)
{
	struct source_stats s[] = {
		own("192.0.2.10", 20000),
		failing("198.18.0.1", 3000),
	};
	struct verdict_input in = domain("reject", s, NELEM(s));
	struct verdict_advice a;

	in.policy.rua = "mailto:dmarc@example.com";
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "done");
	cr_expect_str_eq(a.next_record,
	    "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
	cr_expect_eq(a.n_blockers, 0);
	cr_expect(has_line(&a, "keep rua=mailto:dmarc@example.com"));
	verdict_advice_free(&a);
}

Test(verdict, reject_with_a_newly_failing_source_stays)
{
	struct source_stats s[] = {
		own("192.0.2.10", 20000),
		/* passed for two weeks, fails since its key was lost */
		{ .ip = "192.0.2.60", .name = "newsletter.example.com",
		    .messages = 2000, .dmarc_pass = 1000,
		    .dkim_aligned = 1000, .recent_messages = 1000,
		    .recent_pass = 0, .own_dkim_broken = 0,
		    .dkim_missing = 1000, .days = 30, .is_authorized = true },
	};
	struct verdict_input in = domain("reject", s, NELEM(s));
	struct verdict_advice a;

	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_expect_str_eq(a.next_record, "v=DMARC1; p=reject");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].source, "192.0.2.60");
	cr_expect_str_eq(a.blockers[0].name, "newsletter.example.com");
	cr_expect_str_eq(a.blockers[0].problem, "DKIM missing");
	cr_expect(has_line(&a, "warning: p=reject is published and 1 "
	    "legitimate senders fail"));
	verdict_advice_free(&a);
}

/* ---- next_record ---- */

Test(verdict, next_record_table)
{
	static const struct {
		struct dmarc_policy pol;
		int quarantine_days;
		int days;
		const char *want;
	} cases[] = {
		{ { .p = "none", .pct = -1 }, 0, 30,
		    "v=DMARC1; p=quarantine; t=y" },
		{ { .p = NULL, .pct = -1 }, 0, 30,
		    "v=DMARC1; p=quarantine; t=y" },
		/* an sp equal to p is the inherited value reports show */
		{ { .p = "none", .sp = "none", .adkim = "r", .aspf = "r",
		    .pct = 100 }, 0, 30, "v=DMARC1; p=quarantine; t=y" },
		/* t=y would soften an enforcing sp too: not proposed */
		{ { .p = "none", .sp = "reject", .np = "reject",
		    .adkim = "s", .pct = -1 }, 0, 30,
		    "v=DMARC1; p=quarantine; sp=reject; adkim=s" },
		{ { .p = "none", .sp = "quarantine", .aspf = "s",
		    .pct = -1 }, 0, 30,
		    "v=DMARC1; p=quarantine; aspf=s" },
		{ { .p = "quarantine", .sp = "none", .pct = 50 }, 0, 30,
		    "v=DMARC1; p=quarantine; sp=none" },
		{ { .p = "quarantine", .pct = -1,
		    .rua = "mailto:d@example.com" }, 30, 30,
		    "v=DMARC1; p=reject; rua=mailto:d@example.com" },
		{ { .p = "quarantine", .sp = "quarantine", .np = "reject",
		    .pct = -1 }, 30, 30, "v=DMARC1; p=reject" },
		{ { .p = "quarantine", .sp = "none", .np = "reject",
		    .pct = -1 }, 30, 30,
		    "v=DMARC1; p=reject; sp=none; np=reject" },
		{ { .p = "reject", .t = "y", .pct = -1 }, 30, 30,
		    "v=DMARC1; p=reject" },
		/* unchanged: as published, pct and t included */
		{ { .p = "quarantine", .pct = 30, .t = "y", .adkim = "s" },
		    0, 5, "v=DMARC1; p=quarantine; adkim=s; pct=30; t=y" },
		{ { .p = "reject", .sp = "quarantine", .pct = -1 }, 0, 30,
		    "v=DMARC1; p=reject; sp=quarantine" },
		{ { .p = "quarantine", .pct = -1 }, 10, 30,
		    "v=DMARC1; p=quarantine" },
	};
	struct source_stats s[] = { own("192.0.2.10", 20000) };

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct verdict_input in = domain(NULL, s, NELEM(s));
		struct verdict_advice a;

		in.policy = cases[i].pol;
		in.quarantine_days = cases[i].quarantine_days;
		in.days = cases[i].days;
		advise(&in, &a);
		cr_expect_str_eq(a.next_record, cases[i].want, "case %zu (%s)",
		    i, verdict_name(a.verdict));
		verdict_advice_free(&a);
	}
}

Test(verdict, subdomain_advice)
{
	struct source_stats s[] = { own("192.0.2.10", 20000) };
	struct verdict_input in = domain("none", s, NELEM(s));
	struct verdict_advice a;

	in.subdomain_messages = 500;
	in.subdomain_fail = 120;
	advise(&in, &a);
	cr_expect_str_eq(verdict_name(a.verdict), "quarantine");
	cr_expect(has_line(&a, "subdomains: 500 messages, 120 failing"));
	cr_expect(has_line(&a, "fix their senders first (see the sp gate)"));
	verdict_advice_free(&a);

	in.subdomain_messages = in.subdomain_fail = 0;
	advise(&in, &a);
	cr_expect(has_line(&a, "sp=reject would protect them now"));
	cr_expect(has_line(&a, "np=reject is safe"));
	verdict_advice_free(&a);
}

Test(verdict, advice_free_accepts_null_and_zeroed)
{
	struct verdict_advice a = { 0 };

	verdict_advice_free(NULL);
	verdict_advice_free(&a);
	cr_expect_eq(a.n_blockers, 0);
}

Test(verdict, one_significant_spf_only_source_blocks_reject)
{
	/* DKIM coverage of the domain is 98.5%: enough, but one source
	 * with 1.5% of the volume would break when forwarded */
	struct source_stats s[] = {
		own("192.0.2.10", 10000),
		{ .ip = "192.0.2.26", .messages = 150, .dmarc_pass = 150,
		    .spf_aligned = 150, .recent_messages = 75,
		    .recent_pass = 75, .days = 30 },
	};
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.quarantine_days = 40;
	advise(&in, &a);
	cr_expect(a.evidence.dkim_aligned_rate >= 0.98);
	cr_expect_str_eq(verdict_name(a.verdict), "stay");
	cr_assert_eq(a.n_blockers, 1);
	cr_expect_str_eq(a.blockers[0].problem, "passes by SPF only");
	cr_expect(has_line(&a, "not met: 1 legitimate senders with at least "
	    "0.50% of legitimate volume pass by SPF only"));
	verdict_advice_free(&a);
}

Test(verdict, explicit_sp_shapes_the_subdomain_advice)
{
	struct source_stats s[] = { own("192.0.2.10", 20000) };
	struct verdict_input in = domain("quarantine", s, NELEM(s));
	struct verdict_advice a;

	in.policy.sp = "none";
	advise(&in, &a);
	cr_expect(has_line(&a, "sp=none: subdomains are not protected"));
	cr_expect(has_line(&a, "sp=reject would protect them now"));
	verdict_advice_free(&a);

	in.policy.sp = "reject";
	advise(&in, &a);
	cr_expect(!has_line(&a, "sp=none: subdomains are not protected"));
	cr_expect(!has_line(&a, "sp=reject would protect them now"));
	verdict_advice_free(&a);
}

/* our relay's fix: the relay service's own steps when it is known */
Test(verdict, relay_fix_names_the_relay)
{
	struct source_stats known = { .ip = "mxrouting.net",
		.name = "MXRoute", .base = "mxrouting.net", .messages = 10,
		.own_dkim_broken = 10 };
	struct source_stats other = { .ip = "203.0.113.0/24",
		.messages = 10, .own_dkim_broken = 10 };
	struct verdict_problem p;

	verdict_diagnose_relay(&known, &p);
	cr_expect_str_eq(p.problem, "DKIM broken by relay");
	cr_expect(strstr(p.fix, "MXRoute carries your mail") != NULL, "%s",
	    p.fix);
	cr_expect(strstr(p.fix, "x._domainkey") != NULL, "%s", p.fix);
	verdict_diagnose_relay(&other, &p);
	cr_expect(strstr(p.fix, "203.0.113.0/24 carries your mail") != NULL,
	    "%s", p.fix);
	cr_expect(strstr(p.fix, "Sign at the relay") != NULL, "%s", p.fix);
	/* and it is a known service still */
	cr_expect_str_eq(verdict_known_service("out.mxrouting.net"), "MXRoute");
}
