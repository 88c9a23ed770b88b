/*
 * fuzz_json: tlsrpt_json_parse over arbitrary bytes, one document an input.
 */
#include <stdint.h>

#include "parsers/tlsrpt_json.h"
#include "fuzz/fuzz_sink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_parser(data, size, "fuzz.json", tlsrpt_json_parse);
}
