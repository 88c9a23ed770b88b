/*
 * fuzz_mail: mail_walk over arbitrary bytes (one message or an mbox),
 * reading every byte of every part handed over, then report_parse over
 * the same bytes (the email path of the driver).
 */
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/stream.h"
#include "parsers/mail.h"
#include "parsers/report.h"
#include "fuzz/fuzz_sink.h"

struct walk_check {
	size_t sum;
	unsigned parts, messages, errors;
};

static int
on_part(void *ctx, const struct mail_part *part, struct err *err)
{
	struct walk_check *c = ctx;
	size_t s = 0;

	(void)err;
	if (part->len > 0 && part->data == NULL)
		fuzz_die("mail part with a length and no data");
	for (size_t i = 0; i < part->len; i++)
		s += (unsigned char)part->data[i];
	s += fuzz_str(part->content_type) + fuzz_str(part->filename);
	s += fuzz_str(part->location);
	c->sum += s;
	c->parts++;
	return 0;
}

static void
touch_info(struct walk_check *c, const struct mail_info *info)
{
	c->sum += info->index + info->is_mbox + info->is_forensic;
	c->sum += info->n_parts + fuzz_str(info->types);
	c->sum += fuzz_str(info->subject);
}

static int
on_message_end(void *ctx, const struct mail_info *info, struct err *err)
{
	struct walk_check *c = ctx;

	(void)err;
	touch_info(c, info);
	c->messages++;
	return 0;
}

static void
on_message_error(void *ctx, const struct mail_info *info,
    const struct err *why)
{
	struct walk_check *c = ctx;

	touch_info(c, info);
	c->sum += fuzz_err_len(why);
	c->errors++;
}

static void
fuzz_walk(const uint8_t *data, size_t size, const struct report_limits *lim)
{
	struct walk_check c = { 0 };
	struct mail_walker w = { &c, on_part, on_message_end,
		on_message_error, NULL };
	struct stream *in = NULL;
	struct err err;

	err_clear(&err);
	stream_new_mem(&in, data, size, "fuzz.eml");
	if (mail_walk(in, lim->max_message, &w, &err) == -1)
		c.sum += fuzz_err_len(&err);
	fuzz_sink_hole += c.sum + mail_sniff(data, size);
	stream_free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_limits lim;

	fuzz_limits(&lim);
	fuzz_walk(data, size, &lim);
	fuzz_whole_input(data, size, "fuzz.eml", &lim);
	return 0;
}
