/*
 * Hostile and broken input: every case ends in a clear error for that
 * input (never a crash, a hang or unbounded memory), and the caps hold.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/xalloc.h"
#include "tests/test_util.h"

static const char header[] =
    "<?xml version=\"1.0\"?>\n<feedback><report_metadata>"
    "<org_name>x</org_name><email>a@x</email><report_id>1</report_id>"
    "<date_range><begin>1700000000</begin><end>1700086399</end>"
    "</date_range></report_metadata><policy_published>"
    "<domain>example.com</domain><p>none</p></policy_published>";
static const char record[] =
    "<record><row><source_ip>192.0.2.1</source_ip><count>3</count>"
    "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>"
    "<spf>fail</spf></policy_evaluated></row><identifiers>"
    "<header_from>example.com</header_from></identifiers><auth_results>"
    "<spf><domain>example.com</domain><result>fail</result></spf>"
    "</auth_results></record>";

/* parse data; expect no report and one failure with this code and text */
static void
expect_refused(const char *data, size_t len,
    const struct report_limits *lim, enum err_code code, const char *text)
{
	struct collect c;

	collect_init(&c);
	cr_assert_eq(collect_mem(&c, data, len, lim, NULL), 0);
	cr_expect_eq(c.reports, 0, "a report was delivered");
	cr_expect_eq(c.failed, 1, "failures: %u", c.failed);
	cr_expect_eq(c.last_code, code, "code %s, want %s: %s",
	    err_code_name(c.last_code), err_code_name(code),
	    c.failures.data);
	cr_expect(strstr(buf_str(&c.failures), text) != NULL,
	    "'%s' not in: %s", text, buf_str(&c.failures));
	cr_expect_eq(c.aborts, c.headers, "a started report was not aborted");
	collect_release(&c);
}

static char *
doc(const char *middle, size_t *len)
{
	struct buf b;
	struct err e;
	char *out;

	buf_init(&b, 1u << 30);
	buf_adds(&b, header, &e);
	buf_adds(&b, middle, &e);
	buf_adds(&b, "</feedback>", &e);
	out = xstrndup(b.data, b.len);
	*len = b.len;
	buf_release(&b);
	return out;
}

Test(hostile, xxe_external_entity_is_refused)
{
	static const char x[] = "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE feedback [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<feedback><report_metadata><org_name>&xxe;</org_name>"
	    "</report_metadata></feedback>";

	expect_refused(x, strlen(x), NULL, ERR_PARSE,
	    "document type declarations are not allowed");
}

Test(hostile, billion_laughs_is_refused)
{
	static const char x[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    "<!ENTITY lol \"lol\">\n"
	    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    "<!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    "]>\n<feedback>&lol9;</feedback>";

	expect_refused(x, strlen(x), NULL, ERR_PARSE,
	    "document type declarations are not allowed");
}

Test(hostile, undeclared_entity_is_a_parse_error)
{
	size_t len;
	char *x = doc("<record>&boom;</record>", &len);

	expect_refused(x, len, NULL, ERR_PARSE, "boom");
	free(x);
}

/* a gzip of an XML report padded with n spaces, in bounded memory: the
 * content must look like a report, or nothing would read that far */
