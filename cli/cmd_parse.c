/*
 * dmarcctl parse: print the reports found in files, as JSON Lines.
 *
 * A report's line comes first, then (with --records) its records.  The
 * line carries the totals, known only at the end of the report, so the
 * records wait in a temporary file meanwhile: memory stays flat, and a
 * report that fails half-way prints nothing at all.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/help.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/jsonw.h"
#include "common/log.h"
#include "common/stream.h"
#include "common/timefmt.h"

struct parse_out {
	bool want_records;
	FILE *spool;		/* records of the current report */
	struct buf line;
	unsigned failed;
	enum err_code worst;
};

static int
spool_line(struct parse_out *o, struct err *err)
{
	if (buf_addc(&o->line, '\n', err) == -1)
		return -1;
	if (fwrite(o->line.data, 1, o->line.len, o->spool) != o->line.len)
		return err_set(err, ERR_IO, "cannot write temporary file");
	buf_reset(&o->line);
	return 0;
}

static int
on_header(void *ctx, const struct report *r, struct err *err)
{
	struct parse_out *o = ctx;

	(void)r;
	if (!o->want_records)
		return 0;
	rewind(o->spool);
	if (ftruncate(fileno(o->spool), 0) == -1)
		return err_set(err, ERR_IO, "cannot reset temporary file");
	return 0;
}

static int
on_record(void *ctx, const struct report *r, const struct dmarc_record *rec,
    struct err *err)
{
	struct parse_out *o = ctx;

	(void)r;
	if (!o->want_records)
		return 0;
	if (output_dmarc_record_json(&o->line, rec, err) == -1)
		return -1;
	return spool_line(o, err);
}

static int
on_policy(void *ctx, const struct report *r, const struct tls_policy *p,
    struct err *err)
{
	struct parse_out *o = ctx;

	(void)r;
	if (!o->want_records)
		return 0;
	if (output_tls_policy_json(&o->line, p, err) == -1)
		return -1;
	return spool_line(o, err);
}

/*
 * A failure sample's fields; never the original's headers or body, which
 * may hold a user's mail: only whether the report carried them.
 */
static int
failure_json(struct buf *b, const struct failure_sample *f, struct err *err)
{
	const struct {
		const char *key, *value;
	} kv[] = {
		{ "auth_failure", f->auth_failure },
		{ "identity_alignment", f->identity_alignment },
		{ "source_ip", f->source_ip },
		{ "arrival", NULL },
		{ "reported_domain", f->reported_domain },
		{ "header_from", f->header_from },
		{ "mail_from", f->mail_from },
		{ "rcpt_to", f->rcpt_to },
		{ "dkim_domain", f->dkim_domain },
		{ "dkim_identity", f->dkim_identity },
		{ "dkim_selector", f->dkim_selector },
		{ "spf_dns", f->spf_dns },
		{ "delivery_result", f->delivery_result },
		{ "message_id", f->message_id },
		{ "format", f->format },
	};
	struct jsonw w;
	char ts[32];

	jsonw_init(&w, b);
	jsonw_raw(&w, "{\"record\":{");
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		const char *v = kv[i].value;

		if (strcmp(kv[i].key, "arrival") == 0 && f->arrival != -1) {
			timefmt_iso(f->arrival, ts, sizeof(ts));
			v = ts;
		}
		jsonw_kv_str(&w, kv[i].key, v, i == 0);
	}
	jsonw_key(&w, "has_headers", false);
	jsonw_raw(&w, f->headers != NULL ? "true" : "false");
	jsonw_key(&w, "has_body", false);
	jsonw_raw(&w, f->body != NULL ? "true" : "false");
	jsonw_raw(&w, "}}");
	return jsonw_finish(&w, err);
}

static int
on_sample(void *ctx, const struct report *r, const struct failure_sample *f,
    struct err *err)
{
	struct parse_out *o = ctx;

	(void)r;
	if (!o->want_records)
		return 0;
	if (failure_json(&o->line, f, err) == -1)
		return -1;
	return spool_line(o, err);
}

static int
copy_spool(struct parse_out *o, struct err *err)
{
	char chunk[65536];
	size_t n;

	fflush(o->spool);
	rewind(o->spool);
	while ((n = fread(chunk, 1, sizeof(chunk), o->spool)) > 0)
		if (fwrite(chunk, 1, n, stdout) != n)
			return err_set(err, ERR_IO, "cannot write output");
	if (ferror(o->spool))
		return err_set(err, ERR_IO, "cannot read temporary file");
	return 0;
}

static int
on_end(void *ctx, const struct report *r, struct err *err)
{
	struct parse_out *o = ctx;

	buf_reset(&o->line);
	if (output_report_json(&o->line, r, err) == -1 ||
	    buf_addc(&o->line, '\n', err) == -1)
		return -1;
	if (fwrite(o->line.data, 1, o->line.len, stdout) != o->line.len)
		return err_set(err, ERR_IO, "cannot write output");
	buf_reset(&o->line);
	return o->want_records ? copy_spool(o, err) : 0;
}

static void
on_failure(void *ctx, const struct err *why)
{
	struct parse_out *o = ctx;

	log_error("%s", why->msg);
	o->failed++;
	if (o->worst == ERR_OK || why->code == ERR_IO)
		o->worst = why->code;
}

static void
parse_one(const char *path, const struct config *cfg,
    const struct report_sink *sink, struct parse_out *o)
{
	struct stream *in = NULL;
	struct report_stats st;
	struct err err;

	if (stream_open_file(&in, path, &err) == -1 ||
	    report_parse(in, strcmp(path, "-") == 0 ? "stdin" : path,
	    &cfg->limits, sink, &st, &err) == -1)
		on_failure(o, &err);
	stream_free(in);
}

int
cmd_parse(int argc, char **argv, const struct config *cfg)
{
	static const struct option opts[] = {
		{ "records", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct parse_out o = { 0 };
	struct report_sink sink = { &o, on_header, on_record, on_policy,
		on_end, NULL, on_failure, NULL, on_sample };
	int ch, status = EXIT_OK;

	while ((ch = getopt_long(argc, argv, "+rh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': o.want_records = true; break;
		case 'h': return help_usage(stdout, "parse");
		default: return help_usage(stderr, "parse");
		}
	}
	if (optind >= argc) {
		log_error("parse: no input given (a file, or - for stdin)");
		return EXIT_USAGE;
	}
	buf_init(&o.line, 64u << 20);
	if (o.want_records && (o.spool = tmpfile()) == NULL) {
		log_error("cannot create a temporary file");
		status = EXIT_IOERR;
		goto out;
	}
	for (int i = optind; i < argc; i++)
		parse_one(argv[i], cfg, &sink, &o);
	if (o.failed > 0)
		status = cmd_exit_status(o.worst);
out:
	if (o.spool != NULL)
		fclose(o.spool);
	buf_release(&o.line);
	return status;
}
