#include "parsers/xmlclean.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/str.h"
#include "common/xalloc.h"

/*
 * The byte filter in front of libxml2: control characters that XML 1.0
 * forbids (Yahoo sends BEL) become spaces, and bytes that are not UTF-8 in
 * a UTF-8 document are read as windows-1252 (0x91 quotes).  The report is
 * kept and a note says so; a document in another declared encoding only
 * gets the control-character filter.
 */
struct filter {
	bool is_off;
	bool is_utf8;
	unsigned char carry[4];
	size_t ncarry;
	uint64_t *fixed;	/* the caller's XMLCLEAN_BYTES count */
	unsigned char *out;
	size_t cap;
};

static const uint16_t cp1252[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178 };

static void
filter_setup(struct filter *f, const unsigned char *p, size_t n)
{
	const char *decl, *enc;
	char head[256];
	size_t k = n < sizeof(head) - 1 ? n : sizeof(head) - 1;

	f->is_utf8 = true;
	if (n >= 2 && ((p[0] == 0xfe && p[1] == 0xff) ||
	    (p[0] == 0xff && p[1] == 0xfe) || p[0] == 0 || p[1] == 0)) {
		f->is_off = true;	/* UTF-16 or UCS-4: leave it */
		return;
	}
	memcpy(head, p, k);
	head[k] = '\0';
	decl = strstr(head, "?>");
	enc = strstr(head, "encoding");
	if (enc != NULL && (decl == NULL || enc < decl)) {
		enc += strlen("encoding");
		enc += strspn(enc, " \t\r\n=\"'");
		if (strncasecmp(enc, "utf-8", 5) != 0 &&
		    strncasecmp(enc, "utf8", 4) != 0 &&
		    strncasecmp(enc, "us-ascii", 8) != 0 &&
		    strncasecmp(enc, "ascii", 5) != 0)
			f->is_utf8 = false;
	}
}

static size_t
put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (unsigned char)(0xe0 | cp >> 12);
	o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return 3;
}

static bool
is_bad_ctl(unsigned char c)
{
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/*
 * Whether a chunk holds a byte the filter would change.  This runs over
 * every byte of every report, so it looks at 16 bytes a step (GCC/Clang
 * vector extensions: SIMD where the machine has it, portable C otherwise).
 */
typedef unsigned char v16 __attribute__((vector_size(16)));

static bool
needs_filter(const unsigned char *p, size_t n, bool is_utf8)
{
	const v16 ctl = { 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
		0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20 };
	const v16 high = ctl * 4;	/* 0x80 */
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		v16 v, bad;
		uint64_t w[2];

		memcpy(&v, p + i, 16);
		bad = (v16)(v < ctl) & (v16)(v != '\t') & (v16)(v != '\n') &
		    (v16)(v != '\r');
		if (is_utf8)
			bad |= (v16)(v >= high);
		memcpy(w, &bad, 16);
		if ((w[0] | w[1]) != 0)
			return true;
	}
	for (; i < n; i++)
		if (is_bad_ctl(p[i]) || (is_utf8 && p[i] >= 0x80))
			return true;
	return false;
}

/* filter one chunk; returns what to feed libxml2 (in itself when clean) */
static const unsigned char *
filter_run(struct filter *f, const unsigned char *in, size_t n,
    bool is_last, size_t *out_n)
{
	const unsigned char *p;
	size_t i = 0, o = 0, len;
	bool is_clean = f->ncarry == 0;

	if (is_clean)
		is_clean = !needs_filter(in, n, f->is_utf8);
	if (f->is_off || is_clean) {
		*out_n = n;
		return in;
	}
	/* slow path: carry + input into one buffer, then rewrite */
	len = f->ncarry + n;
	if (f->cap < 4 * len + 8) {
		f->cap = 4 * len + 8;
		free(f->out);
		f->out = xmalloc(f->cap);
	}
	/* output takes at most 3 bytes per input byte: the input copy sits
	 * behind that, so writing never overtakes reading */
	memcpy(f->out + 3 * len + 8, f->carry, f->ncarry);
	memcpy(f->out + 3 * len + 8 + f->ncarry, in, n);
	p = f->out + 3 * len + 8;
	f->ncarry = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t k;

		if (c < 0x80 || !f->is_utf8) {
			f->out[o++] = is_bad_ctl(c) ? ' ' : c;
			*f->fixed += is_bad_ctl(c);
			i++;
			continue;
		}
		k = str_utf8_char((const char *)p + i, len - i);
		if (k == STR_UTF8_SHORT && !is_last) {
			memcpy(f->carry, p + i, len - i);
			f->ncarry = len - i;
			break;
		}
		if (k == 0 || k == STR_UTF8_SHORT) {
			o += put_utf8(f->out + o, c < 0xa0 ? cp1252[c - 0x80] :
			    c);
			(*f->fixed)++;
			i++;
			continue;
		}
		memmove(f->out + o, p + i, k);
		o += k;
		i += k;
	}
	*out_n = o;
	return f->out;
}

