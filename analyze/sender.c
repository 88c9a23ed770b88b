#include "analyze/sender.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/operator.h"
#include "common/count.h"
#include "common/xalloc.h"
#include "model/orgdomain.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { ORG_MAX = 256, SPF_ORGS_MAX = 16 };

/* The kind of signature an address's mail carries, by its largest part. */
enum signature {
	SIG_ALIGNED,		/* passes: our own servers or a service
				 * signing for us */
	SIG_FOREIGN,		/* DKIM passes for another organisation */
	SIG_OWN_BROKEN,		/* our DKIM fails after it, or the receiver
				 * let it through */
	SIG_UNSIGNED,		/* nothing of ours or of anyone's passes */
};

static const char *const signature_words[] = {
	[SIG_ALIGNED] = "aligned",
	[SIG_FOREIGN] = "signed by another domain",
	[SIG_OWN_BROKEN] = "our DKIM broken",
	[SIG_UNSIGNED] = "unsigned",
};

static int64_t
failing_of(const struct source_stats *s)
{
	return s->messages > 0 ? s->messages - count_clamp(s->dmarc_pass,
	    s->messages) : 0;
}

static enum signature
signature_of(const struct source_stats *s)
{
	int64_t fail = failing_of(s);

	/* signed by another organisation, even when some of its mail
	 * passes: an ESP that signs only part of a pool aligned */
	if (fail > 0 && s->dkim_foreign * 2 >= fail &&
	    s->dkim_foreign * 10 >= s->messages)
		return SIG_FOREIGN;
	if (s->messages > 0 && s->dmarc_pass * 2 >= s->messages)
		return SIG_ALIGNED;
	if (count_add(s->own_dkim_broken, s->overridden) * 2 >= fail &&
	    fail > 0)
		return SIG_OWN_BROKEN;
	return SIG_UNSIGNED;
}

/* the organisational domain of d into out, or "" */
static const char *
org_of(const char *d, char *out, size_t size)
{
	if (d == NULL || *d == '\0' ||
	    orgdomain_of(d, out, size) == NULL)
		snprintf(out, size, "%s", d != NULL ? d : "");
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

char *
sender_network(const char *ip, char *out, size_t size)
{
	unsigned char a[16];

	out[0] = '\0';
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, size, "%u.%u.%u.0/24", a[0], a[1], a[2]);
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		char text[INET6_ADDRSTRLEN];

		memset(a + 6, 0, 10);
		if (inet_ntop(AF_INET6, a, text, sizeof(text)) != NULL)
			snprintf(out, size, "%s/48", text);
	}
	return out;
}

/* the SPF organisation an address passes for on every day, or "" */
static const char *
stable_spf(const struct source_stats *s, char *out, size_t size)
{
	char low[ORG_MAX];

	out[0] = '\0';
	if (s->foreign_spf_domain == NULL)
		return out;
	org_of(s->foreign_spf_domain, out, size);
	if (s->spf_low != NULL &&
	    strcmp(org_of(s->spf_low, low, sizeof(low)), out) != 0)
		out[0] = '\0';
	return out;
}

/*
 * The grouping key of an address: what it has in common with others.
 * The organisations it signs or passes SPF for name the sender; the
 * reverse DNS names the network's operator, who may host others too.
 */
static void
key_of(const struct source_stats *s, enum signature sig, char *out,
    size_t size)
{
	char org[ORG_MAX];

	if (sig == SIG_FOREIGN && s->foreign_dkim_domain != NULL) {
		org_of(s->foreign_dkim_domain, out, size);
		return;
	}
	if (sig != SIG_ALIGNED && *stable_spf(s, org, sizeof(org)) != '\0') {
		snprintf(out, size, "%s", org);
		return;
	}
	if (s->base != NULL && *s->base != '\0') {
		org_of(s->base, out, size);
		return;
	}
	if (*sender_network(s->ip, out, size) == '\0')
		snprintf(out, size, "%s", *s->ip != '\0' ? s->ip : "(invalid)");
}

/* --- grouping --- */

struct member {
	size_t index;
	enum population pop;
	enum signature sig;
	char key[ORG_MAX];
	int64_t messages;	/* its address's, for the order */
	const char *ip;
};

