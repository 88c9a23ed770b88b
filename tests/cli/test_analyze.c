/*
 * dmarcctl summary, sources, advise and tls end to end: aggregate and
 * TLS-RPT reports made up on the spot, dated over the last weeks (UTC,
 * one report per reporter and day), ingested into a fresh database, and
 * the verdicts, evidence, blockers, counts and classifications printed
 * for scenarios whose right answer is known.  Reverse DNS runs against a
 * private dnsmasq (scripts/dns-rig.sh) on loopback.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define DAY 86400
#define NO_DB "host=/nonexistent port=1"

/* "@" in a flow stands for the policy domain of the scenario */
#define OWN "@"

static const char *const reporters[] = { "google.com", "yahoo.com",
	"outlook.com" };

/* --- scenarios --- */

/*
 * One kind of mail of a sending source: a <record> of count messages in
 * each report of the days and reporters it is active in.
 */
struct flow {
	const char *ip;		/* with is_rotating: the first two octets,
				 * then the day back and the reporter */
	bool is_rotating;
	long long count;
	const char *disposition;
	const char *dkim, *spf;			/* policy_evaluated */
	const char *dkim_domain, *dkim_result;	/* auth_results; NULL: none */
	const char *spf_domain, *spf_result;
	const char *reason, *comment;		/* NULL: no <reason> */
	const char *header_from;		/* NULL: the policy domain */
	int to_day;		/* active on days back 1..to_day; 0: all */
	unsigned reporter_mask;	/* bit r for reporter r; 0: all */
	int from_day;		/* active from this day back on (0: 1) */
};

/* own servers: DKIM and SPF pass, aligned */
static const struct flow own[] = {
	{ .ip = "192.0.2.10", .count = 100, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass" },
	{ .ip = "192.0.2.11", .count = 60, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass" },
	{ .ip = NULL },
};
enum { OWN_PER_REPORT = 160 };

/* an ESP signing with its own d= and its own return-path: 8 of 168 */
#define ESP_IP "198.51.100.25"
#define ESP_DKIM "mail.esp-relay.net"
static const struct flow esp[] = {
	{ .ip = ESP_IP, .count = 8, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = ESP_DKIM, .dkim_result = "pass",
	  .spf_domain = "bounce.esp-relay.net", .spf_result = "pass" },
	{ .ip = NULL },
};

/* a forwarder: our DKIM broken by it, SPF failing for its domain, the
 * receivers overriding (forwarded; or ARC, where the list's signature
 * alone is reported: only the override marks that mail); some mail with
 * DKIM intact */
#define FWD_IP "203.0.113.50"
static const struct flow fwd[] = {
	{ .ip = FWD_IP, .count = 6, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = OWN, .dkim_result = "fail",
	  .spf_domain = "lists.fwd-example.net", .spf_result = "fail",
	  .reason = "forwarded", .reporter_mask = 1 },
	{ .ip = FWD_IP, .count = 20, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = "lists.fwd-example.net",
	  .dkim_result = "pass", .spf_domain = "lists.fwd-example.net",
	  .spf_result = "fail", .reason = "local_policy",
	  .comment = "arc=pass", .reporter_mask = 2 },
	{ .ip = FWD_IP, .count = 3, .disposition = "none", .dkim = "pass",
	  .spf = "fail", .dkim_domain = OWN, .dkim_result = "pass",
	  .spf_domain = "lists.fwd-example.net", .spf_result = "fail" },
	{ .ip = NULL },
};

/* spoofing: a new IP every day and reporter, and one that stays; nothing
 * passes, the domains are not ours; more mail than our own */
#define SPOOF_IP "198.51.100.66"
static const struct flow spoof[] = {
	{ .ip = "198.18", .is_rotating = true, .count = 400,
	  .disposition = "none", .dkim = "fail", .spf = "fail",
	  .dkim_domain = "promo-blast.example", .dkim_result = "fail",
	  .spf_domain = "promo-blast.example", .spf_result = "softfail" },
	{ .ip = SPOOF_IP, .count = 50, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .spf_domain = "dyn.spoofer.example",
	  .spf_result = "fail" },
	{ .ip = NULL },
};

/* senders with their own d= seen on 2 and on 3 days only */
#define NEW2_IP "198.51.100.27"
#define NEW3_IP "198.51.100.28"
static const struct flow newcomers[] = {
	{ .ip = NEW2_IP, .count = 5, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = "two-days.example", .dkim_result =
	  "pass", .spf_domain = "two-days.example", .spf_result = "pass",
	  .to_day = 2, .reporter_mask = 1 },
	{ .ip = NEW3_IP, .count = 5, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = "three-days.example", .dkim_result =
	  "pass", .spf_domain = "three-days.example", .spf_result = "pass",
	  .to_day = 3, .reporter_mask = 1 },
	{ .ip = NULL },
};

/* spoofing a domain at p=quarantine: quarantined, some rejected */
static const struct flow spoof_held[] = {
	{ .ip = "198.51.100.77", .count = 30, .disposition = "quarantine",
	  .dkim = "fail", .spf = "fail", .spf_domain = "dyn.spoofer.example",
	  .spf_result = "fail" },
	{ .ip = "198.51.100.78", .count = 7, .disposition = "reject",
	  .dkim = "fail", .spf = "fail", .dkim_domain = "promo-blast.example",
	  .dkim_result = "fail", .reporter_mask = 2 },
	{ .ip = NULL },
};

/* 50 messages in all over 20 days and 2 reporters */
static const struct flow trickle[] = {
	{ .ip = "192.0.2.10", .count = 1, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass" },
	{ .ip = "192.0.2.11", .count = 1, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .to_day = 10, .reporter_mask = 1 },
	{ .ip = NULL },
};

/* the main sender passes by SPF alone: no signature at all */
static const struct flow spf_only[] = {
	{ .ip = "192.0.2.10", .count = 100, .disposition = "none",
	  .dkim = "fail", .spf = "pass", .spf_domain = OWN,
	  .spf_result = "pass" },
	{ .ip = "192.0.2.11", .count = 60, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass" },
	{ .ip = NULL },
};

struct scenario {
	const char *domain;
	const char *p;			/* p (and sp) published */
	const char *earlier_p;		/* published before, or NULL */
	int changed_day;		/* ... on days back after this one */
	int days;			/* reports for days back 1..days */
	int n_reporters;		/* the first of reporters[] */
	const struct flow *sets[6];	/* NULL-terminated */
	const char *sp;			/* sp when not p, or NULL */
	bool is_sp_absent;		/* reports leave <sp> out */
	const char *np;			/* <np> published, or NULL */
	int pct;			/* <pct>; 0: 100 */
	const char *t;			/* <testing>, or NULL */
};

static bool
flow_active(const struct flow *f, int k, int r)
{
	if ((f->to_day > 0 && k > f->to_day) || k < f->from_day)
		return false;
	return f->reporter_mask == 0 || (f->reporter_mask & (1u << r)) != 0;
}

static const char *
at(const char *v, const char *domain)
{
	return v != NULL && strcmp(v, OWN) == 0 ? domain : v;
}

/* midnight UTC of the day k days back from now */
static int64_t
day_start(int64_t now, int k)
{
	return now - now % DAY - (int64_t)k * DAY;
}

static void
flow_ip(const struct flow *f, int k, int r, char *out, size_t size)
{
	if (f->is_rotating)
		snprintf(out, size, "%s.%d.%d", f->ip, k, r + 1);
	else
		snprintf(out, size, "%s", f->ip);
}

/* header_from: "news.@" is news.<domain> */
static const char *
from_prefix(const struct flow *f)
{
	static char prefix[128];
	size_t n;

	if (f->header_from == NULL)
		return "";
	n = strlen(f->header_from);
	if (n == 0 || f->header_from[n - 1] != '@')
		return f->header_from;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - 1), f->header_from);
	return prefix;
}

static const char *
from_domain(const struct flow *f, const char *domain)
{
	size_t n = f->header_from != NULL ? strlen(f->header_from) : 0;

	if (f->header_from == NULL)
		return domain;
	return n > 0 && f->header_from[n - 1] == '@' ? domain : "";
}

/* one <record> */
static void
record_xml(struct buf *b, const struct flow *f, const char *ip,
    const char *domain)
{
	struct err e;

	buf_addf(b, &e, "<record><row><source_ip>%s</source_ip>"
	    "<count>%lld</count><policy_evaluated><disposition>%s"
	    "</disposition><dkim>%s</dkim><spf>%s</spf>", ip, f->count,
	    f->disposition, f->dkim, f->spf);
	if (f->reason != NULL)
		buf_addf(b, &e, "<reason><type>%s</type><comment>%s</comment>"
		    "</reason>", f->reason, f->comment ? f->comment : "");
	buf_addf(b, &e, "</policy_evaluated></row><identifiers>"
	    "<header_from>%s%s</header_from></identifiers><auth_results>",
	    from_prefix(f), from_domain(f, domain));
	if (f->dkim_domain != NULL)
		buf_addf(b, &e, "<dkim><domain>%s</domain><selector>s1"
		    "</selector><result>%s</result></dkim>",
		    at(f->dkim_domain, domain), f->dkim_result);
	if (f->spf_domain != NULL)
		buf_addf(b, &e, "<spf><domain>%s</domain><scope>mfrom</scope>"
		    "<result>%s</result></spf>", at(f->spf_domain, domain),
		    f->spf_result);
	buf_adds(b, "</auth_results></record>\n", &e);
}

/* the report of reporter r for day k back; false when it holds nothing */
static bool
report_xml(struct buf *b, const struct scenario *sc, int64_t now, int k,
    int r)
{
	int64_t begin = day_start(now, k);
	const char *p = sc->earlier_p != NULL && k > sc->changed_day ?
	    sc->earlier_p : sc->p;
	struct err e;
	size_t records = 0;

	buf_reset(b);
	buf_addf(b, &e, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<feedback><version>1.0</version><report_metadata><org_name>%s"
	    "</org_name><email>dmarc@%s</email><report_id>%s-%d-%d"
	    "</report_id><date_range><begin>%lld</begin><end>%lld</end>"
	    "</date_range></report_metadata><policy_published><domain>%s"
	    "</domain><adkim>r</adkim><aspf>r</aspf><p>%s</p>", reporters[r],
	    reporters[r], sc->domain, r, k, (long long)begin,
	    (long long)(begin + DAY - 1), sc->domain, p);
	if (!sc->is_sp_absent)
		buf_addf(b, &e, "<sp>%s</sp>", sc->sp != NULL ? sc->sp : p);
	if (sc->np != NULL)
		buf_addf(b, &e, "<np>%s</np>", sc->np);
	buf_addf(b, &e, "<pct>%d</pct>", sc->pct > 0 ? sc->pct : 100);
	if (sc->t != NULL)
		buf_addf(b, &e, "<testing>%s</testing>", sc->t);
	buf_adds(b, "</policy_published>\n", &e);
	for (size_t s = 0; sc->sets[s] != NULL; s++)
		for (const struct flow *f = sc->sets[s]; f->ip != NULL; f++) {
			char ip[64];

			if (!flow_active(f, k, r))
				continue;
			flow_ip(f, k, r, ip, sizeof(ip));
			record_xml(b, f, ip, sc->domain);
			records++;
		}
	buf_adds(b, "</feedback>\n", &e);
	return records > 0;
}

/* write the scenario's reports into dir; returns how many */
static int
write_reports(const struct scenario *sc, const char *dir, int64_t now)
{
	struct buf b;
	char path[512];
	int n = 0;

	buf_init(&b, 64u << 20);
	for (int k = 1; k <= sc->days; k++)
		for (int r = 0; r < sc->n_reporters; r++) {
			if (!report_xml(&b, sc, now, k, r))
				continue;
			snprintf(path, sizeof(path), "%s/%s-%d-%02d.xml", dir,
			    sc->domain, r, k);
			test_write_file(path, b.data, b.len);
			n++;
		}
	buf_release(&b);
	return n;
}

/* what a window [since, until) holds of a scenario */
struct totals {
	long long reports, messages, dmarc_pass, dkim_aligned, spf_aligned;
	long long quarantined, rejected;
	int days, reporters;
};

static void
totals_of(const struct scenario *sc, int64_t now, int64_t since,
    int64_t until, struct totals *t)
{
	bool seen_reporter[3] = { false, false, false };

	memset(t, 0, sizeof(*t));
	for (int k = 1; k <= sc->days; k++) {
		int64_t begin = day_start(now, k);
		bool is_day = false;

		if (begin < since || begin >= until)
			continue;
		for (int r = 0; r < sc->n_reporters; r++) {
			bool is_report = false;

			for (size_t s = 0; sc->sets[s] != NULL; s++)
				for (const struct flow *f = sc->sets[s];
				    f->ip != NULL; f++) {
					bool d = strcmp(f->dkim, "pass") == 0;
					bool p = strcmp(f->spf, "pass") == 0;

					if (!flow_active(f, k, r))
						continue;
					is_report = true;
					t->messages += f->count;
					t->dmarc_pass += d || p ? f->count : 0;
					t->dkim_aligned += d ? f->count : 0;
					t->spf_aligned += p ? f->count : 0;
					t->quarantined += strcmp(f->disposition,
					    "quarantine") == 0 ? f->count : 0;
					t->rejected += strcmp(f->disposition,
					    "reject") == 0 ? f->count : 0;
				}
			if (!is_report)
				continue;
			t->reports++;
			is_day = true;
			seen_reporter[r] = true;
		}
		t->days += is_day;
	}
	for (int r = 0; r < 3; r++)
		t->reporters += seen_reporter[r];
}

/* --- running dmarcctl --- */

/* `dmarcctl --db CI ARGS` */
static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(NULL, ci, args, out, err);
}


static void
remove_dir(char *dir)
{
	char cmd[600], *out, *err;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(test_run(cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	free(dir);
}

/* ingest the reports of dir: all of them new */
static void
ingest_dir(const char *ci, const char *dir, int want)
{
	char args[1024], want_out[256], *out, *err;

	snprintf(args, sizeof(args), "ingest --json '%s'", dir);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "ingest: %s", err);
	snprintf(want_out, sizeof(want_out), "\"new\":%d,\"duplicate\":0,"
	    "\"failed\":0", want);
	cr_assert(strstr(out, want_out) != NULL, "ingest: %s (want %s)", out,
	    want_out);
	free(out);
	free(err);
}

/* a fresh database holding the reports of the scenarios */
static char *
db_with(const struct scenario *const *sc, size_t n, int64_t now)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	int reports = 0;

	for (size_t i = 0; i < n; i++)
		reports += write_reports(sc[i], dir, now);
	ingest_dir(ci, dir, reports);
	remove_dir(dir);
	return ci;
}

/* run a query command that must succeed; its output parsed as one JSON
 * value (the caller's) */
static json_t *
run_json(const char *ci, const char *args)
{
	char *out, *err;
	json_error_t je;
	json_t *j;
	int rc = dm(ci, args, &out, &err);

	cr_assert_eq(rc, 0, "dmarcctl %s: exit %d: %s", args, rc, err);
	j = json_loads(out, 0, &je);
	cr_assert_not_null(j, "dmarcctl %s: not one JSON value: %s: '%s'",
	    args, je.text, out);
	free(out);
	free(err);
	return j;
}

static json_t *
advise(const char *ci, const char *domain, const char *extra)
{
	char args[512];

	snprintf(args, sizeof(args), "advise --format json --no-dns "
	    "--domain %s %s", domain, extra != NULL ? extra : "");
	return run_json(ci, args);
}

static const char *
jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "no string \"%s\"", key);
	return json_string_value(v);
}

