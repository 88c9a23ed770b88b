#include "model/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

static const char *const severity_names[] = {
	[SEV_INFO] = "info", [SEV_WARNING] = "warning", [SEV_ERROR] = "error",
};

const char *
severity_name(enum severity s)
{
	if ((size_t)s >= sizeof(severity_names) / sizeof(severity_names[0]))
		return "unknown";
	return severity_names[s];
}

/*
 * The texts come from DNS and go to terminals and JSON: valid UTF-8
 * (stray bytes read as Latin-1), one line, no C0 or C1 control character
 * and no DEL, each of them one '?'.  Takes s, returns the clean copy.
 */
static char *
clean_text(char *s)
{
	char *u = str_to_utf8(s);
	unsigned char *p = (unsigned char *)u;
	size_t o = 0;

	free(s);
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			p[o++] = '?';
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			p[o++] = '?';
		} else {
			p[o++] = p[i];
		}
	}
	p[o] = '\0';
	return u;
}

void
findings_add(struct findings *f, enum severity sev, const char *code,
    const char *fix, const char *fmt, ...)
{
	struct finding *x;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg = xstrdup("?");
	} else {
		msg = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	f->v = xgrow(f->v, f->n, &f->cap, sizeof(*f->v));
	x = &f->v[f->n++];
	x->sev = sev;
	x->code = code;
	x->message = clean_text(msg);
	x->fix = fix != NULL ? clean_text(xstrdup(fix)) : NULL;
}

enum severity
findings_worst(const struct findings *f)
{
	enum severity worst = SEV_INFO;

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev > worst)
			worst = f->v[i].sev;
	return worst;
}

size_t
findings_count(const struct findings *f, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].code, code) == 0)
			n++;
	return n;
}

void
findings_free(struct findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].message);
		free(f->v[i].fix);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
