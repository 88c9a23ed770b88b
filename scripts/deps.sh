#!/bin/sh
# Install the Debian packages dmarcctl needs to build, test and benchmark,
# when they are missing. As root it runs apt-get; otherwise it prints the
# exact command to run.  With --check it installs nothing: it says what is
# missing and fails (make check runs it so).
#
#   deps.sh [--check]          what dmarcctl needs
#   deps.sh [--check] citus    what building Citus for the scale-out tests
#                              needs (scripts/citus-rig.sh build runs it)
#   deps.sh [--check] deb      what dmarcctl needs plus the tools of the
#                              Debian package (make deb, make check-deb)
#
# apt's output goes to a log, shown whole when apt fails.
set -eu

check=
set_name=
for a in "$@"; do
	case "$a" in
	--check) check=1 ;;
	citus | deb) set_name=$a ;;
	*)
		echo "usage: deps.sh [--check] [citus | deb]" >&2
		exit 64 ;;
	esac
done

PKGS="build-essential pkg-config libxml2-dev zlib1g-dev libzip-dev \
libjansson-dev libpq-dev libetpan-dev libgnutls28-dev nettle-dev \
libcriterion-dev \
libxml2-utils clang libclang-rt-14-dev postgresql-15 postgresql-client-15 \
dovecot-core dovecot-imapd openssl libdpkg-perl libc-ares-dev libpsl-dev \
publicsuffix dnsmasq-base man-db groff-base libidn2-dev \
libcurl4-gnutls-dev nginx"
# Citus's own configure would want libcurl4-openssl-dev: it is left out
# (Citus is built --without-libcurl), because it replaces
# libcurl4-gnutls-dev and removes libetpan-dev with it.  No package pulls in
# libkrb5-dev, yet PostgreSQL's server headers include gssapi/gssapi.h.
if [ "$set_name" = citus ]; then
	PKGS="build-essential postgresql-15 postgresql-server-dev-15 \
libkrb5-dev liblz4-dev libzstd-dev"
fi
# the package's build and check: debhelper (with dpkg-dev), lintian, and
# adduser, which the package's postinst calls
if [ "$set_name" = deb ]; then
	PKGS="$PKGS debhelper lintian adduser"
fi
make_hint="run 'make deps' first (as root it installs them)"
[ -z "$set_name" ] ||
    make_hint="run 'scripts/deps.sh $set_name' first (as root it installs them)"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ -n "$check" ]; then
	echo "dmarcctl: missing packages:$missing" >&2
	echo "dmarcctl: $make_hint" >&2
	exit 1
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "dmarcctl: missing packages:$missing" >&2
	echo "dmarcctl: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "dmarcctl: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/dmarcctl-deps.XXXXXX)
policy=
cleanup() {
	rm -f "$log"
	[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
}
trap cleanup EXIT
# policy-rc.d keeps the packaged servers from starting: the tests run their own
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	policy=1
fi
# quiet when it works; apt's own words when it does not
apt_get() {
	if ! apt-get "$@" >"$log" 2>&1; then
		sed 's/^/  | /' "$log" >&2
		echo "dmarcctl: apt-get $1 failed (its output is above)" >&2
		exit 1
	fi
}
apt_get update
apt_get install -y --no-install-recommends$missing
