#include "cli/query.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/help.h"
#include "cli/opt.h"
#include "cli/output.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/store.h"

static int
usage(const struct query *q, FILE *f)
{
	return help_usage(f, q->name);
}

static int
set_format(struct query *q, const char *arg, struct err *err)
{
	return output_parse_format(q->name, arg, OUTPUT_TEXT | OUTPUT_JSON |
	    (q->has_csv ? OUTPUT_CSV : 0), &q->format, err);
}

/* --class, --limit, --addresses: the options of sources */
static int
sender_option(struct query *q, int ch, const char *arg, struct err *err)
{
	static const enum source_class classes[] = { SOURCE_ALIGNED,
		SOURCE_PARTIAL, SOURCE_THIRD_PARTY, SOURCE_RELAY,
		SOURCE_INDIRECT, SOURCE_UNAUTHENTICATED };

	if (!q->has_sender_options)
		return err_set(err, ERR_USAGE, "%s: --class, --limit and "
		    "--addresses are options of sources", q->name);
	switch (ch) {
	case 'a':
		q->want_addresses = true;
		return 0;
	case 'l':
		return opt_long("--limit", arg, 1, 100000000, &q->limit, err);
	default:
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]);
		    i++)
			if (strcmp(arg, verdict_class_name(classes[i])) == 0) {
				q->class_filter = verdict_class_name(
				    classes[i]);
				return 0;
			}
		return err_set(err, ERR_USAGE, "--class: '%s' is not a class "
		    "(aligned, partial, third-party, relay, indirect, "
		    "unauthenticated)", arg);
	}
}

int
query_start(struct query *q, int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		WINDOW_OPTIONS,
		{ "domain", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "no-dns", no_argument, NULL, 'n' },
		{ "class", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' },
		{ "addresses", no_argument, NULL, 'a' },
		{ "probe", no_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'A' },
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
			if (opt_domain("--domain", optarg, q->domain_buf,
			    &err) == -1)
				goto bad;
			q->domain = q->domain_buf;
			break;
		case 'n': q->want_dns = false; break;
		case 'p':
			if (!q->has_probe) {
				err_set(&err, ERR_USAGE, "%s: --probe is an "
				    "option of dns and tls", q->name);
				goto bad;
			}
			q->want_probe = true;
			break;
		case 'A':
			if (!q->has_all) {
				err_set(&err, ERR_USAGE, "%s: --all is an "
				    "option of advise", q->name);
				goto bad;
			}
			q->want_all = true;
			break;
		case 'c': case 'l': case 'a':
			if (sender_option(q, ch, optarg, &err) == -1)
				goto bad;
			break;
		case 'f':
			if (set_format(q, optarg, &err) == -1)
				goto bad;
			break;
		case 'h': return usage(q, stdout) + 1;
		default: return usage(q, stderr) + 1;
		}
	}
	if (optind < argc) {
		log_error("%s: unexpected argument '%s'", q->name,
		    argv[optind]);
		return usage(q, stderr) + 1;
	}
	if (window_finish(&q->w, q->default_days, &err) == -1)
		goto bad;
	if (store_open(&q->store, cfg->database, &err) == -1 ||
	    store_check_schema(q->store, &err) == -1) {
		store_free(q->store);
		q->store = NULL;
		if (q->is_store_optional && q->domain != NULL) {
			log_warn("%s; going on without the reports",
			    err.msg);
			return 0;
		}
		log_error("%s", err.msg);
		return EXIT_UNAVAILABLE + 1;
	}
	return 0;
bad:
	log_error("%s", err.msg);
	return usage(q, stderr) + 1;
}

int
query_finish(struct query *q, int status)
{
	store_free(q->store);
	return status;
}

int
query_failed(struct query *q, const struct err *err)
{
	log_error("%s", err->msg);
	return query_finish(q, cmd_exit_status(err->code));
}

int
query_load_judged(struct query *q, const struct window *w, bool has_verdicts,
    struct analysis *a, struct err *err)
{
	struct analysis_options opt = { q->domain, true, q->want_dns };

	if (analysis_load(q->store, q->cfg, w, &opt, a, err) == -1)
		return -1;
	analysis_save(q->store, q->cfg, a, has_verdicts);
	return 0;
}

int
query_load_verdicts(struct query *q, struct verdicts *v, struct err *err)
{
	struct window w;

	if (window_last(&w, &q->w, ADVISE_DAYS, err) == -1 ||
	    query_load_judged(q, &w, true, &v->a, err) == -1)
		return -1;
	return 0;
}

enum verdict_word
query_verdict_of(const struct query *q, const struct verdicts *v,
    const char *domain)
{
	const struct analysis_domain *d = analysis_find(&v->a, domain);
	struct verdict_advice adv[POP_COUNT];
	enum verdict_word word;

	if (d == NULL)
		return VERDICT_INSUFFICIENT_DATA;
	analysis_advise(d, &q->cfg->thresholds, adv);
	word = adv[POP_ORGANIZATIONAL].verdict;
	for (int g = 0; g < POP_COUNT; g++)
		verdict_advice_free(&adv[g]);
	return word;
}

