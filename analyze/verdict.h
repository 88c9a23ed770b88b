/*
 * verdict: the decisions of dmarcctl's analyzer, as pure functions.
 *
 * The query commands (summary, sources, advise, tls) compute aggregates
 * over a time window in SQL and fill the input structs below.  This module
 * classifies each sending source and says whether a domain is ready for
 * its next DMARC policy step and what blocks it; analyze/tls.h judges
 * MTA-STS with the same words and thresholds.  No database, DNS or output
 * formatting: the results are verdict words, numbers and sentences that
 * cli/ prints as text or JSON (the words and keys of dmarcctl.1).
 *
 * Every number the rules use is a field of struct verdict_thresholds;
 * verdict_defaults() gives the documented defaults.
 *
 * Input strings are borrowed for the duration of a call and may be NULL
 * where a comment says so.  Output structs copy what they keep: they own
 * their arrays and texts and are released with verdict_advice_free().
 * Nothing here can fail except by running out of memory, which aborts
 * (xalloc), so the functions return no error.
 */
#ifndef DMARC_ANALYZE_VERDICT_H
#define DMARC_ANALYZE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dnsrec.h"

/* The verdict words of `advise` and `tls` (dmarcctl.1). */
enum verdict_word {
	VERDICT_INSUFFICIENT_DATA,	/* "insufficient-data" */
	VERDICT_STAY,			/* "stay" */
	VERDICT_QUARANTINE,		/* "quarantine" */
	VERDICT_REJECT,			/* "reject" */
	VERDICT_DONE,			/* "done" */
	VERDICT_ENFORCE,		/* "enforce" (tls only) */
};

/* The word of a verdict, as dmarcctl.1 spells it; static. */
const char *verdict_name(enum verdict_word v);

/*
 * Every number the rules use.  Rates are fractions (0.98 = 98 %).  The
 * caller computes the recent_* counts of struct source_stats over the
 * last recent_days days and the recent_sessions of struct
 * tls_result_stats (analyze/tls.h) over the last tls_recent_days days.
 */
struct verdict_thresholds {
	/* enough data to judge a domain */
	int min_days;			/* 14 distinct days with reports */
	int min_reporters;		/* 2 distinct reporters */
	int64_t min_messages;		/* 100 messages */
	int recent_days;		/* 14: window of the recent_* counts */

	/* classification of a source */
	double aligned_rate;		/* 0.99: aligned at or above */
	int third_party_days;		/* 3: a consistent third party */
	double indirect_share;		/* 0.5: share of failures that are
					 * overridden or own DKIM broken */

	/* the sender model (analyze/sender.h) */
	double relay_share;		/* 0.05 of the population's mail ... */
	double relay_days;		/* 0.5 ... on this share of the days
					 * with reports, own DKIM broken and
					 * not overridden: our own relay */
	double relay_overrides;		/* 0.05: at most this share of its
					 * failing mail let through by
					 * receivers (forwarding) */
	double periodic_share;		/* 0.01: a sender signing with its
					 * own domain is legitimate with this
					 * share, however seldom it sends */
	int throwaway_spf_domains;	/* 3 organisations an unsigned sender
					 * passes SPF for: throwaway domains */

	/* p=none -> p=quarantine (and partial -> full quarantine) */
	double quarantine_pass_rate;	/* 0.98 legitimate, recent window */
	double source_share;		/* 0.005 of legitimate volume makes
					 * a source significant */
	double source_pass_rate;	/* 0.95: a significant source below
					 * this blocks */

	/* p=quarantine -> p=reject */
	int reject_quarantine_days;	/* 28 days at full quarantine */
	double reject_pass_rate;	/* 0.995 legitimate, whole window */
	double reject_dkim_rate;	/* 0.98 of legitimate volume passes
					 * with aligned DKIM */
	double reject_indirect_share;	/* 0.01 of all volume may be
					 * failing indirect mail */

	/* MTA-STS testing -> enforce */
	int tls_min_days;		/* 14 */
	int tls_min_reporters;		/* 2 */
	int tls_recent_days;		/* 7: window of recent_sessions,
					 * shown, not judged */
	double tls_failure_rate;	/* 0.001 of sessions at most */
	/* a STARTTLS, certificate or validation failure is real (blocks)
	 * with any of these, or above tls_failure_rate of sessions */
	int64_t tls_min_failure_sessions;	/* 3 sessions */
	int tls_min_failure_reporters;	/* 2 reporters */
	int tls_min_failure_days;	/* 2 days */
};

