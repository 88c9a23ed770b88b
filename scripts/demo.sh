#!/bin/sh
# make demo: what dmarcctl reads in the bundled real-world sample reports.
# (No database is needed for this part: `dmarcctl parse` only reads.)
set -eu
cd "$(dirname "$0")/.."
bin=./build/dmarcctl
samples=tests/fixtures/corpus

echo "== dmarcctl parse: every sample report (DMARC XML, TLS-RPT JSON, emails)"
echo
out=$(mktemp)
errs=$(mktemp)
trap 'rm -f "$out" "$errs"' EXIT
status=0
# the samples, without the .expect files the tests keep beside them
set --
for f in "$samples"/aggregate/* "$samples"/tlsrpt/* "$samples"/email/*; do
	case "$f" in *.expect) ;; *) set -- "$@" "$f" ;; esac
done
"$bin" parse "$@" >"$out" 2>"$errs" || status=$?

# one aligned row per report: kind, reporter, policy domain, records, messages
awk '
function field(k,   m) {
	if (match($0, "\"" k "\":(\"[^\"]*\"|[0-9]+|null)")) {
		m = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/^"|"$/, "", m)
		return m
	}
	return "-"
}
BEGIN { printf "%-7s %-24s %-22s %8s %9s\n", "KIND", "REPORTER", "DOMAIN", "RECORDS", "MESSAGES" }
{
	org = field("org_name"); if (org == "") org = "(empty)"
	printf "%-7s %-24.24s %-22.22s %8s %9s\n", field("kind"), org, field("domain"), field("records"), field("messages")
	n++; rec += field("records"); msg += field("messages")
}
END { printf "\n%d reports, %d records, %d messages\n", n, rec, msg }' "$out"

echo
echo "== inputs refused, each with its reason (exit status $status: 65 = some input was not a valid report)"
echo
sed 's|tests/fixtures/corpus/||' "$errs"
echo
echo "Try: $bin parse --records $samples/aggregate/zoho_no-version-spf-helo-no-domain.xml"
