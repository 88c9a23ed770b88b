/*
 * dmarcctl db migrate | status: the schema, versioned in sql/.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "store/store.h"

static int
print_status(void *ctx, int version, const char *name, const char *at,
    struct err *err)
{
	(void)ctx, (void)err;
	printf("%03d  %-24s %s\n", version, name, *at ? at : "pending");
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
	unsigned applied;
	int status = EXIT_OK;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: dmarcctl db migrate|status\n");
		return EXIT_OK;
	}
	if (argc != 2 || (strcmp(argv[1], "migrate") != 0 &&
	    strcmp(argv[1], "status") != 0)) {
		fprintf(stderr, "usage: dmarcctl db migrate|status\n");
		return EXIT_USAGE;
	}
	if (store_open(&s, cfg->database, &err) == -1) {
		log_error("%s", err.msg);
		return EXIT_UNAVAILABLE;
	}
	if (strcmp(argv[1], "status") == 0) {
		if (store_status(s, print_status, NULL, &err) == -1)
			goto fail;
	} else {
		size_t pending = 0;

		/* nothing to apply: done without writing, so that a
		 * read-only server (a standby, default_transaction_read_only)
		 * that is up to date is not an error */
		if (store_status(s, count_pending, &pending, &err) == -1)
			goto fail;
		if (pending == 0) {
			log_info("the database is up to date");
			store_free(s);
			return EXIT_OK;
		}
		if (store_migrate(s, &applied, &err) == -1)
			goto fail;
		/* silent when there was nothing to do: cron-friendly */
		if (applied > 0)
			log_notice("applied %u migration%s", applied,
			    applied == 1 ? "" : "s");
		else
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
