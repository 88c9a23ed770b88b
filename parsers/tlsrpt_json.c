#include "parsers/tlsrpt_json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/arena.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "model/normalize.h"

/*
 * The document is pulled through jansson's callback rather than slurped,
 * so the text is never held twice and max_json covers everything read,
 * trailing white space included.
 */
struct reader {
	struct stream *in;
	size_t max;
	size_t total;
	struct err *err;
	bool has_failed;	/* err holds an I/O or limit error */
};

struct tparse {
	const struct report_env *env;
	struct report r;
	struct arena keep;	/* header strings and notes: as long as r */
	struct arena tmp;	/* one policy's copies, reset per policy */
	bool has_header;	/* on_header was called: on_abort is due */
};

/* The arrays of one policy, freed once the sink has seen it. */
struct pol_arrays {
	const char **strings;
	const char **mx;
	struct tls_failure *failures;
};

static void path(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
path(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	/* built from our own keys and indexes: always fits */
	assert(len >= 0 && (size_t)len < n);
	(void)len;
}

static size_t
read_cb(void *buffer, size_t buflen, void *data)
{
	struct reader *rd = data;
	ssize_t n;

	if (rd->has_failed)
		return (size_t)-1;
	n = stream_read(rd->in, buffer, buflen, rd->err);
	if (n == -1) {
		rd->has_failed = true;
		return (size_t)-1;
	}
	if ((size_t)n > rd->max - rd->total) {
		rd->has_failed = true;
		err_set(rd->err, ERR_LIMIT,
		    "JSON document exceeds the %zu-byte limit", rd->max);
		return (size_t)-1;
	}
	rd->total += (size_t)n;
	return (size_t)n;
}

static int
load(struct stream *in, size_t max, json_t **out, struct err *err)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
	struct reader rd = { in, max, 0, err, false };
	const unsigned char *head;
	unsigned char skip[sizeof(bom)];
	size_t avail;
	json_error_t jerr;
	json_t *root;

	if (stream_peek(in, sizeof(bom), &head, &avail, err) == -1)
		return -1;
	/* the peeked bytes are buffered: this read returns all three */
	if (avail == sizeof(bom) && memcmp(head, bom, sizeof(bom)) == 0 &&
	    stream_read(in, skip, sizeof(skip), err) == -1)
		return -1;
	root = json_load_callback(read_cb, &rd, JSON_DECODE_ANY, &jerr);
	/* a failed read looks like the end of input to jansson */
	if (rd.has_failed) {
		json_decref(root);
		return -1;
	}
	if (root == NULL)
		return err_set(err, ERR_PARSE, "line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	*out = root;
	return 0;
}

/* A string member: NULL when missing, null or blank; borrowed from obj. */
static int
opt_str(const json_t *obj, const char *pre, const char *key,
    const char **out, struct err *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_PARSE, "%s%s is not a string", pre,
		    key);
	if (!str_blank(json_string_value(v)))
		*out = json_string_value(v);
	return 0;
}

static int
req_str(const json_t *obj, const char *pre, const char *key,
    const char **out, struct err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (opt_str(obj, pre, key, out, err) == -1)
		return -1;
	if (*out != NULL)
		return 0;
	if (v == NULL || json_is_null(v))
		return err_set(err, ERR_PARSE, "%s%s is missing", pre, key);
	return err_set(err, ERR_PARSE, "%s%s is empty", pre, key);
}

/*
 * A session count: missing or null is 0; a string of digits is fine.
 * Past max ([limits] max_count) is ERR_LIMIT; past 2^63 jansson refuses
 * the document itself.
 */
static int
get_count(const json_t *obj, const char *pre, const char *key,
    uint64_t max, int64_t *out, struct err *err)
{
	const json_t *v = json_object_get(obj, key);
	char what[160];

	if (v == NULL || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return err_set(err, ERR_PARSE, "%s%s %"
			    JSON_INTEGER_FORMAT " is negative", pre, key,
			    json_integer_value(v));
		if ((uint64_t)json_integer_value(v) > max)
			return err_set(err, ERR_LIMIT, "%s%s %"
			    JSON_INTEGER_FORMAT " is above the limit of %"
			    PRIu64 " ([limits] max_count)", pre, key,
			    json_integer_value(v), max);
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v))
		return err_set(err, ERR_PARSE, "%s%s %g is not an integer", pre,
		    key, json_real_value(v));
	if (!json_is_string(v))
		return err_set(err, ERR_PARSE, "%s%s is not a number", pre,
		    key);
	path(what, sizeof(what), "%s%s", pre, key);
	return norm_count(json_string_value(v), max, out, what, err);
}

