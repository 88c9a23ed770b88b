/*
 * report: the data model every parser produces and the sink that receives
 * it, shared by parsers (which fill it), store (which loads it) and
 * analyze (which judges it).
 *
 * A producer hands the report header to the sink first, then each record
 * (DMARC) or policy (TLS-RPT) one at a time, then the end with the totals.
 * Nothing holds a whole report: every pointer handed to a sink callback is
 * borrowed and valid only during that call (the struct report itself stays
 * valid from on_header to on_end or on_abort).
 *
 * One superset model serves RFC 7489 and RFC 9990 reports.  Optional
 * values are NULL (strings) or -1 (numbers) when absent.  Enumerations are
 * trimmed and case-folded to their canonical spelling (model/normalize.h);
 * a value outside the known set is kept as sent and flagged
 * (REC_UNKNOWN_*), never dropped.
 */
#ifndef DMARC_MODEL_REPORT_H
#define DMARC_MODEL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum report_kind { REPORT_DMARC, REPORT_TLSRPT, REPORT_FAILURE };

/* Flavour notes a parser keeps per report (normalizations, repairs). */
enum { REPORT_MAX_NOTES = 16 };

/* DMARC policy_published: what the reporter found in DNS. */
struct report_policy {
	const char *domain;
	const char *p, *sp, *np;	/* none|quarantine|reject */
	int pct;			/* 0-100, -1 absent (RFC 7489 only) */
	const char *fo;
	const char *adkim, *aspf;	/* r|s */
	const char *testing;		/* n|y (RFC 9990 t=) */
	const char *discovery_method;	/* psl|treewalk */
};

struct report {
	enum report_kind kind;
	const char *input;	/* the input's name: path or "stdin" */
	const char *location;	/* where inside it ("" at top level) */
	const char *org_name;
	const char *email;	/* DMARC email / TLS-RPT contact-info */
	const char *extra_contact_info;
	const char *report_id;
	const char *domain;	/* policy domain */
	int64_t begin, end;	/* Unix seconds, UTC */

	/* DMARC only */
	const char *version;
	const char *xmlns;	/* namespace of <feedback>, NULL if none */
	const char *generator;
	const char *error;	/* report_metadata/error (first one) */
	bool is_rfc9990;	/* namespace or a DMARCbis-only element */
	struct report_policy policy;

	/* final in on_end */
	uint64_t records;
	uint64_t messages;	/* sum of count / sessions */
	const char *notes[REPORT_MAX_NOTES];
	size_t n_notes;
};

/* --- DMARC aggregate records --- */

enum {
	REC_UNKNOWN_DISPOSITION = 1u << 0,
	REC_UNKNOWN_DKIM = 1u << 1,	/* policy_evaluated/dkim */
	REC_UNKNOWN_SPF = 1u << 2,	/* policy_evaluated/spf */
	REC_UNKNOWN_REASON = 1u << 3,
	REC_UNKNOWN_RESULT = 1u << 4,	/* an auth_results result/scope */
	REC_BAD_SOURCE_IP = 1u << 5,	/* empty, masked or invalid */
};

struct dmarc_reason {
	const char *type;
	const char *comment;
};

struct dmarc_dkim {
	const char *domain;
	const char *selector;
	const char *result;
	const char *human_result;
};

struct dmarc_spf {
	const char *domain;
	const char *scope;	/* helo|mfrom, NULL absent */
	const char *result;
	const char *human_result;
};

struct dmarc_record {
	const char *source_ip;	/* canonical text (inet_ntop); raw if bad */
	int ip_family;		/* 4, 6, or 0 when REC_BAD_SOURCE_IP */
	int64_t count;
	const char *disposition;	/* none|pass|quarantine|reject */
	const char *dkim, *spf;		/* pass|fail: DMARC-aligned verdicts */
	const char *header_from;
	const char *envelope_from;
	const char *envelope_to;
	const struct dmarc_reason *reasons;
	size_t n_reasons;
	const struct dmarc_dkim *dkim_results;
	size_t n_dkim;
	const struct dmarc_spf *spf_results;
	size_t n_spf;
	unsigned flags;		/* REC_* */
};

/* --- TLS-RPT policies (RFC 8460) --- */

struct tls_failure {
	const char *result_type;
	const char *sending_mta_ip;
	const char *receiving_mx_hostname;
	const char *receiving_mx_helo;
	const char *receiving_ip;
	const char *additional_information;
	const char *failure_reason_code;
	int64_t failed_session_count;
};