/* The defaults listed above. */
struct verdict_thresholds verdict_defaults(void);

/*
 * The most recent policy_published seen in the window.  Strings are NULL
 * when absent and hold the canonical words of the parsers ("none",
 * "quarantine", "reject"; "r", "s"; t "y" or "n", RFC 9989 testing).
 */
struct dmarc_policy {
	const char *p, *sp, *np;
	const char *adkim, *aspf;
	const char *t;
	int pct;		/* 0-100, -1 absent */
	const char *rua;	/* from DNS or configuration, reports do not
				 * carry it: may be NULL */
	const struct dmarc_txt *live;	/* the record DNS holds now, or
					 * NULL: next_record then keeps
					 * every tag of it (rua, ruf, fo...)
					 * and changes only what the step
					 * needs */
};

/* A problem of the published records (dmarcctl dns) that holds the next
 * step back: SPF broken for every receiver, a signing key missing. */
struct verdict_dns_problem {
	const char *subject;	/* the record: "_dmarc.example.com" */
	const char *code;	/* the finding's code */
	const char *problem;	/* one line */
	const char *fix;	/* the record to publish, or NULL */
};

enum source_class {
	SOURCE_ALIGNED,		/* passes DMARC (>= aligned_rate) */
	SOURCE_PARTIAL,		/* some of its mail passes, some fails */
	SOURCE_THIRD_PARTY,	/* a legitimate sender that never aligns */
	SOURCE_RELAY,		/* our own outbound relay, breaking our
				 * DKIM signature */
	SOURCE_INDIRECT,	/* forwarding, mailing lists */
	SOURCE_UNAUTHENTICATED,	/* spoofing or unknown: never blocks */
};

/* "aligned", "partial", "third-party", "relay", "indirect",
 * "unauthenticated". */
const char *verdict_class_name(enum source_class c);

/* True for the classes that count as legitimate volume: aligned, partial,
 * third-party and relay. */
bool verdict_class_is_legitimate(enum source_class c);

/*
 * One sending source (IP) of one policy domain over the window.  Counts
 * are messages (sums of <count>).  "Failing" means failing DMARC: neither
 * policy_evaluated dkim nor spf is pass.
 */
struct source_stats {
	const char *ip;
	const char *name;		/* reverse DNS, or NULL */
	const char *base;		/* organizational domain of name, or
					 * NULL */
	int64_t messages;
	int64_t dmarc_pass;		/* policy_evaluated dkim or spf
					 * pass */
	int64_t dkim_aligned;		/* policy_evaluated dkim pass */
	int64_t spf_aligned;		/* policy_evaluated spf pass */
	int64_t recent_messages;	/* the same over the last recent_days */
	int64_t recent_pass;
	int64_t dkim_foreign;		/* failing, DKIM passed for a
					 * non-aligned d= */
	int64_t spf_foreign;		/* failing, SPF passed for a
					 * non-aligned domain */
	int64_t dkim_missing;		/* failing, no DKIM signature */
	int64_t own_dkim_broken;	/* failing, a signature of the policy
					 * domain fails, SPF fails */
	int64_t overridden;		/* failing, reason forwarded,
					 * trusted_forwarder, mailing_list, or
					 * local_policy with ARC */
	/* the most common foreign DKIM d= and SPF domain, or NULL */
	const char *foreign_dkim_domain;
	const char *foreign_spf_domain;
	int days;			/* distinct days it was seen */
	bool is_authorized;		/* the user listed it as a sender */
	/* what the sender model reads (analyze/sender.h) */
	bool is_subdomain;		/* its mail is From a subdomain */
	bool is_nonexistent;		/* ... one that does not exist */
	const char *spf_low;		/* the smallest foreign SPF domain */
	const char *dkim_low;		/* the smallest foreign DKIM d= */
	uint64_t day_mask;		/* the days seen: bit i is day i of the
					 * window, or its i-th 64th when the
					 * window is longer than 64 days */
};

/*
 * Whether the user vouches for a source ([analysis] authorized: a list of
 * IP addresses and domains, separated by commas or blanks): its address,
 * or its reverse-DNS name, or a domain it passed DKIM or SPF for, is on
 * the list or under a domain on it.
 */
