#!/bin/sh
# A private Citus cluster in a directory, for the scale-out tests of
# dmarcctl: a coordinator and two workers, each a scripts/pg-rig.sh cluster.
#
#   citus-rig.sh build              build Citus from vendor/ and install it
#                                   into PostgreSQL 15 (as root), unless
#                                   that version is installed already
#   citus-rig.sh start DIR [PORT]   create the cluster if DIR holds none,
#                                   start it unless it runs, print the
#                                   coordinator's conninfo
#   citus-rig.sh stop DIR           stop the three servers (the files stay)
#   citus-rig.sh destroy DIR        stop them and remove DIR
#   citus-rig.sh conninfo DIR       print the coordinator's conninfo
#   citus-rig.sh status DIR         exit 0 when all three run, 3 when not
#
# Layout: DIR/coord, DIR/worker1, DIR/worker2 (pg-rig clusters) and
# DIR/citus.conf (their ports).  The coordinator listens on PORT, the
# workers on PORT+1 and PORT+2; without PORT, on free ports of 127.0.0.1
# (scripts/free-port.sh), kept for a restart.  Each server also listens on
# 127.0.0.1 TCP, which is how the nodes reach each other (trust
# authentication on loopback, no SSL); the conninfo printed names the
# coordinator's unix socket, as pg-rig.sh does.
#
# Databases: the extension citus is created in "postgres" and in template1
# of every node, and citus.enable_create_database_propagation is on.  So a
# CREATE DATABASE on the coordinator (from template1, as the tests' is)
# makes the database on the workers too, and it comes with the extension
# and with the workers already known: create_distributed_table works in it
# at once.  DROP DATABASE drops it everywhere.  Citus refuses CREATE
# DATABASE ... TEMPLATE anything but template1, and a session left connected
# to template1 makes every CREATE DATABASE fail, so stay out of it.
#
# build installs the packages it needs (scripts/deps.sh citus), keeps its
# tree and log (and reuses a finished tree), and does nothing at all when
# the installed citus.so is this version.  Every parent of DIR must be
# traversable by the servers' user (chmod 755 a mktemp -d directory).
#
# Environment:
#   PGBIN            PostgreSQL binaries (/usr/lib/postgresql/15/bin)
#   PG_RIG_USER      as for pg-rig.sh: the servers' user when run by root
#   CITUS_RIG_BUILD  where build unpacks and compiles Citus
#                    (build/citus-VERSION in the source tree)
#   CITUS_RIG_SHARDS citus.shard_count of the cluster (4: tests create many
#                    small tables; Citus's own default is 32)
set -eu

VERSION=13.2.2
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tarball=$top/vendor/citus-$VERSION.tar.gz
pg_rig=$here/pg-rig.sh
NODES="coord worker1 worker2"

die() {
	echo "citus-rig: $*" >&2
	exit 1
}

usage() {
	echo "usage: citus-rig.sh build | start DIR [PORT] | stop DIR" \
	    "| destroy DIR | conninfo DIR | status DIR" >&2
	exit 64
}

is_root() {
	[ "$(id -u)" = 0 ]
}

pg_config=$PGBIN/pg_config

# Citus VERSION is installed when the library says so: citus_version()
# reports the version compiled in.
installed() {
	[ -x "$pg_config" ] || return 1
	so=$("$pg_config" --pkglibdir)/citus.so
	[ -f "$so" ] && grep -q "Citus $VERSION " "$so" 2>/dev/null
}

