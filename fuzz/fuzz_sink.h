/*
 * fuzz_sink: what the libFuzzer harnesses share.  Included by each
 * fuzz/fuzz_<name>.c, which the Makefile builds as one translation unit
 * with the library sources, so everything here is static.
 *
 * The sink reads every byte of every string and array handed to it, so
 * that ASan flags a dangling, short or unterminated pointer inside the
 * callback that received it, and it checks the order the report_sink
 * contract promises (report.h): on_header, then records or policies of
 * that report's kind, then on_end or on_abort, never interleaved.  A
 * broken contract is reported on stderr and abort()s, which libFuzzer
 * records as a crash.
 */
#ifndef DMARC_FUZZ_FUZZ_SINK_H
#define DMARC_FUZZ_FUZZ_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "parsers/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Caps small enough that one input stays fast and far below -rss_limit_mb. */
static inline void
fuzz_limits(struct report_limits *lim)
{
	report_limits_default(lim);
	lim->max_records = 10000;
	lim->max_decompressed = 16u << 20;
	lim->max_message = 4u << 20;
	lim->max_json = 4u << 20;
	lim->max_zip = 4u << 20;
}

/* Where the checksum of everything read goes: the optimizer must keep
 * every read. */
static volatile size_t fuzz_sink_hole;

struct fuzz_sink {
	const struct report *cur;	/* between on_header and on_end/abort */
	uint64_t rec_seen;		/* records or policies of cur */
	unsigned headers, ends, aborts, failures;
	size_t sum;
};

static inline void
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz: sink contract broken: %s\n", what);
	abort();
}

static inline size_t
fuzz_str(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

/* a failed call left a code and a terminated message */
static inline size_t
fuzz_err_len(const struct err *e)
{
	if (e->code == ERR_OK)
		fuzz_die("failure with ERR_OK");
	if (memchr(e->msg, '\0', sizeof(e->msg)) == NULL)
		fuzz_die("error message not terminated");
	return strlen(e->msg);
}

static inline void
fuzz_touch_report(struct fuzz_sink *f, const struct report *r)
{
	const struct report_policy *p = &r->policy;
	size_t s = 0;

	if (r->kind != REPORT_DMARC && r->kind != REPORT_TLSRPT &&
	    r->kind != REPORT_FAILURE)
		fuzz_die("bad report kind");
	if (r->n_notes > REPORT_MAX_NOTES)
		fuzz_die("n_notes past REPORT_MAX_NOTES");
	s += fuzz_str(r->input) + fuzz_str(r->location);
	s += fuzz_str(r->org_name) + fuzz_str(r->email);
	s += fuzz_str(r->extra_contact_info) + fuzz_str(r->report_id);
	s += fuzz_str(r->domain) + fuzz_str(r->version);
	s += fuzz_str(r->xmlns) + fuzz_str(r->generator);
	s += fuzz_str(r->error) + fuzz_str(report_kind_name(r->kind));
	s += fuzz_str(p->domain) + fuzz_str(p->p) + fuzz_str(p->sp);
	s += fuzz_str(p->np) + fuzz_str(p->fo) + fuzz_str(p->adkim);
	s += fuzz_str(p->aspf) + fuzz_str(p->testing);
	s += fuzz_str(p->discovery_method);
	s += (size_t)p->pct + (size_t)r->begin + (size_t)r->end;
	s += (size_t)r->records + (size_t)r->messages + r->is_rfc9990;
	for (size_t i = 0; i < r->n_notes; i++)
		s += fuzz_str(r->notes[i]);
	f->sum += s;
}

/* the report passed to a record callback is the one on_header opened */
static inline void
fuzz_in_report(struct fuzz_sink *f, const struct report *r,
    enum report_kind kind)
{
	if (f->cur == NULL)
		fuzz_die("record outside on_header..on_end");
	if (r != f->cur)
		fuzz_die("record for another report than on_header's");
	if (r->kind != kind)
		fuzz_die("record of the wrong kind for its report");
}

static inline int
fuzz_on_header(void *ctx, const struct report *r, struct err *err)
{
	struct fuzz_sink *f = ctx;

	(void)err;
	if (f->cur != NULL)
		fuzz_die("on_header inside another report");
	f->cur = r;
	f->rec_seen = 0;
	f->headers++;
	fuzz_touch_report(f, r);
	return 0;
}

static inline int
fuzz_on_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct fuzz_sink *f = ctx;
	size_t s = 0;

	(void)err;
	fuzz_in_report(f, r, REPORT_DMARC);
	f->rec_seen++;
	fuzz_touch_report(f, r);
	if ((rec->n_reasons > 0 && rec->reasons == NULL) ||
	    (rec->n_dkim > 0 && rec->dkim_results == NULL) ||
	    (rec->n_spf > 0 && rec->spf_results == NULL))
		fuzz_die("record array NULL with a count");
	s += fuzz_str(rec->source_ip) + (size_t)rec->ip_family;
	s += (size_t)rec->count + rec->flags;
	s += fuzz_str(rec->disposition) + fuzz_str(rec->dkim);
	s += fuzz_str(rec->spf) + fuzz_str(rec->header_from);
	s += fuzz_str(rec->envelope_from) + fuzz_str(rec->envelope_to);
	for (size_t i = 0; i < rec->n_reasons; i++)
		s += fuzz_str(rec->reasons[i].type) +
		    fuzz_str(rec->reasons[i].comment);
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *d = &rec->dkim_results[i];

		s += fuzz_str(d->domain) + fuzz_str(d->selector);
		s += fuzz_str(d->result) + fuzz_str(d->human_result);
	}
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *d = &rec->spf_results[i];

		s += fuzz_str(d->domain) + fuzz_str(d->scope);
		s += fuzz_str(d->result) + fuzz_str(d->human_result);
	}
	f->sum += s;
	return 0;
}

