#include "cli/analysis_tls.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/count.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "store/store.h"

static int64_t
num(const char *v)
{
	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/*
 * Domains are found by binary search over an index sorted with strcmp:
 * a reporter controls how many there are.
 */
static int
cmp_tls_ptr(const void *a, const void *b)
{
	return strcmp((*(struct analysis_tls_domain *const *)a)->domain,
	    (*(struct analysis_tls_domain *const *)b)->domain);
}

const struct analysis_tls_domain *
analysis_tls_find(const struct analysis_tls *a, const char *domain)
{
	size_t lo = 0, hi = a->n_domains;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(a->by_name[mid]->domain, domain);

		if (c == 0)
			return a->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct analysis_tls_domain **
index_by_name(struct analysis_tls_domain *d, size_t n)
{
	struct analysis_tls_domain **ix = xcalloc(n + 1, sizeof(*ix));

	for (size_t i = 0; i < n; i++)
		ix[i] = &d[i];
	qsort(ix, n, sizeof(*ix), cmp_tls_ptr);
	return ix;
}

static struct analysis_tls_domain *
find_tls(struct analysis_tls *a, const char *name)
{
	return (struct analysis_tls_domain *)analysis_tls_find(a, name);
}

static int
tls_domain_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis_tls *a = ctx;
	/* the rows come grouped by domain: a new one, or the last */
	struct analysis_tls_domain *d = a->n_domains > 0 &&
	    strcmp(a->domains[a->n_domains - 1].domain, v[0]) == 0 ?
	    &a->domains[a->n_domains - 1] : NULL;

	(void)ncols, (void)names, (void)err;
	if (d == NULL) {
		a->domains = xgrow(a->domains, a->n_domains, &a->cap,
		    sizeof(*a->domains));
		d = &a->domains[a->n_domains++];
		memset(d, 0, sizeof(*d));
		d->domain = xstrdup(v[0]);
		d->days = (int)num(v[4]);
		d->reporters = (int)num(v[5]);
	}
	d->types = xgrow(d->types, d->n_types, &d->types_cap,
	    sizeof(*d->types));
	d->types[d->n_types].policy_type = xstrdup(v[1]);
	d->types[d->n_types].sessions = num(v[2]);
	d->types[d->n_types].failures = num(v[3]);
	d->n_types++;
	d->sessions = count_add(d->sessions, num(v[2]));
	d->failures = count_add(d->failures, num(v[3]));
	return 0;
}

/* "mode: testing" of the policy text, lines of "key: value" */
static char *
sts_mode(const char *policy)
{
	const char *p = policy;

	while (p != NULL && *p != '\0') {
		const char *line = p, *end = p + strcspn(p, "\r\n");

		p = end + strspn(end, "\r\n");
		if (strncasecmp(line, "mode", 4) != 0)
			continue;
		line += 4;
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (line == end || *line != ':')
			continue;
		line++;
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		{
			size_t n = (size_t)(end - line);
			char *m = xmalloc(n + 1);

			memcpy(m, line, n);
			m[n] = '\0';
			while (n > 0 && isspace((unsigned char)m[n - 1]))
				m[--n] = '\0';
			for (char *c = m; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			return m;
		}
	}
	return NULL;
}

static int
tls_mode_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis_tls_domain *d = find_tls(ctx, v[0]);

	(void)ncols, (void)names, (void)err;
	if (d != NULL && d->mode == NULL)
		d->mode = sts_mode(v[1]);
	return 0;
}

static char *
dup_day(const char *v)
{
	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

static int
tls_result_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct analysis_tls_domain *d = find_tls(ctx, v[0]);
	struct tls_result_stats *r;

	(void)ncols, (void)names, (void)err;
	if (d == NULL)
		return 0;
	d->results = xgrow(d->results, d->n_results, &d->results_cap,
	    sizeof(*d->results));
	r = &d->results[d->n_results++];
	r->policy_type = v[1] != NULL ? xstrdup(v[1]) : NULL;
	r->mx = v[2] != NULL && *v[2] != '\0' ? xstrdup(v[2]) : NULL;
	r->result_type = xstrdup(v[3]);
	r->sessions = num(v[4]);
	r->recent_sessions = num(v[5]);
	r->reporters = (int)num(v[6]);
	r->days = (int)num(v[7]);
	r->last_seen = dup_day(v[8]);
	r->repaired_on = dup_day(v[9]);
	r->retired_on = dup_day(v[10]);
	return 0;
}

int
analysis_tls_load(struct store *s, const struct config *cfg,
    const struct window *w, const char *domain, struct analysis_tls *out,
    struct err *err)
{
	struct window_dates b;
	const struct store_span times = { w->since_text, w->until_text, domain,
		NULL, NULL, 0 };
	const struct store_span days = { b.since, b.until, domain, b.recent,
		NULL, 0 };

	memset(out, 0, sizeof(*out));
	window_dates(w, cfg->thresholds.tls_recent_days, &b);
	/* per domain and policy type, with the days and reporters of the
	 * domain */
	if (store_tls_days(s, &days, tls_domain_row, out, err) == -1)
		goto fail;
	out->by_name = index_by_name(out->domains, out->n_domains);
	if (store_tls_modes(s, &times, tls_mode_row, out, err) == -1 ||
	    store_tls_failures(s, &days, tls_result_row, out, err) == -1)
		goto fail;
	return 0;
fail:
	analysis_tls_release(out);
	return -1;
}

void
analysis_tls_input(const struct analysis_tls_domain *d,
    struct verdict_tls_input *in)
{
	memset(in, 0, sizeof(*in));
	in->domain = d->domain;
	in->mode = d->mode;
	in->days = d->days;
	in->reporters = d->reporters;
	in->sessions = d->sessions;
	in->failures = d->failures;
	in->types = d->types;
	in->n_types = d->n_types;
	in->results = d->results;
	in->n_results = d->n_results;
}

void
analysis_tls_release(struct analysis_tls *a)
{
	for (size_t i = 0; i < a->n_domains; i++) {
		struct analysis_tls_domain *d = &a->domains[i];

		for (size_t k = 0; k < d->n_results; k++) {
			free((char *)d->results[k].policy_type);
			free((char *)d->results[k].mx);
			free((char *)d->results[k].result_type);
			free((char *)d->results[k].last_seen);
			free((char *)d->results[k].repaired_on);
			free((char *)d->results[k].retired_on);
		}
		for (size_t k = 0; k < d->n_types; k++)
			free((char *)d->types[k].policy_type);
		free(d->results);
		free(d->types);
		free(d->mode);
		free(d->domain);
	}
	free(a->domains);
	free(a->by_name);
	memset(a, 0, sizeof(*a));
}
