#!/usr/bin/env bash
# Benchmark `dmarcctl fetch`: N report emails (default 1000, gzip'd DMARC
# reports of 20 records each, as Yahoo sends them) delivered into a
# throwaway Dovecot on loopback, fetched over implicit TLS with the
# certificate verified, stored in a throwaway PostgreSQL and moved to the
# archive folder.  Prints the wall time, messages per second and peak RSS,
# then checks that every message was stored and moved.
#
#	bench/fetch.sh BUILD_DIR [N]	(normally through `make bench`)
#
# Expects BUILD_DIR/dmarcctl and BUILD_DIR/bench/measure (bench/run.sh
# builds it).  Exits 1 when the run fails or the counts are wrong.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: bench/fetch.sh BUILD_DIR [N]" >&2; exit 64; }
B=$1
N=${2:-1000}
cd "$(dirname "$0")/.."
DMARCCTL=$B/dmarcctl
MEASURE=$B/bench/measure

say() { printf 'bench: %s\n' "$*" >&2; }

work=$(mktemp -d /tmp/dmarcctl-bench-fetch.XXXXXX)
chmod 755 "$work"
cleanup() {
	scripts/imap-rig.sh destroy "$work/imap" >/dev/null 2>&1 || true
	scripts/pg-rig.sh destroy "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
[ -n "${BENCH_KEEP:-}" ] || trap cleanup EXIT

conninfo=$(scripts/pg-rig.sh start "$work/pg" "$(scripts/free-port.sh)")
p1=$(scripts/free-port.sh)
p2=$(scripts/free-port.sh)
scripts/imap-rig.sh start "$work/imap" "$p1" "$p2" >/dev/null
user=bench@example.test
md=$(scripts/imap-rig.sh maildir "$work/imap" "$user")
mkdir -p "$md/cur" "$md/new" "$md/tmp"

say "fetch: writing $N report emails"
begin0=1767225600
for i in $(seq 1 "$N"); do
	begin=$((begin0 + 86400 * (i % 30)))
	{
		printf '<?xml version="1.0"?>\n<feedback><report_metadata>'
		printf '<org_name>yahoo.com</org_name><email>dmarc@yahoo.com</email>'
		printf '<report_id>bench-%d</report_id><date_range><begin>%d</begin>' "$i" "$begin"
		printf '<end>%d</end></date_range></report_metadata>' $((begin + 86399))
		printf '<policy_published><domain>example.org</domain><p>none</p>'
		printf '</policy_published>'
		for r in $(seq 1 20); do
			printf '<record><row><source_ip>198.51.100.%d</source_ip>' "$r"
			printf '<count>%d</count><policy_evaluated><disposition>none' $((i % 9 + 1))
			printf '</disposition><dkim>pass</dkim><spf>fail</spf>'
			printf '</policy_evaluated></row><identifiers><header_from>'
			printf 'example.org</header_from></identifiers><auth_results>'
			printf '<dkim><domain>example.org</domain><selector>s1</selector>'
			printf '<result>pass</result></dkim><spf><domain>bounce.example.net'
			printf '</domain><result>pass</result></spf></auth_results></record>'
		done
		printf '</feedback>\n'
	} | gzip -c >"$work/r.gz"
	{
		printf 'From: noreply@yahoo.com\r\nTo: %s\r\n' "$user"
		printf 'Subject: Report Domain: example.org Submitter: yahoo.com Report-ID: bench-%d\r\n' "$i"
		printf 'Message-ID: <bench-%d@yahoo.com>\r\nMIME-Version: 1.0\r\n' "$i"
		printf 'Content-Type: application/gzip; name="yahoo.com!example.org!%d!%d.xml.gz"\r\n' \
		    "$begin" $((begin + 86399))
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 "$work/r.gz" | sed 's/$/\r/'
	} >"$md/tmp/m$i"
	mv "$md/tmp/m$i" "$md/new/$i.bench"
done
[ "$(id -u)" != 0 ] || chown -R nobody: "$work/imap/mail"

cat >"$work/dmarcctl.conf" <<EOF
database = $conninfo
[imap]
host = localhost
port = $p2
user = $user
ca_file = $work/imap/cert.pem
EOF
"$DMARCCTL" -c "$work/dmarcctl.conf" db migrate
export DMARCCTL_IMAP_PASSWORD=secret
# IMAP and parsing alone: a dry run reads every message, stores and moves
# nothing
res=$("$MEASURE" -o "$work/dry" "$DMARCCTL" -q -c "$work/dmarcctl.conf" \
    fetch --dry-run --json)
read -r dry_secs dry_rss <<<"$res"
res=$("$MEASURE" -o "$work/out" "$DMARCCTL" -q -c "$work/dmarcctl.conf" fetch --json)
read -r secs rss <<<"$res"
summary=$(cat "$work/out")
archived=$(find "$md/.Archive.DMARC/new" "$md/.Archive.DMARC/cur" -type f | wc -l)
left=$(find "$md/new" "$md/cur" -type f | wc -l)
printf '\n%-36s %8s %10s %10s %8s\n' "fetch (Dovecot, TLS verified)" \
    "messages" "seconds" "msg/s" "rss_MB"
awk -v n="$N" -v s="$secs" -v r="$rss" -v ds="$dry_secs" -v dr="$dry_rss" '
function row(what, secs, kb) {
	printf "%-36s %8d %10.3f %10.0f %8.1f\n", what, n, secs,
	    (secs > 0 ? n / secs : 0), kb / 1024
}
BEGIN {
	row("fetch --dry-run (IMAP + parse)", ds, dr)
	row("fetch + ingest + move", s, r)
	printf "the store and the moves: %.3f s, %.0f%% of the fetch\n",
	    s - ds, (s > 0 ? 100 * (s - ds) / s : 0)
}'
printf 'summary: %s\n' "$summary"
case "$summary" in
*"\"new\":$N,"*) ;;
*) say "fetch: expected $N new reports"; exit 1 ;;
esac
if [ "$archived" != "$N" ] || [ "$left" != 0 ]; then
	say "fetch: $archived archived, $left left in INBOX (expected $N, 0)"
	exit 1
fi
