#include "ingest/source.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "ingest/source_imap.h"

enum { MAX_DEPTH = 32 };

/* one directory being walked */
struct level {
	char *path;
	struct dirent **names;
	int n;
	int next;
	bool is_maildir;	/* has cur/ and new/: skip its tmp/ */
};

/* files, directories and stdin: the walk */
struct files {
	char *path;
	bool is_done;
	struct stream *cur;
	char *cur_name;
	uint64_t cur_size;	/* as stat saw it; 0 for stdin */
	struct level stack[MAX_DEPTH];
	int depth;
};

struct source {
	const struct source_ops *ops;
	void *impl;
};

static bool
is_stdin(const char *path, const struct stat *st)
{
	(void)st;
	return strcmp(path, "-") == 0;
}

static bool
is_dir(const char *path, const struct stat *st)
{
	(void)path;
	return st != NULL && S_ISDIR(st->st_mode);
}

static bool
is_any(const char *path, const struct stat *st)
{
	(void)path, (void)st;
	return true;
}

/* a single file, or standard input: one unit */
static int
single_next(struct files *s, struct err *err)
{
	struct stat st;

	if (s->is_done)
		return 0;
	s->is_done = true;
	if (stream_open_file(&s->cur, s->path, err) == -1)
		return -1;
	s->cur_size = strcmp(s->path, "-") != 0 && stat(s->path, &st) == 0 ?
	    (uint64_t)st.st_size : 0;
	s->cur_name = str_to_utf8(strcmp(s->path, "-") == 0 ? "stdin" :
	    s->path);
	return 1;
}

static int
skip_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
push_dir(struct files *s, const char *path, struct err *err)
{
	struct level *l;
	char probe[4096];
	struct stat st;

	if (s->depth == MAX_DEPTH)
		return err_set(err, ERR_IO, "%s: directories nested deeper "
		    "than %d", path, MAX_DEPTH);
	l = &s->stack[s->depth];
	memset(l, 0, sizeof(*l));
	l->n = scandir(path, &l->names, skip_hidden, alphasort);
	if (l->n < 0)
		return err_set(err, ERR_IO, "cannot read directory %s: %s",
		    path, strerror(errno));
	l->path = xstrdup(path);
	snprintf(probe, sizeof(probe), "%s/cur", path);
	l->is_maildir = stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
	snprintf(probe, sizeof(probe), "%s/new", path);
	l->is_maildir = l->is_maildir && stat(probe, &st) == 0 &&
	    S_ISDIR(st.st_mode);
	s->depth++;
	return 0;
}

static void
pop_dir(struct files *s)
{
	struct level *l = &s->stack[--s->depth];

	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->path);
}

/* the next regular file below the directory, depth first, in name order */
static int
dir_next(struct files *s, struct err *err)
{
	if (!s->is_done) {
		s->is_done = true;
		if (push_dir(s, s->path, err) == -1)
			return -1;
	}
	while (s->depth > 0) {
		struct level *l = &s->stack[s->depth - 1];
		char path[4096];
		struct stat st;
		const char *name;

		if (l->next == l->n) {
			pop_dir(s);
			continue;
		}
		name = l->names[l->next++]->d_name;
		if (snprintf(path, sizeof(path), "%s/%s", l->path, name) >=
		    (int)sizeof(path))
			return err_set(err, ERR_IO, "%s/%s: path too long",
			    l->path, name);
		if (lstat(path, &st) == -1)
			return err_set(err, ERR_IO, "cannot stat %s: %s", path,
			    strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			/* a Maildir's tmp/ holds deliveries in progress */
			if (l->is_maildir && strcmp(name, "tmp") == 0)
				continue;
			if (push_dir(s, path, err) == -1)
				return -1;
			continue;
		}
		/* a link to a file is read; a link to a directory is not
		 * followed (no loops) */
		if (S_ISLNK(st.st_mode) && (stat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode)))
			continue;
		if (!S_ISREG(st.st_mode))
			continue;
		if (stream_open_file(&s->cur, path, err) == -1)
			return -1;
		s->cur_size = (uint64_t)st.st_size;
		s->cur_name = str_to_utf8(path);
		return 1;
	}
	return 0;
}

