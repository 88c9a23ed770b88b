#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/stream.h"
#include "parsers/report.h"
#include "parsers/tlsrpt_json.h"
#include "tests/test_util.h"

/* A whole report around the policies given (C string concatenation). */
#define REPORT(pols) \
	"{\"organization-name\":\"Example\"," \
	"\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\"," \
	"\"end-datetime\":\"2024-01-01T23:59:59Z\"}," \
	"\"contact-info\":\"tls@example.com\",\"report-id\":\"r-1\"," \
	"\"policies\":[" pols "]}"
#define STS_POLICY \
	"{\"policy\":{\"policy-type\":\"sts\"," \
	"\"policy-domain\":\"example.com\"}," \
	"\"summary\":{\"total-successful-session-count\":1," \
	"\"total-failure-session-count\":0}}"

/* what the last policy delivered looked like, copied during the call */
struct spy {
	struct collect c;
	struct report_sink inner;	/* the collect sink */
	unsigned fail_at;	/* on_tls_policy call that fails; 0 never */
	unsigned calls;
	bool has_email;
	bool has_org;
	int64_t begin, end;
	size_t n_notes;
	char notes[1024];	/* one note a line, at on_end */
	char policy_type[32];
	char policy_domain[64];
	size_t n_strings, n_mx, n_failures;
	char strings[4][128];
	char mx[4][64];
	int64_t successful, failed;
	struct {
		char result_type[64];
		char sending_mta_ip[64];
		char receiving_ip[64];
		char receiving_mx_hostname[64];
		char additional_information[64];
		char failure_reason_code[64];
		int64_t failed_session_count;
	} failure;		/* the first one of the last policy */
};

static void
grab(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "(null)");
}

static int
spy_header(void *ctx, const struct report *r, struct err *err)
{
	struct spy *s = ctx;

	s->has_email = r->email != NULL;
	s->has_org = r->org_name != NULL;
	s->begin = r->begin;
	s->end = r->end;
	return s->inner.on_header(&s->c, r, err);
}

static void
grab_policy(struct spy *s, const struct tls_policy *p)
{
	grab(s->policy_type, sizeof(s->policy_type), p->policy_type);
	grab(s->policy_domain, sizeof(s->policy_domain), p->policy_domain);
	s->n_strings = p->n_policy_strings;
	for (size_t i = 0; i < p->n_policy_strings && i < 4; i++)
		grab(s->strings[i], sizeof(s->strings[i]),
		    p->policy_strings[i]);
	s->n_mx = p->n_mx_hosts;
	for (size_t i = 0; i < p->n_mx_hosts && i < 4; i++)
		grab(s->mx[i], sizeof(s->mx[i]), p->mx_hosts[i]);
	s->successful = p->successful;
	s->failed = p->failed;
	s->n_failures = p->n_failures;
	if (p->n_failures == 0)
		return;
	grab(s->failure.result_type, 64, p->failures[0].result_type);
	grab(s->failure.sending_mta_ip, 64, p->failures[0].sending_mta_ip);
	grab(s->failure.receiving_ip, 64, p->failures[0].receiving_ip);
	grab(s->failure.receiving_mx_hostname, 64,
	    p->failures[0].receiving_mx_hostname);
	grab(s->failure.additional_information, 64,
	    p->failures[0].additional_information);
	grab(s->failure.failure_reason_code, 64,
	    p->failures[0].failure_reason_code);
	s->failure.failed_session_count = p->failures[0].failed_session_count;
}

static int
spy_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct spy *s = ctx;

	if (++s->calls == s->fail_at)
		return err_set(err, ERR_IO, "sink refused policy %u", s->calls);
	grab_policy(s, p);
	return s->inner.on_tls_policy(&s->c, r, p, err);
}

static int
spy_end(void *ctx, const struct report *r, struct err *err)
{
	struct spy *s = ctx;
	size_t off = 0;

	s->n_notes = r->n_notes;
	s->notes[0] = '\0';
	for (size_t i = 0; i < r->n_notes && off < sizeof(s->notes); i++) {
		int n = snprintf(s->notes + off, sizeof(s->notes) - off,
		    "%s\n", r->notes[i]);

		if (n > 0)
			off += (size_t)n;
	}
	return s->inner.on_end(&s->c, r, err);
}

