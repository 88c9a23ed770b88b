/*
 * dmarc_xml repairs: the broken shapes of tests/fixtures/repair/ (see its
 * README) are read with a note, whatever the chunk boundaries; the same
 * shapes in a document that is broken elsewhere are refused whole.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stream.h"
#include "common/xalloc.h"
#include "parsers/dmarc_xml.h"
#include "parsers/report.h"
#include "tests/test_util.h"


static const struct {
	const char *file;
	const char *note;
} repaired[] = {
	{ "ikea_xs-schema-never-closed.xml", "stray <xs:schema> tag removed" },
	{ "ikea_xs-schema-around-feedback.xml",
	    "stray <xs:schema> tag removed (2)" },
	{ "sitnet_quote-after-declaration.xml",
	    "stray quote after the XML declaration removed" },
	{ "uwaterloo_unescaped-address.xml",
	    "unescaped <address> or <URL> in text escaped (2)" },
	{ "kddi_report-id-missing-lt.xml",
	    "close tag missing its '<' repaired" },
};

Test(repair, fixtures_match_their_expect_files)
{
	for (size_t i = 0; i < sizeof(repaired) / sizeof(repaired[0]); i++) {
		char path[512], expect[520];
		struct collect c;
		char *want;
		size_t len;

		snprintf(path, sizeof(path), "%s/repair/%s", FIXTURES,
		    repaired[i].file);
		snprintf(expect, sizeof(expect), "%s.expect", path);
		want = test_slurp(expect, &len);
		collect_init(&c);
		cr_expect_eq(collect_file(&c, path, NULL, NULL), 0);
		cr_expect_eq(c.failed, 0, "%s: %s", repaired[i].file,
		    buf_str(&c.failures));
		cr_expect_eq(c.reports, 1, "%s", repaired[i].file);
		cr_expect_str_eq(buf_str(&c.out), want, "%s differs from its "
		    ".expect", repaired[i].file);
		cr_expect(strstr(buf_str(&c.out), repaired[i].note) != NULL,
		    "%s: no note '%s'", repaired[i].file, repaired[i].note);
		collect_release(&c);
		free(want);
	}
}

/* a stream that hands out at most `step` bytes a read */
struct drip {
	const char *data;
	size_t len, off, step;
};

static ssize_t
drip_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct drip *d = impl;
	size_t n = d->len - d->off;

	(void)err;
	if (n > d->step)
		n = d->step;
	if (n > len)
		n = len;
	memcpy(buf, d->data + d->off, n);
	d->off += n;
	return (ssize_t)n;
}

static void
drip_close(void *impl)
{
	(void)impl;
}

static const struct stream_ops drip_ops = { drip_read, drip_close };

Test(repair, chunk_boundaries_do_not_matter)
{
	static const size_t steps[] = { 1, 2, 3, 7, 64 };

	for (size_t i = 0; i < sizeof(repaired) / sizeof(repaired[0]); i++) {
		char path[512];
		char *data, *whole;
		size_t len;
		struct collect c;

		snprintf(path, sizeof(path), "%s/repair/%s", FIXTURES,
		    repaired[i].file);
		data = test_slurp(path, &len);
		collect_init(&c);
		collect_mem(&c, data, len, NULL, NULL);
		whole = xstrdup(buf_str(&c.out));
		collect_release(&c);
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct drip d = { data, len, 0, steps[k] };
			struct report_sink sink;
			struct report_limits lim;
			struct report_stats st;
			struct stream *s = NULL;
			struct err err;

			report_limits_default(&lim);
			collect_init(&c);
			collect_sink(&c, &sink);
			stream_new_ops(&s, &drip_ops, &d, "memory");
			cr_expect_eq(report_parse(s, "memory", &lim, &sink, &st,
			    &err), 0);
			cr_expect_str_eq(buf_str(&c.out), whole,
			    "%s read %zu bytes at a time: %s",
			    repaired[i].file, steps[k], buf_str(&c.failures));
			stream_free(s);
			collect_release(&c);
		}
		free(whole);
		free(data);
	}
}

Test(repair, broken_elsewhere_is_refused_whole)
{
	static const char *const files[] = {
		"broken_xs-schema-and-bad-close.xml",
		"broken_unescaped-address-truncated.xml",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		struct collect c;

		snprintf(path, sizeof(path), "%s/repair/%s", FIXTURES,
		    files[i]);
		collect_init(&c);
		collect_file(&c, path, NULL, NULL);
		cr_expect_eq(c.failed, 1, "%s", files[i]);
		cr_expect_eq(c.last_code, ERR_PARSE, "%s", files[i]);
		cr_expect_eq(c.reports, 0, "%s: a half-read report was kept",
		    files[i]);
		cr_expect_eq(c.aborts, c.headers, "%s", files[i]);
		collect_release(&c);
	}
}

/* what the repaired text says: the header's email, copied at on_header */
static char email[128], extra[128];

static int
grab_header(void *ctx, const struct report *r, struct err *err)
{
	(void)ctx, (void)err;
	snprintf(email, sizeof(email), "%s", r->email ? r->email : "(null)");
	snprintf(extra, sizeof(extra), "%s", r->extra_contact_info ?
	    r->extra_contact_info : "(null)");
	return 0;
}

Test(repair, bracketed_address_keeps_its_brackets_as_text)
{
	char path[512];
	char *data;
	size_t len;
	struct report_sink sink = { 0 };
	struct report_limits lim;
	struct report_env env;
	struct stream *s = NULL;
	uint64_t used = 0;
	struct err err;

	snprintf(path, sizeof(path), "%s/repair/%s", FIXTURES,
	    "uwaterloo_unescaped-address.xml");
	data = test_slurp(path, &len);
	report_limits_default(&lim);
	sink.on_header = grab_header;
	env = (struct report_env){ &lim, &sink, "t.xml", "", &used, 0 };
	stream_new_mem(&s, data, len, "t.xml");
	cr_assert_eq(dmarc_xml_parse(s, &env, &err), 1, "%s", err.msg);
	cr_expect_str_eq(email, "<dmarc-noreply@uwaterloo.example>");
	cr_expect_str_eq(extra, "<https://uwaterloo.example/dmarc>");
	stream_free(s);
	free(data);
}

/* what only looks like a broken shape is left alone */
Test(repair, markup_and_ordinary_text_are_untouched)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<!-- <a@b.example> and x/report_id> in a comment -->\n"
	    "<feedback><report_metadata><org_name>a/b> c/report_id> d"
	    "</org_name>"
	    "<email><![CDATA[<c@d.example>]]></email>"
	    "<extra_contact_info>see /notes> and 'quotes'"
	    "</extra_contact_info>"
	    "<report_id>r1</report_id><date_range><begin>1700000000</begin>"
	    "<end>1700086399</end></date_range></report_metadata>"
	    "<policy_published><domain>example.com</domain><p>none</p>"
	    "</policy_published></feedback>";
	struct collect c;

	collect_init(&c);
	cr_expect_eq(collect_mem(&c, doc, strlen(doc), NULL, NULL), 0);
	cr_expect_eq(c.failed, 0, "%s", buf_str(&c.failures));
	cr_expect_eq(c.reports, 1);
	/* only the element's own name closes it */
	cr_expect_str_eq(c.org_name, "a/b> c/report_id> d");
	cr_expect(strstr(buf_str(&c.out), "notes") == NULL, "%s",
	    buf_str(&c.out));
	collect_release(&c);
}
