#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum { ARENA_BLOCK = 8192 };

struct arena_block {
	struct arena_block *next;
	size_t cap;
	size_t used;
	char data[];
};

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->spare = NULL;
}

static void
free_list(struct arena_block *b)
{
	while (b != NULL) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
}

void
arena_release(struct arena *a)
{
	if (a == NULL)
		return;
	free_list(a->head);
	free_list(a->spare);
	arena_init(a);
}

void
arena_reset(struct arena *a)
{
	/* keep standard-size blocks for reuse; oversized ones go */
	while (a->head != NULL) {
		struct arena_block *b = a->head;

		a->head = b->next;
		if (b->cap == ARENA_BLOCK) {
			b->used = 0;
			b->next = a->spare;
			a->spare = b;
		} else {
			free(b);
		}
	}
}

static struct arena_block *
new_block(struct arena *a, size_t need)
{
	struct arena_block *b;

	if (need <= ARENA_BLOCK && a->spare != NULL) {
		b = a->spare;
		a->spare = b->next;
	} else {
		size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;

		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
	}
	b->next = a->head;
	a->head = b;
	return b;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	struct arena_block *b = a->head;
	char *p;

	if (b == NULL || b->cap - b->used < n + 1)
		b = new_block(a, n + 1);
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
