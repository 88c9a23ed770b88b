/*
 * The sender model end to end: for each kind of sender a policy advisor
 * must get right, several scenarios of mail flows (sizes, shares, pool
 * sizes, days, IPv4 and IPv6, policies) are written as the aggregate
 * reports receivers would send, one per reporter and UTC day for the days
 * back 1..days (yesterday is 1), ingested into a fresh database, and
 * judged through `dmarcctl advise --format json` and `dmarcctl sources
 * --format json`, both with `--days <days>` (the last whole UTC days:
 * every report).  The table below is the specification: what each
 * scenario sends, and what the verdict, each gate, the blockers, the
 * warnings and the class of each sender must be.
 *
 * The flows come from a seeded generator (common/prng.h): the same table
 * always gives the same reports.  Each failure is one line naming the
 * scenario, its class and what was expected.
 *
 * `make check` runs it with the rest; `make check-senders` runs it alone
 * on the throwaway servers of tests/run-tests.sh.  SENDERS_SCENARIO=<name> runs
 * one scenario; SENDERS_KEEP=<dir> keeps each scenario's reports in
 * <dir>/<name>/ to look at or ingest by hand, with the answers judged
 * (advise.json, sources.json).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/prng.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define DAY 86400

/* --- the specification --- */

enum kind {
	/*
	 * Our own servers: DKIM d=<domain> and SPF pass, aligned.  Every
	 * scenario has them (192.0.2.10, 192.0.2.11, 2001:db8:a::25) for
	 * the mail the other senders leave; a K_OWN row adds more (from
	 * its base address, with its header_from).
	 */
	K_OWN,
	/* a provider's rotating pool: each address a day or two, its own
	 * d= and SPF for its own bounce domains, every day (half as much
	 * at weekends) */
	K_ESP,
	/* the same, also signing with d=<domain>: passes */
	K_ESP_ALIGNED,
	/* a service of ours at a provider: its own d= and SPF for its own
	 * domain, the same few addresses every day */
	K_SERVICE,
	/* one day in the window only (`day`), its own d= and SPF; share is
	 * of the whole window's mail */
	K_ONCE,
	/* our own outbound relay: our d= broken (body rewritten), SPF
	 * failing for our domain or passing for its own (`spf`), no
	 * <reason>, every day */
	K_RELAY,
	/* a forwarder or list: on `every` % of the days, our d= broken on
	 * most mail (the list signs as `dkim`), SPF for its own domain;
	 * receivers say forwarded or local_policy arc=pass */
	K_FORWARDER,
	/* spoofing: `pool` fresh addresses a day (or every `persist`
	 * days), unsigned (or, with `is_signed`, DKIM-signed by the same
	 * throwaway domain), SPF passing for a different throwaway domain
	 * on each message */
	K_SNOWSHOE,
};

/* gates where a sender must be a blocker (none: it must block nowhere) */
enum { IN_P = 1, IN_SP = 2 };

struct sender {
	enum kind kind;
	const char *key;	/* the "sender" key it must have, or NULL */
	double share;		/* a day's share (K_ONCE: the window's) */
	int pool;		/* addresses (K_SNOWSHOE: fresh ones a day) */
	const char *base;	/* its first address */
	bool is_spread;		/* K_SNOWSHOE: each address in another
				 * /24 (IPv6: /48) */
	bool has_rdns;		/* named <n>.<rdns> in the DNS rig */
	const char *rdns;
	int day;		/* K_ONCE: the day back it sends on */
	int day2;		/* K_ONCE: a second run (0: none), as big */
	int persist;		/* K_SNOWSHOE: days an address is kept (0:
				 * one) */
	bool is_signed;		/* K_SNOWSHOE: DKIM by its throwaway domain */
	int aligned_pct;	/* K_ESP: % of each address's mail also
				 * signed with d=<domain> */
	int only;		/* seen by reporters[only - 1] alone (0: by
				 * all) */
	bool is_reason_some;	/* K_FORWARDER: only Yahoo and GMX give a
				 * <reason>; Google and Outlook give none */
	int every;		/* K_FORWARDER: % of days it is seen */
	const char *sub;	/* header_from <sub>.<domain>; NULL: <domain> */
	const char *dkim;	/* its own d= (K_ESP NULL: unsigned; K_RELAY:
				 * a signature of its own beside ours) */
	const char *spf;	/* its envelope domain; NULL: <domain> */
	/* what it must be */
	const char *cls;	/* its class in `sources` */
	const char *rule;	/* the rule that decided it, or NULL */
	unsigned blocks;	/* IN_P, IN_SP, or 0 */
};

enum { MAX_SENDERS = 8 };

struct scenario {
	const char *name;
	int cls;		/* the class of sender it is about: 1..8 */
	const char *domain;
	const char *p, *sp;	/* published; sp NULL: as p */
	bool is_sp_absent;	/* sp NULL: reports leave <sp> out */
	int days;		/* reports for days back 1..days */
	int window;		/* judged over the last `window` days (0:
				 * days); -1: advise without --days (its
				 * default, 30), sources with --days 30 */
	long long volume;	/* messages on a weekday */
	int n_reporters;	/* honest ones, of reporters[]; 0: all 4 */
	int liar;		/* % of the mail the lying reporter sees */
	const char *liar_name;
	uint64_t seed;
	struct sender s[MAX_SENDERS];	/* ended by .kind = 0 and no key */
	/* what advise must say */
	const char *verdict;	/* top-level, the p gate's */
	const char *sp_verdict;	/* the sp gate's; NULL: not checked */
	const char *next_has;	/* in next_record as well; NULL: none */
};

static const char *const class_name[] = {
	"?", "1 ESP pool", "2 rhythm", "3 relay", "4 snowshoe",
	"5 ARC forwarding", "6 populations", "7 reporter bugs", "8 mixed",
};

#define ESP_V4 "198.18.0.1"		/* 198.18.0.1 .. 198.18.1.x */
#define ESP_V6 "2001:db8:e5::1"
#define RELAY_V4 "203.0.113.20"
#define RELAY_V6 "2001:db8:7e1a::20"
#define FWD_V4 "198.51.100.50"
#define FWD_V6 "2001:db8:f0::50"
#define SNOW_V4 "198.19.66.1"		/* one /24 */
#define SNOW_V4_SPREAD "198.18.100.1"	/* a /24 each */
#define SNOW_V6 "2001:db8:bad::1"	/* one /48 */
#define SNOW_V6_SPREAD "2001:db8:100::1"	/* a /48 each */

