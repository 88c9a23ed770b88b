-- What the sender model needs of each source, kept in the same rollup.
--
-- source_daily gains from_domain in its key: '' for mail whose From is
-- the policy domain itself, else the From subdomain.  p applies to the
-- first, sp (or np, for subdomains that do not exist) to the others
-- (RFC 7489 section 6.6.3): the analyzer judges each population under
-- its own policy.  spf_low is the smallest foreign SPF domain of the
-- row, foreign_spf the largest, and dkim_low and foreign_dkim the same
-- for DKIM: different values mark a source passing for many domains,
-- the mark of throwaway domains.
--
-- From now on dmarc_pass, dkim_aligned and spf_aligned of source_daily
-- count what the record's own auth_results prove as well: a reporter
-- that says fail while its results show an aligned pass is wrong, and
-- domain_daily.overruled counts those messages per reporter (summary
-- keeps the reporters' own verdicts).  `dmarcctl reparse` rebuilds the
-- rows stored before with these meanings.
ALTER TABLE source_daily ADD COLUMN from_domain text COLLATE "C" NOT NULL
    DEFAULT '';
ALTER TABLE source_daily ADD COLUMN spf_low text;
ALTER TABLE source_daily ADD COLUMN dkim_low text;
UPDATE source_daily SET spf_low = foreign_spf, dkim_low = foreign_dkim
WHERE foreign_spf IS NOT NULL OR foreign_dkim IS NOT NULL;
ALTER TABLE source_daily DROP CONSTRAINT source_daily_pkey;
ALTER TABLE source_daily ADD PRIMARY KEY (domain, day, source, from_domain);

ALTER TABLE domain_daily ADD COLUMN overruled bigint NOT NULL DEFAULT 0;
-- and the messages it passed although its own results show no aligned
-- pass (counted as passing all the same: the reporter may know more)
ALTER TABLE domain_daily ADD COLUMN unproved bigint NOT NULL DEFAULT 0;

-- a relay: our own outbound path that breaks our DKIM signature
ALTER TABLE source_classes DROP CONSTRAINT source_classes_class_check;
ALTER TABLE source_classes ADD CONSTRAINT source_classes_class_check
    CHECK (class IN ('aligned', 'partial', 'third-party', 'relay',
    'indirect', 'unauthenticated'));

-- the sender an address belongs to, as the analyzer last grouped it
ALTER TABLE source_classes ADD COLUMN sender text;

-- and the dashboards can sum by sender
CREATE OR REPLACE VIEW grafana_sources AS
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
       s.foreign_spf,
       coalesce(c.sender, s.source) AS sender,
       s.from_domain
FROM source_daily s
LEFT JOIN rdns_cache n ON n.ip = s.source COLLATE "default"
LEFT JOIN source_classes c ON c.domain = s.domain AND c.source = s.source;
COMMENT ON COLUMN grafana_sources.sender IS
    'the sender (organisation) the source belongs to, as last judged';
COMMENT ON COLUMN grafana_sources.from_domain IS
    'the From subdomain, or empty for mail From the policy domain';

-- rdns_cache also keeps whether a From subdomain exists (np judges mail
-- From subdomains that do not): ip holds the name, name is the name
-- again when it exists and NULL for NXDOMAIN.
COMMENT ON TABLE rdns_cache IS
    'reverse DNS of source addresses, and whether From subdomains exist '
    '(ip holds the subdomain; name NULL: NXDOMAIN)';
