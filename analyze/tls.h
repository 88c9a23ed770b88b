/*
 * tls: the MTA-STS verdict of `dmarcctl tls`, as pure functions: whether
 * a policy domain whose MTA-STS policy is in testing mode is ready for
 * enforce, what blocks it and how to fix each RFC 8460 result type.
 *
 * The numbers are the tls_* fields of struct verdict_thresholds
 * (analyze/verdict.h) and the verdict words are those of verdict_name().
 * Input strings are borrowed for the duration of a call and may be NULL
 * where a comment says so; struct verdict_tls_advice owns its arrays and
 * texts and is released with verdict_tls_advice_free().  Nothing here can
 * fail except by running out of memory, which aborts (xalloc).
 */
#ifndef DMARC_ANALYZE_TLS_H
#define DMARC_ANALYZE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/verdict.h"

/*
 * The failures of one result type at one MX under tlsa policies, or
 * under the others, over the window the verdict judges (the rows of
 * tls_daily_failures summed).
 */
struct tls_result_stats {
	const char *policy_type;	/* "tlsa", or "sts",
					 * "no-policy-found" or both
					 * joined by ","; NULL or ""
					 * when not known (read as
					 * MTA-STS) */
	const char *mx;			/* receiving MX, NULL when reports
					 * did not name it */
	const char *result_type;	/* RFC 8460 result type */
	int64_t sessions;		/* failed sessions */
	int64_t recent_sessions;	/* of them, in the last
					 * tls_recent_days (for display) */
	int reporters;			/* distinct reporters that saw
					 * it */
	int days;			/* distinct days it was seen */
	const char *last_seen;		/* YYYY-MM-DD, the last day it was
					 * seen; may be NULL */
	const char *repaired_on;	/* YYYY-MM-DD: evidence of repair
					 * (see verdict_tls), or NULL */
	const char *retired_on;		/* YYYY-MM-DD: evidence that the
					 * MX left the policy, or NULL */
};

/* Sessions and failures (the reports' summary counts) of one policy
 * type. */
struct tls_policy_stats {
	const char *policy_type;
	int64_t sessions, failures;
};

/* One MX of the policy domain as DNS and a probe show it now (dmarcctl
 * dns --probe): what the reports say of it is confirmed or refuted. */
struct tls_live_mx {
	const char *host;
	bool is_covered;		/* the live policy's mx patterns match */
	bool has_probe;			/* connected to; the rest is known */
	bool is_starttls;		/* STARTTLS offered and TLS came up */
	bool is_trusted;		/* the chain leads to a trusted CA */
	bool is_name_ok;		/* the certificate names the host */
	bool is_expired;
	int days_left;			/* negative: days since it expired */
};

struct verdict_tls_input {
	const char *domain;		/* the policy domain, for texts;
					 * may be NULL */
	const char *mode;		/* testing, enforce, none or NULL */
	int days;			/* distinct days with reports */
	int reporters;
	int64_t sessions;		/* all sessions, successful or not */
	int64_t failures;		/* failed sessions (summary counts) */
	const struct tls_policy_stats *types;	/* by policy type; none:
						 * sessions and failures
						 * are all MTA-STS */
	size_t n_types;
	const struct tls_result_stats *results;
	size_t n_results;
	const char *live_mode;		/* the mode the policy published now
					 * holds (it beats mode: reports
					 * lag), NULL when not read */
	const struct tls_live_mx *live_mx;	/* the MX hosts now, with
						 * live_mode */
	size_t n_live_mx;
};

/* A failure that blocks enforce, or a DANE problem. */
struct verdict_tls_blocker {
	char mx[256];			/* "" when reports did not name
					 * it */
	char result_type[64];
	int64_t sessions;
	int reporters;			/* at least this many reporters */
	int days;			/* on at least this many days */
	char last_seen[16];		/* YYYY-MM-DD, "" when not known */
	char fix[VERDICT_FIX_MAX];
};

/* A failure that does not block enforce, and why. */
struct verdict_tls_warning {
	char mx[256];
	char result_type[64];
	int64_t sessions;
	char reason[VERDICT_FIX_MAX];
};

