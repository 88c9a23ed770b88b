#!/bin/sh
# A private PostgreSQL 15 cluster in a directory, for the tests and the demo.
#
#   pg-rig.sh start DIR [PORT]   create the cluster if DIR holds none, start
#                                it unless it runs, print its conninfo
#   pg-rig.sh stop DIR           stop it (the files stay)
#   pg-rig.sh destroy DIR        stop it and remove DIR
#   pg-rig.sh conninfo DIR       print the conninfo of the cluster in DIR
#   pg-rig.sh status DIR         exit 0 when it runs, 3 when it does not
#
# Layout: DIR/data (the cluster), DIR/server.log, DIR/initdb.log, DIR/rig.conf
# (port and socket directory, so a restart and `conninfo` find them again).
#
# The server listens on a unix socket only (listen_addresses=''), so PORT
# just names the socket file and parallel clusters never clash.  Trust
# authentication, superuser "postgres", no fsync: data is disposable.
#
# Environment:
#   PGBIN           PostgreSQL binaries (/usr/lib/postgresql/15/bin)
#   PG_RIG_USER     the user the server runs as when called by root
#                   (postgres, else nobody); a non-root caller runs it itself
#   PG_RIG_SOCKDIR  socket directory when not DIR (a socket path may be at
#                   most 107 bytes)
#   PG_RIG_STOP     shutdown mode for stop: fast (default) or immediate
#   PG_RIG_OPTIONS  more server options for start, after the rig's own
#                   (a later -c wins): e.g. "-c listen_addresses=127.0.0.1
#                   -c shared_preload_libraries=citus" (scripts/citus-rig.sh)
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DEFAULT_PORT=54329

die() {
	echo "pg-rig: $*" >&2
	exit 1
}

usage() {
	echo "usage: pg-rig.sh start DIR [PORT] | stop DIR | destroy DIR" \
	    "| conninfo DIR | status DIR" >&2
	exit 64
}

is_root() {
	[ "$(id -u)" = 0 ]
}

# Run a command as the user who owns (or will own) the cluster.
as_owner() {
	if is_root; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

# A conninfo value, quoted when it holds more than a plain path.
conn_value() {
	case "$1" in
	'' | *[!A-Za-z0-9_./-]*)
		printf "'%s'" "$(printf '%s' "$1" | sed "s/[\\\\']/\\\\&/g")" ;;
	*)
		printf '%s' "$1" ;;
	esac
}

conninfo() {
	printf 'host=%s port=%s dbname=postgres user=postgres\n' \
	    "$(conn_value "$sockdir")" "$(conn_value "$port")"
}

# Read DIR/rig.conf (written by start) into port and sockdir.
read_conf() {
	[ -f "$dir/rig.conf" ] || return 1
	port=$(sed -n 's/^port=//p' "$dir/rig.conf")
	sockdir=$(sed -n 's/^sockdir=//p' "$dir/rig.conf")
	[ -n "$port" ] && [ -n "$sockdir" ]
}

# The port and socket directory of the running server, from postmaster.pid
# (lines 4 and 5), which beats rig.conf.
read_pidfile() {
	[ -f "$dir/data/postmaster.pid" ] || return 1
	port=$(sed -n 4p "$dir/data/postmaster.pid")
	sockdir=$(sed -n 5p "$dir/data/postmaster.pid")
	[ -n "$port" ] && [ -n "$sockdir" ]
}

