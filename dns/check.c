#include "dns/check.h"

#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"
#include "model/orgdomain.h"

#define NAME_MAX_LEN 512
/* a key shorter is weak (RFC 8301: 1024 is the floor, 2048 advised) */
#define DKIM_BITS_WEAK 2048
#define DKIM_BITS_BROKEN 1024
/* days before expiry a certificate is worth a warning */
#define CERT_DAYS_WARN 14

/* The TXT records of name that is() accepts: the one found, or NULL with
 * *count (0 or several). */
static const char *
txt_of(struct resolver *r, const char *name, bool (*is)(const char *),
    int *count, const struct dns_answer **ans)
{
	const struct dns_answer *a = resolver_ask(r, name, ns_t_txt);
	const char *found = NULL;

	*count = 0;
	if (ans != NULL)
		*ans = a;
	for (size_t i = 0; a->rc == DNS_ANSWER && i < a->n; i++)
		if (is(a->v[i])) {
			found = a->v[i];
			(*count)++;
		}
	return *count == 1 ? found : NULL;
}

static void
name_join(char *dst, size_t size, const char *prefix, const char *domain)
{
	snprintf(dst, size, "%s.%s", prefix, domain);
}

/* ---- DMARC ---- */

/* Report addresses in another organisation need its consent (RFC 7489
 * 7.1): a DMARC1 record at <domain>._report._dmarc.<destination>. */
static void
check_report_uris(struct resolver *r, const char *domain, const char *tag,
    const char *value, struct findings *f)
{
	char **boxes = NULL, own[256], their[256], name[NAME_MAX_LEN];
	size_t n = dmarc_uri_mailboxes(value, &boxes);

	orgdomain_of(domain, own, sizeof(own));
	for (size_t i = 0; i < n; i++) {
		const char *at = strrchr(boxes[i], '@');
		const struct dns_answer *a;
		int count;
		char fix[NAME_MAX_LEN + 32];

		if (at == NULL || at[1] == '\0')
			continue;
		orgdomain_of(at + 1, their, sizeof(their));
		if (strcasecmp(own, their) == 0)
			continue;
		snprintf(name, sizeof(name), "%s._report._dmarc.%s", domain,
		    at + 1);
		(void)txt_of(r, name, dmarc_txt_is, &count, &a);
		if (count > 0)
			continue;
		if (a->rc == DNS_FAIL) {
			findings_add(f, SEV_WARNING, "dmarc-report-auth-unknown",
			    NULL, "cannot tell whether %s accepts the %s "
			    "reports of %s: %s: %s", at + 1, tag, domain, name,
			    a->detail);
			continue;
		}
		snprintf(fix, sizeof(fix), "%s TXT \"v=DMARC1\"", name);
		findings_add(f, SEV_ERROR, "dmarc-report-unauthorized", fix,
		    "%s=mailto:%s is in another organisation that does not "
		    "publish %s: receivers send it no reports (RFC 7489 7.1)",
		    tag, boxes[i], name);
	}
	for (size_t i = 0; i < n; i++)
		free(boxes[i]);
	free(boxes);
}

static void
check_dmarc(struct resolver *r, struct dns_posture *p)
{
	char name[NAME_MAX_LEN], org[256], fix[NAME_MAX_LEN];
	const struct dns_answer *a;
	const char *text;
	int count;

	name_join(name, sizeof(name), "_dmarc", p->domain);
	text = txt_of(r, name, dmarc_txt_is, &count, &a);
	if (count == 0 && a->rc != DNS_FAIL &&
	    strcasecmp(orgdomain_of(p->domain, org, sizeof(org)),
	    p->domain) != 0) {
		name_join(name, sizeof(name), "_dmarc", org);
		text = txt_of(r, name, dmarc_txt_is, &count, &a);
		if (count == 1)
			findings_add(&p->findings, SEV_INFO, "dmarc-inherited",
			    NULL, "%s has no DMARC record of its own: the "
			    "record of %s applies (its sp, else p)", p->domain,
			    org);
	}
	p->dmarc_at = xstrdup(name);
	if (a->rc == DNS_FAIL) {
		findings_add(&p->findings, SEV_WARNING, "dmarc-dns-failed",
		    NULL, "cannot read %s: %s", name, a->detail);
		return;
	}
	if (count > 1) {
		findings_add(&p->findings, SEV_ERROR, "dmarc-multiple", NULL,
		    "%s holds %d DMARC records: receivers ignore them all "
		    "(RFC 7489 6.6.3); keep one", name, count);
		return;
	}
	if (text == NULL) {
		snprintf(fix, sizeof(fix), "_dmarc.%s TXT \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s\"", p->domain, p->domain);
		findings_add(&p->findings, SEV_ERROR, "dmarc-missing", fix,
		    "%s publishes no DMARC record: no policy and no reports",
		    p->domain);
		return;
	}
	p->dmarc_text = xstrdup(text);
	if (dmarc_txt_parse(text, &p->dmarc, &p->findings) == -1)
		return;
	p->has_dmarc = true;
	for (size_t i = 0; i < 2; i++) {
		const char *tag = i == 0 ? "rua" : "ruf";
		const char *v = dmarc_txt_get(&p->dmarc, tag);

		if (v != NULL)
			check_report_uris(r, p->domain, tag, v, &p->findings);
	}
}

