#!/usr/bin/env bash
# Run a test binary against a throwaway PostgreSQL cluster and a throwaway
# Dovecot IMAP server (make check):
#
#   tests/run-tests.sh build/tests/run [criterion options]
#
# Starts a cluster in a fresh temp dir (unix socket only, a random port),
# exports TEST_PG_CONNINFO (the maintenance database, dbname=postgres) and
# TEST_PG_DIR; starts Dovecot on loopback (scripts/imap-rig.sh: STARTTLS on
# TEST_IMAP_PORT, implicit TLS on TEST_IMAPS_PORT, its self-signed
# certificate in TEST_IMAP_CA, any user with the password "secret", mail in
# TEST_IMAP_DIR); runs the command, then always stops both servers and
# removes the dir, also when the tests fail or the run is interrupted.  The
# exit status is the command's.  A server that cannot start fails the run:
# store and IMAP tests never skip.
#
# TEST_PG_RIG=citus starts a Citus cluster instead (scripts/citus-rig.sh: a
# coordinator and two workers; Citus must be installed: citus-rig.sh build)
# and exports its coordinator: each test database the tests create is
# made on every node, with the extension, and `db migrate` distributes it.
# It also starts one plain PostgreSQL beside it (scripts/pg-rig.sh) and
# exports TEST_PG_SINGLE_CONNINFO, for the tests that compare the two.
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: run-tests.sh TEST-BINARY [ARGS...]" >&2
	exit 64
fi
here=$(cd "$(dirname "$0")/.." && pwd)
case ${TEST_PG_RIG:-pg} in
pg) rig=$here/scripts/pg-rig.sh ;;
citus) rig=$here/scripts/citus-rig.sh ;;
*)
	echo "run-tests: TEST_PG_RIG is pg or citus, not $TEST_PG_RIG" >&2
	exit 64
	;;
esac
imap_rig=$here/scripts/imap-rig.sh

work=
child=

# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
	local rc=$? ok=0
	trap - EXIT INT TERM HUP
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		# interrupted: end the tests first (they hold connections)
		kill -TERM "$child" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	if [ -n "$work" ] && [ -d "$work" ]; then
		"$imap_rig" destroy "$work/imap" || ok=1
		if [ -d "$work/single" ] && ! "$here/scripts/pg-rig.sh" destroy \
		    "$work/single"; then
			ok=1
		fi
		if "$rig" destroy "$work/pg"; then
			rm -rf "$work"
		else
			echo "run-tests: could not stop the test cluster; left in $work" >&2
			ok=1
		fi
	fi
	[ "$rc" -ne 0 ] || rc=$ok
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

work=$(mktemp -d /tmp/dmarcctl-pg.XXXXXX)
chmod 755 "$work"	# the server runs as postgres when we are root
port=$((20000 + RANDOM % 40000))	# socket only: it only names the socket
# Citus's nodes talk over loopback TCP: free ports of its own choosing
[ "${TEST_PG_RIG:-pg}" = pg ] || port=
t0=$(date +%s%N)
if ! conninfo=$("$rig" start "$work/pg" $port); then
	echo "run-tests: cannot start the test PostgreSQL cluster;" \
	    "the store tests need it" >&2
	exit 1
fi
export TEST_PG_CONNINFO=$conninfo TEST_PG_DIR=$work/pg
if [ "${TEST_PG_RIG:-pg}" = citus ]; then
	if ! single=$("$here/scripts/pg-rig.sh" start "$work/single" \
	    $((20000 + RANDOM % 40000))); then
		echo "run-tests: cannot start the single-node cluster" \
		    "beside Citus" >&2
		exit 1
	fi
	export TEST_PG_SINGLE_CONNINFO=$single
fi
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'run-tests: test cluster up in %d.%d s: %s\n' $((ms / 1000)) \
    $((ms % 1000 / 100)) "$TEST_PG_CONNINFO" >&2

imap_port=$("$here/scripts/free-port.sh")
imaps_port=$("$here/scripts/free-port.sh")
while [ "$imaps_port" = "$imap_port" ]; do imaps_port=$("$here/scripts/free-port.sh"); done
if ! "$imap_rig" start "$work/imap" "$imap_port" "$imaps_port" >/dev/null; then
	echo "run-tests: cannot start the test IMAP server; the fetch tests" \
	    "need it" >&2
	exit 1
fi
export TEST_IMAP_DIR=$work/imap TEST_IMAP_PORT=$imap_port \
    TEST_IMAPS_PORT=$imaps_port TEST_IMAP_CA=$work/imap/cert.pem
echo "run-tests: test IMAP server on 127.0.0.1:$imap_port (STARTTLS)" \
    "and :$imaps_port (TLS)" >&2

# In the background, so that a signal reaches the trap at once (the trap
# passes it on as SIGTERM: Criterion's runner sits in a process group of
# its own, out of reach of the terminal's ^C); the explicit stdin keeps
# bash from handing the tests /dev/null.
"$@" <&0 &
child=$!
status=0
wait "$child" || status=$?
child=
exit "$status"
