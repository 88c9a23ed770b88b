#include "dns/resolve.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ares.h>

#include "common/str.h"
#include "common/xalloc.h"

/* sends of one question to each server */
#define RESOLVE_TRIES 2
/* records kept of one answer: more is hostile or useless (RFC 7208 4.6.4
 * already stops an MX walk at 10) */
#define ANSWER_MAX 64
/* one TXT record, joined: DNS messages are at most 64 KB */
#define TXT_MAX 65536

struct cached {
	char *name;
	int type;
	struct dns_answer a;
};

struct resolver {
	ares_channel ch;
	uint64_t deadline_ms;	/* monotonic: the end of the budget */
	struct cached **cache;	/* each answer allocated once: a caller
				 * holds one while asking the next */
	size_t n_cache, cap_cache;
	size_t queries;
	bool is_reached;
};

const char *
dns_rcode_name(enum dns_rcode rc)
{
	static const char *const names[] = {
		[DNS_ANSWER] = "answer", [DNS_NODATA] = "no data",
		[DNS_NXDOMAIN] = "nxdomain", [DNS_FAIL] = "failed",
	};

	return names[rc];
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
resolver_new(struct resolver **out, const char *server, unsigned timeout_ms,
    unsigned budget_ms, struct err *err)
{
	struct ares_options opt;
	struct resolver *r;
	int rc;

	if (timeout_ms == 0 || timeout_ms > INT_MAX / 4 || budget_ms == 0)
		return err_set(err, ERR_USAGE, "bad dns timeout %u ms or "
		    "budget %u ms", timeout_ms, budget_ms);
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS)
		return err_set(err, ERR_NET, "cannot start c-ares: %s",
		    ares_strerror(rc));
	/* from here resolver_free() undoes ares_library_init() */
	r = xcalloc(1, sizeof(*r));
	memset(&opt, 0, sizeof(opt));
	opt.timeout = (int)timeout_ms;
	opt.tries = RESOLVE_TRIES;
	rc = ares_init_options(&r->ch, &opt,
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		r->ch = NULL;
		resolver_free(r);
		return err_set(err, ERR_NET, "cannot set up the resolver: %s",
		    ares_strerror(rc));
	}
	if (server != NULL && *server != '\0') {
		rc = ares_set_servers_ports_csv(r->ch, server);
		if (rc != ARES_SUCCESS) {
			resolver_free(r);
			return err_set(err, ERR_USAGE, "bad dns server '%s': "
			    "%s", server, ares_strerror(rc));
		}
	}
	r->deadline_ms = now_ms() + budget_ms;
	*out = r;
	return 0;
}

static void
answer_free(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->pref);
	memset(a, 0, sizeof(*a));
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_cache; i++) {
		free(r->cache[i]->name);
		answer_free(&r->cache[i]->a);
		free(r->cache[i]);
	}
	free(r->cache);
	if (r->ch != NULL)
		ares_destroy(r->ch);
	free(r);
	ares_library_cleanup();
}

bool
resolver_reached(const struct resolver *r)
{
	return r->is_reached;
}

size_t
resolver_queries(const struct resolver *r)
{
	return r->queries;
}

static void
answer_push(struct dns_answer *a, char *text, unsigned pref)
{
	if (a->n >= ANSWER_MAX) {
		free(text);
		return;
	}
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->pref = xreallocarray(a->pref, a->n + 1, sizeof(*a->pref));
	a->v[a->n] = text;
	a->pref[a->n] = pref;
	a->n++;
}

