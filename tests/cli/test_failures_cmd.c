/*
 * dmarcctl failures end to end: the failure report fixtures of
 * tests/fixtures/failure ingested into a fresh database, then listed as
 * text, JSON (per domain, sender and address, as sources shapes it) and
 * CSV, over windows and domains, on an empty database and without one,
 * and with the sender and class of a source the analysis knows from
 * aggregate reports.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/test_util.h"

#define NO_DB "host=/nonexistent port=1"
#define ALL "--since 2000-01-01 --until 2030-01-01 --no-dns"

/* the fixtures that are failure reports (the abuse report is not) */
static const char *const samples[] = {
	"failure/linkedin_2019-04_arf-in-mbox.eml",
	"failure/rfc6591_dkim-failure-rfc822-headers.eml",
	"failure/rfc6591_spf-failure-rfc822.eml",
	"failure/rfc9991_dmarc-failure-alignment.eml",
	"failure/hostile_folded-mixed-case-crlf.eml",
	"failure/gateway_plain-text-notice.eml",
};
enum { N_SAMPLES = sizeof(samples) / sizeof(samples[0]) };

/* `dmarcctl --db CI ARGS`, run in the fixtures folder */
static int
dm(const char *ci, const char *args, char **out, char **err)
{
	return test_dmarcctl(FIXTURES, ci, args, out, err);
}

/* a database holding the six samples */
static char *
sample_db(void)
{
	char *ci = test_db_migrated(), *out, *err;
	char args[2048] = "ingest";
	size_t n = strlen(args);

	for (size_t i = 0; i < N_SAMPLES; i++)
		n += (size_t)snprintf(args + n, sizeof(args) - n, " %s",
		    samples[i]);
	cr_assert_lt(n, sizeof(args));
	cr_assert_eq(dm(ci, args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(test_db_count(ci, "SELECT count(*) FROM failure_samples"),
	    N_SAMPLES);
	return ci;
}

/* `failures ARGS --format json`: the document, its "domains" array */
static json_t *
failures_json(const char *ci, const char *args, json_t **domains)
{
	char cmd[512], *out, *err;
	json_error_t je;
	json_t *doc;

	snprintf(cmd, sizeof(cmd), "failures %s --format json", args);
	cr_assert_eq(dm(ci, cmd, &out, &err), 0, "%s", err);
	doc = json_loads(out, 0, &je);
	cr_assert_not_null(doc, "%s: %s", je.text, out);
	*domains = json_object_get(doc, "domains");
	cr_assert(json_is_array(*domains), "%s", out);
	free(out);
	free(err);
	return doc;
}

static const char *
str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v) || json_is_null(v), "%s: not a string",
	    key);
	return json_string_value(v);
}

static long long
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "%s: not a number", key);
	return json_integer_value(v);
}

/* the array of strings at key, joined by commas (static) */
static const char *
joined(json_t *o, const char *key)
{
	static char out[512];
	json_t *a = json_object_get(o, key), *v;
	size_t i, n = 0;

	cr_assert(json_is_array(a), "%s: not an array", key);
	out[0] = '\0';
	json_array_foreach(a, i, v) {
		cr_assert(json_is_string(v), "%s: not strings", key);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    i > 0 ? "," : "", json_string_value(v));
		cr_assert_lt(n, sizeof(out));
	}
	return out;
}

/* the addresses of every sender of every domain */
static size_t
n_addresses(json_t *domains)
{
	json_t *d, *s;
	size_t i, j, n = 0;

	json_array_foreach(domains, i, d)
		json_array_foreach(json_object_get(d, "senders"), j, s)
			n += json_array_size(json_object_get(s, "addresses"));
	return n;
}

/* the address ip (NULL: none) of domain, and its sender in *sender */
static json_t *
addr_of(json_t *domains, const char *domain, const char *ip,
    json_t **sender)
{
	json_t *d, *s, *a;
	size_t i, j, k;

	json_array_foreach(domains, i, d) {
		if (strcmp(str(d, "domain"), domain) != 0)
			continue;
		json_array_foreach(json_object_get(d, "senders"), j, s) {
			json_array_foreach(json_object_get(s, "addresses"), k,
			    a) {
				const char *v = str(a, "source");

				if (ip == NULL ? v != NULL : v == NULL ||
				    strcmp(v, ip) != 0)
					continue;
				*sender = s;
				return a;
			}
		}
	}
	cr_assert_fail("no address %s of %s", ip ? ip : "-", domain);
	return NULL;
}

