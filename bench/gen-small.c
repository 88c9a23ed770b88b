/*
 * gen-small: write many small DMARC aggregate reports for the benchmark,
 * as files, as one mbox of report emails, and as the psql script of the
 * \copy floor that loads the same rows.
 *
 *	gen-small [-s SEED] -n REPORTS -d DIR -m MBOX -f FLOOR_SQL
 *
 * Report i (0-based) has 1 to 20 records, comes from one of 6 reporters
 * and is about one of 4 policy domains, for one UTC day of the 45 days
 * from 2026-01-01 (so two months of partitions).  Its report_id is unique.
 * Sources within a report are distinct addresses (IPv4 and IPv6) from a
 * pool per sender; about 85% of the records pass DKIM and SPF, some have
 * two DKIM signatures, a few carry a policy override reason.
 *
 * - DIR/rNNNNN.xml: report i, plain XML (DIR must exist).
 * - MBOX: one email per report, in the same order, as reporters send
 *   them: multipart/mixed, a short text part, then the report gzip'd and
 *   base64-encoded as application/gzip.
 * - FLOOR_SQL: for psql, per report one transaction with one
 *   `\copy ... FROM stdin` per table that dmarcctl fills for a report:
 *   floor_raw_inputs (the gzip'd XML as the archived original),
 *   floor_reports, floor_records, floor_dkim_results, floor_spf_results,
 *   floor_record_reasons (only when the report has reasons),
 *   floor_domain_daily (one row) and floor_source_daily (one row per
 *   record: the sources of a report are distinct).  Values are the ones
 *   the report carries, in the columns of the real tables.
 *
 * stdout gets one line: `reports=N records=R messages=M dkim=D spf=S
 * reasons=X`.  The same arguments always give the same bytes.
 *
 * Standalone (libc and zlib only), like bench/gen.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "common/prng.h"

enum { EX_USAGE_ = 64, EX_IO_ = 74 };
enum { MAX_REPORTS = 1000000, MAX_RECORDS = 20, DAYS = 45 };
enum { XML_MAX = 1 << 16, GZ_MAX = 1 << 16 };

/* 2026-01-01T00:00:00Z */
#define FIRST_DAY 1767225600LL

static const char *const reporters[] = {
	"google.com", "yahoo.com", "outlook.com", "mail.ru", "gmx.net",
	"comcast.net",
};
enum { N_REPORTERS = sizeof(reporters) / sizeof(reporters[0]) };

static const char *const domains[] = {
	"example.com", "example.net", "example.org", "shop.example",
};
enum { N_DOMAINS = sizeof(domains) / sizeof(domains[0]) };

/* who sends: its address ranges, DKIM selector, an own d= (or NULL) */
struct sender {
	unsigned char v4[3];
	const char *v6;			/* prefix, ends with "::" */
	const char *selector;
	const char *own_dkim;
	const char *bounce;
};

static const struct sender senders[] = {
	{ { 198, 51, 100 }, "2001:db8:10::", "mail2026", NULL, NULL },
	{ { 209, 85, 220 }, "2a00:1450:4864:20::", "google",
	    "gappssmtp.com", "gappssmtp.com" },
	{ { 40, 107, 22 }, "2a01:111:f403:2c0c::", "selector1",
	    "tenant.onmicrosoft.com", "tenant.onmicrosoft.com" },
	{ { 167, 89, 12 }, "2001:db8:20::", "s1", "esp.example.net",
	    "bounces.esp.example.net" },
	{ { 185, 12, 40 }, "2a02:c7f:1::", "default", NULL, NULL },
};
enum { N_SENDERS = sizeof(senders) / sizeof(senders[0]) };

static const char *const spf_fails[] = {
	"fail", "softfail", "neutral", "none",
};

struct dkim {
	const char *domain, *selector, *result;
};

struct record {
	char ip[48];
	uint32_t count;
	const char *disposition;
	const char *reason;		/* NULL: none */
	bool dkim_pass, spf_pass;
	const char *envelope_from;
	struct dkim dkim[2];
	int n_dkim;
	const char *spf_result;
};

struct report {
	uint32_t no;
	const char *org, *domain;
	long long begin;
	char id[40];
	int n;
	struct record rec[MAX_RECORDS];
	uint64_t messages;
};

/* ---- a bounded string buffer ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_fmt(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
buf_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		fprintf(stderr, "gen-small: buffer too small\n");
		exit(EX_IO_);
	}
	b->len += (size_t)n;
}

/* ---- the reports ---- */