/* "Mx1.Example.COM." -> "mx1.example.com" */
static char *
host_dup(const char *name)
{
	char *s = xstrdup(name);
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (char *p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

static void
parse_txt(const unsigned char *m, int len, struct dns_answer *a)
{
	struct ares_txt_ext *txt = NULL;
	char *cur = NULL;
	size_t n = 0;

	if (ares_parse_txt_reply_ext(m, len, &txt) != ARES_SUCCESS) {
		a->rc = DNS_FAIL;
		snprintf(a->detail, sizeof(a->detail), "malformed TXT answer");
		return;
	}
	for (struct ares_txt_ext *t = txt; t != NULL; t = t->next) {
		if (t->record_start && cur != NULL) {
			answer_push(a, cur, 0);
			cur = NULL;
			n = 0;
		}
		if (n + t->length >= TXT_MAX)
			continue;
		cur = xrealloc(cur, n + t->length + 1);
		memcpy(cur + n, t->txt, t->length);
		n += t->length;
		cur[n] = '\0';
	}
	if (cur != NULL)
		answer_push(a, cur, 0);
	ares_free_data(txt);
}

static int
mx_order(const void *x, const void *y)
{
	/* sorted as pairs below: pref first, then name */
	const struct { unsigned pref; char *host; } *a = x, *b = y;

	if (a->pref != b->pref)
		return a->pref < b->pref ? -1 : 1;
	return strcmp(a->host, b->host);
}

static void
parse_mx(const unsigned char *m, int len, struct dns_answer *a)
{
	struct ares_mx_reply *mx = NULL;
	struct { unsigned pref; char *host; } *v = NULL;
	size_t n = 0;

	if (ares_parse_mx_reply(m, len, &mx) != ARES_SUCCESS) {
		a->rc = DNS_FAIL;
		snprintf(a->detail, sizeof(a->detail), "malformed MX answer");
		return;
	}
	for (struct ares_mx_reply *x = mx; x != NULL && n < ANSWER_MAX;
	    x = x->next) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].pref = x->priority;
		v[n].host = host_dup(x->host);
		n++;
	}
	ares_free_data(mx);
	qsort(v, n, sizeof(*v), mx_order);
	for (size_t i = 0; i < n; i++)
		answer_push(a, v[i].host, v[i].pref);
	free(v);
}

static void
parse_addr(const unsigned char *m, int len, int type, struct dns_answer *a)
{
	char text[INET6_ADDRSTRLEN];
	int rc;

	if (type == ns_t_a) {
		struct ares_addrttl at[ANSWER_MAX];
		int n = ANSWER_MAX;

		rc = ares_parse_a_reply(m, len, NULL, at, &n);
		for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
			if (inet_ntop(AF_INET, &at[i].ipaddr, text,
			    sizeof(text)) != NULL)
				answer_push(a, xstrdup(text), 0);
	} else {
		struct ares_addr6ttl at[ANSWER_MAX];
		int n = ANSWER_MAX;

		rc = ares_parse_aaaa_reply(m, len, NULL, at, &n);
		for (int i = 0; rc == ARES_SUCCESS && i < n; i++)
			if (inet_ntop(AF_INET6, &at[i].ip6addr, text,
			    sizeof(text)) != NULL)
				answer_push(a, xstrdup(text), 0);
	}
	if (rc == ARES_ENODATA)
		a->rc = DNS_NODATA;
	else if (rc != ARES_SUCCESS) {
		a->rc = DNS_FAIL;
		snprintf(a->detail, sizeof(a->detail), "malformed address "
		    "answer");
	}
}

struct question {
	struct resolver *r;
	int type;
	struct dns_answer *a;
	bool is_done;
};

static void
on_answer(void *arg, int status, int timeouts, unsigned char *m, int len)
{
	struct question *q = arg;
	struct dns_answer *a = q->a;

	(void)timeouts;
	q->is_done = true;
	switch (status) {
	case ARES_SUCCESS:
		q->r->is_reached = true;
		a->rc = DNS_ANSWER;
		if (q->type == ns_t_txt)
			parse_txt(m, len, a);
		else if (q->type == ns_t_mx)
			parse_mx(m, len, a);
		else
			parse_addr(m, len, q->type, a);
		if (a->rc == DNS_ANSWER && a->n == 0)
			a->rc = DNS_NODATA;
		return;
	case ARES_ENOTFOUND:
		q->r->is_reached = true;
		a->rc = DNS_NXDOMAIN;
		return;
	case ARES_ENODATA:
		q->r->is_reached = true;
		a->rc = DNS_NODATA;
		return;
	default:
		a->rc = DNS_FAIL;
		snprintf(a->detail, sizeof(a->detail), "%s",
		    status == ARES_ECANCELLED ? "out of time" :
		    ares_strerror(status));
		return;
	}
}

