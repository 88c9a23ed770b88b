#!/bin/sh
# Benchmark the analyzer over a database of 10 million DMARC records:
# `dmarcctl summary --days 14` and `dmarcctl advise` against their target
# of 200 ms each, `dmarcctl sources --days 14` for information.
#
#	bench/analyze.sh BUILD_DIR	(normally through `make bench`)
#
# Reports for one policy domain (bench.example, p=none) from 10 reporters,
# one per reporter and UTC day over the 30 days ending yesterday, their sources
# drawn from a pool of 10,000 addresses (bench/gen -i), are generated into
# BUILD_DIR/bench-data/analyze: a day's files are kept while gen, the seed
# and the plan are unchanged, and each day brings the files of the new
# day.  A throwaway PostgreSQL cluster (scripts/pg-rig.sh) gets them all
# through parallel `dmarcctl ingest` processes on disjoint days, then
# VACUUM ANALYZE; each query command then runs with --no-dns (reverse DNS
# left out of the timing) and --format json, best of 5, and its answer is
# checked against the messages gen wrote for the days in its window.
#
# Exits 1 when a run fails or an answer is wrong, never because a target
# is missed.  Without PostgreSQL 15 or psql it is skipped with a note.
#
# Environment: BENCH_ANALYZE_RUNS (runs per query, default 5),
# BENCH_LOADERS (parallel ingest processes, default 2),
# BENCH_ANALYZE_RECORDS (records in all, default 10000000: a smaller
# number makes a quick trial, not the benchmark), BENCH_KEEP (1: leave the
# cluster running and print how to reach it), BENCH_RIG (pg: one
# PostgreSQL, the default; citus: a Citus coordinator with two workers,
# scripts/citus-rig.sh, with Citus built and installed), PGBIN, CC.
set -eu

