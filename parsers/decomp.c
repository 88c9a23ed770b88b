#include "parsers/decomp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zip.h>
#include <zlib.h>

#include "common/str.h"
#include "common/xalloc.h"

enum { GZ_CHUNK = 65536 };

bool
decomp_is_gzip(const unsigned char *p, size_t n)
{
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

bool
decomp_is_zip(const unsigned char *p, size_t n)
{
	/* a local file header, or the end record of an empty archive */
	return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

static int
over_budget(uint64_t *used, uint64_t max, size_t more, struct err *err)
{
	*used += more;
	if (*used <= max)
		return 0;
	return err_set(err, ERR_LIMIT, "decompressed data exceeds the "
	    "%llu-byte limit (a compression bomb?)", (unsigned long long)max);
}

struct gunzip {
	struct stream *inner;
	z_stream z;
	unsigned char in[GZ_CHUNK];
	bool is_init;
	bool is_in_member;	/* inside a gzip member, not between two */
	bool is_in_eof;
	bool is_done;
	uint64_t *used;
	uint64_t max;
};

/* make at least need bytes of input available, unless the input ends */
static int
gz_fill(struct gunzip *g, size_t need, struct err *err)
{
	while (g->z.avail_in < need && !g->is_in_eof) {
		ssize_t n;

		if (g->z.avail_in > 0 && g->z.next_in != g->in)
			memmove(g->in, g->z.next_in, g->z.avail_in);
		g->z.next_in = g->in;
		n = stream_read(g->inner, g->in + g->z.avail_in,
		    sizeof(g->in) - g->z.avail_in, err);
		if (n == -1)
			return -1;
		if (n == 0)
			g->is_in_eof = true;
		g->z.avail_in += (uInt)n;
	}
	return 0;
}

/* at the end of a member: another member follows, or we are done */
static int
gz_member_end(struct gunzip *g, struct err *err)
{
	g->is_in_member = false;
	if (gz_fill(g, 2, err) == -1)
		return -1;
	if (decomp_is_gzip(g->z.next_in, g->z.avail_in)) {
		if (inflateReset(&g->z) != Z_OK)
			return err_set(err, ERR_PARSE, "corrupt gzip data");
		g->is_in_member = true;
		return 0;
	}
	/* trailing bytes that start no member (a stray CRLF) are ignored */
	g->is_done = true;
	return 0;
}

static ssize_t
gz_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct gunzip *g = impl;
	size_t produced;

	if (!g->is_init) {
		memset(&g->z, 0, sizeof(g->z));
		if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK)
			return err_set(err, ERR_PARSE, "cannot start gunzip");
		g->is_init = true;
		g->is_in_member = true;
	}
	g->z.next_out = buf;
	g->z.avail_out = len > (1u << 30) ? (1u << 30) : (uInt)len;
	produced = 0;
	while (produced == 0 && !g->is_done) {
		int r;

		if (gz_fill(g, 1, err) == -1)
			return -1;
		if (g->z.avail_in == 0 && g->is_in_eof)
			return err_set(err, ERR_PARSE, "truncated gzip data");
		r = inflate(&g->z, Z_NO_FLUSH);
		produced = len - g->z.avail_out;
		if (r == Z_STREAM_END) {
			if (gz_member_end(g, err) == -1)
				return -1;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return err_set(err, ERR_PARSE, "corrupt gzip data: %s",
			    g->z.msg ? g->z.msg : "inflate failed");
		}
	}
	if (over_budget(g->used, g->max, produced, err) == -1)
		return -1;
	return (ssize_t)produced;
}

static void
gz_close(void *impl)
{
	struct gunzip *g = impl;

	if (g->is_init)
		inflateEnd(&g->z);
	free(g);
}

static const struct stream_ops gunzip_ops = { gz_read, gz_close };

