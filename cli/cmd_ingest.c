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
#include "cli/help.h"
#include "cli/pipeline.h"
#include "common/log.h"
#include "ingest/source.h"
#include "store/store.h"

static int
ingest_path(struct pipeline *g, const char *path)
{
	struct source *src = NULL;
	struct err err;

	if (source_open(&src, path, &err) == -1 ||
	    pipeline_drain(g, src, NULL, &err) == -1) {
		/* a path that cannot be opened is a failed input; files are
		 * never lost like a connection */
		pipeline_begin_unit(g, path);
		pipeline_failure(g, &err);
	}
	source_close(src);
	return 0;
}

static int
usage(FILE *f)
{
	return help_usage(f, "ingest");
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

/*
 * reparse: the archived inputs through the current parsers, in one batch
 * (store.h): until it commits, every report is as it was, and a kill at
 * any moment changes nothing.  An input that now fails keeps its old
 * reports; it is listed and recorded once its savepoint is rolled back.
 */
enum { REPARSE_MAX_WHY = 16 };

struct reparse {
	struct pipeline g;
	struct err why[REPARSE_MAX_WHY];
	unsigned n_why;
};

static void
reparse_failure(void *ctx, const struct err *why)
{
	struct reparse *rp = ctx;

	/* the database failed: the batch is lost, say it at once */
	if (why->code == ERR_DB) {
		pipeline_failure(&rp->g, why);
		return;
	}
	if (rp->n_why < REPARSE_MAX_WHY)
		rp->why[rp->n_why] = *why;
	rp->n_why++;
}

static int
reparse_one(void *ctx, int64_t id, const char *source, const void *data,
    size_t len, struct err *err)
{
	struct reparse *rp = ctx;
	struct pipeline *g = &rp->g;
	struct report_sink sink = g->sink;
	struct store_unit u;
	struct stream *s = NULL;
	struct report_stats st;
	struct err why;

	memset(&u, 0, sizeof(u));
	u.source = source;
	u.archived_id = id;
	g->inputs++;
	rp->n_why = 0;
	sink.on_failure = reparse_failure;
	sink.failure_ctx = rp;
	if (store_unit_begin(g->store, id, err) == -1)
		return -1;
	store_set_unit(g->store, &u);
	/* stored gzip'd or as received: either way the content says what
	 * it is */
	stream_new_mem(&s, data, len, source);
	if (report_parse(s, source, &g->cfg->limits, &sink, &st, &why) == -1)
		reparse_failure(rp, &why);
	stream_free(s);
	if (g->is_db_lost)
		return -1;
	if (store_unit_end(g->store, rp->n_why == 0, err) == -1)
		return -1;
	g->reports += rp->n_why == 0 ? st.reports : 0;
	for (unsigned i = 0; i < rp->n_why && i < REPARSE_MAX_WHY; i++)
		pipeline_failure(g, &rp->why[i]);
	if (rp->n_why > REPARSE_MAX_WHY) {
		g->failed += rp->n_why - REPARSE_MAX_WHY;
		log_error("%s: %u more failures", source,
		    rp->n_why - REPARSE_MAX_WHY);
	}
	pipeline_progress(g);
	return g->is_db_lost ? -1 : 0;
}

int
cmd_reparse(int argc, char **argv, const struct config *cfg)
{
	struct reparse rp;
	struct pipeline *g = &rp.g;
	struct err err;
	bool is_failed_only = argc == 2 && strcmp(argv[1], "--failed") == 0;

	if (argc > 1 && !is_failed_only) {
		bool is_help = argc == 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0);

		if (!is_help)
			log_error("reparse: unexpected '%s'", argv[1]);
		return help_usage(is_help ? stdout : stderr, "reparse");
	}
	memset(&rp, 0, sizeof(rp));
	if (pipeline_init(g, cfg, false) == -1)
		return EXIT_UNAVAILABLE;
	/* --failed: only the inputs that failed, the rest untouched */
	if (store_batch_begin(g->store, &err) == -1 ||
	    (!is_failed_only && store_clear_derived(g->store, &err) == -1) ||
	    (store_each_raw(g->store, is_failed_only, reparse_one, &rp,
	    &err) == -1 && !g->is_db_lost) ||
	    (!g->is_db_lost && store_batch_end(g->store, true, &err) == -1)) {
		if (!g->is_db_lost)
			g->db_err = err;
		g->is_db_lost = true;
	}
	if (g->is_db_lost)
		log_error("reparse rolled back: every report is as it was");
	return pipeline_finish(g);
}
