#include <criterion/criterion.h>

#include <string.h>

#include "common/sha256.h"

static void
digest_hex(const char *text, size_t chunk, char hex[65])
{
	struct sha256 h;
	unsigned char d[32];
	size_t len = strlen(text);

	sha256_init(&h);
	for (size_t i = 0; i < len; i += chunk)
		sha256_add(&h, text + i, len - i < chunk ? len - i : chunk);
	sha256_done(&h, d);
	sha256_hex(d, hex);
}

/* FIPS 180-4 examples, fed whole and in pieces across block boundaries */
Test(sha256, matches_the_fips_examples)
{
	static const struct {
		const char *in;
		const char *hex;
	} cases[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
			 "b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039"
		  "a33ce45964ff2167f6ecedd419db06c1" },
	};
	static const size_t chunks[] = { 1, 3, 55, 64, 1000 };
	char hex[65];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]);
		    j++) {
			digest_hex(cases[i].in, chunks[j], hex);
			cr_expect_str_eq(hex, cases[i].hex, "'%s' by %zu",
			    cases[i].in, chunks[j]);
		}
}

/* a caller may drop a hash half way: nothing to release */
Test(sha256, may_be_dropped_unfinished)
{
	struct sha256 h;

	sha256_init(&h);
	sha256_add(&h, "abc", 3);
}