static long long
jint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "no integer \"%s\"", key);
	return json_integer_value(v);
}

static double
jnum(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "no number \"%s\"", key);
	return json_number_value(v);
}

static json_t *
jarr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_array(v), "no array \"%s\"", key);
	return v;
}

/* the element of array a whose key is value, or NULL */
static json_t *
find_by(const json_t *a, const char *key, const char *value)
{
	size_t i;
	json_t *x;

	json_array_foreach(a, i, x) {
		json_t *v = json_object_get(x, key);

		if (json_is_string(v) && strcmp(json_string_value(v), value) ==
		    0)
			return x;
	}
	return NULL;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "2024-05-01T00:00:00Z" as seconds */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	char z = '\0';

	memset(&tm, 0, sizeof(tm));
	cr_assert_eq(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &z), 7, "time %s", s);
	cr_assert_eq(z, 'Z', "time %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (int64_t)timegm(&tm);
}

/* the verdict word; the blockers explain a wrong one */
static void
expect_verdict(const json_t *adv, const char *want)
{
	char *bl = json_dumps(json_object_get(adv, "blockers"), 0);

	cr_expect_str_eq(jstr(adv, "verdict"), want, "blockers: %s", bl);
	free(bl);
}

/* --- advise: p=none -> p=quarantine --- */

static const struct scenario clean = {
	.domain = "clean.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own } };
static const struct scenario with_esp = {
	.domain = "esp.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, esp } };
static const struct scenario forwarded = {
	.domain = "forwarded.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, fwd } };
static const struct scenario spoofed = {
	.domain = "spoofed.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, spoof } };
static const struct scenario mixed = {
	.domain = "mixed.example", .p = "none",
	.days = 20, .n_reporters = 2,
	.sets = { own, esp, fwd, spoof, newcomers } };

Test(analyze_cli, clean_domain_at_none_is_ready_for_quarantine)
{
	const struct scenario *sc[] = { &clean };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, clean.domain, NULL), *ev, *pol;

	cr_expect_str_eq(jstr(adv, "domain"), "clean.example");
	expect_verdict(adv, "quarantine");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=quarantine"),
	    "%s", jstr(adv, "next_record"));
	pol = json_object_get(adv, "policy");
	cr_assert(json_is_object(pol));
	cr_expect_str_eq(jstr(pol, "p"), "none");
	ev = json_object_get(adv, "evidence");
	cr_assert(json_is_object(ev));
	/* the 30-day window holds all 20 days */
	cr_expect_eq(jint(ev, "days"), 20);
	cr_expect_eq(jint(ev, "reporters"), 2);
	cr_expect_eq(jint(ev, "messages"), 20 * 2 * OWN_PER_REPORT);
	cr_expect_eq(jint(ev, "legitimate_messages"), 20 * 2 *
	    OWN_PER_REPORT);
	cr_expect_float_eq(jnum(ev, "legitimate_pass_rate"), 1.0, 1e-9);
	cr_expect_float_eq(jnum(ev, "dkim_aligned_rate"), 1.0, 1e-9);
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, esp_with_its_own_dkim_blocks_quarantine)
{
	const struct scenario *sc[] = { &with_esp };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, with_esp.domain, NULL), *b;
	const char *fix;

	expect_verdict(adv, "stay");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=none"), "%s",
	    jstr(adv, "next_record"));
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 1);
	b = find_by(jarr(adv, "blockers"), "source", ESP_IP);
	cr_assert_not_null(b, "no blocker for " ESP_IP);
	cr_expect_eq(jint(b, "messages"), 20 * 2 * 8);
	cr_expect_str_eq(jstr(b, "problem"), "third-party d=");
	fix = jstr(b, "fix");
	cr_expect(strstr(fix, "signs with its own domain " ESP_DKIM) != NULL,
	    "%s", fix);
	cr_expect(strstr(fix, "configure aligned DKIM") != NULL, "%s", fix);
	/* the ESP is legitimate volume, failing */
	cr_expect_eq(jint(json_object_get(adv, "evidence"),
	    "legitimate_messages"), 20 * 2 * (OWN_PER_REPORT + 8));
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, forwarding_failures_do_not_block_quarantine)
{
	const struct scenario *sc[] = { &forwarded };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, forwarded.domain, NULL), *ev;

	expect_verdict(adv, "quarantine");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=quarantine"),
	    "%s", jstr(adv, "next_record"));
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	ev = json_object_get(adv, "evidence");
	/* the forwarder is counted, but not as legitimate */
	cr_expect_eq(jint(ev, "messages"), 20 * (2 * OWN_PER_REPORT + 6 + 20 +
	    2 * 3));
	cr_expect_eq(jint(ev, "legitimate_messages"), 20 * 2 *
	    OWN_PER_REPORT);
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, spoofing_flood_does_not_block_quarantine)
{
	const struct scenario *sc[] = { &spoofed };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, spoofed.domain, NULL), *ev;

	expect_verdict(adv, "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	ev = json_object_get(adv, "evidence");
	cr_expect_eq(jint(ev, "messages"), 20 * 2 * (OWN_PER_REPORT + 450));
	cr_expect_eq(jint(ev, "legitimate_messages"), 20 * 2 *
	    OWN_PER_REPORT);
	cr_expect_gt(jint(ev, "messages"), 2 * jint(ev,
	    "legitimate_messages"));
	cr_expect_float_eq(jnum(ev, "legitimate_pass_rate"), 1.0, 1e-9);
	json_decref(adv);
	test_db_drop(ci);
}

/* --- advise: senders, gates and reporters --- */

/* our relay re-encodes every message: our DKIM fails after it, SPF passes
 * for its own bounce domain, no receiver gives a reason; a third of the
 * mail, daily */
#define RELAY_IP "203.0.113.80"
static const struct flow relay[] = {
	{ .ip = RELAY_IP, .count = 80, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = OWN, .dkim_result = "fail",
	  .spf_domain = "out.relay-host.example", .spf_result = "pass" },
	{ .ip = NULL },
};

/* a newsletter From news.<domain> via an ESP signing with its own d= */
static const struct flow news[] = {
	{ .ip = "198.51.100.90", .count = 30, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .dkim_domain = "news-esp.example",
	  .dkim_result = "pass", .spf_domain = "news-esp.example",
	  .spf_result = "pass", .header_from = "news.sub.example" },
	{ .ip = NULL },
};

/* a reporter that says fail although its own results pass aligned */
static const struct flow liar[] = {
	{ .ip = "192.0.2.12", .count = 40, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .reporter_mask = 2 },
	{ .ip = NULL },
};

static const struct scenario relayed = {
	.domain = "relayed.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, relay } };
static const struct scenario sub_at_none = {
	.domain = "sub.example", .p = "quarantine", .sp = "none",
	.days = 32, .n_reporters = 2, .sets = { own, news } };
static const struct scenario lied_about = {
	.domain = "lied.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, liar } };

static json_t *
gate_of(const json_t *adv, const char *gate)
{
	json_t *g = find_by(jarr(adv, "gates"), "gate", gate);

	cr_assert_not_null(g, "no gate %s", gate);
	return g;
}

Test(analyze_cli, our_relay_breaking_dkim_blocks)
{
	const struct scenario *sc[] = { &relayed };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, relayed.domain, NULL), *b;

	expect_verdict(adv, "stay");
	b = find_by(jarr(adv, "blockers"), "source", RELAY_IP);
	cr_assert_not_null(b, "the relay does not block");
	cr_expect_str_eq(jstr(b, "class"), "relay");
	cr_expect_str_eq(jstr(b, "rule"), "own-relay");
	cr_expect_str_eq(jstr(b, "problem"), "DKIM broken by relay");
	cr_expect_eq(json_array_size(jarr(b, "addresses")), 1);
	cr_expect_eq(jint(json_object_get(adv, "evidence"),
	    "legitimate_messages"), 20 * 2 * (OWN_PER_REPORT + 80));
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, each_policy_judges_its_own_population)
{
	const struct scenario *sc[] = { &sub_at_none };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, sub_at_none.domain, NULL), *g;

	/* the subdomain's sender cannot hold back p */
	expect_verdict(adv, "reject");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	cr_expect(starts(jstr(adv, "next_record"),
	    "v=DMARC1; p=reject; sp=none"), "%s", jstr(adv, "next_record"));
	g = gate_of(adv, "p");
	cr_expect_str_eq(jstr(g, "verdict"), "reject");
	cr_expect_str_eq(jstr(g, "population"), "organizational");
	g = gate_of(adv, "sp");
	cr_expect_str_eq(jstr(g, "verdict"), "stay");
	cr_expect_str_eq(jstr(g, "population"), "subdomain");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "news-esp.example"), "the newsletter blocks sp");
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, a_reporter_contradicting_its_results_is_named)
{
	const struct scenario *sc[] = { &lied_about };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, lied_about.domain, NULL), *w;

	expect_verdict(adv, "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	cr_expect_float_eq(jnum(json_object_get(adv, "evidence"),
	    "legitimate_pass_rate"), 1.0, 1e-9);
	w = find_by(jarr(adv, "warnings"), "reporter", reporters[1]);
	cr_assert_not_null(w, "no warning about %s", reporters[1]);
	cr_expect_str_eq(jstr(w, "kind"), "reporter-disagrees");
	cr_expect_eq(jint(w, "messages"), 20 * 40);
	json_decref(adv);
	test_db_drop(ci);
}

/* --- advise: too little data --- */

static const struct scenario few_days = {
	.domain = "few-days.example", .p = "none",
	.days = 5, .n_reporters = 2, .sets = { own } };
static const struct scenario one_reporter = {
	.domain = "one-reporter.example", .p = "none",
	.days = 20, .n_reporters = 1, .sets = { own } };
static const struct scenario few_messages = {
	.domain = "few-messages.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { trickle } };

Test(analyze_cli, too_little_data_is_insufficient)
{
	const struct scenario *sc[] = { &few_days, &one_reporter,
		&few_messages };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 3, now);
	json_t *adv, *ev;

	adv = advise(ci, few_days.domain, NULL);
	expect_verdict(adv, "insufficient-data");
	ev = json_object_get(adv, "evidence");
	cr_expect_eq(jint(ev, "days"), 5);
	cr_expect_eq(jint(ev, "reporters"), 2);
	cr_expect_eq(jint(ev, "messages"), 5 * 2 * OWN_PER_REPORT);
	json_decref(adv);

	adv = advise(ci, one_reporter.domain, NULL);
	expect_verdict(adv, "insufficient-data");
	ev = json_object_get(adv, "evidence");
	cr_expect_eq(jint(ev, "days"), 20);
	cr_expect_eq(jint(ev, "reporters"), 1);
	cr_expect_eq(jint(ev, "messages"), 20 * OWN_PER_REPORT);
	json_decref(adv);

	adv = advise(ci, few_messages.domain, NULL);
	expect_verdict(adv, "insufficient-data");
	ev = json_object_get(adv, "evidence");
	cr_expect_eq(jint(ev, "days"), 20);
	cr_expect_eq(jint(ev, "reporters"), 2);
	cr_expect_eq(jint(ev, "messages"), 50);
	/* and the record stays as it is */
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=none"), "%s",
	    jstr(adv, "next_record"));
	json_decref(adv);
	test_db_drop(ci);
}

/* --- advise: p=quarantine -> p=reject --- */

static const struct scenario quarantined = {
	.domain = "quarantined.example", .p = "quarantine",
	.days = 32, .n_reporters = 2, .sets = { own, spoof_held } };
/* p=none until 10 days ago */
static const struct scenario lately_quarantined = {
	.domain = "lately.example", .p = "quarantine", .earlier_p = "none",
	.changed_day = 10, .days = 32, .n_reporters = 2, .sets = { own } };
static const struct scenario quarantined_spf = {
	.domain = "spf-only.example", .p = "quarantine",
	.days = 32, .n_reporters = 2, .sets = { spf_only } };

Test(analyze_cli, clean_domain_at_quarantine_is_ready_for_reject)
{
	const struct scenario *sc[] = { &quarantined };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, quarantined.domain, NULL), *ev;

	expect_verdict(adv, "reject");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=reject"), "%s",
	    jstr(adv, "next_record"));
	cr_expect_str_eq(jstr(json_object_get(adv, "policy"), "p"),
	    "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	ev = json_object_get(adv, "evidence");
	/* the default window: the 30 whole days before today */
	cr_expect_eq(jint(ev, "days"), 30);
	cr_expect_float_eq(jnum(ev, "dkim_aligned_rate"), 1.0, 1e-9);
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, spf_only_main_sender_blocks_reject)
{
	const struct scenario *sc[] = { &quarantined_spf };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, quarantined_spf.domain, NULL), *ev, *b;

	expect_verdict(adv, "stay");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=quarantine"),
	    "%s", jstr(adv, "next_record"));
	ev = json_object_get(adv, "evidence");
	cr_expect_float_eq(jnum(ev, "legitimate_pass_rate"), 1.0, 1e-9);
	cr_expect_float_eq(jnum(ev, "dkim_aligned_rate"), 60.0 / 160.0, 1e-4);
	b = find_by(jarr(adv, "blockers"), "source", "192.0.2.10");
	cr_assert_not_null(b, "no blocker for the SPF-only sender");
	cr_expect_str_eq(jstr(b, "problem"), "passes by SPF only");
	cr_expect(strstr(jstr(b, "fix"), "DKIM") != NULL, "%s",
	    jstr(b, "fix"));
	cr_expect_null(find_by(jarr(adv, "blockers"), "source", "192.0.2.11"));
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_cli, ten_days_at_quarantine_are_too_few_for_reject)
{
	const struct scenario *sc[] = { &lately_quarantined };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *adv = advise(ci, lately_quarantined.domain, NULL);

	/* the policy is the latest one, and the days at it are counted */
	cr_expect_str_eq(jstr(json_object_get(adv, "policy"), "p"),
	    "quarantine");
	expect_verdict(adv, "stay");
	cr_expect(starts(jstr(adv, "next_record"), "v=DMARC1; p=quarantine"),
	    "%s", jstr(adv, "next_record"));
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	json_decref(adv);
	test_db_drop(ci);
}

/* --- tls: MTA-STS testing -> enforce --- */

#define TLS_DOMAIN "example.org"
#define TLS_MX1 "mx1.example.org"
#define TLS_MX2 "mx2.example.org"

/*
 * One policy of the reports (policies[] of RFC 8460): in the report of
 * each reporter in mask (0: all) and each day back from first to last
 * (0: every day), with successful sessions and the failures of it that
 * are active then.  A reporter sends a report on a day when one of its
 * policies is active.
 */
struct tls_pol {
	const char *type;		/* "sts", "tlsa", "no-policy-found" */
	const char *mx[3];		/* mx-host, NULL ends */
	long long successful;
	int first, last;
	unsigned mask;
};

/* failed sessions of one policy per report, active like a policy */
struct tls_fail {
	int pol;
	const char *mx;			/* NULL: not named */
	const char *type;
	long long sessions;
	int first, last;
	unsigned mask;
};

struct tls_scenario {
	int days, n_reporters;
	struct tls_pol pol[3];
	size_t n_pol;
	struct tls_fail fail[3];
	size_t n_fail;
};

static bool
tls_active(int first, int last, unsigned mask, int k, int r)
{
	return (mask == 0 || (mask & (1u << r)) != 0) &&
	    (first == 0 || (k <= first && k >= last));
}

