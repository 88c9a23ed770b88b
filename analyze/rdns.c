#include "analyze/rdns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>

#include "common/str.h"
#include "common/xalloc.h"

/* sends of one query to each server */
#define RDNS_TRIES 2
/* beyond the time c-ares itself allows a query: a slow callback, a busy
 * machine; reaching it means c-ares failed to time the query out */
#define RDNS_SLACK_MS 1000
/* a reverse name: 32 nibbles and dots, "ip6.arpa" and a NUL */
#define REVERSE_NAME_SIZE 80

struct rdns {
	ares_channel ch;
	unsigned max_inflight;
	uint64_t budget_ms;	/* a query's start to its hard deadline */
	uint64_t stop_ms;	/* monotonic: nothing asked after; 0: none */
};

struct run;

/* One address of an rdns_resolve() call. */
struct query {
	struct run *run;
	const char *ip;
	uint64_t deadline_ms;	/* monotonic; set when the query starts */
	unsigned char addr[16];
	int family;
	bool is_done;
};

/* One rdns_resolve() call.  Queries start in index order with the same
 * budget, so the first started query not yet done has the earliest
 * deadline of all in flight. */
struct run {
	struct rdns *r;
	struct query *q;
	size_t n;
	size_t next;		/* first query not started */
	size_t oldest;		/* none before it is still in flight */
	size_t done;
	unsigned inflight;
	bool is_quiet;		/* failed: no more calls to fn */
	bool is_exists;		/* names to look up, not addresses */
	rdns_fn fn;
	void *ctx;
};

uint64_t
rdns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * How long c-ares may work on one query, plus slack: it sends the query
 * RDNS_TRIES times to each server, and doubles the timeout after each
 * round through the servers (timeout, 2 timeout, ...).
 */
static uint64_t
query_budget_ms(ares_channel ch, unsigned timeout_ms)
{
	struct ares_addr_port_node *servers = NULL;
	uint64_t nservers = 0;

	if (ares_get_servers_ports(ch, &servers) == ARES_SUCCESS)
		for (struct ares_addr_port_node *s = servers; s != NULL;
		    s = s->next)
			nservers++;
	ares_free_data(servers);
	if (nservers == 0)
		nservers = 1;
	return nservers * timeout_ms * ((1u << RDNS_TRIES) - 1) +
	    RDNS_SLACK_MS;
}

/* A channel with our timeout and tries, asking server when given. */
static int
channel_open(struct rdns *r, const char *server, unsigned timeout_ms,
    struct err *err)
{
	struct ares_options opt;
	int rc;

	memset(&opt, 0, sizeof(opt));
	opt.timeout = (int)timeout_ms;
	opt.tries = RDNS_TRIES;
	rc = ares_init_options(&r->ch, &opt,
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		r->ch = NULL;
		return err_set(err, ERR_NET, "cannot set up the resolver: %s",
		    ares_strerror(rc));
	}
	if (server == NULL || *server == '\0')
		return 0;
	rc = ares_set_servers_ports_csv(r->ch, server);
	if (rc != ARES_SUCCESS)
		return err_set(err, ERR_USAGE, "bad dns server '%s': %s",
		    server, ares_strerror(rc));
	return 0;
}

int
rdns_new(struct rdns **out, const char *server, unsigned timeout_ms,
    unsigned max_inflight, struct err *err)
{
	struct rdns *r;
	int rc;

	/* INT_MAX / 4: c-ares keeps the doubled timeout in an int */
	if (timeout_ms == 0 || timeout_ms > INT_MAX / 4)
		return err_set(err, ERR_USAGE, "bad dns timeout %u ms",
		    timeout_ms);
	if (max_inflight == 0)
		return err_set(err, ERR_USAGE, "bad number of dns queries in "
		    "flight: 0");
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS)
		return err_set(err, ERR_NET, "cannot start c-ares: %s",
		    ares_strerror(rc));
	/* from here rdns_free() undoes ares_library_init() */
	r = xcalloc(1, sizeof(*r));
	r->max_inflight = max_inflight;
	if (channel_open(r, server, timeout_ms, err) == -1) {
		rdns_free(r);
		return -1;
	}
	r->budget_ms = query_budget_ms(r->ch, timeout_ms);
	*out = r;
	return 0;
}

