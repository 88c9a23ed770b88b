-- On a Citus cluster (the extension citus exists in the database), the
-- tables are spread over the workers; on plain PostgreSQL nothing here
-- does anything.  `dmarcctl db migrate` calls dmarcctl_distribute() after
-- the migrations, every time, so a table a later migration adds is
-- distributed too, and a second run changes nothing.
--
-- Table by table:
--   every table with a domain column (reports, the record and TLS tables,
--       failure samples, the rollups, classes and verdicts): hash
--       distributed by domain, all co-located with reports.  A domain's
--       rows of every table live in one shard group, so loading a report
--       (its transaction writes only its own domain's rows), the per-domain
--       queries and the joins on domain run on one worker; queries over
--       all domains run on all workers in parallel.  Every unique key
--       starts with domain, as Citus requires.
--   raw_inputs (the archived originals): a reference table, a copy on
--       every node.  reports.raw_id and ingest_errors.raw_id keep their
--       foreign keys (a distributed table may only reference a reference
--       table), reparse and prune keep their joins, and a report's
--       transaction stays atomic with its original.  The price is one copy
--       of the archive (the originals, gzip'd) per node, and every archive
--       write goes to every node.  Distributing it by its
--       own key would drop those foreign keys and turn every join into a
--       repartition; keeping it on the coordinator alone (a Citus local
--       table) is refused by the foreign keys of the distributed tables.
--   ingest_errors, rdns_cache: reference tables (small; no domain; read
--       together with distributed tables: the dashboards' ingest view,
--       the sources view).
--   dmarcctl_migrations: an ordinary table of the coordinator, where
--       `db migrate` runs; the workers never read it.
-- Citus may make a table's views again when it distributes it, without
-- their grants: the Grafana role is given its views back after every
-- distribution (sql/006_grafana.sql, and below).
-- The views Citus cannot run as they are, in a form it can, with the
-- same columns (their comments and grants stay):
--   grafana_domains skips through the rollups' keys with a recursive
--       query, one index probe per domain; Citus runs recursive queries
--       only within one domain.  On Citus each worker lists the domains
--       of its shards (the distinct values of the distribution column),
--       all workers at once.
CREATE FUNCTION dmarcctl_citus_views() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	CREATE OR REPLACE VIEW grafana_domains AS
	SELECT domain FROM (
		SELECT domain COLLATE "C" AS domain FROM domain_daily
		UNION
		SELECT domain COLLATE "C" FROM tls_daily
	) AS u
	ORDER BY domain;
END $$;

CREATE FUNCTION dmarcctl_distribute(is_dry boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	t regclass;
	shared regclass[];
	spread regclass[];
	fk_add text[];
	fk_drop text[];
	ddl text;
	n integer := 0;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RETURN 0;
	END IF;
	-- the tables to spread, listed before any is (a node that holds
	-- shards has them in its catalog too, beside their table)
	SELECT array_agg(c.oid::regclass ORDER BY c.oid)
	    FILTER (WHERE NOT d.has_domain),
	    array_agg(c.oid::regclass ORDER BY c.relname <> 'reports', c.oid)
	    FILTER (WHERE d.has_domain)
	INTO shared, spread
	FROM pg_class c
	CROSS JOIN LATERAL (SELECT EXISTS (SELECT FROM pg_attribute a
	    WHERE a.attrelid = c.oid AND a.attname = 'domain'
	    AND NOT a.attisdropped) AS has_domain) d
	WHERE c.relnamespace = current_schema()::regnamespace
	    AND c.relkind IN ('r', 'p') AND NOT c.relispartition
	    AND c.relname <> 'dmarcctl_migrations'
	    AND NOT relation_is_a_known_shard(c.oid)
	    AND NOT EXISTS (SELECT FROM pg_dist_partition p
	        WHERE p.logicalrelid = c.oid AND (p.repmodel = 't' OR
	        p.partmethod = 'h'));
	shared := coalesce(shared, '{}');
	spread := coalesce(spread, '{}');
	-- their foreign keys go while they move and come back after: Citus
	-- turns a table that refers to a reference table into a table of
	-- its own kind (local to the coordinator), which cannot then become
	-- a reference table in the same transaction
	SELECT array_agg(format('ALTER TABLE %s ADD CONSTRAINT %I %s',
	    k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
	    ORDER BY k.oid),
	    array_agg(format('ALTER TABLE %s DROP CONSTRAINT %I',
	    k.conrelid::regclass, k.conname) ORDER BY k.oid)
	INTO fk_add, fk_drop
	FROM pg_constraint k
	WHERE k.contype = 'f' AND k.conparentid = 0
	    AND (k.conrelid = ANY (shared || spread)
	    OR k.confrelid = ANY (shared || spread));
	IF NOT is_dry THEN
		-- the foreign keys to reference tables want one connection
		-- per node for what follows them in the transaction
		PERFORM set_config('citus.multi_shard_modify_mode',
		    'sequential', true);
		FOREACH ddl IN ARRAY coalesce(fk_drop, '{}') LOOP
			EXECUTE ddl;
		END LOOP;
	END IF;
	-- first the reference tables: the distributed ones refer to them
	FOREACH t IN ARRAY shared LOOP
		n := n + 1;
		IF NOT is_dry THEN
			PERFORM create_reference_table(t);
		END IF;
	END LOOP;
	-- reports first: the others are co-located with it
	FOREACH t IN ARRAY spread LOOP
		n := n + 1;
		IF is_dry THEN
			CONTINUE;
		ELSIF t = 'reports'::regclass THEN
			PERFORM create_distributed_table(t, 'domain',
			    colocate_with => 'none');
		ELSE
			PERFORM create_distributed_table(t, 'domain',
			    colocate_with => 'reports');
		END IF;
	END LOOP;
	IF NOT is_dry THEN
		FOREACH ddl IN ARRAY coalesce(fk_add, '{}') LOOP
			EXECUTE ddl;
		END LOOP;
		PERFORM dmarcctl_citus_views();
	END IF;
	IF n > 0 AND NOT is_dry AND EXISTS (SELECT FROM pg_roles
	    WHERE rolname = 'dmarcctl_grafana') THEN
		PERFORM dmarcctl_grafana_grant();
	END IF;
	RETURN n;
END $$;
COMMENT ON FUNCTION dmarcctl_distribute(boolean) IS
    'On Citus: distribute the tables not yet distributed (by domain, '
    'co-located with reports) or made reference tables; how many '
    '(is_dry: only count them)';

-- The Grafana role on Citus.  A query on a view runs on the workers as
-- the user who asked, against the shards of the tables beneath it, and
-- Citus checks that user's rights there (citusdata/citus#1683): the
-- rights to the views alone read nothing.  So on Citus the role may also
-- read the columns of the tables that the grafana_* views read, and only
-- those: never raw_inputs, a failure sample's headers or body, or a
-- reporter's contact address.  And Citus reaches the workers as that
-- user: Grafana must log in as a role of its own (README: Scaling out);
-- SET ROLE dmarcctl_grafana, a role without login, cannot read there.
-- On plain PostgreSQL the role reads the views and nothing else, as
-- before.
CREATE OR REPLACE FUNCTION dmarcctl_grafana_grant() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v regclass;
	r record;
BEGIN
	EXECUTE format('GRANT USAGE ON SCHEMA %I TO dmarcctl_grafana',
	    current_schema());
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I '
	    'FROM dmarcctl_grafana', current_schema());
	FOR v IN SELECT c.oid::regclass FROM pg_class c
	    WHERE c.relkind = 'v' AND c.relname LIKE 'grafana\_%'
	    AND c.relnamespace = current_schema()::regnamespace LOOP
		EXECUTE format('GRANT SELECT ON %s TO dmarcctl_grafana', v);
	END LOOP;
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RETURN;
	END IF;
	FOR r IN SELECT t.oid::regclass AS tab,
	    string_agg(DISTINCT quote_ident(a.attname), ', ') AS cols
	    FROM pg_class c
	    JOIN pg_rewrite w ON w.ev_class = c.oid
	    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass
	        AND d.objid = w.oid AND d.refclassid = 'pg_class'::regclass
	        AND d.refobjsubid > 0
	    JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')
	    JOIN pg_attribute a ON a.attrelid = t.oid
	        AND a.attnum = d.refobjsubid
	    WHERE c.relkind = 'v' AND c.relname LIKE 'grafana\_%'
	    AND c.relnamespace = current_schema()::regnamespace
	    GROUP BY t.oid LOOP
		EXECUTE format('GRANT SELECT (%s) ON %s TO dmarcctl_grafana',
		    r.cols, r.tab);
	END LOOP;
END $$;
COMMENT ON FUNCTION dmarcctl_grafana_grant() IS
    'Let dmarcctl_grafana read the grafana_* views and nothing else (on '
    'Citus: and the columns they read)';
