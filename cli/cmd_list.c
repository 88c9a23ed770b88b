/*
 * dmarcctl reports | errors: what is stored, and what could not be.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/output.h"
#include "cli/query.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/log.h"
#include "store/store.h"

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
	const char *usage;
	bool has_window;	/* and --domain */
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

static int
list_errors(struct store *s, const struct ask *a, struct table *t,
    struct err *err)
{
	(void)a;
	return store_errors_list(s, table_add_row, t, err);
}

static const char *const report_numbers[] = { "records", "messages", NULL };
static const char *const error_numbers[] = { "id", NULL };

static const struct listing listings[] = {
	{ "reports", "dmarcctl reports [--days N | --since DATE --until DATE] "
	  "[--domain DOMAIN] [--format text|json|csv]", true, list_reports,
	  report_numbers },
	{ "errors", "dmarcctl errors [--format text|json|csv]", false,
	  list_errors, error_numbers },
};

/* nothing to list: said on stderr (the output stays what it is) */
static void
say_empty(const struct listing *l, const struct ask *a)
{
	if (!l->has_window)
		log_notice("no failed inputs recorded");
	else if (a->domain != NULL)
		log_notice("no %s of %s from %s to %s", l->name, a->domain,
		    a->w.since_text, a->w.until_text);
	else
		log_notice("no %s from %s to %s", l->name, a->w.since_text,
		    a->w.until_text);
}

/* the table, after the window when the listing has one */
static int
print_listing(const struct listing *l, const struct ask *a,
    struct table *t, enum table_format format, struct err *err)
{
	if (table_rows(t) == 0)
		say_empty(l, a);
	if (l->has_window) {
		query_print_window(&a->w, format, NULL);
		table_set_json_head(t, query_window_head, &a->w);
	}
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
		if (ch == 'h') {
			printf("usage: %s\n", l->usage);
			return EXIT_OK;
		}
		if (ch == 'd' && l->has_window)
			a.domain = a.domain_buf;
		if ((ch == 'f' && output_parse_format(l->name, optarg,
		    OUTPUT_TEXT | OUTPUT_JSON | OUTPUT_CSV, &format,
		    &err) == -1) || ((ch == 'D' || ch == 'S' || ch == 'U') &&
		    (!l->has_window || window_option(&a.w, ch, optarg,
		    &err) == -1)) || (ch == 'd' && (!l->has_window ||
		    opt_domain("--domain", optarg, a.domain_buf,
		    &err) == -1)) || ch == '?') {
			if (ch != '?' && (l->has_window || ch == 'f'))
				log_error("%s", err.msg);
			fprintf(stderr, "usage: %s\n", l->usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || window_finish(&a.w, 14, &err) == -1) {
		if (optind >= argc)
			log_error("%s", err.msg);
		fprintf(stderr, "usage: %s\n", l->usage);
		return EXIT_USAGE;
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
