# Summarises a probe log of swarm.bats (epoch, tok|none, status, seconds,
# body per line) around a node loss at epoch `cut`, the swarm having
# rescheduled by epoch `back`: answers by kind and status, the slowest, and
# the longest stretch of token requests without a 200.
{
	n[$2 " " $3]++
	if ($4 > slowest) slowest = $4
	if ($2 != "tok") next
	if ($3 == 200) {
		if (first_bad != "" && $1 - first_bad > gap) gap = $1 - first_bad
		first_bad = ""
	} else if (first_bad == "") {
		first_bad = $1
	}
}
END {
	printf "# %s:", FILENAME
	for (k in n) printf " %s=%d", k, n[k]
	printf "; slowest %.3f s; longest without a 200: %.1f s; rescheduled %.1f s after the loss\n",
	    slowest, gap, back - cut
}
