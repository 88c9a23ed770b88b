/*
 * dmarcctl summary | sources | advise | tls: the answers, per policy
 * domain, read from the rollups through cli/analysis.c and decided by
 * analyze/verdict.c.  JSON keys and verdict words are those of ../CLI.md;
 * text is an aligned table a person reads at a glance; csv is for
 * spreadsheets.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/verdict.h"
#include "cli/analysis.h"
#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/buf.h"
#include "common/count.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "store/store.h"

enum { ADVISE_DAYS = 30 };

struct query {
	const char *name;
	const char *usage;
	long default_days;
	bool has_csv;
	struct window w;
	enum table_format format;
	const char *domain;
	bool want_dns;
	struct store *store;
	const struct config *cfg;
};

static int
usage(const struct query *q, FILE *f)
{
	fprintf(f, "usage: dmarcctl %s %s\n", q->name, q->usage);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* options, window, database: 0 to go on, or an exit status + 1 */
static int
start(struct query *q, int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		WINDOW_OPTIONS,
		{ "domain", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-dns", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err;
	int ch;

	q->cfg = cfg;
	q->want_dns = true;
	window_init(&q->w);
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': case 'S': case 'U':
			if (window_option(&q->w, ch, optarg, &err) == -1)
				goto bad;
			break;
		case 'd':
			if (opt_domain("--domain", optarg, &err) == -1)
				goto bad;
			q->domain = optarg;
			break;
		case 'n': q->want_dns = false; break;
		case 'f':
			if (table_parse_format(optarg, &q->format, &err) == -1)
				goto bad;
			if (q->format == TABLE_CSV && !q->has_csv) {
				err_set(&err, ERR_USAGE, "%s: no csv format",
				    q->name);
				goto bad;
			}
			break;
		case 'h': return usage(q, stdout) + 1;
		default: return usage(q, stderr) + 1;
		}
	}
	if (optind < argc) {
		log_error("%s: unexpected argument '%s'", q->name, argv[optind]);
		return usage(q, stderr) + 1;
	}
	if (window_finish(&q->w, q->default_days, &err) == -1)
		goto bad;
	if (store_open(&q->store, cfg->database, &err) == -1 ||
	    store_check_schema(q->store, &err) == -1) {
		log_error("%s", err.msg);
		store_free(q->store);
		return EXIT_UNAVAILABLE + 1;
	}
	return 0;
bad:
	log_error("%s", err.msg);
	return usage(q, stderr) + 1;
}

static int
finish(struct query *q, int status)
{
	store_free(q->store);
	return status;
}

static int
db_failed(struct query *q, const struct err *err)
{
	log_error("%s", err->msg);
	return finish(q, cmd_exit_status(err->code));
}

/*
 * The sources of the window, named unless --no-dns, classified, and what
 * was concluded kept for dashboards (the verdicts too when the window is
 * advise's).
 */
static int
load_judged(struct query *q, const struct window *w, bool has_verdicts,
    struct analysis *a, struct err *err)
{
	struct analysis_options opt = { q->domain, true, q->want_dns };

	if (analysis_load(q->store, q->cfg, w, &opt, a, err) == -1)
		return -1;
	analysis_save(q->store, q->cfg, a, has_verdicts);
	return 0;
}

/* --- shared pieces of output --- */

static double
rate(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0;
}