Test(failures_cmd, json_lists_senders_with_their_addresses)
{
	char *ci = sample_db();
	json_t *domains, *doc = failures_json(ci, ALL, &domains), *a, *s;

	cr_expect_str_eq(str(doc, "since"), "2000-01-01T00:00:00Z");
	cr_expect_str_eq(str(doc, "until"), "2030-01-01T00:00:00Z");
	cr_expect_eq(num(doc, "days"), 10958);
	cr_expect_eq(json_array_size(domains), 4);
	/* the two RFC 6591 samples come from one address */
	cr_expect_eq(n_addresses(domains), 5);
	a = addr_of(domains, "example.net", "192.0.2.1", &s);
	cr_expect_eq(num(a, "samples"), 2);
	cr_expect_str_eq(str(a, "first"), "2005-03-08T18:00:00Z");
	cr_expect_str_eq(str(a, "last"), "2005-03-08T18:00:00Z");
	cr_expect_str_eq(joined(a, "auth_failures"), "bodyhash,spf");
	cr_expect_str_eq(joined(a, "dkim_selectors"), "news");
	cr_expect_str_eq(joined(a, "dkim_domains"), "example.net");
	cr_expect_str_eq(joined(a, "from_domains"), "example.net");
	cr_expect_str_eq(joined(a, "delivery_results"), "reject");
	/* no aggregate reports: the address is its own sender, unjudged */
	cr_expect_str_eq(str(s, "sender"), "192.0.2.1");
	cr_expect_null(str(s, "name"));
	cr_expect_null(str(s, "class"));
	cr_expect_eq(num(s, "samples"), 2);
	cr_expect_str_eq(joined(s, "auth_failures"), "bodyhash,spf");
	a = addr_of(domains, "sender.example", "2001:db8::25", &s);
	cr_expect_str_eq(joined(a, "auth_failures"), "dmarc");
	cr_expect_str_eq(joined(a, "dkim_selectors"), "s2026");
	cr_expect_str_eq(joined(a, "dkim_domains"), "vendor.example");
	cr_expect_str_eq(joined(a, "from_domains"), "sender.example");
	cr_expect_str_eq(str(s, "sender"), "2001:db8::25");
	/* a Source-IP that is no address: listed all the same, each type
	 * of a sample's Auth-Failure on its own */
	a = addr_of(domains, "shop.example", NULL, &s);
	cr_expect_null(str(s, "sender"));
	cr_expect_str_eq(joined(a, "auth_failures"), "dkim,spf,signature");
	cr_expect_str_eq(joined(a, "delivery_results"), "");
	a = addr_of(domains, "sender.example", "192.0.2.77", &s);
	cr_expect_str_eq(joined(a, "delivery_results"), "spam");
	json_decref(doc);
	test_db_drop(ci);
}

Test(failures_cmd, text_and_csv_show_the_same_rows)
{
	char *ci = sample_db(), *out, *err;
	size_t lines = 0;

	cr_assert_eq(dm(ci, "failures " ALL, &out, &err), 0, "%s", err);
	cr_expect(strncmp(out, "window: 2000-01-01 .. 2029-12-31", 32) == 0,
	    "%s", out);
	cr_expect(strstr(out, "bodyhash,spf") != NULL, "%s", out);
	cr_expect(strstr(out, "2001:db8::25") != NULL, "%s", out);
	free(out);
	free(err);
	cr_assert_eq(dm(ci, "failures " ALL " --format csv", &out, &err), 0,
	    "%s", err);
	cr_expect(strncmp(out, "domain,source_ip,sender,class,samples,first,"
	    "last,auth_failures,dkim_selectors,dkim_domains,from_domains,"
	    "delivery_results\n", 103) == 0, "%s", out);
	cr_expect(strstr(out, "\nexample.net,192.0.2.1,,,2,"
	    "2005-03-08T18:00:00Z,2005-03-08T18:00:00Z,") != NULL, "%s", out);
	cr_expect(strstr(out, ",\"bodyhash,spf\",news,") != NULL, "%s", out);
	for (const char *p = out; *p != '\0'; p++)
		lines += *p == '\n';
	cr_expect_eq(lines, 6, "%s", out);	/* a header and five rows */
	free(out);
	free(err);
	test_db_drop(ci);
}

Test(failures_cmd, window_and_domain_filter)
{
	char *ci = sample_db();
	json_t *domains, *doc, *s;

	/* by arrival: 2025 holds the gateway's notice and the hostile one */
	doc = failures_json(ci, "--since 2025-01-01 --until 2026-01-01 "
	    "--no-dns", &domains);
	cr_expect_eq(n_addresses(domains), 2);
	addr_of(domains, "sender.example", "192.0.2.77", &s);
	addr_of(domains, "shop.example", NULL, &s);
	json_decref(doc);
	/* until is exclusive: the RFC 9991 sample arrived 2026-05-18 */
	doc = failures_json(ci, "--since 2026-05-01 --until 2026-05-18 "
	    "--no-dns", &domains);
	cr_expect_eq(json_array_size(domains), 0);
	json_decref(doc);
	doc = failures_json(ci, ALL " --domain sender.example", &domains);
	cr_expect_eq(json_array_size(domains), 1);
	cr_expect_eq(n_addresses(domains), 2);
	addr_of(domains, "sender.example", "192.0.2.77", &s);
	addr_of(domains, "sender.example", "2001:db8::25", &s);
	json_decref(doc);
	doc = failures_json(ci, ALL " --domain other.example", &domains);
	cr_expect_eq(json_array_size(domains), 0);
	json_decref(doc);
	test_db_drop(ci);
}