struct verdict_tls_advice {
	enum verdict_word verdict;	/* insufficient-data, stay, enforce,
					 * done */
	const char *mode;		/* the mode judged: live_mode when
					 * read, else mode (borrowed) */
	double failure_rate;		/* failures / sessions that count
					 * (see verdict_tls); 0 without
					 * sessions */
	int64_t counted_sessions, counted_failures;
	struct verdict_tls_blocker *blockers;	/* most sessions first */
	size_t n_blockers;
	struct verdict_tls_warning *warnings;	/* most sessions first */
	size_t n_warnings;
	struct verdict_tls_blocker *dane;	/* most sessions first */
	size_t n_dane;
	char **lines;
	size_t n_lines;
};

/*
 * The MTA-STS verdict of one policy domain, written to *out (released
 * with verdict_tls_advice_free).  The rules, in the order they apply to
 * each (MX, result type):
 *
 *  - DANE: a failure under a tlsa policy, or of a DANE result type
 *    (tlsa-invalid, dnssec-invalid, dane-required) under any policy, is a
 *    DANE problem: listed in dane, never a blocker (DANE senders do not
 *    use MTA-STS), and left out of the failure rate.
 *  - policy fetch: sts-policy-fetch-error, sts-policy-invalid and
 *    sts-webpki-invalid never failed a delivery (RFC 8461 sections 3.3
 *    and 5: the sender goes on as without a policy): a warning to fix the
 *    policy host, left out of the failure rate.
 *  - repaired: a failure with evidence of repair (repaired_on: a
 *    reporter that saw it later sent a failure-free report, with
 *    sessions, for a policy whose only MX is that MX) is left out of the
 *    failure rate and blocks nothing.
 *  - retired: likewise a failure with evidence that its MX left the
 *    MTA-STS policy (retired_on: the same, for a policy whose MX list
 *    does not match that MX): senders no longer deliver to it under
 *    MTA-STS.
 *  - probed: a blocking failure at an MX probed now: the probe finding
 *    what the failure names fixed (STARTTLS up, the certificate trusted,
 *    naming the host, not expired) makes it repaired; the probe finding
 *    it still broken makes it real, whatever its size.
 *  - uncovered: an MX of the domain that the live policy (testing or
 *    enforce) does not name blocks enforce: senders would not deliver
 *    to it.
 *  - real: a blocking result type (verdict_tls_is_blocking) blocks when
 *    it is real: at least tls_min_failure_sessions sessions, or seen by
 *    at least tls_min_failure_reporters reporters, or on at least
 *    tls_min_failure_days days, or more than tls_failure_rate of the
 *    sessions that count.  It blocks however long ago it was last seen:
 *    quiet days are no evidence of repair.  Isolated ones are warnings.
 *  - other types count in the failure rate, and are blockers when the
 *    rate is too high.
 *
 * The failure rate is over the sessions of every policy type but tlsa,
 * and their failures less those left out above (at least 0).
 *
 *  - insufficient-data: days < tls_min_days, reporters <
 *    tls_min_reporters, or no sessions.
 *  - healthy: failure rate <= tls_failure_rate and no blocker.
 *  - mode testing: enforce when healthy, else stay; enforce: done when
 *    healthy, else stay; none or NULL: stay (publish testing first).
 *
 * Rows of the same MX and result type under different policy types (but
 * tlsa) are one blocker: sessions summed, reporters and days the largest
 * of theirs, last_seen the latest; repaired only when all are.  The lists
 * are filled whatever the verdict: a DANE failure is urgent even when
 * there is too little data to judge MTA-STS.
 */
void verdict_tls(const struct verdict_tls_input *in,
    const struct verdict_thresholds *th, struct verdict_tls_advice *out);

/* Release what *a owns and zero it; NULL is a no-op. */
void verdict_tls_advice_free(struct verdict_tls_advice *a);

/* What an RFC 8460 result type means, in one sentence; a generic text for
 * unknown types and NULL.  Static. */
const char *verdict_tls_meaning(const char *result_type);

/* True for the result types that block enforce when real: STARTTLS,
 * certificate and validation failures (and DANE ones under DANE). */
bool verdict_tls_is_blocking(const char *result_type);

/* True for the result types of a DANE check: tlsa-invalid,
 * dnssec-invalid, dane-required. */
bool verdict_tls_is_dane(const char *result_type);

/* True for the result types of an MTA-STS policy that could not be used:
 * sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid. */
bool verdict_tls_is_policy_fetch(const char *result_type);

/*
 * How to fix a result type, naming the MX and the policy domain (either
 * may be NULL), written to out (size bytes, NUL-terminated; "..." marks a
 * cut).  Returns out.
 */
char *verdict_tls_fix(const char *result_type, const char *domain,
    const char *mx, char *out, size_t size);

#endif
