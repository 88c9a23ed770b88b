/*
 * operator-gen: the tables of analyze/operator.c, from parsedmarc's maps.
 *
 *	operator-gen MAP.csv OVERRIDES.txt OUT.c
 *
 * MAP.csv is base_reverse_dns_map.csv: the header line
 * "base_reverse_dns,name,type", then one record a line: a reverse-DNS base
 * domain and the name and type of the operator behind it.  CSV as in
 * RFC 4180: a field in double quotes may hold commas, "" in it is one
 * quote; lines end in LF or CRLF; a UTF-8 byte order mark is skipped.
 * OVERRIDES.txt is psl_overrides.txt: one suffix a line, "-x.com",
 * ".x.com" or "x.com"; blank lines are nothing.
 *
 * OUT.c gets both lists as C arrays sorted by strcmp(), domains
 * lower-cased and without a trailing dot, for a binary search.  The same
 * domain twice with the same name and type is one entry; with another
 * name or type it is an error.  Anything malformed (a stray or unclosed
 * quote, a line break inside quotes, a wrong number of fields, a domain
 * that is no DNS name, an empty name or type, control characters, bytes
 * that are not UTF-8, a NUL byte) stops the build: the failure on stderr
 * as "operator-gen: FILE:LINE: what", exit status 1 and no OUT.c.  Usage
 * errors exit with 64.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

/* RFC 1035: a name is at most 253 characters in text, a label 63 */
#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63
#define MAP_FIELDS 3
#define EXIT_USAGE 64

static const char *const map_header[MAP_FIELDS] = {
	"base_reverse_dns", "name", "type"
};

/* A file read whole, NUL-terminated, and the line being read. */
struct input {
	const char *path;
	char *data;
	size_t len;
	size_t pos;
	unsigned line;
};

