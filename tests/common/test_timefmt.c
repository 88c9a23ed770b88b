/*
 * timefmt: Unix seconds as UTC text.
 */
#include <criterion/criterion.h>

#include "common/timefmt.h"

Test(timefmt, iso_and_date)
{
	static const struct {
		int64_t t;
		const char *iso, *date;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00Z", "1970-01-01" },
		{ 1704067200, "2024-01-01T00:00:00Z", "2024-01-01" },
		{ 1714608000 + 3661, "2024-05-02T01:01:01Z", "2024-05-02" },
		{ 253402300799LL, "9999-12-31T23:59:59Z", "9999-12-31" },
		/* year 900: four digits, or PostgreSQL reads no year */
		{ -33765897600LL, "0900-01-01T00:00:00Z", "0900-01-01" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];

		timefmt_iso(cases[i].t, out, sizeof(out));
		cr_expect_str_eq(out, cases[i].iso, "case %zu", i);
		timefmt_date(cases[i].t, out, sizeof(out));
		cr_expect_str_eq(out, cases[i].date, "case %zu", i);
	}
}

Test(timefmt, beyond_gmtime_is_the_number)
{
	char out[32];

	timefmt_iso(INT64_MAX, out, sizeof(out));
	cr_expect_str_eq(out, "9223372036854775807");
}
