#include "analyze/verdict.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/text.h"
#include "common/count.h"
#include "common/xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const verdict_words[] = {
	[VERDICT_INSUFFICIENT_DATA] = "insufficient-data",
	[VERDICT_STAY] = "stay",
	[VERDICT_QUARANTINE] = "quarantine",
	[VERDICT_REJECT] = "reject",
	[VERDICT_DONE] = "done",
	[VERDICT_ENFORCE] = "enforce",
};

static const char *const class_words[] = {
	[SOURCE_ALIGNED] = "aligned",
	[SOURCE_PARTIAL] = "partial",
	[SOURCE_THIRD_PARTY] = "third-party",
	[SOURCE_RELAY] = "relay",
	[SOURCE_INDIRECT] = "indirect",
	[SOURCE_UNAUTHENTICATED] = "unauthenticated",
};

/*
 * Major mail services: a source sending for us from one of these is very
 * likely a service the domain owner signed up for, even when it was seen
 * on a day or two only.  Matched as the domain or a parent of the rDNS
 * name, its base, or the foreign DKIM d= / SPF domain.
 */
struct known_service {
	const char *domain;
	const char *name;
	const char *relay_fix;	/* a relay: how to keep it from breaking
				 * the customer's DKIM, or NULL */
};

static const struct known_service known_services[] = {
	{ "amazonses.com", "Amazon SES", NULL },
	{ "sendgrid.net", "SendGrid", NULL },
	{ "mailgun.org", "Mailgun", NULL },
	{ "mailgun.net", "Mailgun", NULL },
	{ "mcsv.net", "Mailchimp", NULL },
	{ "mcdlv.net", "Mailchimp", NULL },
	{ "rsgsv.net", "Mailchimp", NULL },
	{ "mailchimp.com", "Mailchimp", NULL },
	{ "mandrillapp.com", "Mandrill", NULL },
	{ "sparkpostmail.com", "SparkPost", NULL },
	{ "sparkpost.com", "SparkPost", NULL },
	{ "mailjet.com", "Mailjet", NULL },
	{ "sendinblue.com", "Brevo", NULL },
	{ "brevo.com", "Brevo", NULL },
	{ "postmarkapp.com", "Postmark", NULL },
	{ "mtasv.net", "Postmark", NULL },
	{ "zendesk.com", "Zendesk", NULL },
	{ "salesforce.com", "Salesforce", NULL },
	{ "exacttarget.com", "Salesforce Marketing Cloud", NULL },
	{ "hubspot.com", "HubSpot", NULL },
	{ "hubspotemail.net", "HubSpot", NULL },
	{ "outlook.com", "Microsoft 365", NULL },
	{ "onmicrosoft.com", "Microsoft 365", NULL },
	{ "google.com", "Google Workspace", NULL },
	{ "googlemail.com", "Google Workspace", NULL },
	{ "gappssmtp.com", "Google Workspace", NULL },
	{ "zoho.com", "Zoho Mail", NULL },
	{ "mktomail.com", "Marketo", NULL },
	{ "ccsend.com", "Constant Contact", NULL },
	{ "constantcontact.com", "Constant Contact", NULL },
	{ "elasticemail.com", "Elastic Email", NULL },
	{ "shopifyemail.com", "Shopify", NULL },
	{ "pphosted.com", "Proofpoint", NULL },
	{ "mimecast.com", "Mimecast", NULL },
	{ "messagelabs.com", "Broadcom Email Security", NULL },
	/* outbound relays (smarthosts): they carry a domain's own mail */
	{ "mxrouting.net", "MXRoute", "in the MXRoute panel (DirectAdmin), "
	  "enable DKIM for the domain and publish its x._domainkey record, so "
	  "MXRoute signs after it re-encodes; or have the client send 7-bit / "
	  "quoted-printable" },
	{ "mxroute.com", "MXRoute", "in the MXRoute panel (DirectAdmin), "
	  "enable DKIM for the domain and publish its x._domainkey record, so "
	  "MXRoute signs after it re-encodes; or have the client send 7-bit / "
	  "quoted-printable" },
	{ "smtp2go.com", "SMTP2GO", "verify the domain in SMTP2GO (Sending > "
	  "Verified senders) and publish its DKIM CNAMEs, so SMTP2GO signs "
	  "with your domain; turn off its link tracking and footers if you "
	  "sign before it" },
	{ "mailchannels.net", "MailChannels", "publish a DKIM key and have "
	  "MailChannels sign with it (DKIM fields of the send API or the "
	  "hosting panel), so the signature is made after MailChannels "
	  "alters the message" },
};

const char *
verdict_name(enum verdict_word v)
{
	assert((size_t)v < NELEM(verdict_words));
	return verdict_words[v];
}

const char *
verdict_class_name(enum source_class c)
{
	assert((size_t)c < NELEM(class_words));
	return class_words[c];
}

bool
verdict_class_is_legitimate(enum source_class c)
{
	return c == SOURCE_ALIGNED || c == SOURCE_PARTIAL ||
	    c == SOURCE_THIRD_PARTY || c == SOURCE_RELAY;
}

struct verdict_thresholds
verdict_defaults(void)
{
	return (struct verdict_thresholds){
		.min_days = 14,
		.min_reporters = 2,
		.min_messages = 100,
		.recent_days = 14,
		.aligned_rate = 0.99,
		.third_party_days = 3,
		.indirect_share = 0.5,
		.relay_share = 0.05,
		.relay_days = 0.5,
		.relay_overrides = 0.05,
		.periodic_share = 0.01,
		.throwaway_spf_domains = 3,
		.quarantine_pass_rate = 0.98,
		.source_share = 0.005,
		.source_pass_rate = 0.95,
		.reject_quarantine_days = 28,
		.reject_pass_rate = 0.995,
		.reject_dkim_rate = 0.98,
		.reject_indirect_share = 0.01,
		.tls_min_days = 14,
		.tls_min_reporters = 2,
		.tls_recent_days = 7,
		.tls_failure_rate = 0.001,
		.tls_min_failure_sessions = 3,
		.tls_min_failure_reporters = 2,
		.tls_min_failure_days = 2,
	};
}