static void
tls_policy_json(struct buf *b, const struct tls_scenario *sc, size_t p,
    int k, int r)
{
	const struct tls_pol *pol = &sc->pol[p];
	long long failed = 0;
	size_t n = 0;
	struct err e;

	for (size_t i = 0; i < sc->n_fail; i++)
		if (sc->fail[i].pol == (int)p && tls_active(sc->fail[i].first,
		    sc->fail[i].last, sc->fail[i].mask, k, r))
			failed += sc->fail[i].sessions;
	buf_addf(b, &e, "{\"policy\":{\"policy-type\":\"%s\","
	    "\"policy-string\":[", pol->type);
	if (strcmp(pol->type, "sts") == 0) {
		buf_adds(b, "\"version: STSv1\",\"mode: testing\",", &e);
		for (size_t m = 0; pol->mx[m] != NULL; m++)
			buf_addf(b, &e, "\"mx: %s\",", pol->mx[m]);
		buf_adds(b, "\"max_age: 86400\"", &e);
	} else if (strcmp(pol->type, "tlsa") == 0) {
		buf_adds(b, "\"3 1 1 0123456789abcdef0123456789abcdef01234567"
		    "89abcdef0123456789abcdef\"", &e);
	}
	buf_adds(b, "],\"policy-domain\":\"" TLS_DOMAIN "\",\"mx-host\":[",
	    &e);
	for (size_t m = 0; pol->mx[m] != NULL; m++)
		buf_addf(b, &e, "%s\"%s\"", m > 0 ? "," : "", pol->mx[m]);
	buf_addf(b, &e, "]},\"summary\":{\"total-successful-session-count\":"
	    "%lld,\"total-failure-session-count\":%lld}", pol->successful,
	    failed);
	for (size_t i = 0; i < sc->n_fail; i++) {
		const struct tls_fail *f = &sc->fail[i];

		if (f->pol != (int)p || !tls_active(f->first, f->last, f->mask,
		    k, r))
			continue;
		buf_adds(b, n++ == 0 ? ",\"failure-details\":[" : ",", &e);
		buf_addf(b, &e, "{\"result-type\":\"%s\",\"sending-mta-ip\":"
		    "\"209.85.222.201\",\"receiving-ip\":\"192.0.2.25\",",
		    f->type);
		if (f->mx != NULL)
			buf_addf(b, &e, "\"receiving-mx-hostname\":\"%s\",",
			    f->mx);
		buf_addf(b, &e, "\"failed-session-count\":%lld}", f->sessions);
	}
	buf_adds(b, n > 0 ? "]}" : "}", &e);
}

/* the report of reporter r for day k back; false when it sends none */
static bool
tls_json(struct buf *b, const struct tls_scenario *sc, int64_t now, int k,
    int r)
{
	int64_t begin = day_start(now, k);
	char from[32], to[32];
	time_t t0 = (time_t)begin, t1 = (time_t)(begin + DAY - 1);
	struct tm tm;
	struct err e;
	size_t n = 0;

	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	buf_reset(b);
	buf_addf(b, &e, "{\"organization-name\":\"%s\",\"date-range\":"
	    "{\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tls-reports@%s\",\"report-id\":\"%s_%d\","
	    "\"policies\":[", reporters[r], from, to, reporters[r], from, r);
	for (size_t p = 0; p < sc->n_pol; p++) {
		if (!tls_active(sc->pol[p].first, sc->pol[p].last,
		    sc->pol[p].mask, k, r))
			continue;
		if (n++ > 0)
			buf_adds(b, ",", &e);
		tls_policy_json(b, sc, p, k, r);
	}
	buf_adds(b, "]}\n", &e);
	return n > 0;
}

static char *
tls_db(const struct tls_scenario *sc, int64_t now)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir(), path[512];
	struct buf b;
	int n = 0;

	buf_init(&b, 1u << 20);
	for (int k = 1; k <= sc->days; k++)
		for (int r = 0; r < sc->n_reporters; r++) {
			if (!tls_json(&b, sc, now, k, r))
				continue;
			snprintf(path, sizeof(path), "%s/tls-%d-%02d.json", dir,
			    r, k);
			test_write_file(path, b.data, b.len);
			n++;
		}
	buf_release(&b);
	ingest_dir(ci, dir, n);
	remove_dir(dir);
	return ci;
}

static json_t *
tls_of(const char *ci, const char *domain, const char *extra)
{
	char args[512];

	snprintf(args, sizeof(args), "tls --format json --domain %s %s",
	    domain, extra != NULL ? extra : "");
	return run_json(ci, args);
}

/* the scenario's report, ingested, and `tls --format json` of it over
 * the default window (the caller's to json_decref) */
static json_t *
tls_run(const struct tls_scenario *sc, int64_t now)
{
	char *ci = tls_db(sc, now);
	json_t *t = tls_of(ci, TLS_DOMAIN, NULL);

	test_db_drop(ci);
	return t;
}

/* the UTC date of day k back */
static const char *
tls_day(int64_t now, int k, char *out, size_t size)
{
	time_t t = (time_t)day_start(now, k);
	struct tm tm;

	strftime(out, size, "%Y-%m-%d", gmtime_r(&t, &tm));
	return out;
}

/* the one element of a list of the verdict: mx (NULL: none named),
 * result type and sessions */
static json_t *
expect_one(const json_t *t, const char *list, const char *mx,
    const char *type, long long sessions, const char *what)
{
	json_t *a = jarr(t, list), *x = json_array_get(a, 0), *m;

	cr_assert_eq(json_array_size(a), 1, "%s: %s has %zu", what, list,
	    json_array_size(a));
	m = json_object_get(x, "mx");
	if (mx == NULL)
		cr_expect(json_is_null(m), "%s: %s mx", what, list);
	else
		cr_expect_str_eq(jstr(x, "mx"), mx, "%s: %s", what, list);
	cr_expect_str_eq(jstr(x, "result_type"), type, "%s: %s", what, list);
	cr_expect_eq(jint(x, "sessions"), sessions, "%s: %s", what, list);
	return x;
}

static void
expect_tls_lists(const json_t *t, size_t blockers, size_t warnings,
    size_t dane, const char *what)
{
	cr_expect_eq(json_array_size(jarr(t, "blockers")), blockers,
	    "%s: blockers", what);
	cr_expect_eq(json_array_size(jarr(t, "warnings")), warnings,
	    "%s: warnings", what);
	cr_expect_eq(json_array_size(jarr(t, "dane")), dane, "%s: dane",
	    what);
}

/* an sts policy naming both MX, 1000 sessions a report */
#define STS2 { "sts", { TLS_MX1, TLS_MX2, NULL }, 1000, 0, 0, 0 }
/* one naming only mx2 */
#define STS_MX2 { "sts", { TLS_MX2, NULL }, 1000, 0, 0, 0 }

static void
expect_tls_blocked(const json_t *t, const char *what)
{
	json_t *b, *res;

	cr_expect_str_eq(jstr(t, "verdict"), "stay", "%s", what);
	cr_expect_str_eq(jstr(t, "mode"), "testing", "%s", what);
	cr_expect_eq(jint(t, "failures"), 2 * 3 * 40, "%s", what);
	cr_expect_eq(json_array_size(jarr(t, "blockers")), 1, "%s", what);
	b = json_array_get(jarr(t, "blockers"), 0);
	if (b != NULL) {
		cr_expect_str_eq(jstr(b, "mx"), "mx2.example.org", "%s", what);
		cr_expect_str_eq(jstr(b, "result_type"),
		    "certificate-expired", "%s", what);
		cr_expect_eq(jint(b, "sessions"), 2 * 3 * 40, "%s", what);
		cr_expect_eq(jint(b, "reporters"), 2, "%s", what);
		cr_expect_eq(jint(b, "days"), 3, "%s", what);
		cr_expect(strstr(jstr(b, "fix"), "mx2.example.org") != NULL,
		    "%s: %s", what, jstr(b, "fix"));
	}
	res = find_by(jarr(t, "by_result"), "result_type",
	    "certificate-expired");
	cr_expect_not_null(res, "%s: by_result", what);
	if (res != NULL)
		cr_expect_eq(jint(res, "sessions"), 2 * 3 * 40, "%s", what);
}

Test(analyze_cli, expired_certificate_on_one_mx_blocks_enforce)
{
	static const struct tls_scenario sc = { 20, 2, { STS2 }, 1,
		{ { 0, TLS_MX2, "certificate-expired", 40, 3, 1, 0 } }, 1 };
	char *ci = tls_db(&sc, time(NULL));
	json_t *t;

	/* the default window (14 days) */
	t = tls_of(ci, TLS_DOMAIN, NULL);
	cr_expect_str_eq(jstr(t, "domain"), "example.org");
	expect_tls_blocked(t, "default window");
	json_decref(t);
	/* all 20 days */
	t = tls_of(ci, TLS_DOMAIN, "--days 21");
	expect_tls_blocked(t, "--days 21");
	json_decref(t);
	test_db_drop(ci);
}

Test(analyze_cli, clean_sts_testing_is_ready_for_enforce)
{
	static const struct tls_scenario sc = { 20, 2, { STS2 }, 1, { { 0 } },
		0 };
	char *ci = tls_db(&sc, time(NULL));
	json_t *t;

	t = tls_of(ci, TLS_DOMAIN, NULL);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "default window");
	cr_expect_str_eq(jstr(t, "mode"), "testing");
	cr_expect_eq(jint(t, "failures"), 0);
	expect_tls_lists(t, 0, 0, 0, "clean");
	json_decref(t);
	t = tls_of(ci, TLS_DOMAIN, "--days 21");
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "--days 21");
	cr_expect_eq(jint(t, "sessions"), 20 * 2 * 1000);
	/* the window's days, and those with reports */
	cr_expect_eq(jint(t, "days"), 21);
	cr_expect_eq(jint(t, "days_reported"), 20);
	cr_expect_eq(jint(t, "reporters"), 2);
	json_decref(t);
	test_db_drop(ci);
}

/* 1. A policy the sender could not fetch or use fails no delivery. */

Test(analyze_cli, tls_policy_fetch_errors_warn_and_never_block)
{
	static const struct tls_scenario every_day = { 20, 2, { STS2 }, 1,
		{ { 0, NULL, "sts-policy-fetch-error", 50, 0, 0, 0 } }, 1 };
	static const struct tls_scenario webpki_one_reporter = { 20, 3, { STS2 }, 1,
		{ { 0, NULL, "sts-webpki-invalid", 400, 5, 2, 4 } }, 1 };
	static const struct tls_scenario invalid_and_expired = { 20, 2,
		{ STS2 }, 1, { { 0, NULL, "sts-policy-invalid", 30, 0, 0, 0 },
		{ 0, TLS_MX2, "certificate-expired", 10, 4, 2, 0 } }, 2 };
	int64_t now = time(NULL);
	json_t *t, *w;

	t = tls_run(&every_day, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "fetch errors");
	cr_expect_eq(jint(t, "failures"), 14 * 2 * 50, "summary counts");
	expect_tls_lists(t, 0, 1, 0, "fetch errors");
	/* the verdict's window: all 20 days */
	w = expect_one(t, "warnings", NULL, "sts-policy-fetch-error",
	    20 * 2 * 50, "fetch errors");
	cr_expect(strstr(jstr(w, "reason"), "mta-sts.example.org") != NULL,
	    "%s", jstr(w, "reason"));
	json_decref(t);

	t = tls_run(&webpki_one_reporter, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "webpki");
	expect_tls_lists(t, 0, 1, 0, "webpki");
	expect_one(t, "warnings", NULL, "sts-webpki-invalid", 4 * 400,
	    "webpki");
	json_decref(t);

	t = tls_run(&invalid_and_expired, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "with a real failure");
	expect_one(t, "warnings", NULL, "sts-policy-invalid", 20 * 2 * 30,
	    "with a real failure");
	expect_one(t, "blockers", TLS_MX2, "certificate-expired", 3 * 2 * 10,
	    "with a real failure");
	json_decref(t);
}

/* 2. One failed session among thousands is noise until it recurs. */

Test(analyze_cli, tls_isolated_failure_warns_a_recurring_one_blocks)
{
	static const struct tls_scenario once = { 20, 2, { STS2 }, 1,
		{ { 0, TLS_MX1, "starttls-not-supported", 1, 3, 3, 1 } }, 1 };
	static const struct tls_scenario twice_one_reporter = { 20, 2,
		{ STS2 }, 1, { { 0, TLS_MX1, "starttls-not-supported", 1, 3, 2,
		1 } }, 1 };
	static const struct tls_scenario once_two_reporters = { 20, 2,
		{ STS2 }, 1, { { 0, TLS_MX1, "starttls-not-supported", 1, 3, 3,
		3 } }, 1 };
	/* one reporter with the policy, one without: two reporters */
	static const struct tls_scenario once_each_policy = { 20, 2,
		{ STS2, { "no-policy-found", { NULL }, 200, 0, 0, 0 } }, 2,
		{ { 0, TLS_MX1, "starttls-not-supported", 1, 3, 3, 1 },
		  { 1, TLS_MX1, "starttls-not-supported", 1, 3, 3, 2 } }, 2 };
	static const struct tls_scenario three_at_once = { 20, 2, { STS2 }, 1,
		{ { 0, TLS_MX1, "certificate-not-trusted", 3, 9, 9, 2 } }, 1 };
	int64_t now = time(NULL);
	char day[16];
	json_t *t, *x;

	t = tls_run(&once, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "once");
	expect_tls_lists(t, 0, 1, 0, "once");
	x = expect_one(t, "warnings", TLS_MX1, "starttls-not-supported", 1,
	    "once");
	cr_expect(strncmp(jstr(x, "reason"), "isolated: 1 session from 1 "
	    "reporter on 1 day", 36) == 0, "%s", jstr(x, "reason"));
	json_decref(t);

	t = tls_run(&twice_one_reporter, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "two days");
	x = expect_one(t, "blockers", TLS_MX1, "starttls-not-supported", 2,
	    "two days");
	cr_expect_eq(jint(x, "days"), 2);
	cr_expect_eq(jint(x, "reporters"), 1);
	cr_expect_str_eq(jstr(x, "last_seen"), tls_day(now, 2, day,
	    sizeof(day)));
	json_decref(t);

	t = tls_run(&once_two_reporters, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "two reporters");
	x = expect_one(t, "blockers", TLS_MX1, "starttls-not-supported", 2,
	    "two reporters");
	cr_expect_eq(jint(x, "reporters"), 2);
	cr_expect_eq(jint(x, "days"), 1);
	json_decref(t);

	t = tls_run(&once_each_policy, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "each policy");
	x = expect_one(t, "blockers", TLS_MX1, "starttls-not-supported", 2,
	    "each policy");
	cr_expect_eq(jint(x, "reporters"), 2);
	json_decref(t);

	/* what makes a failure real is a setting */
	{
		char *ci = tls_db(&once, now), *dir = test_tmpdir();
		char conf[512], args[1024];
		static const char text[] = "[analysis]\n"
		    "tls_min_failure_sessions = 1\n";

		snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", dir);
		test_write_file(conf, text, strlen(text));
		snprintf(args, sizeof(args), "-c '%s' tls --format json "
		    "--domain " TLS_DOMAIN, conf);
		t = run_json(ci, args);
		cr_expect_str_eq(jstr(t, "verdict"), "stay", "one is enough");
		expect_one(t, "blockers", TLS_MX1, "starttls-not-supported",
		    1, "one is enough");
		json_decref(t);
		remove_dir(dir);
		test_db_drop(ci);
	}

	t = tls_run(&three_at_once, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "three sessions");
	expect_one(t, "blockers", TLS_MX1, "certificate-not-trusted", 3,
	    "three sessions");
	cr_expect_eq(json_array_size(jarr(t, "warnings")), 0);
	json_decref(t);
}

