/*
 * dmarcctl fetch against a real Dovecot (scripts/imap-rig.sh; the shared
 * one tests/run-tests.sh starts, or a private one for the tests that stop
 * the server) and a real PostgreSQL: every message ends in exactly one of
 * the archive and errors folders, its reports stored once, whatever breaks.
 * Each test logs in as a user of its own: mailboxes are never shared.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libetpan/libetpan.h>

#include "common/xalloc.h"
#include "store/store.h"
#include "tests/poison.h"
#include "tests/test_util.h"

#define REPO FIXTURES "/../.."
#define IMAP_RIG REPO "/scripts/imap-rig.sh"

/* one mailbox on one server, a database, and a config file naming both */
struct box {
	char user[128];
	char imapdir[512];
	unsigned port;		/* STARTTLS */
	unsigned tlsport;	/* implicit TLS */
	char ca[600];
	char *db;
	char *tmp;
	char conf[600];
	bool is_private;	/* a server of this test's own */
};

static void
env_port(const char *name, unsigned *out)
{
	const char *v = getenv(name);

	cr_assert_not_null(v, "%s is not set: run the tests through "
	    "tests/run-tests.sh (make check)", name);
	*out = (unsigned)strtoul(v, NULL, 10);
}


static int
rig(const char *verb, const struct box *b, const char *env)
{
	char cmd[2048], *out, *err;
	int rc;

	if (strcmp(verb, "start") == 0)
		snprintf(cmd, sizeof(cmd), "%s %s start %s %u %u", env, IMAP_RIG,
		    b->imapdir, b->port, b->tlsport);
	else
		snprintf(cmd, sizeof(cmd), "%s %s %s", IMAP_RIG, verb,
		    b->imapdir);
	rc = test_run(cmd, &out, &err);
	cr_assert_eq(rc, 0, "imap-rig %s: %s", verb, err);
	free(out);
	free(err);
	return rc;
}

static void
write_conf(struct box *b, const char *extra)
{
	char text[4096];

	snprintf(text, sizeof(text), "database = %s\n[imap]\nhost = localhost\n"
	    "port = %u\nuser = %s\nca_file = %s\ntimeout = 10\n%s\n", b->db,
	    b->tlsport, b->user, b->ca, extra != NULL ? extra : "");
	test_write_file(b->conf, text, strlen(text));
}


static void
box_new(struct box *b, const char *tag, const char *caps)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->user, sizeof(b->user), "%s-%d@example.test", tag,
	    (int)getpid());
	b->tmp = test_tmpdir();
	chmod(b->tmp, 0755);
	if (caps != NULL) {
		char env[512];

		b->is_private = true;
		snprintf(b->imapdir, sizeof(b->imapdir), "%s/imap", b->tmp);
		b->port = test_free_port(SOCK_STREAM);
		do
			b->tlsport = test_free_port(SOCK_STREAM);
		while (b->tlsport == b->port);
		snprintf(env, sizeof(env), "IMAP_RIG_CAPS='%s'", caps);
		rig("start", b, *caps != '\0' ? env : "");
	} else {
		const char *d = getenv("TEST_IMAP_DIR");

		cr_assert_not_null(d, "TEST_IMAP_DIR is not set: run the tests "
		    "through tests/run-tests.sh (make check)");
		snprintf(b->imapdir, sizeof(b->imapdir), "%s", d);
		env_port("TEST_IMAP_PORT", &b->port);
		env_port("TEST_IMAPS_PORT", &b->tlsport);
	}
	snprintf(b->ca, sizeof(b->ca), "%s/cert.pem", b->imapdir);
	snprintf(b->conf, sizeof(b->conf), "%s/dmarcctl.conf", b->tmp);
	b->db = test_db_migrated();
	write_conf(b, NULL);
}

static void
box_free(struct box *b)
{
	char cmd[1200], *out, *err;

	if (b->is_private)
		rig("destroy", b, "");
	test_db_drop(b->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->tmp);
	(void)test_run(cmd, &out, &err);
	free(out);
	free(err);
	free(b->tmp);
}

/* dmarcctl -c CONF fetch ARGS, with the password in the environment */
static int
fetch(const struct box *b, const char *args, char **out, char **err)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "DMARCCTL_IMAP_PASSWORD=secret %s -c %s "
	    "fetch %s", DMARCCTL_BIN, b->conf, args);
	return test_run(cmd, out, err);
}

static void
maildir_path(const struct box *b, const char *folder, char *out,
    size_t size)
{
	snprintf(out, size, "%s/mail/%s/Maildir%s%s", b->imapdir, b->user,
	    folder != NULL ? "/." : "", folder != NULL ? folder : "");
}

static void
own(const char *path)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	pw = getpwnam("nobody");
	cr_assert_not_null(pw);
	cr_assert(chown(path, pw->pw_uid, pw->pw_gid) == 0, "chown %s: %s",
	    path, strerror(errno));
}

/* deliver by Maildir drop: written to tmp/, renamed into new/ */
static void
drop(const struct box *b, const void *data, size_t len)
{
	static unsigned n;
	char md[700], path[900], to[900], home[700];

	snprintf(home, sizeof(home), "%s/mail/%s", b->imapdir, b->user);
	maildir_path(b, NULL, md, sizeof(md));
	mkdir(home, 0700);
	own(home);
	mkdir(md, 0700);
	own(md);
	for (int i = 0; i < 3; i++) {
		static const char *const sub[] = { "cur", "new", "tmp" };

		snprintf(path, sizeof(path), "%s/%s", md, sub[i]);
		mkdir(path, 0700);
		own(path);
	}
	snprintf(path, sizeof(path), "%s/tmp/%ld.P%dQ%u.rig", md,
	    (long)time(NULL), (int)getpid(), ++n);
	snprintf(to, sizeof(to), "%s/new/%ld.P%dQ%u.rig", md, (long)time(NULL),
	    (int)getpid(), n);
	test_write_file(path, data, len);
	own(path);
	cr_assert(rename(path, to) == 0);
}

