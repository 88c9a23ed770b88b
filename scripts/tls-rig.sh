#!/usr/bin/env bash
# Private TLS servers on loopback for the HTTPS and SMTP probe tests: a
# test CA with its certificates, nginx serving MTA-STS policy files, and a
# small SMTP server with STARTTLS.
#
#   tls-rig.sh certs DIR [NAME...]        make a test CA and certificates
#   tls-rig.sh https start DIR PORT CONF  nginx on 127.0.0.1:PORT, return
#                                         once it accepts connections
#   tls-rig.sh https stop DIR             stop it and wait until it is gone
#   tls-rig.sh smtp start DIR [ADDR:]PORT CERT KEY [no-starttls]
#                                         the SMTP server on ADDR:PORT
#                                         (ADDR a loopback address,
#                                         default 127.0.0.1)
#   tls-rig.sh smtp stop DIR              stop it and wait until it is gone
#
# certs writes into DIR (created if missing), with openssl, P-256 keys:
#   ca.pem ca.key            the test CA (the ca_file of the tests)
#   good.pem good.key        valid now for 825 days, for every NAME (SAN
#                            dNSNames; default mx.good.example and
#                            mta-sts.good.example)
#   expired.pem expired.key  the same names, valid in 2020 only
#   wrong.pem wrong.key      valid now, but for wrong-host.example only
#   self.pem self.key        valid now for the names, self-signed (no CA)
# An existing ca.pem is kept, so certs can run again for more names.
#
# CONF for https holds one server per line ("#" starts a comment):
#   HOST CERT KEY KIND [ARG]
# picked by SNI and Host; the first line is also the default server.  KIND
# says what GET /.well-known/mta-sts.txt (and any other path) answers:
#   policy FILE    200, FILE as text/plain
#   html           200, an HTML page as text/html
#   large          200, 100000 bytes of text/plain
#   redirect URL   301 to URL
#   notfound       404
#
# DIR (created if missing) holds nginx.conf, nginx.pid, nginx.log (errors
# and requests), smtp.pid and smtp.log; https and smtp may share it.
# Choosing free ports is the caller's job.  Nothing is read from
# /etc/nginx and nothing is written outside DIR.  Run by root, nginx
# stays root (DIR is usually the caller's private temporary directory).
#
# Environment:
#   TLS_RIG_OWNER    a process id: the servers stop by themselves once that
#                    process has ended, so a test that crashes before its
#                    stop leaves no server behind
#   TLS_RIG_SMTP     the SMTP server binary (default build/smtp-tls-server
#                    of this tree; make builds it)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "tls-rig: $*" >&2
	exit 1
}

usage() {
	echo "usage: tls-rig.sh certs DIR [NAME...] |" \
	    "https start DIR PORT CONF | https stop DIR |" \
	    "smtp start DIR PORT CERT KEY [no-starttls] | smtp stop DIR" >&2
	exit 64
}

abs() {
	case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac
}

# True when process $1 runs (a zombie has ended: it holds no port).
is_alive() {
	local state
	state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ "$state" != Z ]
}

# The pid in DIR/$1.pid when that process is a running $2.
running_pid() {
	local pid
	pid=$(cat "$dir/$1.pid" 2>/dev/null) || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
	is_alive "$pid" || return 1
	printf '%s\n' "$pid"
}

port_open() {
	(exec 3<>"/dev/tcp/${addr:-127.0.0.1}/$1") 2>/dev/null
}

