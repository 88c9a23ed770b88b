#!/bin/sh
# The layer rules, checked over #include lines: which folder may include
# which, and which files may include each outside library; and SQL text
# only in store/.  `make check`
# runs it first; a violation fails the build.  Usage: check-layers.sh [DIR]
# (the source tree, default .).
#
#   common <- model <- parsers, ingest, store, analyze, dns <- cli
#
# model/ is the floor every layer shares: the report structs and the sink
# (report.h), the canonical spellings (normalize.h), organizational domains
# and alignment.  store and analyze never include each other, analyze never
# includes parsers, and ingest hands out bytes without knowing a parser.
# dns/ asks the network what a domain publishes (DNS, HTTPS, SMTP); the
# records it reads are parsed in model/ (dnsrec), so analyze can use them.
set -eu
cd "${1:-.}"

# folder: the project folders its files may include ("folder/x.h")
FOLDERS='
common:  common
model:   common model
parsers: common model parsers
ingest:  common ingest
store:   common model store
analyze: common model analyze
dns:     common model dns
cli:     common model parsers ingest store analyze dns cli
'

# library header (a prefix of the <...> name): the files, or folders
# ending in /, that may include it
LIBRARIES='
libpq-fe.h:    store/
libpq/:        store/
libxml/:       parsers/dmarc_xml.c
jansson.h:     parsers/tlsrpt_json.c
zlib.h:        parsers/decomp.c
zip.h:         parsers/decomp.c
zipconf.h:     parsers/decomp.c
libetpan/:     ingest/source_imap.c parsers/mail.c
gnutls/:       ingest/source_imap.c dns/probe.c
curl/:         dns/https.c
nettle/:       common/sha256.c
ares.h:        analyze/rdns.c dns/resolve.c
libpsl.h:      model/orgdomain.c
idn2.h:        model/normalize.c scripts/operator-gen.c
'

dirs=$(printf '%s\n' "$FOLDERS" | sed -n 's/^\([a-z]*\):.*/\1/p')
# shellcheck disable=SC2086
files=$(find $dirs -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort)
[ -n "$files" ] || { echo "check-layers: no sources under $(pwd)" >&2; exit 1; }

# shellcheck disable=SC2086
grep -Hn '^[[:space:]]*#[[:space:]]*include' $files |
awk -v folders="$FOLDERS" -v libraries="$LIBRARIES" '
function load(text, map,    n, i, lines, k) {
	n = split(text, lines, "\n")
	for (i = 1; i <= n; i++) {
		if (lines[i] !~ /:/)
			continue
		k = lines[i]
		sub(/:.*/, "", k)
		map[k] = " " lines[i]
		sub(/^[^:]*:[ \t]*/, "", map[k])
		map[k] = " " map[k] " "
	}
}
BEGIN { load(folders, may); load(libraries, lib); bad = 0 }
{
	# path:line:#include ...
	path = $0; sub(/:.*/, "", path)
	rest = $0; sub(/^[^:]*:/, "", rest)
	line = rest; sub(/:.*/, "", line)
	inc = rest; sub(/^[^:]*:/, "", inc)
	dir = path; sub(/\/.*/, "", dir)
	if (match(inc, /"[^"]*"/)) {
		name = substr(inc, RSTART + 1, RLENGTH - 2)
		if (name !~ /\//) {
			printf "%s:%s: include \"%s\" names no folder\n",
			    path, line, name
			bad = 1
			next
		}
		to = name; sub(/\/.*/, "", to)
		if (index(may[dir], " " to " ") == 0) {
			printf "%s:%s: %s/ may not include %s\n",
			    path, line, dir, name
			bad = 1
		}
	} else if (match(inc, /<[^>]*>/)) {
		name = substr(inc, RSTART + 1, RLENGTH - 2)
		for (h in lib) {
			if (substr(name, 1, length(h)) != h)
				continue
			n = split(lib[h], who, " ")
			ok = 0
			for (i = 1; i <= n; i++)
				if (who[i] == path || (who[i] ~ /\/$/ &&
				    substr(path, 1, length(who[i])) == who[i]))
					ok = 1
			if (!ok) {
				who_text = lib[h]
				gsub(/^ +| +$/, "", who_text)
				printf "%s:%s: only %s may include <%s>\n",
				    path, line, who_text, name
				bad = 1
			}
		}
	}
}
END { exit bad }
' || { echo "check-layers: the layer rules are broken (table in $0)" >&2; exit 1; }

# SQL lives in store/ only: a string literal that starts a statement
# anywhere else is a layer leak
# shellcheck disable=SC2086
sql=$(printf '%s\n' $files | grep -v '^store/' |
    xargs grep -HnE '"(SELECT|INSERT|UPDATE|DELETE|COPY|CREATE|ALTER|DROP|TRUNCATE|BEGIN|COMMIT|ROLLBACK|WITH) ' || true)
if [ -n "$sql" ]; then
	printf '%s\n' "$sql" | sed 's/$/  (SQL outside store\/)/'
	echo "check-layers: SQL outside store/ (table in $0)" >&2
	exit 1
fi