/* deliver by IMAP APPEND (unseen), over TLS */
static void
append(const struct box *b, const void *data, size_t len)
{
	mailimap *imap = mailimap_new(0, NULL);
	int r;

	mailimap_set_timeout(imap, 10);
	r = mailimap_ssl_connect(imap, "127.0.0.1", (uint16_t)b->tlsport);
	cr_assert(r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR, "connect: %d", r);
	cr_assert_eq(mailimap_login(imap, b->user, "secret"), 0);
	r = mailimap_append(imap, "INBOX", NULL, NULL, data, len);
	cr_assert_eq(r, 0, "APPEND: %d", r);
	mailimap_logout(imap);
	mailimap_free(imap);
}

static long
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* messages in a folder (NULL: INBOX), new and seen alike */
static long
in_folder(const struct box *b, const char *folder)
{
	char md[700], path[800];
	long n;

	maildir_path(b, folder, md, sizeof(md));
	snprintf(path, sizeof(path), "%s/new", md);
	n = count_files(path);
	snprintf(path, sizeof(path), "%s/cur", md);
	return n + count_files(path);
}

#define ARCHIVE "Archive.DMARC"
#define ERRORS "Archive.Invalid"

/* a DMARC aggregate report email, gzip'd as Yahoo sends them */
static char *
report_mail(const char *tag, int i, size_t *len)
{
	char xml[2048], name[256];
	char *gz, *mail;
	size_t gzlen;
	long begin = 1767225600L + 86400L * (i % 30);

	snprintf(xml, sizeof(xml), "<?xml version=\"1.0\"?>\n<feedback>"
	    "<report_metadata><org_name>yahoo.com</org_name><email>"
	    "dmarc@yahoo.com</email><report_id>%s-%d</report_id><date_range>"
	    "<begin>%ld</begin><end>%ld</end></date_range></report_metadata>"
	    "<policy_published><domain>example.org</domain><p>none</p>"
	    "</policy_published><record><row><source_ip>192.0.2.%d</source_ip>"
	    "<count>%d</count><policy_evaluated><disposition>none"
	    "</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>"
	    "</row><identifiers><header_from>example.org</header_from>"
	    "</identifiers><auth_results><dkim><domain>example.org</domain>"
	    "<result>pass</result></dkim><spf><domain>example.org</domain>"
	    "<result>pass</result></spf></auth_results></record></feedback>\n",
	    tag, i, begin, begin + 86399, i % 250 + 1, i % 7 + 1);
	snprintf(name, sizeof(name), "yahoo.com!example.org!%ld!%ld.xml.gz",
	    begin, begin + 86399);
	gz = test_gzip(xml, strlen(xml), &gzlen);
	mail = test_email(gz, gzlen, "application/gzip", name, len);
	free(gz);
	return mail;
}

static void
deliver_reports(const struct box *b, const char *tag, int from, int n,
    bool by_append)
{
	for (int i = from; i < from + n; i++) {
		size_t len;
		char *m = report_mail(tag, i, &len);

		if (by_append)
			append(b, m, len);
		else
			drop(b, m, len);
		free(m);
	}
}

static const char junk[] = "From: someone@example.net\r\nTo: dmarc@example."
    "org\r\nSubject: hello\r\n\r\nNot a report at all.\r\n";

struct summary {
	long long inputs, reports, fresh, duplicate, failed, archived,
	    rejected;
};

static struct summary
summary(const char *out)
{
	static const char *const keys[] = { "inputs", "reports", "new",
		"duplicate", "failed", "archived", "rejected" };
	long long v[7];
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);

	cr_assert_not_null(j, "not JSON: '%s': %s", out, je.text);
	for (size_t i = 0; i < 7; i++) {
		json_t *x = json_object_get(j, keys[i]);

		cr_assert(json_is_integer(x), "%s: no %s", out, keys[i]);
		v[i] = json_integer_value(x);
	}
	json_decref(j);
	return (struct summary){ v[0], v[1], v[2], v[3], v[4], v[5], v[6] };
}

static long long
reports_in_db(const struct box *b)
{
	return test_db_count(b->db, "SELECT count(*) FROM reports");
}

/* the corpus emails by Maildir drop, generated ones by APPEND */
static void
fetch_everything(const char *tls, unsigned port_of_box)
{
	struct box b;
	char *out, *err, extra[128];
	struct summary s;
	DIR *d;
	struct dirent *e;
	long corpus = 0;
	int rc;

	box_new(&b, tls, NULL);
	snprintf(extra, sizeof(extra), "tls = %s\nport = %u\n", tls,
	    port_of_box == 0 ? b.port : b.tlsport);
	write_conf(&b, extra);
	d = opendir(CORPUS "/email");
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[600];
		size_t len;
		char *data;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".expect") != NULL)
			continue;
		snprintf(path, sizeof(path), CORPUS "/email/%s", e->d_name);
		data = test_slurp(path, &len);
		drop(&b, data, len);
		free(data);
		corpus++;
	}
	closedir(d);
	cr_assert_gt(corpus, 3);
	deliver_reports(&b, "gen", 0, 20, true);
	drop(&b, junk, sizeof(junk) - 1);

	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "some inputs are no reports: %d: %s", rc, err);
	s = summary(out);
	cr_expect_eq(s.inputs, corpus + 21, "%s", out);
	cr_expect_eq(s.archived + s.rejected, corpus + 21, "%s", out);
	cr_expect_eq(s.failed, s.rejected, "%s", out);
	cr_expect_geq(s.fresh, 20, "%s", out);
	/* every message in exactly one place, none left, none lost */
	cr_expect_eq(in_folder(&b, NULL), 0, "INBOX is empty");
	cr_expect_eq(in_folder(&b, ARCHIVE), s.archived);
	cr_expect_eq(in_folder(&b, ERRORS), s.rejected);
	cr_expect_eq(reports_in_db(&b), s.fresh);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM ingest_errors "
	    "WHERE source LIKE 'imap%'"), s.rejected);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM reports WHERE "
	    "report_id LIKE 'gen-%'"), 20);
	free(out);
	free(err);

	/* a second run finds nothing to do */
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%s", err);
	s = summary(out);
	cr_expect_eq(s.inputs, 0, "%s", out);
	cr_expect_eq(in_folder(&b, ARCHIVE) + in_folder(&b, ERRORS),
	    corpus + 21);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, implicit_tls_stores_and_moves_everything_once, .timeout = 60)
{
	fetch_everything("implicit", 1);
}

