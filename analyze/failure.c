#include "analyze/failure.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "analyze/text.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* each type: its word in Auth-Failure, and what it means to people */
static const struct {
	const char *word;
	const char *text;
} types[FT_COUNT] = {
	[FT_BODYHASH] = { "bodyhash", "DKIM body hash did not verify" },
	[FT_SIGNATURE] = { "signature", "DKIM signature did not verify" },
	[FT_REVOKED] = { "revoked", "DKIM key revoked" },
	[FT_DKIM] = { "dkim", "DKIM failed" },
	[FT_SPF] = { "spf", "SPF failed" },
	[FT_DMARC] = { "dmarc", "not aligned with the From domain" },
	[FT_OTHER] = { "other", "other failures" },
};

const char *
failure_type_name(enum failure_type t)
{
	return t < FT_COUNT ? types[t].word : "other";
}

static enum failure_type
type_of(const char *word, size_t len)
{
	for (size_t i = 0; i < FT_OTHER; i++)
		if (strlen(types[i].word) == len &&
		    strncasecmp(types[i].word, word, len) == 0)
			return (enum failure_type)i;
	return FT_OTHER;
}

/* keep the keys with the most samples; the rest are counted */
static void
add_key(struct failure_evidence *e, const char *selector, const char *domain,
    int64_t samples)
{
	struct failure_key *k = NULL;

	for (size_t i = 0; i < e->n_keys && k == NULL; i++)
		if (strcmp(e->keys[i].selector, selector) == 0 &&
		    strcmp(e->keys[i].domain, domain) == 0)
			k = &e->keys[i];
	if (k == NULL && e->n_keys < FAILURE_SELECTORS) {
		k = &e->keys[e->n_keys++];
		text_fixed(k->selector, sizeof(k->selector), "%s", selector);
		text_fixed(k->domain, sizeof(k->domain), "%s", domain);
	}
	if (k == NULL) {
		e->other_keys += samples;
		return;
	}
	k->samples += samples;
	/* most samples first: bubble the grown one up */
	for (; k > e->keys && k[-1].samples < k->samples; k--) {
		struct failure_key t = k[-1];

		k[-1] = *k;
		*k = t;
	}
}

void
failure_evidence_add(struct failure_evidence *e, const char *auth_failures,
    const char *selector, const char *dkim_domain, int64_t samples)
{
	bool seen[FT_COUNT] = { false };
	const char *p = auth_failures != NULL ? auth_failures : "";

	if (samples <= 0)
		return;
	e->samples += samples;
	while (*p != '\0') {
		size_t len = strcspn(p, ", ");

		if (len > 0) {
			enum failure_type t = type_of(p, len);

			/* a sample counts once per type */
			if (!seen[t])
				e->by_type[t] += samples;
			seen[t] = true;
		}
		p += len;
		p += strspn(p, ", ");
	}
	if (selector != NULL && *selector != '\0')
		add_key(e, selector, dkim_domain != NULL ? dkim_domain : "",
		    samples);
}

void
failure_evidence_merge(struct failure_evidence *e,
    const struct failure_evidence *src)
{
	e->samples += src->samples;
	for (size_t t = 0; t < FT_COUNT; t++)
		e->by_type[t] += src->by_type[t];
	for (size_t i = 0; i < src->n_keys; i++)
		add_key(e, src->keys[i].selector, src->keys[i].domain,
		    src->keys[i].samples);
	e->other_keys += src->other_keys;
}

void
failure_evidence_text(const struct failure_evidence *e, char *out,
    size_t size)
{
	const char *sep = ": ";

	*out = '\0';
	if (e->samples <= 0)
		return;
	text_append(out, size, "%lld failure report%s", (long long)e->samples,
	    e->samples == 1 ? "" : "s");
	/* the DKIM detail says more than a bare "dkim": that alone only
	 * when nothing finer was reported */
	for (size_t t = 0; t < FT_COUNT; t++) {
		if (e->by_type[t] == 0 || (t == FT_DKIM &&
		    e->by_type[FT_BODYHASH] + e->by_type[FT_SIGNATURE] +
		    e->by_type[FT_REVOKED] >= e->by_type[FT_DKIM]))
			continue;
		text_append(out, size, "%s%s (%lld)", sep, types[t].text,
		    (long long)e->by_type[t]);
		sep = ", ";
	}
	for (size_t i = 0; i < e->n_keys; i++)
		text_append(out, size, "%s s=%s%s%s", i == 0 ? "; DKIM key" :
		    ",", e->keys[i].selector, *e->keys[i].domain != '\0' ?
		    " d=" : "", e->keys[i].domain);
	if (e->other_keys > 0)
		text_append(out, size, " and others");
}
