#include "cli/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/str.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "parsers/decomp.h"
#include "store/store.h"

/* units up to this size are held whole; larger ones go through a file */
enum { INLINE_MAX = 1u << 20 };


/* parts that held no valid report: say so, and record it */
static void
on_failure(void *ctx, const struct err *why)
{
	pipeline_failure(ctx, why);
}

void
pipeline_failure(struct pipeline *g, const struct err *why)
{
	struct err err;

	if (why->code == ERR_DB) {
		if (!g->is_db_lost)
			g->db_err = *why;
		g->is_db_lost = true;
		return;
	}
	g->failed++;
	g->has_io_error |= why->code == ERR_IO;
	log_error("%s", why->msg);
	if (g->store != NULL && !g->is_db_lost &&
	    store_record_error(g->store, why, &err) == -1) {
		/* the record itself refused (a name the server will not
		 * take): said here, and the run goes on */
		if (err.code == ERR_REFUSED) {
			log_error("cannot record the failure: %s", err.msg);
			return;
		}
		g->db_err = err;
		g->is_db_lost = true;
	}
}

/* a queued report the database refused, its unit current again */
static void
on_refused(void *ctx, const char *source, const struct err *why)
{
	struct pipeline *g = ctx;
	size_t i;

	for (i = 0; i < g->n_held && strcmp(g->held[i].name, source) != 0;
	    i++)
		;
	if (i < g->n_held)
		g->held[i].refused++;
	else
		g->unit_refused++;	/* the unit at hand */
	pipeline_failure(g, why);
}

/* what the store queued, written (a database failure stops the run) */
static void
flush(struct pipeline *g)
{
	struct err err;

	if (g->store == NULL || g->is_db_lost ||
	    store_flush(g->store, &err) == 0)
		return;
	g->db_err = err;
	g->is_db_lost = true;
}

/* --dry-run: count what would be stored */
static int
dry_end(void *ctx, const struct report *r, struct err *err)
{
	struct pipeline *g = ctx;

	bool is_seen = false;
	struct err why;

	(void)err;
	if (g->dry_store != NULL &&
	    store_report_seen(g->dry_store, r, &is_seen, &why) == -1) {
		log_warn("dry run: %s: every report counted as new", why.msg);
		store_free(g->dry_store);
		g->dry_store = NULL;
	}
	if (is_seen) {
		g->dry_duplicates++;
		return 0;
	}
	g->dry_reports++;
	g->dry_records += r->records;
	return 0;
}

/* a failure report's sample, in a dry run: counted by dry_end */
static int
dry_sample(void *ctx, const struct report *r, const struct failure_sample *f,
    struct err *err)
{
	(void)ctx, (void)r, (void)f, (void)err;
	return 0;
}

/* the original, as it will be archived: plain text is kept gzip'd */
static int
prepare_unit(struct store_unit *u, const char *data, size_t len,
    const char *name, char **gz, struct err *err)
{
	struct sha256 h;
	size_t gzlen;

	memset(u, 0, sizeof(*u));
	u->source = name;
	u->size = len;
	sha256_init(&h);
	sha256_add(&h, data, len);
	sha256_done(&h, u->sha256);
	u->data = data;
	u->len = len;
	u->encoding = "identity";
	if (decomp_is_gzip((const unsigned char *)data, len) ||
	    decomp_is_zip((const unsigned char *)data, len))
		return 0;
	if (decomp_gzip_mem(data, len, len + 1024, gz, &gzlen, err) == -1)
		return -1;
	u->data = *gz;
	u->len = gzlen;
	u->encoding = "gzip";
	return 0;
}

/* a new unit: what failures are recorded against, until it has data */
void
pipeline_begin_unit(struct pipeline *g, const char *name)
{
	struct store_unit u;

	memset(&u, 0, sizeof(u));
	u.source = name;
	g->inputs++;
	if (g->store != NULL)
		store_set_unit(g->store, &u);
}