Test(fetch, starttls_stores_and_moves_everything_once, .timeout = 60)
{
	fetch_everything("starttls", 0);
}

Test(fetch, certificate_is_verified, .timeout = 60)
{
	struct box b;
	char *out, *err, extra[256];
	int rc;

	box_new(&b, "verify", NULL);
	deliver_reports(&b, "v", 0, 2, false);
	/* no ca_file: the system trust store does not know the test CA */
	snprintf(extra, sizeof(extra), "ca_file =\n");
	write_conf(&b, extra);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 69, "%d: %s", rc, err);
	cr_expect(strstr(err, "certificate") != NULL, "%s", err);
	cr_expect(strstr(err, "secret") == NULL, "no password in: %s", err);
	cr_expect_eq(in_folder(&b, NULL), 2, "nothing moved");
	cr_expect_eq(reports_in_db(&b), 0);
	free(out);
	free(err);
	/* a name the certificate does not carry */
	snprintf(extra, sizeof(extra), "host = 127.1\n");
	write_conf(&b, extra);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 69, "%d: %s", rc, err);
	cr_expect(strstr(err, "not valid for 127.1") != NULL, "%s", err);
	free(out);
	free(err);
	/* with it: verified */
	write_conf(&b, NULL);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(in_folder(&b, ARCHIVE), 2);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, plain_text_only_with_insecure, .timeout = 60)
{
	struct box b;
	char *out, *err, extra[256];
	int rc;

	box_new(&b, "plain", NULL);
	deliver_reports(&b, "p", 0, 1, false);
	snprintf(extra, sizeof(extra), "tls = none\nport = %u\n", b.port);
	write_conf(&b, extra);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 64, "%d: %s", rc, err);
	cr_expect(strstr(err, "--insecure") != NULL, "%s", err);
	free(out);
	free(err);
	rc = fetch(&b, "--insecure", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(in_folder(&b, ARCHIVE), 1);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, bad_credentials_and_missing_settings, .timeout = 60)
{
	struct box b;
	char cmd[2048], *out, *err, pw[700];
	int rc;

	box_new(&b, "creds", NULL);
	deliver_reports(&b, "c", 0, 1, false);
	snprintf(cmd, sizeof(cmd), "DMARCCTL_IMAP_PASSWORD=wrong-pass %s -c %s "
	    "fetch", DMARCCTL_BIN, b.conf);
	rc = test_run(cmd, &out, &err);
	cr_expect_eq(rc, 69, "%d: %s", rc, err);
	cr_expect(strstr(err, "login as") != NULL, "%s", err);
	cr_expect(strstr(err, "wrong-pass") == NULL, "no password in: %s", err);
	cr_expect_eq(in_folder(&b, NULL), 1);
	free(out);
	free(err);
	/* the password from password_file */
	snprintf(pw, sizeof(pw), "%s/imap.pass", b.tmp);
	test_write_file(pw, "secret\n", 7);
	chmod(pw, 0600);
	{
		char extra[800];

		snprintf(extra, sizeof(extra), "password_file = %s\n", pw);
		write_conf(&b, extra);
	}
	snprintf(cmd, sizeof(cmd), "%s -c %s fetch", DMARCCTL_BIN, b.conf);
	rc = test_run(cmd, &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(in_folder(&b, ARCHIVE), 1);
	free(out);
	free(err);
	/* no password at all */
	write_conf(&b, NULL);
	rc = test_run(cmd, &out, &err);
	cr_expect_eq(rc, 64, "%d: %s", rc, err);
	cr_expect(strstr(err, "password") != NULL, "%s", err);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, database_down_moves_nothing, .timeout = 60)
{
	struct box b;
	char *out, *err, *db;
	int rc;

	box_new(&b, "dbdown", NULL);
	deliver_reports(&b, "d", 0, 2, false);
	db = b.db;
	b.db = xstrdup("host=/nonexistent port=1 dbname=x");
	write_conf(&b, NULL);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 69, "%d: %s", rc, err);
	cr_expect_eq(in_folder(&b, NULL), 2, "nothing moved");
	free(out);
	free(err);
	free(b.db);
	b.db = db;
	box_free(&b);
}

Test(fetch, duplicate_report_is_archived, .timeout = 60)
{
	struct box b;
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "dup", NULL);
	deliver_reports(&b, "same", 0, 1, false);
	deliver_reports(&b, "same", 0, 1, true);
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	s = summary(out);
	cr_expect_eq(s.fresh, 1, "%s", out);
	cr_expect_eq(s.duplicate, 1, "%s", out);
	cr_expect_eq(s.archived, 2, "%s", out);
	cr_expect_eq(in_folder(&b, ARCHIVE), 2);
	cr_expect_eq(reports_in_db(&b), 1);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, dry_run_writes_and_moves_nothing, .timeout = 60)
{
	struct box b;
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "dry", NULL);
	deliver_reports(&b, "dry", 0, 3, false);
	drop(&b, junk, sizeof(junk) - 1);
	rc = fetch(&b, "--dry-run --json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	s = summary(out);
	cr_expect_eq(s.reports, 3, "%s", out);
	cr_expect_eq(s.archived + s.rejected, 0, "%s", out);
	cr_expect_eq(in_folder(&b, NULL), 4);
	cr_expect_eq(in_folder(&b, ARCHIVE), 0);
	cr_expect_eq(reports_in_db(&b), 0);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM raw_inputs"), 0);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, oversized_message_goes_to_errors, .timeout = 60)
{
	struct box b;
	char *out, *err;
	struct summary s;
	size_t len;
	char *big = xmalloc(300000);
	int rc;

	box_new(&b, "big", NULL);
	deliver_reports(&b, "small", 0, 1, false);
	memcpy(big, junk, sizeof(junk) - 1);
	len = sizeof(junk) - 1;
	for (; len < 299000; len++)
		big[len] = (len % 77) == 0 ? '\n' : 'x';
	drop(&b, big, len);
	free(big);
	write_conf(&b, "[limits]\nmax_message = 200000\n");
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "exceeds") != NULL, "%s", err);
	s = summary(out);
	cr_expect_eq(s.archived, 1, "%s", out);
	cr_expect_eq(s.rejected, 1, "%s", out);
	cr_expect_eq(in_folder(&b, ERRORS), 1);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM ingest_errors "
	    "WHERE code = 'limit'"), 1);
	free(out);
	free(err);
	box_free(&b);
}

