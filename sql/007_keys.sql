-- Keys that fit.  A B-tree entry holds at most ~2.7 kB, and reporters
-- send what they like: a 3 kB report_id, org_name, domain, MX name or
-- policy type made the unique indexes refuse the report.  What goes into a
-- unique index is now short, whatever was sent; the full values stay.
--
-- reports: unique on (domain, report_key).  report_key is a SHA-256 over
-- length-prefixed fields (the kind, the reporter's name case-folded in
-- ASCII, the report id, the period, the full policy domain and a hash of
-- the records that does not depend on their order), computed by the loader.
-- domain is cut to 255 bytes on a UTF-8 character boundary (dmarcctl_cap,
-- the same cut as the loader's); domain_full then holds the whole name
-- (NULL when domain is whole).  Reports stored before this get a key of
-- their own ('v1': over the columns of the old unique key), so they stay
-- unique; `dmarcctl reparse` gives them the current one.  report_key is
-- NULL only while its report is being loaded.
--
-- Rollups: the loader caps the names it writes into their keys
-- (org_name, policy type, result type, MX) with dmarcctl_cap.
--
-- ingest_errors: unique on hashes of its long text columns.

-- The longest prefix of t of at most 255 bytes that ends on a character
-- boundary.  Each step drops at most as many characters as there are
-- bytes too many divided by 4 (a character is 1 to 4 bytes), so it never
-- cuts too much, and it ends in a few steps.
CREATE FUNCTION dmarcctl_cap(t text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	r text := left(t, 255);
BEGIN
	WHILE octet_length(r) > 255 LOOP
		r := left(r, -greatest(1, (octet_length(r) - 255) / 4));
	END LOOP;
	RETURN r;
END $$;

ALTER TABLE reports ADD COLUMN domain_full text,
    ADD COLUMN report_key bytea;

-- a field as the key sees it: its length (4 bytes), then its bytes
CREATE FUNCTION dmarcctl_key_field(v bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT int4send(length(v)) || v
$$;

UPDATE reports SET report_key = sha256(
    dmarcctl_key_field(convert_to('v1', 'UTF8')) ||
    dmarcctl_key_field(convert_to(kind, 'UTF8')) ||
    dmarcctl_key_field(convert_to(org_name, 'UTF8')) ||
    dmarcctl_key_field(convert_to(report_id, 'UTF8')) ||
    dmarcctl_key_field(convert_to(to_char(begin_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'UTF8')) ||
    dmarcctl_key_field(convert_to(to_char(end_at AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'UTF8')) ||
    dmarcctl_key_field(content_sha256));

DO $$
DECLARE
	c name;
BEGIN
	-- the old unique key: its name is PostgreSQL's, cut to 63 bytes
	FOR c IN SELECT conname FROM pg_constraint
	    WHERE conrelid = 'reports'::regclass AND contype = 'u' LOOP
		EXECUTE format('ALTER TABLE reports DROP CONSTRAINT %I', c);
	END LOOP;
	FOR c IN SELECT conname FROM pg_constraint
	    WHERE conrelid = 'ingest_errors'::regclass AND contype = 'u' LOOP
		EXECUTE format('ALTER TABLE ingest_errors DROP CONSTRAINT %I',
		    c);
	END LOOP;
END $$;

ALTER TABLE reports ADD CONSTRAINT reports_key UNIQUE (domain, report_key);

CREATE UNIQUE INDEX ingest_errors_key ON ingest_errors (md5(source),
    md5(location), md5(cause));
