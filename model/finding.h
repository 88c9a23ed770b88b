/*
 * finding: one thing a check found about a domain's published records,
 * with a severity, a stable code (kebab-case, documented in dmarcctl.1),
 * the message and, where there is one, the fix as a record to publish.
 * A struct findings is a growing list; it owns its texts.
 */
#ifndef DMARC_MODEL_FINDING_H
#define DMARC_MODEL_FINDING_H

#include <stddef.h>

enum severity { SEV_INFO, SEV_WARNING, SEV_ERROR };

struct finding {
	enum severity sev;
	const char *code;	/* static */
	char *message;		/* malloc'd, one line */
	char *fix;		/* malloc'd, or NULL */
};

struct findings {
	struct finding *v;
	size_t n, cap;
};

/* "info", "warning", "error" */
const char *severity_name(enum severity s);

/* Append a finding: message from fmt (printf), fix copied (NULL: none).
 * Control characters of the texts become '?': they come from DNS. */
void findings_add(struct findings *f, enum severity sev, const char *code,
    const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The worst severity in f, SEV_INFO when empty; how many have code. */
enum severity findings_worst(const struct findings *f);
size_t findings_count(const struct findings *f, const char *code);

/* Release the texts and the list, and zero *f; NULL is a no-op. */
void findings_free(struct findings *f);

#endif