/*
 * A report the database refuses is the message's fault, as a parse error
 * is: it goes to errors, recorded with its original, and the rest of the
 * mailbox is stored; the INBOX is empty, and the next run has nothing to
 * do.  (A trigger refuses it: whatever the parsers catch first.)
 */
Test(fetch, refused_report_goes_to_errors, .timeout = 60)
{
	static const char *const sql[] = {
		TEST_UNSAFE_TRIGGERS,
		"CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS "
		"$$ BEGIN IF NEW.report_id = 'bad-1' THEN RAISE EXCEPTION "
		"'value out of range' USING ERRCODE = '22003'; END IF; "
		"RETURN NEW; END $$",
		"CREATE TRIGGER t_refuse BEFORE INSERT ON reports FOR EACH ROW "
		"EXECUTE FUNCTION t_refuse()",
	};
	struct store *st = NULL;
	struct box b;
	struct err e;
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "refused", NULL);
	cr_assert_eq(store_open(&st, b.db, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		cr_assert_eq(store_select(st, sql[i], 0, NULL, NULL, NULL, &e),
		    0, "%s", e.msg);
	store_free(st);
	deliver_reports(&b, "good", 0, 2, false);
	deliver_reports(&b, "bad", 1, 1, true);
	deliver_reports(&b, "good", 2, 2, true);
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "refused by the database: value out of range "
	    "[SQLSTATE 22003]") != NULL, "%s", err);
	s = summary(out);
	cr_expect_eq(s.fresh, 4, "%s", out);
	cr_expect_eq(s.failed, 1, "%s", out);
	cr_expect_eq(s.archived, 4, "%s", out);
	cr_expect_eq(s.rejected, 1, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&b, ARCHIVE), 4);
	cr_expect_eq(in_folder(&b, ERRORS), 1);
	cr_expect_eq(reports_in_db(&b), 4);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM ingest_errors "
	    "e JOIN raw_inputs w ON w.id = e.raw_id WHERE e.code = 'refused' "
	    "AND e.cause LIKE '%: refused by the database: %'"), 1);
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(summary(out).inputs, 0, "%s", out);
	free(out);
	free(err);
	box_free(&b);
}

/* a failure fixture, with from replaced by to when from is not NULL */
static char *
failure_mail(const char *name, const char *from, const char *to, size_t *len)
{
	char path[512], *text, *at, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/failure/%s", FIXTURES, name);
	text = test_slurp(path, len);
	if (from == NULL)
		return text;
	at = strstr(text, from);
	cr_assert_not_null(at, "%s: '%s'", name, from);
	n = *len - strlen(from) + strlen(to) + 1;
	out = xmalloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to,
	    at + strlen(from));
	*len = n - 1;
	free(text);
	return out;
}

/*
 * Failure reports from the mailbox: stored once, moved to the archive
 * folder, their mail not archived in the database (keep = metadata); one
 * the database refuses goes to the errors folder, without its original.
 */
Test(fetch, failure_reports_are_stored_and_moved, .timeout = 60)
{
	static const struct {
		const char *name, *from, *to;
	} mails[] = {
		{ "rfc9991_dmarc-failure-alignment.eml", NULL, NULL },
		{ "rfc6591_spf-failure-rfc822.eml", NULL, NULL },
		/* the first again, sent anew */
		{ "rfc9991_dmarc-failure-alignment.eml", "Message-ID: "
		  "<ruf-7731.20260518091502@mx.receiver.example>",
		  "Message-ID: <again@mx.receiver.example>" },
		/* a selector the database refuses */
		{ "rfc6591_dkim-failure-rfc822-headers.eml",
		  "DKIM-Selector: news", "DKIM-Selector: poisoned" },
	};
	struct box b;
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "ruf", NULL);
	test_db_refuse_poisoned(b.db);
	deliver_reports(&b, "agg", 0, 2, false);
	for (size_t i = 0; i < sizeof(mails) / sizeof(mails[0]); i++) {
		size_t len;
		char *m = failure_mail(mails[i].name, mails[i].from,
		    mails[i].to, &len);

		append(&b, m, len);
		free(m);
	}
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "refused by the database: value refused") !=
	    NULL, "%s", err);
	s = summary(out);
	cr_expect_eq(s.inputs, 6, "%s", out);
	cr_expect_eq(s.fresh, 4, "%s", out);
	cr_expect_eq(s.duplicate, 1, "%s", out);
	cr_expect_eq(s.failed, 1, "%s", out);
	cr_expect_eq(s.archived, 5, "%s", out);
	cr_expect_eq(s.rejected, 1, "%s", out);
	free(out);
	free(err);
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&b, ARCHIVE), 5);
	cr_expect_eq(in_folder(&b, ERRORS), 1);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM reports WHERE "
	    "kind = 'failure'"), 2);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM "
	    "failure_samples WHERE (reported_domain, dkim_selector) IN "
	    "(('sender.example', 's2026'))"), 1);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM "
	    "failure_samples"), 2);
	/* only the aggregate reports' mails are archived; the refused
	 * failure report is recorded without its mail */
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM raw_inputs"),
	    2);
	cr_expect_eq(test_db_count(b.db, "SELECT count(*) FROM ingest_errors "
	    "WHERE raw_id IS NULL AND cause LIKE '%refused by the "
	    "database%'"), 1);
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(summary(out).inputs, 0, "%s", out);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, without_move_falls_back_to_copy_and_expunge, .timeout = 60)
{
	struct box b;
	char *out, *err;
	int rc;

	box_new(&b, "nomove", "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE "
	    "IDLE LITERAL+");
	deliver_reports(&b, "nm", 0, 3, false);
	drop(&b, junk, sizeof(junk) - 1);
	{
		char cmd[2048];

		snprintf(cmd, sizeof(cmd), "DMARCCTL_IMAP_PASSWORD=secret %s -v "
		    "-c %s fetch", DMARCCTL_BIN, b.conf);
		rc = test_run(cmd, &out, &err);
	}
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect(strstr(err, "MOVE no") != NULL, "%s", err);
	cr_expect_eq(in_folder(&b, NULL), 0, "expunged");
	cr_expect_eq(in_folder(&b, ARCHIVE), 3);
	cr_expect_eq(in_folder(&b, ERRORS), 1);
	cr_expect_eq(reports_in_db(&b), 3);
	free(out);
	free(err);
	box_free(&b);
}

