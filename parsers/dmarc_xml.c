#include "parsers/dmarc_xml.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "model/normalize.h"
#include "parsers/xmlclean.h"

enum { XML_CHUNK = 65536 };

/* where an element sits: what may appear inside it */
enum ctx {
	C_ROOT, C_FEEDBACK, C_METADATA, C_DATE_RANGE, C_POLICY, C_RECORD,
	C_ROW, C_EVAL, C_REASON, C_IDENT, C_AUTH, C_DKIM, C_SPF,
	C_LEAF,		/* a value element: its text is collected */
	C_SKIP,		/* an extension or unknown element, skipped whole */
};

/* the value elements */
enum field {
	F_NONE, F_VERSION,
	F_ORG, F_EMAIL, F_EXTRA, F_REPORT_ID, F_ERROR, F_GENERATOR,
	F_BEGIN, F_END,
	F_P_DOMAIN, F_P_ADKIM, F_P_ASPF, F_P_P, F_P_SP, F_P_NP, F_P_PCT,
	F_P_FO, F_P_TESTING, F_P_DISCOVERY,
	F_SOURCE_IP, F_COUNT, F_DISPOSITION, F_EVAL_DKIM, F_EVAL_SPF,
	F_REASON_TYPE, F_REASON_COMMENT,
	F_HEADER_FROM, F_ENVELOPE_FROM, F_ENVELOPE_TO,
	F_DKIM_DOMAIN, F_DKIM_SELECTOR, F_DKIM_RESULT, F_DKIM_HUMAN,
	F_SPF_DOMAIN, F_SPF_SCOPE, F_SPF_RESULT, F_SPF_HUMAN,
};

struct rule {
	enum ctx parent;
	const char *name;
	enum ctx child;
	enum field field;
};

/* RFC 7489 appendix C and RFC 9990 section 3, plus names seen in the
 * field ("identities" for "identifiers", junc.org) */
static const struct rule rules[] = {
	{ C_ROOT, "feedback", C_FEEDBACK, F_NONE },
	{ C_FEEDBACK, "version", C_LEAF, F_VERSION },
	{ C_FEEDBACK, "report_metadata", C_METADATA, F_NONE },
	{ C_FEEDBACK, "policy_published", C_POLICY, F_NONE },
	{ C_FEEDBACK, "record", C_RECORD, F_NONE },
	{ C_METADATA, "org_name", C_LEAF, F_ORG },
	{ C_METADATA, "email", C_LEAF, F_EMAIL },
	{ C_METADATA, "extra_contact_info", C_LEAF, F_EXTRA },
	{ C_METADATA, "report_id", C_LEAF, F_REPORT_ID },
	{ C_METADATA, "error", C_LEAF, F_ERROR },
	{ C_METADATA, "generator", C_LEAF, F_GENERATOR },
	{ C_METADATA, "date_range", C_DATE_RANGE, F_NONE },
	{ C_DATE_RANGE, "begin", C_LEAF, F_BEGIN },
	{ C_DATE_RANGE, "end", C_LEAF, F_END },
	{ C_POLICY, "domain", C_LEAF, F_P_DOMAIN },
	{ C_POLICY, "adkim", C_LEAF, F_P_ADKIM },
	{ C_POLICY, "aspf", C_LEAF, F_P_ASPF },
	{ C_POLICY, "p", C_LEAF, F_P_P },
	{ C_POLICY, "sp", C_LEAF, F_P_SP },
	{ C_POLICY, "np", C_LEAF, F_P_NP },
	{ C_POLICY, "pct", C_LEAF, F_P_PCT },
	{ C_POLICY, "fo", C_LEAF, F_P_FO },
	{ C_POLICY, "testing", C_LEAF, F_P_TESTING },
	{ C_POLICY, "discovery_method", C_LEAF, F_P_DISCOVERY },
	{ C_RECORD, "row", C_ROW, F_NONE },
	{ C_RECORD, "identifiers", C_IDENT, F_NONE },
	{ C_RECORD, "identities", C_IDENT, F_NONE },
	{ C_RECORD, "auth_results", C_AUTH, F_NONE },
	{ C_ROW, "source_ip", C_LEAF, F_SOURCE_IP },
	{ C_ROW, "count", C_LEAF, F_COUNT },
	{ C_ROW, "policy_evaluated", C_EVAL, F_NONE },
	{ C_EVAL, "disposition", C_LEAF, F_DISPOSITION },
	{ C_EVAL, "dkim", C_LEAF, F_EVAL_DKIM },
	{ C_EVAL, "spf", C_LEAF, F_EVAL_SPF },
	{ C_EVAL, "reason", C_REASON, F_NONE },
	{ C_REASON, "type", C_LEAF, F_REASON_TYPE },
	{ C_REASON, "comment", C_LEAF, F_REASON_COMMENT },
	{ C_IDENT, "header_from", C_LEAF, F_HEADER_FROM },
	{ C_IDENT, "envelope_from", C_LEAF, F_ENVELOPE_FROM },
	{ C_IDENT, "envelope_to", C_LEAF, F_ENVELOPE_TO },
	{ C_AUTH, "dkim", C_DKIM, F_NONE },
	{ C_AUTH, "spf", C_SPF, F_NONE },
	{ C_DKIM, "domain", C_LEAF, F_DKIM_DOMAIN },
	{ C_DKIM, "selector", C_LEAF, F_DKIM_SELECTOR },
	{ C_DKIM, "result", C_LEAF, F_DKIM_RESULT },
	{ C_DKIM, "human_result", C_LEAF, F_DKIM_HUMAN },
	{ C_SPF, "domain", C_LEAF, F_SPF_DOMAIN },
	{ C_SPF, "scope", C_LEAF, F_SPF_SCOPE },
	{ C_SPF, "result", C_LEAF, F_SPF_RESULT },
	{ C_SPF, "human_result", C_LEAF, F_SPF_HUMAN },
};

