/*
 * sha256: FIPS 180-4 SHA-256, incremental.  Used for the raw archive and
 * for the content hash that makes one report in any wrapping one row.
 */
#ifndef DMARC_COMMON_SHA256_H
#define DMARC_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes so far */
	unsigned char block[64];
	size_t fill;
};

void sha256_init(struct sha256 *c);
void sha256_add(struct sha256 *c, const void *data, size_t n);
/* Write the 32-byte digest; c must be initialised again before reuse. */
void sha256_done(struct sha256 *c, unsigned char out[32]);
/* 64 lower-case hex digits and a NUL */
void sha256_hex(const unsigned char digest[32], char out[65]);

#endif