/* 3. DANE failures are their own problem, not MTA-STS blockers. */

Test(analyze_cli, tls_dane_failures_are_listed_apart)
{
	static const struct tls_scenario tlsa_invalid = { 20, 2,
		{ STS2, { "tlsa", { TLS_MX1, NULL }, 500, 0, 0, 0 } }, 2,
		{ { 1, TLS_MX1, "tlsa-invalid", 20, 5, 1, 0 } }, 1 };
	static const struct tls_scenario expired_under_tlsa = { 20, 2,
		{ STS2, { "tlsa", { TLS_MX2, NULL }, 500, 0, 0, 0 } }, 2,
		{ { 1, TLS_MX2, "certificate-expired", 8, 4, 2, 0 } }, 1 };
	static const struct tls_scenario both = { 20, 2,
		{ STS2, { "tlsa", { TLS_MX2, NULL }, 500, 0, 0, 0 } }, 2,
		{ { 1, TLS_MX2, "certificate-expired", 8, 4, 2, 0 },
		{ 0, TLS_MX2, "certificate-expired", 6, 4, 2, 0 } }, 2 };
	int64_t now = time(NULL);
	json_t *t, *x;

	t = tls_run(&tlsa_invalid, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "tlsa-invalid");
	expect_tls_lists(t, 0, 0, 1, "tlsa-invalid");
	x = expect_one(t, "dane", TLS_MX1, "tlsa-invalid", 5 * 2 * 20,
	    "tlsa-invalid");
	cr_expect(strstr(jstr(x, "fix"), "_25._tcp." TLS_MX1) != NULL, "%s",
	    jstr(x, "fix"));
	cr_expect_not_null(find_by(jarr(t, "by_policy_type"), "policy_type",
	    "tlsa"));
	json_decref(t);

	t = tls_run(&expired_under_tlsa, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "under tlsa");
	expect_tls_lists(t, 0, 0, 1, "under tlsa");
	x = expect_one(t, "dane", TLS_MX2, "certificate-expired", 3 * 2 * 8,
	    "under tlsa");
	cr_expect(strstr(jstr(x, "fix"), "TLSA records") != NULL, "%s",
	    jstr(x, "fix"));
	json_decref(t);

	t = tls_run(&both, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "both");
	expect_one(t, "dane", TLS_MX2, "certificate-expired", 3 * 2 * 8,
	    "both");
	expect_one(t, "blockers", TLS_MX2, "certificate-expired", 3 * 2 * 6,
	    "both");
	json_decref(t);
}

/* Failures stored before their policy type was kept read as MTA-STS;
 * reparse gives them their type again.  Text shows DANE first. */
Test(analyze_cli, tls_reparse_restores_the_policy_type_of_old_failures)
{
	static const struct tls_scenario sc = { 20, 2,
		{ STS2, { "tlsa", { TLS_MX1, NULL }, 500, 0, 0, 0 } }, 2,
		{ { 1, TLS_MX1, "certificate-expired", 20, 5, 1, 0 } }, 1 };
	char *ci = tls_db(&sc, time(NULL)), *out, *err;
	json_t *t;

	free(test_db_value(ci, "WITH u AS (UPDATE tls_daily_failures SET "
	    "policy_type = '' RETURNING 1) SELECT count(*) FROM u"));
	t = tls_of(ci, TLS_DOMAIN, NULL);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "before reparse");
	expect_tls_lists(t, 1, 0, 0, "before reparse");
	json_decref(t);
	cr_assert_eq(dm(ci, "reparse", &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM "
	    "tls_daily_failures WHERE policy_type = 'tlsa'"), 2 * 5);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM "
	    "tls_daily_failures WHERE policy_type <> 'tlsa'"), 0);
	cr_assert_eq(dm(ci, "tls --domain " TLS_DOMAIN, &out, &err), 0, "%s",
	    err);
	cr_expect(strstr(out, "  DANE FAILURE: " TLS_MX1 " certificate-expired "
	    "(200 sessions from 2 reporters on 5 days, last ") != NULL, "%s",
	    out);
	cr_expect(strstr(out, "urgent: 1 DANE failure") != NULL, "%s", out);
	cr_expect(strstr(out, "example.org: enforce") != NULL, "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* 4. An MX that failed and went quiet has not been repaired. */

Test(analyze_cli, tls_quiet_days_are_no_repair)
{
	/* expired 20 to 18 days ago; both MX in the policy: successes may
	 * all have gone to mx1 */
	static const struct tls_scenario quiet = { 25, 2, { STS2 }, 1,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 0 } }, 1 };
	/* the same, mx2 the only MX: clean reports since are evidence */
	static const struct tls_scenario repaired = { 25, 2, { STS_MX2 }, 1,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 0 } }, 1 };
	/* mx2 the only MX, but the reporter that saw it stopped reporting
	 * and the one still reporting never saw the failure */
	static const struct tls_scenario other_reporter = { 25, 2,
		{ { "sts", { TLS_MX2, NULL }, 1000, 25, 18, 1 },
		  { "sts", { TLS_MX2, NULL }, 1000, 0, 0, 2 } }, 2,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 1 } }, 1 };
	/* mx2 taken out of the policy (and DNS) after it failed */
	static const struct tls_scenario left = { 25, 2,
		{ { "sts", { TLS_MX1, TLS_MX2, NULL }, 1000, 25, 16, 0 },
		  { "sts", { TLS_MX1, NULL }, 1000, 15, 1, 0 } }, 2,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 0 } }, 1 };
	/* the new policy's wildcard still covers mx2 */
	static const struct tls_scenario wildcard = { 25, 2,
		{ { "sts", { TLS_MX1, TLS_MX2, NULL }, 1000, 25, 16, 0 },
		  { "sts", { "*.example.org", NULL }, 1000, 15, 1, 0 } }, 2,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 0 } }, 1 };
	/* a new policy that still names mx2, spelt otherwise */
	static const struct tls_scenario respelt = { 25, 2,
		{ { "sts", { TLS_MX1, TLS_MX2, NULL }, 1000, 25, 16, 0 },
		  { "sts", { TLS_MX1, "MX2.Example.ORG.", NULL }, 1000, 15, 1,
		    0 } }, 2,
		{ { 0, TLS_MX2, "certificate-expired", 10, 20, 18, 0 } }, 1 };
	int64_t now = time(NULL);
	char day[16];
	json_t *t, *x;

	t = tls_run(&respelt, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "respelt");
	expect_tls_lists(t, 1, 0, 0, "respelt");
	json_decref(t);

	t = tls_run(&left, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "left the policy");
	expect_tls_lists(t, 0, 0, 0, "left the policy");
	json_decref(t);

	t = tls_run(&wildcard, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "wildcard");
	expect_one(t, "blockers", TLS_MX2, "certificate-expired", 3 * 2 * 10,
	    "wildcard");
	json_decref(t);

	t = tls_run(&quiet, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "quiet");
	cr_expect_eq(jint(t, "failures"), 0, "nothing in the shown window");
	x = expect_one(t, "blockers", TLS_MX2, "certificate-expired",
	    3 * 2 * 10, "quiet");
	cr_expect_str_eq(jstr(x, "last_seen"), tls_day(now, 18, day,
	    sizeof(day)));
	cr_expect_eq(jint(x, "days"), 3);
	json_decref(t);

	t = tls_run(&repaired, now);
	cr_expect_str_eq(jstr(t, "verdict"), "enforce", "repaired");
	expect_tls_lists(t, 0, 0, 0, "repaired");
	json_decref(t);

	t = tls_run(&other_reporter, now);
	cr_expect_str_eq(jstr(t, "verdict"), "stay", "other reporter");
	x = expect_one(t, "blockers", TLS_MX2, "certificate-expired", 3 * 10,
	    "other reporter");
	cr_expect_eq(jint(x, "reporters"), 1);
	json_decref(t);
}

/* --- summary --- */

static void
expect_summary(const json_t *d, const struct scenario *sc, int64_t now,
    int64_t since, int64_t until)
{
	struct totals t;

	totals_of(sc, now, since, until, &t);
	cr_assert_gt(t.reports, 0, "%s: nothing inside the window", sc->domain);
	cr_expect_eq(jint(d, "messages"), t.messages, "%s", sc->domain);
	cr_expect_eq(jint(d, "dmarc_pass"), t.dmarc_pass, "%s", sc->domain);
	cr_expect_eq(jint(d, "dkim_aligned"), t.dkim_aligned, "%s",
	    sc->domain);
	cr_expect_eq(jint(d, "spf_aligned"), t.spf_aligned, "%s", sc->domain);
	cr_expect_eq(jint(d, "quarantined"), t.quarantined, "%s", sc->domain);
	cr_expect_eq(jint(d, "rejected"), t.rejected, "%s", sc->domain);
	cr_expect_eq(jint(d, "reports"), t.reports, "%s", sc->domain);
	cr_expect_eq(jint(d, "reporters"), t.reporters, "%s", sc->domain);
	cr_expect_str_eq(jstr(json_object_get(d, "policy"), "p"), sc->p, "%s",
	    sc->domain);
}

Test(analyze_cli, summary_counts_the_window_and_agrees_with_advise)
{
	const struct scenario *sc[] = { &clean, &mixed, &quarantined };
	int64_t now = time(NULL), since, until;
	char *ci = db_with(sc, 3, now);
	json_t *s = run_json(ci, "summary --format json --days 14"), *doms;

	since = parse_time(jstr(s, "since"));
	until = parse_time(jstr(s, "until"));
	/* the 14 whole days before today */
	cr_expect(until == day_start(now, 0) && since == day_start(now, 14),
	    "%s .. %s", jstr(s, "since"), jstr(s, "until"));
	cr_expect_eq(jint(s, "days"), 14);
	doms = jarr(s, "domains");
	cr_assert_eq(json_array_size(doms), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *d = find_by(doms, "domain", sc[i]->domain), *adv;

		cr_assert_not_null(d, "no %s", sc[i]->domain);
		expect_summary(d, sc[i], now, since, until);
		adv = advise(ci, sc[i]->domain, NULL);
		cr_expect_str_eq(jstr(d, "verdict"), jstr(adv, "verdict"),
		    "%s", sc[i]->domain);
		json_decref(adv);
	}
	cr_expect_str_eq(jstr(find_by(doms, "domain", "clean.example"),
	    "verdict"), "quarantine");
	cr_expect_str_eq(jstr(find_by(doms, "domain", "mixed.example"),
	    "verdict"), "stay");
	cr_expect_str_eq(jstr(find_by(doms, "domain", "quarantined.example"),
	    "verdict"), "reject");
	cr_expect_gt(jint(find_by(doms, "domain", "quarantined.example"),
	    "quarantined"), 0);
	cr_expect_gt(jint(find_by(doms, "domain", "quarantined.example"),
	    "rejected"), 0);
	/* --days 14: the reports of the 14 days before today */
	{
		struct totals t;

		totals_of(&clean, now, since, until, &t);
		cr_expect_eq(t.days, 14);
		cr_expect_eq(jint(find_by(doms, "domain", "clean.example"),
		    "messages"), t.days * 2 * OWN_PER_REPORT);
	}
	json_decref(s);
	test_db_drop(ci);
}

/* --- sources --- */

/*
 * sources prints senders with their addresses; the tests here read one
 * object per address, with its domain and its sender's class added
 * (owned by the returned document, which the caller releases).
 */
static json_t *
addresses_of(json_t *doc)
{
	json_t *all = json_array(), *d, *snd, *addr;
	size_t i, k, m;

	json_array_foreach(json_object_get(doc, "domains"), i, d)
		json_array_foreach(json_object_get(d, "senders"), k, snd)
			json_array_foreach(json_object_get(snd, "addresses"), m,
			    addr) {
				json_object_set(addr, "domain",
				    json_object_get(d, "domain"));
				json_object_set(addr, "class",
				    json_object_get(snd, "class"));
				json_array_append(all, addr);
			}
	json_object_set_new(doc, "sources", all);
	return all;
}

static json_t *
source_of(const json_t *srcs, const char *domain, const char *ip)
{
	size_t i;
	json_t *x;

	json_array_foreach(srcs, i, x) {
		json_t *d = json_object_get(x, "domain");
		json_t *s = json_object_get(x, "source");

		if (json_is_string(d) && json_is_string(s) &&
		    strcmp(json_string_value(d), domain) == 0 &&
		    strcmp(json_string_value(s), ip) == 0)
			return x;
	}
	return NULL;
}

static void
expect_class(const json_t *srcs, const char *ip, const char *want)
{
	json_t *x = source_of(srcs, mixed.domain, ip);

	cr_expect_not_null(x, "no source %s", ip);
	if (x != NULL)
		cr_expect_str_eq(jstr(x, "class"), want, "%s", ip);
}

Test(analyze_cli, sources_are_classified)
{
	const struct scenario *sc[] = { &mixed };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now);
	json_t *j = run_json(ci, "sources --format json --no-dns --domain "
	    "mixed.example"), *srcs = addresses_of(j), *x;
	size_t i, rotating = 0;
	int days;

	expect_class(srcs, "192.0.2.10", "aligned");
	expect_class(srcs, "192.0.2.11", "aligned");
	expect_class(srcs, ESP_IP, "third-party");
	expect_class(srcs, FWD_IP, "indirect");
	expect_class(srcs, SPOOF_IP, "unauthenticated");
	/* a sender with its own d= is trusted from its third day on */
	expect_class(srcs, NEW3_IP, "third-party");
	expect_class(srcs, NEW2_IP, "unauthenticated");

	x = source_of(srcs, mixed.domain, ESP_IP);
	cr_assert_not_null(x);
	/* the default window: the 14 days before today */
	days = (int)jint(x, "days");
	cr_expect_eq(days, 14);
	cr_expect_eq(jint(x, "messages"), days * 2 * 8);
	cr_expect_eq(jint(x, "dmarc_pass"), 0);
	cr_expect_str_eq(jstr(x, "dkim_domain"), ESP_DKIM);
	cr_expect_str_eq(jstr(x, "spf_domain"), "bounce.esp-relay.net");
	/* --no-dns: nobody is named */
	cr_expect(json_is_null(json_object_get(x, "name")));
	cr_expect(json_is_null(json_object_get(x, "base")));
	x = source_of(srcs, mixed.domain, FWD_IP);
	cr_assert_not_null(x);
	cr_expect_eq(jint(x, "messages"), days * (6 + 20 + 2 * 3));
	cr_expect_eq(jint(x, "dmarc_pass"), days * 2 * 3);
	x = source_of(srcs, mixed.domain, "192.0.2.10");
	cr_assert_not_null(x);
	cr_expect_eq(jint(x, "dkim_aligned"), days * 2 * 100);

	json_array_foreach(srcs, i, x) {
		if (!starts(jstr(x, "source"), "198.18."))
			continue;
		rotating++;
		cr_expect_str_eq(jstr(x, "class"), "unauthenticated", "%s",
		    jstr(x, "source"));
		cr_expect_eq(jint(x, "days"), 1, "%s", jstr(x, "source"));
	}
	cr_expect_eq(rotating, (size_t)days * 2);
	cr_expect_eq(json_array_size(srcs), 7 + rotating);
	json_decref(j);
	test_db_drop(ci);
}

/* --- sources: reverse DNS --- */

static char *rig_dir;


/* dnsmasq answering PTR queries from hosts; its port */
static unsigned
rig_start(const char *hosts)
{
	rig_dir = test_tmpdir();
	return test_dns_start(rig_dir, hosts);
}

