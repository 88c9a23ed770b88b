/*
 * output: how reports look on stdout: the JSON lines of `dmarcctl
 * parse` and its record objects, as README documents them ("dmarcctl
 * parse").
 */
#ifndef DMARC_CLI_OUTPUT_H
#define DMARC_CLI_OUTPUT_H

#include "common/buf.h"
#include "parsers/report.h"

/* Append the report line object (no newline) to b. */
int output_report_json(struct buf *b, const struct report *r,
    struct err *err);
/* Append {"record":{...}} for one DMARC record / TLS-RPT policy. */
int output_dmarc_record_json(struct buf *b, const struct dmarc_record *rec,
    struct err *err);
int output_tls_policy_json(struct buf *b, const struct tls_policy *p,
    struct err *err);

#endif