cmd_build() {
	if installed; then
		echo "citus-rig: Citus $VERSION is installed in" \
		    "$("$pg_config" --pkglibdir)" >&2
		return 0
	fi
	is_root ||
	    die "Citus $VERSION is not installed in PostgreSQL 15;" \
	    "build it as root (make install writes to its directories)"
	[ -f "$tarball" ] || die "no $tarball"
	"$here/deps.sh" citus
	[ -x "$pg_config" ] || die "no $pg_config"

	build=${CITUS_RIG_BUILD:-$top/build/citus-$VERSION}
	log=$build.log
	mkdir -p "$(dirname "$build")"
	t0=$(date +%s)
	# a build that stopped half way starts over
	what="installed from the tree built before ($build)"
	if [ ! -f "$build/.built" ]; then
		what="built and installed"
		rm -rf "$build"
		mkdir -p "$build"
		tar -xzf "$tarball" -C "$build"
		compat=$build/src/include/pg_version_compat.h
		# PostgreSQL 15.18 and later declare have_createdb_privilege();
		# Citus's static inline copy for older servers then clashes
		if grep -q 'have_createdb_privilege' \
		    "$("$pg_config" --includedir-server)/commands/dbcommands.h"; then
			remove_static_copy "$compat"
		fi
		echo "citus-rig: building Citus $VERSION in $build (log: $log)" >&2
		if ! (cd "$build" &&
		    ./configure --without-libcurl PG_CONFIG="$pg_config" &&
		    make -j"$(nproc 2>/dev/null || echo 2)") >"$log" 2>&1; then
			tail -n 20 "$log" | sed 's/^/  | /' >&2
			die "building Citus failed; see $log"
		fi
		: >"$build/.built"
	fi
	if ! (cd "$build" && make install) >>"$log" 2>&1; then
		tail -n 20 "$log" | sed 's/^/  | /' >&2
		die "installing Citus failed; see $log"
	fi
	installed || die "make install ran, but no Citus $VERSION in" \
	    "$("$pg_config" --pkglibdir)"
	echo "citus-rig: Citus $VERSION $what in $(($(date +%s) - t0)) s" >&2
}

# Remove "static inline bool\nhave_createdb_privilege(void)\n{...}" (the
# body ends at the first "}" alone on a line) from FILE.
remove_static_copy() {
	awk '
	skip { if ($0 == "}") skip = 0; next }
	held != "" {
		if ($0 == "have_createdb_privilege(void)") {
			held = ""; skip = 1; removed = 1; next
		}
		print held; held = ""
	}
	$0 == "static inline bool" { held = $0; next }
	{ print }
	END {
		if (held != "") print held
		if (!removed) exit 1
	}' "$1" >"$1.new" ||
	    die "no static have_createdb_privilege() to remove in $1"
	mv "$1.new" "$1"
}

# The server options of every node: loopback TCP for the other nodes, Citus
# preloaded, plain connections between the nodes (loopback, trust), and
# CREATE/DROP DATABASE on the coordinator reaching the workers.
node_options() {
	echo "-c listen_addresses=127.0.0.1 -c shared_preload_libraries=citus" \
	    "-c citus.node_conninfo=sslmode=disable" \
	    "-c citus.enable_create_database_propagation=on" \
	    "-c citus.shard_count=${CITUS_RIG_SHARDS:-4}"
}

check_port() {
	case "$1" in
	'' | *[!0-9]* | 0*) die "bad port: $1" ;;
	esac
	if [ ${#1} -gt 5 ] || [ "$1" -gt "$2" ]; then
		die "bad port: $1"
	fi
}

# DIR/citus.conf: "coord=PORT", "worker1=PORT", "worker2=PORT"
read_ports() {
	[ -f "$dir/citus.conf" ] || return 1
	coord_port=$(sed -n 's/^coord=//p' "$dir/citus.conf")
	worker1_port=$(sed -n 's/^worker1=//p' "$dir/citus.conf")
	worker2_port=$(sed -n 's/^worker2=//p' "$dir/citus.conf")
	[ -n "$coord_port" ] && [ -n "$worker1_port" ] && [ -n "$worker2_port" ]
}

# A free loopback port other than the ones picked already.
free_port() {
	while :; do
		p=$("$here/free-port.sh")
		case " $* " in *" $p "*) ;; *) echo "$p"; return ;; esac
	done
}

node_port() {
	case "$1" in
	coord) echo "$coord_port" ;;
	worker1) echo "$worker1_port" ;;
	worker2) echo "$worker2_port" ;;
	esac
}

# psql on a node over loopback TCP, in database $2, SQL on stdin.
node_sql() {
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
	    "host=127.0.0.1 port=$(node_port "$1") dbname=$2 user=postgres" \
	    >>"$dir/setup.log" 2>&1 || {
		tail -n 20 "$dir/setup.log" | sed 's/^/  | /' >&2
		die "SQL on the $1 ($2) failed; see $dir/setup.log"
	}
}

