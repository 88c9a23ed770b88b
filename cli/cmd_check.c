/*
 * dmarcctl check: one command for cron and monitoring (Nagios, Icinga,
 * a systemd timer with OnFailure=).  It looks at the last days against the
 * weeks before them and exits 1 with one line per problem on stdout:
 *
 * - silence: a policy domain's reports stopped arriving (no DMARC report
 *   period ending in the last --max-silence days, default 2; the same for
 *   TLS reports of a domain that had them in the baseline);
 * - a legitimate source started failing: it passed DMARC (aligned, >= 99
 *   %) in the baseline and passes less than source_pass_rate (95 %) in the
 *   last RECENT_DAYS days, with enough mail to tell;
 * - the failure rate jumped: the share of legitimate mail failing DMARC in
 *   the last days is at least twice the baseline's and 5 points above it;
 *   for TLS, the share of failed sessions likewise.
 *
 * - nothing at all: no report ever stored (fetch never worked), none
 *   for the --domain asked for, or none in the whole baseline.
 *
 * All well: exit 0 and one "ok:" line (--format json: one object with
 * "status" and the "problems").  Unreachable database: 69.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/analysis.h"
#include "cli/analysis_tls.h"
#include "cli/cmd.h"
#include "cli/help.h"
#include "cli/opt.h"
#include "cli/output.h"
#include "cli/window.h"
#include "common/count.h"
#include "common/esc.h"
#include "common/log.h"
#include "common/jsonw.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "store/store.h"

enum {
	EXIT_PROBLEM = 1,
	RECENT_DAYS = 3,	/* what is compared with the baseline */
	BASELINE_DAYS = 30,	/* the weeks before them */
	DEFAULT_SILENCE = 2,
	MIN_RECENT_MESSAGES = 20,	/* a source needs this to be judged */
	MIN_RATE_MESSAGES = 100,	/* and a domain's failure rate */
};

/* a jump: at least twice the baseline and this many points above it */
static const double JUMP_POINTS = 0.05;

struct check {
	const struct config *cfg;
	struct store *store;
	const char *domain;
	long max_silence;
	time_t now;
	bool is_json;
	unsigned heard;		/* domains heard from in the baseline */
	/* the problems found, one line each, printed at the end */
	char **problems;
	char **problem_domains;
	unsigned n_problems;
	/* what the recent window held */
	size_t recent_domains;
	int64_t recent_messages;
};