bool verdict_is_authorized(const struct source_stats *s, const char *list);

/*
 * Classify a source.  In this order:
 *  - aligned: dmarc_pass >= aligned_rate of messages;
 *  - indirect: not authorized, and overridden + own_dkim_broken (at most
 *    the failing count) make at least indirect_share of its failing
 *    messages (forwarders keep some mail passing when our DKIM survives,
 *    so this comes before partial);
 *  - partial: some messages pass;
 *  - third-party: none passes, and the user authorized it, or DKIM or SPF
 *    passed for another domain and it is consistent (seen on at least
 *    third_party_days days) or a known sending service (its rDNS name,
 *    base or foreign DKIM/SPF domain is in the table of
 *    verdict_known_service);
 *  - unauthenticated: everything else, and a source without messages.
 */
enum source_class verdict_classify(const struct source_stats *s,
    const struct verdict_thresholds *th);

/*
 * The name of the major mail service (ESP, relay, hosted mailbox) that
 * domain belongs to, such as "SendGrid" for "o1.sendgrid.net", or NULL.
 * Matches the domain itself and its parent domains, ignoring case and a
 * trailing dot.  Static result.
 */
const char *verdict_known_service(const char *domain);

/* What is wrong with a failing legitimate source and how to fix it. */
enum { VERDICT_PROBLEM_MAX = 64, VERDICT_FIX_MAX = 512 };

struct verdict_problem {
	char problem[VERDICT_PROBLEM_MAX];	/* "third-party d=", "SPF
						 * unaligned", "DKIM broken",
						 * "DKIM missing", "not
						 * aligned" */
	char fix[VERDICT_FIX_MAX];
};

/*
 * Diagnose why a source's mail fails DMARC, from its largest failure
 * count (dkim_foreign, own_dkim_broken, spf_foreign, dkim_missing; ties
 * in that order), and write the problem and a concrete fix naming the
 * service to *out.  Texts longer than the buffers end in "...".
 */
void verdict_diagnose(const struct source_stats *s,
    struct verdict_problem *out);

/* The same for our own relay (SOURCE_RELAY): it carries our mail and
 * breaks our DKIM signature on the way. */
void verdict_diagnose_relay(const struct source_stats *s,
    struct verdict_problem *out);

/* Everything verdict_advise() needs about one policy domain. */
struct verdict_input {
	const char *domain;		/* the policy domain, for texts;
					 * may be NULL */
	struct dmarc_policy policy;
	int days;			/* distinct days with reports */
	int reporters;			/* distinct reporters */
	int64_t messages;		/* all messages */
	const struct source_stats *sources;
	size_t n_sources;
	const enum source_class *classes;	/* of each source, or NULL:
						 * verdict_classify */
	int quarantine_days;		/* distinct report days whose policy
					 * was full quarantine or stronger */
	int64_t subdomain_messages;	/* header_from a subdomain */
	int64_t subdomain_fail;		/* of those, failing DMARC */
	const char *pin_sp;		/* next_record keeps sp= at this (the
					 * subdomains' gate is not ready for
					 * the new p), or NULL */
	const char *pin_np;		/* the same for np= */
	bool is_other_gate_staying;	/* the sp or np gate says stay */
	bool is_full_held;		/* from partial to full quarantine or
					 * reject would take the subdomains
					 * (inherited sp) along, and they are
					 * not ready: stay */
	const struct verdict_dns_problem *dns;	/* the p gate only: a step
						 * becomes stay, each one a
						 * blocker */
	size_t n_dns;
};

/* Which policy applies to mail (RFC 7489 6.6.3, RFC 9989): its gate. */
enum population {
	POP_ORGANIZATIONAL,	/* From the policy domain: p */
	POP_SUBDOMAIN,		/* From an existing subdomain: sp */
	POP_NONEXISTENT,	/* From a subdomain that does not exist: np */
	POP_COUNT
};

/* "organizational", "subdomain", "non-existent" */
const char *verdict_population_name(enum population p);
/* "p", "sp", "np" */
const char *verdict_gate_name(enum population p);

