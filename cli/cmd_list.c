/*
 * dmarcctl reports | errors: what is stored, and what could not be.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/log.h"
#include "store/store.h"

struct listing {
	const char *name;
	const char *usage;
	bool has_window;
	const char *sql;
	const char *const *numeric;
};

static const char *const report_numbers[] = { "records", "messages", NULL };
static const char *const error_numbers[] = { "id", NULL };

static const struct listing listings[] = {
	{ "reports", "dmarcctl reports [--days N | --since DATE --until DATE] "
	  "[--format text|json|csv]", true,
	  "SELECT kind, domain, org_name AS reporter, report_id, "
	  "to_char(begin_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS begin, "
	  "to_char(end_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS end, records, "
	  "messages FROM reports WHERE begin_at >= $1 AND begin_at < $2 "
	  "ORDER BY begin_at, domain, org_name, report_id", report_numbers },
	{ "errors", "dmarcctl errors [--format text|json|csv]", false,
	  "SELECT id, to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS at, "
	  "source, code, cause, CASE WHEN raw_id IS NULL THEN source ELSE "
	  "'raw_inputs.id=' || raw_id END AS original FROM ingest_errors "
	  "ORDER BY at, id", error_numbers },
};

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
	const char *params[2];
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
	params[0] = w.since_text;
	params[1] = w.until_text;
	if (store_open(&s, cfg->database, &err) == -1 ||
	    store_check_schema(s, &err) == -1) {
		log_error("%s", err.msg);
		store_free(s);
		return EXIT_UNAVAILABLE;
	}
	table_new(&t, l->numeric);
	if (store_select(s, l->sql, l->has_window ? 2 : 0, params,
	    table_add_row, t, &err) == -1 ||
	    table_print(t, format, l->name, stdout, &err) == -1) {
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
