/*
 * dmarcctl ingest: files, directories, Maildirs, mbox files and standard
 * input into the database; dmarcctl reparse: the archived originals again,
 * through the current parsers.  Both run cli/pipeline.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/pipeline.h"
#include "common/log.h"
#include "ingest/source.h"
#include "store/store.h"

static int
ingest_path(struct pipeline *g, const char *path)
{
	struct source *src = NULL;
	struct stream *unit;
	const char *name;
	struct err err;
	int r;

	if (source_open(&src, path, &err) == -1) {
		pipeline_begin_unit(g, path);
		pipeline_failure(g, &err);
		return 0;
	}
	while (!g->is_db_lost && (r = source_next(src, &unit, &name,
	    &err)) != 0) {
		if (r == -1) {
			pipeline_begin_unit(g, path);
			pipeline_failure(g, &err);
			continue;
		}
		(void)pipeline_unit(g, unit, name);
	}
	source_free(src);
	return 0;
}

static int
usage(FILE *f)
{
	fprintf(f, "usage: dmarcctl ingest [--dry-run] [--json] PATH...|-\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int
cmd_ingest(int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pipeline g;
	bool is_dry = false, want_json = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "+njh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': is_dry = true; break;
		case 'j': want_json = true; break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (optind >= argc) {
		log_error("ingest: no input given (files, directories, "
		    "Maildirs, mbox files, or - for stdin)");
		return EXIT_USAGE;
	}
	if (pipeline_init(&g, cfg, is_dry) == -1)
		return EXIT_UNAVAILABLE;
	g.want_json = want_json;
	for (int i = optind; i < argc && !g.is_db_lost; i++)
		ingest_path(&g, argv[i]);
	return pipeline_finish(&g);
}

/* reparse: one archived input through the current parsers */
static int
reparse_one(void *ctx, int64_t id, const char *source, const void *data,
    size_t len, struct err *err)
{
	struct pipeline *g = ctx;
	struct store_unit u;
	struct stream *s = NULL;
	struct report_stats st;
	struct err why;

	(void)err;
	memset(&u, 0, sizeof(u));
	u.source = source;
	u.archived_id = id;
	g->inputs++;
	store_set_unit(g->store, &u);
	/* stored gzip'd or as received: either way the content says what
	 * it is */
	stream_new_mem(&s, data, len, source);
	if (report_parse(s, source, &g->cfg->limits, &g->sink, &st,
	    &why) == -1)
		pipeline_failure(g, &why);
	g->reports += st.reports;
	stream_free(s);
	pipeline_progress(g);
	return g->is_db_lost ? -1 : 0;
}

int
cmd_reparse(int argc, char **argv, const struct config *cfg)
{
	struct pipeline g;
	struct err err;

	if (argc > 1) {
		bool is_help = argc == 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0);

		fprintf(is_help ? stdout : stderr, "usage: dmarcctl reparse\n");
		return is_help ? EXIT_OK : EXIT_USAGE;
	}
	if (pipeline_init(&g, cfg, false) == -1)
		return EXIT_UNAVAILABLE;
	if (store_clear_derived(g.store, &err) == -1 ||
	    (store_each_raw(g.store, reparse_one, &g, &err) == -1 &&
	    !g.is_db_lost)) {
		g.db_err = err;
		g.is_db_lost = true;
	}
	return pipeline_finish(&g);
}
