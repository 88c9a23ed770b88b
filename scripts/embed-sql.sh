#!/bin/sh
# embed-sql.sh OUT.c sql/NNN_name.sql...: the migrations as C strings, so
# the binary carries its schema and `dmarcctl db migrate` needs no files.
set -eu
out=$1
shift
{
	echo '/* generated from sql/ by scripts/embed-sql.sh: do not edit */'
	echo '#include "store/migrations.h"'
	echo
	echo 'const struct migration migrations[] = {'
	for f in "$@"; do
		base=$(basename "$f" .sql)
		ver=${base%%_*}
		name=${base#*_}
		ver=$(echo "$ver" | sed "s/^0*//")
		printf '\t{ %d, "%s",\n' "${ver:-0}" "$name"
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' \
		    -e 's/^/\t    "/' -e 's/$/\\n"/' "$f"
		printf '\t},\n'
	done
	echo '};'
	echo 'const size_t n_migrations = sizeof(migrations) / sizeof(migrations[0]);'
} >"$out.tmp"
mv "$out.tmp" "$out"