struct frame {
	enum ctx ctx;
	enum field field;
};

/* where the reading of a document stands */
enum px_status {
	STATUS_GOING = 0,
	STATUS_FAILED,		/* err set */
	STATUS_OTHER,		/* XML, but not a DMARC report */
	STATUS_KNOWN,		/* the sink knows the report: stop reading */
};

struct px {
	const struct report_env *env;
	xmlParserCtxtPtr ctxt;
	struct err *err;
	enum px_status status;

	struct frame *stack;
	unsigned depth;
	struct buf text;	/* text of the current value element */

	struct report r;
	struct arena report_arena;	/* header strings and notes */
	bool is_header_sent;
	bool has_metadata, has_policy, has_begin, has_end;
	bool in_dup;		/* inside a repeated block being ignored */

	struct dmarc_record rec;
	struct arena rec_arena;		/* strings of the current record */
	struct dmarc_reason *reasons;
	struct dmarc_dkim *dkims;
	struct dmarc_spf *spfs;
	size_t cap_reasons, cap_dkims, cap_spfs;
	struct dmarc_reason cur_reason;
	struct dmarc_dkim cur_dkim;
	struct dmarc_spf cur_spf;
	bool has_count, has_source_ip;
	char ipbuf[64];
};

static int
fail(struct px *x, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct px *x, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	char msg[sizeof(x->err->msg)];

	if (x->status != STATUS_GOING)
		return -1;
	x->status = STATUS_FAILED;
	/* the arguments may point into x->err itself: format aside first */
	va_start(ap, fmt);
	str_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->err->code = code;
	memcpy(x->err->msg, msg, sizeof(msg));
	xmlStopParser(x->ctxt);
	return -1;
}

static const char *
record_label(struct px *x, char *out, size_t n)
{
	snprintf(out, n, "record %llu", (unsigned long long)x->r.records + 1);
	return out;
}

/* normalize an enumeration; unknown values stay as sent and are flagged */
static const char *
enum_value(struct px *x, enum norm_kind kind, char *s, unsigned flag)
{
	const char *out;

	switch (norm_enum(kind, s, &out)) {
	case NORM_ALIAS:
		/* s is the trimmed, lower-cased spelling that was sent */
		report_note(&x->r, &x->report_arena, "%s '%s' read as '%s'",
		    norm_kind_name(kind), s, out);
		break;
	case NORM_UNKNOWN:
		x->rec.flags |= flag;
		report_note(&x->r, &x->report_arena,
		    "unknown %s '%s' kept as sent", norm_kind_name(kind), out);
		out = arena_strdup(flag ? &x->rec_arena : &x->report_arena,
		    out);
		break;
	case NORM_OK:
	case NORM_EMPTY:
		break;
	}
	return out;
}

