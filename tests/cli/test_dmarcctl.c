/*
 * dmarcctl's global options, end to end: -v given twice prints debugging
 * lines (where the configuration came from), and never a conninfo.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_util.h"

#define INPUT "corpus/aggregate/accurateplastics_empty-orgname.xml"

static int
run(const char *args, char **out, char **err)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cd %s && env -u DMARCCTL_DB "
	    "DMARCCTL_CONFIG=/dev/null %s %s", FIXTURES, DMARCCTL_BIN, args);
	return test_run(cmd, out, err);
}

Test(cli_dmarcctl, vv_prints_debugging_lines)
{
	char *out, *err;

	cr_assert_eq(run("-vv --db 'password=hunter2' parse " INPUT, &out,
	    &err), 0, "%s", err);
	cr_expect(strstr(err, "dmarcctl: debug: config file /dev/null\n") !=
	    NULL, "%s", err);
	cr_expect(strstr(err, "dmarcctl: debug: database from --db\n") !=
	    NULL, "%s", err);
	cr_expect(strstr(err, "dmarcctl: debug: command parse\n") != NULL,
	    "%s", err);
	cr_expect(strstr(err, "hunter2") == NULL, "%s", err);
	cr_expect(out[0] != '\0');
	free(out);
	free(err);
}

Test(cli_dmarcctl, one_v_prints_no_debugging_lines)
{
	char *out, *err;

	cr_assert_eq(run("-v parse " INPUT, &out, &err), 0, "%s", err);
	cr_expect(strstr(err, "debug:") == NULL, "%s", err);
	free(out);
	free(err);
}

/* one version, from the file VERSION: --version and version say it */
Test(cli_dmarcctl, version_is_the_version_file)
{
	static const char *const forms[] = { "--version", "version" };
	size_t n;
	char *v = test_slurp(FIXTURES "/../../VERSION", &n), want[64];

	cr_assert(v != NULL);
	v[strcspn(v, " \n")] = '\0';
	cr_assert(strchr(v, '.') != NULL, "%s", v);
	snprintf(want, sizeof(want), "dmarcctl %s\n", v);
	for (size_t i = 0; i < 2; i++) {
		char *out, *err;

		cr_expect_eq(test_dmarcctl(NULL, "", forms[i], &out, &err),
		    0, "%s: %s", forms[i], err);
		cr_expect_str_eq(out, want, "%s", forms[i]);
		cr_expect_str_eq(err, "", "%s", forms[i]);
		free(out);
		free(err);
	}
	free(v);
}