void
decomp_gunzip(struct stream **out, struct stream *inner, uint64_t *used,
    uint64_t max)
{
	struct gunzip *g = xmalloc(sizeof(*g));

	g->inner = inner;
	g->is_init = false;
	g->is_in_member = false;
	g->is_in_eof = false;
	g->is_done = false;
	g->used = used;
	g->max = max;
	stream_new_ops(out, &gunzip_ops, g, stream_name(inner));
}

/* --- zip --- */

struct zip_entry {
	zip_file_t *f;
	uint64_t *used;
	uint64_t max;
	char *name;
};

struct zip_reader {
	zip_t *za;
	char *mem;		/* the archive, when it was read into memory */
	zip_int64_t n;
	zip_int64_t next;
	struct stream *cur;
	uint64_t *used;
	uint64_t max;
};

static ssize_t
ze_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct zip_entry *e = impl;
	zip_int64_t n = zip_fread(e->f, buf, len);

	if (n < 0)
		return err_set(err, ERR_PARSE, "corrupt zip entry '%s': %s",
		    e->name, zip_file_strerror(e->f));
	if (over_budget(e->used, e->max, (size_t)n, err) == -1)
		return -1;
	return (ssize_t)n;
}

static void
ze_close(void *impl)
{
	struct zip_entry *e = impl;

	zip_fclose(e->f);
	free(e->name);
	free(e);
}

static const struct stream_ops zip_entry_ops = { ze_read, ze_close };