/* True when d is parent or a name under it (case and a final dot aside). */
static bool
domain_within(const char *d, const char *parent)
{
	size_t dl = strlen(d), pl = strlen(parent);

	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	if (dl < pl || strncasecmp(d + dl - pl, parent, pl) != 0)
		return false;
	return dl == pl || d[dl - pl - 1] == '.';
}

static const struct known_service *
service_entry(const char *domain)
{
	if (domain == NULL || *domain == '\0')
		return NULL;
	for (size_t i = 0; i < NELEM(known_services); i++)
		if (domain_within(domain, known_services[i].domain))
			return &known_services[i];
	return NULL;
}

const char *
verdict_known_service(const char *domain)
{
	const struct known_service *svc = service_entry(domain);

	return svc != NULL ? svc->name : NULL;
}

static const char *
service_of(const struct source_stats *s)
{
	const char *const names[] = { s->foreign_dkim_domain, s->base,
		s->name, s->foreign_spf_domain };
	const char *svc;

	for (size_t i = 0; i < NELEM(names); i++)
		if ((svc = verdict_known_service(names[i])) != NULL)
			return svc;
	return NULL;
}

/* ---- classification ---- */

static int64_t
failing_of(const struct source_stats *s)
{
	return s->messages > 0 ?
	    s->messages - count_clamp(s->dmarc_pass, s->messages) : 0;
}

static bool
is_indirect(const struct source_stats *s, const struct verdict_thresholds *th)
{
	int64_t fail = failing_of(s);
	int64_t marked;

	if (fail == 0)
		return false;
	/* the two counts may overlap; neither can exceed the failures */
	marked = count_add(count_clamp(s->overridden, fail),
	    count_clamp(s->own_dkim_broken, fail));
	marked = count_clamp(marked, fail);
	return marked > 0 && count_ratio(marked, fail) >= th->indirect_share;
}

/* --- what the user vouches for --- */

static bool
is_under(const char *name, const char *domain)
{
	size_t n, d;

	if (name == NULL)
		return false;
	n = strlen(name);
	d = strlen(domain);
	return (n == d && strcasecmp(name, domain) == 0) || (n > d &&
	    name[n - d - 1] == '.' && strcasecmp(name + n - d, domain) == 0);
}

bool
verdict_is_authorized(const struct source_stats *st, const char *list)
{
	char word[256];

	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, ", \t");

		if (len > 0 && len < sizeof(word)) {
			memcpy(word, list, len);
			word[len] = '\0';
			if (strcmp(st->ip, word) == 0 || is_under(st->name, word) ||
			    is_under(st->foreign_dkim_domain, word) ||
			    is_under(st->foreign_spf_domain, word))
				return true;
		}
		list += len;
		list += strspn(list, ", \t");
	}
	return false;
}

enum source_class
verdict_classify(const struct source_stats *s,
    const struct verdict_thresholds *th)
{
	int64_t pass;

	assert(s != NULL && th != NULL);
	if (s->messages <= 0)
		return SOURCE_UNAUTHENTICATED;
	pass = count_clamp(s->dmarc_pass, s->messages);
	if (count_ratio(pass, s->messages) >= th->aligned_rate)
		return SOURCE_ALIGNED;
	if (!s->is_authorized && is_indirect(s, th))
		return SOURCE_INDIRECT;
	if (pass > 0)
		return SOURCE_PARTIAL;
	/* the user vouches for it: failing mail of theirs is never spoofing */
	if (s->is_authorized)
		return SOURCE_THIRD_PARTY;
	if (s->dkim_foreign > 0 || s->spf_foreign > 0) {
		if (s->days >= th->third_party_days || service_of(s) != NULL)
			return SOURCE_THIRD_PARTY;
	}
	return SOURCE_UNAUTHENTICATED;
}

/* ---- diagnosis ---- */

enum diagnosis {
	DIAG_FOREIGN_DKIM,
	DIAG_DKIM_BROKEN,
	DIAG_SPF_UNALIGNED,
	DIAG_DKIM_MISSING,
	DIAG_UNKNOWN,
};

static enum diagnosis
dominant_problem(const struct source_stats *s)
{
	/* in the order of enum diagnosis: the first wins a tie */
	const int64_t counts[] = { s->dkim_foreign, s->own_dkim_broken,
		s->spf_foreign, s->dkim_missing };
	enum diagnosis best = DIAG_UNKNOWN;
	int64_t max = 0;

	for (size_t i = 0; i < NELEM(counts); i++) {
		if (counts[i] > max) {
			max = counts[i];
			best = (enum diagnosis)i;
		}
	}
	return best;
}

/* "Mailgun", or "the sending service (base, rDNS name or IP)". */
static void
service_text(const struct source_stats *s, char *out, size_t size)
{
	const char *svc = service_of(s);

	if (svc != NULL)
		text_fixed(out, size, "%s", svc);
	else
		text_fixed(out, size, "the sending service (%s)",
		    text_or(s->base, text_or(s->name, text_or(s->ip, "?"))));
}

void
verdict_diagnose(const struct source_stats *s, struct verdict_problem *out)
{
	char svc[300];

	assert(s != NULL && out != NULL);
	service_text(s, svc, sizeof(svc));
	switch (dominant_problem(s)) {
	case DIAG_FOREIGN_DKIM:
		text_fixed(out->problem, sizeof(out->problem), "third-party d=");
		text_fixed(out->fix, sizeof(out->fix), "signs with its own "
		    "domain %s: configure aligned DKIM (a CNAME/selector for "
		    "your domain) at %s",
		    text_or(s->foreign_dkim_domain, "(not reported)"), svc);
		break;
	case DIAG_DKIM_BROKEN:
		text_fixed(out->problem, sizeof(out->problem), "DKIM broken");
		text_fixed(out->fix, sizeof(out->fix), "a DKIM signature of "
		    "your domain is present but fails: check that the "
		    "selector's public key in DNS matches the key %s signs "
		    "with, and that nothing alters messages after signing",
		    svc);
		break;
	case DIAG_SPF_UNALIGNED:
		text_fixed(out->problem, sizeof(out->problem), "SPF unaligned");
		text_fixed(out->fix, sizeof(out->fix), "SPF passes for %s, "
		    "not aligned with the From domain: set a custom "
		    "return-path (MAIL FROM) under your domain at %s",
		    text_or(s->foreign_spf_domain, "another domain"), svc);
		break;
	case DIAG_DKIM_MISSING:
		text_fixed(out->problem, sizeof(out->problem), "DKIM missing");
		text_fixed(out->fix, sizeof(out->fix), "the sender signs "
		    "nothing: enable DKIM signing with a key under your "
		    "domain at %s", svc);
		break;
	case DIAG_UNKNOWN:
		text_fixed(out->problem, sizeof(out->problem), "not aligned");
		text_fixed(out->fix, sizeof(out->fix), "neither DKIM nor SPF "
		    "passes aligned with the From domain: sign with DKIM "
		    "under your domain at %s", svc);
		break;
	}
}

