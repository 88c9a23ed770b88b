/*
 * The sender model as a specification: each row of the tables below is a
 * kind of mail flow (built from a few lines of parameters), the sender
 * dmarcctl must see in it, and the class and rule it must be judged by.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/sender.h"
#include "common/err.h"
#include "model/orgdomain.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { WINDOW = 30, MAX_ADDRS = 400 };

/* The kind of mail one group of addresses sends. */
enum mail {
	M_ALIGNED,	/* passes aligned */
	M_FOREIGN,	/* DKIM passes for dkim_domain, SPF for spf_domain */
	M_BROKEN,	/* our DKIM fails, SPF for spf_domain or fails */
	M_OVERRIDDEN,	/* the receiver let it through (forwarded, ARC) */
	M_UNSIGNED,	/* no signature, SPF passing for spf_domain */
	M_SNOWSHOE,	/* no signature, SPF for a new domain per message */
};

/* a group of addresses: pool addresses from prefix, each sending
 * per_day messages on days_each days of the window (rotating through it
 * when days_each < WINDOW) */
struct flow {
	const char *prefix;	/* "198.51.100." or "2001:db8:5::" */
	int pool;
	int per_day;
	int days_each;		/* days each address is seen */
	int first_day;		/* of the whole flow */
	int span;		/* days the flow covers: 0, the window */
	enum mail mail;
	const char *dkim_domain, *spf_domain, *base;
	bool is_subdomain;
};

struct world {
	struct source_stats a[MAX_ADDRS];
	char ip[MAX_ADDRS][64];
	char spf_low[MAX_ADDRS][64], spf_high[MAX_ADDRS][64];
	size_t n;
};

static void
add_flow(struct world *w, const struct flow *f)
{
	int span = f->span > 0 ? f->span : WINDOW;

	for (int k = 0; k < f->pool; k++) {
		struct source_stats *s = &w->a[w->n];
		int64_t m;
		int start = f->first_day + (k * f->days_each) % span;

		cr_assert_lt(w->n, (size_t)MAX_ADDRS);
		snprintf(w->ip[w->n], 64, "%s%d", f->prefix, k + 1);
		memset(s, 0, sizeof(*s));
		s->ip = w->ip[w->n];
		s->base = f->base;
		s->name = f->base;
		s->is_subdomain = f->is_subdomain;
		for (int d = 0; d < f->days_each; d++)
			s->day_mask |= (uint64_t)1 << ((start + d) % WINDOW);
		s->days = f->days_each;
		m = (int64_t)f->per_day * f->days_each;
		s->messages = m;
		s->recent_messages = m / 2;
		switch (f->mail) {
		case M_ALIGNED:
			s->dmarc_pass = s->dkim_aligned = s->spf_aligned = m;
			s->recent_pass = m / 2;
			break;
		case M_FOREIGN:
			s->dkim_foreign = m;
			s->foreign_dkim_domain = f->dkim_domain;
			break;
		case M_BROKEN:
			s->own_dkim_broken = m;
			break;
		case M_OVERRIDDEN:
			s->overridden = m;
			break;
		case M_UNSIGNED:
			s->dkim_missing = m;
			break;
		case M_SNOWSHOE:
			s->dkim_missing = m;
			snprintf(w->spf_low[w->n], 64, "a%d-throwaway%d.example",
			    k, k);
			snprintf(w->spf_high[w->n], 64, "z%d-junk%d.example",
			    k, k + 1000);
			s->spf_foreign = m;
			s->spf_low = w->spf_low[w->n];
			s->foreign_spf_domain = w->spf_high[w->n];
			break;
		}
		if (f->spf_domain != NULL && f->mail != M_SNOWSHOE &&
		    f->mail != M_ALIGNED) {
			s->spf_foreign = m;
			s->foreign_spf_domain = f->spf_domain;
			s->spf_low = f->spf_domain;
		}
		w->n++;
	}
}