static inline void
fuzz_touch_failure(struct fuzz_sink *f, const struct tls_failure *x)
{
	f->sum += fuzz_str(x->result_type) + fuzz_str(x->sending_mta_ip) +
	    fuzz_str(x->receiving_mx_hostname) +
	    fuzz_str(x->receiving_mx_helo) + fuzz_str(x->receiving_ip) +
	    fuzz_str(x->additional_information) +
	    fuzz_str(x->failure_reason_code) +
	    (size_t)x->failed_session_count;
}

static inline int
fuzz_on_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct fuzz_sink *f = ctx;

	(void)err;
	fuzz_in_report(f, r, REPORT_TLSRPT);
	f->rec_seen++;
	fuzz_touch_report(f, r);
	if ((p->n_policy_strings > 0 && p->policy_strings == NULL) ||
	    (p->n_mx_hosts > 0 && p->mx_hosts == NULL) ||
	    (p->n_failures > 0 && p->failures == NULL))
		fuzz_die("policy array NULL with a count");
	f->sum += fuzz_str(p->policy_type) + fuzz_str(p->policy_domain);
	f->sum += (size_t)p->successful + (size_t)p->failed;
	for (size_t i = 0; i < p->n_policy_strings; i++)
		f->sum += fuzz_str(p->policy_strings[i]);
	for (size_t i = 0; i < p->n_mx_hosts; i++)
		f->sum += fuzz_str(p->mx_hosts[i]);
	for (size_t i = 0; i < p->n_failures; i++)
		fuzz_touch_failure(f, &p->failures[i]);
	return 0;
}

/* a failure report's one sample: every string, the original's bytes */
static inline int
fuzz_on_failure_sample(void *ctx, const struct report *r,
    const struct failure_sample *x, struct err *err)
{
	struct fuzz_sink *f = ctx;
	const char *const s[] = { x->feedback_type, x->auth_failure,
		x->identity_alignment, x->source_ip, x->reported_domain,
		x->header_from, x->mail_from, x->rcpt_to, x->dkim_domain,
		x->dkim_identity, x->dkim_selector, x->spf_dns,
		x->delivery_result, x->message_id, x->format };

	(void)err;
	fuzz_in_report(f, r, REPORT_FAILURE);
	if (f->rec_seen++ > 0)
		fuzz_die("a second failure sample in one report");
	fuzz_touch_report(f, r);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		f->sum += fuzz_str(s[i]);
	for (size_t i = 0; x->headers != NULL && i < x->headers_len; i++)
		f->sum += (unsigned char)x->headers[i];
	for (size_t i = 0; x->body != NULL && i < x->body_len; i++)
		f->sum += (unsigned char)x->body[i];
	f->sum += (size_t)x->arrival;
	return 0;
}

static inline int
fuzz_on_end(void *ctx, const struct report *r, struct err *err)
{
	struct fuzz_sink *f = ctx;

	(void)err;
	if (f->cur == NULL || r != f->cur)
		fuzz_die("on_end without its on_header");
	fuzz_touch_report(f, r);
	if (r->records != f->rec_seen)
		fuzz_die("records total differs from the records delivered");
	f->cur = NULL;
	f->ends++;
	return 0;
}