const char *
query_pct_text(int64_t part, int64_t whole, char *out, size_t size)
{
	if (whole <= 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.1f%%",
		    100.0 * ((double)part / (double)whole));
	return out;
}

const char *
query_policy_text(const struct dmarc_policy *p, char *out, size_t size)
{
	int n = snprintf(out, size, "p=%s", p->p != NULL ? p->p : "?");

	if (p->pct >= 0 && p->pct < 100 && n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n, " pct=%d", p->pct);
	if (p->t != NULL && strcmp(p->t, "y") == 0 && n > 0 &&
	    (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " t=y");
	return out;
}

void
query_policy_json(struct jsonw *w, const struct dmarc_policy *p)
{
	jsonw_raw(w, "{");
	jsonw_kv_str(w, "p", p->p, true);
	jsonw_kv_str(w, "sp", p->sp, false);
	jsonw_kv_str(w, "np", p->np, false);
	jsonw_kv_int(w, "pct", p->pct, true, false);
	jsonw_kv_str(w, "t", p->t, false);
	jsonw_kv_str(w, "adkim", p->adkim, false);
	jsonw_kv_str(w, "aspf", p->aspf, false);
	jsonw_raw(w, "}");
}

void
query_failures_json(struct jsonw *w, const struct failure_evidence *e)
{
	char text[512];
	bool is_first = true;

	if (e->samples <= 0) {
		jsonw_raw(w, "null");
		return;
	}
	jsonw_raw(w, "{");
	jsonw_kv_int(w, "samples", e->samples, false, true);
	jsonw_key(w, "types", false);
	jsonw_raw(w, "{");
	for (size_t t = 0; t < FT_COUNT; t++)
		if (e->by_type[t] > 0) {
			jsonw_kv_int(w, failure_type_name(t), e->by_type[t],
			    false, is_first);
			is_first = false;
		}
	jsonw_raw(w, "}");
	jsonw_key(w, "dkim_keys", false);
	jsonw_raw(w, "[");
	for (size_t i = 0; i < e->n_keys; i++) {
		jsonw_raw(w, i > 0 ? ",{" : "{");
		jsonw_kv_str(w, "selector", e->keys[i].selector, true);
		jsonw_kv_str(w, "domain", *e->keys[i].domain != '\0' ?
		    e->keys[i].domain : NULL, false);
		jsonw_kv_int(w, "samples", e->keys[i].samples, false, false);
		jsonw_raw(w, "}");
	}
	jsonw_raw(w, "]");
	failure_evidence_text(e, text, sizeof(text));
	jsonw_kv_str(w, "text", text, false);
	jsonw_raw(w, "}");
}

typedef void (*window_print_fn)(const struct window *w, struct jsonw *jw);

static void
window_text(const struct window *w, struct jsonw *jw)
{
	char first[16], last[16];
	long days = window_days(w);

	(void)jw;
	timefmt_date(w->since, first, sizeof(first));
	timefmt_date(w->until - 86400, last, sizeof(last));
	printf("window: %s .. %s (%ld day%s, UTC)\n", first, last, days,
	    days == 1 ? "" : "s");
}

static void
window_json(const struct window *w, struct jsonw *jw)
{
	if (jw == NULL)
		return;
	jsonw_kv_str(jw, "since", w->since_text, true);
	jsonw_kv_str(jw, "until", w->until_text, false);
	jsonw_kv_int(jw, "days", window_days(w), false, false);
}

static void
window_none(const struct window *w, struct jsonw *jw)
{
	(void)w;
	(void)jw;
}

static const window_print_fn window_printers[] = {
	[TABLE_TEXT] = window_text,
	[TABLE_JSON] = window_json,
	[TABLE_CSV] = window_none,
};

void
query_print_window(const struct window *w, enum table_format format,
    struct jsonw *jw)
{
	window_printers[format](w, jw);
}

void
query_window_head(struct jsonw *jw, const void *ctx)
{
	query_print_window(ctx, TABLE_JSON, jw);
}

void
query_say_empty_in(const struct window *w, const char *domain,
    const char *what)
{
	if (domain != NULL)
		log_notice("no %s of %s from %s to %s", what, domain,
		    w->since_text, w->until_text);
	else
		log_notice("no %s from %s to %s", what, w->since_text,
		    w->until_text);
}

void
query_say_empty(const struct query *q, const char *what)
{
	query_say_empty_in(&q->w, q->domain, what);
}

int
query_print_json(const struct buf *b, struct err *err)
{
	if (fwrite(buf_str(b), 1, b->len, stdout) != b->len)
		return err_set(err, ERR_IO, "cannot write output");
	return 0;
}
