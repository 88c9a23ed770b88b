/*
 * probe_smtp against the SMTP server of scripts/tls-rig.sh on loopback,
 * presenting the rig's certificates (good, expired, for another name,
 * self-signed) with and without STARTTLS; hostile servers forked here;
 * probe_name_matches as a table.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dns/probe.h"
#include "tests/dns/tls_rig.h"
#include "tests/test_util.h"

#define MX "mx.good.example"

static char *dir;
static char ca[1024];
static pid_t hostile = -1;

static void
rig_certs(void)
{
	dir = test_tmpdir();
	tls_rig_certs(dir, MX " mx2.good.example");
	snprintf(ca, sizeof(ca), "%s/certs/ca.pem", dir);
}

static void
rig_stop(void)
{
	tls_rig_smtp_stop(dir);
	if (hostile > 0) {
		kill(hostile, SIGKILL);
		waitpid(hostile, NULL, 0);
	}
	free(dir);
}

TestSuite(probe, .init = rig_certs, .fini = rig_stop, .timeout = 60);

/* Probe host at 127.0.0.1:port with the rig's CA (or the system's). */
static void
probe(const char *host, unsigned port, const char *cafile,
    unsigned timeout_ms, struct probe_result *r)
{
	struct probe_opts o = { cafile, port, timeout_ms, NULL };
	struct err err;

	cr_assert_eq(probe_smtp(host, "127.0.0.1", &o, r, &err), 0, "%s",
	    err.msg);
}

static bool
has_name(const struct probe_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i], name) == 0)
			return true;
	return false;
}

Test(probe, good_certificate)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "good", 1);

	probe(MX, port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert(r.is_trusted, "%s", r.detail);
	cr_assert(r.is_name_ok);
	cr_assert_not(r.is_expired);
	cr_assert_not(r.is_not_yet_valid);
	cr_assert_gt(r.days_left, 800, "%d days", r.days_left);
	cr_assert_leq(r.days_left, 825, "%d days", r.days_left);
	cr_assert_gt(r.not_after, (int64_t)time(NULL));
	cr_assert_eq(r.n_names, 2);
	cr_assert(has_name(&r, MX));
	cr_assert(has_name(&r, "mx2.good.example"));
	cr_assert(strstr(r.issuer, "dmarcctl test CA") != NULL, "%s",
	    r.issuer);
	cr_assert_str_eq(r.detail, "");
	/* case and a trailing dot are the same host */
	probe("MX2.Good.Example.", port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s", r.detail);
	cr_assert(r.is_name_ok);
}

Test(probe, untrusted_without_the_ca)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "good", 1);

	probe(MX, port, NULL, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert_not(r.is_trusted);
	cr_assert(r.is_name_ok);
	cr_assert_str_eq(r.detail, "certificate issuer is unknown");
}

Test(probe, self_signed)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "self", 1);

	probe(MX, port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s", r.detail);
	cr_assert_not(r.is_trusted);
	cr_assert(r.is_name_ok);
	cr_assert_gt(r.days_left, 0);
}

Test(probe, expired_certificate)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "expired", 1);

	probe(MX, port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert(r.is_expired);
	cr_assert_not(r.is_not_yet_valid);
	cr_assert(r.is_trusted, "the chain holds, expiry aside: %s",
	    r.detail);
	cr_assert(r.is_name_ok);
	cr_assert_lt(r.days_left, -365, "%d days", r.days_left);
	/* 2020-12-31 00:00:00 UTC */
	cr_assert_eq(r.not_after, 1609372800);
	cr_assert(strstr(r.detail, "expired") != NULL, "%s", r.detail);
}

Test(probe, certificate_for_another_name)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "wrong", 1);

	probe(MX, port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_OK, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert(r.is_trusted, "%s", r.detail);
	cr_assert_not(r.is_name_ok);
	cr_assert_not(r.is_expired);
	cr_assert_eq(r.n_names, 1);
	cr_assert_str_eq(r.names[0], "wrong-host.example");
	cr_assert(strstr(r.detail, MX) != NULL, "%s", r.detail);
}