static const char *
rec_str(struct px *x, char *s)
{
	s = str_trim(s);
	return *s == '\0' ? NULL : arena_strdup(&x->rec_arena, s);
}

/* a domain in its stored spelling; one that is not valid IDNA fails the
 * report (what names the element) */
static const char *
domain_value(struct px *x, struct arena *a, const char *s, const char *what)
{
	const char *d;
	char label[32];

	if (norm_domain(a, s, &d, what, x->err) == -1) {
		if (a == &x->rec_arena)
			fail(x, ERR_PARSE, "%s: %s", record_label(x, label,
			    sizeof(label)), x->err->msg);
		else
			fail(x, ERR_PARSE, "%s", x->err->msg);
		return NULL;
	}
	return d;
}

static const char *
rec_domain(struct px *x, char *s, const char *what)
{
	const char *d = domain_value(x, &x->rec_arena, s, what);

	return d == NULL || *d == '\0' ? NULL : d;
}

/* header values: the first one counts, empty ones are kept as "" */
static void
set_header(struct px *x, const char **slot, char *s, bool is_domain)
{
	if (*slot != NULL) {
		report_note(&x->r, &x->report_arena,
		    "repeated element ignored");
		return;
	}
	if (is_domain)
		*slot = domain_value(x, &x->report_arena, s,
		    "policy_published domain");
	else
		*slot = arena_strdup(&x->report_arena, str_trim(s));
}

static void
set_metadata(struct px *x, enum field f, char *s)
{
	struct report *r = &x->r;
	struct report_policy *p = &r->policy;
	long pct;
	struct err e;

	switch (f) {
	case F_VERSION: set_header(x, &r->version, s, false); break;
	case F_ORG: set_header(x, &r->org_name, s, false); break;
	case F_EMAIL: set_header(x, &r->email, s, false); break;
	case F_EXTRA: set_header(x, &r->extra_contact_info, s, false); break;
	case F_REPORT_ID: set_header(x, &r->report_id, s, false); break;
	case F_ERROR: set_header(x, &r->error, s, false); break;
	case F_GENERATOR:
		set_header(x, &r->generator, s, false);
		r->is_rfc9990 = true;
		break;
	case F_BEGIN:
		if (!x->has_begin && norm_epoch(s, &r->begin,
		    "date_range begin", x->err) == -1)
			fail(x, ERR_PARSE, "%s", x->err->msg);
		x->has_begin = true;
		break;
	case F_END:
		if (!x->has_end && norm_epoch(s, &r->end, "date_range end",
		    x->err) == -1)
			fail(x, ERR_PARSE, "%s", x->err->msg);
		x->has_end = true;
		break;
	case F_P_DOMAIN: set_header(x, &p->domain, s, true); break;
	case F_P_ADKIM: p->adkim = enum_value(x, NORM_ALIGNMENT, s, 0); break;
	case F_P_ASPF: p->aspf = enum_value(x, NORM_ALIGNMENT, s, 0); break;
	case F_P_P: p->p = enum_value(x, NORM_POLICY, s, 0); break;
	case F_P_SP: p->sp = enum_value(x, NORM_POLICY, s, 0); break;
	case F_P_NP:
		p->np = enum_value(x, NORM_POLICY, s, 0);
		r->is_rfc9990 = true;
		break;
	case F_P_TESTING:
		p->testing = enum_value(x, NORM_TESTING, s, 0);
		r->is_rfc9990 = true;
		break;
	case F_P_DISCOVERY:
		p->discovery_method = enum_value(x, NORM_DISCOVERY, s, 0);
		r->is_rfc9990 = true;
		break;
	case F_P_FO:
		s = str_trim(s);
		p->fo = *s ? arena_strdup(&x->report_arena, s) : NULL;
		break;
	case F_P_PCT:
		if (str_blank(s))
			break;
		if (str_to_long(s, 0, 100, &pct, "pct", &e) == -1)
			report_note(&x->r, &x->report_arena, "%s: ignored",
			    e.msg);
		else
			p->pct = (int)pct;
		break;
	default:
		break;
	}
}

