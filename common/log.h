/*
 * log: messages for people, on stderr, as "dmarcctl: <text>".
 *
 * Only cli/ calls these for errors (library layers return errors instead).
 * Verbosity is set once from -q / -v.  A message is one line: controls in
 * it (text from reports) are shown escaped (common/esc.h).
 */
#ifndef DMARC_COMMON_LOG_H
#define DMARC_COMMON_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_QUIET = -1,
	LOG_NORMAL = 0,
	LOG_VERBOSE = 1,
	LOG_DEBUG = 2,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a result worth a line at normal verbosity ("applied 2 migrations") */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when progress lines are wanted: stderr is a terminal, not quiet. */
bool log_want_progress(void);

/*
 * The progress line (when wanted): redrawn in place on stderr.  Any other
 * message clears it first and the next call draws it again, so a warning
 * never lands in the middle of it; log_progress_clear() removes it for
 * good (before a summary).
 */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_clear(void);

#endif