static void
make_report(uint64_t seed, uint32_t no, struct report *r)
{
	uint64_t st = seed ^ ((uint64_t)no * 0xd1b54a32d192ed03ULL);
	uint32_t base;

	r->no = no;
	r->org = reporters[rng_below(&st, N_REPORTERS)];
	r->domain = domains[rng_below(&st, N_DOMAINS)];
	r->begin = FIRST_DAY + 86400LL * (long long)rng_below(&st, DAYS);
	snprintf(r->id, sizeof(r->id), "%" PRIu32 ".%016" PRIx64, no,
	    rng_next(&st));
	r->n = (int)rng_range(&st, 1, MAX_RECORDS);
	r->messages = 0;
	/* distinct sources: consecutive host numbers from a random start */
	base = rng_below(&st, 200);
	for (int k = 0; k < r->n; k++) {
		struct record *x = &r->rec[k];
		const struct sender *s = &senders[rng_below(&st, N_SENDERS)];
		uint32_t h = base + (uint32_t)k * 2 + 1;

		if (rng_pct(&st, 80))
			snprintf(x->ip, sizeof(x->ip), "%u.%u.%u.%" PRIu32,
			    s->v4[0], s->v4[1], s->v4[2], 1 + h % 254);
		else
			snprintf(x->ip, sizeof(x->ip), "%s%" PRIx32, s->v6,
			    h);
		x->count = rng_pct(&st, 60) ? rng_range(&st, 1, 3) :
		    rng_range(&st, 4, 200);
		r->messages += x->count;
		x->dkim_pass = rng_pct(&st, 85);
		x->spf_pass = rng_pct(&st, 85);
		x->disposition = "none";
		x->reason = NULL;
		if (!x->dkim_pass && !x->spf_pass) {
			uint32_t v = rng_below(&st, 100);

			if (v < 30)
				x->reason = v < 15 ? "forwarded" :
				    "local_policy";
			else if (v > 80)
				x->disposition = "quarantine";
		}
		x->dkim[0].domain = r->domain;
		x->dkim[0].selector = s->selector;
		x->dkim[0].result = x->dkim_pass ? "pass" : "fail";
		x->n_dkim = 1;
		if (s->own_dkim != NULL && rng_pct(&st, 40)) {
			x->dkim[1].domain = s->own_dkim;
			x->dkim[1].selector = "s2026";
			x->dkim[1].result = "pass";
			x->n_dkim = 2;
		}
		if (x->spf_pass) {
			x->envelope_from = r->domain;
			x->spf_result = "pass";
		} else if (s->bounce != NULL) {
			x->envelope_from = s->bounce;
			x->spf_result = "pass";
		} else {
			x->envelope_from = r->domain;
			x->spf_result = spf_fails[rng_below(&st, 4)];
		}
	}
}

static void
write_xml(struct buf *b, const struct report *r)
{
	b->len = 0;
	buf_fmt(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
	    "<feedback>\n"
	    "  <report_metadata>\n"
	    "    <org_name>%s</org_name>\n"
	    "    <email>noreply-dmarc-support@%s</email>\n"
	    "    <report_id>%s</report_id>\n"
	    "    <date_range>\n"
	    "      <begin>%lld</begin>\n"
	    "      <end>%lld</end>\n"
	    "    </date_range>\n"
	    "  </report_metadata>\n"
	    "  <policy_published>\n"
	    "    <domain>%s</domain>\n"
	    "    <adkim>r</adkim>\n"
	    "    <aspf>r</aspf>\n"
	    "    <p>none</p>\n"
	    "    <sp>none</sp>\n"
	    "    <pct>100</pct>\n"
	    "  </policy_published>\n",
	    r->org, r->org, r->id, r->begin, r->begin + 86399, r->domain);
	for (int k = 0; k < r->n; k++) {
		const struct record *x = &r->rec[k];

		buf_fmt(b, "  <record>\n"
		    "    <row>\n"
		    "      <source_ip>%s</source_ip>\n"
		    "      <count>%" PRIu32 "</count>\n"
		    "      <policy_evaluated>\n"
		    "        <disposition>%s</disposition>\n"
		    "        <dkim>%s</dkim>\n"
		    "        <spf>%s</spf>\n",
		    x->ip, x->count, x->disposition,
		    x->dkim_pass ? "pass" : "fail",
		    x->spf_pass ? "pass" : "fail");
		if (x->reason != NULL)
			buf_fmt(b, "        <reason><type>%s</type></reason>\n",
			    x->reason);
		buf_fmt(b, "      </policy_evaluated>\n"
		    "    </row>\n"
		    "    <identifiers>\n"
		    "      <envelope_from>%s</envelope_from>\n"
		    "      <header_from>%s</header_from>\n"
		    "    </identifiers>\n"
		    "    <auth_results>\n", x->envelope_from, r->domain);
		for (int j = 0; j < x->n_dkim; j++)
			buf_fmt(b, "      <dkim>\n"
			    "        <domain>%s</domain>\n"
			    "        <selector>%s</selector>\n"
			    "        <result>%s</result>\n"
			    "      </dkim>\n", x->dkim[j].domain,
			    x->dkim[j].selector, x->dkim[j].result);
		buf_fmt(b, "      <spf>\n"
		    "        <domain>%s</domain>\n"
		    "        <scope>mfrom</scope>\n"
		    "        <result>%s</result>\n"
		    "      </spf>\n"
		    "    </auth_results>\n"
		    "  </record>\n", x->envelope_from, x->spf_result);
	}
	buf_fmt(b, "</feedback>\n");
}