void
verdict_diagnose_relay(const struct source_stats *s,
    struct verdict_problem *out)
{
	const char *const names[] = { s->base, s->name, s->ip };
	const struct known_service *svc = NULL;

	assert(s != NULL && out != NULL);
	for (size_t i = 0; i < NELEM(names) && svc == NULL; i++)
		if ((svc = service_entry(names[i])) != NULL &&
		    svc->relay_fix == NULL)
			svc = NULL;
	text_fixed(out->problem, sizeof(out->problem), "DKIM broken by relay");
	if (svc != NULL) {
		text_fixed(out->fix, sizeof(out->fix), "%s carries your mail "
		    "and your DKIM signature fails after it: %s", svc->name,
		    svc->relay_fix);
		return;
	}
	text_fixed(out->fix, sizeof(out->fix), "%s carries your mail every "
	    "day and your DKIM signature fails after it, with no forwarding "
	    "reason from any receiver: it alters the message (8-bit to "
	    "quoted-printable, footers, header rewriting). Sign at the relay "
	    "with a key under your domain (d=your domain), or make the "
	    "client send 7-bit/quoted-printable so nothing is re-encoded, and "
	    "give the relay an aligned return-path in your SPF",
	    text_or(s->name, text_or(s->base, text_or(s->ip, "the relay"))));
}

/* ---- domain verdict ---- */

/* The published policy as a step of the progression. */
enum stage {
	STAGE_NONE,
	STAGE_QUARANTINE_PARTIAL,
	STAGE_QUARANTINE,
	STAGE_REJECT_PARTIAL,
	STAGE_REJECT,
};

struct tally {
	int64_t by_class[SOURCE_UNAUTHENTICATED + 1];	/* messages */
	int64_t legit, legit_pass, legit_dkim;
	int64_t legit_recent, legit_recent_pass;
	int64_t indirect_fail;		/* failing and not overridden */
};

static bool
policy_is_partial(const struct dmarc_policy *pol)
{
	return (pol->pct >= 0 && pol->pct < 100) || text_is_word(pol->t, "y");
}

static enum stage
stage_of(const struct dmarc_policy *pol)
{
	bool is_partial = policy_is_partial(pol);

	if (text_is_word(pol->p, "reject"))
		return is_partial ? STAGE_REJECT_PARTIAL : STAGE_REJECT;
	if (text_is_word(pol->p, "quarantine"))
		return is_partial ? STAGE_QUARANTINE_PARTIAL : STAGE_QUARANTINE;
	return STAGE_NONE;	/* none, absent, or a word we do not know */
}

static const char *
stage_p(enum stage st)
{
	switch (st) {
	case STAGE_NONE:
		return "none";
	case STAGE_QUARANTINE_PARTIAL:
	case STAGE_QUARANTINE:
		return "quarantine";
	case STAGE_REJECT_PARTIAL:
	case STAGE_REJECT:
		return "reject";
	}
	return "none";
}

/* The current pass rate of a source: recent when it sent recently. */
static double
now_rate(const struct source_stats *s)
{
	if (s->recent_messages > 0)
		return count_ratio(count_clamp(s->recent_pass, s->recent_messages),
		    s->recent_messages);
	return count_ratio(count_clamp(s->dmarc_pass, s->messages), s->messages);
}

/* the class of source i: as the caller judged it, else by the rules */
static enum source_class
class_of(const struct verdict_input *in, size_t i,
    const struct verdict_thresholds *th)
{
	return in->classes != NULL ? in->classes[i] :
	    verdict_classify(&in->sources[i], th);
}

/* Failing indirect mail that receivers do not already let through: mail
 * they deliver despite the failure (forwarded, ARC) is not lost. */
static int64_t
indirect_loss(const struct source_stats *s)
{
	int64_t fail = failing_of(s);

	return fail - count_clamp(s->overridden, fail);
}

static void
tally_sources(const struct verdict_input *in,
    const struct verdict_thresholds *th, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < in->n_sources; i++) {
		const struct source_stats *s = &in->sources[i];
		enum source_class c = class_of(in, i, th);
		int64_t m = s->messages > 0 ? s->messages : 0;

		t->by_class[c] = count_add(t->by_class[c], m);
		if (c == SOURCE_INDIRECT)
			t->indirect_fail = count_add(t->indirect_fail,
			    indirect_loss(s));
		if (!verdict_class_is_legitimate(c))
			continue;
		t->legit = count_add(t->legit, m);
		t->legit_pass = count_add(t->legit_pass,
		    count_clamp(s->dmarc_pass, m));
		t->legit_dkim = count_add(t->legit_dkim,
		    count_clamp(s->dkim_aligned, m));
		if (s->recent_messages > 0) {
			t->legit_recent = count_add(t->legit_recent,
			    s->recent_messages);
			t->legit_recent_pass = count_add(t->legit_recent_pass,
			    count_clamp(s->recent_pass, s->recent_messages));
		}
	}
}

#define LINE(out, ...) text_line(&(out)->lines, &(out)->n_lines, __VA_ARGS__)

static bool
enough_data(const struct verdict_input *in,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	bool days = in->days >= th->min_days;
	bool reporters = in->reporters >= th->min_reporters;
	bool messages = in->messages >= th->min_messages;

	LINE(out, "%s: %d days with reports (need at least %d)", text_ok(days),
	    in->days, th->min_days);
	LINE(out, "%s: %d reporters (need at least %d)", text_ok(reporters),
	    in->reporters, th->min_reporters);
	LINE(out, "%s: %" PRId64 " messages (need at least %" PRId64 ")",
	    text_ok(messages), in->messages, th->min_messages);
	return days && reporters && messages;
}

