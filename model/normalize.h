/*
 * normalize: the tables that turn what reporters send into one spelling.
 *
 * Every enumeration of RFC 7489, RFC 9990 and RFC 8460 is one table of
 * canonical words plus the aliases seen in the field ("hardfail" -> fail).
 * Values are trimmed and case-folded first.  Unknown values are kept as
 * sent (trimmed) and reported as NORM_UNKNOWN so the caller can flag them.
 */
#ifndef DMARC_MODEL_NORMALIZE_H
#define DMARC_MODEL_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

enum norm_kind {
	NORM_DISPOSITION,	/* none pass quarantine reject */
	NORM_VERDICT,		/* policy_evaluated dkim/spf: pass fail */
	NORM_DKIM_RESULT,	/* RFC 8601 2.7.1 */
	NORM_SPF_RESULT,	/* RFC 8601 2.7.2 */
	NORM_SPF_SCOPE,		/* helo mfrom */
	NORM_ALIGNMENT,		/* r s */
	NORM_POLICY,		/* none quarantine reject */
	NORM_REASON,		/* RFC 7489 and RFC 9990 override types */
	NORM_TESTING,		/* n y */
	NORM_DISCOVERY,		/* psl treewalk */
	NORM_TLS_POLICY_TYPE,	/* sts tlsa no-policy-found */
	NORM_TLS_RESULT_TYPE,	/* RFC 8460 4.3 */
	NORM_KIND_COUNT
};

enum norm_result {
	NORM_OK,	/* canonical as sent (after trim and case fold) */
	NORM_ALIAS,	/* a known misspelling, mapped */
	NORM_EMPTY,	/* empty or only white space: treat as absent */
	NORM_UNKNOWN,	/* not in the table: *out is the trimmed raw text */
};

/*
 * Normalize raw in place (trim and lower-case).  *out is a static canonical
 * word (NORM_OK, NORM_ALIAS), NULL (NORM_EMPTY), or the trimmed raw string
 * inside raw (NORM_UNKNOWN).
 */
enum norm_result norm_enum(enum norm_kind kind, char *raw, const char **out);

/* The name of a table, for notes ("disposition"). */
const char *norm_kind_name(enum norm_kind kind);

/*
 * Validate an IPv4 or IPv6 address (trimmed) and write its canonical text
 * (RFC 5952 for IPv6) to out (at least 46 bytes).  Returns 4 or 6, or 0
 * when it is not an address (out is then empty).
 */
int norm_ip(const char *raw, char *out, size_t outlen);

/* 9999-12-31T23:59:59Z: the last second a report may name */
#define NORM_TIME_MAX 253402300799LL

/*
 * Unix seconds with stray white space allowed, 0 to NORM_TIME_MAX (the
 * years 1970 to 9999, what PostgreSQL's timestamptz holds); ERR_PARSE
 * otherwise.
 */
int norm_epoch(const char *raw, int64_t *out, const char *what,
    struct err *err);

/*
 * A message or session count: digits with stray white space.  Negative
 * or not a number is ERR_PARSE; above max (config [limits] max_count) is
 * ERR_LIMIT.
 */
int norm_count(const char *raw, uint64_t max, int64_t *out, const char *what,
    struct err *err);

/*
 * RFC 3339 date-time ("2024-05-01T00:00:00Z", fractions and offsets
 * allowed); a time without a zone is taken as UTC (Microsoft sends those).
 * Years 1970 to 9999 only, and only days the month has (2024-02-31 is
 * ERR_PARSE, never March 2).  Returns 0, or 1 when a leap second (:60)
 * was read as :59 (the caller notes it), or -1 with ERR_PARSE.
 */
int norm_datetime(const char *raw, int64_t *out, const char *what,
    struct err *err);

/*
 * A domain in its one stored spelling: trimmed, one trailing dot dropped,
 * and an internationalized name turned into its lower-case A-label by
 * IDNA (UTS #46 non-transitional: "BÜCHER.example" is
 * "xn--bcher-kva.example").  A plain-ASCII name is only lower-cased.
 * *out is a copy in a (possibly ""); a non-ASCII name that is not valid
 * IDNA is ERR_PARSE naming what.
 */
int norm_domain(struct arena *a, const char *raw, const char **out,
    const char *what, struct err *err);


#endif
