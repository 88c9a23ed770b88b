#!/usr/bin/env bash
# make demo: dmarcctl's main job on a private database.  A reports mailbox
# for the fictional domain acme-widgets.example (aggregate reports as
# Google, Yahoo, Microsoft and GMX would send them, and a few failure
# reports, three weeks of it) and a second mailbox for its TLS reports
# are generated and delivered to a private IMAP server (Dovecot on
# loopback, for the length of the demo), fetched as cron would (both
# accounts), and analyzed, with
# the sending sources named by a private DNS server (dnsmasq on loopback).
# Run it twice: the second run stores nothing new.
set -eu
cd "$(dirname "$0")/.."
bin=./build/dmarcctl
maildir=.demo/maildir
tlsdir=.demo/maildir-tls

imap=$(mktemp -d /tmp/dmarcctl-demo-imap.XXXXXX)
dns=$(mktemp -d /tmp/dmarcctl-demo-dns.XXXXXX)
cleanup() {
	scripts/imap-rig.sh destroy "$imap" >/dev/null 2>&1 || true
	scripts/dns-rig.sh stop "$dns" >/dev/null 2>&1 || true
	scripts/tls-rig.sh https stop "$dns/https" >/dev/null 2>&1 || true
	rm -rf "$dns"
}
trap cleanup EXIT
count() {
	find "$@" -type f 2>/dev/null | wc -l
}

echo "== the demo database: .demo/pg (make demo-stop stops it)"
cluster=$(scripts/demo-db.sh start)
# a fresh database each run: the story starts from an empty store
# (without the server's NOTICE that there was none to drop)
PGOPTIONS='-c client_min_messages=warning' psql -X -q "$cluster" \
    -c 'DROP DATABASE IF EXISTS dmarcctl_demo' -c 'CREATE DATABASE dmarcctl_demo'
DMARCCTL_DB=$(printf '%s' "$cluster" | sed 's/dbname=postgres/dbname=dmarcctl_demo/')
export DMARCCTL_DB
"$bin" db migrate
echo

echo "== the report mailboxes of acme-widgets.example, the last 21 days"
rm -rf "$maildir" "$tlsdir"
./build/demo-gen -d 21 -o "$maildir" -T "$tlsdir"
echo

echo "== delivered to dmarc-reports@ and tls-reports@ on a private Dovecot"
port=$(scripts/free-port.sh)
tlsport=$(scripts/free-port.sh)
scripts/imap-rig.sh start "$imap" "$port" "$tlsport" >/dev/null
user=dmarc-reports@acme-widgets.example
tlsuser=tls-reports@acme-widgets.example
box=$(scripts/imap-rig.sh maildir "$imap" "$user")
tlsbox=$(scripts/imap-rig.sh maildir "$imap" "$tlsuser")
mkdir -p "$box/cur" "$box/tmp" "$tlsbox/cur" "$tlsbox/tmp"
cp -r "$maildir/new" "$box/"
cp -r "$tlsdir/new" "$tlsbox/"
[ "$(id -u)" != 0 ] || chown -R nobody: "$imap/mail"
# two accounts: [imap.tls] inherits host, port, tls, ca_file and the
# password file (Dovecot's test passdb has one password for everybody)
(umask 077 && echo secret >.demo/imap.pass)
printf '[imap]\nhost = localhost\nport = %s\ntls = implicit\nuser = %s\npassword_file = .demo/imap.pass\nca_file = %s\n\n[imap.tls]\nuser = %s\n\n[failures]\nkeep = metadata\nretention = 180\n\n' \
    "$tlsport" "$user" "$imap/cert.pem" "$tlsuser" >.demo/dmarcctl.conf
echo "$(count "$box/new") messages for $user," \
    "$(count "$tlsbox/new") for $tlsuser; config: .demo/dmarcctl.conf"
echo

echo "== dmarcctl fetch (what cron runs: each account in turn)"
"$bin" -c .demo/dmarcctl.conf fetch 2>&1 |
    sed 's|imaps://[^ ]*;UID=|message |'
echo "(the failure reports are stored, metadata only: [failures] keep;"
echo " a message that holds no report is refused and moved to"
echo " Archive/Invalid; the database keeps it with its original:"
echo " dmarcctl errors)"
for u in "$user" "$tlsuser"; do
	b=$(scripts/imap-rig.sh maildir "$imap" "$u")
	echo "$u: INBOX: $(count "$b/new" "$b/cur") left," \
	    "Archive/DMARC: $(count "$b/.Archive.DMARC/new" "$b/.Archive.DMARC/cur")," \
	    "Archive/Invalid: $(count "$b/.Archive.Invalid/new" "$b/.Archive.Invalid/cur")"
