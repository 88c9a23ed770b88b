/*
 * dmarcctl fetch: the reports mailboxes of [imap] and [imap.NAME] into the
 * database.
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
 *
 * Accounts: [imap] alone, or [imap] (when it sets a user: "default") and
 * each [imap.NAME] section, the unset keys of a section taken from [imap].
 * Each account runs as the one account always did, with a database
 * connection and lock of its own, one after the other; --watch gives each
 * a process of its own, since an IDLE waits on one connection.  The exit
 * status is the worst of the accounts' (severity()).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/help.h"
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
	const char *name;	/* the account: "default" for [imap] */
	char section[48];	/* "[imap]" or "[imap.NAME]" */
	char who[48];		/* "account NAME: " before its messages */
	struct pipeline g;
	struct imap_settings set;
	char password[MAX_PASSWORD];
	bool is_net_lost;	/* the connection failed mid-run */
	struct err net_err;
	/* what the run of this account did */
	struct pipeline_counts counts;
	int status;
	bool has_run;		/* its mailbox was opened */
};

/* what --dry-run, --json and --watch ask of every account */
struct run_opts {
	bool is_dry;
	bool want_json;
	bool want_watch;
	bool is_accounts;	/* [imap.NAME] sections: summary per account */
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

/* the strings stay the config's: out only borrows them */
static char *
pick(char *own, char *inherited)
{
	return own != NULL ? own : inherited;
}

/*
 * The settings of account a (NULL: [imap] itself): what it sets, else
 * what [imap] sets.  $DMARCCTL_IMAP_PASSWORD is the password of [imap]'s
 * login: of [imap], and of a section that sets neither user nor
 * password_file (another mailbox of the same user).
 */
static void
effective(const struct config *cfg, const struct config_imap *a,
    struct config_imap *out, const char **password)
{
	const struct config_imap *d = &cfg->imap;

	*out = *d;
	*password = cfg->imap_password;
	if (a == NULL)
		return;
	out->name = a->name;
	out->host = pick(a->host, d->host);
	out->port = pick(a->port, d->port);
	out->tls = pick(a->tls, d->tls);
	out->user = pick(a->user, d->user);
	out->password_file = pick(a->password_file, d->password_file);
	out->ca_file = pick(a->ca_file, d->ca_file);
	out->mailbox = pick(a->mailbox, d->mailbox);
	out->archive = pick(a->archive, d->archive);
	out->errors = pick(a->errors, d->errors);
	out->timeout = pick(a->timeout, d->timeout);
	if (a->user != NULL || a->password_file != NULL)
		*password = NULL;
}

static int
password(struct fetch *f, const struct config_imap *c, const char *env,
    struct err *err)
{
	if (env != NULL) {
		if (strlen(env) >= sizeof(f->password))
			return err_set(err, ERR_USAGE, "the IMAP password is "
			    "too long");
		snprintf(f->password, sizeof(f->password), "%s", env);
	} else if (c->password_file != NULL) {
		if (read_password(c->password_file, f->password,
		    sizeof(f->password), err) == -1)
			return -1;
	} else if (c->name == NULL) {
		return err_set(err, ERR_USAGE, "no IMAP password: set "
		    "password_file in [imap] or $DMARCCTL_IMAP_PASSWORD");
	} else {
		return err_set(err, ERR_USAGE, "no IMAP password for %s: set "
		    "password_file in it or in [imap] "
		    "($DMARCCTL_IMAP_PASSWORD is the password of [imap]'s "
		    "user)", f->section);
	}
	f->set.password = f->password;
	return 0;
}

/* the numbers of c: port and timeout */
static int
numbers(struct fetch *f, const struct config_imap *c, struct err *err)
{
	struct imap_settings *set = &f->set;
	char what[80];
	long v;

	if (c->port != NULL) {
		snprintf(what, sizeof(what), "%s port", f->section);
		if (opt_long(what, c->port, 1, 65535, &v, err) == -1)
			return -1;
		set->port = (unsigned)v;
	}
	set->timeout = DEFAULT_TIMEOUT;
	if (c->timeout != NULL) {
		snprintf(what, sizeof(what), "%s timeout", f->section);
		if (opt_long(what, c->timeout, 1, 3600, &v, err) == -1)
			return -1;
		set->timeout = (unsigned)v;
	}
	return 0;
}

/* account a (NULL: [imap]) of the config as settings; ERR_USAGE names
 * what is missing */
static int
settings(struct fetch *f, const struct config *cfg,
    const struct config_imap *a, bool is_insecure, struct err *err)
{
	struct imap_settings *set = &f->set;
	struct config_imap c;
	const char *env, *tls;
	size_t i, n = sizeof(tls_modes) / sizeof(tls_modes[0]);

	effective(cfg, a, &c, &env);
	tls = c.tls != NULL ? c.tls : "implicit";
	if (c.host == NULL || c.user == NULL)
		return err_set(err, ERR_USAGE, "fetch: set host and user in "
		    "the %s section of the config file%s%s",
		    a == NULL ? "[imap]" : "[imap] or the account's",
		    cfg->path != NULL ? " " : " (none was read)",
		    cfg->path != NULL ? cfg->path : "");
	set->host = c.host;
	set->user = c.user;
	for (i = 0; i < n && strcmp(tls_modes[i].name, tls) != 0; i++)
		;
	if (i == n)
		return err_set(err, ERR_USAGE, "%s tls = %s: expected "
		    "implicit, starttls or none", f->section, tls);
	set->tls = tls_modes[i].tls;
	set->port = tls_modes[i].port;
	if (set->tls == IMAP_TLS_NONE && !is_insecure)
		return err_set(err, ERR_USAGE, "%s tls = none sends the "
		    "password in clear text: pass --insecure to allow it",
		    f->section);
	if (numbers(f, &c, err) == -1 || password(f, &c, env, err) == -1)
		return -1;
	set->ca_file = c.ca_file;
	set->mailbox = c.mailbox != NULL ? c.mailbox : "INBOX";
	set->archive = c.archive != NULL ? c.archive : "Archive/DMARC";
	set->errors = c.errors != NULL ? c.errors : "Archive/Invalid";
	set->max_message = cfg->limits.max_message;
	if (strcmp(set->archive, set->mailbox) == 0 ||
	    strcmp(set->errors, set->mailbox) == 0)
		return err_set(err, ERR_USAGE, "%s archive and errors must "
		    "differ from the mailbox %s", f->section, set->mailbox);
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
				log_warn("%s%s; retrying in %u s", f->who,
				    err.msg, backoff);
				sleep_unless_stopped(backoff);
				backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
				    backoff * 2;
				continue;
			}
			log_notice("%sreconnected to %s:%u", f->who,
			    f->set.host, f->set.port);
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
		log_warn("%s%s; reconnecting", f->who, err.msg);
		f->is_net_lost = false;
		close_session(f, m);
		m = NULL;
	}
	if (m != NULL && !f->g.is_db_lost && source_flush(m, &err) == -1)
		log_warn("%s%s", f->who, err.msg);
	close_session(f, m);
}

