/*
 * text: the sentences of the analyzer's verdicts, in fixed buffers and in
 * growing lists of explanation lines.  Texts are read by people: a text
 * cut to fit its buffer ends in "..." on a whole UTF-8 character, and an
 * explanation line is sized to fit, never cut.
 */
#ifndef DMARC_ANALYZE_TEXT_H
#define DMARC_ANALYZE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* snprintf into dst (size > 0); a cut ends in "...". */
void text_fixed(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append to the NUL-terminated text in dst (size bytes); a cut ends in
 * "...". */
void text_append(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append one line to *lines (n of them, growing); the list owns it. */
void text_line(char ***lines, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Free n lines and the list; NULL is a no-op. */
void text_lines_free(char **lines, size_t n);

/* s when it is a non-empty text, else dflt. */
const char *text_or(const char *s, const char *dflt);

/* True when s is word, case aside; false for NULL. */
bool text_is_word(const char *s, const char *word);

/* "ok" when a condition held, "not met" when not. */
const char *text_ok(bool held);

#endif