/* Copy, trim and case-fold an enumeration; unknown values stay as sent. */
static const char *
norm_field(struct tparse *p, enum norm_kind kind, const char *raw)
{
	char *copy = arena_strdup(&p->tmp, raw);
	const char *out;
	enum norm_result res = norm_enum(kind, copy, &out);

	assert(res != NORM_EMPTY);
	if (res == NORM_ALIAS)
		report_note(&p->r, &p->keep, "%s '%.*s' read as '%s'",
		    norm_kind_name(kind), STR_CUT(raw, 64), out);
	else if (res == NORM_UNKNOWN)
		report_note(&p->r, &p->keep, "unknown %s '%.*s' kept as sent",
		    norm_kind_name(kind), STR_CUT(out, 64));
	return out;
}

/* Canonical text of an address; a bad one is kept as sent, with a note. */
static const char *
norm_addr(struct tparse *p, const char *what, const char *raw)
{
	char canon[64];

	if (raw == NULL)
		return NULL;
	if (norm_ip(raw, canon, sizeof(canon)) == 0) {
		report_note(&p->r, &p->keep, "%s '%.*s' is not an IP address",
		    what, STR_CUT(raw, 64));
		return raw;
	}
	return arena_strdup(&p->tmp, canon);
}

static int
parse_range(struct tparse *p, const json_t *root, struct err *err)
{
	const json_t *dr = json_object_get(root, "date-range");
	const char *start, *end;
	int leap_start = 0, leap_end = 0;

	if (dr == NULL)
		return err_set(err, ERR_PARSE, "date-range is missing");
	if (!json_is_object(dr))
		return err_set(err, ERR_PARSE, "date-range is not an object");
	if (req_str(dr, "date-range ", "start-datetime", &start, err) == -1 ||
	    req_str(dr, "date-range ", "end-datetime", &end, err) == -1 ||
	    (leap_start = norm_datetime(start, &p->r.begin,
	    "date-range start-datetime", err)) == -1 ||
	    (leap_end = norm_datetime(end, &p->r.end,
	    "date-range end-datetime", err)) == -1)
		return -1;
	if (leap_start == 1 || leap_end == 1)
		report_note(&p->r, &p->keep,
		    "leap second 23:59:60 in date-range read as :59");
	/* kept as sent, like a DMARC report's: the period is still known */
	if (p->r.end < p->r.begin)
		report_note(&p->r, &p->keep,
		    "date-range ends before it begins");
	return 0;
}

/*
 * The report's domain is the first non-blank policy-domain (Google sends
 * policies without one); a report where no policy names a domain cannot
 * be filed under any and is refused.  Runs after every policy was checked.
 */
static int
first_domain(struct tparse *p, const json_t *pols, struct err *err)
{
	for (size_t i = 0; i < json_array_size(pols); i++) {
		const json_t *policy;
		const char *d;

		policy = json_object_get(json_array_get(pols, i), "policy");
		if (opt_str(policy, "", "policy-domain", &d, err) == -1)
			return -1;
		if (d != NULL) {
			char what[64];

			path(what, sizeof(what), "policies[%zu]: policy "
			    "policy-domain", i);
			return norm_domain(&p->keep, d, &p->r.domain, what,
			    err);
		}
	}
	return err_set(err, ERR_PARSE, "no policy has a policy-domain: the "
	    "report's domain is unknown");
}

static int check_policies(struct tparse *p, const json_t *pols,
    struct err *err);