static const char *
pct_text(int64_t part, int64_t whole, char *out, size_t size)
{
	if (whole <= 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.1f%%", 100.0 * rate(part, whole));
	return out;
}

static void
policy_json(struct buf *b, const struct dmarc_policy *p)
{
	buf_adds(b, "{", NULL);
	jsonw_kv_str(b, "p", p->p, true, NULL);
	jsonw_kv_str(b, "sp", p->sp, false, NULL);
	jsonw_kv_str(b, "np", p->np, false, NULL);
	jsonw_kv_int(b, "pct", p->pct, true, false, NULL);
	jsonw_kv_str(b, "t", p->t, false, NULL);
	jsonw_kv_str(b, "adkim", p->adkim, false, NULL);
	jsonw_kv_str(b, "aspf", p->aspf, false, NULL);
	buf_adds(b, "}", NULL);
}

static void
kv_rate(struct buf *b, const char *key, double v)
{
	jsonw_key(b, key, false, NULL);
	buf_addf(b, NULL, "%.4f", v);
}

/* "p=none" / "p=quarantine pct=50" */
static const char *
policy_text(const struct dmarc_policy *p, char *out, size_t size)
{
	int n = snprintf(out, size, "p=%s", p->p != NULL ? p->p : "?");

	if (p->pct >= 0 && p->pct < 100 && n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n, " pct=%d", p->pct);
	if (p->t != NULL && strcmp(p->t, "y") == 0 && n > 0 &&
	    (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " t=y");
	return out;
}

/* print a JSON document built in b, and release b */
static void
print_buf(struct buf *b)
{
	fputs(buf_str(b), stdout);
	buf_release(b);
}

/* the advise verdict of a domain, over advise's own default window
 * ending where w ends (what `advise` would say) */
struct verdicts {
	struct analysis a;
	bool is_loaded;
};

static int
load_verdicts(struct query *q, struct verdicts *v, struct err *err)
{
	struct window w = q->w;

	w.days = 0;
	w.since = w.until - (int64_t)ADVISE_DAYS * 86400;
	if (window_finish(&w, ADVISE_DAYS, err) == -1 ||
	    load_judged(q, &w, true, &v->a, err) == -1)
		return -1;
	v->is_loaded = true;
	return 0;
}

static enum verdict_word
verdict_of(const struct query *q, const struct verdicts *v,
    const char *domain)
{
	const struct analysis_domain *d = analysis_find(&v->a, domain);
	struct verdict_advice adv;
	struct verdict_input in;
	enum verdict_word word;

	if (d == NULL)
		return VERDICT_INSUFFICIENT_DATA;
	analysis_input(d, &in);
	verdict_advise(&in, &q->cfg->thresholds, &adv);
	word = adv.verdict;
	verdict_advice_free(&adv);
	return word;
}

/* --- summary --- */

static const char *const summary_numbers[] = { "reports", "reporters",
	"messages", "dmarc_pass", "spf_aligned", "dkim_aligned", "quarantined",
	"rejected", "disagree", NULL };

static int
summary_table(struct query *q, const struct analysis *a,
    const struct verdicts *v, struct err *err)
{
	static const char *const names[] = { "domain", "policy", "reports",
		"reporters", "messages", "dmarc_pass", "spf_aligned",
		"dkim_aligned", "quarantined", "rejected", "disagree",
		"verdict" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct table *t;
	int ret;

	table_new(&t, summary_numbers);
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct analysis_domain *d = &a->domains[i];
		char cell[N][64];
		const char *row[N];
		bool is_text = q->format == TABLE_TEXT;

		snprintf(cell[0], 64, "%s", d->domain);
		policy_text(&d->policy, cell[1], 64);
		snprintf(cell[2], 64, "%lld", (long long)d->reports);
		snprintf(cell[3], 64, "%d", d->reporters);
		snprintf(cell[4], 64, "%lld", (long long)d->messages);
		/* text shows shares; csv the counts */
		if (is_text) {
			pct_text(d->dmarc_pass, d->messages, cell[5], 64);
			pct_text(d->spf_aligned, d->messages, cell[6], 64);
			pct_text(d->dkim_aligned, d->messages, cell[7], 64);
		} else {
			snprintf(cell[5], 64, "%lld", (long long)d->dmarc_pass);
			snprintf(cell[6], 64, "%lld", (long long)d->spf_aligned);
			snprintf(cell[7], 64, "%lld",
			    (long long)d->dkim_aligned);
		}
		snprintf(cell[8], 64, "%lld", (long long)d->quarantined);
		snprintf(cell[9], 64, "%lld", (long long)d->rejected);
		snprintf(cell[10], 64, "%lld", (long long)d->disagree);
		snprintf(cell[11], 64, "%s", verdict_name(verdict_of(q, v,
		    d->domain)));
		for (int c = 0; c < N; c++)
			row[c] = cell[c];
		table_add_row(t, N, names, row, err);
	}
	ret = t != NULL && a->n_domains > 0 ? table_print(t, q->format,
	    "domains", stdout, err) : 0;
	if (a->n_domains == 0 && q->format == TABLE_TEXT)
		printf("no DMARC reports between %s and %s\n", q->w.since_text,
		    q->w.until_text);
	table_free(t);
	return ret;
}

static void
summary_json(const struct query *q, const struct analysis *a,
    const struct verdicts *v)
{
	struct buf b;

	buf_init(&b, 256u << 20);
	buf_adds(&b, "{", NULL);
	jsonw_kv_str(&b, "since", q->w.since_text, true, NULL);
	jsonw_kv_str(&b, "until", q->w.until_text, false, NULL);
	jsonw_key(&b, "domains", false, NULL);
	buf_adds(&b, "[", NULL);
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct analysis_domain *d = &a->domains[i];

		buf_adds(&b, i > 0 ? ",{" : "{", NULL);
		jsonw_kv_str(&b, "domain", d->domain, true, NULL);
		jsonw_kv_int(&b, "reports", d->reports, false, false, NULL);
		jsonw_kv_int(&b, "reporters", d->reporters, false, false, NULL);
		jsonw_kv_int(&b, "messages", d->messages, false, false, NULL);
		jsonw_kv_int(&b, "dmarc_pass", d->dmarc_pass, false, false,
		    NULL);
		jsonw_kv_int(&b, "spf_aligned", d->spf_aligned, false, false,
		    NULL);
		jsonw_kv_int(&b, "dkim_aligned", d->dkim_aligned, false, false,
		    NULL);
		jsonw_kv_int(&b, "quarantined", d->quarantined, false, false,
		    NULL);
		jsonw_kv_int(&b, "rejected", d->rejected, false, false, NULL);
		jsonw_kv_int(&b, "disagree", d->disagree, false, false, NULL);
		jsonw_key(&b, "policy", false, NULL);
		policy_json(&b, &d->policy);
		jsonw_kv_str(&b, "verdict", verdict_name(verdict_of(q, v,
		    d->domain)), false, NULL);
		buf_adds(&b, "}", NULL);
	}
	buf_adds(&b, "]}\n", NULL);
	print_buf(&b);
}

int
cmd_summary(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "summary", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json|csv]", .default_days = 14, .has_csv = true };
	struct analysis_options opt = { NULL, false, false };
	struct analysis a;
	struct verdicts v;
	struct err err;
	int r = start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	memset(&v, 0, sizeof(v));
	opt.domain = q.domain;
	if (analysis_load(q.store, cfg, &q.w, &opt, &a, &err) == -1)
		return db_failed(&q, &err);
	if (load_verdicts(&q, &v, &err) == -1) {
		analysis_release(&a);
		return db_failed(&q, &err);
	}
	if (q.format == TABLE_JSON)
		summary_json(&q, &a, &v);
	else if (summary_table(&q, &a, &v, &err) == -1)
		r = cmd_exit_status(err.code);
	if (q.format == TABLE_TEXT && a.n_domains > 0)
		printf("\npass: DMARC pass (policy_evaluated dkim or spf); "
		    "disagree: messages whose reporter's verdict differs from "
		    "the alignment recomputed from auth_results; verdict: "
		    "dmarcctl advise (last %d days)\n", ADVISE_DAYS);
	analysis_release(&a);
	analysis_release(&v.a);
	return finish(&q, r);
}