/* ---- SPF: the failing senders ---- */

/* One finding per sender with addresses outside the record: what to add,
 * or, when it sends with a return-path of its own, that SPF cannot align
 * it and DKIM must. */
static void
judge_sender(struct dns_posture *p, const struct dns_sender *first,
    const struct dns_sender_check *c, size_t n)
{
	char fix[256] = "", *at = fix;
	size_t missing = 0;
	long long messages = 0;

	for (size_t i = 0; i < n; i++) {
		if (c[i].result == SPF_PASS || c[i].result == SPF_TEMPERROR)
			continue;
		missing++;
		messages += c[i].messages;
		if (missing <= 4 && (size_t)(at - fix) < sizeof(fix) - 64)
			at += snprintf(at, sizeof(fix) - (size_t)(at - fix),
			    "%s%s:%s", at > fix ? " " : "",
			    strchr(c[i].ip, ':') != NULL ? "ip6" : "ip4",
			    c[i].ip);
	}
	if (missing == 0)
		return;
	if (first->own_spf != NULL) {
		findings_add(&p->findings, SEV_INFO, "spf-sender-own-domain",
		    NULL, "%s (%zu of its addresses, %lld messages) is not in "
		    "the SPF record of %s, and needs not be: it sends with its "
		    "own return-path (SPF passes for %s), which cannot align "
		    "with %s; align it by DKIM (d=%s) instead", first->name,
		    missing, messages, p->domain, first->own_spf, p->domain,
		    p->domain);
		return;
	}
	findings_add(&p->findings, SEV_WARNING, "spf-sender-not-listed", fix,
	    "%s (%zu address%s, %lld messages in the reports) is not in the "
	    "SPF record of %s (%s): add %s, or the include its provider "
	    "documents, or stop sending from it", first->name, missing,
	    missing == 1 ? "" : "es", messages, p->domain,
	    spf_result_name(c[0].result), missing > 4 ? "its addresses" :
	    missing == 1 ? "it" : "them");
}

static void
check_senders(struct resolver *r, const struct dns_check_opts *o,
    struct dns_posture *p)
{
	size_t from = 0;

	if (o->n_senders == 0 || !p->spf.has_record)
		return;
	p->senders = xcalloc(o->n_senders, sizeof(*p->senders));
	for (size_t i = 0; i < o->n_senders; i++) {
		struct dns_sender_check *s = &p->senders[p->n_senders++];
		const struct dns_sender *in = &o->senders[i];

		s->ip = xstrdup(in->ip);
		s->name = xstrdup(in->name != NULL ? in->name : in->ip);
		s->messages = in->messages;
		s->result = spf_check(r, p->domain, s->ip, s->why,
		    sizeof(s->why));
		/* the last address of its sender: judge them together */
		if (i + 1 == o->n_senders || strcmp(s->name,
		    o->senders[i + 1].name != NULL ? o->senders[i + 1].name :
		    o->senders[i + 1].ip) != 0) {
			judge_sender(p, &o->senders[from], &p->senders[from],
			    i + 1 - from);
			from = i + 1;
		}
	}
}

/* ---- DKIM ---- */

static bool
is_any(const char *text)
{
	(void)text;
	return true;
}

