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
#include "cli/help.h"
#include "common/log.h"
#include "common/xalloc.h"

#define DEFAULT_CONFIG "/etc/dmarcctl/dmarcctl.conf"

/* what runs each command; its help is cli/help.c's */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv, const struct config *cfg);
} commands[] = {
	{ "parse", cmd_parse }, { "ingest", cmd_ingest },
	{ "fetch", cmd_fetch }, { "reparse", cmd_reparse }, { "db", cmd_db },
	{ "reports", cmd_reports }, { "errors", cmd_errors },
	{ "raw", cmd_raw }, { "summary", cmd_summary },
	{ "sources", cmd_sources }, { "advise", cmd_advise },
	{ "tls", cmd_tls }, { "check", cmd_check },
	{ "failures", cmd_failures }, { "dns", cmd_dns },
};

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

/* help and version take no options but --help */
static int
builtin_args(const char *name, int argc, char **argv, int max_args)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return help_show(stdout, name);
	if (argc > max_args + 1 || (argc > 1 && argv[1][0] == '-')) {
		log_error("%s: unexpected '%s'", name, argv[1]);
		return help_usage(stderr, name);
	}
	return -1;
}

static int
help(int argc, char **argv)
{
	int status = builtin_args("help", argc, argv, 1);

	if (status != -1)
		return status;
	if (argc < 2) {
		help_overview(stdout);
		return EXIT_OK;
	}
	if (help_find(argv[1]) == NULL) {
		log_error("unknown command '%s' (see dmarcctl help)", argv[1]);
		return EXIT_USAGE;
	}
	return help_show(stdout, argv[1]);
}

static int
version(int argc, char **argv)
{
	int status = builtin_args("version", argc, argv, 0);

	if (status != -1)
		return status;
	printf("dmarcctl %s\n", dmarcctl_version);
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
		case 'h': help_overview(stdout); return EXIT_OK;
		case 'V': printf("dmarcctl %s\n", dmarcctl_version);
			return EXIT_OK;
		default: help_overview(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		help_overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[0], "version") == 0)
		return version(argc, argv);
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
