/*
 * fuzz_json: tlsrpt_json_parse over arbitrary bytes, one document an input.
 */
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/stream.h"
#include "parsers/report.h"
#include "parsers/tlsrpt_json.h"
#include "fuzz/fuzz_sink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_limits lim;
	struct report_sink sink;
	struct fuzz_sink f;
	struct report_env env;
	struct stream *in = NULL;
	struct err err;
	uint64_t used = 0;
	int ret;

	fuzz_limits(&lim);
	fuzz_sink_init(&sink, &f);
	memset(&env, 0, sizeof(env));
	env.lim = &lim;
	env.sink = &sink;
	env.input = "fuzz.json";
	env.location = "";
	env.decompressed = &used;
	env.nesting = 0;
	err_clear(&err);
	stream_new_mem(&in, data, size, "fuzz.json");
	ret = tlsrpt_json_parse(in, &env, &err);
	fuzz_check_parse(&f, ret, &err);
	stream_free(in);
	return 0;
}