/* our own servers: 1000 messages a day on every day */
static const struct flow own = { "192.0.2.", 2, 500, WINDOW, 0, 0,
	M_ALIGNED, NULL, NULL, NULL, false };

struct expect {
	const char *what;
	struct flow flows[3];	/* besides our own servers */
	const char *key;	/* the sender of flows[0] */
	size_t members;
	const char *class;
	const char *rule;
};

static const struct expect table[] = {
	/* 1. an ESP's rotating pool, signing with its own domain */
	{ "ESP pool of 100 v4 addresses, 20 %, a day or two each",
	  { { "198.51.100.", 100, 8, 2, 0, 0, M_FOREIGN, "mail.esp-mailer.example",
	      "bounce.esp-mailer.example", NULL, false } },
	  "esp-mailer.example", 100, "third-party", "consistent-signer" },
	{ "ESP pool of 300 v6 addresses, 5 %, one day each",
	  { { "2001:db8:77::", 300, 6, 1, 0, 0, M_FOREIGN, "esp2.example",
	      "esp2.example", NULL, false } },
	  "esp2.example", 300, "third-party", "consistent-signer" },
	{ "ESP pool of 20 addresses, 30 %, unsigned, stable return-path",
	  { { "203.0.113.", 20, 45, 3, 0, 0, M_UNSIGNED, NULL,
	      "bounces.esp3.example", NULL, false } },
	  "esp3.example", 20, "third-party", "consistent-spf" },
	/* 2. rhythm */
	{ "billing run once a month, 3 % of the mail",
	  { { "198.51.100.", 1, 900, 1, 17, 0, M_FOREIGN, "billing.example",
	      "billing.example", NULL, false } },
	  "billing.example", 1, "third-party", "periodic-sender" },
	{ "billing run from 4 addresses on one day, 8 %",
	  { { "198.51.100.", 4, 650, 1, 5, 1, M_FOREIGN, "invoices.example",
	      NULL, NULL, false } },
	  "invoices.example", 4, "third-party", "periodic-sender" },
	{ "a tiny one-day sender with its own d=, 0.1 %",
	  { { "198.51.100.", 1, 30, 1, 3, 0, M_FOREIGN, "tiny.example",
	      "tiny.example", NULL, false } },
	  "tiny.example", 1, "unauthenticated", "unknown" },
	/* 3. our own relay breaks our DKIM */
	{ "relay with rDNS, a third of the mail, daily",
	  { { "203.0.113.", 4, 125, WINDOW, 0, 0, M_BROKEN, NULL,
	      "relay-host.example", "relay-host.example", false } },
	  "relay-host.example", 4, "relay", "own-relay" },
	{ "relay without rDNS in one /24, 25 %, 20 of 30 days",
	  { { "203.0.113.", 3, 110, 20, 0, 0, M_BROKEN, NULL, NULL, NULL,
	      false } },
	  "203.0.113.0/24", 3, "relay", "own-relay" },
	{ "relay over IPv6, 40 %",
	  { { "2001:db8:9:1::", 2, 350, WINDOW, 0, 0, M_BROKEN, NULL, NULL,
	      NULL, false } },
	  "2001:db8:9::/48", 2, "relay", "own-relay" },
	{ "a forwarder: small, irregular, our DKIM broken",
	  { { "203.0.113.", 1, 10, 6, 2, 0, M_BROKEN, NULL, NULL,
	      "uni-forward.example", false } },
	  "uni-forward.example", 1, "indirect", "forwarder" },
	{ "an ARC forwarder the receivers let through, large",
	  { { "203.0.113.", 2, 300, WINDOW, 0, 0, M_OVERRIDDEN, NULL, NULL,
	      "lists.example", false } },
	  "lists.example", 2, "indirect", "forwarder" },
	/* 4. snowshoe spoofing */
	{ "snowshoe in one /24, a new domain per message",
	  { { "198.18.7.", 60, 3, 1, 0, 0, M_SNOWSHOE, NULL, NULL, NULL,
	      false } },
	  "198.18.7.0/24", 60, "unauthenticated", "throwaway-spf" },
	{ "snowshoe over IPv6, big",
	  { { "2001:db8:66::", 90, 20, 2, 0, 0, M_SNOWSHOE, NULL, NULL, NULL,
	      false } },
	  "2001:db8:66::/48", 90, "unauthenticated", "throwaway-spf" },
	/* a known service: named and trusted from the first day */
	{ "SendGrid, one day",
	  { { "198.51.100.", 1, 5, 1, 0, 0, M_FOREIGN, "sendgrid.net",
	      "sendgrid.net", NULL, false } },
	  "sendgrid.net", 1, "third-party", "known-service" },
	/* populations are judged apart */
	{ "a subdomain's newsletter sender",
	  { { "198.51.100.", 3, 100, WINDOW, 0, 0, M_FOREIGN, "news-esp.example",
	      "news-esp.example", NULL, true } },
	  "news-esp.example", 3, "third-party", "consistent-signer" },
};