/* a repeated <count> must say the same thing, or the record is unknown */
static void
set_count(struct px *x, char *s)
{
	char label[32];
	int64_t count;

	if (norm_count(s, x->env->lim->max_count, &count, "count",
	    x->err) == -1) {
		fail(x, x->err->code, "%s: %s", record_label(x, label,
		    sizeof(label)), x->err->msg);
		return;
	}
	if (x->has_count && count != x->rec.count) {
		fail(x, ERR_PARSE, "%s has two <count> values, %lld and %lld",
		    record_label(x, label, sizeof(label)),
		    (long long)x->rec.count, (long long)count);
		return;
	}
	if (x->has_count)
		report_note(&x->r, &x->report_arena,
		    "repeated <count> with the same value");
	x->rec.count = count;
	x->has_count = true;
}

static void
set_record(struct px *x, enum field f, char *s)
{
	struct dmarc_record *rec = &x->rec;

	switch (f) {
	case F_SOURCE_IP:
		x->has_source_ip = true;
		rec->ip_family = norm_ip(s, x->ipbuf, sizeof(x->ipbuf));
		if (rec->ip_family != 0) {
			rec->source_ip = arena_strdup(&x->rec_arena, x->ipbuf);
		} else {
			rec->source_ip = rec_str(x, s);
			rec->flags |= REC_BAD_SOURCE_IP;
			report_note(&x->r, &x->report_arena,
			    "source_ip '%.*s' is not an IP address",
			    STR_CUT(rec->source_ip ? rec->source_ip : "", 45));
		}
		break;
	case F_COUNT:
		set_count(x, s);
		break;
	case F_DISPOSITION:
		rec->disposition = enum_value(x, NORM_DISPOSITION, s,
		    REC_UNKNOWN_DISPOSITION);
		break;
	case F_EVAL_DKIM:
		rec->dkim = enum_value(x, NORM_VERDICT, s, REC_UNKNOWN_DKIM);
		break;
	case F_EVAL_SPF:
		rec->spf = enum_value(x, NORM_VERDICT, s, REC_UNKNOWN_SPF);
		break;
	case F_REASON_TYPE:
		x->cur_reason.type = enum_value(x, NORM_REASON, s,
		    REC_UNKNOWN_REASON);
		break;
	case F_REASON_COMMENT: x->cur_reason.comment = rec_str(x, s); break;
	case F_HEADER_FROM:
		rec->header_from = rec_domain(x, s, "header_from");
		break;
	case F_ENVELOPE_FROM:
		/* present but empty means a null reverse-path (RFC 9990) */
		rec->envelope_from = domain_value(x, &x->rec_arena, s,
		    "envelope_from");
		break;
	case F_ENVELOPE_TO:
		rec->envelope_to = rec_domain(x, s, "envelope_to");
		break;
	case F_DKIM_DOMAIN:
		x->cur_dkim.domain = rec_domain(x, s, "dkim domain");
		break;
	case F_DKIM_SELECTOR: x->cur_dkim.selector = rec_str(x, s); break;
	case F_DKIM_RESULT:
		x->cur_dkim.result = enum_value(x, NORM_DKIM_RESULT, s,
		    REC_UNKNOWN_RESULT);
		break;
	case F_DKIM_HUMAN: x->cur_dkim.human_result = rec_str(x, s); break;
	case F_SPF_DOMAIN:
		x->cur_spf.domain = rec_domain(x, s, "spf domain");
		break;
	case F_SPF_SCOPE:
		x->cur_spf.scope = enum_value(x, NORM_SPF_SCOPE, s,
		    REC_UNKNOWN_RESULT);
		break;
	case F_SPF_RESULT:
		x->cur_spf.result = enum_value(x, NORM_SPF_RESULT, s,
		    REC_UNKNOWN_RESULT);
		break;
	case F_SPF_HUMAN: x->cur_spf.human_result = rec_str(x, s); break;
	default:
		set_metadata(x, f, s);
		break;
	}
}

