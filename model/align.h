/*
 * align: what a DMARC record's raw authentication results say, recomputed
 * from auth_results, header_from and the published adkim/aspf with
 * organizational domains from the Public Suffix List: which identifier
 * passed for whom, whether our own signature broke on the way, whether a
 * receiver overrode its policy for forwarding, and whether the reporter's
 * own verdicts (policy_evaluated) disagree with ours.
 *
 * The loader stores these with each record's rollup, so the analyzer
 * never reads raw results for a time range.  Needs orgdomain_init().
 */
#ifndef DMARC_MODEL_ALIGN_H
#define DMARC_MODEL_ALIGN_H

#include <stdbool.h>

#include "model/report.h"

/* the best a record's DKIM or SPF results reach, worst first */
enum auth_state {
	AUTH_NONE,		/* no result at all */
	AUTH_FAIL,		/* results, none passing */
	AUTH_FOREIGN_PASS,	/* passed for a domain not aligned */
	AUTH_ALIGNED_PASS,	/* passed for an aligned domain */
};

struct record_auth {
	enum auth_state dkim;
	enum auth_state spf;
	const char *dkim_domain;	/* the foreign passing d=, or NULL
					 * (borrowed from the record) */
	const char *spf_domain;		/* the foreign passing domain */
	bool has_own_dkim_fail;		/* a signature of an aligned domain
					 * that does not pass */
	bool is_overridden;		/* reason forwarded, trusted_forwarder,
					 * mailing_list, or local_policy citing
					 * ARC */
	bool is_subdomain;		/* header_from below the policy domain */
	bool is_disagreement;		/* policy_evaluated dkim/spf differ from
					 * the recomputed alignment */
};

/* Recompute the authentication of rec (a record of report r). */
void align_record(const struct report *r, const struct dmarc_record *rec,
    struct record_auth *out);

#endif
