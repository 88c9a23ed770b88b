#include "cli/config.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/opt.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"

enum key_type { K_STR, K_SIZE, K_COUNT, K_RATE, K_PORT, K_SECONDS, K_MS,
	K_DAYS, K_KEEP };

/*
 * Every setting that is a number has a range: a limit set far past what
 * the parsers can honour (max_depth = 4294967295 once overflowed an
 * allocation) is refused with the range in the message.
 */
struct key {
	const char *section;	/* "" for the top */
	const char *name;
	enum key_type type;
	size_t offset;		/* into struct config */
	size_t width;		/* of a number: sizeof the field */
	uint64_t min, max;	/* of a K_SIZE or K_COUNT */
};

/* a line of the file, whole (an authorized list can be long) */
#define CONFIG_LINE_MAX (64u << 10)

#define K ((uint64_t)1 << 10)
#define M ((uint64_t)1 << 20)
#define G ((uint64_t)1 << 30)

#define STR(sec, name, field) \
	{ sec, name, K_STR, offsetof(struct config, field), 0, 0, 0 }
/* a string read later as a number: checked here, where the file and
 * line are known */
#define STRN(sec, name, field, type) \
	{ sec, name, type, offsetof(struct config, field), 0, 0, 0 }
#define NUM(type, name, field, lo, hi) { "limits", name, type, \
	offsetof(struct config, limits.field), \
	sizeof(((struct report_limits *)0)->field), lo, hi }

/* a number of struct config itself */
#define CFG(type, sec, name, field, lo, hi) { sec, name, type, \
	offsetof(struct config, field), \
	sizeof(((struct config *)0)->field), lo, hi }

#define TH(type, name, field, lo, hi) { "analysis", name, type, \
	offsetof(struct config, thresholds.field), \
	sizeof(((struct verdict_thresholds *)0)->field), lo, hi }

