#!/bin/sh
# Benchmark `dmarcctl parse` against the floors set by standard tools:
# xmllint --stream for plain XML, zcat for gzip'd reports.  Then
# `dmarcctl ingest` end to end into a throwaway PostgreSQL cluster, against
# xmllint --stream plus psql's \copy of the same rows.
#
#	bench/run.sh BUILD_DIR		(normally through `make bench`)
#
# Expects BUILD_DIR/dmarcctl and BUILD_DIR/bench/gen; compiles
# bench/measure.c into BUILD_DIR/bench/measure itself.  Reports are
# generated once into BUILD_DIR/bench-data and reused while gen is
# unchanged.  Prints two tables and the targets with PASS/FAIL; exits 1
# only when a run fails or dmarcctl's counts are wrong (or dmarcctl is
# missing: then only the parse floors are measured), never because a target
# is missed.  Without PostgreSQL (scripts/pg-rig.sh, psql) the ingest
# section is skipped.
#
# Environment: BENCH_RUNS (runs per command, default 3; best time wins),
# BENCH_RUNS_1M (the same for the 1M-record files, default 1),
# BENCH_INGEST (0: skip the ingest section), BENCH_INGEST_1M (0: skip the
# 1M-record ingest), PGBIN (as for scripts/pg-rig.sh), CC.
set -eu

usage() {
	echo "usage: bench/run.sh BUILD_DIR" >&2
	exit 64
}
[ $# -eq 1 ] || usage
B=$1
cd "$(dirname "$0")/.."

GEN=$B/bench/gen
MEASURE=$B/bench/measure
DMARCCTL=$B/dmarcctl
DATA=$B/bench-data
SEED=20260101
RUNS=${BENCH_RUNS:-3}
RUNS_1M=${BENCH_RUNS_1M:-1}
INGEST=${BENCH_INGEST:-1}
INGEST_1M=${BENCH_INGEST_1M:-1}
PG_RIG=scripts/pg-rig.sh
# name:records
SIZES="10k:10000 200k:200000 1m:1000000"
# targets
MAX_RATIO=1.0
MAX_RSS_MB=32
MAX_GROWTH=1.5
MAX_INGEST_RATIO=1.5

WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla"

die() {
	say "$@"
	exit 1
}

# printf, not echo: some shells' echo takes the \c of "\copy" as an escape
say() {
	printf 'bench: %s\n' "$*" >&2
}

for t in xmllint zcat awk cksum; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not found (make deps installs it)"
done
[ -x "$GEN" ] || die "$GEN not found: run make $GEN"
HAVE_DMARCCTL=1
if [ ! -x "$DMARCCTL" ]; then
	say "$DMARCCTL not found: measuring the floors only"
	HAVE_DMARCCTL=0
fi

# always rebuilt: it is one small file, and never stale
mkdir -p "$B/bench"
# shellcheck disable=SC2086 # WARN is a list of flags
"${CC:-cc}" -std=c17 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    $WARN -o "$MEASURE" bench/measure.c

# The cluster of the ingest section lives in PGW (set when it starts);
# whatever happens, it is stopped and removed with TMP.
TMP=
PGW=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$PGW" ] && [ -d "$PGW" ]; then
		if "$PG_RIG" destroy "$PGW/pg"; then
			rm -rf "$PGW"
		else
			say "could not stop the bench cluster; left in $PGW"
			[ "$rc" -ne 0 ] || rc=1
		fi
	fi
	[ -z "$TMP" ] || rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dmarcctl-bench.XXXXXX")

# Our own config, so that no installed one changes the result.  The 1M
# file is about 725 MB: more than the default max_decompressed (512 MB)
# lets out of its .gz.
CONF=$TMP/bench.conf
printf '[limits]\nmax_decompressed = 1G\n' >"$CONF"

# ---- data: regenerated when gen (or the seed) changes ----

key="seed=$SEED gen=$(cksum <"$GEN")"
mkdir -p "$DATA"
if [ "$(cat "$DATA/stamp" 2>/dev/null || true)" != "$key" ]; then
	rm -f "$DATA"/gen-* "$DATA/stamp"
fi
rm -f "$DATA"/*.tmp
for s in $SIZES; do
	name=${s%%:*}
	n=${s#*:}
	f=$DATA/gen-$name.xml
	[ -f "$f" ] && [ -f "$f.gz" ] && [ -f "$f.sum" ] && continue
	say "generating gen-$name.xml and gen-$name.xml.gz ($n records)"
	"$GEN" -s "$SEED" -n "$n" -o "$f.tmp" >"$TMP/sum"
	"$GEN" -s "$SEED" -z -n "$n" -o "$f.gz.tmp" >"$TMP/sum.gz"
	cmp -s "$TMP/sum" "$TMP/sum.gz" ||
	    die "gen: plain and gzip summaries differ"
	mv "$f.tmp" "$f"
	mv "$f.gz.tmp" "$f.gz"
	mv "$TMP/sum" "$f.sum"
done
echo "$key" >"$DATA/stamp"

# ---- measuring ----

# lower A B: the smaller of two times (A may be empty)
lower() {
	awk -v a="$1" -v b="$2" \
	    'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'
}

# best RUNS OUT CMD...: run CMD RUNS times with stdout to OUT; sets T to the
# best time (s) and R to the highest peak RSS (kB) of those runs.
best() {
	runs=$1
	out=$2
	shift 2
	best_after "$runs" "$out" true "$@"
}

# best_after RUNS OUT PREP CMD...: the same, running PREP (a command, not
# timed) before each run of CMD.
best_after() {
	runs=$1
	out=$2
	prep=$3
	shift 3
	T=
	R=0
	i=0
	while [ "$i" -lt "$runs" ]; do
		"$prep" || return 1
		res=$("$MEASURE" -o "$out" "$@") || return 1
		t=${res% *}
		r=${res#* }
		T=$(lower "$T" "$t")
		[ "$r" -gt "$R" ] && R=$r
		i=$((i + 1))
	done
}

# check FILE JSON SUMFILE: dmarcctl's one JSON line against gen's summary
check() {
	want_rec=$(sed -n 's/^records=\([0-9]*\) .*/\1/p' "$3")
	want_msg=$(sed -n 's/.* messages=\([0-9]*\)$/\1/p' "$3")
	lines=$(wc -l <"$2")
	got_rec=$(sed -n 's/.*"records":\([0-9]*\).*/\1/p' "$2")
	got_msg=$(sed -n 's/.*"messages":\([0-9]*\).*/\1/p' "$2")
	if [ "$lines" -ne 1 ] || [ "$got_rec" != "$want_rec" ] ||
	    [ "$got_msg" != "$want_msg" ]; then
		say "wrong output for $1: want records=$want_rec" \
		    "messages=$want_msg, got:"
		sed 's/^/    /' "$2" >&2
		return 1
	fi
}

