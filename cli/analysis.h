/*
 * analysis: what the DMARC query commands (summary, sources, advise and
 * check) know about each policy domain over a window, read from the
 * rollups (domain_daily, source_daily, reports) and never from raw
 * records, with the sources named by reverse DNS (cached in rdns_cache)
 * and classified by analyze/verdict.  TLS-RPT: cli/analysis_tls.h.
 */
#ifndef DMARC_CLI_ANALYSIS_H
#define DMARC_CLI_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/failure.h"
#include "analyze/sender.h"
#include "analyze/verdict.h"
#include "cli/config.h"
#include "cli/window.h"
#include "common/err.h"

struct store;

/* one sending address (of one population): what the sender model
 * reads, and what else sources shows */
struct analysis_source {
	struct source_stats st;		/* strings and days owned */
	int64_t disagree;		/* reporter's verdicts differ from
					 * the recomputed alignment */
	enum source_class class;	/* its sender's */
};

/* a reporter whose verdicts its own auth_results contradict */
struct analysis_reporter {
	char *org_name;
	int64_t overruled;		/* it said fail, its results pass */
	int64_t unproved;		/* it said pass, its results do not */
	int64_t messages;		/* all it reported */
};

/* what the failure reports of one sending address say */
struct analysis_failures {
	char *ip;
	struct failure_evidence ev;
};

/* the senders of one population, as its gate judges them */
struct analysis_gate {
	struct source_stats *stats;	/* the senders' views */
	enum source_class *classes;
	const struct sender **senders;	/* the same, by index */
	size_t n;
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
	size_t n_sources, sources_cap;
	struct analysis_source **by_ip;	/* the same, by IP (strcmp) */
	struct source_stats *stats;	/* the same, as the sender model
					 * reads them (borrowing their
					 * strings) */
	struct sender_set senders;	/* grouped and judged */
	struct analysis_gate gates[POP_COUNT];
	/* the failure reports (ruf) of the window per sending address,
	 * by IP (strcmp); a sample reported for a subdomain counts for
	 * the policy domain above it */
	struct analysis_failures *failures;
	size_t n_failures, failures_cap;
	struct analysis_reporter *reporters_overruled;	/* most first */
	size_t n_reporters_overruled;
	/* advise with DNS (cli/live.h), borrowed from the caller: the
	 * record published now, the problems in DNS that hold the next
	 * step back, and every finding to show as a warning */
	const struct dmarc_txt *live;
	const struct verdict_dns_problem *dns_problems;
	size_t n_dns_problems;
	const struct findings *dns_findings;
};

/*
 * Lookups are binary searches over indexes sorted with strcmp: what a
 * reporter controls (domains, sources, MX names) can run to hundreds of
 * thousands, and nothing may take time quadratic in it.
 */
struct analysis {
	struct analysis_domain *domains;	/* by name, as the database
						 * sorts them */
	size_t n_domains, cap;
	struct analysis_domain **by_name;	/* by name, as strcmp does */
	int window_days;			/* whole days of the window */
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

/* The domain of that name, or NULL (O(log n)). */
const struct analysis_domain *analysis_find(const struct analysis *a,
    const char *domain);
/* The source of d with that IP, or NULL (O(log n)). */
const struct analysis_source *analysis_find_source(
    const struct analysis_domain *d, const char *ip);

/* What the failure reports of the window say about snd (a sender of d):
 * the sum over its addresses, into *out (zeroed first). */
void analysis_sender_failures(const struct analysis_domain *d,
    const struct sender *snd, struct failure_evidence *out);
/* The same for one address of d. */
void analysis_address_failures(const struct analysis_domain *d,
    const char *ip, struct failure_evidence *out);

/* The verdict of each gate of one domain (verdict_advise_gates), out[]
 * released with verdict_advice_free. */
void analysis_advise(const struct analysis_domain *d,
    const struct verdict_thresholds *th, struct verdict_advice out[POP_COUNT]);

void analysis_release(struct analysis *a);

/*
 * Keep what was concluded for dashboards and monitoring: the class of
 * every source (source_classes) and, with has_verdicts (a window of
 * advise's length), each domain's verdict (domain_verdicts).  A failure
 * (a read-only database user) is a warning: the answer was given.
 */
void analysis_save(struct store *s, const struct config *cfg,
    const struct analysis *a, bool has_verdicts);

#endif