static void
check_dkim_one(struct resolver *r, struct dns_posture *p,
    const struct dns_selector *sel)
{
	static const enum severity missing_sev[] = {
		[SELECTOR_GUESS] = SEV_INFO, [SELECTOR_SEEN] = SEV_WARNING,
		[SELECTOR_USED] = SEV_ERROR,
	};
	char name[NAME_MAX_LEN];
	const struct dns_answer *a;
	struct dns_dkim *d;
	const char *text;
	int count;

	snprintf(name, sizeof(name), "%s._domainkey.%s", sel->selector,
	    sel->domain);
	p->dkim = xreallocarray(p->dkim, p->n_dkim + 1, sizeof(*p->dkim));
	d = &p->dkim[p->n_dkim++];
	memset(d, 0, sizeof(*d));
	d->selector = xstrdup(sel->selector);
	d->domain = xstrdup(sel->domain);
	d->weight = sel->weight;
	text = txt_of(r, name, is_any, &count, &a);
	d->rc = a->rc;
	if (a->rc == DNS_FAIL) {
		findings_add(&p->findings, SEV_WARNING, "dkim-dns-failed", NULL,
		    "cannot read %s: %s", name, a->detail);
		return;
	}
	if (count == 0) {
		if (sel->weight == SELECTOR_GUESS)
			return;
		findings_add(&p->findings, missing_sev[sel->weight],
		    "dkim-missing", NULL, "no DKIM key at %s: mail signed "
		    "with s=%s fails DKIM; publish the key the signer shows "
		    "(Mailcow: Configuration > ARC/DKIM keys)", name,
		    sel->selector);
		return;
	}
	if (count > 1) {
		findings_add(&p->findings, SEV_ERROR, "dkim-multiple", NULL,
		    "%s holds %d TXT records: verifiers may pick any; keep "
		    "the one key", name, count);
		return;
	}
	if (dkim_key_parse(text, &d->key, &p->findings) == -1)
		return;
	d->has_key = true;
	if (d->key.is_revoked || d->key.bits == 0)
		return;
	if (strcmp(d->key.key_type, "rsa") == 0 &&
	    d->key.bits < DKIM_BITS_BROKEN)
		findings_add(&p->findings, SEV_ERROR, "dkim-key-weak", NULL,
		    "the key at %s has %d bits: verifiers reject RSA keys "
		    "under 1024 bits (RFC 8301); publish a 2048-bit key",
		    name, d->key.bits);
	else if (strcmp(d->key.key_type, "rsa") == 0 &&
	    d->key.bits < DKIM_BITS_WEAK)
		findings_add(&p->findings, SEV_WARNING, "dkim-key-short", NULL,
		    "the key at %s has %d bits: rotate to a 2048-bit key",
		    name, d->key.bits);
}

static void
check_dkim(struct resolver *r, const struct dns_check_opts *o,
    struct dns_posture *p)
{
	for (size_t i = 0; i < o->n_selectors; i++) {
		bool is_repeat = false;

		for (size_t k = 0; k < i; k++)
			if (strcasecmp(o->selectors[k].selector,
			    o->selectors[i].selector) == 0 &&
			    strcasecmp(o->selectors[k].domain,
			    o->selectors[i].domain) == 0)
				is_repeat = true;
		if (!is_repeat)
			check_dkim_one(r, p, &o->selectors[i]);
	}
}

/* ---- MX ---- */

static void
check_mx(struct resolver *r, struct dns_posture *p)
{
	const struct dns_answer *a = resolver_ask(r, p->domain, ns_t_mx);

	if (a->rc == DNS_FAIL) {
		findings_add(&p->findings, SEV_WARNING, "mx-dns-failed", NULL,
		    "cannot read the MX records of %s: %s", p->domain,
		    a->detail);
		return;
	}
	if (a->rc != DNS_ANSWER) {
		findings_add(&p->findings, SEV_WARNING, "mx-missing", NULL,
		    "%s has no MX record: mail to it goes to its address "
		    "record, if any", p->domain);
		return;
	}
	if (a->n == 1 && (a->v[0][0] == '\0' || strcmp(a->v[0], ".") == 0)) {
		p->is_null_mx = true;
		findings_add(&p->findings, SEV_INFO, "mx-null", NULL,
		    "%s publishes a null MX: it accepts no mail (RFC 7505)",
		    p->domain);
		return;
	}
	p->mx = xcalloc(a->n, sizeof(*p->mx));
	for (size_t i = 0; i < a->n; i++) {
		struct dns_mx *m = &p->mx[p->n_mx++];

		m->host = xstrdup(a->v[i]);
		m->pref = a->pref[i];
		for (int t = 0; t < 2; t++) {
			const struct dns_answer *x = resolver_ask(r, m->host,
			    t == 0 ? ns_t_a : ns_t_aaaa);

			for (size_t k = 0; x->rc == DNS_ANSWER && k < x->n;
			    k++) {
				m->addrs = xreallocarray(m->addrs,
				    m->n_addrs + 1, sizeof(*m->addrs));
				m->addrs[m->n_addrs++] = xstrdup(x->v[k]);
			}
		}
		if (m->n_addrs == 0)
			findings_add(&p->findings, SEV_ERROR, "mx-no-address",
			    NULL, "the MX %s of %s has no address: senders "
			    "cannot deliver to it", m->host, p->domain);
	}
}