is_running() {
	[ -f "$dir/data/PG_VERSION" ] || return 1
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

postmaster_pid() {
	sed -n 1p "$dir/data/postmaster.pid" 2>/dev/null || true
}

# A stopped postmaster may linger as a zombie until PID 1 reaps it: wait
# until the process is gone or a zombie (it no longer holds anything).
wait_gone() {
	i=0
	while [ $i -lt 100 ]; do
		state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) ||
		    return 0
		[ "$state" = Z ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

log_tail() {
	if [ -s "$1" ]; then
		echo "pg-rig: last lines of $1:" >&2
		tail -n 20 "$1" | sed 's/^/  | /' >&2
	fi
}

# Every directory above the cluster must be traversable by its user.
check_reachable() {
	as_owner test -x "$1" ||
	    die "user $owner cannot reach $1: every parent directory" \
	    "must be traversable by it (chmod o+x)"
}

init_cluster() {
	if [ -e "$dir/data" ] && [ -n "$(ls -A "$dir/data" 2>/dev/null)" ]; then
		die "$dir/data exists but holds no cluster (a broken initdb?); remove it"
	fi
	if ! as_owner "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -N \
	    -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
		log_tail "$dir/initdb.log"
		die "initdb failed in $dir/data"
	fi
}

cmd_start() {
	want_port=${1:-}
	case "$want_port" in
	'') ;;
	*[!0-9]* | 0*) die "bad port: $want_port" ;;
	*)
		if [ ${#want_port} -gt 5 ] || [ "$want_port" -gt 65535 ]; then
			die "bad port: $want_port"
		fi ;;
	esac
	if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
		die "no PostgreSQL in $PGBIN (make deps installs postgresql-15, or set PGBIN)"
	fi

	if [ -f "$dir/data/PG_VERSION" ]; then
		v=$(cat "$dir/data/PG_VERSION")
		pv=$("$PGBIN/pg_ctl" --version | sed 's/^[^0-9]*\([0-9]*\).*/\1/')
		[ "$v" = "$pv" ] ||
		    die "$dir/data is a PostgreSQL $v cluster, $PGBIN is $pv"
		if is_root; then
			owner=$(stat -c %U "$dir/data")
		fi
		if is_running; then
			# already up: a no-op that reports where it listens
			read_pidfile || read_conf || die "cannot tell how $dir is reached"
			if [ -n "$want_port" ] && [ "$want_port" != "$port" ]; then
				echo "pg-rig: $dir already runs on port $port" >&2
			fi
			conninfo
			return 0
		fi
	fi

	port=$DEFAULT_PORT
	read_conf || true
	[ -n "$want_port" ] && port=$want_port
	sockdir=${PG_RIG_SOCKDIR:-${sockdir:-$dir}}
	case "$sockdir" in /*) ;; *) sockdir=$PWD/$sockdir ;; esac
	case "$sockdir" in *\'*) die "socket directory $sockdir holds a quote" ;; esac
	sock="$sockdir/.s.PGSQL.$port"
	[ ${#sock} -le 107 ] ||
	    die "socket path $sock is ${#sock} bytes, more than 107:" \
	    "use a shorter DIR or set PG_RIG_SOCKDIR"

	mkdir -p "$dir" "$sockdir"
	if is_root; then
		chown "$owner": "$dir"
		[ "$sockdir" = "$dir" ] || chown "$owner": "$sockdir"
	fi
	chmod 700 "$dir"
	check_reachable "$dir"
	check_reachable "$sockdir"
	as_owner test -w "$sockdir" || die "user $owner cannot write to $sockdir"

	[ -f "$dir/data/PG_VERSION" ] || init_cluster
	printf 'port=%s\nsockdir=%s\n' "$port" "$sockdir" >"$dir/rig.conf"

	# pg_ctl appends to the log; stays the owner's so it can write it
	: >>"$dir/server.log"
	if is_root; then
		chown "$owner": "$dir/server.log"
	fi
	if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
	    -w -t 30 -o "-c listen_addresses='' -p $port -k '$sockdir' \
	    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
	    ${PG_RIG_OPTIONS:-}" start >/dev/null 2>"$dir/pg_ctl.err"; then
		sed 's/^/pg-rig: /' "$dir/pg_ctl.err" >&2
		log_tail "$dir/server.log"
		die "cannot start the cluster in $dir"
	fi
	rm -f "$dir/pg_ctl.err"
	conninfo
}

cmd_stop() {
	[ -f "$dir/data/PG_VERSION" ] || return 0
	# whoever owns the cluster stops it
	if is_root; then
		owner=$(stat -c %U "$dir/data")
	fi
	is_running || return 0
	pid=$(postmaster_pid)
	mode=${PG_RIG_STOP:-fast}
	if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 30 \
	    stop >/dev/null 2>"$dir/pg_ctl.err"; then
		sed 's/^/pg-rig: /' "$dir/pg_ctl.err" >&2
		log_tail "$dir/server.log"
		die "cannot stop the cluster in $dir (postmaster pid ${pid:-unknown})"
	fi
	rm -f "$dir/pg_ctl.err"
	if [ -n "$pid" ] && ! wait_gone "$pid"; then
		die "postmaster $pid of $dir is still running after stop"
	fi
}

cmd_destroy() {
	[ -e "$dir" ] || return 0
	if [ -f "$dir/data/PG_VERSION" ]; then
		# in a subshell, so that a failed stop can be retried
		if ! (cmd_stop); then
			echo "pg-rig: trying an immediate shutdown" >&2
			PG_RIG_STOP=immediate
			cmd_stop
		fi
	fi
	rm -rf "$dir"
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
[ -n "$dir" ] || usage
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
dir=$(printf '%s' "$dir" | sed 's|//*|/|g; s|\(.\)/$|\1|')

owner=${PG_RIG_USER:-postgres}
if is_root; then
	id "$owner" >/dev/null 2>&1 || owner=nobody
	id "$owner" >/dev/null 2>&1 ||
	    die "no user to run the server as (postgres or nobody)"
	command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is missing"
else
	owner=$(id -un)
fi

case "$cmd" in
start)
	[ $# -le 1 ] || usage
	cmd_start "${1:-}" ;;
stop)
	[ $# -eq 0 ] || usage
	cmd_stop ;;
destroy)
	[ $# -eq 0 ] || usage
	cmd_destroy ;;
conninfo)
	[ $# -eq 0 ] || usage
	[ -f "$dir/data/PG_VERSION" ] || die "no cluster in $dir"
	read_conf || die "no $dir/rig.conf: start the cluster with pg-rig.sh first"
	conninfo ;;
status)
	[ $# -eq 0 ] || usage
	[ -f "$dir/data/PG_VERSION" ] || exit 3
	if is_root; then
		owner=$(stat -c %U "$dir/data")
	fi
	is_running || exit 3 ;;
*)
	usage ;;
esac
