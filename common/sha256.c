#include "common/sha256.h"

#include <stdalign.h>

#include <nettle/sha2.h>

/* nettle names its functions sha256_* by macro; ours keep those names */
#undef sha256_init
#undef sha256_update
#undef sha256_digest

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((struct sha256 *)0)->ctx),
    "struct sha256 holds a nettle sha256_ctx");
_Static_assert(alignof(struct sha256_ctx) <= alignof(struct sha256),
    "struct sha256 is aligned for a nettle sha256_ctx");
_Static_assert(SHA256_DIGEST_SIZE == 32, "a SHA-256 digest is 32 bytes");

static struct sha256_ctx *
ctx_of(struct sha256 *c)
{
	return (struct sha256_ctx *)(void *)c->ctx.bytes;
}

void
sha256_init(struct sha256 *c)
{
	nettle_sha256_init(ctx_of(c));
}

void
sha256_add(struct sha256 *c, const void *data, size_t n)
{
	if (n > 0)
		nettle_sha256_update(ctx_of(c), n, data);
}

void
sha256_done(struct sha256 *c, unsigned char out[32])
{
	nettle_sha256_digest(ctx_of(c), SHA256_DIGEST_SIZE, out);
}

void
sha256_hex(const unsigned char d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
