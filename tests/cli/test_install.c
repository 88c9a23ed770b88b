/*
 * make install / make uninstall, end to end, and the help contract every
 * command keeps: `dmarcctl help COMMAND` and `COMMAND --help` print the
 * usage on stdout and exit 0; a bad option prints it on stderr and exits
 * 64.  Every command of `dmarcctl help` has its section in dmarcctl.1 and
 * is completed by completion/dmarcctl.bash.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/test_util.h"

/* FIXTURES is <root>/tests/fixtures, DMARCCTL_BIN <root>/<B>/dmarcctl */
#define ROOT_TAIL "/tests/fixtures"
#define ROOT FIXTURES "/../.."
/* a config file on this host must not get in the way */
#define BIN "DMARCCTL_CONFIG=/dev/null '" DMARCCTL_BIN "'"
#define MAX_COMMANDS 64

static int sh(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* test_run on a command line made by printf */
static int
sh(char **out, char **err, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert(n >= 0 && (size_t)n < sizeof(cmd));
	return test_run(cmd, out, err);
}

/* B of the build the tests run from, relative to the root when it can
 * be: the make targets are named so */
static char *
build_dir(void)
{
	size_t root_len = strlen(FIXTURES) - strlen(ROOT_TAIL);
	const char *bin = DMARCCTL_BIN;
	const char *slash = strrchr(bin, '/');
	const char *start = bin;

	cr_assert(slash != NULL);
	if (strncmp(bin, FIXTURES, root_len) == 0 && bin[root_len] == '/')
		start = bin + root_len + 1;
	return xstrndup(start, (size_t)(slash - start));
}

/* make in the root, with nothing of an outer make (check runs us from
 * one) leaking in; the binary is never rebuilt here (-o) */
static int
run_make(const char *target, const char *destdir, char **out, char **err)
{
	char *b = build_dir();
	int r;

	r = sh(out, err, "cd '%s' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "
	    "make -o '%s/dmarcctl' %s B='%s' DESTDIR='%s' PREFIX=/usr", ROOT,
	    b, target, b, destdir);
	free(b);
	return r;
}

static void
expect_file(const char *dir, const char *path)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, path);
	cr_expect(access(p, R_OK) == 0, "not installed: %s", path);
}

static void
drop(char *out, char *err)
{
	free(out);
	free(err);
}

Test(install, installs_and_uninstalls_every_file)
{
	char *dir = test_tmpdir(), *out, *err;

	cr_assert_eq(run_make("install", dir, &out, &err), 0, "%s%s", out,
	    err);
	drop(out, err);
	expect_file(dir, "usr/bin/dmarcctl");
	expect_file(dir, "usr/share/man/man1/dmarcctl.1");
	expect_file(dir, "usr/share/bash-completion/completions/dmarcctl");
	expect_file(dir, "usr/share/dmarcctl/sql/001_core.sql");
	expect_file(dir, "usr/share/dmarcctl/contrib/dmarcctl-fetch.service");
	expect_file(dir, "usr/share/doc/dmarcctl/README.md");
	expect_file(dir, "usr/share/doc/dmarcctl/parsedmarc-maps/LICENSE");
	expect_file(dir, "usr/share/doc/dmarcctl/parsedmarc-maps/NOTICE");

	/* the installed binary runs */
	cr_expect_eq(sh(&out, &err, "'%s/usr/bin/dmarcctl' help", dir), 0,
	    "%s", err);
	cr_expect(strstr(out, "fetch") != NULL);
	drop(out, err);

	/* the units name the installed binary */
	cr_expect_eq(sh(&out, &err, "grep -q '^ExecStart=/usr/bin/dmarcctl ' "
	    "'%s/usr/share/dmarcctl/contrib/dmarcctl-fetch.service'", dir), 0);
	drop(out, err);

	/* the manual page renders, without a warning */
	cr_expect_eq(sh(&out, &err, "MANWIDTH=80 man -l "
	    "'%s/usr/share/man/man1/dmarcctl.1'", dir), 0, "%s", err);
	cr_expect(strstr(out, "fetch") != NULL);
	cr_expect(strstr(out, "advise") != NULL);
	drop(out, err);
	cr_expect_eq(sh(&out, &err, "groff -man -Tutf8 -ww -z "
	    "'%s/usr/share/man/man1/dmarcctl.1'", dir), 0);
	cr_expect_str_eq(err, "");
	drop(out, err);

	/* the completion loads and completes */
	cr_expect_eq(sh(&out, &err, "bash -c '. \"$1\"; COMP_WORDS=(dmarcctl "
	    "db \"\"); COMP_CWORD=2; _dmarcctl; echo \"${COMPREPLY[*]}\"' - "
	    "'%s/usr/share/bash-completion/completions/dmarcctl'", dir), 0,
	    "%s", err);
	cr_expect_str_eq(out, "migrate status prune --help\n");
	drop(out, err);

	cr_assert_eq(run_make("uninstall", dir, &out, &err), 0, "%s%s", out,
	    err);
	drop(out, err);
	cr_expect_eq(sh(&out, &err, "find '%s' ! -type d", dir), 0);
	cr_expect_str_eq(out, "", "left behind by uninstall:\n%s", out);
	drop(out, err);
	cr_expect_eq(sh(&out, &err, "find '%s' -type d -name dmarcctl", dir),
	    0);
	cr_expect_str_eq(out, "", "directories left behind:\n%s", out);
	drop(out, err);
	sh(&out, &err, "rm -rf '%s'", dir);
	drop(out, err);
	free(dir);
}

