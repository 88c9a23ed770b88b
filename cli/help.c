/*
 * The help of every command, in one table: its synopsis (what a usage
 * error prints), one line for the list of commands, its options and
 * examples (what `dmarcctl help COMMAND` and `COMMAND --help` print).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/help.h"

/* the options every query command takes: its window */
#define WINDOW_HELP \
	"  --days N              the last N days up to now\n" \
	"  --since DATE --until DATE\n" \
	"                        from DATE to DATE (until excluded); DATE is\n" \
	"                        YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], UTC\n"
#define DOMAIN_HELP \
	"  --domain D            only policy domain D\n"
#define NO_DNS_HELP \
	"  --no-dns              no reverse DNS: senders by address only\n"
#define HELP_HELP \
	"  -h, --help            this page\n"

static const struct help_page pages[] = {
	{ "parse", "[--records] FILE...|-",
	  "print the reports found in files (no database)",
	  "Reads each input (XML, JSON, .gz, .zip, an email, an mbox, or - for\n"
	  "standard input) and prints one JSON line per report found.\n",
	  "  --records             a line per record after its report\n"
	  HELP_HELP,
	  "  dmarcctl parse report.xml.gz\n"
	  "  dmarcctl parse --records < message.eml\n" },
	{ "ingest", "[--dry-run] [--json] PATH...|-",
	  "store the reports of files, directories, Maildirs, mbox",
	  "Stores every report found in files, directories (recursively),\n"
	  "Maildir folders and mbox files; a report already stored is a\n"
	  "duplicate.  Inputs that fail are recorded (dmarcctl errors) and the\n"
	  "exit status is 65.\n",
	  "  --dry-run             parse and compare with the store, store nothing\n"
	  "  --json                the summary as JSON on standard output\n"
	  HELP_HELP,
	  "  dmarcctl ingest ~/Maildir/.dmarc\n"
	  "  dmarcctl ingest --json reports/*.zip\n" },
	{ "fetch", "[--account NAME] [--dry-run] [--json] [--watch] [--insecure]",
	  "store the reports of the IMAP mailboxes of [imap], then move them",
	  "Reads the mailboxes of the [imap] sections of the config file; a\n"
	  "message goes to the archive folder once its reports are stored, or\n"
	  "to the errors folder when it holds no valid report.\n",
	  "  --account NAME        only the [imap.NAME] section\n"
	  "  --dry-run             read and parse, store and move nothing\n"
	  "  --json                the summary as JSON on standard output\n"
	  "  --watch               stay connected and wait for new mail (IDLE)\n"
	  "  --insecure            allow tls = none (a password in clear)\n"
	  HELP_HELP,
	  "  dmarcctl fetch\n"
	  "  dmarcctl -c /etc/dmarcctl/dmarcctl.conf fetch --account tls\n" },
	{ "reparse", "[--failed]",
	  "rebuild the stored rows from the archived originals",
	  "Reads every archived original again with this version's parsers and\n"
	  "rebuilds the reports, the daily tables and the errors from them;\n"
	  "with --failed only the inputs that failed (after an upgrade): those\n"
	  "that read now are stored and leave dmarcctl errors.\n",
	  "  --failed              only the inputs dmarcctl errors lists\n"
	  HELP_HELP,
	  "  dmarcctl reparse --failed\n"
	  "  dmarcctl reparse\n" },
	{ "db", "migrate|status|prune --older-than DAYS [--dry-run]",
	  "apply / list the schema migrations; prune old data",
	  "migrate applies the schema migrations (idempotent, silent when\n"
	  "there is nothing to do); status prints the version, the mode and\n"
	  "each migration; prune deletes data older than DAYS days.\n",
	  "  --older-than DAYS     prune: what began more than DAYS days ago\n"
	  "  --dry-run             prune: say what would go, delete nothing\n"
	  HELP_HELP,
	  "  dmarcctl db migrate\n"
	  "  dmarcctl db prune --older-than 730 --dry-run\n" },
	{ "reports", "[WINDOW] [--domain D] [--format text|json|csv]",
	  "list the stored reports",
	  "Lists the reports whose period begins in the window (default: 14\n"
	  "days): kind, domain, reporter, report id, period, records, messages.\n",
	  WINDOW_HELP DOMAIN_HELP
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl reports --days 2\n"
	  "  dmarcctl reports --domain example.com --format csv\n" },
	{ "errors", "[WINDOW] [--format text|json|csv]",
	  "list the inputs that held no valid report",
	  "Lists the inputs that failed in the window (default: 14 days): when,\n"
	  "the source, the message's date, sender and subject, the cause, and\n"
	  "the id of the archived original (dmarcctl raw ID writes it out).\n",
	  WINDOW_HELP
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl errors --days 30\n"
	  "  dmarcctl raw 42 > failed.eml\n" },
	{ "raw", "ID",
	  "write an archived original to standard output",
	  "Writes the original input archived as ID (the number dmarcctl errors\n"
	  "shows) to standard output, as it was received.\n",
	  HELP_HELP,
	  "  dmarcctl raw 42 > failed.eml\n"
	  "  dmarcctl raw 42 | dmarcctl parse -\n" },
	{ "summary", "[WINDOW] [--domain D] [--no-dns] [--format text|json|csv]",
	  "per domain: volume, pass rates, policy, verdict",
	  "Per policy domain: reports, reporters, messages, DMARC, SPF and DKIM\n"
	  "pass counts, the published policy and advise's verdict (default\n"
	  "window: 14 days).\n",
	  WINDOW_HELP DOMAIN_HELP NO_DNS_HELP
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl summary\n"
	  "  dmarcctl summary --days 30 --domain example.com --format json\n" },
	{ "sources", "[WINDOW] [--domain D] [--class C] [--limit N] "
	  "[--addresses] [--no-dns] [--format text|json|csv]",
	  "who sends as your domains: senders, named and classified",
	  "Per sender (an organisation and its addresses): messages, pass\n"
	  "counts, its class and why (default window: 14 days).\n",
	  WINDOW_HELP DOMAIN_HELP
	  "  --class C             only senders of class C (legitimate,\n"
	  "                        forwarder, unknown, spoofing, ...)\n"
	  "  --limit N             the N senders with the most messages\n"
	  "  --addresses           each sender's addresses in text too\n"
	  NO_DNS_HELP
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl sources --class unknown\n"
	  "  dmarcctl sources --domain example.com --limit 20 --addresses\n" },
	{ "advise", "[WINDOW] [--domain D] [--all] [--no-dns] "
	  "[--format text|json]",
	  "ready for quarantine / reject? what to fix first",
	  "The policy verdict per domain (insufficient-data, stay, quarantine,\n"
	  "reject, done), the record to publish next, the evidence, and the\n"
	  "senders that block the next step with their fix (default window:\n"
	  "30 days).  Text shows the top blockers; JSON all of them.\n",
	  WINDOW_HELP DOMAIN_HELP
	  "  --all                 every blocker in text, not only the top ones\n"
	  NO_DNS_HELP
	  "  --format F            text (default) or json\n"
	  HELP_HELP,
	  "  dmarcctl advise\n"
	  "  dmarcctl advise --domain example.com --all\n" },
	{ "tls", "[WINDOW] [--domain D] [--no-dns] [--probe] "
	  "[--format text|json|csv]",
	  "TLS-RPT per domain and MX; ready for MTA-STS enforce?",
	  "Per policy domain: TLS sessions and failures, by result and by MX,\n"
	  "and the MTA-STS verdict (default window: 14 days).\n",
	  WINDOW_HELP DOMAIN_HELP NO_DNS_HELP
	  "  --probe               connect to each MX to check its certificate\n"
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl tls\n"
	  "  dmarcctl tls --domain example.com --probe\n" },
	{ "check", "[--domain D] [--max-silence DAYS] [--format text|json]",
	  "for monitoring: exit 1 when reports stop or mail starts failing",
	  "One line per problem and exit 1: no report ever stored, a domain\n"
	  "whose reports stopped, a source that used to pass and now fails, a\n"
	  "jump in failures; all well: one line starting with ok: and exit 0.\n",
	  "  --domain D            only D (a domain that never reported is a\n"
	  "                        problem)\n"
	  "  --max-silence DAYS    reports may pause this long (default 2)\n"
	  "  --format F            text (default) or json\n"
	  HELP_HELP,
	  "  dmarcctl check\n"
	  "  dmarcctl check --domain example.com --format json\n" },
	{ "failures", "[WINDOW] [--domain D] [--no-dns] [--format text|json|csv]",
	  "failure report samples per sender: what failed, and how",
	  "The stored failure (ruf) reports per sender: source address, failure\n"
	  "types, DKIM and SPF details (default window: 14 days).\n",
	  WINDOW_HELP DOMAIN_HELP NO_DNS_HELP
	  "  --format F            text (default), json or csv\n"
	  HELP_HELP,
	  "  dmarcctl failures --days 7\n" },
	{ "dns", "[--domain D] [--probe] [--format text|json]",
	  "what each domain really publishes, checked: DMARC, SPF, DKIM, "
	  "MTA-STS, TLS-RPT, MX",
	  "Looks up what each policy domain publishes now and checks it; exit\n"
	  "1 when a finding is an error, 69 when DNS cannot be reached.\n",
	  DOMAIN_HELP
	  "  --probe               fetch the MTA-STS policy and check each MX\n"
	  "  --format F            text (default) or json\n"
	  HELP_HELP,
	  "  dmarcctl dns --domain example.com\n" },
	{ "help", "[COMMAND]",
	  "show this help, or a command's",
	  "Lists the commands, or prints the help of COMMAND.\n",
	  "",
	  "  dmarcctl help advise\n" },
	{ "version", "",
	  "print the version",
	  "Prints dmarcctl and its version (as --version does).\n",
	  "",
	  "  dmarcctl version\n" },
};

