#include "parsers/mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "common/buf.h"
#include "common/timefmt.h"
#include "common/str.h"
#include "common/xalloc.h"

enum {
	MAIL_FIELD_NAME_MAX = 76,	/* longest name mail_sniff takes */
	MAIL_MAX_DEPTH = 32,		/* MIME nesting walked */
	MAIL_MAX_COMPOSITE = 256,	/* multipart and message/ headers */
	MAIL_TYPE_MAX = 128,		/* "type/subtype" */
	MAIL_TYPES_MAX = 200,		/* the list in mail_info.types */
	MAIL_NAME_SHOWN = 200,		/* filename characters in a location */
	MAIL_WHERE_MAX = 320,		/* "message N, part N 'name'" */
	MBOX_CHUNK = 65536,
	MBOX_LOOKAHEAD = 1024,		/* bytes seen at the start of a line */
};

/* One message being walked. */
struct walk {
	const struct mail_walker *w;
	struct mail_info info;
	unsigned leaf;			/* leaves seen: numbers the parts */
	char types[MAIL_TYPES_MAX + 8];
	size_t types_len;
	bool is_types_full;
	bool is_stopped;		/* a callback failed: the walk ends */
};

/* The read side of an mbox: one chunk of the input at a time. */
struct mbox {
	struct stream *in;
	char *chunk;
	size_t off;
	size_t len;
	bool is_eof;
};

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * Header names are held to letters, digits, '-', '_' and '.', a subset of
 * RFC 5322's printable ASCII, so that JSON ('{"a":') and other text formats
 * are never taken for mail.
 */
bool
mail_sniff(const unsigned char *p, size_t n)
{
	size_t i;

	if (n >= 5 && memcmp(p, "From ", 5) == 0)
		return true;
	if (n == 0 || !is_alnum(p[0]))
		return false;
	for (i = 1; i < n && i <= MAIL_FIELD_NAME_MAX; i++) {
		if (p[i] == ':')
			return true;
		if (!is_alnum(p[i]) && p[i] != '-' && p[i] != '_' &&
		    p[i] != '.')
			return false;
	}
	return false;
}

static const char *
major_name(const struct mailmime_type *t)
{
	const struct mailmime_discrete_type *d;
	const struct mailmime_composite_type *c;

	if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		d = t->tp_data.tp_discrete_type;
		switch (d->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:
			return "text";
		case MAILMIME_DISCRETE_TYPE_IMAGE:
			return "image";
		case MAILMIME_DISCRETE_TYPE_AUDIO:
			return "audio";
		case MAILMIME_DISCRETE_TYPE_VIDEO:
			return "video";
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			return "application";
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			if (d->dt_extension != NULL)
				return d->dt_extension;
			break;
		}
	} else if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		c = t->tp_data.tp_composite_type;
		switch (c->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:
			return "message";
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:
			return "multipart";
		case MAILMIME_COMPOSITE_TYPE_EXTENSION:
			if (c->ct_token != NULL)
				return c->ct_token;
			break;
		}
	}
	return "application";
}

/* "type/subtype" in lower case; text/plain when the part has none. */
static void
content_type_name(const struct mailmime_content *ct, char *out, size_t size)
{
	int n;

	if (ct == NULL || ct->ct_type == NULL || ct->ct_subtype == NULL) {
		snprintf(out, size, "text/plain");
		return;
	}
	n = snprintf(out, size, "%s/%s", major_name(ct->ct_type),
	    ct->ct_subtype);
	/* a name this long is no type anyone handles: opaque bytes */
	if (n < 0 || (size_t)n >= size)
		snprintf(out, size, "application/octet-stream");
	str_lower(out);
}

static bool
has_param(struct mailmime_content *ct, const char *name, const char *value)
{
	clistiter *it;
	struct mailmime_parameter *p;

	if (ct == NULL || ct->ct_parameters == NULL)
		return false;
	for (it = clist_begin(ct->ct_parameters); it != NULL;
	    it = clist_next(it)) {
		p = clist_content(it);
		if (p->pa_name != NULL && p->pa_value != NULL &&
		    strcasecmp(p->pa_name, name) == 0 &&
		    strcasecmp(p->pa_value, value) == 0)
			return true;
	}
	return false;
}