void
pipeline_progress(struct pipeline *g)
{
	time_t now = time(NULL);
	double secs;
	char done[64];

	if (!log_want_progress() || now == g->last_progress)
		return;
	if (g->started == 0)
		g->started = now;
	g->last_progress = now;
	secs = now > g->started ? (double)(now - g->started) : 1;
	/* a mailbox says how many messages it holds; a tree of files
	 * is counted as it is walked */
	if (g->total > 0 && g->index <= g->total)
		snprintf(done, sizeof(done), "message %zu of %zu", g->index,
		    g->total);
	else
		snprintf(done, sizeof(done), "%u inputs", g->inputs);
	log_progress("%s (%.0f/s), %u reports, %u failed", done,
	    g->inputs / secs, g->reports, g->failed);
}

/*
 * An input whose original cannot be archived (one bytea holds so much) is
 * refused whole: storing its reports would break the promise that every
 * stored report has its original.  Recorded without it, and said so.
 */
static int
check_archivable(const struct pipeline *g, uint64_t size, bool is_whole,
    struct err *err)
{
	unsigned long long max = g->cfg->max_archive;

	if (size <= max)
		return 0;
	return err_set(err, ERR_LIMIT, "%s%llu bytes, larger than [limits] "
	    "max_archive (%llu bytes): not stored, and the original is not "
	    "archived", is_whole ? "" : "more than ",
	    (unsigned long long)(is_whole ? size : max), max);
}

/*
 * A unit too large to hold: the prefix already read and the rest of the
 * stream go to a temporary file, hashed on the way; no further than the
 * largest original that can be archived.
 */
static int
spool_unit(const struct pipeline *g, const char *prefix, size_t len,
    struct stream *in, struct store_unit *u, FILE **out, struct err *err)
{
	FILE *f = tmpfile();
	char chunk[65536];
	struct sha256 h;
	ssize_t n;

	if (f == NULL)
		return err_set(err, ERR_IO, "cannot create a temporary file");
	sha256_init(&h);
	sha256_add(&h, prefix, len);
	u->size = len;
	u->encoding = decomp_is_gzip((const unsigned char *)prefix, len) ||
	    decomp_is_zip((const unsigned char *)prefix, len) ? "identity" :
	    "gzip";
	if (fwrite(prefix, 1, len, f) != len)
		goto io;
	while ((n = stream_read(in, chunk, sizeof(chunk), err)) > 0) {
		sha256_add(&h, chunk, (size_t)n);
		u->size += (uint64_t)n;
		if (check_archivable(g, u->size, false, err) == -1) {
			fclose(f);
			return -1;
		}
		if (fwrite(chunk, 1, (size_t)n, f) != (size_t)n)
			goto io;
	}
	if (n == -1 || fflush(f) == EOF) {
		if (n != -1)
			err_set(err, ERR_IO, "cannot write a temporary file");
		fclose(f);
		return -1;
	}
	sha256_done(&h, u->sha256);
	*out = f;
	return 0;
io:
	fclose(f);
	return err_set(err, ERR_IO, "cannot write a temporary file");
}

/* a stream over the spool file from its start (the FILE stays open) */
static void
spool_stream(FILE *f, struct stream **out, const char *name)
{
	lseek(fileno(f), 0, SEEK_SET);
	stream_new_fd(out, fileno(f), false, name);
}

static int
archive_spool(struct pipeline *g, struct store_unit *u, FILE *f,
    struct err *err)
{
	struct stream *raw = NULL, *gz = NULL;
	int ret;

	spool_stream(f, &raw, u->source);
	if (strcmp(u->encoding, "gzip") == 0)
		decomp_gzip_stream(&gz, raw);
	ret = store_archive_stream(g->store, u, gz ? gz : raw,
	    &u->archived_id, err);
	stream_free(gz);
	stream_free(raw);
	return ret;
}

