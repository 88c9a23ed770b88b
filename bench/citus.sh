#!/bin/sh
# The scale-out section of `make bench`: the analyzer's benchmark
# (bench/analyze.sh: 10 million records, 4 concurrent loaders, then
# summary, advise and sources) on one PostgreSQL and on a Citus cluster
# (a coordinator and two workers, scripts/citus-rig.sh) of the same
# machine, one after the other.
#
#	bench/citus.sh BUILD_DIR	(normally through `make bench`)
#
# On one machine the cluster cannot be faster: its three servers share
# the same cores and disk, and every statement pays the coordinator's
# planning and a hop to a worker.  The numbers show that overhead; how
# throughput grows with workers on real hardware is README's "Scaling
# out".  Citus is built first when it is not installed (scripts/citus-rig.sh
# build: as root); without it the section is skipped with a note.
#
# Environment: BENCH_CITUS_LOADERS (default 4), and those of
# bench/analyze.sh (BENCH_ANALYZE_RECORDS makes a quick trial).
set -eu

[ $# -eq 1 ] || { echo "usage: bench/citus.sh BUILD_DIR" >&2; exit 64; }
cd "$(dirname "$0")/.."
loaders=${BENCH_CITUS_LOADERS:-4}

say() {
	printf 'bench: %s\n' "$*" >&2
}

if ! scripts/citus-rig.sh build >&2; then
	say "Citus is not installed and cannot be built here (as root:" \
	    "scripts/citus-rig.sh build): scale-out not measured"
	exit 0
fi
echo
echo "scale-out: the analyzer's benchmark with $loaders loaders, one" \
    "PostgreSQL, then Citus on the same $(nproc 2>/dev/null || echo '?')" \
    "cores"
BENCH_LOADERS=$loaders BENCH_RIG=pg bench/analyze.sh "$1"
BENCH_LOADERS=$loaders BENCH_RIG=citus bench/analyze.sh "$1"
echo
echo "note: a cluster on one machine shares its cores and disk, and adds" \
    "the coordinator's planning and a network hop to every statement:" \
    "these rows measure that overhead, not how a cluster scales (README," \
    "Scaling out)."