/* --- runs in the background --- */

struct bg {
	pid_t pid;
	char out[700];
	char err[700];
};

static void
bg_start(struct bg *g, const struct box *b, const char *args, int n)
{
	snprintf(g->out, sizeof(g->out), "%s/bg%d.out", b->tmp, n);
	snprintf(g->err, sizeof(g->err), "%s/bg%d.err", b->tmp, n);
	g->pid = fork();
	cr_assert_neq(g->pid, -1);
	if (g->pid == 0) {
		int o = open(g->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(g->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		setenv("DMARCCTL_IMAP_PASSWORD", "secret", 1);
		execl(DMARCCTL_BIN, "dmarcctl", "-c", b->conf, "fetch", args,
		    (char *)NULL);
		_exit(127);
	}
}

/* its exit status, waiting at most seconds (-1: still running, killed) */
static int
bg_wait(struct bg *g, int seconds)
{
	int st;

	for (int i = 0; i < seconds * 20; i++) {
		pid_t r = waitpid(g->pid, &st, WNOHANG);

		if (r == g->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(50000);
	}
	kill(g->pid, SIGKILL);
	waitpid(g->pid, &st, 0);
	return -1;
}

static char *
bg_text(const char *path)
{
	size_t len;

	return access(path, R_OK) == 0 ? test_slurp(path, &len) :
	    xstrdup("");
}

/* poll until the query counts at least n (at most seconds) */
static bool
db_reaches(const struct box *b, const char *sql, long long n, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (test_db_count(b->db, sql) >= n)
			return true;
		usleep(10000);
	}
	return false;
}

Test(fetch, server_killed_mid_run_loses_nothing, .timeout = 120)
{
	struct box b;
	struct bg g;
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "kill", "");
	deliver_reports(&b, "k", 0, 400, false);
	bg_start(&g, &b, "--json", 1);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 20, 30),
	    "the fetch stored nothing");
	rig("kill", &b, "");
	rc = bg_wait(&g, 40);
	err = bg_text(g.err);
	cr_expect_eq(rc, 75, "a dropped server is a temporary failure: %d: %s",
	    rc, err);
	free(err);
	cr_expect_gt(in_folder(&b, NULL), 0, "the kill came before the end");
	cr_expect_lt(reports_in_db(&b), 400);

	rig("start", &b, "");
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	s = summary(out);
	/* committed but not moved yet (the store writes up to 256 reports
	 * at a time, moves go in batches of 64): seen again, stored once */
	cr_expect_leq(s.duplicate, 256 + 64, "%s", out);
	cr_expect_eq(in_folder(&b, NULL), 0);
	/* none lost; a server killed inside its own MOVE (copy, then
	 * expunge) may leave the batch it was moving in both folders: the
	 * rerun stores those as duplicates and archives them once more */
	cr_expect(in_folder(&b, ARCHIVE) >= 400 && in_folder(&b, ARCHIVE) <=
	    400 + 64 && in_folder(&b, ARCHIVE) - 400 <= s.duplicate,
	    "%ld archived: %s", in_folder(&b, ARCHIVE), out);
	cr_expect_eq(in_folder(&b, ERRORS), 0);
	cr_expect_eq(reports_in_db(&b), 400);
	cr_expect_eq(test_db_count(b.db, "SELECT count(DISTINCT report_id) "
	    "FROM reports"), 400);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch, second_concurrent_run_exits_75, .timeout = 120)
{
	struct box b;
	struct bg g;
	char *out, *err;
	int rc;

	box_new(&b, "lock", NULL);
	deliver_reports(&b, "l", 0, 300, false);
	bg_start(&g, &b, "--json", 1);
	/* the first run holds its mailbox lock before it reads any mail */
	cr_assert(db_reaches(&b, "SELECT count(*) FROM pg_locks l JOIN "
	    "pg_database d ON d.oid = l.database WHERE d.datname = "
	    "current_database() AND l.locktype = 'advisory' AND l.granted",
	    1, 30),
	    "the first run took no lock");
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 75, "%d: %s", rc, err);
	cr_expect(strstr(err, "another dmarcctl fetch") != NULL, "%s", err);
	free(out);
	free(err);
	rc = bg_wait(&g, 60);
	err = bg_text(g.err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	free(err);
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&b, ARCHIVE), 300);
	cr_expect_eq(reports_in_db(&b), 300);
	box_free(&b);
}

