/*
 * config: dmarcctl's settings, read once in cli/ and passed down as a const
 * pointer.  Flags beat environment, environment beats the file
 * (dmarcctl.1 "CONFIGURATION").  Modules never call getenv.
 */
#ifndef DMARC_CLI_CONFIG_H
#define DMARC_CLI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/verdict.h"
#include "common/err.h"
#include "parsers/report.h"

/*
 * The largest input whose original can be archived: one bytea sent as
 * hex text in one COPY line, and PostgreSQL takes at most 1 GiB of either.
 * 500 MiB is 1000 MiB of hex, with room for the rest of the line.
 */
#define CONFIG_MAX_ARCHIVE ((uint64_t)500 << 20)

/*
 * One IMAP account: [imap] or an [imap.NAME] section.  NULL: not set (in a
 * section: inherited from [imap]).  Kept as text; read by fetch.
 */
struct config_imap {
	char *name;		/* NAME of [imap.NAME]; NULL for [imap] */
	char *host;
	char *port;
	char *tls;
	char *user;
	char *password_file;
	char *ca_file;
	char *mailbox;
	char *archive;
	char *errors;
	char *timeout;		/* seconds */
};

/* the longest NAME of [imap.NAME] */
#define CONFIG_ACCOUNT_MAX 32

struct config {
	char *path;		/* the config file read, or NULL */
	char *database;		/* libpq conninfo, or NULL for PG* defaults */
	struct report_limits limits;
	uint64_t max_archive;	/* [limits]: larger inputs are refused */
	struct config_imap imap;	/* [imap] */
	char *imap_password;	/* from $DMARCCTL_IMAP_PASSWORD only */
	/* the [imap.NAME] sections, in the order of the file */
	struct config_imap *imap_accounts;
	size_t n_imap_accounts;
	/* [failures] */
	char *failures_keep;	/* metadata | headers | full, NULL:
				 * metadata */
	char *failures_retention;	/* days a sample is kept, NULL:
					 * forever */
	/* [analysis] */
	char *dns_server;	/* "IP[:PORT]" for reverse DNS, NULL: system */
	char *dns_timeout;	/* milliseconds per query */
	char *authorized;	/* senders the user vouches for: IPs or
				 * domains, separated by commas or spaces */
	char *dkim_selectors;	/* the user's DKIM selectors, separated by
				 * commas or spaces (dmarcctl dns) */
	char *rdns_budget;	/* seconds for the reverse DNS of a command */
	char *dns_budget;	/* seconds for all of one domain's live
				 * checks */
	char *tls_ca_file;	/* trust store of the MTA-STS fetch and the
				 * MX probe, NULL: the system's */
	char *mta_sts_port;	/* HTTPS port of the policy host, NULL: 443 */
	char *smtp_port;	/* port of the MX probe, NULL: 25 */
	struct verdict_thresholds thresholds;
};

/* Defaults only. */
void config_init(struct config *cfg);
void config_release(struct config *cfg);

/*
 * Read an INI file (key = value, [section], # comments) into cfg.  Unknown
 * keys are ERR_USAGE naming file and line, so typos do not go unnoticed.
 * With is_optional, a missing file is not an error.
 */
int config_load(struct config *cfg, const char *path, bool is_optional,
    struct err *err);

/*
 * Set one "section.key" (or "key" for the top section) from text.  A
 * section "imap.NAME" is an account of its own (created on first use);
 * a NAME other than letters, digits, '-' and '_' is ERR_USAGE.
 */
int config_set(struct config *cfg, const char *section, const char *key,
    const char *value, struct err *err);

#endif