/* RFC 6591: multipart/report; report-type=feedback-report */
static bool
is_report_body(struct mailmime *body)
{
	char type[MAIL_TYPE_MAX];

	content_type_name(body->mm_content_type, type, sizeof(type));
	return strcmp(type, "multipart/report") == 0 &&
	    has_param(body->mm_content_type, "report-type", "feedback-report");
}

/* a feedback report at the top */
static bool
is_feedback_report(struct mailmime *root)
{
	struct mailmime *body = root;

	if (root->mm_type == MAILMIME_MESSAGE)
		body = root->mm_data.mm_message.mm_msg_mime;
	return body != NULL && is_report_body(body);
}

/* Decode RFC 2047 words and unfold; the result is malloc'd. */
static char *
subject_decode(const char *raw)
{
	char *s = NULL;
	char *p, *q;
	size_t idx = 0;

	if (mailmime_encoded_phrase_parse("utf-8", raw, strlen(raw), &idx,
	    "utf-8", &s) != MAILIMF_NO_ERROR || s == NULL) {
		free(s);
		s = xstrdup(raw);
	}
	for (p = q = s; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		*q++ = *p == '\t' ? ' ' : *p;
	}
	*q = '\0';
	/* a raw 8-bit subject: Latin-1, like file names */
	if (!str_is_utf8(s, strlen(s))) {
		q = str_to_utf8(s);
		free(s);
		s = q;
	}
	return s;
}

static char *
message_subject(struct mailmime *root)
{
	struct mailimf_fields *f;
	struct mailimf_field *fld;
	clistiter *it;

	if (root->mm_type != MAILMIME_MESSAGE)
		return NULL;
	f = root->mm_data.mm_message.mm_fields;
	if (f == NULL || f->fld_list == NULL)
		return NULL;
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		fld = clist_content(it);
		if (fld->fld_type == MAILIMF_FIELD_SUBJECT &&
		    fld->fld_data.fld_subject != NULL &&
		    fld->fld_data.fld_subject->sbj_value != NULL)
			return subject_decode(
			    fld->fld_data.fld_subject->sbj_value);
	}
	return NULL;
}

static void
types_add(struct walk *wk, const char *type)
{
	const char *sep = wk->types_len > 0 ? ", " : "";
	int n;

	if (wk->is_types_full)
		return;
	n = snprintf(wk->types + wk->types_len,
	    sizeof(wk->types) - wk->types_len, "%s%s", sep, type);
	if (n >= 0 && wk->types_len + (size_t)n <= MAIL_TYPES_MAX) {
		wk->types_len += (size_t)n;
		return;
	}
	/* too many parts to list: the list ends with an ellipsis */
	snprintf(wk->types + wk->types_len,
	    sizeof(wk->types) - wk->types_len, "%s...", sep);
	wk->is_types_full = true;
}

/* "message 3, part 2 'name'": names are shown cut and printable. */
static void
part_location(const struct walk *wk, const char *filename, char *out,
    size_t size)
{
	char msg[32] = "";
	char name[MAIL_NAME_SHOWN + 1];
	size_t i, n;

	if (wk->info.is_mbox)
		snprintf(msg, sizeof(msg), "message %u, ", wk->info.index);
	if (filename == NULL) {
		snprintf(out, size, "%spart %u", msg, wk->leaf);
		return;
	}
	/* filename is UTF-8 here: cut it between characters */
	n = str_utf8_cut(filename, MAIL_NAME_SHOWN);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)filename[i];

		name[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	name[i] = '\0';
	str_format(out, size, "%spart %u '%s'", msg, wk->leaf, name);
}

/*
 * libetpan's base64 decoder skips characters outside the alphabet (line
 * breaks, stray white space) and needs no padding, and its lines may be of
 * any length: the lenient reading that real reports need.
 */
