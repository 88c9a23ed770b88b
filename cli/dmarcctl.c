/*
 * dmarcctl: main, global options and the command table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/config.h"
#include "common/log.h"
#include "common/xalloc.h"

#define DEFAULT_CONFIG "/etc/dmarcctl/dmarcctl.conf"
#define USAGE_WIDTH 38	/* the column of the list of commands */

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct config *cfg);
	const char *usage;
	const char *help;
} commands[] = {
	{ "parse", cmd_parse, "parse [--records] FILE...|-",
	  "print the reports found in files (no database)" },
	{ "ingest", cmd_ingest, "ingest [--dry-run] [--json] PATH...|-",
	  "store the reports of files, directories, Maildirs, mbox" },
	{ "fetch", cmd_fetch,
	  "fetch [--account NAME] [--dry-run] [--json] [--watch] [--insecure]",
	  "store the reports of the IMAP mailboxes of [imap], then move them" },
	{ "reparse", cmd_reparse, "reparse",
	  "rebuild every stored row from the archived originals" },
	{ "db", cmd_db, "db migrate|status|prune --older-than DAYS",
	  "apply / list the schema migrations" },
	{ "reports", cmd_reports, "reports [WINDOW] [--format F]",
	  "list the stored reports" },
	{ "errors", cmd_errors, "errors [--format F]",
	  "list the inputs that held no valid report" },
	{ "summary", cmd_summary,
	  "summary [WINDOW] [--domain D] [--no-dns] [--format F]",
	  "per domain: volume, pass rates, policy, verdict" },
	{ "sources", cmd_sources,
	  "sources [WINDOW] [--domain D] [--class C] [--limit N] "
	  "[--addresses] [--no-dns] [--format F]",
	  "who sends as your domains: senders, named and classified" },
	{ "advise", cmd_advise,
	  "advise [WINDOW] [--domain D] [--no-dns] [--format F]",
	  "ready for quarantine / reject? what to fix first" },
	{ "tls", cmd_tls, "tls [WINDOW] [--domain D] [--format F]",
	  "TLS-RPT per domain and MX; ready for MTA-STS enforce?" },
	{ "check", cmd_check, "check [--domain D] [--max-silence DAYS]",
	  "for monitoring: exit 1 when reports stop or mail starts failing" },
	{ "failures", cmd_failures, "failures [WINDOW] [--domain D] [--format F]",
	  "failure report samples per sender: what failed, and how" },
	{ "dns", cmd_dns, "dns [--domain D] [--probe] [--format F]",
	  "what each domain really publishes, checked: DMARC, SPF, DKIM, "
	  "MTA-STS, TLS-RPT, MX" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: dmarcctl [--db CONNINFO] [-c FILE] [-q|-v] "
	    "COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		/* a usage too long for its column: its help on the next line */
		if (strlen(c->usage) > USAGE_WIDTH)
			fprintf(f, "  %s\n  %-*s %s\n", c->usage, USAGE_WIDTH,
			    "", c->help);
		else
			fprintf(f, "  %-*s %s\n", USAGE_WIDTH, c->usage,
			    c->help);
	}
	fprintf(f, "  %-*s %s\n", USAGE_WIDTH, "help [COMMAND]",
	    "show this help");
	fprintf(f, "\nWINDOW: --days N, or --since DATE --until DATE (UTC); "
	    "F: text, json or csv.\nSee dmarcctl(1).\n");
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* flags beat environment beat file: load the file, then override */
static int
load_config(struct config *cfg, const char *path, const char *db,
    struct err *err)
{
	const char *env, *db_from = NULL;

	if (path == NULL)
		path = getenv("DMARCCTL_CONFIG");
	if (path != NULL) {
		log_debug("config file %s", path);
		if (config_load(cfg, path, false, err) == -1)
			return -1;
	} else {
		log_debug("config file %s, if it exists", DEFAULT_CONFIG);
		if (config_load(cfg, DEFAULT_CONFIG, true, err) == -1)
			return -1;
	}
	if (cfg->database != NULL)
		db_from = "the config file";
	if ((env = getenv("DMARCCTL_DB")) != NULL) {
		if (config_set(cfg, "", "database", env, err) == -1)
			return -1;
		db_from = "DMARCCTL_DB";
	}
	if (db != NULL) {
		if (config_set(cfg, "", "database", db, err) == -1)
			return -1;
		db_from = "--db";
	}
	/* where the conninfo came from, never what it says: it may hold a
	 * password */
	log_debug("database from %s", db_from != NULL ? db_from :
	    "libpq's PG* variables and defaults");
	/* a secret: never a setting of the file, never a flag */
	if ((env = getenv("DMARCCTL_IMAP_PASSWORD")) != NULL && *env != '\0')
		cfg->imap_password = xstrdup(env);
	return 0;
}

static int
help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		log_error("unknown command '%s'", argv[1]);
		return EXIT_USAGE;
	}
	printf("usage: dmarcctl %s\n%s\n", c->usage, c->help);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *cfgpath = NULL;
	const struct command *c;
	struct config cfg;
	struct err err;
	int ch, status;

	config_init(&cfg);
	while ((ch = getopt_long(argc, argv, "+c:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'q': log_set_level(LOG_QUIET); break;
		case 'v': log_set_level(log_get_level() + 1); break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("dmarcctl %s\n", dmarcctl_version);
			return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[0], "version") == 0 && argc == 1) {
		printf("dmarcctl %s\n", dmarcctl_version);
		return EXIT_OK;
	}
	c = find_command(argv[0]);
	if (c == NULL) {
		log_error("unknown command '%s' (see dmarcctl help)", argv[0]);
		return EXIT_USAGE;
	}
	if (load_config(&cfg, cfgpath, db, &err) == -1) {
		log_error("%s", err.msg);
		config_release(&cfg);
		return cmd_exit_status(err.code);
	}
	log_debug("command %s", c->name);
	optind = 0;	/* glibc: reinitialise getopt for the command */
	status = c->run(argc, argv, &cfg);
	config_release(&cfg);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_error("cannot write output: standard output failed");
		return EXIT_IOERR;
	}
	return status;
}
