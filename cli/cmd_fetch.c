/*
 * dmarcctl fetch: the reports mailbox of [imap] into the database.
 *
 * Each message goes through the pipeline (cli/pipeline.c) and is moved out
 * of the mailbox only after its reports are committed: to the archive
 * folder when it held a report (new or already stored), to the errors
 * folder when it held none (the cause is in `dmarcctl errors`).  A crash
 * between the commit and the move is harmless: the next run finds a
 * duplicate and moves it.  A database lock per mailbox keeps a second run
 * (cron overlapping a slow one, or another host) out at once.
 *
 * Exit: 69 when the database or the IMAP server cannot be used (refused,
 * bad credentials, a certificate that does not verify); 75 when another run
 * holds the mailbox or the connection drops mid-run (what was committed
 * stays and was moved; the rest waits untouched for the next run).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/opt.h"
#include "cli/pipeline.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "ingest/source_imap.h"
#include "store/store.h"

enum {
	DEFAULT_TIMEOUT = 60,
	MAX_PASSWORD = 1024,
	WATCH_WAIT = 3600,	/* re-list the mailbox at least this often */
	BACKOFF_MAX = 300,
};

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct fetch {
	struct pipeline g;
	struct imap_settings set;
	char password[MAX_PASSWORD];
	bool is_net_lost;	/* the connection failed mid-run */
	struct err net_err;
};

/* the first line of password_file; warns when others can read it */
static int
read_password(const char *path, char *out, size_t size, struct err *err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return err_set(err, errno == ENOENT ? ERR_USAGE : ERR_IO,
		    "cannot read the IMAP password file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("the IMAP password file %s can be read by other "
		    "users (chmod 600 %s)", path, path);
	n = read(fd, out, size - 1);
	close(fd);
	if (n < 0)
		return err_set(err, ERR_IO, "cannot read the IMAP password "
		    "file %s: %s", path, strerror(errno));
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (*out == '\0')
		return err_set(err, ERR_USAGE, "the IMAP password file %s is "
		    "empty", path);
	return 0;
}

static const struct {
	const char *name;
	enum imap_tls tls;
	unsigned port;
} tls_modes[] = {
	{ "implicit", IMAP_TLS_IMPLICIT, 993 },
	{ "starttls", IMAP_TLS_STARTTLS, 143 },
	{ "none", IMAP_TLS_NONE, 143 },
};

/* [imap] of the config as settings; ERR_USAGE names what is missing */
static int
settings(struct fetch *f, const struct config *cfg, bool is_insecure,
    struct err *err)
{
	struct imap_settings *set = &f->set;
	const char *tls = cfg->imap_tls != NULL ? cfg->imap_tls : "implicit";
	size_t i, n = sizeof(tls_modes) / sizeof(tls_modes[0]);
	long v;

	if (cfg->imap_host == NULL || cfg->imap_user == NULL)
		return err_set(err, ERR_USAGE, "fetch: set host and user in the "
		    "[imap] section of the config file%s%s",
		    cfg->path != NULL ? " " : " (none was read)",
		    cfg->path != NULL ? cfg->path : "");
	set->host = cfg->imap_host;
	set->user = cfg->imap_user;
	for (i = 0; i < n && strcmp(tls_modes[i].name, tls) != 0; i++)
		;
	if (i == n)
		return err_set(err, ERR_USAGE, "[imap] tls = %s: expected "
		    "implicit, starttls or none", tls);
	set->tls = tls_modes[i].tls;
	set->port = tls_modes[i].port;
	if (set->tls == IMAP_TLS_NONE && !is_insecure)
		return err_set(err, ERR_USAGE, "[imap] tls = none sends the "
		    "password in clear text: pass --insecure to allow it");
	if (cfg->imap_port != NULL) {
		if (opt_long("[imap] port", cfg->imap_port, 1, 65535, &v,
		    err) == -1)
			return -1;
		set->port = (unsigned)v;
	}
	set->timeout = DEFAULT_TIMEOUT;
	if (cfg->imap_timeout != NULL) {
		if (opt_long("[imap] timeout", cfg->imap_timeout, 1, 3600, &v,
		    err) == -1)
			return -1;
		set->timeout = (unsigned)v;
	}
	if (cfg->imap_password != NULL) {
		if (strlen(cfg->imap_password) >= sizeof(f->password))
			return err_set(err, ERR_USAGE, "the IMAP password is "
			    "too long");
		snprintf(f->password, sizeof(f->password), "%s",
		    cfg->imap_password);
	} else if (cfg->imap_password_file != NULL) {
		if (read_password(cfg->imap_password_file, f->password,
		    sizeof(f->password), err) == -1)
			return -1;
	} else {
		return err_set(err, ERR_USAGE, "no IMAP password: set "
		    "password_file in [imap] or $DMARCCTL_IMAP_PASSWORD");
	}
	set->password = f->password;
	set->ca_file = cfg->imap_ca_file;
	set->mailbox = cfg->imap_mailbox != NULL ? cfg->imap_mailbox : "INBOX";
	set->archive = cfg->imap_archive != NULL ? cfg->imap_archive :
	    "Archive/DMARC";
	set->errors = cfg->imap_errors != NULL ? cfg->imap_errors :
	    "Archive/Invalid";
	set->max_message = cfg->limits.max_message;
	if (strcmp(set->archive, set->mailbox) == 0 ||
	    strcmp(set->errors, set->mailbox) == 0)
		return err_set(err, ERR_USAGE, "[imap] archive and errors must "
		    "differ from the mailbox %s", set->mailbox);
	return 0;
}

