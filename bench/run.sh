#!/bin/sh
# Benchmark `dmarcctl parse` against the floors set by standard tools:
# xmllint --stream for plain XML, zcat for gzip'd reports.
#
#	bench/run.sh BUILD_DIR		(normally through `make bench`)
#
# Expects BUILD_DIR/dmarcctl and BUILD_DIR/bench/gen; compiles
# bench/measure.c into BUILD_DIR/bench/measure itself.  Reports are
# generated once into BUILD_DIR/bench-data and reused while gen is
# unchanged.  Prints a table and the targets with PASS/FAIL; exits 1 only
# when a run fails or dmarcctl's counts are wrong (or dmarcctl is missing:
# then only the floors are measured), never because a target is missed.
#
# Environment: BENCH_RUNS (runs per command, default 3; best time wins),
# BENCH_RUNS_1M (the same for the 1M-record files, default 1), CC.
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
# name:records
SIZES="10k:10000 200k:200000 1m:1000000"
# targets
MAX_RATIO=1.0
MAX_RSS_MB=32
MAX_GROWTH=1.5

WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wwrite-strings -Wformat=2 -Wvla"

die() {
	echo "bench: $*" >&2
	exit 1
}

say() {
	echo "bench: $*" >&2
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dmarcctl-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

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

# best RUNS OUT CMD...: run CMD RUNS times with stdout to OUT; sets T to the
# best time (s) and R to the highest peak RSS (kB) of those runs.
best() {
	runs=$1
	out=$2
	shift 2
	T=
	R=0
	i=0
	while [ "$i" -lt "$runs" ]; do
		res=$("$MEASURE" -o "$out" "$@") || return 1
		t=${res% *}
		r=${res#* }
		T=$(awk -v a="$T" -v b="$t" \
		    'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
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
exit 0
