#!/bin/sh
# Benchmark `dmarcctl ingest` on many small reports, the shape of most
# real ones: BENCH_SMALL_REPORTS (default 10000) reports of 1 to 20
# records from bench/gen-small, stored from a directory of files and from
# one mbox of report emails, new and again as duplicates, each into a
# fresh migrated database of a throwaway PostgreSQL cluster.  Beside them
# the floor: psql loading the same rows with one \copy per table and one
# transaction per report, measured in the same run.
#
#	bench/small.sh BUILD_DIR	(normally through `make bench`)
#
# Expects BUILD_DIR/dmarcctl, BUILD_DIR/bench/gen-small and
# BUILD_DIR/bench/measure (bench/run.sh builds it).  Prints a table and
# the targets with PASS/FAIL; exits 1 only when a run fails or a count is
# wrong, never because a target is missed.  Without PostgreSQL 15 or psql
# the section is skipped with a note.
#
# Environment: BENCH_SMALL_REPORTS (how many reports), BENCH_SMALL_RUNS
# (rounds, default 3; best time wins), PGBIN (as for scripts/pg-rig.sh).
set -eu

[ $# -eq 1 ] || { echo "usage: bench/small.sh BUILD_DIR" >&2; exit 64; }
B=$1
cd "$(dirname "$0")/.."

GEN=$B/bench/gen-small
MEASURE=$B/bench/measure
DMARCCTL=$B/dmarcctl
DATA=$B/bench-data/small
SEED=20260101
N=${BENCH_SMALL_REPORTS:-10000}
RUNS=${BENCH_SMALL_RUNS:-3}
PG_RIG=scripts/pg-rig.sh
# targets
MAX_NEW_MS=1.0
MAX_DUP_MS=0.2
MAX_FLOOR_RATIO=3
TABLES="raw_inputs reports records dkim_results spf_results record_reasons
domain_daily source_daily"

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$@"
	exit 1
}

for f in "$GEN" "$MEASURE" "$DMARCCTL"; do
	[ -x "$f" ] || die "$f not found (make bench builds it)"
done
if [ ! -x "${PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ] ||
    ! command -v psql >/dev/null 2>&1; then
	say "no PostgreSQL 15 (make deps installs it): small reports not" \
	    "measured"
	exit 0
fi

# ---- data: regenerated when gen-small, the seed or the count changes ----

key="seed=$SEED n=$N gen=$(cksum <"$GEN")"
if [ "$(cat "$DATA/stamp" 2>/dev/null || true)" != "$key" ]; then
	say "generating $N small reports (files, mbox, floor script)"
	rm -rf "$DATA"
	mkdir -p "$DATA/dir"
	"$GEN" -s "$SEED" -n "$N" -d "$DATA/dir" -m "$DATA/small.mbox" \
	    -f "$DATA/floor.sql" >"$DATA/sum" ||
	    die "gen-small failed"
	echo "$key" >"$DATA/stamp"
fi
# reports=N records=R messages=M ...
want_rec=$(sed -n 's/.* records=\([0-9]*\) .*/\1/p' "$DATA/sum")
# records messages dkim spf reasons: what the tables must hold
want_rows=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=")
	printf "%s%s", (i > 2 ? " " : ""), kv[2] } }' "$DATA/sum")
if [ -z "$want_rec" ] || [ -z "$want_rows" ]; then
	die "cannot read $DATA/sum"
fi

# ---- the cluster, removed however the bench ends ----

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
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PGW=$(mktemp -d /tmp/dmarcctl-bench-small.XXXXXX)
chmod 755 "$PGW"
say "starting a PostgreSQL cluster in $PGW"
CONN=$("$PG_RIG" start "$PGW/pg" $((20000 + $$ % 40000))) ||
    die "cannot start the bench cluster"
CONF=$PGW/bench.conf
: >"$CONF"

sql() {
	db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" \
	    psql -X -q -v ON_ERROR_STOP=1 -d "$CONN dbname=$db" "$@"
}

