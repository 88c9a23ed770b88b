/*
 * query: what the four answer commands (summary, sources, advise, tls)
 * share: their options (window, --domain, --no-dns, --format), the
 * database they read, and the pieces of output more than one prints.
 * Each command is its own cmd_<name>.c with a renderer table indexed by
 * enum table_format; a NULL row is a format the command does not offer.
 */
#ifndef DMARC_CLI_QUERY_H
#define DMARC_CLI_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/analysis.h"
#include "cli/config.h"
#include "cli/opt.h"
#include "cli/table.h"
#include "cli/window.h"
#include "common/jsonw.h"

/* advise's window, and the window every verdict is judged over */
enum { ADVISE_DAYS = 30 };

struct query {
	const char *name;	/* its help page: cli/help.c */
	long default_days;
	bool has_csv;
	struct window w;
	enum table_format format;
	const char *domain;		/* NULL, or domain_buf */
	char domain_buf[OPT_DOMAIN_SIZE];
	bool want_dns;
	/* dns and tls: --probe connects to each MX */
	bool has_probe;
	bool want_probe;
	/* advise: --all lists every blocker in text */
	bool has_all;
	bool want_all;
	/* dns: with --domain, a database that cannot be opened leaves store
	 * NULL (a warning) instead of failing */
	bool is_store_optional;
	/* sources only (has_sender_options): --class, --limit, --addresses */
	bool has_sender_options;
	const char *class_filter;	/* NULL: every class */
	long limit;			/* senders per domain, 0: all */
	bool want_addresses;
	struct store *store;		/* owned; query_finish frees it */
	const struct config *cfg;	/* borrowed */
};

/*
 * Options, window, database: 0 to go on, or an exit status + 1 (usage
 * and database errors are printed here).  The caller fills name,
 * default_days and has_csv first.
 */
int query_start(struct query *q, int argc, char **argv,
    const struct config *cfg);
/* Close the database; returns status. */
int query_finish(struct query *q, int status);
/* Print err, close the database; returns the exit status for err. */
int query_failed(struct query *q, const struct err *err);

/*
 * The sources of window w, named unless --no-dns, classified, and what
 * was concluded kept for dashboards (the verdicts too when has_verdicts).
 * *a is the caller's to analysis_release on success.
 */
int query_load_judged(struct query *q, const struct window *w,
    bool has_verdicts, struct analysis *a, struct err *err);

/* The advise verdicts: advise's default window ending where q's ends
 * (window_last). */
struct verdicts {
	struct analysis a;
};
int query_load_verdicts(struct query *q, struct verdicts *v,
    struct err *err);
/* What `advise` would say of domain; insufficient data when unseen. */
enum verdict_word query_verdict_of(const struct query *q,
    const struct verdicts *v, const char *domain);

/* part/whole as "12.5%", or "-" when whole is 0; returns out */
const char *query_pct_text(int64_t part, int64_t whole, char *out,
    size_t size);
/* "p=none" / "p=quarantine pct=50"; returns out */
const char *query_policy_text(const struct dmarc_policy *p, char *out,
    size_t size);
/* the policy as a JSON object */
void query_policy_json(struct jsonw *w, const struct dmarc_policy *p);
/* What failure reports say (sources, advise): {"samples":N,"types":
 * {"bodyhash":N,...},"dkim_keys":[{"selector":..,"domain":..,"samples":
 * N}],"text":"..."}, or null without a sample. */
void query_failures_json(struct jsonw *w, const struct failure_evidence *e);

/*
 * Say which window an answer covers, the one way every query command
 * does: text prints the line "window: 2026-11-19 .. 2026-12-02 (14 days,
 * UTC)" (first and last day) on stdout; JSON writes "since", "until" (ISO
 * 8601 UTC, until exclusive) and "days" into jw as the first keys of the
 * object it is in (nothing when jw is NULL); csv prints nothing.
 */
void query_print_window(const struct window *w, enum table_format format,
    struct jsonw *jw);
/* The same as a table_head_fn: the JSON keys of the window ctx. */
void query_window_head(struct jsonw *jw, const void *ctx);

/* Nothing in the window: one notice on stderr, as `reports` says it:
 * "no <what> from 2026-11-19T00:00:00Z to 2026-12-03T00:00:00Z" (JSON's
 * "since" and "until"), with " of D" after what when --domain D. */
void query_say_empty(const struct query *q, const char *what);
/* The same for any window and domain (NULL: every one). */
void query_say_empty_in(const struct window *w, const char *domain,
    const char *what);

/* Write the JSON document in b to stdout; ERR_IO when it fails. */
int query_print_json(const struct buf *b, struct err *err);

#endif
