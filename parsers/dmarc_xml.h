/*
 * dmarc_xml: DMARC aggregate reports (RFC 7489 appendix C, RFC 9990),
 * streamed with libxml2's SAX2 push parser.
 *
 * Element names are matched by local name whatever their namespace; the
 * namespace of <feedback> is the report's own, elements in any other
 * namespace are extensions and skipped whole.  No DTD is accepted (so no
 * entity can be declared or loaded) and nothing goes to the network.
 * The bytes reach libxml2 through parsers/xmlclean.h (invalid bytes,
 * broken shapes real reporters send); what it changed becomes the
 * report's notes.
 */
#ifndef DMARC_PARSERS_DMARC_XML_H
#define DMARC_PARSERS_DMARC_XML_H

#include "common/err.h"
#include "common/stream.h"
#include "parsers/report.h"

/*
 * Parse one XML document from in and hand its report to env->sink.
 * Returns 1 when a report was delivered whole, 0 when the document is
 * not a DMARC report (its root is not <feedback>; nothing was delivered),
 * -1 on error (ERR_PARSE, ERR_LIMIT, ERR_IO; on_abort was called if
 * on_header had been).
 */
int dmarc_xml_parse(struct stream *in, const struct report_env *env,
    struct err *err);

#endif
