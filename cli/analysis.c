#include "cli/analysis.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/orgdomain.h"
#include "analyze/operator.h"
#include "analyze/rdns.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "store/store.h"

enum {
	DNS_TIMEOUT_MS = 2000,
	DNS_INFLIGHT = 64,
	TTL_MIN = 3600,			/* names are kept at least an hour */
	TTL_MAX = 7 * 86400,
	TTL_NONE = 86400,		/* no PTR: ask again tomorrow */
	TTL_FAIL = 600,			/* timeout: ask again soon */
	TTL_DEAD = 3600,		/* the resolver answered nothing */
	RDNS_BUDGET_S = 10,		/* all the lookups of a command */
};

/*
 * The lookups of one command share one time budget ([analysis]
 * rdns_budget) and one warning: a resolver that does not answer costs a
 * few seconds once, is said once, and is not asked again for an hour.
 */
static struct {
	uint64_t stop_ms;	/* monotonic; 0: no lookup yet */
	size_t asked, unanswered;
	bool has_warned;
} dns_run;

/* a resolver for this command, with what is left of its budget */
static int
dns_open(const struct config *cfg, struct rdns **out, struct err *err)
{
	long timeout = DNS_TIMEOUT_MS, budget = RDNS_BUDGET_S;
	uint64_t now = rdns_now_ms();

	*out = NULL;
	if ((cfg->dns_timeout != NULL && str_to_long(cfg->dns_timeout, 1,
	    60000, &timeout, "[analysis] dns_timeout", err) == -1) ||
	    (cfg->rdns_budget != NULL && str_to_long(cfg->rdns_budget, 1,
	    3600, &budget, "[analysis] rdns_budget", err) == -1))
		return -1;
	if (dns_run.stop_ms == 0)
		dns_run.stop_ms = now + (uint64_t)budget * 1000;
	if (rdns_new(out, cfg->dns_server, (unsigned)timeout, DNS_INFLIGHT,
	    err) == -1)
		return -1;
	/* spent: what is asked now is skipped at once */
	rdns_set_budget(*out, dns_run.stop_ms > now ? dns_run.stop_ms - now :
	    1);
	return 0;
}

/* the one warning of a command whose lookups went unanswered */
static void
dns_warn(const struct config *cfg)
{
	if (dns_run.unanswered == 0 || dns_run.has_warned)
		return;
	dns_run.has_warned = true;
	log_warn("DNS: %zu of %zu lookups unanswered within %s s (resolver "
	    "%s): those senders are shown by address, asked again later",
	    dns_run.unanswered, dns_run.asked, cfg->rdns_budget != NULL ?
	    cfg->rdns_budget : "10", cfg->dns_server != NULL ?
	    cfg->dns_server : "of /etc/resolv.conf");
}

/* what a lookup with no answer is cached for: a resolver that answered
 * nothing at all is left alone longer */
static int
fail_ttl(size_t answered)
{
	return answered == 0 ? TTL_DEAD : TTL_FAIL;
}

