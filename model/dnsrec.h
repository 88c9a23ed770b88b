/*
 * dnsrec: the TXT records and the policy file a mail domain publishes,
 * parsed from text (no I/O): DMARC (RFC 7489 6.3, RFC 9989), DKIM keys
 * (RFC 6376 3.6.1), the MTA-STS record and policy (RFC 8461 3.1, 3.2)
 * and the TLS-RPT record (RFC 8460 3).  Each parser reports what is wrong
 * with the text as findings (model/finding.h) and keeps what it could
 * read.  Texts come from DNS: anything may be in them.
 *
 * A parsed record owns its memory; every *_free accepts NULL members and
 * zeroes the struct.
 *
 * Tag lists are split at ';' (empty parts, a trailing ';' and white space
 * around '=' and ';' are tolerated); tag names are compared without case.
 * A text is read up to its 256th tag; past that, and past 32 findings of
 * one parse, a single finding says what was left out.  Quoted values are
 * cut to 64 bytes in messages.
 */
#ifndef DMARC_MODEL_DNSREC_H
#define DMARC_MODEL_DNSREC_H

#include <stdbool.h>
#include <stddef.h>

#include "model/finding.h"

/* One tag=value of a DMARC, DKIM, MTA-STS or TLS-RPT record, in order;
 * name lower-cased, value trimmed of surrounding white space, otherwise
 * as published. */
struct dnsrec_tag {
	char *name;
	char *value;
};

struct dmarc_txt {
	struct dnsrec_tag *tags;	/* v first */
	size_t n_tags;
};

/*
 * Whether text is a DMARC record at all: it starts "v=DMARC1" and that
 * part ends there (white space allowed around '=', RFC 7489 6.4; case
 * ignored, the parse warns about a spelling other than "DMARC1").  TXT records at _dmarc that
 * are not are ignored by receivers.
 */
bool dmarc_txt_is(const char *text);

/*
 * Parse a DMARC record into *out.  Findings (codes): dmarc-syntax (a
 * part without '=', an empty tag name), dmarc-duplicate-tag,
 * dmarc-unknown-tag (warning), dmarc-bad-value (p, sp, np: none,
 * quarantine, reject; adkim, aspf: r, s; pct 0-100; t: y, n; fo: 0, 1, d,
 * s joined by ':'; ri a number; psd: y, n, u; rua, ruf: comma-separated
 * URIs), dmarc-no-policy (no p: an error unless rua is there, RFC 7489
 * 6.6.3 then treats it as p=none; still a warning), dmarc-pct
 * (pct below 100: a warning, RFC 9989 drops it), dmarc-rua-missing
 * (warning: no aggregate reports).  Of a duplicated tag the first is
 * kept.  The fix of dmarc-no-policy and dmarc-pct is the record with p=none
 * added or pct removed.  Returns 0, or -1 when text is not a DMARC record
 * (out is then empty and one dmarc-syntax error says why).
 */
int dmarc_txt_parse(const char *text, struct dmarc_txt *out,
    struct findings *f);

/* The value of tag (case-insensitive name), or NULL. */
const char *dmarc_txt_get(const struct dmarc_txt *r, const char *name);

/* Set tag to value: replaced in place when present, else appended (p
 * right after v).  value NULL removes the tag. */
void dmarc_txt_set(struct dmarc_txt *r, const char *name,
    const char *value);

/* "v=DMARC1; p=none; rua=..." : the tags in order, "; " between; cut to
 * size - 1 bytes and always terminated (size > 0).  False when cut. */
bool dmarc_txt_format(const struct dmarc_txt *r, char *dst,
    size_t size);

/* A deep copy into dst, which is overwritten (not freed). */
void dmarc_txt_copy(struct dmarc_txt *dst,
    const struct dmarc_txt *src);

void dmarc_txt_free(struct dmarc_txt *r);

/*
 * The mailto: addresses of a rua or ruf value, each "local@domain" with
 * any "!size" suffix and "?header" cut, %XX decoded (except %00) and
 * lower-cased: *out a malloc'd array of malloc'd strings (NULL when there
 * are none), the count returned.  Other URI schemes, and mailto: URIs
 * without "local@domain", are left out.
 */