static int
send_header(struct px *x)
{
	const struct report_sink *sink = x->env->sink;
	struct report *r = &x->r;
	int rc;

	if (x->is_header_sent)
		return 0;
	if (!x->has_metadata)
		return fail(x, ERR_PARSE, "no <report_metadata>");
	if (r->report_id == NULL || *r->report_id == '\0')
		return fail(x, ERR_PARSE,
		    "no <report_id> in <report_metadata>");
	if (!x->has_begin || !x->has_end)
		return fail(x, ERR_PARSE, "no <date_range> begin and end");
	if (!x->has_policy || r->policy.domain == NULL ||
	    *r->policy.domain == '\0')
		return fail(x, ERR_PARSE, "no <policy_published> domain");
	if (r->end < r->begin)
		report_note(&x->r, &x->report_arena,
		    "date_range ends before it begins");
	if (r->org_name == NULL)
		report_note(&x->r, &x->report_arena, "no org_name");
	r->domain = r->policy.domain;
	x->is_header_sent = true;
	rc = sink->on_header != NULL ? sink->on_header(sink->ctx, r, x->err) :
	    0;
	if (rc == -1)
		return fail(x, x->err->code, "%s", x->err->msg);
	/* known already: the rest of the document changes nothing */
	if (rc == 1) {
		x->status = STATUS_KNOWN;
		xmlStopParser(x->ctxt);
	}
	return 0;
}

#define PUSH(x, arr, n, cap, item)                                        \
	do {                                                              \
		if ((n) == (cap)) {                                       \
			(cap) = (cap) ? (cap) * 2 : 4;                    \
			(arr) = xreallocarray((arr), (cap), sizeof(*(arr))); \
		}                                                         \
		(arr)[(n)++] = (item);                                    \
	} while (0)

/* a results array passed its cap: a hostile or broken record */
static int
results_cap(struct px *x, size_t n)
{
	char label[32];

	if (n < x->env->lim->max_results)
		return 0;
	return fail(x, ERR_LIMIT, "%s has more than %u auth results or "
	    "reasons", record_label(x, label, sizeof(label)),
	    x->env->lim->max_results);
}

static void
end_reason(struct px *x)
{
	char *bare = str_trim(x->text.data);

	/* <reason>sampled_out</reason>: the type as bare text (rspamd) */
	if (x->cur_reason.type == NULL && *bare != '\0')
		x->cur_reason.type = enum_value(x, NORM_REASON, bare,
		    REC_UNKNOWN_REASON);
	if (x->cur_reason.type == NULL && x->cur_reason.comment == NULL)
		report_note(&x->r, &x->report_arena, "empty <reason> ignored");
	else if (results_cap(x, x->rec.n_reasons) == 0)
		PUSH(x, x->reasons, x->rec.n_reasons, x->cap_reasons,
		    x->cur_reason);
	memset(&x->cur_reason, 0, sizeof(x->cur_reason));
}

static void
end_record(struct px *x)
{
	const struct report_sink *sink = x->env->sink;
	struct dmarc_record *rec = &x->rec;
	char label[32];
	int rc;

	if (!x->has_count) {
		fail(x, ERR_PARSE, "%s has no <count>",
		    record_label(x, label, sizeof(label)));
		return;
	}
	if (!x->has_source_ip) {
		rec->flags |= REC_BAD_SOURCE_IP;
		report_note(&x->r, &x->report_arena,
		    "record without source_ip");
	}
	if (x->r.records >= x->env->lim->max_records) {
		fail(x, ERR_LIMIT, "report has more than %llu records",
		    (unsigned long long)x->env->lim->max_records);
		return;
	}
	rec->reasons = x->reasons;
	rec->dkim_results = x->dkims;
	rec->spf_results = x->spfs;
	rc = sink->on_dmarc_record != NULL ?
	    sink->on_dmarc_record(sink->ctx, &x->r, rec, x->err) : 0;
	if (rc == -1) {
		fail(x, x->err->code, "%s", x->err->msg);
		return;
	}
	x->r.records++;
	x->r.messages += (uint64_t)rec->count;
	/* known already (told after some records): read no further */
	if (rc == 1) {
		x->status = STATUS_KNOWN;
		xmlStopParser(x->ctxt);
	}
}

