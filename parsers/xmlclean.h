/*
 * xmlclean: the bytes of a DMARC XML report made fit for libxml2, as a
 * stream stacked on the raw one (like gunzip, parsers/decomp.h).
 *
 * Two passes, chunk by chunk, memory flat.  The byte filter: control
 * characters XML 1.0 forbids become spaces, and bytes that are not UTF-8
 * in a UTF-8 document are read as windows-1252; a document declaring
 * another encoding gets the control-character pass only, UTF-16 and UCS-4
 * are left alone.  The repair lexer then mends the broken shapes real
 * reporters send (a stray <xs:schema> tag, a quote before the root, an
 * unescaped <address> in text, a close tag that lost its '<') without
 * touching comments, CDATA or attribute values.
 *
 * What was changed is counted into the caller's array, for the report's
 * notes: the document is kept, and says so.
 */
#ifndef DMARC_PARSERS_XMLCLEAN_H
#define DMARC_PARSERS_XMLCLEAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/stream.h"

/* what was changed, counted per kind */
enum xmlclean_fix {
	XMLCLEAN_BYTES,		/* bytes replaced by the filter */
	XMLCLEAN_QUOTE,
	XMLCLEAN_SCHEMA,
	XMLCLEAN_LT,
	XMLCLEAN_CLOSE,
	XMLCLEAN_KINDS
};

/* Whether name (n bytes, not NUL-terminated) is an element of the
 * format: a close tag missing its '<' is repaired only for those. */
typedef bool (*xmlclean_name_fn)(const unsigned char *name, size_t n);

/*
 * Replace *s by a stream of its cleaned bytes; the old stream is borrowed
 * and must outlive the new one, which the caller frees.  fixed
 * (XMLCLEAN_KINDS counts, borrowed likewise) is zeroed now and counts as
 * the stream is read.  Peeks at the first bytes for the encoding: -1 with
 * *err set when that read fails (*s unchanged).
 */
int xmlclean_push(struct stream **s, xmlclean_name_fn is_element,
    uint64_t *fixed, struct err *err);

/* What a kind of change is called in a report's notes; borrowed. */
const char *xmlclean_note(enum xmlclean_fix k);

#endif
