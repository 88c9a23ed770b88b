#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/stream.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

Test(stream, peek_does_not_consume)
{
	struct stream *s = NULL;
	const unsigned char *p;
	char buf[64];
	size_t n;
	struct err e;

	stream_new_mem(&s, "hello world", 11, "mem");
	cr_assert_eq(stream_peek(s, 5, &p, &n, &e), 0);
	cr_expect_eq(n, 5);
	cr_expect_eq(memcmp(p, "hello", 5), 0);
	cr_assert_eq(stream_peek(s, 100, &p, &n, &e), 0);
	cr_expect_eq(n, 11, "peek past the end gives what there is");
	cr_expect_eq(stream_read(s, buf, 3, &e), 3);
	cr_expect_eq(memcmp(buf, "hel", 3), 0);
	cr_expect_eq(stream_read(s, buf, sizeof(buf), &e), 8);
	cr_expect_eq(memcmp(buf, "lo world", 8), 0);
	cr_expect_eq(stream_read(s, buf, sizeof(buf), &e), 0);
	stream_free(s);
}

Test(stream, file_and_missing_file)
{
	struct stream *s = NULL;
	struct err e;
	char *data;
	size_t len;

	cr_expect_eq(stream_open_file(&s, "/nonexistent/x.xml", &e), -1);
	cr_expect_eq(e.code, ERR_IO);
	cr_expect(strstr(e.msg, "/nonexistent/x.xml") != NULL, "%s", e.msg);
	cr_assert_eq(stream_open_file(&s,
	    FIXTURE("corpus/aggregate/mailru_single-line-no-version.xml"),
	    &e), 0);
	cr_expect_geq(stream_fd_fresh(s), 0);
	cr_assert_eq(stream_slurp(s, 1u << 20, &data, &len, &e), 0);
	cr_expect_eq(len, 846);
	cr_expect_eq(stream_fd_fresh(s), -1, "consumed: no longer fresh");
	free(data);
	stream_free(s);
}

Test(stream, slurp_respects_its_maximum)
{
	struct stream *s = NULL;
	struct err e;
	char *data = NULL;
	size_t len;
	char *big = xcalloc(1, 200000);

	stream_new_mem(&s, big, 200000, "big");
	cr_expect_eq(stream_slurp(s, 100000, &data, &len, &e), -1);
	cr_expect_eq(e.code, ERR_LIMIT);
	cr_expect_null(data);
	stream_free(s);
	free(big);
}