/*
 * Repairs of shapes real reporters send (standards notes 5.3), after the
 * byte filter: a stray <xs:schema ...> start tag, never closed, and its
 * end tag if any (IKEA); a quote between the XML declaration and the root
 * (sitnet.dk, ikea.com); an address or URL in angle brackets left
 * unescaped in text, <addr@host> in <email> (uwaterloo.ca); a close tag
 * that lost its '<', "abc/report_id>" (kddi.com).  A small lexer tells
 * text from markup, so nothing inside a comment, CDATA section or
 * attribute value is touched.  A repaired document must still parse
 * completely, or it is refused like any other.
 */
enum { REPAIR_LOOK = 512, REPAIR_NAME = 64 };

enum lex {
	L_TEXT, L_TAG, L_QUOTED, L_COMMENT, L_CDATA, L_PI,
	L_SKIP, L_SKIP_QUOTED,	/* inside an <xs:schema> tag being dropped */
};

struct repair {
	bool is_off;
	enum lex st;
	unsigned char quote;
	bool is_in_root;	/* the first element has started */
	unsigned char last[2];	/* the two bytes before, for "-->" etc. */
	unsigned char open[REPAIR_NAME];	/* the element whose text this
						 * is, "" after an end tag */
	size_t nopen;
	unsigned char carry[REPAIR_LOOK];
	size_t ncarry;
	unsigned char *in, *out;
	size_t cap;
	/* this chunk: output written to out from o on, or (is_copying
	 * false) still the same bytes as the input up to where it is */
	bool is_copying;
	size_t o;
	uint64_t *fixed;	/* the caller's counts, by enum xmlclean_fix */
	xmlclean_name_fn is_element;
};

static bool
starts(const unsigned char *p, size_t avail, const char *s)
{
	size_t k = strlen(s);

	return avail >= k && memcmp(p, s, k) == 0;
}

static bool
is_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == ':' || c >= 0x80;
}

/* from here on the output differs from the input: copy what came before */
static void
start_copy(struct repair *r, const unsigned char *p, size_t upto)
{
	if (r->is_copying)
		return;
	memcpy(r->out, p, upto);
	r->o = upto;
	r->is_copying = true;
}

static void
emit(struct repair *r, const unsigned char *s, size_t n)
{
	if (r->is_copying) {
		memcpy(r->out + r->o, s, n);
		r->o += n;
	}
}

/* "<xs:schema ...>", "</xsd:schema>": the whole tag is dropped */
static int
schema_tag(const unsigned char *p, size_t avail, bool is_last)
{
	static const char *const tags[] = { "<xs:schema", "</xs:schema",
		"<xsd:schema", "</xsd:schema" };

	if (avail < 14 && !is_last)
		return -1;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t k = strlen(tags[i]);

		if (starts(p, avail, tags[i]) &&
		    (avail == k || !is_name_byte(p[k])))
			return 1;
	}
	return 0;
}

/*
 * After '<' in the root: the length up to '>' of an address or URL that
 * stands there as text (no white space, '@' or "://" or "mailto:"), 0 for
 * markup, -1 when more input is needed to know.
 */