static int
files_open(void **impl, const void *where, struct err *err)
{
	struct files *s = xcalloc(1, sizeof(*s));

	(void)err;
	s->path = xstrdup(where);
	*impl = s;
	return 0;
}

/* the entry that failed is named by the message; the unit by the path */
static int
files_next(struct files *s, int (*next)(struct files *, struct err *),
    struct source_unit *out, struct err *err)
{
	int r;

	stream_free(s->cur);
	s->cur = NULL;
	free(s->cur_name);
	s->cur_name = NULL;
	memset(out, 0, sizeof(*out));
	r = next(s, err);
	if (r == -1)
		out->name = s->path;
	if (r == 1) {
		out->stream = s->cur;
		out->name = s->cur_name;
		out->size = s->cur_size;
	}
	return r;
}

static int
single_unit(void *impl, struct source_unit *out, struct err *err)
{
	return files_next(impl, single_next, out, err);
}

static int
dir_unit(void *impl, struct source_unit *out, struct err *err)
{
	return files_next(impl, dir_next, out, err);
}

/* a file stays where it is, whatever became of it */
static int
files_ack(void *impl, const char *id, enum source_fate fate,
    const char **moved_to, struct err *err)
{
	(void)impl, (void)id, (void)fate, (void)err;
	*moved_to = NULL;
	return 0;
}

static void
files_close(void *impl)
{
	struct files *s = impl;

	while (s->depth > 0)
		pop_dir(s);
	stream_free(s->cur);
	free(s->cur_name);
	free(s->path);
	free(s);
}

static const struct source_ops stdin_ops = {
	"stdin", files_open, single_unit, files_ack, NULL, NULL,
	NULL, files_close,
};
static const struct source_ops dir_ops = {
	"directory", files_open, dir_unit, files_ack, NULL, NULL,
	NULL, files_close,
};
static const struct source_ops file_ops = {
	"file", files_open, single_unit, files_ack, NULL, NULL,
	NULL, files_close,
};

/* the kinds of source; a path takes the first that matches (the IMAP
 * mailbox is opened from its settings, by source_open_ops) */
static const struct kind {
	bool (*matches)(const char *path, const struct stat *st);
	const struct source_ops *ops;
} kinds[] = {
	{ is_stdin, &stdin_ops },
	{ is_dir, &dir_ops },
	{ is_any, &file_ops },
	{ NULL, &source_imap_ops },
};

int
source_open_ops(struct source **out, const struct source_ops *ops,
    const void *where, struct err *err)
{
	void *impl = NULL;
	struct source *s;

	if (ops->open(&impl, where, err) == -1)
		return -1;
	s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->impl = impl;
	*out = s;
	return 0;
}

int
source_open(struct source **out, const char *path, struct err *err)
{
	struct stat st;
	bool has_stat = strcmp(path, "-") != 0;

	if (has_stat && stat(path, &st) == -1)
		return err_set(err, ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].matches != NULL &&
		    kinds[i].matches(path, has_stat ? &st : NULL))
			return source_open_ops(out, kinds[i].ops, path, err);
	return err_set(err, ERR_IO, "cannot open %s: not a source", path);
}

int
source_next(struct source *s, struct source_unit *out, struct err *err)
{
	return s->ops->next(s->impl, out, err);
}

int
source_ack(struct source *s, const char *id, enum source_fate fate,
    const char **moved_to, struct err *err)
{
	return s->ops->ack(s->impl, id, fate, moved_to, err);
}

int
source_flush(struct source *s, struct err *err)
{
	return s->ops->flush != NULL ? s->ops->flush(s->impl, err) : 0;
}

int
source_wait(struct source *s, unsigned seconds, volatile sig_atomic_t *stop,
    struct err *err)
{
	/* nothing new ever arrives in a file */
	return s->ops->wait != NULL ? s->ops->wait(s->impl, seconds, stop, err)
	    : 0;
}

void
source_moved(const struct source *s, unsigned *stored, unsigned *failed)
{
	*stored = *failed = 0;
	if (s->ops->moved != NULL)
		s->ops->moved(s->impl, stored, failed);
}

void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->impl);
	free(s);
}
