/*
 * https: one HTTPS GET the way RFC 8461 3.3 fetches an MTA-STS policy:
 * the certificate verified against the trust store (or a CA file) and the
 * host name, only a 200 counts, no redirect followed, no cache, a hard
 * cap on the body and a total timeout.  libcurl lives here only.
 *
 * The caller resolves the host itself (with the configured resolver) and
 * passes the address: the connection goes to ip:port while TLS (SNI and
 * the name check) and the Host header use host.
 */
#ifndef DMARC_DNS_HTTPS_H
#define DMARC_DNS_HTTPS_H

#include <stddef.h>

#include "common/err.h"

enum https_status {
	HTTPS_OK,		/* 200 with a body within the cap */
	HTTPS_CONNECT,		/* no TCP connection (refused, unreachable),
				 * or it broke before a whole response */
	HTTPS_TIMEOUT,		/* the total timeout passed */
	HTTPS_TLS,		/* handshake failed or the certificate is not
				 * valid for host (detail says why: expired,
				 * unknown issuer, name mismatch) */
	HTTPS_REDIRECT,		/* 3xx: not followed (location in detail) */
	HTTPS_STATUS,		/* another status than 200 */
	HTTPS_TOO_LARGE,	/* the body passed max_bytes */
};

struct https_opts {
	const char *ca_file;	/* PEM bundle; NULL or "": system store */
	unsigned port;		/* 0: 443 */
	unsigned timeout_ms;	/* total, connect to last byte; 0: 60000 */
	size_t max_bytes;	/* body cap; 0: 65536 */
};

struct https_result {
	enum https_status st;
	long http_status;	/* 0 when no response came */
	char content_type[128];	/* as sent, "" when none */
	char detail[256];	/* one line: why st is not HTTPS_OK */
	char *body;		/* malloc'd, NUL-terminated, when HTTPS_OK */
	size_t len;
};

/* "ok", "connect", "timeout", "tls", "redirect", "status", "too-large" */
const char *https_status_name(enum https_status st);

/*
 * GET https://host:port/path from ip (IPv4 or IPv6 text) into *out (the
 * caller's, released with https_result_free whatever happens).  Every
 * outcome of the server is a status in *out and returns 0; -1 with
 * ERR_USAGE for bad arguments or ERR_NET when the HTTP library cannot
 * start at all.
 */
int https_get(const char *host, const char *ip, const char *path,
    const struct https_opts *o, struct https_result *out, struct err *err);

void https_result_free(struct https_result *r);

#endif