static int
zip_open_fd(zip_t **out, int fd, struct err *err)
{
	int dupfd, zerr = 0;
	zip_t *za;

	dupfd = dup(fd);
	if (dupfd == -1)
		return err_set(err, ERR_IO, "dup: %s", strerror(errno));
	za = zip_fdopen(dupfd, 0, &zerr);
	if (za == NULL) {
		zip_error_t ze;

		close(dupfd);
		zip_error_init_with_code(&ze, zerr);
		err_set(err, ERR_PARSE, "not a readable zip archive: %s",
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	*out = za;
	return 0;
}

static int
zip_open_mem(zip_t **out, const char *mem, size_t len, struct err *err)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;

	zip_error_init(&ze);
	src = zip_source_buffer_create(mem, len, 0, &ze);
	if (src == NULL)
		goto fail;
	za = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (za == NULL) {
		zip_source_free(src);
		goto fail;
	}
	zip_error_fini(&ze);
	*out = za;
	return 0;
fail:
	err_set(err, ERR_PARSE, "not a readable zip archive: %s",
	    zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return -1;
}

int
decomp_zip_open(struct zip_reader **out, struct stream *in, size_t max_zip,
    unsigned max_entries, uint64_t *used, uint64_t max, struct err *err)
{
	struct zip_reader *z = xcalloc(1, sizeof(*z));
	int fd = stream_fd_fresh(in);
	size_t len;

	z->used = used;
	z->max = max;
	/* libzip seeks: read a regular file in place, anything else copied */
	if (fd >= 0 && lseek(fd, 0, SEEK_CUR) != -1) {
		if (zip_open_fd(&z->za, fd, err) == -1)
			goto fail;
	} else {
		if (stream_slurp(in, max_zip, &z->mem, &len, err) == -1 ||
		    zip_open_mem(&z->za, z->mem, len, err) == -1)
			goto fail;
	}
	z->n = zip_get_num_entries(z->za, 0);
	if (z->n < 0 || (uint64_t)z->n > max_entries) {
		err_set(err, ERR_LIMIT, "zip archive has %lld entries, more "
		    "than the limit of %u", (long long)z->n, max_entries);
		goto fail;
	}
	*out = z;
	return 0;
fail:
	decomp_zip_free(z);
	return -1;
}

int
decomp_zip_next(struct zip_reader *z, struct stream **entry,
    const char **name, struct err *err)
{
	stream_free(z->cur);
	z->cur = NULL;
	while (z->next < z->n) {
		zip_int64_t i = z->next++;
		const char *nm = zip_get_name(z->za, (zip_uint64_t)i, 0);
		struct zip_entry *e;
		size_t len;

		if (nm == NULL)
			return err_set(err, ERR_PARSE, "zip entry %lld: %s",
			    (long long)i, zip_strerror(z->za));
		len = strlen(nm);
		if (len > 0 && nm[len - 1] == '/')
			continue;	/* a directory */
		e = xmalloc(sizeof(*e));
		/* names from old archivers are 8-bit: keep them UTF-8 */
		e->name = str_to_utf8(nm);
		e->f = zip_fopen_index(z->za, (zip_uint64_t)i, 0);
		if (e->f == NULL) {
			err_set(err, ERR_PARSE,
			    "cannot read zip entry '%s': %s", e->name,
			    zip_strerror(z->za));
			free(e->name);
			free(e);
			return -1;
		}
		e->used = z->used;
		e->max = z->max;
		stream_new_ops(&z->cur, &zip_entry_ops, e, e->name);
		*entry = z->cur;
		*name = e->name;
		return 1;
	}
	return 0;
}

void
decomp_zip_free(struct zip_reader *z)
{
	if (z == NULL)
		return;
	stream_free(z->cur);
	if (z->za != NULL)
		zip_discard(z->za);
	free(z->mem);
	free(z);
}

int
decomp_gzip_mem(const void *data, size_t n, size_t max, char **out,
    size_t *out_len, struct err *err)
{
	z_stream z;
	size_t cap = n / 4 + 1024;
	char *buf;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return err_set(err, ERR_IO, "cannot start gzip");
	if (cap > max)
		cap = max;
	buf = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	while ((r = deflate(&z, Z_FINISH)) == Z_OK || r == Z_BUF_ERROR) {
		if (cap >= max) {
			deflateEnd(&z);
			free(buf);
			return err_set(err, ERR_LIMIT, "compressed data exceeds "
			    "the %zu-byte limit", max);
		}
		cap = cap > max / 2 ? max : cap * 2;
		buf = xrealloc(buf, cap);
		z.next_out = (Bytef *)buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
	}
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(buf);
		return err_set(err, ERR_IO, "gzip failed");
	}
	*out = buf;
	*out_len = z.total_out;
	return 0;
}

struct gzip_out {
	struct stream *inner;
	z_stream z;
	unsigned char in[GZ_CHUNK];
	bool is_in_eof;
	bool is_done;
};

static ssize_t
gzo_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct gzip_out *g = impl;

	uInt want = len > (1u << 30) ? (1u << 30) : (uInt)len;

	g->z.next_out = buf;
	g->z.avail_out = want;
	while (!g->is_done && g->z.avail_out == want) {
		int r;

		if (g->z.avail_in == 0 && !g->is_in_eof) {
			ssize_t n = stream_read(g->inner, g->in, sizeof(g->in),
			    err);

			if (n == -1)
				return -1;
			g->is_in_eof = n == 0;
			g->z.next_in = g->in;
			g->z.avail_in = (uInt)n;
		}
		r = deflate(&g->z, g->is_in_eof ? Z_FINISH : Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			g->is_done = true;
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return err_set(err, ERR_IO, "gzip failed");
	}
	return (ssize_t)(want - g->z.avail_out);
}

static void
gzo_close(void *impl)
{
	struct gzip_out *g = impl;

	deflateEnd(&g->z);
	free(g);
}

static const struct stream_ops gzip_out_ops = { gzo_read, gzo_close };

void
decomp_gzip_stream(struct stream **out, struct stream *inner)
{
	struct gzip_out *g = xcalloc(1, sizeof(*g));

	g->inner = inner;
	/* deflateInit2 fails only without memory, and xmalloc aborts then */
	if (deflateInit2(&g->z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	stream_new_ops(out, &gzip_out_ops, g, stream_name(inner));
}
