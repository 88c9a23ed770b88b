#!/usr/bin/env bash
# A private Dovecot IMAP server in a directory, for the tests and the bench.
#
#   imap-rig.sh start DIR PORT TLSPORT   STARTTLS on 127.0.0.1:PORT, implicit
#                                        TLS on 127.0.0.1:TLSPORT; prints
#                                        "ca_file=DIR/cert.pem"
#   imap-rig.sh stop DIR                 stop it (the mail stays)
#   imap-rig.sh kill DIR                 crash it: SIGKILL to the server and
#                                        every process it runs (connections
#                                        drop at once; the mail stays)
#   imap-rig.sh destroy DIR              stop it and remove DIR
#   imap-rig.sh maildir DIR USER         print USER's Maildir path
#
# Any user name logs in with the password "secret" (a static passdb), each
# with a Maildir of its own under DIR/mail, so parallel tests never share a
# mailbox.  The certificate is self-signed for localhost and 127.0.0.1 and
# is its own CA file.  Nothing is read from /etc/dovecot and nothing is
# written outside DIR.  As root the mail processes run as nobody; a
# non-root caller runs everything as itself.
#
# IMAP_RIG_CAPS, when set, replaces the capabilities the server announces
# (e.g. without MOVE, to exercise a client's fallback).
set -eu

die() {
	echo "imap-rig: $*" >&2
	exit 1
}

usage() {
	echo "usage: imap-rig.sh start DIR PORT TLSPORT | stop DIR |" \
	    "kill DIR | destroy DIR | maildir DIR USER" >&2
	exit 64
}

is_root() {
	[ "$(id -u)" = 0 ]
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait until the process is gone (a zombie counts as gone)
wait_gone() {
	for _ in $(seq 200); do
		st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

write_conf() {
	dir=$1 port=$2 tlsport=$3
	if is_root; then
		mailuid=nobody mailgid=nogroup
		users="default_internal_user = dovecot
default_login_user = dovenull"
		chroot=""
	else
		mailuid=$(id -un) mailgid=$(id -gn)
		users="default_internal_user = $mailuid
default_login_user = $mailuid
default_internal_group = $mailgid"
		chroot="service anvil {
  chroot =
}"
	fi
	caps=""
	[ -z "${IMAP_RIG_CAPS:-}" ] || caps="imap_capability = $IMAP_RIG_CAPS"
	cat >"$dir/dovecot.conf" <<EOF
protocols = imap
$caps
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = dmarcctl-imap-rig-$port
log_path = $dir/dovecot.log
$users
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=$mailuid gid=$mailgid home=$dir/mail/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
$chroot
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tlsport
    ssl = yes
  }
}
EOF
}

start() {
	dir=$1 port=$2 tlsport=$3
	mkdir -p "$dir/run" "$dir/state" "$dir/mail"
	chmod 755 "$dir"
	if [ ! -f "$dir/cert.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -days 3650 -subj "/CN=localhost" \
		    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null ||
		    die "cannot create the test certificate"
	fi
	write_conf "$dir" "$port" "$tlsport"
	if is_root; then
		chown nobody:nogroup "$dir/mail"
	fi
	# a restart on the same DIR: the old master must be gone
	if [ -f "$dir/dovecot.pid" ]; then
		wait_gone "$(cat "$dir/dovecot.pid")" || die "an old server still runs in $dir"
	fi
	dovecot -F -c "$dir/dovecot.conf" >>"$dir/dovecot.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/dovecot.pid"
	for _ in $(seq 200); do
		if port_open "$port" && port_open "$tlsport"; then
			echo "ca_file=$dir/cert.pem"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	tail -5 "$dir/dovecot.log" >&2 || true
	die "dovecot did not start (log: $dir/dovecot.log)"
}

stop() {
	dir=$1
	[ -f "$dir/dovecot.pid" ] || return 0
	pid=$(cat "$dir/dovecot.pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
	rm -f "$dir/dovecot.pid"
}

crash() {
	dir=$1
	[ -f "$dir/dovecot.pid" ] || return 0
	pid=$(cat "$dir/dovecot.pid")
	kill -STOP "$pid" 2>/dev/null || true	# no respawns meanwhile
	pkill -KILL -P "$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
	wait_gone "$pid" || true
	rm -f "$dir/dovecot.pid" "$dir/run/master.pid"
	# what the dead held: a restarted server would wait minutes for them
	find "$dir/mail" -name '*.lock' -delete 2>/dev/null || true
}

[ $# -ge 2 ] || usage
cmd=$1 dir=$2
case "$cmd" in
start)
	[ $# -eq 4 ] || usage
	start "$dir" "$3" "$4" ;;
stop)
	stop "$dir" ;;
kill)
	crash "$dir" ;;
destroy)
	stop "$dir"
	rm -rf "$dir" ;;
maildir)
	[ $# -eq 3 ] || usage
	echo "$dir/mail/$3/Maildir" ;;
*)
	usage ;;
esac
