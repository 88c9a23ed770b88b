/*
 * orgdomain: organizational domains and DMARC identifier alignment, from
 * the Public Suffix List (libpsl).
 *
 * orgdomain_init() loads the list once per process; the other functions
 * read it and may then be called from any thread.  Names are ASCII host or
 * domain names (IDNs in their xn-- form); case and one trailing dot do not
 * matter.
 */
#ifndef DMARC_MODEL_ORGDOMAIN_H
#define DMARC_MODEL_ORGDOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/*
 * Load the Public Suffix List: the newer of the system's copy (package
 * publicsuffix) and the one built into libpsl.  A second call is a no-op.
 * ERR_IO when no list can be loaded.
 */
int orgdomain_init(struct err *err);

/* Release the list; orgdomain_init() may load it again. */
void orgdomain_cleanup(void);

/*
 * The organizational (registrable) domain of name, written to out
 * (outsz bytes) lower-cased and without a trailing dot:
 * "Mail.Example.CO.UK." gives "example.co.uk".  A name that is itself a
 * public suffix ("co.uk"), or no valid name, gives itself, lower-cased.
 * Returns out, or NULL when the result does not fit in outsz bytes.
 * Needs orgdomain_init().
 */
const char *orgdomain_of(const char *name, char *out, size_t outsz);

/*
 * DMARC identifier alignment of two domains (RFC 7489 3.1): strict means
 * the same name, ignoring case and a trailing dot; relaxed means the same
 * organizational domain.  NULL or empty names never align.  Needs
 * orgdomain_init() for relaxed alignment.
 */
bool orgdomain_aligned(const char *a, const char *b, bool is_strict);

#endif
