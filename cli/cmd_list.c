/*
 * dmarcctl reports | errors | raw: what is stored, what could not be,
 * and the originals as they were received.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "cli/help.h"
#include "cli/opt.h"
#include "cli/output.h"
#include "cli/query.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/log.h"
#include "common/stream.h"
#include "parsers/decomp.h"
#include "parsers/mail.h"
#include "store/store.h"

/* what errors reads of an original to show its Date, From, Subject */
#define ERROR_HEAD_MAX (64u << 10)

/* what a listing is asked for: its window and domain (when it takes
 * them) */
struct ask {
	struct window w;
	const char *domain;	/* NULL: all */
	char domain_buf[OPT_DOMAIN_SIZE];
};

/* a listing's rows: what it was asked for, the table, err */
typedef int (*listing_fn)(struct store *s, const struct ask *a,
    struct table *t, struct err *err);

struct listing {
	const char *name;
	int default_days;
	bool has_domain;	/* takes --domain */
	bool has_today;		/* by arrival: today is in the window */
	listing_fn list;
	const char *const *numeric;
};

static int
list_reports(struct store *s, const struct ask *a, struct table *t,
    struct err *err)
{
	return store_reports_list(s, a->w.since_text, a->w.until_text,
	    a->domain, table_add_row, t, err);
}

/* an error's row, with what its message says of itself */
struct error_rows {
	struct store *s;
	struct table *t;
};

/* Date, From and Subject of an archived message: its first bytes */
static void
read_head(struct store *s, const char *raw_id, struct mail_head *h)
{
	struct stream *raw = NULL, *in = NULL;
	char *head = NULL;
	size_t len = 0;
	bool is_gzip, is_whole;
	uint64_t used = 0;
	struct err err;

	memset(h, 0, sizeof(*h));
	if (raw_id == NULL ||
	    store_raw_open(s, strtoll(raw_id, NULL, 10), &raw, &is_gzip,
	    &err) == -1)
		return;
	in = raw;
	if (is_gzip)
		decomp_gunzip(&in, raw, &used, ERROR_HEAD_MAX);
	if (stream_read_upto(in, ERROR_HEAD_MAX, &head, &len, &is_whole,
	    &err) == 0)
		(void)mail_head(head, len, h);
	free(head);
	if (in != raw)
		stream_free(in);
	stream_free(raw);
}

static int
error_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct error_rows *e = ctx;
	const char *n[9], *v[9];
	struct mail_head h;

	(void)ncols;
	read_head(e->s, values[6], &h);
	/* id, at, source, then the message's own, then the cause */
	for (size_t i = 0; i < 3; i++)
		n[i] = names[i], v[i] = values[i];
	/* not a message (a file, an mbox): unknown, null in JSON */
	n[3] = "date", v[3] = h.date[0] != '\0' ? h.date : NULL;
	n[4] = "from", v[4] = h.from[0] != '\0' ? h.from : NULL;
	n[5] = "subject", v[5] = h.subject[0] != '\0' ? h.subject : NULL;
	for (size_t i = 3; i < 6; i++)
		n[i + 3] = names[i], v[i + 3] = values[i];
	return table_add_row(e->t, 9, n, v, err);
}

static int
list_errors(struct store *s, const struct ask *a, struct table *t,
    struct err *err)
{
	struct error_rows e = { s, t };

	return store_errors_list(s, a->w.since_text, a->w.until_text,
	    error_row, &e, err);
}

static const char *const report_numbers[] = { "records", "messages", NULL };
static const char *const error_numbers[] = { "id", NULL };

static const struct listing listings[] = {
	{ "reports", 14, true, false, list_reports, report_numbers },
	{ "errors", 30, false, true, list_errors, error_numbers },
};

/* the table, after the window */
static int
print_listing(const struct listing *l, const struct ask *a,
    struct table *t, enum table_format format, struct err *err)
{
	if (table_rows(t) == 0)
		query_say_empty_in(&a->w, a->domain, l->name);
	query_print_window(&a->w, format, NULL);
	table_set_json_head(t, query_window_head, &a->w);
	return table_print(t, format, l->name, stdout, err);
}