/* gzip (RFC 1952) of in, with a fixed header time: reproducible */
static size_t
gzip_to(const struct buf *in, unsigned char *out, size_t cap)
{
	z_stream z;
	size_t n;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

static void
base64_lines(FILE *fp, const unsigned char *p, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		size_t n = len - i;
		uint32_t v = (uint32_t)p[i] << 16;

		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		fputc(tab[(v >> 18) & 63], fp);
		fputc(tab[(v >> 12) & 63], fp);
		fputc(n > 1 ? tab[(v >> 6) & 63] : '=', fp);
		fputc(n > 2 ? tab[v & 63] : '=', fp);
		col += 4;
		if (col == 76) {
			fputc('\n', fp);
			col = 0;
		}
	}
	if (col != 0)
		fputc('\n', fp);
}

static void
write_mail(FILE *fp, const struct report *r, const unsigned char *gz,
    size_t gzlen)
{
	time_t sent = (time_t)(r->begin + 86400 + 3600 + r->no % 3600);
	struct tm tm;
	char from_line[64], date[64];

	gmtime_r(&sent, &tm);
	strftime(from_line, sizeof(from_line), "%a %b %e %H:%M:%S %Y", &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(fp, "From noreply-dmarc-support@%s %s\n"
	    "Return-Path: <noreply-dmarc-support@%s>\n"
	    "Date: %s\n"
	    "From: noreply-dmarc-support@%s\n"
	    "To: dmarc@%s\n"
	    "Subject: Report domain: %s Submitter: %s Report-ID: <%s>\n"
	    "Message-ID: <%s@%s>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b%" PRIu32 "\"\n\n"
	    "--b%" PRIu32 "\n"
	    "Content-Type: text/plain; charset=\"UTF-8\"\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "This is an aggregate report from %s.\n\n"
	    "--b%" PRIu32 "\n"
	    "Content-Type: application/gzip;\n"
	    "\tname=\"%s!%s!%lld!%lld.xml.gz\"\n"
	    "Content-Disposition: attachment;\n"
	    "\tfilename=\"%s!%s!%lld!%lld.xml.gz\"\n"
	    "Content-Transfer-Encoding: base64\n\n",
	    r->org, from_line, r->org, date, r->org, r->domain, r->domain,
	    r->org, r->id, r->id, r->org, r->no, r->no, r->org, r->no,
	    r->org, r->domain, r->begin, r->begin + 86399,
	    r->org, r->domain, r->begin, r->begin + 86399);
	base64_lines(fp, gz, gzlen);
	fprintf(fp, "\n--b%" PRIu32 "--\n\n", r->no);
}

/* ---- the floor's psql script ---- */

static void
ts(char *out, size_t size, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S+00", &tm);
}

static void
write_floor(FILE *fp, const struct report *r, const unsigned char *gz,
    size_t gzlen, uint64_t seed)
{
	uint64_t st = seed ^ 0x5a256a256ULL ^ r->no;
	long long id = (long long)r->no + 1;
	char begin[40], end[40], day[16];
	uint64_t pass = 0, dkim_al = 0, spf_al = 0, quar = 0;
	bool has_reasons = false;

	ts(begin, sizeof(begin), r->begin);
	ts(end, sizeof(end), r->begin + 86399);
	snprintf(day, sizeof(day), "%.10s", begin);
	fprintf(fp, "BEGIN;\n\\copy floor_raw_inputs (id, sha256, encoding, "
	    "content, size, source) FROM stdin\n%lld\t\\\\x", id);
	/* a stand-in for the SHA-256 of the original: 32 bytes */
	for (int k = 0; k < 4; k++)
		fprintf(fp, "%016" PRIx64, rng_next(&st));
	fputs("\tgzip\t\\\\x", fp);
	for (size_t k = 0; k < gzlen; k++)
		fprintf(fp, "%02x", gz[k]);
	fprintf(fp, "\t%zu\tsmall.mbox\n\\.\n", gzlen);

	fprintf(fp, "\\copy floor_reports (id, domain, kind, org_name, "
	    "report_id, begin_at, end_at, email, p, sp, pct, adkim, aspf, "
	    "raw_id, content_sha256, report_key, records, messages) FROM "
	    "stdin\n%lld\t%s\tdmarc\t%s\t%s\t%s\t%s\t"
	    "noreply-dmarc-support@%s\tnone\tnone\t100\tr\tr\t%lld\t\\\\x",
	    id, r->domain, r->org, r->id, begin, end, r->org, id);
	for (int k = 0; k < 4; k++)
		fprintf(fp, "%016" PRIx64, rng_next(&st));
	fputs("\t\\\\x", fp);
	for (int k = 0; k < 4; k++)
		fprintf(fp, "%016" PRIx64, rng_next(&st));
	fprintf(fp, "\t%d\t%" PRIu64 "\n\\.\n", r->n, r->messages);

	fputs("\\copy floor_records (domain, report, rec_no, begin_at, "
	    "source_ip, source_text, count, disposition, dkim, spf, "
	    "header_from, envelope_from, envelope_to, flags) FROM stdin\n",
	    fp);
	for (int k = 0; k < r->n; k++) {
		const struct record *x = &r->rec[k];

		fprintf(fp, "%s\t%lld\t%d\t%s\t%s\t\\N\t%" PRIu32 "\t%s\t%s\t"
		    "%s\t%s\t%s\t\\N\t0\n", r->domain, id, k + 1, begin,
		    x->ip, x->count, x->disposition,
		    x->dkim_pass ? "pass" : "fail",
		    x->spf_pass ? "pass" : "fail", r->domain,
		    x->envelope_from);
		if (x->reason != NULL)
			has_reasons = true;
		if (x->dkim_pass || x->spf_pass)
			pass += x->count;
		if (x->dkim_pass)
			dkim_al += x->count;
		if (x->spf_pass)
			spf_al += x->count;
		if (strcmp(x->disposition, "quarantine") == 0)
			quar += x->count;
	}
	fputs("\\.\n\\copy floor_dkim_results (domain, report, rec_no, "
	    "begin_at, dkim_domain, selector, result, human_result) FROM "
	    "stdin\n", fp);
	for (int k = 0; k < r->n; k++)
		for (int j = 0; j < r->rec[k].n_dkim; j++)
			fprintf(fp, "%s\t%lld\t%d\t%s\t%s\t%s\t%s\t\\N\n",
			    r->domain, id, k + 1, begin,
			    r->rec[k].dkim[j].domain,
			    r->rec[k].dkim[j].selector,
			    r->rec[k].dkim[j].result);
	fputs("\\.\n\\copy floor_spf_results (domain, report, rec_no, "
	    "begin_at, spf_domain, scope, result, human_result) FROM stdin\n",
	    fp);
	for (int k = 0; k < r->n; k++)
		fprintf(fp, "%s\t%lld\t%d\t%s\t%s\tmfrom\t%s\t\\N\n",
		    r->domain, id, k + 1, begin, r->rec[k].envelope_from,
		    r->rec[k].spf_result);
	fputs("\\.\n", fp);
	if (has_reasons) {
		fputs("\\copy floor_record_reasons (domain, report, rec_no, "
		    "begin_at, type, comment) FROM stdin\n", fp);
		for (int k = 0; k < r->n; k++)
			if (r->rec[k].reason != NULL)
				fprintf(fp, "%s\t%lld\t%d\t%s\t%s\t\\N\n",
				    r->domain, id, k + 1, begin,
				    r->rec[k].reason);
		fputs("\\.\n", fp);
	}
	fprintf(fp, "\\copy floor_domain_daily (domain, day, org_name, "
	    "reports, records, messages, dmarc_pass, dkim_aligned, "
	    "spf_aligned, quarantined, rejected, subdomain, subdomain_fail, "
	    "disagree, overruled, unproved) FROM stdin\n"
	    "%s\t%s\t%s\t1\t%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%"
	    PRIu64 "\t%" PRIu64 "\t0\t0\t0\t0\t0\t0\n\\.\n", r->domain, day,
	    r->org, r->n, r->messages, pass, dkim_al, spf_al, quar);
	fputs("\\copy floor_source_daily (domain, day, source, messages, "
	    "dmarc_pass, dkim_aligned, spf_aligned, dkim_foreign, "
	    "spf_foreign, dkim_missing, own_dkim_broken, overridden, "
	    "disagree, foreign_dkim, foreign_spf, from_domain, spf_low, "
	    "dkim_low) FROM stdin\n", fp);
	for (int k = 0; k < r->n; k++) {
		const struct record *x = &r->rec[k];
		uint32_t c = x->count;
		bool p = x->dkim_pass || x->spf_pass;

		fprintf(fp, "%s\t%s\t%s\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32
		    "\t%" PRIu32 "\t0\t0\t0\t0\t%" PRIu32 "\t0\t\\N\t\\N\t%s\t"
		    "\\N\t\\N\n", r->domain, day, x->ip, c, p ? c : 0,
		    x->dkim_pass ? c : 0, x->spf_pass ? c : 0,
		    x->reason != NULL ? c : 0, r->domain);
	}
	fputs("\\.\nCOMMIT;\n", fp);
}

/* ---- command line ---- */

static void
usage(void)
{
	fprintf(stderr, "usage: gen-small [-s SEED] -n REPORTS -d DIR "
	    "-m MBOX -f FLOOR_SQL\n");
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
	fprintf(stderr, "gen-small: invalid %s: %s\n", what, s);
	exit(EX_USAGE_);
}

static FILE *
create(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		fprintf(stderr, "gen-small: cannot create %s: %s\n", path,
		    strerror(errno));
		exit(EX_IO_);
	}
	return fp;
}

