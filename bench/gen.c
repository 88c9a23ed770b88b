/*
 * gen: write one synthetic DMARC aggregate report (RFC 7489 appendix C)
 * for the benchmark.
 *
 *	gen [-s SEED] [-z] -n RECORDS -o FILE
 *
 * The report holds exactly RECORDS <record> elements shaped like those of
 * the large receivers: IPv4 and IPv6 sources, small counts with a long
 * tail, mostly passing DKIM/SPF, one or two DKIM signatures and one SPF
 * result per record.  -z writes it gzip'd (zlib, default level).  The
 * output depends only on SEED and RECORDS: the same arguments give the
 * same bytes.  stdout gets one line, `records=N messages=M`, M being the
 * sum of all <count>s, for checking a parser against.
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

/* One day, starting 2026-01-01T00:00:00Z. */
#define REPORT_BEGIN 1767225600ULL

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

static const char *const subdomains[] = {
	"mail.example.com", "news.example.com", "billing.example.com",
	"support.example.com", "m.example.com",
};
enum { N_SUBDOMAINS = sizeof(subdomains) / sizeof(subdomains[0]) };

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
fill_spf(uint64_t *rng, const struct sender *s, struct record *rec)
{
	if (rec->is_spf_pass) {
		rec->envelope_from = rng_pct(rng, 70) ? rec->header_from :
		    "example.com";
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
make_record(uint64_t *rng, struct record *rec)
{
	const struct sender *s = pick_sender(rng);

	pick_ip(rng, s, rec->ip, sizeof(rec->ip));
	rec->count = pick_count(rng);
	rec->is_dkim_pass = rng_pct(rng, 85);
	rec->is_spf_pass = rng_pct(rng, 85);
	rec->header_from = rng_pct(rng, 70) ? "example.com" :
	    subdomains[rng_below(rng, N_SUBDOMAINS)];
	rec->disposition = pick_disposition(rng, rec);
	fill_dkim(rng, s, rec);
	fill_spf(rng, s, rec);
}

/* ---- XML ---- */

static void
write_head(struct out *o, uint64_t seed)
{
	uint64_t st = seed;

	out_str(o, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
	    "<feedback>\n"
	    "  <version>1.0</version>\n"
	    "  <report_metadata>\n"
	    "    <org_name>bench.example</org_name>\n"
	    "    <email>noreply-dmarc-support@bench.example</email>\n"
	    "    <extra_contact_info>https://bench.example/dmarc/support"
	    "</extra_contact_info>\n");
	out_fmt(o, "    <report_id>%" PRIu64 "</report_id>\n", rng_next(&st));
	out_fmt(o, "    <date_range>\n"
	    "      <begin>%llu</begin>\n"
	    "      <end>%llu</end>\n"
	    "    </date_range>\n",
	    REPORT_BEGIN, REPORT_BEGIN + 86399);
	out_str(o, "  </report_metadata>\n"
	    "  <policy_published>\n"
	    "    <domain>example.com</domain>\n"
	    "    <adkim>r</adkim>\n"
	    "    <aspf>r</aspf>\n"
	    "    <p>none</p>\n"
	    "    <sp>none</sp>\n"
	    "    <pct>100</pct>\n"
	    "  </policy_published>\n");
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
	if (strcmp(rec->disposition, "none") != 0)
		out_str(o, "        <reason>\n"
		    "          <type>local_policy</type>\n"
		    "        </reason>\n");
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
	fprintf(stderr, "usage: gen [-s SEED] [-z] -n RECORDS -o FILE\n");
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

int
main(int argc, char **argv)
{
	static struct out o;
	struct record rec;
	uint64_t seed = 1, n = 0, i, messages = 0, rng;
	const char *path = NULL;
	bool is_gzip = false;
	int c;

	while ((c = getopt(argc, argv, "s:zn:o:")) != -1) {
		switch (c) {
		case 's':
			seed = parse_u64(optarg, UINT64_MAX, "seed");
			break;
		case 'z':
			is_gzip = true;
			break;
		case 'n':
			n = parse_u64(optarg, MAX_RECORDS, "record count");
			break;
		case 'o':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || path == NULL || n == 0)
		usage();

	if (out_open(&o, path, is_gzip) == -1)
		return EX_IO_;
	write_head(&o, seed);
	/* records get their own stream, apart from the report_id's */
	rng = seed ^ 0x5dee7a1b2c3d4e5fULL;
	for (i = 0; i < n; i++) {
		make_record(&rng, &rec);
		messages += rec.count;
		write_row(&o, &rec);
		write_auth(&o, &rec);
	}
	out_str(&o, "</feedback>\n");
	if (out_close(&o) == -1)
		return EX_IO_;
	printf("records=%" PRIu64 " messages=%" PRIu64 "\n", n, messages);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IO_;
	return 0;
}
