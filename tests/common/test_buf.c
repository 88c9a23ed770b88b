#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/jsonw.h"

Test(buf, grows_and_stays_terminated)
{
	struct buf b;
	struct err e;

	buf_init(&b, 1000);
	cr_expect_str_eq(buf_str(&b), "");
	for (int i = 0; i < 100; i++)
		cr_assert_eq(buf_adds(&b, "abcdefghi", &e), 0);
	cr_expect_eq(b.len, 900);
	cr_expect_eq(b.data[b.len], '\0');
	buf_reset(&b);
	cr_expect_eq(b.len, 0);
	cr_expect_str_eq(buf_str(&b), "");
	buf_release(&b);
}

Test(buf, refuses_to_pass_its_maximum)
{
	struct buf b;
	struct err e;

	buf_init(&b, 10);
	cr_expect_eq(buf_adds(&b, "0123456789", &e), 0);
	cr_expect_eq(buf_addc(&b, 'x', &e), -1);
	cr_expect_eq(e.code, ERR_LIMIT);
	cr_expect_eq(b.len, 10, "unchanged after a refused add");
	cr_expect_eq(buf_addf(&b, &e, "%d", 1), -1);
	buf_release(&b);
}

Test(buf, formats)
{
	struct buf b;
	struct err e;

	buf_init(&b, 100);
	cr_expect_eq(buf_addf(&b, &e, "%s=%d;", "a", 42), 0);
	cr_expect_eq(buf_addf(&b, &e, "%05.1f", 2.5), 0);
	cr_expect_str_eq(buf_str(&b), "a=42;002.5");
	buf_release(&b);
}

Test(arena, strings_survive_until_reset)
{
	struct arena a;
	char big[20000];
	const char *s[1000];

	arena_init(&a);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1000; i++)
			s[i] = arena_strdup(&a, i == 500 ? big : "record");
		for (int i = 0; i < 1000; i++)
			cr_assert_str_eq(s[i], i == 500 ? big : "record");
		arena_reset(&a);
	}
	arena_release(&a);
}

Test(jsonw, escapes_what_json_requires)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "tab\there\nnl\x07", "\"tab\\u0009here\\u000anl\\u0007\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "bad\xff!", "\"bad\xef\xbf\xbd!\"" },
		{ "cut\xe2\x82", "\"cut\xef\xbf\xbd\xef\xbf\xbd\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		struct jsonw w;
		struct err e;

		buf_init(&b, 1000);
		jsonw_init(&w, &b);
		jsonw_str(&w, cases[i].in);
		cr_assert_eq(jsonw_finish(&w, &e), 0);
		cr_expect_str_eq(buf_str(&b), cases[i].out, "case %zu", i);
		buf_release(&b);
	}
}

Test(jsonw, null_and_numbers)
{
	struct buf b;
	struct jsonw w;
	struct err e;

	buf_init(&b, 1000);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	jsonw_kv_str(&w, "a", NULL, true);
	jsonw_kv_int(&w, "n", -1, true, false);
	jsonw_kv_int(&w, "m", 12, true, false);
	jsonw_kv_rate(&w, "r", 0.5);
	jsonw_raw(&w, "}");
	cr_assert_eq(jsonw_finish(&w, &e), 0);
	cr_expect_str_eq(buf_str(&b), "{\"a\":null,\"n\":null,\"m\":12,"
	    "\"r\":0.5000}");
	buf_release(&b);
}

Test(jsonw, first_failure_sticks)
{
	struct buf b;
	struct jsonw w;
	struct err e;

	buf_init(&b, 8);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	jsonw_kv_str(&w, "long key", "value", true);
	jsonw_raw(&w, "}");
	cr_assert_eq(jsonw_finish(&w, &e), -1);
	cr_expect_eq(e.code, ERR_LIMIT);
	cr_expect_str_eq(buf_str(&b), "{\"");
	buf_release(&b);
}