static int
parse_header(struct tparse *p, const json_t *root, struct err *err)
{
	const struct report_limits *lim = p->env->lim;
	const json_t *pols = json_object_get(root, "policies");
	struct report *r = &p->r;

	if (opt_str(root, "", "organization-name", &r->org_name, err) == -1 ||
	    opt_str(root, "", "contact-info", &r->email, err) == -1 ||
	    req_str(root, "", "report-id", &r->report_id, err) == -1 ||
	    parse_range(p, root, err) == -1)
		return -1;
	if (r->org_name == NULL)
		report_note(&p->r, &p->keep,
		    "organization-name is missing or empty");
	if (pols == NULL)
		return err_set(err, ERR_PARSE, "policies is missing");
	if (!json_is_array(pols))
		return err_set(err, ERR_PARSE, "policies is not an array");
	if (json_array_size(pols) > lim->max_records)
		return err_set(err, ERR_LIMIT, "%zu policies exceed the limit "
		    "of %" PRIu64, json_array_size(pols), lim->max_records);
	if (json_array_size(pols) == 0)
		return err_set(err, ERR_PARSE, "policies is empty: the "
		    "report's domain is unknown");
	/* nothing reaches the sink before every policy is known good:
	 * parse and ingest refuse a bad report alike, before any row */
	if (check_policies(p, pols, err) == -1)
		return -1;
	return first_domain(p, pols, err);
}

/*
 * A list of strings: an array, or one bare string (the RFC 8460 example
 * and some reporters send mx-host that way).  *out belongs to the caller
 * even on failure.
 */
static int
parse_list(const json_t *obj, const char *pre, const char *key,
    const char ***out, size_t *n, struct err *err)
{
	const json_t *v = json_object_get(obj, key);
	const char **arr;
	size_t k;

	*n = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (str_blank(json_string_value(v)))
			return 0;
		arr = xmalloc(sizeof(*arr));
		arr[0] = json_string_value(v);
		*out = arr;
		*n = 1;
		return 0;
	}
	if (!json_is_array(v))
		return err_set(err, ERR_PARSE, "%s%s is neither a string nor "
		    "an array", pre, key);
	arr = xreallocarray(NULL, json_array_size(v), sizeof(*arr));
	*out = arr;
	for (k = 0; k < json_array_size(v); k++) {
		const json_t *e = json_array_get(v, k);

		if (!json_is_string(e))
			return err_set(err, ERR_PARSE, "%s%s[%zu] is not a "
			    "string", pre, key, k);
		arr[k] = json_string_value(e);
	}
	*n = k;
	return 0;
}

/*
 * Microsoft sends a TLSA policy-string as one string holding a serialized
 * JSON array of the records: ["[\"3 1 1 AB..\",\"3 1 1 CD..\"]"].  Text
 * that does not parse as an array of strings is kept as it is.
 */
static void
expand_serialized(struct tparse *p, const char ***arr, size_t *n)
{
	const char *s;
	const char **inner_arr = NULL;
	json_t *inner = NULL;
	json_error_t jerr;
	size_t k;

	if (*n != 1)
		return;
	for (s = (*arr)[0]; *s == ' ' || *s == '\t'; s++)
		;
	if (*s != '[')
		return;
	inner = json_loads(s, 0, &jerr);
	if (!json_is_array(inner))
		goto out;
	for (k = 0; k < json_array_size(inner); k++)
		if (!json_is_string(json_array_get(inner, k)))
			goto out;
	inner_arr = xreallocarray(NULL, k, sizeof(*inner_arr));
	for (k = 0; k < json_array_size(inner); k++)
		inner_arr[k] = arena_strdup(&p->tmp,
		    json_string_value(json_array_get(inner, k)));
	free(*arr);
	*arr = inner_arr;
	*n = k;
	report_note(&p->r, &p->keep,
	    "policy-string held a serialized JSON array: expanded");
out:
	json_decref(inner);
}

static int
parse_policy_obj(struct tparse *p, const json_t *item, const char *pre,
    struct tls_policy *pol, struct pol_arrays *a, struct err *err)
{
	const json_t *policy = json_object_get(item, "policy");
	const char *type, *domain;
	char sub[64];

