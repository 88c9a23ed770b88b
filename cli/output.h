/*
 * output: how reports look on stdout: the JSON lines of `dmarcctl
 * parse` and its record objects, as README documents them ("dmarcctl
 * parse"); and the one way a command takes --format.
 */
#ifndef DMARC_CLI_OUTPUT_H
#define DMARC_CLI_OUTPUT_H

#include "cli/table.h"
#include "common/buf.h"
#include "parsers/report.h"

/* The formats a command prints: bits of output_parse_format's mask. */
enum {
	OUTPUT_TEXT = 1u << TABLE_TEXT,
	OUTPUT_JSON = 1u << TABLE_JSON,
	OUTPUT_CSV = 1u << TABLE_CSV,
};

/*
 * The value of `cmd --format arg` when it names one of the formats in
 * mask (OUTPUT_* bits); otherwise ERR_USAGE naming the value and the
 * formats cmd prints ("--format 'csv': advise prints text or json"),
 * the same for every command.
 */
int output_parse_format(const char *cmd, const char *arg, unsigned mask,
    enum table_format *out, struct err *err);

/* Append the report line object (no newline) to b. */
int output_report_json(struct buf *b, const struct report *r,
    struct err *err);
/* Append {"record":{...}} for one DMARC record / TLS-RPT policy. */
int output_dmarc_record_json(struct buf *b, const struct dmarc_record *rec,
    struct err *err);
int output_tls_policy_json(struct buf *b, const struct tls_policy *p,
    struct err *err);

#endif
