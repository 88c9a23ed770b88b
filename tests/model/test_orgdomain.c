/*
 * Organizational domains and DMARC alignment against the Public Suffix
 * List the system ships (or libpsl's built-in copy).
 */
#include <criterion/criterion.h>

#include <string.h>

#include "model/orgdomain.h"

static void
load_list(void)
{
	struct err err;

	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
}

TestSuite(orgdomain, .init = load_list, .fini = orgdomain_cleanup);

Test(orgdomain, of_table)
{
	static const struct {
		const char *name;
		const char *want;
	} cases[] = {
		{ "mail.example.com", "example.com" },
		{ "example.com", "example.com" },
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "example.co.uk", "example.co.uk" },
		{ "foo.github.io", "foo.github.io" },
		{ "x.foo.github.io", "foo.github.io" },
		{ "Mail.Example.COM.", "example.com" },
		{ "EXAMPLE.COM", "example.com" },
		/* public suffixes are their own organizational domain */
		{ "co.uk", "co.uk" },
		{ "COM.", "com" },
		{ "github.io", "github.io" },
		/* a TLD the list does not know: the default rule "*" */
		{ "a.b.example.invalidtld", "example.invalidtld" },
		/* no valid names: themselves */
		{ "", "" },
		{ ".", "" },
		{ "a..example.com", "a..example.com" },
		{ "192.0.2.1", "192.0.2.1" },
		{ "Bad Name.Example.com", "bad name.example.com" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		const char *got = orgdomain_of(cases[i].name, out,
		    sizeof(out));

		cr_assert_not_null(got, "case '%s'", cases[i].name);
		cr_expect_eq(got, out, "case '%s'", cases[i].name);
		cr_expect_str_eq(got, cases[i].want, "case '%s'",
		    cases[i].name);
	}
}

Test(orgdomain, of_needs_room_for_the_name)
{
	char out[12];

	/* "example.com" and its NUL fill twelve bytes exactly */
	cr_expect_str_eq(orgdomain_of("example.com.", out, sizeof(out)),
	    "example.com");
	cr_expect_str_eq(orgdomain_of("www.example.com", out, sizeof(out)),
	    "example.com");
	/* only the result must fit */
	cr_expect_str_eq(orgdomain_of("a.b.mail.example.com", out,
	    sizeof(out)), "example.com");
	cr_expect_null(orgdomain_of("example.co.uk", out, sizeof(out)));
	cr_expect_null(orgdomain_of("www.example.co.uk", out, sizeof(out)));
	cr_expect_null(orgdomain_of("example.com", out, 11));
	cr_expect_null(orgdomain_of("", out, 0));
}

Test(orgdomain, of_overlong_name_is_itself)
{
	char name[300], out[320];

	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_not_null(orgdomain_of(name, out, sizeof(out)));
	cr_expect_eq(strlen(out), sizeof(name) - 1);
	cr_expect_eq(strspn(out, "a"), sizeof(name) - 1);
	cr_expect_null(orgdomain_of(name, out, sizeof(name) - 1));
	cr_expect(!orgdomain_aligned(name, "a.example.com", false));
	cr_expect(orgdomain_aligned(name, name, true));
}

Test(orgdomain, aligned_table)
{
	static const struct {
		const char *a, *b;
		bool relaxed, strict;
	} cases[] = {
		{ "mail.example.com", "example.com", true, false },
		{ "example.com", "mail.example.com", true, false },
		{ "example.com", "example.com", true, true },
		{ "a.b.example.co.uk", "example.co.uk", true, false },
		{ "a.example.co.uk", "b.example.co.uk", true, false },
		{ "example.co.uk", "other.co.uk", false, false },
		/* github.io is a private suffix: different owners */
		{ "foo.github.io", "bar.github.io", false, false },
		{ "a.foo.github.io", "foo.github.io", true, false },
		{ "EXAMPLE.com.", "example.COM", true, true },
		{ "Mail.Example.Com", "example.com.", true, false },
		{ "example.com", "example.org", false, false },
		{ "example.com", "notexample.com", false, false },
		{ "example.com.evil.net", "example.com", false, false },
		{ "co.uk", "co.uk", true, true },
		{ "x.co.uk", "co.uk", false, false },
		{ "", "", false, false },
		{ "", "example.com", false, false },
		{ "example.com", "", false, false },
		{ ".", ".", false, false },
		{ NULL, "example.com", false, false },
		{ "example.com", NULL, false, false },
		{ NULL, NULL, false, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a = cases[i].a ? cases[i].a : "(null)";
		const char *b = cases[i].b ? cases[i].b : "(null)";

		cr_expect_eq(orgdomain_aligned(cases[i].a, cases[i].b, false),
		    cases[i].relaxed, "relaxed '%s' '%s'", a, b);
		cr_expect_eq(orgdomain_aligned(cases[i].a, cases[i].b, true),
		    cases[i].strict, "strict '%s' '%s'", a, b);
	}
}

Test(orgdomain, init_twice_and_reload)
{
	struct err err;
	char out[64];

	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
	cr_expect_str_eq(orgdomain_of("a.example.com", out, sizeof(out)),
	    "example.com");
	orgdomain_cleanup();
	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
	cr_expect_str_eq(orgdomain_of("a.b.example.co.uk", out, sizeof(out)),
	    "example.co.uk");
}