static inline void
fuzz_on_abort(void *ctx, const struct report *r)
{
	struct fuzz_sink *f = ctx;

	if (f->cur == NULL || r != f->cur)
		fuzz_die("on_abort without its on_header");
	fuzz_touch_report(f, r);
	f->cur = NULL;
	f->aborts++;
}

static inline void
fuzz_on_failure(void *ctx, const struct err *why)
{
	struct fuzz_sink *f = ctx;

	if (f->cur != NULL)
		fuzz_die("on_failure inside a report");
	f->sum += fuzz_err_len(why);
	f->failures++;
}

static inline void
fuzz_sink_init(struct report_sink *sink, struct fuzz_sink *f)
{
	memset(f, 0, sizeof(*f));
	memset(sink, 0, sizeof(*sink));
	sink->ctx = f;
	sink->on_header = fuzz_on_header;
	sink->on_dmarc_record = fuzz_on_record;
	sink->on_tls_policy = fuzz_on_policy;
	sink->on_end = fuzz_on_end;
	sink->on_abort = fuzz_on_abort;
	sink->on_failure = fuzz_on_failure;
	sink->on_failure_sample = fuzz_on_failure_sample;
}

/*
 * After a format parser (1 report, 0 not this format, -1 error): exactly
 * one on_end for 1, nothing at all for 0, no report left open for -1,
 * and an error code with -1.
 */
static inline void
fuzz_check_parse(struct fuzz_sink *f, int ret, const struct err *err)
{
	if (f->cur != NULL)
		fuzz_die("parser returned with a report open");
	if (ret == 1 && (f->ends != 1 || f->aborts != 0))
		fuzz_die("returned 1 without exactly one on_end");
	if (ret == 0 && f->headers != 0)
		fuzz_die("returned 0 after on_header");
	if (ret == -1) {
		if (f->ends != 0)
			fuzz_die("returned -1 after on_end");
		f->sum += fuzz_err_len(err);
	}
	if (ret < -1 || ret > 1)
		fuzz_die("parser returned a value outside -1..1");
	fuzz_sink_hole += f->sum;
}

/* After report_parse: the stats match what reached the sink. */
static inline void
fuzz_check_walk(struct fuzz_sink *f, int ret,
    const struct report_stats *st, const struct err *err)
{
	if (f->cur != NULL)
		fuzz_die("report_parse returned with a report open");
	if (f->headers != f->ends + f->aborts)
		fuzz_die("on_header not closed by on_end or on_abort");
	if (ret == 0 && (st->reports != f->ends ||
	    st->failures != f->failures))
		fuzz_die("report_stats differ from the sink calls");
	if (ret == 0 && st->reports == 0 && st->failures == 0)
		fuzz_die("input with no report and no failure");
	if (ret == -1)
		f->sum += fuzz_err_len(err);
	fuzz_sink_hole += f->sum;
}

/*
 * One format parser over one input, with the checks above: the body of
 * the fuzz_xml and fuzz_json harnesses.
 */
typedef int (*fuzz_parse_fn)(struct stream *in, const struct report_env *env,
    struct err *err);

static inline int
fuzz_one_parser(const uint8_t *data, size_t size, const char *name,
    fuzz_parse_fn parse)
{
	struct report_limits lim;
	struct report_sink sink;
	struct fuzz_sink f;
	struct report_env env;
	struct stream *in = NULL;
	struct err err;
	uint64_t used = 0;
	int ret;

	fuzz_limits(&lim);
	fuzz_sink_init(&sink, &f);
	memset(&env, 0, sizeof(env));
	env.lim = &lim;
	env.sink = &sink;
	env.input = name;
	env.location = "";
	env.decompressed = &used;
	env.nesting = 0;
	err_clear(&err);
	stream_new_mem(&in, data, size, name);
	ret = parse(in, &env, &err);
	fuzz_check_parse(&f, ret, &err);
	stream_free(in);
	return 0;
}

/* The whole driver (report_parse) over one input, with the checks above. */
static inline void
fuzz_whole_input(const uint8_t *data, size_t size, const char *name,
    const struct report_limits *lim)
{
	struct report_sink sink;
	struct report_stats st;
	struct fuzz_sink f;
	struct stream *in = NULL;
	struct err err;
	int ret;

	fuzz_sink_init(&sink, &f);
	err_clear(&err);
	stream_new_mem(&in, data, size, name);
	ret = report_parse(in, name, lim, &sink, &st, &err);
	fuzz_check_walk(&f, ret, &st, &err);
	stream_free(in);
}

#endif
