#!/usr/bin/env bash
# make demo: dmarcctl's main job on a private database.  A reports mailbox
# for the fictional domain acme-widgets.example (the last 14 days, as
# Google, Yahoo, Microsoft and GMX would send it) is generated and
# delivered to a private IMAP server (Dovecot on loopback, for the length
# of the demo), fetched as cron would, and shown.  Run it twice: the second
# run stores nothing new.
set -eu
cd "$(dirname "$0")/.."
bin=./build/dmarcctl
maildir=.demo/maildir

imap=$(mktemp -d /tmp/dmarcctl-demo-imap.XXXXXX)
trap 'scripts/imap-rig.sh destroy "$imap" >/dev/null 2>&1 || true' EXIT
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
count() {
	find "$@" -type f 2>/dev/null | wc -l
}

echo "== the demo database: .demo/pg (make demo-stop stops it)"
DMARCCTL_DB=$(scripts/demo-db.sh start)
export DMARCCTL_DB
"$bin" db migrate
echo

echo "== a reports mailbox for acme-widgets.example, the last 14 days"
rm -rf "$maildir"
./build/demo-gen -d 14 -o "$maildir"
echo

echo "== delivered to dmarc-reports@acme-widgets.example on a private Dovecot"
port=$(free_port)
tlsport=$(free_port)
scripts/imap-rig.sh start "$imap" "$port" "$tlsport" >/dev/null
user=dmarc-reports@acme-widgets.example
box=$(scripts/imap-rig.sh maildir "$imap" "$user")
mkdir -p "$box/cur" "$box/tmp"
cp -r "$maildir/new" "$box/"
[ "$(id -u)" != 0 ] || chown -R nobody: "$imap/mail"
printf '[imap]\nhost = localhost\nport = %s\ntls = implicit\nuser = %s\nca_file = %s\n' \
    "$tlsport" "$user" "$imap/cert.pem" >.demo/dmarcctl.conf
echo "$(count "$box/new") messages in INBOX; config: .demo/dmarcctl.conf"
echo

echo "== dmarcctl fetch (what cron runs)"
DMARCCTL_IMAP_PASSWORD=secret "$bin" -c .demo/dmarcctl.conf fetch 2>&1 |
    sed 's|imaps://[^ ]*;UID=|message |'
echo "(a failure report and a message that holds no report are refused and"
echo " moved to Archive/Invalid; the database keeps them with their"
echo " originals: dmarcctl errors)"
echo "INBOX: $(count "$box/new" "$box/cur") messages left," \
    "Archive/DMARC: $(count "$box/.Archive.DMARC/new" "$box/.Archive.DMARC/cur")," \
    "Archive/Invalid: $(count "$box/.Archive.Invalid/new" "$box/.Archive.Invalid/cur")"
echo

echo "== dmarcctl reports --days 3"
"$bin" reports --days 3
echo

echo "== dmarcctl errors"
"$bin" errors --format csv | cut -d, -f3- | sed 's|imaps://[^,]*;UID=|message |' 
echo
echo "The database stays in .demo/pg: try DMARCCTL_DB='$DMARCCTL_DB' $bin reports"
