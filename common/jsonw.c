#include "common/jsonw.h"

#include <stdio.h>
#include <string.h>

#include "common/esc.h"

int
jsonw_str(struct buf *b, const char *s, struct err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run;

	if (s == NULL)
		return buf_adds(b, "null", err);
	if (buf_addc(b, '"', err) == -1)
		return -1;
	while (*p != '\0') {
		size_t n;
		char esc[8];

		/* copy plain runs in one go: the hot path */
		run = p;
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run && buf_add(b, run, (size_t)(p - run), err) == -1)
			return -1;
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
			if (buf_add(b, p, n, err) == -1)
				return -1;
			p += n;
			continue;
		} else {
			memcpy(esc, "\xef\xbf\xbd", 3);	/* U+FFFD */
			n = 3;
			p++;
		}
		if (buf_add(b, esc, n, err) == -1)
			return -1;
	}
	return buf_addc(b, '"', err);
}

int
jsonw_key(struct buf *b, const char *key, bool is_first, struct err *err)
{
	if (!is_first && buf_addc(b, ',', err) == -1)
		return -1;
	if (jsonw_str(b, key, err) == -1)
		return -1;
	return buf_addc(b, ':', err);
}

int
jsonw_kv_str(struct buf *b, const char *key, const char *v, bool is_first,
    struct err *err)
{
	if (jsonw_key(b, key, is_first, err) == -1)
		return -1;
	return jsonw_str(b, v, err);
}

int
jsonw_kv_int(struct buf *b, const char *key, int64_t v, bool is_nullable,
    bool is_first, struct err *err)
{
	if (jsonw_key(b, key, is_first, err) == -1)
		return -1;
	if (is_nullable && v < 0)
		return buf_adds(b, "null", err);
	return buf_addf(b, err, "%lld", (long long)v);
}

int
jsonw_kv_bool(struct buf *b, const char *key, bool v, bool is_first,
    struct err *err)
{
	if (jsonw_key(b, key, is_first, err) == -1)
		return -1;
	return buf_adds(b, v ? "true" : "false", err);
}
