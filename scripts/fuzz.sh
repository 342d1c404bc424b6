#!/bin/bash
# Runs each libFuzzer harness (built by make fuzz) for SECS seconds and prints
# one line per harness: runs, runs/s, coverage (edges and features), corpus.
# New inputs go to build-fuzz/corpus/NAME (not committed); the seeds in
# tests/fuzz/corpus/NAME are read, never written.  A crash fails the run and
# leaves its input in build-fuzz/artifacts/.
#
#   scripts/fuzz.sh SECS NAME...
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
secs=$1
shift
out=$here/build-fuzz
mkdir -p "$out/artifacts" "$out/logs"
failed=0
printf '%-12s %10s %8s %6s %6s %6s  %s\n' harness runs 'runs/s' cov ft corp result
for name in "$@"; do
	mkdir -p "$out/corpus/$name"
	log=$out/logs/$name.log
	rc=0
	"$out/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=5 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name-" \
	    "$out/corpus/$name" "$here/tests/fuzz/corpus/$name" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc): $log"
		failed=1
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5 >&2 || true
	fi
	printf '%-12s %10s %8s %6s %6s %6s  %s\n' "$name" "${runs:--}" \
	    "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}" "$result"
done
exit "$failed"