static int64_t
num(const char *v)
{
	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static char *
dup_or_null(const char *v)
{
	return v != NULL ? xstrdup(v) : NULL;
}

/* --- indexes: pointers sorted by a string member --- */

static int
cmp_domain_ptr(const void *a, const void *b)
{
	return strcmp((*(struct analysis_domain *const *)a)->domain,
	    (*(struct analysis_domain *const *)b)->domain);
}

static int
cmp_source_ptr(const void *a, const void *b)
{
	return strcmp((*(struct analysis_source *const *)a)->st.ip,
	    (*(struct analysis_source *const *)b)->st.ip);
}

/* the index of n elements of size at base, sorted by cmp */
static void *
index_of(void *base, size_t n, size_t size, int (*cmp)(const void *,
    const void *))
{
	char **ix = xcalloc(n + 1, sizeof(*ix));

	for (size_t i = 0; i < n; i++)
		ix[i] = (char *)base + i * size;
	qsort(ix, n, sizeof(*ix), cmp);
	return ix;
}

/* the element whose key (read by key_of) is name, by binary search */
static void *
lookup(void *const *ix, size_t n, const char *name,
    const char *(*key_of)(const void *))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key_of(ix[mid]), name);

		if (c == 0)
			return ix[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *
domain_key(const void *p)
{
	return ((const struct analysis_domain *)p)->domain;
}

static const char *
source_key(const void *p)
{
	return ((const struct analysis_source *)p)->st.ip;
}

const struct analysis_domain *
analysis_find(const struct analysis *a, const char *domain)
{
	return lookup((void *const *)a->by_name, a->n_domains, domain,
	    domain_key);
}

const struct analysis_source *
analysis_find_source(const struct analysis_domain *d, const char *ip)
{
	return lookup((void *const *)d->by_ip, d->n_sources, ip, source_key);
}

/* --- domains --- */

static struct analysis_domain *
find_domain(struct analysis *a, const char *name)
{
	return (struct analysis_domain *)analysis_find(a, name);
}

static int
domain_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis *a = ctx;
	struct analysis_domain *d;

	(void)ncols, (void)names, (void)err;
	a->domains = xgrow(a->domains, a->n_domains, &a->cap,
	    sizeof(*a->domains));
	d = &a->domains[a->n_domains++];
	memset(d, 0, sizeof(*d));
	d->domain = xstrdup(v[0]);
	d->reports = num(v[1]);
	d->messages = num(v[2]);
	d->dmarc_pass = num(v[3]);
	d->dkim_aligned = num(v[4]);
	d->spf_aligned = num(v[5]);
	d->quarantined = num(v[6]);
	d->rejected = num(v[7]);
	d->subdomain = num(v[8]);
	d->subdomain_fail = num(v[9]);
	d->disagree = num(v[10]);
	d->days = (int)num(v[11]);
	d->reporters = (int)num(v[12]);
	d->policy.pct = -1;
	return 0;
}

static int
policy_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis_domain *d = find_domain(ctx, v[0]);

	(void)ncols, (void)names, (void)err;
	if (d == NULL)
		return 0;
	d->has_policy = true;
	d->policy.p = dup_or_null(v[1]);
	d->policy.sp = dup_or_null(v[2]);
	d->policy.np = dup_or_null(v[3]);
	d->policy.pct = v[4] != NULL ? (int)num(v[4]) : -1;
	d->policy.adkim = dup_or_null(v[5]);
	d->policy.aspf = dup_or_null(v[6]);
	d->policy.t = dup_or_null(v[7]);
	d->quarantine_days = (int)num(v[8]);
	return 0;
}

/* --- sources --- */

static int
source_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis *a = ctx;
	struct analysis_domain *d = find_domain(a, v[0]);
	struct analysis_source *src;
	struct source_stats *st;

	(void)ncols, (void)names, (void)err;
	if (d == NULL)
		return 0;
	d->sources = xgrow(d->sources, d->n_sources, &d->sources_cap,
	    sizeof(*d->sources));
	src = &d->sources[d->n_sources++];
	memset(src, 0, sizeof(*src));
	st = &src->st;
	st->ip = xstrdup(v[1]);
	st->messages = num(v[2]);
	st->dmarc_pass = num(v[3]);
	st->dkim_aligned = num(v[4]);
	st->spf_aligned = num(v[5]);
	st->recent_messages = num(v[6]);
	st->recent_pass = num(v[7]);
	st->dkim_foreign = num(v[8]);
	st->spf_foreign = num(v[9]);
	st->dkim_missing = num(v[10]);
	st->own_dkim_broken = num(v[11]);
	st->overridden = num(v[12]);
	src->disagree = num(v[13]);
	st->foreign_dkim_domain = dup_or_null(v[14]);
	st->foreign_spf_domain = dup_or_null(v[15]);
	st->days = (int)num(v[16]);
	st->is_subdomain = v[17] != NULL && *v[17] != 'o';
	st->is_nonexistent = v[17] != NULL && *v[17] == 'n';
	st->spf_low = dup_or_null(v[18]);
	st->dkim_low = dup_or_null(v[20]);
	st->day_mask = v[19] != NULL ? (uint64_t)strtoll(v[19], NULL, 10) : 0;
	/* exact from the mask; a long window's mask is coarse, and its
	 * rows count a day twice only From two subdomains */
	if (a->window_days <= 64 || sender_mask_days(st->day_mask) > st->days)
		st->days = sender_mask_days(st->day_mask);
	else if (st->days > a->window_days)
		st->days = a->window_days;
	return 0;
}

