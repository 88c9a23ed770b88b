-- dmarcctl core schema: reports, records, auth results, TLS-RPT, the raw
-- archive, ingest errors and the daily rollups the query commands read.
--
-- Every table carries the policy domain ("domain"): it is the distribution
-- column on a distributed PostgreSQL (Citus) and part of every unique key,
-- so the schema works there unchanged.  Records are partitioned by the day
-- their report begins (monthly partitions, created on demand).

-- The original bytes of each input unit (a file, or one email), as
-- received; plain XML/JSON is stored gzip-compressed (encoding = 'gzip').
CREATE TABLE raw_inputs (
	id          bigserial PRIMARY KEY,
	sha256      bytea NOT NULL UNIQUE,	-- of the bytes as received
	encoding    text NOT NULL CHECK (encoding IN ('identity', 'gzip')),
	content     bytea NOT NULL,
	size        bigint NOT NULL,		-- bytes as received
	source      text NOT NULL,		-- path, "stdin", imap folder/uid
	received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reports (
	id                 bigserial,
	domain             text NOT NULL,	-- policy domain
	kind               text NOT NULL CHECK (kind IN ('dmarc', 'tlsrpt')),
	org_name           text NOT NULL,
	email              text,
	extra_contact_info text,
	report_id          text NOT NULL,
	begin_at           timestamptz NOT NULL,
	end_at             timestamptz NOT NULL,
	content_sha256     bytea NOT NULL,	-- of the normalized records
	records            bigint NOT NULL,
	messages           bigint NOT NULL,
	-- DMARC policy_published (NULL: absent from the report)
	p                  text,
	sp                 text,
	np                 text,
	pct                smallint,
	fo                 text,
	adkim              text,
	aspf               text,
	testing            text,
	discovery_method   text,
	version            text,
	xmlns              text,
	generator          text,
	error              text,
	is_rfc9990         boolean NOT NULL DEFAULT false,
	notes              text[] NOT NULL DEFAULT '{}',
	raw_id             bigint REFERENCES raw_inputs (id),
	location           text,		-- where in the raw input
	ingested_at        timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain, id),
	-- exactly once: the same report in any wrapping is one row
	UNIQUE (domain, kind, org_name, report_id, begin_at, end_at,
	    content_sha256)
);
CREATE INDEX reports_begin ON reports (begin_at);
CREATE INDEX reports_raw ON reports (raw_id);

CREATE TABLE records (
	domain        text NOT NULL,
	report        bigint NOT NULL,		-- reports.id
	rec_no        integer NOT NULL,		-- position in the report
	begin_at      timestamptz NOT NULL,	-- the report's, for partitions
	source_ip     inet,			-- NULL when bad (see flags)
	source_text   text,			-- as sent when not an address
	count         bigint NOT NULL,
	disposition   text,
	dkim          text,			-- policy_evaluated, aligned
	spf           text,
	header_from   text,
	envelope_from text,
	envelope_to   text,
	flags         integer NOT NULL DEFAULT 0
) PARTITION BY RANGE (begin_at);
CREATE INDEX records_report ON records (domain, report);

CREATE TABLE record_reasons (
	domain   text NOT NULL,
	report   bigint NOT NULL,
	rec_no   integer NOT NULL,
	begin_at timestamptz NOT NULL,
	type     text,
	comment  text
) PARTITION BY RANGE (begin_at);
CREATE INDEX record_reasons_report ON record_reasons (domain, report);

CREATE TABLE dkim_results (
	domain       text NOT NULL,
	report       bigint NOT NULL,
	rec_no       integer NOT NULL,
	begin_at     timestamptz NOT NULL,
	dkim_domain  text,
	selector     text,
	result       text,
	human_result text
) PARTITION BY RANGE (begin_at);
CREATE INDEX dkim_results_report ON dkim_results (domain, report);

CREATE TABLE spf_results (
	domain       text NOT NULL,
	report       bigint NOT NULL,
	rec_no       integer NOT NULL,
	begin_at     timestamptz NOT NULL,
	spf_domain   text,
	scope        text,
	result       text,
	human_result text
) PARTITION BY RANGE (begin_at);
CREATE INDEX spf_results_report ON spf_results (domain, report);

