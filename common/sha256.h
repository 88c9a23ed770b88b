/*
 * sha256: FIPS 180-4 SHA-256, incremental.  Used for the raw archive and
 * for the content hash that makes one report in any wrapping one row.
 *
 * Nettle (the hash library GnuTLS itself uses) does the work; its context
 * lives inside struct sha256, on the caller's stack, so a hash needs no
 * allocation and no release: a caller may drop one half way.
 */
#ifndef DMARC_COMMON_SHA256_H
#define DMARC_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	union {
		unsigned char bytes[128];	/* nettle's sha256_ctx */
		uint64_t align;
		void *align_ptr;
	} ctx;
};

void sha256_init(struct sha256 *c);
void sha256_add(struct sha256 *c, const void *data, size_t n);
/* Write the 32-byte digest; c must be initialised again before reuse. */
void sha256_done(struct sha256 *c, unsigned char out[32]);
/* 64 lower-case hex digits and a NUL */
void sha256_hex(const unsigned char digest[32], char out[65]);

#endif
