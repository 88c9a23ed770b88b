-- What the Grafana dashboards of grafana/ read: stable views over the
-- daily rollups (never the raw records), and a role that may read these
-- views and nothing else.  Column names are an interface: dashboards and
-- users' own panels depend on them; later migrations add, never rename.
--
-- Speed on years of data: every rollup view passes domain and day
-- through unchanged, so `domain IN (...) AND day BETWEEN ...` reaches the
-- rollups' primary keys (domain, day, ...).  Panels filter with
-- $__timeFilter(day), never on "time": "time" (midnight UTC of the day,
-- as timestamptz) is computed, and no index can serve a filter on it.
-- Views over reports and ingest_errors expose their timestamp column
-- itself as "time", so $__timeFilter(time) is an index range there.

-- A domain's reports by period (the published policy) and by arrival
-- (ingest health), and the inputs refused by arrival: what those panels
-- filter on.  One index entry per report, not per record: no cost to
-- speak of on load.
CREATE INDEX reports_domain_begin ON reports (domain, begin_at);
CREATE INDEX reports_domain_ingested ON reports (domain, ingested_at);
CREATE INDEX ingest_errors_at ON ingest_errors (at);

-- grafana_domains: the policy domains for the dashboards' `domain`
-- variable.  Distinct values read by skipping through the primary keys
-- (one index probe per domain), not by scanning years of rows.
CREATE VIEW grafana_domains AS
WITH RECURSIVE dmarc (domain) AS (
	(SELECT domain FROM domain_daily ORDER BY domain LIMIT 1)
	UNION ALL
	SELECT (SELECT d.domain FROM domain_daily d
	    WHERE d.domain > dmarc.domain ORDER BY d.domain LIMIT 1)
	FROM dmarc WHERE dmarc.domain IS NOT NULL
), tls (domain) AS (
	(SELECT domain FROM tls_daily ORDER BY domain LIMIT 1)
	UNION ALL
	SELECT (SELECT t.domain FROM tls_daily t WHERE t.domain > tls.domain
	    ORDER BY t.domain LIMIT 1)
	FROM tls WHERE tls.domain IS NOT NULL
)
SELECT domain FROM (
	SELECT domain COLLATE "C" AS domain FROM dmarc
	    WHERE domain IS NOT NULL
	UNION
	SELECT domain COLLATE "C" FROM tls WHERE domain IS NOT NULL
) AS u
ORDER BY domain;
COMMENT ON VIEW grafana_domains IS
    'Policy domains with DMARC or TLS-RPT data, for the domain variable';
COMMENT ON COLUMN grafana_domains.domain IS 'policy domain';

-- grafana_dmarc_daily: domain_daily as is, one row per policy domain, day
-- and reporter.
CREATE VIEW grafana_dmarc_daily AS
SELECT domain,
       day,
       (day::timestamp AT TIME ZONE 'UTC') AS "time",
       org_name AS reporter,
       reports,
       messages,
       dmarc_pass,
       dkim_aligned,
       spf_aligned,
       messages - dmarc_pass AS failing,
       quarantined,
       rejected,
       subdomain,
       subdomain_fail,
       disagree
FROM domain_daily;
COMMENT ON VIEW grafana_dmarc_daily IS
    'DMARC results per policy domain, UTC day and reporter (domain_daily); '
    'filter on domain and day';
COMMENT ON COLUMN grafana_dmarc_daily.domain IS 'policy domain';
COMMENT ON COLUMN grafana_dmarc_daily.day IS
    'UTC day the reports begin: filter on this ($__timeFilter(day))';
COMMENT ON COLUMN grafana_dmarc_daily."time" IS
    'midnight UTC of day, for $__timeGroupAlias("time", ...); not indexed';
COMMENT ON COLUMN grafana_dmarc_daily.reporter IS
    'reporting organisation (org_name)';