static char *
bomb_gz(size_t n, size_t *out_len)
{
	static unsigned char pad[1 << 16];
	size_t cap = n / 500 + 65536, done = 0;
	char *out = xmalloc(cap);
	z_stream z;

	memset(pad, ' ', sizeof(pad));
	memset(&z, 0, sizeof(z));
	cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	z.next_in = (Bytef *)(uintptr_t)header;
	z.avail_in = sizeof(header) - 1;
	cr_assert_eq(deflate(&z, Z_NO_FLUSH), Z_OK);
	while (done < n) {
		size_t k = n - done < sizeof(pad) ? n - done : sizeof(pad);

		z.next_in = pad;
		z.avail_in = (uInt)k;
		done += k;
		cr_assert_eq(deflate(&z, done == n ? Z_FINISH : Z_NO_FLUSH),
		    done == n ? Z_STREAM_END : Z_OK);
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

Test(hostile, gzip_bomb_stops_at_the_cap)
{
	struct report_limits lim;
	size_t len;
	char *gz = bomb_gz(256u << 20, &len);	/* 256 MiB in ~250 KiB */

	report_limits_default(&lim);
	lim.max_decompressed = 16u << 20;
	cr_expect_lt(len, 1u << 20);
	expect_refused(gz, len, &lim, ERR_LIMIT, "compression bomb");
	free(gz);
}

Test(hostile, zip_bomb_stops_at_the_cap)
{
	struct report_limits lim;
	const size_t n = 64u << 20;
	char *zeros = xmalloc(n), *zip;
	const char *name = "bomb.xml";
	size_t len;

	memset(zeros, ' ', n);
	memcpy(zeros, header, sizeof(header) - 1);
	zip = test_zip(&name, (const char *const *)&zeros, &n, 1, &len);
	report_limits_default(&lim);
	lim.max_decompressed = 8u << 20;
	expect_refused(zip, len, &lim, ERR_LIMIT, "compression bomb");
	free(zip);
	free(zeros);
}

Test(hostile, zip_with_too_many_entries_is_refused)
{
	enum { N = 70 };
	const char *names[N], *datas[N];
	size_t lens[N], len;
	char namebuf[N][24], *zip;

	for (int i = 0; i < N; i++) {
		snprintf(namebuf[i], sizeof(namebuf[i]), "f%d.xml", i);
		names[i] = namebuf[i];
		datas[i] = "x";
		lens[i] = 1;
	}
	zip = test_zip(names, datas, lens, N, &len);
	expect_refused(zip, len, NULL, ERR_LIMIT, "entries");
	free(zip);
}

Test(hostile, deep_nesting_is_refused)
{
	struct buf b;
	struct err e;

	buf_init(&b, 1u << 20);
	buf_adds(&b, header, &e);
	for (int i = 0; i < 5000; i++)
		buf_adds(&b, "<x>", &e);
	expect_refused(b.data, b.len, NULL, ERR_LIMIT, "nested deeper");
	buf_release(&b);
}

Test(hostile, truncated_gzip_is_a_parse_error)
{
	size_t len, gzlen;
	char *x = doc(record, &len);
	char *gz = test_gzip(x, len, &gzlen);

	expect_refused(gz, gzlen / 2, NULL, ERR_PARSE, "truncated gzip");
	free(x);
	free(gz);
}

Test(hostile, corrupt_gzip_is_a_parse_error)
{
	size_t len, gzlen;
	char *x = doc(record, &len);
	char *gz = test_gzip(x, len, &gzlen);

	memset(gz + 12, 0xff, 8);
	expect_refused(gz, gzlen, NULL, ERR_PARSE, "gzip");
	free(x);
	free(gz);
}

Test(hostile, empty_input_is_refused)
{
	expect_refused("", 0, NULL, ERR_PARSE, "no report found: empty");
}

Test(hostile, zero_byte_file_is_refused)
{
	char *dir = test_tmpdir(), path[512];
	struct collect c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/empty.xml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	collect_init(&c);
	collect_file(&c, path, NULL, NULL);
	cr_expect_eq(c.failed, 1);
	cr_expect(strstr(buf_str(&c.failures), "empty.xml: no report found")
	    != NULL, "%s", buf_str(&c.failures));
	collect_release(&c);
	unlink(path);
	rmdir(dir);
	free(dir);
}

Test(hostile, record_cap_is_enforced)
{
	struct report_limits lim;
	size_t len;
	char *x = doc("<record><row><source_ip>192.0.2.1</source_ip><count>1"
	    "</count></row></record><record><row><source_ip>192.0.2.2"
	    "</source_ip><count>1</count></row></record>", &len);

	report_limits_default(&lim);
	lim.max_records = 1;
	expect_refused(x, len, &lim, ERR_LIMIT, "more than 1 records");
	free(x);
}

Test(hostile, oversized_text_node_is_refused)
{
	struct report_limits lim;
	struct buf b;
	struct err e;
	char *x;
	size_t len;

	buf_init(&b, 1u << 20);
	buf_adds(&b, "<record><row><source_ip>", &e);
	for (int i = 0; i < 10000; i++)
		buf_adds(&b, "1234567890", &e);
	buf_adds(&b, "</source_ip></row></record>", &e);
	x = doc(b.data, &len);
	report_limits_default(&lim);
	lim.max_text = 4096;
	expect_refused(x, len, &lim, ERR_LIMIT, "text of an element");
	free(x);
	buf_release(&b);
}

Test(hostile, too_many_auth_results_are_refused)
{
	struct report_limits lim;
	struct buf b;
	struct err e;
	char *x;
	size_t len;

	buf_init(&b, 1u << 20);
	buf_adds(&b, "<record><row><source_ip>192.0.2.1</source_ip><count>1"
	    "</count></row><auth_results>", &e);
	for (int i = 0; i < 20; i++)
		buf_adds(&b, "<dkim><domain>a</domain><result>pass</result>"
		    "</dkim>", &e);
	buf_adds(&b, "</auth_results></record>", &e);
	x = doc(b.data, &len);
	report_limits_default(&lim);
	lim.max_results = 10;
	expect_refused(x, len, &lim, ERR_LIMIT, "auth results");
	free(x);
	buf_release(&b);
}

Test(hostile, gzip_of_garbage_names_what_it_held)
{
	size_t gzlen;
	char *gz = test_gzip("unused", 6, &gzlen);	/* Yahoo, 2023 */

	expect_refused(gz, gzlen, NULL, ERR_PARSE, "gzip data holds no report");
	free(gz);
}

Test(hostile, binary_garbage_is_refused)
{
	static const char x[] = "\x01\x02\x03\x04garbage";

	expect_refused(x, sizeof(x) - 1, NULL, ERR_PARSE, "not XML, JSON");
}

Test(hostile, html_is_not_a_report)
{
	static const char x[] = "<html><body>hello</body></html>";

	expect_refused(x, strlen(x), NULL, ERR_PARSE,
	    "not a DMARC aggregate report");
}

Test(hostile, containers_nested_too_deep_are_refused)
{
	size_t len, n;
	char *data = doc(record, &len);

	/* gzip of gzip of ... ten times */
	for (int i = 0; i < 10; i++) {
		char *next = test_gzip(data, len, &n);

		free(data);
		data = next;
		len = n;
	}
	expect_refused(data, len, NULL, ERR_LIMIT, "nested deeper");
	free(data);
}

/* every input fuzzing found a bug with: refused cleanly, nothing half-kept */
Test(hostile, fuzz_findings_are_refused_cleanly)
{
	DIR *d = opendir(FIXTURE("fuzz"));
	struct dirent *e;
	unsigned n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct collect c;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", FIXTURE("fuzz"),
		    e->d_name);
		collect_init(&c);
		cr_expect_eq(collect_file(&c, path, NULL, NULL), 0);
		cr_expect_eq(c.reports, 0, "%s: a report was kept", e->d_name);
		cr_expect_eq(c.failed, 1, "%s: %s", e->d_name,
		    buf_str(&c.failures));
		cr_expect_eq(c.aborts, c.headers, "%s: not aborted", e->d_name);
		collect_release(&c);
		n++;
	}
	closedir(d);
	cr_expect_geq(n, 2);
}