static int
run_listing(const struct listing *l, int argc, char **argv,
    const struct config *cfg)
{
	static const struct option opts[] = {
		WINDOW_OPTIONS,
		{ "domain", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum table_format format = TABLE_TEXT;
	struct store *s = NULL;
	struct table *t = NULL;
	struct ask a;
	struct err err;
	int ch, status = EXIT_OK;

	memset(&a, 0, sizeof(a));
	window_init(&a.w);
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help_usage(stdout, l->name);
		if (ch == 'd' && !l->has_domain) {
			log_error("%s: unrecognized option '--domain'",
			    l->name);
			return help_usage(stderr, l->name);
		}
		if (ch == 'd')
			a.domain = a.domain_buf;
		if ((ch == 'f' && output_parse_format(l->name, optarg,
		    OUTPUT_TEXT | OUTPUT_JSON | OUTPUT_CSV, &format,
		    &err) == -1) || ((ch == 'D' || ch == 'S' || ch == 'U') &&
		    window_option(&a.w, ch, optarg, &err) == -1) ||
		    (ch == 'd' && opt_domain("--domain", optarg, a.domain_buf,
		    &err) == -1) || ch == '?') {
			if (ch != '?')
				log_error("%s", err.msg);
			return help_usage(stderr, l->name);
		}
	}
	/* a report's period ends before today; an error happened at any
	 * time up to now */
	if (optind < argc || window_finish_at(&a.w, l->default_days,
	    (int64_t)time(NULL) + (l->has_today ? 86400 : 0), &err) == -1) {
		if (optind >= argc)
			log_error("%s", err.msg);
		return help_usage(stderr, l->name);
	}
	if (store_open(&s, cfg->database, &err) == -1 ||
	    store_check_schema(s, &err) == -1) {
		log_error("%s", err.msg);
		store_free(s);
		return EXIT_UNAVAILABLE;
	}
	table_new(&t, l->numeric);
	if (l->list(s, &a, t, &err) == -1 ||
	    print_listing(l, &a, t, format, &err) == -1) {
		log_error("%s", err.msg);
		status = cmd_exit_status(err.code);
	}
	table_free(t);
	store_free(s);
	return status;
}

static int
listing(const char *name, int argc, char **argv, const struct config *cfg)
{
	for (size_t i = 0; i < sizeof(listings) / sizeof(listings[0]); i++)
		if (strcmp(listings[i].name, name) == 0)
			return run_listing(&listings[i], argc, argv, cfg);
	return EXIT_SOFTWARE;
}

int
cmd_reports(int argc, char **argv, const struct config *cfg)
{
	return listing("reports", argc, argv, cfg);
}

int
cmd_errors(int argc, char **argv, const struct config *cfg)
{
	return listing("errors", argc, argv, cfg);
}

/* "N" or "raw_inputs.id=N", as errors shows it */
static int
raw_id_arg(const char *arg, long *id, struct err *err)
{
	const char *p = strncmp(arg, "raw_inputs.id=", 14) == 0 ? arg + 14 :
	    arg;

	return opt_long("ID", p, 1, LONG_MAX, id, err);
}

int
cmd_raw(int argc, char **argv, const struct config *cfg)
{
	struct store *s = NULL;
	struct stream *raw = NULL, *in = NULL;
	char buf[65536];
	bool is_gzip;
	uint64_t used = 0;
	long id;
	ssize_t n;
	struct err err;
	int status = EXIT_OK;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return help_usage(stdout, "raw");
	if (argc != 2 || raw_id_arg(argv[1], &id, &err) == -1) {
		if (argc == 2)
			log_error("%s", err.msg);
		return help_usage(stderr, "raw");
	}
	if (store_open(&s, cfg->database, &err) == -1 ||
	    store_check_schema(s, &err) == -1) {
		log_error("%s", err.msg);
		store_free(s);
		return EXIT_UNAVAILABLE;
	}
	if (store_raw_open(s, id, &raw, &is_gzip, &err) == -1) {
		log_error("%s", err.msg);
		store_free(s);
		return cmd_exit_status(err.code);
	}
	in = raw;
	if (is_gzip)	/* gzip'd for the archive: as received again */
		decomp_gunzip(&in, raw, &used, UINT64_MAX);
	while ((n = stream_read(in, buf, sizeof(buf), &err)) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	if (n == -1) {
		log_error("%s", err.msg);
		status = cmd_exit_status(err.code);
	}
	if (in != raw)
		stream_free(in);
	stream_free(raw);
	store_free(s);
	return status;
}