COMMENT ON COLUMN grafana_dmarc_daily.reports IS 'reports of that day';
COMMENT ON COLUMN grafana_dmarc_daily.messages IS 'messages reported';
COMMENT ON COLUMN grafana_dmarc_daily.dmarc_pass IS
    'messages passing DMARC (aligned DKIM or SPF, by policy_evaluated)';
COMMENT ON COLUMN grafana_dmarc_daily.dkim_aligned IS
    'messages with aligned DKIM passing';
COMMENT ON COLUMN grafana_dmarc_daily.spf_aligned IS
    'messages with aligned SPF passing';
COMMENT ON COLUMN grafana_dmarc_daily.failing IS
    'messages failing DMARC (messages - dmarc_pass)';
COMMENT ON COLUMN grafana_dmarc_daily.quarantined IS
    'messages the receiver quarantined (disposition quarantine)';
COMMENT ON COLUMN grafana_dmarc_daily.rejected IS
    'messages the receiver rejected (disposition reject)';
COMMENT ON COLUMN grafana_dmarc_daily.subdomain IS
    'messages whose From is a subdomain of the policy domain';
COMMENT ON COLUMN grafana_dmarc_daily.subdomain_fail IS
    'of those, messages failing DMARC';
COMMENT ON COLUMN grafana_dmarc_daily.disagree IS
    'messages the reporter judged differently from the alignment dmarcctl '
    'recomputes from their DKIM and SPF results';

-- grafana_sources: source_daily with the source's reverse-DNS name and
-- the class the analyzer last gave it.  Both are left joins on unique
-- keys: a query that does not use name or class does not read them.
CREATE VIEW grafana_sources AS
SELECT s.domain,
       s.day,
       (s.day::timestamp AT TIME ZONE 'UTC') AS "time",
       s.source,
       CASE WHEN n.status = 'ok' THEN n.name END AS name,
       coalesce(c.class, 'unclassified') AS class,
       s.messages,
       s.dmarc_pass,
       s.messages - s.dmarc_pass AS failing,
       s.dkim_aligned,
       s.spf_aligned,
       s.dkim_foreign,
       s.spf_foreign,
       s.dkim_missing,
       s.own_dkim_broken,
       s.overridden,
       s.disagree,
       s.foreign_dkim,
       s.foreign_spf
FROM source_daily s
LEFT JOIN rdns_cache n ON n.ip = s.source COLLATE "default"
LEFT JOIN source_classes c ON c.domain = s.domain AND c.source = s.source;
COMMENT ON VIEW grafana_sources IS
    'DMARC results per policy domain, UTC day and sending source, across '
    'reporters (source_daily), with name and class; filter on domain and day';
COMMENT ON COLUMN grafana_sources.domain IS 'policy domain';
COMMENT ON COLUMN grafana_sources.day IS
    'UTC day the reports begin: filter on this ($__timeFilter(day))';
COMMENT ON COLUMN grafana_sources."time" IS
    'midnight UTC of day, for $__timeGroupAlias("time", ...); not indexed';
COMMENT ON COLUMN grafana_sources.source IS
    'source IP as reported (canonical text); empty when the report gave '
    'none that is valid';
COMMENT ON COLUMN grafana_sources.name IS
    'reverse-DNS name from rdns_cache; NULL when unknown, unresolved or '
    'without PTR (dmarcctl sources resolves and caches them)';
COMMENT ON COLUMN grafana_sources.class IS
    'the class dmarcctl summary, sources or advise last gave the source: '
    'aligned, partial, third-party, indirect, unauthenticated; '
    'unclassified when never judged';
COMMENT ON COLUMN grafana_sources.messages IS 'messages reported';
COMMENT ON COLUMN grafana_sources.dmarc_pass IS 'messages passing DMARC';
COMMENT ON COLUMN grafana_sources.failing IS 'messages failing DMARC';
COMMENT ON COLUMN grafana_sources.dkim_aligned IS
    'messages with aligned DKIM passing';
