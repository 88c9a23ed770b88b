/*
 * dmarcctl reports | errors: what is stored, and what could not be.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/query.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/log.h"
#include "store/store.h"

/* a listing's rows: its window (unused without one), the table, err */
typedef int (*listing_fn)(struct store *s, const struct window *w,
    struct table *t, struct err *err);

struct listing {
	const char *name;
	const char *usage;
	bool has_window;
	listing_fn list;
	const char *const *numeric;
};

static int
list_reports(struct store *s, const struct window *w, struct table *t,
    struct err *err)
{
	return store_reports_list(s, w->since_text, w->until_text,
	    table_add_row, t, err);
}

static int
list_errors(struct store *s, const struct window *w, struct table *t,
    struct err *err)
{
	(void)w;
	return store_errors_list(s, table_add_row, t, err);
}

static const char *const report_numbers[] = { "records", "messages", NULL };
static const char *const error_numbers[] = { "id", NULL };

static const struct listing listings[] = {
	{ "reports", "dmarcctl reports [--days N | --since DATE --until DATE] "
	  "[--format text|json|csv]", true, list_reports, report_numbers },
	{ "errors", "dmarcctl errors [--format text|json|csv]", false,
	  list_errors, error_numbers },
};

/* the table, after the window when the listing has one */
static int
print_listing(const struct listing *l, const struct window *w,
    struct table *t, enum table_format format, struct err *err)
{
	if (l->has_window) {
		query_print_window(w, format, NULL);
		table_set_json_head(t, query_window_head, w);
	}
	return table_print(t, format, l->name, stdout, err);
}

static int
run_listing(const struct listing *l, int argc, char **argv,
    const struct config *cfg)
{
	static const struct option opts[] = {
		WINDOW_OPTIONS,
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum table_format format = TABLE_TEXT;
	struct store *s = NULL;
	struct table *t = NULL;
	struct window w;
	struct err err;
	int ch, status = EXIT_OK;

	window_init(&w);
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: %s\n", l->usage);
			return EXIT_OK;
		}
		if ((ch == 'f' && table_parse_format(optarg, &format,
		    &err) == -1) || ((ch == 'D' || ch == 'S' || ch == 'U') &&
		    (!l->has_window || window_option(&w, ch, optarg,
		    &err) == -1)) || ch == '?') {
			if (ch != '?' && (l->has_window || ch == 'f'))
				log_error("%s", err.msg);
			fprintf(stderr, "usage: %s\n", l->usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || window_finish(&w, 14, &err) == -1) {
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
	if (l->list(s, &w, t, &err) == -1 ||
	    print_listing(l, &w, t, format, &err) == -1) {
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
