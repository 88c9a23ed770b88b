/*
 * analysis_tls: what `tls` and `check` know about each policy domain's
 * TLS-RPT reports over a window, read from the rollups (tls_daily,
 * tls_daily_failures) and the stored MTA-STS policies, never from raw
 * records, in the shape analyze/tls judges.
 */
#ifndef DMARC_CLI_ANALYSIS_TLS_H
#define DMARC_CLI_ANALYSIS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/tls.h"
#include "cli/config.h"
#include "cli/window.h"
#include "common/err.h"

struct store;

struct analysis_tls_domain {
	char *domain;
	char *mode;			/* MTA-STS mode of the latest sts
					 * policy, or NULL */
	int days, reporters;
	int64_t sessions, failures;
	struct tls_result_stats *results;	/* strings owned */
	size_t n_results, results_cap;
	/* by policy type: sessions and failures (strings owned) */
	struct tls_policy_stats *types;
	size_t n_types, types_cap;
};

struct analysis_tls {
	struct analysis_tls_domain *domains;	/* as the database sorts */
	size_t n_domains, cap;
	struct analysis_tls_domain **by_name;	/* as strcmp does */
};

/* Read one window (domain NULL: every domain); ERR_DB when a query
 * fails.  *out is the caller's to release on success. */
int analysis_tls_load(struct store *s, const struct config *cfg,
    const struct window *w, const char *domain, struct analysis_tls *out,
    struct err *err);

/* The domain of that name, or NULL (O(log n)). */
const struct analysis_tls_domain *analysis_tls_find(
    const struct analysis_tls *a, const char *domain);

/* The verdict input of one domain (borrowing from it). */
void analysis_tls_input(const struct analysis_tls_domain *d,
    struct verdict_tls_input *in);

void analysis_tls_release(struct analysis_tls *a);

#endif