static void
explain_volume(const struct tally *t, struct verdict_advice *out)
{
	const int64_t *c = t->by_class;

	LINE(out, "legitimate mail: %" PRId64 " messages (aligned %" PRId64
	    ", partial %" PRId64 ", third-party %" PRId64 ", relay %" PRId64
	    "), passing DMARC %.2f%%, with aligned DKIM %.2f%%", t->legit,
	    c[SOURCE_ALIGNED], c[SOURCE_PARTIAL], c[SOURCE_THIRD_PARTY],
	    c[SOURCE_RELAY],
	    100.0 * out->evidence.legitimate_pass_rate,
	    100.0 * out->evidence.dkim_aligned_rate);
	LINE(out, "not counted: indirect %" PRId64 " (forwarding, mailing "
	    "lists; %" PRId64 " failing that receivers do not let through), "
	    "unauthenticated %" PRId64
	    " (spoofing or unknown senders: they never block a policy)",
	    c[SOURCE_INDIRECT], t->indirect_fail, c[SOURCE_UNAUTHENTICATED]);
}

static struct verdict_blocker *
new_blocker(struct verdict_advice *out, const struct verdict_input *in,
    size_t i, enum source_class c)
{
	const struct source_stats *s = &in->sources[i];
	struct verdict_blocker *b;

	out->blockers = xreallocarray(out->blockers, out->n_blockers + 1,
	    sizeof(*out->blockers));
	b = &out->blockers[out->n_blockers++];
	memset(b, 0, sizeof(*b));
	b->index = i;
	b->class = c;
	text_fixed(b->source, sizeof(b->source), "%s", text_or(s->ip, "?"));
	text_fixed(b->name, sizeof(b->name), "%s", text_or(s->name, ""));
	b->messages = s->messages;
	b->failing = failing_of(s);
	return b;
}

static void
block_failing(struct verdict_advice *out, const struct verdict_input *in,
    size_t i, enum source_class c)
{
	struct verdict_problem p;
	struct verdict_blocker *b = new_blocker(out, in, i, c);

	if (c == SOURCE_RELAY)
		verdict_diagnose_relay(&in->sources[i], &p);
	else
		verdict_diagnose(&in->sources[i], &p);
	memcpy(b->problem, p.problem, sizeof(b->problem));
	memcpy(b->fix, p.fix, sizeof(b->fix));
}

static void
block_text(struct verdict_advice *out, const struct verdict_input *in,
    size_t i, enum source_class c, const char *problem, const char *fix)
{
	struct verdict_blocker *b = new_blocker(out, in, i, c);

	text_fixed(b->problem, sizeof(b->problem), "%s", problem);
	text_fixed(b->fix, sizeof(b->fix), "%s", fix);
}

/* Which sources a gate names as blockers. */
struct gate {
	double below;		/* every legitimate source under this rate
				 * (the domain missed its rate), else -1 */
	bool want_spf_only;	/* the reject gate: DKIM coverage counts */
	bool is_dkim_failed;	/* ... and the domain missed it */
	bool want_indirect;	/* the indirect loss is too high */
};

struct gate_count {
	size_t failing;		/* significant legitimate sources that
				 * fail */
	size_t spf_only;	/* significant sources passing by SPF only */
	size_t minor;		/* small failing sources not named */
};

static void
gate_source(const struct verdict_input *in, size_t i, enum source_class c,
    const struct tally *t, const struct verdict_thresholds *th,
    const struct gate *g, struct verdict_advice *out, struct gate_count *n)
{
	const struct source_stats *s = &in->sources[i];
	bool is_big = count_ratio(s->messages, t->legit) >= th->source_share;
	double rate = now_rate(s);
	double dkim = count_ratio(count_clamp(s->dkim_aligned, s->messages), s->messages);

	if ((rate < th->source_pass_rate && is_big) || rate < g->below) {
		block_failing(out, in, i, c);
		n->failing += is_big;
	} else if (g->want_spf_only && dkim < th->reject_dkim_rate &&
	    (is_big || g->is_dkim_failed)) {
		block_text(out, in, i, c, "passes by SPF only",
		    "sign with aligned DKIM: forwarding breaks SPF");
		out->blockers[out->n_blockers - 1].failing = s->messages -
		    count_clamp(s->dkim_aligned, s->messages);
		n->spf_only += is_big;
	} else if (rate < th->source_pass_rate) {
		n->minor++;
	}
}

static void
gate_sources(const struct verdict_input *in, const struct tally *t,
    const struct verdict_thresholds *th, const struct gate *g,
    struct verdict_advice *out, struct gate_count *n)
{
	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < in->n_sources; i++) {
		const struct source_stats *s = &in->sources[i];
		enum source_class c = class_of(in, i, th);

		if (verdict_class_is_legitimate(c))
			gate_source(in, i, c, t, th, g, out, n);
		else if (c == SOURCE_INDIRECT && g->want_indirect &&
		    indirect_loss(s) > 0)
			block_text(out, in, i, c, "indirect flow fails",
			    "forwarded or list mail whose DKIM breaks would "
			    "be rejected: ask the forwarder or list to use ARC "
			    "or to rewrite From, or accept the loss");
	}
	if (n->minor > 0)
		LINE(out, "note: %zu small legitimate senders (each under "
		    "%.2f%% of legitimate volume) pass less than %.2f%%: fix "
		    "them too", n->minor, 100.0 * th->source_share,
		    100.0 * th->source_pass_rate);
}

static void
explain_sources(const struct verdict_thresholds *th,
    const struct gate_count *n, struct verdict_advice *out)
{
	LINE(out, "%s: %zu legitimate senders with at least %.2f%% of "
	    "legitimate volume pass less than %.2f%% (need none)",
	    text_ok(n->failing == 0), n->failing, 100.0 * th->source_share,
	    100.0 * th->source_pass_rate);
}

