#!/bin/sh
# make deb: the Debian package, built with Debian's own tools
# (dpkg-buildpackage, debhelper) from a copy of the source tree in
# build/deb/src, so that nothing of the build lands in the tree or beside
# it.  debian/changelog is written there from VERSION, the one place the
# version is kept.  The results (the .deb, its debug symbols, .buildinfo,
# .changes and the build log) go to build/deb/; lintian checks the .deb
# and any error fails the build.
#
# Environment: WERROR=1 builds with -Werror; LINTIAN=0 skips lintian.
set -eu
cd "$(dirname "$0")/.."

die() {
	echo "deb: $*" >&2
	exit 1
}

for t in dpkg-buildpackage dh; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t is missing: run 'scripts/deps.sh deb' first (as root it installs it)"
done

version=$(tr -d ' \n' <VERSION)
case "$version" in
'' | *[!0-9A-Za-z.+~-]*) die "VERSION holds no Debian version: '$version'" ;;
esac
arch=$(dpkg --print-architecture)
out=build/deb
src=$out/src/dmarcctl-$version

rm -rf "$out"
mkdir -p "$src"
echo "deb: copying the source tree to $src"
tar -cf - --exclude=./build --exclude=./.demo --exclude=./.git \
    --exclude=./dmarcctl --exclude=./vendor . | tar -C "$src" -xf -

# the changelog of this version, dated by the last commit when there is one
maint=$(sed -n 's/^Maintainer: //p' debian/control)
date=$(git log -1 --format=%cD 2>/dev/null || true)
[ -n "$date" ] || date=$(date -R)
cat >"$src/debian/changelog" <<END
dmarcctl ($version) unstable; urgency=medium

  * dmarcctl $version (the version of the file VERSION).

 -- $maint  $date
END

echo "deb: dpkg-buildpackage -us -uc -b (log: $out/build.log)"
# nothing of an outer make (its job server, its variables) leaks in
if ! (cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
    WERROR="${WERROR:-}" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1
then
	tail -n 60 "$out/build.log" >&2
	die "dpkg-buildpackage failed: the whole log is $out/build.log"
fi
for f in "$out"/src/*; do
	[ -d "$f" ] || mv "$f" "$out/"
done
rm -rf "$out/src"

deb=$out/dmarcctl_${version}_$arch.deb
[ -f "$deb" ] || die "no $deb after the build"
if [ "${LINTIAN:-1}" != 0 ]; then
	echo "deb: lintian $deb"
	lintian --fail-on error "$deb" || die "lintian found errors in $deb"
fi
echo "deb: built $deb"