Test(fetch, watch_idles_and_reconnects, .timeout = 120)
{
	struct box b;
	struct bg g;
	char *err;
	int rc;

	box_new(&b, "watch", "");
	deliver_reports(&b, "w", 0, 2, false);
	bg_start(&g, &b, "--watch", 1);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 2, 20),
	    "the waiting mail was not stored");
	/* new mail while it idles */
	deliver_reports(&b, "w", 2, 1, true);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 3, 20),
	    "mail arriving during IDLE was not stored");
	/* the server goes away and comes back */
	rig("stop", &b, "");
	rig("start", &b, "");
	deliver_reports(&b, "w", 3, 1, true);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 4, 40),
	    "no reconnect after the server came back");
	kill(g.pid, SIGTERM);
	rc = bg_wait(&g, 20);
	err = bg_text(g.err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	free(err);
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&b, ARCHIVE), 4);
	box_free(&b);
}

/* the poison inputs of tests/poison.h, one message each, by APPEND */
Test(fetch, poison_messages_never_stop_the_run, .timeout = 120)
{
	struct box b;
	struct poison *p;
	size_t n = poison_make(&p), failed = poison_errors(p, n);
	char *out, *err;
	struct summary s;
	int rc;

	box_new(&b, "poison", NULL);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *m = poison_mail(&p[i], &len);

		append(&b, m, len);
		free(m);
	}
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	s = summary(out);
	cr_expect_eq(s.inputs, (long long)n, "%s", out);
	cr_expect_eq(s.rejected, (long long)failed, "%s", out);
	cr_expect_eq(in_folder(&b, NULL), 0, "INBOX is empty");
	cr_expect_eq(in_folder(&b, ERRORS), (long)failed);
	cr_expect_eq(in_folder(&b, ARCHIVE), (long)(n - failed));
	free(out);
	free(err);
	poison_check(b.db, p, n);

	/* the next cron run finds nothing left */
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	s = summary(out);
	cr_expect_eq(s.inputs, 0, "%s", out);
	free(out);
	free(err);
	poison_free(p, n);
	box_free(&b);
}

/* --- several accounts: [imap] and [imap.NAME] sections --- */

/* the user of the account tag, on the server and database of b */
static struct box
other_user(const struct box *b, const char *tag)
{
	struct box o = *b;

	snprintf(o.user, sizeof(o.user), "%s-%d@example.test", tag,
	    (int)getpid());
	return o;
}

/*
 * [imap] is the dmarc user's account and holds the defaults; [imap.tls]
 * and [imap.failures] log in as users of their own with a password file
 * (the environment's password is [imap]'s); tls has an archive of its own,
 * failures inherits [imap]'s.  extra ends the file.
 */
static void
write_accounts(const struct box *b, const char *failures_pw,
    const char *extra)
{
	char text[8192], pw[700], bad[700];
	struct box t = other_user(b, "tls"), f = other_user(b, "failures");

	snprintf(pw, sizeof(pw), "%s/imap.pass", b->tmp);
	test_write_file(pw, "secret\n", 7);
	chmod(pw, 0600);
	snprintf(bad, sizeof(bad), "%s/bad.pass", b->tmp);
	test_write_file(bad, "wrong-pass\n", 11);
	chmod(bad, 0600);
	snprintf(text, sizeof(text), "database = %s\n[imap]\nhost = localhost\n"
	    "port = %u\nuser = %s\nca_file = %s\ntimeout = 10\n"
	    "archive = Archive/Reports\n\n[imap.tls]\nuser = %s\n"
	    "password_file = %s\narchive = Archive/TLS\n\n[imap.failures]\n"
	    "user = %s\npassword_file = %s\n%s", b->db, b->tlsport, b->user,
	    b->ca, t.user, pw, f.user, failures_pw != NULL ? bad : pw,
	    extra != NULL ? extra : "");
	test_write_file(b->conf, text, strlen(text));
}

#define REPORTS "Archive.Reports"
#define TLSARCHIVE "Archive.TLS"

/* the object of account name in the "accounts" of a --json summary */
static struct summary
account_summary(const char *out, const char *name, long long *status)
{
	json_error_t je;
	json_t *j = json_loads(out, 0, &je), *list, *a = NULL;
	size_t i;
	char *text;
	struct summary s;

	cr_assert_not_null(j, "not JSON: '%s': %s", out, je.text);
	list = json_object_get(j, "accounts");
	cr_assert(json_is_array(list), "no accounts in %s", out);
	json_array_foreach(list, i, a)
		if (strcmp(json_string_value(json_object_get(a, "account")),
		    name) == 0)
			break;
	cr_assert_lt(i, json_array_size(list), "no account %s in %s", name,
	    out);
	*status = json_integer_value(json_object_get(a, "status"));
	text = json_dumps(a, 0);
	s = summary(text);
	free(text);
	json_decref(j);
	return s;
}

static size_t
n_accounts(const char *out)
{
	json_t *j = json_loads(out, 0, NULL);
	size_t n;

	cr_assert_not_null(j, "not JSON: '%s'", out);
	n = json_array_size(json_object_get(j, "accounts"));
	json_decref(j);
	return n;
}

