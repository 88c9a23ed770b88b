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

enum { MAX_DEPTH = 32 };

/* one directory being walked */
struct level {
	char *path;
	struct dirent **names;
	int n;
	int next;
	bool is_maildir;	/* has cur/ and new/: skip its tmp/ */
};

struct source {
	const struct source_ops *ops;
	char *path;
	bool is_done;
	struct stream *cur;
	char *cur_name;
	struct level stack[MAX_DEPTH];
	int depth;
};

struct source_ops {
	const char *kind;
	bool (*matches)(const char *path, const struct stat *st);
	int (*next)(struct source *s, struct err *err);
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
single_next(struct source *s, struct err *err)
{
	if (s->is_done)
		return 0;
	s->is_done = true;
	if (stream_open_file(&s->cur, s->path, err) == -1)
		return -1;
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
push_dir(struct source *s, const char *path, struct err *err)
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
pop_dir(struct source *s)
{
	struct level *l = &s->stack[--s->depth];

	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->path);
}

/* the next regular file below the directory, depth first, in name order */
static int
dir_next(struct source *s, struct err *err)
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
		s->cur_name = str_to_utf8(path);
		return 1;
	}
	return 0;
}

/* the kinds of source, tried in order */
static const struct source_ops kinds[] = {
	{ "stdin", is_stdin, single_next },
	{ "directory", is_dir, dir_next },
	{ "file", is_any, single_next },
};

int
source_open(struct source **out, const char *path, struct err *err)
{
	struct source *s;
	struct stat st;
	bool has_stat = strcmp(path, "-") != 0;

	if (has_stat && stat(path, &st) == -1)
		return err_set(err, ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].matches(path, has_stat ? &st : NULL)) {
			s->ops = &kinds[i];
			break;
		}
	*out = s;
	return 0;
}

int
source_next(struct source *s, struct stream **unit, const char **name,
    struct err *err)
{
	int r;

	stream_free(s->cur);
	s->cur = NULL;
	free(s->cur_name);
	s->cur_name = NULL;
	r = s->ops->next(s, err);
	if (r == 1) {
		*unit = s->cur;
		*name = s->cur_name;
	}
	return r;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	while (s->depth > 0)
		pop_dir(s);
	stream_free(s->cur);
	free(s->cur_name);
	free(s->path);
	free(s);
}
