#include "cli/live.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "model/orgdomain.h"
#include "store/store.h"

enum {
	LIVE_TIMEOUT_MS = 2000,		/* one DNS try */
	LIVE_BUDGET_S = 60,		/* all of a domain's checks */
	LIVE_SENDERS_MAX = 32,		/* failing addresses checked */
	LIVE_SENDER_ADDRESSES = 4,	/* of one sender */
	LIVE_SELECTORS_MAX = 80,
};

/* the selector every Mailcow signs with unless told otherwise */
static const char *const usual_selectors[] = { "mailcow" };

struct selectors {
	struct dns_selector v[LIVE_SELECTORS_MAX];
	char text[LIVE_SELECTORS_MAX][2][256];
	size_t n;
};

static void
selector_add(struct selectors *s, const char *selector, const char *domain,
    enum selector_weight weight)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i].selector, selector) == 0 &&
		    strcasecmp(s->v[i].domain, domain) == 0) {
			if (weight > s->v[i].weight)
				s->v[i].weight = weight;
			return;
		}
	if (s->n == LIVE_SELECTORS_MAX)
		return;
	snprintf(s->text[s->n][0], sizeof(s->text[0][0]), "%s", selector);
	snprintf(s->text[s->n][1], sizeof(s->text[0][1]), "%s", domain);
	str_lower(s->text[s->n][0]);
	s->v[s->n] = (struct dns_selector){ s->text[s->n][0],
		s->text[s->n][1], weight };
	s->n++;
}

struct selector_ctx {
	struct selectors *s;
};

static int
selector_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *v, struct err *err)
{
	struct selector_ctx *c = ctx;

	(void)names;
	(void)err;
	if (ncols < 4 || v[1] == NULL || v[2] == NULL)
		return 0;
	selector_add(c->s, v[2], v[1], v[3] != NULL && v[3][0] == 't' ?
	    SELECTOR_USED : SELECTOR_SEEN);
	return 0;
}

static int
load_selectors(const struct config *cfg, struct store *s,
    const struct window *w, const char *domain, struct selectors *out,
    struct err *err)
{
	struct selector_ctx c = { out };

	for (size_t i = 0; i < sizeof(usual_selectors) /
	    sizeof(usual_selectors[0]); i++)
		selector_add(out, usual_selectors[i], domain, SELECTOR_GUESS);
	if (cfg->dkim_selectors != NULL) {
		char *list = xstrdup(cfg->dkim_selectors), *save = NULL;

		for (char *t = strtok_r(list, ", \t", &save); t != NULL;
		    t = strtok_r(NULL, ", \t", &save))
			selector_add(out, t, domain, SELECTOR_USED);
		free(list);
	}
	if (s != NULL && w != NULL) {
		struct store_span span = { .since = w->since_text,
			.until = w->until_text, .domain = domain };

		if (store_dkim_selectors(s, &span, selector_row, &c,
		    err) == -1)
			return -1;
	}
	return 0;
}

struct senders {
	struct dns_sender v[LIVE_SENDERS_MAX];
	size_t n;
};

/* the addresses of the legitimate senders that fail, most messages
 * first as advise names them, a few of each */
static void
load_senders(const struct config *cfg, const struct analysis_domain *d,
    struct verdict_advice adv[POP_COUNT], struct senders *out)
{
	analysis_advise(d, &cfg->thresholds, adv);
	for (int g = 0; g < POP_COUNT; g++)
		for (size_t i = 0; i < adv[g].n_blockers; i++) {
			const struct verdict_blocker *bl = &adv[g].blockers[i];
			const struct sender *snd = bl->index < d->gates[g].n ?
			    d->gates[g].senders[bl->index] : NULL;
			size_t n = snd != NULL ? snd->n_members : 0, taken = 0;
			bool is_seen = false;

			for (size_t k = 0; k < out->n; k++)
				is_seen |= snd != NULL &&
				    strcmp(out->v[k].name, snd->name) == 0;
			for (size_t m = 0; !is_seen && m < n &&
			    taken < LIVE_SENDER_ADDRESSES &&
			    out->n < LIVE_SENDERS_MAX; m++) {
				const struct source_stats *st =
				    &d->stats[snd->members[m]];

				out->v[out->n++] = (struct dns_sender){ st->ip,
					snd->name, (long long)st->messages,
					st->spf_foreign > 0 ?
					st->foreign_spf_domain : NULL };
				taken++;
			}
		}
}

static int
setting(const char *text, long min, long max, long def, const char *name,
    long *out, struct err *err)
{
	*out = def;
	if (text == NULL)
		return 0;
	return str_to_long(text, min, max, out, name, err);
}