struct tls_policy {
	const char *policy_type;	/* sts|tlsa|no-policy-found */
	const char *policy_domain;
	const char *const *policy_strings;
	size_t n_policy_strings;
	const char *const *mx_hosts;
	size_t n_mx_hosts;
	int64_t successful;	/* total-successful-session-count */
	int64_t failed;		/* total-failure-session-count */
	const struct tls_failure *failures;
	size_t n_failures;
};

/* --- DMARC failure reports (RFC 6591 ARF auth-failure, RFC 9991) --- */

/*
 * One failure sample: a report of kind REPORT_FAILURE delivers exactly
 * one, between on_header and on_end.  Its struct report holds org_name
 * (the reporter: the domain of the report mail's From, or its
 * Reporting-MTA), email (the report mail's From address: the reporter's,
 * not a user's), domain (Reported-Domain, else the original's From
 * domain), begin = end (Arrival-Date, else the report mail's Date) and
 * report_id: a digest (hex SHA-256) of what identifies the sample
 * whatever wraps it (reporter, the original's Message-ID, arrival,
 * source IP, auth failure), so the same sample from two wrappings is
 * stored once.
 *
 * Privacy: every address of the original is reduced to its domain here;
 * the original's Message-ID only as its digest.  The original's headers
 * and body are handed over as found (NULL when the report holds none):
 * the store keeps them only as [failures] keep says.
 */
struct failure_sample {
	const char *feedback_type;	/* "auth-failure" */
	const char *auth_failure;	/* dkim, spf, dmarc, bodyhash,
					 * signature, revoked; several
					 * joined by "," in that order
					 * (others after, as sent) */
	const char *identity_alignment;	/* none, spf, dkim, "dkim,spf";
					 * NULL absent */
	const char *source_ip;		/* canonical text, NULL when bad or
					 * absent (bad: a note on the
					 * report) */
	int64_t arrival;		/* Unix seconds, -1 absent */
	const char *reported_domain;
	const char *header_from;	/* the domain of the original's From */
	const char *mail_from;		/* Original-Mail-From, its domain */
	const char *rcpt_to;		/* Original-Rcpt-To, its domain */
	const char *dkim_domain;	/* DKIM-Domain (d=) */
	const char *dkim_identity;	/* DKIM-Identity (i=), its domain */
	const char *dkim_selector;	/* DKIM-Selector (s=) */
	const char *spf_dns;		/* SPF-DNS */
	const char *delivery_result;	/* delivered, spam, policy, reject,
					 * other */
	const char *message_id;		/* hex SHA-256 of the original's
					 * Message-ID, NULL without one */
	const char *format;		/* "arf" (RFC 6591/9991) or "text"
					 * (a gateway's plain notice) */
	const char *headers;		/* the original's header block as
					 * found (without the empty line
					 * after it), NULL when none */
	size_t headers_len;
	const char *body;		/* the original's body, NULL when
					 * none (text/rfc822-headers, a
					 * plain-text notice) */
	size_t body_len;
};

/* --- the sink --- */

struct report_sink {
	void *ctx;
	/*
	 * The report's header: 0 to go on, -1 on error, 1 when the sink
	 * knows the report already (the same bytes were stored): a parser
	 * may then stop reading it and go straight to on_end, and one that
	 * reads on delivers what the sink ignores.
	 */
	int (*on_header)(void *ctx, const struct report *r, struct err *err);
	/* a record, or a TLS policy: 0, -1, or 1 like on_header (the sink
	 * learnt after some records that it knows the report) */
	int (*on_dmarc_record)(void *ctx, const struct report *r,
	    const struct dmarc_record *rec, struct err *err);
	int (*on_tls_policy)(void *ctx, const struct report *r,
	    const struct tls_policy *pol, struct err *err);
	int (*on_end)(void *ctx, const struct report *r, struct err *err);
	/* the report failed after on_header: forget what it delivered */
	void (*on_abort)(void *ctx, const struct report *r);
	/*
	 * A part of the input held no valid report: why says what and where
	 * ("x.eml: part 2 'a.zip': entry 'a.xml': line 9: ...").  The walk
	 * goes on with the other parts.
	 */
	void (*on_failure)(void *ctx, const struct err *why);
	/*
	 * The ctx on_failure gets, when not NULL: lets a caller hand another
	 * module's sink (the store's) straight to the parser and keep the
	 * failures for itself.
	 */
	void *failure_ctx;
	/* a failure report's one sample; NULL: failure reports are input
	 * that holds no report (the caller does not take them) */
	int (*on_failure_sample)(void *ctx, const struct report *r,
	    const struct failure_sample *f, struct err *err);
};

/* Canonical name of a kind: "dmarc", "tlsrpt" or "failure". */
const char *report_kind_name(enum report_kind kind);

#endif