static const struct key keys[] = {
	STR("", "database", database),
	STR("imap", "host", imap.host),
	STRN("imap", "port", imap.port, K_PORT),
	STR("imap", "tls", imap.tls),
	STR("imap", "user", imap.user),
	STR("imap", "password_file", imap.password_file),
	STR("imap", "ca_file", imap.ca_file),
	STR("imap", "mailbox", imap.mailbox),
	STR("imap", "archive", imap.archive),
	STR("imap", "errors", imap.errors),
	STRN("imap", "timeout", imap.timeout, K_SECONDS),
	NUM(K_SIZE, "max_decompressed", max_decompressed, 1 * K, 64 * G),
	NUM(K_COUNT, "max_records", max_records, 1, 1000000000),
	NUM(K_SIZE, "max_message", max_message, 1 * K, 1 * G),
	NUM(K_SIZE, "max_json", max_json, 1 * K, 1 * G),
	NUM(K_SIZE, "max_zip", max_zip, 1 * K, 1 * G),
	NUM(K_SIZE, "max_text", max_text, 1 * K, 256 * M),
	NUM(K_COUNT, "max_depth", max_depth, 8, 1024),
	NUM(K_COUNT, "max_zip_entries", max_zip_entries, 1, 65535),
	NUM(K_COUNT, "max_nesting", max_nesting, 1, 64),
	NUM(K_COUNT, "max_results", max_results, 1, 1000000),
	NUM(K_COUNT, "max_count", max_count, 1, INT64_MAX),
	CFG(K_SIZE, "limits", "max_archive", max_archive, 1,
	    CONFIG_MAX_ARCHIVE),
	STR("analysis", "dns_server", dns_server),
	STRN("analysis", "dns_timeout", dns_timeout, K_MS),
	STR("analysis", "authorized", authorized),
	STR("analysis", "dkim_selectors", dkim_selectors),
	STRN("failures", "keep", failures_keep, K_KEEP),
	STRN("failures", "retention", failures_retention, K_DAYS),
	STRN("analysis", "dns_budget", dns_budget, K_SECONDS),
	STRN("analysis", "rdns_budget", rdns_budget, K_SECONDS),
	STR("analysis", "tls_ca_file", tls_ca_file),
	STRN("analysis", "mta_sts_port", mta_sts_port, K_PORT),
	STRN("analysis", "smtp_port", smtp_port, K_PORT),
	TH(K_COUNT, "min_days", min_days, 1, 3650),
	TH(K_COUNT, "min_reporters", min_reporters, 1, 100000),
	TH(K_COUNT, "min_messages", min_messages, 1, 1000000000000),
	TH(K_COUNT, "recent_days", recent_days, 1, 3650),
	TH(K_RATE, "aligned_rate", aligned_rate, 0, 0),
	TH(K_COUNT, "third_party_days", third_party_days, 1, 3650),
	TH(K_RATE, "indirect_share", indirect_share, 0, 0),
	TH(K_RATE, "relay_share", relay_share, 0, 0),
	TH(K_RATE, "relay_days", relay_days, 0, 0),
	TH(K_RATE, "relay_overrides", relay_overrides, 0, 0),
	TH(K_RATE, "periodic_share", periodic_share, 0, 0),
	TH(K_COUNT, "throwaway_spf_domains", throwaway_spf_domains, 2, 16),
	TH(K_RATE, "quarantine_pass_rate", quarantine_pass_rate, 0, 0),
	TH(K_RATE, "source_share", source_share, 0, 0),
	TH(K_RATE, "source_pass_rate", source_pass_rate, 0, 0),
	TH(K_COUNT, "reject_quarantine_days", reject_quarantine_days, 1,
	    3650),
	TH(K_RATE, "reject_pass_rate", reject_pass_rate, 0, 0),
	TH(K_RATE, "reject_dkim_rate", reject_dkim_rate, 0, 0),
	TH(K_RATE, "reject_indirect_share", reject_indirect_share, 0, 0),
	TH(K_COUNT, "tls_min_days", tls_min_days, 1, 3650),
	TH(K_COUNT, "tls_min_reporters", tls_min_reporters, 1, 100000),
	TH(K_COUNT, "tls_recent_days", tls_recent_days, 1, 3650),
	TH(K_RATE, "tls_failure_rate", tls_failure_rate, 0, 0),
	TH(K_COUNT, "tls_min_failure_sessions", tls_min_failure_sessions, 1,
	    1000000000000),
	TH(K_COUNT, "tls_min_failure_reporters", tls_min_failure_reporters, 1,
	    100000),
	TH(K_COUNT, "tls_min_failure_days", tls_min_failure_days, 1, 3650),
};

/* kept as text: K_STR and the strings read as numbers later */
static bool
is_string(enum key_type type)
{
	return type == K_STR || type == K_PORT || type == K_SECONDS ||
	    type == K_MS || type == K_DAYS || type == K_KEEP;
}

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	report_limits_default(&cfg->limits);
	cfg->max_archive = CONFIG_MAX_ARCHIVE;
	cfg->thresholds = verdict_defaults();
}

/* an [imap] key's field in the account a rather than in [imap] */
static char **
account_field(struct config_imap *a, const struct key *k)
{
	size_t at = k->offset - offsetof(struct config, imap);

	assert(strcmp(k->section, "imap") == 0 && is_string(k->type) &&
	    at < sizeof(*a));
	return (char **)((char *)a + at);
}

static void
release_account(struct config_imap *a)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].section, "imap") == 0)
			free(*account_field(a, &keys[i]));
	free(a->name);
}

void
config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (is_string(keys[i].type))
			free(*(char **)((char *)cfg + keys[i].offset));
	if (cfg->imap_password != NULL) {
		explicit_bzero(cfg->imap_password, strlen(cfg->imap_password));
		free(cfg->imap_password);
	}
	free(cfg->path);
	for (size_t i = 0; i < cfg->n_imap_accounts; i++)
		release_account(&cfg->imap_accounts[i]);
	free(cfg->imap_accounts);
	config_init(cfg);
}