Test(probe, no_starttls)
{
	struct probe_result r;
	unsigned port = tls_rig_smtp_start(dir, "good", 0);

	probe(MX, port, ca, 10000, &r);
	cr_assert_eq(r.st, PROBE_NO_STARTTLS, "%s: %s",
	    probe_status_name(r.st), r.detail);
	cr_assert_neq(r.detail[0], '\0');
}

Test(probe, closed_port)
{
	struct probe_result r;

	probe(MX, test_free_port(SOCK_STREAM), ca, 5000, &r);
	cr_assert_eq(r.st, PROBE_CONNECT, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert(strstr(r.detail, "cannot connect") != NULL, "%s", r.detail);
}

/* A listening socket of 127.0.0.1 (the kernel accepts); its port. */
static int
listener(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

Test(probe, silent_server_times_out)
{
	struct probe_result r;
	struct timespec t0;
	unsigned port;
	int fd = listener(&port);
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	probe(MX, port, ca, 800, &r);
	ms = elapsed_ms(&t0);
	cr_assert_eq(r.st, PROBE_TIMEOUT, "%s: %s", probe_status_name(r.st),
	    r.detail);
	cr_assert_geq(ms, 700, "took %ld ms", ms);
	cr_assert_lt(ms, 2000, "took %ld ms", ms);
	close(fd);
}

/*
 * A server forked here that accepts one connection, answers each line the
 * client sends with the next of the replies (the first one at once, as a
 * greeting), then closes.
 */
static unsigned
hostile_server(const char *const *replies, size_t n)
{
	unsigned port;
	int fd = listener(&port), c;
	char buf[4096];

	hostile = fork();
	cr_assert_geq(hostile, 0);
	if (hostile > 0) {
		close(fd);
		return port;
	}
	alarm(20);
	c = accept(fd, NULL, NULL);
	for (size_t i = 0; c != -1 && i < n; i++) {
		if (i > 0 && read(c, buf, sizeof(buf)) <= 0)
			break;
		for (size_t done = 0, len = strlen(replies[i]); done < len;) {
			ssize_t w = write(c, replies[i] + done, len - done);

			if (w <= 0)
				_exit(0);
			done += (size_t)w;
		}
	}
	_exit(0);
}

/* A reply line of n bytes without an end. */
static char *
long_line(size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memcpy(s, "220 ", 4);
	memset(s + 4, 'x', n - 4);
	s[n] = '\0';
	return s;
}

Test(probe, hostile_servers)
{
	char *huge = long_line(200000);
	char many[120 * 12 + 16];
	const char *const not_smtp[] = { "HTTP/1.1 400 Bad Request\r\n\r\n" };
	const char *const refused[] = { "554 go away\r\n" };
	const char *const closes[] = { "220-first line of a greeting\r\n" };
	const char *const long_reply[] = { "220 hi\r\n", many };
	const char *const mixed[] = { "220 hi\r\n", "250-a\r\n251 b\r\n" };
	const char *const tls_refused[] = { "220 hi\r\n",
	    "250-a\r\n250 STARTTLS\r\n", "454 TLS not available\r\n" };
	const char *const injected[] = { "220 hi\r\n",
	    "250-a\r\n250 STARTTLS\r\n", "220 go\r\n250 injected\r\n" };
	const char *const no_tls[] = { "220 hi\r\n",
	    "250-a\r\n250 STARTTLS\r\n", "220 go\r\n", "garbage, no TLS\r\n" };
	const char *const huge_line[] = { huge };
	struct {
		const char *const *replies;
		size_t n;
		enum probe_status want;
	} all[] = {
		{ not_smtp, 1, PROBE_PROTOCOL },
		{ refused, 1, PROBE_PROTOCOL },
		{ closes, 1, PROBE_PROTOCOL },
		{ long_reply, 2, PROBE_PROTOCOL },
		{ mixed, 2, PROBE_PROTOCOL },
		{ tls_refused, 3, PROBE_NO_STARTTLS },
		{ injected, 3, PROBE_PROTOCOL },
		{ no_tls, 4, PROBE_HANDSHAKE },
		{ huge_line, 1, PROBE_PROTOCOL },
	};
	struct probe_result r;

	/* more lines than a reply may have */
	for (int i = 0; i < 120; i++)
		memcpy(many + i * 12, "250-filler\r\n", 12);
	snprintf(many + 120 * 12, sizeof(many) - 120 * 12, "250 end\r\n");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		unsigned port = hostile_server(all[i].replies, all[i].n);

		probe(MX, port, ca, 5000, &r);
		cr_expect_eq(r.st, all[i].want, "case %zu: %s: %s", i,
		    probe_status_name(r.st), r.detail);
		cr_expect_neq(r.detail[0], '\0', "case %zu", i);
		cr_expect_null(strchr(r.detail, '\n'), "case %zu", i);
		kill(hostile, SIGKILL);
		waitpid(hostile, NULL, 0);
		hostile = -1;
	}
	free(huge);
}

Test(probe, rejects_bad_arguments)
{
	struct probe_opts o = { ca, 25, 1000, NULL };
	struct probe_result r;
	struct err err;

	cr_assert_eq(probe_smtp("", "127.0.0.1", &o, &r, &err), -1);
	cr_assert_eq(err.code, ERR_USAGE);
	cr_assert_eq(probe_smtp("a b", "127.0.0.1", &o, &r, &err), -1);
	cr_assert_eq(probe_smtp(MX, NULL, &o, &r, &err), -1);
	o.helo = "bad\r\nRCPT TO:<x>";
	cr_assert_eq(probe_smtp(MX, "127.0.0.1", &o, &r, &err), -1);
	cr_assert_eq(err.code, ERR_USAGE);
	o.helo = NULL;
	/* not an address: a status, as any address that cannot be reached */
	cr_assert_eq(probe_smtp(MX, "mx.good.example", &o, &r, &err), 0);
	cr_assert_eq(r.st, PROBE_CONNECT, "%s", r.detail);
}

Test(probe, name_matches)
{
	static const struct {
		const char *pattern, *host;
		bool want;
	} cases[] = {
		{ "mx.example.com", "mx.example.com", true },
		{ "MX.Example.COM", "mx.example.com", true },
		{ "mx.example.com.", "mx.example.com", true },
		{ "mx.example.com", "MX.EXAMPLE.COM.", true },
		{ "mx.example.com", "mx2.example.com", false },
		{ "mx.example.com", "example.com", false },
		{ "*.example.com", "mx.example.com", true },
		{ "*.example.com", "MX.Example.Com.", true },
		{ "*.EXAMPLE.com.", "mx.example.com", true },
		{ "*.example.com", "example.com", false },
		{ "*.example.com", "a.b.example.com", false },
		{ "*.example.com", ".example.com", false },
		{ "*.example.com", "mx.example.org", false },
		{ "*.example.com", "mxexample.com", false },
		{ "*.com", "example.com", false },
		{ "*", "example.com", false },
		{ "m*.example.com", "mx.example.com", false },
		{ "mx.*.example.com", "mx.a.example.com", false },
		{ "*.*.example.com", "a.b.example.com", false },
		{ "*.example.com", "*.example.com", false },
		{ "", "", false },
		{ ".", ".", false },
		{ "example.com", "", false },
		{ "", "example.com", false },
		{ "example.com..", "example.com.", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(probe_name_matches(cases[i].pattern,
		    cases[i].host), cases[i].want, "\"%s\" vs \"%s\"",
		    cases[i].pattern, cases[i].host);
	cr_assert_not(probe_name_matches(NULL, "a.example"));
	cr_assert_not(probe_name_matches("a.example", NULL));
}

Test(probe, status_names)
{
	cr_assert_str_eq(probe_status_name(PROBE_OK), "ok");
	cr_assert_str_eq(probe_status_name(PROBE_NO_STARTTLS), "no-starttls");
	cr_assert_str_eq(probe_status_name(PROBE_HANDSHAKE), "handshake");
	cr_assert_str_eq(probe_status_name(PROBE_TIMEOUT), "timeout");
}