static long
bracketed_len(const unsigned char *p, size_t avail, bool is_last)
{
	size_t win = avail < REPAIR_LOOK ? avail : REPAIR_LOOK;
	bool has_at = false, has_colon = false;
	size_t k;

	for (k = 1; k < win && p[k] != '>'; k++) {
		unsigned char c = p[k];

		if (c <= ' ' || c == '<' || c == '"' || c == '\'' || c == '&' ||
		    c == '=' || (c == '/' && k == 1))
			return 0;	/* a tag, an end tag or junk */
		has_at |= c == '@' && k > 1;
		has_colon |= c == ':';
	}
	if (k == win)
		return win == avail && !is_last ? -1 : 0;
	if (has_at && p[k - 1] != '@')
		return (long)k;
	if (has_colon && (starts(p + 1, k - 1, "http://") ||
	    starts(p + 1, k - 1, "https://") ||
	    starts(p + 1, k - 1, "mailto:")))
		return (long)k;
	return 0;
}

static void
put(struct repair *r, const char *s, size_t n)
{
	memcpy(r->out + r->o, s, n);
	r->o += n;
}

/* '<' in text at p[i]; returns the bytes used, 0 when more input is
 * needed to decide */
static size_t
text_lt(struct repair *r, const unsigned char *p, size_t i, size_t len,
    bool is_last)
{
	static const struct {
		const char *open;
		enum lex st;
	} marks[] = { { "<!--", L_COMMENT }, { "<![CDATA[", L_CDATA },
		{ "<?", L_PI } };
	const unsigned char *q = p + i;
	size_t avail = len - i, name = 0;
	unsigned char c1;
	long k;
	int sch;

	/* enough to see a whole element name */
	if (avail < REPAIR_NAME + 8 && !is_last)
		return 0;
	c1 = avail > 1 ? q[1] : 0;
	if (c1 == '!' || c1 == '?')
		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
			if (starts(q, avail, marks[m].open)) {
				r->st = marks[m].st;
				memset(r->last, 0, sizeof(r->last));
				emit(r, q, strlen(marks[m].open));
				return strlen(marks[m].open);
			}
	/* most tags: nothing to look at beyond the first bytes */
	if (c1 == 'x' || (c1 == '/' && avail > 2 && q[2] == 'x')) {
		if ((sch = schema_tag(q, avail, is_last)) == -1)
			return 0;
		if (sch == 1) {
			start_copy(r, p, i);
			r->st = L_SKIP;
			r->fixed[XMLCLEAN_SCHEMA]++;
			return 1;
		}
	}
	/* the element name */
	while (name < REPAIR_NAME && name + 1 < avail &&
	    is_name_byte(q[name + 1]))
		name++;
	/* a name then '>' or a space is a tag: most are, and need no more
	 * look (an address or URL has '@' or '/' after its first bytes) */
	if (r->is_in_root && c1 != '/' && !(name > 0 && name + 1 < avail &&
	    (q[name + 1] == '>' || q[name + 1] <= ' ')) &&
	    (k = bracketed_len(q, avail, is_last)) != 0) {
		if (k == -1)
			return 0;
		start_copy(r, p, i);
		put(r, "&lt;", 4);
		put(r, (const char *)q + 1, (size_t)k - 1);
		put(r, "&gt;", 4);
		r->fixed[XMLCLEAN_LT]++;
		return (size_t)k + 1;
	}
	/* kept for text_slash */
	memcpy(r->open, q + 1, name);
	r->nopen = name;
	if (name > 0)
		r->is_in_root = true;
	r->st = L_TAG;
	/* the name holds none of the bytes that end a tag's run */
	emit(r, q, 1 + name);
	return 1 + name;
}

/* '/' in text at p[i]: "abc/report_id>" in <report_id> is a close tag
 * that lost its '<' */
static size_t
text_slash(struct repair *r, const unsigned char *p, size_t i, size_t len,
    bool is_last)
{
	const unsigned char *q = p + i;
	size_t avail = len - i, k = 1;

	while (k < avail && k <= REPAIR_NAME && is_name_byte(q[k]) &&
	    q[k] != ':')
		k++;
	if (k == avail && !is_last)
		return 0;
	if (k < avail && q[k] == '>' && k - 1 == r->nopen && r->nopen > 0 &&
	    memcmp(q + 1, r->open, r->nopen) == 0 &&
	    r->is_element(q + 1, k - 1)) {
		start_copy(r, p, i);
		put(r, "<", 1);
		r->fixed[XMLCLEAN_CLOSE]++;
		r->st = L_TAG;
	}
	emit(r, q, 1);
	return 1;
}