/* Bit i of ares_getsock()'s mask (see analyze/rdns.c). */
static bool
sock_bit(int bits, int i)
{
	return ((unsigned)bits >> i & 1u) != 0;
}

/* Wait for the question, never past the deadline; then c-ares gives up. */
static void
wait_for(struct resolver *r, struct question *q)
{
	while (!q->is_done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval max, buf, *tv;
		uint64_t now = now_ms(), left, ms;
		nfds_t nfd = 0;
		int bits, ready;

		if (now >= r->deadline_ms) {
			ares_cancel(r->ch);
			break;
		}
		left = r->deadline_ms - now;
		bits = ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (sock_bit(bits, i) ? POLLIN : 0) |
			    (sock_bit(bits, i + ARES_GETSOCK_MAXNUM) ?
			    POLLOUT : 0);

			if (ev == 0)
				continue;
			pfd[nfd].fd = socks[i];
			pfd[nfd].events = ev;
			pfd[nfd].revents = 0;
			nfd++;
		}
		max.tv_sec = (time_t)(left / 1000);
		max.tv_usec = (suseconds_t)(left % 1000 * 1000);
		tv = ares_timeout(r->ch, &max, &buf);
		ms = (uint64_t)tv->tv_sec * 1000 +
		    ((uint64_t)tv->tv_usec + 999) / 1000;
		ready = poll(pfd, nfd, ms > INT_MAX ? INT_MAX : (int)ms);
		if (ready == -1 && errno != EINTR) {
			ares_cancel(r->ch);
			break;
		}
		if (ready <= 0) {
			ares_process_fd(r->ch, ARES_SOCKET_BAD,
			    ARES_SOCKET_BAD);
			continue;
		}
		for (nfds_t i = 0; i < nfd; i++) {
			short rev = pfd[i].revents;

			if (rev == 0)
				continue;
			ares_process_fd(r->ch,
			    rev & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd :
			    ARES_SOCKET_BAD,
			    rev & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
	assert(q->is_done);
}

/* A name c-ares may send: printable, no spaces, at most 253 octets. */
static bool
is_askable(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 253)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

const struct dns_answer *
resolver_ask(struct resolver *r, const char *name, int type)
{
	struct question q = { .r = r, .type = type };
	struct cached *c;

	for (size_t i = 0; i < r->n_cache; i++)
		if (r->cache[i]->type == type &&
		    strcasecmp(r->cache[i]->name, name) == 0)
			return &r->cache[i]->a;
	r->cache = xgrow(r->cache, r->n_cache, &r->cap_cache,
	    sizeof(*r->cache));
	c = xcalloc(1, sizeof(*c));
	r->cache[r->n_cache++] = c;
	c->name = xstrdup(name);
	c->type = type;
	q.a = &c->a;
	if (!is_askable(name)) {
		c->a.rc = DNS_FAIL;
		snprintf(c->a.detail, sizeof(c->a.detail), "not a domain "
		    "name");
		return &c->a;
	}
	if (now_ms() >= r->deadline_ms) {
		c->a.rc = DNS_FAIL;
		snprintf(c->a.detail, sizeof(c->a.detail), "out of time");
		return &c->a;
	}
	r->queries++;
	ares_query(r->ch, name, ns_c_in, type, on_answer, &q);
	wait_for(r, &q);
	return &c->a;
}