COMMENT ON COLUMN grafana_sources.spf_aligned IS
    'messages with aligned SPF passing';
COMMENT ON COLUMN grafana_sources.dkim_foreign IS
    'failing messages whose DKIM passed for a domain not aligned with From';
COMMENT ON COLUMN grafana_sources.spf_foreign IS
    'failing messages whose SPF passed for a domain not aligned with From';
COMMENT ON COLUMN grafana_sources.dkim_missing IS
    'failing messages without any DKIM signature';
COMMENT ON COLUMN grafana_sources.own_dkim_broken IS
    'failing messages whose signature of the From domain broke in transit';
COMMENT ON COLUMN grafana_sources.overridden IS
    'failing messages the receiver let through as forwarded, mailing list '
    'or local policy (ARC)';
COMMENT ON COLUMN grafana_sources.disagree IS
    'messages the reporters judged differently from the recomputed alignment';
COMMENT ON COLUMN grafana_sources.foreign_dkim IS
    'a foreign DKIM domain that passed (the largest name seen that day)';
COMMENT ON COLUMN grafana_sources.foreign_spf IS
    'a foreign SPF domain that passed (the largest name seen that day)';

-- grafana_policy: the published policy each DMARC report saw.  "time" is
-- reports.begin_at itself (indexed): filter with $__timeFilter("time").
CREATE VIEW grafana_policy AS
SELECT domain,
       begin_at AS "time",
       org_name AS reporter,
       p,
       sp,
       np,
       pct,
       testing,
       adkim,
       aspf,
       fo
FROM reports
WHERE kind = 'dmarc';
COMMENT ON VIEW grafana_policy IS
    'The policy_published of every DMARC report; filter on domain and time';
COMMENT ON COLUMN grafana_policy.domain IS 'policy domain';
COMMENT ON COLUMN grafana_policy."time" IS
    'start of the report period (reports.begin_at, indexed)';
COMMENT ON COLUMN grafana_policy.reporter IS 'reporting organisation';
COMMENT ON COLUMN grafana_policy.p IS
    'requested policy: none, quarantine, reject (NULL: not in the report)';
COMMENT ON COLUMN grafana_policy.sp IS 'policy for subdomains';
COMMENT ON COLUMN grafana_policy.np IS
    'policy for non-existent subdomains (RFC 9990)';
COMMENT ON COLUMN grafana_policy.pct IS
    'percentage the policy applies to (legacy reports)';
COMMENT ON COLUMN grafana_policy.testing IS 't= (RFC 9990): y or n';
COMMENT ON COLUMN grafana_policy.adkim IS 'DKIM alignment: r or s';
COMMENT ON COLUMN grafana_policy.aspf IS 'SPF alignment: r or s';
COMMENT ON COLUMN grafana_policy.fo IS 'failure reporting options';

-- grafana_verdicts: what the analyzer last concluded per domain.
CREATE VIEW grafana_verdicts AS
SELECT domain,
       verdict,
       policy,
       next_record,
       legitimate_pass_rate,
       judged_at
FROM domain_verdicts;
COMMENT ON VIEW grafana_verdicts IS
    'The policy verdict dmarcctl advise (or summary) last gave each domain';
COMMENT ON COLUMN grafana_verdicts.domain IS 'policy domain';
COMMENT ON COLUMN grafana_verdicts.verdict IS
    'insufficient-data, stay, quarantine, reject or done';
COMMENT ON COLUMN grafana_verdicts.policy IS
    'p of the latest report when judged';
COMMENT ON COLUMN grafana_verdicts.next_record IS
    'the DMARC TXT record to publish next';
COMMENT ON COLUMN grafana_verdicts.legitimate_pass_rate IS
    'share (0..1) of legitimate mail passing DMARC';
COMMENT ON COLUMN grafana_verdicts.judged_at IS 'when it was judged';

