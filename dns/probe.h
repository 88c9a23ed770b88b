/*
 * probe: what a sending MTA sees at an MX: connect to port 25, read the
 * greeting, EHLO, STARTTLS, the TLS handshake, the certificate chain
 * verified against the trust store (or a CA file), the names it holds
 * and when it expires.  GnuTLS lives here (and in ingest/source_imap.c).
 */
#ifndef DMARC_DNS_PROBE_H
#define DMARC_DNS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum probe_status {
	PROBE_OK,		/* TLS came up; the certificate facts below */
	PROBE_CONNECT,		/* no TCP connection */
	PROBE_TIMEOUT,		/* the total timeout passed */
	PROBE_PROTOCOL,		/* no 220 greeting, EHLO refused, a reply
				 * that is not SMTP */
	PROBE_NO_STARTTLS,	/* EHLO does not offer STARTTLS, or it is
				 * refused */
	PROBE_HANDSHAKE,	/* the TLS handshake failed */
};

enum { PROBE_NAMES_MAX = 32 };

struct probe_opts {
	const char *ca_file;	/* PEM bundle; NULL or "": system store */
	unsigned port;		/* 0: 25 */
	unsigned timeout_ms;	/* total; 0: 30000 */
	const char *helo;	/* EHLO name; NULL: "dmarcctl.invalid" */
};

struct probe_result {
	enum probe_status st;
	char detail[256];	/* one line: why st is not PROBE_OK, or the
				 * verification error when the chain fails */
	/* with PROBE_OK: */
	bool is_trusted;	/* the chain leads to a trusted CA (expiry
				 * aside) */
	bool is_expired;	/* the end certificate's notAfter passed */
	bool is_not_yet_valid;	/* its notBefore is in the future */
	bool is_name_ok;	/* valid for the host probed (RFC 6125:
				 * DNS-ID, one leading wildcard label) */
	int64_t not_after;	/* Unix time */
	int days_left;		/* floor((not_after - now) / 1 day);
				 * negative once expired */
	char issuer[256];	/* the end certificate's issuer DN */
	char names[PROBE_NAMES_MAX][256];	/* subjectAltName dNSNames,
						 * else the CN, lower-case */
	size_t n_names;
};

/* "ok", "connect", "timeout", "protocol", "no-starttls", "handshake" */
const char *probe_status_name(enum probe_status st);

/*
 * Probe the MX host (the name, for SNI and the name check) at ip (IPv4
 * or IPv6 text) into *out.  Every outcome of the server is a status in
 * *out and returns 0; -1 with ERR_USAGE for bad arguments.
 */
int probe_smtp(const char *host, const char *ip, const struct probe_opts *o,
    struct probe_result *out, struct err *err);

/*
 * Whether a certificate name or an MTA-STS mx pattern ("*.example.com":
 * one leftmost label) matches host, ignoring case and a trailing dot.
 */
bool probe_name_matches(const char *pattern, const char *host);

#endif
