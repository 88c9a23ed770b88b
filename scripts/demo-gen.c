/*
 * demo-gen: write the reports mailbox of a fictional domain, for demos.
 *
 *	demo-gen [-s SEED] [-d DAYS] [-t NOW_UNIX] -o MAILDIR [-T TLS_MAILDIR]
 *
 * Writes a Maildir (MAILDIR/{cur,new,tmp}, one email per file in new/)
 * holding what the rua= address of acme-widgets.example receives for the
 * DAYS full UTC days (default 21) that end at NOW (default: the current
 * time; NOW is truncated to the UTC day).  Each day's reports arrive a few
 * hours after the day ends, so the last day's emails are dated just after
 * NOW.  With -T, the TLS reports go to tls-reports@acme-widgets.example,
 * a second Maildir, instead.  Files are named <delivery time>.M<n>P1.demo
 * and carry the delivery time as their mtime; new/ must be empty.  Same
 * SEED, DAYS and NOW give byte-identical files with the same names.
 * stdout gets a summary: emails written, and reports, records and
 * messages per reporter, for checking a parser against.
 *
 * The story the data tells, for the policy advisor:
 *
 * - acme-widgets.example publishes `v=DMARC1; p=none; adkim=r; aspf=r`
 *   (no sp, pct 100) for the whole period, and an MTA-STS policy in mode
 *   testing with mx1 and mx2.acme-widgets.example.  It sends 3-5k messages
 *   on weekdays, about half that at weekends.
 * - Own mail servers (192.0.2.25, 192.0.2.26, 2001:db8:a::25), ~38% of
 *   the volume: DKIM d=acme-widgets.example s=mail2024 and SPF pass,
 *   aligned; some mail has header_from mail.acme-widgets.example.
 * - The outbound gateway mailgate-relay.example (198.19.25.10-13), ~30%,
 *   every day: our servers hand it mail, and its footer breaks our DKIM
 *   signature (d=acme-widgets.example fails).  It sends with its own
 *   return-path (SPF passes for bounce.mailgate-relay.example, unaligned)
 *   or with ours, which does not list it (softfail).  No receiver gives a
 *   reason: it is not forwarding but our own main outbound path, to fix
 *   (sign after the footer, or no footer) before quarantine.
 * - Google Workspace (209.85.x.x, 2607:f8b0:...), ~10%: DKIM
 *   d=acme-widgets.example s=google plus the gappssmtp.com signature, SPF
 *   pass, aligned.
 * - The newsletter ESP mailsender.example (198.51.100.x), ~5%, mostly on
 *   weekdays: DKIM d=mailsender.example and SPF for
 *   bounces.mailsender.example both pass but neither is aligned, so DMARC
 *   fails.  A sender to fix (aligned DKIM) before quarantine.
 * - The ESP bulk-post.example, ~15%, from a rotating pool of 180
 *   addresses (198.18.0.1-150, 2001:db8:e5::1-1e), each seen on a day or
 *   two only: DKIM d=bulk-post.example and SPF for rp.bulk-post.example
 *   pass, unaligned.  One sender however many addresses, and another to
 *   fix (aligned DKIM) before quarantine.
 * - Indirect flows, ~2%: an alumni forwarder (203.0.113.10-11; SPF passes
 *   for its own domain when it rewrites the envelope, softfails otherwise;
 *   our DKIM usually survives) and a mailing list (203.0.113.50; its
 *   footer breaks our DKIM, it signs as lists.widgetfans.example).
 *   Reporters mark the failures forwarded, mailing_list or local_policy
 *   with the comment arc=pass.
 * - Spoofers, ~5% and varying from day to day, with bursts: random public
 *   IPv4 sources (none in the ranges above) using header_from
 *   acme-widgets.example, unsigned or signed by a random domain that
 *   fails, SPF softfail (our envelope domain, ~all) or fail (theirs).
 *   Disposition none, as p=none asks.
 * - Reporters, one report per UTC day each: google.com (zip, the largest),
 *   Yahoo (gzip), Outlook.com and Enterprise Outlook (gzip, end = begin +
 *   86400, envelope_to), GMX (plain text/xml in the RFC 9990 namespace
 *   urn:ietf:params:xml:ns:dmarc-2.0, which has no pct but testing=n).
 * - TLS-RPT from google.com and microsoft.com every day: mostly
 *   successful sessions; on the last 5 days mx2's certificate has expired
 *   and the few sessions that go to the backup MX fail with
 *   certificate-expired.  So MTA-STS stays in testing until mx2 has a
 *   new certificate.
 * - Exactly one duplicate (a Google report delivered a second time, via
 *   mx2, same report_id): a store keeps the report once.
 * - Four DMARC failure (forensic, RFC 6591 ARF) reports, from two mailbox
 *   providers (ruf=): two about mail through the outbound gateway whose
 *   footer broke our DKIM signature (Auth-Failure: bodyhash, s=mail2024,
 *   its original's headers only), two about spoofed invoices (DMARC fails
 *   with SPF failing for the spoofer's own domain, the whole original).
 * - One human "hello" message: no report, refused by a parser saying why.
 *
 * Standalone on purpose (libc and zlib only; the zip writer is our own),
 * like bench/gen.c, whose splitmix64 PRNG it uses.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "common/prng.h"

enum { EX_USAGE_ = 64, EX_IO_ = 74 };
enum { DAY = 86400, MAX_DAYS = 366, DEFAULT_DAYS = 21, MX2_BAD_DAYS = 5 };
enum { IP_LEN = 48, NAME_LEN = 64, MAX_SPOOFERS = 400, MAX_WS_IPS = 16 };
enum { N_RUF = 4 };	/* failure reports: ruf_plan */

#define DOMAIN		"acme-widgets.example"
#define SUBDOMAIN	"mail.acme-widgets.example"
#define RUA		"dmarc@acme-widgets.example"
#define TLS_RUA		"tls-reports@acme-widgets.example"

/*
 * One independent stream per (day, purpose): changing how much one report
 * draws does not shift the others.
 */
static uint64_t
rng_for(uint64_t seed, uint32_t day, uint32_t stream)
{
	uint64_t st = seed ^ 0x6a09e667f3bcc909ULL;

	st += (uint64_t)day * 0xd1b54a32d192ed03ULL;
	st += (uint64_t)stream * 0x8cb92ba72f3d8dd7ULL;
	return rng_next(&st);
}

/* ---- growing byte buffers (out of memory aborts) ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_reserve(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (b->p == NULL)
		abort();
	b->cap = cap;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert(n >= 0);
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* snprintf into a fixed array; our strings always fit */
static void fmt_to(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fmt_to(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < size);
	(void)n;
}

/* ---- dates ---- */

static struct tm
utc(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	return tm;
}