	if (policy == NULL)
		return err_set(err, ERR_PARSE, "%spolicy is missing", pre);
	if (!json_is_object(policy))
		return err_set(err, ERR_PARSE, "%spolicy is not an object",
		    pre);
	path(sub, sizeof(sub), "%spolicy ", pre);
	if (req_str(policy, sub, "policy-type", &type, err) == -1 ||
	    opt_str(policy, sub, "policy-domain", &domain, err) == -1 ||
	    parse_list(policy, sub, "policy-string", &a->strings,
	    &pol->n_policy_strings, err) == -1 ||
	    parse_list(policy, sub, "mx-host", &a->mx, &pol->n_mx_hosts,
	    err) == -1)
		return -1;
	pol->policy_type = norm_field(p, NORM_TLS_POLICY_TYPE, type);
	/* Postfix leaves policy-domain out for no-policy-found, Google
	 * sends some without: the policy is the report's domain's */
	if (domain != NULL) {
		char what[96];

		path(what, sizeof(what), "%spolicy-domain", sub);
		if (norm_domain(&p->tmp, domain, &pol->policy_domain, what,
		    err) == -1)
			return -1;
	} else if (p->r.domain != NULL) {
		pol->policy_domain = p->r.domain;
		report_note(&p->r, &p->keep, "policy without policy-domain: "
		    "the report's domain %s taken", p->r.domain);
	}
	expand_serialized(p, &a->strings, &pol->n_policy_strings);
	pol->policy_strings = a->strings;
	pol->mx_hosts = a->mx;
	return 0;
}

static int
parse_summary(struct tparse *p, const json_t *item, const char *pre,
    struct tls_policy *pol, struct err *err)
{
	const json_t *s = json_object_get(item, "summary");
	uint64_t max = p->env->lim->max_count;
	char sub[64];

	if (s == NULL || json_is_null(s)) {
		report_note(&p->r, &p->keep,
		    "policy without summary: session counts taken " "as 0");
		return 0;
	}
	if (!json_is_object(s))
		return err_set(err, ERR_PARSE, "%ssummary is not an object",
		    pre);
	path(sub, sizeof(sub), "%ssummary ", pre);
	if (get_count(s, sub, "total-successful-session-count", max,
	    &pol->successful, err) == -1 ||
	    get_count(s, sub, "total-failure-session-count", max,
	    &pol->failed, err) == -1)
		return -1;
	return 0;
}

static int
parse_failure(struct tparse *p, const json_t *fd, const char *at,
    struct tls_failure *f, struct err *err)
{
	const char *type;
	char pre[128];

	if (!json_is_object(fd))
		return err_set(err, ERR_PARSE, "%s is not an object", at);
	path(pre, sizeof(pre), "%s: ", at);
	if (req_str(fd, pre, "result-type", &type, err) == -1 ||
	    opt_str(fd, pre, "sending-mta-ip", &f->sending_mta_ip,
	    err) == -1 ||
	    opt_str(fd, pre, "receiving-mx-hostname",
	    &f->receiving_mx_hostname, err) == -1 ||
	    opt_str(fd, pre, "receiving-mx-helo", &f->receiving_mx_helo,
	    err) == -1 ||
	    opt_str(fd, pre, "receiving-ip", &f->receiving_ip, err) == -1 ||
	    opt_str(fd, pre, "additional-information",
	    &f->additional_information, err) == -1 ||
	    opt_str(fd, pre, "failure-reason-code", &f->failure_reason_code,
	    err) == -1 ||
	    get_count(fd, pre, "failed-session-count", p->env->lim->max_count,
	    &f->failed_session_count, err) == -1)
		return -1;
	f->result_type = norm_field(p, NORM_TLS_RESULT_TYPE, type);
	f->sending_mta_ip = norm_addr(p, "sending-mta-ip", f->sending_mta_ip);
	f->receiving_ip = norm_addr(p, "receiving-ip", f->receiving_ip);
	return 0;
}

static int
parse_failures(struct tparse *p, const json_t *item, const char *pre,
    struct tls_policy *pol, struct pol_arrays *a, struct err *err)
{
	const json_t *fd = json_object_get(item, "failure-details");
	unsigned max = p->env->lim->max_results;
	char at[96];
	size_t n, k;

	if (fd == NULL || json_is_null(fd))
		return 0;
	if (!json_is_array(fd))
		return err_set(err, ERR_PARSE, "%sfailure-details is not an "
		    "array", pre);
	n = json_array_size(fd);
	if (n > max)
		return err_set(err, ERR_LIMIT, "%s%zu failure-details exceed "
		    "the limit of %u", pre, n, max);
	a->failures = xcalloc(n, sizeof(*a->failures));
	pol->failures = a->failures;
	for (k = 0; k < n; k++) {
		path(at, sizeof(at), "%sfailure-details[%zu]", pre, k);
		if (parse_failure(p, json_array_get(fd, k), at,
		    &a->failures[k], err) == -1)
			return -1;
		pol->n_failures++;
	}
	return 0;
}