/* One record of the map. */
struct entry {
	const char *domain, *name, *type;
	unsigned line;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

struct strings {
	char **v;
	size_t n, cap;
};

static char *out_tmp;		/* removed when the run fails */
static struct strings owned;	/* names made here, freed at the end */

static void die(const struct input *in, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void
die(const struct input *in, unsigned line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "operator-gen: ");
	if (in != NULL)
		fprintf(stderr, "%s:%u: ", in->path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (out_tmp != NULL)
		remove(out_tmp);
	exit(EXIT_FAILURE);
}

static void *
grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 1024;
	v = realloc(v, *cap * size);
	if (v == NULL)
		die(NULL, 0, "out of memory");
	return v;
}

/* s, to be freed at the end of the run. */
static char *
keep(char *s)
{
	owned.v = grow(owned.v, &owned.cap, owned.n, sizeof(*owned.v));
	owned.v[owned.n++] = s;
	return s;
}

static void
read_input(struct input *in, const char *path)
{
	static const char bom[] = "\xef\xbb\xbf";
	FILE *f = fopen(path, "rb");
	size_t cap = 0, got;

	memset(in, 0, sizeof(*in));
	in->path = path;
	in->line = 1;
	if (f == NULL)
		die(NULL, 0, "cannot open %s: %s", path, strerror(errno));
	do {
		in->data = grow(in->data, &cap, in->len + 4096, 1);
		got = fread(in->data + in->len, 1, cap - in->len - 1, f);
		in->len += got;
	} while (got > 0);
	if (ferror(f))
		die(NULL, 0, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	in->data[in->len] = '\0';
	if (strlen(in->data) != in->len) {
		for (const char *p = in->data; *p != '\0'; p++)
			in->line += *p == '\n';
		die(in, in->line, "NUL byte in the file");
	}
	if (strncmp(in->data, bom, 3) == 0)
		in->pos = 3;
}

/* Length of the UTF-8 character at s, 0 when it is none (overlong,
 * surrogate, beyond U+10FFFF, cut short). */
static size_t
utf8_char(const unsigned char *s)
{
	static const struct {
		unsigned char mask, lead;
		size_t len;
		unsigned long min;
	} forms[] = {
		{ 0xe0, 0xc0, 2, 0x80 },
		{ 0xf0, 0xe0, 3, 0x800 },
		{ 0xf8, 0xf0, 4, 0x10000 },
	};
	unsigned long cp;

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		if ((s[0] & forms[f].mask) != forms[f].lead)
			continue;
		cp = s[0] & (unsigned char)~forms[f].mask;
		for (size_t i = 1; i < forms[f].len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < forms[f].min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		return forms[f].len;
	}
	return 0;
}

/* Trim ASCII blanks off both ends of s, in place. */
static char *
trim(char *s)
{
	size_t len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

/* A name or type: not empty, UTF-8, no control characters. */
static void
check_text(const struct input *in, const char *what, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		die(in, in->line, "empty %s", what);
	while (*p != '\0') {
		size_t n = 1;

		if (*p < 0x20 || *p == 0x7f)
			die(in, in->line, "control character 0x%02x in the %s",
			    *p, what);
		if (*p >= 0x80 && (n = utf8_char(p)) == 0)
			die(in, in->line, "the %s is not UTF-8", what);
		p += n;
	}
}

/*
 * An internationalized name in its xn-- form, as reverse DNS answers
 * carry it (in owned).
 */
static char *
ascii_name(const struct input *in, const char *what, char *s)
{
	char *ace = NULL, *copy;
	bool is_ascii = true;
	int rc;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			is_ascii = false;
	if (is_ascii)
		return s;
	rc = idn2_to_ascii_8z(s, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		die(in, in->line, "%s '%s' is no domain name: %s", what, s,
		    idn2_strerror(rc));
	copy = strdup(ace);
	idn2_free(ace);
	if (copy == NULL)
		die(NULL, 0, "out of memory");
	return keep(copy);
}

/*
 * s lower-cased, without one trailing dot, checked to be a DNS name:
 * labels of 1 to 63 letters, digits, '-' and '_', 253 characters in all;
 * an internationalized name in its xn-- form.
 */
static char *
domain_name(const struct input *in, const char *what, char *s)
{
	size_t len, label = 0;

	s = ascii_name(in, what, s);
	len = strlen(s);

	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	for (char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > LABEL_MAX_LEN)
				die(in, in->line, "%s '%s' is no domain name",
				    what, s);
			if (*p == '\0')
				break;
			label = 0;
			continue;
		}
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", *p) ==
		    NULL)
			die(in, in->line, "%s '%s' is no domain name", what, s);
		label++;
	}
	if (len > NAME_MAX_LEN)
		die(in, in->line, "%s '%.40s...' is longer than a domain name",
		    what, s);
	return s;
}

/*
 * The field at in->pos, unquoted in place and NUL-terminated; *sep is the
 * byte that ended it: ',', '\n' or '\0' (the end of the file).
 */
static char *
csv_field(struct input *in, char *sep)
{
	char *start = in->data + in->pos, *p = start, *w = start;

	if (*p == '"') {
		for (p++;; p++) {
			if (*p == '\0')
				die(in, in->line, "a quoted field never ends");
			if (*p == '\n' || *p == '\r')
				die(in, in->line, "line break inside a quoted "
				    "field");
			if (*p == '"' && p[1] != '"')
				break;
			*w++ = *p;
			p += *p == '"';	/* "" is one quote */
		}
		p++;
	} else {
		for (; strchr(",\r\n", *p) == NULL; p++) {
			if (*p == '"')
				die(in, in->line, "quote inside an unquoted "
				    "field");
			*w++ = *p;
		}
	}
	if (*p == '\r' && *++p != '\n')
		die(in, in->line, "carriage return without a line feed");
	if (*p != ',' && *p != '\n' && *p != '\0')
		die(in, in->line, "text after the closing quote of a field");
	*sep = *p;
	*w = '\0';
	in->pos = (size_t)(p - in->data) + (*sep != '\0');
	return start;
}

/* The fields of the line at in->pos; exactly MAP_FIELDS of them. */
static void
csv_record(struct input *in, char *field[MAP_FIELDS])
{
	unsigned n = 0;
	char sep;

	if (in->data[in->pos] == '\n' || in->data[in->pos] == '\r')
		die(in, in->line, "empty line");
	do {
		char *f = csv_field(in, &sep);

		if (n < MAP_FIELDS)
			field[n] = f;
		n++;
	} while (sep == ',');
	if (n != MAP_FIELDS)
		die(in, in->line, "%u fields, expected %d", n, MAP_FIELDS);
}

static int
cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c = strcmp(a->domain, b->domain);

	return c != 0 ? c : (a->line > b->line) - (a->line < b->line);
}

