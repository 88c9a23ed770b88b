#!/bin/sh
# The demo's own PostgreSQL cluster: data under .demo/pg, kept between runs.
#
#   demo-db.sh start      start it (created on first use; a no-op when it
#                         runs) and print its conninfo
#   demo-db.sh stop       stop it (make demo-stop); the data stays
#   demo-db.sh conninfo   print its conninfo
#   demo-db.sh destroy    stop it and delete .demo/pg
#
# It listens on a unix socket only, in .demo/pg, or in /tmp/dmarcctl-demo-UID
# when that path would pass the 107-byte limit of a socket path.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
rig=$root/scripts/pg-rig.sh
dir=$root/.demo/pg

die() {
	echo "demo-db: $*" >&2
	exit 1
}

# One port per checkout, so that two checkouts sharing the /tmp socket
# directory do not collide; the cluster remembers it (rig.conf).
port=$(($(printf '%s' "$root" | cksum | cut -d ' ' -f 1) % 40000 + 20000))

sockdir() {
	sock="$dir/.s.PGSQL.$port"
	if [ ${#sock} -le 107 ]; then
		echo "$dir"
		return
	fi
	s=/tmp/dmarcctl-demo-$(id -u)
	if [ -L "$s" ] || { [ -e "$s" ] && [ ! -d "$s" ]; }; then
		die "$s is not a directory"
	fi
	mkdir -p "$s"
	# ours, or the server's once pg-rig.sh has handed it over
	case "$(stat -c %u "$s")" in
	"$(id -u)" | "$(id -u "${PG_RIG_USER:-postgres}" 2>/dev/null)") ;;
	*) die "$s belongs to someone else" ;;
	esac
	echo "$s"
}

case "${1:-}" in
start)
	if [ ! -d "$root/.demo" ]; then
		mkdir -p "$root/.demo"
		chmod 755 "$root/.demo"	# the server may run as postgres
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		echo "demo-db: creating a PostgreSQL cluster in .demo/pg" >&2
	elif ! "$rig" status "$dir"; then
		echo "demo-db: starting the PostgreSQL cluster in .demo/pg" >&2
	fi
	PG_RIG_SOCKDIR=$(sockdir) || exit 1
	export PG_RIG_SOCKDIR
	"$rig" start "$dir" "$port" ;;
stop)
	if "$rig" status "$dir"; then
		"$rig" stop "$dir"
		echo "demo-db: stopped the demo database (data kept in .demo/pg)" >&2
	else
		echo "demo-db: the demo database is not running" >&2
	fi ;;
conninfo)
	"$rig" conninfo "$dir" ;;
destroy)
	"$rig" destroy "$dir"
	rmdir "/tmp/dmarcctl-demo-$(id -u)" 2>/dev/null || true
	echo "demo-db: removed .demo/pg" >&2 ;;
*)
	echo "usage: demo-db.sh start | stop | conninfo | destroy" >&2
	exit 64 ;;
esac