int
live_check(const struct config *cfg, struct store *s, const struct window *w,
    const struct analysis_domain *d, const char *domain,
    const struct live_opts *o, struct dns_posture *out, struct err *err)
{
	struct verdict_advice adv[POP_COUNT];
	struct selectors sel = { 0 };
	struct senders snd = { 0 };
	struct resolver *r = NULL;
	long timeout, budget, https_port, smtp_port;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(adv, 0, sizeof(adv));
	/* report addresses are judged by organisational domain */
	if (orgdomain_init(err) == -1)
		return -1;
	if (setting(cfg->dns_timeout, 1, 60000, LIVE_TIMEOUT_MS,
	    "[analysis] dns_timeout", &timeout, err) == -1 ||
	    setting(cfg->dns_budget, 1, 3600, LIVE_BUDGET_S,
	    "[analysis] dns_budget", &budget, err) == -1 ||
	    setting(cfg->mta_sts_port, 1, 65535, 443,
	    "[analysis] mta_sts_port", &https_port, err) == -1 ||
	    setting(cfg->smtp_port, 1, 65535, 25, "[analysis] smtp_port",
	    &smtp_port, err) == -1)
		return -1;
	if (load_selectors(cfg, s, w, domain, &sel, err) == -1)
		return -1;
	if (d != NULL)
		load_senders(cfg, d, adv, &snd);
	if (resolver_new(&r, cfg->dns_server, (unsigned)timeout,
	    (unsigned)budget * 1000, err) == 0) {
		struct dns_check_opts co = {
			.parts = o->parts, .selectors = sel.v,
			.n_selectors = sel.n, .senders = snd.v,
			.n_senders = snd.n, .want_probe = o->want_probe,
			.ca_file = cfg->tls_ca_file,
			.https_port = (unsigned)https_port,
			.smtp_port = (unsigned)smtp_port,
			.timeout_ms = (unsigned)timeout * 5,
		};

		ret = dns_check(r, domain, &co, out, err);
	}
	resolver_free(r);
	for (int g = 0; g < POP_COUNT; g++)
		verdict_advice_free(&adv[g]);
	return ret;
}

/* the findings that hold a step back */
static const struct {
	const char *code;
	enum severity sev;	/* at least */
} holds[] = {
	{ "dkim-missing", SEV_ERROR },		/* signed mail would fail */
	{ "dkim-key-weak", SEV_ERROR },		/* verifiers refuse it */
	{ "dkim-key-unreadable", SEV_ERROR },
	{ "dmarc-multiple", SEV_ERROR },	/* no record at all */
};

static bool
is_hold(const struct finding *f)
{
	for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++)
		if (strcmp(f->code, holds[i].code) == 0 && f->sev >= holds[i].sev)
			return true;
	return false;
}

void
live_problems_of(const struct dns_posture *p, struct live_problems *out)
{
	out->n = 0;
	for (size_t i = 0; i < p->findings.n && out->n < LIVE_PROBLEMS_MAX;
	    i++) {
		const struct finding *f = &p->findings.v[i];

		if (!is_hold(f))
			continue;
		out->v[out->n++] = (struct verdict_dns_problem){ p->domain,
			f->code, f->message, f->fix };
	}
}

bool
live_is_warning(const struct finding *f)
{
	return f->sev >= SEV_WARNING && !is_hold(f);
}

const char *
live_sts_mode(const struct dns_posture *p)
{
	/* no record at all: a resolver that does not see the domain's
	 * zone as the world does (split horizon) as much as a withdrawn
	 * policy; the reports' mode holds, and dmarcctl dns tells */
	if (p->sts_text == NULL || !p->has_policy)
		return NULL;
	return sts_mode_name(p->policy.mode);
}

size_t
live_tls_mx(const struct dns_posture *p, struct tls_live_mx *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_mx && n < max; i++) {
		const struct dns_mx *m = &p->mx[i];
		const struct probe_result *r = &m->probe;

		out[n++] = (struct tls_live_mx){
			.host = m->host,
			.is_covered = !p->has_policy || m->is_covered,
			.has_probe = m->has_probe,
			.is_starttls = m->has_probe && r->st == PROBE_OK,
			.is_trusted = r->is_trusted,
			.is_name_ok = r->is_name_ok,
			.is_expired = r->is_expired,
			.days_left = r->days_left,
		};
	}
	return n;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
live_quota_init(struct live_quota *q, const struct config *cfg)
{
	long budget = LIVE_BUDGET_S;
	struct err err;

	/* a bad value is said by live_check, which refuses it */
	if (cfg->dns_budget != NULL && str_to_long(cfg->dns_budget, 1, 3600,
	    &budget, "[analysis] dns_budget", &err) == -1)
		budget = LIVE_BUDGET_S;
	q->left = LIVE_DOMAINS_MAX;
	q->deadline_ms = now_ms() + (long long)budget * 1000;
	q->is_over = false;
}

bool
live_quota_take(struct live_quota *q)
{
	if (q->is_over)
		return false;
	if (q->left == 0 || now_ms() >= q->deadline_ms) {
		log_warn("DNS was read for the first %d domains only (at most "
		    "%d, within dns_budget): the others are judged from the "
		    "reports alone; name one with --domain",
		    LIVE_DOMAINS_MAX - q->left, LIVE_DOMAINS_MAX);
		q->is_over = true;
		return false;
	}
	q->left--;
	return true;
}

void
live_quota_done(struct live_quota *q, const struct dns_posture *p)
{
	if (p->is_reached || q->is_over)
		return;
	log_warn("no DNS server answers: the verdicts are drawn from the "
	    "reports alone");
	q->is_over = true;
}
