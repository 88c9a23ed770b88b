/*
 * sender: the analyzer's unit of judgement.  A sender is an organisation
 * sending mail as a policy domain, not one IP address: an ESP's rotating
 * pool, a relay's outbound servers, a spoofer's snowshoe network.  The
 * addresses of a window (struct source_stats, one per address and
 * population) are grouped into senders by what they have in common:
 *
 *  - the organisational domain that signs their failing mail (a foreign
 *    DKIM d=), which is the strongest tie: one ESP, whatever its pool;
 *  - else, for mail that does not pass, the one organisational domain
 *    they pass SPF for, when it is the same on every day (a relay's
 *    bounce domain, whatever its networks);
 *  - else the base domain of their reverse DNS (relay.example.net: the
 *    network's operator, who may host others too);
 *  - else their network: the /24 (IPv4) or /48 (IPv6);
 *
 * and only addresses with the same kind of signature (aligned, foreign,
 * our own DKIM broken, unsigned) and the same population (mail From the
 * policy domain, or From a subdomain) share a sender.  Volume, days seen
 * (the union of its addresses' days) and evidence are the sender's; the
 * rules below judge it, each named, each threshold a field of struct
 * verdict_thresholds ([analysis]):
 *
 *  aligned            passes DMARC at aligned_rate or more
 *  authorized         the user vouches for it ([analysis] authorized)
 *  own-relay          our DKIM breaks after it, receivers let at most
 *                     relay_overrides of it through (forwarding), it is
 *                     seen on relay_days of the days with reports and
 *                     carries relay_share of the population's mail,
 *                     alone or with the other senders of that kind that
 *                     carry source_share each (a relay's nodes need not
 *                     share a network or a name): our own outbound path
 *                     (class relay)
 *  forwarder          our DKIM broken or the receiver let it through
 *                     (forwarded, ARC): indirect
 *  partial            some of its mail passes
 *  throwaway-dkim     signs with two foreign organisations or more
 *                     (not a known service): spoofing
 *  throwaway-spf      unsigned, passing SPF for throwaway_spf_domains
 *                     organisations or more, or for two from one
 *                     address, or for two while seen on fewer than
 *                     third_party_days days: spoofing
 *  known-service      a mail service of the curated table, or an
 *                     operator of the reverse-DNS map whose kind is
 *                     sending mail (Marketing, Email Provider, Email
 *                     Security, SaaS)
 *  consistent-signer  signs with one foreign organisation on
 *                     third_party_days days or more
 *  periodic-sender    signs with one foreign organisation and sends
 *                     periodic_share of the population's mail, or
 *                     source_share when its SPF passes for that same
 *                     organisation, however seldom (a monthly invoice
 *                     run)
 *  consistent-spf     passes SPF for one organisation on
 *                     third_party_days days or more
 *  unknown            none of the above: unauthenticated
 */
#ifndef DMARC_ANALYZE_SENDER_H
#define DMARC_ANALYZE_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/verdict.h"

struct sender {
	char key[256];		/* what names it stably: the signing
				 * organisation, rDNS base, SPF organisation,
				 * network or address */
	char name[256];		/* for people: the service's name, or key */
	const char *type;	/* the kind of operator, or NULL (static) */
	enum population pop;
	/* the sums of its addresses; st.ip is key, st.name name, st.days
	 * the days any address was seen, strings borrowed from its
	 * addresses or this struct */
	struct source_stats st;
	size_t *members;	/* indexes of its addresses, most messages
				 * first */
	size_t n_members;
	enum source_class class;
	const char *rule;	/* the rule that decided (static) */
	char reason[256];	/* why, in one sentence */
	int spf_orgs;		/* organisations it passed SPF for */
	int dkim_orgs;		/* foreign organisations it signed with */
	bool is_spf_varied;	/* one of its addresses passed SPF for two
				 * organisations */
};

struct sender_set {
	struct sender *senders;	/* most messages first */
	size_t n;
};

/*
 * Group n addresses (each with its population: st->is_subdomain) into
 * senders and judge them.  domain_days is the number of days with
 * reports for the domain, window_days the window's length (at most 64:
 * the day masks are exact; longer: a sender's days are at least those of
 * its busiest address and of the 64ths of the window it was seen in);
 * authorized is [analysis] authorized (may be NULL).  The addresses must
 * outlive the set.  Release with sender_set_free().
 */
void sender_group(const struct source_stats *addrs, size_t n, int domain_days,
    int window_days, const char *authorized,
    const struct verdict_thresholds *th, struct sender_set *out);

/* The days of a day mask (struct source_stats): exact for a window of
 * up to 64 days, else a lower bound. */
int sender_mask_days(uint64_t mask);

void sender_set_free(struct sender_set *set);

/* The network of an address as a sender key: "192.0.2.0/24",
 * "2001:db8:1::/48"; "" for what is not an address.  Returns out. */
char *sender_network(const char *ip, char *out, size_t size);

#endif
