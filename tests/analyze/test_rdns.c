/*
 * Reverse DNS against a real server on loopback: scripts/dns-rig.sh starts
 * a private dnsmasq that answers from a hosts file of the test's own.
 * The failure cases use a socket that takes queries and never answers,
 * and a port where nothing listens.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "analyze/rdns.h"
#include "common/buf.h"
#include "common/xalloc.h"
#include "tests/test_util.h"

#define RIG_TTL 600		/* dns-rig.sh serves the hosts file so */
#define MAX_IPS 200

/* The rig's hosts file: "IP name" gives the PTR record of IP. */
static const struct {
	const char *ip, *name;
} hosts[] = {
	{ "192.0.2.1", "mail.example.com" },
	{ "2001:db8::25", "mx.example.org" },
	{ "192.0.2.7", "MiXed.Example.NET" },
	{ "2001:db8:1::99", "v6.example.net" },
	/* among the generated addresses of many_ips() */
	{ "198.51.100.51", "host51.example.net" },
	{ "203.0.113.151", "host151.example.net" },
	{ "2001:db8:2::20", "host32.example.net" },
};

/* The dnsmasq of one test (each test runs in a process of its own). */
static char *rig_dir;
static char rig_server[64];

/* A UDP socket on 127.0.0.1 at a port the kernel picks; its port in
 * *port. */
static int
udp_socket(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0, "socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	    "bind 127.0.0.1:0");
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}


static void
rig_start(void)
{
	struct buf text;

	buf_init(&text, 1u << 20);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		buf_addf(&text, NULL, "%s %s\n", hosts[i].ip, hosts[i].name);
	rig_dir = test_tmpdir();
	snprintf(rig_server, sizeof(rig_server), "127.0.0.1:%u",
	    test_dns_start(rig_dir, buf_str(&text)));
	buf_release(&text);
}

/* Runs also when a test's assertion fails: no dnsmasq outlives a test. */
static void
rig_stop(void)
{
	char cmd[1024], *out, *err;

	if (rig_dir == NULL)
		return;
	test_dns_stop(rig_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rig_dir);
	(void)test_run(cmd, &out, &err);
	free(out);
	free(err);
	free(rig_dir);
	rig_dir = NULL;
}

/* What the callback saw for each address. */
struct seen {
	const char *const *ips;
	size_t n;
	unsigned calls[MAX_IPS];
	enum rdns_status st[MAX_IPS];
	char name[MAX_IPS][64];
	unsigned ttl[MAX_IPS];
	unsigned stray;		/* calls for a pointer not in ips */
	unsigned bad_name;	/* name set without RDNS_OK or the reverse */
};

static void
on_result(void *ctx, const char *ip, enum rdns_status st, const char *name,
    unsigned ttl)
{
	struct seen *s = ctx;
	size_t i = 0;

	while (i < s->n && s->ips[i] != ip)
		i++;
	if (i == s->n) {
		s->stray++;
		return;
	}
	s->calls[i]++;
	s->st[i] = st;
	s->ttl[i] = ttl;
	if ((name != NULL) != (st == RDNS_OK))
		s->bad_name++;
	snprintf(s->name[i], sizeof(s->name[i]), "%s", name ? name : "");
}

static uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Resolve ips through server into a fresh struct seen; the time it took
 * in *ms.  Any error fails the test. */
static struct seen *
resolve(const char *server, unsigned timeout_ms, unsigned max_inflight,
    const char *const *ips, size_t n, uint64_t *ms)
{
	struct seen *s = xcalloc(1, sizeof(*s));
	struct rdns *r = NULL;
	struct err err;
	uint64_t t0;
	int rc;

	cr_assert_leq(n, MAX_IPS);
	s->ips = ips;
	s->n = n;
	cr_assert_eq(rdns_new(&r, server, timeout_ms, max_inflight, &err), 0,
	    "%s", err.msg);
	t0 = clock_ms();
	rc = rdns_resolve(r, ips, n, on_result, s, &err);
	*ms = clock_ms() - t0;
	rdns_free(r);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_eq(s->stray, 0);
	cr_expect_eq(s->bad_name, 0);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(s->calls[i], 1, "%s: %u calls", ips[i],
		    s->calls[i]);
	return s;
}