void
rdns_set_budget(struct rdns *r, uint64_t ms)
{
	r->stop_ms = ms == 0 ? 0 : rdns_now_ms() + ms;
}

void
rdns_free(struct rdns *r)
{
	if (r == NULL)
		return;
	if (r->ch != NULL)
		ares_destroy(r->ch);
	free(r);
	ares_library_cleanup();
}

/*
 * Parse q->ip into q->addr and q->family; -1 when it is no IP address.
 * An IPv4-mapped IPv6 address counts as IPv4: its PTR record, if any,
 * lives in in-addr.arpa.
 */
static int
query_parse_ip(struct query *q)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (q->ip == NULL)
		return -1;
	if (inet_pton(AF_INET, q->ip, q->addr) == 1) {
		q->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, q->ip, q->addr) != 1)
		return -1;
	q->family = AF_INET6;
	if (memcmp(q->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(q->addr, q->addr + 12, 4);
		q->family = AF_INET;
	}
	return 0;
}

/* The reverse name of q->addr: d.c.b.a.in-addr.arpa or the 32 nibbles of
 * an IPv6 address under ip6.arpa (RFC 3596). */
static void
reverse_name(const struct query *q, char out[REVERSE_NAME_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *a = q->addr;
	size_t o = 0;
	int len;

	if (q->family == AF_INET) {
		len = snprintf(out, REVERSE_NAME_SIZE,
		    "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		assert(len > 0 && len < REVERSE_NAME_SIZE);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	assert(o + sizeof("ip6.arpa") <= REVERSE_NAME_SIZE);
	memcpy(out + o, "ip6.arpa", sizeof("ip6.arpa"));
}

/* End q: count it and tell the caller, unless the run has failed. */
static void
query_finish(struct query *q, enum rdns_status st, const char *name,
    unsigned ttl)
{
	struct run *run = q->run;

	assert(!q->is_done);
	q->is_done = true;
	run->done++;
	if (!run->is_quiet)
		run->fn(run->ctx, q->ip, st, name, ttl);
}

/* What a c-ares status says about an address. */
static enum rdns_status
status_of(int ares_status)
{
	switch (ares_status) {
	case ARES_SUCCESS:
		return RDNS_OK;
	case ARES_ENOTFOUND:	/* NXDOMAIN */
	case ARES_ENODATA:	/* the name exists, without PTR */
		return RDNS_NONE;
	default:		/* timeout, SERVFAIL, refused, cancelled */
		return RDNS_FAIL;
	}
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Move *off past the (possibly compressed) name at m + *off. */
static int
skip_name(const unsigned char *m, size_t len, size_t *off)
{
	while (*off < len) {
		unsigned char c = m[*off];

		if (c == 0) {
			*off += 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {	/* a pointer ends the name */
			*off += 2;
			return *off <= len ? 0 : -1;
		}
		if ((c & 0xc0) != 0)
			return -1;
		*off += 1 + (size_t)c;
	}
	return -1;
}

/*
 * The smallest TTL of the PTR and CNAME records in the answer section of
 * message m, 0 when there is none or m is cut short.  ares_parse_ptr_reply()
 * finds the name but drops the TTLs, so this small walk over the records
 * gets them; a CNAME on the way (RFC 2317 delegation) limits how long the
 * answer holds as much as the PTR record itself.
 */
static unsigned
answer_ttl(const unsigned char *m, size_t len)
{
	size_t off = HFIXEDSZ;
	uint32_t ttl = 0;
	bool has_ttl = false;
	unsigned qdcount, ancount;

	if (len < HFIXEDSZ)
		return 0;
	qdcount = get16(m + 4);
	ancount = get16(m + 6);
	for (unsigned i = 0; i < qdcount; i++) {
		if (skip_name(m, len, &off) == -1 || len - off < QFIXEDSZ)
			return 0;
		off += QFIXEDSZ;
	}
	for (unsigned i = 0; i < ancount; i++) {
		unsigned type;
		uint32_t t;

		if (skip_name(m, len, &off) == -1 || len - off < RRFIXEDSZ)
			return 0;
		type = get16(m + off);
		/* RFC 2181 8: a TTL with the top bit set means zero */
		t = get32(m + off + 4) > INT32_MAX ? 0 : get32(m + off + 4);
		off += RRFIXEDSZ + get16(m + off + 8);
		if (off > len)
			return 0;
		if (type != ns_t_ptr && type != ns_t_cname)
			continue;
		if (!has_ttl || t < ttl)
			ttl = t;
		has_ttl = true;
	}
	return (unsigned)ttl;
}

/*
 * The first PTR name of a successful answer into name (lower-cased, no
 * trailing dot) and its TTL.  A name that does not fit is a malformed
 * answer; an empty one (the root) is no name.
 */
static enum rdns_status
read_answer(const struct query *q, const unsigned char *abuf, int alen,
    char *name, size_t namesz, unsigned *ttl)
{
	struct hostent *he = NULL;
	size_t len;
	int rc;

	rc = ares_parse_ptr_reply(abuf, alen, q->addr,
	    q->family == AF_INET ? 4 : 16, q->family, &he);
	if (rc != ARES_SUCCESS)
		return status_of(rc);
	rc = he->h_name == NULL ? -1 :
	    snprintf(name, namesz, "%s", he->h_name);
	ares_free_hostent(he);
	if (rc < 0 || (size_t)rc >= namesz)
		return RDNS_FAIL;
	len = (size_t)rc;
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	if (len == 0)
		return RDNS_NONE;
	str_lower(name);
	*ttl = answer_ttl(abuf, (size_t)alen);
	return RDNS_OK;
}

/* c-ares's callback for one query: it has ended, one way or another. */
static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct query *q = arg;
	char name[NS_MAXDNAME];
	unsigned ttl = 0;
	enum rdns_status st;

	(void)timeouts;
	q->run->inflight--;
	if (q->run->is_exists) {
		/* NOERROR without an address: the name exists all the same */
		query_finish(q, status == ARES_SUCCESS ||
		    status == ARES_ENODATA ? RDNS_OK : status ==
		    ARES_ENOTFOUND ? RDNS_NONE : RDNS_FAIL, NULL, 0);
		return;
	}
	if (status == ARES_SUCCESS && abuf != NULL)
		st = read_answer(q, abuf, alen, name, sizeof(name), &ttl);
	else
		st = status == ARES_SUCCESS ? RDNS_FAIL : status_of(status);
	query_finish(q, st, st == RDNS_OK ? name : NULL, ttl);
}

/* Start queued queries until max_inflight are in flight or none is left;
 * text that is no address ends at once. */
static void
start_queries(struct run *run)
{
	char ptr[REVERSE_NAME_SIZE];

	while (run->next < run->n && run->inflight < run->r->max_inflight) {
		struct query *q = &run->q[run->next++];

		if (run->is_exists) {
			if (q->ip == NULL || *q->ip == '\0' ||
			    strlen(q->ip) >= NS_MAXDNAME) {
				query_finish(q, RDNS_FAIL, NULL, 0);
				continue;
			}
			q->deadline_ms = rdns_now_ms() + run->r->budget_ms;
			run->inflight++;
			ares_query(run->r->ch, q->ip, ns_c_in, ns_t_a, on_answer,
			    q);
			continue;
		}
		if (query_parse_ip(q) == -1) {
			query_finish(q, RDNS_NONE, NULL, 0);
			continue;
		}
		reverse_name(q, ptr);
		q->deadline_ms = rdns_now_ms() + run->r->budget_ms;
		/* counted first: c-ares may call on_answer() right away */
		run->inflight++;
		ares_query(run->r->ch, ptr, ns_c_in, ns_t_ptr, on_answer, q);
	}
}

/* The in-flight query with the earliest deadline, NULL when none is. */
static const struct query *
oldest_in_flight(struct run *run)
{
	while (run->oldest < run->next && run->q[run->oldest].is_done)
		run->oldest++;
	return run->oldest < run->next ? &run->q[run->oldest] : NULL;
}

/* Past the resolver's time budget: those in flight end as RDNS_FAIL,
 * those not asked as RDNS_SKIPPED. */
static bool
stop_if_late(struct run *run)
{
	if (run->r->stop_ms == 0 || rdns_now_ms() < run->r->stop_ms)
		return false;
	while (run->next < run->n)
		query_finish(&run->q[run->next++], RDNS_SKIPPED, NULL, 0);
	if (run->inflight > 0)
		ares_cancel(run->r->ch);
	return true;
}

/* How long poll() may sleep: until c-ares's next timeout, and never past
 * the earliest deadline.  Rounded up: waking early would only spin. */
static int
wait_ms(struct run *run)
{
	const struct query *q = oldest_in_flight(run);
	struct timeval max, buf, *tv;
	uint64_t now = rdns_now_ms(), left = 0, ms;

	assert(q != NULL);
	if (q->deadline_ms > now)
		left = q->deadline_ms - now;
	if (run->r->stop_ms != 0) {
		uint64_t to_stop = run->r->stop_ms > now ?
		    run->r->stop_ms - now : 0;

		if (to_stop < left)
			left = to_stop;
	}
	max.tv_sec = (time_t)(left / 1000);
	max.tv_usec = (suseconds_t)(left % 1000 * 1000);
	tv = ares_timeout(run->r->ch, &max, &buf);
	ms = (uint64_t)tv->tv_sec * 1000 + ((uint64_t)tv->tv_usec + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Bit i of ares_getsock()'s mask; its ARES_GETSOCK_WRITABLE() shifts a
 * signed 1 into the sign bit for the last socket. */
static bool
sock_bit(int bits, int i)
{
	return ((unsigned)bits >> i & 1u) != 0;
}

/* Wait for c-ares's sockets or its next timeout, then let it work. */
static int
wait_and_process(struct run *run, struct err *err)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	ares_channel ch = run->r->ch;
	nfds_t nfd = 0;
	int bits, ready;

	bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = (sock_bit(bits, i) ? POLLIN : 0) |
		    (sock_bit(bits, i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0);

		if (ev == 0)
			continue;
		pfd[nfd].fd = socks[i];
		pfd[nfd].events = ev;
		pfd[nfd].revents = 0;
		nfd++;
	}
	ready = poll(pfd, nfd, wait_ms(run));
	if (ready == -1 && errno != EINTR)
		return err_set(err, ERR_NET, "cannot wait for dns answers: %s",
		    strerror(errno));
	if (ready <= 0) {
		/* nothing to read: c-ares retries or ends what timed out */
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return 0;
	}
	for (nfds_t i = 0; i < nfd; i++) {
		short rev = pfd[i].revents;

		if (rev == 0)
			continue;
		/* an error (ICMP unreachable) shows when c-ares reads */
		ares_process_fd(ch,
		    rev & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd :
		    ARES_SOCKET_BAD,
		    rev & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
	}
	return 0;
}

/*
 * c-ares ends every query in its own time; should one outlive its budget
 * all in flight end as RDNS_FAIL (c-ares 1.18 cannot cancel just one), so
 * that no call waits forever.
 */
static void
enforce_deadline(struct run *run)
{
	const struct query *q = oldest_in_flight(run);

	if (q != NULL && rdns_now_ms() >= q->deadline_ms)
		ares_cancel(run->r->ch);
}

static int
run_all(struct rdns *r, const char *const *ips, size_t n, bool is_exists,
    rdns_fn fn, void *ctx, struct err *err)
{
	struct run run = { .r = r, .n = n, .fn = fn, .ctx = ctx,
		.is_exists = is_exists };
	int ret = -1;

	if (n == 0)
		return 0;
	run.q = xcalloc(n, sizeof(*run.q));
	for (size_t i = 0; i < n; i++) {
		run.q[i].run = &run;
		run.q[i].ip = ips[i];
	}
	for (;;) {
		if (!stop_if_late(&run))
			start_queries(&run);
		if (run.done == n)
			break;
		if (wait_and_process(&run, err) == -1)
			goto out;
		enforce_deadline(&run);
	}
	ret = 0;
out:
	/* no query may outlive run: its callback would write to it */
	if (run.inflight > 0) {
		run.is_quiet = true;
		ares_cancel(r->ch);
	}
	assert(run.inflight == 0);
	free(run.q);
	return ret;
}

int
rdns_resolve(struct rdns *r, const char *const *ips, size_t n, rdns_fn fn,
    void *ctx, struct err *err)
{
	return run_all(r, ips, n, false, fn, ctx, err);
}

int
rdns_exists(struct rdns *r, const char *const *names, size_t n, rdns_fn fn,
    void *ctx, struct err *err)
{
	return run_all(r, names, n, true, fn, ctx, err);
}
