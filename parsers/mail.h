/*
 * mail: walk RFC 5322 / MIME messages and mbox files, with libetpan's MIME
 * parser, and hand every leaf part's decoded bytes to a callback.
 *
 * A message is read into memory (it holds compressed attachments; capped
 * by max_message); decoded parts are handed over one at a time.  Nested
 * message/rfc822 parts are walked too.  Parts are not chosen by declared
 * type or name: the caller looks at their content.
 */
#ifndef DMARC_PARSERS_MAIL_H
#define DMARC_PARSERS_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/stream.h"

struct mail_part {
	const char *data;		/* decoded bytes (borrowed) */
	size_t len;
	const char *content_type;	/* "application/gzip", lower case */
	const char *filename;		/* from Content-Disposition or
					 * Content-Type name=, or NULL */
	const char *location;		/* "part 2 'x.zip'" for messages */
	const char *header;		/* the raw header block (and what
					 * follows: cut at the first empty
					 * line) of the message holding the
					 * part, or NULL (borrowed) */
	size_t header_len;
};

/*
 * A feedback report (RFC 6591: multipart/report;
 * report-type=feedback-report), found at any depth.  All bytes are
 * borrowed for the callback; a missing part is NULL.
 */
struct mail_feedback {
	const char *header;		/* the report mail itself, as in
					 * mail_part.header */
	size_t header_len;
	const char *fields;		/* message/feedback-report, decoded */
	size_t fields_len;
	const char *original;		/* message/rfc822 or
					 * text/rfc822-headers, decoded */
	size_t original_len;
	bool is_headers_only;		/* the original is
					 * text/rfc822-headers */
	const char *location;		/* "message 3" in an mbox, or "" */
};

struct mail_info {
	unsigned index;		/* 1-based message number in an mbox */
	bool is_mbox;		/* the input was an mbox */
	bool is_forensic;	/* message/feedback-report: a failure report */
	unsigned n_parts;	/* leaf parts handed over */
	const char *types;	/* "text/plain, text/html": the leaves seen */
	const char *subject;	/* or NULL */
};

struct mail_walker {
	void *ctx;
	/* each leaf part of the current message; -1 stops the walk */
	int (*on_part)(void *ctx, const struct mail_part *part,
	    struct err *err);
	/* the current message is done; -1 stops the walk */
	int (*on_message_end)(void *ctx, const struct mail_info *info,
	    struct err *err);
	/* one message of an mbox could not be read (too big, broken MIME);
	 * the walk goes on with the next */
	void (*on_message_error)(void *ctx, const struct mail_info *info,
	    const struct err *why);
	/* each feedback report, before its parts go to on_part; NULL: none
	 * is handed over; -1 stops the walk */
	int (*on_feedback)(void *ctx, const struct mail_feedback *fb,
	    struct err *err);
};

/* True when the bytes look like an email or an mbox: an mbox "From "
 * line or an RFC 5322 header field ("Name: value"). */
bool mail_sniff(const unsigned char *p, size_t n);

/*
 * Walk in as one message, or as an mbox when it starts with "From ".
 * Returns 0 when every message was walked, -1 with *err when reading the
 * input failed or a callback stopped the walk.  A single message that is
 * too big or cannot be parsed is -1 too (ERR_LIMIT / ERR_PARSE); so is
 * one nested deeper than 32 levels or holding more than 256 multipart or
 * message parts (ERR_LIMIT: libetpan's parser slows down sharply on
 * those, so they are counted before it runs).
 */
int mail_walk(struct stream *in, size_t max_message,
    const struct mail_walker *w, struct err *err);

/* What a message says of itself, to find it in a mail folder. */
struct mail_head {
	char date[32];		/* ISO 8601 UTC, or "" */
	char from[256];		/* the first From address, or "" */
	char subject[256];	/* decoded, UTF-8, or "" */
};

/*
 * The Date, From and Subject of the message whose header block starts at
 * p (n bytes, the block need not be whole); every field absent is "".
 * Returns false when p is not one message's header (an mbox, a report).
 */
bool mail_head(const char *p, size_t n, struct mail_head *out);

#endif