#define LIST_WIDTH 38	/* the column of the one-line help in the list */

const struct help_page *
help_find(const char *name)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(pages[i].name, name) == 0)
			return &pages[i];
	return NULL;
}

static void
synopsis(FILE *f, const struct help_page *p)
{
	fprintf(f, "usage: dmarcctl %s%s%s\n", p->name, *p->synopsis ? " " :
	    "", p->synopsis);
}

int
help_usage(FILE *f, const char *name)
{
	const struct help_page *p = help_find(name);

	if (f == stdout)
		return help_show(f, name);
	if (p != NULL) {
		synopsis(f, p);
		fprintf(f, "Try 'dmarcctl help %s'.\n", name);
	}
	return EXIT_USAGE;
}

int
help_show(FILE *f, const char *name)
{
	const struct help_page *p = help_find(name);

	if (p == NULL)
		return EXIT_USAGE;
	synopsis(f, p);
	fprintf(f, "\n%s", p->text);
	if (*p->options != '\0')
		fprintf(f, "\nOptions:\n%s", p->options);
	fprintf(f, "\nExamples:\n%s\nSee dmarcctl(1).\n", p->examples);
	return EXIT_OK;
}

void
help_overview(FILE *f)
{
	fprintf(f, "usage: dmarcctl [--db CONNINFO] [-c FILE] [-q|-v] "
	    "COMMAND [OPTIONS] [ARGS]\n       dmarcctl --version\n\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		const struct help_page *p = &pages[i];
		char line[200];

		snprintf(line, sizeof(line), "%s%s%s", p->name,
		    *p->synopsis ? " " : "", p->synopsis);
		/* a synopsis too long for its column: its help below */
		if (strlen(line) > LIST_WIDTH)
			fprintf(f, "  %s\n  %-*s %s\n", line, LIST_WIDTH, "",
			    p->summary);
		else
			fprintf(f, "  %-*s %s\n", LIST_WIDTH, line,
			    p->summary);
	}
	fprintf(f, "\nWINDOW: --days N, or --since DATE --until DATE (UTC).\n"
	    "dmarcctl help COMMAND: a command's options and examples.\n"
	    "See dmarcctl(1).\n");
}
