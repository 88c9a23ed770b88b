#include "analyze/tls.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/text.h"
#include "common/count.h"
#include "common/xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define LINE(out, ...) \
	text_line(&(out)->lines, &(out)->n_lines, __VA_ARGS__)

/*
 * RFC 8460 section 4.3 result types: what they are, meaning and fix
 * ({mx}, {domain}).  A kind says which rule of verdict_tls reads it.
 */
enum tls_kind {
	TLS_OTHER,	/* counts in the rate only */
	TLS_BLOCKING,	/* STARTTLS, certificate, validation */
	TLS_DANE,	/* a DANE check */
	TLS_FETCH,	/* the MTA-STS policy could not be used */
};

struct tls_type {
	const char *type;
	enum tls_kind kind;
	const char *meaning;
	const char *fix;
};

static const struct tls_type tls_types[] = {
	{ "starttls-not-supported", TLS_BLOCKING,
	    "the MX did not offer STARTTLS, so mail went unencrypted",
	    "enable STARTTLS on {mx} and check that no firewall or "
	    "middlebox strips it from the EHLO reply" },
	{ "certificate-host-mismatch", TLS_BLOCKING,
	    "the certificate of the MX does not name the MX host",
	    "install a certificate on {mx} whose subjectAltName includes "
	    "{mx}, and make the mx: lines of the MTA-STS policy match the "
	    "MX names" },
	{ "certificate-expired", TLS_BLOCKING,
	    "the certificate of the MX has expired",
	    "renew the certificate of {mx} and automate renewal (an ACME "
	    "client, for example)" },
	{ "certificate-not-trusted", TLS_BLOCKING,
	    "the certificate of the MX does not chain to a trusted CA "
	    "(self-signed, or an intermediate is missing)",
	    "install a certificate for {mx} from a public CA and serve the "
	    "full chain, intermediates included" },
	{ "validation-failure", TLS_BLOCKING,
	    "TLS validation failed for another reason (see the "
	    "failure-reason-code of the reports)",
	    "check the TLS setup of {mx} (protocol versions, ciphers, "
	    "certificate chain) against the failure-reason-code in the "
	    "reports" },
	{ "tlsa-invalid", TLS_DANE,
	    "DANE: no TLSA record matched the certificate of the MX",
	    "update the TLSA records at _25._tcp.{mx} to match the current "
	    "certificate or key, and publish the next key's TLSA record "
	    "before rolling it" },
	{ "dnssec-invalid", TLS_DANE,
	    "DANE: DNSSEC validation of the MX or TLSA records failed",
	    "repair DNSSEC for the zone of {mx} (signatures, DS records at "
	    "the parent) so its TLSA records validate" },
	{ "dane-required", TLS_DANE,
	    "the sender requires DANE but found no usable TLSA records",
	    "publish DNSSEC-signed TLSA records at _25._tcp.{mx}" },
	{ "sts-policy-fetch-error", TLS_FETCH,
	    "the MTA-STS policy could not be fetched",
	    "make https://mta-sts.{domain}/.well-known/mta-sts.txt "
	    "reachable with a valid certificate (HTTP 200, no redirect)" },
	{ "sts-policy-invalid", TLS_FETCH,
	    "the MTA-STS policy was fetched but is not valid",
	    "fix https://mta-sts.{domain}/.well-known/mta-sts.txt: "
	    "text/plain with version: STSv1, mode, one mx: line per MX and "
	    "max_age" },
	{ "sts-webpki-invalid", TLS_FETCH,
	    "the certificate of the MTA-STS policy host is not valid",
	    "install a valid, publicly trusted certificate for "
	    "mta-sts.{domain}" },
};

static const struct tls_type tls_unknown = {
	NULL, TLS_OTHER,
	"a result type dmarcctl does not know",
	"see the failure-reason-code and additional-information of the "
	"reports for {mx}",
};

static const struct tls_type *
tls_type_of(const char *result_type)
{
	if (result_type != NULL)
		for (size_t i = 0; i < NELEM(tls_types); i++)
			if (text_is_word(result_type, tls_types[i].type))
				return &tls_types[i];
	return &tls_unknown;
}

