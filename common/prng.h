/*
 * prng: splitmix64, a small deterministic generator for the data
 * generators (bench/gen.c, scripts/demo-gen.c): the same seed always gives
 * the same bytes.  Not for anything secret.
 */
#ifndef DMARC_COMMON_PRNG_H
#define DMARC_COMMON_PRNG_H

#include <stdbool.h>
#include <stdint.h>

static inline uint64_t
rng_next(uint64_t *state)
{
	uint64_t z;

	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n < 2^32 (multiply-shift: no modulo bias to speak of). */
static inline uint32_t
rng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((rng_next(state) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t
rng_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(state, hi - lo + 1);
}

/* True with probability pct/100. */
static inline bool
rng_pct(uint64_t *state, uint32_t pct)
{
	return rng_below(state, 100) < pct;
}

#endif
