/*
 * report: the driver that finds reports in any input and hands them, in
 * the shape of model/report.h, to a struct report_sink; the caps every
 * parser honours, and what a format parser gets from the driver.
 */
#ifndef DMARC_PARSERS_REPORT_H
#define DMARC_PARSERS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/stream.h"
#include "model/report.h"

/* Hard caps.  Passing one is ERR_LIMIT for that input. */
struct report_limits {
	uint64_t max_decompressed;	/* bytes out of gzip/zip per input */
	uint64_t max_records;		/* records (policies) per report */
	uint64_t max_count;		/* one DMARC count or TLS session
					 * count (2^40: past it is an error,
					 * not traffic) */
	size_t max_message;		/* one email, as received */
	size_t max_json;		/* one TLS-RPT JSON document */
	size_t max_zip;			/* a zip read into memory */
	size_t max_text;		/* one XML text node */
	unsigned max_depth;		/* XML element nesting */
	unsigned max_zip_entries;	/* entries per zip archive */
	unsigned max_nesting;		/* containers inside containers */
	unsigned max_results;		/* dkim/spf results or reasons per
					 * record */
};

/* Fill the documented defaults (512 MiB, 5 M records...). */
void report_limits_default(struct report_limits *lim);

/*
 * What a format parser gets: where it is, the caps, the sink, and the
 * input-wide decompression budget.  Filled by the driver.
 */
struct report_env {
	const struct report_limits *lim;
	const struct report_sink *sink;
	const char *input;
	const char *location;
	uint64_t *decompressed;	/* bytes decompressed so far, this input */
	unsigned nesting;
};

/* What report_parse found in one input. */
struct report_stats {
	unsigned reports;	/* reports delivered whole */
	unsigned failures;	/* on_failure calls */
	bool has_forensic;	/* a DMARC failure (forensic) report was seen */
};

/*
 * Find and parse every report in one input, whatever its container: plain
 * XML or JSON, gzip, zip, an email, an mbox; formats are recognized by
 * content, never by name.  Each failing part goes to sink->on_failure
 * (an input with no report at all is one failure), and the walk goes on.
 * Returns 0 when the whole input was walked (see *stats), -1 with *err
 * when it could not be (I/O error); input_name names the input in notes
 * and messages.
 */
int report_parse(struct stream *in, const char *input_name,
    const struct report_limits *lim, const struct report_sink *sink,
    struct report_stats *stats, struct err *err);

/*
 * Add a note to r, once: the same text twice is kept once, and notes past
 * REPORT_MAX_NOTES are dropped (a note says what kind of repair was made,
 * not how often).  The text is copied into a, which must live as long as
 * r.
 */
void report_note(struct report *r, struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