/* ---- MTA-STS ---- */

static bool
is_sts_enforced(const struct dns_posture *p)
{
	return p->has_policy && p->policy.mode == STS_MODE_ENFORCE;
}

static void
fetch_policy(struct resolver *r, const struct dns_check_opts *o,
    struct dns_posture *p)
{
	static const char *const codes[] = {
		[HTTPS_OK] = "", [HTTPS_CONNECT] = "sts-policy-unreachable",
		[HTTPS_TIMEOUT] = "sts-policy-unreachable",
		[HTTPS_TLS] = "sts-policy-certificate",
		[HTTPS_REDIRECT] = "sts-policy-redirect",
		[HTTPS_STATUS] = "sts-policy-status",
		[HTTPS_TOO_LARGE] = "sts-policy-too-large",
	};
	struct https_opts ho = { .ca_file = o->ca_file, .port = o->https_port,
		.timeout_ms = o->timeout_ms };
	struct https_result res = { 0 };
	char host[NAME_MAX_LEN];
	const char *ip = NULL;
	struct err err = { 0 };

	name_join(host, sizeof(host), "mta-sts", p->domain);
	for (int t = 0; t < 2 && ip == NULL; t++) {
		const struct dns_answer *a = resolver_ask(r, host,
		    t == 0 ? ns_t_a : ns_t_aaaa);

		if (a->rc == DNS_ANSWER)
			ip = a->v[0];
	}
	if (ip == NULL) {
		findings_add(&p->findings, SEV_ERROR, "sts-policy-host-missing",
		    NULL, "%s has no address: senders cannot fetch the "
		    "MTA-STS policy", host);
		return;
	}
	if (https_get(host, ip, "/.well-known/mta-sts.txt", &ho, &res,
	    &err) == -1) {
		p->policy_status = HTTPS_CONNECT;
		snprintf(p->policy_detail, sizeof(p->policy_detail), "%.200s",
		    err.msg);
		findings_add(&p->findings, SEV_ERROR, "sts-policy-unreachable",
		    NULL, "cannot fetch https://%s/.well-known/mta-sts.txt: "
		    "%s", host, err.msg);
		goto out;
	}
	p->policy_status = res.st;
	snprintf(p->policy_detail, sizeof(p->policy_detail), "%s",
	    res.detail);
	if (res.st != HTTPS_OK) {
		findings_add(&p->findings, SEV_ERROR, codes[res.st], NULL,
		    "https://%s/.well-known/mta-sts.txt: %s: senders find no "
		    "policy (RFC 8461 3.3)", host, res.detail);
		goto out;
	}
	if (strncasecmp(res.content_type, "text/plain", 10) != 0)
		findings_add(&p->findings, SEV_ERROR, "sts-policy-content-type",
		    NULL, "https://%s/.well-known/mta-sts.txt is served as "
		    "'%s', not text/plain: senders may refuse it", host,
		    res.content_type[0] != '\0' ? res.content_type : "none");
	if (sts_policy_parse(res.body, res.len, &p->policy, &p->findings) == 0)
		p->has_policy = true;
out:
	https_result_free(&res);
}

static void
check_coverage(struct dns_posture *p)
{
	for (size_t i = 0; i < p->n_mx; i++) {
		struct dns_mx *m = &p->mx[i];

		for (size_t k = 0; k < p->policy.n_mx && !m->is_covered; k++)
			m->is_covered = probe_name_matches(p->policy.mx[k],
			    m->host);
		if (m->is_covered || p->policy.mode == STS_MODE_NONE)
			continue;
		findings_add(&p->findings, is_sts_enforced(p) ? SEV_ERROR :
		    SEV_WARNING, "sts-mx-not-covered", NULL, "the MX %s is "
		    "not in the MTA-STS policy of %s: %s; add \"mx: %s\"",
		    m->host, p->domain, is_sts_enforced(p) ? "senders that "
		    "honour the policy refuse to deliver to it" : "in enforce "
		    "senders would refuse to deliver to it", m->host);
	}
}