static void
spy_abort(void *ctx, const struct report *r)
{
	struct spy *s = ctx;

	s->inner.on_abort(&s->c, r);
}

static void
spy_init(struct spy *s, struct report_sink *out)
{
	memset(s, 0, sizeof(*s));
	collect_init(&s->c);
	collect_sink(&s->c, &s->inner);
	memset(out, 0, sizeof(*out));
	out->ctx = s;
	out->on_header = spy_header;
	out->on_tls_policy = spy_policy;
	out->on_end = spy_end;
	out->on_abort = spy_abort;
}

static int
parse_stream(struct stream *in, const struct report_sink *sink,
    const struct report_limits *lim, struct err *err)
{
	struct report_limits def;
	struct report_env env;
	uint64_t used = 0;

	if (lim == NULL) {
		report_limits_default(&def);
		lim = &def;
	}
	memset(&env, 0, sizeof(env));
	env.lim = lim;
	env.sink = sink;
	env.input = "test";
	env.location = "";
	env.decompressed = &used;
	err_clear(err);
	return tlsrpt_json_parse(in, &env, err);
}

static int
parse_file(const char *path, const struct report_sink *sink,
    const struct report_limits *lim, struct err *err)
{
	struct stream *in = NULL;
	int ret;

	cr_assert_eq(stream_open_file(&in, path, err), 0, "%s", err->msg);
	ret = parse_stream(in, sink, lim, err);
	stream_free(in);
	return ret;
}

static int
parse_str(const char *json, const struct report_sink *sink,
    const struct report_limits *lim, struct err *err)
{
	struct stream *in = NULL;
	int ret;

	stream_new_mem(&in, json, strlen(json), "memory");
	ret = parse_stream(in, sink, lim, err);
	stream_free(in);
	return ret;
}

Test(tlsrpt_json, corpus_failure_details_are_kept)
{
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_file(FIXTURE("corpus/tlsrpt/"
	    "mailru_sts-policy-fetch-error.json"), &sink, NULL, &err), 1,
	    "%s", err.msg);
	cr_expect_eq(s.n_failures, 2);
	cr_expect_str_eq(s.failure.result_type, "sts-policy-fetch-error");
	cr_expect_str_eq(s.failure.failure_reason_code,
	    "bad https response code: 404");
	cr_expect_eq(s.failure.failed_session_count, 1);
	/* Mail.ru sends no addresses at all */
	cr_expect_str_eq(s.failure.sending_mta_ip, "(null)");
	cr_expect_str_eq(s.failure.receiving_ip, "(null)");
	cr_expect_eq(s.n_strings, 0);
	cr_expect_eq(s.begin, 1708560000);
	cr_expect_eq(s.end, 1708646400);
	collect_release(&s.c);
}

Test(tlsrpt_json, empty_failure_fields_are_null)
{
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_file(FIXTURE("corpus/tlsrpt/"
	    "reporterexample_empty-failure-detail-fields.json"), &sink, NULL,
	    &err), 1, "%s", err.msg);
	cr_assert_eq(s.n_failures, 1);
	cr_expect_str_eq(s.failure.sending_mta_ip, "(null)");
	cr_expect_str_eq(s.failure.receiving_ip, "(null)");
	cr_expect_str_eq(s.failure.receiving_mx_hostname, "(null)");
	cr_expect_str_eq(s.failure.additional_information, "(null)");
	cr_expect_str_eq(s.failure.failure_reason_code, "no-policy-served");
	cr_expect_str_eq(s.policy_type, "sts");
	cr_expect_eq(s.n_strings, 4);
	cr_expect_str_eq(s.strings[1], "mode: enforce");
	collect_release(&s.c);
}

Test(tlsrpt_json, mx_host_bare_string_is_one_host)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: enforce\"],"
	    "\"policy-domain\":\"example.com\","
	    "\"mx-host\":\"mx.example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":5,"
	    "\"total-failure-session-count\":0}}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.n_mx, 1);
	cr_expect_str_eq(s.mx[0], "mx.example.com");
	cr_expect_eq(s.n_strings, 2);
	cr_expect_not_null(strstr(buf_str(&s.c.out), "\"mx.example.com\""));
	collect_release(&s.c);
}

