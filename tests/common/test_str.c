#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "common/str.h"

Test(str, to_i64_table)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} cases[] = {
		{ "0", 1, 0 }, { " 42 ", 1, 42 },
		{ "1524268799 ", 1, 1524268799 }, { "\t7\n", 1, 7 },
		{ "", 0, 0 }, { "  ", 0, 0 }, { "12a", 0, 0 },
		{ "1 2", 0, 0 }, { "-1", 0, 0 }, { "0x10", 0, 0 },
		{ "99999999999999999999", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		int64_t v = -7;
		int r = str_to_i64(cases[i].in, 0, INT64_MAX, &v, "n", &e);

		cr_expect_eq(r == 0, cases[i].ok, "case '%s'", cases[i].in);
		if (cases[i].ok)
			cr_expect_eq(v, cases[i].want, "case '%s'",
			    cases[i].in);
		else
			cr_expect_eq(e.code, ERR_PARSE);
	}
}

Test(str, to_size_table)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} cases[] = {
		{ "512M", 1, 512ull << 20 }, { "64k", 1, 64ull << 10 },
		{ "1G", 1, 1ull << 30 }, { "100", 1, 100 },
		{ "2MB", 1, 2u << 20 },
		{ "", 0, 0 }, { "x", 0, 0 }, { "5T", 0, 0 }, { "-1", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		uint64_t v = 0;
		int r = str_to_size(cases[i].in, &v, "size", &e);

		cr_expect_eq(r == 0, cases[i].ok, "case '%s'", cases[i].in);
		if (cases[i].ok)
			cr_expect_eq(v, cases[i].want, "case '%s'",
			    cases[i].in);
	}
}

Test(str, trim_and_lower)
{
	char a[] = "  MiXed Case \t\n";
	char b[] = "";

	cr_expect_str_eq(str_lower(str_trim(a)), "mixed case");
	cr_expect_str_eq(str_trim(b), "");
	cr_expect(str_blank(" \t"));
	cr_expect(!str_blank(" x"));
	cr_expect(str_blank(NULL));
	cr_expect(str_starts("From x", "From "));
}