Test(failures_cmd, empty_database_and_no_database)
{
	char *ci = test_db_migrated(), *out, *err;
	json_t *domains, *doc = failures_json(ci, ALL, &domains);

	cr_expect_eq(json_array_size(domains), 0);
	json_decref(doc);
	cr_expect_eq(dm(ci, "failures " ALL " --format csv", &out, &err), 0,
	    "%s", err);
	cr_expect(strchr(out, '\n') == NULL || strchr(out, '\n') ==
	    out + strlen(out) - 1, "no rows: %s", out);
	free(out);
	free(err);
	/* a server that is not there: 69, nothing on stdout */
	cr_expect_eq(dm(NO_DB, "failures", &out, &err), 69, "%s", err);
	cr_expect_str_eq(out, "");
	cr_expect(strncmp(err, "dmarcctl: ", 10) == 0, "%s", err);
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "failures --format xml", &out, &err), 64, "%s",
	    err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
	cr_expect_eq(dm(ci, "failures --days x", &out, &err), 64, "%s", err);
	free(out);
	free(err);
	test_db_drop(ci);
}

/* an aggregate report of sender.example for the day of the RFC 9991
 * sample: its source, signing as vendor.example */
static const char aggregate[] =
    "<?xml version=\"1.0\"?>\n<feedback><report_metadata>"
    "<org_name>receiver.example</org_name>"
    "<email>noreply@receiver.example</email>"
    "<report_id>agg-2026-05-18</report_id><date_range>"
    "<begin>1779062400</begin><end>1779148799</end></date_range>"
    "</report_metadata><policy_published><domain>sender.example</domain>"
    "<adkim>r</adkim><aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct>"
    "</policy_published><record><row><source_ip>2001:db8::25</source_ip>"
    "<count>40</count><policy_evaluated><disposition>none</disposition>"
    "<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>"
    "<identifiers><header_from>sender.example</header_from></identifiers>"
    "<auth_results><dkim><domain>vendor.example</domain>"
    "<selector>s2026</selector><result>pass</result></dkim><spf>"
    "<domain>mailer.vendor.example</domain><result>pass</result></spf>"
    "</auth_results></record></feedback>\n";

Test(failures_cmd, sender_and_class_are_the_analysis_ones)
{
	char *ci = sample_db(), *dir = test_tmpdir(), *out, *err;
	const char *win = "--since 2026-05-01 --until 2026-06-01 --no-dns";
	char path[1024], cmd[1200];
	json_t *domains, *doc, *s, *src, *snd;
	json_error_t je;

	snprintf(path, sizeof(path), "%s/agg.xml", dir);
	test_write_file(path, aggregate, sizeof(aggregate) - 1);
	snprintf(cmd, sizeof(cmd), "ingest %s", path);
	cr_assert_eq(dm(ci, cmd, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	doc = failures_json(ci, win, &domains);
	addr_of(domains, "sender.example", "2001:db8::25", &s);
	cr_assert_not_null(str(s, "sender"));
	cr_assert_not_null(str(s, "class"));
	/* the same sender and class as sources gives the address */
	snprintf(cmd, sizeof(cmd), "sources %s --format json", win);
	cr_assert_eq(dm(ci, cmd, &out, &err), 0, "%s", err);
	src = json_loads(out, 0, &je);
	cr_assert_not_null(src, "%s: %s", je.text, out);
	snd = json_array_get(json_object_get(json_array_get(
	    json_object_get(src, "domains"), 0), "senders"), 0);
	cr_assert_not_null(snd, "%s", out);
	cr_expect_str_eq(str(s, "sender"), str(snd, "sender"));
	cr_expect_str_eq(str(s, "name"), str(snd, "name"));
	cr_expect_str_eq(str(s, "class"), str(snd, "class"));
	cr_expect_str_eq(str(s, "class"), "third-party", "%s", out);
	cr_expect_eq(num(s, "samples"), 1);
	free(out);
	free(err);
	json_decref(src);
	json_decref(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(test_run(cmd, &out, &err), 0);
	free(out);
	free(err);
	free(dir);
	test_db_drop(ci);
}
