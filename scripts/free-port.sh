#!/bin/sh
# Prints a TCP port that no socket on this machine uses, below the kernel's
# ephemeral range (so an outgoing connection cannot take it between this
# check and the bind).  The caller still handles a clash.
set -eu
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
top=$((low - 1))
[ "$top" -gt 11000 ] || top=11000
while :; do
	# Not $RANDOM: inside $(...) it repeats the parent's sequence.
	p=$(shuf -i 10000-"$top" -n 1)
	# Every state, not just listening: a connected socket blocks the bind too.
	ss -Htan "sport = :$p" | grep -q . || { echo "$p"; exit 0; }
done