static int
usage(FILE *out)
{
	return help_usage(out, "fetch");
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
		log_error("%s%s", f->who, err.msg);
		return EXIT_UNAVAILABLE;
	}
	if (r == 0) {
		log_error("%sfetch: another dmarcctl fetch is working on "
		    "%s@%s/%s; try again when it has finished", f->who,
		    f->set.user, f->set.host, f->set.mailbox);
		return EXIT_TEMPFAIL;
	}
	return EXIT_OK;
}

/*
 * One account, from the connection to the database to its last move:
 * f->status and f->counts.  Without accounts the summary is printed here,
 * as it always was.
 */
static void
run_account(struct fetch *f, const struct config *cfg,
    const struct run_opts *o)
{
	struct source *m = NULL;
	struct err err;
	int status;

	f->set.is_read_only = o->is_dry;
	f->counts.is_dry = o->is_dry;
	if (pipeline_init(&f->g, cfg, o->is_dry) == -1) {
		f->status = EXIT_UNAVAILABLE;
		return;
	}
	f->g.want_json = o->want_json && !o->is_accounts;
	f->g.is_mailbox = true;
	if (!o->is_dry && (status = lock_mailbox(f)) != EXIT_OK) {
		store_free(f->g.store);
		f->status = status;
		return;
	}
	if (source_open_ops(&m, &source_imap_ops, &f->set, &err) == -1) {
		log_error("%s%s", f->who, err.msg);
		store_free(f->g.store);
		f->status = EXIT_UNAVAILABLE;
		return;
	}
	f->has_run = true;
	if (o->want_watch) {
		watch(f, m);
	} else {
		(void)drain(f, m);
		close_session(f, m);
	}
	pipeline_counts(&f->g, &f->counts);
	status = o->is_accounts ? pipeline_end(&f->g) : pipeline_finish(&f->g);
	if (f->is_net_lost) {
		log_error("%s%s; what was stored is kept, the rest stays in "
		    "the mailbox for the next run", f->who, f->net_err.msg);
		if (status == EXIT_OK || status == EXIT_DATAERR)
			status = EXIT_TEMPFAIL;
	}
	f->status = status;
}

/* the children of --watch with several accounts, for on_stop_parent */
static pid_t children[64];
static volatile sig_atomic_t n_children;

/* a stop is passed on to every account's watcher */
static void
on_stop_parent(int sig)
{
	int saved = errno;

	stop_requested = 1;
	for (sig_atomic_t i = 0; i < n_children; i++)
		kill(children[i], sig == SIGINT ? SIGINT : SIGTERM);
	errno = saved;
}

