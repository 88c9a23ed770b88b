/*
 * arf: DMARC failure reports into the model (model/report.h): RFC 6591
 * feedback reports of Feedback-Type auth-failure with the RFC 9991
 * fields, and the plain-text notices some gateways send instead.
 *
 * A failure report becomes a struct report of kind REPORT_FAILURE with
 * one struct failure_sample: on_header, on_failure_sample, on_end.  Every
 * address is reduced to its domain and the original's Message-ID to its
 * digest before the sink sees them; the original's header block and body
 * go to the sink as found.  Header fields are read case-insensitively and
 * unfolded; a field longer than limits.max_text, or more than
 * limits.max_results fields in one block, is ERR_LIMIT.
 */
#ifndef DMARC_PARSERS_ARF_H
#define DMARC_PARSERS_ARF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "parsers/report.h"

/* The pieces of one feedback report; all borrowed, NULL when missing. */
struct arf_input {
	const char *header;	/* the report mail's header block (may run
				 * on into its body: cut at the first empty
				 * line); gives From and Date */
	size_t header_len;
	const char *fields;	/* the message/feedback-report part */
	size_t fields_len;
	const char *original;	/* message/rfc822 or text/rfc822-headers */
	size_t original_len;
	bool is_headers_only;	/* the original is text/rfc822-headers */
};

/*
 * Parse one feedback report and hand it to env->sink, which must have
 * on_failure_sample.  Returns 1 when the report went to the sink whole,
 * -1 with *err otherwise: ERR_PARSE for a feedback report of another type
 * (abuse, fraud...) or one without its required fields (Feedback-Type,
 * Auth-Failure, a reporter, a domain, a time), ERR_LIMIT past a cap.  A
 * report the sink failed after on_header is aborted (on_abort).
 */
int arf_parse(const struct arf_input *in, const struct report_env *env,
    struct err *err);

/*
 * True when a text part reads as a gateway's failure notice: one block
 * of lines (no empty line between) holding Auth-Failure:, Source-IP: and
 * Reported-Domain: fields.
 */
bool arf_text_sniff(const char *p, size_t n);

/*
 * Parse such a notice (format "text") as arf_parse does an ARF report:
 * the block's fields are those of RFC 6591; the notice holds no original.
 * header is the report mail's, as in struct arf_input.
 */
int arf_parse_text(const char *p, size_t n, const char *header,
    size_t header_len, const struct report_env *env, struct err *err);

#endif
