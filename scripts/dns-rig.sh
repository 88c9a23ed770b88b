#!/usr/bin/env bash
# A private DNS server on loopback for the reverse DNS tests: dnsmasq
# answering from a hosts file only.
#
#   dns-rig.sh start DIR PORT HOSTSFILE [RECORDS]
#                                         start dnsmasq on 127.0.0.1:PORT,
#                                         return once it answers queries
#   dns-rig.sh stop DIR                   stop it and wait until it is gone
#
# Every "IP name..." line of HOSTSFILE gives an A/AAAA record and the PTR
# record of IP (the first name), with a TTL of 600 seconds.  Each line of
# RECORDS (optional; read as dnsmasq's configuration file: # comments
# and blank lines skipped) is a dnsmasq option without its dashes, such
# as
#   txt-record=_dmarc.good.example,"v=DMARC1; p=none"
#   mx-host=good.example,mx.good.example,10
# (a TXT record longer than 255 octets is written as several quoted
# strings: txt-record=name,"first part","second part").  The reverse
# zones in-addr.arpa and ip6.arpa and the names under example. are local:
# an address or an example name without a line is NXDOMAIN.  Nothing is forwarded, /etc/dnsmasq.conf, /etc/hosts and
# /etc/resolv.conf are not read, and the system resolver is never touched.
#
# DIR (created if missing) holds dnsmasq.pid and dnsmasq.log (every query
# is logged).  Choosing a free port is the caller's job.  Run by root,
# dnsmasq stays root: the hosts file usually lives in the caller's private
# temporary directory, which nobody could not read.
#
# Environment:
#   DNS_RIG_OWNER   a process id: dnsmasq stops by itself once that process
#                   has ended, so a test that crashes before its stop
#                   leaves no server behind
set -eu

die() {
	echo "dns-rig: $*" >&2
	exit 1
}

usage() {
	echo "usage: dns-rig.sh start DIR PORT HOSTSFILE [RECORDS] | stop DIR" >&2
	exit 64
}

log_tail() {
	if [ -s "$dir/dnsmasq.log" ]; then
		echo "dns-rig: last lines of $dir/dnsmasq.log:" >&2
		tail -n 20 "$dir/dnsmasq.log" | sed 's/^/  | /' >&2
	fi
}

# True when process $1 runs (a zombie has ended: it holds no port).
is_alive() {
	local state
	state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ "$state" != Z ]
}

# The pid in DIR/dnsmasq.pid when that process is a running dnsmasq.
running_pid() {
	local pid
	pid=$(cat "$dir/dnsmasq.pid" 2>/dev/null) || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dnsmasq ] || return 1
	is_alive "$pid" || return 1
	printf '%s\n' "$pid"
}

# dnsmasq in the foreground, as the child of a shell that waits for it:
# its pid cannot go to another process before that shell has reaped it,
# so the watch on DNS_RIG_OWNER never signals a stranger.
supervise() {
	local child
	dnsmasq --keep-in-foreground --conf-file="${records_file:-/dev/null}" \
	    --listen-address=127.0.0.1 --bind-interfaces --port="$port" \
	    --no-resolv --no-hosts --addn-hosts="$hosts" \
	    --local=/in-addr.arpa/ --local=/ip6.arpa/ --local=/example/ \
	    --local-ttl=600 \
	    --pid-file= --log-facility=- --log-queries "${user[@]}" \
	    </dev/null >"$dir/dnsmasq.log" 2>&1 &
	child=$!
	printf '%s\n' "$child" >"$dir/dnsmasq.pid.new"
	mv "$dir/dnsmasq.pid.new" "$dir/dnsmasq.pid"
	if [ -n "$owner" ]; then
		while is_alive "$child" && is_alive "$owner"; do
			sleep 0.5
		done
		kill -TERM "$child" 2>/dev/null || true
	fi
	wait "$child" || true
}

# One real query (version.bind CH TXT, id "AB"): true when an answer with
# that id comes back within a second.  A single write keeps the query in
# one datagram; head reads the whole reply datagram at once.
answers() {
	local reply
	reply=$( (exec 3<>"/dev/udp/127.0.0.1/$port" &&
	    cat "$dir/probe.bin" >&3 &&
	    timeout 1 head -c 2 <&3) 2>/dev/null) || return 1
	[ "$reply" = AB ]
}

cmd_start() {
	local pid i
	case "$port" in
	'' | *[!0-9]* | 0*) die "bad port: $port" ;;
	esac
	if [ ${#port} -gt 5 ] || [ "$port" -gt 65535 ]; then
		die "bad port: $port"
	fi
	[ -r "$hosts" ] || die "cannot read hosts file $hosts"
	command -v dnsmasq >/dev/null 2>&1 ||
	    PATH=$PATH:/usr/sbin:/sbin
	command -v dnsmasq >/dev/null 2>&1 ||
	    die "no dnsmasq (make deps installs dnsmasq-base)"
	mkdir -p "$dir"
	if pid=$(running_pid); then
		die "dnsmasq $pid already runs for $dir"
	fi
	case "$hosts" in /*) ;; *) hosts=$PWD/$hosts ;; esac
	case "$records_file" in '' | /*) ;; *) records_file=$PWD/$records_file ;; esac
	if [ -n "$records_file" ] && [ ! -r "$records_file" ]; then
		die "cannot read records file $records_file"
	fi
	user=()
	if [ "$(id -u)" = 0 ]; then
		user=(--user=root --group=root)
	fi
	# header: id "AB", recursion desired, one question; then the question
	printf '\x41\x42\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00%b' \
	    '\x07version\x04bind\x00\x00\x10\x00\x03' >"$dir/probe.bin"
	rm -f "$dir/dnsmasq.pid"

	supervise </dev/null >/dev/null 2>&1 &
	i=0
	until pid=$(cat "$dir/dnsmasq.pid" 2>/dev/null); do
		i=$((i + 1))
		[ $i -lt 50 ] || die "dnsmasq did not start"
		sleep 0.1
	done
	i=0
	until answers; do
		if ! is_alive "$pid"; then
			log_tail
			die "dnsmasq did not start on 127.0.0.1:$port"
		fi
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			kill -KILL "$pid" 2>/dev/null || true
			log_tail
			die "dnsmasq on 127.0.0.1:$port does not answer"
		fi
		sleep 0.1
	done
	rm -f "$dir/probe.bin"
}

cmd_stop() {
	local pid i
	pid=$(running_pid) || {
		rm -f "$dir/dnsmasq.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while running_pid >/dev/null; do
		i=$((i + 1))
		if [ $i -eq 50 ]; then
			echo "dns-rig: dnsmasq $pid ignores TERM: KILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		elif [ $i -ge 100 ]; then
			die "dnsmasq $pid of $dir is still running"
		fi
		sleep 0.1
	done
	rm -f "$dir/dnsmasq.pid"
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
[ -n "$dir" ] || usage
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
owner=${DNS_RIG_OWNER:-}
case "$owner" in
*[!0-9]*) die "bad DNS_RIG_OWNER: $owner" ;;
esac

case "$cmd" in
start)
	[ $# -eq 2 ] || [ $# -eq 3 ] || usage
	port=$1
	hosts=$2
	records_file=${3:-}
	cmd_start ;;
stop)
	[ $# -eq 0 ] || usage
	cmd_stop ;;
*)
	usage ;;
esac
