-- One collation for every policy domain column: bytewise (COLLATE "C"),
-- as the rollups of 004 already have it.  The domain is the distribution
-- column on Citus, and Citus co-locates tables (keeps a domain's rows of
-- every table on one node, so that joins on domain stay on that node)
-- only when their distribution columns share a collation: reports and
-- failure_samples could not be joined with source_classes there.  Names
-- compare as bytes, as in the rollups; equality is the same as before, and
-- only the order of domains in a database with a non-C default collation
-- changes (to the rollups' order).
--
-- A column's collation cannot change under a view, so the views on these
-- tables are set aside (definition, comments) and made again as they were;
-- the Grafana role gets them back (sql/006_grafana.sql).
CREATE TEMPORARY TABLE dmarcctl_saved_views ON COMMIT DROP AS
SELECT c.oid AS oid, c.relname AS name, pg_get_viewdef(c.oid) AS def,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c
WHERE c.relkind = 'v' AND c.relnamespace = current_schema()::regnamespace
    AND EXISTS (SELECT FROM pg_depend d JOIN pg_rewrite r
        ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
        WHERE r.ev_class = c.oid AND d.refobjsubid > 0
        AND EXISTS (SELECT FROM pg_attribute a
            WHERE a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            AND a.attname = 'domain'));

CREATE TEMPORARY TABLE dmarcctl_saved_comments ON COMMIT DROP AS
SELECT v.name, a.attname AS col, col_description(v.oid, a.attnum) AS comment
FROM dmarcctl_saved_views v JOIN pg_attribute a ON a.attrelid = v.oid
WHERE a.attnum > 0 AND col_description(v.oid, a.attnum) IS NOT NULL;

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT name FROM dmarcctl_saved_views LOOP
		EXECUTE format('DROP VIEW %I', r.name);
	END LOOP;
	-- partitioned tables pass it on to their partitions
	FOR r IN SELECT c.relname FROM pg_class c JOIN pg_attribute a
	    ON a.attrelid = c.oid
	    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
	    AND c.relnamespace = current_schema()::regnamespace
	    AND a.attname = 'domain' AND NOT a.attisdropped
	    AND a.atttypid = 'text'::regtype
	    AND a.attcollation <> 'pg_catalog."C"'::regcollation LOOP
		EXECUTE format('ALTER TABLE %I ALTER COLUMN domain TYPE text '
		    'COLLATE "C"', r.relname);
	END LOOP;
	FOR r IN SELECT * FROM dmarcctl_saved_views ORDER BY oid LOOP
		EXECUTE format('CREATE VIEW %I AS %s', r.name, r.def);
		IF r.comment IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW %I IS %L', r.name,
			    r.comment);
		END IF;
	END LOOP;
	FOR r IN SELECT * FROM dmarcctl_saved_comments LOOP
		EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', r.name, r.col,
		    r.comment);
	END LOOP;
END $$;

DO $$
BEGIN
	IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dmarcctl_grafana')
	THEN
		PERFORM dmarcctl_grafana_grant();
	END IF;
EXCEPTION
	WHEN insufficient_privilege THEN
		RAISE WARNING 'cannot grant dmarcctl_grafana the grafana_* '
		    'views: see sql/006_grafana.sql';
END $$;