sql postgres -c "ALTER SYSTEM SET autovacuum = off" \
    -c "SELECT pg_reload_conf()" >/dev/null ||
    die "cannot configure the bench cluster"
sql postgres -c "CREATE DATABASE bench_tmpl" \
    -c "CREATE DATABASE bench_floor" ||
    die "cannot create a database"
"$DMARCCTL" -q -c "$CONF" --db "$CONN dbname=bench_tmpl" db migrate ||
    die "dmarcctl db migrate failed"
# the floor's tables: the columns of the real ones, no index, no partition
for t in $TABLES; do
	printf 'CREATE TABLE floor_%s (LIKE %s INCLUDING DEFAULTS);\n' "$t" "$t"
done >"$PGW/floor-tables.sql"
"$DMARCCTL" -q -c "$CONF" --db "$CONN dbname=bench_floor" db migrate ||
    die "dmarcctl db migrate failed"
sql bench_floor -f "$PGW/floor-tables.sql" ||
    die "cannot create the floor's tables"

# shellcheck disable=SC2317 # runs before a timed run
fresh_db() {
	sql postgres -c "DROP DATABASE IF EXISTS bench_load" \
	    -c "CREATE DATABASE bench_load TEMPLATE bench_tmpl" -c CHECKPOINT
}

# shellcheck disable=SC2317 # runs before a timed run
empty_floor() {
	list=
	for t in $TABLES; do
		list="$list${list:+, }floor_$t"
	done
	sql bench_floor -c "TRUNCATE $list" -c CHECKPOINT
}

lower() {
	awk -v a="$1" -v b="$2" \
	    'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'
}