/* the end of a comment, CDATA section or processing instruction */
static void
markup_byte(struct repair *r, unsigned char c)
{
	if (c == '>' && ((r->st == L_COMMENT && r->last[0] == '-' &&
	    r->last[1] == '-') || (r->st == L_CDATA && r->last[0] == ']' &&
	    r->last[1] == ']') || (r->st == L_PI && r->last[1] == '?')))
		r->st = L_TEXT;
	r->last[0] = r->last[1];
	r->last[1] = c;
}

/* the bytes that end a run in a state: a table per state, built once */
static const unsigned char *
stops(enum lex st)
{
	static unsigned char t[L_SKIP_QUOTED + 1][256];
	static bool is_built;

	if (!is_built) {
		t[L_TEXT]['<'] = t[L_TEXT]['/'] = 1;
		t[L_TEXT]['"'] = t[L_TEXT]['\''] = 1;
		t[L_TAG]['"'] = t[L_TAG]['\''] = t[L_TAG]['>'] = 1;
		t[L_SKIP]['"'] = t[L_SKIP]['\''] = t[L_SKIP]['>'] = 1;
		for (int s = L_QUOTED; s <= L_SKIP_QUOTED; s++)
			if (s != L_SKIP)
				memset(t[s], 1, 256);
		is_built = true;
	}
	return t[st];
}

/* one special byte at p[i] (or any byte in the rare states) */
static size_t
repair_byte(struct repair *r, const unsigned char *p, size_t i, size_t len,
    bool is_last)
{
	unsigned char c = p[i];
	bool is_dropped = false;

	switch (r->st) {
	case L_TEXT:
		if (c == '<')
			return text_lt(r, p, i, len, is_last);
		if (c == '/' && r->is_in_root)
			return text_slash(r, p, i, len, is_last);
		if ((c == '"' || c == '\'') && !r->is_in_root) {
			start_copy(r, p, i);
			r->fixed[XMLCLEAN_QUOTE]++;
			return 1;
		}
		break;
	case L_TAG:
	case L_SKIP:
		is_dropped = r->st == L_SKIP;
		if (c == '"' || c == '\'') {
			r->st = is_dropped ? L_SKIP_QUOTED : L_QUOTED;
			r->quote = c;
		} else if (c == '>') {
			r->st = L_TEXT;
		}
		break;
	case L_QUOTED:
	case L_SKIP_QUOTED:
		is_dropped = r->st == L_SKIP_QUOTED;
		if (c == r->quote)
			r->st = is_dropped ? L_SKIP : L_TAG;
		break;
	default:
		markup_byte(r, c);
		break;
	}
	if (!is_dropped)
		emit(r, p + i, 1);
	return 1;
}

/* repair one filtered chunk; the result is valid until the next call */
static const unsigned char *
repair_run(struct repair *r, const unsigned char *in, size_t n,
    bool is_last, size_t *out_n)
{
	const unsigned char *p = in;
	size_t len = n, i = 0;

	if (r->is_off) {
		*out_n = n;
		return in;
	}
	if (r->cap < r->ncarry + n + 1) {
		r->cap = 2 * (r->ncarry + n) + 64;
		free(r->in);
		free(r->out);
		r->in = xmalloc(r->cap);
		/* "<a@b>" grows to "&lt;a@b&gt;": at most 4 out per in */
		r->out = xreallocarray(NULL, r->cap, 4);
	}
	if (r->ncarry > 0) {
		memcpy(r->in, r->carry, r->ncarry);
		memcpy(r->in + r->ncarry, in, n);
		p = r->in;
		len = r->ncarry + n;
		r->ncarry = 0;
	}
	r->is_copying = false;
	r->o = 0;
	while (i < len) {
		const unsigned char *stop = stops(r->st);
		size_t j = i, used;

		while (j < len && !stop[p[j]])
			j++;
		if (r->st != L_SKIP)
			emit(r, p + i, j - i);
		if ((i = j) == len)
			break;
		if ((used = repair_byte(r, p, i, len, is_last)) == 0) {
			assert(len - i <= sizeof(r->carry));
			memcpy(r->carry, p + i, len - i);
			r->ncarry = len - i;
			break;
		}
		i += used;
	}
	*out_n = r->is_copying ? r->o : i;
	return r->is_copying ? r->out : p;
}

