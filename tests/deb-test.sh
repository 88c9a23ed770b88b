#!/usr/bin/env bash
# make check-deb: the Debian package end to end, as root on a test machine
# (it installs and purges the package, and leaves the system user
# dmarcctl behind, as the package does).
#
#  1. builds build/deb/dmarcctl_<VERSION>_<arch>.deb (scripts/deb.sh)
#  2. apt-get install ./build/deb/...: the binary says VERSION, the manual
#     page and the completion are found, the system user and group exist,
#     /etc/dmarcctl is root:dmarcctl 750, no unit is enabled
#  3. the README's server set-up, command by command (each is looked up in
#     README.md first), against a throwaway PostgreSQL (scripts/pg-rig.sh)
#     that listens in /run/postgresql as Debian's own cluster does, on a
#     port of 25500-25599 given as PGPORT: createuser, createdb -O, the
#     pg_hba.conf peer line, db migrate as the dmarcctl user
#  4. the ExecStart of the installed dmarcctl-fetch.service, as its User=:
#     without [imap] it must fail (an admin wants the unit marked failed,
#     not a silent success); with a mailbox on a throwaway Dovecot
#     (scripts/imap-rig.sh) holding one report it stores it and exits 0
#  5. apt-get purge: no file of the package, no /etc/dmarcctl and no unit
#     symlink (one enabled before) is left; the user dmarcctl stays
#     (Debian keeps system users: `deluser --system dmarcctl`)
#  6. the throwaway servers are destroyed (also when a step fails)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

step() {
	echo "== deb-test: $*"
}

fail() {
	echo "deb-test: FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "run it as root: it installs and purges the package"
st=$(dpkg-query -W -f='${Status}' dmarcctl 2>/dev/null || true)
case "$st" in
'' | *not-installed*) ;;
*) fail "dmarcctl is installed already ($st): purge it first" ;;
esac

version=$(tr -d ' \n' <VERSION)
arch=$(dpkg --print-architecture)
deb=build/deb/dmarcctl_${version}_$arch.deb
unit=/lib/systemd/system/dmarcctl-fetch.service
tmp=$(mktemp -d /tmp/dmarcctl-deb-test.XXXXXX)
chmod 755 "$tmp"
pg=$tmp/pg
imap=$tmp/imap
sockdir=/run/postgresql
installed=

cleanup() {
	rc=$?
	set +e
	scripts/imap-rig.sh destroy "$imap" >/dev/null 2>&1
	scripts/pg-rig.sh destroy "$pg" >/dev/null 2>&1 ||
	    echo "deb-test: cannot destroy the cluster in $pg" >&2
	if [ -n "$installed" ] &&
	    dpkg-query -W -f='${Status}' dmarcctl 2>/dev/null | grep -q ' installed'
	then
		apt-get purge -y -q dmarcctl >/dev/null 2>&1
	fi
	rm -rf "$tmp"
	if [ $rc = 0 ]; then
		echo "== deb-test: OK"
	else
		echo "== deb-test: FAILED (exit $rc)" >&2
	fi
}
trap cleanup EXIT

# quiet when it works, its output when it does not
quiet() {
	if ! "$@" >"$tmp/out" 2>&1; then
		sed 's/^/  | /' "$tmp/out" >&2
		fail "$*"
	fi
}

step "build $deb"
WERROR=${WERROR:-} scripts/deb.sh

step "apt-get install -y ./$deb"
installed=1
quiet apt-get install -y -q "./$deb"
[ "$(command -v dmarcctl)" = /usr/bin/dmarcctl ] ||
    fail "dmarcctl on PATH is $(command -v dmarcctl), not /usr/bin/dmarcctl"

step "dmarcctl --version says $version"
v=$(dmarcctl --version)
[ "$v" = "dmarcctl $version" ] || fail "dmarcctl --version: '$v'"

step "man -w dmarcctl; the page renders; the completion is installed"
m=$(man -w dmarcctl) || fail "man -w dmarcctl finds no page (does" \
    "/etc/dpkg/dpkg.cfg.d exclude /usr/share/man?)"
[ "$m" = /usr/share/man/man1/dmarcctl.1.gz ] || fail "man -w dmarcctl: $m"
MANWIDTH=80 man dmarcctl >"$tmp/man" 2>/dev/null || fail "man dmarcctl failed"
grep -q 'db migrate' "$tmp/man" || fail "man dmarcctl does not show 'db migrate'"
[ -f /usr/share/bash-completion/completions/dmarcctl ] ||
    fail "no bash completion"