static int
leaf_decode(struct mailmime *m, const struct mailmime_single_fields *sf,
    char **out, size_t *len)
{
	struct mailmime_data *d = m->mm_data.mm_single;
	const char *text = "";
	size_t text_len = 0, idx = 0;
	int enc = MAILMIME_MECHANISM_7BIT;

	if (sf->fld_encoding != NULL)
		enc = sf->fld_encoding->enc_type;
	/* an unknown encoding is handed over as it is */
	if (enc == MAILMIME_MECHANISM_TOKEN)
		enc = MAILMIME_MECHANISM_BINARY;
	if (d != NULL) {
		if (d->dt_type != MAILMIME_DATA_TEXT)
			return -1;
		text = d->dt_data.dt_text.dt_data;
		text_len = d->dt_data.dt_text.dt_length;
	}
	if (mailmime_part_parse(text, text_len, &idx, enc, out, len) !=
	    MAILIMF_NO_ERROR)
		return -1;
	return 0;
}

/* Case-insensitive prefix test on bytes that are not NUL-terminated. */
static bool
has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && strncasecmp(p, prefix, k) == 0;
}

/*
 * libetpan's multipart parser scans the rest of the message once per
 * nesting level, so a hostile message with thousands of levels takes
 * minutes before any depth check can run.  Counting the composite
 * Content-Type fields first bounds that work.
 */
static int
check_composites(const char *p, size_t n, struct err *err)
{
	const char *q = p, *end = p + n;
	unsigned count = 0;

	while (q != NULL && q < end) {
		if (has_prefix(q, (size_t)(end - q), "content-type:")) {
			q += 13;
			while (q < end && (*q == ' ' || *q == '\t' ||
			    *q == '\r' || *q == '\n'))
				q++;
			if ((has_prefix(q, (size_t)(end - q), "multipart/") ||
			    has_prefix(q, (size_t)(end - q), "message/")) &&
			    ++count > MAIL_MAX_COMPOSITE)
				return err_set(err, ERR_LIMIT,
				    "message has more than %d multipart or "
				    "message parts", MAIL_MAX_COMPOSITE);
		}
		q = memchr(q, '\n', (size_t)(end - q));
		if (q != NULL)
			q++;
	}
	return 0;
}

static int walk_mime(struct walk *wk, struct mailmime *m, unsigned depth,
    struct err *err);

/* The raw text of the message holding m: its header block comes first. */
static void
enclosing_header(struct mailmime *m, const char **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	for (; m != NULL; m = m->mm_parent)
		if (m->mm_type == MAILMIME_MESSAGE && m->mm_body != NULL &&
		    m->mm_body->dt_type == MAILMIME_DATA_TEXT) {
			*p = m->mm_body->dt_data.dt_text.dt_data;
			*n = m->mm_body->dt_data.dt_text.dt_length;
			return;
		}
}

/* One part of a feedback report, decoded (or NULL when it cannot be). */
static char *
feedback_part(struct mailmime *m, size_t *len)
{
	struct mailmime_single_fields sf;
	char *data = NULL;

	mailmime_single_fields_init(&sf, m->mm_mime_fields,
	    m->mm_content_type);
	if (leaf_decode(m, &sf, &data, len) == -1)
		return NULL;
	return data;
}

/*
 * Hand a feedback report's pieces over as one: the fields, the original
 * (a parsed message/rfc822 part is taken raw from its body) and the
 * report mail's header block.  The first part of each kind counts.
 */
