#include "dns/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define DEFAULT_PORT 25
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_HELO "dmarcctl.invalid"
#define LINE_MAX_BYTES 1000	/* RFC 5321 allows 512 with the CRLF */
#define REPLY_MAX_BYTES 16384	/* one multi-line reply */
#define REPLY_MAX_LINES 100

/* One SMTP conversation: the socket, what was read and not yet used, and
 * the moment everything must be over. */
struct conn {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	int64_t deadline_ms;
	char in[LINE_MAX_BYTES * 2];
	size_t in_len;
	struct probe_result *out;
};

/* One reply: its code and whether a line offers STARTTLS. */
struct reply {
	int code;
	bool has_starttls;
	char first[128];	/* the first line, for the detail */
};

const char *
probe_status_name(enum probe_status st)
{
	static const char *const names[] = {
		[PROBE_OK] = "ok",
		[PROBE_CONNECT] = "connect",
		[PROBE_TIMEOUT] = "timeout",
		[PROBE_PROTOCOL] = "protocol",
		[PROBE_NO_STARTTLS] = "no-starttls",
		[PROBE_HANDSHAKE] = "handshake",
	};

	if ((size_t)st >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[st];
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Set the outcome (the first one set wins).  Returns -1. */
static int
fail(struct conn *c, enum probe_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct conn *c, enum probe_status st, const char *fmt, ...)
{
	va_list ap;

	c->out->st = st;
	va_start(ap, fmt);
	vsnprintf(c->out->detail, sizeof(c->out->detail), fmt, ap);
	va_end(ap);
	for (char *p = c->out->detail; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return -1;
}

/* Wait until fd is ready for events or the deadline passes: 0 ready,
 * -1 with the outcome set. */
static int
wait_fd(struct conn *c, short events, const char *what)
{
	struct pollfd p = { c->fd, events, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = c->deadline_ms - now_ms();
		if (left <= 0)
			return fail(c, PROBE_TIMEOUT, "timed out %s", what);
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return fail(c, PROBE_CONNECT, "cannot wait %s: %s",
			    what, strerror(errno));
	}
}

static int
dial(struct conn *c, const char *ip, unsigned port)
{
	struct addrinfo hints, *ai = NULL;
	char service[16];
	int e = 0, rc;
	socklen_t len = sizeof(e);

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(ip, service, &hints, &ai);
	if (rc != 0)
		return fail(c, PROBE_CONNECT, "bad address %s: %s", ip,
		    gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || fcntl(c->fd, F_SETFL, O_NONBLOCK) == -1) {
		freeaddrinfo(ai);
		return fail(c, PROBE_CONNECT, "cannot make a socket: %s",
		    strerror(errno));
	}
	rc = connect(c->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc == -1 && errno != EINPROGRESS)
		return fail(c, PROBE_CONNECT, "cannot connect to %s port %u: "
		    "%s", ip, port, strerror(errno));
	if (rc == -1) {
		if (wait_fd(c, POLLOUT, "connecting") == -1)
			return -1;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e != 0)
			return fail(c, PROBE_CONNECT, "cannot connect to %s "
			    "port %u: %s", ip, port, strerror(e));
	}
	return 0;
}

/* Send all of s in clear. */
static int
send_plain(struct conn *c, const char *s)
{
	size_t len = strlen(s), done = 0;
	ssize_t n;

	while (done < len) {
		n = send(c->fd, s + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c, POLLOUT, "sending") == -1)
				return -1;
		} else {
			return fail(c, PROBE_PROTOCOL, "connection lost "
			    "while sending: %s", strerror(errno));
		}
	}
	return 0;
}

/* More bytes into c->in: 0, or -1 with the outcome set (closed, timed
 * out). */
static int
fill(struct conn *c, const char *what)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
		    0);
		if (n > 0) {
			c->in_len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return fail(c, PROBE_PROTOCOL, "connection closed %s",
			    what);
		if (errno != EAGAIN && errno != EINTR)
			return fail(c, PROBE_PROTOCOL, "connection lost %s: "
			    "%s", what, strerror(errno));
		if (wait_fd(c, POLLIN, what) == -1)
			return -1;
	}
}