static int
overruled_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis_domain *d = find_domain(ctx, v[0]);
	struct analysis_reporter *r;

	(void)ncols, (void)names, (void)err;
	if (d == NULL)
		return 0;
	d->reporters_overruled = xreallocarray(d->reporters_overruled,
	    d->n_reporters_overruled + 1, sizeof(*d->reporters_overruled));
	r = &d->reporters_overruled[d->n_reporters_overruled++];
	r->org_name = xstrdup(v[1]);
	r->overruled = num(v[2]);
	r->messages = num(v[3]);
	r->unproved = num(v[4]);
	return 0;
}

/* --- reverse DNS, through the cache --- */

struct names {
	const char **ips;	/* borrowed from the sources */
	char **name;		/* owned; NULL: none known */
	bool *is_known;		/* answered by the cache or the resolver */
	size_t n;
	/* what the resolver said, to keep in the cache (names owned) */
	struct store_rdns *save;
	size_t n_save;
	size_t n_answered;	/* a name, or surely none */
};

/* the index of s in v (n strings sorted with strcmp), or n */
static size_t
str_index(char *const *v, size_t n, const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid], s);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n;
}

static size_t
name_index(const struct names *nm, const char *ip)
{
	return str_index((char *const *)nm->ips, nm->n, ip);
}

static int
cached_row(void *ctx, const char *ip, const char *name, struct err *err)
{
	struct names *nm = ctx;
	size_t i = name_index(nm, ip);

	(void)err;
	if (i == nm->n)
		return 0;
	nm->is_known[i] = true;
	if (name != NULL)
		nm->name[i] = xstrdup(name);
	return 0;
}

static void
resolved(void *ctx, const char *ip, enum rdns_status st, const char *name,
    unsigned ttl)
{
	static const char *const status[] = { [RDNS_OK] = "ok",
		[RDNS_NONE] = "none", [RDNS_FAIL] = "fail",
		[RDNS_SKIPPED] = "fail" };
	struct names *nm = ctx;
	size_t i = name_index(nm, ip), k = nm->n_save++;

	dns_run.asked++;
	if (st == RDNS_FAIL || st == RDNS_SKIPPED)
		dns_run.unanswered++;
	else
		nm->n_answered++;
	if (i < nm->n && st == RDNS_OK)
		nm->name[i] = xstrdup(name);
	nm->save[k].ip = ip;
	nm->save[k].name = st == RDNS_OK ? xstrdup(name) : NULL;
	nm->save[k].status = status[st];
	/* skipped: 0 until the run says whether it is kept */
	nm->save[k].ttl = st == RDNS_SKIPPED ? 0 : st == RDNS_FAIL ?
	    TTL_FAIL : st == RDNS_NONE ? TTL_NONE : ttl < TTL_MIN ? TTL_MIN :
	    ttl > TTL_MAX ? TTL_MAX : (int)ttl;
}

/* A resolver that answered nothing: every address waits TTL_DEAD, asked
 * or not.  Else the ones not asked are not kept: asked next time. */
static void
settle_unanswered(struct store_rdns *save, size_t *n, size_t answered)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp(save[i].status, "fail") == 0 &&
		    (save[i].ttl == 0 || answered == 0))
			save[i].ttl = fail_ttl(answered);
		if (save[i].ttl == 0)
			continue;
		save[k++] = save[i];
	}
	*n = k;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ask the resolver for what the cache does not know, and remember it */
static int
resolve_missing(struct store *s, const struct config *cfg, struct names *nm,
    struct err *err)
{
	const char **ask = xcalloc(nm->n + 1, sizeof(*ask));
	struct rdns *r = NULL;
	size_t n = 0;