usage() {
	echo "usage: bench/analyze.sh BUILD_DIR" >&2
	exit 64
}
[ $# -eq 1 ] || usage
cd "$(dirname "$0")/.."
case "$1" in
/*) B=$1 ;;
*) B=$PWD/$1 ;;
esac

GEN=$B/bench/gen
MEASURE=$B/bench/measure
DMARCCTL=$B/dmarcctl
DATA=$B/bench-data/analyze
RIG=${BENCH_RIG:-pg}
case "$RIG" in
pg) PG_RIG=scripts/pg-rig.sh; RIG_NAME="one PostgreSQL" ;;
citus) PG_RIG=scripts/citus-rig.sh
    RIG_NAME="Citus: coordinator + 2 workers" ;;
*) echo "bench: BENCH_RIG is pg or citus" >&2; exit 64 ;;
esac
SEED=20260201
DOMAIN=bench.example
POOL=10000
DAYS=30
RECORDS=${BENCH_ANALYZE_RECORDS:-10000000}
RUNS=${BENCH_ANALYZE_RUNS:-5}
LOADERS=${BENCH_LOADERS:-2}
KEEP=${BENCH_KEEP:-0}
# reporter:per-mille of each day's records (the large receivers report most)
REPORTERS="google.com:280 outlook.com:180 yahoo.com:120 comcast.net:70
mail.ru:60 gmx.net:60 web.de:60 orange.fr:60 protonmail.ch:60 zoho.com:50"
# target
MAX_MS=200

WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla"

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$@"
	exit 1
}

for t in awk cksum psql; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not found (make deps installs it)"
done
[ -x "$GEN" ] || die "$GEN not found: run make $GEN"
[ -x "$DMARCCTL" ] || die "$DMARCCTL not found: run make"
if [ ! -x "${PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
	say "no PostgreSQL 15 (make deps installs it): analyzer not measured"
	exit 0
fi
case "$RECORDS$RUNS$LOADERS" in
*[!0-9]*) die "BENCH_ANALYZE_RECORDS, BENCH_ANALYZE_RUNS and" \
    "BENCH_LOADERS take numbers" ;;
esac
if [ "$RECORDS" -lt "$DAYS" ] || [ "$RUNS" -lt 1 ] || [ "$LOADERS" -lt 1 ]
then
	die "BENCH_ANALYZE_RECORDS must be at least $DAYS, BENCH_ANALYZE_RUNS" \
	    "and BENCH_LOADERS at least 1"
fi

# always rebuilt, as by bench/run.sh: one small file
mkdir -p "$B/bench"
# shellcheck disable=SC2086 # WARN is a list of flags
"${CC:-cc}" -std=c17 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
    $WARN -o "$MEASURE" bench/measure.c

PGW=
TMP=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$PGW" ] && [ -d "$PGW" ] && [ "$KEEP" != 1 ]; then
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
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dmarcctl-bench-analyze.XXXXXX")

# our own (empty) config: no installed one changes the result
CONF=$TMP/bench.conf
printf '# bench/analyze.sh: every setting at its default\n' >"$CONF"

# ---- data ----

# The plan, one line per report: begin (UTC midnight) reporter records
# seed file, for the DAYS days before today (a day's reports arrive the
# day after; the windows are whole days up to today's midnight).  A day's records are RECORDS / DAYS, the remainder spread
# over days by their number so that any DAYS consecutive days hold
# RECORDS in all; each reporter gets its share, the last one the rest.
# A file depends only on its day, its reporter and the settings above.
today=$(( $(date +%s) / 86400 * 86400 ))
echo "$REPORTERS" | tr ' ' '\n' | awk -F : -v today="$today" \
    -v days="$DAYS" -v total="$RECORDS" -v seed="$SEED" '
BEGIN { n = 0 }
NF == 2 { name[n] = $1; share[n] = $2; n++ }
END {
	for (d = days - 1; d >= 0; d--) {
		begin = today - (d + 1) * 86400
		day = begin / 86400
		left = int(total / days) + (day % days < total % days ? 1 : 0)
		for (r = 0; r < n; r++) {
			k = r < n - 1 ? int(left * share[r] / 1000) : left
			if (r < n - 1)
				rest += k
			printf "%d %s %d %d %d-%s.xml.gz\n", begin, name[r],
			    r < n - 1 ? k : left - rest, seed + day * 16 + r,
			    day, name[r]
		}
		rest = 0
	}
}' >"$TMP/plan"

key="seed=$SEED domain=$DOMAIN pool=$POOL days=$DAYS records=$RECORDS"
key="$key reporters=$(echo "$REPORTERS" | tr '\n' ' ') gen=$(cksum <"$GEN")"
mkdir -p "$DATA"
if [ "$(cat "$DATA/stamp" 2>/dev/null || true)" != "$key" ]; then
	rm -f "$DATA"/*.xml.gz "$DATA"/*.sum "$DATA/stamp"
fi
rm -f "$DATA"/*.tmp
# days that left the window go
for f in "$DATA"/*.xml.gz "$DATA"/*.sum; do
	[ -e "$f" ] || continue
	base=${f##*/}
	base=${base%.sum}
	base=${base%.xml.gz}
	grep -q " $base\.xml\.gz\$" "$TMP/plan" || rm -f "$f"
done

# gen_lane LANE: the missing files of every LOADERS-th plan line
gen_lane() {
	awk -v lane="$1" -v lanes="$LOADERS" 'NR % lanes == lane' \
	    "$TMP/plan" | while read -r begin rep n seed file; do
		f=$DATA/$file
		[ -f "$f" ] && [ -f "${f%.xml.gz}.sum" ] && continue
		"$GEN" -z -s "$seed" -d "$DOMAIN" -r "$rep" -b "$begin" \
		    -i "$POOL" -n "$n" -o "$f.tmp" >"${f%.xml.gz}.sum.tmp" ||
		    exit 1
		mv "$f.tmp" "$f"
		mv "${f%.xml.gz}.sum.tmp" "${f%.xml.gz}.sum"
	done
}