-- grafana_tls_daily: tls_daily as is, one row per policy domain, day,
-- reporter and policy type.
CREATE VIEW grafana_tls_daily AS
SELECT domain,
       day,
       (day::timestamp AT TIME ZONE 'UTC') AS "time",
       org_name AS reporter,
       policy_type,
       successful + failed AS sessions,
       successful,
       failed
FROM tls_daily;
COMMENT ON VIEW grafana_tls_daily IS
    'TLS-RPT sessions per policy domain, UTC day, reporter and policy type '
    '(tls_daily); filter on domain and day';
COMMENT ON COLUMN grafana_tls_daily.domain IS 'policy domain';
COMMENT ON COLUMN grafana_tls_daily.day IS
    'UTC day the reports begin: filter on this ($__timeFilter(day))';
COMMENT ON COLUMN grafana_tls_daily."time" IS
    'midnight UTC of day, for $__timeGroupAlias("time", ...); not indexed';
COMMENT ON COLUMN grafana_tls_daily.reporter IS 'reporting organisation';
COMMENT ON COLUMN grafana_tls_daily.policy_type IS
    'sts, tlsa or no-policy-found';
COMMENT ON COLUMN grafana_tls_daily.sessions IS
    'sessions reported (successful + failed)';
COMMENT ON COLUMN grafana_tls_daily.successful IS 'successful TLS sessions';
COMMENT ON COLUMN grafana_tls_daily.failed IS 'failed TLS sessions';

-- grafana_tls_failures: tls_daily_failures as is, one row per policy
-- domain, day, reporter, result type and receiving MX.
CREATE VIEW grafana_tls_failures AS
SELECT domain,
       day,
       (day::timestamp AT TIME ZONE 'UTC') AS "time",
       org_name AS reporter,
       result_type,
       mx,
       sessions
FROM tls_daily_failures;
COMMENT ON VIEW grafana_tls_failures IS
    'Failed TLS sessions per policy domain, UTC day, reporter, result type '
    'and receiving MX (tls_daily_failures); filter on domain and day';
COMMENT ON COLUMN grafana_tls_failures.domain IS 'policy domain';
COMMENT ON COLUMN grafana_tls_failures.day IS
    'UTC day the reports begin: filter on this ($__timeFilter(day))';
COMMENT ON COLUMN grafana_tls_failures."time" IS
    'midnight UTC of day, for $__timeGroupAlias("time", ...); not indexed';
COMMENT ON COLUMN grafana_tls_failures.reporter IS 'reporting organisation';
COMMENT ON COLUMN grafana_tls_failures.result_type IS
    'RFC 8460 result type: certificate-expired, starttls-not-supported, ...';
COMMENT ON COLUMN grafana_tls_failures.mx IS
    'receiving MX host name; empty when the report gave none';
COMMENT ON COLUMN grafana_tls_failures.sessions IS 'failed sessions';

-- grafana_ingest: one row per report stored and per input refused, by
-- arrival; panels count rows per $__timeGroupAlias("time", ...).  Each
-- half filters on its own indexed timestamp.
CREATE VIEW grafana_ingest AS
SELECT ingested_at AS "time",
       kind,
       org_name AS reporter,
       domain,
       1 AS reports,
       0 AS errors,
       records,
       messages,
       end_at AS period_end
FROM reports
UNION ALL
SELECT at,
       'error',
       NULL,
       NULL,
       0,
       1,
       0,
       0,
       NULL
FROM ingest_errors;
COMMENT ON VIEW grafana_ingest IS
    'One row per report stored (kind dmarc or tlsrpt) and per input '
    'refused (kind error), by arrival; filter on time';
COMMENT ON COLUMN grafana_ingest."time" IS
    'when dmarcctl stored the report (reports.ingested_at: reparse resets '
    'it) or refused the input (ingest_errors.at); both indexed';
