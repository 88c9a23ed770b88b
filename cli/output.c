#include "cli/output.h"

#include <stdbool.h>

#include "common/jsonw.h"
#include "model/normalize.h"

static int
kv_time(struct buf *b, const char *key, int64_t t, struct err *err)
{
	char ts[32];

	norm_format_time(t, ts, sizeof(ts));
	return jsonw_kv_str(b, key, ts, false, err);
}

static int
str_array(struct buf *b, const char *key, const char *const *v, size_t n,
    struct err *err)
{
	if (jsonw_key(b, key, false, err) == -1 || buf_addc(b, '[', err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    jsonw_str(b, v[i], err) == -1)
			return -1;
	return buf_addc(b, ']', err);
}

int
output_report_json(struct buf *b, const struct report *r, struct err *err)
{
	if (buf_addc(b, '{', err) == -1 ||
	    jsonw_kv_str(b, "file", r->input, true, err) == -1)
		return -1;
	if (r->location != NULL && r->location[0] != '\0' &&
	    jsonw_kv_str(b, "part", r->location, false, err) == -1)
		return -1;
	if (jsonw_kv_str(b, "kind", report_kind_name(r->kind), false,
	    err) == -1 ||
	    jsonw_kv_str(b, "org_name", r->org_name, false, err) == -1 ||
	    jsonw_kv_str(b, "report_id", r->report_id, false, err) == -1 ||
	    jsonw_kv_str(b, "domain", r->domain, false, err) == -1 ||
	    kv_time(b, "begin", r->begin, err) == -1 ||
	    kv_time(b, "end", r->end, err) == -1 ||
	    jsonw_kv_int(b, "records", (int64_t)r->records, false, false,
	    err) == -1 ||
	    jsonw_kv_int(b, "messages", (int64_t)r->messages, false, false,
	    err) == -1)
		return -1;
	if (r->n_notes > 0 &&
	    str_array(b, "notes", r->notes, r->n_notes, err) == -1)
		return -1;
	return buf_addc(b, '}', err);
}

/* flag bits and their names, in output order */
static const struct {
	unsigned bit;
	const char *name;
} rec_flags[] = {
	{ REC_UNKNOWN_DISPOSITION, "unknown_disposition" },
	{ REC_UNKNOWN_DKIM, "unknown_dkim" },
	{ REC_UNKNOWN_SPF, "unknown_spf" },
	{ REC_UNKNOWN_REASON, "unknown_reason" },
	{ REC_UNKNOWN_RESULT, "unknown_result" },
	{ REC_BAD_SOURCE_IP, "bad_source_ip" },
};

static int
record_flags(struct buf *b, unsigned flags, struct err *err)
{
	const char *names[sizeof(rec_flags) / sizeof(rec_flags[0])];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rec_flags) / sizeof(rec_flags[0]); i++)
		if (flags & rec_flags[i].bit)
			names[n++] = rec_flags[i].name;
	if (n == 0)
		return 0;
	return str_array(b, "flags", names, n, err);
}

static int
dmarc_auth(struct buf *b, const struct dmarc_record *rec, struct err *err)
{
	if (jsonw_key(b, "auth_dkim", false, err) == -1 ||
	    buf_addc(b, '[', err) == -1)
		return -1;
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *d = &rec->dkim_results[i];

		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    buf_addc(b, '{', err) == -1 ||
		    jsonw_kv_str(b, "domain", d->domain, true, err) == -1 ||
		    jsonw_kv_str(b, "selector", d->selector, false,
		    err) == -1 ||
		    jsonw_kv_str(b, "result", d->result, false, err) == -1 ||
		    jsonw_kv_str(b, "human_result", d->human_result, false,
		    err) == -1 || buf_addc(b, '}', err) == -1)
			return -1;
	}
	if (buf_addc(b, ']', err) == -1 ||
	    jsonw_key(b, "auth_spf", false, err) == -1 ||
	    buf_addc(b, '[', err) == -1)
		return -1;
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *s = &rec->spf_results[i];

		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    buf_addc(b, '{', err) == -1 ||
		    jsonw_kv_str(b, "domain", s->domain, true, err) == -1 ||
		    jsonw_kv_str(b, "scope", s->scope, false, err) == -1 ||
		    jsonw_kv_str(b, "result", s->result, false, err) == -1 ||
		    jsonw_kv_str(b, "human_result", s->human_result, false,
		    err) == -1 || buf_addc(b, '}', err) == -1)
			return -1;
	}
	return buf_addc(b, ']', err);
}