/* a number field of the width of the struct member; the ranges of the
 * table keep every value inside the signed range of that width */
static void
store_number(void *field, size_t width, uint64_t v)
{
	if (width == sizeof(uint64_t))
		memcpy(field, &v, sizeof(v));
	else {
		unsigned u = (unsigned)v;

		assert(width == sizeof(unsigned) && v <= INT32_MAX);
		memcpy(field, &u, sizeof(u));
	}
}

/* the range of a string that is read as a number (or a word) later */
static int
check_string_number(const struct key *k, const char *name, const char *value,
    struct err *err)
{
	long v;

	switch (k->type) {
	case K_PORT:
		return opt_long(name, value, 1, 65535, &v, err);
	case K_SECONDS:
		return opt_long(name, value, 1, 3600, &v, err);
	case K_MS:
		return opt_long(name, value, 1, 60000, &v, err);
	case K_DAYS:
		return opt_long(name, value, 1, 36500, &v, err);
	case K_KEEP:
		/* read again when the store opens (cli/pipeline.c) */
		if (strcmp(value, "metadata") == 0 ||
		    strcmp(value, "headers") == 0 || strcmp(value, "full") == 0)
			return 0;
		return err_set(err, ERR_USAGE, "%s '%.40s': expected metadata, "
		    "headers or full", name, value);
	default:
		return 0;
	}
}

/* field: where the value goes; section: as the file names it */
static int
set_value(void *field, const struct key *k, const char *section,
    const char *value, struct err *err)
{
	char name[128];
	uint64_t v = 0;
	int64_t n;

	snprintf(name, sizeof(name), "%s%s%s%s", *section ? "[" : "",
	    section, *section ? "] " : "", k->name);
	switch (k->type) {
	case K_RATE:
		return opt_rate(name, value, field, err);
	case K_SIZE:
		if (opt_size(name, value, k->min, k->max, &v, err) == -1)
			return -1;
		store_number(field, k->width, v);
		return 0;
	case K_COUNT:
		if (opt_i64(name, value, (int64_t)k->min, (int64_t)k->max, &n,
		    err) == -1)
			return -1;
		store_number(field, k->width, (uint64_t)n);
		return 0;
	default:
		if (*value != '\0' && check_string_number(k, name, value,
		    err) == -1)
			return -1;
		free(*(char **)field);
		*(char **)field = *value ? xstrdup(value) : NULL;
		return 0;
	}
}

/* the account of "imap.NAME", made on first use; NULL: a bad NAME */
static struct config_imap *
account(struct config *cfg, const char *name, struct err *err)
{
	size_t n = strlen(name);
	struct config_imap *a;

	if (n == 0 || n > CONFIG_ACCOUNT_MAX || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_") != n) {
		err_set(err, ERR_USAGE, "bad section name '[imap.%s]': the "
		    "name of an account is 1 to %d letters, digits, '-' or "
		    "'_'", name, CONFIG_ACCOUNT_MAX);
		return NULL;
	}
	if (strcmp(name, "default") == 0) {
		err_set(err, ERR_USAGE, "bad section name '[imap.default]': "
		    "\"default\" is the account of [imap] itself");
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_imap_accounts; i++)
		if (strcmp(cfg->imap_accounts[i].name, name) == 0)
			return &cfg->imap_accounts[i];
	cfg->imap_accounts = xrealloc(cfg->imap_accounts,
	    (cfg->n_imap_accounts + 1) * sizeof(*cfg->imap_accounts));
	a = &cfg->imap_accounts[cfg->n_imap_accounts++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	return a;
}

int
config_set(struct config *cfg, const char *section, const char *key,
    const char *value, struct err *err)
{
	struct config_imap *a = NULL;
	const char *table = section;

	if (strncmp(section, "imap.", 5) == 0) {
		a = account(cfg, section + 5, err);
		if (a == NULL)
			return -1;
		table = "imap";
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];

		if (strcmp(k->section, table) != 0 || strcmp(k->name, key) != 0)
			continue;
		return set_value(a != NULL ? (void *)account_field(a, k) :
		    (void *)((char *)cfg + k->offset), k, section, value, err);
	}
	return err_set(err, ERR_USAGE, "unknown setting '%s%s%s'", section,
	    *section ? "." : "", key);
}