/* also when an assertion failed: no dnsmasq outlives its test */
static void
rig_stop(void)
{
	char cmd[1024], *out, *err;

	if (rig_dir == NULL)
		return;
	test_dns_stop(rig_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rig_dir);
	(void)test_run(cmd, &out, &err);
	free(out);
	free(err);
	free(rig_dir);
	rig_dir = NULL;
}

static void
expect_named(const json_t *srcs, const char *domain, const char *ip,
    const char *name, const char *base, const char *what)
{
	json_t *x = source_of(srcs, domain, ip);

	cr_expect_not_null(x, "%s: no source %s", what, ip);
	if (x == NULL)
		return;
	if (name == NULL) {
		cr_expect(json_is_null(json_object_get(x, "name")),
		    "%s: %s has a name", what, ip);
		return;
	}
	cr_expect(json_is_string(json_object_get(x, "name")) &&
	    strcmp(json_string_value(json_object_get(x, "name")), name) == 0,
	    "%s: %s: name, want %s", what, ip, name);
	cr_expect(json_is_string(json_object_get(x, "base")) &&
	    strcmp(json_string_value(json_object_get(x, "base")), base) == 0,
	    "%s: %s: base, want %s", what, ip, base);
}

Test(analyze_cli, sources_are_named_by_reverse_dns_and_the_cache,
    .fini = rig_stop)
{
	const struct scenario *sc[] = { &with_esp };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now), conf[512], text[256], args[1024];
	unsigned port = rig_start("192.0.2.10 Mail1.Outbound.Example.NET\n"
	    ESP_IP " o25.smtp.esp-relay.net\n");
	json_t *j;

	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", rig_dir);
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 500\n", port);
	test_write_file(conf, text, strlen(text));
	snprintf(args, sizeof(args), "-c '%s' sources --format json", conf);

	j = run_json(ci, args);
	expect_named(addresses_of(j), with_esp.domain, "192.0.2.10",
	    "mail1.outbound.example.net", "example.net", "from DNS");
	expect_named(addresses_of(j), with_esp.domain, ESP_IP,
	    "o25.smtp.esp-relay.net", "esp-relay.net", "from DNS");
	expect_named(addresses_of(j), with_esp.domain, "192.0.2.11", NULL,
	    NULL, "from DNS");
	json_decref(j);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache"), 3);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache WHERE "
	    "status = 'ok' AND expires_at > now()"), 2);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache WHERE "
	    "ip = '192.0.2.11' AND status = 'none' AND name IS NULL"), 1);

	/* no server any more: the cache answers */
	test_dns_stop(rig_dir);
	j = run_json(ci, args);
	expect_named(addresses_of(j), with_esp.domain, "192.0.2.10",
	    "mail1.outbound.example.net", "example.net", "from the cache");
	expect_named(addresses_of(j), with_esp.domain, ESP_IP,
	    "o25.smtp.esp-relay.net", "esp-relay.net", "from the cache");
	json_decref(j);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache WHERE "
	    "status = 'ok'"), 2);
	test_db_drop(ci);
}

/* A resolver that does not answer: the command keeps to its time budget,
 * says so once, and the next one does not wait on it again. */
Test(analyze_cli, an_unanswering_resolver_costs_one_budget_and_one_warning)
{
	const struct scenario *sc[] = { &with_esp };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now), *dir = test_tmpdir(), conf[512];
	char text[256], args[1024], *out, *err;
	int fd;
	unsigned port = test_silent_udp(&fd);
	struct timespec t0, t1;
	double secs;

	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", dir);
	/* unbudgeted, 3 tries of 3 s: 10 s a name */
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 3000\nrdns_budget = 1\n", port);
	test_write_file(conf, text, strlen(text));
	snprintf(args, sizeof(args), "-c '%s' sources --format json", conf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) /
	    1e9;
	cr_expect_lt(secs, 6, "took %.1f s", secs);
	cr_expect(strstr(err, "lookups unanswered within 1 s") != NULL, "%s",
	    err);
	cr_expect(strchr(err, '\n') == err + strlen(err) - 1, "one line: %s",
	    err);
	free(out);
	free(err);
	/* nothing answered: left alone for an hour, not ten minutes */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache WHERE "
	    "status <> 'fail' OR expires_at < now() + interval '50 minutes'"),
	    0);
	cr_expect_gt(test_db_count(ci, "SELECT count(*) FROM rdns_cache"), 0);
	/* the next command does not wait, and has nothing new to say */
	snprintf(args, sizeof(args), "-c '%s' summary", conf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_expect_eq(dm(ci, args, &out, &err), 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) /
	    1e9;
	cr_expect_lt(secs, 1, "took %.1f s", secs);
	cr_expect(strstr(err, "unanswered") == NULL, "%s", err);
	free(out);
	free(err);
	close(fd);
	test_db_drop(ci);
	free(dir);
}

/* The base of a name follows parsedmarc's PSL overrides: per-customer
 * names of a CDN or an ISP fold into one base, deeper than the PSL. */
Test(analyze_cli, sources_base_follows_psl_overrides, .fini = rig_stop)
{
	const struct scenario *sc[] = { &with_esp };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now), conf[512], text[256], args[1024];
	unsigned port = rig_start("192.0.2.10 customer1-applefibernet.com\n"
	    ESP_IP " e3191.c.akamaiedge.net\n");
	json_t *j;

	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", rig_dir);
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 500\n", port);
	test_write_file(conf, text, strlen(text));
	snprintf(args, sizeof(args), "-c '%s' sources --format json", conf);

	j = run_json(ci, args);
	expect_named(addresses_of(j), with_esp.domain, "192.0.2.10",
	    "customer1-applefibernet.com", "applefibernet.com", "override -");
	expect_named(addresses_of(j), with_esp.domain, ESP_IP,
	    "e3191.c.akamaiedge.net", "akamaiedge.net", "override .");
	json_decref(j);
	test_db_drop(ci);
}

/* --- np: mail From subdomains that do not exist --- */

/* an app sending From a subdomain nobody created, unsigned, SPF passing
 * for its host; and a newsletter From a subdomain that exists */
static const struct flow ghost_app[] = {
	{ .ip = "198.51.100.140", .count = 30, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .spf_domain = "app-host.example",
	  .spf_result = "pass", .header_from = "ghost.np.example" },
	{ .ip = "192.0.2.30", .count = 20, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .header_from = "news.np.example" },
	{ .ip = NULL },
};

static const struct scenario np_scenario = {
	.domain = "np.example", .p = "none", .days = 20, .n_reporters = 2,
	.sets = { own, ghost_app } };

Test(analyze_cli, mail_from_subdomains_that_do_not_exist_is_judged_under_np,
    .fini = rig_stop)
{
	const struct scenario *sc[] = { &np_scenario };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now), conf[512], text[256], args[1024];
	unsigned port = rig_start("192.0.2.30 news.np.example\n");
	json_t *j, *g;

	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", rig_dir);
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 500\n", port);
	test_write_file(conf, text, strlen(text));
	snprintf(args, sizeof(args), "-c '%s' advise --format json --domain "
	    "np.example", conf);
	j = run_json(ci, args);
	/* the app blocks np only: p and sp may move, np stays */
	expect_verdict(j, "quarantine");
	g = gate_of(j, "np");
	cr_expect_str_eq(jstr(g, "population"), "non-existent");
	cr_expect_str_eq(jstr(g, "verdict"), "stay");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "app-host.example"), "the app blocks np");
	g = gate_of(j, "sp");
	cr_expect_str_eq(jstr(g, "verdict"), "quarantine");
	cr_expect_eq(json_array_size(jarr(g, "blockers")), 0);
	cr_expect(strstr(jstr(j, "next_record"), "; np=none") != NULL, "%s",
	    jstr(j, "next_record"));
	json_decref(j);
	/* the answers are kept: with the server gone, the cache says it */
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache "
	    "WHERE ip = 'ghost.np.example' AND name IS NULL AND status = "
	    "'none'"), 1);
	cr_expect_eq(test_db_count(ci, "SELECT count(*) FROM rdns_cache "
	    "WHERE ip = 'news.np.example' AND name = ip AND status = 'ok'"), 1);
	test_dns_stop(rig_dir);
	j = run_json(ci, args);
	g = gate_of(j, "np");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "app-host.example"), "from the cache, the app blocks np");
	json_decref(j);

	/* without DNS nobody knows: the app's subdomain is judged by sp */
	snprintf(args, sizeof(args), "-c '%s' advise --format json --no-dns "
	    "--domain np.example", conf);
	j = run_json(ci, args);
	g = gate_of(j, "sp");
	cr_expect_str_eq(jstr(g, "verdict"), "stay");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "app-host.example"), "without DNS the app blocks sp");
	cr_expect(strstr(jstr(j, "next_record"), "; sp=none") != NULL, "%s",
	    jstr(j, "next_record"));
	json_decref(j);
	test_db_drop(ci);
}

/* --- exit statuses --- */

