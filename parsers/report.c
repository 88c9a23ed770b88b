#include "parsers/report.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "parsers/arf.h"
#include "parsers/decomp.h"
#include "parsers/dmarc_xml.h"
#include "parsers/mail.h"
#include "parsers/tlsrpt_json.h"

void
report_limits_default(struct report_limits *lim)
{
	lim->max_decompressed = 512ull << 20;
	lim->max_records = 5000000;
	lim->max_count = 1ull << 40;
	lim->max_message = 64u << 20;
	lim->max_json = 64u << 20;
	lim->max_zip = 64u << 20;
	lim->max_text = 64u << 10;
	lim->max_depth = 64;
	lim->max_zip_entries = 64;
	lim->max_nesting = 8;
	lim->max_results = 1000;
}

void
report_note(struct report *r, struct arena *a, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	/* a cut note still says what happened, cut between characters */
	va_start(ap, fmt);
	str_vformat(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->n_notes; i++)
		if (strcmp(r->notes[i], tmp) == 0)
			return;
	if (r->n_notes < REPORT_MAX_NOTES)
		r->notes[r->n_notes++] = arena_strdup(a, tmp);
}

/* one walk over one input */
struct walk {
	const struct report_limits *lim;
	const struct report_sink *user;
	struct report_stats *stats;
	const char *input;
	uint64_t decompressed;
	char why[160];		/* why nothing was found, most specific */
	bool is_why_archive;	/* why speaks of an archive's content */
	char msg_why[240];	/* an archive part of the current message */
	/* the message being walked in a mail input */
	const char *mail_location;
	unsigned mail_nesting;
	unsigned mail_depth;	/* messages inside messages being walked */
	unsigned msg_reports;	/* stats at the start of the message */
	unsigned msg_failures;
	unsigned feedbacks;	/* feedback reports read, this input */
	unsigned msg_feedbacks;	/* at the start of the message */
};

static int walk_stream(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err);

/* tell the user that one part failed: "input: location: why" */
static void
report_failure(struct walk *w, const char *loc, struct err *why)
{
	if (loc != NULL && *loc != '\0')
		err_wrap(why, "%s", loc);
	err_wrap(why, "%s", w->input);
	w->stats->failures++;
	if (w->user->on_failure != NULL)
		w->user->on_failure(w->user->failure_ctx != NULL ?
		    w->user->failure_ctx : w->user->ctx, why);
}

