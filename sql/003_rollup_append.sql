-- The DMARC rollup is appended to, one set of groups per report, instead
-- of merged row by row: the reports of one reporter and day add up in the
-- queries that read it (they sum anyway).  There is no unique key to keep
-- on every load, and concurrent loaders take no row locks on it.
DROP INDEX dmarc_daily_key;
CREATE INDEX dmarc_daily_domain_day ON dmarc_daily (domain, day);
