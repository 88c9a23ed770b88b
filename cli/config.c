#include "cli/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

enum key_type { K_STR, K_SIZE, K_COUNT, K_RATE };

struct key {
	const char *section;	/* "" for the top */
	const char *name;
	enum key_type type;
	size_t offset;		/* into struct config */
	size_t width;		/* of a number: sizeof the field */
	uint64_t max;		/* of a number: at most this (0: what the
				 * field holds) */
};

#define STR(sec, name, field) \
	{ sec, name, K_STR, offsetof(struct config, field), 0, 0 }
#define NUM(type, name, field) { "limits", name, type, \
	offsetof(struct config, limits.field), \
	sizeof(((struct report_limits *)0)->field), 0 }

/* a number of struct config itself, at most hi */
#define CAP(type, sec, name, field, hi) { sec, name, type, \
	offsetof(struct config, field), \
	sizeof(((struct config *)0)->field), hi }

#define TH(type, name, field) { "analysis", name, type, \
	offsetof(struct config, thresholds.field), \
	sizeof(((struct verdict_thresholds *)0)->field), 0 }

static const struct key keys[] = {
	STR("", "database", database),
	STR("imap", "host", imap_host),
	STR("imap", "port", imap_port),
	STR("imap", "tls", imap_tls),
	STR("imap", "user", imap_user),
	STR("imap", "password_file", imap_password_file),
	STR("imap", "ca_file", imap_ca_file),
	STR("imap", "mailbox", imap_mailbox),
	STR("imap", "archive", imap_archive),
	STR("imap", "errors", imap_errors),
	STR("imap", "timeout", imap_timeout),
	NUM(K_SIZE, "max_decompressed", max_decompressed),
	NUM(K_COUNT, "max_records", max_records),
	NUM(K_SIZE, "max_message", max_message),
	NUM(K_SIZE, "max_json", max_json),
	NUM(K_SIZE, "max_zip", max_zip),
	NUM(K_SIZE, "max_text", max_text),
	NUM(K_COUNT, "max_depth", max_depth),
	NUM(K_COUNT, "max_zip_entries", max_zip_entries),
	NUM(K_COUNT, "max_nesting", max_nesting),
	NUM(K_COUNT, "max_results", max_results),
	CAP(K_SIZE, "limits", "max_archive", max_archive, CONFIG_MAX_ARCHIVE),
	STR("analysis", "dns_server", dns_server),
	STR("analysis", "dns_timeout", dns_timeout),
	STR("analysis", "authorized", authorized),
	TH(K_COUNT, "min_days", min_days),
	TH(K_COUNT, "min_reporters", min_reporters),
	TH(K_COUNT, "min_messages", min_messages),
	TH(K_COUNT, "recent_days", recent_days),
	TH(K_RATE, "aligned_rate", aligned_rate),
	TH(K_COUNT, "third_party_days", third_party_days),
	TH(K_RATE, "indirect_share", indirect_share),
	TH(K_RATE, "quarantine_pass_rate", quarantine_pass_rate),
	TH(K_RATE, "source_share", source_share),
	TH(K_RATE, "source_pass_rate", source_pass_rate),
	TH(K_COUNT, "reject_quarantine_days", reject_quarantine_days),
	TH(K_RATE, "reject_pass_rate", reject_pass_rate),
	TH(K_RATE, "reject_dkim_rate", reject_dkim_rate),
	TH(K_RATE, "reject_indirect_share", reject_indirect_share),
	TH(K_COUNT, "tls_min_days", tls_min_days),
	TH(K_COUNT, "tls_min_reporters", tls_min_reporters),
	TH(K_COUNT, "tls_recent_days", tls_recent_days),
	TH(K_RATE, "tls_failure_rate", tls_failure_rate),
};

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	report_limits_default(&cfg->limits);
	cfg->max_archive = CONFIG_MAX_ARCHIVE;
	cfg->thresholds = verdict_defaults();
}

void
config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].type == K_STR)
			free(*(char **)((char *)cfg + keys[i].offset));
	if (cfg->imap_password != NULL) {
		explicit_bzero(cfg->imap_password, strlen(cfg->imap_password));
		free(cfg->imap_password);
	}
	free(cfg->path);
	config_init(cfg);
}

/* a share: "0.98" or "98%" */
static int
set_rate(double *field, const char *value, const char *name,
    struct err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (end != value && *end == '%') {
		v /= 100;
		end++;
	}
	if (end == value || *end != '\0' || errno != 0 || !(v >= 0 && v <= 1))
		return err_set(err, ERR_USAGE, "%s '%s': expected a share "
		    "such as 0.98 or 98%%", name, value);
	*field = v;
	return 0;
}

static int
set_number(void *field, size_t width, uint64_t max, const char *value,
    enum key_type type, const char *name, struct err *err)
{
	uint64_t v;

	if (type == K_SIZE) {
		if (str_to_size(value, &v, name, err) == -1)
			return -1;
	} else {
		int64_t n;

		if (str_to_i64(value, 1, INT64_MAX, &n, name, err) == -1)
			return err_set(err, ERR_USAGE, "%s", err->msg);
		v = (uint64_t)n;
	}
	if (max != 0 && v > max)
		return err_set(err, ERR_USAGE, "%s '%s' is out of range (1 to "
		    "%lluM)", name, value, (unsigned long long)(max >> 20));
	if (v == 0 || (width < 8 && v >> (width * 8)) != 0)
		return err_set(err, ERR_USAGE, "%s '%s' is out of range", name,
		    value);
	if (width == sizeof(uint64_t))
		*(uint64_t *)field = v;
	else if (width == sizeof(unsigned))
		*(unsigned *)field = (unsigned)v;
	else
		*(size_t *)field = (size_t)v;
	return 0;
}

int
config_set(struct config *cfg, const char *section, const char *key,
    const char *value, struct err *err)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		void *field = (char *)cfg + k->offset;

		if (strcmp(k->section, section) != 0 ||
		    strcmp(k->name, key) != 0)
			continue;
		if (k->type == K_STR) {
			free(*(char **)field);
			*(char **)field = *value ? xstrdup(value) : NULL;
			return 0;
		}
		if (k->type == K_RATE)
			return set_rate(field, value, key, err);
		return set_number(field, k->width, k->max, value, k->type, key,
		    err);
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
		snprintf(section, seclen, "%s", str_trim(s + 1));
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return err_set(err, ERR_USAGE, "expected key = value");
	*eq = '\0';
	return config_set(cfg, section, str_trim(s), str_trim(eq + 1), err);
}

int
config_load(struct config *cfg, const char *path, bool is_optional,
    struct err *err)
{
	char line[4096], section[64] = "";
	unsigned lineno = 0;
	FILE *f;
	int ret = -1;

	f = fopen(path, "r");
	if (f == NULL) {
		if (is_optional && errno == ENOENT)
			return 0;
		return err_set(err, errno == ENOENT ? ERR_USAGE : ERR_IO,
		    "cannot open config file %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (config_line(cfg, section, sizeof(section), line,
		    err) == -1) {
			err_wrap(err, "%s line %u", path, lineno);
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, ERR_IO, "cannot read %s", path);
		goto out;
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	ret = 0;
out:
	fclose(f);
	return ret;
}
