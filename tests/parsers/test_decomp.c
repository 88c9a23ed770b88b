#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "parsers/decomp.h"
#include "tests/test_util.h"

/* everything a stream yields, as a C string */
static char *
drain(struct stream *s, struct err *e, int *rc)
{
	char *out = NULL;
	size_t len;

	*rc = stream_slurp(s, 1u << 24, &out, &len, e);
	return out;
}

Test(decomp, gunzip_multi_member_and_trailing_bytes)
{
	size_t a, b;
	char *g1 = test_gzip("hello ", 6, &a);
	char *g2 = test_gzip("world", 5, &b);
	char *both = xmalloc(a + b + 2);
	struct stream *in = NULL, *z = NULL;
	uint64_t used = 0;
	struct err e;
	char *out;
	int rc;

	memcpy(both, g1, a);
	memcpy(both + a, g2, b);
	memcpy(both + a + b, "\r\n", 2);	/* Mimecast's stray CRLF */
	stream_new_mem(&in, both, a + b + 2, "x.gz");
	decomp_gunzip(&z, in, &used, 1u << 20);
	out = drain(z, &e, &rc);
	cr_assert_eq(rc, 0, "%s", e.msg);
	cr_expect_str_eq(out, "hello world");
	cr_expect_eq(used, 11);
	free(out);
	stream_free(z);
	stream_free(in);
	free(g1);
	free(g2);
	free(both);
}

Test(decomp, gunzip_counts_against_the_budget)
{
	size_t n;
	char *data = xcalloc(1, 100000), *gz = test_gzip(data, 100000, &n);
	struct stream *in = NULL, *z = NULL;
	uint64_t used = 50000;	/* shared with earlier parts of the input */
	struct err e;
	char *out;
	int rc;

	stream_new_mem(&in, gz, n, "x.gz");
	decomp_gunzip(&z, in, &used, 120000);
	out = drain(z, &e, &rc);
	cr_expect_eq(rc, -1);
	cr_expect_eq(e.code, ERR_LIMIT);
	free(out);
	stream_free(z);
	stream_free(in);
	free(gz);
	free(data);
}

Test(decomp, magic_detection)
{
	cr_expect(decomp_is_gzip((const unsigned char *)"\x1f\x8b\x08", 3));
	cr_expect(!decomp_is_gzip((const unsigned char *)"\x1f", 1));
	cr_expect(decomp_is_zip((const unsigned char *)"PK\x03\x04", 4));
	cr_expect(!decomp_is_zip((const unsigned char *)"PK\x01\x02", 4));
	cr_expect(!decomp_is_zip((const unsigned char *)"<?xml", 5));
}

Test(decomp, zip_entries_in_order_directories_skipped)
{
	const char *names[] = { "dir/", "dir/a.xml", "b.json" };
	const char *datas[] = { "", "AAA", "BB" };
	size_t lens[] = { 0, 3, 2 }, len;
	char *zip = test_zip(names, datas, lens, 3, &len);
	struct stream *in = NULL, *entry;
	struct zip_reader *z = NULL;
	const char *name;
	uint64_t used = 0;
	struct err e;
	char *out;
	int rc;

	stream_new_mem(&in, zip, len, "x.zip");
	cr_assert_eq(decomp_zip_open(&z, in, 1u << 20, 10, &used, 1u << 20,
	    &e), 0, "%s", e.msg);
	cr_assert_eq(decomp_zip_next(z, &entry, &name, &e), 1);
	cr_expect_str_eq(name, "dir/a.xml");
	out = drain(entry, &e, &rc);
	cr_expect_str_eq(out, "AAA");
	free(out);
	cr_assert_eq(decomp_zip_next(z, &entry, &name, &e), 1);
	cr_expect_str_eq(name, "b.json");
	cr_assert_eq(decomp_zip_next(z, &entry, &name, &e), 0);
	cr_expect_eq(used, 3, "only what was read counts");
	decomp_zip_free(z);
	stream_free(in);
	free(zip);
}

Test(decomp, zip_from_a_file_is_read_in_place)
{
	const char *name = "r.xml";
	const char *data = "<feedback/>";
	size_t n = strlen(data), len;
	char *zip = test_zip(&name, &data, &n, 1, &len);
	char *dir = test_tmpdir(), path[512];
	struct stream *in = NULL, *entry;
	struct zip_reader *z = NULL;
	const char *got;
	uint64_t used = 0;
	struct err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.zip", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	fwrite(zip, 1, len, f);
	fclose(f);
	cr_assert_eq(stream_open_file(&in, path, &e), 0);
	/* max_zip of 1 byte: only an in-place read can succeed */
	cr_assert_eq(decomp_zip_open(&z, in, 1, 10, &used, 1u << 20, &e), 0,
	    "%s", e.msg);
	cr_expect_eq(decomp_zip_next(z, &entry, &got, &e), 1);
	decomp_zip_free(z);
	stream_free(in);
	unlink(path);
	rmdir(dir);
	free(dir);
	free(zip);
}

Test(decomp, broken_zip_is_a_parse_error)
{
	struct stream *in = NULL;
	struct zip_reader *z = NULL;
	uint64_t used = 0;
	struct err e;

	stream_new_mem(&in, "PK\x03\x04garbage", 11, "x.zip");
	cr_expect_eq(decomp_zip_open(&z, in, 1u << 20, 10, &used, 1u << 20,
	    &e), -1);
	cr_expect_eq(e.code, ERR_PARSE);
	cr_expect(strstr(e.msg, "zip") != NULL, "%s", e.msg);
	stream_free(in);
}

Test(decomp, zip_entry_names_are_utf8)
{
	const char *names[] = { "b\xfc" "cher.xml" };
	const char *datas[] = { "A" };
	size_t lens[] = { 1 }, len;
	char *zip = test_zip(names, datas, lens, 1, &len);
	struct stream *in = NULL, *entry;
	struct zip_reader *z = NULL;
	const char *name;
	uint64_t used = 0;
	struct err e;

	stream_new_mem(&in, zip, len, "x.zip");
	cr_assert_eq(decomp_zip_open(&z, in, 1u << 20, 10, &used, 1u << 20,
	    &e), 0, "%s", e.msg);
	cr_assert_eq(decomp_zip_next(z, &entry, &name, &e), 1);
	cr_expect(str_is_utf8(name, strlen(name)), "%s", name);
	cr_expect(str_is_utf8(stream_name(entry), strlen(stream_name(entry))));
	cr_expect(name[0] == 'b', "%s", name);
	decomp_zip_free(z);
	stream_free(in);
	free(zip);
}