start_nodes() {
	for n in $NODES; do
		PG_RIG_OPTIONS=$(node_options) "$pg_rig" start "$dir/$n" \
		    "$(node_port "$n")" >/dev/null ||
		    die "cannot start the $n in $dir/$n"
	done
}

stop_nodes() {
	st=0
	for n in $NODES; do
		"$pg_rig" stop "$dir/$n" || st=1
	done
	return $st
}

# Once per cluster: the extension in "postgres" and template1 of every
# node, and in both databases of the coordinator the coordinator and the
# workers registered (in template1 too, so that every database made from it
# starts as a ready cluster of its own: Citus keeps its node list per
# database).  Then a restart: the servers must hold no connection to
# template1 (Citus's maintenance daemon of a database stays connected), or
# CREATE DATABASE would fail on "source database is being accessed".
join_nodes() {
	: >"$dir/setup.log"
	for n in $NODES; do
		for db in postgres template1; do
			echo "CREATE EXTENSION IF NOT EXISTS citus;" |
			    node_sql "$n" "$db"
		done
	done
	for db in postgres template1; do
		node_sql coord "$db" <<-EOF
		SELECT citus_set_coordinator_host('127.0.0.1', $coord_port);
		SELECT citus_add_node('127.0.0.1', $worker1_port);
		SELECT citus_add_node('127.0.0.1', $worker2_port);
		EOF
	done
	stop_nodes || die "cannot restart the cluster in $dir"
	start_nodes
	: >"$dir/joined"
}

cmd_start() {
	installed || die "Citus $VERSION is not installed in PostgreSQL 15:" \
	    "run citus-rig.sh build (as root)"
	known=
	read_ports && known=1
	if [ -n "${1:-}" ]; then
		check_port "$1" 65533
		# the nodes know each other by port
		if [ -n "$known" ] && [ -f "$dir/joined" ] &&
		    [ "$1" != "$coord_port" ]; then
			die "$dir is a cluster on ports $coord_port," \
			    "$worker1_port and $worker2_port, not $1"
		fi
		coord_port=$1
		worker1_port=$(($1 + 1))
		worker2_port=$(($1 + 2))
	elif [ -z "$known" ]; then
		coord_port=$(free_port)
		worker1_port=$(free_port "$coord_port")
		worker2_port=$(free_port "$coord_port" "$worker1_port")
	fi
	mkdir -p "$dir"
	# the servers' user must reach DIR/coord and the others
	chmod 755 "$dir"
	printf 'coord=%s\nworker1=%s\nworker2=%s\n' "$coord_port" \
	    "$worker1_port" "$worker2_port" >"$dir/citus.conf"
	start_nodes
	[ -f "$dir/joined" ] || join_nodes
	"$pg_rig" conninfo "$dir/coord"
}

cmd_status() {
	for n in $NODES; do
		"$pg_rig" status "$dir/$n" || exit 3
	done
}

cmd_destroy() {
	[ -e "$dir" ] || return 0
	st=0
	for n in $NODES; do
		"$pg_rig" destroy "$dir/$n" || st=1
	done
	[ $st -eq 0 ] || die "could not stop every server; $dir stays"
	rm -rf "$dir"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
if [ "$cmd" != build ]; then
	[ $# -ge 1 ] || usage
	dir=$1
	shift
	[ -n "$dir" ] || usage
	case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
	dir=$(printf '%s' "$dir" | sed 's|//*|/|g; s|\(.\)/$|\1|')
fi

case "$cmd" in
build)
	[ $# -eq 0 ] || usage
	cmd_build ;;
start)
	[ $# -le 1 ] || usage
	cmd_start "${1:-}" ;;
stop)
	[ $# -eq 0 ] || usage
	stop_nodes ;;
destroy)
	[ $# -eq 0 ] || usage
	cmd_destroy ;;
conninfo)
	[ $# -eq 0 ] || usage
	"$pg_rig" conninfo "$dir/coord" ;;
status)
	[ $# -eq 0 ] || usage
	cmd_status ;;
*)
	usage ;;
esac