	for (size_t i = 0; i < nm->n; i++)
		if (!nm->is_known[i])
			ask[n++] = nm->ips[i];
	if (n == 0) {
		free(ask);
		return 0;
	}
	nm->save = xcalloc(n, sizeof(*nm->save));
	if (dns_open(cfg, &r, err) == -1) {
		rdns_free(r);
		free(ask);
		if (err->code == ERR_USAGE)
			return -1;
		log_warn("reverse DNS: %s; sources stay unnamed", err->msg);
		return 0;
	}
	if (rdns_resolve(r, ask, n, resolved, nm, err) == -1) {
		log_warn("reverse DNS: %s; sources stay unnamed", err->msg);
		rdns_free(r);
		free(ask);
		return 0;
	}
	rdns_free(r);
	free(ask);
	dns_warn(cfg);
	settle_unanswered(nm->save, &nm->n_save, nm->n_answered);
	return store_rdns_save(s, nm->save, nm->n_save, err);
}

static void
names_release(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->name[i]);
	for (size_t i = 0; i < nm->n_save; i++)
		free((char *)nm->save[i].name);
	free(nm->ips);
	free(nm->name);
	free(nm->is_known);
	free(nm->save);
}

/* every source IP of every domain, named at once (cache, then DNS) */
static int
name_sources(struct store *s, const struct config *cfg, struct analysis *a,
    struct err *err)
{
	struct names nm;
	size_t total = 0, k = 0;
	int ret = -1;

	memset(&nm, 0, sizeof(nm));
	for (size_t d = 0; d < a->n_domains; d++)
		total += a->domains[d].n_sources;
	nm.ips = xcalloc(total + 1, sizeof(*nm.ips));
	for (size_t d = 0; d < a->n_domains; d++)
		for (size_t i = 0; i < a->domains[d].n_sources; i++)
			if (*a->domains[d].sources[i].st.ip != '\0')
				nm.ips[k++] = a->domains[d].sources[i].st.ip;
	qsort(nm.ips, k, sizeof(*nm.ips), cmp_str);
	for (size_t i = 0; i < k; i++)
		if (nm.n == 0 || strcmp(nm.ips[nm.n - 1], nm.ips[i]) != 0)
			nm.ips[nm.n++] = nm.ips[i];
	nm.name = xcalloc(nm.n + 1, sizeof(*nm.name));
	nm.is_known = xcalloc(nm.n + 1, sizeof(*nm.is_known));
	if (store_rdns_cached(s, nm.ips, nm.n, cached_row, &nm, err) == -1)
		goto out;
	if (resolve_missing(s, cfg, &nm, err) == -1)
		goto out;
	for (size_t d = 0; d < a->n_domains; d++)
		for (size_t i = 0; i < a->domains[d].n_sources; i++) {
			struct source_stats *st = &a->domains[d].sources[i].st;
			size_t at = name_index(&nm, st->ip);
			char base[256];

			if (at == nm.n || nm.name[at] == NULL)
				continue;
			st->name = xstrdup(nm.name[at]);
			if (operator_base(st->name, base, sizeof(base)) != NULL)
				st->base = xstrdup(base);
		}
	ret = 0;
out:
	names_release(&nm);
	return ret;
}

static int
cmp_source(const void *pa, const void *pb)
{
	const struct analysis_source *a = pa, *b = pb;

	if (a->st.messages != b->st.messages)
		return a->st.messages > b->st.messages ? -1 : 1;
	return strcmp(a->st.ip, b->st.ip);
}

/* --- From subdomains that do not exist --- */

/* the busiest subdomains asked about: a spoofer's random names are many */
enum { SUBDOMAINS_MAX = 256 };

/*
 * The From subdomains of a window and whether each exists, kept in
 * rdns_cache beside the reverse names (a domain name never equals an
 * address): name set for one that exists, NULL for NXDOMAIN; a lookup
 * that failed counts as existing, and is asked again after TTL_FAIL.
 */
struct subdomains {
	char **names;		/* owned; sorted, unique once loaded */
	size_t n, cap;
	signed char *state;	/* 1 exists, -1 does not, 0 not known */
	struct store_rdns *save;	/* the resolver's answers */
	size_t n_save;
	size_t n_answered;
	char **gone;		/* borrowed from names: NXDOMAIN */
	size_t n_gone;
};

static int
subdomain_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct subdomains *sd = ctx;

	(void)ncols, (void)names, (void)err;
	sd->names = xgrow(sd->names, sd->n, &sd->cap, sizeof(*sd->names));
	sd->names[sd->n++] = xstrdup(v[1]);
	return 0;
}