static int
walk_feedback(struct walk *wk, struct mailmime *m, struct err *err)
{
	struct mail_feedback fb;
	char type[MAIL_TYPE_MAX], loc[32] = "";
	char *fields = NULL, *orig = NULL;
	clistiter *it;
	int ret = -1;

	memset(&fb, 0, sizeof(fb));
	enclosing_header(m, &fb.header, &fb.header_len);
	for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list);
	    it != NULL; it = clist_next(it)) {
		struct mailmime *c = clist_content(it);

		content_type_name(c->mm_content_type, type, sizeof(type));
		if (c->mm_type == MAILMIME_MESSAGE && fb.original == NULL &&
		    c->mm_body != NULL &&
		    c->mm_body->dt_type == MAILMIME_DATA_TEXT) {
			fb.original = c->mm_body->dt_data.dt_text.dt_data;
			fb.original_len = c->mm_body->dt_data.dt_text.dt_length;
		} else if (c->mm_type != MAILMIME_SINGLE) {
			continue;
		} else if (strcmp(type, "message/feedback-report") == 0 &&
		    fields == NULL) {
			fields = feedback_part(c, &fb.fields_len);
			fb.fields = fields;
		} else if ((strcmp(type, "message/rfc822") == 0 ||
		    strcmp(type, "text/rfc822-headers") == 0) &&
		    fb.original == NULL) {
			orig = feedback_part(c, &fb.original_len);
			fb.original = orig;
			fb.is_headers_only = type[0] == 't';
		}
	}
	if (wk->info.is_mbox)
		snprintf(loc, sizeof(loc), "message %u", wk->info.index);
	fb.location = loc;
	if (wk->w->on_feedback(wk->w->ctx, &fb, err) == -1) {
		wk->is_stopped = true;
		goto out;
	}
	ret = 0;
out:
	if (fields != NULL)
		mmap_string_unref(fields);
	if (orig != NULL)
		mmap_string_unref(orig);
	return ret;
}

/*
 * libetpan leaves a message/rfc822 part in base64 or quoted-printable
 * (against RFC 2046, but forwarders do it) as a leaf: decode it and walk
 * the message inside.
 */
static int
walk_encoded_message(struct walk *wk, struct mailmime *m,
    const struct mailmime_single_fields *sf, unsigned depth,
    struct err *err)
{
	struct mailmime *mime = NULL;
	char *data = NULL;
	size_t len = 0, idx = 0;
	int ret = -1;

	if (leaf_decode(m, sf, &data, &len) == -1) {
		err_set(err, ERR_PARSE, "cannot decode an attached message");
		goto out;
	}
	if (check_composites(data, len, err) == -1)
		goto out;
	/* the tree points into data: freed first */
	if (mailmime_parse(data, len, &idx, &mime) != MAILIMF_NO_ERROR) {
		mime = NULL;
		err_set(err, ERR_PARSE,
		    "cannot parse the MIME structure of an attached message");
		goto out;
	}
	ret = walk_mime(wk, mime, depth + 1, err);
out:
	if (mime != NULL)
		mailmime_free(mime);
	if (data != NULL)
		mmap_string_unref(data);
	return ret;
}

static int
walk_leaf(struct walk *wk, struct mailmime *m, unsigned depth,
    struct err *err)
{
	struct mailmime_single_fields sf;
	struct mail_part part;
	char type[MAIL_TYPE_MAX];
	char where[MAIL_WHERE_MAX];
	char *data = NULL;
	char *filename = NULL;
	size_t len = 0;
	int ret = -1;

	content_type_name(m->mm_content_type, type, sizeof(type));
	mailmime_single_fields_init(&sf, m->mm_mime_fields,
	    m->mm_content_type);
	if (strcmp(type, "message/rfc822") == 0)
		return walk_encoded_message(wk, m, &sf, depth, err);
	wk->leaf++;
	types_add(wk, type);
	if (strcmp(type, "message/feedback-report") == 0) {
		/* the failure report's fields, not an attachment */
		wk->info.is_forensic = true;
		return 0;
	}
	/* a raw 8-bit filename= (Latin-1 in the wild) becomes UTF-8 */
	if (sf.fld_disposition_filename != NULL)
		filename = str_to_utf8(sf.fld_disposition_filename);
	else if (sf.fld_content_name != NULL)
		filename = str_to_utf8(sf.fld_content_name);
	part.filename = filename;
	part_location(wk, part.filename, where, sizeof(where));
	if (leaf_decode(m, &sf, &data, &len) == -1) {
		err_set(err, ERR_PARSE, "cannot decode %s", where);
		goto out;
	}
	part.data = data != NULL ? data : "";
	part.len = data != NULL ? len : 0;
	part.content_type = type;
	part.location = where;
	enclosing_header(m, &part.header, &part.header_len);
	wk->info.n_parts++;
	if (wk->w->on_part != NULL &&
	    wk->w->on_part(wk->w->ctx, &part, err) == -1) {
		wk->is_stopped = true;
		goto out;
	}
	ret = 0;
out:
	if (data != NULL)
		mmap_string_unref(data);
	free(filename);
	return ret;
}