/* The next line of at most LINE_MAX_BYTES (without CRLF) into line. */
static int
read_line(struct conn *c, char *line, const char *what)
{
	char *nl;
	size_t n;

	while ((nl = memchr(c->in, '\n', c->in_len)) == NULL) {
		if (c->in_len >= LINE_MAX_BYTES)
			return fail(c, PROBE_PROTOCOL, "reply line longer "
			    "than %d bytes %s", LINE_MAX_BYTES, what);
		if (fill(c, what) == -1)
			return -1;
	}
	n = (size_t)(nl - c->in);
	if (n > LINE_MAX_BYTES)
		return fail(c, PROBE_PROTOCOL, "reply line longer than %d "
		    "bytes %s", LINE_MAX_BYTES, what);
	memcpy(line, c->in, n);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	c->in_len -= (size_t)(nl + 1 - c->in);
	memmove(c->in, nl + 1, c->in_len);
	return 0;
}

static bool
is_starttls_line(const char *text)
{
	return strncasecmp(text, "STARTTLS", 8) == 0 &&
	    (text[8] == '\0' || text[8] == ' ');
}

/* One whole reply (all lines of a multi-line one), capped in size. */
static int
read_reply(struct conn *c, struct reply *r, const char *what)
{
	char line[LINE_MAX_BYTES + 1];
	size_t total = 0;
	int code;

	memset(r, 0, sizeof(*r));
	for (int i = 0;; i++) {
		if (read_line(c, line, what) == -1)
			return -1;
		if (i == 0)
			snprintf(r->first, sizeof(r->first), "%.120s", line);
		total += strlen(line) + 2;
		if (i >= REPLY_MAX_LINES || total > REPLY_MAX_BYTES)
			return fail(c, PROBE_PROTOCOL, "reply longer than %d "
			    "lines or %d bytes %s", REPLY_MAX_LINES,
			    REPLY_MAX_BYTES, what);
		if (strspn(line, "0123456789") != 3 || line[0] < '2' ||
		    line[0] > '5' || (line[3] != '\0' && line[3] != ' ' &&
		    line[3] != '-'))
			return fail(c, PROBE_PROTOCOL, "not an SMTP reply %s: "
			    "%.60s", what, line);
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (i > 0 && code != r->code)
			return fail(c, PROBE_PROTOCOL, "reply codes differ "
			    "%s: %.60s", what, line);
		r->code = code;
		if (i > 0 && line[3] != '\0' && is_starttls_line(line + 4))
			r->has_starttls = true;
		if (line[3] != '-')
			return 0;
	}
}

/* A command and its reply. */
static int
command(struct conn *c, const char *cmd, struct reply *r, const char *what)
{
	return send_plain(c, cmd) == -1 ? -1 : read_reply(c, r, what);
}

/* Greeting, EHLO, STARTTLS in clear: 0 once the server said 220 to
 * STARTTLS. */
static int
smtp_starttls(struct conn *c, const char *helo)
{
	char cmd[300];
	struct reply r;

	if (read_reply(c, &r, "before the greeting") == -1)
		return -1;
	if (r.code != 220)
		return fail(c, PROBE_PROTOCOL, "greeting is not 220: %.60s",
		    r.first);
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
	if (command(c, cmd, &r, "after EHLO") == -1)
		return -1;
	if (r.code != 250)
		return fail(c, PROBE_PROTOCOL, "EHLO refused: %.60s", r.first);
	if (!r.has_starttls)
		return fail(c, PROBE_NO_STARTTLS, "EHLO does not offer "
		    "STARTTLS");
	if (command(c, "STARTTLS\r\n", &r, "after STARTTLS") == -1)
		return -1;
	if (r.code != 220)
		return fail(c, PROBE_NO_STARTTLS, "STARTTLS refused: %.60s",
		    r.first);
	/* bytes sent before the handshake would be taken as protected */
	if (c->in_len > 0)
		return fail(c, PROBE_PROTOCOL, "data after the STARTTLS reply");
	return 0;
}

static int
tls_setup(struct conn *c, const char *host, const char *ca_file)
{
	int rc;

	rc = gnutls_certificate_allocate_credentials(&c->cred);
	if (rc >= 0)
		rc = ca_file != NULL && *ca_file != '\0' ?
		    gnutls_certificate_set_x509_trust_file(c->cred, ca_file,
		    GNUTLS_X509_FMT_PEM) :
		    gnutls_certificate_set_x509_system_trust(c->cred);
	if (rc < 0)
		return rc;
	/* expiry is judged apart from the chain: is_trusted ignores time */
	gnutls_certificate_set_verify_flags(c->cred,
	    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS);
	rc = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL);
	if (rc >= 0)
		rc = gnutls_set_default_priority(c->tls);
	if (rc >= 0)
		rc = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
		    c->cred);
	if (rc >= 0)
		rc = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, host,
		    strlen(host));
	if (rc >= 0)
		gnutls_transport_set_int(c->tls, c->fd);
	return rc;
}