static size_t
subdomain_index(const struct subdomains *sd, const char *name)
{
	return str_index(sd->names, sd->n, name);
}

static int
cached_subdomain(void *ctx, const char *name, const char *exists,
    struct err *err)
{
	struct subdomains *sd = ctx;
	size_t i = subdomain_index(sd, name);

	(void)err;
	if (i < sd->n)
		sd->state[i] = exists != NULL ? 1 : -1;
	return 0;
}

static void
existence(void *ctx, const char *name, enum rdns_status st,
    const char *ptr, unsigned ttl)
{
	struct subdomains *sd = ctx;
	size_t i = subdomain_index(sd, name);
	struct store_rdns *row = &sd->save[sd->n_save++];

	(void)ptr, (void)ttl;
	dns_run.asked++;
	if (st == RDNS_FAIL || st == RDNS_SKIPPED)
		dns_run.unanswered++;
	else
		sd->n_answered++;
	if (i < sd->n)
		sd->state[i] = st == RDNS_NONE ? -1 : 1;
	row->ip = name;
	row->name = st == RDNS_NONE ? NULL : name;
	row->status = st == RDNS_OK ? "ok" : st == RDNS_NONE ? "none" :
	    "fail";
	/* skipped: 0 until the run says whether it is kept */
	row->ttl = st == RDNS_SKIPPED ? 0 : st == RDNS_FAIL ? TTL_FAIL :
	    TTL_NONE;
}

static void
subdomains_release(struct subdomains *sd)
{
	for (size_t i = 0; i < sd->n; i++)
		free(sd->names[i]);
	free(sd->names);
	free(sd->state);
	free(sd->save);
	free(sd->gone);
	memset(sd, 0, sizeof(*sd));
}

/* ask the resolver what the cache does not know, and remember it */
static int
ask_subdomains(struct store *s, const struct config *cfg,
    struct subdomains *sd, struct err *err)
{
	const char **ask = xcalloc(sd->n + 1, sizeof(*ask));
	struct rdns *r = NULL;
	size_t n = 0;
	int ret = 0;

	for (size_t i = 0; i < sd->n; i++)
		if (sd->state[i] == 0)
			ask[n++] = sd->names[i];
	if (n > 0) {
		sd->save = xcalloc(n, sizeof(*sd->save));
		if (dns_open(cfg, &r, err) == -1 && err->code == ERR_USAGE)
			ret = -1;
		else if (r == NULL || rdns_exists(r, ask, n, existence, sd,
		    err) == -1)
			log_warn("DNS: %s; subdomains are taken to exist",
			    err->msg);
		else {
			dns_warn(cfg);
			settle_unanswered(sd->save, &sd->n_save,
			    sd->n_answered);
			ret = store_rdns_save(s, sd->save, sd->n_save, err);
		}
		rdns_free(r);
	}
	free(ask);
	return ret;
}

/*
 * Which From subdomains of the window do not exist (NXDOMAIN): from the
 * cache, else from DNS.  A resolver that cannot be reached leaves them
 * existing (sp judges them, as without DNS), with a warning.
 */
static int
find_nonexistent(struct store *s, const struct config *cfg,
    const struct store_span *span, struct subdomains *sd, struct err *err)
{
	size_t k = 0;

	if (store_subdomains(s, span, SUBDOMAINS_MAX, subdomain_row, sd,
	    err) == -1)
		return -1;
	if (sd->n == 0)
		return 0;
	qsort(sd->names, sd->n, sizeof(*sd->names), cmp_str);
	for (size_t i = 0; i < sd->n; i++)
		if (k == 0 || strcmp(sd->names[k - 1], sd->names[i]) != 0)
			sd->names[k++] = sd->names[i];
		else
			free(sd->names[i]);
	sd->n = k;
	sd->state = xcalloc(sd->n + 1, sizeof(*sd->state));
	if (store_rdns_cached(s, (const char *const *)sd->names, sd->n,
	    cached_subdomain, sd, err) == -1 ||
	    ask_subdomains(s, cfg, sd, err) == -1)
		return -1;
	sd->gone = xcalloc(sd->n + 1, sizeof(*sd->gone));
	for (size_t i = 0; i < sd->n; i++)
		if (sd->state[i] < 0)
			sd->gone[sd->n_gone++] = sd->names[i];
	return 0;
}