static const struct sender *
sender_with(const struct sender_set *set, const struct world *w,
    const char *ip)
{
	for (size_t i = 0; i < set->n; i++)
		for (size_t m = 0; m < set->senders[i].n_members; m++)
			if (strcmp(w->a[set->senders[i].members[m]].ip, ip) == 0)
				return &set->senders[i];
	return NULL;
}

static void
init(void)
{
	struct err err;

	cr_assert_eq(orgdomain_init(&err), 0, "%s", err.msg);
}

Test(sender, table, .init = init)
{
	struct verdict_thresholds th = verdict_defaults();

	for (size_t t = 0; t < NELEM(table); t++) {
		const struct expect *e = &table[t];
		struct world *w = calloc(1, sizeof(*w));
		struct sender_set set;
		const struct sender *snd;
		char first[64];

		cr_assert_not_null(w);
		add_flow(w, &own);
		for (size_t f = 0; f < NELEM(e->flows) &&
		    e->flows[f].prefix != NULL; f++)
			add_flow(w, &e->flows[f]);
		sender_group(w->a, w->n, WINDOW, WINDOW, NULL, &th, &set);
		snprintf(first, sizeof(first), "%s1", e->flows[0].prefix);
		snd = sender_with(&set, w, first);
		cr_assert_not_null(snd, "%s: no sender", e->what);
		cr_expect_str_eq(snd->key, e->key, "%s: key", e->what);
		cr_expect_eq(snd->n_members, e->members, "%s: %zu addresses",
		    e->what, snd->n_members);
		cr_expect_str_eq(verdict_class_name(snd->class), e->class,
		    "%s: class", e->what);
		cr_expect_str_eq(snd->rule, e->rule, "%s: rule", e->what);
		cr_expect_eq(snd->pop, e->flows[0].is_subdomain ?
		    POP_SUBDOMAIN : POP_ORGANIZATIONAL, "%s: population",
		    e->what);
		/* our own servers: one sender, aligned */
		snd = sender_with(&set, w, "192.0.2.1");
		cr_expect(snd != NULL && snd->class == SOURCE_ALIGNED &&
		    snd->n_members == 2, "%s: own servers", e->what);
		sender_set_free(&set);
		free(w);
	}
}

/* the days of a sender are the union of its addresses' days */
Test(sender, days_are_the_union, .init = init)
{
	struct verdict_thresholds th = verdict_defaults();
	struct world *w = calloc(1, sizeof(*w));
	struct flow pool = { "198.51.100.", 30, 5, 1, 0, 0, M_FOREIGN,
		"pool.example", NULL, NULL, false };
	struct sender_set set;
	const struct sender *snd;

	cr_assert_not_null(w);
	add_flow(w, &own);
	add_flow(w, &pool);
	sender_group(w->a, w->n, WINDOW, WINDOW, NULL, &th, &set);
	snd = sender_with(&set, w, "198.51.100.7");
	cr_assert_not_null(snd);
	cr_expect_eq(snd->st.days, 30);
	cr_expect_eq(snd->st.messages, 150);
	/* most messages first, our own servers leading */
	cr_expect_eq(set.senders[0].class, SOURCE_ALIGNED);
	sender_set_free(&set);
	free(w);
}

