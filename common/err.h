/*
 * err: the one way dmarcctl reports failures.
 *
 * A function that can fail returns int: 0 on success, -1 on failure with
 * *err filled (iterators: 1 item, 0 end, -1 error).  The caller owns the
 * struct err, normally on its stack.  The message is set where the failure
 * is seen; callers pass it up unchanged or prepend context with err_wrap().
 */
#ifndef DMARC_COMMON_ERR_H
#define DMARC_COMMON_ERR_H

enum err_code {
	ERR_OK,
	ERR_USAGE,	/* bad command line or configuration */
	ERR_IO,		/* reading or writing a file failed */
	ERR_PARSE,	/* input is not a valid report */
	ERR_LIMIT,	/* input passed a hard cap (size, records, depth) */
	ERR_DB,		/* the database failed or is unavailable */
	ERR_NET,	/* a network server failed or is unavailable */
	ERR_REFUSED,	/* the database refused a value of this input (data,
			 * integrity or program-limit error): the input is at
			 * fault, not the server, and the run goes on */
};

struct err {
	enum err_code code;
	char msg[512];
};

/* Set code and message (printf format).  Returns -1. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "context: " to the message, keeping the code.  Returns -1. */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset to ERR_OK with an empty message. */
void err_clear(struct err *e);

/* Short name of a code ("parse", "limit"...), for tests and logs. */
const char *err_code_name(enum err_code code);

#endif
