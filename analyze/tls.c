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

/* RFC 8460 section 4.3 result types: meaning and fix ({mx}, {domain}). */
struct tls_type {
	const char *type;
	bool is_blocking;
	const char *meaning;
	const char *fix;
};

static const struct tls_type tls_types[] = {
	{ "starttls-not-supported", true,
	    "the MX did not offer STARTTLS, so mail went unencrypted",
	    "enable STARTTLS on {mx} and check that no firewall or "
	    "middlebox strips it from the EHLO reply" },
	{ "certificate-host-mismatch", true,
	    "the certificate of the MX does not name the MX host",
	    "install a certificate on {mx} whose subjectAltName includes "
	    "{mx}, and make the mx: lines of the MTA-STS policy match the "
	    "MX names" },
	{ "certificate-expired", true,
	    "the certificate of the MX has expired",
	    "renew the certificate of {mx} and automate renewal (an ACME "
	    "client, for example)" },
	{ "certificate-not-trusted", true,
	    "the certificate of the MX does not chain to a trusted CA "
	    "(self-signed, or an intermediate is missing)",
	    "install a certificate for {mx} from a public CA and serve the "
	    "full chain, intermediates included" },
	{ "validation-failure", true,
	    "TLS validation failed for another reason (see the "
	    "failure-reason-code of the reports)",
	    "check the TLS setup of {mx} (protocol versions, ciphers, "
	    "certificate chain) against the failure-reason-code in the "
	    "reports" },
	{ "tlsa-invalid", true,
	    "DANE: no TLSA record matched the certificate of the MX",
	    "update the TLSA records at _25._tcp.{mx} to match the current "
	    "certificate or key, and publish the next key's TLSA record "
	    "before rolling it" },
	{ "dnssec-invalid", true,
	    "DANE: DNSSEC validation of the MX or TLSA records failed",
	    "repair DNSSEC for the zone of {mx} (signatures, DS records at "
	    "the parent) so its TLSA records validate" },
	{ "dane-required", true,
	    "the sender requires DANE but found no usable TLSA records",
	    "publish DNSSEC-signed TLSA records at _25._tcp.{mx}" },
	{ "sts-policy-fetch-error", false,
	    "the MTA-STS policy could not be fetched",
	    "make https://mta-sts.{domain}/.well-known/mta-sts.txt "
	    "reachable with a valid certificate (HTTP 200, no redirect)" },
	{ "sts-policy-invalid", false,
	    "the MTA-STS policy was fetched but is not valid",
	    "fix https://mta-sts.{domain}/.well-known/mta-sts.txt: "
	    "text/plain with version: STSv1, mode, one mx: line per MX and "
	    "max_age" },
	{ "sts-webpki-invalid", false,
	    "the certificate of the MTA-STS policy host is not valid",
	    "install a valid, publicly trusted certificate for "
	    "mta-sts.{domain}" },
};

static const struct tls_type tls_unknown = {
	NULL, false,
	"a result type dmarcctl does not know",
	"see the failure-reason-code and additional-information of the "
	"reports for {mx}",
};

/* Rates divide (correctly rounded) so that 98 of 100 equals 0.98. */
static double
ratio(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0.0;
}

static int64_t
clamp(int64_t v, int64_t hi)
{
	return v < 0 ? 0 : v > hi ? hi : v;
}

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
	return tls_type_of(result_type)->is_blocking;
}

char *
verdict_tls_fix(const char *result_type, const char *domain, const char *mx,
    char *out, size_t size)
{
	const char *p = tls_type_of(result_type)->fix;

	assert(out != NULL && size > 0);
	out[0] = '\0';
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
	return out;
}

/* a result that blocks, with where it came (the first one of its MX and
 * type names the blocker) */
struct tls_candidate {
	const char *mx, *type;
	size_t at;
};

