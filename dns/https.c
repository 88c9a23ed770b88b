#include "dns/https.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/xalloc.h"

#define DEFAULT_PORT 443
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_BYTES 65536

/* The body as it arrives, up to max bytes. */
struct sink {
	char *data;
	size_t len, cap, max;
	bool is_too_large;
};

const char *
https_status_name(enum https_status st)
{
	static const char *const names[] = {
		[HTTPS_OK] = "ok",
		[HTTPS_CONNECT] = "connect",
		[HTTPS_TIMEOUT] = "timeout",
		[HTTPS_TLS] = "tls",
		[HTTPS_REDIRECT] = "redirect",
		[HTTPS_STATUS] = "status",
		[HTTPS_TOO_LARGE] = "too-large",
	};

	if ((size_t)st >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[st];
}

void
https_result_free(struct https_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* libcurl's one-time global setup: not thread-safe, done once. */
static int
global_init(struct err *err)
{
	static bool is_done;
	CURLcode rc;

	if (is_done)
		return 0;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return err_set(err, ERR_NET, "cannot start libcurl: %s",
		    curl_easy_strerror(rc));
	is_done = true;
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;

	if (len > s->max - s->len) {
		/* a short count makes libcurl abort with CURLE_WRITE_ERROR */
		s->is_too_large = true;
		return 0;
	}
	if (s->len + len + 1 > s->cap) {
		s->cap = s->cap * 2 > s->len + len + 1 ? s->cap * 2 :
		    s->len + len + 1;
		s->data = xrealloc(s->data, s->cap);
	}
	memcpy(s->data + s->len, p, len);
	s->len += len;
	s->data[s->len] = '\0';
	return len;
}

/* A host name fit for a URL and a CURLOPT_RESOLVE entry. */
static bool
is_host_ok(const char *host)
{
	size_t n = strlen(host);

	return n > 0 && n < 254 && strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") == n;
}

static bool
is_ip_ok(const char *ip)
{
	size_t n = strlen(ip);

	return n > 0 && n < 64 &&
	    strspn(ip, "0123456789abcdefABCDEF.:") == n;
}

/* A path without bytes that would change the request line. */
static bool
is_path_ok(const char *path)
{
	if (path[0] != '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '#')
			return false;
	return strlen(path) < 1024;
}

/* Control bytes to spaces, no trailing space or period. */
static void
tidy(char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			s[i] = ' ';
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '.'))
		s[--i] = '\0';
}

static void
copy_line(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
	tidy(dst);
}

/* The value of "name:value" among the end certificate's facts, or NULL. */
static const char *
cert_field(CURL *c, const char *name)
{
	struct curl_certinfo *ci = NULL;
	size_t n = strlen(name);

	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return NULL;
	for (struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next)
		if (strncmp(s->data, name, n) == 0 && s->data[n] == ':')
			return s->data + n + 1;
	return NULL;
}

/* "2020-12-31 00:00:00 GMT" as Unix time; -1 when it is not that. */
static int64_t
cert_time(const char *text)
{
	struct tm tm;
	char zone[4] = "";

	memset(&tm, 0, sizeof(tm));
	if (text == NULL || sscanf(text, "%4d-%2d-%2d %2d:%2d:%2d %3s",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, zone) != 7 || strcmp(zone, "GMT") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/*
 * Why the certificate was refused, in one line.  libcurl's text for a
 * failed chain names the CA and CRL files but not the cause, so the end
 * certificate's dates and issuer tell it.
 */
static void
tls_detail(CURL *c, char *dst, size_t n, CURLcode rc, const char *msg)
{
	const char *cut, *expire = cert_field(c, "Expire Date"),
	    *start = cert_field(c, "Start Date"), *issuer;
	int64_t now = (int64_t)time(NULL), t;
	char text[CURL_ERROR_SIZE + 300];

	copy_line(text, sizeof(text), *msg ? msg : curl_easy_strerror(rc));
	cut = strstr(text, " CAfile:");
	if (cut == NULL) {
		copy_line(dst, n, text);
		return;
	}
	text[cut - text] = '\0';
	tidy(text);
	if ((t = cert_time(expire)) != -1 && t < now) {
		snprintf(text, sizeof(text), "certificate has expired (%s)",
		    expire);
	} else if ((t = cert_time(start)) != -1 && t > now) {
		snprintf(text, sizeof(text), "certificate is not yet valid "
		    "(%s)", start);
	} else if ((issuer = cert_field(c, "Issuer")) != NULL) {
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    ": issuer not trusted: %.200s", issuer);
	}
	copy_line(dst, n, text);
}

static enum https_status
curl_status(CURLcode rc, const struct sink *s)
{
	switch (rc) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return s->is_too_large || rc == CURLE_FILESIZE_EXCEEDED ?
		    HTTPS_TOO_LARGE : HTTPS_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTPS_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return HTTPS_TLS;
	default:
		return HTTPS_CONNECT;
	}
}

/* Fill out from a transfer that failed with rc. */
static void
failed(CURL *c, struct https_result *out, CURLcode rc, const char *msg,
    const struct sink *s)
{
	out->st = curl_status(rc, s);
	switch (out->st) {
	case HTTPS_TOO_LARGE:
		snprintf(out->detail, sizeof(out->detail),
		    "body larger than %zu bytes", s->max);
		break;
	case HTTPS_TLS:
		tls_detail(c, out->detail, sizeof(out->detail), rc, msg);
		break;
	default:
		copy_line(out->detail, sizeof(out->detail),
		    *msg ? msg : curl_easy_strerror(rc));
		break;
	}
}

/* Fill out from a response that came: its status and body. */
static void
answered(CURL *c, struct https_result *out, struct sink *s)
{
	char *ct = NULL, *location = NULL, text[sizeof(out->detail)];

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->http_status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		copy_line(out->content_type, sizeof(out->content_type), ct);
	if (out->http_status == 200) {
		out->st = HTTPS_OK;
		out->body = s->data != NULL ? s->data : xstrdup("");
		out->len = s->len;
		s->data = NULL;
	} else if (out->http_status >= 300 && out->http_status < 400) {
		out->st = HTTPS_REDIRECT;
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
		snprintf(text, sizeof(text), "HTTP %ld redirect to %s",
		    out->http_status,
		    location != NULL ? location : "(no location)");
		copy_line(out->detail, sizeof(out->detail), text);
	} else {
		out->st = HTTPS_STATUS;
		snprintf(out->detail, sizeof(out->detail), "HTTP status %ld",
		    out->http_status);
	}
}

static int
set_options(CURL *c, const char *url, struct curl_slist *resolve,
    const struct https_opts *o, struct sink *s, char *errbuf)
{
	unsigned timeout = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	bool has_ca = o->ca_file != NULL && *o->ca_file != '\0';
	CURLcode rc = CURLE_OK;

#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_RESOLVE, resolve);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_USERAGENT, "dmarcctl");
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_CERTINFO, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, s);
	if (has_ca) {
		/* the CA file alone: no directory of the system beside it */
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, NULL);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static int
check_args(const char *host, const char *ip, const char *path,
    const struct https_opts *o, struct err *err)
{
	if (host == NULL || !is_host_ok(host))
		return err_set(err, ERR_USAGE, "bad host name for https: %s",
		    host != NULL ? host : "(null)");
	if (ip == NULL || !is_ip_ok(ip))
		return err_set(err, ERR_USAGE, "bad address for https: %s",
		    ip != NULL ? ip : "(null)");
	if (path == NULL || !is_path_ok(path))
		return err_set(err, ERR_USAGE, "bad path for https: %s",
		    path != NULL ? path : "(null)");
	if (o->port > 65535)
		return err_set(err, ERR_USAGE, "bad port for https: %u",
		    o->port);
	if (o->ca_file != NULL && *o->ca_file != '\0' &&
	    access(o->ca_file, R_OK) != 0)
		return err_set(err, ERR_USAGE, "cannot read CA file %s",
		    o->ca_file);
	return 0;
}

int
https_get(const char *host, const char *ip, const char *path,
    const struct https_opts *o, struct https_result *out, struct err *err)
{
	static const struct https_opts none;
	struct sink s = { NULL, 0, 0, 0, false };
	struct curl_slist *resolve = NULL;
	char url[1400], entry[400], errbuf[CURL_ERROR_SIZE] = "";
	unsigned port;
	CURL *c = NULL;
	CURLcode rc;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		o = &none;
	if (check_args(host, ip, path, o, err) == -1 || global_init(err) == -1)
		return -1;
	port = o->port ? o->port : DEFAULT_PORT;
	s.max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	snprintf(url, sizeof(url), "https://%s:%u%s", host, port, path);
	snprintf(entry, sizeof(entry), strchr(ip, ':') ? "%s:%u:[%s]" :
	    "%s:%u:%s", host, port, ip);
	resolve = curl_slist_append(NULL, entry);
	c = curl_easy_init();
	if (resolve == NULL || c == NULL) {
		err_set(err, ERR_NET, "cannot start libcurl for %s", host);
		goto out;
	}
	if (set_options(c, url, resolve, o, &s, errbuf) == -1) {
		err_set(err, ERR_NET, "cannot set up libcurl for %s: %s",
		    host, *errbuf ? errbuf : "option refused");
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		answered(c, out, &s);
	else
		failed(c, out, rc, errbuf, &s);
	ret = 0;
out:
	free(s.data);
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	return ret;
}
