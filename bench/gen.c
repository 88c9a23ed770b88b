/*
 * gen: write one synthetic DMARC aggregate report (RFC 7489 appendix C)
 * for the benchmark.
 *
 *	gen [-s SEED] [-z] [-d DOMAIN] [-r REPORTER] [-b BEGIN] [-i POOL]
 *	    -n RECORDS -o FILE
 *
 * The report holds exactly RECORDS <record> elements shaped like those of
 * the large receivers: IPv4 and IPv6 sources, small counts with a long
 * tail, mostly passing DKIM/SPF, one or two DKIM signatures and one SPF
 * result per record.  -z writes it gzip'd (zlib, default level).  The
 * output depends only on the arguments: the same arguments give the same
 * bytes.  stdout gets one line, `records=N messages=M`, M being the sum of
 * all <count>s, for checking a parser against.
 *
 * -d names the policy domain (default example.com), -r the reporting
 * organization (default bench.example), -b the start of the report's day
 * in seconds since the epoch (default 2026-01-01T00:00:00Z).
 *
 * -i POOL draws the sources from a fixed pool of POOL addresses instead,
 * as a domain's mail looks over weeks of reports: a few hundred aligned
 * senders (the domain's own servers, a hosted mailbox provider) carry
 * most of the mail; an ESP signs with its own d= and its own return-path;
 * forwarders break the domain's DKIM and are let through by the receiver
 * (reason forwarded, or local_policy with arc=pass); a long tail of
 * spoofers fails everything.  The pool depends only on POOL, not on the
 * seed: reports made with different seeds share their sources.
 *
 * Standalone on purpose (libc and zlib only): the benchmark must not
 * depend on the code it measures.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "common/prng.h"

enum { EX_USAGE_ = 64, EX_IO_ = 74 };
enum { OUT_BUF = 1 << 16, MAX_RECORDS = 100000000 };
enum { MAX_NAME = 200, MIN_POOL = 100, MAX_POOL = 1000000 };

/* One day, starting 2026-01-01T00:00:00Z. */
#define REPORT_BEGIN 1767225600ULL
/* The last day -b takes: 9999-12-31. */
#define MAX_BEGIN 253402214400ULL

/* ---- buffered output to a FILE or a gzFile ---- */

struct out {
	const char *path;
	FILE *fp;
	gzFile gz;
	size_t len;
	bool is_failed;
	char buf[OUT_BUF];
};

static void
out_flush(struct out *o)
{
	if (o->is_failed)
		o->len = 0;
	if (o->len == 0)
		return;
	if (o->gz != NULL) {
		if (gzwrite(o->gz, o->buf, (unsigned)o->len) != (int)o->len)
			o->is_failed = true;
	} else if (fwrite(o->buf, 1, o->len, o->fp) != o->len) {
		o->is_failed = true;
	}
	o->len = 0;
}

static void
out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	assert(n <= sizeof(o->buf));
	if (n > sizeof(o->buf) - o->len)
		out_flush(o);
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_fmt(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out_fmt(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	for (;;) {
		room = sizeof(o->buf) - o->len;
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, room, fmt, ap);
		va_end(ap);
		/* every line we format is far below OUT_BUF */
		if (n >= 0 && (size_t)n < room)
			break;
		if (n < 0 || o->len == 0) {
			o->is_failed = true;
			return;
		}
		out_flush(o);
	}
	o->len += (size_t)n;
}

