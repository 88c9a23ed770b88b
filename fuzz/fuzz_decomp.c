/*
 * fuzz_decomp: the whole driver (report_parse: gzip, zip, containers in
 * containers, then the format parsers), and decomp's gunzip and zip
 * readers driven directly, each read to its end.
 */
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/stream.h"
#include "parsers/decomp.h"
#include "parsers/report.h"
#include "fuzz/fuzz_sink.h"

/* read sizes cycled through, so short and odd reads happen too */
static const size_t chunks[] = { 1, 7, 512, 4096, 65536 };

static unsigned char readbuf[65536];

/*
 * Read s to its end or its first error, peeking first as the driver does.
 * Returns the bytes read; the total must stay within the budget.
 */
static uint64_t
drain(struct stream *s, unsigned seed, struct err *err)
{
	const unsigned char *p;
	size_t n, k = seed;
	uint64_t total = 0;
	ssize_t r;

	if (stream_peek(s, 512, &p, &n, err) == -1) {
		fuzz_sink_hole += fuzz_err_len(err);
		return total;
	}
	for (size_t i = 0; i < n; i++)
		fuzz_sink_hole += p[i];
	for (;;) {
		r = stream_read(s, readbuf, chunks[k++ % 5], err);
		if (r <= 0)
			break;
		if ((size_t)r > sizeof(readbuf))
			fuzz_die("stream_read returned more than asked");
		total += (uint64_t)r;
		fuzz_sink_hole += readbuf[0] + readbuf[r - 1];
	}
	if (r == -1)
		fuzz_sink_hole += fuzz_err_len(err);
	return total;
}

static void
fuzz_gunzip(const uint8_t *data, size_t size,
    const struct report_limits *lim)
{
	struct stream *in = NULL, *g = NULL;
	struct err err;
	uint64_t used = 0, total;

	err_clear(&err);
	stream_new_mem(&in, data, size, "fuzz.gz");
	decomp_gunzip(&g, in, &used, lim->max_decompressed);
	total = drain(g, (unsigned)size, &err);
	if (total > lim->max_decompressed || total > used)
		fuzz_die("gunzip handed out more than its budget");
	stream_free(g);
	stream_free(in);
}

static void
fuzz_zip(const uint8_t *data, size_t size, const struct report_limits *lim)
{
	struct zip_reader *z = NULL;
	struct stream *in = NULL, *entry;
	const char *name;
	struct err err;
	uint64_t used = 0, total = 0;
	unsigned entries = 0;
	int r;

	err_clear(&err);
	stream_new_mem(&in, data, size, "fuzz.zip");
	if (decomp_zip_open(&z, in, lim->max_zip, lim->max_zip_entries,
	    &used, lim->max_decompressed, &err) == -1) {
		fuzz_sink_hole += fuzz_err_len(&err);
		goto out;
	}
	while ((r = decomp_zip_next(z, &entry, &name, &err)) == 1) {
		if (++entries > lim->max_zip_entries)
			fuzz_die("more zip entries than max_zip_entries");
		fuzz_sink_hole += strlen(name) + strlen(stream_name(entry));
		err_clear(&err);
		total += drain(entry, entries, &err);
		if (total > lim->max_decompressed)
			fuzz_die("zip handed out more than its budget");
	}
	if (r == -1)
		fuzz_sink_hole += fuzz_err_len(&err);
out:
	decomp_zip_free(z);
	stream_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_limits lim;

	fuzz_limits(&lim);
	fuzz_whole_input(data, size, "fuzz", &lim);
	fuzz_gunzip(data, size, &lim);
	fuzz_zip(data, size, &lim);
	return 0;
}
