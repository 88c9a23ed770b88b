/*
 * cmd: the subcommands and the one place where error codes become exit
 * statuses (sysexits, dmarcctl.1 "EXIT STATUS").
 */
#ifndef DMARC_CLI_CMD_H
#define DMARC_CLI_CMD_H

#include "cli/config.h"
#include "common/err.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 64,	/* EX_USAGE */
	EXIT_DATAERR = 65,	/* EX_DATAERR: some input was not a report */
	EXIT_UNAVAILABLE = 69,	/* EX_UNAVAILABLE: database, IMAP server */
	EXIT_SOFTWARE = 70,	/* EX_SOFTWARE */
	EXIT_IOERR = 74,	/* EX_IOERR */
	EXIT_TEMPFAIL = 75,	/* EX_TEMPFAIL: retry later */
};

/* The exit status for an error code. */
int cmd_exit_status(enum err_code code);

/* "0.9.0": the file VERSION, compiled in */
extern const char dmarcctl_version[];

/* Each command: parse its options, do the work, return an exit status. */
int cmd_parse(int argc, char **argv, const struct config *cfg);
int cmd_ingest(int argc, char **argv, const struct config *cfg);
int cmd_fetch(int argc, char **argv, const struct config *cfg);
int cmd_reparse(int argc, char **argv, const struct config *cfg);
int cmd_db(int argc, char **argv, const struct config *cfg);
int cmd_reports(int argc, char **argv, const struct config *cfg);
int cmd_errors(int argc, char **argv, const struct config *cfg);
int cmd_raw(int argc, char **argv, const struct config *cfg);
int cmd_summary(int argc, char **argv, const struct config *cfg);
int cmd_sources(int argc, char **argv, const struct config *cfg);
int cmd_advise(int argc, char **argv, const struct config *cfg);
int cmd_tls(int argc, char **argv, const struct config *cfg);
int cmd_check(int argc, char **argv, const struct config *cfg);
int cmd_dns(int argc, char **argv, const struct config *cfg);
int cmd_failures(int argc, char **argv, const struct config *cfg);

#endif