static void
close_or_die(FILE *fp, const char *path)
{
	if (ferror(fp) || fclose(fp) != 0) {
		fprintf(stderr, "gen-small: cannot write %s\n", path);
		exit(EX_IO_);
	}
}

int
main(int argc, char **argv)
{
	static char xml[XML_MAX];
	static unsigned char gz[GZ_MAX];
	static struct report r;
	struct buf b = { xml, 0, sizeof(xml) };
	const char *dir = NULL, *mbox = NULL, *floor_sql = NULL;
	uint64_t seed = 1, n = 0, records = 0, messages = 0, dkim = 0;
	uint64_t reasons = 0;
	FILE *mb, *fl;
	char path[4096];
	int c;

	while ((c = getopt(argc, argv, "s:n:d:m:f:")) != -1) {
		switch (c) {
		case 's':
			seed = parse_u64(optarg, UINT64_MAX, "seed");
			break;
		case 'n':
			n = parse_u64(optarg, MAX_REPORTS, "report count");
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm':
			mbox = optarg;
			break;
		case 'f':
			floor_sql = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || n == 0 || dir == NULL || mbox == NULL ||
	    floor_sql == NULL)
		usage();
	mb = create(mbox);
	fl = create(floor_sql);
	for (uint32_t i = 0; i < n; i++) {
		FILE *fp;
		size_t gzlen;

		make_report(seed, i, &r);
		write_xml(&b, &r);
		snprintf(path, sizeof(path), "%s/r%05" PRIu32 ".xml", dir, i);
		fp = create(path);
		fwrite(b.p, 1, b.len, fp);
		close_or_die(fp, path);
		gzlen = gzip_to(&b, gz, sizeof(gz));
		write_mail(mb, &r, gz, gzlen);
		write_floor(fl, &r, gz, gzlen, seed);
		records += (uint64_t)r.n;
		messages += r.messages;
		for (int k = 0; k < r.n; k++) {
			dkim += (uint64_t)r.rec[k].n_dkim;
			reasons += r.rec[k].reason != NULL;
		}
	}
	close_or_die(mb, mbox);
	close_or_die(fl, floor_sql);
	printf("reports=%" PRIu64 " records=%" PRIu64 " messages=%" PRIu64
	    " dkim=%" PRIu64 " spf=%" PRIu64 " reasons=%" PRIu64 "\n", n,
	    records, messages, dkim, records, reasons);
	return fflush(stdout) == EOF ? EX_IO_ : 0;
}