static void
read_map(struct input *in, struct entries *out)
{
	char *f[MAP_FIELDS];
	size_t kept = 0;

	if (in->data[in->pos] == '\0')
		die(in, 1, "empty file: no header line");
	csv_record(in, f);
	for (int i = 0; i < MAP_FIELDS; i++)
		if (strcmp(trim(f[i]), map_header[i]) != 0)
			die(in, 1, "header field %d is '%s', expected '%s'",
			    i + 1, f[i], map_header[i]);
	while (in->data[in->pos] != '\0') {
		struct entry *e;

		in->line++;
		csv_record(in, f);
		out->v = grow(out->v, &out->cap, out->n, sizeof(*out->v));
		e = &out->v[out->n++];
		e->line = in->line;
		e->domain = domain_name(in, "domain", trim(f[0]));
		check_text(in, "name", e->name = trim(f[1]));
		check_text(in, "type", e->type = trim(f[2]));
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	for (size_t i = 0; i < out->n; i++) {
		const struct entry *e = &out->v[i];
		const struct entry *k = kept > 0 ? &out->v[kept - 1] : NULL;

		if (k != NULL && strcmp(k->domain, e->domain) == 0) {
			if (strcmp(k->name, e->name) != 0 ||
			    strcmp(k->type, e->type) != 0)
				die(in, e->line, "%s is '%s' (%s) here but "
				    "'%s' (%s) on line %u", e->domain, e->name,
				    e->type, k->name, k->type, k->line);
			continue;
		}
		out->v[kept++] = *e;
	}
	out->n = kept;
}

/* kind followed by name (in owned). */
static char *
prefixed(char kind, const char *name)
{
	size_t len = strlen(name) + 2;
	char *s = malloc(len);

	if (s == NULL)
		die(NULL, 0, "out of memory");
	snprintf(s, len, "%c%s", kind, name);
	return keep(s);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The overrides, each with its kind ('-', '.' or none) in front. */
static void
read_overrides(struct input *in, struct strings *out)
{
	size_t kept = 0;

	while (in->data[in->pos] != '\0') {
		char *line = in->data + in->pos, *end = strchr(line, '\n');
		char *s;

		if (end != NULL) {
			*end = '\0';
			in->pos = (size_t)(end + 1 - in->data);
		} else {
			in->pos = in->len;
		}
		s = trim(line);
		if (*s != '\0' && s[strlen(s) - 1] == '\r')
			s[strlen(s) - 1] = '\0';
		s = trim(s);
		if (*s != '\0') {
			out->v = grow(out->v, &out->cap, out->n,
			    sizeof(*out->v));
			/* the kind stays ASCII: only the name after it may
			 * need its xn-- form */
			if (*s == '-' || *s == '.')
				s = prefixed(*s, domain_name(in, "override",
				    s + 1));
			else
				s = domain_name(in, "override", s);
			out->v[out->n++] = s;
		}
		in->line++;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	for (size_t i = 0; i < out->n; i++)
		if (kept == 0 || strcmp(out->v[kept - 1], out->v[i]) != 0)
			out->v[kept++] = out->v[i];
	out->n = kept;
}

/* s as a C string literal: what is not plain ASCII in octal, and '?'
 * escaped so that no "??" makes a trigraph. */
static void
put_literal(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '?')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\%03o", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
write_tables(FILE *f, const struct entry *e, size_t n, char *const *ov,
    size_t n_ov)
{
	fprintf(f, "/* generated from data/parsedmarc-maps/ by "
	    "scripts/operator-gen.c: do not edit */\n"
	    "#include \"analyze/operator_p.h\"\n\n"
	    "const struct operator operator_table[] = {\n");
	for (size_t i = 0; i < n; i++) {
		fputs("\t{ ", f);
		put_literal(f, e[i].domain);
		fputs(", ", f);
		put_literal(f, e[i].name);
		fputs(", ", f);
		put_literal(f, e[i].type);
		fputs(" },\n", f);
	}
	fprintf(f, "};\nconst size_t operator_table_len = %zu;\n\n"
	    "const char *const operator_overrides[] = {\n", n);
	for (size_t i = 0; i < n_ov; i++) {
		fputc('\t', f);
		put_literal(f, ov[i]);
		fputs(",\n", f);
	}
	fprintf(f, "};\nconst size_t operator_overrides_len = %zu;\n", n_ov);
}

int
main(int argc, char **argv)
{
	struct input map, over;
	struct entries entries = { 0 };
	struct strings overrides = { 0 };
	size_t len;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: operator-gen MAP.csv OVERRIDES.txt "
		    "OUT.c\n");
		return EXIT_USAGE;
	}
	read_input(&map, argv[1]);
	read_map(&map, &entries);
	read_input(&over, argv[2]);
	read_overrides(&over, &overrides);
	if (entries.n == 0)
		die(&map, 1, "no records after the header");
	len = strlen(argv[3]) + sizeof(".tmp");
	out_tmp = malloc(len);
	if (out_tmp == NULL)
		die(NULL, 0, "out of memory");
	snprintf(out_tmp, len, "%s.tmp", argv[3]);
	f = fopen(out_tmp, "w");
	if (f == NULL)
		die(NULL, 0, "cannot create %s: %s", out_tmp, strerror(errno));
	write_tables(f, entries.v, entries.n, overrides.v, overrides.n);
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0)
		die(NULL, 0, "cannot write %s: %s", out_tmp, strerror(errno));
	if (rename(out_tmp, argv[3]) != 0)
		die(NULL, 0, "cannot rename %s to %s: %s", out_tmp, argv[3],
		    strerror(errno));
	free(out_tmp);
	for (size_t i = 0; i < owned.n; i++)
		free(owned.v[i]);
	free(owned.v);
	free(entries.v);
	free(overrides.v);
	free(map.data);
	free(over.data);
	return 0;
}