# row FILE FLOOR_NAME FLOOR_CMD...: one table row into $TMP/rows
row() {
	f=$1
	floor=$2
	shift 2
	base=${f##*/}
	sum=${f%.gz}.sum
	records=$(sed -n 's/^records=\([0-9]*\) .*/\1/p' "$sum")
	runs=$RUNS
	[ "$records" -ge 1000000 ] && runs=$RUNS_1M
	# from the page cache, like every later run
	cat "$f" >/dev/null
	say "measuring $base ($runs run(s) each)"
	best "$runs" /dev/null "$@" || die "$floor failed on $f"
	ft=$T
	fr=$R
	dt=-
	dr=-
	if [ "$HAVE_DMARCCTL" = 1 ]; then
		best "$runs" "$TMP/out.json" \
		    "$DMARCCTL" -c "$CONF" parse "$f" ||
		    die "dmarcctl parse failed on $f"
		check "$f" "$TMP/out.json" "$sum" || exit 1
		dt=$T
		dr=$R
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$base" "$records" \
	    "$dt" "$dr" "$floor" "$ft" "$fr" >>"$TMP/rows"
}

: >"$TMP/rows"
for s in $SIZES; do
	f=$DATA/gen-${s%%:*}.xml
	row "$f" "xmllint --stream" xmllint --stream --noout "$f"
	row "$f.gz" zcat zcat "$f.gz"
done

# ---- report ----

awk -F '\t' -v have="$HAVE_DMARCCTL" -v max_ratio="$MAX_RATIO" \
    -v max_rss="$MAX_RSS_MB" -v max_growth="$MAX_GROWTH" -v x="×" '
function mb(kb) { return kb / 1024 }
function verdict(ok) { return ok ? "PASS" : "FAIL" }
BEGIN {
	printf "%-18s %8s %11s  %-17s %8s %7s %16s %13s\n", "file", "records",
	    "dmarcctl_s", "floor", "floor_s", "ratio", "dmarcctl_rss_MB",
	    "floor_rss_MB"
}
{
	if (have) {
		ratio = $6 > 0 ? $3 / $6 : 0
		printf "%-18s %8d %11.3f  %-17s %8.3f %6.2f%s %16.1f %13.1f\n",
		    $1, $2, $3, $5, $6, ratio, x, mb($4), mb($7)
		if ($4 > rss_max)
			rss_max = $4
		if ($1 == "gen-200k.xml")
			r200k = ratio
		if ($1 == "gen-10k.xml")
			rss10k = $4
		if ($1 == "gen-1m.xml")
			rss1m = $4
	} else {
		printf "%-18s %8d %11s  %-17s %8.3f %7s %16s %13.1f\n",
		    $1, $2, "-", $5, $6, "-", "-", mb($7)
	}
}
END {
	if (!have)
		exit
	growth = rss10k > 0 ? rss1m / rss10k : 0
	print ""
	printf "target: parse time <= %.1f%s xmllint --stream on " \
	    "gen-200k.xml: %.2f%s  %s\n", max_ratio, x, r200k, x,
	    verdict(r200k <= max_ratio)
	printf "target: peak RSS <= %d MB on every dmarcctl run: " \
	    "max %.1f MB  %s\n", max_rss, mb(rss_max),
	    verdict(mb(rss_max) <= max_rss)
	printf "target: RSS on gen-1m.xml <= %.1f%s RSS on gen-10k.xml: " \
	    "%.2f%s (%.1f / %.1f MB)  %s\n", max_growth, x, growth, x,
	    mb(rss1m), mb(rss10k), verdict(growth <= max_growth)
}' "$TMP/rows"

[ "$HAVE_DMARCCTL" = 1 ] || exit 1

# ---- ingest: end to end into PostgreSQL ----

[ "$INGEST" != 0 ] || exit 0
if [ ! -x "${PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ] ||
    ! command -v psql >/dev/null 2>&1; then
	say "no PostgreSQL 15 (make deps installs it): ingest not measured"
	exit 0
fi

# A cluster of our own, in a short directory the server (run as postgres
# when we are root) can reach.  It listens on a unix socket in PGW only,
# so the port just names the socket: any one is free.
PGW=$(mktemp -d /tmp/dmarcctl-bench.XXXXXX)
chmod 755 "$PGW"
say "starting a PostgreSQL cluster in $PGW"
CONN=$("$PG_RIG" start "$PGW/pg" $((20000 + $$ % 40000))) ||
    die "cannot start the bench cluster"

# psql on database DB of the cluster
sql() {
	db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" \
	    psql -X -q -v ON_ERROR_STOP=1 -d "$CONN dbname=$db" "$@"
}

# Loads are timed alone: no autovacuum starting in the middle of one.
sql postgres -c "ALTER SYSTEM SET autovacuum = off" \
    -c "SELECT pg_reload_conf()" >/dev/null ||
    die "cannot configure the bench cluster"
# a migrated database that every load starts from
sql postgres -c "CREATE DATABASE bench_tmpl" ||
    die "cannot create a database"
"$DMARCCTL" -q -c "$CONF" --db "$CONN dbname=bench_tmpl" db migrate ||
    die "dmarcctl db migrate failed"

# fresh_db: database bench_load, just migrated, and a checkpoint so that
# no earlier run's writes are left to the timed one
# shellcheck disable=SC2317 # runs from best_after
fresh_db() {
	sql postgres -c "DROP DATABASE IF EXISTS bench_load" \
	    -c "CREATE DATABASE bench_load TEMPLATE bench_tmpl" -c CHECKPOINT
}

# empty_copy: the \copy floor's table, empty, and a checkpoint
# shellcheck disable=SC2317 # runs from best_after
empty_copy() {
	sql bench_floor -c "TRUNCATE bench_copy" -c CHECKPOINT
}

# check_ingest NAME JSON SUMFILE NEW DUP: dmarcctl ingest --json's line;
# for a new report, also the rows in bench_load against gen's summary
check_ingest() {
	ci_rec=$(sed -n 's/^records=\([0-9]*\) .*/\1/p' "$3")
	ci_msg=$(sed -n 's/.* messages=\([0-9]*\)$/\1/p' "$3")
	[ "$4" = 1 ] || ci_rec=0
	ci_want="\"inputs\":1,\"reports\":1,\"new\":$4,\"duplicate\":$5,"
	ci_want="$ci_want\"failed\":0,\"records\":$ci_rec}"
	if [ "$(wc -l <"$2")" -ne 1 ] || ! grep -q "$ci_want\$" "$2"; then
		say "wrong output for ingest of $1: want ...$ci_want, got:"
		sed 's/^/    /' "$2" >&2
		return 1
	fi
	[ "$4" = 1 ] || return 0
	ci_got=$(sql bench_load -At -c \
	    "SELECT count(*), sum(count) FROM records")
	if [ "$ci_got" != "$ci_rec|$ci_msg" ]; then
		say "wrong rows after ingest of $1: want records count" \
		    "$ci_rec, sum(count) $ci_msg; got $ci_got (count|sum)"
		return 1
	fi
}

# ingest_new FILE: dmarcctl ingest --json of FILE into a fresh database
# (bench_load), once, its summary in $TMP/ingest.json; sets T and R
ingest_new() {
	best_after 1 "$TMP/ingest.json" fresh_db "$DMARCCTL" -q -c "$CONF" \
	    --db "$CONN dbname=bench_load" ingest --json "$1" ||
	    die "dmarcctl ingest failed on $1"
}

# The \copy floor: the same 200k records as CSV rows of the records table
# (bench/records-csv.awk), made once before the timing, loaded into an
# unpartitioned table with records' columns and no index.
f=$DATA/gen-200k.xml
CSV=$PGW/gen-200k.csv
say "writing gen-200k.csv for the \\copy floor"
"$DMARCCTL" -c "$CONF" parse --records "$f" |
    awk -f bench/records-csv.awk >"$CSV" ||
    die "cannot write $CSV"
# records|messages, as gen counted them
csv_want=$(sed 's/^records=\([0-9]*\) messages=\([0-9]*\)$/\1|\2/' \
    "$f.sum")
csv_got=$(awk -F , '{ n++; m += $7 } END { printf "%d|%d\n", n, m }' \
    "$CSV")
[ "$csv_got" = "$csv_want" ] ||
    die "$CSV holds records|messages $csv_got, want $csv_want"
sql postgres -c "CREATE DATABASE bench_floor TEMPLATE bench_tmpl" ||
    die "cannot create a database"
sql bench_floor -c \
    "CREATE TABLE bench_copy (LIKE records INCLUDING DEFAULTS)" ||
    die "cannot create the \\copy floor's table"

# Round after round, xmllint, \copy and ingest each once, so that a burst
# of other load on the machine hits all three alike; best times win.
cat "$f" "$CSV" "$f.gz" >/dev/null
say "measuring xmllint --stream, \\copy and ingest on gen-200k" \
    "($RUNS round(s))"
xml_t=
copy_t=
new_t=
new_r=0
round=0
while [ "$round" -lt "$RUNS" ]; do
	best 1 /dev/null xmllint --stream --noout "$f" ||
	    die "xmllint failed on $f"
	xml_t=$(lower "$xml_t" "$T")
	best_after 1 /dev/null empty_copy psql -X -q -v ON_ERROR_STOP=1 \
	    -d "$CONN dbname=bench_floor" \
	    -c "\\copy bench_copy FROM '$CSV' WITH (FORMAT csv)" ||
	    die "\\copy failed on $CSV"
	copy_t=$(lower "$copy_t" "$T")
	csv_got=$(sql bench_floor -At -c \
	    "SELECT count(*), sum(count) FROM bench_copy")
	[ "$csv_got" = "$csv_want" ] ||
	    die "bench_copy holds $csv_got (count|sum) after \\copy," \
	    "want $csv_want"
	ingest_new "$f.gz"
	check_ingest "gen-200k.xml.gz" "$TMP/ingest.json" "$f.sum" 1 0 ||
	    exit 1
	new_t=$(lower "$new_t" "$T")
	[ "$R" -gt "$new_r" ] && new_r=$R
	round=$((round + 1))
done
sql postgres -c "DROP DATABASE bench_floor" || die "cannot drop a database"
: >"$TMP/ingest"
printf 'gen-200k.xml.gz (new)\t200000\t%s\t%s\n' "$new_t" "$new_r" \
    >>"$TMP/ingest"

# the same file again, into the last run's database: found in the
# archive, nothing loaded
say "measuring the ingest of gen-200k.xml.gz again ($RUNS run(s))"
best_after "$RUNS" "$TMP/ingest.json" true "$DMARCCTL" -q -c "$CONF" \
    --db "$CONN dbname=bench_load" ingest --json "$f.gz" ||
    die "dmarcctl ingest failed on $f.gz (duplicate)"
check_ingest "gen-200k.xml.gz" "$TMP/ingest.json" "$f.sum" 0 1 || exit 1
printf 'gen-200k.xml.gz (duplicate)\t-\t%s\t%s\n' "$T" "$R" >>"$TMP/ingest"

if [ "$INGEST_1M" != 0 ]; then
	f=$DATA/gen-1m.xml
	cat "$f.gz" >/dev/null
	say "measuring the ingest of gen-1m.xml.gz ($RUNS_1M run(s))"
	t1m=
	r1m=0
	round=0
	while [ "$round" -lt "$RUNS_1M" ]; do
		ingest_new "$f.gz"
		check_ingest "gen-1m.xml.gz" "$TMP/ingest.json" "$f.sum" 1 0 ||
		    exit 1
		t1m=$(lower "$t1m" "$T")
		[ "$R" -gt "$r1m" ] && r1m=$R
		round=$((round + 1))
	done
	printf 'gen-1m.xml.gz (new)\t1000000\t%s\t%s\n' "$t1m" "$r1m" \
	    >>"$TMP/ingest"
fi
sql postgres -c "DROP DATABASE IF EXISTS bench_load" ||
    die "cannot drop a database"

awk -F '\t' -v xml="$xml_t" -v copy="$copy_t" \
    -v max_ratio="$MAX_INGEST_RATIO" -v max_rss="$MAX_RSS_MB" -v x="×" '
function mb(kb) { return kb / 1024 }
function verdict(ok) { return ok ? "PASS" : "FAIL" }
BEGIN {
	floor = xml + copy
	print ""
	printf "%-28s %8s %11s  %-27s %7s %7s\n", "ingest", "records",
	    "dmarcctl_s", "floor_s (xmllint + \\copy)", "ratio", "rss_MB"
}
{
	if ($1 == "gen-200k.xml.gz (new)") {
		ratio = floor > 0 ? $3 / floor : 0
		fl = sprintf("%.3f (%.3f + %.3f)", floor, xml, copy)
		printf "%-28s %8s %11.3f  %-27s %6.2f%s %7.1f\n", $1, $2, $3,
		    fl, ratio, x, mb($4)
	} else {
		printf "%-28s %8s %11.3f  %-27s %7s %7.1f\n", $1, $2, $3, "-",
		    "-", mb($4)
	}
	if ($4 > rss_max)
		rss_max = $4
}
END {
	print ""
	printf "target: ingest <= %.1f%s (xmllint --stream + \\copy) on " \
	    "gen-200k: %.2f%s  %s\n", max_ratio, x, ratio, x,
	    verdict(ratio > 0 && ratio <= max_ratio)
	printf "target: peak RSS <= %d MB on every dmarcctl ingest: " \
	    "max %.1f MB  %s\n", max_rss, mb(rss_max),
	    verdict(mb(rss_max) <= max_rss)
}' "$TMP/ingest"
exit 0