/* one line: [section], key = value, or nothing; s is modified */
static int
config_line(struct config *cfg, char *section, size_t seclen, char *s,
    struct err *err)
{
	char *eq, *hash;

	/* a comment starts a line, or follows white space */
	for (hash = s; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	s = str_trim(s);
	if (*s == '\0')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');

		if (end == NULL || end[1] != '\0')
			return err_set(err, ERR_USAGE, "bad section '%s'", s);
		*end = '\0';
		s = str_trim(s + 1);
		/* an [imap.NAME] is an account even when it sets nothing */
		if (strncmp(s, "imap.", 5) == 0 &&
		    account(cfg, s + 5, err) == NULL)
			return -1;
		snprintf(section, seclen, "%s", s);
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return err_set(err, ERR_USAGE, "expected key = value");
	*eq = '\0';
	return config_set(cfg, section, str_trim(s), str_trim(eq + 1), err);
}

/* a conninfo that holds a password: "password=" or a URI's user:pass@ */
static bool
has_password(const char *conninfo)
{
	const char *p, *at;

	if (conninfo == NULL)
		return false;
	for (p = conninfo; *p != '\0'; p++) {
		const char *q = p + strlen("password");

		if (strncasecmp(p, "password", strlen("password")) != 0)
			continue;
		q += strspn(q, " \t");
		if (*q == '=')
			return true;
	}
	p = strstr(conninfo, "://");
	if (p == NULL)
		return false;
	p += 3;
	at = p + strcspn(p, "@/?");
	return *at == '@' && memchr(p, ':', (size_t)(at - p)) != NULL;
}

/* read line by line, each whole: a line longer than CONFIG_LINE_MAX is an
 * error, never cut into two settings */
static int
read_lines(struct config *cfg, FILE *f, const char *path, struct err *err)
{
	char section[64] = "", *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int ret = -1;

	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((size_t)n > CONFIG_LINE_MAX) {
			err_set(err, ERR_USAGE, "%s line %u: the line is "
			    "longer than %u bytes", path, lineno,
			    CONFIG_LINE_MAX);
			goto out;
		}
		if (strlen(line) != (size_t)n) {
			err_set(err, ERR_USAGE, "%s line %u: the line holds a "
			    "NUL byte", path, lineno);
			goto out;
		}
		if (config_line(cfg, section, sizeof(section), line,
		    err) == -1) {
			err_wrap(err, "%s line %u", path, lineno);
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, ERR_IO, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(line);
	return ret;
}

int
config_load(struct config *cfg, const char *path, bool is_optional,
    struct err *err)
{
	struct stat st;
	FILE *f;
	int ret = -1;

	f = fopen(path, "r");
	if (f == NULL) {
		if (is_optional && errno == ENOENT)
			return 0;
		return err_set(err, errno == ENOENT ? ERR_USAGE : ERR_IO,
		    "cannot open config file %s: %s", path, strerror(errno));
	}
	if (read_lines(cfg, f, path, err) == -1)
		goto out;
	/* as for the IMAP password file: a secret others can read */
	if (has_password(cfg->database) && fstat(fileno(f), &st) == 0 &&
	    (st.st_mode & S_IROTH) != 0)
		log_warn("the config file %s holds a database password and "
		    "can be read by every user (chmod o-r %s)", path, path);
	free(cfg->path);
	cfg->path = xstrdup(path);
	ret = 0;
out:
	fclose(f);
	return ret;
}