static int
out_open(struct out *o, const char *path, bool is_gzip)
{
	o->path = path;
	o->fp = NULL;
	o->gz = NULL;
	o->len = 0;
	o->is_failed = false;
	if (is_gzip) {
		o->gz = gzopen(path, "wb");
		if (o->gz != NULL)
			gzbuffer(o->gz, OUT_BUF);
	} else {
		o->fp = fopen(path, "wb");
	}
	if (o->gz == NULL && o->fp == NULL) {
		fprintf(stderr, "gen: cannot create %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
out_close(struct out *o)
{
	int ret = 0;

	out_flush(o);
	if (o->gz != NULL) {
		if (gzclose(o->gz) != Z_OK)
			ret = -1;
	} else if (o->fp != NULL) {
		if (ferror(o->fp) || fclose(o->fp) != 0)
			ret = -1;
	}
	if (o->is_failed)
		ret = -1;
	if (ret == -1)
		fprintf(stderr, "gen: cannot write %s\n", o->path);
	return ret;
}

/* ---- what the records are made of ---- */

/*
 * Who sends mail for example.com: its own servers, a hosted mailbox
 * provider or two, a bulk-mail service, and strangers (forwarders,
 * spoofers).  The provider adds its own DKIM signature as a second one.
 */
struct sender {
	unsigned char v4[2];		/* first two octets; 0: random */
	unsigned char v6[8];		/* the /64 */
	const char *selector;		/* for example.com signatures */
	const char *own_dkim;		/* the provider's own d=, or NULL */
	const char *own_selector;
	const char *bounce;		/* unaligned envelope_from, or NULL */
	uint32_t weight;
};

static const struct sender senders[] = {
	{ { 198, 51 }, { 0x20, 0x01, 0x0d, 0xb8, 0x10, 0x00, 0x00, 0x01 },
	    "mail2026", NULL, NULL, NULL, 20 },
	{ { 209, 85 }, { 0x2a, 0x00, 0x14, 0x50, 0x48, 0x64, 0x00, 0x20 },
	    "google", "example-com.20230601.gappssmtp.com", "20230601",
	    "example-com.gappssmtp.com", 30 },
	{ { 40, 107 }, { 0x2a, 0x01, 0x01, 0x11, 0xf4, 0x03, 0x2c, 0x0c },
	    "selector1", "exampleinc.onmicrosoft.com", "selector1-exampleinc",
	    "exampleinc.onmicrosoft.com", 20 },
	{ { 167, 89 }, { 0x20, 0x01, 0x0d, 0xb8, 0x20, 0x00, 0x00, 0x05 },
	    "s1", "esp.example.net", "s1", "bounces.esp.example.net", 20 },
	{ { 0, 0 }, { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0x00, 0x00 },
	    "default", "forwarder.example.org", "fw1", "forwarder.example.org",
	    10 },
};
enum { N_SENDERS = sizeof(senders) / sizeof(senders[0]) };

/* below the policy domain: "mail" gives mail.example.com */
static const char *const subdomain_labels[] = {
	"mail", "news", "billing", "support", "m",
};
enum { N_SUBDOMAINS = sizeof(subdomain_labels) /
    sizeof(subdomain_labels[0]) };

/* What the report is about and who sends it (-d, -r, -b). */
struct names {
	const char *domain;
	const char *org;
	uint64_t begin;
	char sub[N_SUBDOMAINS][MAX_NAME + 16];
};

static const char *const spf_fails[] = {
	"fail", "softfail", "neutral", "none", "temperror", "permerror",
};
enum { N_SPF_FAILS = sizeof(spf_fails) / sizeof(spf_fails[0]) };

static const char *const dkim_human[] = {
	"", "signature verification failed", "body hash did not verify",
};
enum { N_DKIM_HUMAN = sizeof(dkim_human) / sizeof(dkim_human[0]) };

struct dkim_sig {
	const char *domain;
	const char *selector;
	const char *result;
	const char *human;		/* NULL: no <human_result> */
};

struct record {
	char ip[INET6_ADDRSTRLEN];
	uint32_t count;
	const char *disposition;
	const char *reason;		/* policy override type, or NULL */
	const char *reason_comment;	/* NULL: no <comment> */
	bool is_dkim_pass, is_spf_pass;
	const char *header_from, *envelope_from;
	struct dkim_sig dkim[2];
	unsigned n_dkim;
	const char *spf_result;
};

static const struct sender *
pick_sender(uint64_t *rng)
{
	uint32_t total = 0, r;
	size_t i;

	for (i = 0; i < N_SENDERS; i++)
		total += senders[i].weight;
	r = rng_below(rng, total);
	for (i = 0; i < N_SENDERS - 1; i++) {
		if (r < senders[i].weight)
			break;
		r -= senders[i].weight;
	}
	return &senders[i];
}

/* About 80% IPv4, 20% IPv6; addresses cluster in each sender's ranges. */
static void
pick_ip(uint64_t *rng, const struct sender *s, char *out, size_t size)
{
	unsigned char a[16];
	uint32_t r = (uint32_t)rng_next(rng);

	if (rng_pct(rng, 80)) {
		a[0] = s->v4[0];
		a[1] = s->v4[1];
		if (a[0] == 0) {
			/* a public-looking first octet: not 0, 10, 127, 224+ */
			a[0] = (unsigned char)(1 + rng_below(rng, 222));
			if (a[0] == 10 || a[0] == 127)
				a[0]++;
			a[1] = (unsigned char)rng_below(rng, 256);
		}
		a[2] = (unsigned char)(r >> 8);
		a[3] = (unsigned char)(1 + rng_below(rng, 254));
		inet_ntop(AF_INET, a, out, (socklen_t)size);
		return;
	}
	memcpy(a, s->v6, 8);
	memset(a + 8, 0, 8);
	/* most provider addresses are short (2a00:1450:4864:20::1b5) */
	if (!rng_pct(rng, 60)) {
		a[8] = (unsigned char)(r >> 24);
		a[9] = (unsigned char)(r >> 16);
		a[12] = (unsigned char)(r >> 8);
	}
	a[14] = (unsigned char)rng_below(rng, 16);
	a[15] = (unsigned char)(1 + rng_below(rng, 255));
	inet_ntop(AF_INET6, a, out, (socklen_t)size);
}

/* 1..200, most rows are a handful of messages. */
static uint32_t
pick_count(uint64_t *rng)
{
	uint32_t r = rng_below(rng, 100);

	if (r < 60)
		return 1 + rng_below(rng, 3);
	if (r < 90)
		return 4 + rng_below(rng, 27);
	return 31 + rng_below(rng, 170);
}

/* p=none: a receiver only quarantines or rejects by local policy. */
static const char *
pick_disposition(uint64_t *rng, const struct record *rec)
{
	uint32_t r;

	if (rec->is_dkim_pass || rec->is_spf_pass)
		return "none";
	r = rng_below(rng, 100);
	if (r < 60)
		return "none";
	return r < 85 ? "quarantine" : "reject";
}

static void
fill_dkim(uint64_t *rng, const struct sender *s, struct record *rec)
{
	struct dkim_sig *d = &rec->dkim[0];

	d->selector = s->selector;
	d->human = NULL;
	if (rec->is_dkim_pass) {
		d->domain = rec->header_from;
		d->result = "pass";
	} else if (s->own_dkim == NULL || rng_pct(rng, 50)) {
		d->domain = rec->header_from;
		d->result = "fail";
		if (rng_pct(rng, 40))
			d->human = dkim_human[rng_below(rng, N_DKIM_HUMAN)];
	} else {
		/* signed, but by someone not aligned with header_from */
		d->domain = s->own_dkim;
		d->selector = s->own_selector;
		d->result = "pass";
	}
	if (d->human == NULL && rng_pct(rng, 10))
		d->human = "";
	rec->n_dkim = 1;
	if (s->own_dkim == NULL || d->domain == s->own_dkim ||
	    !rng_pct(rng, 30))
		return;
	d = &rec->dkim[1];
	d->domain = s->own_dkim;
	d->selector = s->own_selector;
	d->result = rng_pct(rng, 90) ? "pass" : "fail";
	d->human = rng_pct(rng, 10) ? "" : NULL;
	rec->n_dkim = 2;
}

static void
fill_spf(uint64_t *rng, const struct names *nm, const struct sender *s,
    struct record *rec)
{
	if (rec->is_spf_pass) {
		rec->envelope_from = rng_pct(rng, 70) ? rec->header_from :
		    nm->domain;
		rec->spf_result = "pass";
	} else if (s->bounce != NULL && rng_pct(rng, 50)) {
		/* passes for the provider's bounce domain, not aligned */
		rec->envelope_from = s->bounce;
		rec->spf_result = "pass";
	} else {
		rec->envelope_from = rec->header_from;
		rec->spf_result = spf_fails[rng_below(rng, N_SPF_FAILS)];
	}
}

static void
make_record(uint64_t *rng, const struct names *nm, struct record *rec)
{
	const struct sender *s = pick_sender(rng);

	pick_ip(rng, s, rec->ip, sizeof(rec->ip));
	rec->count = pick_count(rng);
	rec->is_dkim_pass = rng_pct(rng, 85);
	rec->is_spf_pass = rng_pct(rng, 85);
	rec->header_from = rng_pct(rng, 70) ? nm->domain :
	    nm->sub[rng_below(rng, N_SUBDOMAINS)];
	rec->disposition = pick_disposition(rng, rec);
	rec->reason = strcmp(rec->disposition, "none") != 0 ?
	    "local_policy" : NULL;
	rec->reason_comment = NULL;
	fill_dkim(rng, s, rec);
	fill_spf(rng, nm, s, rec);
}

/* ---- sources from a fixed pool (-i) ---- */

/*
 * The pool's addresses are a pure function of its size: a fixed key, not
 * the seed, decides which are IPv6.
 */
#define POOL_KEY 0x706f6f6c2d6b6579ULL

/* Public-looking /8s for forwarders and spoofers (no sender's range). */
static const unsigned char public_v4[] = {
	5, 23, 31, 37, 41, 45, 46, 62, 77, 78, 79, 80, 81, 82, 83, 85, 87,
	89, 91, 93, 94, 95, 103, 109, 112, 113, 117, 118, 175, 176, 177, 178,
	181, 185, 186, 187, 188, 189, 190, 191, 196, 197, 200, 201, 202, 212,
};
enum { N_PUBLIC_V4 = sizeof(public_v4) };

static const unsigned char public_v6[][4] = {
	{ 0x2a, 0x02, 0x0c, 0x7f }, { 0x26, 0x00, 0x3c, 0x00 },
	{ 0x24, 0x01, 0xda, 0x80 }, { 0x2c, 0x0f, 0xf7, 0xa8 },
	{ 0x28, 0x03, 0x94, 0x00 }, { 0x2a, 0x05, 0xd0, 0x14 },
};
enum { N_PUBLIC_V6 = sizeof(public_v6) / sizeof(public_v6[0]) };

/* The other party of a hosted mailbox: its own DKIM d= and bounce domain. */
struct provider {
	unsigned char v4[2];
	unsigned char v6[8];
	const char *selector;		/* for the domain's own signatures */
	const char *own_dkim, *own_selector, *bounce;
};

static const struct provider providers[] = {
	{ { 209, 85 }, { 0x2a, 0x00, 0x14, 0x50, 0x48, 0x64, 0x00, 0x20 },
	    "google", "20230601.gappssmtp.com", "20230601",
	    "gappssmtp.com" },
	{ { 40, 107 }, { 0x2a, 0x01, 0x01, 0x11, 0xf4, 0x03, 0x2c, 0x0c },
	    "selector1", "tenant.onmicrosoft.com", "selector1-tenant",
	    "tenant.onmicrosoft.com" },
};
enum { N_PROVIDERS = sizeof(providers) / sizeof(providers[0]) };

static const char *const forwarders[] = {
	"lists.example.org", "alumni.example.edu", "fwd.example.net",
	"mail.example.de",
};
enum { N_FORWARDERS = sizeof(forwarders) / sizeof(forwarders[0]) };

enum src_kind {
	SRC_OWN, SRC_HOSTED, SRC_ESP, SRC_FORWARDER, SRC_SPOOFER, N_KINDS
};

typedef void (*fill_fn)(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec);

/*
 * A kind of source: its share of the pool's addresses (per mille; the
 * spoofers get what is left), its share of the records (percent), the
 * share of its addresses that are IPv6 (percent), and how unevenly its
 * records fall on its addresses: a record takes address n * u^skew of
 * the kind's n, u uniform in [0, 1), so 1 is even and 3 leaves the tail
 * rare.
 */
struct kind {
	uint32_t pool_permille;
	uint32_t record_pct;
	uint32_t v6_pct;
	unsigned skew;
	fill_fn fill;
};

struct pool {
	char (*ip)[INET6_ADDRSTRLEN];
	uint32_t first[N_KINDS + 1];	/* kind k: ip[first[k]..first[k+1]) */
};

static void
add_dkim(struct record *rec, const char *domain, const char *selector,
    const char *result, const char *human)
{
	struct dkim_sig *d = &rec->dkim[rec->n_dkim++];

	d->domain = domain;
	d->selector = selector;
	d->result = result;
	d->human = human;
}

/* The domain's own servers: aligned DKIM and SPF. */
static void
fill_own(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec)
{
	(void)j;
	rec->count = pick_count(rng);
	rec->is_dkim_pass = rng_pct(rng, 98);
	add_dkim(rec, nm->domain, "mail2026", rec->is_dkim_pass ? "pass" :
	    "fail", rec->is_dkim_pass ? NULL : "body hash did not verify");
	rec->envelope_from = rng_pct(rng, 60) ? rec->header_from : nm->domain;
	rec->is_spf_pass = rng_pct(rng, 97);
	rec->spf_result = rec->is_spf_pass ? "pass" : "softfail";
}

/* A hosted mailbox provider: aligned DKIM, often its own signature too. */
static void
fill_hosted(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec)
{
	const struct provider *p = &providers[j % N_PROVIDERS];

	rec->count = pick_count(rng);
	rec->is_dkim_pass = rng_pct(rng, 97);
	add_dkim(rec, nm->domain, p->selector, rec->is_dkim_pass ? "pass" :
	    "fail", NULL);
	if (rng_pct(rng, 40))
		add_dkim(rec, p->own_dkim, p->own_selector, "pass", NULL);
	rec->is_spf_pass = rng_pct(rng, 85);
	rec->envelope_from = rec->is_spf_pass ? nm->domain : p->bounce;
	rec->spf_result = "pass";
}

/* An ESP with its own d= and return-path: passes, but not aligned. */
static void
fill_esp(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec)
{
	(void)nm, (void)j;
	rec->count = pick_count(rng);
	rec->is_dkim_pass = false;
	rec->is_spf_pass = false;
	add_dkim(rec, "esp.example.net", "s1", "pass", NULL);
	rec->envelope_from = "bounces.esp.example.net";
	rec->spf_result = "pass";
}

/* Forwarders: the body changed, the receiver trusted the forwarding. */
static void
fill_forwarder(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec)
{
	rec->count = 1 + rng_below(rng, 10);
	rec->is_dkim_pass = false;
	rec->is_spf_pass = false;
	add_dkim(rec, nm->domain, "mail2026", "fail", rng_pct(rng, 50) ?
	    "body hash did not verify" : NULL);
	if (rng_pct(rng, 50)) {
		/* SRS: SPF passes for the forwarder */
		rec->envelope_from = forwarders[j % N_FORWARDERS];
		rec->spf_result = "pass";
	} else {
		rec->envelope_from = rec->header_from;
		rec->spf_result = spf_fails[rng_below(rng, 3)];
	}
	if (rng_pct(rng, 50)) {
		rec->reason = "forwarded";
	} else {
		rec->reason = "local_policy";
		rec->reason_comment = "arc=pass";
	}
}

/* Spoofers: nothing passes; some receivers act on their own. */
static void
fill_spoofer(uint64_t *rng, const struct names *nm, uint32_t j,
    struct record *rec)
{
	uint32_t r;

	(void)nm, (void)j;
	rec->count = rng_pct(rng, 85) ? 1 + rng_below(rng, 3) :
	    4 + rng_below(rng, 17);
	rec->is_dkim_pass = false;
	rec->is_spf_pass = false;
	if (rng_pct(rng, 40))
		add_dkim(rec, rec->header_from, "default", "fail", NULL);
	rec->envelope_from = rec->header_from;
	rec->spf_result = spf_fails[rng_below(rng, N_SPF_FAILS)];
	r = rng_below(rng, 100);
	if (r >= 90) {
		rec->disposition = r < 96 ? "quarantine" : "reject";
		rec->reason = "local_policy";
	}
}

static const struct kind kinds[N_KINDS] = {
	[SRC_OWN] = { 15, 40, 10, 2, fill_own },
	[SRC_HOSTED] = { 15, 27, 40, 2, fill_hosted },
	[SRC_ESP] = { 10, 8, 20, 2, fill_esp },
	[SRC_FORWARDER] = { 40, 8, 30, 2, fill_forwarder },
	[SRC_SPOOFER] = { 0, 17, 15, 3, fill_spoofer },
};

/* A bijection of [0, 2^24): spreads consecutive numbers over a /8. */
static uint32_t
perm24(uint32_t x)
{
	x = (x * 0x5bd1e9u) & 0xffffffu;
	x ^= x >> 12;
	return (x * 0x3c6ef3u) & 0xffffffu;
}

/*
 * Address j of a range: IPv4 in a.b.0.0/16 or IPv6 in a /64, distinct
 * for j < 65024.
 */
static void
range_ip(const unsigned char v4[2], const unsigned char v6[8], bool is_v6,
    uint32_t j, char *out)
{
	unsigned char a[16];

	if (!is_v6) {
		a[0] = v4[0];
		a[1] = v4[1];
		a[2] = (unsigned char)(j / 254 % 256);
		a[3] = (unsigned char)(1 + j % 254);
		inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN);
		return;
	}
	memcpy(a, v6, 8);
	memset(a + 8, 0, 8);
	a[13] = (unsigned char)((j + 1) >> 16);
	a[14] = (unsigned char)((j + 1) >> 8);
	a[15] = (unsigned char)(j + 1);
	inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

/*
 * Address g of the strangers (forwarders and spoofers): the low 24 bits
 * alone are distinct for every g < 2^24 - 1 (+ 1: perm24(0) is 0, and
 * 5.0.0.0 looks like no host).
 */
static void
public_ip(bool is_v6, uint32_t g, char *out)
{
	unsigned char a[16];
	uint32_t low;

	if (!is_v6) {
		low = perm24(g + 1);
		a[0] = public_v4[g % N_PUBLIC_V4];
		a[1] = (unsigned char)(low >> 16);
		a[2] = (unsigned char)(low >> 8);
		a[3] = (unsigned char)low;
		inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN);
		return;
	}
	memcpy(a, public_v6[g % N_PUBLIC_V6], 4);
	low = perm24(g + 1);
	a[4] = (unsigned char)(low >> 16);
	a[5] = (unsigned char)(low >> 8);
	a[6] = (unsigned char)low;
	memset(a + 7, 0, 8);
	a[15] = (unsigned char)(1 + g % 250);
	inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

static const unsigned char own_v4[2] = { 198, 51 };
static const unsigned char own_v6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x10,
	0x00, 0x00, 0x01 };
static const unsigned char esp_v4[2] = { 167, 89 };
static const unsigned char esp_v6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x20,
	0x00, 0x00, 0x05 };

static void
pool_ip(const struct pool *p, enum src_kind k, uint32_t j, char *out)
{
	uint32_t g = p->first[k] + j;
	uint64_t st = POOL_KEY ^ g;
	bool is_v6 = rng_below(&st, 100) < kinds[k].v6_pct;
	const struct provider *pr;

	switch (k) {
	case SRC_OWN:
		range_ip(own_v4, own_v6, is_v6, j, out);
		break;
	case SRC_HOSTED:
		pr = &providers[j % N_PROVIDERS];
		range_ip(pr->v4, pr->v6, is_v6, j / N_PROVIDERS, out);
		break;
	case SRC_ESP:
		range_ip(esp_v4, esp_v6, is_v6, j, out);
		break;
	default:
		public_ip(is_v6, g - p->first[SRC_FORWARDER], out);
		break;
	}
}

/* SIZE distinct addresses, split between the kinds. */
static int
pool_init(struct pool *p, uint32_t size)
{
	uint32_t at = 0;

	p->ip = calloc(size, sizeof(*p->ip));
	if (p->ip == NULL) {
		fprintf(stderr, "gen: out of memory for %" PRIu32
		    " addresses\n", size);
		return -1;
	}
	for (int k = 0; k < N_KINDS; k++) {
		uint32_t n = (uint32_t)((uint64_t)size *
		    kinds[k].pool_permille / 1000);

		p->first[k] = at;
		at += k == SRC_SPOOFER ? size - at : n > 0 ? n : 1;
	}
	p->first[N_KINDS] = at;
	assert(at == size);
	for (int k = 0; k < N_KINDS; k++)
		for (uint32_t j = 0; j < p->first[k + 1] - p->first[k]; j++)
			pool_ip(p, (enum src_kind)k, j, p->ip[p->first[k] + j]);
	return 0;
}

/* An index below n, n * u^skew for u uniform in [0, 1). */
static uint32_t
pick_skewed(uint64_t *rng, uint32_t n, unsigned skew)
{
	double u = (double)(rng_next(rng) >> 11) / 9007199254740992.0;
	double x = u;
	uint32_t i;

	for (unsigned s = 1; s < skew; s++)
		x *= u;
	i = (uint32_t)(x * n);
	return i < n ? i : n - 1;
}

static enum src_kind
pick_kind(uint64_t *rng)
{
	uint32_t r = rng_below(rng, 100);
	int k;

	for (k = 0; k < N_KINDS - 1; k++) {
		if (r < kinds[k].record_pct)
			break;
		r -= kinds[k].record_pct;
	}
	return (enum src_kind)k;
}

static void
make_pool_record(uint64_t *rng, const struct names *nm,
    const struct pool *p, struct record *rec)
{
	enum src_kind k = pick_kind(rng);
	uint32_t j = pick_skewed(rng, p->first[k + 1] - p->first[k],
	    kinds[k].skew);

	memcpy(rec->ip, p->ip[p->first[k] + j], sizeof(rec->ip));
	rec->header_from = rng_pct(rng, 80) ? nm->domain :
	    nm->sub[rng_below(rng, N_SUBDOMAINS)];
	rec->disposition = "none";
	rec->reason = NULL;
	rec->reason_comment = NULL;
	rec->n_dkim = 0;
	kinds[k].fill(rng, nm, j, rec);
}

/* ---- XML ---- */

static void
write_head(struct out *o, const struct names *nm, uint64_t seed)
{
	uint64_t st = seed;

	out_fmt(o, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
	    "<feedback>\n"
	    "  <version>1.0</version>\n"
	    "  <report_metadata>\n"
	    "    <org_name>%s</org_name>\n"
	    "    <email>noreply-dmarc-support@%s</email>\n"
	    "    <extra_contact_info>https://%s/dmarc/support"
	    "</extra_contact_info>\n", nm->org, nm->org, nm->org);
	out_fmt(o, "    <report_id>%" PRIu64 "</report_id>\n", rng_next(&st));
	out_fmt(o, "    <date_range>\n"
	    "      <begin>%" PRIu64 "</begin>\n"
	    "      <end>%" PRIu64 "</end>\n"
	    "    </date_range>\n",
	    nm->begin, nm->begin + 86399);
	out_fmt(o, "  </report_metadata>\n"
	    "  <policy_published>\n"
	    "    <domain>%s</domain>\n"
	    "    <adkim>r</adkim>\n"
	    "    <aspf>r</aspf>\n"
	    "    <p>none</p>\n"
	    "    <sp>none</sp>\n"
	    "    <pct>100</pct>\n"
	    "  </policy_published>\n", nm->domain);
}

static void
write_row(struct out *o, const struct record *rec)
{
	out_fmt(o, "  <record>\n"
	    "    <row>\n"
	    "      <source_ip>%s</source_ip>\n"
	    "      <count>%" PRIu32 "</count>\n"
	    "      <policy_evaluated>\n"
	    "        <disposition>%s</disposition>\n"
	    "        <dkim>%s</dkim>\n"
	    "        <spf>%s</spf>\n",
	    rec->ip, rec->count, rec->disposition,
	    rec->is_dkim_pass ? "pass" : "fail",
	    rec->is_spf_pass ? "pass" : "fail");
	if (rec->reason != NULL) {
		out_fmt(o, "        <reason>\n"
		    "          <type>%s</type>\n", rec->reason);
		if (rec->reason_comment != NULL)
			out_fmt(o, "          <comment>%s</comment>\n",
			    rec->reason_comment);
		out_str(o, "        </reason>\n");
	}
	out_fmt(o, "      </policy_evaluated>\n"
	    "    </row>\n"
	    "    <identifiers>\n"
	    "      <envelope_from>%s</envelope_from>\n"
	    "      <header_from>%s</header_from>\n"
	    "    </identifiers>\n",
	    rec->envelope_from, rec->header_from);
}

static void
write_auth(struct out *o, const struct record *rec)
{
	unsigned i;

	out_str(o, "    <auth_results>\n");
	for (i = 0; i < rec->n_dkim; i++) {
		const struct dkim_sig *d = &rec->dkim[i];

		out_fmt(o, "      <dkim>\n"
		    "        <domain>%s</domain>\n"
		    "        <selector>%s</selector>\n"
		    "        <result>%s</result>\n",
		    d->domain, d->selector, d->result);
		if (d->human != NULL)
			out_fmt(o, "        <human_result>%s</human_result>\n",
			    d->human);
		out_str(o, "      </dkim>\n");
	}
	out_fmt(o, "      <spf>\n"
	    "        <domain>%s</domain>\n"
	    "        <scope>mfrom</scope>\n"
	    "        <result>%s</result>\n"
	    "      </spf>\n"
	    "    </auth_results>\n"
	    "  </record>\n",
	    rec->envelope_from, rec->spf_result);
}

/* ---- command line ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: gen [-s SEED] [-z] [-d DOMAIN] [-r REPORTER] "
	    "[-b BEGIN] [-i POOL]\n"
	    "           -n RECORDS -o FILE\n");
	exit(EX_USAGE_);
}

static uint64_t
parse_u64(const char *s, uint64_t max, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		goto bad;
	return (uint64_t)v;
bad:
	fprintf(stderr, "gen: invalid %s: %s\n", what, s);
	exit(EX_USAGE_);
}

/* a host name that needs no escaping in XML */
static const char *
parse_name(const char *s, const char *what)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

	if (n == 0 || s[n] != '\0' || n > MAX_NAME || *s == '.') {
		fprintf(stderr, "gen: invalid %s: %s\n", what, s);
		exit(EX_USAGE_);
	}
	return s;
}

