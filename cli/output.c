#include "cli/output.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "common/jsonw.h"
#include "common/timefmt.h"

static void
kv_time(struct jsonw *w, const char *key, int64_t t)
{
	char ts[32];

	timefmt_iso(t, ts, sizeof(ts));
	jsonw_kv_str(w, key, ts, false);
}

static void
str_array(struct jsonw *w, const char *key, const char *const *v, size_t n)
{
	jsonw_key(w, key, false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			jsonw_raw(w, ",");
		jsonw_str(w, v[i]);
	}
	jsonw_raw(w, "]");
}

int
output_report_json(struct buf *b, const struct report *r, struct err *err)
{
	struct jsonw w;

	jsonw_init(&w, b);
	jsonw_raw(&w, "{");
	jsonw_kv_str(&w, "file", r->input, true);
	if (r->location != NULL && r->location[0] != '\0')
		jsonw_kv_str(&w, "part", r->location, false);
	jsonw_kv_str(&w, "kind", report_kind_name(r->kind), false);
	jsonw_kv_str(&w, "org_name", r->org_name, false);
	jsonw_kv_str(&w, "report_id", r->report_id, false);
	jsonw_kv_str(&w, "domain", r->domain, false);
	kv_time(&w, "begin", r->begin);
	kv_time(&w, "end", r->end);
	jsonw_kv_int(&w, "records", (int64_t)r->records, false, false);
	jsonw_kv_int(&w, "messages", (int64_t)r->messages, false, false);
	if (r->n_notes > 0)
		str_array(&w, "notes", r->notes, r->n_notes);
	jsonw_raw(&w, "}");
	return jsonw_finish(&w, err);
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

static void
record_flags(struct jsonw *w, unsigned flags)
{
	const char *names[sizeof(rec_flags) / sizeof(rec_flags[0])];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rec_flags) / sizeof(rec_flags[0]); i++)
		if (flags & rec_flags[i].bit)
			names[n++] = rec_flags[i].name;
	if (n > 0)
		str_array(w, "flags", names, n);
}

static void
dmarc_auth(struct jsonw *w, const struct dmarc_record *rec)
{
	jsonw_key(w, "auth_dkim", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *d = &rec->dkim_results[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "domain", d->domain, true);
		jsonw_kv_str(w, "selector", d->selector, false);
		jsonw_kv_str(w, "result", d->result, false);
		jsonw_kv_str(w, "human_result", d->human_result, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
	jsonw_key(w, "auth_spf", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *s = &rec->spf_results[i];

		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "domain", s->domain, true);
		jsonw_kv_str(w, "scope", s->scope, false);
		jsonw_kv_str(w, "result", s->result, false);
		jsonw_kv_str(w, "human_result", s->human_result, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
}

int
output_dmarc_record_json(struct buf *b, const struct dmarc_record *rec,
    struct err *err)
{
	struct jsonw w;

	jsonw_init(&w, b);
	jsonw_raw(&w, "{\"record\":{");
	jsonw_kv_str(&w, "source_ip", rec->source_ip, true);
	jsonw_kv_int(&w, "count", rec->count, false, false);
	jsonw_kv_str(&w, "disposition", rec->disposition, false);
	jsonw_kv_str(&w, "dkim", rec->dkim, false);
	jsonw_kv_str(&w, "spf", rec->spf, false);
	jsonw_kv_str(&w, "header_from", rec->header_from, false);
	jsonw_kv_str(&w, "envelope_from", rec->envelope_from, false);
	jsonw_kv_str(&w, "envelope_to", rec->envelope_to, false);
	jsonw_key(&w, "reasons", false);
	jsonw_raw(&w, "[");
	for (size_t i = 0; i < rec->n_reasons; i++) {
		jsonw_raw(&w, i > 0 ? ",{" : "{");
		jsonw_kv_str(&w, "type", rec->reasons[i].type, true);
		jsonw_kv_str(&w, "comment", rec->reasons[i].comment, false);
		jsonw_raw(&w, "}");
	}
	jsonw_raw(&w, "]");
	dmarc_auth(&w, rec);
	record_flags(&w, rec->flags);
	jsonw_raw(&w, "}}");
	return jsonw_finish(&w, err);
}

static void
tls_failure(struct jsonw *w, const struct tls_failure *f)
{
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "result_type", f->result_type, true);
	jsonw_kv_str(w, "sending_mta_ip", f->sending_mta_ip, false);
	jsonw_kv_str(w, "receiving_mx_hostname", f->receiving_mx_hostname,
	    false);
	jsonw_kv_str(w, "receiving_mx_helo", f->receiving_mx_helo, false);
	jsonw_kv_str(w, "receiving_ip", f->receiving_ip, false);
	jsonw_kv_str(w, "additional_information", f->additional_information,
	    false);
	jsonw_kv_str(w, "failure_reason_code", f->failure_reason_code, false);
	jsonw_kv_int(w, "failed_session_count", f->failed_session_count,
	    false, false);
	jsonw_raw(w, "}");
}

int
output_tls_policy_json(struct buf *b, const struct tls_policy *p,
    struct err *err)
{
	struct jsonw w;

	jsonw_init(&w, b);
	jsonw_raw(&w, "{\"record\":{");
	jsonw_kv_str(&w, "policy_type", p->policy_type, true);
	jsonw_kv_str(&w, "policy_domain", p->policy_domain, false);
	str_array(&w, "policy_strings", p->policy_strings,
	    p->n_policy_strings);
	str_array(&w, "mx_hosts", p->mx_hosts, p->n_mx_hosts);
	jsonw_kv_int(&w, "successful", p->successful, false, false);
	jsonw_kv_int(&w, "failed", p->failed, false, false);
	jsonw_key(&w, "failure_details", false);
	jsonw_raw(&w, "[");
	for (size_t i = 0; i < p->n_failures; i++) {
		if (i > 0)
			jsonw_raw(&w, ",");
		tls_failure(&w, &p->failures[i]);
	}
	jsonw_raw(&w, "]}}");
	return jsonw_finish(&w, err);
}

int
output_parse_format(const char *cmd, const char *arg, unsigned mask,
    enum table_format *out, struct err *err)
{
	static const char *const names[] = { [TABLE_TEXT] = "text",
		[TABLE_JSON] = "json", [TABLE_CSV] = "csv" };
	const char *list[3];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		if (strcmp(arg, names[i]) == 0) {
			*out = (enum table_format)i;
			return 0;
		}
		list[n++] = names[i];
	}
	assert(n > 0);
	if (n == 1)
		return err_set(err, ERR_USAGE, "--format '%s': %s prints %s",
		    arg, cmd, list[0]);
	if (n == 2)
		return err_set(err, ERR_USAGE, "--format '%s': %s prints %s "
		    "or %s", arg, cmd, list[0], list[1]);
	return err_set(err, ERR_USAGE, "--format '%s': %s prints %s, %s or "
	    "%s", arg, cmd, list[0], list[1], list[2]);
}