/* --- failure reports: evidence beside the verdicts --- */

/* the domain of the analysis a sample reported for name belongs to: name
 * itself, or the nearest domain above it */
static struct analysis_domain *
failure_domain(struct analysis *a, const char *name)
{
	struct analysis_domain *d;

	while ((d = find_domain(a, name)) == NULL) {
		const char *dot = strchr(name, '.');

		if (dot == NULL || strchr(dot + 1, '.') == NULL)
			return NULL;
		name = dot + 1;
	}
	return d;
}

static int
failure_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis *a = ctx;
	struct analysis_domain *d;
	struct analysis_failures *f;

	(void)ncols, (void)names, (void)err;
	if (v[0] == NULL || v[1] == NULL ||
	    (d = failure_domain(a, v[0])) == NULL)
		return 0;
	/* rows come by domain and address: the same address is the last
	 * one, but for a subdomain's samples, which may come later */
	f = d->n_failures > 0 ? &d->failures[d->n_failures - 1] : NULL;
	if (f == NULL || strcmp(f->ip, v[1]) != 0) {
		d->failures = xgrow(d->failures, d->n_failures,
		    &d->failures_cap, sizeof(*d->failures));
		f = &d->failures[d->n_failures++];
		memset(f, 0, sizeof(*f));
		f->ip = xstrdup(v[1]);
	}
	failure_evidence_add(&f->ev, v[2], v[3], v[4], num(v[5]));
	return 0;
}

static int
cmp_failures(const void *pa, const void *pb)
{
	return strcmp(((const struct analysis_failures *)pa)->ip,
	    ((const struct analysis_failures *)pb)->ip);
}

/* by IP, each address once */
static void
sort_failures(struct analysis_domain *d)
{
	size_t n = 0;

	if (d->n_failures == 0)
		return;
	qsort(d->failures, d->n_failures, sizeof(*d->failures),
	    cmp_failures);
	for (size_t i = 0; i < d->n_failures; i++) {
		if (n > 0 && strcmp(d->failures[n - 1].ip,
		    d->failures[i].ip) == 0) {
			failure_evidence_merge(&d->failures[n - 1].ev,
			    &d->failures[i].ev);
			free(d->failures[i].ip);
			continue;
		}
		d->failures[n++] = d->failures[i];
	}
	d->n_failures = n;
}

/* add the evidence of ip to *out */
static void
add_address(const struct analysis_domain *d, const char *ip,
    struct failure_evidence *out)
{
	struct analysis_failures key = { (char *)ip, { 0 } };
	const struct analysis_failures *f = ip == NULL || d->n_failures == 0 ?
	    NULL : bsearch(&key, d->failures, d->n_failures,
	    sizeof(*d->failures), cmp_failures);

	if (f != NULL)
		failure_evidence_merge(out, &f->ev);
}

void
analysis_address_failures(const struct analysis_domain *d, const char *ip,
    struct failure_evidence *out)
{
	memset(out, 0, sizeof(*out));
	add_address(d, ip, out);
}

void
analysis_sender_failures(const struct analysis_domain *d,
    const struct sender *snd, struct failure_evidence *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t m = 0; snd != NULL && m < snd->n_members; m++)
		add_address(d, d->stats[snd->members[m]].ip, out);
}

/* --- loading --- */

/* the senders of each population, as its gate reads them */
static void
build_gates(struct analysis_domain *dom)
{
	for (size_t i = 0; i < dom->senders.n; i++) {
		const struct sender *snd = &dom->senders.senders[i];
		struct analysis_gate *g = &dom->gates[snd->pop];

		g->stats = xreallocarray(g->stats, g->n + 1,
		    sizeof(*g->stats));
		g->classes = xreallocarray(g->classes, g->n + 1,
		    sizeof(*g->classes));
		g->senders = xreallocarray(g->senders, g->n + 1,
		    sizeof(*g->senders));
		g->stats[g->n] = snd->st;
		g->classes[g->n] = snd->class;
		g->senders[g->n] = snd;
		g->n++;
	}
}

