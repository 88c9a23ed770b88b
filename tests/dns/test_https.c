/*
 * https_get against a real nginx on loopback (scripts/tls-rig.sh): one
 * server name per case, each with its certificate and its answer, all
 * under the rig's test CA.  The failure cases use a port where nothing
 * listens and a socket that accepts and never answers.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "dns/https.h"
#include "tests/dns/tls_rig.h"
#include "tests/test_util.h"

#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx.good.example\r\n" \
	"max_age: 86400\r\n"
#define PATH "/.well-known/mta-sts.txt"

static char *dir;
static char ca[1024];
static unsigned port;

static void
rig_start(void)
{
	char policy[1024], c[1024];
	struct buf conf;

	dir = test_tmpdir();
	tls_rig_certs(dir, "mta-sts.good.example mta-sts.redirect.example "
	    "mta-sts.large.example mta-sts.html.example "
	    "mta-sts.missing.example mta-sts.expired.example");
	snprintf(ca, sizeof(ca), "%s/certs/ca.pem", dir);
	snprintf(policy, sizeof(policy), "%s/policy.txt", dir);
	test_write_file(policy, POLICY, strlen(POLICY));
	snprintf(c, sizeof(c), "%s/certs", dir);
	buf_init(&conf, 1u << 20);
	buf_addf(&conf, NULL,
	    "# host cert key kind [arg]\n"
	    "mta-sts.good.example %s/good.pem %s/good.key policy %s\n"
	    "mta-sts.redirect.example %s/good.pem %s/good.key redirect "
	    "https://mta-sts.good.example/.well-known/mta-sts.txt\n"
	    "mta-sts.large.example %s/good.pem %s/good.key large\n"
	    "mta-sts.html.example %s/good.pem %s/good.key html\n"
	    "mta-sts.missing.example %s/good.pem %s/good.key notfound\n"
	    "mta-sts.expired.example %s/expired.pem %s/expired.key policy %s\n"
	    "mta-sts.wrong.example %s/wrong.pem %s/wrong.key policy %s\n",
	    c, c, policy, c, c, c, c, c, c, c, c, c, c, policy, c, c, policy);
	port = tls_rig_https_start(dir, buf_str(&conf));
	buf_release(&conf);
}

static void
rig_stop(void)
{
	tls_rig_https_stop(dir);
	free(dir);
}

TestSuite(https, .init = rig_start, .fini = rig_stop, .timeout = 60);

/* GET the policy of host from the rig, with its CA unless ca is NULL. */
static void
get(const char *host, const char *cafile, size_t max,
    struct https_result *r)
{
	struct https_opts o = { cafile, port, 10000, max };
	struct err err;

	cr_assert_eq(https_get(host, "127.0.0.1", PATH, &o, r, &err), 0,
	    "%s", err.msg);
}