/* What the command line asks for. */
struct args {
	struct names nm;
	uint64_t seed, n, pool_size;
	const char *path;
	bool is_gzip;
};

static void
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	while ((c = getopt(argc, argv, "s:zn:o:d:r:b:i:")) != -1) {
		switch (c) {
		case 's':
			a->seed = parse_u64(optarg, UINT64_MAX, "seed");
			break;
		case 'z':
			a->is_gzip = true;
			break;
		case 'n':
			a->n = parse_u64(optarg, MAX_RECORDS, "record count");
			break;
		case 'o':
			a->path = optarg;
			break;
		case 'd':
			a->nm.domain = parse_name(optarg, "domain");
			break;
		case 'r':
			a->nm.org = parse_name(optarg, "reporter");
			break;
		case 'b':
			a->nm.begin = parse_u64(optarg, MAX_BEGIN, "begin");
			break;
		case 'i':
			a->pool_size = parse_u64(optarg, MAX_POOL, "pool size");
			if (a->pool_size < MIN_POOL) {
				fprintf(stderr, "gen: pool size below %d: "
				    "%s\n", MIN_POOL, optarg);
				exit(EX_USAGE_);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc || a->path == NULL || a->n == 0)
		usage();
	for (int k = 0; k < N_SUBDOMAINS; k++)
		snprintf(a->nm.sub[k], sizeof(a->nm.sub[k]), "%s.%s",
		    subdomain_labels[k], a->nm.domain);
}

int
main(int argc, char **argv)
{
	static struct out o;
	static struct args a = { { "example.com", "bench.example",
		REPORT_BEGIN, { { 0 } } }, 1, 0, 0, NULL, false };
	struct pool pool = { NULL, { 0 } };
	struct record rec;
	uint64_t i, messages = 0, rng;

	parse_args(argc, argv, &a);
	if (a.pool_size > 0 && pool_init(&pool, (uint32_t)a.pool_size) == -1)
		return EX_IO_;
	if (out_open(&o, a.path, a.is_gzip) == -1)
		return EX_IO_;
	write_head(&o, &a.nm, a.seed);
	/* records get their own stream, apart from the report_id's */
	rng = a.seed ^ 0x5dee7a1b2c3d4e5fULL;
	for (i = 0; i < a.n; i++) {
		if (a.pool_size > 0)
			make_pool_record(&rng, &a.nm, &pool, &rec);
		else
			make_record(&rng, &a.nm, &rec);
		messages += rec.count;
		write_row(&o, &rec);
		write_auth(&o, &rec);
	}
	out_str(&o, "</feedback>\n");
	free(pool.ip);
	if (out_close(&o) == -1)
		return EX_IO_;
	printf("records=%" PRIu64 " messages=%" PRIu64 "\n", a.n, messages);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IO_;
	return 0;
}