/* group the domain's addresses into senders and judge them */
static void
judge_domain(struct analysis_domain *dom, int window_days,
    const struct config *cfg)
{
	for (size_t i = 0; i < dom->n_sources; i++)
		dom->sources[i].st.is_authorized = verdict_is_authorized(
		    &dom->sources[i].st, cfg->authorized);
	qsort(dom->sources, dom->n_sources, sizeof(*dom->sources),
	    cmp_source);
	dom->by_ip = index_of(dom->sources, dom->n_sources,
	    sizeof(*dom->sources), cmp_source_ptr);
	/* the sender model reads an array of source_stats: a view */
	dom->stats = xcalloc(dom->n_sources + 1, sizeof(*dom->stats));
	for (size_t i = 0; i < dom->n_sources; i++)
		dom->stats[i] = dom->sources[i].st;
	sender_group(dom->stats, dom->n_sources, dom->days, window_days,
	    cfg->authorized, &cfg->thresholds, &dom->senders);
	for (size_t k = 0; k < dom->senders.n; k++) {
		const struct sender *snd = &dom->senders.senders[k];

		for (size_t m = 0; m < snd->n_members; m++)
			dom->sources[snd->members[m]].class = snd->class;
	}
	build_gates(dom);
}

int
analysis_load(struct store *s, const struct config *cfg,
    const struct window *w, const struct analysis_options *opt,
    struct analysis *out, struct err *err)
{
	struct window_dates b;
	const struct store_span times = { w->since_text, w->until_text,
		opt->domain, NULL, NULL, 0 };
	struct store_span days = { b.since, b.until, opt->domain, b.recent,
		NULL, 0 };
	struct subdomains nx = { 0 };

	memset(out, 0, sizeof(*out));
	window_dates(w, cfg->thresholds.recent_days, &b);
	out->window_days = (int)((w->until - w->since + 86399) / 86400);
	if (store_analysis_session(s, err) == -1 ||
	    store_domain_days(s, &days, domain_row, out, err) == -1)
		goto fail;
	out->by_name = index_of(out->domains, out->n_domains,
	    sizeof(*out->domains), cmp_domain_ptr);
	if (store_domain_policies(s, &times, policy_row, out, err) == -1)
		goto fail;
	if (!opt->want_sources)
		return 0;
	/* which From subdomains do not exist: their mail falls under np */
	if (opt->want_dns && find_nonexistent(s, cfg, &days, &nx, err) == -1)
		goto fail;
	days.nonexistent = (const char *const *)nx.gone;
	days.n_nonexistent = nx.n_gone;
	if (store_source_days(s, &days, source_row, out, err) == -1)
		goto fail;
	/* the sender model reads organisational domains, named or not */
	if (orgdomain_init(err) == -1 ||
	    (opt->want_dns && name_sources(s, cfg, out, err) == -1))
		goto fail;
	if (store_reporters_overruled(s, &days, overruled_row, out,
	    err) == -1 ||
	    store_failure_evidence(s, &times, failure_row, out, err) == -1)
		goto fail;
	for (size_t d = 0; d < out->n_domains; d++) {
		judge_domain(&out->domains[d], out->window_days, cfg);
		sort_failures(&out->domains[d]);
	}
	subdomains_release(&nx);
	return 0;
fail:
	subdomains_release(&nx);
	analysis_release(out);
	return -1;
}

void
analysis_advise(const struct analysis_domain *d,
    const struct verdict_thresholds *th, struct verdict_advice out[POP_COUNT])
{
	struct verdict_input in[POP_COUNT];

	for (int i = 0; i < POP_COUNT; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].domain = d->domain;
		in[i].policy = d->policy;
		in[i].days = d->days;
		in[i].reporters = d->reporters;
		in[i].messages = d->messages;
		in[i].quarantine_days = d->quarantine_days;
		in[i].subdomain_messages = d->subdomain;
		in[i].subdomain_fail = d->subdomain_fail;
		in[i].sources = d->gates[i].stats;
		in[i].classes = d->gates[i].classes;
		in[i].n_sources = d->gates[i].n;
		in[i].policy.live = d->live;
	}
	in[POP_ORGANIZATIONAL].dns = d->dns_problems;
	in[POP_ORGANIZATIONAL].n_dns = d->n_dns_problems;
	verdict_advise_gates(in, th, out);
}