missing=$(while read -r _ _ _ _ file; do
	[ -f "$DATA/$file" ] && [ -f "$DATA/${file%.xml.gz}.sum" ] ||
	    echo "$file"
done <"$TMP/plan" | wc -l)
if [ "$missing" -gt 0 ]; then
	say "generating $missing report(s) into $DATA"
	t0=$(date +%s)
	pids=
	lane=0
	while [ "$lane" -lt "$LOADERS" ]; do
		gen_lane "$lane" &
		pids="$pids $!"
		lane=$((lane + 1))
	done
	for p in $pids; do
		wait "$p" || die "gen failed"
	done
	say "generated in $(($(date +%s) - t0)) s"
fi
echo "$key" >"$DATA/stamp"

# the manifest: begin records messages, one line per report
while read -r begin _ n _ file; do
	sum=$DATA/${file%.xml.gz}.sum
	got=$(cat "$sum")
	[ "$got" = "records=$n ${got#* }" ] ||
	    die "$sum says $got, the plan $n records"
	echo "$begin $n ${got#* messages=}"
done <"$TMP/plan" >"$TMP/manifest"
total_msg=$(awk '{ m += $3 } END { printf "%d\n", m }' "$TMP/manifest")
n_reports=$(wc -l <"$TMP/plan")

# ---- the cluster ----

PGW=$(mktemp -d /tmp/dmarcctl-bench-analyze.XXXXXX)
chmod 755 "$PGW"
say "starting a cluster ($RIG_NAME) in $PGW"
if [ "$RIG" = citus ]; then
	CONN=$("$PG_RIG" start "$PGW/pg") || die "cannot start the bench cluster"
else
	CONN=$("$PG_RIG" start "$PGW/pg" "$(scripts/free-port.sh)") ||
	    die "cannot start the bench cluster"
fi
DB="$CONN dbname=bench"

