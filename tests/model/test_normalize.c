#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "model/normalize.h"

Test(normalize, enum_tables)
{
	static const struct {
		enum norm_kind kind;
		const char *in;
		enum norm_result res;
		const char *out;
	} cases[] = {
		{ NORM_DISPOSITION, " quarantine", NORM_OK, "quarantine" },
		{ NORM_DISPOSITION, "None", NORM_OK, "none" },
		{ NORM_DISPOSITION, "pass", NORM_OK, "pass" },
		{ NORM_DISPOSITION, "softfail", NORM_UNKNOWN, "softfail" },
		{ NORM_DISPOSITION, "  ", NORM_EMPTY, NULL },
		{ NORM_VERDICT, "PASS", NORM_OK, "pass" },
		{ NORM_VERDICT, "hardfail", NORM_ALIAS, "fail" },
		{ NORM_SPF_RESULT, "HardFail", NORM_ALIAS, "fail" },
		{ NORM_SPF_RESULT, "SoftFail", NORM_OK, "softfail" },
		{ NORM_SPF_RESULT, "TempError", NORM_OK, "temperror" },
		{ NORM_SPF_RESULT, "unknown", NORM_ALIAS, "permerror" },
		{ NORM_SPF_RESULT, "error", NORM_ALIAS, "temperror" },
		{ NORM_DKIM_RESULT, "policy", NORM_OK, "policy" },
		{ NORM_DKIM_RESULT, "weird-value", NORM_UNKNOWN,
		  "weird-value" },
		{ NORM_SPF_SCOPE, "MFROM", NORM_OK, "mfrom" },
		{ NORM_ALIGNMENT, "relaxed", NORM_ALIAS, "r" },
		{ NORM_POLICY, "Reject", NORM_OK, "reject" },
		{ NORM_REASON, "policy_test_mode", NORM_OK,
		  "policy_test_mode" },
		{ NORM_REASON, "mailing-list", NORM_ALIAS, "mailing_list" },
		{ NORM_TESTING, "Y", NORM_OK, "y" },
		{ NORM_DISCOVERY, "treewalk", NORM_OK, "treewalk" },
		{ NORM_TLS_POLICY_TYPE, "no-policy-found", NORM_OK,
		  "no-policy-found" },
		{ NORM_TLS_RESULT_TYPE, "sts-policy-fetch-error", NORM_OK,
		  "sts-policy-fetch-error" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char raw[64];
		const char *out;
		enum norm_result r;

		snprintf(raw, sizeof(raw), "%s", cases[i].in);
		r = norm_enum(cases[i].kind, raw, &out);
		cr_expect_eq(r, cases[i].res, "case %zu '%s'", i, cases[i].in);
		if (cases[i].out == NULL)
			cr_expect_null(out, "case %zu", i);
		else
			cr_expect_str_eq(out, cases[i].out, "case %zu", i);
	}
}

Test(normalize, ip_addresses)
{
	static const struct {
		const char *in;
		int family;
		const char *out;
	} cases[] = {
		{ "192.0.2.1", 4, "192.0.2.1" },
		{ " 192.0.2.1\n", 4, "192.0.2.1" },
		{ "2001:DB8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1" },
		{ "::ffff:192.0.2.1", 6, "::ffff:192.0.2.1" },
		{ "X.X.X.X", 0, "" }, { "", 0, "" }, { "192.0.2.256", 0, "" },
		{ "1.2.3", 0, "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];

		cr_expect_eq(norm_ip(cases[i].in, out, sizeof(out)),
		    cases[i].family, "case '%s'", cases[i].in);
		cr_expect_str_eq(out, cases[i].out, "case '%s'", cases[i].in);
	}
}

Test(normalize, datetimes)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} cases[] = {
		{ "2024-01-01T00:00:00Z", 1, 1704067200 },
		{ "2024-01-01T00:00:00", 1, 1704067200 },	/* Microsoft */
		{ "2024-01-01T01:00:00+01:00", 1, 1704067200 },
		{ "2024-01-01T00:00:00.123Z", 1, 1704067200 },
		{ "2024-02-29T23:59:59Z", 1, 1709251199 },
		{ "1970-01-01", 1, 0 },
		{ "2024-13-01T00:00:00Z", 0, 0 }, { "yesterday", 0, 0 },
		{ "", 0, 0 }, { "2024-01-01T00:00:00Zjunk", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;
		struct err e;
		int r = norm_datetime(cases[i].in, &t, "start-datetime", &e);

		cr_expect_eq(r == 0, cases[i].ok, "case '%s'", cases[i].in);
		if (cases[i].ok)
			cr_expect_eq(t, cases[i].want, "case '%s'",
			    cases[i].in);
	}
}

Test(normalize, domains_and_times)
{
	struct arena a;
	struct err e;
	const char *d = NULL;

	arena_init(&a);
	cr_assert_eq(norm_domain(&a, " Mail.Example.COM. ", &d, "domain", &e),
	    0);
	cr_expect_str_eq(d, "mail.example.com");
	arena_release(&a);
}

Test(normalize, datetime_years_and_days_that_exist)
{
	static const struct {
		const char *in;
		int want_r;
		int64_t want;
	} cases[] = {
		{ "2024-02-29T00:00:00Z", 0, 1709164800 },
		{ "2024-02-30T00:00:00Z", -1, 0 },
		{ "2024-02-31T00:00:00Z", -1, 0 },
		{ "2023-02-29T00:00:00Z", -1, 0 },
		{ "2100-02-29T00:00:00Z", -1, 0 },
		{ "2000-02-29T00:00:00Z", 0, 951782400 },
		{ "2024-04-31T00:00:00Z", -1, 0 },
		{ "0000-01-01T00:00:00Z", -1, 0 },
		{ "1969-12-31T23:59:59Z", -1, 0 },
		{ "1970-01-01T00:30:00+01:00", -1, 0 },
		{ "9999-12-31T23:59:59Z", 0, 253402300799LL },
		{ "10000-01-01T00:00:00Z", -1, 0 },
		/* a leap second is the second before it, flagged */
		{ "2016-12-31T23:59:60Z", 1, 1483228799 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;
		struct err e;
		int r = norm_datetime(cases[i].in, &t, "start-datetime", &e);

		cr_expect_eq(r, cases[i].want_r, "case '%s': %s", cases[i].in,
		    r == -1 ? e.msg : "");
		if (r != -1)
			cr_expect_eq(t, cases[i].want, "case '%s'",
			    cases[i].in);
		else
			cr_expect_eq(e.code, ERR_PARSE);
	}
}

Test(normalize, impossible_date_names_the_day)
{
	struct err e;
	int64_t t;

	cr_assert_eq(norm_datetime("2024-02-31T00:00:00Z", &t, "start", &e),
	    -1);
	cr_expect(strstr(e.msg, "2024-02 has no day 31") != NULL, "%s", e.msg);
	cr_assert_eq(norm_datetime("0000-01-01", &t, "start", &e), -1);
	cr_expect(strstr(e.msg, "before 1970") != NULL, "%s", e.msg);
}

Test(normalize, epoch_years_1970_to_9999)
{
	static const struct {
		const char *in;
		int ok;
	} cases[] = {
		{ "0", 1 }, { "253402300799", 1 }, { "253402300800", 0 },
		{ "-1", 0 }, { "-62167219200", 0 }, { "x", 0 },
		{ "99999999999999999999", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t;
		struct err e;

		cr_expect_eq(norm_epoch(cases[i].in, &t, "begin", &e) == 0,
		    cases[i].ok, "case '%s'", cases[i].in);
	}
}

Test(normalize, count_table)
{
	static const struct {
		const char *in;
		enum err_code code;
		int64_t want;
	} cases[] = {
		{ "0", ERR_OK, 0 }, { " 12 ", ERR_OK, 12 },
		{ "1099511627776", ERR_OK, 1099511627776LL },	/* 2^40 */
		{ "1099511627777", ERR_LIMIT, 0 },
		{ "9223372036854775807", ERR_LIMIT, 0 },
		{ "99999999999999999999999", ERR_LIMIT, 0 },
		{ "-1", ERR_PARSE, 0 }, { " -5", ERR_PARSE, 0 },
		{ "", ERR_PARSE, 0 }, { "1.5", ERR_PARSE, 0 },
		{ "ten", ERR_PARSE, 0 }, { "+3", ERR_OK, 3 },
		{ "+", ERR_PARSE, 0 }, { "3 4", ERR_PARSE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -7;
		struct err e;
		int r = norm_count(cases[i].in, 1ull << 40, &v, "count", &e);

		cr_expect_eq(r == 0, cases[i].code == ERR_OK, "case '%s'",
		    cases[i].in);
		if (r == 0)
			cr_expect_eq(v, cases[i].want, "case '%s'",
			    cases[i].in);
		else
			cr_expect_eq(e.code, cases[i].code, "case '%s': %s",
			    cases[i].in, e.msg);
	}
}

Test(normalize, domains_are_idna_a_labels)
{
	static const struct {
		const char *in, *want;	/* want NULL: refused */
	} cases[] = {
		{ "BÜCHER.example", "xn--bcher-kva.example" },
		{ "bücher.example.", "xn--bcher-kva.example" },
		{ " b\xc3\xbc" "cher.Example ", "xn--bcher-kva.example" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example" },
		{ "Faß.de", "xn--fa-hia.de" },
		{ "\xef\xbd\x81" "bc.example", "abc.example" },	/* full width */
		{ "", "" }, { "  ", "" },
		/* plain ASCII is only lower-cased, whatever it holds */
		{ "Not_A.Host Name", "not_a.host name" },
		{ "xn--zz.example", "xn--zz.example" },
		{ "\xf0\x9f\x98\x80.example", NULL },	/* emoji */
		{ "-bücher.example", NULL },
		{ "bü cher.example", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arena a;
		struct err e;
		const char *d = NULL;
		int r;

		arena_init(&a);
		r = norm_domain(&a, cases[i].in, &d, "header_from", &e);
		if (cases[i].want == NULL) {
			cr_expect_eq(r, -1, "case '%s'", cases[i].in);
			cr_expect_eq(e.code, ERR_PARSE);
			cr_expect(strstr(e.msg, "header_from '") == e.msg &&
			    strstr(e.msg, "is not a valid internationalized "
			    "domain name") != NULL, "%s", e.msg);
		} else {
			cr_expect_eq(r, 0, "case '%s': %s", cases[i].in,
			    e.msg);
			if (r == 0)
				cr_expect_str_eq(d, cases[i].want, "case '%s'",
				    cases[i].in);
		}
		arena_release(&a);
	}
}
