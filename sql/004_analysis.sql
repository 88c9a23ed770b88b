-- What the analyzer (summary, sources, advise) and the dashboards read:
-- two rollups merged per report in the report's transaction, small enough
-- to answer over months of data at once, and the reverse-DNS cache.  They
-- replace dmarc_daily (one row per record: as large as the records).
-- Names compare bytewise (COLLATE "C"): cheaper keys, same answers.
--
-- domain_daily: one row per policy domain, day and reporter.  The counts
-- are messages; dmarc_pass/dkim_aligned/spf_aligned follow the reporter's
-- policy_evaluated; subdomain counts header_from below the policy domain;
-- disagree counts messages whose policy_evaluated differs from the
-- alignment recomputed from auth_results (adkim/aspf, Public Suffix List).
CREATE TABLE domain_daily (
	domain        text COLLATE "C" NOT NULL,
	day           date NOT NULL,
	org_name      text COLLATE "C" NOT NULL,
	reports       bigint NOT NULL,
	records       bigint NOT NULL,
	messages      bigint NOT NULL,
	dmarc_pass    bigint NOT NULL,
	dkim_aligned  bigint NOT NULL,
	spf_aligned   bigint NOT NULL,
	quarantined   bigint NOT NULL,
	rejected      bigint NOT NULL,
	subdomain     bigint NOT NULL,
	subdomain_fail bigint NOT NULL,
	disagree      bigint NOT NULL,
	PRIMARY KEY (domain, day, org_name)
);

-- source_daily: one row per policy domain, day and sending source (the
-- source IP as reported; '' when the report gave none that is valid),
-- across reporters.  The failing counts (DMARC failed by
-- policy_evaluated) say why, from the recomputed results:
--   dkim_foreign     DKIM passed for a domain not aligned with From
--   spf_foreign      SPF passed for a domain not aligned with From
--   dkim_missing     no DKIM signature at all
--   own_dkim_broken  a signature of the From domain failed and no
--                    override was given (forwarding that altered the
--                    message; overridden mail is counted there only)
--   overridden       the receiver overrode its policy: forwarded,
--                    trusted_forwarder, mailing_list, local_policy (ARC)
-- foreign_dkim / foreign_spf: a foreign passing domain seen (the largest
-- name, to stay mergeable).
CREATE TABLE source_daily (
	domain          text COLLATE "C" NOT NULL,
	day             date NOT NULL,
	source          text COLLATE "C" NOT NULL,
	messages        bigint NOT NULL,
	dmarc_pass      bigint NOT NULL,
	dkim_aligned    bigint NOT NULL,
	spf_aligned     bigint NOT NULL,
	dkim_foreign    bigint NOT NULL,
	spf_foreign     bigint NOT NULL,
	dkim_missing    bigint NOT NULL,
	own_dkim_broken bigint NOT NULL,
	overridden      bigint NOT NULL,
	disagree        bigint NOT NULL,
	foreign_dkim    text,
	foreign_spf     text,
	PRIMARY KEY (domain, day, source)
);

-- Reverse DNS of source IPs, kept until expires_at (the answer's TTL,
-- bounded by the resolver settings).  status: ok, none (NXDOMAIN, no
-- PTR), fail (timeout, SERVFAIL: retried sooner).
CREATE TABLE rdns_cache (
	ip          text PRIMARY KEY,
	name        text,
	status      text NOT NULL CHECK (status IN ('ok', 'none', 'fail')),
	resolved_at timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz NOT NULL
);

-- Reports stored before these rollups existed: what the per-record rollup
-- knows is carried over (the reasons why a source fails need the raw
-- results: `dmarcctl reparse` rebuilds everything in full).
INSERT INTO domain_daily
SELECT d.domain, d.day, d.org_name,
       (SELECT count(*) FROM reports r WHERE r.kind = 'dmarc'
           AND r.domain = d.domain AND r.org_name = d.org_name
           AND (r.begin_at AT TIME ZONE 'UTC')::date = d.day),
       sum(records),
       sum(messages),
       coalesce(sum(messages) FILTER (WHERE dkim = 'pass' OR spf = 'pass'), 0),
       coalesce(sum(messages) FILTER (WHERE dkim = 'pass'), 0),
       coalesce(sum(messages) FILTER (WHERE spf = 'pass'), 0),
       coalesce(sum(messages) FILTER (WHERE disposition = 'quarantine'), 0),
       coalesce(sum(messages) FILTER (WHERE disposition = 'reject'), 0),
       coalesce(sum(messages) FILTER (WHERE header_from ILIKE '%.' || d.domain), 0),
       coalesce(sum(messages) FILTER (WHERE header_from ILIKE '%.' || d.domain
           AND dkim <> 'pass' AND spf <> 'pass'), 0),
       0
FROM dmarc_daily d GROUP BY d.domain, d.day, d.org_name;

INSERT INTO source_daily
SELECT domain, day, coalesce(host(source_ip), ''), sum(messages),
       coalesce(sum(messages) FILTER (WHERE dkim = 'pass' OR spf = 'pass'), 0),
       coalesce(sum(messages) FILTER (WHERE dkim = 'pass'), 0),
       coalesce(sum(messages) FILTER (WHERE spf = 'pass'), 0),
       0, 0, 0, 0, 0, 0, NULL, NULL
FROM dmarc_daily GROUP BY 1, 2, 3;

DROP TABLE dmarc_daily;