static int
walk_mime(struct walk *wk, struct mailmime *m, unsigned depth,
    struct err *err)
{
	clistiter *it;

	if (depth > MAIL_MAX_DEPTH)
		return err_set(err, ERR_LIMIT,
		    "MIME parts nested deeper than %d levels",
		    MAIL_MAX_DEPTH);
	switch (m->mm_type) {
	case MAILMIME_SINGLE:
		return walk_leaf(wk, m, depth, err);
	case MAILMIME_MULTIPLE:
		if (m->mm_data.mm_multipart.mm_mp_list == NULL)
			return 0;
		if (wk->w->on_feedback != NULL && is_report_body(m) &&
		    walk_feedback(wk, m, err) == -1)
			return -1;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it))
			if (walk_mime(wk, clist_content(it), depth + 1,
			    err) == -1)
				return -1;
		return 0;
	case MAILMIME_MESSAGE:
		/* forwarded reports arrive as message/rfc822 */
		if (m->mm_data.mm_message.mm_msg_mime == NULL)
			return 0;
		return walk_mime(wk, m->mm_data.mm_message.mm_msg_mime,
		    depth + 1, err);
	}
	return err_set(err, ERR_PARSE, "unknown MIME node type %d",
	    m->mm_type);
}

/*
 * Parse and walk one message held in data (len bytes, NUL-terminated).
 * *is_stopped tells a callback's failure from one of the message itself.
 */
static int
walk_message(const struct mail_walker *w, const char *data, size_t len,
    const struct mail_info *info, bool *is_stopped, struct err *err)
{
	struct walk wk;
	struct mailmime *mime = NULL;
	char *subject = NULL;
	size_t idx = 0;
	int ret = -1;

	memset(&wk, 0, sizeof(wk));
	wk.w = w;
	wk.info = *info;
	if (check_composites(data, len, err) == -1)
		goto out;
	/* the tree points into data, which outlives it */
	if (mailmime_parse(data, len, &idx, &mime) != MAILIMF_NO_ERROR) {
		mime = NULL;
		err_set(err, ERR_PARSE, "cannot parse MIME structure");
		goto out;
	}
	wk.info.is_forensic = is_feedback_report(mime);
	if (walk_mime(&wk, mime, 0, err) == -1)
		goto out;
	subject = message_subject(mime);
	wk.info.types = wk.types;
	wk.info.subject = subject;
	if (w->on_message_end != NULL &&
	    w->on_message_end(w->ctx, &wk.info, err) == -1) {
		wk.is_stopped = true;
		goto out;
	}
	ret = 0;
out:
	*is_stopped = wk.is_stopped;
	free(subject);
	if (mime != NULL)
		mailmime_free(mime);
	return ret;
}

/* Make at least want bytes available at off; fewer only at the end. */
static int
mbox_fill(struct mbox *m, size_t want, struct err *err)
{
	ssize_t r;

	if (m->len - m->off >= want || m->is_eof)
		return 0;
	memmove(m->chunk, m->chunk + m->off, m->len - m->off);
	m->len -= m->off;
	m->off = 0;
	while (m->len < want && !m->is_eof) {
		r = stream_read(m->in, m->chunk + m->len, MBOX_CHUNK - m->len,
		    err);
		if (r == -1)
			return -1;
		if (r == 0)
			m->is_eof = true;
		m->len += (size_t)r;
	}
	return 0;
}

/*
 * The next piece of the current line: up to and including its '\n', or
 * what the chunk holds of a longer line (*is_eol false).  Returns 1, 0 at
 * the end of the input, -1 on error.
 */
static int
mbox_piece(struct mbox *m, const char **p, size_t *n, bool *is_eol,
    struct err *err)
{
	const char *nl;