Test(tlsrpt_json, policy_string_serialized_json_is_expanded)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"tlsa\",\"policy-string\":"
	    "[\"[\\\"3 1 1 AB01\\\",\\\"3 1 1 CD02\\\"]\"],"
	    "\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":2,"
	    "\"total-failure-session-count\":0}}");
	struct spy s;
	struct report_sink sink;
	struct err err;
	const char *out;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.n_strings, 2);
	cr_expect_str_eq(s.strings[0], "3 1 1 AB01");
	cr_expect_str_eq(s.strings[1], "3 1 1 CD02");
	out = buf_str(&s.c.out);
	cr_expect_not_null(strstr(out, "\"3 1 1 AB01\""), "%s", out);
	cr_expect_not_null(strstr(out, "\"3 1 1 CD02\""), "%s", out);
	/* the serialized form itself is gone */
	cr_expect_null(strstr(out, "[\\\"3 1 1"), "%s", out);
	cr_expect_not_null(strstr(s.notes, "serialized"), "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, microsoft_tlsa_policy_string_is_expanded)
{
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_file(FIXTURE("corpus/tlsrpt/"
	    "microsoft_sts-plus-tlsa-policies.json"), &sink, NULL, &err), 1,
	    "%s", err.msg);
	/* the last policy is the tlsa one */
	cr_expect_str_eq(s.policy_type, "tlsa");
	cr_expect_eq(s.n_strings, 2);
	cr_expect(strncmp(s.strings[0], "3 1 1 6007EEE5", 14) == 0, "%s",
	    s.strings[0]);
	cr_expect(strncmp(s.strings[1], "3 1 1 837C773D", 14) == 0, "%s",
	    s.strings[1]);
	cr_expect_eq(s.n_notes, 1, "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, policy_string_bare_string_is_one_string)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"tlsa\","
	    "\"policy-string\":\"3 1 1 AB01\","
	    "\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":1}}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.n_strings, 1);
	cr_expect_str_eq(s.strings[0], "3 1 1 AB01");
	cr_expect_eq(s.n_notes, 0, "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, null_contact_info_is_absent)
{
	static const char doc[] =
	    "{\"organization-name\":\"Example\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
	    "\"contact-info\":null,\"report-id\":\"r-1\","
	    "\"policies\":[" STS_POLICY "]}";
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_not(s.has_email);
	cr_expect(s.has_org);
	cr_expect_eq(s.c.reports, 1);
	cr_expect_str_eq(s.c.org_name, "Example");
	collect_release(&s.c);
}

Test(tlsrpt_json, missing_counts_are_zero)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"example.com\"},\"summary\":{},"
	    "\"failure-details\":[{\"result-type\":\"validation-failure\"}]}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.successful, 0);
	cr_expect_eq(s.failed, 0);
	cr_expect_eq(s.n_failures, 1);
	cr_expect_eq(s.failure.failed_session_count, 0);
	cr_expect_eq(s.c.messages, 0);
	cr_expect_eq(s.c.records, 1);
	collect_release(&s.c);
}

Test(tlsrpt_json, counts_as_digit_strings_are_accepted)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-successful-session-count\":\"12\","
	    "\"total-failure-session-count\":\" 3 \"},"
	    "\"failure-details\":[{\"result-type\":\"validation-failure\","
	    "\"failed-session-count\":\"3\"}]}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.successful, 12);
	cr_expect_eq(s.failed, 3);
	cr_expect_eq(s.failure.failed_session_count, 3);
	cr_expect_eq(s.c.messages, 15);
	collect_release(&s.c);
}

Test(tlsrpt_json, non_numeric_count_is_parse_error)
{
	static const char doc[] = REPORT(STS_POLICY ","
	    "{\"policy\":{\"policy-type\":\"sts\"},"
	    "\"summary\":{\"total-failure-session-count\":true}}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_str_eq(err.msg, "policies[1]: summary "
	    "total-failure-session-count is not a number");
	/* every policy is checked before the header goes out */
	cr_expect_eq(s.c.headers, 0);
	cr_expect_eq(s.c.aborts, 0);
	cr_expect_eq(s.c.reports, 0);
	collect_release(&s.c);
}