enum unit_fate
pipeline_unit(struct pipeline *g, struct stream *in, const char *name)
{
	const struct report_limits *lim = &g->cfg->limits;
	struct stream *s = NULL;
	struct store_unit u;
	struct report_stats st;
	char *data = NULL, *gz = NULL;
	FILE *spool = NULL;
	size_t len;
	bool is_whole;
	enum unit_fate fate = UNIT_REJECTED;
	struct err err;

	pipeline_begin_unit(g, name);
	g->unit_reports = 0;
	memset(&u, 0, sizeof(u));
	u.source = name;
	if (stream_read_upto(in, INLINE_MAX, &data, &len, &is_whole, &err) == -1 ||
	    check_archivable(g, len, is_whole, &err) == -1 ||
	    (is_whole && prepare_unit(&u, data, len, name, &gz,
	    &err) == -1) ||
	    (!is_whole && spool_unit(g, data, len, in, &u, &spool,
	    &err) == -1) ||
	    (spool != NULL && g->store != NULL &&
	    archive_spool(g, &u, spool, &err) == -1)) {
		err_wrap(&err, "%s", name);
		on_failure(g, &err);
		goto out;
	}
	if (spool != NULL)
		spool_stream(spool, &s, name);
	else
		stream_new_mem(&s, data, len, name);
	if (g->store != NULL)
		store_set_unit(g->store, &u);
	g->unit_refused = 0;
	if (report_parse(s, name, lim, &g->sink, &st, &err) == -1)
		on_failure(g, &err);
	g->reports += st.reports;
	g->unit_reports = st.reports;
	/* refused: when the queue was written while the unit was read */
	fate = st.reports > g->unit_refused ? UNIT_STORED : UNIT_REJECTED;
out:
	stream_free(s);
	if (spool != NULL)
		fclose(spool);
	free(data);
	free(gz);
	pipeline_progress(g);
	return g->is_db_lost ? UNIT_STOPPED : fate;
}

/* a unit whose source failed it: ERR_NET stops, anything else is its
 * failure */
static enum unit_fate
source_failure(struct pipeline *g, const char *name, const struct err *why)
{
	pipeline_begin_unit(g, name);
	pipeline_failure(g, why);
	return g->is_db_lost ? UNIT_STOPPED : UNIT_REJECTED;
}

/* what became of a unit, told to its source */
static int
ack(struct pipeline *g, struct source *src, const char *id, const char *name,
    bool is_stored, bool is_said, struct err *err)
{
	const char *moved_to;

	(void)g;
	if (source_ack(src, id, is_stored ? SOURCE_STORED : SOURCE_FAILED,
	    &moved_to, err) == -1)
		return -1;
	if (is_said && !is_stored && moved_to != NULL)
		log_notice("%s: moved to %s", name, moved_to);
	return 0;
}

/* the held units, their reports committed now: acked */
static int
settle(struct pipeline *g, struct source *src, struct err *err)
{
	int ret = 0;

	for (size_t i = 0; i < g->n_held; i++) {
		struct held_unit *h = &g->held[i];

		if (ret == 0 && ack(g, src, h->id, h->name, h->reports >
		    h->refused, true, err) == -1)
			ret = -1;
		free(h->id);
		free(h->name);
	}
	g->n_held = 0;
	return ret;
}

static void
hold(struct pipeline *g, const struct source_unit *u)
{
	struct held_unit *h;

	if (g->n_held == g->cap_held) {
		g->cap_held = g->cap_held ? g->cap_held * 2 : 64;
		g->held = xreallocarray(g->held, g->cap_held,
		    sizeof(*g->held));
	}
	h = &g->held[g->n_held++];
	h->id = xstrdup(u->id);
	h->name = xstrdup(u->name);
	h->reports = g->unit_reports;
	h->refused = g->unit_refused;
}

/*
 * A unit whose reports wait in the store's queue is held, and acked (a
 * message moved) once the queue is written: only what is committed
 * leaves a mailbox.
 */