/* what a child tells its parent when it ends */
struct outcome {
	struct pipeline_counts counts;
	int status;
	bool has_run;
};

static pid_t
spawn_watcher(struct fetch *f, const struct config *cfg,
    const struct run_opts *o, int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		struct outcome res;

		n_children = 0;
		close(p[0]);
		run_account(f, cfg, o);
		memset(&res, 0, sizeof(res));
		res.counts = f->counts;
		res.status = f->status;
		res.has_run = f->has_run;
		/* one write of less than PIPE_BUF bytes: whole or not at all */
		if (write(p[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			f->status = EXIT_SOFTWARE;
		explicit_bzero(f->password, sizeof(f->password));
		fflush(stdout);
		fflush(stderr);
		_exit(EXIT_OK);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/*
 * --watch with several accounts: a process per account, each with its
 * connections, its lock and its IDLE, so one account that blocks or fails
 * never holds up another.  A stop (SIGTERM, SIGINT, SIGHUP) goes to all.
 */
static void
watch_all(struct fetch **fs, size_t n, const struct config *cfg,
    const struct run_opts *o)
{
	struct sigaction sa;
	int fds[64];

	assert(n <= sizeof(children) / sizeof(children[0]));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_parent;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(stdout);
	fflush(stderr);
	for (size_t i = 0; i < n; i++) {
		pid_t pid = stop_requested ? -1 : spawn_watcher(fs[i], cfg, o,
		    &fds[i]);

		if (pid == -1) {
			fs[i]->status = stop_requested ? EXIT_OK :
			    EXIT_SOFTWARE;
			if (!stop_requested)
				log_error("%scannot start a watcher: %s",
				    fs[i]->who, strerror(errno));
			fds[i] = -1;
			children[i] = -1;
		} else {
			children[i] = pid;
		}
		n_children = (sig_atomic_t)(i + 1);
	}
	for (size_t i = 0; i < n; i++) {
		struct outcome res;
		int st;

		if (children[i] == -1)
			continue;
		while (waitpid(children[i], &st, 0) == -1 && errno == EINTR)
			;
		if (read(fds[i], &res, sizeof(res)) == (ssize_t)sizeof(res)) {
			fs[i]->counts = res.counts;
			fs[i]->status = res.status;
			fs[i]->has_run = res.has_run;
		} else {
			log_error("%sthe watcher ended without a word (%s %d)",
			    fs[i]->who, WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			fs[i]->status = EXIT_SOFTWARE;
		}
		close(fds[i]);
	}
	n_children = 0;
}

/* how bad an exit status is: the worst account gives the exit status */
static int
severity(int status)
{
	static const int order[] = { EXIT_OK, EXIT_DATAERR, EXIT_IOERR,
		EXIT_TEMPFAIL, EXIT_UNAVAILABLE };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == status)
			return (int)i;
	return (int)(sizeof(order) / sizeof(order[0]));
}

/* the totals, then one line (one object with --json) per account */
static void
report(struct fetch **fs, size_t n, bool want_json)
{
	struct pipeline_counts sum;

	memset(&sum, 0, sizeof(sum));
	for (size_t i = 0; i < n; i++)
		pipeline_counts_add(&sum, &fs[i]->counts);
	log_progress_clear();
	for (size_t i = 0; i < n; i++) {
		char who[64];

		snprintf(who, sizeof(who), "account %s", fs[i]->name);
		if (fs[i]->has_run)
			pipeline_text(&fs[i]->counts, true, who);
		else if (log_get_level() >= LOG_NORMAL)
			fprintf(stderr, "dmarcctl: %s: not fetched (exit %d)\n",
			    who, fs[i]->status);
	}
	if (n > 1)
		pipeline_text(&sum, true, "all accounts");
	if (!want_json)
		return;
	putchar('{');
	pipeline_json_keys(&sum, true);
	printf(",\"accounts\":[");
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"account\":\"%s\",", i > 0 ? "," : "",
		    fs[i]->name);
		pipeline_json_keys(&fs[i]->counts, true);
		printf(",\"status\":%d}", fs[i]->status);
	}
	printf("]}\n");
}

/* the accounts of the config: [imap] alone, or [imap] when it sets a user
 * and each [imap.NAME] */
static size_t
list_accounts(const struct config *cfg, struct fetch **fs)
{
	size_t n = 0;

	if (cfg->n_imap_accounts == 0 || cfg->imap.user != NULL) {
		fs[n] = xcalloc(1, sizeof(*fs[n]));
		fs[n]->name = "default";
		snprintf(fs[n]->section, sizeof(fs[n]->section), "[imap]");
		if (cfg->n_imap_accounts > 0)
			snprintf(fs[n]->who, sizeof(fs[n]->who),
			    "account default: ");
		n++;
	}
	for (size_t i = 0; i < cfg->n_imap_accounts; i++, n++) {
		const char *name = cfg->imap_accounts[i].name;

		fs[n] = xcalloc(1, sizeof(*fs[n]));
		fs[n]->name = name;
		snprintf(fs[n]->section, sizeof(fs[n]->section), "[imap.%s]",
		    name);
		snprintf(fs[n]->who, sizeof(fs[n]->who), "account %s: ", name);
	}
	return n;
}

/* keep only the account called name; 0 (said on stderr) when none is */
static size_t
choose(struct fetch **fs, size_t n, const char *name)
{
	char names[1024] = "";
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(fs[i]->name, name) == 0) {
			struct fetch *keep = fs[i];

			fs[i] = fs[0];
			fs[0] = keep;
			return 1;
		}
		len += (size_t)snprintf(names + len, len < sizeof(names) ?
		    sizeof(names) - len : 0, "%s%s", i > 0 ? ", " : "",
		    fs[i]->name);
		if (len >= sizeof(names))
			len = sizeof(names);
	}
	log_error("fetch: no account '%s' in the config file; the accounts "
	    "are: %s", name, names);
	return 0;
}

