#include "store/store_p.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/align.h"
#include "common/xalloc.h"

static bool
is_value(const char *v, const char *want)
{
	return v != NULL && strcmp(v, want) == 0;
}

/*
 * What the analyzer needs of the record: the domain's counts (summed in
 * memory: one row per report) and the source's (one staging row per
 * record, merged by source at the end of the report).
 */
int
store_analysis_row(struct store *s, const struct report *r,
    const struct dmarc_record *rec, struct err *err)
{
	struct record_auth a;
	int64_t n = rec->count, c[SC_COUNT];
	bool is_dkim = is_value(rec->dkim, "pass");
	bool is_spf = is_value(rec->spf, "pass");
	bool is_pass = is_dkim || is_spf;
	/* what the record's own results prove: a reporter saying fail
	 * against them is wrong, and the sources count the proof */
	bool is_dkim_proved, is_spf_proved, is_fail;
	int64_t *d = s->day_counts;
	char from[STORE_KEY_MAX + 1];	/* capped here: no call per row */
	char day[16];

	align_record(r, rec, &a);
	is_dkim_proved = is_dkim || a.dkim == AUTH_ALIGNED_PASS;
	is_spf_proved = is_spf || a.spf == AUTH_ALIGNED_PASS;
	is_fail = !is_dkim_proved && !is_spf_proved;
	d[DC_MESSAGES] += n;
	d[DC_PASS] += is_pass ? n : 0;
	d[DC_DKIM] += is_dkim ? n : 0;
	d[DC_SPF] += is_spf ? n : 0;
	d[DC_QUARANTINED] += is_value(rec->disposition, "quarantine") ? n : 0;
	d[DC_REJECTED] += is_value(rec->disposition, "reject") ? n : 0;
	d[DC_SUBDOMAIN] += a.is_subdomain ? n : 0;
	d[DC_SUBDOMAIN_FAIL] += a.is_subdomain && !is_pass ? n : 0;
	d[DC_DISAGREE] += a.is_disagreement ? n : 0;
	d[DC_OVERRULED] += !is_pass && !is_fail ? n : 0;
	d[DC_UNPROVED] += is_pass && rec->n_dkim + rec->n_spf > 0 &&
	    a.dkim != AUTH_ALIGNED_PASS && a.spf != AUTH_ALIGNED_PASS ? n : 0;
	d[DC_RECORDS]++;

	c[SC_MESSAGES] = n;
	c[SC_PASS] = !is_fail ? n : 0;
	c[SC_DKIM] = is_dkim_proved ? n : 0;
	c[SC_SPF] = is_spf_proved ? n : 0;
	c[SC_DKIM_FOREIGN] = is_fail && a.dkim == AUTH_FOREIGN_PASS ? n : 0;
	c[SC_SPF_FOREIGN] = is_fail && a.spf == AUTH_FOREIGN_PASS ? n : 0;
	c[SC_DKIM_MISSING] = is_fail && a.dkim == AUTH_NONE ? n : 0;
	/* apart from overridden: the verdict adds the two up */
	c[SC_OWN_DKIM_BROKEN] = is_fail && a.has_own_dkim_fail &&
	    !a.is_overridden ? n : 0;
	c[SC_OVERRIDDEN] = is_fail && a.is_overridden ? n : 0;
	c[SC_DISAGREE] = a.is_disagreement ? n : 0;
	buf_reset(&s->row);
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(s->begin, "T"),
	    s->begin);
	if (store_copy_field(&s->row, s->domain, false, err) == -1 ||
	    store_copy_field(&s->row, day, false, err) == -1 ||
	    store_copy_field(&s->row, rec->ip_family ? rec->source_ip : "",
	    false, err) == -1)
		return -1;
	for (int i = 0; i < SC_COUNT; i++)
		if (store_copy_int(&s->row, c[i], false, err) == -1)
			return -1;
	if (store_copy_field(&s->row, a.dkim == AUTH_FOREIGN_PASS ?
	    a.dkim_domain : NULL, false, err) == -1 ||
	    store_copy_field(&s->row, a.spf == AUTH_FOREIGN_PASS ?
	    a.spf_domain : NULL, false, err) == -1 ||
	    store_copy_field(&s->row, a.is_subdomain ?
	    store_key_copy(rec->header_from, from) : "", true, err) == -1)
		return -1;
	return store_spool_row(s, SP_SOURCE, err);
}

/*
 * The analyzer's rollups, merged in the report's transaction with rows
 * locked in key order (concurrent loaders cannot deadlock).
 */