/* the thresholds are settings */
Test(sender, thresholds_are_configurable, .init = init)
{
	struct verdict_thresholds th = verdict_defaults();
	struct world *w = calloc(1, sizeof(*w));
	struct flow relay = { "203.0.113.", 2, 100, WINDOW, 0, 0, M_BROKEN,
		NULL, NULL, "relay.example", false };
	struct sender_set set;

	cr_assert_not_null(w);
	add_flow(w, &own);
	add_flow(w, &relay);
	th.relay_share = 0.5;	/* 6000 of 36000 is not enough now */
	sender_group(w->a, w->n, WINDOW, WINDOW, NULL, &th, &set);
	cr_expect_eq(sender_with(&set, w, "203.0.113.1")->class,
	    SOURCE_INDIRECT);
	sender_set_free(&set);
	th = verdict_defaults();
	th.relay_days = 1.0;
	sender_group(w->a, w->n, 31, WINDOW, NULL, &th, &set);
	cr_expect_eq(sender_with(&set, w, "203.0.113.1")->class,
	    SOURCE_INDIRECT);
	sender_set_free(&set);
	th = verdict_defaults();
	sender_group(w->a, w->n, WINDOW, WINDOW, "relay.example", &th,
	    &set);
	cr_expect_str_eq(sender_with(&set, w, "203.0.113.1")->rule,
	    "own-relay");
	sender_set_free(&set);
	free(w);
}

Test(sender, networks)
{
	char out[64];

	cr_expect_str_eq(sender_network("192.0.2.77", out, sizeof(out)),
	    "192.0.2.0/24");
	cr_expect_str_eq(sender_network("2001:db8:1:2::5", out, sizeof(out)),
	    "2001:db8:1::/48");
	cr_expect_str_eq(sender_network("", out, sizeof(out)), "");
	cr_expect_str_eq(sender_network("bogus", out, sizeof(out)), "");
}

/* senders are named from the curated table, else from the operator map,
 * and an operator whose business is mail is a known service */
Test(sender, named_by_the_operator_map, .init = init)
{
	struct verdict_thresholds th = verdict_defaults();
	struct world *w = calloc(1, sizeof(*w));
	struct flow sfmc = { "198.51.100.", 3, 4, 1, 2, 0, M_FOREIGN,
		"s7.exacttarget.com", NULL, NULL, false };
	struct flow host = { "203.0.113.", 1, 4, 1, 2, 0, M_FOREIGN,
		"cheap-hosting.example", NULL, "ovh.net", false };
	struct sender_set set;
	const struct sender *snd;

	cr_assert_not_null(w);
	add_flow(w, &own);
	add_flow(w, &sfmc);
	add_flow(w, &host);
	sender_group(w->a, w->n, WINDOW, WINDOW, NULL, &th, &set);
	snd = sender_with(&set, w, "198.51.100.1");
	cr_assert_not_null(snd);
	cr_expect_str_eq(snd->key, "exacttarget.com");
	cr_expect(strstr(snd->name, "Salesforce Marketing Cloud") != NULL,
	    "%s", snd->name);
	cr_expect_str_eq(snd->type, "Marketing");
	cr_expect_str_eq(snd->rule, "known-service");
	/* a web host is no mail service: one day of it is nothing */
	snd = sender_with(&set, w, "203.0.113.1");
	cr_assert_not_null(snd);
	cr_expect_str_eq(snd->rule, "unknown");
	sender_set_free(&set);
	free(w);
}

Test(sender, day_masks)
{
	cr_expect_eq(sender_mask_days(0), 0);
	cr_expect_eq(sender_mask_days(1), 1);
	cr_expect_eq(sender_mask_days(0x8000000000000001ULL), 2);
	cr_expect_eq(sender_mask_days(~(uint64_t)0), 64);
}
