#include <criterion/criterion.h>

#include <stdlib.h>
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
}

Test(str, utf8_cut_table)
{
	static const struct {
		const char *in;
		size_t max, want;
	} cases[] = {
		{ "abc", 10, 3 }, { "abc", 3, 3 }, { "abc", 2, 2 },
		{ "", 5, 0 }, { "abc", 0, 0 },
		/* Ü is c3 9c: never one byte of it */
		{ "a\xc3\x9c", 2, 1 }, { "a\xc3\x9c", 3, 3 },
		{ "\xe2\x82\xac\xe2\x82\xac", 4, 3 },
		{ "\xe2\x82\xac\xe2\x82\xac", 5, 3 },
		{ "\xe2\x82\xac\xe2\x82\xac", 6, 6 },
		{ "\xf0\x9f\x98\x80x", 3, 0 }, { "\xf0\x9f\x98\x80x", 4, 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(str_utf8_cut(cases[i].in, cases[i].max),
		    cases[i].want, "case %zu", i);
}

Test(str, format_cuts_between_characters)
{
	char buf[6];
	size_t n;

	/* "ab" + three 2-byte characters: 8 bytes into 5 */
	n = str_format(buf, sizeof(buf), "ab%s", "\xc3\xa9\xc3\xa9\xc3\xa9");
	cr_expect_eq(n, 4);
	cr_expect_str_eq(buf, "ab\xc3\xa9");
	cr_expect(str_is_utf8(buf, strlen(buf)));
	n = str_format(buf, sizeof(buf), "%d", 42);
	cr_expect_eq(n, 2);
	cr_expect_str_eq(buf, "42");
	/* 8-bit arguments come out as UTF-8 */
	n = str_format(buf, sizeof(buf), "%s", "b\xfc");
	cr_expect_str_eq(buf, "b\xc3\xbc");
	cr_expect_eq(n, 3);
}

Test(str, is_utf8_table)
{
	static const struct {
		const char *in;
		bool ok;
	} cases[] = {
		{ "", true }, { "plain", true }, { "B\xc3\x9c" "cher", true },
		{ "\xf0\x9f\x98\x80", true }, { "\xfc", false },
		{ "\xc3", false }, { "\xc0\xaf", false },	/* overlong */
		{ "\xed\xa0\x80", false },			/* surrogate */
		{ "\xf4\x90\x80\x80", false },			/* > U+10FFFF */
		{ "\x80", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(str_is_utf8(cases[i].in, strlen(cases[i].in)),
		    cases[i].ok, "case %zu", i);
}

Test(str, utf8_char_table)
{
	static const struct {
		const char *s;
		size_t n, want;
	} cases[] = {
		{ "a", 1, 1 },
		{ "", 0, 0 },
		{ "\xc3\xbc", 2, 2 },
		{ "\xe2\x82\xac", 3, 3 },
		{ "\xf0\x9f\x98\x80", 4, 4 },
		{ "\xc3", 1, STR_UTF8_SHORT },		/* cut: read on */
		{ "\xe2\x82", 2, STR_UTF8_SHORT },
		{ "\xf0\x9f\x98", 3, STR_UTF8_SHORT },
		{ "\x80", 1, 0 },			/* stray continuation */
		{ "\xc0\xaf", 2, 0 },			/* overlong */
		{ "\xe0\x80\xaf", 3, 0 },
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* past U+10FFFF */
		{ "\xc3" "a", 2, 0 },
		{ "\xff", 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(str_utf8_char(cases[i].s, cases[i].n),
		    cases[i].want, "case %zu", i);
}

Test(str, to_utf8_reads_latin1)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "report.xml", "report.xml" },
		{ "B\xc3\x9c" "cher.xml", "B\xc3\x9c" "cher.xml" },
		{ "B\xdc" "cher.xml", "B\xc3\x9c" "cher.xml" },
		{ "\xe9t\xe9.zip", "\xc3\xa9t\xc3\xa9.zip" },
		/* valid sequences stay, stray bytes beside them convert */
		{ "\xc3\xa9\xe9", "\xc3\xa9\xc3\xa9" },
		{ "\xc3", "\xc3\x83" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *u = str_to_utf8(cases[i].in);

		cr_expect_str_eq(u, cases[i].want, "case %zu", i);
		cr_expect(str_is_utf8(u, strlen(u)));
		free(u);
	}
}