/* the command names of `dmarcctl help`, "help" itself left out */
static size_t
commands(char names[][32])
{
	char *out, *err, *line, *next;
	size_t n = 0;
	int in_list = 0;

	cr_assert_eq(sh(&out, &err, BIN " help"), 0, "%s", err);
	for (line = out; *line != '\0'; line = next) {
		char name[32];

		next = strchr(line, '\n');
		if (next == NULL)
			next = line + strlen(line);
		else
			*next++ = '\0';
		if (strcmp(line, "commands:") == 0) {
			in_list = 1;
			continue;
		}
		if (!in_list || strncmp(line, "  ", 2) != 0 ||
		    sscanf(line + 2, "%31[a-z-]", name) != 1 ||
		    strcmp(name, "help") == 0)
			continue;
		cr_assert_lt(n, MAX_COMMANDS);
		snprintf(names[n++], 32, "%s", name);
	}
	drop(out, err);
	return n;
}

Test(install, every_command_answers_help_and_refuses_bad_options)
{
	char names[MAX_COMMANDS][32], usage[64], *out, *err;
	size_t n = commands(names);

	cr_assert_geq(n, 11, "dmarcctl help lists %zu commands", n);
	for (size_t i = 0; i < n; i++) {
		const char *c = names[i];

		snprintf(usage, sizeof(usage), "usage: dmarcctl %s", c);
		cr_expect_eq(sh(&out, &err, BIN " help %s", c), 0,
		    "help %s: %s", c, err);
		cr_expect(strncmp(out, usage, strlen(usage)) == 0,
		    "help %s: stdout '%s'", c, out);
		drop(out, err);

		cr_expect_eq(sh(&out, &err, BIN " %s --help", c), 0,
		    "%s --help: %s", c, err);
		cr_expect(strncmp(out, usage, strlen(usage)) == 0,
		    "%s --help: stdout '%s'", c, out);
		cr_expect_str_eq(err, "", "%s --help", c);
		drop(out, err);

		cr_expect_eq(sh(&out, &err, BIN " %s --bogus", c), 64,
		    "%s --bogus", c);
		cr_expect_str_eq(out, "", "%s --bogus", c);
		cr_expect(strstr(err, usage) != NULL,
		    "%s --bogus: stderr '%s'", c, err);
		drop(out, err);
	}
}

Test(install, every_command_is_documented_and_completed)
{
	char names[MAX_COMMANDS][32], *out, *err, *completed, word[40];
	size_t n = commands(names);

	/* what `dmarcctl <TAB>` offers, as " a b c " */
	cr_assert_eq(sh(&completed, &err, "bash -c '. \"$1\"; "
	    "COMP_WORDS=(dmarcctl \"\"); COMP_CWORD=1; _dmarcctl; "
	    "echo \" ${COMPREPLY[*]} \"' - '%s/completion/dmarcctl.bash'",
	    ROOT), 0, "%s", err);
	free(err);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(sh(&out, &err, "grep -q '^\\.SS \"dmarcctl %s' "
		    "'%s/dmarcctl.1'", names[i], ROOT), 0,
		    "dmarcctl.1 has no section for %s", names[i]);
		drop(out, err);
		snprintf(word, sizeof(word), " %s ", names[i]);
		cr_expect(strstr(completed, word) != NULL,
		    "completion/dmarcctl.bash does not offer %s: %s", names[i],
		    completed);
	}
	free(completed);
}