Test(analyze_cli, exit_statuses)
{
	char *ci = test_db_migrated(), *out, *err;

	cr_expect_eq(dm(NO_DB, "advise", &out, &err), 69, "%s", err);
	cr_expect_str_eq(out, "");
	cr_expect(starts(err, "dmarcctl: "), "%s", err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "advise --format csv", &out, &err), 64, "%s", err);
	cr_expect_str_eq(out, "");
	cr_expect(strstr(err, "usage") != NULL, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "summary --days x", &out, &err), 64, "%s", err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
	/* and a good one, on an empty database */
	cr_expect_eq(dm(ci, "advise --format json", &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
	test_db_drop(ci);
}

/* --- check: cron and monitoring --- */

/* `dmarcctl --db CI check ARGS`: its exit status, stdout kept */
static int
check(const char *ci, const char *args, char **out)
{
	char cmd[512], *err;
	int rc;

	snprintf(cmd, sizeof(cmd), "check %s", args);
	rc = dm(ci, cmd, out, &err);
	cr_expect_str_eq(err, "", "check writes problems to stdout: %s", err);
	free(err);
	return rc;
}

/* a mail server of ours that breaks three days ago (a lost DKIM key and
 * an SPF record that no longer lists it) */
static const struct flow breaking[] = {
	{ .ip = "192.0.2.30", .count = 40, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .from_day = 4 },
	{ .ip = "192.0.2.30", .count = 40, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .spf_domain = OWN,
	  .spf_result = "fail", .to_day = 3 },
	{ .ip = NULL },
};

Test(check, all_well_exits_0)
{
	static const struct scenario sc = { "steady.example", "none", NULL, 0,
		20, 2, { own, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	int64_t now = time(NULL);
	char *ci = db_with(all, 1, now), *out;

	cr_expect_eq(check(ci, "", &out), 0, "%s", out);
	cr_expect(starts(out, "ok: 1 domain"), "%s", out);
	free(out);
	cr_expect_eq(check(ci, "--domain steady.example", &out), 0, "%s", out);
	free(out);
	/* a domain that never reported is a problem */
	cr_expect_eq(check(ci, "--domain never.example", &out), 1, "%s", out);
	cr_expect(starts(out, "never.example: no report was ever stored"),
	    "%s", out);
	free(out);
	test_db_drop(ci);
}

Test(check, steady_failures_are_no_news)
{
	/* an ESP that never aligned, forwarders and a spoofing flood: what
	 * advise reports, but nothing that changed */
	static const struct scenario sc = { "busy.example", "none", NULL, 0,
		20, 2, { own, esp, fwd, spoof, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	int64_t now = time(NULL);
	char *ci = db_with(all, 1, now), *out;

	cr_expect_eq(check(ci, "", &out), 0, "%s", out);
	cr_expect(starts(out, "ok: 1 domain"), "%s", out);
	free(out);
	test_db_drop(ci);
}

Test(check, reports_that_stop_are_a_problem)
{
	static const struct scenario sc = { "quiet.example", "none", NULL, 0,
		20, 2, { own, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	/* the last report period ended five days ago */
	int64_t now = time(NULL) - 5 * DAY;
	char *ci = db_with(all, 1, now), *out;

	cr_expect_eq(check(ci, "", &out), 1, "%s", out);
	cr_expect(starts(out, "quiet.example: no DMARC report since "), "%s",
	    out);
	cr_expect(strstr(out, "(5 days; at most 2 expected)") != NULL, "%s",
	    out);
	cr_expect(strchr(out, '\n') == out + strlen(out) - 1, "one line: %s",
	    out);
	free(out);
	cr_expect_eq(check(ci, "--max-silence 7", &out), 0, "%s", out);
	free(out);
	test_db_drop(ci);
}

Test(check, a_source_that_starts_failing_is_a_problem)
{
	static const struct scenario sc = { "broken.example", "none", NULL, 0,
		20, 2, { own, breaking, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	int64_t now = time(NULL);
	char *ci = db_with(all, 1, now), *out;

	cr_expect_eq(check(ci, "", &out), 1, "%s", out);
	cr_expect(strstr(out, "broken.example: source 192.0.2.30 started "
	    "failing DMARC: 0.0% of ") != NULL, "%s", out);
	cr_expect(strstr(out, "100.0% before") != NULL, "%s", out);
	/* 80 of 400 messages a day fail now, none did before */
	cr_expect(strstr(out, "broken.example: the failure rate of legitimate "
	    "mail jumped to 20.0% in the last 3 days (0.0% before)") != NULL,
	    "%s", out);
	free(out);
	test_db_drop(ci);
}

/* a set-up where fetch never worked must not stay green */
Test(check, nothing_ever_stored_is_a_problem)
{
	static const struct scenario sc = { "old.example", "none", NULL, 0,
		20, 2, { own, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	char *ci = test_db_migrated(), *out;
	json_t *j;
	json_error_t je;

	cr_expect_eq(check(ci, "", &out), 1, "%s", out);
	cr_expect(starts(out, "no report was ever stored: check that fetch"),
	    "%s", out);
	free(out);
	cr_expect_eq(check(ci, "--format json", &out), 1, "%s", out);
	j = json_loads(out, 0, &je);
	cr_assert(j != NULL, "%s: %s", je.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(j, "status")),
	    "problem");
	cr_expect(json_is_null(json_object_get(json_array_get(
	    json_object_get(j, "problems"), 0), "domain")), "%s", out);
	json_decref(j);
	free(out);
	test_db_drop(ci);

	/* reports, but none for 40 days: every domain fell silent */
	ci = db_with(all, 1, time(NULL) - 40 * DAY);
	cr_expect_eq(check(ci, "", &out), 1, "%s", out);
	cr_expect(strstr(out, "no report in the last 30 days") != NULL, "%s",
	    out);
	free(out);
	test_db_drop(ci);
}

Test(check, json_for_monitoring)
{
	static const struct scenario sc = { "steady.example", "none", NULL, 0,
		20, 2, { own, NULL }, NULL, false, NULL, 0, NULL };
	const struct scenario *all[] = { &sc };
	char *ci = db_with(all, 1, time(NULL)), *out, *err;
	json_t *j;
	json_error_t je;

	cr_expect_eq(check(ci, "--format json", &out), 0, "%s", out);
	j = json_loads(out, 0, &je);
	cr_assert(j != NULL, "%s: %s", je.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(j, "status")),
	    "ok");
	cr_expect_eq(json_integer_value(json_object_get(j, "domains")), 1);
	cr_expect_gt(json_integer_value(json_object_get(j, "messages")), 0);
	cr_expect_eq(json_array_size(json_object_get(j, "problems")), 0);
	json_decref(j);
	free(out);
	cr_expect_eq(check(ci, "--domain never.example --format json", &out),
	    1, "%s", out);
	j = json_loads(out, 0, &je);
	cr_assert(j != NULL, "%s: %s", je.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "problems"), 0), "domain")), "never.example");
	json_decref(j);
	free(out);
	cr_expect_eq(dm(ci, "check --format csv", &out, &err), 64);
	cr_expect(strstr(err, "--format 'csv': check prints text or json") !=
	    NULL, "%s", err);
	free(out);
	free(err);
	test_db_drop(ci);
}

Test(check, unreachable_database_exits_69)
{
	char *out, *err;

	cr_expect_eq(dm(NO_DB, "check", &out, &err), 69, "%s", err);
	cr_expect(starts(err, "dmarcctl: "), "%s", err);
	free(out);
	free(err);
}

/* --- the window: whole UTC days, the same for every command --- */

/*
 * One DMARC and one TLS-RPT report per day k back (0: today, whose
 * reports come tomorrow), from source 192.0.2.(100 + k) and with 1 << k
 * messages and sessions: the sums say which days a window holds.
 */
#define EDGES "edges.example"
enum { EDGE_N = 3 };
static const int edge_days[] = { 0, 1, EDGE_N, EDGE_N + 1 };

static void
edge_reports(const char *dir, int64_t now, int k)
{
	int64_t begin = day_start(now, k);
	time_t t0 = (time_t)begin, t1 = (time_t)(begin + DAY - 1);
	char path[512], from[32], to[32];
	struct tm tm;
	struct buf b;
	struct err e;

	buf_init(&b, 1u << 20);
	buf_addf(&b, &e, "<?xml version=\"1.0\"?>\n<feedback><report_metadata>"
	    "<org_name>google.com</org_name><email>dmarc@google.com</email>"
	    "<report_id>edge-%d</report_id><date_range><begin>%lld</begin>"
	    "<end>%lld</end></date_range></report_metadata>"
	    "<policy_published><domain>" EDGES "</domain><p>none</p>"
	    "</policy_published><record><row><source_ip>192.0.2.%d"
	    "</source_ip><count>%d</count><policy_evaluated><disposition>none"
	    "</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>"
	    "</row><identifiers><header_from>" EDGES "</header_from>"
	    "</identifiers><auth_results><dkim><domain>" EDGES "</domain>"
	    "<result>pass</result></dkim><spf><domain>" EDGES "</domain>"
	    "<result>pass</result></spf></auth_results></record></feedback>\n",
	    k, (long long)begin, (long long)(begin + DAY - 1), 100 + k,
	    1 << k);
	snprintf(path, sizeof(path), "%s/dmarc-%d.xml", dir, k);
	test_write_file(path, b.data, b.len);
	strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	buf_reset(&b);
	buf_addf(&b, &e, "{\"organization-name\":\"google.com\",\"date-range\":"
	    "{\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tls@google.com\",\"report-id\":\"edge-%d\","
	    "\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: testing\"],"
	    "\"policy-domain\":\"" EDGES "\"},\"summary\":{"
	    "\"total-successful-session-count\":%d,"
	    "\"total-failure-session-count\":0}}]}\n", from, to, k, 1 << k);
	snprintf(path, sizeof(path), "%s/tls-%d.json", dir, k);
	test_write_file(path, b.data, b.len);
	buf_release(&b);
}

static char *
edges_db(int64_t now)
{
	char *ci = test_db_migrated(), *dir = test_tmpdir();
	size_t n = sizeof(edge_days) / sizeof(edge_days[0]);

	for (size_t i = 0; i < n; i++)
		edge_reports(dir, now, edge_days[i]);
	ingest_dir(ci, dir, (int)(2 * n));
	remove_dir(dir);
	return ci;
}

/* YYYY-MM-DD of t */
static const char *
date_of(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, size, "%Y-%m-%d", gmtime_r(&tt, &tm));
	return out;
}

/* the days back k of edge_days inside [first, last] back, as the sum of
 * their 1 << k */
static long long
edge_sum(int first, int last)
{
	long long sum = 0;

	for (size_t i = 0; i < sizeof(edge_days) / sizeof(edge_days[0]); i++)
		if (edge_days[i] >= first && edge_days[i] <= last)
			sum += 1 << edge_days[i];
	return sum;
}

/* the window keys of a JSON object: the days first..last back */
static void
expect_window_keys(const json_t *o, int64_t now, int first, int last,
    const char *what)
{
	int64_t since = parse_time(jstr(o, "since"));
	int64_t until = parse_time(jstr(o, "until"));

	cr_expect_eq(since, day_start(now, last), "%s: since %s", what,
	    jstr(o, "since"));
	cr_expect_eq(until, day_start(now, first - 1), "%s: until %s", what,
	    jstr(o, "until"));
	cr_expect_eq(jint(o, "days"), last - first + 1, "%s: days", what);
}

/* what --days N (or the window args) holds in every command's JSON: the
 * reports of the days first..last back */
static void
expect_edges(const char *ci, int64_t now, const char *window, int first,
    int last)
{
	long long want = edge_sum(first, last);
	char args[256], opts[160], ip[32];
	json_t *j, *x;
	size_t i;

	snprintf(args, sizeof(args), "summary --format json %s", window);
	j = run_json(ci, args);
	expect_window_keys(j, now, first, last, args);
	x = find_by(jarr(j, "domains"), "domain", EDGES);
	cr_assert_not_null(x, "%s", args);
	cr_expect_eq(jint(x, "messages"), want, "%s", args);
	json_decref(j);

	snprintf(args, sizeof(args), "sources --format json --no-dns %s",
	    window);
	j = run_json(ci, args);
	expect_window_keys(j, now, first, last, args);
	json_array_foreach(addresses_of(j), i, x) {
		int k = atoi(jstr(x, "source") + strlen("192.0.2.")) - 100;

		cr_expect(k >= first && k <= last, "%s: %s", args,
		    jstr(x, "source"));
	}
	for (size_t d = 0; d < sizeof(edge_days) / sizeof(edge_days[0]); d++) {
		int k = edge_days[d];

		snprintf(ip, sizeof(ip), "192.0.2.%d", 100 + k);
		cr_expect_eq(source_of(addresses_of(j), EDGES, ip) != NULL,
		    k >= first && k <= last, "%s: %s", args, ip);
	}
	json_decref(j);

	snprintf(opts, sizeof(opts), "--no-dns %s", window);
	j = advise(ci, EDGES, opts);
	expect_window_keys(j, now, first, last, "advise");
	cr_expect_eq(jint(json_object_get(j, "evidence"), "messages"), want,
	    "advise %s", window);
	json_decref(j);

	j = tls_of(ci, EDGES, window);
	expect_window_keys(j, now, first, last, "tls");
	cr_expect_eq(jint(j, "sessions"), want, "tls %s", window);
	json_decref(j);
}

Test(window_cli, days_n_is_the_n_whole_days_before_today)
{
	int64_t now = time(NULL);
	char *ci = edges_db(now), window[128], a[16], b[16];

	/* neither today nor day N + 1 back */
	snprintf(window, sizeof(window), "--days %d", EDGE_N);
	expect_edges(ci, now, window, 1, EDGE_N);
	snprintf(window, sizeof(window), "--days %d", EDGE_N + 1);
	expect_edges(ci, now, window, 1, EDGE_N + 1);
	/* the same days by date: until exclusive */
	snprintf(window, sizeof(window), "--since %s --until %s",
	    date_of(day_start(now, EDGE_N), a, sizeof(a)),
	    date_of(day_start(now, 0), b, sizeof(b)));
	expect_edges(ci, now, window, 1, EDGE_N);
	/* a non-midnight --until leaves out the day it falls in, even
	 * the report that began before it */
	snprintf(window, sizeof(window), "--since %s --until %sT12:00",
	    date_of(day_start(now, EDGE_N + 1), a, sizeof(a)),
	    date_of(day_start(now, 1), b, sizeof(b)));
	expect_edges(ci, now, window, 2, EDGE_N + 1);
	/* a non-midnight --since starts at the next midnight */
	snprintf(window, sizeof(window), "--since %sT06:00 --until %s",
	    date_of(day_start(now, EDGE_N + 1), a, sizeof(a)),
	    date_of(day_start(now, 0), b, sizeof(b)));
	expect_edges(ci, now, window, 1, EDGE_N);
	test_db_drop(ci);
}

/* text starts with the window line; csv stays plain rows */
Test(window_cli, text_output_starts_with_the_window)
{
	static const char *const cmds[] = { "summary", "sources --no-dns",
		"advise --no-dns", "tls", "reports" };
	int64_t now = time(NULL);
	char *ci = edges_db(now), want[128], a[16], b[16], args[256];
	char *out, *err;
	json_t *j;

	snprintf(want, sizeof(want), "window: %s .. %s (%d days, UTC)\n",
	    date_of(day_start(now, EDGE_N), a, sizeof(a)),
	    date_of(day_start(now, 1), b, sizeof(b)), EDGE_N);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(args, sizeof(args), "%s --days %d", cmds[i], EDGE_N);
		cr_assert_eq(dm(ci, args, &out, &err), 0, "%s: %s", args, err);
		cr_expect(starts(out, want), "%s: %s", args, out);
		cr_expect(strstr(out, EDGES) != NULL, "%s: %s", args, out);
		free(out);
		free(err);
	}
	/* one day is a day */
	cr_assert_eq(dm(ci, "summary --days 1", &out, &err), 0, "%s", err);
	snprintf(want, sizeof(want), "window: %s .. %s (1 day, UTC)\n", b, b);
	cr_expect(starts(out, want), "%s", out);
	free(out);
	free(err);
	/* an empty window still says which it was */
	cr_assert_eq(dm(ci, "advise --since 2001-01-01 --until 2001-01-03",
	    &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, "window: 2001-01-01 .. 2001-01-02 (2 days, "
	    "UTC)\n");
	cr_expect_str_eq(err, "dmarcctl: no DMARC reports from "
	    "2001-01-01T00:00:00Z to 2001-01-03T00:00:00Z\n");
	free(out);
	free(err);
	snprintf(args, sizeof(args), "reports --format json --days %d",
	    EDGE_N);
	j = run_json(ci, args);
	expect_window_keys(j, now, 1, EDGE_N, args);
	cr_expect_eq(json_array_size(jarr(j, "reports")), 4);
	json_decref(j);
	cr_assert_eq(dm(ci, "summary --format csv", &out, &err), 0, "%s", err);
	cr_expect(starts(out, "domain,policy,"), "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* --- advise: the p, sp and np gates and the record they propose --- */

/* a newsletter From news.<domain> via an ESP signing with its own d= */
static const struct flow sub_esp[] = {
	{ .ip = "198.51.100.90", .count = 30, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .dkim_domain = "news-esp.example",
	  .dkim_result = "pass", .spf_domain = "news-esp.example",
	  .spf_result = "pass", .header_from = "news.@" },
	{ .ip = NULL },
};

/* our own servers sending From shop.<domain>: aligned */
static const struct flow sub_own[] = {
	{ .ip = "192.0.2.10", .count = 30, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .header_from = "shop.@" },
	{ .ip = NULL },
};

/* all of the domain's own mail From shop.<domain>, none From itself */
static const struct flow sub_only[] = {
	{ .ip = "192.0.2.10", .count = 100, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .header_from = "shop.@" },
	{ .ip = "192.0.2.11", .count = 60, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass",
	  .header_from = "shop.@" },
	{ .ip = NULL },
};

static const struct scenario g_inherited_q = {
	.domain = "g-inherited-q.example", .p = "quarantine",
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, sub_esp } };
static const struct scenario g_loose_sp = {
	.domain = "g-loose-sp.example", .p = "quarantine", .sp = "none",
	.days = 32, .n_reporters = 2, .sets = { own, sub_own } };
static const struct scenario g_np_reject = {
	.domain = "g-np-reject.example", .p = "none", .is_sp_absent = true,
	.np = "reject", .days = 20, .n_reporters = 2, .sets = { own } };
static const struct scenario g_pct50 = {
	.domain = "g-pct50.example", .p = "quarantine", .pct = 50,
	.days = 32, .n_reporters = 2, .sets = { own } };
static const struct scenario g_testing = {
	.domain = "g-testing.example", .p = "quarantine", .t = "y",
	.days = 32, .n_reporters = 2, .sets = { own } };
static const struct scenario g_q_blocked = {
	.domain = "g-q-blocked.example", .p = "quarantine",
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, esp } };
static const struct scenario g_r_blocked = {
	.domain = "g-r-blocked.example", .p = "reject",
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, esp } };
static const struct scenario g_r_sub_fails = {
	.domain = "g-r-sub-fails.example", .p = "reject",
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, sub_esp } };
static const struct scenario g_sp_q_sub_fails = {
	.domain = "g-sp-q-sub-fails.example", .p = "none", .sp = "quarantine",
	.days = 20, .n_reporters = 2, .sets = { own, sub_esp } };
static const struct scenario g_sp_reject = {
	.domain = "g-sp-reject.example", .p = "none", .sp = "reject",
	.days = 20, .n_reporters = 2, .sets = { own, sub_own } };
static const struct scenario g_sub_only = {
	.domain = "g-sub-only.example", .p = "none", .is_sp_absent = true,
	.days = 20, .n_reporters = 2, .sets = { sub_only, sub_esp } };

static const char *
next_of(const json_t *adv)
{
	return jstr(adv, "next_record");
}

Test(analyze_gates, inherited_sp_is_kept_when_subdomains_are_not_ready)
{
	const struct scenario *sc[] = { &g_inherited_q };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, g_inherited_q.domain, NULL), *g;

	/* p may go to reject; the subdomains stay at quarantine */
	expect_verdict(adv, "reject");
	cr_expect_str_eq(next_of(adv), "v=DMARC1; p=reject; sp=quarantine");
	g = gate_of(adv, "sp");
	cr_expect_str_eq(jstr(g, "verdict"), "stay");
	cr_expect_str_eq(jstr(g, "policy"), "quarantine");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "news-esp.example"));
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_gates, an_explicit_looser_sp_is_never_tightened)
{
	const struct scenario *sc[] = { &g_loose_sp };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, g_loose_sp.domain, NULL);

	expect_verdict(adv, "reject");
	cr_expect_str_eq(next_of(adv), "v=DMARC1; p=reject; sp=none");
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_gates, a_published_np_is_kept)
{
	const struct scenario *sc[] = { &g_np_reject };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, g_np_reject.domain, NULL);

	expect_verdict(adv, "quarantine");
	cr_expect(strstr(next_of(adv), "; np=reject") != NULL, "%s",
	    next_of(adv));
	cr_expect_str_eq(jstr(gate_of(adv, "np"), "policy"), "reject");
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_gates, partial_quarantine_moves_to_full_quarantine_first)
{
	const struct scenario *sc[] = { &g_pct50, &g_testing };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv;

	for (size_t i = 0; i < 2; i++) {
		adv = advise(ci, sc[i]->domain, NULL);
		expect_verdict(adv, "quarantine");
		/* full quarantine: neither pct nor t=y */
		cr_expect_str_eq(next_of(adv), "v=DMARC1; p=quarantine", "%s",
		    sc[i]->domain);
		json_decref(adv);
	}
	test_db_drop(ci);
}

