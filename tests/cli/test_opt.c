#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "cli/opt.h"

Test(opt, long_names_itself_and_its_range)
{
	static const struct {
		const char *in;
		int ok;
		long want;
	} cases[] = {
		{ "1", 1, 1 }, { " 36500 ", 1, 36500 }, { "14", 1, 14 },
		{ "0", 0, 0 }, { "36501", 0, 0 }, { "-1", 0, 0 },
		{ "", 0, 0 }, { "7d", 0, 0 }, { "0x10", 0, 0 },
		{ "99999999999999999999999", 0, 0 }, { "+5", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		long v = -7;
		int r = opt_long("--days", cases[i].in, 1, 36500, &v, &e);

		cr_expect_eq(r == 0, cases[i].ok, "case '%s'", cases[i].in);
		if (cases[i].ok) {
			cr_expect_eq(v, cases[i].want);
			continue;
		}
		cr_expect_eq(v, -7, "written on failure");
		cr_expect_eq(e.code, ERR_USAGE);
		cr_expect(strstr(e.msg, "--days") != NULL, "%s", e.msg);
		cr_expect(strstr(e.msg, "from 1 to 36500") != NULL, "%s",
		    e.msg);
	}
}

Test(opt, size_range_in_units)
{
	struct err e;
	uint64_t v = 0;

	cr_expect_eq(opt_size("[limits] max_text", "64K", 1024, 256u << 20, &v,
	    &e), 0);
	cr_expect_eq(v, 65536);
	cr_expect_eq(opt_size("[limits] max_text", "1G", 1024, 256u << 20, &v,
	    &e), -1);
	cr_expect_str_eq(e.msg, "[limits] max_text '1G': expected a size "
	    "from 1K to 256M (bytes, or with K, M or G)");
	cr_expect_eq(opt_size("x", "18446744073709551615G", 1, 2, &v, &e), -1);
	cr_expect_eq(opt_size("x", "", 1, 2, &v, &e), -1);
}

Test(opt, rate)
{
	struct err e;
	double v = -1;

	cr_expect_eq(opt_rate("r", "0.98", &v, &e), 0);
	cr_expect_float_eq(v, 0.98, 1e-12);
	cr_expect_eq(opt_rate("r", "98%", &v, &e), 0);
	cr_expect_float_eq(v, 0.98, 1e-12);
	cr_expect_eq(opt_rate("r", "1.5", &v, &e), -1);
	cr_expect(strstr(e.msg, "from 0 to 1") != NULL, "%s", e.msg);
	cr_expect_eq(opt_rate("r", "nan", &v, &e), -1);
	cr_expect_eq(opt_rate("r", "", &v, &e), -1);
}

Test(opt, dates_that_exist_from_1970)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} cases[] = {
		{ "1970-01-01", 1, 0 },
		{ "2024-02-29", 1, 1709164800 },
		{ "2024-05-01T12:30:15Z", 1, 1714566615 },
		{ "2024-05-01T12:30+02:00", 1, 1714559400 },
		{ "9999-12-31", 1, 253402214400 },
		{ "1969-12-31", 0, 0 },
		{ "1969-12-31T23:59:59Z", 0, 0 },
		{ "1970-01-01T00:30+01:00", 0, 0 },
		{ "0000-01-01", 0, 0 },
		{ "2023-02-29", 0, 0 },
		{ "2024-02-31", 0, 0 },
		{ "2024-04-31", 0, 0 },
		{ "2024-13-01", 0, 0 },
		{ "2024-01-01T24:00", 0, 0 },
		{ "2024-01-01T23:60", 0, 0 },
		{ "2024-01-01T23:59:60Z", 0, 0 },
		{ "2024-01-01T1:2", 0, 0 },
		{ "yesterday", 0, 0 },
		{ "", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		int64_t t = -7;
		int r = opt_date("--since", cases[i].in, &t, &e);

		cr_expect_eq(r == 0, cases[i].ok, "case '%s'", cases[i].in);
		if (cases[i].ok) {
			cr_expect_eq(t, cases[i].want, "case '%s'",
			    cases[i].in);
			continue;
		}
		cr_expect_eq(e.code, ERR_USAGE);
		cr_expect(strstr(e.msg, "--since") != NULL, "%s", e.msg);
		cr_expect(strstr(e.msg, "1970-01-01") != NULL, "%s", e.msg);
	}
}

Test(opt, domain)
{
	static const struct {
		const char *in;
		int ok;
		const char *out;	/* the spelling stored */
	} cases[] = {
		{ "example.com", 1, "example.com" },
		{ "Mixed.EXAMPLE", 1, "mixed.example" },
		{ "example.com.", 1, "example.com" },
		{ "bücher.example", 1, "xn--bcher-kva.example" },
		{ "BÜCHER.example", 1, "xn--bcher-kva.example" },
		{ "xn--bcher-kva.example", 1, "xn--bcher-kva.example" },
		{ "", 0, NULL },
		{ "\xff\xfe", 0, NULL }, { "b\xfc" "cher.example", 0, NULL },
		{ "a\x1b[2Jb", 0, NULL }, { "a b", 0, NULL },
		{ "a\xc2\x9b" "b", 0, NULL }, { "a\x7f", 0, NULL },
	};
	char long_name[300], out[OPT_DOMAIN_SIZE];
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = opt_domain("--domain", cases[i].in, out, &e);

		cr_expect_eq(r == 0, cases[i].ok, "case %zu", i);
		if (!cases[i].ok)
			cr_expect(strstr(e.msg, "--domain") != NULL &&
			    strstr(e.msg, "1 to 253") != NULL, "%s", e.msg);
		else
			cr_expect_str_eq(out, cases[i].out, "case %zu", i);
	}
	memset(long_name, 'a', 254);
	long_name[254] = '\0';
	cr_expect_eq(opt_domain("--domain", long_name, out, &e), -1);
	long_name[253] = '\0';
	cr_expect_eq(opt_domain("--domain", long_name, out, &e), 0);
}

Test(opt, long_value_is_cut_on_a_character)
{
	char in[400];
	struct err e;
	long v;

	/* 'ü' is two bytes: the message never ends inside one */
	for (size_t i = 0; i + 2 < sizeof(in); i += 2)
		memcpy(in + i, "\xc3\xbc", 2);
	in[sizeof(in) - 2] = '\0';
	cr_expect_eq(opt_long("--days", in, 1, 2, &v, &e), -1);
	cr_expect(strstr(e.msg, "\xc3\xbc...'") != NULL, "%s", e.msg);
}
