#!/bin/sh
# Prints a TCP port nothing listens on at 127.0.0.1 (checked with ss; the
# caller still handles a clash, since another process may take it first).
set -eu
while :; do
	# Not $RANDOM: inside $(...) it repeats the parent's sequence.
	p=$(shuf -i 20000-59999 -n 1)
	ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; exit 0; }
done