sql() {
	PGOPTIONS="-c client_min_messages=warning" \
	    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

psql -X -q -v ON_ERROR_STOP=1 -d "$CONN" -c "CREATE DATABASE bench" ||
    die "cannot create a database"
"$DMARCCTL" -q -c "$CONF" --db "$DB" db migrate ||
    die "dmarcctl db migrate failed"

# ---- ingest: LOADERS processes, each on its own days ----

# lanes by day, so that no two loaders merge into the same rollup rows
lane=0
while [ "$lane" -lt "$LOADERS" ]; do
	awk -v lane="$lane" -v lanes="$LOADERS" \
	    '($1 / 86400) % lanes == lane { print $5 }' "$TMP/plan" \
	    >"$TMP/lane$lane"
	lane=$((lane + 1))
done
cat "$DATA"/*.xml.gz >/dev/null
say "ingesting $n_reports reports, $RECORDS records, with $LOADERS" \
    "loader(s)"
pids=
lane=0
while [ "$lane" -lt "$LOADERS" ]; do
	if [ -s "$TMP/lane$lane" ]; then
		# file names are ours: no blanks, no globs
		# shellcheck disable=SC2046
		(cd "$DATA" && exec "$MEASURE" -o "$TMP/lane$lane.json" \
		    "$DMARCCTL" -q -c "$CONF" --db "$DB" ingest --json \
		    $(cat "$TMP/lane$lane")) >"$TMP/lane$lane.res" &
		pids="$pids $!"
	fi
	lane=$((lane + 1))
done
for p in $pids; do
	wait "$p" || die "dmarcctl ingest failed"
done
# the loaders start together: the slowest one's time is the load's
load=$(cat "$TMP"/lane*.res | awk '
$1 > t { t = $1 } $2 > r { r = $2 } END { printf "%s %d\n", t, r }')
got=$(cat "$TMP"/lane*.json | awk '
{
	for (i = 1; i <= split($0, kv, ","); i++) {
		sub(/[{}]/, "", kv[i])
		split(kv[i], p, ":")
		gsub(/"/, "", p[1])
		sum[p[1]] += p[2]
	}
}
END { printf "new=%d failed=%d records=%d\n", sum["new"], sum["failed"],
    sum["records"] }')
[ "$got" = "new=$n_reports failed=0 records=$RECORDS" ] ||
    die "ingest says $got, want new=$n_reports failed=0 records=$RECORDS"
got=$(sql -At -c "SELECT count(*), sum(count) FROM records")
[ "$got" = "$RECORDS|$total_msg" ] ||
    die "records holds $got (count|sum), want $RECORDS|$total_msg"

say "VACUUM ANALYZE"
vac=$("$MEASURE" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" \
    -c "VACUUM ANALYZE") || die "VACUUM ANALYZE failed"
# nothing in the background during the timed queries
psql -X -q -v ON_ERROR_STOP=1 -d "$CONN" \
    -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" \
    >/dev/null || die "cannot configure the bench cluster"
# sizes: a distributed table's are its shards' on the workers
if [ "$RIG" = citus ]; then
	size_sql="pg_database_size(current_database()) +
	    coalesce((SELECT sum(citus_total_relation_size(logicalrelid))
	    FROM pg_dist_partition WHERE partmethod = 'h'), 0),
	    CASE WHEN EXISTS (SELECT 1 FROM pg_dist_partition WHERE
	    logicalrelid = 'source_daily'::regclass) THEN
	    citus_total_relation_size('source_daily') ELSE
	    pg_total_relation_size('source_daily') END"
else
	size_sql="pg_database_size(current_database()),
	    pg_total_relation_size('source_daily')"
fi
stats=$(sql -At -F ' ' -c "SELECT (SELECT count(*) FROM source_daily),
    (SELECT count(DISTINCT source) FROM source_daily),
    (SELECT count(*) FROM domain_daily), $size_sql")

# ---- the queries ----

# window_sum SINCE UNTIL: reports, days, messages and records of the
# reports whose day starts in [SINCE, UNTIL), as the analyzer counts its
# window
window_sum() {
	awk -v s="$1" -v u="$2" '$1 >= s && $1 < u {
		r++; n += $2; m += $3; if (!($1 in seen)) { seen[$1]; d++ } }
	END { printf "%d %d %d %d\n", r, d, m, n }' "$TMP/manifest"
}

# field JSON KEY: the values of every "KEY":NUMBER in JSON, one a line
field() {
	tr ',{}' '[\n*]' <"$1" | sed -n "s/^\"$2\":\([0-9]*\)\$/\\1/p"
}

# answer CMD JSON: what the command said, as "reports days messages"
# (- where it does not say).  summary's first messages are its domain's,
# advise's first days and messages its evidence's.
answer() {
	case "$1" in
	summary)
		echo "$(field "$2" reports | head -1) -" \
		    "$(field "$2" messages | head -1)" ;;
	advise)
		echo "- $(field "$2" days | head -1)" \
		    "$(field "$2" messages | head -1)" ;;
	sources)
		# each sender's messages, and again its addresses': twice
		# the whole
		field "$2" messages |
		    awk '{ m += $1 } END { printf "- - %d\n", m / 2 }' ;;
	esac
}

# check CMD DAYS JSON BEFORE AFTER: the answer against gen's counts for
# the window of whole days ending at the midnight before BEFORE or AFTER
# (the clock may pass a midnight); sets want to those counts
check() {
	said=$(answer "$1" "$3")
	for now in "$4" "$5"; do
		now=$((now - now % 86400))
		want=$(window_sum $((now - $2 * 86400)) "$now")
		ok=1
		for k in 1 2 3; do
			g=$(echo "$said" | cut -d ' ' -f "$k")
			w=$(echo "$want" | cut -d ' ' -f "$k")
			[ "$g" = - ] || [ "$g" = "$w" ] || ok=0
		done
		[ -n "$said" ] && [ "$ok" = 1 ] && return 0
	done
	say "wrong answer from $1: want (reports days messages records)" \
	    "$want; got ${said:-nothing}:"
	head -c 2000 "$3" | sed 's/^/    /' >&2
	echo >&2
	return 1
}

# query NAME DAYS ARGS...: RUNS timed runs; a row into $TMP/rows
query() {
	name=$1
	days=$2
	shift 2
	say "measuring $name ($RUNS runs)"
	best=
	rss=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		before=$(date +%s)
		res=$("$MEASURE" -o "$TMP/q.json" "$DMARCCTL" -q -c "$CONF" \
		    --db "$DB" "$@" --no-dns --format json) ||
		    die "dmarcctl $* failed"
		after=$(date +%s)
		check "$1" "$days" "$TMP/q.json" "$before" "$after" || exit 1
		t=${res% *}
		r=${res#* }
		best=$(awk -v a="$best" -v b="$t" \
		    'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
		[ "$r" -gt "$rss" ] && rss=$r
		i=$((i + 1))
	done
	n=$(tr '{' '\n' <"$TMP/q.json" | grep -c '"source":' || true)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$best" "$rss" "$n" \
	    "$(echo "$want" | cut -d ' ' -f 4)" \
	    "$(echo "$want" | cut -d ' ' -f 3)" >>"$TMP/rows"
}

: >"$TMP/rows"
query "summary --days 14" 14 summary --days 14
query "advise" 30 advise
query "sources --days 14" 14 sources --days 14

# ---- report ----

awk -F '\t' -v records="$RECORDS" -v reports="$n_reports" \
    -v loaders="$LOADERS" -v load="$load" -v vac="$vac" -v stats="$stats" \
    -v max_ms="$MAX_MS" -v runs="$RUNS" -v pool="$POOL" \
    -v rig="$RIG_NAME" '
function mb(kb) { return kb / 1024 }
function verdict(ok) { return ok ? "PASS" : "FAIL" }
BEGIN {
	split(load, l, " ")
	split(vac, v, " ")
	split(stats, s, " ")
	print ""
	print "on " rig
	printf "%-30s %9s %10s %10s %7s\n", "analyzer database", "records",
	    "seconds", "records/s", "rss_MB"
	printf "%-30s %9d %10.1f %10.0f %7.1f\n", "ingest (" loaders \
	    " loaders, " reports " reports)", records, l[1],
	    (l[1] > 0 ? records / l[1] : 0), mb(l[2])
	printf "%-30s %9s %10.1f %10s %7s\n", "VACUUM ANALYZE", "-", v[1], "-",
	    "-"
	printf "database %.2f GB; source_daily %d rows (%.0f MB), %d " \
	    "distinct sources (pool %d); domain_daily %d rows\n",
	    s[4] / 1073741824, s[1], s[5] / 1048576, s[2], pool, s[3]
	print ""
	printf "%-30s %9s %10s %9s %11s %11s\n",
	    "query (--no-dns, best of " runs ")", "best_ms", "rss_MB",
	    "sources", "records", "messages"
}
{
	ms = $2 * 1000
	printf "%-30s %9.1f %10.1f %9s %11d %11d\n", $1, ms, mb($3),
	    $1 ~ /^sources/ ? $4 : "-", $5, $6
	best[$1] = ms
}
END {
	print ""
	print "--no-dns: reverse DNS of the sources is not part of the timing"
	printf "target: summary --days 14 <= %d ms: %.0f ms  %s\n", max_ms,
	    best["summary --days 14"],
	    verdict(best["summary --days 14"] <= max_ms)
	printf "target: advise <= %d ms: %.0f ms  %s\n", max_ms,
	    best["advise"], verdict(best["advise"] <= max_ms)
}' "$TMP/rows"

if [ "$KEEP" = 1 ]; then
	say "BENCH_KEEP=1: the cluster stays; psql -d \"$DB\";" \
	    "$PG_RIG destroy $PGW/pg && rm -rf $PGW when done"
fi
exit 0
