#include "tests/dns/tls_rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/test_util.h"

#define TLS_RIG FIXTURES "/../../scripts/tls-rig.sh"

void
tls_rig_certs(const char *dir, const char *names)
{
	char cmd[4096], *out, *err;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' certs '%s/certs' %s", TLS_RIG, dir,
	    names != NULL ? names : "");
	st = test_run(cmd, &out, &err);
	cr_assert_eq(st, 0, "tls-rig.sh certs: %s", err);
	free(out);
	free(err);
}

/* Run `tls-rig.sh <what> start DIR/<what> PORT args` on a free port:
 * another process may take it first, so try a few. */
static unsigned
start(const char *dir, const char *what, const char *args)
{
	char cmd[4096], *out = NULL, *err = NULL;
	unsigned port = 0;
	int st = -1;

	for (int attempt = 0; attempt < 3 && st != 0; attempt++) {
		port = test_free_port(SOCK_STREAM);
		free(out);
		free(err);
		snprintf(cmd, sizeof(cmd), "TLS_RIG_OWNER=%ld TLS_RIG_SMTP="
		    "'%s' '%s' %s start '%s/%s' %u %s", (long)getpid(),
		    SMTP_TLS_SERVER, TLS_RIG, what, dir, what, port, args);
		st = test_run(cmd, &out, &err);
	}
	cr_assert_eq(st, 0, "tls-rig.sh %s start: %s", what, err);
	free(out);
	free(err);
	return port;
}

static void
stop(const char *dir, const char *what)
{
	char cmd[2048], *out, *err;

	snprintf(cmd, sizeof(cmd), "'%s' %s stop '%s/%s'", TLS_RIG, what, dir,
	    what);
	if (test_run(cmd, &out, &err) != 0)
		cr_log_error("tls-rig.sh %s stop: %s", what, err);
	free(out);
	free(err);
}

unsigned
tls_rig_https_start(const char *dir, const char *conf)
{
	char path[1024], args[1100];

	snprintf(path, sizeof(path), "%s/https.conf", dir);
	test_write_file(path, conf, strlen(conf));
	snprintf(args, sizeof(args), "'%s'", path);
	return start(dir, "https", args);
}

void
tls_rig_https_stop(const char *dir)
{
	stop(dir, "https");
}

unsigned
tls_rig_smtp_start(const char *dir, const char *cert, int has_starttls)
{
	char args[2048];

	snprintf(args, sizeof(args), "'%s/certs/%s.pem' '%s/certs/%s.key'%s",
	    dir, cert, dir, cert, has_starttls ? "" : " no-starttls");
	return start(dir, "smtp", args);
}

void
tls_rig_smtp_stop(const char *dir)
{
	stop(dir, "smtp");
}
