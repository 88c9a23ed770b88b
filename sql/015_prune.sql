-- db prune: the monthly partitions of the record tables that hold only
-- days before a time, whole; dropped unless is_dry, named either way.
CREATE FUNCTION dmarcctl_prune_partitions(before timestamptz, is_dry boolean)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	upto text := to_char(date_trunc('month', before AT TIME ZONE 'UTC'),
	    '"y"YYYY"m"MM');
	part record;
BEGIN
	FOR part IN
		SELECT c.relname AS name
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname IN ('records', 'record_reasons', 'dkim_results',
		    'spf_results')
		    AND p.relnamespace = current_schema()::regnamespace
		    AND c.relname ~ '_y[0-9]{4}m[0-9]{2}$'
		    AND right(c.relname, 8) < upto
		ORDER BY right(c.relname, 8), c.relname
	LOOP
		IF NOT is_dry THEN
			EXECUTE format('DROP TABLE %I', part.name);
		END IF;
		RETURN NEXT part.name;
	END LOOP;
END $$;