/* p=none (or partial quarantine) -> full quarantine. */
static bool
gate_quarantine(const struct verdict_input *in, const struct tally *t,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	struct gate g = { .below = -1.0 };
	struct gate_count n;
	bool is_recent = t->legit_recent > 0;
	double rate;
	bool rate_ok;

	if (t->legit == 0) {
		LINE(out, "ok: no legitimate (authenticated) mail was seen: "
		    "nothing legitimate can be lost (if the domain does send "
		    "mail, list its senders in [analysis] authorized first)");
		return true;
	}
	rate = is_recent ? count_ratio(t->legit_recent_pass, t->legit_recent) :
	    out->evidence.legitimate_pass_rate;
	rate_ok = rate >= th->quarantine_pass_rate;
	if (is_recent)
		LINE(out, "%s: legitimate pass rate over the last %d days "
		    "%.2f%% (need at least %.2f%%)", text_ok(rate_ok),
		    th->recent_days, 100.0 * rate,
		    100.0 * th->quarantine_pass_rate);
	else
		LINE(out, "%s: legitimate pass rate %.2f%% over the window, "
		    "none of it in the last %d days (need at least %.2f%%)",
		    text_ok(rate_ok), 100.0 * rate, th->recent_days,
		    100.0 * th->quarantine_pass_rate);
	if (!rate_ok)
		g.below = th->quarantine_pass_rate;
	gate_sources(in, t, th, &g, out, &n);
	explain_sources(th, &n, out);
	return rate_ok && n.failing == 0;
}

/* Full quarantine (or partial reject) -> reject. */
static bool
gate_reject(const struct verdict_input *in, const struct tally *t,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	const struct verdict_evidence *ev = &out->evidence;
	bool days_ok = in->quarantine_days >= th->reject_quarantine_days;
	/* no legitimate mail: none to lose */
	bool rate_ok = t->legit == 0 ||
	    ev->legitimate_pass_rate >= th->reject_pass_rate;
	bool dkim_ok = t->legit == 0 ||
	    ev->dkim_aligned_rate >= th->reject_dkim_rate;
	double loss = count_ratio(t->indirect_fail, in->messages);
	bool loss_ok = loss <= th->reject_indirect_share;
	struct gate g = { .below = rate_ok ? -1.0 : th->reject_pass_rate,
		.want_spf_only = true, .is_dkim_failed = !dkim_ok,
		.want_indirect = !loss_ok };
	struct gate_count n;

	LINE(out, "%s: %d days at full quarantine (need at least %d: as long "
	    "at quarantine as at none, RFC 9989 section 7.4)", text_ok(days_ok),
	    in->quarantine_days, th->reject_quarantine_days);
	LINE(out, "%s: legitimate pass rate %.2f%% (need at least %.2f%%)",
	    text_ok(rate_ok), 100.0 * ev->legitimate_pass_rate,
	    100.0 * th->reject_pass_rate);
	LINE(out, "%s: %.2f%% of legitimate mail passes with aligned DKIM "
	    "(need at least %.2f%%: reject must not rely on SPF alone, "
	    "RFC 9989 section 7.4)", text_ok(dkim_ok),
	    100.0 * ev->dkim_aligned_rate, 100.0 * th->reject_dkim_rate);
	LINE(out, "%s: failing indirect mail (forwarding, lists) is %.2f%% "
	    "of all mail (at most %.2f%%): reject would lose it",
	    text_ok(loss_ok), 100.0 * loss, 100.0 * th->reject_indirect_share);
	gate_sources(in, t, th, &g, out, &n);
	explain_sources(th, &n, out);
	LINE(out, "%s: %zu legitimate senders with at least %.2f%% of "
	    "legitimate volume pass by SPF only (need none)",
	    text_ok(n.spf_only == 0), n.spf_only, 100.0 * th->source_share);
	return days_ok && rate_ok && dkim_ok && loss_ok && n.failing == 0 &&
	    n.spf_only == 0;
}

/* Full reject: healthy, or legitimate mail is being lost now. */
static bool
gate_done(const struct verdict_input *in, const struct tally *t,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	struct gate g = { .below = -1.0 };
	struct gate_count n;

	gate_sources(in, t, th, &g, out, &n);
	explain_sources(th, &n, out);
	if (n.failing > 0)
		LINE(out, "warning: p=reject is published and %zu legitimate "
		    "senders fail: receivers may be rejecting their mail now",
		    n.failing);
	if (t->legit > 0 &&
	    out->evidence.dkim_aligned_rate < th->reject_dkim_rate)
		LINE(out, "note: only %.2f%% of legitimate mail passes with "
		    "aligned DKIM: mail passing by SPF alone fails when "
		    "forwarded", 100.0 * out->evidence.dkim_aligned_rate);
	return n.failing == 0;
}

static int
blocker_cmp(const void *a, const void *b)
{
	const struct verdict_blocker *x = a, *y = b;

	if (x->failing != y->failing)
		return x->failing > y->failing ? -1 : 1;
	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->source, y->source);
}

static bool
is_policy_word(const char *s)
{
	return text_is_word(s, "none") || text_is_word(s, "quarantine") ||
	    text_is_word(s, "reject");
}

/* sp as published: reports show an inherited sp equal to p. */
static bool
sp_is_explicit(const struct dmarc_policy *pol, enum stage st)
{
	return is_policy_word(pol->sp) && !text_is_word(pol->sp, stage_p(st));
}

/* The policy subdomains get now: sp, else p. */
static const char *
effective_sp(const struct dmarc_policy *pol, enum stage st)
{
	return sp_is_explicit(pol, st) ? pol->sp : stage_p(st);
}

/* np as published: reports may show an inherited np equal to sp. */
static bool
np_is_explicit(const struct dmarc_policy *pol, enum stage st)
{
	return is_policy_word(pol->np) &&
	    !text_is_word(pol->np, effective_sp(pol, st));
}

/*
 * The record with p: sp and np as published (left out where the new
 * record inherits the same value), strict alignment, and pct and t=y
 * only when the record stays as it is (t=y also when asked for).
 */
