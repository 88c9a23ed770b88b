-- Loading speed.  The rows of one report are written together, so BRIN
-- block ranges find a report's records and results as well as a B-tree,
-- at a fraction of the cost on every load.  The day-first rollup index
-- goes: the key index (domain, day, ...) serves the query commands.
DROP INDEX records_report;
CREATE INDEX records_report ON records USING brin (domain, report);
DROP INDEX record_reasons_report;
CREATE INDEX record_reasons_report ON record_reasons
    USING brin (domain, report);
DROP INDEX dkim_results_report;
CREATE INDEX dkim_results_report ON dkim_results USING brin (domain, report);
DROP INDEX spf_results_report;
CREATE INDEX spf_results_report ON spf_results USING brin (domain, report);
DROP INDEX tls_failures_report;
CREATE INDEX tls_failures_report ON tls_failures USING brin (domain, report);
DROP INDEX dmarc_daily_day;