/* RFC 5322 date-time: "Tue, 14 Jan 2026 08:12:03 +0000" */
static void
fmt_mail_date(char *out, size_t size, int64_t t)
{
	struct tm tm = utc(t);

	if (strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		abort();
}

/* The other forms reporters write, all in UTC. */
enum ts_form {
	TS_RFC3339,	/* 2026-01-14T00:00:00Z */
	TS_DOTTED,	/* 2026.01.14T00.00.00Z, Google's TLS Report-ID */
	TS_SPACED,	/* 2026-01-14 00:00:00 */
	TS_DATE,	/* 2026-01-14 */
};

static void
fmt_utc(char *out, size_t size, enum ts_form form, int64_t t)
{
	struct tm tm = utc(t);
	int y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday;

	switch (form) {
	case TS_RFC3339:
		fmt_to(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		break;
	case TS_DOTTED:
		fmt_to(out, size, "%04d.%02d.%02dT%02d.%02d.%02dZ", y, mo, d,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		break;
	case TS_SPACED:
		fmt_to(out, size, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		break;
	case TS_DATE:
		fmt_to(out, size, "%04d-%02d-%02d", y, mo, d);
		break;
	}
}

/* ---- containers: base64, gzip, zip ---- */

static void
base64_lines(struct buf *out, const struct buf *in)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in->p;
	size_t i, n, col = 0;
	char q[4];
	uint32_t v;

	for (i = 0; i < in->len; i += 3) {
		n = in->len - i;
		v = (uint32_t)p[i] << 16;
		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = n > 1 ? tab[(v >> 6) & 63] : '=';
		q[3] = n > 2 ? tab[v & 63] : '=';
		buf_add(out, q, 4);
		col += 4;
		if (col == 76) {
			buf_str(out, "\n");
			col = 0;
		}
	}
	if (col != 0)
		buf_str(out, "\n");
}

/* Run an initialised deflate stream over all of in, appending to out. */
static void
deflate_all(z_stream *z, const struct buf *in, struct buf *out)
{
	enum { CHUNK = 16384 };
	int rc;

	z->next_in = (Bytef *)in->p;
	z->avail_in = (uInt)in->len;
	do {
		buf_reserve(out, CHUNK);
		z->next_out = (Bytef *)out->p + out->len;
		z->avail_out = CHUNK;
		rc = deflate(z, Z_FINISH);
		out->len += CHUNK - z->avail_out;
	} while (rc == Z_OK);
	if (rc != Z_STREAM_END)
		abort();
	deflateEnd(z);
}

/* gzip with the original file name and time in the header, like gzip(1) */
static void
gzip_bytes(const struct buf *in, const char *name, int64_t mtime,
    struct buf *out)
{
	char fname[256];
	z_stream z;
	gz_header h;

	memset(&z, 0, sizeof(z));
	memset(&h, 0, sizeof(h));
	fmt_to(fname, sizeof(fname), "%s", name);
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	h.name = (Bytef *)fname;
	h.time = (uLong)mtime;
	h.os = 3;
	if (deflateSetHeader(&z, &h) != Z_OK)
		abort();
	deflate_all(&z, in, out);
}

static void
put16(struct buf *b, uint32_t v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	buf_add(b, c, 2);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* The zip header fields both the local and the central header carry. */
static void
zip_common(struct buf *b, uint32_t dostime, uint32_t crc, size_t csize,
    size_t usize, size_t namelen)
{
	put16(b, 20);			/* version needed: 2.0, deflate */
	put16(b, 0);			/* flags: sizes known up front */
	put16(b, 8);			/* method: deflate */
	put16(b, dostime & 0xffff);
	put16(b, dostime >> 16);
	put32(b, crc);
	put32(b, (uint32_t)csize);
	put32(b, (uint32_t)usize);
	put16(b, (uint32_t)namelen);
	put16(b, 0);			/* extra field length */
}

/* A zip archive holding one deflated file: what Google attaches. */
static void
zip_bytes(const struct buf *in, const char *name, int64_t mtime,
    struct buf *out)
{
	struct buf data = { 0 };
	struct tm tm = utc(mtime);
	size_t namelen = strlen(name), cd_off, cd_size;
	uint32_t crc, dostime;
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	deflate_all(&z, in, &data);
	crc = (uint32_t)crc32(0, (const Bytef *)in->p, (uInt)in->len);
	dostime = (uint32_t)(tm.tm_hour << 11 | tm.tm_min << 5 |
	    tm.tm_sec / 2) | (uint32_t)((tm.tm_year - 80) << 9 |
	    (tm.tm_mon + 1) << 5 | tm.tm_mday) << 16;

	put32(out, 0x04034b50);		/* local file header */
	zip_common(out, dostime, crc, data.len, in->len, namelen);
	buf_add(out, name, namelen);
	buf_add(out, data.p, data.len);
	cd_off = out->len;
	put32(out, 0x02014b50);		/* central directory header */
	put16(out, 3 << 8 | 20);	/* made by: Unix, 2.0 */
	zip_common(out, dostime, crc, data.len, in->len, namelen);
	put16(out, 0);			/* comment length */
	put16(out, 0);			/* disk number */
	put16(out, 0);			/* internal attributes */
	put32(out, 0100644u << 16);	/* external: a regular file */
	put32(out, 0);			/* offset of the local header */
	buf_add(out, name, namelen);
	cd_size = out->len - cd_off;
	put32(out, 0x06054b50);		/* end of central directory */
	put16(out, 0);			/* this disk */
	put16(out, 0);			/* the disk the directory starts on */
	put16(out, 1);			/* entries on this disk */
	put16(out, 1);			/* entries in all */
	put32(out, (uint32_t)cd_size);
	put32(out, (uint32_t)cd_off);
	put16(out, 0);
	buf_free(&data);
}

/* ---- who sends mail as acme-widgets.example ---- */

enum source {
	SRC_OWN, SRC_WORKSPACE, SRC_ESP, SRC_POOL, SRC_RELAY, SRC_FORWARDER,
	SRC_LIST, SRC_SPOOF, N_SOURCES
};

static const char *const source_name[N_SOURCES] = {
	"own mail servers",
	"Google Workspace",
	"ESP mailsender.example (unaligned)",
	"ESP pool bulk-post.example (unaligned)",
	"outbound gateway (breaks our DKIM)",
	"alumni forwarder",
	"mailing list",
	"spoofers",
};

/* share of a weekday's volume, per mille (spoofers are counted apart) */
static const uint32_t source_permille[N_SOURCES] = {
	380, 100, 50, 150, 300, 12, 8, 0
};

static const char *const own_ip[] = {
	"192.0.2.25", "192.0.2.26", "2001:db8:a::25",
};
static const uint32_t own_ip_weight[] = { 45, 40, 15 };
enum { N_OWN_IPS = sizeof(own_ip) / sizeof(own_ip[0]) };

static const char *const esp_ip[] = {
	"198.51.100.20", "198.51.100.21", "198.51.100.22", "198.51.100.23",
	"198.51.100.36", "198.51.100.37", "198.51.100.38", "198.51.100.39",
};
enum { N_ESP_IPS = sizeof(esp_ip) / sizeof(esp_ip[0]) };

/*
 * The bulk-post.example pool: 150 IPv4 and 30 IPv6 addresses, each
 * sending our mail on a day or two of the period, in turn.
 */
enum { N_POOL_V4 = 150, N_POOL = 180, MAX_POOL_DAY = N_POOL };
#define POOL_DOMAIN	"bulk-post.example"

/* the outbound gateway our mail servers hand mail to: its footer breaks
 * our DKIM signature, and it sends with its own return-path most of the
 * time */
static const char *const relay_ip[] = {
	"198.19.25.10", "198.19.25.11", "198.19.25.12", "198.19.25.13",
};
static const uint32_t relay_ip_weight[] = { 35, 30, 20, 15 };
enum { N_RELAY_IPS = sizeof(relay_ip) / sizeof(relay_ip[0]) };
#define RELAY_DOMAIN	"mailgate-relay.example"

static const char *const forwarder_ip[] = { "203.0.113.10", "203.0.113.11" };
enum { N_FORWARDER_IPS = 2 };
#define LIST_IP		"203.0.113.50"
#define FORWARDER_DOMAIN "alumni.northfield-university.example"
#define LIST_DOMAIN	"lists.widgetfans.example"

static const char *const ws_prefix[] = {
	"209.85.220", "209.85.218", "209.85.222", "209.85.128", "209.85.208",
};
enum { N_WS_PREFIXES = sizeof(ws_prefix) / sizeof(ws_prefix[0]) };

static const char *const lookalike[] = {
	"acme-widgets-billing.test", "acmewidgets-support.example",
	"acme-vvidgets.example", "secure-acme-widgets.test",
	"acme-widgets.example.invoice-portal.test",
};
enum { N_LOOKALIKES = sizeof(lookalike) / sizeof(lookalike[0]) };

static const char *const spoof_selector[] = { "default", "s1", "k1", "dkim" };

/* ---- the reporters ---- */

struct reason {
	const char *type, *comment;
};

static const struct reason reason_arc = { "local_policy", "arc=pass" };
static const struct reason reason_forwarded = { "forwarded", NULL };
static const struct reason reason_list = { "mailing_list", NULL };

/* How a reporter writes its XML. */
struct xml_style {
	const char *decl, *root, *indent, *eol;
	bool has_version, has_pct, has_fo, is_dmarc2;
	bool has_envelope;		/* envelope_from, _to in identifiers */
	bool has_spf_scope;
	bool is_result_before_selector;
};

static const struct xml_style style_google = {
	.decl = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>",
	.root = "<feedback>", .indent = "  ", .eol = "\n",
	.has_pct = true, .is_result_before_selector = true,
};
static const struct xml_style style_yahoo = {
	.decl = "<?xml version=\"1.0\"?>",
	.root = "<feedback>", .indent = "  ", .eol = "\n",
	.has_pct = true,
};
static const struct xml_style style_microsoft = {
	.decl = "<?xml version=\"1.0\"?>",
	.root = "<feedback xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
	.indent = "  ", .eol = "\r\n",
	.has_version = true, .has_pct = true, .has_fo = true,
	.has_envelope = true, .has_spf_scope = true,
};
static const struct xml_style style_gmx = {
	.decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
	.root = "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">",
	.indent = "   ", .eol = "\n",
	.has_version = true, .is_dmarc2 = true, .has_envelope = true,
	.has_spf_scope = true,
};

enum container { C_ZIP, C_GZIP, C_XML };
enum report_id_style { ID_DECIMAL, ID_UNIX_USEC, ID_HEX };

static const char *const outlook_to[] = {
	"hotmail.com", "outlook.com", "live.com", "msn.com",
};
static const char *const enterprise_to[] = {
	"northwind-traders.example", "fabrikam.example", "globex-corp.example",
	"initech.example", "contoso-supply.example",
};

struct reporter {
	const char *submitter;		/* Subject and file name */
	const char *org_name, *email, *extra_contact;
	const char *from;		/* From: header */
	const char *relay_pre, *relay_post, *relay_net; /* its server */
	const char *intro;		/* the text part */
	bool is_intro_dated, is_subject_lower, is_id_bracketed;
	enum container container;
	enum report_id_style id_style;
	const struct xml_style *style;
	uint32_t span;			/* date_range end - begin */
	uint32_t delay_min, delay_max;	/* sent this long after the day */
	const char *const *envelope_to;
	size_t n_envelope_to;
	const struct reason *forwarder_reason, *list_reason;
	uint32_t permille[N_SOURCES];	/* share of each source it sees */
};

enum { R_GOOGLE, R_YAHOO, R_OUTLOOK, R_ENTERPRISE, R_GMX, N_REPORTERS };

#define MS_HOST ".outbound.protection.outlook.com"
#define MS_INTRO "This is a DMARC aggregate report from Microsoft Corporation."

/*
 * permille: OWN, WORKSPACE, ESP, POOL, RELAY, FORWARDER, LIST, SPOOF.
 * Businesses read mail on Enterprise Outlook; alumni forward to Gmail and
 * Outlook.com.
 */
static const struct reporter reporters[N_REPORTERS] = {
	[R_GOOGLE] = {
		.submitter = "google.com", .org_name = "google.com",
		.email = "noreply-dmarc-support@google.com",
		.extra_contact = "https://support.google.com/a/answer/2466580",
		.from = "noreply-dmarc-support@google.com",
		.relay_pre = "mail-sor-f", .relay_post = ".google.com",
		.relay_net = "209.85.220",
		.intro = "This is an aggregate report from google.com.",
		.is_subject_lower = true,
		.container = C_ZIP, .id_style = ID_DECIMAL,
		.style = &style_google, .span = 86399,
		.delay_min = 1 * 3600, .delay_max = 10 * 3600,
		.forwarder_reason = &reason_arc, .list_reason = &reason_arc,
		.permille = { 460, 460, 520, 520, 460, 700, 450, 420 },
	},
	[R_YAHOO] = {
		.submitter = "yahoo.com", .org_name = "Yahoo",
		.email = "dmarchelp@yahooinc.com",
		.from = "noreply@dmarc.yahoo.com",
		.relay_pre = "sonic",
		.relay_post = "-24.consmr.mail.ne1.yahoo.com",
		.relay_net = "66.163.184",
		.intro = "This is an aggregate report from Yahoo.",
		.is_id_bracketed = true,
		.container = C_GZIP, .id_style = ID_UNIX_USEC,
		.style = &style_yahoo, .span = 86399,
		.delay_min = 1800, .delay_max = 3 * 3600,
		.forwarder_reason = &reason_forwarded,
		.list_reason = &reason_list,
		.permille = { 70, 70, 90, 90, 70, 60, 150, 110 },
	},
	[R_OUTLOOK] = {
		.submitter = "protection.outlook.com",
		.org_name = "Outlook.com",
		.email = "dmarcreport@microsoft.com",
		.from = "DMARC Aggregate Report <dmarcreport@microsoft.com>",
		.relay_pre = "mail-dm6nam1", .relay_post = MS_HOST,
		.relay_net = "40.107.94",
		.intro = MS_INTRO, .is_intro_dated = true,
		.container = C_GZIP, .id_style = ID_HEX,
		.style = &style_microsoft, .span = 86400,
		.delay_min = 2 * 3600, .delay_max = 8 * 3600,
		.envelope_to = outlook_to, .n_envelope_to = 4,
		.forwarder_reason = &reason_forwarded,
		.list_reason = &reason_arc,
		.permille = { 110, 110, 140, 140, 110, 200, 200, 160 },
	},
	[R_ENTERPRISE] = {
		.submitter = "enterprise.protection.outlook.com",
		.org_name = "Enterprise Outlook",
		.email = "dmarcreport@microsoft.com",
		.from = "DMARC Aggregate Report <dmarcreport@microsoft.com>",
		.relay_pre = "mail-bn8nam1", .relay_post = MS_HOST,
		.relay_net = "40.107.236",
		.intro = MS_INTRO, .is_intro_dated = true,
		.container = C_GZIP, .id_style = ID_HEX,
		.style = &style_microsoft, .span = 86400,
		.delay_min = 3 * 3600, .delay_max = 12 * 3600,
		.envelope_to = enterprise_to, .n_envelope_to = 5,
		.permille = { 170, 170, 60, 60, 170, 0, 0, 120 },
	},
	[R_GMX] = {
		.submitter = "gmx.net", .org_name = "GMX",
		.email = "noreply-dmarc@sicher.gmx.net",
		.extra_contact = "https://postmaster.gmx.net/en/case?c=r2002",
		.from = "noreply-dmarc@sicher.gmx.net",
		.relay_pre = "mout", .relay_post = ".gmx.net",
		.relay_net = "212.227.17",
		.intro = "DMARC aggregate report from GMX for the domain "
		    DOMAIN ".",
		.is_id_bracketed = true,
		.container = C_XML, .id_style = ID_HEX,
		.style = &style_gmx, .span = 86399,
		.delay_min = 600, .delay_max = 3600,
		.permille = { 30, 30, 40, 40, 30, 40, 100, 40 },
	},
};

/* TLS-RPT reporters */
struct tls_reporter {
	const char *submitter, *org_name, *contact, *from;
	const char *relay_pre, *relay_post, *relay_net, *intro;
	const char *const *mta_net;	/* /24s its sending MTAs are in */
	size_t n_mta_net;
	bool is_pretty, has_mx_host, is_google_id;
	uint32_t sessions_min, sessions_max;	/* on a weekday */
	uint32_t delay_min, delay_max;
};

static const char *const google_mta_net[] = {
	"209.85.218", "209.85.220", "209.85.222",
};
static const char *const microsoft_mta_net[] = {
	"40.107.92", "40.107.93", "40.107.95", "52.100.165",
};

enum { T_GOOGLE, T_MICROSOFT, N_TLS_REPORTERS };

static const struct tls_reporter tls_reporters[N_TLS_REPORTERS] = {
	[T_GOOGLE] = {
		.submitter = "google.com", .org_name = "Google Inc.",
		.contact = "smtp-tls-reporting@google.com",
		.from = "noreply-smtp-tls-reporting@google.com",
		.relay_pre = "mail-sor-f", .relay_post = ".google.com",
		.relay_net = "209.85.220",
		.intro = "This is an aggregate TLS report from google.com",
		.mta_net = google_mta_net, .n_mta_net = 3,
		.has_mx_host = true, .is_google_id = true,
		.sessions_min = 300, .sessions_max = 700,
		.delay_min = 8 * 3600, .delay_max = 12 * 3600,
	},
	[T_MICROSOFT] = {
		.submitter = "microsoft.com",
		.org_name = "Microsoft Corporation",
		.contact = "tlsrpt-noreply@microsoft.com",
		.from = "tlsrpt-noreply@microsoft.com",
		.relay_pre = "mail-co1nam1", .relay_post = MS_HOST,
		.relay_net = "40.107.92",
		.intro = "This is an aggregate TLS report from Microsoft "
		    "Corporation.",
		.mta_net = microsoft_mta_net, .n_mta_net = 4,
		.is_pretty = true,
		.sessions_min = 180, .sessions_max = 420,
		.delay_min = 2 * 3600, .delay_max = 20 * 3600,
	},
};

/* ---- one day of the world ---- */

struct spoofer {
	char ip[IP_LEN];
	char dkim_domain[NAME_LEN];	/* "": unsigned */
	const char *selector;
	char env_domain[NAME_LEN];	/* "": our own domain, softfail */
};

struct day {
	uint32_t index;
	int64_t begin;
	bool is_weekend, is_mx2_expired;
	uint32_t volume[N_SOURCES];
	char ws_ip[MAX_WS_IPS][IP_LEN];
	uint32_t ws_weight[MAX_WS_IPS];
	size_t n_ws;
	struct spoofer spoofer[MAX_SPOOFERS];
	size_t n_spoofers;
	uint32_t pool[MAX_POOL_DAY];	/* the pool addresses of the day */
	char pool_ip[MAX_POOL_DAY][IP_LEN];
	size_t n_pool;
};

static bool
is_reserved_v4(uint32_t a, uint32_t b, uint32_t c)
{
	return a == 0 || a == 10 || a == 127 || a >= 224 ||
	    (a == 100 && b >= 64 && b < 128) || (a == 169 && b == 254) ||
	    (a == 172 && b >= 16 && b < 32) || (a == 192 && b == 168) ||
	    (a == 192 && b == 0 && c <= 2) || (a == 198 && b >= 18 && b < 20) ||
	    (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 &&
	    c == 113) || (a == 209 && b == 85);
}

/* A public-looking IPv4 address outside every range the story uses. */
static void
random_public_v4(uint64_t *rng, char *out, size_t size)
{
	uint32_t a, b, c;

	do {
		a = rng_range(rng, 1, 223);
		b = rng_below(rng, 256);
		c = rng_below(rng, 256);
	} while (is_reserved_v4(a, b, c));
	fmt_to(out, size, "%u.%u.%u.%u", a, b, c, rng_range(rng, 1, 254));
}

/* A throwaway or look-alike domain under a reserved TLD (RFC 2606). */
static void
random_domain(uint64_t *rng, char *out, size_t size)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char label[16];
	uint32_t i, n;

	if (rng_pct(rng, 25)) {
		fmt_to(out, size, "%s",
		    lookalike[rng_below(rng, N_LOOKALIKES)]);
		return;
	}
	n = rng_range(rng, 5, 10);
	label[0] = letters[rng_below(rng, 26)];
	for (i = 1; i < n; i++)
		label[i] = alnum[rng_below(rng, 36)];
	label[n] = '\0';
	fmt_to(out, size, "%s.%s", label, rng_pct(rng, 50) ? "example" :
	    "test");
}

static bool
has_ip(const struct day *d, const char *ip)
{
	size_t i;

	for (i = 0; i < d->n_spoofers; i++)
		if (strcmp(d->spoofer[i].ip, ip) == 0)
			return true;
	for (i = 0; i < d->n_ws; i++)
		if (strcmp(d->ws_ip[i], ip) == 0)
			return true;
	return false;
}

static void
plan_spoofers(uint64_t *rng, struct day *d)
{
	struct spoofer *s;
	size_t n = d->volume[SRC_SPOOF] / 4 + 12;

	if (n > MAX_SPOOFERS)
		n = MAX_SPOOFERS;
	d->n_spoofers = 0;
	while (d->n_spoofers < n) {
		s = &d->spoofer[d->n_spoofers];
		random_public_v4(rng, s->ip, sizeof(s->ip));
		if (has_ip(d, s->ip))
			continue;
		s->dkim_domain[0] = s->env_domain[0] = '\0';
		s->selector = spoof_selector[rng_below(rng, 4)];
		if (rng_pct(rng, 45))
			random_domain(rng, s->dkim_domain,
			    sizeof(s->dkim_domain));
		if (rng_pct(rng, 40))
			random_domain(rng, s->env_domain,
			    sizeof(s->env_domain));
		d->n_spoofers++;
	}
}

static void
plan_workspace(uint64_t *rng, struct day *d)
{
	char ip[IP_LEN];
	size_t n = rng_range(rng, 6, 12);

	d->n_ws = 0;
	while (d->n_ws < n) {
		if (d->n_ws >= n - 2 && rng_pct(rng, 50))
			fmt_to(ip, sizeof(ip), "2607:f8b0:4864:20::%x",
			    rng_range(rng, 0x100, 0xfff));
		else
			fmt_to(ip, sizeof(ip), "%s.%u",
			    ws_prefix[rng_below(rng, N_WS_PREFIXES)],
			    rng_range(rng, 1, 254));
		if (has_ip(d, ip))
			continue;
		fmt_to(d->ws_ip[d->n_ws], IP_LEN, "%s", ip);
		/* a few busy relays, a tail of quiet ones */
		d->ws_weight[d->n_ws] = d->n_ws < 3 ? rng_range(rng, 20, 40) :
		    rng_range(rng, 2, 10);
		d->n_ws++;
	}
}

static void
pool_ip(uint32_t i, char *out, size_t size)
{
	if (i < N_POOL_V4)
		fmt_to(out, size, "198.18.0.%u", i + 1);
	else
		fmt_to(out, size, "2001:db8:e5::%x", i - N_POOL_V4 + 1);
}

/*
 * Pool address i sends on the day index*N_POOL/days reaches it, and on
 * the next one too for about half of them: every day has a few, and
 * none is seen for long.  Over more than 90 days the turn comes round
 * again every 90 days.
 */
static void
plan_pool(uint64_t seed, uint32_t index, uint32_t days, struct day *d)
{
	uint32_t span = days < 90 ? days : 90, at = index % span;
	uint32_t i, first, len;
	uint64_t h;

	d->n_pool = 0;
	for (i = 0; i < N_POOL; i++) {
		h = rng_for(seed, i, 7);
		first = (uint32_t)((uint64_t)i * span / N_POOL);
		len = 1 + (uint32_t)(h & 1);
		if (at < first || at >= first + len)
			continue;
		assert(d->n_pool < MAX_POOL_DAY);
		pool_ip(i, d->pool_ip[d->n_pool], IP_LEN);
		d->pool[d->n_pool++] = i;
	}
}

/* Volumes of the day: weekday rhythm, newsletters, spoofing bursts. */
static void
plan_day(uint64_t seed, uint32_t index, uint32_t days, int64_t begin,
    struct day *d)
{
	uint64_t rng = rng_for(seed, index, 1);
	struct tm tm = utc(begin);
	uint32_t total, s, factor;

	d->index = index;
	d->begin = begin;
	d->is_weekend = tm.tm_wday == 0 || tm.tm_wday == 6;
	d->is_mx2_expired = index + MX2_BAD_DAYS >= days;
	total = d->is_weekend ? rng_range(&rng, 1500, 2500) :
	    rng_range(&rng, 3000, 5000);
	for (s = 0; s < N_SOURCES; s++)
		d->volume[s] = total * source_permille[s] / 1000;
	/* the ESP sends campaigns on weekdays, only stragglers at weekends */
	d->volume[SRC_ESP] = d->volume[SRC_ESP] * (d->is_weekend ?
	    rng_range(&rng, 20, 40) : rng_range(&rng, 80, 130)) / 100;
	/* spoofers keep no office hours; now and then a campaign */
	factor = rng_range(&rng, 40, 160);
	if (rng_pct(&rng, 12))
		factor *= 3;
	d->volume[SRC_SPOOF] = 140 * factor / 100;
	plan_workspace(&rng, d);
	plan_spoofers(&rng, d);
	plan_pool(seed, index, days, d);
}

/* ---- the records of one report ---- */

struct dkim_result {
	const char *domain, *selector, *result;
};

struct row {
	const char *ip;
	uint32_t count;
	enum source source;
	bool is_dkim_aligned, is_spf_aligned;	/* policy_evaluated */
	const struct reason *reason;
	const char *envelope_to, *envelope_from, *header_from;
	struct dkim_result dkim[2];
	unsigned n_dkim;
	const char *spf_result;		/* for envelope_from */
	uint32_t weight;		/* share within its source */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static struct row *
rows_push(struct rows *rs, const struct row *r)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
		if (rs->v == NULL)
			abort();
	}
	rs->v[rs->n] = *r;
	return &rs->v[rs->n++];
}

/*
 * Give `total` messages to the templates t[0..n), in proportion to their
 * weights jittered by +-20%, and push those that get any.
 */
static void
push_shares(uint64_t *rng, struct rows *rs, struct row *t, size_t n,
    uint32_t total)
{
	uint64_t w[MAX_SPOOFERS], sum = 0, r;
	uint32_t given = 0;
	size_t i;

	assert(n > 0 && n <= MAX_SPOOFERS);
	for (i = 0; i < n; i++) {
		w[i] = (uint64_t)t[i].weight * rng_range(rng, 80, 120);
		sum += w[i];
	}
	for (i = 0; i < n; i++) {
		t[i].count = (uint32_t)((uint64_t)total * w[i] / sum);
		given += t[i].count;
	}
	while (given < total) {		/* the rounding remainder */
		r = rng_next(rng) % sum;
		for (i = 0; i + 1 < n && r >= w[i]; i++)
			r -= w[i];
		t[i].count++;
		given++;
	}
	for (i = 0; i < n; i++)
		if (t[i].count > 0)
			rows_push(rs, &t[i]);
}

static struct row
row_base(enum source src, const char *ip, const char *header_from,
    const char *envelope_from, const char *spf_result)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.source = src;
	r.ip = ip;
	r.header_from = header_from;
	r.envelope_from = envelope_from;
	r.spf_result = spf_result;
	r.weight = 1;
	return r;
}

static void
add_dkim(struct row *r, const char *domain, const char *selector,
    const char *result)
{
	assert(r->n_dkim < 2);
	r->dkim[r->n_dkim].domain = domain;
	r->dkim[r->n_dkim].selector = selector;
	r->dkim[r->n_dkim].result = result;
	r->n_dkim++;
}

static void
rows_own(uint64_t *rng, struct rows *rs, uint32_t total)
{
	struct row t[N_OWN_IPS * 2];
	size_t i, n = 0;
	const char *hf;

	for (i = 0; i < N_OWN_IPS * 2; i++) {
		hf = i % 2 ? SUBDOMAIN : DOMAIN;
		t[n] = row_base(SRC_OWN, own_ip[i / 2], hf, hf, "pass");
		add_dkim(&t[n], DOMAIN, "mail2024", "pass");
		t[n].is_dkim_aligned = t[n].is_spf_aligned = true;
		t[n].weight = own_ip_weight[i / 2] * (i % 2 ? 15 : 85);
		n++;
	}
	push_shares(rng, rs, t, n, total);
}

static void
rows_workspace(uint64_t *rng, const struct day *d, struct rows *rs,
    uint32_t total)
{
	struct row t[MAX_WS_IPS];
	size_t i;

	for (i = 0; i < d->n_ws; i++) {
		t[i] = row_base(SRC_WORKSPACE, d->ws_ip[i], DOMAIN, DOMAIN,
		    "pass");
		add_dkim(&t[i], DOMAIN, "google", "pass");
		add_dkim(&t[i], "acme-widgets-example.20230601.gappssmtp.com",
		    "20230601", "pass");
		t[i].is_dkim_aligned = t[i].is_spf_aligned = true;
		t[i].weight = d->ws_weight[i];
	}
	push_shares(rng, rs, t, d->n_ws, total);
}

static void
rows_esp(uint64_t *rng, struct rows *rs, uint32_t total)
{
	struct row t[N_ESP_IPS];
	size_t i;

	for (i = 0; i < N_ESP_IPS; i++) {
		t[i] = row_base(SRC_ESP, esp_ip[i], DOMAIN,
		    "bounces.mailsender.example", "pass");
		add_dkim(&t[i], "mailsender.example", "ms1", "pass");
		t[i].weight = i < 4 ? 20 : 5;
	}
	push_shares(rng, rs, t, N_ESP_IPS, total);
}

/* The pool signs as bulk-post.example, its return-path is its own. */
static void
rows_pool(uint64_t *rng, const struct day *d, struct rows *rs,
    uint32_t total)
{
	struct row t[MAX_POOL_DAY];
	size_t i;

	if (d->n_pool == 0 || total == 0)
		return;
	for (i = 0; i < d->n_pool; i++) {
		t[i] = row_base(SRC_POOL, d->pool_ip[i], DOMAIN,
		    "rp." POOL_DOMAIN, "pass");
		add_dkim(&t[i], POOL_DOMAIN, "bp2026", "pass");
		t[i].weight = 1 + d->pool[i] % 4;
	}
	push_shares(rng, rs, t, d->n_pool, total);
}

/*
 * The gateway appends a footer, so our signature fails; it rewrites the
 * envelope to its own domain (SPF passes, unaligned) except for a part
 * it relays as is (our SPF does not list it: softfail).  No receiver
 * has a reason to forgive it.
 */
static void
rows_relay(uint64_t *rng, struct rows *rs, uint32_t total)
{
	struct row t[N_RELAY_IPS * 2];
	size_t i, n = 0;

	for (i = 0; i < N_RELAY_IPS; i++) {
		t[n] = row_base(SRC_RELAY, relay_ip[i], DOMAIN,
		    "bounce." RELAY_DOMAIN, "pass");
		add_dkim(&t[n], DOMAIN, "mail2024", "fail");
		t[n++].weight = relay_ip_weight[i] * 75;
		t[n] = row_base(SRC_RELAY, relay_ip[i], DOMAIN, DOMAIN,
		    "softfail");
		add_dkim(&t[n], DOMAIN, "mail2024", "fail");
		t[n++].weight = relay_ip_weight[i] * 25;
	}
	push_shares(rng, rs, t, n, total);
}

/*
 * The forwarder rewrites the envelope (SRS) most of the time; our DKIM
 * signature survives except when it mangles the body.
 */
static void
rows_forwarder(uint64_t *rng, const struct reporter *rep, struct rows *rs,
    uint32_t total)
{
	struct row t[N_FORWARDER_IPS * 3];
	size_t i, n = 0;

	for (i = 0; i < N_FORWARDER_IPS; i++) {
		t[n] = row_base(SRC_FORWARDER, forwarder_ip[i], DOMAIN,
		    FORWARDER_DOMAIN, "pass");
		add_dkim(&t[n], DOMAIN, "mail2024", "pass");
		t[n].is_dkim_aligned = true;
		t[n++].weight = 55;
		t[n] = row_base(SRC_FORWARDER, forwarder_ip[i], DOMAIN,
		    DOMAIN, "softfail");
		add_dkim(&t[n], DOMAIN, "mail2024", "pass");
		t[n].is_dkim_aligned = true;
		t[n++].weight = 35;
		t[n] = row_base(SRC_FORWARDER, forwarder_ip[i], DOMAIN,
		    DOMAIN, "softfail");
		add_dkim(&t[n], DOMAIN, "mail2024", "fail");
		t[n].reason = rep->forwarder_reason;
		t[n++].weight = 10;
	}
	push_shares(rng, rs, t, n, total);
}

/* The list's footer breaks our signature; it signs with its own. */
static void
rows_list(uint64_t *rng, const struct reporter *rep, struct rows *rs,
    uint32_t total)
{
	struct row t[2];

	t[0] = row_base(SRC_LIST, LIST_IP, DOMAIN, LIST_DOMAIN, "pass");
	add_dkim(&t[0], DOMAIN, "mail2024", "fail");
	add_dkim(&t[0], LIST_DOMAIN, "list", "pass");
	t[0].reason = rep->list_reason;
	t[0].weight = 75;
	t[1] = row_base(SRC_LIST, LIST_IP, DOMAIN, LIST_DOMAIN, "pass");
	add_dkim(&t[1], DOMAIN, "mail2024", "pass");
	add_dkim(&t[1], LIST_DOMAIN, "list", "pass");
	t[1].is_dkim_aligned = true;
	t[1].weight = 25;
	push_shares(rng, rs, t, 2, total);
}

/* A long tail: most spoofing sources send a message or two. */
static uint32_t
spoof_burst(uint64_t *rng)
{
	uint32_t r = rng_below(rng, 100);

	if (r < 60)
		return rng_range(rng, 1, 3);
	if (r < 90)
		return rng_range(rng, 4, 10);
	return rng_range(rng, 11, 40);
}

static void
rows_spoof(uint64_t *rng, const struct day *d, struct rows *rs,
    uint32_t total)
{
	const struct spoofer *s;
	struct row r;
	size_t i, start = rng_below(rng, (uint32_t)d->n_spoofers);
	uint32_t c;

	/* each reporter sees its own slice of the same botnet */
	for (i = 0; total > 0 && i < d->n_spoofers; i++) {
		s = &d->spoofer[(start + i) % d->n_spoofers];
		c = spoof_burst(rng);
		if (c > total || i + 1 == d->n_spoofers)
			c = total;
		r = s->env_domain[0] ?
		    row_base(SRC_SPOOF, s->ip, DOMAIN, s->env_domain, "fail") :
		    row_base(SRC_SPOOF, s->ip, DOMAIN, DOMAIN, "softfail");
		if (s->dkim_domain[0])
			add_dkim(&r, s->dkim_domain, s->selector, "fail");
		r.count = c;
		rows_push(rs, &r);
		total -= c;
	}
}

/* Microsoft splits each row by recipient domain (envelope_to). */
static void
split_envelope_to(uint64_t *rng, const struct reporter *rep,
    struct rows *rs)
{
	size_t i, j, k, n = rs->n, first;
	uint32_t left, part;
	struct row copy;

	if (rep->n_envelope_to == 0)
		return;
	for (i = 0; i < n; i++) {
		left = rs->v[i].count;
		first = rng_below(rng, (uint32_t)rep->n_envelope_to);
		k = left < 2 ? 1 : rng_range(rng, 1, left < 3 ? left : 3);
		for (j = 1; j < k; j++) {
			part = rng_range(rng, 1, left - (uint32_t)(k - j));
			copy = rs->v[i];
			copy.count = part;
			copy.envelope_to = rep->envelope_to[(first + j) %
			    rep->n_envelope_to];
			rows_push(rs, &copy);
			left -= part;
		}
		rs->v[i].count = left;
		rs->v[i].envelope_to = rep->envelope_to[first];
	}
}

static void
shuffle_rows(uint64_t *rng, struct rows *rs)
{
	struct row tmp;
	size_t i, j;

	for (i = rs->n; i > 1; i--) {
		j = rng_below(rng, (uint32_t)i);
		tmp = rs->v[i - 1];
		rs->v[i - 1] = rs->v[j];
		rs->v[j] = tmp;
	}
}

/* What one reporter saw of the day's mail. */
static void
build_rows(uint64_t *rng, const struct day *d, const struct reporter *rep,
    struct rows *rs)
{
	uint32_t vol[N_SOURCES];
	size_t s;

	for (s = 0; s < N_SOURCES; s++)
		vol[s] = (uint32_t)((uint64_t)d->volume[s] * rep->permille[s] *
		    rng_range(rng, 92, 108) / 100000);
	rs->n = 0;
	rows_own(rng, rs, vol[SRC_OWN]);
	rows_workspace(rng, d, rs, vol[SRC_WORKSPACE]);
	rows_esp(rng, rs, vol[SRC_ESP]);
	rows_pool(rng, d, rs, vol[SRC_POOL]);
	rows_relay(rng, rs, vol[SRC_RELAY]);
	if (vol[SRC_FORWARDER] > 0)
		rows_forwarder(rng, rep, rs, vol[SRC_FORWARDER]);
	if (vol[SRC_LIST] > 0)
		rows_list(rng, rep, rs, vol[SRC_LIST]);
	rows_spoof(rng, d, rs, vol[SRC_SPOOF]);
	split_envelope_to(rng, rep, rs);
	shuffle_rows(rng, rs);
}

/* ---- the aggregate report XML ---- */

struct xw {
	struct buf *b;
	const struct xml_style *st;
	int depth;
};

static void
xw_indent(struct xw *w)
{
	int i;

	for (i = 0; i < w->depth; i++)
		buf_str(w->b, w->st->indent);
}

static void
xw_open(struct xw *w, const char *tag)
{
	xw_indent(w);
	buf_addf(w->b, "<%s>%s", tag, w->st->eol);
	w->depth++;
}

static void
xw_close(struct xw *w, const char *tag)
{
	w->depth--;
	xw_indent(w);
	buf_addf(w->b, "</%s>%s", tag, w->st->eol);
}

/* Our values never hold markup characters: no escaping needed. */
static void
xw_elem(struct xw *w, const char *tag, const char *value)
{
	xw_indent(w);
	buf_addf(w->b, "<%s>%s</%s>%s", tag, value, tag, w->st->eol);
}

static void
xw_elem_num(struct xw *w, const char *tag, int64_t value)
{
	char s[24];

	fmt_to(s, sizeof(s), "%" PRId64, value);
	xw_elem(w, tag, s);
}

struct report_meta {
	char id[NAME_LEN];
	int64_t begin, end, sent;
	uint64_t records, messages;
};

static void
xml_head(struct xw *w, const struct reporter *rep,
    const struct report_meta *m)
{
	const struct xml_style *st = w->st;

	buf_addf(w->b, "%s%s%s%s", st->decl, st->eol, st->root, st->eol);
	w->depth = 1;
	if (st->has_version)
		xw_elem(w, "version", "1.0");
	xw_open(w, "report_metadata");
	xw_elem(w, "org_name", rep->org_name);
	xw_elem(w, "email", rep->email);
	if (rep->extra_contact != NULL)
		xw_elem(w, "extra_contact_info", rep->extra_contact);
	xw_elem(w, "report_id", m->id);
	xw_open(w, "date_range");
	xw_elem_num(w, "begin", m->begin);
	xw_elem_num(w, "end", m->end);
	xw_close(w, "date_range");
	xw_close(w, "report_metadata");
	xw_open(w, "policy_published");
	xw_elem(w, "domain", DOMAIN);
	if (st->is_dmarc2)
		xw_elem(w, "discovery_method", "psl");
	xw_elem(w, "adkim", "r");
	xw_elem(w, "aspf", "r");
	xw_elem(w, "p", "none");
	if (st->has_pct)
		xw_elem(w, "pct", "100");
	if (st->has_fo)
		xw_elem(w, "fo", "0");
	if (st->is_dmarc2)
		xw_elem(w, "testing", "n");
	xw_close(w, "policy_published");
}

static void
xml_row(struct xw *w, const struct row *r)
{
	xw_open(w, "row");
	xw_elem(w, "source_ip", r->ip);
	xw_elem_num(w, "count", r->count);
	xw_open(w, "policy_evaluated");
	xw_elem(w, "disposition", "none");
	xw_elem(w, "dkim", r->is_dkim_aligned ? "pass" : "fail");
	xw_elem(w, "spf", r->is_spf_aligned ? "pass" : "fail");
	if (r->reason != NULL) {
		xw_open(w, "reason");
		xw_elem(w, "type", r->reason->type);
		if (r->reason->comment != NULL)
			xw_elem(w, "comment", r->reason->comment);
		xw_close(w, "reason");
	}
	xw_close(w, "policy_evaluated");
	xw_close(w, "row");
	xw_open(w, "identifiers");
	if (w->st->has_envelope && r->envelope_to != NULL)
		xw_elem(w, "envelope_to", r->envelope_to);
	if (w->st->has_envelope)
		xw_elem(w, "envelope_from", r->envelope_from);
	xw_elem(w, "header_from", r->header_from);
	xw_close(w, "identifiers");
}

static void
xml_auth(struct xw *w, const struct row *r)
{
	const struct dkim_result *k;
	unsigned i;

	xw_open(w, "auth_results");
	for (i = 0; i < r->n_dkim; i++) {
		k = &r->dkim[i];
		xw_open(w, "dkim");
		xw_elem(w, "domain", k->domain);
		if (w->st->is_result_before_selector)
			xw_elem(w, "result", k->result);
		xw_elem(w, "selector", k->selector);
		if (!w->st->is_result_before_selector)
			xw_elem(w, "result", k->result);
		xw_close(w, "dkim");
	}
	xw_open(w, "spf");
	xw_elem(w, "domain", r->envelope_from);
	if (w->st->has_spf_scope)
		xw_elem(w, "scope", "mfrom");
	xw_elem(w, "result", r->spf_result);
	xw_close(w, "spf");
	xw_close(w, "auth_results");
}

static void
write_xml(struct buf *b, const struct reporter *rep, struct report_meta *m,
    const struct rows *rs)
{
	struct xw w = { b, rep->style, 0 };
	size_t i;

	buf_clear(b);
	xml_head(&w, rep, m);
	m->records = rs->n;
	m->messages = 0;
	for (i = 0; i < rs->n; i++) {
		xw_open(&w, "record");
		xml_row(&w, &rs->v[i]);
		xml_auth(&w, &rs->v[i]);
		xw_close(&w, "record");
		m->messages += rs->v[i].count;
	}
	w.depth = 0;
	buf_addf(b, "</feedback>%s", rep->style->eol);
}

/* ---- the TLS report JSON ---- */

struct jw {
	struct buf *b;
	bool is_pretty, is_first;
	int depth;
};

static void
jw_sep(struct jw *w, const char *key)
{
	int i;

	if (!w->is_first)
		buf_str(w->b, ",");
	w->is_first = false;
	if (w->is_pretty && w->depth > 0) {
		buf_str(w->b, "\n");
		for (i = 0; i < w->depth; i++)
			buf_str(w->b, "    ");
	}
	if (key != NULL)
		buf_addf(w->b, "\"%s\":%s", key, w->is_pretty ? " " : "");
}

static void
jw_open(struct jw *w, const char *key, char c)
{
	jw_sep(w, key);
	buf_add(w->b, &c, 1);
	w->depth++;
	w->is_first = true;
}

static void
jw_close(struct jw *w, char c)
{
	int i;

	w->depth--;
	if (w->is_pretty && !w->is_first) {
		buf_str(w->b, "\n");
		for (i = 0; i < w->depth; i++)
			buf_str(w->b, "    ");
	}
	buf_add(w->b, &c, 1);
	w->is_first = false;
}

static void
jw_str(struct jw *w, const char *key, const char *value)
{
	jw_sep(w, key);
	buf_addf(w->b, "\"%s\"", value);
}

static void
jw_num(struct jw *w, const char *key, uint64_t value)
{
	jw_sep(w, key);
	buf_addf(w->b, "%" PRIu64, value);
}

struct tls_day {
	uint32_t ok, failed;
};

static void
json_policy(struct jw *w, const struct tls_reporter *t)
{
	jw_open(w, "policy", '{');
	jw_str(w, "policy-type", "sts");
	jw_open(w, "policy-string", '[');
	jw_str(w, NULL, "version: STSv1");
	jw_str(w, NULL, "mode: testing");
	jw_str(w, NULL, "mx: mx1." DOMAIN);
	jw_str(w, NULL, "mx: mx2." DOMAIN);
	jw_str(w, NULL, "max_age: 604800");
	jw_close(w, ']');
	jw_str(w, "policy-domain", DOMAIN);
	if (t->has_mx_host) {
		jw_open(w, "mx-host", '[');
		jw_str(w, NULL, "mx1." DOMAIN);
		jw_str(w, NULL, "mx2." DOMAIN);
		jw_close(w, ']');
	}
	jw_close(w, '}');
}

/* mx2's expired certificate, as seen from a few sending MTAs */
static void
json_failures(uint64_t *rng, struct jw *w, const struct tls_reporter *t,
    uint32_t failed)
{
	char ip[IP_LEN];
	uint32_t k, j, part;

	k = rng_range(rng, 1, (uint32_t)t->n_mta_net);
	if (k > failed)
		k = failed;
	jw_open(w, "failure-details", '[');
	for (j = 0; j < k; j++) {
		part = j + 1 == k ? failed :
		    rng_range(rng, 1, failed - (k - j - 1));
		failed -= part;
		fmt_to(ip, sizeof(ip), "%s.%u", t->mta_net[(j + k) %
		    t->n_mta_net], rng_range(rng, 1, 254));
		jw_open(w, NULL, '{');
		jw_str(w, "result-type", "certificate-expired");
		jw_str(w, "sending-mta-ip", ip);
		jw_str(w, "receiving-ip", "192.0.2.26");
		jw_str(w, "receiving-mx-hostname", "mx2." DOMAIN);
		jw_num(w, "failed-session-count", part);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void
write_tls_json(uint64_t *rng, struct buf *b, const struct tls_reporter *t,
    const struct report_meta *m, const struct tls_day *td)
{
	struct jw w = { b, t->is_pretty, true, 0 };
	char start[32], end[32];

	fmt_utc(start, sizeof(start), TS_RFC3339, m->begin);
	fmt_utc(end, sizeof(end), TS_RFC3339, m->end);
	buf_clear(b);
	jw_open(&w, NULL, '{');
	jw_str(&w, "organization-name", t->org_name);
	jw_open(&w, "date-range", '{');
	jw_str(&w, "start-datetime", start);
	jw_str(&w, "end-datetime", end);
	jw_close(&w, '}');
	jw_str(&w, "contact-info", t->contact);
	jw_str(&w, "report-id", m->id);
	jw_open(&w, "policies", '[');
	jw_open(&w, NULL, '{');
	json_policy(&w, t);
	jw_open(&w, "summary", '{');
	jw_num(&w, "total-successful-session-count", td->ok);
	jw_num(&w, "total-failure-session-count", td->failed);
	jw_close(&w, '}');
	if (td->failed > 0)
		json_failures(rng, &w, t, td->failed);
	jw_close(&w, '}');
	jw_close(&w, ']');
	jw_close(&w, '}');
}

/* ---- emails ---- */

struct mail {
	int64_t date, delivered;
	const char *mx;			/* "mx1" or "mx2" */
	const char *return_path;	/* bare address */
	const char *from, *to, *subject;
	const char *rcpt;		/* the mailbox; NULL: RUA */
	char message_id[NAME_LEN * 2];
	char relay_host[NAME_LEN * 2], relay_ip[IP_LEN], queue_id[16];
	const char *extra;		/* more header lines, or NULL */
	const char *ctype;		/* without the boundary */
	char boundary[NAME_LEN];	/* "": a single-part message */
};

/* The sending server, and our MX's queue id for the message. */
static void
mail_relay(uint64_t *rng, struct mail *m, const char *host_pre,
    const char *host_post, const char *net)
{
	uint32_t n = rng_range(rng, 41, 99);

	fmt_to(m->relay_host, sizeof(m->relay_host), "%s%u%s", host_pre, n,
	    host_post);
	fmt_to(m->relay_ip, sizeof(m->relay_ip), "%s.%u", net, n);
	fmt_to(m->queue_id, sizeof(m->queue_id), "4%c%08" PRIX32,
	    'B' + (char)rng_below(rng, 24), (uint32_t)rng_next(rng));
}

static void
mail_headers(struct buf *b, const struct mail *m)
{
	const char *rp_domain = strchr(m->return_path, '@');
	const char *rcpt = m->rcpt != NULL ? m->rcpt : RUA;
	char date[64], delivered[64];

	assert(rp_domain != NULL);
	rp_domain++;
	fmt_mail_date(date, sizeof(date), m->date);
	fmt_mail_date(delivered, sizeof(delivered), m->delivered);
	buf_addf(b, "Return-Path: <%s>\n"
	    "Delivered-To: %s\n"
	    "Received: from %s (%s [%s])\n"
	    "\tby %s.%s (Postfix) with ESMTPS id %s\n"
	    "\tfor <%s>; %s (UTC)\n"
	    "Authentication-Results: %s.%s;\n"
	    "\tdkim=pass header.d=%s; spf=pass smtp.mailfrom=%s\n"
	    "MIME-Version: 1.0\n"
	    "Date: %s\n",
	    m->return_path, rcpt, m->relay_host, m->relay_host, m->relay_ip,
	    m->mx, DOMAIN, m->queue_id, rcpt, delivered, m->mx, DOMAIN,
	    rp_domain, rp_domain, date);
	if (m->extra != NULL)
		buf_str(b, m->extra);
	buf_addf(b, "Message-ID: %s\nSubject: %s\nFrom: %s\nTo: %s\n",
	    m->message_id, m->subject, m->from, m->to);
	if (m->boundary[0] != '\0')
		buf_addf(b, "Content-Type: %s; boundary=\"%s\"\n\n", m->ctype,
		    m->boundary);
	else
		buf_addf(b, "Content-Type: %s\n\n", m->ctype);
}

/* A short human part, then the report base64-encoded. */
static void
mail_with_report(struct buf *b, const struct mail *m, const char *text,
    const char *att_type, const char *att_name, const struct buf *att)
{
	buf_clear(b);
	mail_headers(b, m);
	buf_addf(b, "--%s\n"
	    "Content-Type: text/plain; charset=\"UTF-8\"\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "%s\n\n"
	    "--%s\n"
	    "Content-Type: %s;\n\tname=\"%s\"\n"
	    "Content-Disposition: attachment;\n\tfilename=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n\n",
	    m->boundary, text, m->boundary, att_type, att_name, att_name);
	base64_lines(b, att);
	buf_addf(b, "\n--%s--\n", m->boundary);
}

static void
make_boundary(uint64_t *rng, char *out, size_t size, bool is_google)
{
	if (is_google)
		fmt_to(out, size, "000000000000%016" PRIx64, rng_next(rng));
	else
		fmt_to(out, size, "----=_Part_%" PRIu32 "_%" PRIu32 ".%"
		    PRIu64, rng_below(rng, 1000000), rng_below(rng, 1000000),
		    (uint64_t)(rng_next(rng) % 10000000000000ULL));
}

/* ---- Maildir ---- */

static int
make_dir(const char *path)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "demo-gen: cannot create %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* new/ must start empty: older mail would not match our summary */
static int
check_empty(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int ret = 0;

	if (d == NULL) {
		fprintf(stderr, "demo-gen: cannot open %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0) {
			fprintf(stderr, "demo-gen: %s is not empty\n", dir);
			ret = -1;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int
maildir_create(const char *path)
{
	static const char *const sub[] = { "cur", "new", "tmp" };
	char dir[4096];
	size_t i;
	int n;

	if (make_dir(path) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		n = snprintf(dir, sizeof(dir), "%s/%s", path, sub[i]);
		if (n < 0 || (size_t)n >= sizeof(dir)) {
			fprintf(stderr, "demo-gen: path too long: %s\n", path);
			return -1;
		}
		if (make_dir(dir) == -1)
			return -1;
		if (i == 1 && check_empty(dir) == -1)
			return -1;
	}
	return 0;
}

struct tally {
	uint32_t reports;
	uint64_t records, messages;
};

struct gen {
	uint64_t seed;
	uint32_t days, dup_day, hello_day, failure_day[N_RUF];
	int64_t now;
	const char *maildir, *tls_maildir;	/* tls_maildir NULL: maildir */
	uint32_t n_emails, n_failure, n_other;
	struct tally dmarc[N_REPORTERS], tls[N_TLS_REPORTERS], dup;
	uint64_t src_messages[N_SOURCES], src_pass[N_SOURCES];
	struct buf doc, packed, mail;
	struct rows rows;
	struct day day;
};

/* Deliver into tmp/, then move to new/: the Maildir protocol. */
static int
maildir_put(struct gen *g, const char *dir, int64_t t, const struct buf *msg)
{
	char name[64], tmp[4200], dst[4200];
	struct timespec ts[2];
	size_t off = 0;
	ssize_t n;
	int fd;

	fmt_to(name, sizeof(name), "%" PRId64 ".M%" PRIu32 "P1.demo", t,
	    g->n_emails + 1);
	fmt_to(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	fmt_to(dst, sizeof(dst), "%s/new/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -1)
		goto fail;
	while (off < msg->len) {
		n = write(fd, msg->p + off, msg->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += (size_t)n;
	}
	/* mail readers that sort by file time see the delivery order */
	ts[0].tv_sec = ts[1].tv_sec = (time_t)t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) == -1)
		goto fail;
	g->n_emails++;
	return 0;
fail:
	fprintf(stderr, "demo-gen: cannot write %s: %s\n", tmp,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

/* ---- one DMARC report email ---- */

static void
make_report_id(uint64_t *rng, const struct reporter *rep, int64_t sent,
    char *out, size_t size)
{
	uint64_t a, b;

	switch (rep->id_style) {
	case ID_DECIMAL:
		/* 19 digits, like Google's */
		a = 1000000000000000000ULL +
		    rng_next(rng) % 9000000000000000000ULL;
		fmt_to(out, size, "%" PRIu64, a);
		break;
	case ID_UNIX_USEC:
		fmt_to(out, size, "%" PRId64 ".%06" PRIu32, sent,
		    rng_below(rng, 1000000));
		break;
	case ID_HEX:
		a = rng_next(rng);
		b = rng_next(rng);
		fmt_to(out, size, "%016" PRIx64 "%016" PRIx64, a, b);
		break;
	}
}

/* The file as the reporter attaches it, its name and media type. */
static const char *
pack_report(const struct reporter *rep, const struct report_meta *m,
    const struct buf *xml, struct buf *out, char *name, size_t size)
{
	char base[NAME_LEN * 2], entry[NAME_LEN * 2 + 8];

	fmt_to(base, sizeof(base), "%s!%s!%" PRId64 "!%" PRId64,
	    rep->submitter, DOMAIN, m->begin, m->end);
	fmt_to(entry, sizeof(entry), "%s.xml", base);
	buf_clear(out);
	switch (rep->container) {
	case C_ZIP:
		zip_bytes(xml, entry, m->sent, out);
		fmt_to(name, size, "%s.zip", base);
		return "application/zip";
	case C_GZIP:
		gzip_bytes(xml, entry, m->sent, out);
		fmt_to(name, size, "%s.xml.gz", base);
		return "application/gzip";
	case C_XML:
		buf_add(out, xml->p, xml->len);
		fmt_to(name, size, "%s", entry);
		return "text/xml";
	}
	abort();
}

/* "Name <addr>" or "addr" -> addr */
static void
bare_address(const char *from, char *out, size_t size)
{
	const char *lt = strchr(from, '<');

	if (lt == NULL)
		fmt_to(out, size, "%s", from);
	else
		fmt_to(out, size, "%.*s", (int)strcspn(lt + 1, ">"), lt + 1);
}

struct mail_text {
	char subject[256], text[512], return_path[NAME_LEN];
};

static void
dmarc_mail(uint64_t *rng, const struct reporter *rep,
    const struct report_meta *m, struct mail *ml, struct mail_text *mt)
{
	char b[32], e[32];

	memset(ml, 0, sizeof(*ml));
	bare_address(rep->from, mt->return_path, sizeof(mt->return_path));
	ml->date = m->sent;
	ml->delivered = m->sent + rng_range(rng, 2, 90);
	ml->mx = "mx1";
	ml->return_path = mt->return_path;
	ml->from = rep->from;
	ml->to = RUA;
	fmt_to(mt->subject, sizeof(mt->subject),
	    "Report %s: %s Submitter: %s Report-ID: %s%s%s",
	    rep->is_subject_lower ? "domain" : "Domain", DOMAIN,
	    rep->submitter, rep->is_id_bracketed ? "<" : "", m->id,
	    rep->is_id_bracketed ? ">" : "");
	ml->subject = mt->subject;
	fmt_to(ml->message_id, sizeof(ml->message_id), "<%s@%s>", m->id,
	    strchr(mt->return_path, '@') + 1);
	mail_relay(rng, ml, rep->relay_pre, rep->relay_post, rep->relay_net);
	ml->ctype = "multipart/mixed";
	make_boundary(rng, ml->boundary, sizeof(ml->boundary),
	    rep->container == C_ZIP);
	fmt_utc(b, sizeof(b), TS_SPACED, m->begin);
	fmt_utc(e, sizeof(e), TS_SPACED, m->end);
	if (rep->is_intro_dated)
		fmt_to(mt->text, sizeof(mt->text), "%s For Emails received "
		    "between %s UTC to %s UTC.", rep->intro, b, e);
	else
		fmt_to(mt->text, sizeof(mt->text), "%s", rep->intro);
}

static void
tally_dmarc(struct gen *g, struct tally *t, const struct report_meta *m,
    bool is_copy)
{
	const struct row *r;
	size_t i;

	t->reports++;
	t->records += m->records;
	t->messages += m->messages;
	if (is_copy)
		return;
	for (i = 0; i < g->rows.n; i++) {
		r = &g->rows.v[i];
		g->src_messages[r->source] += r->count;
		if (r->is_dkim_aligned || r->is_spf_aligned)
			g->src_pass[r->source] += r->count;
	}
}

static int
emit_dmarc(struct gen *g, const struct day *d, uint32_t r)
{
	const struct reporter *rep = &reporters[r];
	uint64_t rng = rng_for(g->seed, d->index, 16 + r);
	char name[NAME_LEN * 3];
	struct report_meta m;
	struct mail_text mt;
	struct mail ml;
	const char *ctype;

	build_rows(&rng, d, rep, &g->rows);
	m.begin = d->begin;
	m.end = d->begin + rep->span;
	m.sent = d->begin + DAY + rng_range(&rng, rep->delay_min,
	    rep->delay_max);
	make_report_id(&rng, rep, m.sent, m.id, sizeof(m.id));
	write_xml(&g->doc, rep, &m, &g->rows);
	ctype = pack_report(rep, &m, &g->doc, &g->packed, name, sizeof(name));
	dmarc_mail(&rng, rep, &m, &ml, &mt);
	mail_with_report(&g->mail, &ml, mt.text, ctype, name, &g->packed);
	if (maildir_put(g, g->maildir, ml.delivered, &g->mail) == -1)
		return -1;
	tally_dmarc(g, &g->dmarc[r], &m, false);
	if (r != R_GOOGLE || d->index != g->dup_day)
		return 0;
	/* mx1 timed out after taking the message: google.com sent it again
	 * through the backup MX, and both copies were delivered */
	ml.mx = "mx2";
	ml.delivered += rng_range(&rng, 300, 900);
	mail_relay(&rng, &ml, rep->relay_pre, rep->relay_post, rep->relay_net);
	mail_with_report(&g->mail, &ml, mt.text, ctype, name, &g->packed);
	if (maildir_put(g, g->maildir, ml.delivered, &g->mail) == -1)
		return -1;
	tally_dmarc(g, &g->dup, &m, true);
	return 0;
}

/* ---- one TLS report email ---- */

/* Inbound sessions; mx2, the backup MX, gets 1-3% of them. */
static void
tls_sessions(uint64_t *rng, const struct day *d,
    const struct tls_reporter *t, struct tls_day *td)
{
	uint32_t sessions = rng_range(rng, t->sessions_min, t->sessions_max);
	uint32_t mx2;

	if (d->is_weekend)
		sessions = sessions * 45 / 100;
	mx2 = sessions * rng_range(rng, 10, 30) / 1000;
	td->failed = d->is_mx2_expired ? (mx2 < 2 ? 2 : mx2) : 0;
	td->ok = sessions - td->failed;
}

/* report-id, Subject, file name: as Google and Microsoft write them */
static void
tls_names(uint64_t *rng, const struct tls_reporter *t,
    struct report_meta *m, struct mail *ml, struct mail_text *mt,
    char *name, size_t size)
{
	char day[32], dotted[32];
	uint64_t filetime;

	fmt_utc(day, sizeof(day), TS_RFC3339, m->begin);
	fmt_utc(dotted, sizeof(dotted), TS_DOTTED, m->begin);
	if (t->is_google_id) {
		fmt_to(m->id, sizeof(m->id), "%s_%s", day, DOMAIN);
		fmt_to(mt->subject, sizeof(mt->subject), "Report Domain: %s "
		    "Submitter: %s Report-ID: <%s+%s@%s>", DOMAIN,
		    t->submitter, dotted, DOMAIN, t->submitter);
		fmt_to(ml->message_id, sizeof(ml->message_id),
		    "<%08" PRIx32 ".%08" PRIx32 "tls@google.com>",
		    (uint32_t)rng_next(rng), (uint32_t)rng_next(rng));
		fmt_to(name, size, "%s!%s!%" PRId64 "!%" PRId64 "!001.json",
		    t->submitter, DOMAIN, m->begin, m->end);
		return;
	}
	/* a Windows FILETIME of when the report was made */
	filetime = ((uint64_t)m->sent + 11644473600ULL) * 10000000ULL +
	    rng_below(rng, 10000000);
	fmt_to(m->id, sizeof(m->id), "%" PRIu64 "+%s", filetime, DOMAIN);
	fmt_to(mt->subject, sizeof(mt->subject), "Report Domain: %s "
	    "Submitter: %s Report-ID: %s", DOMAIN, t->submitter, m->id);
	fmt_to(ml->message_id, sizeof(ml->message_id), "<%" PRIu64
	    "@microsoft.com>", filetime);
	fmt_to(name, size, "%s!%s!%" PRId64 "!%" PRId64 ".json",
	    t->submitter, DOMAIN, m->begin, m->end);
}

static void
tls_mail(uint64_t *rng, const struct tls_reporter *t,
    const struct report_meta *m, struct mail *ml, struct mail_text *mt)
{
	fmt_to(mt->return_path, sizeof(mt->return_path), "%s", t->from);
	ml->date = m->sent;
	ml->delivered = m->sent + rng_range(rng, 2, 90);
	ml->mx = "mx1";
	ml->return_path = mt->return_path;
	ml->from = t->from;
	ml->to = RUA;
	ml->subject = mt->subject;
	fmt_to(mt->text, sizeof(mt->text), "%s", t->intro);
	mail_relay(rng, ml, t->relay_pre, t->relay_post, t->relay_net);
	ml->ctype = "multipart/report; report-type=\"tlsrpt\"";
	make_boundary(rng, ml->boundary, sizeof(ml->boundary),
	    t->is_google_id);
}

static int
emit_tls(struct gen *g, const struct day *d, uint32_t ti)
{
	const struct tls_reporter *t = &tls_reporters[ti];
	uint64_t rng = rng_for(g->seed, d->index, 32 + ti);
	char name[NAME_LEN * 3], gzname[NAME_LEN * 3 + 4], extra[256];
	struct report_meta m;
	struct mail_text mt;
	struct tls_day td;
	struct mail ml;

	memset(&ml, 0, sizeof(ml));
	tls_sessions(&rng, d, t, &td);
	m.begin = d->begin;
	m.end = d->begin + DAY - 1;
	m.sent = d->begin + DAY + rng_range(&rng, t->delay_min, t->delay_max);
	m.records = 1;
	m.messages = (uint64_t)td.ok + td.failed;
	tls_names(&rng, t, &m, &ml, &mt, name, sizeof(name));
	write_tls_json(&rng, &g->doc, t, &m, &td);
	buf_clear(&g->packed);
	gzip_bytes(&g->doc, name, m.sent, &g->packed);
	fmt_to(gzname, sizeof(gzname), "%s.gz", name);
	tls_mail(&rng, t, &m, &ml, &mt);
	fmt_to(extra, sizeof(extra), "TLS-Report-Domain: %s\n"
	    "TLS-Report-Submitter: %s\n", DOMAIN, t->submitter);
	ml.extra = extra;
	if (g->tls_maildir != NULL)	/* rua=mailto:tls-reports@ */
		ml.to = ml.rcpt = TLS_RUA;
	mail_with_report(&g->mail, &ml, mt.text, "application/tlsrpt+gzip",
	    gzname, &g->packed);
	if (maildir_put(g, g->tls_maildir != NULL ? g->tls_maildir :
	    g->maildir, ml.delivered, &g->mail) == -1)
		return -1;
	g->tls[ti].reports++;
	g->tls[ti].records += m.records;
	g->tls[ti].messages += m.messages;
	return 0;
}

/* ---- failure (ruf) reports, and the one email that is no report ---- */

/* A mailbox provider that sends failure reports (ARF, RFC 6591). */
struct ruf_reporter {
	const char *from;		/* its report address */
	const char *mx, *agent;		/* its MX, its User-Agent */
	const char *relay_pre, *relay_post, *relay_net;
	const char *rcpt;		/* its user the sampled mail was for */
};

static const struct ruf_reporter ruf_reporters[] = {
	{ "noreply-dmarc@feedback.kabelmail.example", "mx.kabelmail.example",
	  "kabelmail-dmarc/2.1", "mout", ".kabelmail.example", "198.18.7",
	  "k.meyer@kabelmail.example" },
	{ "dmarc-failures@reports.postfach-nord.example",
	  "mx01.postfach-nord.example", "OpenDMARC-Filter/1.4.2", "relay",
	  ".postfach-nord.example", "198.18.9",
	  "jens.hansen@postfach-nord.example" },
};

/*
 * The samples: a spoofer of the day whose own envelope domain fails SPF
 * (DMARC fails, nothing aligned), and our outbound gateway, whose footer
 * breaks our DKIM signature's body hash.  On the day at days * num / den.
 */
enum ruf_kind { RUF_SPOOF, RUF_RELAY };
static const struct {
	enum ruf_kind kind;
	size_t reporter;
	uint32_t num, den;
} ruf_plan[N_RUF] = {
	{ RUF_RELAY, 1, 1, 3 },
	{ RUF_SPOOF, 0, 2, 3 },
	{ RUF_SPOOF, 1, 5, 6 },
	{ RUF_RELAY, 0, 9, 10 },
};

/* the ARF fields every sample has */
static void
ruf_fields(struct buf *b, const struct ruf_reporter *rr, const char *from,
    const char *ip, const char *date)
{
	buf_addf(b, "Content-Type: message/feedback-report\n\n"
	    "Feedback-Type: auth-failure\nUser-Agent: %s\nVersion: 1\n"
	    "Original-Mail-From: <%s>\nOriginal-Rcpt-To: <%s>\n"
	    "Arrival-Date: %s\nReporting-MTA: dns; %s\nSource-IP: %s\n"
	    "Reported-Domain: %s\n", rr->agent, from, rr->rcpt, date, rr->mx,
	    ip, DOMAIN);
}

/* A spoofed invoice: DMARC fails, SPF fails for the spoofer's domain. */
static void
ruf_spoof(struct buf *b, const struct mail *ml, const struct ruf_reporter *rr,
    const struct spoofer *s, int64_t arrival)
{
	const char *env = s->env_domain[0] ? s->env_domain : DOMAIN;
	char date[64], from[NAME_LEN * 2];

	fmt_mail_date(date, sizeof(date), arrival);
	fmt_to(from, sizeof(from), "billing@%s", env);
	buf_addf(b, "--%s\nContent-Type: text/plain; charset=\"US-ASCII\"\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "This is an authentication failure report for an email message "
	    "received\nfrom IP %s on %s.\n\n--%s\n", ml->boundary, s->ip, date,
	    ml->boundary);
	ruf_fields(b, rr, from, s->ip, date);
	buf_addf(b, "Authentication-Results: %s; dmarc=fail (p=none dis=none)"
	    "\n header.from=%s; spf=%s smtp.mailfrom=%s; dkim=%s%s\n"
	    "Identity-Alignment: none\nAuth-Failure: dmarc\n", rr->mx, DOMAIN,
	    s->env_domain[0] ? "fail" : "softfail", env,
	    s->dkim_domain[0] ? "fail header.d=" : "none", s->dkim_domain);
	if (s->dkim_domain[0])
		buf_addf(b, "DKIM-Domain: %s\nDKIM-Selector: %s\n",
		    s->dkim_domain, s->selector);
	buf_addf(b, "Delivery-Result: delivered\n\n--%s\n"
	    "Content-Type: message/rfc822\nContent-Disposition: inline\n\n"
	    "Received: from [%s] by %s with ESMTP;\n\t%s\n"
	    "From: \"Acme Widgets Billing\" <billing@%s>\n"
	    "To: <%s>\nSubject: Your invoice 48213 is overdue\nDate: %s\n"
	    "Message-ID: <%08" PRIx32 ".%" PRId64 "@%s>\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain\n\n"
	    "Please pay the overdue invoice today to avoid suspension.\n"
	    "\n--%s--\n", ml->boundary, s->ip, rr->mx, date, DOMAIN,
	    rr->rcpt, date, (uint32_t)arrival * 2654435761u, arrival, env,
	    ml->boundary);
}

/* Our quote, through the outbound gateway: its footer broke the body
 * hash of our signature.  The original's headers only. */
static void
ruf_relay(struct buf *b, uint64_t *rng, const struct mail *ml,
    const struct ruf_reporter *rr, int64_t arrival)
{
	const char *ip = relay_ip[rng_below(rng, N_RELAY_IPS)];
	uint32_t bounce = (uint32_t)rng_next(rng), quote = rng_range(rng,
	    1000, 9999);
	char date[64], from[NAME_LEN * 2];

	fmt_mail_date(date, sizeof(date), arrival);
	fmt_to(from, sizeof(from), "bounce+%08" PRIx32 "@bounce." RELAY_DOMAIN,
	    bounce);
	buf_addf(b, "--%s\nContent-Type: text/plain; charset=\"US-ASCII\"\n\n"
	    "A message claiming to be from %s failed authentication.\n"
	    "Its DKIM signature did not verify: the body hash does not "
	    "match.\n\n--%s\n", ml->boundary, DOMAIN, ml->boundary);
	ruf_fields(b, rr, from, ip, date);
	buf_addf(b, "Authentication-Results: %s;\n dkim=fail (body hash did "
	    "not verify) header.d=%s header.s=mail2024\n header.i=@%s; "
	    "spf=pass smtp.mailfrom=bounce.%s;\n dmarc=fail (p=none dis=none) "
	    "header.from=%s\nAuth-Failure: bodyhash\nDKIM-Domain: %s\n"
	    "DKIM-Identity: @%s\nDKIM-Selector: mail2024\n"
	    "Identity-Alignment: none\nDelivery-Result: delivered\n\n",
	    rr->mx, DOMAIN, DOMAIN, RELAY_DOMAIN, DOMAIN, DOMAIN, DOMAIN);
	buf_addf(b, "--%s\nContent-Type: text/rfc822-headers\n\n"
	    "Received: from out%d.%s (out%d.%s [%s])\n\tby %s with ESMTPS; %s\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=%s;\n"
	    "\ts=mail2024; t=%" PRId64 "; h=from:to:subject:date:message-id;\n"
	    "\tbh=%08" PRIx32 "%08" PRIx32 "qX2vZb1L8wR0mYt5Kc=;\n"
	    "\tb=Jm3%08" PRIx32 "Rk9aT0pWq2h7Lx1cVnE4sYdG8uF6bNzQ=\n"
	    "From: \"Acme Widgets Sales\" <sales@%s>\nTo: <%s>\n"
	    "Subject: Your quote Q-%u\nDate: %s\n"
	    "Message-ID: <quote-%u.%" PRId64 "@%s>\n\n--%s--\n",
	    ml->boundary, ip[strlen(ip) - 1] - '0' + 1, RELAY_DOMAIN,
	    ip[strlen(ip) - 1] - '0' + 1, RELAY_DOMAIN, ip, rr->mx, date,
	    DOMAIN, arrival - 40, (uint32_t)rng_next(rng),
	    (uint32_t)rng_next(rng), (uint32_t)rng_next(rng), DOMAIN,
	    rr->rcpt, quote, date, quote, arrival, DOMAIN, ml->boundary);
}

/* a spoofer of the day, one with SPF fail when there is one */
static const struct spoofer *
ruf_spoofer(uint64_t *rng, const struct day *d)
{
	size_t start = rng_below(rng, (uint32_t)d->n_spoofers);

	for (size_t i = 0; i < d->n_spoofers; i++) {
		const struct spoofer *s =
		    &d->spoofer[(start + i) % d->n_spoofers];

		if (s->env_domain[0])
			return s;
	}
	return &d->spoofer[start];
}

/* A DMARC failure (forensic, RFC 6591) report about one message. */
static int
emit_failure(struct gen *g, const struct day *d, size_t k)
{
	const struct ruf_reporter *rr = &ruf_reporters[ruf_plan[k].reporter];
	uint64_t rng = rng_for(g->seed, d->index, 56 + (uint32_t)k);
	int64_t arrival = d->begin + rng_range(&rng, 8 * 3600, 20 * 3600);
	const struct spoofer *s = NULL;
	char subject[128], from[128];
	struct mail ml;

	if (ruf_plan[k].kind == RUF_SPOOF)
		s = ruf_spoofer(&rng, d);
	memset(&ml, 0, sizeof(ml));
	ml.date = arrival + rng_range(&rng, 30, 600);
	ml.delivered = ml.date + rng_range(&rng, 2, 30);
	ml.mx = "mx1";
	ml.return_path = rr->from;
	fmt_to(from, sizeof(from), "DMARC Failure Reports <%s>", rr->from);
	ml.from = from;
	ml.to = RUA;
	fmt_to(subject, sizeof(subject), "DMARC Failure Report for %s "
	    "Mail-From: IP:%s", DOMAIN, s != NULL ? s->ip : "gateway");
	if (s == NULL)
		fmt_to(subject, sizeof(subject), "Authentication failure "
		    "report for %s", DOMAIN);
	ml.subject = subject;
	fmt_to(ml.message_id, sizeof(ml.message_id), "<ruf.%08" PRIx32 "@%s>",
	    (uint32_t)rng_next(&rng), strchr(rr->from, '@') + 1);
	mail_relay(&rng, &ml, rr->relay_pre, rr->relay_post, rr->relay_net);
	ml.ctype = "multipart/report; report-type=feedback-report";
	make_boundary(&rng, ml.boundary, sizeof(ml.boundary), false);
	buf_clear(&g->mail);
	mail_headers(&g->mail, &ml);
	if (s != NULL)
		ruf_spoof(&g->mail, &ml, rr, s, arrival);
	else
		ruf_relay(&g->mail, &rng, &ml, rr, arrival);
	if (maildir_put(g, g->maildir, ml.delivered, &g->mail) == -1)
		return -1;
	g->n_failure++;
	return 0;
}

/* A colleague checking that the mailbox works: no report at all. */
static int
emit_hello(struct gen *g, const struct day *d)
{
	uint64_t rng = rng_for(g->seed, d->index, 49);
	struct mail ml;

	memset(&ml, 0, sizeof(ml));
	ml.date = d->begin + 9 * 3600 + 14 * 60 + rng_below(&rng, 60);
	ml.delivered = ml.date + rng_range(&rng, 2, 20);
	ml.mx = "mx1";
	ml.return_path = "dana.whitfield@" DOMAIN;
	ml.from = "Dana Whitfield <dana.whitfield@" DOMAIN ">";
	ml.to = RUA;
	ml.subject = "hello";
	fmt_to(ml.message_id, sizeof(ml.message_id),
	    "<CAJ%016" PRIx64 "@mail.gmail.com>", rng_next(&rng));
	mail_relay(&rng, &ml, "mail-sor-f", ".google.com", "209.85.220");
	ml.ctype = "text/plain; charset=\"UTF-8\"";
	buf_clear(&g->mail);
	mail_headers(&g->mail, &ml);
	buf_str(&g->mail, "Hi,\n\nis this the mailbox our DMARC reports go "
	    "to? IT asked me to check\nthat it receives mail. Nothing to do "
	    "here, you can delete this.\n\nThanks,\nDana\n");
	if (maildir_put(g, g->maildir, ml.delivered, &g->mail) == -1)
		return -1;
	g->n_other++;
	return 0;
}

/* ---- summary ---- */

static void
print_tally(const char *name, const char *kind, const struct tally *t)
{
	printf("%-36s %-6s %7" PRIu32 " %8" PRIu64 " %9" PRIu64 "\n", name,
	    kind, t->reports, t->records, t->messages);
}

static void
add_tally(struct tally *sum, const struct tally *t)
{
	sum->reports += t->reports;
	sum->records += t->records;
	sum->messages += t->messages;
}

static void
print_sources(const struct gen *g)
{
	uint64_t total = 0;
	size_t s;

	for (s = 0; s < N_SOURCES; s++)
		total += g->src_messages[s];
	printf("\nDMARC messages by source (all reporters, duplicate "
	    "excluded)\n%-44s %9s %6s %6s\n", "SOURCE", "MESSAGES", "SHARE",
	    "PASS");
	for (s = 0; s < N_SOURCES; s++)
		printf("%-44s %9" PRIu64 " %5.1f%% %5.1f%%\n", source_name[s],
		    g->src_messages[s], total ? 100.0 *
		    (double)g->src_messages[s] / (double)total : 0.0,
		    g->src_messages[s] ? 100.0 * (double)g->src_pass[s] /
		    (double)g->src_messages[s] : 0.0);
}

static void
print_summary(const struct gen *g)
{
	struct tally sum = { 0 };
	char first[16], last[16];
	size_t i;

	fmt_utc(first, sizeof(first), TS_DATE, g->now - g->days * DAY);
	fmt_utc(last, sizeof(last), TS_DATE, g->now - DAY);
	printf("maildir %s/new: %" PRIu32 " emails, %" PRIu32 " UTC days "
	    "%s .. %s, seed %" PRIu64 "\n\n", g->maildir, g->n_emails,
	    g->days, first, last, g->seed);
	printf("%-36s %-6s %7s %8s %9s\n", "REPORTER", "KIND", "REPORTS",
	    "RECORDS", "MESSAGES");
	for (i = 0; i < N_REPORTERS; i++) {
		print_tally(reporters[i].submitter, "dmarc", &g->dmarc[i]);
		add_tally(&sum, &g->dmarc[i]);
	}
	for (i = 0; i < N_TLS_REPORTERS; i++) {
		print_tally(tls_reporters[i].submitter, "tlsrpt", &g->tls[i]);
		add_tally(&sum, &g->tls[i]);
	}
	print_tally("distinct reports", "", &sum);
	print_tally("google.com, delivered a second time", "dmarc", &g->dup);
	add_tally(&sum, &g->dup);
	print_tally("total, as a parser reads them", "", &sum);
	printf("(TLS-RPT: records are policies, messages are sessions)\n\n");
	printf("emails: %" PRIu32 " = %" PRIu32 " report emails + %" PRIu32
	    " duplicate delivery + %" PRIu32 " failure (forensic) reports + %"
	    PRIu32 " non-report message\n", g->n_emails,
	    sum.reports - g->dup.reports, g->dup.reports, g->n_failure,
	    g->n_other);
	print_sources(g);
}

/* ---- command line ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: demo-gen [-s SEED] [-d DAYS] [-t NOW_UNIX] "
	    "-o MAILDIR [-T TLS_MAILDIR]\n");
	exit(EX_USAGE_);
}

static uint64_t
parse_u64(const char *s, uint64_t min, uint64_t max, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	return (uint64_t)v;
bad:
	fprintf(stderr, "demo-gen: invalid %s: %s\n", what, s);
	exit(EX_USAGE_);
}

static void
parse_args(int argc, char **argv, struct gen *g)
{
	bool has_now = false;
	int c;

	g->seed = 1;
	g->days = DEFAULT_DAYS;
	while ((c = getopt(argc, argv, "s:d:t:o:T:")) != -1) {
		switch (c) {
		case 's':
			g->seed = parse_u64(optarg, 0, UINT64_MAX, "seed");
			break;
		case 'd':
			g->days = (uint32_t)parse_u64(optarg, 1, MAX_DAYS,
			    "number of days");
			break;
		case 't':
			g->now = (int64_t)parse_u64(optarg,
			    (uint64_t)MAX_DAYS * DAY, 253402300799ULL, "time");
			has_now = true;
			break;
		case 'o':
			g->maildir = optarg;
			break;
		case 'T':
			g->tls_maildir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || g->maildir == NULL)
		usage();
	if (!has_now)
		g->now = (int64_t)time(NULL);
	g->now -= g->now % DAY;
	g->dup_day = g->days / 2;
	for (size_t k = 0; k < N_RUF; k++)
		g->failure_day[k] = g->days * ruf_plan[k].num / ruf_plan[k].den;
	g->hello_day = g->days > 1 ? 1 : 0;
}

static int
generate(struct gen *g)
{
	struct day *d = &g->day;
	uint32_t i, r;

	for (i = 0; i < g->days; i++) {
		plan_day(g->seed, i, g->days, g->now - (int64_t)(g->days - i) *
		    DAY, d);
		for (r = 0; r < N_REPORTERS; r++)
			if (emit_dmarc(g, d, r) == -1)
				return -1;
		for (r = 0; r < N_TLS_REPORTERS; r++)
			if (emit_tls(g, d, r) == -1)
				return -1;
		for (size_t k = 0; k < N_RUF; k++)
			if (i == g->failure_day[k] && emit_failure(g, d, k) == -1)
				return -1;
		if (i == g->hello_day && emit_hello(g, d) == -1)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct gen g;
	int ret = EX_IO_;

	parse_args(argc, argv, &g);
	if (maildir_create(g.maildir) == -1 || (g.tls_maildir != NULL &&
	    maildir_create(g.tls_maildir) == -1) || generate(&g) == -1)
		goto out;
	print_summary(&g);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "demo-gen: cannot write the summary\n");
		goto out;
	}
	ret = 0;
out:
	buf_free(&g.doc);
	buf_free(&g.packed);
	buf_free(&g.mail);
	free(g.rows.v);
	return ret;
}
