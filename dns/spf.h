/*
 * spf: a domain's SPF policy (RFC 7208) read through its whole include
 * and redirect tree: the records on the way, the DNS-querying terms that
 * count against the limit of 10 (4.6.4) and the void lookups against the
 * limit of 2, the final "all"; and check_host() for one address, to tell
 * whether a sender's address is authorised, and by which term.
 *
 * Questions go through a struct resolver (dns/resolve.h), whose budget
 * bounds the walk; answers are recalled, so a tree is asked once.
 */
#ifndef DMARC_DNS_SPF_H
#define DMARC_DNS_SPF_H

#include <stddef.h>

#include "dns/resolve.h"
#include "model/finding.h"

enum { SPF_LOOKUP_LIMIT = 10, SPF_VOID_LIMIT = 2 };

/* One record of the tree, in the order a receiver meets them. */
struct spf_node {
	char *domain;		/* whose record */
	char *record;		/* its text; NULL when there is none */
	const char *via;	/* "include", "redirect", NULL for the root */
	int depth;		/* 0 for the root */
	int lookups;		/* its own DNS-querying terms */
};

struct spf_tree {
	struct spf_node *nodes;
	size_t n, cap;
	int lookups;		/* every DNS-querying term of the tree */
	int void_lookups;	/* questions that found nothing */
	char all[8];		/* "-all", "~all", "?all", "+all" that ends
				 * the evaluation, "" when none does */
	int has_record;		/* the domain publishes one SPF record */
	int has_redirect;	/* it, or a record it redirects to, has
				 * redirect= */
};

/*
 * Walk domain's SPF tree into *out (released with spf_tree_free whatever
 * happens).  Findings: spf-missing, spf-multiple, spf-syntax,
 * spf-too-many-lookups, spf-void-lookups, spf-include-missing,
 * spf-include-loop, spf-mx-too-many, spf-ptr, spf-all-pass,
 * spf-all-neutral, spf-all-soft, spf-no-all, spf-dns-failed.
 */
void spf_walk(struct resolver *r, const char *domain, struct spf_tree *out,
    struct findings *f);

void spf_tree_free(struct spf_tree *t);

enum spf_result {
	SPF_NONE, SPF_NEUTRAL, SPF_PASS, SPF_FAIL, SPF_SOFTFAIL,
	SPF_TEMPERROR, SPF_PERMERROR
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror" */
const char *spf_result_name(enum spf_result r);

/*
 * check_host(ip, domain, postmaster@domain) (RFC 7208 4): the result, and
 * in why (may be NULL) the term that decided it ("ip4:192.0.2.0/24 in
 * include:_spf.example.net") or the error.
 */
enum spf_result spf_check(struct resolver *r, const char *domain,
    const char *ip, char *why, size_t why_size);

#endif
