/*
 * fuzz_xml: dmarc_xml_parse over arbitrary bytes, one document an input.
 */
#include <stdint.h>

#include "parsers/dmarc_xml.h"
#include "fuzz/fuzz_sink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_parser(data, size, "fuzz.xml", dmarc_xml_parse);
}
