# shellcheck shell=bash
# Sourced by scripts/bench.sh and scripts/bench-ab.sh: wrk runs and their
# figures.  Needs $here (the tree whose bench/wrk scripts are used) and
# $SECS (seconds per run).
# shellcheck disable=SC2154  # here and SECS are the sourcing script's

# ms from wrk's "123.45us" / "1.23ms" / "1.02s".
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
		else printf "nan" }'
}

# Waits (at most 5 s) until the CPUs are 90 % idle: a server still working
# off the previous run's backlog (uvicorn does, after wrk hangs up) would
# otherwise slow the next target down.
settle() {
	local i a b
	for ((i = 0; i < 25; i++)); do
		a=$(head -n 1 /proc/stat)
		sleep 0.2
		b=$(head -n 1 /proc/stat)
		# The fields after "cpu": user nice system idle iowait irq softirq steal.
		awk -v a="$a" -v b="$b" 'BEGIN {
			split(a, x); split(b, y); t = 0
			for (k = 2; k <= 9; k++) t += y[k] - x[k]
			exit !(t > 0 && (y[5] - x[5]) / t >= 0.9) }' && return 0
	done
	echo "#  (the machine did not settle to 90 % idle within 5 s)" >&2
}

# run_wrk METHOD URL CONNS [NETNS]: prints "rps p50 p99 errors non2xx p95";
# wrk runs in network namespace NETNS when one is named (the swarm's nodes).
# Every run has a script of bench/wrk/, which reports p95 (p95.lua).
run_wrk() {
	local method=$1 url=$2 c=$3 t out rps p50 p95 p99 err non2xx script
	local -a in_ns=()
	[ -n "${4:-}" ] && in_ns=(nsenter "--net=/var/run/netns/$4")
	t=$((c < 2 ? 1 : 2))
	case "$method" in
	POST) script=post ;;
	POSTWRONG) script=post-wrong ;;
	ZIPF) script=zipf ;;
	# LUA:NAME: bench/wrk/NAME.lua sets the method, headers and body.
	LUA:*) script=${method#LUA:} ;;
	GET) script="get" ;;
	*) script=plain ;;
	esac
	settle
	out=$(BENCH_P95=$here/bench/wrk/p95.lua "${in_ns[@]}" wrk -t"$t" -c"$c" -d"${SECS}s" \
	    --latency -s "$here/bench/wrk/$script.lua" "$url")
	rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	p95=$(awk '$1 == "p95" { printf "%.3f", $2 / 1000 }' <<<"$out")
	err=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	echo "$rps $p50 $p99 ${err:-0} ${non2xx:-0} ${p95:-nan}"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