static int
handshake(struct conn *c)
{
	int rc;

	while ((rc = gnutls_handshake(c->tls)) < 0) {
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal(rc))
			return fail(c, PROBE_HANDSHAKE, "TLS handshake "
			    "failed: %s", gnutls_strerror(rc));
		if (wait_fd(c, gnutls_record_get_direction(c->tls) ?
		    POLLOUT : POLLIN, "in the TLS handshake") == -1)
			return -1;
	}
	return 0;
}

/* QUIT inside TLS, without waiting for the answer: a courtesy. */
static void
tls_quit(struct conn *c)
{
	static const char quit[] = "QUIT\r\n";
	ssize_t n;

	do {
		n = gnutls_record_send(c->tls, quit, sizeof(quit) - 1);
	} while ((n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) &&
	    wait_fd(c, POLLOUT, "sending QUIT") == 0);
}

/* text into dst: lower-case, at most n - 1 bytes; false for a name with
 * a NUL or a control byte in it. */
static bool
copy_name(char *dst, size_t n, const char *src, size_t len)
{
	if (len == 0 || len >= n || memchr(src, '\0', len) != NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
			return false;
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ?
		    (char)(src[i] - 'A' + 'a') : src[i];
	}
	dst[len] = '\0';
	return true;
}

/* SAN dNSNames, else the CN. */
static void
cert_names(gnutls_x509_crt_t crt, struct probe_result *out)
{
	char buf[256];
	size_t size;
	unsigned critical;
	bool has_san = false;
	int type;

	for (unsigned i = 0; out->n_names < PROBE_NAMES_MAX; i++) {
		size = sizeof(buf);
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf,
		    &size, &critical);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type != GNUTLS_SAN_DNSNAME)
			continue;
		has_san = true;
		if (copy_name(out->names[out->n_names], sizeof(out->names[0]),
		    buf, size))
			out->n_names++;
	}
	if (has_san)
		return;
	size = sizeof(buf);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, buf, &size) == 0 && copy_name(out->names[0],
	    sizeof(out->names[0]), buf, size))
		out->n_names = 1;
}

static void
cert_issuer(gnutls_x509_crt_t crt, struct probe_result *out)
{
	gnutls_datum_t dn = { NULL, 0 };

	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) < 0)
		return;
	snprintf(out->issuer, sizeof(out->issuer), "%.*s", (int)dn.size,
	    (const char *)dn.data);
	for (char *p = out->issuer; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	gnutls_free(dn.data);
}

/* The common reasons a chain fails, in our words; NULL for others. */
static const char *
chain_why(unsigned status)
{
	static const struct {
		unsigned bit;
		const char *text;
	} why[] = {
		{ GNUTLS_CERT_REVOKED, "certificate is revoked" },
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "certificate issuer is unknown" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "certificate issuer is not a CA" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "certificate is signed with "
		    "an insecure algorithm" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "certificate signature does "
		    "not verify" },
	};

	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (status & why[i].bit)
			return why[i].text;
	return NULL;
}

/* floor((t - now) / 1 day) */
static int
days_until(int64_t t, int64_t now)
{
	int64_t d = t - now;

	return (int)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

/* What the end certificate says, and whether the chain holds. */
static int
cert_facts(struct conn *c, const char *host)
{
	struct probe_result *out = c->out;
	const gnutls_datum_t *chain;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t text = { NULL, 0 };
	unsigned n = 0, status = 0;
	int64_t now = (int64_t)time(NULL), not_before;
	int rc;

	chain = gnutls_certificate_get_peers(c->tls, &n);
	if (chain == NULL || n == 0)
		return fail(c, PROBE_HANDSHAKE, "the server sent no "
		    "certificate");
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    (rc = gnutls_x509_crt_import(crt, &chain[0],
	    GNUTLS_X509_FMT_DER)) < 0) {
		gnutls_x509_crt_deinit(crt);
		return fail(c, PROBE_HANDSHAKE, "cannot read the server's "
		    "certificate");
	}
	out->st = PROBE_OK;
	rc = gnutls_certificate_verify_peers2(c->tls, &status);
	out->is_trusted = rc == 0 && status == 0;
	if (!out->is_trusted && rc == 0 && chain_why(status) != NULL) {
		snprintf(out->detail, sizeof(out->detail), "%s",
		    chain_why(status));
	} else if (!out->is_trusted && rc == 0 &&
	    gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &text, 0) == 0) {
		snprintf(out->detail, sizeof(out->detail), "%.*s",
		    (int)text.size, (const char *)text.data);
		gnutls_free(text.data);
	} else if (!out->is_trusted) {
		snprintf(out->detail, sizeof(out->detail), "cannot verify "
		    "the chain: %s", gnutls_strerror(rc));
	}
	out->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	out->is_expired = out->not_after < now;
	out->is_not_yet_valid = not_before > now;
	out->days_left = days_until(out->not_after, now);
	cert_issuer(crt, out);
	cert_names(crt, out);
	for (size_t i = 0; i < out->n_names && !out->is_name_ok; i++)
		out->is_name_ok = probe_name_matches(out->names[i], host);
	gnutls_x509_crt_deinit(crt);
	if (out->detail[0] != '\0')
		return 0;
	if (out->is_expired)
		snprintf(out->detail, sizeof(out->detail), "certificate has "
		    "expired");
	else if (out->is_not_yet_valid)
		snprintf(out->detail, sizeof(out->detail), "certificate is "
		    "not yet valid");
	else if (!out->is_name_ok)
		snprintf(out->detail, sizeof(out->detail), "certificate is "
		    "not valid for %s", host);
	return 0;
}