static void
build_record(const struct dmarc_policy *pol, enum stage st, const char *p,
    bool is_unchanged, bool want_t, const char *pin_sp, const char *pin_np,
    char *dst, size_t size)
{
	const char *sp = sp_is_explicit(pol, st) && !text_is_word(pol->sp, p) ?
	    pol->sp : pin_sp != NULL && !text_is_word(pin_sp, p) ? pin_sp : NULL;
	const char *new_sp = sp != NULL ? sp : p;

	dst[0] = '\0';
	text_append(dst, size, "v=DMARC1; p=%s", p);
	if (sp != NULL)
		text_append(dst, size, "; sp=%s", sp);
	if (np_is_explicit(pol, st) && !text_is_word(pol->np, new_sp))
		text_append(dst, size, "; np=%s", pol->np);
	else if (pin_np != NULL && !text_is_word(pin_np, new_sp))
		text_append(dst, size, "; np=%s", pin_np);
	if (text_is_word(pol->adkim, "s"))
		text_append(dst, size, "; adkim=s");
	if (text_is_word(pol->aspf, "s"))
		text_append(dst, size, "; aspf=s");
	if (is_unchanged && pol->pct >= 0 && pol->pct < 100)
		text_append(dst, size, "; pct=%d", pol->pct);
	if ((is_unchanged && text_is_word(pol->t, "y")) || want_t)
		text_append(dst, size, "; t=y");
	if (pol->rua != NULL && *pol->rua != '\0')
		text_append(dst, size, "; rua=%s", pol->rua);
}

/* t=y softens every policy of the record, one level (RFC 9989): it is
 * proposed only when nothing but p would be softened */
static bool
testing_softens_only_p(const struct verdict_input *in, enum stage st)
{
	const struct dmarc_policy *pol = &in->policy;
	const char *sp = in->pin_sp != NULL ? in->pin_sp :
	    effective_sp(pol, st);
	const char *np = np_is_explicit(pol, st) ? pol->np :
	    in->pin_np != NULL ? in->pin_np : sp;

	return text_is_word(sp, "none") && text_is_word(np, "none");
}

/* The live record with only what the step needs changed; false when it
 * does not fit (a cut record must never be proposed). */
static bool
build_live_record(const struct verdict_input *in, const char *p,
    bool is_unchanged, bool want_t, const char *pin_sp, const char *pin_np,
    char *dst, size_t size)
{
	struct dmarc_txt rec;
	bool is_whole;

	dmarc_txt_copy(&rec, in->policy.live);
	if (!is_unchanged) {
		dmarc_txt_set(&rec, "p", p);
		if (pin_sp != NULL && dmarc_txt_get(&rec, "sp") == NULL &&
		    !text_is_word(pin_sp, p))
			dmarc_txt_set(&rec, "sp", pin_sp);
		if (pin_np != NULL && dmarc_txt_get(&rec, "np") == NULL)
			dmarc_txt_set(&rec, "np", pin_np);
		dmarc_txt_set(&rec, "pct", NULL);
		dmarc_txt_set(&rec, "t", want_t ? "y" : NULL);
	}
	is_whole = dmarc_txt_format(&rec, dst, size);
	dmarc_txt_free(&rec);
	return is_whole;
}

static int rank_of(const char *p);

static void
next_record(const struct verdict_input *in, enum stage st,
    struct verdict_advice *out)
{
	const char *p = stage_p(st), *live_p = NULL;
	bool is_unchanged = true, want_t = false;
	const char *pin_sp, *pin_np;

	if (out->verdict == VERDICT_QUARANTINE) {
		p = "quarantine";
		is_unchanged = false;
		want_t = st == STAGE_NONE && testing_softens_only_p(in, st);
	} else if (out->verdict == VERDICT_REJECT) {
		p = "reject";
		is_unchanged = false;
	}
	/* DNS already holds the step (reports lag a day or two): proposing
	 * it again, t=y and all, could only soften what is published */
	if (in->policy.live != NULL)
		live_p = dmarc_txt_get(in->policy.live, "p");
	if (!is_unchanged && live_p != NULL && rank_of(live_p) >= rank_of(p)) {
		LINE(out, "DNS already publishes p=%s while the reports still "
		    "show p=%s (they lag a day or two): nothing to change now; "
		    "the next step is judged on reports under the new policy",
		    live_p, stage_p(st));
		is_unchanged = true;
		want_t = false;
	}
	pin_sp = is_unchanged ? NULL : in->pin_sp;
	pin_np = is_unchanged ? NULL : in->pin_np;
	if (in->policy.live == NULL || !build_live_record(in, p, is_unchanged,
	    want_t, pin_sp, pin_np, out->next_record,
	    sizeof(out->next_record)))
		build_record(&in->policy, st, p, is_unchanged, want_t, pin_sp,
		    pin_np, out->next_record, sizeof(out->next_record));
}

static void
explain_partial(const struct dmarc_policy *pol, struct verdict_advice *out)
{
	if (pol->pct >= 0 && pol->pct < 100)
		LINE(out, "pct=%d: legacy (RFC 7489) receivers apply the "
		    "policy to %d%% of failing mail; RFC 9989 removed pct, "
		    "which was applied reliably only at 0 and 100", pol->pct,
		    pol->pct);
	if (text_is_word(pol->t, "y"))
		LINE(out, "t=y: receivers that implement RFC 9989 apply one "
		    "level softer and report policy_test_mode");
}

static void
explain_next(const struct verdict_input *in, enum stage st,
    struct verdict_advice *out)
{
	const struct dmarc_policy *pol = &in->policy;

	if (st == STAGE_QUARANTINE_PARTIAL || st == STAGE_REJECT_PARTIAL)
		explain_partial(pol, out);
	switch (out->verdict) {
	case VERDICT_QUARANTINE:
		if (st == STAGE_NONE && !testing_softens_only_p(in, st)) {
			LINE(out, "next: p=quarantine in full: t=y (RFC 9989) "
			    "would also soften the sp= or np= you enforce "
			    "already");
		} else if (st == STAGE_NONE) {
			LINE(out, "next: p=quarantine, with t=y for a first "
			    "staged week: receivers that implement RFC 9989 "
			    "then apply none and report policy_test_mode; "
			    "remove t=y after a week of clean reports");
			LINE(out, "pct is only for legacy receivers (RFC 9989 "
			    "removed it): they ignore t=y and quarantine in "
			    "full");
		} else {
			LINE(out, "next: full quarantine: drop pct and t=y so "
			    "every receiver quarantines all failing mail");
		}
		break;
	case VERDICT_REJECT:
		LINE(out, "next: p=reject%s: failing mail, forwarded mail "
		    "whose DKIM broke included, is then refused",
		    st == STAGE_REJECT_PARTIAL ? " in full (drop pct and t=y)" :
		    "");
		break;
	case VERDICT_DONE:
		if (in->is_other_gate_staying)
			LINE(out, "p=reject is published and mail From the "
			    "domain passes; mail From its subdomains does not: "
			    "see the sp and np gates");
		else
			LINE(out, "p=reject is published and legitimate mail "
			    "passes: nothing to do");
		break;
	case VERDICT_STAY:
		LINE(out, "stay at p=%s%s", stage_p(st), out->n_blockers > 0 ?
		    ": fix the blockers and run advise again" : "");
		break;
	case VERDICT_INSUFFICIENT_DATA:
	case VERDICT_ENFORCE:
		LINE(out, "keep the policy and collect more reports before "
		    "judging");
		break;
	}
}