Test(analyze_gates, a_blocked_domain_keeps_its_policy)
{
	const struct scenario *sc[] = { &g_q_blocked, &g_r_blocked };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv;

	adv = advise(ci, g_q_blocked.domain, NULL);
	expect_verdict(adv, "stay");
	cr_expect_str_eq(next_of(adv), "v=DMARC1; p=quarantine");
	cr_expect_not_null(find_by(jarr(adv, "blockers"), "source", ESP_IP));
	json_decref(adv);
	adv = advise(ci, g_r_blocked.domain, NULL);
	expect_verdict(adv, "stay");
	cr_expect_str_eq(next_of(adv), "v=DMARC1; p=reject");
	cr_expect_not_null(find_by(jarr(adv, "blockers"), "source", ESP_IP));
	json_decref(adv);
	test_db_drop(ci);
}

/*
 * t=y asks RFC 9989 receivers to apply every policy of the record one
 * level softer: p, sp and np.  Proposed over an sp or np that already
 * enforces, it loosens the subdomains for the staged week.
 */
Test(analyze_gates, t_y_is_not_proposed_over_an_enforcing_sp)
{
	const struct scenario *sc[] = { &g_sp_q_sub_fails, &g_sp_reject };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv;

	adv = advise(ci, g_sp_q_sub_fails.domain, NULL);
	expect_verdict(adv, "quarantine");
	cr_expect_str_eq(jstr(gate_of(adv, "sp"), "verdict"), "stay");
	cr_expect(strstr(next_of(adv), "t=y") == NULL,
	    "sp=quarantine is in force; %s would soften it", next_of(adv));
	json_decref(adv);
	adv = advise(ci, g_sp_reject.domain, NULL);
	expect_verdict(adv, "quarantine");
	cr_expect(strstr(next_of(adv), "sp=reject") != NULL, "%s",
	    next_of(adv));
	cr_expect(strstr(next_of(adv), "t=y") == NULL,
	    "sp=reject is in force; %s would soften it", next_of(adv));
	json_decref(adv);
	test_db_drop(ci);
}

/*
 * A domain whose mail is all From its subdomains: nothing is From the
 * domain itself, so nothing holds p back (a population without mail is
 * ready), while sp must stay where it is for the failing newsletter.
 */
Test(analyze_gates, a_subdomain_only_domain_moves_p_and_keeps_sp)
{
	const struct scenario *sc[] = { &g_sub_only };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, g_sub_only.domain, NULL), *g;

	g = gate_of(adv, "sp");
	cr_expect_str_eq(jstr(g, "verdict"), "stay");
	cr_expect_not_null(find_by(jarr(g, "blockers"), "sender",
	    "news-esp.example"));
	/* a stay must name what blocks it */
	if (strcmp(jstr(adv, "verdict"), "stay") == 0)
		cr_expect_gt(json_array_size(jarr(adv, "blockers")), 0,
		    "p says stay and names no blocker");
	expect_verdict(adv, "quarantine");
	cr_expect(starts(next_of(adv), "v=DMARC1; p=quarantine; sp=none"),
	    "%s", next_of(adv));
	json_decref(adv);
	test_db_drop(ci);
}

/* the line of the text output that starts with prefix, or NULL */
static char *
line_of(const char *text, const char *prefix)
{
	const char *s = text;

	while (s != NULL && *s != '\0') {
		const char *e = strchr(s, '\n');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

		if (strncmp(s, prefix, strlen(prefix)) == 0)
			return strndup(s, n);
		s = e != NULL ? e + 1 : NULL;
	}
	return NULL;
}

/*
 * At p=reject with sp inherited, a failing newsletter From a subdomain
 * loses its mail now: the p gate is done, but the text must not tell the
 * admin there is nothing to do, and each gate's line says which policy
 * it judges (sp=reject inherited, sp=quarantine published).
 */
Test(analyze_gates, text_names_the_policy_of_a_blocking_gate)
{
	const struct scenario *sc[] = { &g_r_sub_fails, &g_sp_q_sub_fails };
	char *ci = db_with(sc, 2, time(NULL)), *out, *err, *line;
	char args[256];

	snprintf(args, sizeof(args), "advise --no-dns --domain %s",
	    g_r_sub_fails.domain);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "done (now p=reject)") != NULL, "%s", out);
	line = line_of(out, "  sp gate:");
	cr_assert_not_null(line, "%s", out);
	cr_expect(strstr(line, "stay") != NULL, "%s", line);
	cr_expect(strstr(line, "sp=reject") != NULL,
	    "the sp gate does not say it judges sp=reject: %s", line);
	cr_expect(strstr(out, "nothing to do") == NULL,
	    "says nothing to do while subdomain mail fails under reject: %s",
	    out);
	free(line);
	free(out);
	free(err);

	snprintf(args, sizeof(args), "advise --no-dns --domain %s",
	    g_sp_q_sub_fails.domain);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	line = line_of(out, "  sp gate:");
	cr_assert_not_null(line, "%s", out);
	cr_expect(strstr(line, "sp=quarantine") != NULL,
	    "the sp gate does not say it judges sp=quarantine: %s", line);
	free(line);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* --- advise: reporters that contradict their own results --- */

static const char *const reporters3[] = { "google.com", "yahoo.com",
	"outlook.com" };

/* yahoo.com says fail although our DKIM passes aligned (SPF passes for
 * another domain); outlook.com says fail although SPF passes aligned
 * (no signature) */
static const struct flow liars[] = {
	{ .ip = "192.0.2.12", .count = 40, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = "bounce.other.example",
	  .spf_result = "pass", .reporter_mask = 2 },
	{ .ip = "192.0.2.13", .count = 30, .disposition = "none",
	  .dkim = "fail", .spf = "fail", .spf_domain = OWN,
	  .spf_result = "pass", .reporter_mask = 4 },
	{ .ip = NULL },
};

/* yahoo.com says pass although its results show only a foreign DKIM
 * signature and a failing SPF */
#define OPTIMIST_IP "198.51.100.40"
static const struct flow optimist[] = {
	{ .ip = OPTIMIST_IP, .count = 50, .disposition = "none",
	  .dkim = "pass", .spf = "fail",
	  .dkim_domain = "foreign-signer.example", .dkim_result = "pass",
	  .spf_domain = "foreign-signer.example", .spf_result = "fail",
	  .reporter_mask = 2 },
	{ .ip = NULL },
};

static const struct scenario r_two_liars = {
	.domain = "r-two-liars.example", .p = "none",
	.days = 20, .n_reporters = 3, .sets = { own, liars } };
