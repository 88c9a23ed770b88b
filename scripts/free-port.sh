#!/usr/bin/env bash
# Print a random TCP port of 127.0.0.1 (20000-59999) that nothing listens
# on, for the private servers of the tests, the demo and the bench.
set -eu
while :; do
	p=$((20000 + RANDOM % 40000))
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; exit 0; }
done