const char *
verdict_tls_meaning(const char *result_type)
{
	return tls_type_of(result_type)->meaning;
}

bool
verdict_tls_is_blocking(const char *result_type)
{
	enum tls_kind k = tls_type_of(result_type)->kind;

	return k == TLS_BLOCKING || k == TLS_DANE;
}

bool
verdict_tls_is_dane(const char *result_type)
{
	return tls_type_of(result_type)->kind == TLS_DANE;
}

bool
verdict_tls_is_policy_fetch(const char *result_type)
{
	return tls_type_of(result_type)->kind == TLS_FETCH;
}

/* a template with {mx} and {domain} filled in, appended to out */
static void
fill(const char *p, const char *domain, const char *mx, char *out,
    size_t size)
{
	while (*p != '\0') {
		if (strncmp(p, "{mx}", 4) == 0) {
			text_append(out, size, "%s", text_or(mx, "the MX"));
			p += 4;
		} else if (strncmp(p, "{domain}", 8) == 0) {
			text_append(out, size, "%s",
			    text_or(domain, "<domain>"));
			p += 8;
		} else {
			text_append(out, size, "%c", *p++);
		}
	}
}

char *
verdict_tls_fix(const char *result_type, const char *domain, const char *mx,
    char *out, size_t size)
{
	assert(out != NULL && size > 0);
	out[0] = '\0';
	fill(tls_type_of(result_type)->fix, domain, mx, out, size);
	return out;
}

/* ---- the verdict ---- */

/* what verdict_tls concludes of one MX and result type */
enum tls_rule {
	RULE_DANE,		/* its own urgent list */
	RULE_FETCH,		/* a warning: the policy host */
	RULE_REPAIRED,		/* evidence of repair: a line */
	RULE_RETIRED,		/* its MX left the policy: a line */
	RULE_REAL,		/* a blocker */
	RULE_ISOLATED,		/* a warning: noise until it recurs */
	RULE_OTHER,		/* blocks only with too high a rate */
};

/*
 * The rows of one MX and result type (case aside), DANE ones apart from
 * the others.  Reporters and days are the largest of the rows': distinct
 * counts do not add up, so they are a lower bound.
 */
struct tls_group {
	const char *mx, *type;
	bool is_dane;
	int64_t sessions;
	int64_t counted;	/* of them, outside tlsa policies */
	int reporters, days;
	const char *last_seen;
	const char *repaired_on;	/* the latest of the rows' */
	bool is_repaired;		/* every row is */
	const struct tls_live_mx *probe;	/* its MX probed now, or
						 * NULL */
	const char *retired_on;		/* likewise */
	bool is_retired;
	enum tls_rule rule;
};

static bool
row_is_dane(const struct tls_result_stats *r)
{
	return text_is_word(r->policy_type, "tlsa") ||
	    verdict_tls_is_dane(r->result_type);
}

/* sorting rows into groups: an index with the group key */
struct tls_key {
	bool is_dane;
	const char *mx, *type;
	size_t at;
};

