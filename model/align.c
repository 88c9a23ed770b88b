#include "model/align.h"

#include <string.h>
#include <strings.h>

#include "model/orgdomain.h"

static bool
is_pass(const char *v)
{
	return v != NULL && strcmp(v, "pass") == 0;
}

static bool
is_strict(const char *mode)
{
	return mode != NULL && strcmp(mode, "s") == 0;
}

/* does the name lie strictly below domain? */
static bool
is_below(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	return n > d + 1 && name[n - d - 1] == '.' &&
	    strcasecmp(name + n - d, domain) == 0;
}

/* a case-insensitive substring test for short ASCII texts */
static bool
mentions(const char *text, const char *word)
{
	size_t w = strlen(word);

	for (; text != NULL && *text != '\0'; text++)
		if (strncasecmp(text, word, w) == 0)
			return true;
	return false;
}

/* the override reasons that mean forwarding or a list, not spoofing */
static const char *const forwarding_reasons[] = {
	"forwarded", "trusted_forwarder", "mailing_list",
};

static bool
is_overridden(const struct dmarc_record *rec)
{
	for (size_t i = 0; i < rec->n_reasons; i++) {
		const struct dmarc_reason *why = &rec->reasons[i];

		if (why->type == NULL)
			continue;
		for (size_t k = 0; k < sizeof(forwarding_reasons) /
		    sizeof(forwarding_reasons[0]); k++)
			if (strcmp(why->type, forwarding_reasons[k]) == 0)
				return true;
		/* Google and Yahoo cite the ARC chain they trusted */
		if (strcmp(why->type, "local_policy") == 0 &&
		    mentions(why->comment, "arc"))
			return true;
	}
	return false;
}

static void
align_dkim(const struct dmarc_record *rec, const char *from, bool strict,
    struct record_auth *out)
{
	out->dkim = rec->n_dkim > 0 ? AUTH_FAIL : AUTH_NONE;
	for (size_t i = 0; i < rec->n_dkim; i++) {
		const struct dmarc_dkim *d = &rec->dkim_results[i];
		bool is_aligned = orgdomain_aligned(d->domain, from, strict);

		if (!is_pass(d->result)) {
			out->has_own_dkim_fail |= is_aligned;
			continue;
		}
		if (is_aligned) {
			out->dkim = AUTH_ALIGNED_PASS;
		} else if (out->dkim < AUTH_FOREIGN_PASS) {
			out->dkim = AUTH_FOREIGN_PASS;
			out->dkim_domain = d->domain;
		}
	}
}

/* MAIL FROM is what DMARC aligns; a HELO result counts only alone */
static void
align_spf(const struct dmarc_record *rec, const char *from, bool strict,
    struct record_auth *out)
{
	bool has_mfrom = false;

	for (size_t i = 0; i < rec->n_spf; i++)
		has_mfrom |= rec->spf_results[i].scope == NULL ||
		    strcmp(rec->spf_results[i].scope, "helo") != 0;
	out->spf = rec->n_spf > 0 ? AUTH_FAIL : AUTH_NONE;
	for (size_t i = 0; i < rec->n_spf; i++) {
		const struct dmarc_spf *s = &rec->spf_results[i];

		if (has_mfrom && s->scope != NULL &&
		    strcmp(s->scope, "helo") == 0)
			continue;
		if (!is_pass(s->result))
			continue;
		if (orgdomain_aligned(s->domain, from, strict)) {
			out->spf = AUTH_ALIGNED_PASS;
		} else if (out->spf < AUTH_FOREIGN_PASS) {
			out->spf = AUTH_FOREIGN_PASS;
			out->spf_domain = s->domain;
		}
	}
}

void
align_record(const struct report *r, const struct dmarc_record *rec,
    struct record_auth *out)
{
	const char *from = rec->header_from != NULL && *rec->header_from ?
	    rec->header_from : r->domain;

	memset(out, 0, sizeof(*out));
	align_dkim(rec, from, is_strict(r->policy.adkim), out);
	align_spf(rec, from, is_strict(r->policy.aspf), out);
	out->is_overridden = is_overridden(rec);
	out->is_subdomain = from != NULL && r->domain != NULL &&
	    is_below(from, r->domain);
	if (rec->n_dkim + rec->n_spf > 0)
		out->is_disagreement =
		    is_pass(rec->dkim) != (out->dkim == AUTH_ALIGNED_PASS) ||
		    is_pass(rec->spf) != (out->spf == AUTH_ALIGNED_PASS);
}