[ -f /usr/share/doc/dmarcctl/examples/dmarcctl.conf.example ] ||
    fail "no config example in /usr/share/doc/dmarcctl/examples"
[ -f /usr/share/dmarcctl/sql/001_core.sql ] || fail "no migrations"

step "the system user and group dmarcctl, /etc/dmarcctl root:dmarcctl 750"
id dmarcctl
getent group dmarcctl >/dev/null || fail "no group dmarcctl"
[ "$(id -u dmarcctl)" -lt 1000 ] || fail "dmarcctl is no system user"
[ "$(stat -c '%U:%G %a' /etc/dmarcctl)" = "root:dmarcctl 750" ] ||
    fail "/etc/dmarcctl is $(stat -c '%U:%G %a' /etc/dmarcctl)"

step "the units are installed, none enabled"
for u in dmarcctl-fetch.service dmarcctl-fetch.timer dmarcctl-watch.service; do
	[ -f "/lib/systemd/system/$u" ] || fail "no /lib/systemd/system/$u"
done
links=$(find /etc/systemd/system -name 'dmarcctl*' 2>/dev/null || true)
[ -z "$links" ] || fail "enabled on install: $links"

# A port of our range with no socket in /run/postgresql yet.
port=
for p in $(seq 25500 25599); do
	if [ ! -e "$sockdir/.s.PGSQL.$p" ]; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "no free port in 25500-25599 in $sockdir"
step "a throwaway PostgreSQL listening in $sockdir, port $port (pg-rig.sh)"
PG_RIG_SOCKDIR=$sockdir scripts/pg-rig.sh start "$pg" "$port"

# The README's commands, run as written.  sudo -u USER becomes runuser
# (sudo may be missing here), with the port of the throwaway cluster.
sudo() {
	[ "$1" = -u ] || fail "sudo: only 'sudo -u USER COMMAND' is understood"
	local u=$2
	shift 2
	runuser -u "$u" -- env PGPORT="$port" "$@"
}
readme() {
	grep -qF -- "$1" README.md || fail "README.md no longer says: $1"
	step "$1"
	eval "$1"
}
readme 'sudo -u postgres createuser dmarcctl'
readme 'sudo -u postgres createdb -O dmarcctl dmarc'
hba='local   dmarc   dmarcctl   peer'
grep -qF -- "$hba" README.md || fail "README.md no longer says: $hba"
step "pg_hba.conf, first: $hba; reload"
sed -i "1i $hba" "$pg/data/pg_hba.conf"
quiet runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pg/data" reload
sleep 1
readme "sudo -u dmarcctl dmarcctl --db 'host=/run/postgresql dbname=dmarc' db migrate"
step "db status as dmarcctl: every migration applied"
sudo -u dmarcctl dmarcctl --db 'host=/run/postgresql dbname=dmarc' db status |
    tee "$tmp/status"
grep -q 'mode: single node' "$tmp/status" || fail "db status: no mode line"
step "peer authentication holds: root may not log in as dmarcctl"
if PGPORT=$port dmarcctl --db 'host=/run/postgresql dbname=dmarc user=dmarcctl' \
    db status >/dev/null 2>"$tmp/err"; then
	fail "root logged in as dmarcctl: the peer line is not in force"
fi
grep -qi 'peer authentication failed' "$tmp/err" || fail "not refused by peer authentication: $(cat "$tmp/err")"

# the service's command line and user, read from the installed unit that
# the timer starts (a timer without Unit= starts the service of its name)
timer_unit=$(sed -n 's/^Unit=//p' /lib/systemd/system/dmarcctl-fetch.timer)
[ -z "$timer_unit" ] || [ "$timer_unit" = dmarcctl-fetch.service ] ||
    fail "dmarcctl-fetch.timer starts $timer_unit, not $unit"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
unit_user=$(sed -n 's/^User=//p' "$unit")
ok_status=$(sed -n 's/^SuccessExitStatus=//p' "$unit")
if [ -z "$exec_start" ] || [ -z "$unit_user" ]; then
	fail "no ExecStart or User in $unit"