Test(fetch_accounts, one_run_drains_every_account, .timeout = 60)
{
	struct box b, t, f;
	char *out, *err;
	struct summary s;
	long long st;
	int rc;

	box_new(&b, "dmarc", NULL);
	t = other_user(&b, "tls");
	f = other_user(&b, "failures");
	write_accounts(&b, NULL, NULL);
	deliver_reports(&b, "acct-d", 0, 2, false);
	deliver_reports(&t, "acct-t", 0, 3, true);
	deliver_reports(&f, "acct-f", 0, 1, false);
	drop(&f, junk, sizeof(junk) - 1);

	/* a dry run per account: counted, nothing moved */
	rc = fetch(&b, "--dry-run --json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	s = account_summary(out, "tls", &st);
	cr_expect_eq(s.reports, 3, "%s", out);
	cr_expect_eq(in_folder(&t, NULL), 3);
	cr_expect_eq(reports_in_db(&b), 0);
	free(out);
	free(err);

	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 65, "the junk mail: %d: %s", rc, err);
	cr_expect_eq(n_accounts(out), 3, "%s", out);
	s = summary(out);
	cr_expect_eq(s.inputs, 7, "totals: %s", out);
	cr_expect_eq(s.fresh, 6, "%s", out);
	cr_expect_eq(s.archived, 6, "%s", out);
	cr_expect_eq(s.rejected, 1, "%s", out);
	s = account_summary(out, "default", &st);
	cr_expect_eq(s.inputs, 2, "%s", out);
	cr_expect_eq(s.archived, 2, "%s", out);
	cr_expect_eq(st, 0, "%s", out);
	s = account_summary(out, "tls", &st);
	cr_expect_eq(s.inputs, 3, "%s", out);
	cr_expect_eq(s.fresh, 3, "%s", out);
	cr_expect_eq(st, 0, "%s", out);
	s = account_summary(out, "failures", &st);
	cr_expect_eq(s.inputs, 2, "%s", out);
	cr_expect_eq(s.archived, 1, "%s", out);
	cr_expect_eq(s.rejected, 1, "%s", out);
	cr_expect_eq(st, 65, "%s", out);
	cr_expect(strstr(err, "tls: 3 inputs") != NULL, "%s", err);
	/* each account's mail in its own archive; inherited where unset */
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&b, REPORTS), 2);
	cr_expect_eq(in_folder(&t, NULL), 0);
	cr_expect_eq(in_folder(&t, TLSARCHIVE), 3);
	cr_expect_eq(in_folder(&t, REPORTS), 0);
	cr_expect_eq(in_folder(&f, NULL), 0);
	cr_expect_eq(in_folder(&f, REPORTS), 1);
	cr_expect_eq(in_folder(&f, ERRORS), 1);
	cr_expect_eq(reports_in_db(&b), 6);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch_accounts, account_picks_one, .timeout = 60)
{
	struct box b, t, f;
	char *out, *err;
	struct summary s;
	long long st;
	int rc;

	box_new(&b, "dmarc", NULL);
	t = other_user(&b, "tls");
	f = other_user(&b, "failures");
	write_accounts(&b, NULL, NULL);
	deliver_reports(&b, "pick-d", 0, 1, false);
	deliver_reports(&t, "pick-t", 0, 2, false);
	deliver_reports(&f, "pick-f", 0, 1, false);
	rc = fetch(&b, "--account tls --json", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(n_accounts(out), 1, "%s", out);
	s = account_summary(out, "tls", &st);
	cr_expect_eq(s.archived, 2, "%s", out);
	cr_expect_eq(in_folder(&t, TLSARCHIVE), 2);
	cr_expect_eq(in_folder(&b, NULL), 1, "the others are untouched");
	cr_expect_eq(in_folder(&f, NULL), 1, "the others are untouched");
	cr_expect_eq(reports_in_db(&b), 2);
	free(out);
	free(err);
	rc = fetch(&b, "--account default", &out, &err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect_eq(in_folder(&b, REPORTS), 1);
	cr_expect_eq(in_folder(&f, NULL), 1);
	free(out);
	free(err);
	/* no such account: a usage error naming the ones there are */
	rc = fetch(&b, "--account nosuch", &out, &err);
	cr_expect_eq(rc, 64, "%d: %s", rc, err);
	cr_expect(strstr(err, "nosuch") != NULL, "%s", err);
	cr_expect(strstr(err, "default, tls, failures") != NULL, "%s", err);
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch_accounts, failing_account_does_not_stop_the_others,
    .timeout = 60)
{
	struct box b, t, f;
	char *out, *err;
	struct summary s;
	long long st;
	int rc;

	box_new(&b, "dmarc", NULL);
	t = other_user(&b, "tls");
	f = other_user(&b, "failures");
	write_accounts(&b, "wrong", NULL);
	deliver_reports(&b, "fail-d", 0, 1, false);
	deliver_reports(&t, "fail-t", 0, 1, false);
	deliver_reports(&f, "fail-f", 0, 2, false);
	rc = fetch(&b, "--json", &out, &err);
	cr_expect_eq(rc, 69, "the worst account: %d: %s", rc, err);
	cr_expect(strstr(err, "account failures: ") != NULL, "%s", err);
	cr_expect(strstr(err, "login as") != NULL, "%s", err);
	cr_expect(strstr(err, "wrong-pass") == NULL, "no password in: %s",
	    err);
	cr_expect(strstr(err, "account failures: not fetched (exit 69)") !=
	    NULL, "%s", err);
	cr_expect(strstr(err, "account tls: 1 inputs") != NULL, "%s", err);
	s = account_summary(out, "failures", &st);
	cr_expect_eq(st, 69, "%s", out);
	cr_expect_eq(s.inputs, 0, "%s", out);
	s = summary(out);
	cr_expect_eq(s.archived, 2, "%s", out);
	cr_expect_eq(in_folder(&b, REPORTS), 1);
	cr_expect_eq(in_folder(&t, TLSARCHIVE), 1);
	cr_expect_eq(in_folder(&f, NULL), 2, "nothing moved");
	cr_expect_eq(reports_in_db(&b), 2);
	free(out);
	free(err);
	/* a server that is down is as bad: 69 as well, the others fetched */
	write_accounts(&b, NULL, "port = 1\n");
	deliver_reports(&b, "fail-d", 1, 1, false);
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 69, "%d: %s", rc, err);
	cr_expect(strstr(err, "account failures: cannot connect") != NULL,
	    "%s", err);
	cr_expect_eq(in_folder(&b, REPORTS), 2);
	free(out);
	free(err);
	box_free(&b);
}

/* dmarcctl -c CONF fetch with a config file of text; 64 expected */
static void
expect_config_error(struct box *b, const char *text, const char *want)
{
	char *out, *err;
	int rc;

	test_write_file(b->conf, text, strlen(text));
	rc = fetch(b, "", &out, &err);
	cr_expect_eq(rc, 64, "%s: %d: %s", text, rc, err);
	cr_expect(strstr(err, b->conf) != NULL, "names the file: %s", err);
	cr_expect(strstr(err, want) != NULL, "'%s' in: %s", want, err);
	free(out);
	free(err);
}

Test(fetch_accounts, sections_are_checked, .timeout = 60)
{
	struct box b;
	char *out, *err;
	int rc;

	box_new(&b, "sect", NULL);
	expect_config_error(&b, "[imap]\nhost = localhost\n[imap.a b]\n"
	    "user = x\n", "line 3: bad section name '[imap.a b]'");
	expect_config_error(&b, "[imap.]\n", "line 1: bad section name");
	expect_config_error(&b, "[imap.default]\n", "line 1: bad section "
	    "name '[imap.default]'");
	expect_config_error(&b, "[imap]\nhost = localhost\n\n[imap.tls]\n"
	    "user = x\nfolder = y\n", "line 6: unknown setting "
	    "'imap.tls.folder'");
	expect_config_error(&b, "[imap.tls]\nport = 99999\n", "line 2: "
	    "[imap.tls] port");
	/* two accounts on one mailbox */
	write_accounts(&b, NULL, "\n[imap.again]\n");
	rc = fetch(&b, "", &out, &err);
	cr_expect_eq(rc, 64, "%d: %s", rc, err);
	cr_expect(strstr(err, "[imap] and [imap.again] both fetch") != NULL,
	    "%s", err);
	free(out);
	free(err);
	box_free(&b);
}

/* [imap] keys are the defaults of the sections; [imap] without a user is
 * no account itself, and its password is its own */
Test(fetch_accounts, sections_inherit_from_imap, .timeout = 60)
{
	struct box b, t;
	char text[4096], *out, *err;
	struct summary s;
	long long st;
	int rc;

	box_new(&b, "inherit", NULL);
	t = other_user(&b, "inherit-tls");
	deliver_reports(&t, "inh", 0, 1, false);
	deliver_reports(&b, "inh-other", 0, 1, false);
	/* everything but user from [imap]; the same user's other mailbox
	 * gets the password of the environment */
	snprintf(text, sizeof(text), "database = %s\n[imap]\nhost = localhost"
	    "\nport = %u\nca_file = %s\ntimeout = 10\nmailbox = INBOX\n"
	    "errors = Archive/Bad\n[imap.tls]\nuser = %s\n", b.db, b.tlsport,
	    b.ca, t.user);
	test_write_file(b.conf, text, strlen(text));
	rc = fetch(&t, "--json", &out, &err);
	cr_expect_eq(rc, 64, "no password for tls: %d: %s", rc, err);
	cr_expect(strstr(err, "no IMAP password for [imap.tls]") != NULL,
	    "%s", err);
	free(out);
	free(err);
	snprintf(text, sizeof(text), "database = %s\n[imap]\nhost = localhost"
	    "\nport = %u\nca_file = %s\ntimeout = 10\nerrors = Archive/Bad\n"
	    "[imap.tls]\nuser = %s\npassword_file = %s/pw\n", b.db,
	    b.tlsport, b.ca, t.user, b.tmp);
	test_write_file(b.conf, text, strlen(text));
	snprintf(text, sizeof(text), "%s/pw", b.tmp);
	test_write_file(text, "secret\n", 7);
	chmod(text, 0600);
	drop(&t, junk, sizeof(junk) - 1);
	rc = fetch(&t, "--json", &out, &err);
	cr_expect_eq(rc, 65, "%d: %s", rc, err);
	cr_expect_eq(n_accounts(out), 1, "[imap] sets no user: %s", out);
	s = account_summary(out, "tls", &st);
	cr_expect_eq(s.archived, 1, "%s", out);
	cr_expect_eq(in_folder(&t, ARCHIVE), 1, "the default archive");
	cr_expect_eq(in_folder(&t, "Archive.Bad"), 1, "[imap]'s errors");
	cr_expect_eq(in_folder(&b, NULL), 1, "not an account");
	free(out);
	free(err);
	box_free(&b);
}

Test(fetch_accounts, watch_sees_mail_of_every_account, .timeout = 120)
{
	struct box b, t;
	struct bg g;
	char text[4096], pw[700], *err;
	int rc;

	box_new(&b, "watch-a", NULL);
	t = other_user(&b, "watch-b");
	snprintf(pw, sizeof(pw), "%s/pw", b.tmp);
	test_write_file(pw, "secret\n", 7);
	chmod(pw, 0600);
	snprintf(text, sizeof(text), "database = %s\n[imap]\nhost = localhost"
	    "\nport = %u\nuser = %s\nca_file = %s\ntimeout = 10\n"
	    "[imap.second]\nuser = %s\npassword_file = %s\n", b.db, b.tlsport,
	    b.user, b.ca, t.user, pw);
	test_write_file(b.conf, text, strlen(text));
	deliver_reports(&b, "wa", 0, 1, false);
	deliver_reports(&t, "wb", 0, 1, false);
	bg_start(&g, &b, "--watch", 1);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 2, 20),
	    "the waiting mail was not stored");
	/* new mail for the second account while both idle */
	deliver_reports(&t, "wb", 1, 1, true);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 3, 20),
	    "mail of the second account was not stored");
	deliver_reports(&b, "wa", 1, 1, true);
	cr_assert(db_reaches(&b, "SELECT count(*) FROM reports", 4, 20),
	    "mail of the first account was not stored");
	kill(g.pid, SIGTERM);
	rc = bg_wait(&g, 20);
	err = bg_text(g.err);
	cr_expect_eq(rc, 0, "%d: %s", rc, err);
	cr_expect(strstr(err, "second: 2 inputs") != NULL, "%s", err);
	free(err);
	cr_expect_eq(in_folder(&b, NULL), 0);
	cr_expect_eq(in_folder(&t, NULL), 0);
	cr_expect_eq(in_folder(&b, ARCHIVE), 2);
	cr_expect_eq(in_folder(&t, ARCHIVE), 2);
	box_free(&b);
}
