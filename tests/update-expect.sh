#!/bin/sh
# Regenerate the .expect file beside every corpus fixture that holds a
# report: the output of `dmarcctl parse --records`, run from
# tests/fixtures so the names are relative. Review the diff before
# committing: a changed .expect is a changed behaviour.
set -eu
cd "$(dirname "$0")/fixtures"
bin=../../build/dmarcctl
for f in corpus/aggregate/* corpus/tlsrpt/* corpus/email/*; do
	case "$f" in *.expect) continue ;; esac
	out=$("$bin" parse --records "$f" 2>/dev/null || true)
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >"$f.expect"
	else
		rm -f "$f.expect"
	fi
done