static int
member_cmp(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	int c;

	if (a->pop != b->pop)
		return a->pop < b->pop ? -1 : 1;
	if ((c = strcmp(a->key, b->key)) != 0)
		return c;
	if (a->sig != b->sig)
		return a->sig < b->sig ? -1 : 1;
	/* a sender's addresses: most messages first */
	if (a->messages != b->messages)
		return a->messages > b->messages ? -1 : 1;
	if ((c = strcmp(a->ip, b->ip)) != 0)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static bool
same_group(const struct member *a, const struct member *b)
{
	return a->pop == b->pop && a->sig == b->sig &&
	    strcmp(a->key, b->key) == 0;
}

/* add an organisation to a small set; returns the set's size */
static int
add_org(char (*set)[ORG_MAX], int n, const char *domain)
{
	char org[ORG_MAX];

	if (domain == NULL || *domain == '\0')
		return n;
	org_of(domain, org, sizeof(org));
	for (int i = 0; i < n; i++)
		if (strcmp(set[i], org) == 0)
			return n;
	if (n == SPF_ORGS_MAX)
		return n;
	snprintf(set[n], ORG_MAX, "%s", org);
	return n + 1;
}

int
sender_mask_days(uint64_t mask)
{
	int n = 0;

	for (; mask != 0; mask &= mask - 1)
		n++;
	return n;
}

/* the sums of a sender's addresses, its days and its SPF organisations */
static void
sum_members(struct sender *snd, const struct source_stats *addrs,
    int window_days)
{
	uint64_t mask = 0;
	int busiest = 0;
	struct source_stats *t = &snd->st;
	char spf[SPF_ORGS_MAX][ORG_MAX], dkim[SPF_ORGS_MAX][ORG_MAX];
	char low[2][ORG_MAX];
	int n_spf = 0, n_dkim = 0;
	const struct source_stats *top = &addrs[snd->members[0]];

	memset(t, 0, sizeof(*t));
	t->ip = snd->key;
	t->name = snd->name;
	t->base = top->base;
	t->is_subdomain = top->is_subdomain;
	t->is_nonexistent = top->is_nonexistent;
	for (size_t k = 0; k < snd->n_members; k++) {
		const struct source_stats *a = &addrs[snd->members[k]];

		t->messages = count_add(t->messages, a->messages);
		t->dmarc_pass = count_add(t->dmarc_pass, a->dmarc_pass);
		t->dkim_aligned = count_add(t->dkim_aligned, a->dkim_aligned);
		t->spf_aligned = count_add(t->spf_aligned, a->spf_aligned);
		t->recent_messages = count_add(t->recent_messages,
		    a->recent_messages);
		t->recent_pass = count_add(t->recent_pass, a->recent_pass);
		t->dkim_foreign = count_add(t->dkim_foreign, a->dkim_foreign);
		t->spf_foreign = count_add(t->spf_foreign, a->spf_foreign);
		t->dkim_missing = count_add(t->dkim_missing, a->dkim_missing);
		t->own_dkim_broken = count_add(t->own_dkim_broken,
		    a->own_dkim_broken);
		t->overridden = count_add(t->overridden, a->overridden);
		t->is_authorized |= a->is_authorized;
		if (t->foreign_dkim_domain == NULL)
			t->foreign_dkim_domain = a->foreign_dkim_domain;
		if (t->foreign_spf_domain == NULL)
			t->foreign_spf_domain = a->foreign_spf_domain;
		n_spf = add_org(spf, n_spf, a->foreign_spf_domain);
		n_spf = add_org(spf, n_spf, a->spf_low);
		snd->is_spf_varied |= add_org(low, add_org(low, 0,
		    a->foreign_spf_domain), a->spf_low) > 1;
		n_dkim = add_org(dkim, n_dkim, a->foreign_dkim_domain);
		n_dkim = add_org(dkim, n_dkim, a->dkim_low);
		mask |= a->day_mask;
		if (a->days > busiest)
			busiest = a->days;
	}
	snd->spf_orgs = n_spf;
	snd->dkim_orgs = n_dkim;
	t->day_mask = mask;
	t->days = sender_mask_days(mask);
	/* a long window's mask is coarse: never fewer than one address */
	if (window_days > 64 && busiest > t->days)
		t->days = busiest;
}

/* --- the rules --- */
/* the kinds of operator whose business is sending mail for others */
static const char *const sending_kinds[] = { "Marketing", "Email Provider",
	"Email Security", "SaaS" };

static bool
is_sending_kind(const char *type)
{
	for (size_t i = 0; type != NULL && i < NELEM(sending_kinds); i++)
		if (strcmp(type, sending_kinds[i]) == 0)
			return true;
	return false;
}


struct judge {
	const struct verdict_thresholds *th;
	const char *authorized;
	int domain_days;
	int64_t pop_messages[POP_COUNT];
	int64_t relay_messages[POP_COUNT];	/* of the relay candidates */
};

/* what a rule reads of a sender */
struct facts {
	const struct sender *snd;
	const struct source_stats *st;
	enum signature sig;
	int64_t fail;
	double share;		/* of its population's mail */
	double days_share;	/* of the days with reports */
};

typedef bool (*rule_fn)(const struct facts *f, const struct judge *j);

static bool
rule_aligned(const struct facts *f, const struct judge *j)
{
	return count_ratio(count_clamp(f->st->dmarc_pass, f->st->messages),
	    f->st->messages) >= j->th->aligned_rate;
}

static bool
rule_authorized(const struct facts *f, const struct judge *j)
{
	return f->st->is_authorized ||
	    verdict_is_authorized(f->st, j->authorized);
}

/* failing mail marked as broken on the way (our DKIM fails) or let
 * through by the receiver (forwarded, ARC) */
static bool
is_marked_indirect(const struct facts *f, const struct judge *j)
{
	int64_t marked = count_clamp(count_add(count_clamp(f->st->overridden, f->fail),
	    count_clamp(f->st->own_dkim_broken, f->fail)), f->fail);

	return f->fail > 0 && marked > 0 &&
	    count_ratio(marked, f->fail) >= j->th->indirect_share;
}

/*
 * A path of our own mail that breaks our signature: mostly our DKIM
 * broken, hardly any receiver giving a forwarding reason (overrides mark
 * forwarding), on relay_days of the days, and no trifle.
 */
static bool
is_relay_candidate(const struct facts *f, const struct judge *j)
{
	return is_marked_indirect(f, j) &&
	    count_ratio(count_clamp(f->st->own_dkim_broken, f->fail), f->fail) >=
	    j->th->indirect_share &&
	    count_ratio(count_clamp(f->st->overridden, f->fail), f->fail) <=
	    j->th->relay_overrides &&
	    f->days_share >= j->th->relay_days &&
	    f->share >= j->th->source_share;
}

/* ... carrying relay_share of the mail, alone or with the other nodes of
 * its kind (a relay's nodes need not share a network or a name) */
static bool
rule_own_relay(const struct facts *f, const struct judge *j)
{
	return is_relay_candidate(f, j) && (f->share >= j->th->relay_share ||
	    count_ratio(j->relay_messages[f->snd->pop],
	    j->pop_messages[f->snd->pop]) >= j->th->relay_share);
}

static bool
rule_forwarder(const struct facts *f, const struct judge *j)
{
	return is_marked_indirect(f, j);
}

static bool
rule_partial(const struct facts *f, const struct judge *j)
{
	(void)j;
	return f->st->dmarc_pass > 0;
}

static bool
is_foreign_signed(const struct facts *f)
{
	return f->st->dkim_foreign > 0 && f->st->dkim_foreign * 2 >= f->fail;
}

/* signs with more than one foreign organisation: throwaway domains (a
 * service signs with its own, one) */
static bool
rule_throwaway_dkim(const struct facts *f, const struct judge *j)
{
	(void)j;
	return is_foreign_signed(f) && f->snd->dkim_orgs >= 2 &&
	    !is_sending_kind(f->snd->type) &&
	    verdict_known_service(f->snd->key) == NULL;
}

/* SPF passes for many organisations, or for two from one address or on
 * a sender's only days: domains used once and thrown away */
static bool
rule_throwaway_spf(const struct facts *f, const struct judge *j)
{
	return !is_foreign_signed(f) && f->st->spf_foreign > 0 &&
	    (f->snd->spf_orgs >= j->th->throwaway_spf_domains ||
	    f->snd->is_spf_varied ||
	    (f->snd->spf_orgs >= 2 && f->st->days < j->th->third_party_days));
}

static bool
rule_known_service(const struct facts *f, const struct judge *j)
{
	const char *const names[] = { f->st->foreign_dkim_domain,
		f->st->base, f->snd->key, f->st->foreign_spf_domain };

	(void)j;
	if (f->st->dkim_foreign == 0 && f->st->spf_foreign == 0)
		return false;
	if (is_sending_kind(f->snd->type))
		return true;
	for (size_t i = 0; i < NELEM(names); i++)
		if (verdict_known_service(names[i]) != NULL)
			return true;
	return false;
}

static bool
rule_consistent_signer(const struct facts *f, const struct judge *j)
{
	return is_foreign_signed(f) && f->st->days >= j->th->third_party_days;
}

/* its SPF passes for the organisation it signs with: a configured
 * identity, not a borrowed one */
static bool
is_own_identity(const struct facts *f)
{
	char dkim[ORG_MAX], spf[ORG_MAX];

	return f->st->foreign_dkim_domain != NULL &&
	    f->st->foreign_spf_domain != NULL && f->snd->spf_orgs == 1 &&
	    strcmp(org_of(f->st->foreign_dkim_domain, dkim, sizeof(dkim)),
	    org_of(f->st->foreign_spf_domain, spf, sizeof(spf))) == 0;
}

static bool
rule_periodic_sender(const struct facts *f, const struct judge *j)
{
	return is_foreign_signed(f) && f->snd->dkim_orgs <= 1 &&
	    (f->share >= j->th->periodic_share ||
	    (is_own_identity(f) && f->share >= j->th->source_share));
}

static bool
rule_consistent_spf(const struct facts *f, const struct judge *j)
{
	return f->st->spf_foreign > 0 && f->snd->spf_orgs <= 1 &&
	    f->st->days >= j->th->third_party_days;
}

static bool
rule_always(const struct facts *f, const struct judge *j)
{
	(void)f, (void)j;
	return true;
}

/* The rules in order: the first that holds decides. */
static const struct rule {
	const char *name;
	rule_fn holds;
	enum source_class class;
	const char *reason;
} rules[] = {
	{ "aligned", rule_aligned, SOURCE_ALIGNED,
	  "passes DMARC" },
	{ "own-relay", rule_own_relay, SOURCE_RELAY,
	  "carries a large share of your mail on most days and your DKIM "
	  "fails after it, with no forwarding reason from any receiver: "
	  "your own relay" },
	{ "authorized", rule_authorized, SOURCE_THIRD_PARTY,
	  "listed in [analysis] authorized" },
	{ "forwarder", rule_forwarder, SOURCE_INDIRECT,
	  "forwards your mail: your DKIM breaks on the way or the receiver "
	  "let it through (forwarded, ARC)" },
	{ "partial", rule_partial, SOURCE_PARTIAL,
	  "some of its mail passes, some fails" },
	{ "throwaway-dkim", rule_throwaway_dkim, SOURCE_UNAUTHENTICATED,
	  "signs with several throwaway domains of its own: spoofing" },
	{ "throwaway-spf", rule_throwaway_spf, SOURCE_UNAUTHENTICATED,
	  "unsigned, passing SPF for a different throwaway domain from "
	  "message to message: spoofing" },
	{ "known-service", rule_known_service, SOURCE_THIRD_PARTY,
	  "a known mail service sending with its own domain" },
	{ "consistent-signer", rule_consistent_signer, SOURCE_THIRD_PARTY,
	  "signs with the same domain of its own across its addresses and "
	  "days" },
	{ "periodic-sender", rule_periodic_sender, SOURCE_THIRD_PARTY,
	  "signs with a domain of its own and sends a real share of your "
	  "mail, however seldom (a monthly run)" },
	{ "consistent-spf", rule_consistent_spf, SOURCE_THIRD_PARTY,
	  "passes SPF for the same domain of its own on several days" },
	{ "unknown", rule_always, SOURCE_UNAUTHENTICATED,
	  "nothing ties it to you: spoofing or an unknown sender" },
};

static void
facts_of(const struct sender *snd, const struct judge *j, enum signature sig,
    struct facts *f)
{
	*f = (struct facts){ .snd = snd, .st = &snd->st, .sig = sig };
	f->fail = failing_of(&snd->st);
	f->share = count_ratio(snd->st.messages, j->pop_messages[snd->pop]);
	f->days_share = count_ratio(snd->st.days, j->domain_days);
}

static void
judge_one(struct sender *snd, const struct judge *j, enum signature sig)
{
	struct facts f;

	facts_of(snd, j, sig, &f);
	if (snd->st.messages <= 0) {
		snd->class = SOURCE_UNAUTHENTICATED;
		snd->rule = "unknown";
		snprintf(snd->reason, sizeof(snd->reason), "no messages");
		return;
	}
	for (size_t i = 0; i < NELEM(rules); i++)
		if (rules[i].holds(&f, j)) {
			snd->class = rules[i].class;
			snd->rule = rules[i].name;
			snprintf(snd->reason, sizeof(snd->reason), "%s",
			    rules[i].reason);
			return;
		}
}

/* the name people know it by: the curated table's, else the operator
 * map's (with its kind), else its key */
static void
name_sender(struct sender *snd)
{
	const char *svc = verdict_known_service(snd->key);
	const struct operator *op = operator_lookup(snd->key);

	if (svc == NULL)
		svc = verdict_known_service(snd->st.base);
	if (op == NULL)
		op = operator_lookup(snd->st.base);
	snprintf(snd->name, sizeof(snd->name), "%s", svc != NULL ? svc :
	    op != NULL ? op->name : snd->key);
	snd->type = op != NULL ? op->type : NULL;
}


static int
sender_cmp(const void *pa, const void *pb)
{
	const struct sender *a = pa, *b = pb;
	int c;

	if (a->st.messages != b->st.messages)
		return a->st.messages > b->st.messages ? -1 : 1;
	if ((c = strcmp(a->key, b->key)) != 0)
		return c;
	return a->pop < b->pop ? -1 : a->pop > b->pop;
}

/* two senders of one population with the same key (a base sending both
 * aligned and forwarded mail; adjacent, as grouped): the signature tells
 * them apart */
static void
disambiguate(struct sender *s, size_t n, const enum signature *sigs)
{
	for (size_t i = 1; i < n; i++)
		if (s[i].pop == s[i - 1].pop &&
		    strcmp(s[i].key, s[i - 1].key) == 0) {
			char key[sizeof(s[i].key)];

			snprintf(key, sizeof(key), "%.200s (%s)", s[i].key,
			    signature_words[sigs[i]]);
			memcpy(s[i].key, key, sizeof(key));
		}
}

void
sender_group(const struct source_stats *addrs, size_t n, int domain_days,
    int window_days, const char *authorized,
    const struct verdict_thresholds *th, struct sender_set *out)
{
	struct member *m = xcalloc(n + 1, sizeof(*m));
	struct judge j = { .th = th, .authorized = authorized,
		.domain_days = domain_days };
	enum signature *sigs;
	size_t ns = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		m[i].index = i;
		m[i].messages = addrs[i].messages;
		m[i].ip = addrs[i].ip;
		m[i].pop = addrs[i].is_nonexistent ? POP_NONEXISTENT :
		    addrs[i].is_subdomain ? POP_SUBDOMAIN : POP_ORGANIZATIONAL;
		m[i].sig = signature_of(&addrs[i]);
		key_of(&addrs[i], m[i].sig, m[i].key, sizeof(m[i].key));
	}
	qsort(m, n, sizeof(*m), member_cmp);
	out->senders = xcalloc(n + 1, sizeof(*out->senders));
	sigs = xcalloc(n + 1, sizeof(*sigs));
	for (size_t i = 0; i < n; ) {
		size_t k = i;
		struct sender *snd = &out->senders[ns];

		while (k < n && same_group(&m[i], &m[k]))
			k++;
		snprintf(snd->key, sizeof(snd->key), "%s", m[i].key);
		snd->pop = m[i].pop;
		snd->n_members = k - i;
		snd->members = xcalloc(k - i, sizeof(*snd->members));
		for (size_t x = i; x < k; x++)
			snd->members[x - i] = m[x].index;
		/* a lone address keeps its own name: the key is the IP's */
		if (snd->n_members == 1 && addrs[snd->members[0]].base == NULL &&
		    m[i].sig != SIG_FOREIGN && strchr(snd->key, '/') != NULL)
			snprintf(snd->key, sizeof(snd->key), "%s",
			    *addrs[m[i].index].ip != '\0' ?
			    addrs[m[i].index].ip : "(invalid)");
		sum_members(snd, addrs, window_days);
		name_sender(snd);
		sigs[ns] = m[i].sig;
		j.pop_messages[snd->pop] = count_add(j.pop_messages[snd->pop],
		    snd->st.messages);
		ns++;
		i = k;
	}
	out->n = ns;
	/* the mail of the relay candidates, which a relay's nodes share */
	for (size_t i = 0; i < ns; i++) {
		struct facts f;

		facts_of(&out->senders[i], &j, sigs[i], &f);
		if (is_relay_candidate(&f, &j))
			j.relay_messages[f.snd->pop] = count_add(
			    j.relay_messages[f.snd->pop], f.st->messages);
	}
	for (size_t i = 0; i < ns; i++)
		judge_one(&out->senders[i], &j, sigs[i]);
	/* keys unique per population, then the order people read; the
	 * view's strings point into each sender once it stays put */
	disambiguate(out->senders, ns, sigs);
	qsort(out->senders, ns, sizeof(*out->senders), sender_cmp);
	for (size_t i = 0; i < ns; i++) {
		out->senders[i].st.ip = out->senders[i].key;
		out->senders[i].st.name = out->senders[i].name;
	}
	free(sigs);
	free(m);
}

void
sender_set_free(struct sender_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		free(set->senders[i].members);
	free(set->senders);
	memset(set, 0, sizeof(*set));
}