/* --- sources --- */

static const char *const source_numbers[] = { "messages", "dmarc_pass",
	"dkim_aligned", "spf_aligned", "days", "disagree", NULL };

int
cmd_sources(int argc, char **argv, const struct config *cfg)
{
	static const char *const names[] = { "domain", "source", "name",
		"base", "class", "messages", "dmarc_pass", "dkim_aligned",
		"spf_aligned", "dkim_domain", "spf_domain", "days",
		"disagree" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct query q = { .name = "sources", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json|csv]", .default_days = 14, .has_csv = true };
	struct analysis a;
	struct table *t;
	struct err err;
	int r = start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (load_judged(&q, &q.w, false, &a, &err) == -1)
		return db_failed(&q, &err);
	table_new(&t, source_numbers);
	for (size_t i = 0; i < a.n_domains; i++) {
		const struct analysis_domain *d = &a.domains[i];

		for (size_t k = 0; k < d->n_sources; k++) {
			const struct analysis_source *src = &d->sources[k];
			const struct source_stats *st = &src->st;
			char cell[N][64];
			const char *row[N];

			row[0] = d->domain;
			row[1] = *st->ip != '\0' ? st->ip : "(invalid)";
			row[2] = st->name;
			row[3] = st->base;
			row[4] = verdict_class_name(src->class);
			snprintf(cell[5], 64, "%lld", (long long)st->messages);
			if (q.format == TABLE_TEXT) {
				pct_text(st->dmarc_pass, st->messages, cell[6],
				    64);
				pct_text(st->dkim_aligned, st->messages,
				    cell[7], 64);
				pct_text(st->spf_aligned, st->messages,
				    cell[8], 64);
			} else {
				snprintf(cell[6], 64, "%lld",
				    (long long)st->dmarc_pass);
				snprintf(cell[7], 64, "%lld",
				    (long long)st->dkim_aligned);
				snprintf(cell[8], 64, "%lld",
				    (long long)st->spf_aligned);
			}
			/* the domains seen: a foreign one, or ours when it
			 * passed aligned */
			row[9] = st->foreign_dkim_domain != NULL ?
			    st->foreign_dkim_domain : st->dkim_aligned > 0 ?
			    d->domain : NULL;
			row[10] = st->foreign_spf_domain != NULL ?
			    st->foreign_spf_domain : st->spf_aligned > 0 ?
			    d->domain : NULL;
			snprintf(cell[11], 64, "%d", st->days);
			snprintf(cell[12], 64, "%lld", (long long)src->disagree);
			for (int c = 5; c < N; c++)
				if (c != 9 && c != 10)
					row[c] = cell[c];
			table_add_row(t, N, names, row, &err);
		}
	}
	if (table_print(t, q.format, "sources", stdout, &err) == -1)
		r = cmd_exit_status(err.code);
	if (q.format == TABLE_TEXT)
		printf("\nclass: aligned (passes), partial (some mail fails), "
		    "third-party (a service sending with its own domain), "
		    "indirect (forwarders, lists), unauthenticated (spoofing "
		    "or unknown)\n");
	table_free(t);
	analysis_release(&a);
	return finish(&q, r);
}

/* --- advise --- */

static void
advise_json(const struct analysis_domain *d, const struct verdict_advice *adv)
{
	const struct verdict_evidence *e = &adv->evidence;
	struct buf b;

	buf_init(&b, 64u << 20);
	buf_adds(&b, "{", NULL);
	jsonw_kv_str(&b, "domain", d->domain, true, NULL);
	jsonw_key(&b, "policy", false, NULL);
	policy_json(&b, &d->policy);
	jsonw_kv_str(&b, "verdict", verdict_name(adv->verdict), false, NULL);
	jsonw_kv_str(&b, "next_record", adv->next_record, false, NULL);
	jsonw_key(&b, "evidence", false, NULL);
	buf_adds(&b, "{", NULL);
	jsonw_kv_int(&b, "days", e->days, false, true, NULL);
	jsonw_kv_int(&b, "reporters", e->reporters, false, false, NULL);
	jsonw_kv_int(&b, "messages", e->messages, false, false, NULL);
	jsonw_kv_int(&b, "legitimate_messages", e->legitimate_messages, false,
	    false, NULL);
	kv_rate(&b, "legitimate_pass_rate", e->legitimate_pass_rate);
	kv_rate(&b, "dkim_aligned_rate", e->dkim_aligned_rate);
	jsonw_kv_int(&b, "disagree", d->disagree, false, false, NULL);
	buf_adds(&b, "}", NULL);
	jsonw_key(&b, "blockers", false, NULL);
	buf_adds(&b, "[", NULL);
	for (size_t i = 0; i < adv->n_blockers; i++) {
		const struct verdict_blocker *bl = &adv->blockers[i];

		buf_adds(&b, i > 0 ? ",{" : "{", NULL);
		jsonw_kv_str(&b, "source", bl->source, true, NULL);
		jsonw_kv_str(&b, "name", *bl->name ? bl->name : NULL, false,
		    NULL);
		jsonw_kv_int(&b, "messages", bl->messages, false, false, NULL);
		jsonw_kv_str(&b, "problem", bl->problem, false, NULL);
		jsonw_kv_str(&b, "fix", bl->fix, false, NULL);
		buf_adds(&b, "}", NULL);
	}
	buf_adds(&b, "]}\n", NULL);
	print_buf(&b);
}

static void
advise_text(const struct analysis_domain *d, const struct verdict_advice *adv)
{
	const struct verdict_evidence *e = &adv->evidence;
	char pol[64], p1[16], p2[16];
	struct table *t;
	struct err err;

	esc_linef(stdout, "%s: %s (now %s)", d->domain,
	    verdict_name(adv->verdict), policy_text(&d->policy, pol,
	    sizeof(pol)));
	esc_linef(stdout, "  evidence:    %d days, %d reporters, %lld "
	    "messages; legitimate %lld: %s pass, %s with aligned DKIM", e->days,
	    e->reporters, (long long)e->messages,
	    (long long)e->legitimate_messages,
	    pct_text((int64_t)(e->legitimate_pass_rate * 1e6), 1000000, p1,
	    sizeof(p1)), pct_text((int64_t)(e->dkim_aligned_rate * 1e6),
	    1000000, p2, sizeof(p2)));
	esc_linef(stdout, "  next record: %s", adv->next_record);
	if (adv->n_blockers > 0) {
		static const char *const names[] = { "source", "name",
			"messages", "problem", "fix" };
		static const char *const numbers[] = { "messages", NULL };

		printf("  blockers:\n");
		table_new(&t, numbers);
		for (size_t i = 0; i < adv->n_blockers; i++) {
			const struct verdict_blocker *bl = &adv->blockers[i];
			char n[32];
			const char *row[5] = { bl->source, bl->name, n,
				bl->problem, bl->fix };

			snprintf(n, sizeof(n), "%lld", (long long)bl->messages);
			table_add_row(t, 5, names, row, &err);
		}
		table_print(t, TABLE_TEXT, "blockers", stdout, &err);
		table_free(t);
	}
	if (d->disagree > 0)
		printf("  - %lld messages were judged by their reporter "
		    "differently from the alignment recomputed from their "
		    "DKIM and SPF results (see dmarcctl sources)\n",
		    (long long)d->disagree);
	for (size_t i = 0; i < adv->n_lines; i++)
		esc_linef(stdout, "  - %s", adv->lines[i]);
	fputc('\n', stdout);
}

int
cmd_advise(int argc, char **argv, const struct config *cfg)
{
	struct query q = { .name = "advise", .usage = "[--days N | --since "
	    "DATE --until DATE] [--domain D] [--no-dns] [--format "
	    "text|json]", .default_days = ADVISE_DAYS, .has_csv = false };
	struct analysis a;
	struct err err;
	int r = start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	if (load_judged(&q, &q.w, true, &a, &err) == -1)
		return db_failed(&q, &err);
	if (a.n_domains == 0 && q.format == TABLE_TEXT)
		printf("no DMARC reports between %s and %s%s%s\n",
		    q.w.since_text, q.w.until_text, q.domain ? " for " : "",
		    q.domain ? q.domain : "");
	for (size_t i = 0; i < a.n_domains; i++) {
		struct verdict_input in;
		struct verdict_advice adv;

		analysis_input(&a.domains[i], &in);
		verdict_advise(&in, &cfg->thresholds, &adv);
		if (q.format == TABLE_JSON)
			advise_json(&a.domains[i], &adv);
		else
			advise_text(&a.domains[i], &adv);
		verdict_advice_free(&adv);
	}
	analysis_release(&a);
	return finish(&q, r);
}

/* --- tls --- */

/* results of one type, summed over the MX names; first: where the type
 * first appears in the results (most sessions first) */
struct result_sum {
	const char *result_type;
	size_t first;
	int64_t sessions;
};

static int
cmp_result_index(const void *pa, const void *pb)
{
	const struct result_sum *a = pa, *b = pb;
	int c = strcmp(a->result_type, b->result_type);

	if (c != 0)
		return c;
	return a->first < b->first ? -1 : a->first > b->first;
}

static int
cmp_result_first(const void *pa, const void *pb)
{
	const struct result_sum *a = pa, *b = pb;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* by result type: the rows per MX summed, in the order of first
 * appearance; sorted, not compared pairwise (a reporter may name
 * thousands of MX hosts) */
static void
by_result_json(struct buf *b, const struct analysis_tls_domain *d)
{
	struct result_sum *r = xcalloc(d->n_results + 1, sizeof(*r));
	size_t n = 0;

	for (size_t i = 0; i < d->n_results; i++)
		r[i] = (struct result_sum){ d->results[i].result_type, i,
			d->results[i].sessions };
	qsort(r, d->n_results, sizeof(*r), cmp_result_index);
	for (size_t i = 0; i < d->n_results; i++) {
		if (n > 0 && strcmp(r[n - 1].result_type,
		    r[i].result_type) == 0) {
			r[n - 1].sessions = count_add(r[n - 1].sessions,
			    r[i].sessions);
			continue;
		}
		r[n++] = r[i];
	}
	qsort(r, n, sizeof(*r), cmp_result_first);
	jsonw_key(b, "by_result", false, NULL);
	buf_adds(b, "[", NULL);
	for (size_t i = 0; i < n; i++) {
		buf_adds(b, i > 0 ? ",{" : "{", NULL);
		jsonw_kv_str(b, "result_type", r[i].result_type, true, NULL);
		jsonw_kv_int(b, "sessions", r[i].sessions, false, false, NULL);
		jsonw_kv_str(b, "meaning", verdict_tls_meaning(
		    r[i].result_type), false, NULL);
		buf_adds(b, "}", NULL);
	}
	buf_adds(b, "]", NULL);
	free(r);
}

static void
tls_json(const struct analysis_tls_domain *d,
    const struct verdict_tls_advice *adv)
{
	struct buf b;

	buf_init(&b, 64u << 20);
	buf_adds(&b, "{", NULL);
	jsonw_kv_str(&b, "domain", d->domain, true, NULL);
	jsonw_kv_str(&b, "mode", d->mode, false, NULL);
	jsonw_kv_int(&b, "sessions", d->sessions, false, false, NULL);
	jsonw_kv_int(&b, "failures", d->failures, false, false, NULL);
	kv_rate(&b, "failure_rate", adv->failure_rate);
	jsonw_kv_int(&b, "days", d->days, false, false, NULL);
	jsonw_kv_int(&b, "reporters", d->reporters, false, false, NULL);
	jsonw_kv_str(&b, "verdict", verdict_name(adv->verdict), false, NULL);
	jsonw_key(&b, "by_policy_type", false, NULL);
	buf_adds(&b, "[", NULL);
	for (size_t i = 0; i < d->n_types; i++) {
		buf_adds(&b, i > 0 ? ",{" : "{", NULL);
		jsonw_kv_str(&b, "policy_type", d->types[i].policy_type, true,
		    NULL);
		jsonw_kv_int(&b, "sessions", d->types[i].sessions, false,
		    false, NULL);
		jsonw_kv_int(&b, "failures", d->types[i].failures, false,
		    false, NULL);
		buf_adds(&b, "}", NULL);
	}
	buf_adds(&b, "]", NULL);
	by_result_json(&b, d);
	jsonw_key(&b, "blockers", false, NULL);
	buf_adds(&b, "[", NULL);
	for (size_t i = 0; i < adv->n_blockers; i++) {
		const struct verdict_tls_blocker *bl = &adv->blockers[i];

		buf_adds(&b, i > 0 ? ",{" : "{", NULL);
		jsonw_kv_str(&b, "mx", *bl->mx ? bl->mx : NULL, true, NULL);
		jsonw_kv_str(&b, "result_type", bl->result_type, false, NULL);
		jsonw_kv_int(&b, "sessions", bl->sessions, false, false, NULL);
		jsonw_kv_str(&b, "fix", bl->fix, false, NULL);
		buf_adds(&b, "}", NULL);
	}
	buf_adds(&b, "]}\n", NULL);
	print_buf(&b);
}

static void
tls_text(const struct analysis_tls_domain *d,
    const struct verdict_tls_advice *adv)
{
	static const char *const names[] = { "mx", "result_type", "sessions",
		"last_7_days", "meaning" };
	static const char *const numbers[] = { "sessions", NULL };
	struct table *t;
	struct err err;
	char p[16];

	esc_linef(stdout, "%s: %s (MTA-STS mode %s)", d->domain,
	    verdict_name(adv->verdict), d->mode != NULL ? d->mode : "unknown");
	esc_linef(stdout, "  sessions:    %lld over %d days from %d reporters, "
	    "%lld failed (%s)", (long long)d->sessions, d->days, d->reporters,
	    (long long)d->failures, pct_text(d->failures, d->sessions, p,
	    sizeof(p)));
	for (size_t i = 0; i < d->n_types; i++)
		esc_linef(stdout, "  %-12s %lld sessions, %lld failed",
		    d->types[i].policy_type, (long long)d->types[i].sessions,
		    (long long)d->types[i].failures);
	if (d->n_results > 0) {
		printf("  failures by receiving MX:\n");
		table_new(&t, numbers);
		for (size_t i = 0; i < d->n_results; i++) {
			const struct tls_result_stats *r = &d->results[i];
			char n[32];
			const char *row[5] = { r->mx != NULL ? r->mx : "-",
				r->result_type, n, r->is_recent ? "yes" : "no",
				verdict_tls_meaning(r->result_type) };

			snprintf(n, sizeof(n), "%lld", (long long)r->sessions);
			table_add_row(t, 5, names, row, &err);
		}
		table_print(t, TABLE_TEXT, "results", stdout, &err);
		table_free(t);
	}
	for (size_t i = 0; i < adv->n_blockers; i++)
		esc_linef(stdout, "  blocker: %s %s (%lld sessions): %s",
		    *adv->blockers[i].mx ? adv->blockers[i].mx : "(no MX named)",
		    adv->blockers[i].result_type,
		    (long long)adv->blockers[i].sessions, adv->blockers[i].fix);
	for (size_t i = 0; i < adv->n_lines; i++)
		esc_linef(stdout, "  - %s", adv->lines[i]);
	fputc('\n', stdout);
}

static void
tls_csv_rows(const struct analysis_tls_domain *d, struct table *t)
{
	static const char *const names[] = { "domain", "mode", "mx",
		"result_type", "sessions", "recent" };
	struct err err;

	for (size_t i = 0; i < d->n_results; i++) {
		const struct tls_result_stats *r = &d->results[i];
		char n[32];
		const char *row[6] = { d->domain, d->mode, r->mx,
			r->result_type, n, r->is_recent ? "t" : "f" };

		snprintf(n, sizeof(n), "%lld", (long long)r->sessions);
		table_add_row(t, 6, names, row, &err);
	}
}

/* the verdict of a domain over the verdict window, or insufficient data */
static void
tls_verdict(const struct query *q, const struct analysis_tls *judge,
    const char *domain, struct verdict_tls_advice *adv)
{
	const struct analysis_tls_domain *d = analysis_tls_find(judge, domain);
	struct verdict_tls_input in;
	static const struct analysis_tls_domain none;

	analysis_tls_input(d != NULL ? d : &none, &in);
	in.domain = domain;
	verdict_tls(&in, &q->cfg->thresholds, adv);
}

int
cmd_tls(int argc, char **argv, const struct config *cfg)
{
	static const char *const numbers[] = { "sessions", NULL };
	struct query q = { .name = "tls", .usage = "[--days N | --since DATE "
	    "--until DATE] [--domain D] [--format text|json|csv]",
	    .default_days = 14, .has_csv = true };
	struct analysis_tls a, judge;
	struct table *t = NULL;
	struct window vw;
	struct err err;
	int r = start(&q, argc, argv, cfg);

	if (r != 0)
		return r - 1;
	/* Reports of a day arrive the day after: a 14-day window holds 13
	 * days of them.  The verdict looks at the verdict window (30 days,
	 * or the given one when longer), as advise does. */
	vw = q.w;
	if (vw.until - vw.since < (int64_t)ADVISE_DAYS * 86400) {
		vw.days = 0;
		vw.since = vw.until - (int64_t)ADVISE_DAYS * 86400;
		if (window_finish(&vw, ADVISE_DAYS, &err) == -1)
			return db_failed(&q, &err);
	}
	if (analysis_tls_load(q.store, cfg, &q.w, q.domain, &a, &err) == -1)
		return db_failed(&q, &err);
	if (analysis_tls_load(q.store, cfg, &vw, q.domain, &judge,
	    &err) == -1) {
		analysis_tls_release(&a);
		return db_failed(&q, &err);
	}
	if (a.n_domains == 0 && q.format == TABLE_TEXT)
		printf("no TLS reports between %s and %s\n", q.w.since_text,
		    q.w.until_text);
	if (q.format == TABLE_CSV)
		table_new(&t, numbers);
	for (size_t i = 0; i < a.n_domains; i++) {
		struct verdict_tls_advice adv;

		tls_verdict(&q, &judge, a.domains[i].domain, &adv);
		if (q.format == TABLE_JSON)
			tls_json(&a.domains[i], &adv);
		else if (q.format == TABLE_CSV)
			tls_csv_rows(&a.domains[i], t);
		else
			tls_text(&a.domains[i], &adv);
		verdict_tls_advice_free(&adv);
	}
	if (q.format == TABLE_TEXT && a.n_domains > 0)
		printf("verdict: over the last %ld days (a day's reports arrive "
		    "the day after)\n", (long)((vw.until - vw.since) / 86400));
	if (t != NULL && table_print(t, TABLE_CSV, "results", stdout,
	    &err) == -1)
		r = cmd_exit_status(err.code);
	table_free(t);
	analysis_tls_release(&a);
	analysis_tls_release(&judge);
	return finish(&q, r);
}
