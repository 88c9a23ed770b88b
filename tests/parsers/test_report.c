/*
 * report_parse: finding every report in an input, whatever the container,
 * and going on past the parts that fail.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tests/test_util.h"

static char *
fixture(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
	return test_slurp(path, len);
}

Test(report, zip_with_several_reports_and_one_bad_entry)
{
	size_t l1, l2, l3, len;
	char *a = fixture("aggregate/google_np-reject-single-record.xml", &l1);
	char *b = fixture("tlsrpt/google_sts-testing-minified.json", &l2);
	char *bad = fixture("aggregate/testcom_unclosed-report-metadata.xml",
	    &l3);
	const char *names[] = { "a.xml", "b.json", "bad.xml", "readme.txt" };
	const char *datas[] = { a, b, bad, "hello" };
	size_t lens[] = { l1, l2, l3, 5 };
	char *zip = test_zip(names, datas, lens, 4, &len);
	struct report_stats st;
	struct collect c;

	collect_init(&c);
	cr_assert_eq(collect_mem(&c, zip, len, NULL, &st), 0);
	cr_expect_eq(st.reports, 2);
	cr_expect_eq(st.failures, 1, "%s", buf_str(&c.failures));
	cr_expect(strstr(buf_str(&c.failures), "memory: entry 'bad.xml': "
	    "line 9") != NULL, "%s", buf_str(&c.failures));
	cr_expect(strstr(buf_str(&c.out), "\"kind\":\"tlsrpt\"") != NULL);
	cr_expect(strstr(buf_str(&c.out), "\"part\":\"entry 'a.xml'\"") !=
	    NULL, "%s", buf_str(&c.out));
	collect_release(&c);
	free(zip);
	free(a);
	free(b);
	free(bad);
}

Test(report, same_report_in_every_wrapping_reads_the_same)
{
	size_t len, gzlen, ziplen;
	char *x = fixture("aggregate/zoho_no-version-spf-helo-no-domain.xml",
	    &len);
	char *gz = test_gzip(x, len, &gzlen);
	const char *name = "z.xml.gz";
	char *zip = test_zip(&name, (const char *const *)&gz, &gzlen, 1,
	    &ziplen);
	struct collect plain, zipped;

	collect_init(&plain);
	collect_init(&zipped);
	collect_mem(&plain, x, len, NULL, NULL);
	collect_mem(&zipped, zip, ziplen, NULL, NULL);
	cr_expect_eq(plain.records, 8);
	cr_expect_eq(zipped.records, 8);
	cr_expect_eq(zipped.messages, plain.messages);
	/* the record lines are identical; only "part" differs */
	cr_expect_str_eq(strchr(buf_str(&plain.out), '\n'),
	    strchr(buf_str(&zipped.out), '\n'));
	collect_release(&plain);
	collect_release(&zipped);
	free(zip);
	free(gz);
	free(x);
}

Test(report, forensic_report_is_named_as_such)
{
	struct report_stats st;
	struct collect c;

	collect_init(&c);
	collect_file(&c, FIXTURE("corpus/email/"
	    "linkedin_forensic-arf-auth-failure-mbox-from-line.eml"), NULL,
	    &st);
	cr_expect(st.has_forensic);
	cr_expect_eq(st.reports, 0);
	cr_expect_eq(c.failed, 1, "%s", buf_str(&c.failures));
	cr_expect(strstr(buf_str(&c.failures), "failure (forensic) report")
	    != NULL, "%s", buf_str(&c.failures));
	collect_release(&c);
}

Test(report, mbox_with_a_good_and_a_bad_message)
{
	size_t len;
	char *good = fixture("email/"
	    "google_zip-attachment-utm-footer-no-final-newline.eml", &len);
	struct buf mbox;
	struct err e;
	struct report_stats st;
	struct collect c;

	buf_init(&mbox, 1u << 20);
	buf_adds(&mbox, "From reports@example.com Mon Jan  1 00:00:00 2024\n",
	    &e);
	buf_add(&mbox, good, len, &e);
	buf_adds(&mbox, "\n\nFrom x@example.com Mon Jan  1 00:00:00 2024\n"
	    "Subject: hello\n\njust text\n", &e);
	collect_init(&c);
	collect_mem(&c, mbox.data, mbox.len, NULL, &st);
	cr_expect_eq(st.reports, 1, "%s", buf_str(&c.failures));
	cr_expect_eq(st.failures, 1);
	cr_expect(strstr(buf_str(&c.failures), "message 2: no report found "
	    "in the message (parts: text/plain)") != NULL, "%s",
	    buf_str(&c.failures));
	collect_release(&c);
	buf_release(&mbox);
	free(good);
}

Test(report, tls_report_in_the_dmarc_mailbox_is_read)
{
	struct report_stats st;
	struct collect c;

	collect_init(&c);
	collect_file(&c,
	    FIXTURE("corpus/email/google_tlsrpt-cardinalhealth.eml"), NULL,
	    &st);
	cr_expect_eq(st.reports, 1, "%s", buf_str(&c.failures));
	cr_expect_str_eq(c.kind, "tlsrpt");
	cr_expect_eq(c.messages, 48);
	collect_release(&c);
}

/* forwarded as an attachment: the report inside is found, the outer
 * message is not a failure, and neither is a nested one without reports */
Test(report, forwarded_report_email_is_read_once)
{
	size_t len;
	char *inner = fixture("email/"
	    "google_zip-attachment-utm-footer-no-final-newline.eml", &len);
	struct report_stats st;
	struct collect c;
	struct buf b;
	struct err e;

	buf_init(&b, 1u << 20);
	buf_adds(&b, "From: admin@example.com\r\nSubject: Fwd: report\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"o\"\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\n"
	    "see attached\r\n--o\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "Received: from x\r\nSubject: headers only\r\n\r\n--o\r\n"
	    "Content-Type: message/rfc822\r\n\r\n", &e);
	buf_add(&b, inner, len, &e);
	buf_adds(&b, "\r\n--o--\r\n", &e);
	collect_init(&c);
	collect_mem(&c, b.data, b.len, NULL, &st);
	cr_expect_eq(st.reports, 1, "%s", buf_str(&c.failures));
	cr_expect_eq(st.failures, 0, "%s", buf_str(&c.failures));
	cr_expect_str_eq(c.domain, "twlnet.com");
	collect_release(&c);
	buf_release(&b);
	free(inner);
}