/* The evidence object of `advise` (dmarcctl.1), key for key. */
struct verdict_evidence {
	int days;
	int reporters;
	int64_t messages;
	int64_t legitimate_messages;	/* aligned, partial, third-party */
	double legitimate_pass_rate;	/* their dmarc_pass over the whole
					 * window; 0 without legitimate mail */
	double dkim_aligned_rate;	/* their dkim_aligned, likewise */
};

/* A source that holds the domain back. */
struct verdict_blocker {
	size_t index;			/* in verdict_input.sources */
	enum source_class class;
	char source[64];		/* the IP */
	char name[256];			/* reverse DNS, "" when unknown */
	int64_t messages;		/* all its messages in the window */
	int64_t failing;		/* of them failing DMARC; for "passes
					 * by SPF only": passing without
					 * aligned DKIM */
	char problem[VERDICT_PROBLEM_MAX];
	char fix[VERDICT_FIX_MAX];
};

struct verdict_advice {
	enum verdict_word verdict;
	const char *policy;		/* the policy the gate judges under:
					 * "none", "quarantine", "reject"
					 * (static) */
	bool is_inherited;		/* that policy is inherited (sp from
					 * p, np from sp) */
	char next_record[2048];		/* TXT record text */
	struct verdict_evidence evidence;
	struct verdict_blocker *blockers;	/* worst first */
	size_t n_blockers;
	char **lines;			/* explanation for text output */
	size_t n_lines;
};

/*
 * The policy-readiness verdict of one domain, written to *out (which the
 * caller releases with verdict_advice_free, whatever the verdict).
 *
 * A source's "current" pass rate is over the recent window when it sent
 * mail there, else over the whole window; a source is significant with
 * at least source_share of the legitimate volume.
 *
 *  - insufficient-data: days < min_days, reporters < min_reporters or
 *    messages < min_messages (at any policy).
 *  - p=none or no p, and partial quarantine (pct < 100 or t=y): the next
 *    step is (full) quarantine when the legitimate pass rate over the
 *    recent window (the whole window when no legitimate mail is recent)
 *    is >= quarantine_pass_rate and no significant source's current rate
 *    is < source_pass_rate; else stay.  Without any legitimate mail: stay.
 *  - full quarantine, and partial reject: reject when quarantine_days >=
 *    reject_quarantine_days, the legitimate pass rate over the window is
 *    >= reject_pass_rate, dkim_aligned_rate >= reject_dkim_rate, no
 *    significant source passes mostly without aligned DKIM ("passes by
 *    SPF only") and failing indirect mail is <= reject_indirect_share of
 *    all messages; else stay.
 *  - full reject: done, or stay when a significant source's current rate
 *    is < source_pass_rate.
 *
 * Blockers: significant sources below source_pass_rate; when the domain's
 * pass rate misses its gate, also every legitimate source whose current
 * rate is below that gate; at the reject gate, sources that pass by SPF
 * only and (when that gate fails) failing indirect sources.  Worst
 * first: by failing messages, then messages, then IP.
 *
 * next_record is the record to publish next, or the current one for stay,
 * insufficient-data and done: tags v, p, then sp (left out when equal to
 * p: reports show the inherited value), np (left out when equal to the
 * effective sp), adkim and aspf (left out when "r"), pct (only when kept
 * unchanged and below 100), t=y (kept unchanged, or proposed for the
 * first step to quarantine) and rua when known.  With the live record
 * (policy.live) it is that record with p changed, sp and np set only
 * where they must hold, and pct and t dropped when the step is taken (t=y
 * set when proposed): every other tag stays as published.
 */
void verdict_advise(const struct verdict_input *in,
    const struct verdict_thresholds *th, struct verdict_advice *out);

/* Release what *a owns and zero it; NULL is a no-op. */
void verdict_advice_free(struct verdict_advice *a);

/*
 * The verdict of each population under its own policy: gate[POP_ORG...]
 * judged under p, the subdomains under sp (as published, else p), the
 * non-existent subdomains under np (else sp).  in[] hold each
 * population's senders, with the domain's days, reporters, messages and
 * policy in each.  A population without mail is ready for the next step.
 * The p gate's next_record keeps sp at its value when the subdomains'
 * gate is not ready for the new p.  out[] are released with
 * verdict_advice_free.
 */
void verdict_advise_gates(const struct verdict_input in[POP_COUNT],
    const struct verdict_thresholds *th, struct verdict_advice out[POP_COUNT]);

#endif
