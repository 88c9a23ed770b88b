#include "common/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xalloc.h"

struct stream {
	const struct stream_ops *ops;
	void *impl;
	char *name;
	unsigned char *peek;	/* look-ahead buffer */
	size_t peek_off;
	size_t peek_len;
	uint64_t pos;
	bool is_eof;
	int fd;			/* fd streams only, else -1 */
	bool owns_fd;
};

struct mem_impl {
	const unsigned char *data;
	size_t len;
	size_t off;
};

static ssize_t
fd_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct stream *s = impl;
	ssize_t n;

	do
		n = read(s->fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return err_set(err, ERR_IO, "cannot read %s: %s", s->name,
		    strerror(errno));
	return n;
}

static void
fd_close(void *impl)
{
	struct stream *s = impl;

	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
}

static const struct stream_ops fd_ops = { fd_read, fd_close };

static ssize_t
mem_read(void *impl, void *buf, size_t len, struct err *err)
{
	struct mem_impl *m = impl;
	size_t n = m->len - m->off;

	(void)err;
	if (n > len)
		n = len;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static void
mem_close(void *impl)
{
	free(impl);
}

static const struct stream_ops mem_ops = { mem_read, mem_close };

void
stream_new_ops(struct stream **out, const struct stream_ops *ops, void *impl,
    const char *name)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->ops = ops;
	s->impl = impl;
	/* names end up in messages and the database: always UTF-8 */
	s->name = str_to_utf8(name != NULL ? name : "input");
	s->fd = -1;
	*out = s;
}

void
stream_new_fd(struct stream **out, int fd, bool owns_fd, const char *name)
{
	struct stream *s;

	stream_new_ops(&s, &fd_ops, NULL, name);
	s->impl = s;
	s->fd = fd;
	s->owns_fd = owns_fd;
	*out = s;
}

int
stream_open_file(struct stream **out, const char *path, struct err *err)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		stream_new_fd(out, STDIN_FILENO, false, "stdin");
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return err_set(err, ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
	stream_new_fd(out, fd, true, path);
	return 0;
}

void
stream_new_mem(struct stream **out, const void *data, size_t len,
    const char *name)
{
	struct mem_impl *m = xmalloc(sizeof(*m));

	m->data = data;
	m->len = len;
	m->off = 0;
	stream_new_ops(out, &mem_ops, m, name);
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->ops->close != NULL)
		s->ops->close(s->impl);
	free(s->peek);
	free(s->name);
	free(s);
}

ssize_t
stream_read(struct stream *s, void *buf, size_t len, struct err *err)
{
	ssize_t n;

	if (len == 0)
		return 0;
	if (s->peek_len > s->peek_off) {
		size_t k = s->peek_len - s->peek_off;

		if (k > len)
			k = len;
		memcpy(buf, s->peek + s->peek_off, k);
		s->peek_off += k;
		s->pos += k;
		return (ssize_t)k;
	}
	if (s->is_eof)
		return 0;
	n = s->ops->read(s->impl, buf, len, err);
	if (n == -1)
		return -1;
	if (n == 0)
		s->is_eof = true;
	s->pos += (uint64_t)n;
	return n;
}

int
stream_peek(struct stream *s, size_t n, const unsigned char **out,
    size_t *avail, struct err *err)
{
	if (n > STREAM_PEEK_MAX)
		n = STREAM_PEEK_MAX;
	if (s->peek == NULL)
		s->peek = xmalloc(STREAM_PEEK_MAX);
	if (s->peek_off > 0) {
		memmove(s->peek, s->peek + s->peek_off,
		    s->peek_len - s->peek_off);
		s->peek_len -= s->peek_off;
		s->peek_off = 0;
	}
	while (s->peek_len < n && !s->is_eof) {
		ssize_t r = s->ops->read(s->impl, s->peek + s->peek_len,
		    n - s->peek_len, err);

		if (r == -1)
			return -1;
		if (r == 0)
			s->is_eof = true;
		s->peek_len += (size_t)r;
	}
	*out = s->peek;
	*avail = s->peek_len < n ? s->peek_len : n;
	return 0;
}

int
stream_read_upto(struct stream *s, size_t max, char **out, size_t *len,
    bool *is_whole, struct err *err)
{
	size_t cap = max < 65536 ? max : 65536, n = 0;
	char *p = xmalloc(cap + 1);
	ssize_t r;

	*is_whole = false;
	while (n < max) {
		if (n == cap) {
			cap = cap > max / 2 ? max : cap * 2;
			p = xrealloc(p, cap + 1);
		}
		r = stream_read(s, p + n, cap - n, err);
		if (r == -1) {
			free(p);
			return -1;
		}
		if (r == 0) {
			*is_whole = true;
			break;
		}
		n += (size_t)r;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	return 0;
}

int
stream_slurp(struct stream *s, size_t max, char **out, size_t *len,
    struct err *err)
{
	char *p;
	bool is_whole;

	if (stream_read_upto(s, max, &p, len, &is_whole, err) == -1)
		return -1;
	if (!is_whole) {
		free(p);
		return err_set(err, ERR_LIMIT, "%s exceeds the %zu-byte limit",
		    s->name, max);
	}
	*out = p;
	return 0;
}

const char *
stream_name(const struct stream *s)
{
	return s->name;
}

int
stream_fd_fresh(const struct stream *s)
{
	if (s->ops != &fd_ops || s->pos != 0)
		return -1;
	return s->fd;
}