-- TLS-RPT: one row per policy, one per failure detail
CREATE TABLE tls_policies (
	domain         text NOT NULL,		-- the report's policy domain
	report         bigint NOT NULL,
	pol_no         integer NOT NULL,
	begin_at       timestamptz NOT NULL,
	policy_type    text NOT NULL,
	policy_domain  text,
	policy_strings text[] NOT NULL DEFAULT '{}',
	mx_hosts       text[] NOT NULL DEFAULT '{}',
	successful     bigint NOT NULL,
	failed         bigint NOT NULL,
	PRIMARY KEY (domain, report, pol_no)
);

CREATE TABLE tls_failures (
	domain                 text NOT NULL,
	report                 bigint NOT NULL,
	pol_no                 integer NOT NULL,
	begin_at               timestamptz NOT NULL,
	result_type            text NOT NULL,
	sending_mta_ip         text,
	receiving_mx_hostname  text,
	receiving_mx_helo      text,
	receiving_ip           text,
	additional_information text,
	failure_reason_code    text,
	failed_session_count   bigint NOT NULL
);
CREATE INDEX tls_failures_report ON tls_failures (domain, report);

-- Inputs that held no valid report: what, why, and where the original is.
CREATE TABLE ingest_errors (
	id          bigserial PRIMARY KEY,
	at          timestamptz NOT NULL DEFAULT now(),
	source      text NOT NULL,		-- path, "stdin", imap folder/uid
	location    text NOT NULL DEFAULT '',	-- where inside it
	code        text NOT NULL,		-- parse, limit, io
	cause       text NOT NULL,
	raw_id      bigint REFERENCES raw_inputs (id),
	UNIQUE (source, location, cause)
);

-- Daily rollups, maintained in the same transaction as each report: the
-- query commands and dashboards read these, never raw records.
CREATE TABLE dmarc_daily (
	domain      text NOT NULL,
	day         date NOT NULL,
	org_name    text NOT NULL,		-- the reporter
	source_ip   inet,
	header_from text NOT NULL DEFAULT '',
	disposition text NOT NULL DEFAULT '',
	dkim        text NOT NULL DEFAULT '',
	spf         text NOT NULL DEFAULT '',
	messages    bigint NOT NULL,
	records     bigint NOT NULL
);
-- NULL source IPs group together (PostgreSQL 15: NULLS NOT DISTINCT)
CREATE UNIQUE INDEX dmarc_daily_key ON dmarc_daily (domain, day, org_name,
    source_ip, header_from, disposition, dkim, spf) NULLS NOT DISTINCT;
CREATE INDEX dmarc_daily_day ON dmarc_daily (day, domain);

CREATE TABLE tls_daily (
	domain        text NOT NULL,		-- policy domain of the policy
	day           date NOT NULL,
	org_name      text NOT NULL,
	policy_type   text NOT NULL,
	successful    bigint NOT NULL,
	failed        bigint NOT NULL,
	PRIMARY KEY (domain, day, org_name, policy_type)
);

CREATE TABLE tls_daily_failures (
	domain        text NOT NULL,
	day           date NOT NULL,
	org_name      text NOT NULL,
	result_type   text NOT NULL,
	mx            text NOT NULL DEFAULT '',
	sessions      bigint NOT NULL,
	PRIMARY KEY (domain, day, org_name, result_type, mx)
);

-- Monthly partitions for the record tables, created when first needed.
-- The advisory lock makes concurrent loaders create each one once.
CREATE FUNCTION dmarcctl_ensure_partitions(t timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	lo timestamptz := date_trunc('month', t AT TIME ZONE 'UTC')
	    AT TIME ZONE 'UTC';
	hi timestamptz := lo + interval '1 month';
	suffix text := to_char(lo AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
	parent text;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('dmarcctl_partitions'));
	FOREACH parent IN ARRAY ARRAY['records', 'record_reasons',
	    'dkim_results', 'spf_results'] LOOP
		IF to_regclass(parent || '_' || suffix) IS NULL THEN
			EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR '
			    'VALUES FROM (%L) TO (%L)', parent || '_' || suffix,
			    parent, lo, hi);
		END IF;
	END LOOP;
END $$;