int
store_analysis_load(struct store *s, const struct report *r, struct err *err)
{
	char day[16], num[DC_COUNT][24];
	const char *params[3 + DC_COUNT];
	const char *mark = *s->stage_mark != '\0' ? s->stage_mark : "0";

	/* the date part: up to the T, whatever the year's length */
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(s->begin, "T"),
	    s->begin);
	(void)r;
	params[0] = s->domain;
	params[1] = day;
	params[2] = s->org;
	for (int i = 0; i < DC_COUNT; i++) {
		snprintf(num[i], sizeof(num[i]), "%lld",
		    (long long)s->day_counts[i]);
		params[3 + i] = num[i];
	}
	if (store_q(s, NULL, err, store_stmt_sql[ST_DAY], 3 + DC_COUNT,
	    params) == -1)
		return -1;
	return store_q(s, NULL, err, store_stmt_sql[ST_SOURCE_DAY], 1,
	    (const char *const[]){ mark });
}

/* a kept TLS report's rollups again (sql in store_queue.c) */
int
store_tls_rollup_load(struct store *s, const struct report *r, struct err *err)
{
	char id[32], day[16];
	const char *params[5] = { s->domain, id, s->begin, s->org, day };

	(void)r;
	snprintf(id, sizeof(id), "%lld", s->report);
	/* the date part: up to the T, whatever the year's length */
	snprintf(day, sizeof(day), "%.*s", (int)strcspn(s->begin, "T"),
	    s->begin);
	if (store_q(s, NULL, err, store_stmt_sql[ST_TLS_DAY], 5,
	    params) == -1)
		return -1;
	return store_q(s, NULL, err, store_stmt_sql[ST_TLS_FAIL_DAY], 5,
	    params);
}

/* the rows of a kept report's children, walked along with its records */
struct kept_children {
	PGresult *res;
	int row;
};

static int
kept_fetch(struct store *s, struct kept_children *c, const char *sql,
    const char *const params[3], struct err *err)
{
	c->row = 0;
	return store_q(s, &c->res, err, sql, 3, params);
}

static const char *
kept_value(const struct kept_children *c, int row, int col)
{
	return PQgetisnull(c->res, row, col) ? NULL :
	    PQgetvalue(c->res, row, col);
}

/* how many rows from c->row on belong to record rec_no */
static size_t
kept_rows(struct kept_children *c, long rec_no)
{
	int from = c->row;

	while (c->row < PQntuples(c->res) &&
	    strtol(PQgetvalue(c->res, c->row, 0), NULL, 10) == rec_no)
		c->row++;
	return (size_t)(c->row - from);
}

static const char *const kept_sql[] = {
	"SELECT rec_no, CASE WHEN source_ip IS NULL THEN source_text ELSE "
	"host(source_ip) END, source_ip IS NOT NULL, family(source_ip), count, "
	"disposition, dkim, spf, header_from, envelope_from, envelope_to, "
	"flags FROM records WHERE domain = $1 AND report = $2 AND begin_at = "
	"$3 ORDER BY rec_no",
	"SELECT rec_no, type, comment FROM record_reasons WHERE domain = $1 "
	"AND report = $2 AND begin_at = $3 ORDER BY rec_no, ctid",
	"SELECT rec_no, dkim_domain, selector, result, human_result FROM "
	"dkim_results WHERE domain = $1 AND report = $2 AND begin_at = $3 "
	"ORDER BY rec_no, ctid",
	"SELECT rec_no, spf_domain, scope, result, human_result FROM "
	"spf_results WHERE domain = $1 AND report = $2 AND begin_at = $3 "
	"ORDER BY rec_no, ctid",
};

/* one record of a kept report, as the parser gave it, into the rollups */
static int
kept_record(struct store *s, const struct report *r,
    struct kept_children c[4], int i, struct err *err)
{
	struct dmarc_record rec;
	long rec_no = strtol(PQgetvalue(c[0].res, i, 0), NULL, 10);
	int from[3] = { c[1].row, c[2].row, c[3].row };
	size_t n[3];
	struct dmarc_reason *why = NULL;
	struct dmarc_dkim *dkim = NULL;
	struct dmarc_spf *spf = NULL;
	int ret;