check_port() {
	case "$1" in
	'' | *[!0-9]* | 0*) die "bad port: $1" ;;
	esac
	if [ ${#1} -gt 5 ] || [ "$1" -gt 65535 ]; then
		die "bad port: $1"
	fi
}

# The server "$@" in the foreground, as the child of a shell that waits
# for it: its pid cannot go to another process before that shell has
# reaped it, so the watch on TLS_RIG_OWNER never signals a stranger.
# $name.pid gets the server's pid, $name.log its output.
supervise() {
	local child
	"$@" </dev/null >>"$dir/$name.log" 2>&1 &
	child=$!
	printf '%s\n' "$child" >"$dir/$name.pid.new"
	mv "$dir/$name.pid.new" "$dir/$name.pid"
	if [ -n "$owner" ]; then
		while is_alive "$child" && is_alive "$owner"; do
			sleep 0.5
		done
		kill -TERM "$child" 2>/dev/null || true
	fi
	wait "$child" || true
}

# Start "$@" as server $name (process name $comm) on $port.
start_server() {
	local pid i
	mkdir -p "$dir"
	if pid=$(running_pid "$name" "$comm"); then
		die "$comm $pid already runs for $dir"
	fi
	rm -f "$dir/$name.pid"
	: >"$dir/$name.log"
	supervise "$@" </dev/null >/dev/null 2>&1 &
	i=0
	until pid=$(cat "$dir/$name.pid" 2>/dev/null); do
		i=$((i + 1))
		[ $i -lt 50 ] || die "$comm did not start"
		sleep 0.1
	done
	i=0
	until port_open "$port"; do
		if ! is_alive "$pid"; then
			tail -n 20 "$dir/$name.log" | sed 's/^/  | /' >&2
			die "$comm did not start on ${addr:-127.0.0.1}:$port"
		fi
		i=$((i + 1))
		if [ $i -ge 100 ]; then
			kill -KILL "$pid" 2>/dev/null || true
			tail -n 20 "$dir/$name.log" | sed 's/^/  | /' >&2
			die "$comm on ${addr:-127.0.0.1}:$port does not accept"
		fi
		sleep 0.1
	done
}

stop_server() {
	local pid i
	pid=$(running_pid "$name" "$comm") || {
		rm -f "$dir/$name.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while running_pid "$name" "$comm" >/dev/null; do
		i=$((i + 1))
		if [ $i -eq 50 ]; then
			echo "tls-rig: $comm $pid ignores TERM: KILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		elif [ $i -ge 100 ]; then
			die "$comm $pid of $dir is still running"
		fi
		sleep 0.1
	done
	rm -f "$dir/$name.pid"
}

# Sign DIR/$1.key's request for the names after $4 with the CA, valid
# from $2 to $3 (openssl ca dates).
sign() {
	local base=$1 from=$2 to=$3 i=0 n
	shift 3
	{
		cat <<EOF
[ca]
default_ca = rig
[rig]
database = $dir/ca/index.txt
new_certs_dir = $dir/ca/new
serial = $dir/ca/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = @names
[names]
EOF
		for n in "$@"; do
			i=$((i + 1))
			printf 'DNS.%d = %s\n' "$i" "$n"
		done
	} >"$dir/ca/$base.cnf"
	openssl req -new -key "$dir/$base.key" -subj "/CN=$1" \
	    -out "$dir/ca/$base.csr" 2>/dev/null
	openssl ca -batch -notext -config "$dir/ca/$base.cnf" \
	    -extensions leaf -cert "$dir/ca.pem" -keyfile "$dir/ca.key" \
	    -startdate "$from" -enddate "$to" -in "$dir/ca/$base.csr" \
	    -out "$dir/$base.pem" >"$dir/ca/$base.log" 2>&1 ||
	    { cat "$dir/ca/$base.log" >&2; die "cannot sign $base.pem"; }
}

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$dir/$1.key" 2>/dev/null || die "cannot make $1.key"
}

cmd_certs() {
	local now until
	[ $# -gt 0 ] || set -- mx.good.example mta-sts.good.example
	for n in "$@"; do
		case "$n" in
		'' | *[!A-Za-z0-9.*-]*) die "bad name: $n" ;;
		esac
	done
	command -v openssl >/dev/null 2>&1 || die "no openssl"
	mkdir -p "$dir/ca/new"
	if [ ! -s "$dir/ca.pem" ]; then
		newkey ca
		openssl req -x509 -new -key "$dir/ca.key" -sha256 \
		    -subj "/O=dmarcctl tests/CN=dmarcctl test CA" \
		    -days 3650 -set_serial 1 \
		    -addext "basicConstraints=critical,CA:true" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" \
		    -out "$dir/ca.pem" 2>/dev/null || die "cannot make ca.pem"
		: >"$dir/ca/index.txt"
		echo 1000 >"$dir/ca/serial"
	fi
	now=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
	until=$(date -u -d '+825 days' +%Y%m%d%H%M%SZ)
	newkey good
	sign good "$now" "$until" "$@"
	newkey expired
	sign expired 20200101000000Z 20201231000000Z "$@"
	newkey wrong
	sign wrong "$now" "$until" wrong-host.example
	newkey self
	openssl req -x509 -new -key "$dir/self.key" -sha256 -days 825 \
	    -subj "/CN=$1" -addext "subjectAltName=$(printf 'DNS:%s,' "$@" |
	    sed 's/,$//')" -out "$dir/self.pem" 2>/dev/null ||
	    die "cannot make self.pem"
}

# A location that answers every path with the file $2 as type $1.
serve_file() {
	printf '\t\tlocation / {\n\t\t\tdefault_type %s;\n' "$1"
	printf '\t\t\troot %s;\n\t\t\ttry_files /%s =404;\n\t\t}\n' \
	    "$(dirname "$2")" "$(basename "$2")"
}

