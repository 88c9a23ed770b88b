/*
 * fuzz_store: report_parse over arbitrary bytes (any container, any
 * format), every report it accepts stored into a real PostgreSQL database
 * through the store's sink: what a parser accepts, the store must accept.
 *
 * The database is the conninfo in DMARCCTL_FUZZ_DB (fuzz/run.sh starts a
 * throwaway cluster for it); it is migrated at start.  A report the parser
 * delivered whole that the store then refuses (ERR_DB, or any code other
 * than ERR_PARSE and ERR_LIMIT: the documented limits) is printed and
 * abort()s, which libFuzzer records as a crash.  So does a lost
 * connection: the harness cannot tell it from a refusal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/sha256.h"
#include "common/stream.h"
#include "parsers/report.h"
#include "store/store.h"
#include "fuzz/fuzz_sink.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct store *db;
static struct report_sink store_in;	/* the store's own sink */
static unsigned runs;

/* a refusal by the store of what the parser delivered: the bug we want */
static void
check_failure(void *ctx, const struct err *why)
{
	(void)ctx;
	if (why->code == ERR_PARSE || why->code == ERR_LIMIT)
		return;
	fprintf(stderr, "fuzz_store: the store refused a parsed report "
	    "(%s): %s\n", err_code_name(why->code), why->msg);
	abort();
}

static void
fuzz_store_empty(void)
{
	struct err e;

	if (store_select(db, "SET lock_timeout = '200ms'", 0, NULL, NULL,
	    NULL, &e) == -1 || (store_select(db, "TRUNCATE raw_inputs, "
	    "reports, records, record_reasons, dkim_results, spf_results, "
	    "tls_policies, tls_failures, tls_daily, tls_daily_failures, "
	    "domain_daily, source_daily, ingest_errors", 0, NULL, NULL, NULL,
	    &e) == -1 && !store_is_connected(db)) ||
	    store_select(db, "RESET lock_timeout", 0, NULL, NULL, NULL,
	    &e) == -1) {
		fprintf(stderr, "fuzz_store: %s\n", e.msg);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *ci = getenv("DMARCCTL_FUZZ_DB");
	unsigned applied;
	struct err err;

	(void)argc, (void)argv;
	if (ci == NULL || *ci == '\0') {
		fprintf(stderr, "fuzz_store: set DMARCCTL_FUZZ_DB to the "
		    "conninfo of a throwaway database (fuzz/run.sh does)\n");
		exit(1);
	}
	if (store_open(&db, ci, &err) == -1 ||
	    store_migrate(db, &applied, NULL, &err) == -1) {
		fprintf(stderr, "fuzz_store: %s\n", err.msg);
		exit(1);
	}
	store_sink(db, &store_in);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_limits lim;
	struct report_sink sink = store_in;
	struct report_stats st;
	struct store_unit u;
	struct stream *in = NULL;
	struct sha256 h;
	struct err err;

	fuzz_limits(&lim);
	memset(&u, 0, sizeof(u));
	u.source = "fuzz";
	u.size = size;
	u.encoding = "identity";
	u.data = data;
	u.len = size;
	sha256_init(&h);
	sha256_add(&h, data, size);
	sha256_done(&h, u.sha256);
	store_set_unit(db, &u);
	sink.on_failure = check_failure;
	stream_new_mem(&in, data, size, "fuzz");
	if (report_parse(in, "fuzz", &lim, &sink, &st, &err) == -1)
		check_failure(NULL, &err);
	stream_free(in);
	if (!store_is_connected(db)) {
		fprintf(stderr, "fuzz_store: the database connection is "
		    "lost\n");
		abort();
	}
	/* keep the database small: what is stored matters, not how much.
	 * Other fuzzing processes (-fork, -jobs) may be storing: the
	 * TRUNCATE gives up before the server would call it a deadlock
	 * and cancel one of theirs, and it is tried again later */
	if (++runs % 5000 == 0)
		fuzz_store_empty();
	return 0;
}