void
analysis_release(struct analysis *a)
{
	for (size_t d = 0; d < a->n_domains; d++) {
		struct analysis_domain *dom = &a->domains[d];

		for (size_t i = 0; i < dom->n_sources; i++) {
			struct source_stats *st = &dom->sources[i].st;

			free((char *)st->ip);
			free((char *)st->name);
			free((char *)st->base);
			free((char *)st->foreign_dkim_domain);
			free((char *)st->foreign_spf_domain);
			free((char *)st->spf_low);
			free((char *)st->dkim_low);
		}
		for (int g = 0; g < POP_COUNT; g++) {
			free(dom->gates[g].stats);
			free(dom->gates[g].classes);
			free(dom->gates[g].senders);
		}
		for (size_t i = 0; i < dom->n_reporters_overruled; i++)
			free(dom->reporters_overruled[i].org_name);
		free(dom->reporters_overruled);
		for (size_t i = 0; i < dom->n_failures; i++)
			free(dom->failures[i].ip);
		free(dom->failures);
		sender_set_free(&dom->senders);
		free(dom->sources);
		free(dom->by_ip);
		free(dom->stats);
		free(dom->domain);
		free((char *)dom->policy.p);
		free((char *)dom->policy.sp);
		free((char *)dom->policy.np);
		free((char *)dom->policy.adkim);
		free((char *)dom->policy.aspf);
		free((char *)dom->policy.t);
	}
	free(a->domains);
	free(a->by_name);
	memset(a, 0, sizeof(*a));
}

/* --- what was concluded, for dashboards and monitoring --- */

static int
save_classes(struct store *s, const struct analysis *a, struct err *err)
{
	struct store_class *rows;
	size_t n = 0;
	int ret;

	for (size_t d = 0; d < a->n_domains; d++)
		n += a->domains[d].n_sources;
	rows = xcalloc(n + 1, sizeof(*rows));
	n = 0;
	for (size_t d = 0; d < a->n_domains; d++) {
		const struct analysis_domain *dom = &a->domains[d];

		for (size_t k = 0; k < dom->senders.n; k++) {
			const struct sender *snd = &dom->senders.senders[k];

			for (size_t m = 0; m < snd->n_members; m++)
				rows[n++] = (struct store_class){ dom->domain,
					dom->stats[snd->members[m]].ip,
					verdict_class_name(snd->class),
					snd->key };
		}
	}
	ret = store_save_classes(s, rows, n, err);
	free(rows);
	return ret;
}

static int
save_verdicts(struct store *s, const struct config *cfg,
    const struct analysis *a, struct err *err)
{
	struct store_verdict *rows = xcalloc(a->n_domains + 1, sizeof(*rows));
	int ret;

	for (size_t d = 0; d < a->n_domains; d++) {
		const struct analysis_domain *dom = &a->domains[d];
		struct verdict_advice adv[POP_COUNT];

		analysis_advise(dom, &cfg->thresholds, adv);
		rows[d] = (struct store_verdict){ dom->domain,
			verdict_name(adv[POP_ORGANIZATIONAL].verdict),
			dom->policy.p,
			xstrdup(adv[POP_ORGANIZATIONAL].next_record),
			adv[POP_ORGANIZATIONAL].evidence.legitimate_pass_rate };
		for (int g = 0; g < POP_COUNT; g++)
			verdict_advice_free(&adv[g]);
	}
	ret = store_save_verdicts(s, rows, a->n_domains, err);
	for (size_t d = 0; d < a->n_domains; d++)
		free((char *)rows[d].next_record);
	free(rows);
	return ret;
}

void
analysis_save(struct store *s, const struct config *cfg,
    const struct analysis *a, bool has_verdicts)
{
	struct err err;

	if (save_classes(s, a, &err) == -1 ||
	    (has_verdicts && save_verdicts(s, cfg, a, &err) == -1))
		/* a read-only user still gets its answer */
		log_warn("cannot keep the verdicts for dashboards: %s",
		    err.msg);
}
