/*
 * esc: text from reports made safe for a terminal.
 *
 * Anything a reporter wrote (org_name, report ids, domains, MX names,
 * error causes) may hold control characters: an ESC sequence printed raw
 * can rewrite the screen or the title of a terminal, a newline can forge
 * a line of `check` output.  Text output and stderr show C0 controls
 * (including tab and newline), DEL, C1 controls (U+0080..U+009F) and bytes
 * that are not valid UTF-8 as \xHH (a C1 control as the \xHH of each of its
 * two bytes).  Valid UTF-8 printable text passes unchanged.
 */
#ifndef DMARC_COMMON_ESC_H
#define DMARC_COMMON_ESC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/buf.h"

/* The length of the valid UTF-8 sequence at p (1..4), or 0 when p holds
 * no valid one (a NUL ends the string: it is never part of a sequence). */
size_t esc_utf8_len(const char *p);

/* True when s holds a byte that esc_buf would change. */
bool esc_needed(const char *s);

/* Append s escaped to b (ERR_LIMIT when b is full); NULL appends "". */
int esc_buf(struct buf *b, const char *s, struct err *err);

/* Write s escaped to f. */
void esc_fputs(const char *s, FILE *f);

/*
 * Format a line (printf), escape the whole of it and write it to f with a
 * newline: for lines of text output whose arguments come from reports.
 * The format itself ends without a newline.
 */
void esc_linef(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void esc_vlinef(FILE *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
