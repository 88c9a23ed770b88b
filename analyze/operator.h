/*
 * operator: who runs a sending host, named from its reverse DNS.
 *
 * The table is parsedmarc's map of reverse-DNS base domains
 * (data/parsedmarc-maps/, Apache-2.0), some 38,000 domains each with the
 * name of its operator and a type ("Email Provider", "Marketing",
 * "Email Security", "SaaS", "Web Host", "ISP", ...).  The build turns the
 * map into a sorted C table (scripts/operator-gen.c): the binary reads no
 * file for it.  Everything here is read-only and may be called from any
 * thread; operator_base() needs orgdomain_init() first.
 */
#ifndef DMARC_ANALYZE_OPERATOR_H
#define DMARC_ANALYZE_OPERATOR_H

#include <stddef.h>

/* One row of the map; its strings are static. */
struct operator {
	const char *domain;	/* the map's base domain: "sendgrid.net" */
	const char *name;	/* "Twilio SendGrid" (UTF-8) */
	const char *type;	/* "Marketing" */
};

/*
 * The operator of domain or, failing that, of its nearest parent domain
 * in the map: "o1.mail.sendgrid.net" finds "sendgrid.net".  Case and one
 * trailing dot do not matter; an internationalized name must be in its
 * xn-- form, as reverse DNS gives it.  A binary search per label of
 * domain.  Returns a static row, or NULL when no domain on the way is in
 * the map (and for NULL, "" or a name longer than a DNS name).
 */
const struct operator *operator_lookup(const char *domain);

/*
 * The base domain of a reverse-DNS name, the key to operator_lookup() and
 * what `sources` shows, written to out (size bytes) lower-cased and
 * without a trailing dot.  It is the organizational domain from the
 * Public Suffix List (orgdomain_of()) unless one of parsedmarc's PSL
 * overrides (psl_overrides.txt, built in beside the map) covers the name;
 * the override, without its mark, is then the base, whatever the PSL says:
 *
 *   "-x.com"  a name that ends in "-x.com":    "a1-b2-x.com" gives "x.com"
 *   ".x.com"  a name under x.com:          "e1.c.x.com" gives "x.com"
 *   "x.com"   x.com itself or a name under it: "a.x.com" gives "x.com"
 *
 * parsedmarc compares the plain end of the text for all three kinds; here
 * an unmarked entry covers whole labels only, so that "evilx.com" is not
 * taken for x.com.  Should two entries cover a name, the longer wins.
 * Returns out, or NULL when the base does not fit in size bytes.
 */
const char *operator_base(const char *rdns_name, char *out, size_t size);

#endif
