#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "common/stream.h"
#include "common/xalloc.h"

#include <sys/wait.h>
#include <zip.h>
#include <zlib.h>

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	(void)err;
	c->headers++;
	buf_reset(&c->rec);
	return 0;
}

static int
on_dmarc_record(void *ctx, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	c->records++;
	if (output_dmarc_record_json(&c->rec, rec, err) == -1)
		return -1;
	return buf_addc(&c->rec, '\n', err);
}

static int
on_tls_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct collect *c = ctx;

	(void)r;
	c->records++;
	if (output_tls_policy_json(&c->rec, p, err) == -1)
		return -1;
	return buf_addc(&c->rec, '\n', err);
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct collect *c = ctx;

	c->reports++;
	c->messages += r->messages;
	c->last = *r;
	copy(c->domain, sizeof(c->domain), r->domain);
	copy(c->org_name, sizeof(c->org_name), r->org_name);
	copy(c->report_id, sizeof(c->report_id), r->report_id);
	copy(c->kind, sizeof(c->kind), report_kind_name(r->kind));
	if (output_report_json(&c->out, r, err) == -1 ||
	    buf_addc(&c->out, '\n', err) == -1 ||
	    buf_add(&c->out, c->rec.data, c->rec.len, err) == -1)
		return -1;
	buf_reset(&c->rec);
	return 0;
}

static void
on_abort(void *ctx, const struct report *r)
{
	struct collect *c = ctx;

	(void)r;
	c->aborts++;
	buf_reset(&c->rec);
}

static void
on_failure(void *ctx, const struct err *why)
{
	struct collect *c = ctx;
	struct err e;

	c->failed++;
	c->last_code = why->code;
	buf_adds(&c->failures, why->msg, &e);
	buf_addc(&c->failures, '\n', &e);
}

void
collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->out, 64u << 20);
	buf_init(&c->rec, 64u << 20);
	buf_init(&c->failures, 1u << 20);
}

void
collect_release(struct collect *c)
{
	buf_release(&c->out);
	buf_release(&c->rec);
	buf_release(&c->failures);
}

void
collect_sink(struct collect *c, struct report_sink *out)
{
	memset(out, 0, sizeof(*out));
	out->ctx = c;
	out->on_header = on_header;
	out->on_dmarc_record = on_dmarc_record;
	out->on_tls_policy = on_tls_policy;
	out->on_end = on_end;
	out->on_abort = on_abort;
	out->on_failure = on_failure;
}

static int
collect_stream(struct collect *c, struct stream *s, const char *name,
    const struct report_limits *lim, struct report_stats *st)
{
	struct report_limits def;
	struct report_sink sink;
	struct report_stats dummy;
	struct err err;
	int r;

	if (lim == NULL) {
		report_limits_default(&def);
		lim = &def;
	}
	collect_sink(c, &sink);
	r = report_parse(s, name, lim, &sink, st ? st : &dummy, &err);
	if (r == -1) {
		c->failed++;
		c->last_code = err.code;
		buf_adds(&c->failures, err.msg, &err);
		buf_addc(&c->failures, '\n', &err);
	}
	return r;
}

int
collect_file(struct collect *c, const char *path,
    const struct report_limits *lim, struct report_stats *st)
{
	struct stream *s = NULL;
	const char *name = path;
	struct err err;
	int r;

	if (stream_open_file(&s, path, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	if (strncmp(path, FIXTURES "/", strlen(FIXTURES "/")) == 0)
		name = path + strlen(FIXTURES "/");
	r = collect_stream(c, s, name, lim, st);
	stream_free(s);
	return r;
}

int
collect_mem(struct collect *c, const void *data, size_t len,
    const struct report_limits *lim, struct report_stats *st)
{
	struct stream *s = NULL;
	int r;

	stream_new_mem(&s, data, len, "memory");
	r = collect_stream(c, s, "memory", lim, st);
	stream_free(s);
	return r;
}

char *
test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		abort();
	}
	rewind(f);
	p = xmalloc((size_t)n + 1);
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		abort();
	}
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/dmarcctl-test.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return xstrdup(tmpl);
}

char *
test_gzip(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	size_t cap = len + len / 100 + 1024;
	char *out = xmalloc(cap);

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

char *
test_zip(const char *const *names, const char *const *datas,
    const size_t *lens, size_t n, size_t *out_len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	zip_stat_t st;
	char *out;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (src == NULL)
		abort();
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (za == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		zip_source_t *f = zip_source_buffer(za, datas[i], lens[i], 0);

		if (f == NULL || zip_file_add(za, names[i], f, 0) < 0)
			abort();
	}
	if (zip_close(za) != 0 || zip_source_stat(src, &st) != 0 ||
	    zip_source_open(src) != 0)
		abort();
	out = xmalloc(st.size + 1);
	if (zip_source_read(src, out, st.size) != (zip_int64_t)st.size)
		abort();
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*out_len = st.size;
	return out;
}

static char *
slurp_or_empty(const char *path)
{
	size_t len;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return xstrdup("");
	fclose(f);
	return test_slurp(path, &len);
}

int
test_run(const char *cmdline, char **out, char **errout)
{
	char *dir = test_tmpdir();
	char o[512], e[512], cmd[8192];
	int st;

	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "(%s) >%s 2>%s", cmdline, o, e);
	st = system(cmd);
	*out = slurp_or_empty(o);
	*errout = slurp_or_empty(e);
	unlink(o);
	unlink(e);
	rmdir(dir);
	free(dir);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