static void
explain_subdomains(const struct verdict_input *in, enum stage st,
    struct verdict_advice *out)
{
	const struct dmarc_policy *pol = &in->policy;
	const char *sp = effective_sp(pol, st);
	bool is_moving = out->verdict == VERDICT_QUARANTINE ||
	    out->verdict == VERDICT_REJECT;

	if (in->subdomain_messages > 0) {
		LINE(out, "subdomains: %" PRId64 " messages, %" PRId64
		    " failing DMARC", in->subdomain_messages,
		    in->subdomain_fail);
		if (is_moving && in->subdomain_fail > 0 &&
		    !sp_is_explicit(pol, st))
			LINE(out, "without sp= the new p applies to subdomains "
			    "too: fix their senders first (see the sp gate)");
	} else if (!text_is_word(sp, "reject")) {
		LINE(out, "no mail from subdomains was seen: sp=reject would "
		    "protect them now");
	}
	if (text_is_word(sp, "none") && st != STAGE_NONE)
		LINE(out, "sp=none: subdomains are not protected; RFC 9989 "
		    "counts a domain as enforcing only when its subdomains "
		    "are too");
	if (pol->np == NULL)
		LINE(out, "np= (RFC 9989) sets the policy for subdomains that "
		    "do not exist: np=reject is safe, no real mail uses them");
}

static void
explain_rua(const struct dmarc_policy *pol, struct verdict_advice *out)
{
	if (pol->rua != NULL && *pol->rua != '\0')
		LINE(out, "keep rua=%s: without it reports stop", pol->rua);
	else
		LINE(out, "keep your rua=mailto:... tag: reports do not show "
		    "it, so the record above lacks it");
}

