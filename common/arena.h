/*
 * arena: short-lived strings that die together.
 *
 * Parsers copy the text of one record into an arena and reset it before
 * the next record, so memory stays flat however many records a report has.
 * Pointers from arena_strdup() stay valid until arena_reset/arena_release.
 */
#ifndef DMARC_COMMON_ARENA_H
#define DMARC_COMMON_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* the block being filled */
	struct arena_block *spare;	/* blocks kept for reuse */
};

void arena_init(struct arena *a);
void arena_release(struct arena *a);
/* Drop every string, keep the memory for reuse. */
void arena_reset(struct arena *a);
/* Copy n bytes plus a NUL into the arena; returns the copy. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

#endif