Test(https, fetches_a_policy)
{
	struct https_result r;

	get("mta-sts.good.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_OK, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_eq(r.http_status, 200);
	cr_assert_str_eq(r.content_type, "text/plain");
	cr_assert_eq(r.len, strlen(POLICY));
	cr_assert_str_eq(r.body, POLICY);
	https_result_free(&r);
}

Test(https, host_name_is_case_blind)
{
	struct https_result r;

	get("MTA-STS.Good.Example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_OK, "%s", r.detail);
	https_result_free(&r);
}

Test(https, reports_the_content_type)
{
	struct https_result r;

	get("mta-sts.html.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_OK, "%s", r.detail);
	cr_assert_str_eq(r.content_type, "text/html");
	cr_assert(strstr(r.body, "<html>") != NULL);
	https_result_free(&r);
}

Test(https, does_not_follow_a_redirect)
{
	struct https_result r;

	get("mta-sts.redirect.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_REDIRECT, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_eq(r.http_status, 301);
	cr_assert(strstr(r.detail, "https://mta-sts.good.example/") != NULL,
	    "%s", r.detail);
	cr_assert_null(r.body);
	https_result_free(&r);
}

Test(https, caps_the_body)
{
	struct https_result r;

	get("mta-sts.large.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_TOO_LARGE, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_null(r.body);
	https_result_free(&r);
	get("mta-sts.large.example", ca, 1000, &r);
	cr_assert_eq(r.st, HTTPS_TOO_LARGE, "%s", r.detail);
	https_result_free(&r);
	get("mta-sts.large.example", ca, 100000, &r);
	cr_assert_eq(r.st, HTTPS_OK, "%s", r.detail);
	cr_assert_eq(r.len, 100000);
	https_result_free(&r);
}

Test(https, wants_a_trusted_issuer)
{
	struct https_result r;

	get("mta-sts.good.example", NULL, 0, &r);
	cr_assert_eq(r.st, HTTPS_TLS, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_neq(r.detail[0], '\0');
	cr_assert_null(strchr(r.detail, '\n'));
	cr_assert_null(strstr(r.detail, "CAfile"), "%s", r.detail);
	https_result_free(&r);
}

Test(https, wants_the_host_name_in_the_certificate)
{
	struct https_result r;

	get("mta-sts.wrong.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_TLS, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert(strstr(r.detail, "name") != NULL, "%s", r.detail);
	https_result_free(&r);
}

Test(https, refuses_an_expired_certificate)
{
	struct https_result r;

	get("mta-sts.expired.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_TLS, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert(strstr(r.detail, "expire") != NULL, "%s", r.detail);
	https_result_free(&r);
}

Test(https, another_status_than_200)
{
	struct https_result r;

	get("mta-sts.missing.example", ca, 0, &r);
	cr_assert_eq(r.st, HTTPS_STATUS, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_eq(r.http_status, 404);
	cr_assert(strstr(r.detail, "404") != NULL, "%s", r.detail);
	cr_assert_null(r.body);
	https_result_free(&r);
}

Test(https, closed_port)
{
	struct https_opts o = { ca, test_free_port(SOCK_STREAM), 5000, 0 };
	struct https_result r;
	struct err err;

	cr_assert_eq(https_get("mta-sts.good.example", "127.0.0.1", PATH, &o,
	    &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.st, HTTPS_CONNECT, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_eq(r.http_status, 0);
	https_result_free(&r);
}

/* A socket of 127.0.0.1 that listens: the kernel accepts connections,
 * nobody answers. */
static int
silent_socket(unsigned *out)
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
	*out = ntohs(sa.sin_port);
	return fd;
}

Test(https, times_out)
{
	struct https_opts o = { ca, 0, 700, 0 };
	struct https_result r;
	struct timespec t0, t1;
	struct err err;
	int fd = silent_socket(&o.port);
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(https_get("mta-sts.good.example", "127.0.0.1", PATH, &o,
	    &r, &err), 0, "%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	cr_assert_eq(r.st, HTTPS_TIMEOUT, "%s: %s", https_status_name(r.st),
	    r.detail);
	cr_assert_lt(ms, 3000, "took %ld ms", ms);
	https_result_free(&r);
	close(fd);
}

Test(https, ipv6_address_text)
{
	struct https_opts o = { ca, test_free_port(SOCK_STREAM), 3000, 0 };
	struct https_result r;
	struct err err;

	/* nothing listens there (nor may ::1 exist): a status, no error */
	cr_assert_eq(https_get("mta-sts.good.example", "::1", PATH, &o, &r,
	    &err), 0, "%s", err.msg);
	cr_assert_eq(r.st, HTTPS_CONNECT, "%s: %s", https_status_name(r.st),
	    r.detail);
	https_result_free(&r);
}

Test(https, rejects_bad_arguments)
{
	static const struct {
		const char *host, *ip, *path;
	} bad[] = {
		{ "mta-sts.good.example", "127.0.0.1", "no-slash" },
		{ "mta-sts.good.example", "127.0.0.1", "/a b" },
		{ "mta-sts.good.example", "127.0.0.1", "/a\r\nX: y" },
		{ "mta sts.example", "127.0.0.1", PATH },
		{ "a.example:1:127.0.0.2", "127.0.0.1", PATH },
		{ "", "127.0.0.1", PATH },
		{ "mta-sts.good.example", "127.0.0.1,10.0.0.1", PATH },
		{ "mta-sts.good.example", "", PATH },
	};
	struct https_opts o = { ca, port, 1000, 0 };
	struct https_result r;
	struct err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(https_get(bad[i].host, bad[i].ip, bad[i].path,
		    &o, &r, &err), -1, "case %zu", i);
		cr_assert_eq(err.code, ERR_USAGE, "case %zu", i);
		https_result_free(&r);
	}
	o.ca_file = "/nonexistent/ca.pem";
	cr_assert_eq(https_get("mta-sts.good.example", "127.0.0.1", PATH, &o,
	    &r, &err), -1);
	cr_assert_eq(err.code, ERR_USAGE);
	cr_assert(strstr(err.msg, "/nonexistent/ca.pem") != NULL);
}

Test(https, status_names)
{
	cr_assert_str_eq(https_status_name(HTTPS_OK), "ok");
	cr_assert_str_eq(https_status_name(HTTPS_TLS), "tls");
	cr_assert_str_eq(https_status_name(HTTPS_TOO_LARGE), "too-large");
	cr_assert_str_eq(https_status_name(HTTPS_REDIRECT), "redirect");
}
