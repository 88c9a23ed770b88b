/*
 * A tiny SMTP server for the probe tests (scripts/tls-rig.sh runs it):
 *
 *   smtp-tls-server [ADDR:]PORT CERT KEY [no-starttls]
 *
 * Listens on ADDR:PORT (an IPv4 address, default 127.0.0.1), one forked process per connection.  Says a
 * two-line 220 greeting, answers EHLO (offering STARTTLS unless
 * no-starttls), STARTTLS with 220 and a TLS handshake presenting CERT
 * (PEM, with any chain after it) and KEY, then EHLO and QUIT inside TLS.
 * Anything else gets 502.  A connection lasts 20 seconds at most.  It
 * runs until killed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

struct peer {
	int fd;
	gnutls_session_t tls;	/* NULL before STARTTLS */
	char in[1024];
	size_t len;
};

static int
put(struct peer *p, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		w = p->tls != NULL ? gnutls_record_send(p->tls, s, n) :
		    write(p->fd, s, n);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line without its CRLF; -1 at the end or on a line too long. */
static int
get(struct peer *p, char *line, size_t cap)
{
	char *nl;
	ssize_t r;

	while ((nl = memchr(p->in, '\n', p->len)) == NULL) {
		if (p->len == sizeof(p->in))
			return -1;
		r = p->tls != NULL ? gnutls_record_recv(p->tls, p->in + p->len,
		    sizeof(p->in) - p->len) :
		    read(p->fd, p->in + p->len, sizeof(p->in) - p->len);
		if (r <= 0)
			return -1;
		p->len += (size_t)r;
	}
	size_t n = (size_t)(nl - p->in);
	if (n >= cap)
		return -1;
	memcpy(line, p->in, n);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	p->len -= (size_t)(nl + 1 - p->in);
	memmove(p->in, nl + 1, p->len);
	return 0;
}

static int
start_tls(struct peer *p, gnutls_certificate_credentials_t cred)
{
	int rc;

	if (put(p, "220 2.0.0 ready to start TLS\r\n") == -1 ||
	    gnutls_init(&p->tls, GNUTLS_SERVER) < 0)
		return -1;
	gnutls_set_default_priority(p->tls);
	gnutls_credentials_set(p->tls, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_certificate_server_set_request(p->tls, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(p->tls, p->fd);
	do {
		rc = gnutls_handshake(p->tls);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		fprintf(stderr, "smtp-tls-server: handshake: %s\n",
		    gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static void
serve(int fd, gnutls_certificate_credentials_t cred, bool has_starttls)
{
	struct peer p = { fd, NULL, "", 0 };
	char line[1024];

	if (put(&p, "220-rig.test ESMTP test server\r\n"
	    "220 rig.test ready\r\n") == -1)
		return;
	while (get(&p, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO ", 5) == 0) {
			put(&p, "250-rig.test hello\r\n250-PIPELINING\r\n");
			if (has_starttls && p.tls == NULL)
				put(&p, "250-STARTTLS\r\n");
			put(&p, "250 8BITMIME\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0 &&
		    has_starttls && p.tls == NULL) {
			if (start_tls(&p, cred) == -1)
				break;
		} else if (strcasecmp(line, "QUIT") == 0) {
			put(&p, "221 2.0.0 bye\r\n");
			break;
		} else {
			put(&p, "502 5.5.2 not here\r\n");
		}
	}
	if (p.tls != NULL) {
		gnutls_bye(p.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(p.tls);
	}
}

static int
listen_on(struct in_addr addr, unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr = addr;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 64) == -1)
		return -1;
	return fd;
}

int
main(int argc, char **argv)
{
	gnutls_certificate_credentials_t cred;
	bool has_starttls = true;
	unsigned long port;
	int lfd, fd, rc = GNUTLS_E_MEMORY_ERROR;
	char *end, *colon, where[64];
	struct in_addr addr = { htonl(INADDR_LOOPBACK) };

	if (argc == 5 && strcmp(argv[4], "no-starttls") == 0)
		has_starttls = false;
	else if (argc != 4) {
		fprintf(stderr, "usage: smtp-tls-server [ADDR:]PORT CERT KEY "
		    "[no-starttls]\n");
		return 64;
	}
	snprintf(where, sizeof(where), "%s", argv[1]);
	if ((colon = strrchr(where, ':')) != NULL) {
		*colon = '\0';
		if (inet_pton(AF_INET, where, &addr) != 1) {
			fprintf(stderr, "smtp-tls-server: bad address %s\n",
			    where);
			return 64;
		}
		argv[1] += colon - where + 1;
	}
	port = strtoul(argv[1], &end, 10);
	if (*end != '\0' || port == 0 || port > 65535) {
		fprintf(stderr, "smtp-tls-server: bad port %s\n", argv[1]);
		return 64;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    (rc = gnutls_certificate_set_x509_key_file(cred, argv[2], argv[3],
	    GNUTLS_X509_FMT_PEM)) < 0) {
		fprintf(stderr, "smtp-tls-server: cannot load %s: %s\n",
		    argv[2], gnutls_strerror(rc));
		return 1;
	}
	lfd = listen_on(addr, (unsigned)port);
	if (lfd == -1) {
		fprintf(stderr, "smtp-tls-server: cannot listen on "
		    "%s:%lu: %s\n", inet_ntoa(addr), port, strerror(errno));
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		if (fork() == 0) {
			close(lfd);
			alarm(20);
			serve(fd, cred, has_starttls);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