/* The PTR name the rig gives ip, lower-cased, or NULL. */
static const char *
rig_name(const char *ip, char *buf, size_t bufsz)
{
	/* an IPv4-mapped address is asked for under in-addr.arpa */
	if (strncmp(ip, "::ffff:", 7) == 0)
		ip += 7;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		if (strcmp(hosts[i].ip, ip) != 0)
			continue;
		snprintf(buf, bufsz, "%s", hosts[i].name);
		for (char *p = buf; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		return buf;
	}
	return NULL;
}

/* 200 addresses: the named ones spread among many without a name, in
 * IPv4, IPv6 and IPv4-mapped form, and one that is no address. */
static size_t
many_ips(char text[MAX_IPS][48], const char *ips[MAX_IPS])
{
	static const char *const fixed[] = {
		"192.0.2.1", "2001:db8::25", "192.0.2.7", "192.0.2.99",
		"not-an-ip", "::ffff:192.0.2.1", "2001:DB8:1::99",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		snprintf(text[n++], 48, "%s", fixed[i]);
	for (unsigned i = 0; n < MAX_IPS; i++) {
		if (i % 3 == 0)
			snprintf(text[n++], 48, "198.51.100.%u", i);
		else if (i % 3 == 1)
			snprintf(text[n++], 48, "203.0.113.%u", i);
		else
			snprintf(text[n++], 48, "2001:db8:2::%x", i);
	}
	for (size_t i = 0; i < n; i++)
		ips[i] = text[i];
	return n;
}

Test(rdns, resolves_many_at_once, .init = rig_start, .fini = rig_stop)
{
	static const unsigned inflight[] = { 1, 7, 64, 500 };
	static char text[MAX_IPS][48];
	const char *ips[MAX_IPS];
	size_t n = many_ips(text, ips);
	unsigned timeout_ms = 500;

	for (size_t k = 0; k < sizeof(inflight) / sizeof(inflight[0]); k++) {
		uint64_t ms;
		struct seen *s = resolve(rig_server, timeout_ms, inflight[k],
		    ips, n, &ms);
		size_t named = 0;

		for (size_t i = 0; i < n; i++) {
			char buf[64];
			const char *want = rig_name(ips[i], buf, sizeof(buf));

			/* 2001:DB8:1::99 is the rig's 2001:db8:1::99 */
			if (strcmp(ips[i], "2001:DB8:1::99") == 0)
				want = "v6.example.net";
			if (want == NULL) {
				cr_expect_eq(s->st[i], RDNS_NONE, "%s: %d",
				    ips[i], s->st[i]);
				continue;
			}
			named++;
			cr_expect_eq(s->st[i], RDNS_OK, "%s: %d", ips[i],
			    s->st[i]);
			cr_expect_str_eq(s->name[i], want, "%s", ips[i]);
			cr_expect_eq(s->ttl[i], RIG_TTL, "%s: ttl %u", ips[i],
			    s->ttl[i]);
		}
		cr_expect_eq(named, 8, "named %zu", named);
		/* one query after the other timing out would take 100 s */
		cr_expect_lt(ms, 4 * timeout_ms, "%u in flight: %llu ms",
		    inflight[k], (unsigned long long)ms);
		free(s);
	}
}

/* Datagrams waiting on fd (all of them are read). */
static unsigned
drain(int fd)
{
	unsigned char buf[1500];
	unsigned n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

Test(rdns, silent_server_fails_in_time_and_queues)
{
	static char text[20][48];
	const char *ips[20];
	unsigned port, timeout_ms = 100, per_query, waves, sent;
	char server[64];
	uint64_t ms;
	struct seen *s;
	int fd = udp_socket(&port);

	for (size_t i = 0; i < 20; i++) {
		snprintf(text[i], sizeof(text[i]), "192.0.2.%zu", i + 1);
		ips[i] = text[i];
	}
	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	s = resolve(server, timeout_ms, 8, ips, 20, &ms);
	for (size_t i = 0; i < 20; i++)
		cr_expect_eq(s->st[i], RDNS_FAIL, "%s: %d", ips[i], s->st[i]);
	free(s);
	/* two tries, the second waiting twice as long; 8 at a time make
	 * three waves (all 20 at once would take one) */
	per_query = timeout_ms + 2 * timeout_ms;
	waves = 3;
	cr_expect_geq(ms, waves * per_query * 9 / 10, "%llu ms: more than "
	    "8 in flight?", (unsigned long long)ms);
	/* every query ends within its budget: per_query and a second */
	cr_expect_lt(ms, waves * (per_query + 1000), "%llu ms",
	    (unsigned long long)ms);
	sent = drain(fd);
	cr_expect(sent >= 20 && sent <= 2 * 20, "%u queries sent", sent);
	close(fd);
}

Test(rdns, nothing_listening_fails)
{
	static char text[10][48];
	const char *ips[10];
	unsigned timeout_ms = 200;
	char server[64];
	uint64_t ms;
	struct seen *s;

	for (size_t i = 0; i < 10; i++) {
		snprintf(text[i], sizeof(text[i]), "2001:db8::%zx", i + 1);
		ips[i] = text[i];
	}
	snprintf(server, sizeof(server), "127.0.0.1:%u", test_free_port(SOCK_DGRAM));
	s = resolve(server, timeout_ms, 16, ips, 10, &ms);
	for (size_t i = 0; i < 10; i++)
		cr_expect_eq(s->st[i], RDNS_FAIL, "%s: %d", ips[i], s->st[i]);
	free(s);
	cr_expect_lt(ms, 3 * timeout_ms + 1000, "%llu ms",
	    (unsigned long long)ms);
}

Test(rdns, text_that_is_no_address_is_none_without_a_query)
{
	static const char *const ips[] = {
		"", "not-an-ip", "192.0.2", "300.1.2.3", "192.0.2.1 ",
		" 192.0.2.1", "fe80::1%lo", "2001:db8::1::2", "192.0.2.1/24",
		"mail.example.com",
	};
	size_t n = sizeof(ips) / sizeof(ips[0]);
	unsigned port;
	char server[64];
	uint64_t ms;
	struct seen *s;
	int fd = udp_socket(&port);

	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	s = resolve(server, 1000, 4, ips, n, &ms);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(s->st[i], RDNS_NONE, "'%s': %d", ips[i],
		    s->st[i]);
		cr_expect_eq(s->ttl[i], 0);
	}
	free(s);
	cr_expect_lt(ms, 1000, "%llu ms", (unsigned long long)ms);
	cr_expect_eq(drain(fd), 0);
	close(fd);
}

Test(rdns, nothing_to_resolve)
{
	struct seen s;
	struct rdns *r = NULL;
	struct err err;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(rdns_new(&r, "127.0.0.1:9", 100, 4, &err), 0, "%s",
	    err.msg);
	cr_expect_eq(rdns_resolve(r, NULL, 0, on_result, &s, &err), 0);
	cr_expect_eq(s.stray, 0);
	rdns_free(r);
}

Test(rdns, new_checks_its_arguments)
{
	static const struct {
		const char *server;
		unsigned timeout_ms, max_inflight;
		enum err_code want;
	} cases[] = {
		{ NULL, 1000, 10, ERR_OK },
		{ "", 1000, 10, ERR_OK },
		{ "127.0.0.1", 1000, 10, ERR_OK },
		{ "127.0.0.1:5353", 1000, 10, ERR_OK },
		{ "[::1]:5353", 1000, 10, ERR_OK },
		{ "::1", 1000, 10, ERR_OK },
		{ "not a server", 1000, 10, ERR_USAGE },
		{ "127.0.0.1:5353", 0, 10, ERR_USAGE },
		{ "127.0.0.1:5353", 1000, 0, ERR_USAGE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = cases[i].server ? cases[i].server : "(null)";
		struct rdns *r = NULL;
		struct err err;
		int rc = rdns_new(&r, cases[i].server, cases[i].timeout_ms,
		    cases[i].max_inflight, &err);

		if (cases[i].want == ERR_OK) {
			cr_expect_eq(rc, 0, "%s: %s", name, err.msg);
			cr_expect_not_null(r, "%s", name);
		} else {
			cr_expect_eq(rc, -1, "%s", name);
			cr_expect_eq(err.code, cases[i].want, "%s: %s", name,
			    err.msg);
			cr_expect_null(r, "%s", name);
		}
		rdns_free(r);
	}
	rdns_free(NULL);
}
