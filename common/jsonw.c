#include "common/jsonw.h"

#include <stdio.h>
#include <string.h>

#include "common/esc.h"

void
jsonw_init(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->err.code = ERR_OK;
	w->err.msg[0] = '\0';
	w->has_failed = false;
}

int
jsonw_finish(const struct jsonw *w, struct err *err)
{
	if (!w->has_failed)
		return 0;
	*err = w->err;
	return -1;
}

/* every write goes through here: the first failure sticks */
static void
add(struct jsonw *w, const void *p, size_t n)
{
	if (!w->has_failed && buf_add(w->b, p, n, &w->err) == -1)
		w->has_failed = true;
}

void
jsonw_raw(struct jsonw *w, const char *s)
{
	add(w, s, strlen(s));
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run;

	if (s == NULL) {
		add(w, "null", 4);
		return;
	}
	add(w, "\"", 1);
	while (*p != '\0' && !w->has_failed) {
		size_t n;
		char esc[8];

		/* copy plain runs in one go: the hot path */
		run = p;
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			add(w, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p++;
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p++);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
			/* C1 controls: a terminal reading the JSON obeys
			 * them as it would ESC */
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", p[1]);
			p += 2;
		} else if ((n = esc_utf8_len((const char *)p)) > 0) {
			add(w, p, n);
			p += n;
			continue;
		} else {
			memcpy(esc, "\xef\xbf\xbd", 3);	/* U+FFFD */
			n = 3;
			p++;
		}
		add(w, esc, n);
	}
	add(w, "\"", 1);
}

void
jsonw_key(struct jsonw *w, const char *key, bool is_first)
{
	if (!is_first)
		add(w, ",", 1);
	jsonw_str(w, key);
	add(w, ":", 1);
}

void
jsonw_kv_str(struct jsonw *w, const char *key, const char *v, bool is_first)
{
	jsonw_key(w, key, is_first);
	jsonw_str(w, v);
}

void
jsonw_kv_int(struct jsonw *w, const char *key, int64_t v, bool is_nullable,
    bool is_first)
{
	char n[24];

	jsonw_key(w, key, is_first);
	if (is_nullable && v < 0) {
		add(w, "null", 4);
		return;
	}
	snprintf(n, sizeof(n), "%lld", (long long)v);
	jsonw_raw(w, n);
}

void
jsonw_kv_rate(struct jsonw *w, const char *key, double v)
{
	char n[64];

	jsonw_key(w, key, false);
	snprintf(n, sizeof(n), "%.4f", v);
	jsonw_raw(w, n);
}
