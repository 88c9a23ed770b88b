/*
 * Every file of the real-world corpus behaves as MANIFEST.tsv says, as it
 * is and wrapped the ways reporters send it (gzip, zip, email).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stream.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

struct row {
	char file[256];
	char kind[32];
	char org[128];
	char report_id[128];
	char domain[128];
	long records;
	long messages;
};

/* the manifest's columns: file repo path kind org id domain rec msg notes */
static size_t
load_manifest(struct row **out)
{
	size_t len, n = 0;
	char *text = test_slurp(CORPUS "/MANIFEST.tsv", &len);
	char *save = NULL, *line;
	struct row *rows = NULL;

	line = strtok_r(text, "\n", &save);	/* header */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *col[10] = { 0 };
		size_t k = 0;

		for (char *p = line; k < 10; k++) {
			col[k] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		cr_assert_geq(k, 8, "manifest line has %zu columns", k);
		rows = xreallocarray(rows, n + 1, sizeof(*rows));
		memset(&rows[n], 0, sizeof(rows[n]));
		snprintf(rows[n].file, sizeof(rows[n].file), "%s", col[0]);
		snprintf(rows[n].kind, sizeof(rows[n].kind), "%s", col[3]);
		snprintf(rows[n].org, sizeof(rows[n].org), "%s", col[4]);
		snprintf(rows[n].report_id, sizeof(rows[n].report_id), "%s",
		    col[5]);
		snprintf(rows[n].domain, sizeof(rows[n].domain), "%s", col[6]);
		rows[n].records = atol(col[7] ? col[7] : "0");
		rows[n].messages = atol(col[8] ? col[8] : "0");
		n++;
	}
	free(text);
	*out = rows;
	return n;
}

static bool
is_bad(const struct row *r)
{
	return strcmp(r->kind, "malformed") == 0 ||
	    strcmp(r->kind, "forensic") == 0;
}

static void
check_good(const struct row *r, const struct collect *c, const char *how)
{
	cr_expect_eq(c->failed, 0, "%s (%s): failed: %s", r->file, how,
	    c->failures.data);
	cr_expect_eq(c->reports, 1, "%s (%s): %u reports", r->file, how,
	    c->reports);
	cr_expect_eq(c->records, (uint64_t)r->records, "%s (%s): records",
	    r->file, how);
	cr_expect_eq(c->messages, (uint64_t)r->messages, "%s (%s): messages",
	    r->file, how);
	cr_expect_str_eq(c->domain, r->domain, "%s (%s)", r->file, how);
	cr_expect_str_eq(c->org_name, r->org, "%s (%s)", r->file, how);
	cr_expect_str_eq(c->report_id, r->report_id, "%s (%s)", r->file, how);
}

static void
check_bad(const struct row *r, const struct collect *c, const char *how)
{
	const char *base = strrchr(r->file, '/');

	cr_expect_eq(c->reports, 0, "%s (%s): a report was delivered",
	    r->file, how);
	cr_expect_geq(c->failed, 1, "%s (%s): no failure", r->file, how);
	cr_expect_eq(c->aborts, c->headers, "%s: every started report "
	    "aborted", r->file);
	if (strcmp(how, "as is") == 0)
		cr_expect(strstr(c->failures.data, base + 1) != NULL,
		    "%s: the failure names the file: %s", r->file,
		    c->failures.data);
	if (strcmp(r->kind, "forensic") == 0)
		cr_expect(strstr(c->failures.data, "forensic") != NULL,
		    "%s: says forensic: %s", r->file, c->failures.data);
}

Test(corpus, every_file_as_the_manifest_says)
{
	struct row *rows;
	size_t n = load_manifest(&rows);

	cr_assert_geq(n, 40, "manifest lists %zu files", n);
	for (size_t i = 0; i < n; i++) {
		struct collect c;
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", CORPUS, rows[i].file);
		collect_init(&c);
		cr_expect_eq(collect_file(&c, path, NULL, NULL), 0);
		if (is_bad(&rows[i]))
			check_bad(&rows[i], &c, "as is");
		else
			check_good(&rows[i], &c, "as is");
		collect_release(&c);
	}
	free(rows);
}

struct samples {
	unsigned n;
	char domain[128];
};

static int
count_sample(void *ctx, const struct report *r,
    const struct failure_sample *f, struct err *err)
{
	struct samples *got = ctx;

	(void)f;
	(void)err;
	got->n++;
	snprintf(got->domain, sizeof(got->domain), "%s", r->domain);
	return 0;
}

/*
 * A forensic file is refused where aggregate reports are taken (the sink
 * above has no on_failure_sample, as the store's today); one that takes
 * failure reports gets exactly one, for the manifest's policy domain.
 */
