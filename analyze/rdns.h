/*
 * rdns: reverse DNS (PTR) of many IP addresses at once, with c-ares; and
 * whether many domain names exist.
 *
 * A struct rdns is one resolver (servers, timeout, concurrency); each
 * rdns_resolve() call sends up to max_inflight queries at a time, queues
 * the rest and reports every address to a callback as its answer comes in.
 * Nothing is cached between calls.  One struct rdns serves one thread.
 */
#ifndef DMARC_ANALYZE_RDNS_H
#define DMARC_ANALYZE_RDNS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct rdns;

enum rdns_status {
	RDNS_OK,	/* a PTR name came back */
	RDNS_NONE,	/* NXDOMAIN, no PTR record, or no IP address */
	RDNS_FAIL,	/* timeout, SERVFAIL, refused, malformed answer */
	RDNS_SKIPPED,	/* not asked: the time budget was spent */
};

/*
 * The answer for one address.  ip is the caller's string ips[i] itself
 * (compare pointers to find i).  name is the first PTR name, lower-cased
 * and without a trailing dot, valid during the call only; NULL unless st
 * is RDNS_OK.  ttl is how long the answer may be cached, in seconds (the
 * smallest TTL of the PTR record and any CNAME that led to it), 0 when
 * unknown.  Called from inside rdns_resolve(), which it must not call.
 */
typedef void (*rdns_fn)(void *ctx, const char *ip, enum rdns_status st,
    const char *name, unsigned ttl);

/*
 * A resolver asking server: NULL or "" for the system's configuration
 * (/etc/resolv.conf), else "IP", "IP:PORT" or "[IPv6]:PORT"
 * ("127.0.0.1:5353").  Each query is sent twice at most per server: the
 * first try waits timeout_ms for an answer, the second twice as long (as
 * c-ares does).  At most max_inflight queries are outstanding at a time.
 * On success *out is the caller's, for rdns_free().  ERR_USAGE for a bad
 * server or a zero timeout or max_inflight, ERR_NET when c-ares cannot
 * start (no usable resolver configuration).
 */
int rdns_new(struct rdns **out, const char *server, unsigned timeout_ms,
    unsigned max_inflight, struct err *err);

/*
 * A time budget for all the calls to come, from now (0: none): once it is
 * spent, the queries in flight end as RDNS_FAIL and those not started as
 * RDNS_SKIPPED, so a resolver that does not answer costs at most ms.
 */
void rdns_set_budget(struct rdns *r, uint64_t ms);

/* The monotonic clock budgets are counted on, in milliseconds. */
uint64_t rdns_now_ms(void);

/*
 * Resolve the n addresses of ips (IPv4 or IPv6 text, borrowed) and call
 * fn once for each, in any order, as the answers come in.  Text that is no
 * IP address gives RDNS_NONE without a query.  Every query ends by its own
 * deadline (all tries of all servers plus a second), so the call returns
 * even when no server answers.  Returns 0 when every address has had its
 * call, -1 with ERR_NET only when the resolver itself cannot work (poll
 * fails); some addresses then had no call.
 */
int rdns_resolve(struct rdns *r, const char *const *ips, size_t n,
    rdns_fn fn, void *ctx, struct err *err);

/*
 * Whether each of the n domain names exists, the same way: fn gets the
 * name (as ip), RDNS_OK when it exists (an answer, or NOERROR without
 * an address: the name has other records or names below it), RDNS_NONE
 * for NXDOMAIN, RDNS_FAIL when no answer came; name NULL, ttl 0.  The
 * mail From a subdomain that does not exist falls under np (RFC 9989).
 */
int rdns_exists(struct rdns *r, const char *const *names, size_t n,
    rdns_fn fn, void *ctx, struct err *err);

/* Free r (NULL is a no-op). */
void rdns_free(struct rdns *r);

#endif