Test(tlsrpt_json, negative_or_fractional_count_is_parse_error)
{
	static const char *const docs[] = {
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"summary\":{\"total-successful-session-count\":-1}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"summary\":{\"total-successful-session-count\":1.5}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"summary\":{\"total-successful-session-count\":\"-4\"}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"summary\":{\"total-successful-session-count\":\"4x\"}}"),
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_not_null(strstr(err.msg, "policies[0]: summary "
		    "total-successful-session-count"), "doc %zu: %s", i,
		    err.msg);
		cr_expect_eq(c.reports, 0, "doc %zu", i);
		collect_release(&c);
	}
}

Test(tlsrpt_json, naive_datetime_is_utc)
{
	static const char doc[] =
	    "{\"organization-name\":\"Microsoft Corporation\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00\","
	    "\"end-datetime\":\"2024-01-01T23:59:59\"},"
	    "\"report-id\":\"r-1\",\"policies\":[" STS_POLICY "]}";
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.begin, 1704067200);
	cr_expect_eq(s.end, 1704067200 + 86399);
	cr_expect_not(s.has_email);
	collect_release(&s.c);
}

Test(tlsrpt_json, missing_or_bad_date_is_parse_error)
{
	static const char *const docs[] = {
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"policies\":[]}",
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\"},"
		    "\"policies\":[]}",
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":{"
		    "\"start-datetime\":\"yesterday\","
		    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
		    "\"policies\":[]}",
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":\"2024-01-01\",\"policies\":[]}",
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":1704153599},\"policies\":[]}",
	};
	static const char *const want[] = {
		"date-range is missing",
		"date-range end-datetime is missing",
		"date-range start-datetime 'yesterday'",
		"date-range is not an object",
		"date-range end-datetime is not a string",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_not_null(strstr(err.msg, want[i]), "doc %zu: %s", i,
		    err.msg);
		cr_expect_eq(c.headers, 0, "doc %zu", i);
		collect_release(&c);
	}
}

Test(tlsrpt_json, reversed_date_range_is_kept_with_note)
{
	static const char doc[] =
	    "{\"organization-name\":\"Example\",\"report-id\":\"r-1\","
	    "\"date-range\":{"
	    "\"start-datetime\":\"2024-01-02T00:00:00+01:00\","
	    "\"end-datetime\":\"2024-01-01T00:00:00Z\"},"
	    "\"policies\":[" STS_POLICY "]}";
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.begin, 1704150000);
	cr_expect_eq(s.end, 1704067200);
	cr_expect_str_eq(s.notes, "date-range ends before it begins\n");
	collect_release(&s.c);
}

Test(tlsrpt_json, missing_report_id_is_parse_error)
{
	static const char doc[] =
	    "{\"organization-name\":\"Example\","
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
	    "\"policies\":[" STS_POLICY "]}";
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_str_eq(err.msg, "report-id is missing");
	cr_expect_eq(c.headers, 0);
	collect_release(&c);
}

Test(tlsrpt_json, missing_organization_name_adds_note)
{
	static const char doc[] =
	    "{\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
	    "\"report-id\":\"r-1\",\"policies\":[" STS_POLICY "]}";
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_not(s.has_org);
	cr_expect_eq(s.n_notes, 1);
	cr_expect_not_null(strstr(s.notes, "organization-name"), "%s",
	    s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, non_string_organization_name_is_parse_error)
{
	static const char doc[] =
	    "{\"organization-name\":42,"
	    "\"date-range\":{\"start-datetime\":\"2024-01-01T00:00:00Z\","
	    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
	    "\"report-id\":\"r-1\",\"policies\":[" STS_POLICY "]}";
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_str_eq(err.msg, "organization-name is not a string");
	collect_release(&c);
}

Test(tlsrpt_json, invalid_json_is_parse_error_with_line)
{
	static const char doc[] =
	    "{\n"
	    "  \"organization-name\": \"Example\",\n"
	    "  \"policies\": [,]\n"
	    "}\n";
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect(strncmp(err.msg, "line 3 column ", 14) == 0, "%s", err.msg);
	cr_expect_eq(c.headers, 0);
	collect_release(&c);
}

Test(tlsrpt_json, non_report_json_returns_zero)
{
	static const char *const docs[] = {
		"[1,2]", "{\"a\":1}", "42", "\"policies\"", "{}",
		"{\"feedback\":{\"policies\":[]}}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), 0,
		    "%s: %s", docs[i], err.msg);
		cr_expect_eq(c.headers, 0, "%s", docs[i]);
		cr_expect_eq(c.reports, 0, "%s", docs[i]);
		cr_expect_eq(c.out.len, 0, "%s", docs[i]);
		collect_release(&c);
	}
}