# timed OUT CMD...: one run, stdin from $IN; sets T (s) and R (kB)
IN=/dev/null
timed() {
	out=$1
	shift
	res=$("$MEASURE" -o "$out" "$@" <"$IN") || return 1
	T=${res% *}
	R=${res#* }
}

# check_json NAME NEW DUP RECORDS: ingest --json's line in $PGW/out.json
check_json() {
	want="\"new\":$2,\"duplicate\":$3,\"failed\":0,\"records\":$4}"
	if [ "$(wc -l <"$PGW/out.json")" -ne 1 ] ||
	    ! grep -q "\"reports\":$N,$want\$" "$PGW/out.json"; then
		say "wrong output for $1: want ...\"reports\":$N,$want, got:"
		sed 's/^/    /' "$PGW/out.json" >&2
		return 1
	fi
}

# check_rows DB PREFIX: the rows of a report's tables against gen's
# counts: records (and their sum of counts), DKIM and SPF results, reasons
check_rows() {
	got=$(sql "$1" -At -F ' ' -c "SELECT (SELECT count(*) FROM
	    ${2}records), (SELECT sum(count) FROM ${2}records), (SELECT
	    count(*) FROM ${2}dkim_results), (SELECT count(*) FROM
	    ${2}spf_results), (SELECT count(*) FROM ${2}record_reasons)")
	[ "$got" = "$want_rows" ] || {
		say "$1 holds $got (records messages dkim spf reasons)," \
		    "want $want_rows"
		return 1
	}
}

# ingest_pair NAME INPUT: new into a fresh database, then again
# (duplicates); best times into NEW_<NAME> and DUP_<NAME>, the highest
# peak RSS into RSS_<NAME>
NEW_files=
DUP_files=
RSS_files=0
NEW_mbox=
DUP_mbox=
RSS_mbox=0
ingest_pair() {
	fresh_db
	timed "$PGW/out.json" "$DMARCCTL" -q -c "$CONF" \
	    --db "$CONN dbname=bench_load" ingest --json "$2" ||
	    die "dmarcctl ingest failed on $2"
	check_json "$1 (new)" "$N" 0 "$want_rec" || exit 1
	check_rows bench_load "" || exit 1
	eval "NEW_$1=\$(lower \"\${NEW_$1:-}\" \"\$T\")"
	eval "[ \"\$R\" -le \"\${RSS_$1:-0}\" ] || RSS_$1=\$R"
	timed "$PGW/out.json" "$DMARCCTL" -q -c "$CONF" \
	    --db "$CONN dbname=bench_load" ingest --json "$2" ||
	    die "dmarcctl ingest failed on $2 (duplicates)"
	check_json "$1 (duplicate)" 0 "$N" 0 || exit 1
	eval "DUP_$1=\$(lower \"\${DUP_$1:-}\" \"\$T\")"
	eval "[ \"\$R\" -le \"\${RSS_$1:-0}\" ] || RSS_$1=\$R"
}

# Round after round, floor, files and mbox each once, so that a burst of
# other load on the machine hits them alike; best times win.
cat "$DATA/floor.sql" "$DATA/small.mbox" >/dev/null
cat "$DATA"/dir/* >/dev/null
say "measuring $N small reports: \\copy floor, files, mbox" \
    "($RUNS round(s))"
FLOOR=
FLOOR_RSS=0
round=0
while [ "$round" -lt "$RUNS" ]; do
	empty_floor
	timed /dev/null psql -X -q -v ON_ERROR_STOP=1 \
	    -d "$CONN dbname=bench_floor" -f "$DATA/floor.sql" ||
	    die "psql failed on the floor script"
	check_rows bench_floor floor_ || exit 1
	FLOOR=$(lower "$FLOOR" "$T")
	if [ "$R" -gt "$FLOOR_RSS" ]; then FLOOR_RSS=$R; fi
	ingest_pair files "$DATA/dir"
	ingest_pair mbox "$DATA/small.mbox"
	round=$((round + 1))
done
sql postgres -c "DROP DATABASE IF EXISTS bench_load" ||
    die "cannot drop a database"

awk -v n="$N" -v rec="$want_rec" -v floor="$FLOOR" \
    -v floor_rss="$FLOOR_RSS" -v nf="$NEW_files" -v df="$DUP_files" \
    -v rf="$RSS_files" -v nm="$NEW_mbox" -v dm="$DUP_mbox" -v rm="$RSS_mbox" \
    -v max_new="$MAX_NEW_MS" -v max_dup="$MAX_DUP_MS" \
    -v max_ratio="$MAX_FLOOR_RATIO" -v x="×" '
function ms(s) { return s * 1000 / n }
function mb(kb) { return kb / 1024 }
function verdict(ok) { return ok ? "PASS" : "FAIL" }
function line(name, t_new, t_dup, rss) {
	printf "%-22s %8.3f %8.3f %8.3f %8.3f %10.3f %6.2f%s %7.1f\n", name,
	    t_new, ms(t_new), t_dup, ms(t_dup), ms(floor), t_new / floor, x,
	    mb(rss)
}
BEGIN {
	print ""
	printf "small reports: %d reports, %d records (1-20 each)\n", n, rec
	printf "%-22s %8s %8s %8s %8s %10s %7s %7s\n", "ingest", "new_s",
	    "new_ms", "dup_s", "dup_ms", "floor_ms", "ratio", "rss_MB"
	line("DIR (files)", nf, df, rf)
	line("FILE.mbox", nm, dm, rm)
	printf "%-22s %8.3f %8.3f %8s %8s %10s %7s %7.1f\n", "floor (psql \\copy)",
	    floor, ms(floor), "-", "-", "-", "-", mb(floor_rss)
	print ""
	print "ms: per report; floor: psql, one transaction per report, one " \
	    "\\copy per table"
	worst_new = nf > nm ? nf : nm
	worst_dup = df > dm ? df : dm
	printf "target: new report <= %.1f ms: %.3f ms  %s\n", max_new,
	    ms(worst_new), verdict(ms(worst_new) <= max_new)
	printf "target: duplicate <= %.1f ms: %.3f ms  %s\n", max_dup,
	    ms(worst_dup), verdict(ms(worst_dup) <= max_dup)
	printf "target: new reports <= %d%s the \\copy floor: %.2f%s  %s\n",
	    max_ratio, x, worst_new / floor, x,
	    verdict(worst_new / floor <= max_ratio)
}'
exit 0
