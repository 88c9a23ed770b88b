-- Failure reports (RFC 6591 ARF auth-failure, RFC 9991): a report of kind
-- 'failure' holds one sample.  What a sample keeps is the user's choice
-- ([failures] keep): metadata only by default (domains, addresses of the
-- sending servers, failure types, DKIM and SPF identifiers; never a local
-- part, a subject or a body); the original's header block with "headers";
-- its body and the original mail in raw_inputs with "full".

ALTER TABLE reports DROP CONSTRAINT reports_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_kind_check
    CHECK (kind IN ('dmarc', 'tlsrpt', 'failure'));

CREATE TABLE failure_samples (
	domain             text NOT NULL,	-- reports.domain
	report             bigint NOT NULL,	-- reports.id
	arrival_at         timestamptz NOT NULL,
	source_ip          inet,
	auth_failure       text,		-- dkim, spf, dmarc, bodyhash...
	identity_alignment text,
	reported_domain    text,
	header_from        text,		-- domains only
	mail_from          text,
	rcpt_to            text,
	dkim_domain        text,
	dkim_identity      text,
	dkim_selector      text,
	spf_dns            text,
	delivery_result    text,
	message_id         text,		-- SHA-256 of the Message-ID
	format             text NOT NULL,	-- arf | text
	headers            bytea,		-- keep = headers or full (as sent)
	body               bytea,		-- keep = full
	PRIMARY KEY (domain, report)
);
CREATE INDEX failure_samples_arrival ON failure_samples (domain, arrival_at);
