#!/bin/sh
# Run each libFuzzer harness for a fixed time: run.sh BUILD_FUZZ_DIR SECONDS
# TARGET...  (make fuzz calls it after make fuzz-build).
#
# Each target keeps a working corpus in build/fuzz-corpus/<target>, seeded
# on every run from fuzz/seeds/<target>/ and the fixtures of its format
# under tests/fixtures/, so a rerun starts from what earlier runs found.
# fuzz/<target>.dict, when present, is passed as the libFuzzer dictionary;
# fuzz/make_seeds.sh regenerates the seeds.
# fuzz_store stores what parses into PostgreSQL: DMARCCTL_FUZZ_DB names the
# database (a conninfo); unset, a throwaway cluster is started for the run
# (scripts/pg-rig.sh, in a temp dir, removed at the end).
# Crashes, leaks, timeouts and out-of-memory inputs land in
# build/fuzz-artifacts/<target>-*, the full output in
# build/fuzz-logs/<target>.log.  One summary line per target; the exit
# status is 1 when any target failed.
#
# Every crash found becomes a fixture with a regression test: minimize it
#   build/fuzz/<target> -minimize_crash=1 -runs=10000 \
#       -exact_artifact_path=tests/fixtures/fuzz/<target>-<short-name>.<ext> \
#       build/fuzz-artifacts/<target>-crash-<sha1>
# fix the bug, and add a test that parses the fixture and expects the
# error (or the report) instead of the crash.  Those fixtures are copied
# into the working corpus of their target on every run.
set -eu

if [ $# -lt 3 ]; then
	echo "usage: run.sh BUILD_FUZZ_DIR SECONDS TARGET..." >&2
	exit 64
fi
bin=$1
secs=$2
shift 2

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/tests/fixtures
corpus_root=$root/build/fuzz-corpus
artifacts=$root/build/fuzz-artifacts
logs=$root/build/fuzz-logs
mkdir -p "$corpus_root" "$artifacts" "$logs"

# the fixture files (by name pattern) that are valid input for a target;
# fixtures found by earlier fuzzing (tests/fixtures/fuzz) feed every target
patterns() {
	case $1 in
	fuzz_xml) echo '*.xml' ;;
	fuzz_json) echo '*.json' ;;
	fuzz_decomp) echo '*' ;;
	fuzz_mail) echo '*.eml *.mbox' ;;
	fuzz_store) echo '*.xml *.json *.eml *.mbox *.gz *.zip' ;;
	fuzz_dnsrec) echo '*.records' ;;
	*) echo "run.sh: unknown target $1" >&2; return 1 ;;
	esac
}

# copy the fixtures of one target into its working corpus (new names only)
seed_corpus() {
	dir=$corpus_root/$1
	mkdir -p "$dir"
	[ -d "$fixtures" ] || return 0
	set -f	# the patterns are for find, not the shell
	for pat in $(patterns "$1"); do
		find "$fixtures" -path "$fixtures/fuzz" -prune -o -type f \
		    -name "$pat" ! -name '*.expect' ! -name '*.md' \
		    -size -4096k -print
	done | sort -u | while IFS= read -r f; do
		rel=${f#"$fixtures"/}
		name=fixture-$(printf '%s' "$rel" | tr '/' '_')
		[ -e "$dir/$name" ] || cp "$f" "$dir/$name"
	done
	set +f
	for f in "$fixtures/fuzz/$1"-*; do
		[ -f "$f" ] || continue
		name=fixture-fuzz_$(basename "$f")
		[ -e "$dir/$name" ] || cp "$f" "$dir/$name"
	done
}

# "<field>" of libFuzzer's final stats, or "?"
stat() {
	v=$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)
	echo "${v:-?}"
}

# the kind of failure, from the log of a failed run
verdict() {
	if grep -q 'ERROR: LeakSanitizer' "$1"; then echo leak
	elif grep -q 'ERROR: libFuzzer: timeout' "$1"; then echo timeout
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then echo oom
	elif grep -q 'ERROR: libFuzzer: malloc' "$1"; then echo oom
	elif grep -q 'runtime error:' "$1"; then echo ubsan
	elif grep -q 'ERROR: AddressSanitizer' "$1"; then echo asan
	elif grep -q 'sink contract broken' "$1"; then echo contract
	elif grep -q 'the store refused' "$1"; then echo refused
	else echo crash
	fi
}

# a throwaway PostgreSQL cluster for fuzz_store, unless one is given
pg_dir=
# shellcheck disable=SC2317  # runs from the EXIT trap
stop_pg() {
	[ -z "$pg_dir" ] || { "$root/scripts/pg-rig.sh" destroy "$pg_dir/pg" && rmdir "$pg_dir"; } ||
	    echo "run.sh: could not stop the cluster in $pg_dir" >&2
}
case " $* " in
*" fuzz_store "*)
	if [ -z "${DMARCCTL_FUZZ_DB:-}" ]; then
		pg_dir=$(mktemp -d /tmp/dmarcctl-fuzz-pg.XXXXXX)
		chmod 755 "$pg_dir"	# the server runs as postgres under root
		trap stop_pg EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		DMARCCTL_FUZZ_DB=$("$root/scripts/pg-rig.sh" start "$pg_dir/pg" \
		    $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))) || {
			echo "run.sh: cannot start PostgreSQL for fuzz_store" >&2
			exit 1
		}
		export DMARCCTL_FUZZ_DB
	fi
	;;
esac

failed=0
for t in "$@"; do
	exe=$bin/$t
	log=$logs/$t.log
	if [ ! -x "$exe" ]; then
		echo "run.sh: $exe not built (make fuzz-build)" >&2
		failed=1
		continue
	fi
	patterns "$t" >/dev/null
	seed_corpus "$t"
	dirs=$corpus_root/$t
	[ -d "$root/fuzz/seeds/$t" ] && dirs="$dirs $root/fuzz/seeds/$t"
	dict=
	[ -f "$root/fuzz/$t.dict" ] && dict=-dict=$root/fuzz/$t.dict
	# shellcheck disable=SC2086 # dirs is a list of paths without spaces
	if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -artifact_prefix="$artifacts/$t-" -print_final_stats=1 \
	    ${dict:+"$dict"} $dirs >"$log" 2>&1; then
		result=ok
	else
		result="FAILED ($(verdict "$log"))"
		failed=1
	fi
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
	printf '%-12s runs %-9s exec/s %-6s cov %-5s ft %-6s corpus %-5s %s\n' \
	    "$t" "$(stat number_of_executed_units "$log")" \
	    "$(stat average_exec_per_sec "$log")" "${cov:-?}" "${ft:-?}" \
	    "$(find "$corpus_root/$t" -type f | wc -l)" "$result"
	if [ "$result" != ok ]; then
		first='^==[0-9]+==ERROR|runtime error:|contract broken|store refused|ALARM'
		grep -m 1 -A 12 -E "$first" "$log" | sed 's/^/    /' >&2 ||
		    true
		sed -n 's/^.*Test unit written to /    reproducer: /p' \
		    "$log" >&2
	fi
done
exit "$failed"