static const struct scenario table[] = {
/*
 * 1. ESP pool.  A legitimate provider sends a share of our mail from a
 * rotating pool (each address a day or two) and signs with its own d=:
 * ONE sender keyed by its signing organisational domain, third-party,
 * and at p=none it blocks quarantine (the fix: sign with our domain at
 * the ESP).  Signing aligned as well, it passes: quarantine.
 */
{ .name = "esp-v4-100-20pct", .cls = 1, .domain = "esp1.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 11,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.20, .pool = 100,
	   .base = ESP_V4, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-v6-300-30pct", .cls = 1, .domain = "esp2.example",
  .p = "none", .days = 14, .volume = 5000, .seed = 12,
  .s = { { K_ESP, "bulk-post.example", .share = 0.30, .pool = 300,
	   .base = ESP_V6, .dkim = "s1.bulk-post.example",
	   .spf = "rp.bulk-post.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-v4-20-5pct", .cls = 1, .domain = "esp3.example",
  .p = "none", .days = 14, .volume = 2000, .seed = 13,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.05, .pool = 20,
	   .base = ESP_V4, .dkim = "em.esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-v6-60-12pct-2-reporters", .cls = 1, .domain = "esp4.example",
  .p = "none", .days = 28, .volume = 1500, .n_reporters = 2, .seed = 14,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.12, .pool = 60,
	   .base = ESP_V6, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-aligned-v4-100-20pct", .cls = 1, .domain = "esp5.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 15,
  .s = { { K_ESP_ALIGNED, NULL, .share = 0.20, .pool = 100,
	   .base = ESP_V4, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "aligned", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "esp-aligned-v6-250-25pct", .cls = 1, .domain = "esp6.example",
  .p = "none", .days = 16, .volume = 4000, .seed = 16,
  .s = { { K_ESP_ALIGNED, NULL, .share = 0.25, .pool = 250,
	   .base = ESP_V6, .dkim = "s1.bulk-post.example",
	   .spf = "rp.bulk-post.example",
	   .cls = "aligned", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 2. Rhythm.  A billing service sends once in the window, several % of
 * the mail on one day, with its own d= and SPF: a periodic sender,
 * third-party, blocking p=none.  A tiny one-day sender with its own d=
 * (0.1 %) is unauthenticated and blocks nothing.
 */
{ .name = "billing-v4-day3-4pct", .cls = 2, .domain = "rhythm1.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 21,
  .s = { { K_ONCE, "billing-service.example", .share = 0.04, .pool = 2,
	   .base = "198.18.10.5", .day = 3, .dkim = "billing-service.example",
	   .spf = "mail.billing-service.example",
	   .cls = "third-party", .rule = "periodic-sender", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "billing-v6-day9-8pct", .cls = 2, .domain = "rhythm2.example",
  .p = "none", .days = 21, .volume = 2000, .seed = 22,
  .s = { { K_ONCE, "invoicing.example", .share = 0.08, .pool = 1,
	   .base = "2001:db8:b111::5", .day = 9,
	   .dkim = "mta.invoicing.example", .spf = "invoicing.example",
	   .cls = "third-party", .rule = "periodic-sender", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "tiny-oneday-v4", .cls = 2, .domain = "rhythm3.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 23,
  .s = { { K_ONCE, "tiny-sender.example", .share = 0.001, .pool = 1,
	   .base = "198.18.11.7", .day = 5, .dkim = "tiny-sender.example",
	   .spf = "tiny-sender.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "tiny-oneday-v6", .cls = 2, .domain = "rhythm4.example",
  .p = "none", .days = 20, .volume = 2500, .n_reporters = 3, .seed = 24,
  .s = { { K_ONCE, "tiny-sender.example", .share = 0.001, .pool = 1,
	   .base = "2001:db8:711::7", .day = 1, .dkim = "tiny-sender.example",
	   .spf = "tiny-sender.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "billing-and-tiny", .cls = 2, .domain = "rhythm5.example",
  .p = "none", .days = 18, .volume = 4000, .seed = 25,
  .s = { { K_ONCE, "billing-service.example", .share = 0.05, .pool = 3,
	   .base = "198.18.10.5", .day = 6, .dkim = "billing-service.example",
	   .spf = "mail.billing-service.example",
	   .cls = "third-party", .rule = "periodic-sender", .blocks = IN_P },
	 { K_ONCE, "tiny-sender.example", .share = 0.001, .pool = 1,
	   .base = "198.18.11.7", .day = 2, .dkim = "tiny-sender.example",
	   .spf = "tiny-sender.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "stay" },
/*
 * 3. Our own relay breaks our signature.  Several addresses under one
 * reverse-DNS base (or, without names, in one /24 or /48) carry about a
 * third of our mail every day; our d= fails, SPF fails or passes for
 * the relay's own domain, and no receiver gives a <reason>: class relay,
 * the main outbound path, blocking quarantine at p=none and reject at
 * p=quarantine.  A real forwarder (a small share, irregular, receivers
 * saying forwarded or local_policy arc=pass) is indirect and blocks
 * nothing.
 */
{ .name = "relay-rdns-v4-none", .cls = 3, .domain = "relay1.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 31,
  .s = { { K_RELAY, "relay-host.example", .share = 0.33, .pool = 4,
	   .base = RELAY_V4, .has_rdns = true, .rdns = "relay-host.example",
	   .spf = NULL,
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-rdns-v6-quarantine", .cls = 3, .domain = "relay2.example",
  .p = "quarantine", .days = 30, .volume = 2000, .seed = 32,
  .s = { { K_RELAY, "relay-host.example", .share = 0.35, .pool = 3,
	   .base = RELAY_V6, .has_rdns = true, .rdns = "relay-host.example",
	   .spf = "relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-net24-v4-none", .cls = 3, .domain = "relay3.example",
  .p = "none", .days = 21, .volume = 4000, .seed = 33,
  .s = { { K_RELAY, "smtp-out.example", .share = 0.30, .pool = 5,
	   .base = RELAY_V4, .spf = "smtp-out.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-net24-v4-quarantine", .cls = 3, .domain = "relay4.example",
  .p = "quarantine", .days = 32, .volume = 2500, .n_reporters = 3,
  .seed = 34,
  .s = { { K_RELAY, "203.0.113.0/24", .share = 0.32, .pool = 3,
	   .base = RELAY_V4, .spf = NULL,
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-net48-v6-none", .cls = 3, .domain = "relay5.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 35,
  .s = { { K_RELAY, "2001:db8:7e1a::/48", .share = 0.34, .pool = 3,
	   .base = RELAY_V6, .spf = NULL,
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "forwarder-v4-2pct", .cls = 3, .domain = "relay6.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 36,
  .s = { { K_FORWARDER, NULL, .share = 0.02, .pool = 2, .base = FWD_V4,
	   .every = 50, .dkim = "lists.fwd-example.net",
	   .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "relay-and-forwarder", .cls = 3, .domain = "relay7.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 37,
  .s = { { K_RELAY, "relay-host.example", .share = 0.33, .pool = 4,
	   .base = RELAY_V4, .has_rdns = true, .rdns = "relay-host.example",
	   .spf = "relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P },
	 { K_FORWARDER, NULL, .share = 0.03, .pool = 1, .base = FWD_V6,
	   .every = 40, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "stay" },
/*
 * 4. Snowshoe spoofing.  Unsigned mail from a handful of fresh addresses
 * each day, SPF passing for a different throwaway domain on each
 * message, for the whole window: unauthenticated (throwaway-spf),
 * blocking nothing; the verdict moves on.
 */
{ .name = "snowshoe-v4-one24-10pct", .cls = 4, .domain = "snow1.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 41,
  .s = { { K_SNOWSHOE, NULL, .share = 0.10, .pool = 5, .base = SNOW_V4,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-v4-spread-30pct", .cls = 4, .domain = "snow2.example",
  .p = "none", .days = 21, .volume = 2000, .seed = 42,
  .s = { { K_SNOWSHOE, NULL, .share = 0.30, .pool = 8,
	   .base = SNOW_V4_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-v6-one48-5pct", .cls = 4, .domain = "snow3.example",
  .p = "none", .days = 28, .volume = 2000, .n_reporters = 2, .seed = 43,
  .s = { { K_SNOWSHOE, NULL, .share = 0.05, .pool = 3, .base = SNOW_V6,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-v6-spread-40pct", .cls = 4, .domain = "snow4.example",
  .p = "none", .days = 16, .volume = 1500, .seed = 44,
  .s = { { K_SNOWSHOE, NULL, .share = 0.40, .pool = 6,
	   .base = SNOW_V6_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 5. ARC-sealed forwarding that receivers already override, at
 * p=quarantine for 28 days and more, our own mail clean: reject, and no
 * blocker asks for ARC.
 */
{ .name = "arc-v4-local-policy", .cls = 5, .domain = "arc1.example",
  .p = "quarantine", .days = 30, .volume = 3000, .seed = 51,
  .s = { { K_FORWARDER, NULL, .share = 0.008, .pool = 1, .base = FWD_V4,
	   .every = 100, .dkim = "lists.fwd-example.net",
	   .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "reject" },
{ .name = "arc-v6-forwarded-2-reporters", .cls = 5, .domain = "arc2.example",
  .p = "quarantine", .days = 31, .volume = 2000, .n_reporters = 2,
  .seed = 52,
  .s = { { K_FORWARDER, NULL, .share = 0.005, .pool = 2, .base = FWD_V6,
	   .every = 70, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "reject" },
{ .name = "arc-v4-35-days", .cls = 5, .domain = "arc3.example",
  .p = "quarantine", .days = 35, .volume = 4000, .seed = 53,
  .s = { { K_FORWARDER, NULL, .share = 0.009, .pool = 2, .base = FWD_V4,
	   .every = 60, .dkim = "lists.fwd-example.net",
	   .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "reject" },
/*
 * 6. Populations.  `p=quarantine; sp=none`: a failing legitimate sender
 * whose header_from is a subdomain blocks the sp gate only (p says
 * reject, org-domain mail being clean), and next_record keeps sp=none.
 * The reverse: a failing org-domain sender blocks p, not sp.
 */
{ .name = "sp-sub-sender-fails-v4", .cls = 6, .domain = "pop1.example",
  .p = "quarantine", .sp = "none", .days = 30, .volume = 3000, .seed = 61,
  .s = { { K_SERVICE, "newsletter-esp.example", .share = 0.15, .pool = 3,
	   .base = "198.18.12.10", .sub = "news",
	   .dkim = "newsletter-esp.example",
	   .spf = "bounce.newsletter-esp.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_SP } },
  .verdict = "reject", .sp_verdict = "stay", .next_has = "sp=none" },
{ .name = "sp-sub-sender-fails-v6", .cls = 6, .domain = "pop2.example",
  .p = "quarantine", .sp = "none", .days = 32, .volume = 2000, .seed = 62,
  .s = { { K_SERVICE, "newsletter-esp.example", .share = 0.06, .pool = 2,
	   .base = "2001:db8:4e55::10", .sub = "news",
	   .dkim = "mail.newsletter-esp.example",
	   .spf = "newsletter-esp.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_SP },
	 { K_OWN, NULL, .share = 0.05, .pool = 1, .base = "192.0.2.30",
	   .sub = "mail", .cls = "aligned", .blocks = 0 } },
  .verdict = "reject", .sp_verdict = "stay", .next_has = "sp=none" },
{ .name = "sp-org-sender-fails-v4", .cls = 6, .domain = "pop3.example",
  .p = "quarantine", .sp = "none", .days = 30, .volume = 3000, .seed = 63,
  .s = { { K_SERVICE, "crm-cloud.example", .share = 0.10, .pool = 2,
	   .base = "198.18.13.20", .dkim = "crm-cloud.example",
	   .spf = "mail.crm-cloud.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P },
	 { K_OWN, NULL, .share = 0.12, .pool = 1, .base = "192.0.2.30",
	   .sub = "mail", .cls = "aligned", .blocks = 0 } },
  .verdict = "stay", .sp_verdict = "quarantine", .next_has = "sp=none" },
{ .name = "sp-org-sender-fails-v6", .cls = 6, .domain = "pop4.example",
  .p = "quarantine", .sp = "none", .days = 31, .volume = 2500, .seed = 64,
  .s = { { K_SERVICE, "crm-cloud.example", .share = 0.05, .pool = 1,
	   .base = "2001:db8:c2e::20", .dkim = "crm-cloud.example",
	   .spf = "crm-cloud.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P },
	 { K_OWN, NULL, .share = 0.20, .pool = 1, .base = "2001:db8:a::30",
	   .sub = "news", .cls = "aligned", .blocks = 0 } },
  .verdict = "stay", .sp_verdict = "quarantine", .next_has = "sp=none" },
/*
 * 7. Reporter bugs.  One reporter says fail in policy_evaluated though
 * its own auth_results show aligned DKIM and SPF passing for our domain:
 * the mail counts as passing, our servers block nothing, and a
 * reporter-disagrees warning names that reporter.
 */
{ .name = "liar-15pct-none", .cls = 7, .domain = "liar1.example",
  .p = "none", .days = 14, .volume = 3000, .liar = 15,
  .liar_name = "strict-gateway.example", .seed = 71,
  .verdict = "quarantine" },
{ .name = "liar-35pct-quarantine", .cls = 7, .domain = "liar2.example",
  .p = "quarantine", .days = 30, .volume = 2000, .n_reporters = 2,
  .liar = 35, .liar_name = "Mail Filter Co", .seed = 72,
  .verdict = "reject" },
{ .name = "liar-25pct-with-aligned-esp", .cls = 7, .domain = "liar3.example",
  .p = "none", .days = 21, .volume = 3000, .liar = 25,
  .liar_name = "strict-gateway.example", .seed = 73,
  .s = { { K_ESP_ALIGNED, NULL, .share = 0.20, .pool = 80,
	   .base = ESP_V6, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "aligned", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 8. Mixed, as a real domain looks.
 */
{ .name = "mixed-esp-and-relay-block", .cls = 8, .domain = "mixed1.example",
  .p = "none", .days = 28, .volume = 4000, .liar = 10,
  .liar_name = "strict-gateway.example", .seed = 81,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.15, .pool = 100,
	   .base = ESP_V4, .has_rdns = true, .rdns = "esp-mailer.example",
	   .dkim = "esp-mailer.example", .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P },
	 { K_RELAY, "relay-host.example", .share = 0.30, .pool = 4,
	   .base = RELAY_V4, .has_rdns = true, .rdns = "relay-host.example",
	   .spf = "relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P },
	 { K_SNOWSHOE, NULL, .share = 0.08, .pool = 5,
	   .base = SNOW_V4_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 },
	 { K_FORWARDER, NULL, .share = 0.02, .pool = 2, .base = FWD_V4,
	   .every = 60, .dkim = "lists.fwd-example.net",
	   .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 },
	 { K_ONCE, "tiny-sender.example", .share = 0.001, .pool = 1,
	   .base = "198.18.11.7", .day = 4, .dkim = "tiny-sender.example",
	   .spf = "tiny-sender.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "stay" },
{ .name = "mixed-ready-for-quarantine", .cls = 8, .domain = "mixed2.example",
  .p = "none", .days = 21, .volume = 3000, .liar = 20,
  .liar_name = "Mail Filter Co", .seed = 82,
  .s = { { K_ESP_ALIGNED, NULL, .share = 0.20, .pool = 150,
	   .base = ESP_V6, .dkim = "s1.bulk-post.example",
	   .spf = "rp.bulk-post.example", .cls = "aligned", .blocks = 0 },
	 { K_SNOWSHOE, NULL, .share = 0.10, .pool = 4, .base = SNOW_V4,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 },
	 { K_FORWARDER, NULL, .share = 0.015, .pool = 1, .base = FWD_V6,
	   .every = 50, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 },
	 { K_ONCE, "tiny-sender.example", .share = 0.001, .pool = 1,
	   .base = "198.18.11.7", .day = 8, .dkim = "tiny-sender.example",
	   .spf = "tiny-sender.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "mixed-ready-for-reject", .cls = 8, .domain = "mixed3.example",
  .p = "quarantine", .sp = "none", .days = 30, .volume = 3000, .seed = 83,
  .s = { { K_OWN, NULL, .share = 0.10, .pool = 1, .base = "192.0.2.30",
	   .sub = "mail", .cls = "aligned", .blocks = 0 },
	 { K_ESP_ALIGNED, NULL, .share = 0.15, .pool = 120,
	   .base = ESP_V4, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "aligned", .blocks = 0 },
	 { K_FORWARDER, NULL, .share = 0.006, .pool = 1, .base = FWD_V4,
	   .every = 80, .dkim = "lists.fwd-example.net",
	   .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 },
	 { K_SNOWSHOE, NULL, .share = 0.05, .pool = 3, .base = SNOW_V6,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "reject", .sp_verdict = "quarantine" },
/*
 * 1. ESP pools the plain ones leave out: spread over a /24 (a /48) an
 * address, unsigned with one stable bounce organisation, signing with a
 * per-customer d= under the provider's domain, named by the provider's
 * reverse DNS, or signing aligned for part of its mail.  Still ONE
 * sender keyed by the organisation that ties the pool together.
 */
{ .name = "esp-spf-only-spread-v4", .cls = 1, .domain = "esp7.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 111,
  .s = { { K_ESP, "esp-relay.example", .share = 0.20, .pool = 100,
	   .base = "198.18.0.9", .is_spread = true, .dkim = NULL,
	   .spf = "bounce.esp-relay.example",
	   .cls = "third-party", .rule = "consistent-spf", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-spf-only-rdns-spread-v6", .cls = 1, .domain = "esp12.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 116,
  .s = { { K_ESP, "esp-relay.example", .share = 0.20, .pool = 80,
	   .base = "2001:db8:4000::7", .is_spread = true, .has_rdns = true,
	   .rdns = "pool.esp-relay.example", .dkim = NULL,
	   .spf = "bounce.esp-relay.example",
	   .cls = "third-party", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-customer-dkim-spread-v6", .cls = 1, .domain = "esp8.example",
  .p = "none", .days = 14, .volume = 4000, .seed = 112,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.22, .pool = 120,
	   .base = ESP_V6, .is_spread = true,
	   .dkim = "esp8-example.cust.esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-rdns-spread-v4", .cls = 1, .domain = "esp9.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 113,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.18, .pool = 100,
	   .base = "198.18.0.33", .is_spread = true, .has_rdns = true,
	   .rdns = "mta.esp-mailer.example", .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-40pct-aligned-v4", .cls = 1, .domain = "esp10.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 114,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.20, .pool = 100,
	   .base = ESP_V4, .aligned_pct = 40, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "partial", .rule = "partial", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "esp-60pct-aligned-spread-v4", .cls = 1, .domain = "esp11.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 115,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.20, .pool = 100,
	   .base = "198.18.0.77", .is_spread = true, .aligned_pct = 60,
	   .dkim = "esp-mailer.example", .spf = "bounce.esp-mailer.example",
	   .cls = "partial", .rule = "partial", .blocks = IN_P } },
  .verdict = "stay" },
/*
 * 2. Rhythm: a monthly run on two days 30 days apart, 0.8 % of a 45-day
 * window in all, signing and passing SPF as the same organisation of its
 * own, is a billing service: third-party, and significant (0.5 % of
 * legitimate volume and more), so it blocks.  A small legitimate service
 * under source_share is listed and blocks nothing.
 */
{ .name = "billing-twice-45d-0.8pct-v6", .cls = 2, .domain = "rhythm6.example",
  .p = "none", .days = 45, .volume = 3000, .seed = 121,
  .s = { { K_ONCE, "invoicing.example", .share = 0.004, .pool = 1,
	   .base = "2001:db8:b111::9", .day = 8, .day2 = 38,
	   .dkim = "mta.invoicing.example", .spf = "invoicing.example",
	   .cls = "third-party", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "billing-twice-45d-3pct-v4", .cls = 2, .domain = "rhythm7.example",
  .p = "none", .days = 45, .volume = 3000, .seed = 122,
  .s = { { K_ONCE, "billing-service.example", .share = 0.015, .pool = 2,
	   .base = "198.18.10.40", .day = 12, .day2 = 42,
	   .dkim = "billing-service.example",
	   .spf = "mail.billing-service.example",
	   .cls = "third-party", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "small-service-under-share", .cls = 2, .domain = "rhythm8.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 123,
  .s = { { K_SERVICE, "crm-cloud.example", .share = 0.003, .pool = 1,
	   .base = "198.18.13.50", .dkim = "crm-cloud.example",
	   .spf = "mail.crm-cloud.example",
	   .cls = "third-party", .rule = "consistent-signer", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 3. Relays the plain ones leave out: outbound servers in unrelated
 * networks without reverse DNS, tied only by the one bounce domain they
 * pass SPF for; a relay that adds its own DKIM signature beside our
 * broken one.  Each is our relay, blocking; one sender when something
 * ties its addresses (a bounce domain, a signature).  A daily mailing
 * list carrying 6 % of the mail, for which only some receivers give a
 * forwarding reason, is a list, not our relay.
 */
{ .name = "relay-spread-spf-v4", .cls = 3, .domain = "relay8.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 131,
  .s = { { K_RELAY, "smtp-out.example", .share = 0.33, .pool = 8,
	   .base = RELAY_V4, .is_spread = true, .spf = "smtp-out.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-spread-spf-v6-quarantine", .cls = 3,
  .domain = "relay9.example", .p = "quarantine", .days = 30,
  .volume = 2000, .seed = 132,
  .s = { { K_RELAY, "smtp-out.example", .share = 0.30, .pool = 7,
	   .base = RELAY_V6, .is_spread = true,
	   .spf = "bounce.smtp-out.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-spread-nospf-v4", .cls = 3, .domain = "relay13.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 136,
  .s = { { K_RELAY, NULL, .share = 0.33, .pool = 8, .base = RELAY_V4,
	   .is_spread = true, .spf = NULL,
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-own-dkim-v4-quarantine", .cls = 3,
  .domain = "relay10.example", .p = "quarantine", .days = 30,
  .volume = 3000, .seed = 133,
  .s = { { K_RELAY, "relay-host.example", .share = 0.33, .pool = 4,
	   .base = RELAY_V4, .has_rdns = true, .rdns = "relay-host.example",
	   .dkim = "relay-host.example", .spf = "relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "relay-own-dkim-net48-v6", .cls = 3, .domain = "relay11.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 134,
  .s = { { K_RELAY, NULL, .share = 0.34, .pool = 3,
	   .base = RELAY_V6, .dkim = "outbound.relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P } },
  .verdict = "stay" },
{ .name = "list-reasons-from-some-v4", .cls = 3, .domain = "relay12.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 135,
  .s = { { K_FORWARDER, NULL, .share = 0.06, .pool = 2, .base = FWD_V4,
	   .every = 100, .is_reason_some = true,
	   .dkim = "lists.fwd-example.net", .spf = "lists.fwd-example.net",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 4. Snowshoe the plain ones leave out: each address kept for 3 or 4
 * days; DKIM-signed by the throwaway domain of each message, and then as
 * much as 40 % of the mail from two fresh addresses a day; at the hosting
 * company an unsigned ESP rents from, both named under its reverse DNS.
 * Never legitimate, never a blocker, and the ESP stays legitimate.
 */
{ .name = "snowshoe-persist-3d-spread-v4", .cls = 4, .domain = "snow5.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 141,
  .s = { { K_SNOWSHOE, NULL, .share = 0.15, .pool = 4, .persist = 3,
	   .base = SNOW_V4_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-dkim-throwaway-v4", .cls = 4, .domain = "snow6.example",
  .p = "none", .days = 14, .volume = 3000, .seed = 142,
  .s = { { K_SNOWSHOE, NULL, .share = 0.10, .pool = 5, .is_signed = true,
	   .base = SNOW_V4, .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-dkim-persist-4d-spread-v6", .cls = 4,
  .domain = "snow7.example", .p = "none", .days = 28, .volume = 2000,
  .seed = 143,
  .s = { { K_SNOWSHOE, NULL, .share = 0.20, .pool = 3, .persist = 4,
	   .is_signed = true, .base = SNOW_V6_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
/*
 * 5. A big alumni forwarder (12 % of the mail on the days it sends,
 * irregular) seen by one receiver only, which lets it through on ARC,
 * and one forwarding 8 % every day, let through by every receiver: no
 * loss at the reject gate.
 */
{ .name = "snowshoe-dkim-fresh-40pct-v6", .cls = 4, .domain = "snow8.example",
  .p = "none", .days = 14, .volume = 1500, .seed = 144,
  .s = { { K_SNOWSHOE, NULL, .share = 0.40, .pool = 2, .is_signed = true,
	   .base = SNOW_V6_SPREAD, .is_spread = true,
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "quarantine" },
{ .name = "snowshoe-beside-esp-same-host", .cls = 4, .domain = "snow9.example",
  .p = "none", .days = 21, .volume = 3000, .seed = 145,
  .s = { { K_ESP, NULL, .share = 0.15, .pool = 60, .base = "198.18.0.5",
	   .is_spread = true, .has_rdns = true,
	   .rdns = "static.cloudhost.example", .dkim = NULL,
	   .spf = "bounce.esp-relay.example",
	   .cls = "third-party", .blocks = IN_P },
	 { K_SNOWSHOE, NULL, .share = 0.10, .pool = 4,
	   .base = SNOW_V4_SPREAD, .is_spread = true, .has_rdns = true,
	   .rdns = "static.cloudhost.example",
	   .cls = "unauthenticated", .blocks = 0 } },
  .verdict = "stay" },
{ .name = "arc-alumni-big-one-reporter", .cls = 5, .domain = "arc4.example",
  .p = "quarantine", .days = 30, .volume = 3000, .seed = 151,
  .s = { { K_FORWARDER, NULL, .share = 0.12, .pool = 2, .base = FWD_V6,
	   .every = 40, .only = 1, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "reject" },
/*
 * 6. `p=none` with sp left out (inherited), the reports carrying no
 * <sp>: the domain's own mail is clean, a subdomain's sender fails.  p
 * goes to quarantine, sp stays, and the record keeps sp=none.
 */
{ .name = "arc-alumni-daily-8pct", .cls = 5, .domain = "arc5.example",
  .p = "quarantine", .days = 30, .volume = 3000, .seed = 152,
  .s = { { K_FORWARDER, NULL, .share = 0.08, .pool = 3, .base = FWD_V4,
	   .every = 100, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "reject" },
{ .name = "sp-inherited-sub-fails-v4", .cls = 6, .domain = "pop5.example",
  .p = "none", .is_sp_absent = true, .days = 21, .volume = 3000,
  .seed = 161,
  .s = { { K_SERVICE, "newsletter-esp.example", .share = 0.10, .pool = 2,
	   .base = "198.18.12.40", .sub = "news",
	   .dkim = "newsletter-esp.example",
	   .spf = "bounce.newsletter-esp.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_SP } },
  .verdict = "quarantine", .sp_verdict = "stay", .next_has = "sp=none" },
/*
 * 6. sp inherited, one step further: at p=quarantine the subdomains'
 * failing newsletter keeps sp at quarantine while p goes to reject; at
 * p=reject it loses its mail now: p is done, the sp gate still says stay
 * and names it.
 */
{ .name = "sp-inherited-quarantine-sub-fails-v6", .cls = 6,
  .domain = "pop6.example", .p = "quarantine", .is_sp_absent = true,
  .days = 30, .volume = 2500, .seed = 162,
  .s = { { K_SERVICE, "newsletter-esp.example", .share = 0.08, .pool = 2,
	   .base = "2001:db8:4e55::40", .sub = "news",
	   .dkim = "newsletter-esp.example",
	   .spf = "bounce.newsletter-esp.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_SP } },
  .verdict = "reject", .sp_verdict = "stay", .next_has = "sp=quarantine" },
{ .name = "sp-inherited-reject-sub-fails-v4", .cls = 6,
  .domain = "pop7.example", .p = "reject", .is_sp_absent = true,
  .days = 30, .volume = 3000, .seed = 163,
  .s = { { K_SERVICE, "newsletter-esp.example", .share = 0.10, .pool = 3,
	   .base = "198.18.12.50", .sub = "news",
	   .dkim = "mail.newsletter-esp.example",
	   .spf = "newsletter-esp.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_SP } },
  .verdict = "done", .sp_verdict = "stay" },
/*
 * 7. The lying reporter sees most of the mail.
 */
{ .name = "liar-60pct-none", .cls = 7, .domain = "liar4.example",
  .p = "none", .days = 14, .volume = 3000, .liar = 60,
  .liar_name = "strict-gateway.example", .seed = 171,
  .verdict = "quarantine" },
{ .name = "liar-55pct-quarantine", .cls = 7, .domain = "liar5.example",
  .p = "quarantine", .days = 30, .volume = 2000, .n_reporters = 2,
  .liar = 55, .liar_name = "Mail Filter Co", .seed = 172,
  .verdict = "reject" },
/*
 * 8. Mixed: every sender on IPv6; and a 45-day history judged by
 * advise's default window.
 */
{ .name = "mixed-all-v6", .cls = 8, .domain = "mixed4.example",
  .p = "none", .days = 28, .volume = 4000, .seed = 181,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.15, .pool = 100,
	   .base = "2001:db8:3000::1", .is_spread = true, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P },
	 { K_RELAY, "relay-host.example", .share = 0.30, .pool = 4,
	   .base = RELAY_V6, .has_rdns = true, .rdns = "relay-host.example",
	   .spf = "relay-host.example",
	   .cls = "relay", .rule = "own-relay", .blocks = IN_P },
	 { K_SNOWSHOE, NULL, .share = 0.08, .pool = 5,
	   .base = "2001:db8:5000::1", .is_spread = true,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 },
	 { K_FORWARDER, NULL, .share = 0.02, .pool = 2, .base = FWD_V6,
	   .every = 60, .spf = "alumni.fwd-example.org",
	   .cls = "indirect", .rule = "forwarder", .blocks = 0 } },
  .verdict = "stay" },
{ .name = "mixed-45d-default-window", .cls = 8, .domain = "mixed5.example",
  .p = "none", .days = 45, .window = -1, .volume = 3000, .seed = 182,
  .s = { { K_ESP, "esp-mailer.example", .share = 0.20, .pool = 100,
	   .base = ESP_V4, .dkim = "esp-mailer.example",
	   .spf = "bounce.esp-mailer.example",
	   .cls = "third-party", .rule = "consistent-signer",
	   .blocks = IN_P },
	 { K_SNOWSHOE, NULL, .share = 0.05, .pool = 3, .base = SNOW_V4,
	   .cls = "unauthenticated", .rule = "throwaway-spf", .blocks = 0 } },
  .verdict = "stay" },
};

enum { N_SCENARIOS = sizeof(table) / sizeof(table[0]) };

/* --- the world: reporters and our own servers --- */

struct reporter {
	const char *org_name;
	unsigned weight;		/* share of the mail it sees */
	const char *reason, *comment;	/* its word on forwarded mail */
};

static const struct reporter honest[] = {
	{ "google.com", 45, "local_policy", "arc=pass" },
	{ "Yahoo", 20, "forwarded", NULL },
	{ "Outlook.com", 25, "local_policy", "arc=pass" },
	{ "GMX", 10, "forwarded", NULL },
};
enum { N_HONEST = 4, MAX_REPORTERS = N_HONEST + 1 };

static const char *const own_ip[] = { "192.0.2.10", "192.0.2.11",
	"2001:db8:a::25" };
static const unsigned own_weight[] = { 45, 40, 15 };

/* --- messages: one line naming scenario and class --- */

static void fail(const struct scenario *sc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(const struct scenario *sc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cr_expect_fail("%s (class %s): %s", sc->name, class_name[sc->cls],
	    msg);
}

/* --- addresses --- */

/* base + n, n counted in the byte at `at` from the end (0: the last) */
static void
addr_add(const char *base, uint64_t n, int at, char *out, size_t size)
{
	unsigned char a[16];
	int af = strchr(base, ':') != NULL ? AF_INET6 : AF_INET;
	int len = af == AF_INET6 ? 16 : 4;
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(af, base, a) != 1)
		abort();
	for (int i = len - 1 - at; i >= 0 && n > 0; i--) {
		uint64_t v = a[i] + (n & 0xff);

		a[i] = (unsigned char)v;
		n = (n >> 8) + (v >> 8);
	}
	if (inet_ntop(af, a, text, sizeof(text)) == NULL)
		abort();
	snprintf(out, size, "%s", text);
}

static bool
is_v6(const char *ip)
{
	return strchr(ip, ':') != NULL;
}

/* address i of a sender (K_SNOWSHOE: its i-th fresh one) */
static void
sender_addr(const struct sender *s, int i, char *out, size_t size)
{
	int at = 0;

	if (s->is_spread)
		at = is_v6(s->base) ? 10 : 1;	/* the /48, the /24 */
	addr_add(s->base, (uint64_t)i, at, out, size);
}

/* --- what was sent: the tallies the answers are checked against --- */

struct tally {
	int window;			/* days back counted (0: all) */
	long long messages;
	uint64_t day_mask;		/* bit k-1: seen on day k back */
	char (*ips)[INET6_ADDRSTRLEN];
	size_t n_ips, cap_ips;
};

static void
tally_add(struct tally *t, const char *ip, int k, long long count)
{
	if (count <= 0 || (t->window > 0 && k > t->window))
		return;
	t->messages += count;
	t->day_mask |= 1ull << (k - 1);
	for (size_t i = 0; i < t->n_ips; i++)
		if (strcmp(t->ips[i], ip) == 0)
			return;
	if (t->n_ips == t->cap_ips) {
		t->cap_ips = t->cap_ips ? 2 * t->cap_ips : 16;
		t->ips = xrealloc(t->ips, t->cap_ips * sizeof(*t->ips));
	}
	snprintf(t->ips[t->n_ips++], sizeof(*t->ips), "%s", ip);
}

static int
tally_days(const struct tally *t)
{
	return __builtin_popcountll(t->day_mask);
}

/* --- the generator --- */

/* one <record> */
struct rec {
	const char *ip;
	long long count;
	bool dkim_pass, spf_pass;	/* aligned: the truth */
	const char *reason, *comment;
	const char *header_from;
	const char *dkim_d[2], *dkim_r[2];
	int n_dkim;
	const char *spf_d, *spf_r;
};

struct gen {
	const struct scenario *sc;
	uint64_t rng;
	int n_rep;			/* reporters this scenario has */
	struct reporter rep[MAX_REPORTERS];
	int liar;			/* its index, or -1 */
	struct buf xml[MAX_REPORTERS];	/* the day's reports */
	int records[MAX_REPORTERS];
	struct tally own, sender[MAX_SENDERS];
	const struct sender *cur;	/* whose mail is made, or NULL */
	int k;				/* the day back being made */
	int window;			/* the days back judged */
	long long liar_disagrees;	/* aligned mail it called failing,
					 * in the window */
	char from_sub[MAX_SENDERS][256];
	char own_sub[256];
};

static int
n_senders(const struct scenario *sc)
{
	int n = 0;

	while (n < MAX_SENDERS && (sc->s[n].kind != K_OWN ||
	    sc->s[n].base != NULL))
		n++;
	return n;
}

static const char *
policy_for(const struct scenario *sc, const char *header_from)
{
	if (strcmp(header_from, sc->domain) != 0 && sc->sp != NULL)
		return sc->sp;
	return sc->p;
}

static void
rec_xml(struct gen *g, int r, const struct rec *x)
{
	const struct scenario *sc = g->sc;
	bool is_pass = x->dkim_pass || x->spf_pass;
	bool is_liar = r == g->liar;
	const char *disp = "none";
	struct buf *b = &g->xml[r];
	struct err e;

	/* the liar calls everything failing, and acts on it */
	if (is_liar && is_pass && g->k <= g->window)
		g->liar_disagrees += x->count;
	if ((!is_pass || is_liar) && x->reason == NULL)
		disp = policy_for(sc, x->header_from);
	buf_addf(b, &e, "<record><row><source_ip>%s</source_ip><count>%lld"
	    "</count><policy_evaluated><disposition>%s</disposition><dkim>%s"
	    "</dkim><spf>%s</spf>", x->ip, x->count, disp,
	    x->dkim_pass && !is_liar ? "pass" : "fail",
	    x->spf_pass && !is_liar ? "pass" : "fail");
	if (x->reason != NULL) {
		buf_addf(b, &e, "<reason><type>%s</type>", x->reason);
		if (x->comment != NULL)
			buf_addf(b, &e, "<comment>%s</comment>", x->comment);
		buf_adds(b, "</reason>", &e);
	}
	buf_addf(b, &e, "</policy_evaluated></row><identifiers><header_from>"
	    "%s</header_from></identifiers><auth_results>", x->header_from);
	for (int i = 0; i < x->n_dkim; i++)
		buf_addf(b, &e, "<dkim><domain>%s</domain><selector>s%d"
		    "</selector><result>%s</result></dkim>", x->dkim_d[i],
		    2024 + i, x->dkim_r[i]);
	if (x->spf_d != NULL)
		buf_addf(b, &e, "<spf><domain>%s</domain><scope>mfrom</scope>"
		    "<result>%s</result></spf>", x->spf_d, x->spf_r);
	buf_adds(b, "</auth_results></record>\n", &e);
	g->records[r]++;
}

/* split total over n by jittered weights: the rounding left over goes
 * to a weighted draw */
static void
split(uint64_t *rng, long long total, const unsigned *w0, int n,
    long long *out)
{
	uint64_t w[64], sum = 0;
	long long given = 0;

	assert(n > 0 && n <= 64);
	for (int i = 0; i < n; i++) {
		w[i] = (uint64_t)w0[i] * rng_range(rng, 80, 120);
		sum += w[i];
	}
	for (int i = 0; i < n; i++) {
		out[i] = (long long)((uint64_t)total * w[i] / sum);
		given += out[i];
	}
	while (given < total) {
		uint64_t x = rng_next(rng) % sum;
		int i = 0;

		while (i + 1 < n && x >= w[i])
			x -= w[i++];
		out[i]++;
		given++;
	}
}

/* count messages of x, spread over the reporters by their weights */
static void
emit(struct gen *g, struct rec *x, long long count, struct tally *t, int k)
{
	unsigned w[MAX_REPORTERS];
	long long part[MAX_REPORTERS];

	const struct sender *s = g->cur;
	bool is_forwarded = x->reason != NULL || x->comment != NULL;

	for (int r = 0; r < g->n_rep; r++)
		w[r] = s != NULL && s->only > 0 && r != s->only - 1 ? 0 :
		    g->rep[r].weight;
	split(&g->rng, count, w, g->n_rep, part);
	for (int r = 0; r < g->n_rep; r++) {
		if (part[r] == 0)
			continue;
		x->count = part[r];
		if (is_forwarded) {
			/* each receiver says it its own way */
			x->reason = g->rep[r].reason;
			x->comment = g->rep[r].comment;
			/* Google and Outlook see no ARC on this list */
			if (s != NULL && s->is_reason_some && (r == 0 ||
			    r == 2))
				x->reason = x->comment = NULL;
		}
		rec_xml(g, r, x);
		tally_add(t, x->ip, k, part[r]);
	}
}

static void
rec_init(struct rec *x, const char *ip, const char *header_from)
{
	memset(x, 0, sizeof(*x));
	x->ip = ip;
	x->header_from = header_from;
}

static void
add_dkim(struct rec *x, const char *d, const char *result)
{
	assert(x->n_dkim < 2);
	x->dkim_d[x->n_dkim] = d;
	x->dkim_r[x->n_dkim++] = result;
}

/* our own servers: aligned both ways */
static void
gen_own(struct gen *g, const char *ip, const char *from, long long n,
    struct tally *t, int k)
{
	struct rec x;

	rec_init(&x, ip, from);
	add_dkim(&x, g->sc->domain, "pass");
	x.spf_d = from;
	x.spf_r = "pass";
	x.dkim_pass = x.spf_pass = true;
	emit(g, &x, n, t, k);
}

/* the days address i of a pool is seen on: a day or two, spread so that
 * every day has some */
static bool
pool_active(const struct gen *g, const struct sender *s, int i, int k)
{
	uint64_t h = g->sc->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i;
	int first = 1 + (int)((long long)i * g->sc->days / s->pool);
	int len = 1 + (int)(rng_next(&h) & 1);

	return k >= first && k < first + len;
}

static void
gen_pool(struct gen *g, int si, long long n, int k)
{
	const struct sender *s = &g->sc->s[si];
	char ip[64][INET6_ADDRSTRLEN], bounce[64][128];
	unsigned w[64];
	long long part[64];
	int m = 0;
	struct rec x;

	for (int i = 0; i < s->pool; i++)
		if (pool_active(g, s, i, k)) {
			cr_assert_lt(m, 64, "%s: day %d: pool too busy",
			    g->sc->name, k);
			sender_addr(s, i, ip[m], sizeof(ip[m]));
			/* a bounce domain per customer stream, one org */
			snprintf(bounce[m], sizeof(bounce[m]), "b%d.%s", i % 7,
			    s->spf);
			w[m++] = 1 + (unsigned)(i % 3);
		}
	cr_assert_gt(m, 0, "%s: day %d: no pool address", g->sc->name, k);
	split(&g->rng, n, w, m, part);
	for (int j = 0; j < m; j++) {
		long long mine = part[j] * s->aligned_pct / 100;

		/* a: 0 the streams it signs for us too, 1 the rest */
		for (int a = 0; a < 2; a++) {
			bool is_aligned = s->kind == K_ESP_ALIGNED || a == 0;
			long long c = s->kind == K_ESP_ALIGNED ?
			    (a == 0 ? part[j] : 0) : a == 0 ? mine :
			    part[j] - mine;

			if (c <= 0)
				continue;
			rec_init(&x, ip[j], g->sc->domain);
			if (s->dkim != NULL)
				add_dkim(&x, s->dkim, "pass");
			if (is_aligned) {
				add_dkim(&x, g->sc->domain, "pass");
				x.dkim_pass = true;
			}
			x.spf_d = j % 2 ? bounce[j] : s->spf;
			x.spf_r = "pass";
			emit(g, &x, c, &g->sender[si], k);
		}
	}
}

/* fixed addresses, sending n between them */
static void
gen_fixed(struct gen *g, int si, long long n, int k)
{
	const struct sender *s = &g->sc->s[si];
	char ip[16][INET6_ADDRSTRLEN];
	unsigned w[16] = { 0 };
	long long part[16];
	struct rec x;
	int m = s->pool < 16 ? s->pool : 16;

	for (int i = 0; i < m; i++) {
		sender_addr(s, i, ip[i], sizeof(ip[i]));
		w[i] = 10 - (unsigned)(i % 5);
	}
	split(&g->rng, n, w, m, part);
	for (int i = 0; i < m; i++) {
		rec_init(&x, ip[i], g->from_sub[si]);
		switch (s->kind) {
		case K_OWN:
			gen_own(g, ip[i], g->from_sub[si], part[i],
			    &g->sender[si], k);
			continue;
		case K_SERVICE:
		case K_ONCE:
			add_dkim(&x, s->dkim, "pass");
			x.spf_d = s->spf;
			x.spf_r = "pass";
			break;
		case K_RELAY:
			/* its disclaimer footer breaks our body hash */
			add_dkim(&x, g->sc->domain, "fail");
			if (s->dkim != NULL)
				add_dkim(&x, s->dkim, "pass");
			x.spf_d = s->spf != NULL ? s->spf : g->sc->domain;
			x.spf_r = s->spf != NULL ? "pass" : "fail";
			break;
		default:
			abort();
		}
		emit(g, &x, part[i], &g->sender[si], k);
	}
}

/* 60 % with our signature broken and a <reason>, the rest intact */
static void
gen_forwarder(struct gen *g, int si, long long n, int k)
{
	const struct sender *s = &g->sc->s[si];
	char ip[INET6_ADDRSTRLEN];
	struct rec x;

	for (int i = 0; i < s->pool; i++) {
		long long mine = n / s->pool + (i == 0 ? n % s->pool : 0);
		long long broken = mine * 6 / 10;

		sender_addr(s, i, ip, sizeof(ip));
		rec_init(&x, ip, g->sc->domain);
		add_dkim(&x, g->sc->domain, "fail");
		if (s->dkim != NULL)
			add_dkim(&x, s->dkim, "pass");
		x.spf_d = s->spf;
		x.spf_r = "pass";
		x.reason = "forwarded";	/* replaced per reporter */
		emit(g, &x, broken, &g->sender[si], k);
		rec_init(&x, ip, g->sc->domain);
		add_dkim(&x, g->sc->domain, "pass");
		x.dkim_pass = true;
		x.spf_d = s->spf;
		x.spf_r = "pass";
		emit(g, &x, mine - broken, &g->sender[si], k);
	}
}

/* one record a message: a fresh throwaway envelope domain each time */
static void
gen_snowshoe(struct gen *g, int si, long long n, int k)
{
	static const char *const tld[] = { "example", "test", "invalid" };
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const struct sender *s = &g->sc->s[si];
	char ip[INET6_ADDRSTRLEN], dom[40];
	unsigned w[MAX_REPORTERS];
	struct rec x;

	for (int r = 0; r < g->n_rep; r++)
		w[r] = g->rep[r].weight;
	for (long long m = 0; m < n; m++) {
		int j = (int)rng_below(&g->rng, (uint32_t)s->pool);
		uint32_t len = rng_range(&g->rng, 6, 12), pick;
		long long one[MAX_REPORTERS];
		int r = 0;

		sender_addr(s, (k - 1) / (s->persist > 0 ? s->persist : 1) *
		    s->pool + j, ip, sizeof(ip));
		for (uint32_t i = 0; i < len; i++)
			dom[i] = alnum[rng_below(&g->rng, i == 0 ? 26 : 36)];
		pick = rng_below(&g->rng, 3);
		snprintf(dom + len, sizeof(dom) - len, ".%s", tld[pick]);
		rec_init(&x, ip, g->sc->domain);
		if (s->is_signed)
			add_dkim(&x, dom, "pass");
		x.spf_d = dom;
		x.spf_r = "pass";
		x.count = 1;
		split(&g->rng, 1, w, g->n_rep, one);
		while (one[r] == 0)
			r++;
		rec_xml(g, r, &x);
		tally_add(&g->sender[si], ip, k, 1);
	}
}

static bool
is_weekend(int64_t begin)
{
	int wday = (int)((begin / DAY + 4) % 7);	/* 1970-01-01: Thu */

	return wday == 0 || wday == 6;
}

/* midnight UTC k days back */
static int64_t
day_start(int64_t now, int k)
{
	return now - now % DAY - (int64_t)k * DAY;
}

/* the mail of day k back into g->xml[] */
static void
gen_day(struct gen *g, int64_t begin, int k)
{
	const struct scenario *sc = g->sc;
	long long total = sc->volume * (is_weekend(begin) ? 6 : 10) / 10;
	long long left, own[3];
	int ns = n_senders(sc);

	total = total * rng_range(&g->rng, 90, 110) / 100;
	left = total;
	for (int si = 0; si < ns; si++) {
		const struct sender *s = &sc->s[si];
		long long n = (long long)(total * s->share + 0.5);

		g->cur = s;
		switch (s->kind) {
		case K_ONCE:
			if (k == s->day || k == s->day2)
				gen_fixed(g, si, (long long)(sc->volume *
				    sc->days * s->share + 0.5), k);
			continue;
		case K_FORWARDER:
			/* irregular: on `every` % of the days */
			if (rng_below(&g->rng, 100) >= (uint32_t)s->every)
				continue;
			left -= n;
			gen_forwarder(g, si, n, k);
			continue;
		case K_ESP:
		case K_ESP_ALIGNED:
			/* campaigns go out on weekdays */
			if (is_weekend(begin))
				n /= 2;
			gen_pool(g, si, n, k);
			break;
		case K_SNOWSHOE:
			gen_snowshoe(g, si, n, k);
			continue;	/* spoofing is on top of our mail */
		default:
			gen_fixed(g, si, n, k);
			break;
		}
		left -= n;
	}
	g->cur = NULL;
	cr_assert_gt(left, 0, "%s: shares over 100%%", sc->name);
	split(&g->rng, left, own_weight, 3, own);
	for (int i = 0; i < 3; i++)
		gen_own(g, own_ip[i], sc->domain, own[i], &g->own, k);
}

static void
report_head(struct gen *g, int r, int64_t begin, int k)
{
	const struct scenario *sc = g->sc;
	const char *sp = sc->sp != NULL ? sc->sp : sc->p;
	struct buf *b = &g->xml[r];
	struct err e;
	char sp_xml[64] = "";

	if (!sc->is_sp_absent)
		snprintf(sp_xml, sizeof(sp_xml), "<sp>%s</sp>", sp);
	buf_reset(b);
	g->records[r] = 0;
	buf_addf(b, &e, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<feedback><version>1.0</version><report_metadata><org_name>%s"
	    "</org_name><email>dmarc@reports.example</email><report_id>"
	    "%s-%d-%d</report_id><date_range><begin>%lld</begin><end>%lld"
	    "</end></date_range></report_metadata><policy_published><domain>"
	    "%s</domain><adkim>r</adkim><aspf>r</aspf><p>%s</p>%s"
	    "<pct>100</pct></policy_published>\n", g->rep[r].org_name,
	    sc->name, r, k, (long long)begin, (long long)(begin + DAY - 1),
	    sc->domain, sc->p, sp_xml);
}

/* the days back judged */
static int
window_of(const struct scenario *sc)
{
	return sc->window > 0 ? sc->window : sc->window < 0 ? 30 : sc->days;
}

static void
gen_init(struct gen *g, const struct scenario *sc)
{
	int n = sc->n_reporters > 0 ? sc->n_reporters : N_HONEST;
	unsigned sum = 0;

	memset(g, 0, sizeof(*g));
	g->sc = sc;
	g->rng = sc->seed;
	for (int r = 0; r < n; r++) {
		g->rep[r] = honest[r];
		sum += honest[r].weight;
	}
	g->n_rep = n;
	g->liar = -1;
	g->window = window_of(sc);
	g->own.window = g->window;
	for (int si = 0; si < MAX_SENDERS; si++)
		g->sender[si].window = g->window;
	if (sc->liar > 0) {
		g->liar = n;
		g->rep[n].org_name = sc->liar_name;
		g->rep[n].weight = sum * (unsigned)sc->liar /
		    (100u - (unsigned)sc->liar);
		g->rep[n].reason = "forwarded";
		g->n_rep = n + 1;
	}
	for (int r = 0; r < g->n_rep; r++)
		buf_init(&g->xml[r], 64u << 20);
	for (int si = 0; si < n_senders(sc); si++)
		if (sc->s[si].sub != NULL)
			snprintf(g->from_sub[si], sizeof(g->from_sub[si]),
			    "%s.%s", sc->s[si].sub, sc->domain);
		else
			snprintf(g->from_sub[si], sizeof(g->from_sub[si]),
			    "%s", sc->domain);
}

static void
gen_release(struct gen *g)
{
	for (int r = 0; r < g->n_rep; r++)
		buf_release(&g->xml[r]);
	free(g->own.ips);
	for (int si = 0; si < MAX_SENDERS; si++)
		free(g->sender[si].ips);
}

/* every report of the scenario into dir; how many */
static int
gen_write(struct gen *g, const char *dir, int64_t now)
{
	char path[512];
	int n = 0;
	struct err e;

	for (int k = 1; k <= g->sc->days; k++) {
		int64_t begin = day_start(now, k);

		g->k = k;
		for (int r = 0; r < g->n_rep; r++)
			report_head(g, r, begin, k);
		gen_day(g, begin, k);
		for (int r = 0; r < g->n_rep; r++) {
			if (g->records[r] == 0)
				continue;
			buf_adds(&g->xml[r], "</feedback>\n", &e);
			snprintf(path, sizeof(path), "%s/%02d-%d.xml", dir, k,
			    r);
			test_write_file(path, g->xml[r].data, g->xml[r].len);
			n++;
		}
	}
	return n;
}

/* --- running dmarcctl --- */

static void
run_ok(const char *cmd)
{
	char *out, *err;

	cr_assert_eq(test_run(cmd, &out, &err), 0, "%s: %s", cmd, err);
	free(out);
	free(err);
}

/* `dmarcctl ARGS` as JSON; NULL (and one failure line) when it is not */
static json_t *
dm_json(const struct scenario *sc, const char *ci, const char *args)
{
	char *out, *err;
	json_error_t je;
	json_t *j = NULL;
	int rc = test_dmarcctl(NULL, ci, args, &out, &err);

	if (rc != 0)
		fail(sc, "dmarcctl %s: exit %d: %.200s", args, rc, err);
	else if ((j = json_loads(out, 0, &je)) == NULL)
		fail(sc, "dmarcctl %s: not one JSON value: %s", args, je.text);
	free(out);
	free(err);
	return j;
}

static void
ingest(const struct scenario *sc, const char *ci, const char *dir, int n)
{
	char args[1024], want[128], *out, *err;

	snprintf(args, sizeof(args), "ingest --json '%s'", dir);
	cr_assert_eq(test_dmarcctl(NULL, ci, args, &out, &err), 0,
	    "%s: ingest: %s", sc->name, err);
	snprintf(want, sizeof(want), "\"new\":%d,\"duplicate\":0,"
	    "\"failed\":0", n);
	cr_assert(strstr(out, want) != NULL, "%s: ingest: %s (want %s)",
	    sc->name, out, want);
	free(out);
	free(err);
}

/* --- reading the answers without assuming their shape --- */

static const char *
str_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool
str_is(const json_t *o, const char *key, const char *want)
{
	const char *v = str_of(o, key);

	return v != NULL && strcmp(v, want) == 0;
}

#define OR_NONE(s) ((s) != NULL ? (s) : "(none)")

/* the address list of a sender or blocker: "addresses" as strings or as
 * {"source":...} objects, and "source" */
static bool
lists_ip(const json_t *o, const char *ip)
{
	json_t *a = json_object_get(o, "addresses"), *x;
	size_t i;

	if (str_is(o, "source", ip))
		return true;
	json_array_foreach(a, i, x) {
		if (json_is_string(x) && strcmp(json_string_value(x), ip) == 0)
			return true;
		if (str_is(x, "source", ip))
			return true;
	}
	return false;
}

/* does o (a sender or blocker) stand for the sender of tally t? */
static bool
is_sender(const json_t *o, const struct sender *s, const struct tally *t)
{
	if (s != NULL && s->key != NULL && str_is(o, "sender", s->key))
		return true;
	for (size_t i = 0; i < t->n_ips; i++)
		if (lists_ip(o, t->ips[i]))
			return true;
	return false;
}

/* --- advise --- */

static json_t *
gate_of(const json_t *adv, const char *name)
{
	json_t *gates = json_object_get(adv, "gates"), *x;
	size_t i;

	json_array_foreach(gates, i, x)
		if (str_is(x, "gate", name))
			return x;
	return NULL;
}

static const json_t *
blocker_for(const json_t *blockers, const struct sender *s,
    const struct tally *t)
{
	json_t *x;
	size_t i;

	json_array_foreach(blockers, i, x)
		if (is_sender(x, s, t))
			return x;
	return NULL;
}

static const char *
label(const struct sender *s, const char *what)
{
	return s != NULL && s->key != NULL ? s->key : what;
}

/* a blocker found (by key or address) for s: under its key and class,
 * with every address of a sender that sends from the same few every
 * day, and what a sender signing as itself must do */
static void
expect_blocker(const struct scenario *sc, const json_t *b,
    const struct sender *s, const struct tally *t, const char *what)
{
	const char *fix = str_of(b, "fix");
	json_t *a = json_object_get(b, "addresses");
	size_t missing = 0;

	if (s->key != NULL && !str_is(b, "sender", s->key))
		fail(sc, "%s (%s): its blocker is keyed %s", s->key, what,
		    OR_NONE(str_of(b, "sender")));
	if (!str_is(b, "class", s->cls))
		fail(sc, "%s (%s): its blocker has class %s, %s expected",
		    label(s, what), what, OR_NONE(str_of(b, "class")), s->cls);
	/* one blocker for all its addresses, when something names them */
	if (s->key != NULL && (s->kind == K_RELAY || s->kind == K_SERVICE ||
	    s->kind == K_ONCE))
		for (size_t i = 0; i < t->n_ips; i++) {
			json_t *x;
			size_t j;
			bool is_in = false;

			json_array_foreach(a, j, x)
				is_in |= json_is_string(x) && strcmp(
				    json_string_value(x), t->ips[i]) == 0;
			missing += !is_in;
		}
	if (missing > 0)
		fail(sc, "%s (%s): %zu of its %zu addresses missing from its "
		    "blocker's \"addresses\"", label(s, what), what, missing,
		    t->n_ips);
	/* an unsigned pool may instead be told to align its return-path */
	if ((s->kind == K_ESP || s->kind == K_SERVICE || s->kind == K_ONCE) &&
	    (fix == NULL || (strstr(fix, "DKIM") == NULL &&
	    (s->dkim != NULL || strstr(fix, "return-path") == NULL))))
		fail(sc, "%s (%s): the fix should ask for aligned DKIM at the "
		    "provider, it says: %s", label(s, what), what,
		    OR_NONE(fix));
}

/* sender s (tally t) blocks where `want` says, and nowhere else */
static void
expect_blocks(const struct scenario *sc, const json_t *adv,
    const struct sender *s, const struct tally *t, unsigned want,
    const char *what)
{
	static const struct { const char *gate; unsigned bit; } g[] = {
		{ "p", IN_P }, { "sp", IN_SP }, { "np", 0 },
	};
	const char *name = label(s, what);
	const json_t *top = blocker_for(json_object_get(adv, "blockers"), s,
	    t);
	bool in_top = top != NULL;

	if ((want & IN_P) && !in_top)
		fail(sc, "%s (%s): expected among the blockers, it is not",
		    name, what);
	if ((want & IN_P) && in_top)
		expect_blocker(sc, top, s, t, what);
	if (!(want & IN_P) && in_top)
		fail(sc, "%s (%s): expected no blocker, it blocks the verdict",
		    name, what);
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		json_t *gate = gate_of(adv, g[i].gate);
		bool is_in;

		if (gate == NULL)
			continue;	/* missing gates are reported once */
		is_in = blocker_for(json_object_get(gate, "blockers"), s, t) !=
		    NULL;
		if ((want & g[i].bit) && is_in)
			expect_blocker(sc, blocker_for(json_object_get(gate,
			    "blockers"), s, t), s, t, what);
		if ((want & g[i].bit) && !is_in)
			fail(sc, "%s (%s): expected a blocker of the %s gate, "
			    "it is not", name, what, g[i].gate);
		if (!(want & g[i].bit) && is_in)
			fail(sc, "%s (%s): expected no blocker of the %s "
			    "gate, it is one", name, what, g[i].gate);
	}
}

static const char *
kind_name(enum kind k)
{
	static const char *const n[] = { "own servers", "ESP pool",
		"aligned ESP pool", "service", "one-day sender", "relay",
		"forwarder", "snowshoe" };

	return n[k];
}

static const char *
gate_verdict(const json_t *gate)
{
	return OR_NONE(str_of(gate, "verdict"));
}

static void
expect_gates(const struct scenario *sc, const json_t *adv)
{
	json_t *p = gate_of(adv, "p"), *sp = gate_of(adv, "sp");
	const char *sp_pol = sc->sp != NULL ? sc->sp : sc->p;

	if (p == NULL) {
		fail(sc, "advise: no \"gates\" entry for gate p");
	} else {
		if (!str_is(p, "verdict", sc->verdict))
			fail(sc, "gate p: verdict %s expected, got %s",
			    sc->verdict, gate_verdict(p));
		if (!str_is(p, "policy", sc->p))
			fail(sc, "gate p: policy %s expected, got %s", sc->p,
			    OR_NONE(str_of(p, "policy")));
		if (!str_is(p, "population", "organizational"))
			fail(sc, "gate p: population organizational expected");
	}
	if (sc->sp_verdict == NULL)
		return;
	if (sp == NULL) {
		fail(sc, "advise: no \"gates\" entry for gate sp");
		return;
	}
	if (!str_is(sp, "verdict", sc->sp_verdict))
		fail(sc, "gate sp: verdict %s expected, got %s", sc->sp_verdict,
		    gate_verdict(sp));
	if (!str_is(sp, "policy", sp_pol))
		fail(sc, "gate sp: policy %s expected, got %s", sp_pol,
		    OR_NONE(str_of(sp, "policy")));
	if (!str_is(sp, "population", "subdomain"))
		fail(sc, "gate sp: population subdomain expected");
}

/* the record advise proposes fits its verdict */
static void
expect_next(const struct scenario *sc, const json_t *adv)
{
	const char *next = str_of(adv, "next_record");
	const char *p = strcmp(sc->verdict, "quarantine") == 0 ||
	    strcmp(sc->verdict, "reject") == 0 ? sc->verdict : sc->p;
	char want[64];

	snprintf(want, sizeof(want), "v=DMARC1; p=%s", p);
	if (next == NULL || strncmp(next, want, strlen(want)) != 0 ||
	    (next[strlen(want)] != ';' && next[strlen(want)] != '\0'))
		fail(sc, "next_record: \"%s...\" expected, got \"%s\"", want,
		    OR_NONE(next));
	if (sc->next_has != NULL && (next == NULL ||
	    strstr(next, sc->next_has) == NULL))
		fail(sc, "next_record: \"%s\" expected in it, got \"%s\"",
		    sc->next_has, OR_NONE(next));
}

/* a reporter-disagrees warning for the liar, and for no one else */
static void
expect_warnings(const struct scenario *sc, const struct gen *g,
    const json_t *adv)
{
	json_t *w = json_object_get(adv, "warnings"), *x;
	size_t i;
	bool is_found = false;

	if (!json_is_array(w)) {
		if (sc->liar > 0)
			fail(sc, "advise: no \"warnings\" array; a "
			    "reporter-disagrees warning for %s expected",
			    sc->liar_name);
		return;
	}
	json_array_foreach(w, i, x) {
		json_t *m;

		if (!str_is(x, "kind", "reporter-disagrees"))
			continue;
		if (sc->liar == 0 || !str_is(x, "reporter", sc->liar_name)) {
			fail(sc, "warnings: reporter-disagrees for %s, an "
			    "honest reporter", OR_NONE(str_of(x, "reporter")));
			continue;
		}
		is_found = true;
		m = json_object_get(x, "messages");
		if (!json_is_integer(m) || json_integer_value(m) !=
		    g->liar_disagrees)
			fail(sc, "warnings: %s disagrees on %lld messages, "
			    "the warning says %lld", sc->liar_name,
			    g->liar_disagrees, json_is_integer(m) ?
			    (long long)json_integer_value(m) : -1LL);
	}
	if (sc->liar > 0 && !is_found)
		fail(sc, "warnings: {\"kind\":\"reporter-disagrees\","
		    "\"reporter\":\"%s\"} expected", sc->liar_name);
}

/* "ARC" as a word in s */
static bool
says_arc(const char *s)
{
	for (const char *q = s; q != NULL && (q = strstr(q, "ARC")) != NULL;
	    q++)
		if ((q == s || !isalnum((unsigned char)q[-1])) &&
		    !isalnum((unsigned char)q[3]))
			return true;
	return false;
}

/* no blocker of any gate asks for ARC: receivers already honour it */
static void
expect_no_arc_fix(const struct scenario *sc, const json_t *adv)
{
	const json_t *lists[4] = { json_object_get(adv, "blockers") };
	int n = 1;
	json_t *gates = json_object_get(adv, "gates"), *x, *b;
	size_t i, j;

	json_array_foreach(gates, i, x)
		if (n < 4)
			lists[n++] = json_object_get(x, "blockers");
	for (int l = 0; l < n; l++)
		json_array_foreach(lists[l], j, b) {
			const char *fix = str_of(b, "fix");
			const char *problem = str_of(b, "problem");

			if (says_arc(fix) || says_arc(problem))
				fail(sc, "a blocker asks for ARC: %s: %s",
				    OR_NONE(problem), OR_NONE(fix));
		}
}

static void
expect_advise(const struct scenario *sc, const struct gen *g,
    const json_t *adv)
{
	int ns = n_senders(sc);

	if (!str_is(adv, "verdict", sc->verdict)) {
		char *bl = json_dumps(json_object_get(adv, "blockers"),
		    JSON_COMPACT);

		fail(sc, "verdict %s expected, got %s; blockers %.300s",
		    sc->verdict, OR_NONE(str_of(adv, "verdict")),
		    bl != NULL ? bl : "(none)");
		free(bl);
	}
	if (!json_is_array(json_object_get(adv, "gates")))
		fail(sc, "advise: no \"gates\" array");
	else
		expect_gates(sc, adv);
	expect_next(sc, adv);
	expect_blocks(sc, adv, NULL, &g->own, 0, "own servers");
	for (int si = 0; si < ns; si++)
		expect_blocks(sc, adv, &sc->s[si], &g->sender[si],
		    sc->s[si].blocks, kind_name(sc->s[si].kind));
	expect_warnings(sc, g, adv);
	if (sc->cls == 5)
		expect_no_arc_fix(sc, adv);
}

/* --- sources --- */

static json_t *
senders_of(const struct scenario *sc, const json_t *src)
{
	json_t *doms = json_object_get(src, "domains"), *x;
	size_t i;

	if (!json_is_array(doms)) {
		fail(sc, "sources: no \"domains\" array");
		return NULL;
	}
	json_array_foreach(doms, i, x)
		if (str_is(x, "domain", sc->domain)) {
			json_t *s = json_object_get(x, "senders");

			if (!json_is_array(s))
				fail(sc, "sources: %s has no \"senders\" array",
				    sc->domain);
			return json_is_array(s) ? s : NULL;
		}
	fail(sc, "sources: no entry for domain %s", sc->domain);
	return NULL;
}

static long long
int_of(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* the keyed sender: one entry holding all its addresses, its counts */
static void
expect_keyed(const struct scenario *sc, const json_t *senders,
    const struct sender *s, const struct tally *t)
{
	const json_t *o = NULL;
	json_t *x;
	size_t i, missing = 0;
	const char *miss = NULL;

	json_array_foreach(senders, i, x)
		if (str_is(x, "sender", s->key))
			o = x;
	if (o == NULL) {
		fail(sc, "%s (%s): no sender with this key in sources", s->key,
		    kind_name(s->kind));
		return;
	}
	for (i = 0; i < t->n_ips; i++)
		if (!lists_ip(o, t->ips[i])) {
			missing++;
			miss = t->ips[i];
		}
	if (missing > 0)
		fail(sc, "%s (%s): ONE sender expected; %zu of its %zu "
		    "addresses are not in it (%s)", s->key, kind_name(s->kind),
		    missing, t->n_ips, miss);
	if (int_of(o, "messages") != t->messages)
		fail(sc, "%s (%s): %lld messages sent, sources says %lld",
		    s->key, kind_name(s->kind), t->messages,
		    int_of(o, "messages"));
	if (int_of(o, "n_addresses") != (long long)t->n_ips)
		fail(sc, "%s (%s): %zu addresses, sources says %lld", s->key,
		    kind_name(s->kind), t->n_ips, int_of(o, "n_addresses"));
	if (int_of(o, "days") != tally_days(t))
		fail(sc, "%s (%s): seen on %d days, sources says %lld",
		    s->key, kind_name(s->kind), tally_days(t),
		    int_of(o, "days"));
	if (!str_is(o, "population", s->sub != NULL ? "subdomain" :
	    "organizational"))
		fail(sc, "%s (%s): population %s expected, got %s", s->key,
		    kind_name(s->kind), s->sub != NULL ? "subdomain" :
		    "organizational", OR_NONE(str_of(o, "population")));
}

/* every sender holding one of t's addresses has class cls (and rule) */
static void
expect_class(const struct scenario *sc, const json_t *senders,
    const struct sender *s, const struct tally *t, const char *cls,
    const char *rule, const char *what)
{
	json_t *x;
	size_t i, n = 0;
	const char *name = label(s, what);

	json_array_foreach(senders, i, x) {
		if (!is_sender(x, s, t))
			continue;
		n++;
		if (!str_is(x, "class", cls))
			fail(sc, "%s (%s): class %s expected, sources says %s "
			    "(sender %s)", name, what, cls,
			    OR_NONE(str_of(x, "class")),
			    OR_NONE(str_of(x, "sender")));
		if (rule != NULL && !str_is(x, "rule", rule))
			fail(sc, "%s (%s): rule %s expected, sources says %s "
			    "(sender %s)", name, what, rule,
			    OR_NONE(str_of(x, "rule")),
			    OR_NONE(str_of(x, "sender")));
	}
	if (n == 0)
		fail(sc, "%s (%s): none of its %zu addresses is in sources",
		    name, what, t->n_ips);
}

static void
expect_sources(const struct scenario *sc, const struct gen *g,
    const json_t *src)
{
	json_t *senders = senders_of(sc, src);
	int ns = n_senders(sc);

	if (senders == NULL)
		return;
	expect_class(sc, senders, NULL, &g->own, "aligned", NULL,
	    "own servers");
	for (int si = 0; si < ns; si++) {
		const struct sender *s = &sc->s[si];

		if (s->key != NULL)
			expect_keyed(sc, senders, s, &g->sender[si]);
		expect_class(sc, senders, s, &g->sender[si], s->cls, s->rule,
		    kind_name(s->kind));
	}
}

/* --- reverse DNS --- */

static char *rig_dir;

static void
rig_stop(void)
{
	char cmd[600];

	if (rig_dir == NULL)
		return;
	test_dns_stop(rig_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rig_dir);
	run_ok(cmd);
	free(rig_dir);
	rig_dir = NULL;
}

/* a DNS rig naming the senders that have names, and a config file using
 * it; the config's path (malloc'd), or NULL when nobody has a name */
static char *
rig_config(const struct scenario *sc, const struct gen *g)
{
	struct buf hosts;
	struct err e;
	char conf[512], text[256], *path;
	unsigned port;
	bool is_any = false;

	buf_init(&hosts, 1u << 20);
	for (int si = 0; si < n_senders(sc); si++) {
		const struct sender *s = &sc->s[si];
		const struct tally *t = &g->sender[si];

		if (!s->has_rdns)
			continue;
		is_any = true;
		for (size_t i = 0; i < t->n_ips; i++)
			buf_addf(&hosts, &e, "%s out-%zu.%s\n", t->ips[i],
			    i + 1, s->rdns);
	}
	if (!is_any) {
		buf_release(&hosts);
		return NULL;
	}
	buf_addf(&hosts, &e, "192.0.2.10 mx1.%s\n192.0.2.11 mx2.%s\n",
	    sc->domain, sc->domain);
	rig_dir = test_tmpdir();
	port = test_dns_start(rig_dir, hosts.data);
	buf_release(&hosts);
	snprintf(conf, sizeof(conf), "%s/dmarcctl.conf", rig_dir);
	snprintf(text, sizeof(text), "[analysis]\ndns_server = 127.0.0.1:%u\n"
	    "dns_timeout = 1000\n", port);
	test_write_file(conf, text, strlen(text));
	path = xstrdup(conf);
	return path;
}

/* --- one scenario --- */

/* `dmarcctl [global] CMD opts` as JSON, checked by expect */
static void
query(const struct scenario *sc, const struct gen *g, const char *ci,
    const char *global, const char *cmd, const char *opts,
    void (*expect)(const struct scenario *, const struct gen *,
    const json_t *))
{
	const char *keep = getenv("SENDERS_KEEP");
	char args[1600], path[1024];
	json_t *j;

	snprintf(args, sizeof(args), "%s %s %s", global, cmd, opts);
	if ((j = dm_json(sc, ci, args)) != NULL)
		expect(sc, g, j);
	/* the answer beside the reports it judged */
	if (j != NULL && keep != NULL && *keep != '\0') {
		char *text = json_dumps(j, JSON_INDENT(1));

		snprintf(path, sizeof(path), "%s/%s/%s.json", keep, sc->name,
		    cmd);
		if (text != NULL)
			test_write_file(path, text, strlen(text));
		free(text);
	}
	json_decref(j);
}

static void
run_scenario(const struct scenario *sc)
{
	const char *only = getenv("SENDERS_SCENARIO");
	const char *keep = getenv("SENDERS_KEEP");
	char *ci, *dir, *conf, global[600] = "", opts[512], aopts[512];
	char cmd[1200];
	struct gen g;
	int n;

	if (only != NULL && *only != '\0' && strcmp(only, sc->name) != 0)
		return;
	gen_init(&g, sc);
	ci = test_db_migrated();
	dir = test_tmpdir();
	n = gen_write(&g, dir, (int64_t)time(NULL));
	ingest(sc, ci, dir, n);
	if (keep != NULL && *keep != '\0')
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && rm -rf '%s/%s' && "
		    "mv '%s' '%s/%s'", keep, keep, sc->name, dir, keep,
		    sc->name);
	else
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run_ok(cmd);
	free(dir);

	/* names from the DNS rig where a sender has them, else none */
	conf = rig_config(sc, &g);
	if (conf != NULL)
		snprintf(global, sizeof(global), "-c '%s'", conf);
	snprintf(opts, sizeof(opts), "--format json%s --days %d --domain %s",
	    conf != NULL ? "" : " --no-dns", window_of(sc), sc->domain);
	/* advise's own default window is 30 days */
	snprintf(aopts, sizeof(aopts), "--format json%s --domain %s",
	    conf != NULL ? "" : " --no-dns", sc->domain);
	free(conf);
	query(sc, &g, ci, global, "advise", sc->window < 0 ? aopts : opts,
	    expect_advise);
	query(sc, &g, ci, global, "sources", opts, expect_sources);
	gen_release(&g);
	test_db_drop(ci);
}

ParameterizedTestParameters(senders, scenario)
{
	static size_t idx[N_SCENARIOS];

	for (size_t i = 0; i < N_SCENARIOS; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, N_SCENARIOS);
}

ParameterizedTest(size_t *i, senders, scenario, .timeout = 300,
    .fini = rig_stop)
{
	run_scenario(&table[*i]);
}

/* the generator itself: the shares it was given are the shares it sent */
Test(senders, generator_is_deterministic)
{
	const struct scenario *sc = &table[0];
	char *d1 = test_tmpdir(), *d2 = test_tmpdir(), cmd[1200];
	struct gen g1, g2;
	int64_t now = 1764720000;	/* 2025-12-03 */

	gen_init(&g1, sc);
	gen_init(&g2, sc);
	cr_expect_eq(gen_write(&g1, d1, now), gen_write(&g2, d2, now));
	snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s' && rm -rf '%s' '%s'",
	    d1, d2, d1, d2);
	run_ok(cmd);
	cr_expect_eq(g1.sender[0].messages, g2.sender[0].messages);
	/* about 20 % of the mail from about 100 addresses */
	cr_expect(g1.sender[0].n_ips >= 95 && g1.sender[0].n_ips <= 100,
	    "%zu addresses", g1.sender[0].n_ips);
	{
		double share = (double)g1.sender[0].messages /
		    (double)(g1.sender[0].messages + g1.own.messages);

		cr_expect(share > 0.17 && share < 0.23, "share %.3f", share);
	}
	gen_release(&g1);
	gen_release(&g2);
	free(d1);
	free(d2);
}

/* --- the checks themselves, against the answer the table describes --- */

static json_t *
ip_array(const struct tally *t, bool is_objects)
{
	json_t *a = json_array();

	for (size_t i = 0; i < t->n_ips; i++)
		json_array_append_new(a, is_objects ? json_pack("{s:s}",
		    "source", t->ips[i]) : json_string(t->ips[i]));
	return a;
}

static json_t *
ideal_blocker(const struct sender *s, const struct tally *t)
{
	return json_pack("{s:s,s:s,s:o,s:s,s:s}", "sender", s->key != NULL ?
	    s->key : t->ips[0], "source", t->ips[0], "addresses",
	    ip_array(t, false), "class", s->cls, "fix", "sign with aligned "
	    "DKIM (d= your domain) at the provider");
}

static json_t *
ideal_advise(const struct scenario *sc, const struct gen *g)
{
	const char *next = strcmp(sc->verdict, "quarantine") == 0 ||
	    strcmp(sc->verdict, "reject") == 0 ? sc->verdict : sc->p;
	json_t *bp = json_array(), *bsp = json_array(), *warn = json_array();
	char rec[128];

	for (int si = 0; si < n_senders(sc); si++) {
		if (sc->s[si].blocks & IN_P)
			json_array_append_new(bp, ideal_blocker(&sc->s[si],
			    &g->sender[si]));
		if (sc->s[si].blocks & IN_SP)
			json_array_append_new(bsp, ideal_blocker(&sc->s[si],
			    &g->sender[si]));
	}
	if (sc->liar > 0)
		json_array_append_new(warn, json_pack("{s:s,s:s,s:I}", "kind",
		    "reporter-disagrees", "reporter", sc->liar_name,
		    "messages", (json_int_t)g->liar_disagrees));
	snprintf(rec, sizeof(rec), "v=DMARC1; p=%s%s%s", next,
	    sc->sp != NULL ? "; sp=" : "", sc->sp != NULL ? sc->sp : "");
	if (sc->next_has != NULL && strstr(rec, sc->next_has) == NULL)
		snprintf(rec + strlen(rec), sizeof(rec) - strlen(rec), "; %s",
		    sc->next_has);
	return json_pack("{s:s,s:s,s:O,s:[{s:s,s:s,s:s,s:s,s:O},"
	    "{s:s,s:s,s:s,s:s,s:o}],s:o}", "verdict", sc->verdict,
	    "next_record", rec, "blockers", bp, "gates",
	    "gate", "p", "population", "organizational", "policy", sc->p,
	    "verdict", sc->verdict, "blockers", bp,
	    "gate", "sp", "population", "subdomain", "policy",
	    sc->sp != NULL ? sc->sp : sc->p, "verdict", sc->sp_verdict != NULL ?
	    sc->sp_verdict : sc->verdict, "blockers", bsp, "warnings", warn);
}

static json_t *
ideal_sender(const struct sender *s, const struct tally *t, const char *key,
    const char *cls, const char *rule, bool is_sub)
{
	return json_pack("{s:s,s:s,s:s?,s:s,s:I,s:I,s:I,s:o}", "sender", key,
	    "class", cls, "rule", rule, "population", is_sub ? "subdomain" :
	    "organizational", "messages", (json_int_t)t->messages, "days",
	    (json_int_t)tally_days(t), "n_addresses", (json_int_t)t->n_ips,
	    "addresses", ip_array(t, true));
	(void)s;
}

static json_t *
ideal_sources(const struct scenario *sc, const struct gen *g)
{
	json_t *senders = json_array();

	json_array_append_new(senders, ideal_sender(NULL, &g->own, sc->domain,
	    "aligned", "aligned", false));
	for (int si = 0; si < n_senders(sc); si++) {
		const struct sender *s = &sc->s[si];
		const struct tally *t = &g->sender[si];

		if (s->key != NULL) {
			json_array_append_new(senders, ideal_sender(s, t,
			    s->key, s->cls, s->rule, s->sub != NULL));
			continue;
		}
		/* unkeyed: one sender an address */
		for (size_t i = 0; i < t->n_ips; i++) {
			struct tally one = { .messages = 1, .day_mask = 1,
				.ips = &t->ips[i], .n_ips = 1 };

			json_array_append_new(senders, ideal_sender(s, &one,
			    t->ips[i], s->cls, s->rule, s->sub != NULL));
		}
	}
	return json_pack("{s:[{s:s,s:o}]}", "domains", "domain", sc->domain,
	    "senders", senders);
}

Test(senders, checks_accept_the_answer_the_table_describes)
{
	for (size_t i = 0; i < N_SCENARIOS; i++) {
		const struct scenario *sc = &table[i];
		char *dir = test_tmpdir(), cmd[600];
		struct gen g;
		json_t *adv, *src;

		gen_init(&g, sc);
		gen_write(&g, dir, 1764720000);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		run_ok(cmd);
		free(dir);
		adv = ideal_advise(sc, &g);
		src = ideal_sources(sc, &g);
		cr_assert_not_null(adv, "%s", sc->name);
		cr_assert_not_null(src, "%s", sc->name);
		expect_advise(sc, &g, adv);
		expect_sources(sc, &g, src);
		json_decref(adv);
		json_decref(src);
		gen_release(&g);
	}
}
