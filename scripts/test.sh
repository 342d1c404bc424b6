#!/bin/bash
# Runs the unit tests (TAP from each binary) and the bats suites (TAP), and
# ends with one line "N passed, N failed".  Exit status 0 only if none failed.
#   test.sh unit BIN...            unit tests only
#   test.sh integration PATH...    bats files in those directories or files
#   test.sh all BIN...             unit tests, then tests/integration
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

count() {	# count FILE: add its TAP results to the totals
	local p f
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
}

unit() {
	local b
	for b in "$@"; do
		echo "# $(basename "$b")"
		if ! "$b" > "$out" 2>&1; then
			grep -q '^not ok ' "$out" || echo "not ok - $b crashed" >> "$out"
		fi
		grep -v '^ok ' "$out" | grep -v '^1\.\.' || true
		count "$out"
	done
}

integration() {
	echo "# bats $*"
	bats --tap "$@" 2>&1 | tee "$out" | grep -v '^ok ' || true
	count "$out"
	# bats reports a failed setup_file as "not ok" too; no result at all is a failure.
	if ! grep -q '^ok \|^not ok ' "$out"; then
		failed=$((failed + 1))
	fi
	# So is a run that ended before its plan (bats killed, a hung suite).
	local plan ran
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n 1)
	ran=$(grep -c '^ok \|^not ok ' "$out")
	if [ -n "$plan" ] && [ "$ran" -lt "$plan" ]; then
		echo "not ok - bats ran $ran of its $plan tests"
		failed=$((failed + 1))
	fi
	# make test-sanitize, test-tsan: every sanitizer report in any service
	# log fails.
	if [ -n "${SANITIZE_DIR:-}" ]; then
		local reports re='(Address|Leak|UndefinedBehavior|Thread)Sanitizer|runtime error:'
		reports=$(grep -rlE "$re" "$SANITIZE_DIR" || true)
		if [ -n "$reports" ]; then
			echo "not ok - sanitizer reports in: $reports"
			grep -rhE -A20 "$re" "$SANITIZE_DIR" | head -n 60
			failed=$((failed + 1))
		else
			echo "ok - no sanitizer report in $(find "$SANITIZE_DIR" -name '*.log' | wc -l) service logs"
			passed=$((passed + 1))
		fi
	fi
}

mode=$1
shift
case "$mode" in
unit) unit "$@" ;;
integration) integration "$@" ;;
all) unit "$@"; integration "$here/tests/integration" ;;
*) echo "usage: $0 unit|integration|all ..." >&2; exit 2 ;;
esac
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