static void
start_record(struct px *x)
{
	arena_reset(&x->rec_arena);
	memset(&x->rec, 0, sizeof(x->rec));
	x->rec.count = 0;
	x->has_count = false;
	x->has_source_ip = false;
	send_header(x);
}

/* the rules are grouped by parent: index each group once */
static const struct rule *
find_rule(enum ctx parent, const char *name)
{
	static size_t first[C_SKIP + 1], count[C_SKIP + 1];
	static bool is_indexed;

	if (!is_indexed) {
		for (size_t i = sizeof(rules) / sizeof(rules[0]); i-- > 0;) {
			first[rules[i].parent] = i;
			count[rules[i].parent]++;
		}
		is_indexed = true;
	}
	for (size_t i = first[parent]; i < first[parent] + count[parent]; i++)
		if (rules[i].name[0] == name[0] &&
		    strcmp(rules[i].name, name) == 0)
			return &rules[i];
	return NULL;
}

/* entering a container: repeated blocks and per-item state */
static enum ctx
enter(struct px *x, enum ctx c)
{
	switch (c) {
	case C_METADATA:
		if (x->has_metadata) {
			report_note(&x->r, &x->report_arena,
			    "repeated <report_metadata> ignored");
			return C_SKIP;
		}
		x->has_metadata = true;
		break;
	case C_POLICY:
		if (x->has_policy) {
			report_note(&x->r, &x->report_arena,
			    "repeated <policy_published> ignored");
			return C_SKIP;
		}
		x->has_policy = true;
		x->r.policy.pct = -1;
		break;
	case C_RECORD:
		start_record(x);
		break;
	case C_REASON:
		buf_reset(&x->text);
		break;
	default:
		break;
	}
	return c;
}

static void
leave(struct px *x, const struct frame *f)
{
	switch (f->ctx) {
	case C_LEAF:
		set_record(x, f->field, x->text.data);
		buf_reset(&x->text);
		break;
	case C_REASON:
		end_reason(x);
		buf_reset(&x->text);
		break;
	case C_DKIM:
		if (results_cap(x, x->rec.n_dkim) == 0)
			PUSH(x, x->dkims, x->rec.n_dkim, x->cap_dkims,
			    x->cur_dkim);
		memset(&x->cur_dkim, 0, sizeof(x->cur_dkim));
		break;
	case C_SPF:
		if (results_cap(x, x->rec.n_spf) == 0)
			PUSH(x, x->spfs, x->rec.n_spf, x->cap_spfs, x->cur_spf);
		memset(&x->cur_spf, 0, sizeof(x->cur_spf));
		break;
	case C_RECORD:
		end_record(x);
		break;
	case C_FEEDBACK:
		send_header(x);
		break;
	default:
		break;
	}
}

/* the DMARC namespaces: elements in them are core, in others extensions */
static const char *const dmarc_ns[] = { "urn:ietf:params:xml:ns:dmarc-2.0",
	"http://dmarc.org/dmarc-xml/0.1", "http://dmarc.org/dmarc-xml/0.2",
	NULL };

static bool
is_extension(const struct px *x, const char *uri)
{
	if (uri == NULL || (x->r.xmlns && strcmp(uri, x->r.xmlns) == 0))
		return false;
	for (const char *const *ns = dmarc_ns; *ns != NULL; ns++)
		if (strcmp(uri, *ns) == 0)
			return false;
	return true;
}

static enum ctx
child_ctx(struct px *x, const struct frame *top, const char *name,
    const char *uri, enum field *field)
{
	const struct rule *rule;

	*field = F_NONE;
	if (top->ctx == C_SKIP || top->ctx == C_LEAF)
		return C_SKIP;
	if (is_extension(x, uri))
		return C_SKIP;
	rule = find_rule(top->ctx, name);
	if (rule == NULL) {
		report_note(&x->r, &x->report_arena,
		    "unknown element <%.*s> ignored", STR_CUT(name, 40));
		return C_SKIP;
	}
	*field = rule->field;
	return enter(x, rule->child);
}

