#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/esc.h"
#include "common/jsonw.h"

static const struct {
	const char *in, *want;
} esc_cases[] = {
	{ "", "" },
	{ "google.com", "google.com" },
	{ "Bücher GmbH – ü€😀", "Bücher GmbH – ü€😀" },
	{ "a\\xb", "a\\xb" },
	{ "\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07" },
	{ "line\nforged", "line\\x0aforged" },
	{ "tab\there\r", "tab\\x09here\\x0d" },
	{ "del\x7f", "del\\x7f" },
	{ "c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m" },
	{ "nbsp \xc2\xa0 ok", "nbsp \xc2\xa0 ok" },
	{ "latin1 \xe9t\xe9", "latin1 \\xe9t\\xe9" },
	{ "raw c1 \x9b", "raw c1 \\x9b" },
	{ "cut \xe2\x82", "cut \\xe2\\x82" },
	{ "overlong \xc0\xaf", "overlong \\xc0\\xaf" },
	{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80" },
};

Test(esc, buf_table)
{
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		struct buf b;
		struct err e;

		buf_init(&b, 4096);
		cr_assert_eq(esc_buf(&b, esc_cases[i].in, &e), 0);
		cr_expect_str_eq(buf_str(&b), esc_cases[i].want, "case %zu", i);
		cr_expect_eq(esc_needed(esc_cases[i].in),
		    strcmp(esc_cases[i].in, esc_cases[i].want) != 0,
		    "case %zu", i);
		buf_release(&b);
	}
}

Test(esc, fputs_and_linef_match_buf)
{
	for (size_t i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		cr_assert_not_null(f);
		esc_fputs(esc_cases[i].in, f);
		fputc('|', f);
		esc_linef(f, "[%s]", esc_cases[i].in);
		fclose(f);
		{
			char want[512];

			snprintf(want, sizeof(want), "%s|[%s]\n",
			    esc_cases[i].want, esc_cases[i].want);
			cr_expect_str_eq(out, want, "case %zu", i);
		}
		free(out);
	}
}

Test(esc, utf8_len)
{
	cr_expect_eq(esc_utf8_len(""), 0);
	cr_expect_eq(esc_utf8_len("a"), 1);
	cr_expect_eq(esc_utf8_len("\xc3\xbc"), 2);
	cr_expect_eq(esc_utf8_len("\xe2\x82\xac"), 3);
	cr_expect_eq(esc_utf8_len("\xf0\x9f\x98\x80"), 4);
	cr_expect_eq(esc_utf8_len("\xf4\x90\x80\x80"), 0);
	cr_expect_eq(esc_utf8_len("\xc3"), 0);
	cr_expect_eq(esc_utf8_len("\x80"), 0);
}

Test(jsonw, escapes_c0_del_and_c1)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "\x1b[1m", "\"\\u001b[1m\"" },
		{ "a\x7f" "b", "\"a\\u007fb\"" },
		{ "\xc2\x9b" "2J", "\"\\u009b2J\"" },
		{ "\xc2\x80\xc2\x9f", "\"\\u0080\\u009f\"" },
		{ "\xc2\xa0\xc3\xbc", "\"\xc2\xa0\xc3\xbc\"" },
		{ "q\"\\", "\"q\\\"\\\\\"" },
		{ "bad \x9b", "\"bad \xef\xbf\xbd\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		struct jsonw w;
		struct err e;

		buf_init(&b, 4096);
		jsonw_init(&w, &b);
		jsonw_str(&w, cases[i].in);
		cr_assert_eq(jsonw_finish(&w, &e), 0);
		cr_expect_str_eq(buf_str(&b), cases[i].want, "case %zu", i);
		buf_release(&b);
	}
}
