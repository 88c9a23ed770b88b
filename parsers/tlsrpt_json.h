/*
 * tlsrpt_json: SMTP TLS reports (RFC 8460 section 4), with jansson.
 *
 * The document is read whole (it is small; env->lim->max_json caps it),
 * then handed to the sink policy by policy.  Every RFC 8460 field is kept.
 * Tolerated: mx-host as a string or an array, policy-string as an array,
 * a string, or an array holding serialized JSON; null or missing
 * contact-info; missing counts (0); date-times without a time zone (UTC).
 */
#ifndef DMARC_PARSERS_TLSRPT_JSON_H
#define DMARC_PARSERS_TLSRPT_JSON_H

#include "common/err.h"
#include "common/stream.h"
#include "parsers/report.h"

/*
 * Parse one JSON document from in.  Returns 1 when a TLS-RPT report was
 * delivered whole, 0 when the JSON is valid but not a TLS report (no
 * "policies" array and no "organization-name"), -1 on error (ERR_PARSE,
 * ERR_LIMIT, ERR_IO; on_abort was called if on_header had been).
 */
int tlsrpt_json_parse(struct stream *in, const struct report_env *env,
    struct err *err);

#endif
