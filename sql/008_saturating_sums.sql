-- Counts that saturate instead of failing.  A reporter controls the
-- numbers it sends: two TLS-RPT reports of 2^62 sessions each, merged
-- into one rollup row, overflowed bigint, and from then on every report
-- of that domain, day and reporter was refused with it.  The rollups and
-- the sums read from them now stop at 2^63-1 (a count that large is
-- nonsense anyway, and it stays visibly so).

-- a + b, at most 2^63-1 (counts are never negative).  Not STRICT, so
-- the planner inlines it; NULL in gives NULL out all the same.
CREATE FUNCTION dmarcctl_add(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN b > 0 AND a > 9223372036854775807 - b
	    THEN 9223372036854775807 ELSE a + b END
$$;
COMMENT ON FUNCTION dmarcctl_add(bigint, bigint) IS
    'a + b for counts, saturating at 2^63-1 instead of failing';

-- a sum (numeric) as a bigint, at most 2^63-1; the sum of no rows
-- (NULL) stays NULL
CREATE FUNCTION dmarcctl_clamp(n numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN n > 9223372036854775807
	    THEN 9223372036854775807 ELSE n::bigint END
$$;
COMMENT ON FUNCTION dmarcctl_clamp(numeric) IS
    'a sum of counts as bigint, saturating at 2^63-1 instead of failing';

-- sessions of the dashboards' TLS view: the same column, saturating
CREATE OR REPLACE VIEW grafana_tls_daily AS
SELECT domain,
       day,
       (day::timestamp AT TIME ZONE 'UTC') AS "time",
       org_name AS reporter,
       policy_type,
       dmarcctl_add(successful, failed) AS sessions,
       successful,
       failed
FROM tls_daily;

COMMENT ON COLUMN grafana_ingest_errors.code IS
    'parse, limit, io, or refused (the database refused a value)';
