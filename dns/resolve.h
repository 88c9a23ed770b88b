/*
 * resolve: forward DNS questions (TXT, MX, A, AAAA) one at a time with
 * c-ares, under a total time budget shared by every question of a run,
 * with the answers kept for the life of the resolver (an SPF tree asks
 * for the same include many times).
 *
 * A struct resolver serves one thread.  Answers are the resolver's: valid
 * until resolver_free(), whatever is asked meanwhile.
 */
#ifndef DMARC_DNS_RESOLVE_H
#define DMARC_DNS_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct resolver;

enum dns_rcode {
	DNS_ANSWER,	/* records came back */
	DNS_NODATA,	/* the name exists without such records */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_FAIL,	/* timeout, SERVFAIL, refused, malformed, over budget */
};

/* "answer", "no data", "nxdomain", "failed" */
const char *dns_rcode_name(enum dns_rcode rc);

/* What came back for one question.  txt: each TXT record's strings joined
 * (RFC 7208 3.3); mx: host names lower-cased without the trailing dot,
 * by preference; addr: IP addresses as text. */
struct dns_answer {
	enum dns_rcode rc;
	char **v;		/* the records, by the rules above */
	unsigned *pref;		/* MX preferences, else NULL */
	size_t n;
	char detail[128];	/* why DNS_FAIL */
};

/*
 * A resolver asking server ("IP", "IP:PORT", "[IPv6]:PORT"; NULL or ""
 * for /etc/resolv.conf), each question with timeout_ms per try, all of
 * them within budget_ms from now.  ERR_USAGE for a bad server, ERR_NET
 * when c-ares cannot start.
 */
int resolver_new(struct resolver **out, const char *server,
    unsigned timeout_ms, unsigned budget_ms, struct err *err);

/* Ask (or recall) the records of one type (ns_t_txt, ns_t_mx, ns_t_a,
 * ns_t_aaaa) of name.  Never NULL. */
const struct dns_answer *resolver_ask(struct resolver *r, const char *name,
    int type);

/* Whether any server answered at all (an answer, NODATA or NXDOMAIN):
 * false after questions means DNS cannot be reached. */
bool resolver_reached(const struct resolver *r);

/* Questions sent to the network (recalled ones not counted). */
size_t resolver_queries(const struct resolver *r);

void resolver_free(struct resolver *r);

#endif
