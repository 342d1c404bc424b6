#!/bin/bash
# make bench BENCH_BASE=REV: this tree against revision REV, in the same run.
# REV is built in a temporary clone (its own Makefile, its own scripts and
# gateway template), both stacks are started side by side with their
# defaults but LOGIN_RATE=off (wrk sends from one address), and wrk loads
# the same requests at each, interleaved: every round runs each request on
# both trees, the order swapped each round, so that machine drift hits both
# alike.  The table "this tree vs REV" (req/s and p99, medians, and the
# ratios, and the instructions nginx runs per request, counted by valgrind:
# the figure the machine's noise does not move) replaces the one between
# the bench-ab markers in docs/benchmarks.md (BENCH_OUT), or is appended.
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

# Instructions per request, which the machine's noise does not move: one
# nginx worker on each tree's configuration (its own port, pid and internal
# socket; the stack's services behind it) under valgrind's callgrind, which
# counts every instruction nginx and its libraries run, user space only.
# Counted over 2000 requests (ab, 4 connections kept) after 200 unseen.
printf 'x' >"$work/body"
# instr TREE PATH METHOD: instructions per request (an integer).
instr() {
	local t=$1 path=$2 method=$3 port conf=$work/cg-$1.conf vp out f
	local -a args=(-q -k -c 4)
	case "$method" in
	POST) args+=(-p "$work/body" -T text/plain -H 'Authorization: merixstudio') ;;
	GET) args+=(-H 'Authorization: merixstudio') ;;
	esac
	port=$("$here/scripts/free-port.sh")
	sed -e "s#listen 127\.0\.0\.1:[0-9]*;#listen 127.0.0.1:$port;#" \
	    -e "s#listen unix:[^;]*;#listen unix:$work/cg-$t.sock;#" \
	    -e "s#^pid .*#pid $work/cg-$t.pid;#" -e 's#^user .*##' -e 's#^daemon .*##' \
	    -e 's#^worker_processes .*#worker_processes 1;#' "$work/run-$t/nginx.conf" >"$conf"
	rm -f "$work"/cg-"$t".out*
	valgrind --tool=callgrind --callgrind-out-file="$work/cg-$t.out" \
	    nginx -c "$conf" -g 'daemon off; master_process off;' 2>"$work/cg-$t.log" &
	vp=$!
	for _ in $(seq 150); do
		curl -s -o /dev/null "http://127.0.0.1:$port/nope" && break
		sleep 0.2
	done
	ab "${args[@]}" -n 200 "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
	callgrind_control -z "$vp" >/dev/null
	ab "${args[@]}" -n 2000 "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
	callgrind_control -d "$vp" >/dev/null
	for f in "$work"/cg-"$t".out.*; do break; done
	out=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
	kill -QUIT "$vp"
	wait "$vp" 2>/dev/null || true
	echo $((out / 2000))
}
declare -A INSTR
for row in "${rows[@]}"; do
	IFS='|' read -r name method path _ <<<"$row"
	for t in this base; do
		INSTR["$t|$name"]=$(instr "$t" "$path" "$method")
		echo "#  instructions: $t $name: ${INSTR["$t|$name"]}" >&2
	done
done

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
	echo "| request | nginx instructions per request, this tree | $rev | ratio |"
	echo "|---|---|---|---|"
	for row in "${rows[@]}"; do
		IFS='|' read -r name _ _ _ <<<"$row"
		a=${INSTR["this|$name"]}
		b=${INSTR["base|$name"]}
		printf '| %s | %s | %s | %.2f |\n' "$name" "$a" "$b" \
		    "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b > 0 ? a / b : 0) }')"
	done
	echo
	echo "Instructions: one nginx worker of each tree's configuration under valgrind's"
	echo "callgrind (user space: nginx, its modules and libraries; not the kernel, which is"
	echo "most of the time), 2000 requests on 4 kept connections; GET /info counts the"
	echo "client's hop only (info's call to auth goes through its own stack's gateway)."
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
