-- What the analyzer last concluded, for dashboards and monitoring: each
-- run of summary, sources, advise or check writes the classes of the
-- sources it judged and the verdict of each domain (the rules live in
-- dmarcctl, not in SQL: one place decides).
CREATE TABLE source_classes (
	domain      text COLLATE "C" NOT NULL,
	source      text COLLATE "C" NOT NULL,
	class       text NOT NULL CHECK (class IN ('aligned', 'partial',
	    'third-party', 'indirect', 'unauthenticated')),
	judged_at   timestamptz NOT NULL DEFAULT now(),	-- given this class
	PRIMARY KEY (domain, source)
);

CREATE TABLE domain_verdicts (
	domain      text COLLATE "C" PRIMARY KEY,
	verdict     text NOT NULL,
	policy      text,			-- p of the latest report
	next_record text,
	legitimate_pass_rate double precision,
	judged_at   timestamptz NOT NULL DEFAULT now()
);
