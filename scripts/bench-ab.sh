#!/bin/bash
# make bench BENCH_BASE=REV: this tree against revision REV, in the same run.
# REV is built in a temporary clone (its own Makefile, its own scripts and
# gateway template), both stacks are started side by side with their
# defaults but LOGIN_RATE=off (wrk sends from one address), and wrk loads
# the same requests at each, interleaved: every round runs each request on
# both trees, the order swapped each round, so that machine drift hits both
# alike.  The table "this tree vs REV" (req/s and p99, medians, and the
# ratios) replaces the one between the bench-ab markers in
# docs/benchmarks.md (BENCH_OUT), or is appended.
#
# BENCH_SECS (3) per run, BENCH_ROUNDS (5), BENCH_CONNS ("1 32").
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-1 32}
OUT=${BENCH_OUT:-$here/docs/benchmarks.md}
base=${BENCH_BASE:?set BENCH_BASE to a revision}
rev=$(git -C "$here" rev-parse --short "$base^{commit}") || {
	echo "bench-ab: $base: not a revision of this repository" >&2
	exit 1
}
head_rev=$(git -C "$here" rev-parse --short HEAD)
dirty=$(git -C "$here" status --porcelain --untracked-files=no | head -n 1)
work=$(mktemp -d /tmp/cgi-bench-ab.XXXXXX)
# As root the services run as their own users and must reach the run
# directories and the base's binaries.
chmod 0755 "$work"

cleanup() {
	RUN_DIR=$work/run-this "$here/scripts/stack.sh" stop >/dev/null 2>&1 || true
	[ ! -x "$work/base/scripts/stack.sh" ] ||
	    RUN_DIR=$work/run-base "$work/base/scripts/stack.sh" stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
# to_ms, settle, run_wrk, median.
. "$here/scripts/bench-lib.sh"

echo "# building $rev in $work/base" >&2
git clone -q "$here" "$work/base"
git -C "$work/base" checkout -q "$rev"
# Swagger UI's files, which both stacks' start copies (never rebuilt here).
ln -s "$here/node_modules" "$work/base/node_modules"
make -s -C "$work/base" all >&2

# start TREE RUN_DIR: a stack of TREE (LOGIN_RATE=off) with the ceiling
# location; prints its base URL.
start() {
	local tree=$1 dir=$2 port
	port=$("$here/scripts/free-port.sh")
	mkdir -p "$dir/conf.d"
	chmod 0755 "$dir"
	cat >"$dir/conf.d/ceiling.conf" <<-'CONF'
	# make bench only: the most any FastCGI system behind this nginx could do.
	location = /bench-ceiling {
	    return 200 '{"info":"The answer is 42."}';
	}
	CONF
	LOGIN_RATE=off RUN_DIR=$dir PORT=$port "$tree/scripts/stack.sh" start >&2
	echo "http://127.0.0.1:$port"
}
this_url=$(start "$here" "$work/run-this")
base_url=$(start "$work/base" "$work/run-base")

# name | method | path | expected status
rows=(
	"ceiling (return 200)|GET|/bench-ceiling|200"
	"GET /nope (the gateway's own 404)|ANON|/nope|404"
	"POST /login/|POST|/login/|200"
	"GET /info|GET|/info|200"
)

declare -A RES
echo "# wrk ${SECS}s x $ROUNDS rounds, interleaved; connections: $CONNS" >&2
for c in $CONNS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		order="this base"
		((r % 2)) || order="base this"
		for row in "${rows[@]}"; do
			IFS='|' read -r name method path _ <<<"$row"
			for t in $order; do
				if [ "$t" = this ]; then url=$this_url$path; else url=$base_url$path; fi
				res=$(run_wrk "$method" "$url" "$c")
				RES["$t|$name|$c"]+="$res;"
				echo "#  c=$c round $r $t $name: $res" >&2
			done
		done
	done
done

# med TREE NAME C FIELD: the median of field FIELD over the rounds.
med() { tr ';' '\n' <<<"${RES["$1|$2|$3"]}" | awk -v f="$4" 'NF { print $f }' | median; }
# bad TREE NAME C WANT: socket errors, and unexpected statuses unless WANT
# is not 200 (wrk counts every non-2xx).
bad() {
	tr ';' '\n' <<<"${RES["$1|$2|$3"]}" | awk -v w="$4" 'NF { s += $4; if (w == 200) s += $5 } END { print s + 0 }'
}

tree="this tree ($head_rev${dirty:+ with uncommitted changes})"
{
	echo "<!-- bench-ab:start -->"
	echo "## This tree vs $rev"
	echo
	echo "Written by \`make bench BENCH_BASE=$base\` (scripts/bench-ab.sh) on $(date -u +%Y-%m-%d):"
	echo "$tree and $rev ($(git -C "$here" log -1 --format=%s "$rev")), each"
	echo "its own stack with its defaults but LOGIN_RATE=off, wrk ${SECS} s per run, $ROUNDS rounds, each"
	echo "request on both trees in every round (the order swapped each round), medians."
	echo "p99 in ms. Errors: socket errors and unexpected statuses, all rounds."
	echo
	echo "| request | conns | this tree req/s | $rev req/s | ratio | this tree p99 | $rev p99 | errors (this / $rev) |"
	echo "|---|---|---|---|---|---|---|---|"
	for c in $CONNS; do
		for row in "${rows[@]}"; do
			IFS='|' read -r name _ _ want <<<"$row"
			a=$(med this "$name" "$c" 1)
			b=$(med base "$name" "$c" 1)
			printf '| %s | %s | %.0f | %.0f | **%.2f** | %.2f | %.2f | %s / %s |\n' "$name" "$c" "$a" "$b" \
			    "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
			    "$(med this "$name" "$c" 3)" "$(med base "$name" "$c" 3)" \
			    "$(bad this "$name" "$c" "$want")" "$(bad base "$name" "$c" "$want")"
		done
	done
	echo
	# /info crosses the gateway twice (the client's request, then info's
	# call to auth), so its bound is half of login's rate.
	echo "| GET /info of its two-hop bound (2 x /info / /login/) | conns | this tree | $rev |"
	echo "|---|---|---|---|"
	for c in $CONNS; do
		printf '| | %s | %.1f%% | %.1f%% |\n' "$c" \
		    "$(awk -v i="$(med this "GET /info" "$c" 1)" -v l="$(med this "POST /login/" "$c" 1)" 'BEGIN { print 200 * i / l }')" \
		    "$(awk -v i="$(med base "GET /info" "$c" 1)" -v l="$(med base "POST /login/" "$c" 1)" 'BEGIN { print 200 * i / l }')"
	done
	echo "<!-- bench-ab:end -->"
} >"$work/ab.md"
cat "$work/ab.md"

# Into OUT: in place of the last table, or appended.
touch "$OUT"
if grep -q '^<!-- bench-ab:start -->$' "$OUT"; then
	awk -v f="$work/ab.md" '
		/^<!-- bench-ab:start -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- bench-ab:end -->$/ { skip = 0; next }
		!skip' "$OUT" >"$work/out.md"
else
	{ cat "$OUT"; echo; cat "$work/ab.md"; } >"$work/out.md"
fi
cat "$work/out.md" >"$OUT"
echo "written to $OUT" >&2
