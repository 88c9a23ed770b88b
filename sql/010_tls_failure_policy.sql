-- The policy type of TLS failures.  A failure under a DANE (tlsa) policy
-- is a different problem from one under MTA-STS: DANE senders do not use
-- the MTA-STS policy, and DANE failures are never delivered.  The failure
-- rollup now keeps the policy type in its key, as tls_daily does.
--
-- Rows already stored get their policy type from the stored reports: a
-- row is split by policy type when the failures of its reports still sum
-- to its sessions.  Any other row keeps an empty policy type, which the
-- verdict reads as MTA-STS; `dmarcctl reparse` rebuilds them all.

ALTER TABLE tls_daily_failures ADD COLUMN policy_type text NOT NULL
    DEFAULT '';
ALTER TABLE tls_daily_failures DROP CONSTRAINT tls_daily_failures_pkey;
ALTER TABLE tls_daily_failures ADD PRIMARY KEY
    (domain, day, org_name, policy_type, result_type, mx);

-- the failures of the stored reports, as the loader rolls them up
CREATE TEMPORARY TABLE tls_failure_split ON COMMIT DROP AS
SELECT coalesce(dmarcctl_cap(p.policy_domain), f.domain) AS domain,
       (f.begin_at AT TIME ZONE 'UTC')::date AS day,
       dmarcctl_cap(r.org_name) AS org_name,
       dmarcctl_cap(p.policy_type) AS policy_type,
       dmarcctl_cap(f.result_type) AS result_type,
       dmarcctl_cap(coalesce(f.receiving_mx_hostname, '')) AS mx,
       dmarcctl_clamp(sum(f.failed_session_count)) AS sessions
FROM tls_failures f
JOIN tls_policies p
    ON p.domain = f.domain AND p.report = f.report AND p.pol_no = f.pol_no
JOIN reports r ON r.domain = f.domain AND r.id = f.report
GROUP BY 1, 2, 3, 4, 5, 6;

-- the rows whose reports account for all their sessions
CREATE TEMPORARY TABLE tls_failure_whole ON COMMIT DROP AS
SELECT t.domain, t.day, t.org_name, t.result_type, t.mx
FROM tls_daily_failures t
JOIN (SELECT domain, day, org_name, result_type, mx,
             dmarcctl_clamp(sum(sessions)) AS sessions
      FROM tls_failure_split GROUP BY 1, 2, 3, 4, 5) s
    USING (domain, day, org_name, result_type, mx)
WHERE t.policy_type = '' AND t.sessions = s.sessions;

DELETE FROM tls_daily_failures t USING tls_failure_whole w
WHERE t.policy_type = '' AND t.domain = w.domain AND t.day = w.day AND
    t.org_name = w.org_name AND t.result_type = w.result_type AND
    t.mx = w.mx;

INSERT INTO tls_daily_failures (domain, day, org_name, policy_type,
    result_type, mx, sessions)
SELECT s.domain, s.day, s.org_name, s.policy_type, s.result_type, s.mx,
       s.sessions
FROM tls_failure_split s
JOIN tls_failure_whole w USING (domain, day, org_name, result_type, mx);

ALTER TABLE tls_daily_failures ALTER COLUMN policy_type DROP DEFAULT;

-- the dashboards' view of the failures shows it too
CREATE OR REPLACE VIEW grafana_tls_failures AS
SELECT domain,
       day,
       (day::timestamp AT TIME ZONE 'UTC') AS "time",
       org_name AS reporter,
       result_type,
       mx,
       sessions,
       policy_type
FROM tls_daily_failures;
COMMENT ON COLUMN grafana_tls_failures.policy_type IS
    'sts, tlsa or no-policy-found; empty for failures stored before '
    'dmarcctl knew it (until dmarcctl reparse)';