void
verdict_advise(const struct verdict_input *in,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	enum stage st = stage_of(&in->policy);
	struct tally t;
	bool is_ready;

	assert(in != NULL && th != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	tally_sources(in, th, &t);
	out->evidence = (struct verdict_evidence){
		.days = in->days, .reporters = in->reporters,
		.messages = in->messages, .legitimate_messages = t.legit,
		.legitimate_pass_rate = count_ratio(t.legit_pass, t.legit),
		.dkim_aligned_rate = count_ratio(t.legit_dkim, t.legit),
	};
	is_ready = enough_data(in, th, out);
	explain_volume(&t, out);
	if (!is_ready)
		out->verdict = VERDICT_INSUFFICIENT_DATA;
	else if (st == STAGE_NONE || st == STAGE_QUARANTINE_PARTIAL)
		out->verdict = gate_quarantine(in, &t, th, out) ?
		    VERDICT_QUARANTINE : VERDICT_STAY;
	else if (st == STAGE_QUARANTINE || st == STAGE_REJECT_PARTIAL)
		out->verdict = gate_reject(in, &t, th, out) ?
		    VERDICT_REJECT : VERDICT_STAY;
	else
		out->verdict = gate_done(in, &t, th, out) ?
		    VERDICT_DONE : VERDICT_STAY;
	/* from partial to full, an inherited sp goes to full as well */
	if (in->is_full_held && (st == STAGE_QUARANTINE_PARTIAL ||
	    st == STAGE_REJECT_PARTIAL) && (out->verdict ==
	    VERDICT_QUARANTINE || out->verdict == VERDICT_REJECT)) {
		out->verdict = VERDICT_STAY;
		LINE(out, "not met: full p=%s applies to your subdomains as "
		    "well (sp is inherited), and their mail is not ready: fix "
		    "their senders (see the sp gate), or publish sp= "
		    "yourself", stage_p(st));
	}
	if (out->n_blockers > 1)
		qsort(out->blockers, out->n_blockers, sizeof(*out->blockers),
		    blocker_cmp);
	next_record(in, st, out);
	explain_next(in, st, out);
	explain_subdomains(in, st, out);
	explain_rua(&in->policy, out);
	LINE(out, "blind spot: mail rejected by SPF -all before DMARC never "
	    "appears in reports");
}

void
verdict_advice_free(struct verdict_advice *a)
{
	if (a == NULL)
		return;
	free(a->blockers);
	text_lines_free(a->lines, a->n_lines);
	memset(a, 0, sizeof(*a));
}

/* ---- the gates: each population under its own policy ---- */

static const char *const population_words[] = {
	[POP_ORGANIZATIONAL] = "organizational",
	[POP_SUBDOMAIN] = "subdomain",
	[POP_NONEXISTENT] = "non-existent",
};

static const char *const gate_words[] = {
	[POP_ORGANIZATIONAL] = "p",
	[POP_SUBDOMAIN] = "sp",
	[POP_NONEXISTENT] = "np",
};

const char *
verdict_population_name(enum population p)
{
	assert((size_t)p < NELEM(population_words));
	return population_words[p];
}

const char *
verdict_gate_name(enum population p)
{
	assert((size_t)p < NELEM(gate_words));
	return gate_words[p];
}

/* none 0, quarantine 1, reject 2 */
static int
rank_of(const char *p)
{
	return text_is_word(p, "reject") ? 2 : text_is_word(p, "quarantine") ? 1 : 0;
}

/* the strongest policy a gate's verdict allows now */
static int
ready_rank(const struct verdict_advice *a, const char *current)
{
	switch (a->verdict) {
	case VERDICT_QUARANTINE:
		return 1;
	case VERDICT_REJECT:
	case VERDICT_DONE:
		return 2;
	default:
		return rank_of(current);
	}
}

static int64_t
population_messages(const struct verdict_input *in)
{
	int64_t n = 0;

	for (size_t i = 0; i < in->n_sources; i++)
		n = count_add(n, in->sources[i].messages > 0 ?
		    in->sources[i].messages : 0);
	return n;
}

/* a population without mail: nothing holds its next step once there
 * are reports enough to say so */
static void
advise_empty(const struct verdict_input *in,
    const struct verdict_thresholds *th, struct verdict_advice *out)
{
	enum stage st = stage_of(&in->policy);

	memset(out, 0, sizeof(*out));
	out->evidence.days = in->days;
	out->evidence.reporters = in->reporters;
	out->evidence.messages = in->messages;
	if (!enough_data(in, th, out))
		out->verdict = VERDICT_INSUFFICIENT_DATA;
	else
		out->verdict = st == STAGE_NONE ||
		    st == STAGE_QUARANTINE_PARTIAL ? VERDICT_QUARANTINE :
		    st == STAGE_REJECT ? VERDICT_DONE : VERDICT_REJECT;
	LINE(out, "no mail of this population was seen in the window: "
	    "nothing holds its next step");
	next_record(in, st, out);
	explain_next(in, st, out);
}

/* The records in DNS hold the step back: stay, each problem a blocker
 * (no sender: index past the sources). */
static void
hold_for_dns(const struct verdict_input *in, struct verdict_advice *out)
{
	out->verdict = VERDICT_STAY;
	for (size_t i = 0; i < in->n_dns; i++) {
		const struct verdict_dns_problem *d = &in->dns[i];
		struct verdict_blocker *b;

		out->blockers = xreallocarray(out->blockers,
		    out->n_blockers + 1, sizeof(*out->blockers));
		b = &out->blockers[out->n_blockers++];
		memset(b, 0, sizeof(*b));
		b->index = SIZE_MAX;
		b->class = SOURCE_ALIGNED;
		text_fixed(b->source, sizeof(b->source), "%s",
		    text_or(d->subject, "DNS"));
		text_fixed(b->problem, sizeof(b->problem), "%s", d->code);
		text_fixed(b->fix, sizeof(b->fix), "%s%s%s", d->problem,
		    d->fix != NULL ? "; publish: " : "", text_or(d->fix, ""));
		LINE(out, "held back by DNS: %s", d->problem);
	}
}

void
verdict_advise_gates(const struct verdict_input in[POP_COUNT],
    const struct verdict_thresholds *th, struct verdict_advice out[POP_COUNT])
{
	struct verdict_input g[POP_COUNT];
	const struct dmarc_policy *pol = &in[POP_ORGANIZATIONAL].policy;
	enum stage st = stage_of(pol);
	const char *sp = effective_sp(pol, st);
	const char *np = np_is_explicit(pol, st) ? pol->np : sp;
	int next;

	for (int i = 0; i < POP_COUNT; i++) {
		g[i] = in[i];
		g[i].pin_sp = NULL;
		g[i].pin_np = NULL;
		if (i != POP_ORGANIZATIONAL) {
			g[i].policy.p = i == POP_SUBDOMAIN ? sp : np;
			g[i].policy.sp = NULL;
			g[i].policy.np = NULL;
		}
		if (i != POP_ORGANIZATIONAL && population_messages(&g[i]) == 0)
			advise_empty(&g[i], th, &out[i]);
		else if (i != POP_ORGANIZATIONAL)
			verdict_advise(&g[i], th, &out[i]);
	}
	g[POP_ORGANIZATIONAL].is_other_gate_staying =
	    out[POP_SUBDOMAIN].verdict == VERDICT_STAY ||
	    out[POP_NONEXISTENT].verdict == VERDICT_STAY;
	g[POP_ORGANIZATIONAL].is_full_held = !sp_is_explicit(pol, st) &&
	    population_messages(&g[POP_SUBDOMAIN]) > 0 &&
	    (out[POP_SUBDOMAIN].verdict == VERDICT_STAY ||
	    out[POP_SUBDOMAIN].verdict == VERDICT_INSUFFICIENT_DATA);
	/* a domain whose own name sends nothing: its p holds nothing back */
	if (population_messages(&g[POP_ORGANIZATIONAL]) == 0)
		advise_empty(&g[POP_ORGANIZATIONAL], th,
		    &out[POP_ORGANIZATIONAL]);
	else
		verdict_advise(&g[POP_ORGANIZATIONAL], th,
		    &out[POP_ORGANIZATIONAL]);
	for (int i = 0; i < POP_COUNT; i++)
		out[i].policy = stage_p(stage_of(&g[i].policy));
	out[POP_SUBDOMAIN].is_inherited = !sp_is_explicit(pol, st);
	out[POP_NONEXISTENT].is_inherited = !np_is_explicit(pol, st);
	next = out[POP_ORGANIZATIONAL].verdict == VERDICT_QUARANTINE ? 1 :
	    out[POP_ORGANIZATIONAL].verdict == VERDICT_REJECT ? 2 : -1;
	/* subdomains inherit the new p unless sp holds them back, and
	 * subdomains that do not exist inherit sp unless np does */
	if (next > 0 && !sp_is_explicit(pol, st) &&
	    next > ready_rank(&out[POP_SUBDOMAIN], sp)) {
		g[POP_ORGANIZATIONAL].pin_sp = sp;
		LINE(&out[POP_ORGANIZATIONAL], "sp=%s is kept: mail From your "
		    "subdomains is not ready for the new p (see the sp gate)",
		    sp);
	}
	if (next > 0 && !np_is_explicit(pol, st) &&
	    rank_of(g[POP_ORGANIZATIONAL].pin_sp != NULL ? sp : next == 2 ?
	    "reject" : "quarantine") > ready_rank(&out[POP_NONEXISTENT], np)) {
		g[POP_ORGANIZATIONAL].pin_np = np;
		LINE(&out[POP_ORGANIZATIONAL], "np=%s is kept: mail From "
		    "subdomains that do not exist is not ready for a stronger "
		    "policy (see the np gate)", np);
	}
	if (next > 0 && in[POP_ORGANIZATIONAL].n_dns > 0)
		hold_for_dns(&in[POP_ORGANIZATIONAL], &out[POP_ORGANIZATIONAL]);
	if (g[POP_ORGANIZATIONAL].pin_sp != NULL ||
	    g[POP_ORGANIZATIONAL].pin_np != NULL ||
	    out[POP_ORGANIZATIONAL].verdict == VERDICT_STAY)
		next_record(&g[POP_ORGANIZATIONAL], st,
		    &out[POP_ORGANIZATIONAL]);
}
