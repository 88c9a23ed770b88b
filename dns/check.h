/*
 * check: what one mail domain really publishes, read live and judged:
 * DMARC (with the organisational fallback and the authorisation of
 * external report addresses), SPF (dns/spf.h), the DKIM keys of the given
 * selectors, MTA-STS (record, policy fetched over HTTPS, MX coverage),
 * TLS-RPT and MX, and with a probe the certificate each MX presents.
 * Each problem is a finding (model/finding.h) with its fix.
 *
 * A struct dns_posture owns everything in it; dns_posture_free releases
 * it whatever dns_check returned.
 */
#ifndef DMARC_DNS_CHECK_H
#define DMARC_DNS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "dns/https.h"
#include "dns/probe.h"
#include "dns/resolve.h"
#include "dns/spf.h"
#include "model/dnsrec.h"
#include "model/finding.h"

/* How much a DKIM selector matters when its key is missing. */
enum selector_weight {
	SELECTOR_GUESS,		/* a usual name (mailcow): info */
	SELECTOR_SEEN,		/* in the reports, never passing: warning */
	SELECTOR_USED,		/* passing in the reports, or configured:
				 * error */
};

struct dns_selector {
	const char *selector;
	const char *domain;	/* the d= domain: the policy domain or one
				 * of its subdomains */
	enum selector_weight weight;
};

/* A sending address of the reports whose mail fails: is it in the SPF
 * record?  Addresses of one sender come one after another. */
struct dns_sender {
	const char *ip;
	const char *name;	/* its sender's name (groups the addresses) */
	long long messages;
	const char *own_spf;	/* the domain its SPF passes for instead of
				 * ours (its own return-path), or NULL */
};

/* The parts of a check (dns_check_opts.parts). */
enum {
	DNS_PART_DMARC = 1 << 0,
	DNS_PART_SPF = 1 << 1,
	DNS_PART_DKIM = 1 << 2,
	DNS_PART_MX = 1 << 3,
	DNS_PART_STS = 1 << 4,	/* needs DNS_PART_MX for the coverage */
	DNS_PART_TLSRPT = 1 << 5,
	DNS_PART_ALL = (1 << 6) - 1,
};

struct dns_check_opts {
	unsigned parts;		/* DNS_PART_*; 0: all */
	const struct dns_selector *selectors;
	size_t n_selectors;
	const struct dns_sender *senders;
	size_t n_senders;
	bool want_probe;	/* connect to each MX */
	const char *ca_file;	/* for HTTPS and the probe; NULL: system */
	unsigned https_port;	/* 0: 443 */
	unsigned smtp_port;	/* 0: 25 */
	unsigned timeout_ms;	/* HTTPS and each probe; 0: 10000 */
};

struct dns_dkim {
	char *selector, *domain;
	enum selector_weight weight;
	enum dns_rcode rc;
	bool has_key;		/* a DKIM key record was found */
	struct dkim_key key;
};

struct dns_sender_check {
	char *ip, *name;
	long long messages;
	enum spf_result result;
	char why[256];
};

struct dns_mx {
	char *host;
	unsigned pref;
	char **addrs;
	size_t n_addrs;
	bool is_covered;	/* by the MTA-STS policy's patterns */
	bool has_probe;
	struct probe_result probe;
};

struct dns_posture {
	char *domain;
	bool is_reached;	/* DNS answered at all */

	char *dmarc_at;		/* the name the record was found at */
	char *dmarc_text;	/* NULL: none */
	struct dmarc_txt dmarc;
	bool has_dmarc;

	struct spf_tree spf;
	struct dns_sender_check *senders;
	size_t n_senders;

	struct dns_dkim *dkim;
	size_t n_dkim;

	char *sts_text;		/* the _mta-sts record, NULL: none */
	struct sts_record sts;
	bool has_sts;
	enum https_status policy_status;
	char policy_detail[256];
	bool has_policy;	/* fetched and usable */
	struct sts_policy policy;

	char *tlsrpt_text;
	struct tlsrpt_record tlsrpt;
	bool has_tlsrpt;

	struct dns_mx *mx;
	size_t n_mx;
	bool is_null_mx;	/* "MX 0 ." (RFC 7505): no mail accepted */

	struct findings findings;
};

/*
 * Read and judge domain (lower-case, no trailing dot) into *out.  Every
 * outcome of DNS, HTTPS or SMTP is a finding; -1 only with ERR_USAGE
 * (domain is no host name: empty labels, labels over 63 characters,
 * other characters than letters, digits, '-' and '_', one label only,
 * an IPv4 address), before anything is asked.
 */
int dns_check(struct resolver *r, const char *domain,
    const struct dns_check_opts *o, struct dns_posture *out,
    struct err *err);

void dns_posture_free(struct dns_posture *p);

#endif