	if (mbox_fill(m, 1, err) == -1)
		return -1;
	if (m->off == m->len)
		return 0;
	*p = m->chunk + m->off;
	nl = memchr(*p, '\n', m->len - m->off);
	*n = nl != NULL ? (size_t)(nl - *p) + 1 : m->len - m->off;
	*is_eol = nl != NULL;
	m->off += *n;
	return 1;
}

/* Skip to the start of the next line.  Returns 1, 0 at the end, -1. */
static int
mbox_skip_line(struct mbox *m, struct err *err)
{
	const char *p;
	size_t n;
	bool is_eol = false;
	int r = 1;

	while (!is_eol && r == 1)
		r = mbox_piece(m, &p, &n, &is_eol, err);
	return r;
}

/*
 * At the start of a line: *is_from when it separates messages.  mboxrd
 * quoting (">From ", ">>From "...) loses one '>' here.
 */
static int
mbox_line_start(struct mbox *m, bool *is_from, struct err *err)
{
	const char *p;
	size_t avail, k = 0;

	if (mbox_fill(m, MBOX_LOOKAHEAD, err) == -1)
		return -1;
	p = m->chunk + m->off;
	avail = m->len - m->off;
	*is_from = avail >= 5 && memcmp(p, "From ", 5) == 0;
	while (k < avail && p[k] == '>')
		k++;
	if (k > 0 && avail - k >= 5 && memcmp(p + k, "From ", 5) == 0)
		m->off++;
	return 0;
}

/*
 * Read the message after a From line into msg, up to the next From line
 * (consumed as well: *is_more) or the end of the input.  Past msg's limit
 * the rest is skipped and *is_too_big is set.
 */
static int
mbox_message(struct mbox *m, struct buf *msg, bool *is_too_big,
    bool *is_more, struct err *err)
{
	struct err full;
	const char *p = NULL;
	size_t n = 0;
	bool is_bol = true, is_from = false;
	int r;

	buf_reset(msg);
	*is_too_big = false;
	*is_more = false;
	for (;;) {
		if (is_bol && mbox_line_start(m, &is_from, err) == -1)
			return -1;
		if (is_bol && is_from) {
			*is_more = true;
			return mbox_skip_line(m, err) == -1 ? -1 : 0;
		}
		r = mbox_piece(m, &p, &n, &is_bol, err);
		if (r != 1)
			return r;
		if (!*is_too_big && buf_add(msg, p, n, &full) == -1)
			*is_too_big = true;
	}
}

/* Writers end each message with an empty line before the next From. */
static void
mbox_trim(struct buf *msg)
{
	if (msg->len >= 4 &&
	    memcmp(msg->data + msg->len - 4, "\r\n\r\n", 4) == 0)
		msg->len -= 2;
	else if (msg->len >= 2 &&
	    memcmp(msg->data + msg->len - 2, "\n\n", 2) == 0)
		msg->len -= 1;
	if (msg->data != NULL)
		msg->data[msg->len] = '\0';
}

static int
mbox_walk(struct stream *in, size_t max, const struct mail_walker *w,
    struct err *err)
{
	struct mbox m = { in, NULL, 0, 0, false };
	struct mail_info info;
	struct buf msg;
	struct err why;
	bool is_more = true, is_too_big = false, is_stopped = false;
	int ret = -1;

	m.chunk = xmalloc(MBOX_CHUNK);
	buf_init(&msg, max);
	memset(&info, 0, sizeof(info));
	info.is_mbox = true;
	info.types = "";
	/* the input starts with the From line of message 1 */
	if (mbox_skip_line(&m, err) == -1)
		goto out;
	while (is_more) {
		info.index++;
		if (mbox_message(&m, &msg, &is_too_big, &is_more, err) == -1)
			goto out;
		if (is_too_big) {
			err_set(&why, ERR_LIMIT,
			    "message %u exceeds the %zu-byte limit",
			    info.index, max);
		} else {
			mbox_trim(&msg);
			if (walk_message(w, buf_str(&msg), msg.len, &info,
			    &is_stopped, &why) == 0)
				continue;
			if (is_stopped) {
				*err = why;
				goto out;
			}
		}
		if (w->on_message_error != NULL)
			w->on_message_error(w->ctx, &info, &why);
	}
	ret = 0;
out:
	buf_release(&msg);
	free(m.chunk);
	return ret;
}