	memset(&rec, 0, sizeof(rec));
	for (int k = 0; k < 3; k++)
		n[k] = kept_rows(&c[k + 1], rec_no);
	why = xcalloc(n[0] + 1, sizeof(*why));
	dkim = xcalloc(n[1] + 1, sizeof(*dkim));
	spf = xcalloc(n[2] + 1, sizeof(*spf));
	for (size_t j = 0; j < n[0]; j++) {
		int row = from[0] + (int)j;

		why[j] = (struct dmarc_reason){ kept_value(&c[1], row, 1),
			kept_value(&c[1], row, 2) };
	}
	for (size_t j = 0; j < n[1]; j++) {
		int row = from[1] + (int)j;

		dkim[j] = (struct dmarc_dkim){ kept_value(&c[2], row, 1),
			kept_value(&c[2], row, 2), kept_value(&c[2], row, 3),
			kept_value(&c[2], row, 4) };
	}
	for (size_t j = 0; j < n[2]; j++) {
		int row = from[2] + (int)j;

		spf[j] = (struct dmarc_spf){ kept_value(&c[3], row, 1),
			kept_value(&c[3], row, 2), kept_value(&c[3], row, 3),
			kept_value(&c[3], row, 4) };
	}
	rec.source_ip = kept_value(&c[0], i, 1);
	rec.ip_family = strcmp(PQgetvalue(c[0].res, i, 2), "t") != 0 ? 0 :
	    strtol(PQgetvalue(c[0].res, i, 3), NULL, 10) == 6 ? 6 : 4;
	rec.count = strtoll(PQgetvalue(c[0].res, i, 4), NULL, 10);
	rec.disposition = kept_value(&c[0], i, 5);
	rec.dkim = kept_value(&c[0], i, 6);
	rec.spf = kept_value(&c[0], i, 7);
	rec.header_from = kept_value(&c[0], i, 8);
	rec.envelope_from = kept_value(&c[0], i, 9);
	rec.envelope_to = kept_value(&c[0], i, 10);
	rec.flags = (unsigned)strtoul(PQgetvalue(c[0].res, i, 11), NULL, 10);
	rec.reasons = why;
	rec.n_reasons = n[0];
	rec.dkim_results = dkim;
	rec.n_dkim = n[1];
	rec.spf_results = spf;
	rec.n_spf = n[2];
	ret = store_analysis_row(s, r, &rec, err);
	free(why);
	free(dkim);
	free(spf);
	return ret;
}

/* a DMARC report kept as it was: its rollups again, from its rows */
static int
kept_dmarc(struct store *s, const struct report *r, struct err *err)
{
	const char *params[3] = { s->domain, NULL, s->begin };
	char id[32];
	struct kept_children c[4];
	int ret = -1;

	memset(c, 0, sizeof(c));
	snprintf(id, sizeof(id), "%lld", s->report);
	params[1] = id;
	memset(s->day_counts, 0, sizeof(s->day_counts));
	if (store_spool_reset(s, err) == -1)
		return -1;
	for (int k = 0; k < 4; k++)
		if (kept_fetch(s, &c[k], kept_sql[k], params, err) == -1)
			goto out;
	for (int i = 0; i < PQntuples(c[0].res); i++)
		if (kept_record(s, r, c, i, err) == -1)
			goto out;
	if (store_copy_spool(s, SP_SOURCE, err) == -1 ||
	    store_analysis_load(s, r, err) == -1 ||
	    store_stage_mark(s, err) == -1)
		goto out;
	ret = 0;
out:
	for (int k = 0; k < 4; k++)
		PQclear(c[k].res);
	return ret;
}

/* one kept report (a row of kept_reports' query) into the rollups */
static int
kept_report(struct store *s, PGresult *res, int i, struct err *err)
{
	struct report r;

	memset(&r, 0, sizeof(r));
	s->report = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	store_key_copy(PQgetvalue(res, i, 1), s->domain);
	store_key_copy(PQgetvalue(res, i, 4), s->org);
	snprintf(s->begin, sizeof(s->begin), "%s", PQgetvalue(res, i, 5));
	r.kind = strcmp(PQgetvalue(res, i, 3), "dmarc") == 0 ? REPORT_DMARC :
	    REPORT_TLSRPT;
	r.domain = PQgetvalue(res, i, 2);
	r.org_name = PQgetvalue(res, i, 4);
	r.policy.adkim = PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6);
	r.policy.aspf = PQgetisnull(res, i, 7) ? NULL : PQgetvalue(res, i, 7);
	r.policy.p = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8);
	r.policy.pct = -1;
	if (r.kind == REPORT_TLSRPT)
		return store_tls_rollup_load(s, &r, err);
	return kept_dmarc(s, &r, err);
}

/* the rollups of the old reports that stay (their input failed, or they
 * have none), a page of reports at a time */
int
store_kept_rollups(struct store *s, struct err *err)
{
	char after[32] = "0", upto[32];
	const char *params[2] = { after, upto };

	snprintf(upto, sizeof(upto), "%lld", s->old_max);
	for (;;) {
		PGresult *res = NULL;
		int n;

		if (store_q(s, &res, err, "SELECT id, domain, "
		    "coalesce(domain_full, domain), kind, org_name, "
		    "to_char(begin_at AT TIME ZONE 'UTC', "
		    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), adkim, aspf, p FROM "
		    "reports WHERE id > $1 AND id <= $2 ORDER BY id LIMIT 256",
		    2, params) == -1)
			return -1;
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			if (kept_report(s, res, i, err) == -1) {
				PQclear(res);
				return -1;
			}
		if (n > 0)
			snprintf(after, sizeof(after), "%s",
			    PQgetvalue(res, n - 1, 0));
		PQclear(res);
		if (n < 256)
			return 0;
	}
}
