#include "cli/table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/esc.h"
#include "common/jsonw.h"
#include "common/xalloc.h"

struct table {
	const char *const *numeric;
	size_t ncols;
	char **names;
	char **cells;		/* rows * ncols, NULL for SQL NULL */
	size_t rows;
	size_t cap;
	struct arena text;
	table_head_fn head;
	const void *head_ctx;
};

void
table_new(struct table **out, const char *const *numeric)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->numeric = numeric;
	arena_init(&t->text);
	*out = t;
}

size_t
table_rows(const struct table *t)
{
	return t->rows;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	free(t->names);
	free(t->cells);
	arena_release(&t->text);
	free(t);
}

int
table_add_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err)
{
	struct table *t = ctx;

	(void)err;
	if (t->names == NULL) {
		t->ncols = ncols;
		t->names = xcalloc(ncols, sizeof(*t->names));
		for (size_t c = 0; c < ncols; c++)
			t->names[c] = arena_strdup(&t->text, names[c]);
	}
	if (t->rows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols,
		    sizeof(*t->cells));
	}
	for (size_t c = 0; c < ncols; c++)
		t->cells[t->rows * t->ncols + c] = values[c] ?
		    arena_strdup(&t->text, values[c]) : NULL;
	t->rows++;
	return 0;
}

void
table_set_json_head(struct table *t, table_head_fn fn, const void *ctx)
{
	t->head = fn;
	t->head_ctx = ctx;
}

static bool
is_numeric(const struct table *t, const char *name)
{
	for (const char *const *n = t->numeric; n && *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

static int
print_json(const struct table *t, const char *key, FILE *f, struct err *err)
{
	struct buf b;
	struct jsonw w;
	int ret = -1;

	buf_init(&b, (size_t)1 << 30);
	jsonw_init(&w, &b);
	jsonw_raw(&w, "{");
	if (t->head != NULL)
		t->head(&w, t->head_ctx);
	jsonw_key(&w, key, t->head == NULL);
	jsonw_raw(&w, "[");
	for (size_t r = 0; r < t->rows; r++) {
		jsonw_raw(&w, r > 0 ? ",{" : "{");
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c];

			jsonw_key(&w, t->names[c], c == 0);
			if (v != NULL && is_numeric(t, t->names[c]))
				jsonw_raw(&w, v);
			else
				jsonw_str(&w, v);
		}
		jsonw_raw(&w, "}");
	}
	jsonw_raw(&w, "]}\n");
	if (jsonw_finish(&w, err) == -1)
		goto out;
	if (fwrite(b.data, 1, b.len, f) != b.len) {
		err_set(err, ERR_IO, "cannot write output");
		goto out;
	}
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

static void
csv_cell(FILE *f, const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static void
print_csv(const struct table *t, FILE *f)
{
	for (size_t c = 0; c < t->ncols; c++) {
		fputs(c ? "," : "", f);
		csv_cell(f, t->names[c]);
	}
	fputs(t->ncols ? "\n" : "", f);
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			fputs(c ? "," : "", f);
			csv_cell(f, t->cells[r * t->ncols + c]);
		}
		fputc('\n', f);
	}
}

/* a cell as text shows it: escaped when it holds controls (kept in the
 * arena), else itself */
static const char *
text_cell(struct arena *a, const char *v)
{
	struct buf b;
	const char *out;

	if (v == NULL)
		return "-";
	if (!esc_needed(v))
		return v;
	buf_init(&b, SIZE_MAX / 2);
	esc_buf(&b, v, NULL);
	out = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return out;
}

static void
print_text(const struct table *t, FILE *f)
{
	size_t *w = xcalloc(t->ncols + 1, sizeof(*w));
	const char **shown = xcalloc((t->rows + 1) * t->ncols + 1,
	    sizeof(*shown));
	struct arena escaped;

	arena_init(&escaped);
	for (size_t r = 0; r <= t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			shown[r * t->ncols + c] = text_cell(&escaped, r == 0 ?
			    t->names[c] : t->cells[(r - 1) * t->ncols + c]);
	for (size_t c = 0; c < t->ncols; c++)
		for (size_t r = 0; r <= t->rows; r++) {
			size_t n = strlen(shown[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r <= t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = shown[r * t->ncols + c];
			bool is_num = r > 0 && is_numeric(t, t->names[c]);

			/* numbers right-aligned, text left; no trailing
			 * blanks after the last column */
			if (is_num)
				fprintf(f, "%*s", (int)w[c], v);
			else if (c + 1 == t->ncols)
				fputs(v, f);
			else
				fprintf(f, "%-*s", (int)w[c], v);
			fputs(c + 1 == t->ncols ? "\n" : "  ", f);
		}
	arena_release(&escaped);
	free(shown);
	free(w);
}

int
table_print(const struct table *t, enum table_format format,
    const char *json_key, FILE *f, struct err *err)
{
	switch (format) {
	case TABLE_JSON:
		return print_json(t, json_key, f, err);
	case TABLE_CSV:
		print_csv(t, f);
		break;
	case TABLE_TEXT:
		print_text(t, f);
		break;
	}
	if (ferror(f))
		return err_set(err, ERR_IO, "cannot write output");
	return 0;
}