# nginx.conf for CONF in DIR.
https_conf() {
	local host cert key kind arg user="" first=1 default
	[ "$(id -u)" != 0 ] || user="user root root;"
	mkdir -p "$dir/tmp" "$dir/www"
	head -c 100000 /dev/zero | tr '\0' 'x' >"$dir/www/large.txt"
	printf '<!DOCTYPE html>\n<html><body><p>a web page</p></body></html>\n' \
	    >"$dir/www/page.html"
	cat <<EOF
$user
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.own.pid;
error_log $dir/nginx.log warn;
events { worker_connections 128; }
http {
	access_log $dir/nginx.log;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server_tokens off;
	types { }
	ssl_protocols TLSv1.2 TLSv1.3;
EOF
	while read -r host cert key kind arg; do
		case "$host" in '' | '#'*) continue ;; esac
		[ -n "$kind" ] || die "$conf: want HOST CERT KEY KIND [ARG]"
		default=""
		[ $first = 0 ] || default=" default_server"
		first=0
		printf '\tserver {\n\t\tlisten 127.0.0.1:%s ssl%s;\n' \
		    "$port" "$default"
		printf '\t\tserver_name %s;\n' "$host"
		printf '\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n' \
		    "$(abs "$cert")" "$(abs "$key")"
		case "$kind" in
		policy)
			[ -r "$arg" ] || die "$conf: cannot read $arg"
			serve_file text/plain "$(abs "$arg")" ;;
		html)
			serve_file text/html "$dir/www/page.html" ;;
		large)
			serve_file text/plain "$dir/www/large.txt" ;;
		redirect)
			[ -n "$arg" ] || die "$conf: redirect wants a URL"
			printf '\t\treturn 301 %s;\n' "$arg" ;;
		notfound)
			printf '\t\treturn 404;\n' ;;
		*)
			die "$conf: unknown kind $kind" ;;
		esac
		printf '\t}\n'
	done <"$conf"
	[ $first = 0 ] || die "$conf: no server"
	echo "}"
}

cmd_https_start() {
	local nginx
	check_port "$port"
	[ -r "$conf" ] || die "cannot read $conf"
	nginx=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	[ -x "$nginx" ] || die "no nginx (make deps installs it)"
	mkdir -p "$dir"
	https_conf >"$dir/nginx.conf.new"
	mv "$dir/nginx.conf.new" "$dir/nginx.conf"
	"$nginx" -t -q -e "$dir/nginx.log" -p "$dir" -c "$dir/nginx.conf" \
	    >"$dir/nginx.test" 2>&1 ||
	    { sed 's/^/  | /' "$dir/nginx.test" >&2; die "bad nginx.conf"; }
	name=nginx comm=nginx
	start_server "$nginx" -e "$dir/nginx.log" -p "$dir" \
	    -c "$dir/nginx.conf"
}

cmd_smtp_start() {
	local bin=${TLS_RIG_SMTP:-$here/build/smtp-tls-server}
	check_port "$port"
	[ -x "$bin" ] || die "no $bin (make builds it)"
	[ -r "$cert" ] && [ -r "$key" ] || die "cannot read $cert or $key"
	name=smtp comm=smtp-tls-server
	start_server "$bin" "${addr:-127.0.0.1}:$port" "$(abs "$cert")" \
	    "$(abs "$key")" "$@"
}

[ $# -ge 2 ] || usage
owner=${TLS_RIG_OWNER:-}
case "$owner" in
*[!0-9]*) die "bad TLS_RIG_OWNER: $owner" ;;
esac

case "$1 $2" in
"https start")
	[ $# -eq 5 ] || usage
	dir=$(abs "$3") port=$4 conf=$(abs "$5")
	cmd_https_start ;;
"https stop")
	[ $# -eq 3 ] || usage
	dir=$(abs "$3") name=nginx comm=nginx
	stop_server ;;
"smtp start")
	[ $# -eq 6 ] || { [ $# -eq 7 ] && [ "$7" = no-starttls ]; } || usage
	dir=$(abs "$3") port=$4 cert=$5 key=$6
	addr=
	case "$port" in
	*:*)
		addr=${port%:*} port=${port##*:}
		case "$addr" in
		127.*) ;;
		*) die "not a loopback address: $addr" ;;
		esac ;;
	esac
	shift 6
	cmd_smtp_start "$@" ;;
"smtp stop")
	[ $# -eq 3 ] || usage
	dir=$(abs "$3") name=smtp comm=smtp-tls-server
	stop_server ;;
certs\ *)
	dir=$(abs "$2")
	shift 2
	cmd_certs "$@" ;;
*)
	usage ;;
esac
