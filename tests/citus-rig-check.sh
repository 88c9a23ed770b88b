#!/usr/bin/env bash
# Check the Citus test cluster itself (make citus-rig-check): build Citus
# if needed, start a coordinator with two workers in a temp dir, and see
# that a table distributes over both workers, that a per-domain query is one
# task, and that a database made the way the tests make theirs (CREATE
# DATABASE on the coordinator) takes distributed tables at once and drops
# everywhere.  Always stops the cluster and removes the dir.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rig=$here/scripts/citus-rig.sh
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

"$rig" build
work=$(mktemp -d /tmp/dmarcctl-citus.XXXXXX)
chmod 755 "$work"	# the servers run as postgres when we are root
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
	local rc=$?
	if "$rig" destroy "$work/c"; then
		rm -rf "$work"
	else
		echo "citus-rig-check: could not stop the cluster; left in $work" >&2
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT

t0=$(date +%s%N)
ci=$("$rig" start "$work/c")
ms=$((($(date +%s%N) - t0) / 1000000))
echo "citus-rig-check: cluster up in $((ms / 1000)).$((ms % 1000 / 100)) s: $ci"

# psql DB: SQL on stdin, unaligned output
sql() {
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "${ci/dbname=postgres/dbname=$1}"
}
# the words of $1 on one line
words() {
	printf '%s\n' "$1" | xargs
}
fail() {
	echo "citus-rig-check: FAIL: $*" >&2
	exit 1
}

got=$(sql postgres <<-'EOF'
	CREATE TABLE t(domain text, x int);
	SELECT create_distributed_table('t', 'domain');
	INSERT INTO t SELECT 'd' || i % 10 || '.example', i
	    FROM generate_series(1, 1000) i;
	SELECT count(*) FROM t;
	SELECT count(DISTINCT nodeport) FROM citus_shards;
	SELECT count(*) FROM citus_get_active_worker_nodes();
	EOF
)
[ "$(words "$got")" = "1000 2 2" ] || fail "distributed table: got $(words "$got")"
sql postgres <<<"EXPLAIN SELECT * FROM t WHERE domain = 'd1.example'" |
    grep -q 'Task Count: 1' || fail "a per-domain query is not one task"

# as tests/test_util.c test_db_new and test_db_drop do
sql postgres <<<"CREATE DATABASE t_$$_1"
got=$(sql "t_$$_1" <<-'EOF'
	CREATE TABLE r(domain text PRIMARY KEY, n int);
	SELECT create_distributed_table('r', 'domain');
	INSERT INTO r SELECT 'd' || i, i FROM generate_series(1, 100) i;
	SELECT count(*) FROM r;
	SELECT count(DISTINCT nodeport) FROM citus_shards;
	EOF
)
[ "$(words "$got")" = "100 2" ] || fail "new database: got $(words "$got")"
sql postgres <<<"DROP DATABASE t_$$_1 WITH (FORCE)"
left=$(sql postgres <<<"SELECT result FROM run_command_on_workers(
    \$\$SELECT count(*) FROM pg_database WHERE datname = 't_$$_1'\$\$)")
[ "$(words "$left")" = "0 0" ] || fail "dropped database left on the workers"
echo "citus-rig-check: ok"
