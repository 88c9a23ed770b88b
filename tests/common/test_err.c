#include <criterion/criterion.h>

#include <string.h>

#include "common/err.h"
#include "common/str.h"

Test(err, set_may_format_its_own_message)
{
	struct err e;

	err_set(&e, ERR_PARSE, "bad count");
	err_set(&e, ERR_LIMIT, "record 3: %s", e.msg);
	cr_expect_eq(e.code, ERR_LIMIT);
	cr_expect_str_eq(e.msg, "record 3: bad count");
}

Test(err, long_messages_are_cut_between_characters)
{
	struct err e;
	char big[2 * sizeof(e.msg)];

	/* 'x' then 2-byte characters: the cut falls inside one */
	big[0] = 'x';
	for (size_t i = 1; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	big[sizeof(big) - 2] = 'y';
	err_set(&e, ERR_PARSE, "%s", big);
	cr_expect_lt(strlen(e.msg), sizeof(e.msg));
	cr_expect(str_is_utf8(e.msg, strlen(e.msg)));
	err_wrap(&e, "%s", "z");
	cr_expect(str_is_utf8(e.msg, strlen(e.msg)));
	cr_expect(strncmp(e.msg, "z: x\xc3\xa9", 6) == 0);
}

Test(err, latin1_arguments_become_utf8)
{
	struct err e;

	err_set(&e, ERR_IO, "cannot open %s", "/tmp/b\xfc" "cher.xml");
	cr_expect_str_eq(e.msg, "cannot open /tmp/b\xc3\xbc" "cher.xml");
	err_wrap(&e, "%s", "\xe9t\xe9");
	cr_expect_str_eq(e.msg,
	    "\xc3\xa9t\xc3\xa9: cannot open /tmp/b\xc3\xbc" "cher.xml");
}