size_t dmarc_uri_mailboxes(const char *value, char ***out);

/* A DKIM key record (RFC 6376 3.6.1). */
struct dkim_key {
	char key_type[16];	/* k=, "rsa" when absent; lower-case */
	int bits;		/* the RSA modulus length; 256 for ed25519;
				 * 0 when p= is empty or unreadable */
	bool is_revoked;	/* p= present and empty */
	bool is_testing;	/* t=y among the flags */
	bool is_valid;		/* v (when present) DKIM1, p decodes to a
				 * key of type k, no error: a key verifiers
				 * can use (false when revoked) */
};

/*
 * Parse a DKIM key record.  Findings: dkim-syntax, dkim-revoked
 * (warning), dkim-key-unreadable (error: p= not base64 or not a key),
 * dkim-unknown-type (error: k= neither rsa nor ed25519), dkim-testing
 * (warning).  dkim-syntax also covers a part without '=', a repeated tag
 * (RFC 6376 3.2: the record is invalid), v= not first and p= missing.
 * p= is base64 with white space allowed inside; an rsa key is a DER
 * SubjectPublicKeyInfo or a bare RSAPublicKey, an ed25519 key the 32 raw
 * bytes (RFC 8463).  Key strength is judged by the caller.  Returns 0, -1
 * when text is no DKIM record at all (v= present and not DKIM1).
 */
int dkim_key_parse(const char *text, struct dkim_key *out,
    struct findings *f);

/* The _mta-sts TXT record: "v=STSv1; id=...". */
struct sts_record {
	char id[64];		/* "" when absent or invalid */
};

/*
 * Whether text starts "v=STSv1", and its parse.  Findings: sts-syntax,
 * sts-bad-id (error: id missing, longer than 32 or not alphanumeric).
 * The parse returns 0, or -1 when text is no MTA-STS record (one
 * sts-syntax error).
 */
bool sts_record_is(const char *text);
int sts_record_parse(const char *text, struct sts_record *out,
    struct findings *f);

/* The policy file (RFC 8461 3.2). */
enum sts_mode { STS_MODE_NONE, STS_MODE_TESTING, STS_MODE_ENFORCE,
	STS_MODE_UNKNOWN };

struct sts_policy {
	enum sts_mode mode;
	long max_age;		/* seconds, -1 when absent or bad (also
				 * above 31557600) */
	char **mx;		/* the valid patterns, lower-case, malloc'd */
	size_t n_mx;
};

/* "none", "testing", "enforce", "unknown" */
const char *sts_mode_name(enum sts_mode m);

/*
 * Parse a policy body (CRLF or LF lines, "key: value").  Findings:
 * sts-policy-syntax (error: a line without ':', version not STSv1 or not
 * the first key), sts-policy-mode (error: mode missing or unknown),
 * sts-policy-mx (error: no mx line in testing or enforce; a pattern that
 * is not a host name or one leading "*."), sts-policy-max-age (error:
 * missing, not a number or above 31557600; warning under 86400 in enforce
 * ... one day is too short to protect).  Duplicated keys other than mx:
 * the first counts (an sts-policy-syntax warning).  body need not be
 * NUL-terminated.  Keys and values are compared without case.  Returns 0
 * when the policy can be used (no error among its findings), -1 when not.
 */
int sts_policy_parse(const char *body, size_t len, struct sts_policy *out,
    struct findings *f);
void sts_policy_free(struct sts_policy *p);

/* The _smtp._tls record: "v=TLSRPTv1; rua=mailto:...,https://...". */
struct tlsrpt_record {
	char **rua;		/* the valid URIs as written, malloc'd */
	size_t n_rua;
};

/*
 * Findings: tlsrpt-syntax, tlsrpt-no-rua (error), tlsrpt-bad-rua (error:
 * a URI neither mailto:local@domain nor https://host).  The parse returns
 * 0, or -1 when text is no TLS-RPT record (one tlsrpt-syntax error).
 */
bool tlsrpt_record_is(const char *text);
int tlsrpt_record_parse(const char *text, struct tlsrpt_record *out,
    struct findings *f);
void tlsrpt_record_free(struct tlsrpt_record *r);

#endif