fi
case "$exec_start" in
/usr/bin/dmarcctl\ *) ;;
*) fail "ExecStart of $unit names no /usr/bin/dmarcctl: $exec_start" ;;
esac
case "$exec_start" in
*[\'\"\$\\%]*) fail "ExecStart needs systemd's quoting: $exec_start" ;;
esac
service() {
	# shellcheck disable=SC2086 # the unit's words, split as systemd does
	runuser -u "$unit_user" -- $exec_start
}

step "the database in /etc/dmarcctl/dmarcctl.conf (root:dmarcctl 640), no [imap]"
install -m 640 -g dmarcctl /dev/null /etc/dmarcctl/dmarcctl.conf
printf 'database = host=/run/postgresql port=%s dbname=dmarc\n' "$port" \
    >/etc/dmarcctl/dmarcctl.conf
step "ExecStart as $unit_user: $exec_start (must fail: no mailbox is configured)"
set +e
service 2>"$tmp/err"
rc=$?
set -e
sed 's/^/  | /' "$tmp/err"
echo "  exit $rc (SuccessExitStatus: 0 $ok_status)"
for s in 0 $ok_status; do
	[ "$rc" != "$s" ] || fail "exit $rc: systemd would count it a success"
done
grep -q 'imap' "$tmp/err" || fail "the message does not name [imap]"

step "a reports mailbox with one report on a throwaway Dovecot (imap-rig.sh)"
iport=$(scripts/free-port.sh)
itls=$(scripts/free-port.sh)
quiet scripts/imap-rig.sh start "$imap" "$iport" "$itls"
box=$(scripts/imap-rig.sh maildir "$imap" reports@example.test)
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp tests/fixtures/corpus/email/google_zip-attachment-utm-footer-no-final-newline.eml \
    "$box/new/1.eml"
chown -R nobody: "$imap/mail"
install -m 640 -g dmarcctl "$imap/cert.pem" /etc/dmarcctl/ca.pem
install -m 600 -o dmarcctl /dev/null /etc/dmarcctl/imap.pass
echo secret >/etc/dmarcctl/imap.pass
printf '\n[imap]\nhost = localhost\nport = %s\ntls = implicit\nuser = %s\npassword_file = /etc/dmarcctl/imap.pass\nca_file = /etc/dmarcctl/ca.pem\n' \
    "$itls" reports@example.test >>/etc/dmarcctl/dmarcctl.conf
step "ExecStart as $unit_user: $exec_start (must store the report, exit 0)"
service
n=$(sudo -u dmarcctl psql -X -At -h /run/postgresql -d dmarc \
    -c 'SELECT count(*) FROM reports')
[ "$n" = 1 ] || fail "$n reports stored, not 1"
echo "  1 report stored"

step "an admin enables the timer: systemctl enable dmarcctl-fetch.timer"
if command -v systemctl >/dev/null; then
	quiet systemctl enable dmarcctl-fetch.timer
else
	# no systemd here: the link it would make
	mkdir -p /etc/systemd/system/timers.target.wants
	ln -s /lib/systemd/system/dmarcctl-fetch.timer \
	    /etc/systemd/system/timers.target.wants/
fi
[ -L /etc/systemd/system/timers.target.wants/dmarcctl-fetch.timer ] ||
    fail "the timer was not enabled"

step "apt-get purge -y dmarcctl"
dpkg -L dmarcctl >"$tmp/files"
quiet apt-get purge -y -q dmarcctl
installed=
if dpkg -L dmarcctl >/dev/null 2>&1; then
	fail "dpkg -L dmarcctl still lists files"
fi
left=
while read -r f; do
	if [ -e "$f" ] && [ ! -d "$f" ]; then
		left="$left $f"
	fi
done <"$tmp/files"
[ -z "$left" ] || fail "left by purge:$left"
for d in /etc/dmarcctl /usr/share/dmarcctl /usr/share/doc/dmarcctl; do
	[ ! -e "$d" ] || fail "left by purge: $d"
done
links=$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
    -name '*dmarcctl*' 2>/dev/null || true)
[ -z "$links" ] || fail "unit state left by purge: $links"
id dmarcctl >/dev/null || fail "the user dmarcctl went with the package"
echo "  nothing left; the system user dmarcctl stays (Debian keeps system" \
    "users; deluser --system dmarcctl removes it)"

step "destroy the throwaway servers"
scripts/imap-rig.sh destroy "$imap"
scripts/pg-rig.sh destroy "$pg"
