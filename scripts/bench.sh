#!/bin/bash
# make bench: our stack, the nginx ceiling and the tutorial's FastAPI pair,
# loaded by wrk on 127.0.0.1 in the same run, interleaved (every target once
# per round, rounds repeated) so that machine drift hits all alike.  Prints a
# table and writes it, with the machine, to docs/benchmarks.md.
#
# BENCH_SECS (3) per run, BENCH_ROUNDS (3), BENCH_CONNS ("1 8 32 128").
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-1 8 32 128}
OUT=${BENCH_OUT:-$here/docs/benchmarks.md}
# Debian's python3, which has python3-fastapi (not a pyenv or venv one).
PY=/usr/bin/python3
work=$(mktemp -d /tmp/cgi-bench.XXXXXX)
# As root the services run as www-data and must reach the run directory.
chmod 0755 "$work"
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	RUN_DIR=$work/run "$here/scripts/stack.sh" stop || true
	RUN_DIR=$work/run-cache "$here/scripts/stack.sh" stop || true
	rm -rf "$work"
}
trap cleanup EXIT

# Our stack, logs to files so that the terminal is not the bottleneck.
PORT=$("$here/scripts/free-port.sh")
mkdir -p "$work/run/conf.d"
cat > "$work/run/conf.d/ceiling.conf" <<'CONF'
# make bench only: the most any FastCGI system behind this nginx could do.
location = /bench-ceiling {
    return 200 '{"info":"The answer is 42."}';
}
CONF
# No login rate limit: wrk sends everything from one address.
# HTTPS beside it (TLS=1: a self-signed ECDSA P-256 certificate).
TLS_PORT=$("$here/scripts/free-port.sh")
LOGIN_RATE=off TLS=1 TLS_PORT=$TLS_PORT RUN_DIR=$work/run PORT=$PORT \
    "$here/scripts/stack.sh" start
ours=http://127.0.0.1:$PORT
ours_tls=https://127.0.0.1:$TLS_PORT
# The same stack with info's auth cache on (AUTH_CACHE_TTL_MS) and auth's
# limit on failed logins off (AUTH_FAIL_LIMIT=0, on in the first: 100 per
# 10 s), idle while the other targets run.  Its no-token row needs the
# limit off (wrk's one address would get 429), and its POST /login/ row is
# the first's without the limit: their ratio is the limit's cost.
PORT_CACHE=$("$here/scripts/free-port.sh")
LOGIN_RATE=off AUTH_FAIL_LIMIT=0 AUTH_CACHE_TTL_MS=5000 RUN_DIR=$work/run-cache PORT=$PORT_CACHE \
    "$here/scripts/stack.sh" start
cached=http://127.0.0.1:$PORT_CACHE

# The tutorial's pair under uvicorn, one worker each, as the tutorial runs it.
fa_auth=$("$here/scripts/free-port.sh")
fa_info=$("$here/scripts/free-port.sh")
cd "$here/bench/reference"
"$PY" -m uvicorn auth_service:app --host 127.0.0.1 --port "$fa_auth" \
    --log-level warning --no-access-log >"$work/fa_auth.log" 2>&1 &
pids+=($!)
AUTH_SERVICE_URL=http://127.0.0.1:$fa_auth/login/ "$PY" -m uvicorn \
    information_service:app --host 127.0.0.1 --port "$fa_info" \
    --log-level warning --no-access-log >"$work/fa_info.log" 2>&1 &
pids+=($!)
cd "$here"
for _ in $(seq 100); do
	curl -sf -o /dev/null -H 'Authorization: merixstudio' "http://127.0.0.1:$fa_info/info" && break
	sleep 0.1
done