int
mail_walk(struct stream *in, size_t max_message, const struct mail_walker *w,
    struct err *err)
{
	const unsigned char *head = NULL;
	struct mail_info info;
	char *data = NULL;
	size_t avail = 0, len = 0;
	bool is_stopped = false;
	int ret = -1;

	if (stream_peek(in, 5, &head, &avail, err) == -1)
		return -1;
	if (avail == 5 && memcmp(head, "From ", 5) == 0)
		return mbox_walk(in, max_message, w, err);
	if (stream_slurp(in, max_message, &data, &len, err) == -1) {
		if (err->code == ERR_LIMIT)
			err_set(err, ERR_LIMIT,
			    "message exceeds the %zu-byte limit", max_message);
		return -1;
	}
	memset(&info, 0, sizeof(info));
	info.index = 1;
	info.types = "";
	ret = walk_message(w, data, len, &info, &is_stopped, err);
	free(data);
	return ret;
}

/* a header date as ISO 8601 UTC */
static void
head_date(const struct mailimf_date_time *d, char *out, size_t size)
{
	struct tm tm;
	int64_t t;
	int zone = d->dt_zone;	/* +hhmm as a number */

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	if (d->dt_year < 1970 || d->dt_month < 1 || d->dt_month > 12 ||
	    d->dt_day < 1 || d->dt_day > 31)
		return;
	t = (int64_t)timegm(&tm);
	t -= (int64_t)(zone / 100 * 3600 + zone % 100 * 60);
	timefmt_iso(t, out, size);
}

static void
head_from(const struct mailimf_from *f, char *out, size_t size)
{
	struct mailimf_mailbox *mb;

	if (f == NULL || f->frm_mb_list == NULL ||
	    f->frm_mb_list->mb_list == NULL ||
	    clist_begin(f->frm_mb_list->mb_list) == NULL)
		return;
	mb = clist_content(clist_begin(f->frm_mb_list->mb_list));
	if (mb != NULL && mb->mb_addr_spec != NULL)
		str_format(out, size, "%s", mb->mb_addr_spec);
}

bool
mail_head(const char *p, size_t n, struct mail_head *out)
{
	struct mailimf_fields *f = NULL;
	clistiter *it;
	size_t idx = 0;

	memset(out, 0, sizeof(*out));
	if (n >= 5 && memcmp(p, "From ", 5) == 0)
		return false;	/* an mbox: which message? */
	if (!mail_sniff((const unsigned char *)p, n) ||
	    mailimf_fields_parse(p, n, &idx, &f) != MAILIMF_NO_ERROR)
		return false;
	for (it = clist_begin(f->fld_list); it != NULL; it = clist_next(it)) {
		struct mailimf_field *fld = clist_content(it);

		if (fld->fld_type == MAILIMF_FIELD_ORIG_DATE &&
		    out->date[0] == '\0' &&
		    fld->fld_data.fld_orig_date->dt_date_time != NULL)
			head_date(fld->fld_data.fld_orig_date->dt_date_time,
			    out->date, sizeof(out->date));
		else if (fld->fld_type == MAILIMF_FIELD_FROM &&
		    out->from[0] == '\0')
			head_from(fld->fld_data.fld_from, out->from,
			    sizeof(out->from));
		else if (fld->fld_type == MAILIMF_FIELD_SUBJECT &&
		    out->subject[0] == '\0' &&
		    fld->fld_data.fld_subject->sbj_value != NULL) {
			char *sj = subject_decode(
			    fld->fld_data.fld_subject->sbj_value);

			str_format(out->subject, sizeof(out->subject), "%s",
			    sj);
			free(sj);
		}
	}
	mailimf_fields_free(f);
	return true;
}
