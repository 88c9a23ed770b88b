/*
 * failure: what the failure reports (ruf samples) say about one sender,
 * summed from the stored samples of its addresses.  Only failure reports
 * tell why a message failed (which DKIM check, which selector), so the
 * analysis shows them beside a blocker as evidence; they never change a
 * verdict (a sample is one message, and reporters send few).
 */
#ifndef DMARC_ANALYZE_FAILURE_H
#define DMARC_ANALYZE_FAILURE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 6591 3.2.2 Auth-Failure values, most telling first */
enum failure_type {
	FT_BODYHASH,		/* DKIM body hash did not verify */
	FT_SIGNATURE,		/* DKIM signature did not verify */
	FT_REVOKED,		/* DKIM key revoked */
	FT_DKIM,		/* DKIM failed, no detail */
	FT_SPF,
	FT_DMARC,		/* identifier alignment */
	FT_OTHER,
	FT_COUNT
};

enum { FAILURE_SELECTORS = 3 };

/* a DKIM key the samples name: s= and d= */
struct failure_key {
	char selector[64];
	char domain[128];
	int64_t samples;
};

struct failure_evidence {
	int64_t samples;		/* failure reports */
	int64_t by_type[FT_COUNT];	/* samples naming each type */
	struct failure_key keys[FAILURE_SELECTORS];	/* most samples
							 * first */
	size_t n_keys;
	int64_t other_keys;		/* samples of keys beyond them */
};

/* "bodyhash", "signature", "revoked", "dkim", "spf", "dmarc", "other" */
const char *failure_type_name(enum failure_type t);

/*
 * Count samples (> 0) of one kind into e: auth_failures is the stored
 * list ("dkim,bodyhash", NULL for none), selector and dkim_domain the
 * DKIM key they name (NULL when none).
 */
void failure_evidence_add(struct failure_evidence *e,
    const char *auth_failures, const char *selector, const char *dkim_domain,
    int64_t samples);

/* Add all of src to e. */
void failure_evidence_merge(struct failure_evidence *e,
    const struct failure_evidence *src);

/*
 * One sentence for people ("12 failure reports: DKIM body hash did not
 * verify (9), SPF failed (3); DKIM key s=sel1 d=esp.example"), or "" when
 * e holds no sample; cut with "..." to fit size.
 */
void failure_evidence_text(const struct failure_evidence *e, char *out,
    size_t size);

#endif