static void
check_sts(struct resolver *r, const struct dns_check_opts *o,
    struct dns_posture *p)
{
	char name[NAME_MAX_LEN];
	const struct dns_answer *a;
	const char *text;
	int count;

	name_join(name, sizeof(name), "_mta-sts", p->domain);
	text = txt_of(r, name, sts_record_is, &count, &a);
	if (a->rc == DNS_FAIL) {
		findings_add(&p->findings, SEV_WARNING, "sts-dns-failed", NULL,
		    "cannot read %s: %s", name, a->detail);
		return;
	}
	if (count > 1) {
		findings_add(&p->findings, SEV_ERROR, "sts-multiple", NULL,
		    "%s holds %d MTA-STS records: senders treat that as no "
		    "policy (RFC 8461 3.1); keep one", name, count);
		return;
	}
	if (text == NULL) {
		findings_add(&p->findings, SEV_INFO, "sts-missing", NULL,
		    "%s publishes no MTA-STS record: senders may deliver "
		    "without TLS", p->domain);
		return;
	}
	p->sts_text = xstrdup(text);
	if (sts_record_parse(text, &p->sts, &p->findings) == 0)
		p->has_sts = true;
	fetch_policy(r, o, p);
	if (p->has_policy)
		check_coverage(p);
}

/* ---- TLS-RPT ---- */

static void
check_tlsrpt(struct resolver *r, struct dns_posture *p)
{
	char name[NAME_MAX_LEN], fix[NAME_MAX_LEN + 64];
	const struct dns_answer *a;
	const char *text;
	int count;

	name_join(name, sizeof(name), "_smtp._tls", p->domain);
	text = txt_of(r, name, tlsrpt_record_is, &count, &a);
	if (a->rc == DNS_FAIL) {
		findings_add(&p->findings, SEV_WARNING, "tlsrpt-dns-failed",
		    NULL, "cannot read %s: %s", name, a->detail);
		return;
	}
	if (count > 1) {
		findings_add(&p->findings, SEV_ERROR, "tlsrpt-multiple", NULL,
		    "%s holds %d TLS-RPT records: senders send no reports "
		    "(RFC 8460 3); keep one", name, count);
		return;
	}
	if (text == NULL) {
		snprintf(fix, sizeof(fix), "%s TXT \"v=TLSRPTv1; "
		    "rua=mailto:tls-reports@%s\"", name, p->domain);
		findings_add(&p->findings, p->sts_text != NULL ? SEV_WARNING :
		    SEV_INFO, "tlsrpt-missing", fix, "%s publishes no TLS-RPT "
		    "record: senders do not report TLS failures", p->domain);
		return;
	}
	p->tlsrpt_text = xstrdup(text);
	if (tlsrpt_record_parse(text, &p->tlsrpt, &p->findings) == 0)
		p->has_tlsrpt = true;
}

/* ---- probe ---- */

static void
probe_mx(const struct dns_check_opts *o, struct dns_posture *p)
{
	struct probe_opts po = { .ca_file = o->ca_file, .port = o->smtp_port,
		.timeout_ms = o->timeout_ms };

	for (size_t i = 0; i < p->n_mx; i++) {
		struct dns_mx *m = &p->mx[i];
		struct probe_result *pr = &m->probe;
		struct err err = { 0 };
		enum severity sev = is_sts_enforced(p) ? SEV_ERROR :
		    SEV_WARNING;

		if (m->n_addrs == 0)
			continue;
		if (probe_smtp(m->host, m->addrs[0], &po, pr, &err) == -1) {
			findings_add(&p->findings, SEV_WARNING,
			    "mx-unreachable", NULL, "cannot probe %s: %s",
			    m->host, err.msg);
			continue;
		}
		m->has_probe = true;
		switch (pr->st) {
		case PROBE_OK:
			break;
		case PROBE_NO_STARTTLS:
			findings_add(&p->findings, sev, "mx-no-starttls", NULL,
			    "%s (%s) does not offer STARTTLS: %s", m->host,
			    m->addrs[0], pr->detail);
			continue;
		case PROBE_HANDSHAKE:
			findings_add(&p->findings, sev, "mx-tls-failed", NULL,
			    "the TLS handshake with %s (%s) fails: %s",
			    m->host, m->addrs[0], pr->detail);
			continue;
		default:
			findings_add(&p->findings, SEV_WARNING,
			    "mx-unreachable", NULL, "cannot probe %s (%s): %s",
			    m->host, m->addrs[0], pr->detail);
			continue;
		}
		if (pr->is_expired)
			findings_add(&p->findings, SEV_ERROR,
			    "mx-cert-expired", NULL, "the certificate of %s "
			    "expired %d day(s) ago: renew it (certbot renew, "
			    "or Mailcow's ACME) and reload the MTA", m->host,
			    -pr->days_left);
		else if (pr->is_not_yet_valid)
			findings_add(&p->findings, SEV_ERROR,
			    "mx-cert-not-yet-valid", NULL, "the certificate "
			    "of %s is not valid yet: check the server's clock",
			    m->host);
		else if (pr->days_left < CERT_DAYS_WARN)
			findings_add(&p->findings, SEV_WARNING,
			    "mx-cert-expiring", NULL, "the certificate of %s "
			    "expires in %d day(s): check that renewal works",
			    m->host, pr->days_left);
		if (!pr->is_trusted)
			findings_add(&p->findings, sev, "mx-cert-untrusted",
			    NULL, "the certificate of %s does not lead to a "
			    "trusted CA: %s; install the full chain", m->host,
			    pr->detail);
		if (!pr->is_name_ok)
			findings_add(&p->findings, sev, "mx-cert-name", NULL,
			    "the certificate of %s is for %s, not for the MX "
			    "name: get one that names %s", m->host,
			    pr->n_names > 0 ? pr->names[0] : "another name",
			    m->host);
	}
}