static const struct scenario r_optimist = {
	.domain = "r-optimist.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { own, optimist } };

Test(analyze_reporters, each_reporter_failing_aligned_mail_is_named)
{
	const struct scenario *sc[] = { &r_two_liars };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, r_two_liars.domain, NULL), *w, *ev;

	cr_assert_eq(sizeof(reporters) / sizeof(reporters[0]), 3);
	cr_assert_str_eq(reporters[2], reporters3[2]);
	/* aligned DKIM alone, or aligned SPF alone, is a pass */
	expect_verdict(adv, "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	ev = json_object_get(adv, "evidence");
	cr_expect_float_eq(jnum(ev, "legitimate_pass_rate"), 1.0, 1e-9);
	/* the SPF-only mail is not DKIM-aligned */
	cr_expect_float_eq(jnum(ev, "dkim_aligned_rate"),
	    (double)(20 * (3 * OWN_PER_REPORT + 40)) /
	    (20 * (3 * OWN_PER_REPORT + 40 + 30)), 1e-3);
	cr_expect_eq(json_array_size(jarr(adv, "warnings")), 2);
	w = find_by(jarr(adv, "warnings"), "reporter", "yahoo.com");
	cr_expect_not_null(w, "no warning about yahoo.com (DKIM only)");
	if (w != NULL)
		cr_expect_eq(jint(w, "messages"), 20 * 40);
	w = find_by(jarr(adv, "warnings"), "reporter", "outlook.com");
	cr_expect_not_null(w, "no warning about outlook.com (SPF only)");
	if (w != NULL)
		cr_expect_eq(jint(w, "messages"), 20 * 30);
	cr_expect_null(find_by(jarr(adv, "warnings"), "reporter",
	    "google.com"));
	json_decref(adv);
	test_db_drop(ci);
}

/*
 * A reporter saying pass against its own results: its verdict stands
 * (it is not a failure of ours), but like one saying fail it is wrong
 * about its own results, and the admin must learn which reporter it is:
 * `disagree` counts it, so a warning names it.
 */
Test(analyze_reporters, a_reporter_passing_failing_results_is_named)
{
	const struct scenario *sc[] = { &r_optimist };
	char *ci = db_with(sc, 1, time(NULL));
	json_t *adv = advise(ci, r_optimist.domain, NULL), *w;

	expect_verdict(adv, "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	cr_expect_eq(jint(json_object_get(adv, "evidence"), "disagree"),
	    20 * 50);
	w = find_by(jarr(adv, "warnings"), "reporter", "yahoo.com");
	cr_expect_not_null(w, "%lld messages disagree and no warning names "
	    "yahoo.com", (long long)20 * 50);
	if (w != NULL)
		cr_expect_eq(jint(w, "messages"), 20 * 50);
	cr_expect_null(find_by(jarr(adv, "warnings"), "reporter",
	    "google.com"));
	json_decref(adv);
	test_db_drop(ci);
}

/* --- advise: small domains, one sender, no sender --- */

/* all of the domain's mail through one ESP signing with its own d= */
static const struct flow esp_only[] = {
	{ .ip = ESP_IP, .count = 80, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = ESP_DKIM, .dkim_result = "pass",
	  .spf_domain = "bounce.esp-relay.net", .spf_result = "pass" },
	{ .ip = NULL },
};

/* the same ESP signing with our domain */
static const struct flow esp_aligned_only[] = {
	{ .ip = ESP_IP, .count = 80, .disposition = "none", .dkim = "pass",
	  .spf = "fail", .dkim_domain = OWN, .dkim_result = "pass",
	  .spf_domain = "bounce.esp-relay.net", .spf_result = "pass" },
	{ .ip = NULL },
};

/* 3 messages a day of our own, and one through the ESP, unaligned */
static const struct flow tiny_own[] = {
	{ .ip = "192.0.2.10", .count = 3, .disposition = "none",
	  .dkim = "pass", .spf = "pass", .dkim_domain = OWN,
	  .dkim_result = "pass", .spf_domain = OWN, .spf_result = "pass" },
	{ .ip = NULL },
};
static const struct flow tiny_esp[] = {
	{ .ip = ESP_IP, .count = 1, .disposition = "none", .dkim = "fail",
	  .spf = "fail", .dkim_domain = ESP_DKIM, .dkim_result = "pass",
	  .spf_domain = "bounce.esp-relay.net", .spf_result = "pass" },
	{ .ip = NULL },
};

static const struct scenario s_esp_only = {
	.domain = "s-esp-only.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { esp_only } };
static const struct scenario s_esp_aligned = {
	.domain = "s-esp-aligned.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { esp_aligned_only } };
static const struct scenario s_tiny = {
	.domain = "s-tiny.example", .p = "none",
	.days = 40, .n_reporters = 2, .sets = { tiny_own } };
static const struct scenario s_tiny_esp = {
	.domain = "s-tiny-esp.example", .p = "none",
	.days = 40, .n_reporters = 2, .sets = { tiny_own, tiny_esp } };
static const struct scenario s_spoofed_none = {
	.domain = "s-spoofed-none.example", .p = "none",
	.days = 20, .n_reporters = 2, .sets = { spoof } };
static const struct scenario s_spoofed_q = {
	.domain = "s-spoofed-q.example", .p = "quarantine",
	.days = 32, .n_reporters = 2, .sets = { spoof_held } };

Test(analyze_small, one_esp_carries_all_the_mail)
{
	const struct scenario *sc[] = { &s_esp_only, &s_esp_aligned };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv, *b;

	adv = advise(ci, s_esp_only.domain, NULL);
	expect_verdict(adv, "stay");
	cr_expect_str_eq(next_of(adv), "v=DMARC1; p=none");
	b = find_by(jarr(adv, "blockers"), "source", ESP_IP);
	cr_assert_not_null(b, "the ESP does not block");
	cr_expect_str_eq(jstr(b, "class"), "third-party");
	cr_expect_eq(jint(b, "failing"), 20 * 2 * 80);
	cr_expect_float_eq(jnum(json_object_get(adv, "evidence"),
	    "legitimate_pass_rate"), 0.0, 1e-9);
	json_decref(adv);

	adv = advise(ci, s_esp_aligned.domain, NULL);
	expect_verdict(adv, "quarantine");
	cr_expect_eq(json_array_size(jarr(adv, "blockers")), 0);
	json_decref(adv);
	test_db_drop(ci);
}

Test(analyze_small, a_tiny_domain_is_judged_on_its_own_scale)
{
	const struct scenario *sc[] = { &s_tiny, &s_tiny_esp };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv, *ev;

	/* 180 messages in the 30 days: enough */
	adv = advise(ci, s_tiny.domain, NULL);
	expect_verdict(adv, "quarantine");
	ev = json_object_get(adv, "evidence");
	cr_expect_eq(jint(ev, "messages"), 30 * 2 * 3);
	json_decref(adv);
	/* one message in four unaligned blocks it */
	adv = advise(ci, s_tiny_esp.domain, NULL);
	expect_verdict(adv, "stay");
	cr_expect_not_null(find_by(jarr(adv, "blockers"), "source", ESP_IP));
	json_decref(adv);
	/* 14 days of it: still too few messages to judge */
	adv = advise(ci, s_tiny.domain, "--days 14");
	expect_verdict(adv, "insufficient-data");
	json_decref(adv);
	test_db_drop(ci);
}

/*
 * A domain that sends no mail, only spoofed: nothing legitimate can be
 * lost, so nothing holds the next step; the text already says "if the
 * domain sends no mail at all, publish p=reject", so the verdict and the
 * record must not say stay at p=none with no blocker.
 */
Test(analyze_small, a_domain_that_only_is_spoofed_moves_on)
{
	const struct scenario *sc[] = { &s_spoofed_none, &s_spoofed_q };
	char *ci = db_with(sc, 2, time(NULL));
	json_t *adv;

	adv = advise(ci, s_spoofed_none.domain, NULL);
	cr_expect_eq(jint(json_object_get(adv, "evidence"),
	    "legitimate_messages"), 0);
	if (strcmp(jstr(adv, "verdict"), "stay") == 0)
		cr_expect_gt(json_array_size(jarr(adv, "blockers")), 0,
		    "stay at p=none and no blocker named");
	expect_verdict(adv, "quarantine");
	cr_expect(starts(next_of(adv), "v=DMARC1; p=quarantine"), "%s",
	    next_of(adv));
	json_decref(adv);

	adv = advise(ci, s_spoofed_q.domain, NULL);
	expect_verdict(adv, "reject");
	cr_expect(starts(next_of(adv), "v=DMARC1; p=reject"), "%s",
	    next_of(adv));
	json_decref(adv);
	test_db_drop(ci);
}

/* --- sources: --class, --limit, --addresses, --domain, bad values --- */

static const char *const class_words[] = { "aligned", "partial",
	"third-party", "relay", "indirect", "unauthenticated" };

static json_t *
senders_in(const json_t *doc, const char *domain)
{
	json_t *d = find_by(jarr(doc, "domains"), "domain", domain);

	return d != NULL ? jarr(d, "senders") : NULL;
}

/* the senders of all (in order) whose class is cls */
static json_t *
of_class(const json_t *all, const char *cls)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(all, i, x)
		if (strcmp(jstr(x, "class"), cls) == 0)
			json_array_append(out, x);
	return out;
}

static void
expect_same_keys(const json_t *got, const json_t *want, const char *what)
{
	size_t i;
	json_t *x;

	cr_expect_eq(json_array_size(got), json_array_size(want),
	    "%s: %zu senders, want %zu", what, json_array_size(got),
	    json_array_size(want));
	json_array_foreach(want, i, x) {
		json_t *y = json_array_get(got, i);

		if (y == NULL)
			break;
		cr_expect_str_eq(jstr(y, "sender"), jstr(x, "sender"),
		    "%s: sender %zu", what, i);
	}
}

Test(sources_cli, class_and_limit_filter_the_senders)
{
	const struct scenario *sc[] = { &mixed, &relayed };
	char *ci = db_with(sc, 2, time(NULL));
	const char *doms[] = { mixed.domain, relayed.domain };
	json_t *all = run_json(ci, "sources --format json --no-dns"), *j;
	char args[256];
	size_t seen = 0;

	for (size_t c = 0; c < 6; c++) {
		snprintf(args, sizeof(args), "sources --format json --no-dns "
		    "--class %s", class_words[c]);
		j = run_json(ci, args);
		for (size_t d = 0; d < 2; d++) {
			json_t *want = of_class(senders_in(all, doms[d]),
			    class_words[c]), *got = senders_in(j, doms[d]);
			char what[128];

			snprintf(what, sizeof(what), "--class %s, %s",
			    class_words[c], doms[d]);
			if (json_array_size(want) > 0)
				cr_expect_not_null(got, "%s: no domain", what);
			if (got != NULL)
				expect_same_keys(got, want, what);
			seen += json_array_size(want) > 0;
			json_decref(want);
		}
		json_decref(j);
	}
	/* the scenarios hold every class but partial */
	cr_expect_geq(seen, 5);

	/* --limit: the first N senders of each domain, after --class */
	j = run_json(ci, "sources --format json --no-dns --limit 1");
	for (size_t d = 0; d < 2; d++) {
		json_t *got = senders_in(j, doms[d]);
		json_t *want = json_array();

		json_array_append(want, json_array_get(senders_in(all, doms[d]),
		    0));
		cr_assert_not_null(got);
		expect_same_keys(got, want, "--limit 1");
		json_decref(want);
	}
	json_decref(j);
	j = run_json(ci, "sources --format json --no-dns --class "
	    "unauthenticated --limit 2");
	{
		json_t *want = of_class(senders_in(all, mixed.domain),
		    "unauthenticated");

		cr_assert_gt(json_array_size(want), 2);
		while (json_array_size(want) > 2)
			json_array_remove(want, json_array_size(want) - 1);
		expect_same_keys(senders_in(j, mixed.domain), want,
		    "--class unauthenticated --limit 2");
		json_decref(want);
	}
	json_decref(j);
	json_decref(all);
	test_db_drop(ci);
}

Test(sources_cli, addresses_change_the_text_alone)
{
	const struct scenario *sc[] = { &mixed };
	char *ci = db_with(sc, 1, time(NULL)), *out, *err, *with, *csv;
	json_t *a, *b, *esp_sender;
	const char *base = "sources --no-dns --domain mixed.example";
	char args[256];

	/* JSON carries every address either way */
	snprintf(args, sizeof(args), "%s --format json", base);
	a = run_json(ci, args);
	snprintf(args, sizeof(args), "%s --format json --addresses", base);
	b = run_json(ci, args);
	cr_expect(json_equal(a, b), "--addresses changes the JSON");
	esp_sender = find_by(senders_in(a, mixed.domain), "sender",
	    "esp-relay.net");
	cr_assert_not_null(esp_sender, "no sender esp-relay.net");
	cr_expect_eq(jint(esp_sender, "n_addresses"), 1);
	cr_expect_not_null(find_by(jarr(esp_sender, "addresses"), "source",
	    ESP_IP));
	json_decref(a);
	json_decref(b);

	/* csv: one row per sender either way */
	snprintf(args, sizeof(args), "%s --format csv", base);
	cr_assert_eq(dm(ci, args, &csv, &err), 0, "%s", err);
	free(err);
	snprintf(args, sizeof(args), "%s --format csv --addresses", base);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect_str_eq(out, csv);
	cr_expect(starts(csv, "domain,sender,"), "%s", csv);
	free(out);
	free(err);
	free(csv);

	/* text: the window line, and address rows only with --addresses */
	cr_assert_eq(dm(ci, base, &out, &err), 0, "%s", err);
	cr_expect(starts(out, "window: "), "%s", out);
	cr_expect(strstr(out, "esp-relay.net") != NULL, "%s", out);
	cr_expect(strstr(out, ESP_IP) == NULL, "%s", out);
	free(out);
	free(err);
	snprintf(args, sizeof(args), "%s --addresses", base);
	cr_assert_eq(dm(ci, args, &with, &err), 0, "%s", err);
	cr_expect(starts(with, "window: "), "%s", with);
	cr_expect(strstr(with, ESP_IP) != NULL, "%s", with);
	free(with);
	free(err);
	test_db_drop(ci);
}

/* exit 64, nothing on stdout, and the first line of stderr names it */
static void
expect_usage(const char *ci, const char *args, const char *first)
{
	char *out, *err;

	cr_expect_eq(dm(ci, args, &out, &err), 64, "%s: %s", args, err);
	cr_expect_str_eq(out, "", "%s", args);
	cr_expect(starts(err, first), "%s: %s", args, err);
	free(out);
	free(err);
}

Test(sources_cli, bad_values_and_an_empty_database)
{
	char *ci = test_db_migrated(), *out, *err;
	json_t *j;

	expect_usage(ci, "sources --class bogus", "dmarcctl: --class");
	expect_usage(ci, "sources --class Aligned", "dmarcctl: --class");
	expect_usage(ci, "sources --class ''", "dmarcctl: --class");
	expect_usage(ci, "sources --class aligned,partial",
	    "dmarcctl: --class");
	expect_usage(ci, "sources --limit 0", "dmarcctl: --limit");
	expect_usage(ci, "sources --limit -3", "dmarcctl: --limit");
	expect_usage(ci, "sources --limit x", "dmarcctl: --limit");
	expect_usage(ci, "sources --limit 99999999999999999999",
	    "dmarcctl: --limit");
	expect_usage(ci, "sources --format xml", "dmarcctl: ");
	expect_usage(ci, "sources --days 0", "dmarcctl: --days");

	/* nothing stored: the window, and no domain */
	j = run_json(ci, "sources --format json --class relay --limit 3");
	cr_expect(json_is_string(json_object_get(j, "since")));
	cr_expect(json_is_string(json_object_get(j, "until")));
	cr_expect_eq(jint(j, "days"), 14);
	cr_expect_eq(json_array_size(jarr(j, "domains")), 0);
	json_decref(j);
	cr_assert_eq(dm(ci, "sources --addresses", &out, &err), 0, "%s", err);
	cr_expect(starts(out, "window: "), "%s", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/*
 * Domain names ignore case (RFC 4343): `--domain Mixed.Example` is the
 * domain the reports call mixed.example, for every query command.
 */
Test(sources_cli, domain_names_ignore_case)
{
	const struct scenario *sc[] = { &mixed };
	char *ci = db_with(sc, 1, time(NULL)), *out, *err;
	json_t *j;

	j = run_json(ci, "sources --format json --no-dns --domain "
	    "Mixed.EXAMPLE");
	cr_expect_eq(json_array_size(jarr(j, "domains")), 1,
	    "sources --domain Mixed.EXAMPLE finds nothing");
	json_decref(j);
	j = run_json(ci, "summary --format json --domain Mixed.EXAMPLE");
	cr_expect_eq(json_array_size(jarr(j, "domains")), 1,
	    "summary --domain Mixed.EXAMPLE finds nothing");
	json_decref(j);
	cr_assert_eq(dm(ci, "advise --format json --no-dns --domain "
	    "Mixed.EXAMPLE", &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "\"domain\":\"mixed.example\"") != NULL,
	    "advise --domain Mixed.EXAMPLE: '%s'", out);
	free(out);
	free(err);
	test_db_drop(ci);
}

/*
 * Partial quarantine (pct=50, or t=y) with sp inherited and a failing
 * newsletter From a subdomain: the step to full quarantine tightens the
 * subdomains too (pct and t apply to sp as well), while their gate says
 * stay.  The record must hold them back (keep pct or t=y, or carry an sp
 * of its own), not propose a bare p=quarantine; and "add sp=quarantine
 * to hold them back" holds nothing back at p=quarantine.
 */
static const struct scenario g_pct50_sub_fails = {
	.domain = "g-pct50-sub-fails.example", .p = "quarantine", .pct = 50,
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, sub_esp } };
static const struct scenario g_testing_sub_fails = {
	.domain = "g-testing-sub-fails.example", .p = "quarantine", .t = "y",
	.is_sp_absent = true, .days = 32, .n_reporters = 2,
	.sets = { own, sub_esp } };

Test(analyze_gates, full_quarantine_does_not_tighten_unready_subdomains)
{
	const struct scenario *sc[] = { &g_pct50_sub_fails,
		&g_testing_sub_fails };
	char *ci = db_with(sc, 2, time(NULL)), *out, *err;
	char args[256];

	for (size_t i = 0; i < 2; i++) {
		json_t *adv = advise(ci, sc[i]->domain, NULL);
		const char *next = next_of(adv);

		cr_expect_str_eq(jstr(gate_of(adv, "sp"), "verdict"), "stay",
		    "%s", sc[i]->domain);
		cr_expect(strstr(next, "sp=") != NULL ||
		    strstr(next, "pct=") != NULL || strstr(next, "t=y") != NULL,
		    "%s: %s takes the unready subdomains to full quarantine",
		    sc[i]->domain, next);
		json_decref(adv);
		snprintf(args, sizeof(args), "advise --no-dns --domain %s",
		    sc[i]->domain);
		cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
		cr_expect(strstr(out, "add sp=quarantine to hold them back") ==
		    NULL, "%s", out);
		free(out);
		free(err);
	}
	test_db_drop(ci);
}

/* --- failure reports beside the verdicts --- */

/* one ARF auth-failure report for domain, arrived days_back days ago */
static void
write_arf(const char *dir, int no, const char *domain, const char *ip,
    const char *failure, const char *selector, int days_back, int64_t now)
{
	char path[1024], date[64], *text;
	time_t t = (time_t)(now - (int64_t)days_back * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	text = xmalloc(8192);
	snprintf(text, 8192, "From: ruf@reporter.example\r\n"
	    "To: dmarc-failures@%s\r\n"
	    "Subject: DMARC failure report %d\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <ruf-%d@reporter.example>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nA failure report.\r\n"
	    "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
	    "Feedback-Type: auth-failure\r\nVersion: 1\r\n"
	    "Source-IP: %s\r\nArrival-Date: %s\r\n"
	    "Reported-Domain: %s\r\nAuth-Failure: %s\r\n"
	    "%s%s%s"
	    "\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	    "From: someone@%s\r\nTo: friend@elsewhere.example\r\n"
	    "Subject: sample %d\r\nMessage-ID: <orig-%d@%s>\r\n"
	    "Date: %s\r\n\r\n--b--\r\n", domain, no, date, no, ip, date,
	    domain, failure, selector != NULL ? "DKIM-Domain: " ESP_DKIM
	    "\r\nDKIM-Selector: " : "", selector != NULL ? selector : "",
	    selector != NULL ? "\r\n" : "", domain, no, no, domain, date);
	snprintf(path, sizeof(path), "%s/ruf-%d.eml", dir, no);
	test_write_file(path, text, strlen(text));
	free(text);
}

Test(analyze_cli, failure_reports_are_evidence_beside_a_blocker)
{
	const struct scenario *sc[] = { &with_esp };
	int64_t now = time(NULL);
	char *ci = db_with(sc, 1, now), *dir = test_tmpdir(), *out, *err;
	char args[1024], sub[256];
	json_t *adv, *b, *fr, *types, *keys, *srcs, *s, *d;
	size_t i;
	int n_esp = 0;

	/* the ESP: 3 body hash failures (two of them also SPF), one more
	 * reported for a subdomain; a stranger's; one too old */
	write_arf(dir, 1, with_esp.domain, ESP_IP, "bodyhash", "s1", 2, now);
	write_arf(dir, 2, with_esp.domain, ESP_IP, "bodyhash,spf", "s1", 3,
	    now);
	write_arf(dir, 3, with_esp.domain, ESP_IP, "spf, bodyhash", "s2", 4,
	    now);
	snprintf(sub, sizeof(sub), "news.%s", with_esp.domain);
	write_arf(dir, 4, sub, ESP_IP, "dmarc", NULL, 5, now);
	write_arf(dir, 5, with_esp.domain, "203.0.113.250", "spf", NULL, 2,
	    now);
	write_arf(dir, 6, with_esp.domain, ESP_IP, "signature", "s1", 60,
	    now);
	ingest_dir(ci, dir, 6);

	adv = advise(ci, with_esp.domain, NULL);
	expect_verdict(adv, "stay");
	b = find_by(jarr(adv, "blockers"), "source", ESP_IP);
	cr_assert_not_null(b);
	fr = json_object_get(b, "failure_reports");
	cr_assert(json_is_object(fr), "no failure_reports on the blocker");
	cr_expect_eq(jint(fr, "samples"), 4);
	types = json_object_get(fr, "types");
	cr_expect_eq(jint(types, "bodyhash"), 3);
	cr_expect_eq(jint(types, "spf"), 2);
	cr_expect_eq(jint(types, "dmarc"), 1);
	cr_expect_null(json_object_get(types, "signature"));
	keys = json_object_get(fr, "dkim_keys");
	cr_assert_eq(json_array_size(keys), 2);
	cr_expect_str_eq(jstr(json_array_get(keys, 0), "selector"), "s1");
	cr_expect_str_eq(jstr(json_array_get(keys, 0), "domain"), ESP_DKIM);
	cr_expect_eq(jint(json_array_get(keys, 0), "samples"), 2);
	cr_expect(starts(jstr(fr, "text"), "4 failure reports: DKIM body "
	    "hash did not verify"), "%s", jstr(fr, "text"));
	json_decref(adv);

	/* the text shows it under the blockers */
	snprintf(args, sizeof(args), "advise --no-dns --domain %s",
	    with_esp.domain);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, "    esp-relay.net: 4 failure reports: DKIM body "
	    "hash did not verify (3), SPF failed (2), "
	    "not aligned with the From domain (1); DKIM key s=s1 d="
	    ESP_DKIM ", s=s2 d=" ESP_DKIM) != NULL, "%s", out);
	free(out);
	free(err);

	/* sources: the sender's samples, none for the others */
	srcs = run_json(ci, "sources --format json --no-dns");
	d = json_array_get(json_object_get(srcs, "domains"), 0);
	json_array_foreach(json_object_get(d, "senders"), i, s) {
		json_t *f = json_object_get(s, "failure_reports");
		json_t *a0 = json_array_get(json_object_get(s, "addresses"), 0);

		if (strcmp(jstr(a0, "source"), ESP_IP) == 0) {
			cr_expect_eq(jint(f, "samples"), 4);
			n_esp++;
		} else {
			cr_expect(json_is_null(f), "%s", jstr(a0, "source"));
		}
	}
	cr_expect_eq(n_esp, 1);
	json_decref(srcs);
	snprintf(args, sizeof(args), "sources --format csv --no-dns --domain "
	    "%s", with_esp.domain);
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	cr_expect(strstr(out, ",failure_reports\n") != NULL, "%s", out);
	cr_expect(strstr(out, ",4\n") != NULL, "%s", out);
	free(out);
	free(err);
	remove_dir(dir);
	test_db_drop(ci);
}
