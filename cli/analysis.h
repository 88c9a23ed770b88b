/*
 * analysis: what the query commands (summary, sources, advise, tls, and
 * check) know about each policy domain over a window, read from the
 * rollups (domain_daily, source_daily, tls_daily, tls_daily_failures,
 * reports) and never from raw records, with the sources named by reverse
 * DNS (cached in rdns_cache) and classified by analyze/verdict.
 */
#ifndef DMARC_CLI_ANALYSIS_H
#define DMARC_CLI_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/verdict.h"
#include "cli/config.h"
#include "cli/window.h"
#include "common/err.h"

struct store;

/* one sending source: the verdict's view, and what else sources shows */
struct analysis_source {
	struct source_stats st;		/* strings owned */
	int64_t disagree;		/* reporter's verdicts differ from
					 * the recomputed alignment */
	enum source_class class;
};

struct analysis_domain {
	char *domain;
	/* domain_daily over the window */
	int64_t reports, messages, dmarc_pass, dkim_aligned, spf_aligned;
	int64_t quarantined, rejected, subdomain, subdomain_fail, disagree;
	int days, reporters;
	/* the most recent policy_published (strings owned, NULL absent) */
	struct dmarc_policy policy;
	bool has_policy;
	int quarantine_days;
	struct analysis_source *sources;	/* most messages first */
	size_t n_sources;
	struct source_stats *stats;	/* the same, as the verdict reads
					 * them (borrowing their strings) */
};

struct analysis {
	struct analysis_domain *domains;	/* by name */
	size_t n_domains;
};

struct analysis_options {
	const char *domain;	/* only this policy domain, or NULL */
	bool want_sources;	/* load and classify the sources */
	bool want_dns;		/* name them (false: --no-dns) */
};

/* Read and classify; ERR_DB when a query fails. */
int analysis_load(struct store *s, const struct config *cfg,
    const struct window *w, const struct analysis_options *opt,
    struct analysis *out, struct err *err);

/* The verdict input of one domain (borrowing from it). */
void analysis_input(const struct analysis_domain *d,
    struct verdict_input *in);

void analysis_release(struct analysis *a);

/*
 * Keep what was concluded for dashboards and monitoring: the class of
 * every source (source_classes) and, with has_verdicts (a window of
 * advise's length), each domain's verdict (domain_verdicts).  A failure
 * (a read-only database user) is a warning: the answer was given.
 */
void analysis_save(struct store *s, const struct config *cfg,
    const struct analysis *a, bool has_verdicts);

/* --- TLS-RPT --- */

struct analysis_tls_domain {
	char *domain;
	char *mode;			/* MTA-STS mode of the latest sts
					 * policy, or NULL */
	int days, reporters;
	int64_t sessions, failures;
	struct tls_result_stats *results;	/* strings owned */
	size_t n_results;
	/* by policy type: sessions and failures */
	struct {
		char *policy_type;
		int64_t sessions, failures;
	} *types;
	size_t n_types;
};

struct analysis_tls {
	struct analysis_tls_domain *domains;
	size_t n_domains;
};

int analysis_tls_load(struct store *s, const struct config *cfg,
    const struct window *w, const char *domain, struct analysis_tls *out,
    struct err *err);

void analysis_tls_input(const struct analysis_tls_domain *d,
    struct verdict_tls_input *in);

void analysis_tls_release(struct analysis_tls *a);

#endif
