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
 * One line of TLS-RPT failure details: failed sessions of one result type
 * at one MX.  The caller may split a pair into a recent and an older row.
 */
struct tls_result_stats {
	const char *mx;			/* receiving MX, NULL when reports
					 * did not name it */
	const char *result_type;	/* RFC 8460 result type */
	int64_t sessions;		/* failed sessions */
	bool is_recent;			/* in the last tls_recent_days */
};

struct verdict_tls_input {
	const char *domain;		/* the policy domain, for texts;
					 * may be NULL */
	const char *mode;		/* testing, enforce, none or NULL */
	int days;			/* distinct days with reports */
	int reporters;
	int64_t sessions;		/* all sessions, successful or not */
	int64_t failures;		/* failed sessions (summary counts) */
	const struct tls_result_stats *results;
	size_t n_results;
};

struct verdict_tls_blocker {
	char mx[256];			/* "" when reports did not name
					 * it */
	char result_type[64];
	int64_t sessions;
	char fix[VERDICT_FIX_MAX];
};

struct verdict_tls_advice {
	enum verdict_word verdict;	/* insufficient-data, stay, enforce,
					 * done */
	double failure_rate;		/* failures / sessions; 0 without
					 * sessions */
	struct verdict_tls_blocker *blockers;	/* most sessions first */
	size_t n_blockers;
	char **lines;
	size_t n_lines;
};

/*
 * The MTA-STS verdict of one policy domain, written to *out (released
 * with verdict_tls_advice_free).
 *  - insufficient-data: days < tls_min_days, reporters <
 *    tls_min_reporters, or no sessions.
 *  - healthy: failures / sessions <= tls_failure_rate and no
 *    certificate, validation, STARTTLS or DANE failure (see
 *    verdict_tls_is_blocking) in a recent row.
 *  - mode testing: enforce when healthy, else stay; enforce: done when
 *    healthy, else stay; none or NULL: stay (publish testing first).
 * Blockers: each (MX, result type) with a recent blocking failure and,
 * when the failure rate is too high, every (MX, result type) reported.
 */
void verdict_tls(const struct verdict_tls_input *in,
    const struct verdict_thresholds *th, struct verdict_tls_advice *out);

/* Release what *a owns and zero it; NULL is a no-op. */
void verdict_tls_advice_free(struct verdict_tls_advice *a);

/* What an RFC 8460 result type means, in one sentence; a generic text for
 * unknown types and NULL.  Static. */
const char *verdict_tls_meaning(const char *result_type);

/* True for the result types that block enforce whenever they appear
 * recently: STARTTLS, certificate, validation and DANE failures. */
bool verdict_tls_is_blocking(const char *result_type);

/*
 * How to fix a result type, naming the MX and the policy domain (either
 * may be NULL), written to out (size bytes, NUL-terminated; "..." marks a
 * cut).  Returns out.
 */
char *verdict_tls_fix(const char *result_type, const char *domain,
    const char *mx, char *out, size_t size);

#endif