Test(tlsrpt_json, missing_or_bad_policies_is_parse_error)
{
	static const char *const docs[] = {
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T23:59:59Z\"}}",
		"{\"organization-name\":\"x\",\"report-id\":\"r\","
		    "\"date-range\":{"
		    "\"start-datetime\":\"2024-01-01T00:00:00Z\","
		    "\"end-datetime\":\"2024-01-01T23:59:59Z\"},"
		    "\"policies\":{}}",
	};
	static const char *const want[] = {
		"policies is missing", "policies is not an array",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_str_eq(err.msg, want[i], "doc %zu", i);
		cr_expect_eq(c.headers, 0, "doc %zu", i);
		collect_release(&c);
	}
}

Test(tlsrpt_json, empty_policies_is_refused)
{
	static const char doc[] = REPORT("");
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_str_eq(err.msg, "policies is empty: the report's domain is "
	    "unknown");
	cr_expect_eq(c.headers, 0);
	collect_release(&c);
}

Test(tlsrpt_json, policies_above_max_records_is_limit)
{
	static const char doc[] = REPORT(STS_POLICY "," STS_POLICY ","
	    STS_POLICY);
	struct report_limits lim;
	struct collect c;
	struct report_sink sink;
	struct err err;

	report_limits_default(&lim);
	lim.max_records = 2;
	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, &lim, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect_not_null(strstr(err.msg, "3 policies"), "%s", err.msg);
	cr_expect_eq(c.headers, 0);
	lim.max_records = 3;
	cr_expect_eq(parse_str(doc, &sink, &lim, &err), 1, "%s", err.msg);
	cr_expect_eq(c.records, 3);
	collect_release(&c);
}

Test(tlsrpt_json, failure_details_above_max_results_is_limit)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\"},"
	    "\"failure-details\":["
	    "{\"result-type\":\"validation-failure\"},"
	    "{\"result-type\":\"certificate-expired\"},"
	    "{\"result-type\":\"dnssec-invalid\"}]}");
	struct report_limits lim;
	struct collect c;
	struct report_sink sink;
	struct err err;

	report_limits_default(&lim);
	lim.max_results = 2;
	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, &lim, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect_not_null(strstr(err.msg, "policies[0]: 3 failure-details"),
	    "%s", err.msg);
	cr_expect_eq(c.headers, 0);
	cr_expect_eq(c.reports, 0);
	collect_release(&c);
}

Test(tlsrpt_json, document_above_max_json_is_limit)
{
	static const char doc[] = REPORT(STS_POLICY);
	struct report_limits lim;
	struct collect c;
	struct report_sink sink;
	struct err err;

	report_limits_default(&lim);
	lim.max_json = sizeof(doc) - 2;
	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, &lim, &err), -1);
	cr_expect_eq(err.code, ERR_LIMIT);
	cr_expect_eq(c.headers, 0);
	/* exactly at the limit is fine */
	lim.max_json = sizeof(doc) - 1;
	cr_expect_eq(parse_str(doc, &sink, &lim, &err), 1, "%s", err.msg);
	cr_expect_eq(c.reports, 1);
	collect_release(&c);
}

Test(tlsrpt_json, bom_prefixed_document_parses)
{
	static const char doc[] = "\xef\xbb\xbf" REPORT(STS_POLICY);
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(c.reports, 1);
	cr_expect_eq(c.records, 1);
	cr_expect_str_eq(c.org_name, "Example");
	collect_release(&c);
}