Test(corpus, forensic_files_are_one_failure_report_where_taken)
{
	struct row *rows;
	size_t n = load_manifest(&rows);
	unsigned seen = 0;

	for (size_t i = 0; i < n; i++) {
		struct report_limits lim;
		struct report_sink sink;
		struct report_stats st;
		struct stream *s = NULL;
		struct collect c;
		struct err err;
		struct samples got = { 0, "" };
		char path[512];

		if (strcmp(rows[i].kind, "forensic") != 0)
			continue;
		seen++;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, rows[i].file);
		collect_init(&c);
		collect_sink(&c, &sink);
		sink.on_failure_sample = count_sample;
		sink.failure_ctx = &c;
		sink.ctx = &got;
		sink.on_header = NULL;
		sink.on_end = NULL;
		sink.on_abort = NULL;
		report_limits_default(&lim);
		cr_assert_eq(stream_open_file(&s, path, &err), 0, "%s",
		    err.msg);
		cr_expect_eq(report_parse(s, rows[i].file, &lim, &sink, &st,
		    &err), 0, "%s", err.msg);
		stream_free(s);
		cr_expect_eq(got.n, 1, "%s", rows[i].file);
		cr_expect_str_eq(got.domain, rows[i].domain, "%s",
		    rows[i].file);
		cr_expect_eq(st.reports, 1, "%s", rows[i].file);
		cr_expect_eq(c.failed, 0, "%s: %s", rows[i].file,
		    buf_str(&c.failures));
		collect_release(&c);
	}
	cr_expect_geq(seen, 1, "the manifest lists no forensic file");
	free(rows);
}

/* wrap a report the three ways reporters send it */
static char *
as_email(const char *data, size_t len, const char *type, size_t *out_len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	struct buf b;
	struct err e;
	char *out;

	buf_init(&b, 64u << 20);
	buf_addf(&b, &e, "From: noreply-dmarc-support@google.com\r\n"
	    "To: dmarc-reports@example.com\r\nSubject: Report domain: "
	    "example.com Submitter: google.com\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\nA report.\r\n--b1\r\n"
	    "Content-Type: %s; name=\"report\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", type);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16;

		v |= i + 1 < len ? (unsigned char)data[i + 1] << 8 : 0;
		v |= i + 2 < len ? (unsigned char)data[i + 2] : 0;
		buf_addc(&b, b64[v >> 18 & 63], &e);
		buf_addc(&b, b64[v >> 12 & 63], &e);
		buf_addc(&b, i + 1 < len ? b64[v >> 6 & 63] : '=', &e);
		buf_addc(&b, i + 2 < len ? b64[v & 63] : '=', &e);
		if (i % 57 == 54)
			buf_adds(&b, "\r\n", &e);
	}
	buf_adds(&b, "\r\n--b1--\r\n", &e);
	out = xstrndup(b.data, b.len);
	*out_len = b.len;
	buf_release(&b);
	return out;
}

Test(corpus, every_report_gzipped_zipped_and_mailed)
{
	struct row *rows;
	size_t n = load_manifest(&rows);

	for (size_t i = 0; i < n; i++) {
		const char *name = "report.xml";
		char path[512], *raw, *gz, *zip, *mail;
		size_t len, gzlen, ziplen, maillen;

		if (strncmp(rows[i].file, "email/", 6) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, rows[i].file);
		raw = test_slurp(path, &len);
		gz = test_gzip(raw, len, &gzlen);
		zip = test_zip(&name, (const char *const *)&raw, &len, 1,
		    &ziplen);
		mail = as_email(gz, gzlen, "application/gzip", &maillen);
		const struct {
			const char *how;
			const char *data;
			size_t len;
		} forms[] = { { "gzip", gz, gzlen }, { "zip", zip, ziplen },
			{ "email", mail, maillen } };
		for (size_t k = 0; k < 3; k++) {
			struct collect c;

			collect_init(&c);
			collect_mem(&c, forms[k].data, forms[k].len, NULL,
			    NULL);
			if (is_bad(&rows[i]))
				check_bad(&rows[i], &c, forms[k].how);
			else
				check_good(&rows[i], &c, forms[k].how);
			collect_release(&c);
		}
		free(raw);
		free(gz);
		free(zip);
		free(mail);
	}
	free(rows);
}

/* the records themselves: the .expect beside each fixture */
Test(corpus, records_match_expect_files)
{
	struct row *rows;
	size_t n = load_manifest(&rows);
	unsigned compared = 0;

	for (size_t i = 0; i < n; i++) {
		char path[512], expect[520];
		struct collect c;
		char *want;
		size_t len;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", CORPUS, rows[i].file);
		snprintf(expect, sizeof(expect), "%s.expect", path);
		if ((f = fopen(expect, "r")) == NULL)
			continue;
		fclose(f);
		want = test_slurp(expect, &len);
		collect_init(&c);
		collect_file(&c, path, NULL, NULL);
		cr_expect_str_eq(c.out.data ? c.out.data : "", want,
		    "%s differs from its .expect", rows[i].file);
		compared++;
		collect_release(&c);
		free(want);
	}
	cr_expect_geq(compared, 30, "only %u .expect files", compared);
	free(rows);
}