# name | method | url | expected status
targets=(
	"ceiling|GET|$ours/bench-ceiling|200"
	"ours POST /login/|POST|$ours/login/|200"
	"ours POST /login/ (no failed-login limit)|POST|$cached/login/|200"
	"ours GET /info|GET|$ours/info|200"
	"ours GET /info (HTTPS)|GET|$ours_tls/info|200"
	"ours GET /info (no token)|GETANON|$cached/info|401"
	"ours GET /info (cache on)|GET|$cached/info|200"
	"FastAPI POST /login/|POST|http://127.0.0.1:$fa_auth/login/|200"
	"FastAPI GET /info|GET|http://127.0.0.1:$fa_info/info|200"
	"FastAPI GET /info (no token)|GETANON|http://127.0.0.1:$fa_info/info|401"
)

# ratio_table TITLE A_LABEL B_LABEL A_TARGET B_TARGET: per connection
# count, the two targets' median req/s from the same run and A/B.
ratio_table() {
	local c a b
	echo "| $1 (same run) | conns | $2 req/s | $3 req/s | ratio |"
	echo "|---|---|---|---|---|"
	for c in $CONNS; do
		a=$(med "$4" "$c" 1)
		b=$(med "$5" "$c" 1)
		printf '| | %s | %.0f | %.0f | %.2f |\n' "$c" "$a" "$b" \
		    "$(awk -v a="$a" -v b="$b" 'BEGIN { print (b > 0 ? a / b : 0) }')"
	done
}

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

run_wrk() {	# run_wrk METHOD URL CONNS: prints "rps p50 p99 errors"
	local method=$1 url=$2 c=$3 t out rps p50 p99 err non2xx
	t=$((c < 2 ? 1 : 2))
	settle
	case "$method" in
	POST) out=$(wrk -t"$t" -c"$c" -d"${SECS}s" --latency -s "$here/bench/wrk/post.lua" "$url") ;;
	GET) out=$(wrk -t"$t" -c"$c" -d"${SECS}s" --latency -H 'Authorization: merixstudio' "$url") ;;
	*) out=$(wrk -t"$t" -c"$c" -d"${SECS}s" --latency "$url") ;;
	esac
	rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	err=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	echo "$rps $p50 $p99 ${err:-0} ${non2xx:-0}"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A RES
echo "# wrk ${SECS}s x $ROUNDS rounds, interleaved; connections: $CONNS" >&2
for c in $CONNS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for tg in "${targets[@]}"; do
			IFS='|' read -r name method url want <<<"$tg"
			res=$(run_wrk "$method" "$url" "$c")
			RES["$name|$c"]+="$res;"
			echo "#  c=$c round $r $name: $res" >&2
		done
	done
done

# mem PID...: "RSS | PSS | private" in MB, summed over the processes, from
# smaps_rollup.  RSS counts every shared-library page mapped; PSS shares
# them out among the processes using them; private is what only they hold.
mem() {
	local p
	for p in "$@"; do
		cat "/proc/$p/smaps_rollup" 2>/dev/null || true
	done | awk '$1 == "Rss:" { r += $2 } $1 == "Pss:" { s += $2 }
	    $1 ~ /^Private_(Clean|Dirty):$/ { u += $2 }
	    END { printf "%.1f MB | %.1f MB | %.1f MB", r / 1024, s / 1024, u / 1024 }'
}
mem_auth=$(mem "$(s6-svstat -o pid "$work/run/svc/auth")")
mem_info=$(mem "$(s6-svstat -o pid "$work/run/svc/info")")
# shellcheck disable=SC2046  # one pid per word
mem_nginx=$(mem $(cat "$work/run/nginx.pid") $(pgrep -P "$(cat "$work/run/nginx.pid")"))
mem_fa_auth=$(mem "${pids[0]}")
mem_fa_info=$(mem "${pids[1]}")

# field N of every round's result for name at c, median of them
med() { tr ';' '\n' <<<"${RES["$1|$2"]}" | awk -v f="$3" 'NF { print $f }' | median; }
sum() { tr ';' '\n' <<<"${RES["$1|$2"]}" | awk -v f="$3" 'NF { s += $f } END { print s + 0 }'; }

