/*
 * xalloc: allocation that cannot fail.  Out of memory prints one line and
 * aborts; no other code has an out-of-memory path.
 */
#ifndef DMARC_COMMON_XALLOC_H
#define DMARC_COMMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* realloc to nmemb * size with an overflow check */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* p with room for one more than n elements of size: doubled from 16
 * when *cap is reached (the one growing array of the analysis) */
void *xgrow(void *p, size_t n, size_t *cap, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