static void
problem(struct check *c, const char *domain, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* one problem: "domain: what" (or just what, for the whole store) */
static void
problem(struct check *c, const char *domain, const char *fmt, ...)
{
	char line[1024];
	size_t n = 0;
	va_list ap;

	if (domain != NULL)
		n = str_format(line, sizeof(line), "%s: ", domain);
	va_start(ap, fmt);
	str_vformat(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	c->problems = xrealloc(c->problems, (c->n_problems + 1) *
	    sizeof(*c->problems));
	c->problem_domains = xrealloc(c->problem_domains,
	    (c->n_problems + 1) * sizeof(*c->problem_domains));
	c->problems[c->n_problems] = xstrdup(line);
	c->problem_domains[c->n_problems] = domain != NULL ?
	    xstrdup(domain) : NULL;
	c->n_problems++;
}

/* text: one line per problem, whatever a reporter put in its names, or
 * one "ok:" line */
static void
print_text(const struct check *c)
{
	for (unsigned i = 0; i < c->n_problems; i++)
		esc_linef(stdout, "%s", c->problems[i]);
	if (c->n_problems == 0)
		printf("ok: %zu domain%s, %lld messages in the last %d days, "
		    "nothing stopped, nothing started failing\n",
		    c->recent_domains, c->recent_domains == 1 ? "" : "s",
		    (long long)c->recent_messages, RECENT_DAYS);
}

/* JSON: one object, for monitoring systems */
static int
print_json(const struct check *c, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret;

	buf_init(&b, 64u << 20);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	jsonw_kv_str(&w, "status", c->n_problems > 0 ? "problem" : "ok",
	    true);
	jsonw_kv_int(&w, "recent_days", RECENT_DAYS, false, false);
	jsonw_kv_int(&w, "domains", (int64_t)c->recent_domains, false, false);
	jsonw_kv_int(&w, "messages", c->recent_messages, false, false);
	jsonw_key(&w, "problems", false);
	jsonw_raw(&w, "[");
	for (unsigned i = 0; i < c->n_problems; i++) {
		jsonw_raw(&w, i > 0 ? ",{" : "{");
		jsonw_kv_str(&w, "domain", c->problem_domains[i], true);
		jsonw_kv_str(&w, "problem", c->problems[i], false);
		jsonw_raw(&w, "}");
	}
	jsonw_raw(&w, "]}\n");
	if ((ret = jsonw_finish(&w, err)) == 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	return ret;
}

static void
check_release(struct check *c)
{
	for (unsigned i = 0; i < c->n_problems; i++) {
		free(c->problems[i]);
		free(c->problem_domains[i]);
	}
	free(c->problems);
	free(c->problem_domains);
	store_free(c->store);
}

/* the last RECENT_DAYS whole days (today's reports have not come yet),
 * and the BASELINE_DAYS before them: cli/window.c, as every query */
static int
windows_at(time_t now, struct window *recent, struct window *base,
    struct err *err)
{
	window_init(recent);
	window_init(base);
	recent->days = RECENT_DAYS;
	if (window_finish_at(recent, RECENT_DAYS, (int64_t)now, err) == -1)
		return -1;
	base->until = recent->since;
	return window_finish_at(base, BASELINE_DAYS, (int64_t)now, err);
}

/* --- silence --- */

static int
silence_row(void *ctx, const struct store_heard *h, struct err *err)
{
	struct check *c = ctx;
	long days = (long)h->days;

	(void)err;
	c->heard++;
	if (days > c->max_silence)
		problem(c, h->domain, "no %s report since %s (%ld days; at "
		    "most %ld expected)", h->is_tlsrpt ? "TLS" : "DMARC",
		    h->last_end, days, c->max_silence);
	return 0;
}

static int
check_silence(struct check *c, struct err *err)
{
	char since[32];

	timefmt_iso((int64_t)c->now - (int64_t)BASELINE_DAYS * 86400, since,
	    sizeof(since));
	/* domains heard from in the baseline, by kind, and how long ago
	 * their latest report period ended */
	return store_last_heard(c->store, since, c->domain, silence_row, c,
	    err);
}

/* --- sources and rates --- */

static double
rate(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0;
}

/* legitimate mail of the recent domain, by the baseline's classes */
static void
legitimate(const struct analysis_domain *base,
    const struct analysis_domain *d, int64_t *msgs, int64_t *pass)
{
	*msgs = *pass = 0;
	for (size_t i = 0; i < d->n_sources; i++) {
		const struct analysis_source *b = analysis_find_source(base,
		    d->sources[i].st.ip);

		if (b == NULL || !verdict_class_is_legitimate(b->class))
			continue;
		*msgs = count_add(*msgs, d->sources[i].st.messages);
		*pass = count_add(*pass, d->sources[i].st.dmarc_pass);
	}
}

static void
check_domain(struct check *c, const struct analysis_domain *base,
    const struct analysis_domain *d)
{
	const struct verdict_thresholds *th = &c->cfg->thresholds;
	int64_t bm, bp, rm, rp;
	double before, now;

	for (size_t i = 0; i < d->n_sources; i++) {
		const struct source_stats *st = &d->sources[i].st;
		const struct analysis_source *b = analysis_find_source(base,
		    st->ip);
		double r = rate(st->dmarc_pass, st->messages);

		if (b == NULL || b->class != SOURCE_ALIGNED ||
		    st->messages < MIN_RECENT_MESSAGES ||
		    r >= th->source_pass_rate)
			continue;
		problem(c, d->domain, "source %s%s%s%s started failing DMARC: "
		    "%.1f%% of %lld messages pass in the last %d days, %.1f%% "
		    "before", st->ip, st->name != NULL ? " (" : "",
		    st->name != NULL ? st->name : "", st->name != NULL ? ")" :
		    "", 100 * r, (long long)st->messages, RECENT_DAYS,
		    100 * rate(b->st.dmarc_pass, b->st.messages));
	}
	legitimate(base, base, &bm, &bp);
	legitimate(base, d, &rm, &rp);
	if (rm < MIN_RATE_MESSAGES || bm == 0)
		return;
	before = 1 - rate(bp, bm);
	now = 1 - rate(rp, rm);
	if (now >= 2 * before && now >= before + JUMP_POINTS)
		problem(c, d->domain, "the failure rate of legitimate mail "
		    "jumped to %.1f%% in the last %d days (%.1f%% before)",
		    100 * now, RECENT_DAYS, 100 * before);
}

static void
check_tls_domain(struct check *c, const struct analysis_tls_domain *base,
    const struct analysis_tls_domain *d)
{
	double before = rate(base->failures, base->sessions);
	double now = rate(d->failures, d->sessions);

	if (d->sessions < MIN_RATE_MESSAGES || base->sessions == 0)
		return;
	if (now >= 2 * before && now >= before + JUMP_POINTS / 5)
		problem(c, d->domain, "TLS failures jumped to %.2f%% of "
		    "sessions in the last %d days (%.2f%% before)%s%s",
		    100 * now, RECENT_DAYS, 100 * before,
		    d->n_results > 0 ? "; most: " : "",
		    d->n_results > 0 ? d->results[0].result_type : "");
}

static int
check_rates(struct check *c, struct err *err)
{
	struct analysis base, recent;
	struct analysis_tls tbase, trecent;
	struct analysis_options opt = { c->domain, true, false };
	struct window wb, wr;
	int ret = -1;

	memset(&base, 0, sizeof(base));
	memset(&recent, 0, sizeof(recent));
	memset(&tbase, 0, sizeof(tbase));
	memset(&trecent, 0, sizeof(trecent));
	if (windows_at(c->now, &wr, &wb, err) == -1)
		return -1;
	/* no reverse DNS: a monitoring check must not hang on it; the
	 * classes come from the baseline */
	if (analysis_load(c->store, c->cfg, &wb, &opt, &base, err) == -1 ||
	    analysis_load(c->store, c->cfg, &wr, &opt, &recent, err) == -1 ||
	    analysis_tls_load(c->store, c->cfg, &wb, c->domain, &tbase,
	    err) == -1 || analysis_tls_load(c->store, c->cfg, &wr, c->domain,
	    &trecent, err) == -1)
		goto out;
	for (size_t i = 0; i < recent.n_domains; i++) {
		const struct analysis_domain *b = analysis_find(&base,
		    recent.domains[i].domain);

		if (b != NULL)
			check_domain(c, b, &recent.domains[i]);
	}
	for (size_t i = 0; i < trecent.n_domains; i++) {
		const struct analysis_tls_domain *b = analysis_tls_find(&tbase,
		    trecent.domains[i].domain);

		if (b != NULL)
			check_tls_domain(c, b, &trecent.domains[i]);
	}
	c->recent_domains = recent.n_domains;
	for (size_t i = 0; i < recent.n_domains; i++)
		c->recent_messages = count_add(c->recent_messages,
		    recent.domains[i].messages);
	ret = 0;
out:
	analysis_release(&base);
	analysis_release(&recent);
	analysis_tls_release(&tbase);
	analysis_tls_release(&trecent);
	return ret;
}

static int
usage(FILE *f)
{
	return help_usage(f, "check");
}

/*
 * Nothing stored at all (fetch never worked), nothing for the domain
 * asked for, or nothing from any domain for the whole baseline: a set-up
 * that receives no reports is the first problem to see.
 */
static int
check_ever(struct check *c, struct err *err)
{
	bool is_any;

	if (store_report_exists(c->store, c->domain, &is_any, err) == -1)
		return -1;
	if (!is_any && c->domain != NULL)
		problem(c, c->domain, "no report was ever stored for this "
		    "domain");
	else if (!is_any)
		problem(c, NULL, "no report was ever stored: check that "
		    "fetch (or ingest) runs and reads the rua mailbox");
	return is_any ? 1 : 0;
}

int
cmd_check(int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "max-silence", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check c;
	struct err err;
	char domain[OPT_DOMAIN_SIZE];
	enum table_format format;
	int ch, ever, status;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.max_silence = DEFAULT_SILENCE;
	c.now = time(NULL);
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (opt_domain("--domain", optarg, domain,
			    &err) == -1) {
				log_error("%s", err.msg);
				return usage(stderr);
			}
			c.domain = domain;
			break;
		case 'm':
			if (opt_long("--max-silence", optarg, 1, 3650,
			    &c.max_silence, &err) == -1) {
				log_error("%s", err.msg);
				return usage(stderr);
			}
			break;
		case 'f':
			if (output_parse_format("check", optarg, OUTPUT_TEXT |
			    OUTPUT_JSON, &format, &err) == -1) {
				log_error("%s", err.msg);
				return usage(stderr);
			}
			c.is_json = format == TABLE_JSON;
			break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind < argc)
		return usage(stderr);
	if (store_open(&c.store, cfg->database, &err) == -1 ||
	    store_check_schema(c.store, &err) == -1) {
		log_error("%s", err.msg);
		check_release(&c);
		return EXIT_UNAVAILABLE;
	}
	if ((ever = check_ever(&c, &err)) == -1 ||
	    (ever == 1 && (check_silence(&c, &err) == -1 ||
	    check_rates(&c, &err) == -1)))
		goto db;
	if (ever == 1 && c.heard == 0)
		problem(&c, c.domain, "no report in the last %d days",
		    BASELINE_DAYS);
	if (c.is_json) {
		if (print_json(&c, &err) == -1)
			goto db;
	} else {
		print_text(&c);
	}
	status = c.n_problems > 0 ? EXIT_PROBLEM : EXIT_OK;
	check_release(&c);
	return status;
db:
	log_error("%s", err.msg);
	check_release(&c);
	return cmd_exit_status(err.code);
}