static int
tls_key_cmp(const void *pa, const void *pb)
{
	const struct tls_key *a = pa, *b = pb;
	int c;

	if (a->is_dane != b->is_dane)
		return a->is_dane ? 1 : -1;
	if ((c = strcasecmp(a->mx, b->mx)) != 0 ||
	    (c = strcasecmp(a->type, b->type)) != 0)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

/* the later of two days (YYYY-MM-DD compares as text); NULL is none */
static const char *
later(const char *a, const char *b)
{
	if (a == NULL || *a == '\0')
		return b;
	if (b == NULL || *b == '\0')
		return a;
	return strcmp(a, b) >= 0 ? a : b;
}

static void
group_add(struct tls_group *g, const struct tls_result_stats *r)
{
	g->sessions = count_add(g->sessions, r->sessions);
	if (!text_is_word(r->policy_type, "tlsa"))
		g->counted = count_add(g->counted, r->sessions);
	g->reporters = r->reporters > g->reporters ? r->reporters :
	    g->reporters;
	g->days = r->days > g->days ? r->days : g->days;
	g->last_seen = later(g->last_seen, r->last_seen);
	if (r->repaired_on == NULL || *r->repaired_on == '\0')
		g->is_repaired = false;
	else
		g->repaired_on = later(g->repaired_on, r->repaired_on);
	if (r->retired_on == NULL || *r->retired_on == '\0')
		g->is_retired = false;
	else
		g->retired_on = later(g->retired_on, r->retired_on);
}

/*
 * The groups of the results, *n of them (the caller frees the array).
 * The rows are sorted to find the rows of one group, not compared
 * pairwise: a reporter may name a hundred thousand MX hosts.
 */
static struct tls_group *
tls_groups(const struct verdict_tls_input *in, size_t *n)
{
	struct tls_key *k = xcalloc(in->n_results + 1, sizeof(*k));
	struct tls_group *g = xcalloc(in->n_results + 1, sizeof(*g));
	size_t nk = 0, ng = 0;

	for (size_t i = 0; i < in->n_results; i++) {
		const struct tls_result_stats *r = &in->results[i];

		if (r->sessions > 0)
			k[nk++] = (struct tls_key){ row_is_dane(r),
				text_or(r->mx, ""),
				text_or(r->result_type, ""), i };
	}
	qsort(k, nk, sizeof(*k), tls_key_cmp);
	for (size_t i = 0; i < nk; i++) {
		if (i == 0 || tls_key_cmp(&(struct tls_key){ k[i - 1].is_dane,
		    k[i - 1].mx, k[i - 1].type, 0 }, &(struct tls_key){
		    k[i].is_dane, k[i].mx, k[i].type, 0 }) != 0)
			g[ng++] = (struct tls_group){ .mx = k[i].mx,
				.type = k[i].type, .is_dane = k[i].is_dane,
				.is_repaired = true, .is_retired = true };
		group_add(&g[ng - 1], &in->results[k[i].at]);
	}
	free(k);
	*n = ng;
	return g;
}

/* sessions and failures of every policy type but tlsa */
static void
tls_counted(const struct verdict_tls_input *in, int64_t *sessions,
    int64_t *failures)
{
	*sessions = in->sessions;
	*failures = in->failures;
	if (in->n_types == 0)
		return;
	*sessions = *failures = 0;
	for (size_t i = 0; i < in->n_types; i++) {
		if (text_is_word(in->types[i].policy_type, "tlsa"))
			continue;
		*sessions = count_add(*sessions, in->types[i].sessions);
		*failures = count_add(*failures, in->types[i].failures);
	}
}

static bool
is_real(const struct tls_group *g, int64_t sessions,
    const struct verdict_thresholds *th)
{
	return g->sessions >= th->tls_min_failure_sessions ||
	    g->reporters >= th->tls_min_failure_reporters ||
	    g->days >= th->tls_min_failure_days ||
	    count_ratio(g->sessions, sessions) > th->tls_failure_rate;
}

/* Whether what a result type names is fine at a probed MX now. */
static bool
probe_says_fixed(const char *type, const struct tls_live_mx *m)
{
	static const struct {
		const char *type;
		bool need_trust, need_name, need_time;
	} aspects[] = {
		{ "starttls-not-supported", false, false, false },
		{ "certificate-host-mismatch", false, true, false },
		{ "certificate-expired", false, false, true },
		{ "certificate-not-trusted", true, false, false },
		{ "validation-failure", true, true, true },
	};

	if (!m->is_starttls)
		return false;
	for (size_t i = 0; i < sizeof(aspects) / sizeof(aspects[0]); i++)
		if (text_is_word(type, aspects[i].type))
			return (!aspects[i].need_trust || m->is_trusted) &&
			    (!aspects[i].need_name || m->is_name_ok) &&
			    (!aspects[i].need_time || !m->is_expired);
	return m->is_trusted && m->is_name_ok && !m->is_expired;
}

static const struct tls_live_mx *
probe_of(const struct verdict_tls_input *in, const char *mx)
{
	size_t n = strlen(mx);

	if (n > 0 && mx[n - 1] == '.')
		n--;
	for (size_t i = 0; i < in->n_live_mx; i++)
		if (in->live_mx[i].has_probe &&
		    strlen(in->live_mx[i].host) == n &&
		    strncasecmp(in->live_mx[i].host, mx, n) == 0)
			return &in->live_mx[i];
	return NULL;
}

static enum tls_rule
rule_of(const struct tls_group *g, int64_t sessions,
    const struct verdict_thresholds *th)
{
	if (g->is_dane)
		return RULE_DANE;
	switch (tls_type_of(g->type)->kind) {
	case TLS_FETCH:
		return RULE_FETCH;
	case TLS_BLOCKING:
		if (g->probe != NULL)
			return probe_says_fixed(g->type, g->probe) ?
			    RULE_REPAIRED : RULE_REAL;
		if (g->is_repaired)
			return RULE_REPAIRED;
		if (g->is_retired)
			return RULE_RETIRED;
		return is_real(g, sessions, th) ? RULE_REAL : RULE_ISOLATED;
	case TLS_DANE:
	case TLS_OTHER:
		break;
	}
	if (g->is_repaired)
		return RULE_REPAIRED;
	return g->is_retired ? RULE_RETIRED : RULE_OTHER;
}

static struct verdict_tls_blocker *
new_blocker(struct verdict_tls_blocker **list, size_t *n,
    const struct tls_group *g)
{
	struct verdict_tls_blocker *b;

	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	b = &(*list)[(*n)++];
	memset(b, 0, sizeof(*b));
	text_fixed(b->mx, sizeof(b->mx), "%s", g->mx);
	text_fixed(b->result_type, sizeof(b->result_type), "%s", g->type);
	b->sessions = g->sessions;
	b->reporters = g->reporters;
	b->days = g->days;
	text_fixed(b->last_seen, sizeof(b->last_seen), "%s",
	    text_or(g->last_seen, ""));
	return b;
}

static struct verdict_tls_warning *
new_warning(struct verdict_tls_advice *out, const struct tls_group *g)
{
	struct verdict_tls_warning *w;

	out->warnings = xreallocarray(out->warnings, out->n_warnings + 1,
	    sizeof(*out->warnings));
	w = &out->warnings[out->n_warnings++];
	memset(w, 0, sizeof(*w));
	text_fixed(w->mx, sizeof(w->mx), "%s", g->mx);
	text_fixed(w->result_type, sizeof(w->result_type), "%s", g->type);
	w->sessions = g->sessions;
	return w;
}

/* a DANE problem: the type's own fix, or for a certificate or other
 * failure a DANE sender saw, the TLSA records to check */
static void
add_dane(const struct verdict_tls_input *in, const struct tls_group *g,
    struct verdict_tls_advice *out)
{
	struct verdict_tls_blocker *b = new_blocker(&out->dane, &out->n_dane,
	    g);

	if (verdict_tls_is_dane(g->type)) {
		fill(tls_type_of(g->type)->fix, in->domain, *g->mx ? g->mx :
		    NULL, b->fix, sizeof(b->fix));
		return;
	}
	fill("DANE senders do not deliver to {mx} while it fails: make the "
	    "TLSA records at _25._tcp.{mx} match the certificate {mx} "
	    "serves, then ", in->domain, *g->mx ? g->mx : NULL, b->fix,
	    sizeof(b->fix));
	fill(tls_type_of(g->type)->fix, in->domain, *g->mx ? g->mx : NULL,
	    b->fix, sizeof(b->fix));
}

static void
add_fetch(const struct verdict_tls_input *in, const struct tls_group *g,
    struct verdict_tls_advice *out)
{
	struct verdict_tls_warning *w = new_warning(out, g);

	text_append(w->reason, sizeof(w->reason), "not a failed delivery: "
	    "senders that could not use the MTA-STS policy went on without "
	    "one (RFC 8461); the policy host is broken: ");
	fill(tls_type_of(g->type)->fix, in->domain, NULL, w->reason,
	    sizeof(w->reason));
}

static void
add_isolated(const struct tls_group *g, const struct verdict_thresholds *th,
    struct verdict_tls_advice *out)
{
	struct verdict_tls_warning *w = new_warning(out, g);

	text_fixed(w->reason, sizeof(w->reason), "isolated: %" PRId64
	    " session%s from %d reporter%s on %d day%s; it blocks enforce "
	    "once it recurs (%" PRId64 " sessions, %d reporters or %d days)",
	    g->sessions, g->sessions == 1 ? "" : "s", g->reporters,
	    g->reporters == 1 ? "" : "s", g->days, g->days == 1 ? "" : "s",
	    th->tls_min_failure_sessions, th->tls_min_failure_reporters,
	    th->tls_min_failure_days);
}

static void
add_blocker(const struct verdict_tls_input *in, const struct tls_group *g,
    struct verdict_tls_advice *out)
{
	struct verdict_tls_blocker *b = new_blocker(&out->blockers,
	    &out->n_blockers, g);

	verdict_tls_fix(g->type, in->domain, *g->mx ? g->mx : NULL, b->fix,
	    sizeof(b->fix));
}

/* what the probe found still broken, in the last blocker's fix */
static void
add_probe_fact(const struct tls_group *g, struct verdict_tls_advice *out)
{
	struct verdict_tls_blocker *b = &out->blockers[out->n_blockers - 1];
	const struct tls_live_mx *m = g->probe;
	char fact[160];

	if (!m->is_starttls)
		text_fixed(fact, sizeof(fact), "still failing now: the probe "
		    "gets no TLS from %s; ", m->host);
	else if (m->is_expired)
		text_fixed(fact, sizeof(fact), "still expired now: %d day%s "
		    "since; ", -m->days_left, m->days_left == -1 ? "" : "s");
	else
		text_fixed(fact, sizeof(fact), "still failing now: the "
		    "certificate is %s%s; ", m->is_trusted ? "trusted" :
		    "not trusted", m->is_name_ok ? "" : " and does not name "
		    "the MX");
	memmove(b->fix + strlen(fact), b->fix,
	    strnlen(b->fix, sizeof(b->fix) - strlen(fact) - 1) + 1);
	b->fix[sizeof(b->fix) - 1] = '\0';
	memcpy(b->fix, fact, strlen(fact));
}

/* An MX the live policy does not name: senders that honour it would not
 * deliver there under enforce.  Returns how many. */
static size_t
add_uncovered(const struct verdict_tls_input *in,
    struct verdict_tls_advice *out)
{
	size_t n = 0;

	if (!text_is_word(in->live_mode, "testing") &&
	    !text_is_word(in->live_mode, "enforce"))
		return 0;
	for (size_t i = 0; i < in->n_live_mx; i++) {
		const struct tls_live_mx *m = &in->live_mx[i];
		struct tls_group g = { .mx = m->host,
			.type = "mx-not-in-policy" };
		struct verdict_tls_blocker *b;

		if (m->is_covered)
			continue;
		b = new_blocker(&out->blockers, &out->n_blockers, &g);
		text_fixed(b->fix, sizeof(b->fix), "add \"mx: %s\" to "
		    "https://mta-sts.%s/.well-known/mta-sts.txt and change the "
		    "id= of _mta-sts.%s: the policy does not name this MX, so "
		    "senders that honour it would not deliver to it", m->host,
		    text_or(in->domain, "<domain>"),
		    text_or(in->domain, "<domain>"));
		n++;
	}
	return n;
}

/* what each group is; returns the sessions the rate leaves out */
static int64_t
tls_judge(const struct verdict_tls_input *in, struct tls_group *g, size_t n,
    int64_t sessions, const struct verdict_thresholds *th)
{
	int64_t left_out = 0;

	for (size_t i = 0; i < n; i++) {
		g[i].probe = g[i].is_dane ? NULL : probe_of(in, g[i].mx);
		g[i].rule = rule_of(&g[i], sessions, th);
		if (g[i].rule == RULE_DANE || g[i].rule == RULE_FETCH ||
		    g[i].rule == RULE_REPAIRED || g[i].rule == RULE_RETIRED)
			left_out = count_add(left_out, g[i].counted);
	}
	return left_out;
}

/* the lists and lines of the groups; returns the sessions of real
 * blocking failures */
static int64_t
tls_report(const struct verdict_tls_input *in, const struct tls_group *g,
    size_t n, bool is_rate_ok, const struct verdict_thresholds *th,
    struct verdict_tls_advice *out)
{
	int64_t real = 0;

	for (size_t i = 0; i < n; i++) {
		switch (g[i].rule) {
		case RULE_DANE:
			add_dane(in, &g[i], out);
			break;
		case RULE_FETCH:
			add_fetch(in, &g[i], out);
			break;
		case RULE_REPAIRED:
			if (g[i].probe != NULL) {
				LINE(out, "repaired: %s at %s, last seen %s: "
				    "the probe finds it fixed now (STARTTLS, "
				    "a trusted certificate naming the MX, "
				    "valid %d more days)", g[i].type, g[i].mx,
				    text_or(g[i].last_seen, "?"),
				    g[i].probe->days_left);
				break;
			}
			LINE(out, "repaired: %s at %s, last seen %s: a "
			    "reporter that saw it sent failure-free reports "
			    "for a policy naming only that MX on %s",
			    g[i].type, text_or(g[i].mx, "(no MX named)"),
			    text_or(g[i].last_seen, "?"), g[i].repaired_on);
			break;
		case RULE_RETIRED:
			LINE(out, "left the policy: %s at %s, last seen %s: a "
			    "reporter that saw it sent failure-free reports "
			    "for a policy without that MX on %s", g[i].type,
			    g[i].mx, text_or(g[i].last_seen, "?"),
			    g[i].retired_on);
			break;
		case RULE_ISOLATED:
			add_isolated(&g[i], th, out);
			break;
		case RULE_REAL:
			real = count_add(real, g[i].sessions);
			add_blocker(in, &g[i], out);
			if (g[i].probe != NULL)
				add_probe_fact(&g[i], out);
			break;
		case RULE_OTHER:
			if (!is_rate_ok)
				add_blocker(in, &g[i], out);
			break;
		}
	}
	return real;
}

static int
blocker_cmp(const void *a, const void *b)
{
	const struct verdict_tls_blocker *x = a, *y = b;
	int c;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if ((c = strcmp(x->mx, y->mx)) != 0)
		return c;
	return strcmp(x->result_type, y->result_type);
}

static int
warning_cmp(const void *a, const void *b)
{
	const struct verdict_tls_warning *x = a, *y = b;
	int c;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if ((c = strcmp(x->mx, y->mx)) != 0)
		return c;
	return strcmp(x->result_type, y->result_type);
}

static bool
tls_enough_data(const struct verdict_tls_input *in,
    const struct verdict_thresholds *th, struct verdict_tls_advice *out)
{
	bool days = in->days >= th->tls_min_days;
	bool reporters = in->reporters >= th->tls_min_reporters;
	bool sessions = in->sessions > 0;

	LINE(out, "%s: %d days with reports (need at least %d)",
	    text_ok(days), in->days, th->tls_min_days);
	LINE(out, "%s: %d reporters (need at least %d)", text_ok(reporters),
	    in->reporters, th->tls_min_reporters);
	LINE(out, "%s: %" PRId64 " sessions reported (need some)",
	    text_ok(sessions), in->sessions);
	return days && reporters && sessions;
}

static enum verdict_word
tls_decide(const struct verdict_tls_input *in, bool is_healthy,
    struct verdict_tls_advice *out)
{
	const char *d = text_or(in->domain, "<domain>");

	if (text_is_word(in->mode, "testing")) {
		if (!is_healthy) {
			LINE(out, "stay at mode: testing: mail to a failing "
			    "MX is delivered without validated TLS now; "
			    "under enforce it would not be delivered");
			return VERDICT_STAY;
		}
		LINE(out, "next: set mode: enforce in https://mta-sts.%s/"
		    ".well-known/mta-sts.txt and change the id= of the "
		    "_mta-sts.%s TXT record so senders fetch it again", d, d);
		return VERDICT_ENFORCE;
	}
	if (text_is_word(in->mode, "enforce")) {
		if (is_healthy) {
			LINE(out, "mode: enforce is published and TLS to every "
			    "MX validates: nothing to do");
			return VERDICT_DONE;
		}
		LINE(out, "warning: mode: enforce is published: senders that "
		    "honour MTA-STS delay or bounce mail to the failing MX");
		return VERDICT_STAY;
	}
	LINE(out, "no MTA-STS policy in testing mode was seen (mode: %s): "
	    "publish one with mode: testing before enforce",
	    text_or(in->mode, "none"));
	return VERDICT_STAY;
}

static void
tls_sort(struct verdict_tls_advice *out)
{
	if (out->n_blockers > 1)
		qsort(out->blockers, out->n_blockers, sizeof(*out->blockers),
		    blocker_cmp);
	if (out->n_dane > 1)
		qsort(out->dane, out->n_dane, sizeof(*out->dane), blocker_cmp);
	if (out->n_warnings > 1)
		qsort(out->warnings, out->n_warnings, sizeof(*out->warnings),
		    warning_cmp);
}

void
verdict_tls(const struct verdict_tls_input *in,
    const struct verdict_thresholds *th, struct verdict_tls_advice *out)
{
	struct verdict_tls_input live;
	struct tls_group *g;
	size_t n, uncovered;
	bool is_enough, is_rate_ok;
	int64_t failures, real;

	assert(in != NULL && th != NULL && out != NULL);
	/* the mode published now beats the mode the reports saw */
	live = *in;
	in = &live;
	memset(out, 0, sizeof(*out));
	if (live.live_mode != NULL && live.mode != NULL &&
	    !text_is_word(live.mode, live.live_mode))
		LINE(out, "the MTA-STS policy published now says mode: %s; "
		    "the reports saw %s (they lag: senders cache the policy "
		    "for max_age)", live.live_mode, live.mode);
	if (live.live_mode != NULL)
		live.mode = live.live_mode;
	out->mode = live.mode;
	is_enough = tls_enough_data(in, th, out);
	tls_counted(in, &out->counted_sessions, &failures);
	g = tls_groups(in, &n);
	failures -= tls_judge(in, g, n, out->counted_sessions, th);
	out->counted_failures = count_clamp(failures, out->counted_sessions);
	out->failure_rate = count_ratio(out->counted_failures,
	    out->counted_sessions);
	is_rate_ok = out->failure_rate <= th->tls_failure_rate;
	real = tls_report(in, g, n, is_rate_ok, th, out);
	uncovered = add_uncovered(in, out);
	free(g);
	tls_sort(out);
	if (out->n_dane > 0)
		LINE(out, "urgent: %zu DANE failure%s: DANE senders do not "
		    "deliver to an MX that fails its TLSA check, whatever "
		    "the MTA-STS mode", out->n_dane,
		    out->n_dane == 1 ? "" : "s");
	if (!is_enough) {
		out->verdict = VERDICT_INSUFFICIENT_DATA;
		return;
	}
	/* the rate as `tls` prints it elsewhere: three decimals of percent,
	 * so that a rate just above the limit does not read as the limit */
	LINE(out, "%s: %.3f%% of the %" PRId64 " sessions judged failed (at "
	    "most %g%%; policy fetch problems, DANE, repaired and retired "
	    "failures left out)", text_ok(is_rate_ok), 100.0 * out->failure_rate,
	    out->counted_sessions, 100.0 * th->tls_failure_rate);
	LINE(out, "%s: %" PRId64 " sessions with real STARTTLS, certificate "
	    "or validation failures and no evidence of repair (need none)",
	    text_ok(real == 0), real);
	if (in->live_mode != NULL)
		LINE(out, "%s: %zu MX host%s not named by the MTA-STS policy "
		    "published now (need none)", text_ok(uncovered == 0),
		    uncovered, uncovered == 1 ? "" : "s");
	out->verdict = tls_decide(in, is_rate_ok && real == 0 &&
	    uncovered == 0, out);
}

void
verdict_tls_advice_free(struct verdict_tls_advice *a)
{
	if (a == NULL)
		return;
	free(a->blockers);
	free(a->warnings);
	free(a->dane);
	text_lines_free(a->lines, a->n_lines);
	memset(a, 0, sizeof(*a));
}
