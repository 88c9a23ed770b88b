/*
 * dmarcctl db migrate | status: the schema, versioned in sql/, and on
 * Citus its distribution.
 * dmarcctl db prune --older-than DAYS [--dry-run]: reports, their
 * originals and failure samples past their time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "cli/help.h"
#include "cli/opt.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/store.h"


/*
 * Retention, in whole months: the aggregate and TLS reports whose period
 * began before the first of the month DAYS days ago falls in (so that
 * the monthly partitions of their records are dropped whole), their
 * rollups, the errors recorded before it and the originals nothing names
 * any more; and the failure samples that arrived more than DAYS days ago.
 */
static int
prune(struct store *s, long days, bool is_dry, struct err *err)
{
	char cut[32], month[48];
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;
	struct store_pruned p;
	long long n;

	gmtime_r(&t, &tm);
	timefmt_iso((int64_t)t, cut, sizeof(cut));
	snprintf(month, sizeof(month), "%04d-%02d-01T00:00:00Z",
	    tm.tm_year + 1900, tm.tm_mon + 1);
	if (store_prune_reports(s, month, is_dry, &p, err) == -1 ||
	    store_prune_failures(s, cut, is_dry, &n, err) == -1)
		return -1;
	if (is_dry) {
		printf("%lld failure report%s arrived before %s: would be "
		    "deleted\n", n, n == 1 ? "" : "s", cut);
		printf("%lld report%s begun before %s, %lld error%s and %lld "
		    "partition%s of records: would be deleted\n", p.reports,
		    p.reports == 1 ? "" : "s", month, p.errors, p.errors == 1 ?
		    "" : "s", p.partitions, p.partitions == 1 ? "" : "s");
	} else {
		log_notice("deleted %lld report%s begun before %s, %lld "
		    "error%s and %lld partition%s of records", p.reports,
		    p.reports == 1 ? "" : "s", month, p.errors, p.errors == 1 ?
		    "" : "s", p.partitions, p.partitions == 1 ? "" : "s");
		log_notice("deleted %lld failure report%s that arrived before "
		    "%s", n, n == 1 ? "" : "s", cut);
	}
	return 0;
}

/* "prune --older-than DAYS [--dry-run]": 0 and the values, or -1 */
static int
prune_args(int argc, char **argv, long *days, bool *is_dry, struct err *err)
{
	*days = -1;
	*is_dry = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			*is_dry = true;
		else if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc) {
			if (opt_long("--older-than", argv[++i], 1, 36500, days,
			    err) == -1)
				return -1;
		} else
			return err_set(err, ERR_USAGE, "db prune: unexpected "
			    "'%s'", argv[i]);
	}
	if (*days < 0)
		return err_set(err, ERR_USAGE, "db prune: --older-than DAYS "
		    "is required");
	return 0;
}

static int
print_status(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	(void)ctx, (void)err;
	printf("%03d  %-24s %s\n", version, name, *at ? at : "pending");
	return 0;
}

/* the first line of db status: where the tables live */
static int
print_mode(struct store *s, struct err *err)
{
	struct store_mode m;

	if (store_mode(s, &m, err) == -1)
		return -1;
	printf("version: %s\n", dmarcctl_version);
	if (!m.is_citus)
		printf("mode: single node\n");
	else if (m.undistributed == 0)
		printf("mode: distributed (Citus, %u worker%s)\n", m.workers,
		    m.workers == 1 ? "" : "s");
	else
		printf("mode: distributed (Citus, %u worker%s; %u table%s not "
		    "yet distributed: run dmarcctl db migrate)\n", m.workers,
		    m.workers == 1 ? "" : "s", m.undistributed,
		    m.undistributed == 1 ? "" : "s");
	return 0;
}

static int
count_pending(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	(void)version, (void)name, (void)err;
	if (*at == '\0')
		(*(size_t *)ctx)++;
	return 0;
}

int
cmd_db(int argc, char **argv, const struct config *cfg)
{
	struct store *s = NULL;
	struct err err;
	unsigned applied, spread;
	int status = EXIT_OK;
	long days = 0;
	bool is_dry = false, is_prune = argc >= 2 &&
	    strcmp(argv[1], "prune") == 0;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		return help_usage(stdout, "db");
	}
	if (is_prune && prune_args(argc, argv, &days, &is_dry, &err) == -1) {
		log_error("%s", err.msg);
		return help_usage(stderr, "db");
	}
	if (!is_prune && (argc != 2 || (strcmp(argv[1], "migrate") != 0 &&
	    strcmp(argv[1], "status") != 0))) {
		return help_usage(stderr, "db");
	}
	if (store_open(&s, cfg->database, &err) == -1 ||
	    (is_prune && store_check_schema(s, &err) == -1)) {
		log_error("%s", err.msg);
		store_free(s);
		return EXIT_UNAVAILABLE;
	}
	if (is_prune) {
		if (prune(s, days, is_dry, &err) == -1)
			goto fail;
	} else if (strcmp(argv[1], "status") == 0) {
		if (print_mode(s, &err) == -1 ||
		    store_status(s, print_status, NULL, &err) == -1)
			goto fail;
	} else {
		size_t pending = 0;
		struct store_mode m;

		/* nothing to apply: done without writing, so that a
		 * read-only server (a standby, default_transaction_read_only)
		 * that is up to date is not an error */
		if (store_status(s, count_pending, &pending, &err) == -1 ||
		    store_mode(s, &m, &err) == -1)
			goto fail;
		/* a database moved onto Citus (pg_dump) is up to date but
		 * not yet distributed */
		if (pending == 0 && m.undistributed == 0) {
			log_info("the database is up to date");
			store_free(s);
			return EXIT_OK;
		}
		if (store_migrate(s, &applied, &spread, &err) == -1)
			goto fail;
		/* silent when there was nothing to do: cron-friendly */
		if (applied > 0)
			log_notice("applied %u migration%s", applied,
			    applied == 1 ? "" : "s");
		if (spread > 0)
			log_notice("distributed %u table%s over %u Citus "
			    "worker%s", spread, spread == 1 ? "" : "s",
			    m.workers, m.workers == 1 ? "" : "s");
		if (applied == 0 && spread == 0)
			log_info("the database is up to date");
	}
	store_free(s);
	return status;
fail:
	log_error("%s", err.msg);
	status = store_is_connected(s) ? EXIT_UNAVAILABLE : EXIT_TEMPFAIL;
	store_free(s);
	return status;
}