/* the stream: what the two passes made of the last chunk read, handed
 * out until used up */
struct xmlclean {
	struct stream *inner;	/* borrowed */
	struct filter f;
	struct repair r;
	const unsigned char *pending;
	size_t npending;
	bool is_done;
};

/*
 * One chunk of the inner stream, filtered then repaired, into buf.  The
 * repair's carry (a tag cut by the last chunk's end) goes in front of the
 * new bytes, so a clean chunk is repaired in place and handed back
 * uncopied: the common case.  Returns what to hand out (buf, or the
 * passes' own buffers), NULL on error.
 */
static const unsigned char *
next_chunk(struct xmlclean *c, unsigned char *buf, size_t len, size_t *n,
    struct err *err)
{
	size_t k = c->r.ncarry < len ? c->r.ncarry : 0;
	const unsigned char *p;
	ssize_t got;

	memcpy(buf, c->r.carry, k);
	got = stream_read(c->inner, buf + k, len - k, err);
	if (got == -1)
		return NULL;
	c->is_done = got == 0;
	p = filter_run(&c->f, buf + k, (size_t)got, got == 0, n);
	if (k > 0 && p == buf + k) {
		c->r.ncarry = 0;
		p = buf;
		*n += k;
	}
	return repair_run(&c->r, p, *n, got == 0, n);
}

static ssize_t
xc_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct xmlclean *c = impl;
	const unsigned char *p;
	size_t n;

	while (c->npending == 0) {
		if (c->is_done)
			return 0;
		if ((p = next_chunk(c, buf, len, &n, err)) == NULL)
			return -1;
		/* all of it carried to the next chunk: read on */
		if (n == 0)
			continue;
		if (p == buf)
			return (ssize_t)n;
		c->pending = p;
		c->npending = n;
	}
	n = c->npending < len ? c->npending : len;
	memcpy(buf, c->pending, n);
	c->pending += n;
	c->npending -= n;
	return (ssize_t)n;
}

static void
xc_close(void *impl)
{
	struct xmlclean *c = impl;

	free(c->f.out);
	free(c->r.in);
	free(c->r.out);
	free(c);
}

static const struct stream_ops xmlclean_ops = { xc_read, xc_close };

int
xmlclean_push(struct stream **s, xmlclean_name_fn is_element,
    uint64_t *fixed, struct err *err)
{
	struct xmlclean *c;
	const unsigned char *head;
	size_t n;

	/* the encoding declaration, if any, is in the first bytes */
	if (stream_peek(*s, 256, &head, &n, err) == -1)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->inner = *s;
	memset(fixed, 0, XMLCLEAN_KINDS * sizeof(*fixed));
	filter_setup(&c->f, head, n);
	c->f.fixed = &fixed[XMLCLEAN_BYTES];
	c->r.is_off = c->f.is_off;
	c->r.fixed = fixed;
	c->r.is_element = is_element;
	stream_new_ops(s, &xmlclean_ops, c, stream_name(c->inner));
	return 0;
}

const char *
xmlclean_note(enum xmlclean_fix k)
{
	static const char *const what[XMLCLEAN_KINDS] = {
		[XMLCLEAN_BYTES] = "invalid bytes or control characters "
		    "replaced",
		[XMLCLEAN_QUOTE] = "stray quote after the XML declaration "
		    "removed",
		[XMLCLEAN_SCHEMA] = "stray <xs:schema> tag removed",
		[XMLCLEAN_LT] = "unescaped <address> or <URL> in text escaped",
		[XMLCLEAN_CLOSE] = "close tag missing its '<' repaired",
	};

	return what[k];
}