COMMENT ON COLUMN grafana_ingest.kind IS 'dmarc, tlsrpt or error';
COMMENT ON COLUMN grafana_ingest.reporter IS
    'reporting organisation; NULL for errors';
COMMENT ON COLUMN grafana_ingest.domain IS 'policy domain; NULL for errors';
COMMENT ON COLUMN grafana_ingest.reports IS '1 for a report, 0 for an error';
COMMENT ON COLUMN grafana_ingest.errors IS '1 for an error, 0 for a report';
COMMENT ON COLUMN grafana_ingest.records IS
    'records (TLS-RPT: policies) of the report';
COMMENT ON COLUMN grafana_ingest.messages IS
    'messages (TLS-RPT: sessions) of the report';
COMMENT ON COLUMN grafana_ingest.period_end IS
    'end of the report period: time - period_end is how late it came';

-- grafana_ingest_errors: the inputs refused, with the cause.
CREATE VIEW grafana_ingest_errors AS
SELECT at AS "time",
       source,
       location,
       code,
       cause,
       raw_id
FROM ingest_errors;
COMMENT ON VIEW grafana_ingest_errors IS
    'Inputs that held no valid report, why, and where the original is; '
    'filter on time';
COMMENT ON COLUMN grafana_ingest_errors."time" IS
    'when the input was refused (indexed)';
COMMENT ON COLUMN grafana_ingest_errors.source IS
    'path, stdin or IMAP folder and UID';
COMMENT ON COLUMN grafana_ingest_errors.location IS
    'where inside the input (MIME part, zip entry)';
COMMENT ON COLUMN grafana_ingest_errors.code IS 'parse, limit or io';
COMMENT ON COLUMN grafana_ingest_errors.cause IS 'what was wrong';
COMMENT ON COLUMN grafana_ingest_errors.raw_id IS
    'raw_inputs.id of the archived original (dmarcctl errors shows it)';

-- The role Grafana reads as.  Roles belong to the cluster, not to one
-- database: a second dmarcctl database on the same cluster finds it made
-- (or sees it made at the same moment: the duplicate is not an error).
-- A login role for Grafana is made a member of it by the administrator:
--   CREATE ROLE grafana LOGIN PASSWORD '...' IN ROLE dmarcctl_grafana;
-- dmarcctl_grafana_grant() gives it the grafana_* views of the current
-- schema and takes everything else away; a later migration that adds a
-- view calls it again.  When dmarcctl's database user may not create
-- roles, the migration still applies (ingest must not stop over
-- dashboards): a superuser then runs
--   CREATE ROLE dmarcctl_grafana NOLOGIN;
-- and dmarcctl's user `SELECT dmarcctl_grafana_grant();`.
CREATE FUNCTION dmarcctl_grafana_grant() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v regclass;
BEGIN
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO dmarcctl_grafana',
	    current_schema());
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I '
	    'FROM dmarcctl_grafana', current_schema());
	FOR v IN SELECT c.oid::regclass FROM pg_class c
	    WHERE c.relkind = 'v' AND c.relname LIKE 'grafana\_%'
	    AND c.relnamespace = current_schema()::regnamespace LOOP
		EXECUTE format('GRANT SELECT ON %s TO dmarcctl_grafana', v);
	END LOOP;
END $$;
COMMENT ON FUNCTION dmarcctl_grafana_grant() IS
    'Let dmarcctl_grafana read the grafana_* views and nothing else';

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles
	    WHERE rolname = 'dmarcctl_grafana') THEN
		BEGIN
			CREATE ROLE dmarcctl_grafana NOLOGIN;
		EXCEPTION
			WHEN duplicate_object OR unique_violation THEN
				NULL;	-- made by a migration next door
			WHEN insufficient_privilege THEN
				RAISE WARNING 'cannot create role '
				    'dmarcctl_grafana: see sql/006_grafana.sql';
				RETURN;
		END;
	END IF;
	PERFORM dmarcctl_grafana_grant();
END $$;
