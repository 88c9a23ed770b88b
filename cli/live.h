/*
 * live: the live checks of dns/check.h set up from the configuration
 * ([analysis] dns_server, dns_timeout, dns_budget, dkim_selectors,
 * tls_ca_file, mta_sts_port, smtp_port) and fed from the reports: the
 * DKIM selectors they show, and the legitimate senders that fail.
 * dmarcctl dns shows the whole posture; advise and tls read the parts
 * they judge by.
 */
#ifndef DMARC_CLI_LIVE_H
#define DMARC_CLI_LIVE_H

#include <stdbool.h>

#include "cli/analysis.h"
#include "cli/config.h"
#include "cli/window.h"
#include "common/err.h"
#include "analyze/tls.h"
#include "dns/check.h"

struct store;

struct live_opts {
	unsigned parts;		/* DNS_PART_*; 0: all */
	bool want_probe;
};

/*
 * Check domain live into *out (dns_posture_free releases it whatever
 * happens).  s and d (the domain's analysis) may be NULL: without them
 * only the configured selectors are checked and no sender.  The reports'
 * selectors are read over w.  ERR_USAGE for a bad setting, ERR_DB when
 * reading the selectors fails; DNS that cannot be reached is
 * !out->is_reached, not an error.
 */
int live_check(const struct config *cfg, struct store *s,
    const struct window *w, const struct analysis_domain *d,
    const char *domain, const struct live_opts *o, struct dns_posture *out,
    struct err *err);

/*
 * How much live checking one answer command (advise, tls) may do: DNS is
 * asked for at most LIVE_DOMAINS_MAX domains, within [analysis]
 * dns_budget seconds for all of them, and not at all once a server did
 * not answer; the other domains are judged from the reports alone, said
 * once on standard error.  dmarcctl dns, asked for it, has no such cap.
 */
enum { LIVE_DOMAINS_MAX = 25 };

struct live_quota {
	int left;		/* domains */
	long long deadline_ms;	/* monotonic */
	bool is_over;		/* said, and no more */
};

void live_quota_init(struct live_quota *q, const struct config *cfg);

/* Whether one more domain may be checked live. */
bool live_quota_take(struct live_quota *q);

/* After a check: a DNS that did not answer ends the live checks. */
void live_quota_done(struct live_quota *q, const struct dns_posture *p);

/* The findings that hold a policy step back (a signing key gone, a
 * DMARC record receivers ignore), as advise's blockers: pointing into the
 * posture, which must outlive them. */
enum { LIVE_PROBLEMS_MAX = 16 };

struct live_problems {
	struct verdict_dns_problem v[LIVE_PROBLEMS_MAX];
	size_t n;
};

void live_problems_of(const struct dns_posture *p,
    struct live_problems *out);

/*
 * What tls takes from a posture read with DNS_PART_MX | DNS_PART_STS:
 * the mode published now (NULL without an MTA-STS record or when the
 * policy could not be read: the reports' mode holds) and the MX
 * hosts with their coverage and probe, at most max into out (pointing
 * into p).  Returns how many.
 */
const char *live_sts_mode(const struct dns_posture *p);
size_t live_tls_mx(const struct dns_posture *p, struct tls_live_mx *out,
    size_t max);

/* Whether advise shows the finding as a warning: the problems of DMARC,
 * SPF and DKIM that are no blocker. */
bool live_is_warning(const struct finding *f);

#endif
