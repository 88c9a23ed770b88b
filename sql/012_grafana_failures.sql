-- What the dashboards read of the failure (ruf) reports: counts of
-- samples per UTC day and what failed, never a sample's content.  The
-- view names no column that can hold more than a domain, an address of
-- a sending server, a failure type or a DKIM selector: whatever
-- [failures] keep stores besides (the original's headers and body) stays
-- out of the dashboards' reach, as do failure_samples and raw_inputs.
--
-- Speed: the view groups by the UTC day of arrival, and a filter on day
-- is one on that expression, which this index serves with the domain
-- (as the rollups' primary keys serve theirs).
CREATE INDEX failure_samples_day ON failure_samples
    (domain, ((arrival_at AT TIME ZONE 'UTC')::date));

-- grafana_failures: failure samples per policy domain, UTC day of
-- arrival, sending address and what failed, with the sender the
-- analyzer groups the address into (as in grafana_sources).
CREATE VIEW grafana_failures AS
SELECT f.domain,
       (f.arrival_at AT TIME ZONE 'UTC')::date AS day,
       ((f.arrival_at AT TIME ZONE 'UTC')::date::timestamp
           AT TIME ZONE 'UTC') AS "time",
       coalesce(host(f.source_ip), '') AS source,
       coalesce(c.sender, host(f.source_ip), '') AS sender,
       coalesce(c.class, 'unclassified') AS class,
       coalesce(f.auth_failure, '') AS auth_failure,
       coalesce(f.dkim_domain, '') AS dkim_domain,
       coalesce(f.dkim_selector, '') AS dkim_selector,
       coalesce(f.delivery_result, '') AS delivery_result,
       count(*) AS samples
FROM failure_samples f
LEFT JOIN source_classes c ON c.domain = f.domain COLLATE "C" AND
    c.source = host(f.source_ip) COLLATE "C"
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
COMMENT ON VIEW grafana_failures IS
    'Failure (ruf) report samples per policy domain, UTC day of arrival, '
    'source and failure; metadata only; filter on domain and day';
COMMENT ON COLUMN grafana_failures.domain IS 'policy domain';
COMMENT ON COLUMN grafana_failures.day IS
    'UTC day the sampled message arrived: filter on this '
    '($__timeFilter(day))';
COMMENT ON COLUMN grafana_failures."time" IS
    'midnight UTC of day, for $__timeGroupAlias("time", ...); not indexed';
COMMENT ON COLUMN grafana_failures.source IS
    'source IP of the sampled message (canonical text); empty when the '
    'report gave none that is valid';
COMMENT ON COLUMN grafana_failures.sender IS
    'the sender (organisation) the source belongs to, as last judged; the '
    'source itself when never judged';
COMMENT ON COLUMN grafana_failures.class IS
    'the class dmarcctl summary, sources or advise last gave the source; '
    'unclassified when never judged';
COMMENT ON COLUMN grafana_failures.auth_failure IS
    'what failed (Auth-Failure): dkim, spf, dmarc, bodyhash, signature, '
    'revoked, several joined by commas; empty when not given';
COMMENT ON COLUMN grafana_failures.dkim_domain IS
    'DKIM-Domain (d=) of the failing signature; empty when none';
COMMENT ON COLUMN grafana_failures.dkim_selector IS
    'DKIM-Selector (s=) of the failing signature; empty when none';
COMMENT ON COLUMN grafana_failures.delivery_result IS
    'Delivery-Result: delivered, spam, policy, reject, other; empty when '
    'not given';
COMMENT ON COLUMN grafana_failures.samples IS 'failure samples';

-- the Grafana role reads the new view (when the role exists: see
-- sql/006_grafana.sql)
DO $$
BEGIN
	IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dmarcctl_grafana')
	THEN
		PERFORM dmarcctl_grafana_grant();
	END IF;
EXCEPTION
	WHEN insufficient_privilege THEN
		RAISE WARNING 'cannot grant dmarcctl_grafana the view '
		    'grafana_failures: see sql/006_grafana.sql';
END $$;