done
echo

echo "== dmarcctl reports --days 2"
"$bin" reports --days 2
echo

echo "== dmarcctl errors"
"$bin" errors --format csv | cut -d, -f3- | sed 's|imaps://[^,]*;UID=|message |'
echo

# The demo's sources get names from a DNS server of its own: the
# addresses are documentation ranges nobody else names.
{
	echo "192.0.2.25 mx1.acme-widgets.example"
	echo "192.0.2.26 mx2.acme-widgets.example"
	echo "2001:db8:a::25 mx1-v6.acme-widgets.example"
	# the From subdomain the domain really has (mail From a subdomain
	# that does not exist falls under np)
	echo "192.0.2.27 mail.acme-widgets.example"
	for i in 20 21 22 23 36 37 38 39; do
		echo "198.51.100.$i out-$i.smtp.mailsender.example"
	done
	for i in 10 11 12 13; do
		echo "198.19.25.$i out$((i - 9)).mailgate-relay.example"
	done
	# the bulk-post.example pool (scripts/demo-gen.c)
	for i in $(seq 1 150); do
		echo "198.18.0.$i o$i.mta.bulk-post.example"
	done
	for i in $(seq 1 30); do
		printf '2001:db8:e5::%x o6-%d.mta.bulk-post.example\n' "$i" "$i"
	done
	echo "203.0.113.10 relay1.alumni.northfield-university.example"
	echo "203.0.113.11 relay2.alumni.northfield-university.example"
	echo "203.0.113.50 lists.widgetfans.example"
	# the MTA-STS policy host: the demo's HTTPS server on loopback
	echo "127.0.0.1 mta-sts.acme-widgets.example"
	"$bin" sources --no-dns --format csv | cut -d, -f2 | grep '^209\.85\.' |
	    sort -u | awk -F. '{ printf "%s mail-sor-f%d.google.com\n", $0, $4 }'
} >"$dns/hosts"
dnsport=$(scripts/free-port.sh)
DNS_RIG_OWNER=$$ scripts/dns-rig.sh start "$dns/rig" "$dnsport" "$dns/hosts" \
    scripts/demo-zone.records >/dev/null
# the MTA-STS policy, served over HTTPS with a certificate of a demo CA
scripts/tls-rig.sh certs "$dns/tls" mta-sts.acme-widgets.example >/dev/null
printf 'version: STSv1\nmode: testing\nmx: mx1.acme-widgets.example\nmx: mx2.acme-widgets.example\nmax_age: 604800\n' \
    >"$dns/mta-sts.txt"
printf 'mta-sts.acme-widgets.example %s %s policy %s\n' "$dns/tls/good.pem" \
    "$dns/tls/good.key" "$dns/mta-sts.txt" >"$dns/https.conf"
httpsport=$(scripts/free-port.sh)
TLS_RIG_OWNER=$$ scripts/tls-rig.sh https start "$dns/https" "$httpsport" \
    "$dns/https.conf" >/dev/null
printf '[analysis]\ndns_server = 127.0.0.1:%s\ntls_ca_file = %s\nmta_sts_port = %s\n' \
    "$dnsport" "$dns/tls/ca.pem" "$httpsport" >>.demo/dmarcctl.conf
q() { "$bin" -c .demo/dmarcctl.conf "$@"; }

echo "== dmarcctl tls (MTA-STS: testing -> enforce?)"
q tls
echo "== dmarcctl summary --days 14"
q summary --days 14
echo
echo "== dmarcctl sources (names from reverse DNS, cached in the database)"
q sources >"$dns/sources"
head -n 24 "$dns/sources"
n=$(($(wc -l <"$dns/sources") - 4))
[ "$n" -le 23 ] || echo "... and $((n - 23)) more sources: single spoofing IPs and the bulk-post.example pool"
tail -n 2 "$dns/sources"
echo
echo "== dmarcctl advise (p=none -> quarantine?)"
q advise
echo "== dmarcctl failures (failure reports, each source with its sender)"
q failures
echo
echo "== dmarcctl dns (what acme-widgets.example really publishes)"
q dns
echo "The database stays in .demo/pg: try DMARCCTL_DB='$DMARCCTL_DB' $bin advise"