static int
parse_policy(struct tparse *p, const json_t *item, size_t i,
    struct tls_policy *pol, struct pol_arrays *a, struct err *err)
{
	char pre[48];

	memset(pol, 0, sizeof(*pol));
	if (!json_is_object(item))
		return err_set(err, ERR_PARSE, "policies[%zu] is not an "
		    "object", i);
	path(pre, sizeof(pre), "policies[%zu]: ", i);
	if (parse_policy_obj(p, item, pre, pol, a, err) == -1 ||
	    parse_summary(p, item, pre, pol, err) == -1 ||
	    parse_failures(p, item, pre, pol, a, err) == -1)
		return -1;
	return 0;
}

static void
pol_arrays_free(struct pol_arrays *a)
{
	free(a->strings);
	free(a->mx);
	free(a->failures);
}

/* every policy parsed once, before the header goes out */
static int
check_policies(struct tparse *p, const json_t *pols, struct err *err)
{
	for (size_t i = 0; i < json_array_size(pols); i++) {
		struct pol_arrays a = { NULL, NULL, NULL };
		struct tls_policy pol;
		int r;

		arena_reset(&p->tmp);
		r = parse_policy(p, json_array_get(pols, i), i, &pol, &a, err);
		pol_arrays_free(&a);
		if (r == -1)
			return -1;
	}
	return 0;
}

static int
deliver_policy(struct tparse *p, const json_t *item, size_t i,
    struct err *err)
{
	const struct report_sink *sink = p->env->sink;
	struct pol_arrays a = { NULL, NULL, NULL };
	struct tls_policy pol;
	uint64_t sessions;
	int ret = -1;

	arena_reset(&p->tmp);
	if (parse_policy(p, item, i, &pol, &a, err) == -1)
		goto out;
	/* each count is below 2^63, so only the running total can wrap */
	sessions = (uint64_t)pol.successful + (uint64_t)pol.failed;
	if (sessions > UINT64_MAX - p->r.messages) {
		err_set(err, ERR_PARSE, "policies[%zu]: session counts "
		    "overflow the report total", i);
		goto out;
	}
	ret = sink->on_tls_policy != NULL ?
	    sink->on_tls_policy(sink->ctx, &p->r, &pol, err) : 0;
	if (ret == -1)
		goto out;
	p->r.records++;
	p->r.messages += sessions;
out:
	pol_arrays_free(&a);
	return ret;
}

static int
deliver(struct tparse *p, const json_t *pols, struct err *err)
{
	const struct report_sink *sink = p->env->sink;
	size_t i;
	int rc;

	p->has_header = true;
	rc = sink->on_header != NULL ? sink->on_header(sink->ctx, &p->r, err) :
	    0;
	/* 1: the sink knows the report already, the policies change
	 * nothing */
	for (i = 0; rc == 0 && i < json_array_size(pols); i++)
		rc = deliver_policy(p, json_array_get(pols, i), i, err);
	if (rc == -1)
		return -1;
	if (sink->on_end != NULL && sink->on_end(sink->ctx, &p->r, err) == -1)
		return -1;
	return 0;
}

static bool
is_tlsrpt(const json_t *root)
{
	return json_is_object(root) &&
	    (json_object_get(root, "policies") != NULL ||
	    json_object_get(root, "organization-name") != NULL);
}

int
tlsrpt_json_parse(struct stream *in, const struct report_env *env,
    struct err *err)
{
	struct tparse p;
	json_t *root = NULL;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.env = env;
	arena_init(&p.keep);
	arena_init(&p.tmp);
	p.r.kind = REPORT_TLSRPT;
	p.r.input = env->input;
	p.r.location = env->location;
	p.r.begin = -1;
	p.r.end = -1;
	p.r.policy.pct = -1;
	if (load(in, env->lim->max_json, &root, err) == -1)
		goto out;
	if (!is_tlsrpt(root)) {
		ret = 0;
		goto out;
	}
	if (parse_header(&p, root, err) == -1 ||
	    deliver(&p, json_object_get(root, "policies"), err) == -1)
		goto out;
	ret = 1;
out:
	if (ret == -1 && p.has_header && env->sink->on_abort != NULL)
		env->sink->on_abort(env->sink->ctx, &p.r);
	arena_release(&p.tmp);
	arena_release(&p.keep);
	json_decref(root);
	return ret;
}