/* A host name DNS can be asked about: labels of letters, digits, '-'
 * and '_' (1 to 63 each), no empty label, two labels at least, not an
 * address. */
static bool
is_hostname(const char *name)
{
	size_t label = 0, labels = 1, n = strlen(name);
	bool is_numeric = true;

	if (n == 0 || n > 253 || name[0] == '.' || name[n - 1] == '.')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			labels++;
			continue;
		}
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_')
			return false;
		if (!(c >= '0' && c <= '9'))
			is_numeric = false;
		if (++label > 63)
			return false;
	}
	return labels >= 2 && !is_numeric;
}

int
dns_check(struct resolver *r, const char *domain,
    const struct dns_check_opts *o, struct dns_posture *out, struct err *err)
{
	unsigned parts = o->parts != 0 ? o->parts : DNS_PART_ALL;

	memset(out, 0, sizeof(*out));
	if (domain == NULL || !is_hostname(domain))
		return err_set(err, ERR_USAGE, "'%.253s' is not a domain name "
		    "DNS can be asked about", domain != NULL ? domain : "");
	out->domain = xstrdup(domain);
	if (parts & DNS_PART_DMARC)
		check_dmarc(r, out);
	/* DNS that does not answer at all: one timeout, not one a part */
	if (parts & DNS_PART_DMARC && !resolver_reached(r))
		return 0;
	out->is_reached = true;
	if (parts & DNS_PART_SPF) {
		spf_walk(r, domain, &out->spf, &out->findings);
		check_senders(r, o, out);
	}
	if (parts & DNS_PART_DKIM)
		check_dkim(r, o, out);
	if (parts & DNS_PART_MX)
		check_mx(r, out);
	if (parts & DNS_PART_STS)
		check_sts(r, o, out);
	if (parts & DNS_PART_TLSRPT)
		check_tlsrpt(r, out);
	if (o->want_probe && parts & DNS_PART_MX)
		probe_mx(o, out);
	out->is_reached = resolver_reached(r);
	return 0;
}

void
dns_posture_free(struct dns_posture *p)
{
	if (p == NULL)
		return;
	free(p->domain);
	free(p->dmarc_at);
	free(p->dmarc_text);
	dmarc_txt_free(&p->dmarc);
	spf_tree_free(&p->spf);
	for (size_t i = 0; i < p->n_senders; i++) {
		free(p->senders[i].ip);
		free(p->senders[i].name);
	}
	free(p->senders);
	for (size_t i = 0; i < p->n_dkim; i++) {
		free(p->dkim[i].selector);
		free(p->dkim[i].domain);
	}
	free(p->dkim);
	free(p->sts_text);
	sts_policy_free(&p->policy);
	free(p->tlsrpt_text);
	tlsrpt_record_free(&p->tlsrpt);
	for (size_t i = 0; i < p->n_mx; i++) {
		free(p->mx[i].host);
		for (size_t k = 0; k < p->mx[i].n_addrs; k++)
			free(p->mx[i].addrs[k]);
		free(p->mx[i].addrs);
	}
	free(p->mx);
	findings_free(&p->findings);
	memset(p, 0, sizeof(*p));
}