int
pipeline_drain(struct pipeline *g, struct source *src,
    volatile sig_atomic_t *stop, struct err *err)
{
	struct source_unit u;
	enum unit_fate fate;
	struct err why;
	int r;

	while (!g->is_db_lost && (stop == NULL || !*stop) &&
	    (r = source_next(src, &u, &why)) != 0) {
		if (r == -1 && why.code == ERR_NET) {
			*err = why;
			return -1;	/* what waits to move is seen again */
		}
		g->index = u.index;
		g->total = u.total;
		if (g->started == 0)
			g->started = time(NULL);
		fate = r == 1 ? pipeline_unit(g, u.stream, u.name) :
		    source_failure(g, u.name, &why);
		if (fate == UNIT_STOPPED)
			break;	/* the database failed: this one stays */
		/* the queue was written: what was held is committed */
		if (g->store != NULL && store_queued(g->store) == 0 &&
		    settle(g, src, err) == -1)
			return -1;
		if (r == 1 && fate == UNIT_STORED && u.id != NULL &&
		    g->store != NULL && store_queued(g->store) > 0)
			hold(g, &u);
		else if (ack(g, src, u.id, u.name, fate == UNIT_STORED, r == 1,
		    err) == -1)
			return -1;
	}
	flush(g);
	/* the database failed: what is held stays, seen again next time */
	if (!g->is_db_lost && settle(g, src, err) == -1)
		return -1;
	return source_flush(src, err);
}

void
pipeline_counts(const struct pipeline *g, struct pipeline_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->inputs = g->inputs;
	out->reports = g->reports;
	out->new_reports = g->dry_reports;
	out->duplicate = g->dry_duplicates;
	out->failed = g->failed;
	out->records = g->dry_records;
	out->archived = g->archived;
	out->rejected = g->rejected;
	out->is_dry = g->store == NULL;
	if (g->store != NULL) {
		const struct store_stats *st = store_stats(g->store);

		out->new_reports = st->reports_new;
		out->duplicate = st->reports_duplicate;
		out->records = st->records;
	}
}

void
pipeline_counts_add(struct pipeline_counts *sum,
    const struct pipeline_counts *c)
{
	sum->inputs += c->inputs;
	sum->reports += c->reports;
	sum->new_reports += c->new_reports;
	sum->duplicate += c->duplicate;
	sum->failed += c->failed;
	sum->records += c->records;
	sum->archived += c->archived;
	sum->rejected += c->rejected;
	sum->is_dry = sum->is_dry || c->is_dry;
}

void
pipeline_json_keys(const struct pipeline_counts *c, bool is_mailbox)
{
	printf("\"inputs\":%u,\"reports\":%u,\"new\":%u,"
	    "\"duplicate\":%u,\"failed\":%u,\"records\":%llu",
	    c->inputs, c->reports, c->new_reports, c->duplicate, c->failed,
	    (unsigned long long)c->records);
	if (is_mailbox)
		printf(",\"archived\":%u,\"rejected\":%u", c->archived,
		    c->rejected);
}

void
pipeline_text(const struct pipeline_counts *c, bool is_mailbox,
    const char *who)
{
	if (log_get_level() < LOG_NORMAL)
		return;
	fprintf(stderr, "dmarcctl: %s%s%u inputs, %u reports (%u new, %u "
	    "duplicate), %u failed, %llu records %s",
	    who != NULL ? who : "", who != NULL ? ": " : "",
	    c->inputs, c->reports, c->new_reports, c->duplicate,
	    c->failed, (unsigned long long)c->records, c->is_dry ?
	    "would be stored (dry run: nothing stored)" : "stored");
	if (is_mailbox)
		fprintf(stderr, "; %u messages moved to the archive, %u to "
		    "errors", c->archived, c->rejected);
	fputc('\n', stderr);
}

static void
summary(struct pipeline *g)
{
	struct pipeline_counts c;

	flush(g);
	pipeline_counts(g, &c);
	log_progress_clear();
	if (g->want_json) {
		putchar('{');
		pipeline_json_keys(&c, g->is_mailbox);
		printf("}\n");
	}
	pipeline_text(&c, g->is_mailbox, NULL);
}

