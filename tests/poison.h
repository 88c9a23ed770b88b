/*
 * Poison inputs: valid reports with hostile, broken and extreme ones in
 * between, each with the outcome dmarcctl must reach (stored, or listed by
 * `dmarcctl errors` with its original).  The same items drive `ingest` of a
 * directory, `ingest -` of an mbox and `fetch` from IMAP.
 */
#ifndef DMARC_TESTS_POISON_H
#define DMARC_TESTS_POISON_H

#include <stddef.h>

enum poison_want {
	POISON_STORED,		/* stored, under its report id */
	POISON_ERROR,		/* nothing stored: an error with its original */
	POISON_DUPLICATE,	/* a report stored already: nothing new */
};

struct poison {
	char tag[8];		/* "ok03", "p17": what the test names */
	const char *what;	/* the class, for messages */
	char *name;		/* file name (may hold 8-bit bytes) */
	char *data;		/* the bytes of the file */
	size_t len;
	const char *type;	/* MIME type when mailed */
	char id[64];		/* report id, or a prefix of it (LIKE id%) */
	enum poison_want want;
};

/* The items, in delivery order (valid ones between the others). */
size_t poison_make(struct poison **out);
void poison_free(struct poison *p, size_t n);

/* An item as a reporter's email (malloc'd). */
char *poison_mail(const struct poison *p, size_t *len);

/* Items whose outcome is an error. */
size_t poison_errors(const struct poison *p, size_t n);

/*
 * Assert what the database on conninfo holds after the items went in:
 * each stored one once, nothing of the others, one error row with its
 * original per failed one, the IDNA domain as its A-label.
 */
void poison_check(const char *conninfo, const struct poison *p, size_t n);

#endif