/* the settings of every account; two accounts on one mailbox would
 * fight over its lock */
static int
prepare(struct fetch **fs, size_t n, const struct config *cfg,
    bool is_insecure, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct config_imap *a = NULL;

		for (size_t j = 0; j < cfg->n_imap_accounts; j++)
			if (strcmp(cfg->imap_accounts[j].name,
			    fs[i]->name) == 0)
				a = &cfg->imap_accounts[j];
		if (settings(fs[i], cfg, a, is_insecure, err) == -1)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(fs[i]->set.host, fs[j]->set.host) == 0 &&
			    fs[i]->set.port == fs[j]->set.port &&
			    strcmp(fs[i]->set.user, fs[j]->set.user) == 0 &&
			    strcmp(fs[i]->set.mailbox, fs[j]->set.mailbox) == 0)
				return err_set(err, ERR_USAGE, "%s and %s both "
				    "fetch %s@%s/%s", fs[j]->section,
				    fs[i]->section, fs[i]->set.user,
				    fs[i]->set.host, fs[i]->set.mailbox);
	}
	return 0;
}

/* every account in turn (or all at once with --watch); the worst status */
static int
run(struct fetch **fs, size_t n, const struct config *cfg,
    const struct run_opts *o)
{
	int status = EXIT_OK;

	/* a server that goes away must not kill us on a write */
	signal(SIGPIPE, SIG_IGN);
	if (o->want_watch && n > 1) {
		watch_all(fs, n, cfg, o);
	} else {
		for (size_t i = 0; i < n && !stop_requested; i++)
			run_account(fs[i], cfg, o);
	}
	for (size_t i = 0; i < n; i++)
		if (severity(fs[i]->status) > severity(status))
			status = fs[i]->status;
	if (o->is_accounts)
		report(fs, n, o->want_json);
	return status;
}

int
cmd_fetch(int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { false, false, false, cfg->n_imap_accounts > 0 };
	struct fetch **fs = xcalloc(cfg->n_imap_accounts + 1, sizeof(*fs));
	const char *only = NULL;
	bool is_insecure = false;
	struct err err;
	size_t n;
	int ch, status;

	n = list_accounts(cfg, fs);
	while ((ch = getopt_long(argc, argv, "+a:njwkh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': only = optarg; break;
		case 'n': o.is_dry = true; break;
		case 'j': o.want_json = true; break;
		case 'w': o.want_watch = true; break;
		case 'k': is_insecure = true; break;
		case 'h': status = usage(stdout); goto out;
		default: status = usage(stderr); goto out;
		}
	}
	if (optind < argc) {
		status = usage(stderr);
		goto out;
	}
	if (only != NULL && choose(fs, n, only) == 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (only != NULL)
		n = 1;
	if (n > sizeof(children) / sizeof(children[0])) {
		log_error("fetch: %zu accounts: at most %zu are fetched at "
		    "once", n, sizeof(children) / sizeof(children[0]));
		status = EXIT_USAGE;
		goto out;
	}
	if (prepare(fs, n, cfg, is_insecure, &err) == -1) {
		log_error("%s", err.msg);
		status = cmd_exit_status(err.code);
		goto out;
	}
	status = run(fs, n, cfg, &o);
out:
	for (size_t i = 0; i < cfg->n_imap_accounts + 1; i++) {
		if (fs[i] != NULL)
			explicit_bzero(fs[i]->password,
			    sizeof(fs[i]->password));
		free(fs[i]);
	}
	free(fs);
	return status;
}