static void
sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nb_ns, const xmlChar **ns, int nb_attr,
    int nb_def, const xmlChar **attrs)
{
	struct px *x = ctx;
	const char *name = (const char *)localname;
	struct frame f = { C_SKIP, F_NONE };

	(void)prefix, (void)nb_ns, (void)ns, (void)nb_attr, (void)nb_def;
	(void)attrs;
	if (x->status != STATUS_GOING)
		return;
	if (x->depth >= x->env->lim->max_depth) {
		fail(x, ERR_LIMIT, "elements nested deeper than %u",
		    x->env->lim->max_depth);
		return;
	}
	if (x->depth == 0) {
		if (strcmp(name, "feedback") != 0) {
			x->status = STATUS_OTHER;
			xmlStopParser(x->ctxt);
			return;
		}
		if (uri != NULL) {
			x->r.xmlns = arena_strdup(&x->report_arena,
			    (const char *)uri);
			if (strcmp(x->r.xmlns, dmarc_ns[0]) == 0)
				x->r.is_rfc9990 = true;
		}
		f.ctx = C_FEEDBACK;
	} else {
		f.ctx = child_ctx(x, &x->stack[x->depth - 1], name,
		    (const char *)uri, &f.field);
		if (f.ctx == C_LEAF)
			buf_reset(&x->text);
	}
	x->stack[x->depth++] = f;
}

static void
sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct px *x = ctx;

	(void)localname, (void)prefix, (void)uri;
	if (x->status != STATUS_GOING || x->depth == 0)
		return;
	x->depth--;
	leave(x, &x->stack[x->depth]);
}

static void
sax_text(void *ctx, const xmlChar *ch, int len)
{
	struct px *x = ctx;
	enum ctx top;

	if (x->status != STATUS_GOING || x->depth == 0)
		return;
	top = x->stack[x->depth - 1].ctx;
	if (top != C_LEAF && top != C_REASON)
		return;
	if (buf_add(&x->text, ch, (size_t)len, x->err) == -1)
		fail(x, ERR_LIMIT, "text of an element exceeds the %zu-byte "
		    "limit", x->env->lim->max_text);
}

static void
sax_dtd(void *ctx, const xmlChar *name, const xmlChar *ext_id,
    const xmlChar *sys_id)
{
	(void)name, (void)ext_id, (void)sys_id;
	fail(ctx, ERR_PARSE, "document type declarations are not allowed "
	    "in reports (no entities, no external files)");
}

static void
sax_error(void *ctx, xmlErrorPtr e)
{
	struct px *x = ctx;
	char msg[256];

	if (e == NULL || e->level < XML_ERR_FATAL)
		return;
	str_format(msg, sizeof(msg), "%s", e->message ? e->message : "error");
	fail(x, ERR_PARSE, "line %d: %s", e->line, str_trim(msg));
}

static void
sax_init(xmlSAXHandler *sax)
{
	memset(sax, 0, sizeof(*sax));
	sax->initialized = XML_SAX2_MAGIC;
	sax->startElementNs = sax_start;
	sax->endElementNs = sax_end;
	sax->characters = sax_text;
	sax->cdataBlock = sax_text;
	sax->internalSubset = sax_dtd;
	sax->externalSubset = sax_dtd;
	sax->serror = sax_error;
}

/* the element names of the rule table: a close tag that lost its '<'
 * is repaired only for one of them */
static bool
is_element_name(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strlen(rules[i].name) == n &&
		    memcmp(rules[i].name, s, n) == 0)
			return true;
	return false;
}

/* what the cleaner changed, as notes: the byte count first, then each
 * kind of repair */
static void
clean_notes(struct px *x, const uint64_t *fixed)
{
	if (fixed[XMLCLEAN_BYTES] > 0)
		report_note(&x->r, &x->report_arena, "%llu %s",
		    (unsigned long long)fixed[XMLCLEAN_BYTES],
		    xmlclean_note(XMLCLEAN_BYTES));
	for (int k = XMLCLEAN_BYTES + 1; k < XMLCLEAN_KINDS; k++)
		if (fixed[k] > 0)
			report_note(&x->r, &x->report_arena, "%s (%llu)",
			    xmlclean_note((enum xmlclean_fix)k),
			    (unsigned long long)fixed[k]);
}