static void
net_lost(struct fetch *f, const struct err *why)
{
	f->is_net_lost = true;
	f->net_err = *why;
}

/* count what the session moved, then end it */
static void
close_session(struct fetch *f, struct source *src)
{
	unsigned archived, rejected;

	if (src == NULL)
		return;
	source_moved(src, &archived, &rejected);
	f->g.archived += archived;
	f->g.rejected += rejected;
	source_close(src);
}

/*
 * Every message of the mailbox as listed; false when the run must stop.
 * What was committed is moved before returning, unless the connection is
 * what failed.
 */
static bool
drain(struct fetch *f, struct source *src)
{
	struct err err;

	if (pipeline_drain(&f->g, src, &stop_requested, &err) == -1) {
		net_lost(f, &err);
		return false;
	}
	return !f->g.is_db_lost;
}

static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: waits wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
sleep_unless_stopped(unsigned seconds)
{
	for (unsigned i = 0; i < seconds && !stop_requested; i++) {
		struct timespec ts = { 1, 0 };

		nanosleep(&ts, NULL);
	}
}

/*
 * --watch: process, then IDLE until new mail; a dropped connection is
 * retried with a growing pause.  Only a first connection that fails ends
 * the run: a wrong setting shows at once.
 */
static void
watch(struct fetch *f, struct source *m)
{
	unsigned backoff = 1;
	struct err err;

	catch_stop_signals();
	while (!stop_requested && !f->g.is_db_lost) {
		if (m == NULL) {
			if (source_open_ops(&m, &source_imap_ops, &f->set,
			    &err) == -1) {
				log_warn("%s; retrying in %u s", err.msg, backoff);
				sleep_unless_stopped(backoff);
				backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
				    backoff * 2;
				continue;
			}
			log_notice("reconnected to %s:%u", f->set.host,
			    f->set.port);
		}
		if (drain(f, m) && source_wait(m, WATCH_WAIT, &stop_requested,
		    &err) != -1) {
			backoff = 1;
			continue;
		}
		if (f->g.is_db_lost)
			break;
		if (f->is_net_lost)
			err = f->net_err;
		log_warn("%s; reconnecting", err.msg);
		f->is_net_lost = false;
		close_session(f, m);
		m = NULL;
	}
	if (m != NULL && !f->g.is_db_lost && source_flush(m, &err) == -1)
		log_warn("%s", err.msg);
	close_session(f, m);
}

static int
usage(FILE *out)
{
	fprintf(out, "usage: dmarcctl fetch [--dry-run] [--json] [--watch] "
	    "[--insecure]\n");
	return out == stdout ? EXIT_OK : EXIT_USAGE;
}

/* one fetch per mailbox at a time, across hosts sharing the database */
static int
lock_mailbox(struct fetch *f)
{
	char name[1024];
	struct err err;
	int r;

	snprintf(name, sizeof(name), "fetch %s@%s:%u/%s", f->set.user,
	    f->set.host, f->set.port, f->set.mailbox);
	r = store_try_lock(f->g.store, name, &err);
	if (r == -1) {
		log_error("%s", err.msg);
		return EXIT_UNAVAILABLE;
	}
	if (r == 0) {
		log_error("fetch: another dmarcctl fetch is working on %s@%s/%s;"
		    " try again when it has finished", f->set.user,
		    f->set.host, f->set.mailbox);
		return EXIT_TEMPFAIL;
	}
	return EXIT_OK;
}

int
cmd_fetch(int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fetch *f = xcalloc(1, sizeof(*f));
	bool is_dry = false, want_json = false, want_watch = false,
	    is_insecure = false;
	struct source *m = NULL;
	struct err err;
	int ch, status;

	while ((ch = getopt_long(argc, argv, "+njwkh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': is_dry = true; break;
		case 'j': want_json = true; break;
		case 'w': want_watch = true; break;
		case 'k': is_insecure = true; break;
		case 'h': status = usage(stdout); goto out;
		default: status = usage(stderr); goto out;
		}
	}
	if (optind < argc) {
		status = usage(stderr);
		goto out;
	}
	if (settings(f, cfg, is_insecure, &err) == -1) {
		log_error("%s", err.msg);
		status = cmd_exit_status(err.code);
		goto out;
	}
	f->set.is_read_only = is_dry;
	/* a server that goes away must not kill us on a write */
	signal(SIGPIPE, SIG_IGN);
	if (pipeline_init(&f->g, cfg, is_dry) == -1) {
		status = EXIT_UNAVAILABLE;
		goto out;
	}
	f->g.want_json = want_json;
	f->g.is_mailbox = true;
	if (!is_dry && (status = lock_mailbox(f)) != EXIT_OK) {
		store_free(f->g.store);
		goto out;
	}
	if (source_open_ops(&m, &source_imap_ops, &f->set, &err) == -1) {
		log_error("%s", err.msg);
		store_free(f->g.store);
		status = EXIT_UNAVAILABLE;
		goto out;
	}
	if (want_watch) {
		watch(f, m);
	} else {
		(void)drain(f, m);
		close_session(f, m);
	}
	status = pipeline_finish(&f->g);
	if (f->is_net_lost) {
		log_error("%s; what was stored is kept, the rest stays in the "
		    "mailbox for the next run", f->net_err.msg);
		if (status == EXIT_OK || status == EXIT_DATAERR)
			status = EXIT_TEMPFAIL;
	}
out:
	explicit_bzero(f->password, sizeof(f->password));
	free(f);
	return status;
}
