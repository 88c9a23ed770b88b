/*
 * fuzz_dnsrec: the parsers of published records (model/dnsrec.h) over
 * arbitrary bytes: each parser reads the text as DNS would hand it over
 * (up to the first NUL), the policy parser the whole buffer, and a DMARC
 * record that parses is changed and written back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/dnsrec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[2048], **boxes = NULL;
	struct findings f = { 0 };
	struct dmarc_txt d, copy;
	struct dkim_key k;
	struct sts_record sr;
	struct sts_policy sp;
	struct tlsrpt_record tr;
	size_t n;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (dmarc_txt_parse(text, &d, &f) == 0) {
		dmarc_txt_copy(&copy, &d);
		dmarc_txt_set(&copy, "p", "quarantine");
		dmarc_txt_set(&copy, "pct", NULL);
		dmarc_txt_set(&copy, "t", "y");
		(void)dmarc_txt_format(&copy, out, sizeof(out));
		(void)dmarc_txt_get(&copy, "rua");
		dmarc_txt_free(&copy);
	}
	dmarc_txt_free(&d);
	n = dmarc_uri_mailboxes(text, &boxes);
	for (size_t i = 0; i < n; i++)
		free(boxes[i]);
	free(boxes);
	(void)dkim_key_parse(text, &k, &f);
	(void)sts_record_parse(text, &sr, &f);
	(void)sts_policy_parse((const char *)data, size, &sp, &f);
	sts_policy_free(&sp);
	(void)tlsrpt_record_parse(text, &tr, &f);
	tlsrpt_record_free(&tr);
	findings_free(&f);
	free(text);
	return 0;
}