static void
px_init(struct px *x, const struct report_env *env, struct err *err)
{
	memset(x, 0, sizeof(*x));
	x->env = env;
	x->err = err;
	x->stack = xcalloc(env->lim->max_depth + 1, sizeof(*x->stack));
	buf_init(&x->text, env->lim->max_text);
	/* allocate now: value handlers trim the text in place */
	buf_add(&x->text, "", 0, err);
	arena_init(&x->report_arena);
	arena_init(&x->rec_arena);
	x->r.kind = REPORT_DMARC;
	x->r.input = env->input;
	x->r.location = env->location;
	x->r.policy.pct = -1;
}

static void
px_release(struct px *x)
{
	if (x->ctxt != NULL)
		xmlFreeParserCtxt(x->ctxt);
	free(x->stack);
	buf_release(&x->text);
	arena_release(&x->report_arena);
	arena_release(&x->rec_arena);
	free(x->reasons);
	free(x->dkims);
	free(x->spfs);
}

/* libxml2 prints some errors through its generic channel: silence it */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

/* feed the document to libxml2 chunk by chunk; memory stays flat */
static int
feed(struct px *x, struct stream *in, unsigned char *chunk)
{
	xmlSAXHandler sax;
	ssize_t got;

	sax_init(&sax);
	xmlSetGenericErrorFunc(NULL, quiet);
	got = stream_read(in, chunk, XML_CHUNK, x->err);
	if (got == -1)
		return -1;
	/* the first bytes alone: libxml2 detects the encoding from them */
	x->ctxt = xmlCreatePushParserCtxt(&sax, x, (const char *)chunk,
	    (int)(got < 4 ? got : 4), NULL);
	if (x->ctxt == NULL)
		return err_set(x->err, ERR_PARSE, "cannot start XML parser");
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET);
	if (got > 4)
		xmlParseChunk(x->ctxt, (const char *)chunk + 4, (int)(got - 4),
		    0);
	while (x->status == STATUS_GOING && got > 0) {
		got = stream_read(in, chunk, XML_CHUNK, x->err);
		if (got == -1)
			return fail(x, x->err->code, "%s", x->err->msg);
		xmlParseChunk(x->ctxt, (const char *)chunk, (int)got,
		    got == 0);
	}
	if (x->status != STATUS_GOING)
		return x->status == STATUS_FAILED ? -1 : 0;
	if (x->depth == 0 && !x->is_header_sent && x->r.records == 0 &&
	    x->stack[0].ctx != C_FEEDBACK)
		return err_set(x->err, ERR_PARSE, "no XML element found");
	/*
	 * libxml2 2.9 stops at bytes its encoding converter rejects without
	 * a fatal error and leaves wellFormed set: an element still open at
	 * the end is then the only trace of a document cut short.
	 */
	if (x->depth != 0)
		return err_set(x->err, ERR_PARSE, "XML document ends inside "
		    "<feedback>: truncated or not valid in its encoding");
	if (!x->ctxt->wellFormed)
		return err_set(x->err, ERR_PARSE, "XML is not well-formed");
	return 0;
}

int
dmarc_xml_parse(struct stream *in, const struct report_env *env,
    struct err *err)
{
	const struct report_sink *sink = env->sink;
	unsigned char *chunk = xmalloc(XML_CHUNK);
	uint64_t fixed[XMLCLEAN_KINDS];
	struct stream *clean = in;
	struct px x;
	int ret = -1;

	px_init(&x, env, err);
	if (xmlclean_push(&clean, is_element_name, fixed, err) == -1) {
		clean = NULL;
		goto out;
	}
	if (feed(&x, clean, chunk) == -1)
		goto out;
	if (x.status == STATUS_OTHER) {
		ret = 0;
		goto out;
	}
	clean_notes(&x, fixed);
	if (sink->on_end != NULL && sink->on_end(sink->ctx, &x.r, err) == -1)
		goto out;
	ret = 1;
out:
	if (ret == -1 && x.is_header_sent && sink->on_abort != NULL)
		sink->on_abort(sink->ctx, &x.r);
	px_release(&x);
	stream_free(clean);
	free(chunk);
	return ret;
}