/* [failures] keep: what a failure report's sample keeps */
static int
set_failure_keep(struct pipeline *g, struct err *err)
{
	static const struct {
		const char *word;
		enum failure_keep keep;
	} words[] = {
		{ "metadata", KEEP_METADATA }, { "headers", KEEP_HEADERS },
		{ "full", KEEP_FULL },
	};
	const char *v = g->cfg->failures_keep;

	if (v == NULL) {
		store_set_failure_keep(g->store, KEEP_METADATA);
		return 0;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(v, words[i].word) == 0) {
			store_set_failure_keep(g->store, words[i].keep);
			return 0;
		}
	return err_set(err, ERR_USAGE, "[failures] keep: '%s' is not "
	    "metadata, headers or full", v);
}

/* connect to a migrated database; the store's sink becomes inner */
static int
open_store(struct pipeline *g)
{
	struct err err;

	if (store_open(&g->store, g->cfg->database, &err) == -1 ||
	    store_check_schema(g->store, &err) == -1) {
		log_error("%s", err.msg);
		store_free(g->store);
		g->store = NULL;
		return -1;
	}
	if (set_failure_keep(g, &err) == -1) {
		log_error("%s", err.msg);
		store_free(g->store);
		g->store = NULL;
		return -1;
	}
	/* the store's sink goes straight to the parser; failures are ours */
	store_sink(g->store, &g->sink);
	store_queue(g->store, on_refused, g);
	g->sink.on_failure = on_failure;
	g->sink.failure_ctx = g;
	return 0;
}

int
pipeline_init(struct pipeline *g, const struct config *cfg, bool is_dry)
{
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	if (is_dry) {
		struct err err;

		g->sink = (struct report_sink){ g, NULL, NULL, NULL, dry_end,
			NULL, on_failure, NULL, dry_sample };
		/* the reports stored already are duplicates, as they would
		 * be; no database is no reason not to parse */
		if (store_open(&g->dry_store, cfg->database, &err) == -1 ||
		    store_check_schema(g->dry_store, &err) == -1) {
			log_info("dry run without the database (%s): every "
			    "report counted as new", err.msg);
			store_free(g->dry_store);
			g->dry_store = NULL;
		}
		return 0;
	}
	return open_store(g);
}

/* [failures] retention: samples past it go after each run (a failure is
 * said and changes nothing else: the reports are stored) */
static void
prune_failures(struct pipeline *g)
{
	char before[32];
	long days;
	long long n;
	struct err err;

	if (g->cfg->failures_retention == NULL)
		return;
	if (str_to_long(g->cfg->failures_retention, 1, 36500, &days,
	    "[failures] retention", &err) == -1 ||
	    (timefmt_iso((int64_t)time(NULL) - (int64_t)days * 86400, before,
	    sizeof(before)), store_prune_failures(g->store, before, false, &n,
	    &err)) == -1) {
		log_warn("%s", err.msg);
		return;
	}
	if (n > 0)
		log_info("deleted %lld failure report%s older than %ld days "
		    "([failures] retention)", n, n == 1 ? "" : "s", days);
}

/* the summary, and the exit status of the run */
int
pipeline_finish(struct pipeline *g)
{
	summary(g);
	return pipeline_end(g);
}

int
pipeline_end(struct pipeline *g)
{
	int status = EXIT_OK;

	flush(g);
	if (!g->is_db_lost && g->store != NULL)
		prune_failures(g);
	if (g->is_db_lost) {
		log_error("%s", g->db_err.msg);
		/* a dropped connection is worth a retry; anything else is not
		 * a server that works */
		status = store_is_connected(g->store) ? EXIT_UNAVAILABLE :
		    EXIT_TEMPFAIL;
	} else if (g->failed > 0) {
		status = g->has_io_error ? EXIT_IOERR : EXIT_DATAERR;
	}
	store_free(g->store);
	store_free(g->dry_store);
	g->store = NULL;
	for (size_t i = 0; i < g->n_held; i++) {
		free(g->held[i].id);
		free(g->held[i].name);
	}
	free(g->held);
	g->held = NULL;
	g->n_held = 0;
	return status;
}