static int
tls_candidate_cmp(const void *pa, const void *pb)
{
	const struct tls_candidate *a = pa, *b = pb;
	int c;

	if ((c = strcasecmp(a->mx, b->mx)) != 0 ||
	    (c = strcasecmp(a->type, b->type)) != 0)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

static void
tls_block(const struct verdict_tls_input *in, const struct tls_result_stats *r,
    struct verdict_tls_advice *out)
{
	const char *mx = text_or(r->mx, "");
	const char *type = text_or(r->result_type, "");
	/* tls_collect made room */
	struct verdict_tls_blocker *b = &out->blockers[out->n_blockers++];

	memset(b, 0, sizeof(*b));
	text_fixed(b->mx, sizeof(b->mx), "%s", mx);
	text_fixed(b->result_type, sizeof(b->result_type), "%s", type);
	b->sessions = r->sessions;
	verdict_tls_fix(type, in->domain, r->mx, b->fix, sizeof(b->fix));
}

/*
 * Name the blockers, one per MX and result type (case aside); returns the
 * sessions of recent blocking failures.  The results are sorted to find
 * the rows of one blocker, not compared pairwise: a reporter may name a
 * hundred thousand MX hosts.
 */
static int64_t
tls_collect(const struct verdict_tls_input *in, bool is_rate_ok,
    struct verdict_tls_advice *out)
{
	struct tls_candidate *c = xcalloc(in->n_results + 1, sizeof(*c));
	int64_t hard = 0;
	size_t n = 0;

	for (size_t i = 0; i < in->n_results; i++) {
		const struct tls_result_stats *r = &in->results[i];
		bool is_hard = r->is_recent &&
		    verdict_tls_is_blocking(r->result_type);

		if (r->sessions <= 0)
			continue;
		hard = count_add(hard, is_hard ? r->sessions : 0);
		if (is_hard || !is_rate_ok)
			c[n++] = (struct tls_candidate){ text_or(r->mx, ""),
				text_or(r->result_type, ""), i };
	}
	qsort(c, n, sizeof(*c), tls_candidate_cmp);
	out->blockers = xreallocarray(out->blockers, n + 1,
	    sizeof(*out->blockers));
	for (size_t i = 0; i < n; i++) {
		const struct tls_result_stats *r = &in->results[c[i].at];

		if (i > 0 && strcasecmp(c[i - 1].mx, c[i].mx) == 0 &&
		    strcasecmp(c[i - 1].type, c[i].type) == 0) {
			struct verdict_tls_blocker *b =
			    &out->blockers[out->n_blockers - 1];

			b->sessions = count_add(b->sessions, r->sessions);
			continue;
		}
		tls_block(in, r, out);
	}
	free(c);
	return hard;
}

static int
tls_blocker_cmp(const void *a, const void *b)
{
	const struct verdict_tls_blocker *x = a, *y = b;
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

	LINE(out, "%s: %d days with reports (need at least %d)", text_ok(days),
	    in->days, th->tls_min_days);
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

void
verdict_tls(const struct verdict_tls_input *in,
    const struct verdict_thresholds *th, struct verdict_tls_advice *out)
{
	bool is_rate_ok;
	int64_t hard;

	assert(in != NULL && th != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	out->failure_rate = ratio(clamp(in->failures, in->sessions),
	    in->sessions);
	if (!tls_enough_data(in, th, out)) {
		out->verdict = VERDICT_INSUFFICIENT_DATA;
		return;
	}
	is_rate_ok = out->failure_rate <= th->tls_failure_rate;
	hard = tls_collect(in, is_rate_ok, out);
	LINE(out, "%s: %.3f%% of %" PRId64 " sessions failed (at most "
	    "%.3f%%)", text_ok(is_rate_ok), 100.0 * out->failure_rate,
	    in->sessions, 100.0 * th->tls_failure_rate);
	LINE(out, "%s: %" PRId64 " sessions with STARTTLS, certificate, "
	    "validation or DANE failures in the last %d days (need none)",
	    text_ok(hard == 0), hard, th->tls_recent_days);
	out->verdict = tls_decide(in, is_rate_ok && hard == 0, out);
	if (out->n_blockers > 1)
		qsort(out->blockers, out->n_blockers, sizeof(*out->blockers),
		    tls_blocker_cmp);
}

void
verdict_tls_advice_free(struct verdict_tls_advice *a)
{
	if (a == NULL)
		return;
	free(a->blockers);
	text_lines_free(a->lines, a->n_lines);
	memset(a, 0, sizeof(*a));
}
