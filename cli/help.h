/*
 * The help of every command, in one table (cli/help.c).
 */
#ifndef DMARC_CLI_HELP_H
#define DMARC_CLI_HELP_H

#include <stdio.h>

struct help_page {
	const char *name;
	const char *synopsis;	/* after "dmarcctl NAME " */
	const char *summary;	/* one line, in the list of commands */
	const char *text;	/* what it does, a few lines */
	const char *options;	/* "  --flag   what\n" lines */
	const char *examples;	/* "  dmarcctl ...\n" lines */
};

const struct help_page *help_find(const char *name);

/* On stdout (--help) the whole page and EXIT_OK; elsewhere (a usage
 * error) the synopsis and where to read more, and EXIT_USAGE. */
int help_usage(FILE *f, const char *name);

/* The whole page of a command: EXIT_OK, or EXIT_USAGE when unknown. */
int help_show(FILE *f, const char *name);

/* The list of commands. */
void help_overview(FILE *f);

#endif