static int
check_args(const char *host, const char *ip, const struct probe_opts *o,
    struct err *err)
{
	size_t n = host != NULL ? strlen(host) : 0;

	if (n == 0 || n > 253 || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != n)
		return err_set(err, ERR_USAGE, "bad host name for probe: %s",
		    host != NULL ? host : "(null)");
	if (ip == NULL || *ip == '\0' || strlen(ip) > 63)
		return err_set(err, ERR_USAGE, "bad address for probe: %s",
		    ip != NULL ? ip : "(null)");
	if (o->port > 65535)
		return err_set(err, ERR_USAGE, "bad port for probe: %u",
		    o->port);
	n = o->helo != NULL ? strlen(o->helo) : 0;
	if (o->helo != NULL && (n == 0 || n > 255 ||
	    strcspn(o->helo, " \r\n\t") != n))
		return err_set(err, ERR_USAGE, "bad EHLO name: %s", o->helo);
	return 0;
}

int
probe_smtp(const char *host, const char *ip, const struct probe_opts *o,
    struct probe_result *out, struct err *err)
{
	static const struct probe_opts none;
	struct conn *c = NULL;
	unsigned timeout;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		o = &none;
	if (check_args(host, ip, o, err) == -1)
		return -1;
	timeout = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->fd = -1;
	c->out = out;
	c->deadline_ms = now_ms() + timeout;
	if (dial(c, ip, o->port ? o->port : DEFAULT_PORT) == -1 ||
	    smtp_starttls(c, o->helo ? o->helo : DEFAULT_HELO) == -1)
		goto out;
	rc = tls_setup(c, host, o->ca_file);
	if (rc < 0) {
		fail(c, PROBE_HANDSHAKE, "cannot set up TLS: %s",
		    gnutls_strerror(rc));
		goto out;
	}
	if (handshake(c) == -1 || cert_facts(c, host) == -1)
		goto out;
	tls_quit(c);
out:
	/* a server that talks SMTP but no TLS is told goodbye in clear */
	if (out->st == PROBE_NO_STARTTLS)
		(void)send(c->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (c->tls != NULL)
		gnutls_deinit(c->tls);
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd != -1)
		close(c->fd);
	free(c);
	return 0;
}

/* name without one trailing dot: its length */
static size_t
trimmed_len(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && name[n - 1] == '.' ? n - 1 : n;
}

bool
probe_name_matches(const char *pattern, const char *host)
{
	size_t pn, hn, first;

	if (pattern == NULL || host == NULL)
		return false;
	pn = trimmed_len(pattern);
	hn = trimmed_len(host);
	if (pn == 0 || hn == 0 || memchr(host, '*', hn) != NULL ||
	    host[0] == '.' || pattern[0] == '.')
		return false;
	if (pattern[0] != '*')
		return memchr(pattern, '*', pn) == NULL && pn == hn &&
		    strncasecmp(pattern, host, pn) == 0;
	/* "*.rest": rest has two labels or more, the host one more label */
	if (pn < 4 || pattern[1] != '.' || memchr(pattern + 2, '*',
	    pn - 2) != NULL || memchr(pattern + 2, '.', pn - 2) == NULL)
		return false;
	first = strcspn(host, ".");
	if (first == 0 || first >= hn)
		return false;
	return hn - first - 1 == pn - 2 &&
	    strncasecmp(host + first + 1, pattern + 2, pn - 2) == 0;
}