static void
set_why(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_why(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vformat(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

static void
join(char *out, size_t n, const char *a, const char *b)
{
	if (b == NULL || *b == '\0')
		str_format(out, n, "%s", a ? a : "");
	else if (a == NULL || *a == '\0')
		str_format(out, n, "%s", b);
	else
		str_format(out, n, "%s, %s", a, b);
}

static void
env_init(struct report_env *env, struct walk *w, const char *loc,
    unsigned nesting)
{
	env->lim = w->lim;
	env->sink = w->user;
	env->input = w->input;
	env->location = loc;
	env->decompressed = &w->decompressed;
	env->nesting = nesting;
}

/* the first byte after a UTF-8 BOM and white space */
static int
first_char(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && isspace(p[i]))
		i++;
	return i < n ? p[i] : -1;
}

static bool
is_xml(const unsigned char *p, size_t n)
{
	return first_char(p, n) == '<';
}

static bool
is_json(const unsigned char *p, size_t n)
{
	return first_char(p, n) == '{';
}

static int
walk_gzip(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	struct stream *g = NULL;
	int ret;

	decomp_gunzip(&g, s, &w->decompressed, w->lim->max_decompressed);
	ret = walk_stream(w, g, loc, nesting + 1, err);
	if (ret == 0 && w->why[0] != '\0') {
		char tmp[sizeof(w->why)];

		str_format(tmp, sizeof(tmp), "%s", w->why);
		set_why(w, "gzip data holds no report (%s)", tmp);
		w->is_why_archive = true;
	}
	stream_free(g);
	return ret;
}

static int
walk_zip(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	struct zip_reader *z = NULL;
	struct stream *entry;
	const char *name;
	unsigned before = w->stats->reports + w->stats->failures;
	int r, ret = -1;

	if (decomp_zip_open(&z, s, w->lim->max_zip, w->lim->max_zip_entries,
	    &w->decompressed, w->lim->max_decompressed, err) == -1)
		goto out;
	while ((r = decomp_zip_next(z, &entry, &name, err)) == 1) {
		char sub[512], label[300];

		str_format(label, sizeof(label), "entry '%.*s'",
		    (int)str_utf8_cut(name, 256), name);
		join(sub, sizeof(sub), loc, label);
		w->why[0] = '\0';
		if (walk_stream(w, entry, sub, nesting + 1, err) == -1) {
			if (err->code == ERR_LIMIT &&
			    w->decompressed > w->lim->max_decompressed)
				goto out;	/* the whole input is over */
			report_failure(w, sub, err);
		}
	}
	if (r == -1)
		goto out;
	if (w->stats->reports + w->stats->failures == before) {
		set_why(w, "zip archive holds no report");
		w->is_why_archive = true;
	}
	ret = 0;
out:
	decomp_zip_free(z);
	return ret;
}

/*
 * A format parser's answer: 1 a report went to the sink whole (its on_end
 * succeeded), 0 not this format, -1 error.
 */
static int
settle(struct walk *w, int r, const char *what)
{
	if (r == 1)
		w->stats->reports++;
	if (r == 0)
		set_why(w, "%s", what);
	return r == -1 ? -1 : 0;
}

static int
walk_xml(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	struct report_env env;

	env_init(&env, w, loc, nesting);
	return settle(w, dmarc_xml_parse(s, &env, err),
	    "XML document is not a DMARC aggregate report");
}

static int
walk_json(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	struct report_env env;

	env_init(&env, w, loc, nesting);
	return settle(w, tlsrpt_json_parse(s, &env, err),
	    "JSON document is not a TLS report");
}

static void
message_label(char *out, size_t n, struct walk *w, const struct mail_info *i)
{
	char label[32];

	snprintf(label, sizeof(label), "message %u", i->index);
	join(out, n, w->mail_location, i->is_mbox ? label : "");
}

/* a gateway's failure notice in plain text */
static int
walk_notice(struct walk *w, const struct mail_part *part, const char *loc)
{
	struct report_env env;
	struct err why;

	env_init(&env, w, loc, w->mail_nesting + 1);
	if (arf_parse_text(part->data, part->len, part->header,
	    part->header_len, &env, &why) == -1)
		report_failure(w, loc, &why);
	else
		w->stats->reports++;
	return 0;
}

/* a feedback report: a failure report, or another kind (an error) */
static int
mail_feedback(void *ctx, const struct mail_feedback *fb, struct err *err)
{
	struct walk *w = ctx;
	struct arf_input in = { fb->header, fb->header_len, fb->fields,
		fb->fields_len, fb->original, fb->original_len,
		fb->is_headers_only };
	struct report_env env;
	struct err why;
	char sub[600];

	(void)err;
	join(sub, sizeof(sub), w->mail_location, fb->location);
	env_init(&env, w, sub, w->mail_nesting + 1);
	w->feedbacks++;
	w->stats->has_forensic = true;
	if (arf_parse(&in, &env, &why) == -1)
		report_failure(w, sub, &why);
	else
		w->stats->reports++;
	return 0;
}

static int
mail_part(void *ctx, const struct mail_part *part, struct err *err)
{
	struct walk *w = ctx;
	struct stream *s = NULL;
	char sub[600];

	join(sub, sizeof(sub), w->mail_location, part->location);
	/* a feedback report's own text says the same again: not read */
	if (w->user->on_failure_sample != NULL &&
	    w->feedbacks == w->msg_feedbacks &&
	    strcmp(part->content_type, "text/plain") == 0 &&
	    arf_text_sniff(part->data, part->len))
		return walk_notice(w, part, sub);
	stream_new_mem(&s, part->data, part->len, part->location);
	w->why[0] = '\0';
	w->is_why_archive = false;
	if (walk_stream(w, s, sub, w->mail_nesting + 1, err) == -1)
		report_failure(w, sub, err);
	else if (w->is_why_archive)	/* worth saying if nothing else is */
		str_format(w->msg_why, sizeof(w->msg_why), "; %s: %s",
		    part->location, w->why);
	stream_free(s);
	return 0;
}

static int
mail_end(void *ctx, const struct mail_info *info, struct err *err)
{
	struct walk *w = ctx;
	char where[600];
	struct err why;

	(void)err;
	message_label(where, sizeof(where), w, info);
	if (info->is_forensic && w->feedbacks != w->msg_feedbacks) {
		/* said by mail_feedback */
	} else if (info->is_forensic) {
		w->stats->has_forensic = true;
		err_set(&why, ERR_PARSE, "a DMARC failure (forensic) report, "
		    "not an aggregate report: not stored yet");
		report_failure(w, where, &why);
	} else if (w->stats->reports == w->msg_reports &&
	    w->stats->failures == w->msg_failures && w->mail_depth == 1) {
		/* a message inside a message (headers of a failure report, a
		 * forwarded note) fails only as part of the outer one */
		err_set(&why, ERR_PARSE, "no report found in the message "
		    "(parts: %s%s)", info->types ? info->types : "none",
		    w->msg_why);
		report_failure(w, where, &why);
	}
	w->msg_why[0] = '\0';
	w->msg_reports = w->stats->reports;
	w->msg_failures = w->stats->failures;
	w->msg_feedbacks = w->feedbacks;
	return 0;
}

static void
mail_error(void *ctx, const struct mail_info *info, const struct err *e)
{
	struct walk *w = ctx;
	char where[600];
	struct err why = *e;

	message_label(where, sizeof(where), w, info);
	report_failure(w, where, &why);
	w->msg_reports = w->stats->reports;
	w->msg_failures = w->stats->failures;
	w->msg_feedbacks = w->feedbacks;
}

static int
walk_mail(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	struct mail_walker mw = { w, mail_part, mail_end, mail_error,
		w->user->on_failure_sample != NULL ? mail_feedback : NULL };
	const char *saved_loc = w->mail_location;
	unsigned saved_nesting = w->mail_nesting;
	/* a message inside a message: the outer one's count goes on after */
	unsigned saved_reports = w->msg_reports;
	unsigned saved_failures = w->msg_failures;
	unsigned saved_feedbacks = w->msg_feedbacks;
	unsigned before = w->stats->reports + w->stats->failures;
	int ret;

	w->mail_location = loc;
	w->mail_nesting = nesting;
	w->mail_depth++;
	w->msg_reports = w->stats->reports;
	w->msg_failures = w->stats->failures;
	w->msg_feedbacks = w->feedbacks;
	ret = mail_walk(s, w->lim->max_message, &mw, err);
	w->mail_depth--;
	w->mail_location = saved_loc;
	w->mail_nesting = saved_nesting;
	if (w->mail_depth > 0) {
		w->msg_reports = saved_reports;
		w->msg_failures = saved_failures;
		w->msg_feedbacks = saved_feedbacks;
	}
	if (ret == 0 && w->stats->reports + w->stats->failures == before)
		set_why(w, "no report in the message");
	return ret;
}

static const struct format {
	const char *name;
	bool (*detect)(const unsigned char *p, size_t n);
	int (*walk)(struct walk *w, struct stream *s, const char *loc,
	    unsigned nesting, struct err *err);
} formats[] = {
	{ "gzip", decomp_is_gzip, walk_gzip },
	{ "zip", decomp_is_zip, walk_zip },
	{ "xml", is_xml, walk_xml },
	{ "json", is_json, walk_json },
	{ "mail", mail_sniff, walk_mail },
};

static int
walk_stream(struct walk *w, struct stream *s, const char *loc,
    unsigned nesting, struct err *err)
{
	const unsigned char *p;
	size_t n;

	if (nesting > w->lim->max_nesting)
		return err_set(err, ERR_LIMIT, "containers nested deeper "
		    "than %u", w->lim->max_nesting);
	if (stream_peek(s, 512, &p, &n, err) == -1)
		return -1;
	if (n == 0) {
		set_why(w, "empty");
		return 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].detect(p, n))
			return formats[i].walk(w, s, loc, nesting, err);
	set_why(w, "content is not XML, JSON, gzip, zip or email (starts "
	    "with %s)", isprint(p[0]) ? "text" : "binary data");
	return 0;
}

int
report_parse(struct stream *in, const char *input_name,
    const struct report_limits *lim, const struct report_sink *sink,
    struct report_stats *stats, struct err *err)
{
	struct walk w;
	struct err why;

	memset(&w, 0, sizeof(w));
	memset(stats, 0, sizeof(*stats));
	w.lim = lim;
	w.user = sink;
	w.stats = stats;
	w.input = input_name;
	if (walk_stream(&w, in, "", 0, &why) == -1) {
		/* the input itself could not be read: nothing more to do */
		if (why.code == ERR_IO && stats->reports == 0) {
			*err = why;
			return -1;
		}
		report_failure(&w, "", &why);
	} else if (stats->reports == 0 && stats->failures == 0) {
		err_set(&why, ERR_PARSE, "no report found: %s",
		    w.why[0] ? w.why : "unrecognised content");
		report_failure(&w, "", &why);
	}
	return 0;
}
