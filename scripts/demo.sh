#!/bin/sh
# make demo: dmarcctl's main job on a private database.  A reports mailbox
# for the fictional domain acme-widgets.example (the last 14 days, as
# Google, Yahoo, Microsoft and GMX would send it) is generated, ingested,
# and shown.  Run it twice: the second run stores nothing new.
set -eu
cd "$(dirname "$0")/.."
bin=./build/dmarcctl
maildir=.demo/maildir

echo "== the demo database: .demo/pg (make demo-stop stops it)"
DMARCCTL_DB=$(scripts/demo-db.sh start)
export DMARCCTL_DB
"$bin" db migrate
echo

echo "== a reports mailbox for acme-widgets.example, the last 14 days"
rm -rf "$maildir"
./build/demo-gen -d 14 -o "$maildir"
echo

echo "== dmarcctl ingest $maildir"
"$bin" ingest "$maildir" 2>&1 | sed "s|$maildir/new/||"
echo "(a failure report and a message that holds no report are refused;"
echo " they are kept in the database with their originals: dmarcctl errors)"
echo

echo "== dmarcctl reports --days 3"
"$bin" reports --days 3
echo

echo "== dmarcctl errors"
"$bin" errors --format csv | cut -d, -f3- | sed "s|$maildir/new/||"
echo
echo "The database stays in .demo/pg: try DMARCCTL_DB='$DMARCCTL_DB' $bin reports"