int
output_dmarc_record_json(struct buf *b, const struct dmarc_record *rec,
    struct err *err)
{
	if (buf_adds(b, "{\"record\":{", err) == -1 ||
	    jsonw_kv_str(b, "source_ip", rec->source_ip, true, err) == -1 ||
	    jsonw_kv_int(b, "count", rec->count, false, false, err) == -1 ||
	    jsonw_kv_str(b, "disposition", rec->disposition, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "dkim", rec->dkim, false, err) == -1 ||
	    jsonw_kv_str(b, "spf", rec->spf, false, err) == -1 ||
	    jsonw_kv_str(b, "header_from", rec->header_from, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "envelope_from", rec->envelope_from, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "envelope_to", rec->envelope_to, false,
	    err) == -1 ||
	    jsonw_key(b, "reasons", false, err) == -1 ||
	    buf_addc(b, '[', err) == -1)
		return -1;
	for (size_t i = 0; i < rec->n_reasons; i++)
		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    buf_addc(b, '{', err) == -1 ||
		    jsonw_kv_str(b, "type", rec->reasons[i].type, true,
		    err) == -1 ||
		    jsonw_kv_str(b, "comment", rec->reasons[i].comment, false,
		    err) == -1 || buf_addc(b, '}', err) == -1)
			return -1;
	if (buf_addc(b, ']', err) == -1 || dmarc_auth(b, rec, err) == -1 ||
	    record_flags(b, rec->flags, err) == -1)
		return -1;
	return buf_adds(b, "}}", err);
}

static int
tls_failure(struct buf *b, const struct tls_failure *f, struct err *err)
{
	if (buf_addc(b, '{', err) == -1 ||
	    jsonw_kv_str(b, "result_type", f->result_type, true, err) == -1 ||
	    jsonw_kv_str(b, "sending_mta_ip", f->sending_mta_ip, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "receiving_mx_hostname", f->receiving_mx_hostname,
	    false, err) == -1 ||
	    jsonw_kv_str(b, "receiving_mx_helo", f->receiving_mx_helo, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "receiving_ip", f->receiving_ip, false,
	    err) == -1 ||
	    jsonw_kv_str(b, "additional_information",
	    f->additional_information, false, err) == -1 ||
	    jsonw_kv_str(b, "failure_reason_code", f->failure_reason_code,
	    false, err) == -1 ||
	    jsonw_kv_int(b, "failed_session_count", f->failed_session_count,
	    false, false, err) == -1)
		return -1;
	return buf_addc(b, '}', err);
}

int
output_tls_policy_json(struct buf *b, const struct tls_policy *p,
    struct err *err)
{
	if (buf_adds(b, "{\"record\":{", err) == -1 ||
	    jsonw_kv_str(b, "policy_type", p->policy_type, true, err) == -1 ||
	    jsonw_kv_str(b, "policy_domain", p->policy_domain, false,
	    err) == -1 ||
	    str_array(b, "policy_strings", p->policy_strings,
	    p->n_policy_strings, err) == -1 ||
	    str_array(b, "mx_hosts", p->mx_hosts, p->n_mx_hosts, err) == -1 ||
	    jsonw_kv_int(b, "successful", p->successful, false, false,
	    err) == -1 ||
	    jsonw_kv_int(b, "failed", p->failed, false, false, err) == -1 ||
	    jsonw_key(b, "failure_details", false, err) == -1 ||
	    buf_addc(b, '[', err) == -1)
		return -1;
	for (size_t i = 0; i < p->n_failures; i++)
		if ((i > 0 && buf_addc(b, ',', err) == -1) ||
		    tls_failure(b, &p->failures[i], err) == -1)
			return -1;
	return buf_adds(b, "]}}", err);
}