{
	echo "| target | conns | req/s (median) | p50 ms | p99 ms | socket errors | unexpected status | vs ceiling | vs FastAPI |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for c in $CONNS; do
		ceil=$(med ceiling "$c" 1)
		for tg in "${targets[@]}"; do
			IFS='|' read -r name method url want <<<"$tg"
			rps=$(med "$name" "$c" 1)
			unexpected=$(sum "$name" "$c" 5)
			[ "$want" = 401 ] && unexpected="n/a (401 expected)"
			fa=""
			case "$name" in
			ours*)
				fa=${name#ours }; fa=${fa% (cache on)}; fa=${fa% (HTTPS)}
				fa=$(med "FastAPI ${fa% (no failed-login limit)}" "$c" 1) ;;
			esac
			printf '| %s | %s | %.0f | %.2f | %.2f | %s | %s | %.1f%% | %s |\n' "$name" "$c" \
			    "$rps" "$(med "$name" "$c" 2)" "$(med "$name" "$c" 3)" "$(sum "$name" "$c" 4)" \
			    "$unexpected" "$(awk -v a="$rps" -v b="$ceil" 'BEGIN { print 100 * a / b }')" \
			    "$( [ -n "$fa" ] && awk -v a="$rps" -v b="$fa" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')"
		done
	done
	echo
	ratio_table "GET /info, HTTPS vs plain HTTP" HTTPS HTTP \
	    "ours GET /info (HTTPS)" "ours GET /info"
	echo
	ratio_table "POST /login/, failed-login limit on vs off" on off \
	    "ours POST /login/" "ours POST /login/ (no failed-login limit)"
	echo
	echo "| process (after the load) | RSS | PSS | private |"
	echo "|---|---|---|---|"
	echo "| auth.fcgi | $mem_auth |"
	echo "| info.fcgi | $mem_info |"
	echo "| nginx (master + workers) | $mem_nginx |"
	echo "| FastAPI auth_service (uvicorn) | $mem_fa_auth |"
	echo "| FastAPI information_service (uvicorn) | $mem_fa_info |"
} > "$work/table.md"
cat "$work/table.md"

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%d): wrk on 127.0.0.1,"
	echo "${SECS} s per run, $ROUNDS interleaved rounds, medians; each run starts once the CPUs"
	echo "are 90 % idle again. wrk, nginx, both services and"
	echo "the FastAPI pair share the machine's cores, so absolute numbers are low; compare"
	echo "the ratios, which come from the same run."
	echo
	echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
	echo "$(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -sr); $(nginx -v 2>&1 | sed 's/.*: //'),"
	echo "FastAPI $("$PY" -c 'import fastapi; print(fastapi.__version__)'), uvicorn $("$PY" -c 'import uvicorn; print(uvicorn.__version__)')."
	echo
	echo "- ceiling: the same nginx answering the same JSON with \`return 200\` (no FastCGI)."
	echo "- ours: through the gateway; GET /info includes info's call to auth through the gateway."
	echo "- ours (cache on): the same stack started with AUTH_CACHE_TTL_MS=5000: info remembers"
	echo "  auth's yes for a token for 5 s, so most /info skip the call to auth (a revoked token"
	echo "  keeps working up to 5 s; off by default)."
	echo "- Memory: RSS counts every page of the shared libraries a process maps (info.fcgi's"
	echo "  libcurl brings ~30); PSS divides shared pages among their users; private is the"
	echo "  process's own. Most of info.fcgi's RSS is the load of those libraries; each of its"
	echo "  worker threads adds a stack, a malloc arena and a curl handle (docs/architecture.md)."
	echo "- ours GET /info (HTTPS): the same stack's TLS port (make run TLS=1: ECDSA P-256,"
	echo "  TLS 1.3, HTTP/1.1 as wrk speaks it); wrk keeps its connections, so the handshake is"
	echo "  paid once per connection and the cost is the record encryption."
	echo "- FastAPI: bench/reference/, the tutorial's two services, each one uvicorn worker."
	echo
	cat "$work/table.md"
} > "$OUT"
echo "written to $OUT" >&2
