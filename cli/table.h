/*
 * table: rows from the store, printed as an aligned text table, JSON or
 * CSV (--format).  Rows are kept until printed: text alignment needs every
 * width, and query results are summaries, not raw records.  Text shows
 * control characters escaped (common/esc.h); JSON escapes them its way;
 * CSV keeps every byte (quoted), as the data it is.
 */
#ifndef DMARC_CLI_TABLE_H
#define DMARC_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "common/jsonw.h"

enum table_format { TABLE_TEXT, TABLE_JSON, TABLE_CSV };

struct table;

/* numeric: NULL-terminated names of columns printed as JSON numbers */
void table_new(struct table **out, const char *const *numeric);
void table_free(struct table *t);

/* How many rows were added. */
size_t table_rows(const struct table *t);

/* A store_row_fn: add one row (copies the values). */
int table_add_row(void *ctx, size_t ncols, const char *const *names,
    const char *const *values, struct err *err);

/* JSON only: fn(w, ctx) writes the first keys of the document, before
 * the rows (ctx borrowed until the table is printed). */
typedef void (*table_head_fn)(struct jsonw *w, const void *ctx);
void table_set_json_head(struct table *t, table_head_fn fn, const void *ctx);

/* Print; JSON is {"<key>":[{...},...]}, after the head's keys when set.
 * ERR_IO when f fails. */
int table_print(const struct table *t, enum table_format format,
    const char *json_key, FILE *f, struct err *err);


#endif