Test(tlsrpt_json, trailing_garbage_is_parse_error)
{
	static const char bad[] = REPORT(STS_POLICY) "\n}x";
	static const char good[] = REPORT(STS_POLICY) " \r\n\t\n";
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(bad, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect(strncmp(err.msg, "line 2 ", 7) == 0, "%s", err.msg);
	cr_expect_eq(c.headers, 0);
	cr_expect_eq(parse_str(good, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(c.reports, 1);
	collect_release(&c);
}

Test(tlsrpt_json, sink_failure_calls_on_abort)
{
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	s.fail_at = 2;
	cr_assert_eq(parse_file(FIXTURE("corpus/tlsrpt/"
	    "microsoft_sts-plus-tlsa-policies.json"), &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_IO);
	/* the sink's own message passes through unchanged */
	cr_expect_str_eq(err.msg, "sink refused policy 2");
	cr_expect_eq(s.c.headers, 1);
	cr_expect_eq(s.c.records, 1);
	cr_expect_eq(s.c.aborts, 1);
	cr_expect_eq(s.c.reports, 0);
	collect_release(&s.c);
}

Test(tlsrpt_json, null_callbacks_are_skipped)
{
	struct report_sink sink;
	struct err err;

	memset(&sink, 0, sizeof(sink));
	cr_expect_eq(parse_file(FIXTURE("corpus/tlsrpt/"
	    "microsoft_sts-plus-tlsa-policies.json"), &sink, NULL, &err), 1,
	    "%s", err.msg);
	cr_expect_eq(parse_str(REPORT("{\"policy\":7}"), &sink, NULL, &err),
	    -1);
	cr_expect_str_eq(err.msg, "policies[0]: policy is not an object");
}

Test(tlsrpt_json, no_policy_domain_anywhere_is_refused)
{
	static const char *const docs[] = {
		REPORT("{\"policy\":{\"policy-type\":\"no-policy-found\"},"
		    "\"summary\":{\"total-successful-session-count\":4}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\","
		    "\"policy-domain\":\" \"}},"
		    "{\"policy\":{\"policy-type\":\"sts\","
		    "\"policy-domain\":null}}"),
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_str_eq(err.msg, "no policy has a policy-domain: the "
		    "report's domain is unknown", "doc %zu", i);
		cr_expect_eq(c.headers, 0, "doc %zu", i);
		collect_release(&c);
	}
}

/* Google: two policies without a domain beside one with it */
Test(tlsrpt_json, missing_policy_domain_takes_the_reports)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"no-policy-found\"},"
	    "\"summary\":{\"total-successful-session-count\":4}},"
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"Example.COM\"},"
	    "\"summary\":{\"total-successful-session-count\":1}},"
	    "{\"policy\":{\"policy-type\":\"no-policy-found\","
	    "\"policy-domain\":\"\"}}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_str_eq(s.c.domain, "example.com");
	/* the last one delivered had an empty domain */
	cr_expect_str_eq(s.policy_domain, "example.com");
	cr_expect_eq(s.c.records, 3);
	cr_expect_eq(s.c.messages, 5);
	cr_expect_not_null(strstr(s.notes, "policy without policy-domain: "
	    "the report's domain example.com taken"), "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, nul_in_a_string_is_refused)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"example.com\\u0000.evil\"}}");
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect_not_null(strstr(err.msg, "u0000"), "%s", err.msg);
	cr_expect_eq(c.headers, 0);
	collect_release(&c);
}

Test(tlsrpt_json, enums_and_domains_are_normalized)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\" STS \","
	    "\"policy-domain\":\"Example.COM.\"},"
	    "\"summary\":{\"total-failure-session-count\":2},"
	    "\"failure-details\":[{\"result-type\":\"Certificate-Expired\","
	    "\"sending-mta-ip\":\"2001:DB8:0:0::1\","
	    "\"receiving-ip\":\" 192.0.2.7 \",\"failed-session-count\":2}]}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_str_eq(s.policy_type, "sts");
	cr_expect_str_eq(s.policy_domain, "example.com");
	cr_expect_str_eq(s.c.domain, "example.com");
	cr_expect_str_eq(s.failure.result_type, "certificate-expired");
	cr_expect_str_eq(s.failure.sending_mta_ip, "2001:db8::1");
	cr_expect_str_eq(s.failure.receiving_ip, "192.0.2.7");
	cr_expect_eq(s.n_notes, 0, "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, unknown_values_are_kept_with_note)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"dane\","
	    "\"policy-domain\":\"example.com\"},"
	    "\"summary\":{\"total-failure-session-count\":2},"
	    "\"failure-details\":[{\"result-type\":\"Tls-Timeout\","
	    "\"sending-mta-ip\":\"mta.example.net\"},"
	    "{\"result-type\":\"tls-timeout\"}]}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_str_eq(s.policy_type, "dane");
	cr_expect_str_eq(s.failure.result_type, "tls-timeout");
	cr_expect_str_eq(s.failure.sending_mta_ip, "mta.example.net");
	/* one note per distinct repair, not per failure */
	cr_expect_eq(s.n_notes, 3, "%s", s.notes);
	cr_expect_not_null(strstr(s.notes, "unknown policy-type 'dane'"),
	    "%s", s.notes);
	cr_expect_not_null(strstr(s.notes,
	    "unknown result-type 'tls-timeout'"), "%s", s.notes);
	cr_expect_not_null(strstr(s.notes, "sending-mta-ip"), "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, malformed_policy_parts_are_parse_errors)
{
	static const char *const docs[] = {
		REPORT("{\"summary\":{}}"),
		REPORT("{\"policy\":{\"policy-domain\":\"example.com\"}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\","
		    "\"mx-host\":[\"a\",3]}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\","
		    "\"policy-string\":{}}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"failure-details\":{}}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"failure-details\":[{\"failed-session-count\":1}]}"),
		REPORT("{\"policy\":{\"policy-type\":\"sts\"},"
		    "\"failure-details\":[{\"result-type\":\"dane-required\","
		    "\"receiving-ip\":[]}]}"),
		REPORT("\"sts\""),
	};
	static const char *const want[] = {
		"policies[0]: policy is missing",
		"policies[0]: policy policy-type is missing",
		"policies[0]: policy mx-host[1] is not a string",
		("policies[0]: policy policy-string is neither a string "
		    "nor an array"),
		"policies[0]: failure-details is not an array",
		"policies[0]: failure-details[0]: result-type is missing",
		"policies[0]: failure-details[0]: receiving-ip is not a string",
		"policies[0] is not an object",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_str_eq(err.msg, want[i], "doc %zu", i);
		/* refused before the header: nothing reached a sink */
		cr_expect_eq(c.headers, 0, "doc %zu", i);
		cr_expect_eq(c.reports, 0, "doc %zu", i);
		collect_release(&c);
	}
}

static ssize_t
failing_read(void *impl, void *buf, size_t len, struct err *err)
{
	unsigned *calls = impl;
	static const char head[] = "{\"organization-name\":";

	/* the start of a report, then the disk goes away */
	if ((*calls)++ == 0 && len >= sizeof(head) - 1) {
		memcpy(buf, head, sizeof(head) - 1);
		return (ssize_t)(sizeof(head) - 1);
	}
	return err_set(err, ERR_IO, "cannot read test: input/output error");
}

Test(tlsrpt_json, read_error_is_io_error)
{
	static const struct stream_ops ops = { failing_read, NULL };
	unsigned calls = 0;
	struct stream *in = NULL;
	struct collect c;
	struct report_sink sink;
	struct err err;

	collect_init(&c);
	collect_sink(&c, &sink);
	stream_new_ops(&in, &ops, &calls, "test");
	cr_expect_eq(parse_stream(in, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_IO);
	cr_expect_str_eq(err.msg, "cannot read test: input/output error");
	cr_expect_eq(c.headers, 0);
	stream_free(in);
	collect_release(&c);
}

Test(tlsrpt_json, empty_input_is_parse_error)
{
	static const char *const docs[] = { "", "   \n", "\xef\xbb\xbf" };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect(strncmp(err.msg, "line ", 5) == 0, "doc %zu: %s", i,
		    err.msg);
		collect_release(&c);
	}
}

#define POLICY_COUNTS(ok, failed) \
	"{\"policy\":{\"policy-type\":\"sts\"," \
	"\"policy-domain\":\"example.com\"}," \
	"\"summary\":{\"total-successful-session-count\":" ok "," \
	"\"total-failure-session-count\":" failed "}}"

Test(tlsrpt_json, counts_above_max_count_or_int64_are_refused)
{
	static const struct {
		const char *doc;
		enum err_code code;
	} cases[] = {
		{ REPORT(POLICY_COUNTS("1099511627777", "0")), ERR_LIMIT },
		{ REPORT(POLICY_COUNTS("0", "\"1099511627777\"")), ERR_LIMIT },
		{ REPORT(POLICY_COUNTS("9223372036854775807", "0")),
		    ERR_LIMIT },
		{ REPORT(POLICY_COUNTS("9223372036854775808", "0")),
		    ERR_PARSE },
		{ REPORT(POLICY_COUNTS("\"99999999999999999999\"", "0")),
		    ERR_LIMIT },
		{ REPORT(POLICY_COUNTS("\"-1\"", "0")), ERR_PARSE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(cases[i].doc, &sink, NULL, &err), -1,
		    "case %zu", i);
		cr_expect_eq(err.code, cases[i].code, "case %zu: %s", i,
		    err.msg);
		cr_expect_eq(c.reports, 0, "case %zu", i);
		collect_release(&c);
	}
}

#define REPORT_DATES(start, end) \
	"{\"organization-name\":\"Example\"," \
	"\"date-range\":{\"start-datetime\":\"" start "\"," \
	"\"end-datetime\":\"" end "\"}," \
	"\"report-id\":\"r-1\",\"policies\":[" STS_POLICY "]}"

Test(tlsrpt_json, impossible_dates_are_refused)
{
	static const char *const docs[] = {
		REPORT_DATES("2024-02-31T00:00:00Z", "2024-03-01T00:00:00Z"),
		REPORT_DATES("0000-01-01T00:00:00Z", "2024-03-01T00:00:00Z"),
		REPORT_DATES("2024-01-01T00:00:00Z", "10000-01-01T00:00:00Z"),
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct collect c;
		struct report_sink sink;
		struct err err;

		collect_init(&c);
		collect_sink(&c, &sink);
		cr_expect_eq(parse_str(docs[i], &sink, NULL, &err), -1,
		    "doc %zu", i);
		cr_expect_eq(err.code, ERR_PARSE, "doc %zu", i);
		cr_expect_eq(c.headers, 0, "doc %zu", i);
		collect_release(&c);
	}
}

Test(tlsrpt_json, leap_second_is_read_as_59_with_note)
{
	static const char doc[] = REPORT_DATES("2016-12-31T00:00:00Z",
	    "2016-12-31T23:59:60Z");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_eq(s.c.last.end, 1483228799);
	cr_expect(strstr(s.notes, "leap second") != NULL, "%s", s.notes);
	collect_release(&s.c);
}

Test(tlsrpt_json, policy_domains_are_a_labels)
{
	static const char doc[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"B\\u00dcCHER.example\"}}");
	static const char bad[] = REPORT(
	    "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"-b\\u00fccher.example\"}}");
	struct spy s;
	struct report_sink sink;
	struct err err;

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(doc, &sink, NULL, &err), 1, "%s", err.msg);
	cr_expect_str_eq(s.c.domain, "xn--bcher-kva.example");
	cr_expect_str_eq(s.policy_domain, "xn--bcher-kva.example");
	collect_release(&s.c);

	spy_init(&s, &sink);
	cr_assert_eq(parse_str(bad, &sink, NULL, &err), -1);
	cr_expect_eq(err.code, ERR_PARSE);
	cr_expect(strstr(err.msg, "policies[0]: policy policy-domain") ==
	    err.msg, "%s", err.msg);
	cr_expect_eq(s.c.headers, 0);
	collect_release(&s.c);
}
