#!/bin/bash
# The password grant's figures (make bench runs it last; alone: make
# bench-token): POST /token at the users file's Argon2id cost, POST /login/
# with an access token against a static one, and /login/ and /info with
# POST /token flooded at 32 connections against without.  Two stacks, no
# failed-login limits and LOGIN_RATE=off (wrk is one address): one with
# TOKEN_RATE=off, so the flood meets auth's own bounded hashing queue (as
# a flood from many addresses would), and one with the gateway's /token
# limit as shipped, where one address's flood waits in nginx.  ROUNDS
# rounds of SECS seconds, the rows interleaved; medians and same-run
# ratios into docs/benchmarks.md between <!-- bench-token:start --> and
# :end.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-5}
DOC=${BENCH_DOC:-$here/docs/benchmarks.md}
# to_ms, settle, run_wrk, median.
# shellcheck source=scripts/bench-lib.sh
. "$here/scripts/bench-lib.sh"

work=$(mktemp -d /tmp/cgi-bench-token.XXXXXX)
chmod 0755 "$work"
cleanup() {
	RUN_DIR=$work/run "$here/scripts/stack.sh" stop >/dev/null 2>&1 || true
	RUN_DIR=$work/run_gw "$here/scripts/stack.sh" stop >/dev/null 2>&1 || true
	[ -z "${flood:-}" ] || kill "$flood" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

BENCH_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BENCH_PASSWORD
# make user-hash's line: OWASP's floor, m=19456 KiB, t=2, p=1.
printf '%s\n' "$BENCH_PASSWORD" | "$here/scripts/user-hash.sh" bench >"$work/users"
chmod 0644 "$work/users"
cost=$(grep -o 'm=[0-9]*,t=[0-9]*,p=[0-9]*' "$work/users")
PORT=$("$here/scripts/free-port.sh")
LOGIN_RATE=off TOKEN_RATE=off AUTH_FAIL_LIMIT=0 AUTH_FAIL_USER_LIMIT=0 AUTH_USERS_FILE=$work/users \
    RUN_DIR=$work/run PORT=$PORT "$here/scripts/stack.sh" start >/dev/null
base=http://127.0.0.1:$PORT
PORT=$("$here/scripts/free-port.sh")
LOGIN_RATE=off AUTH_FAIL_LIMIT=0 AUTH_FAIL_USER_LIMIT=0 AUTH_USERS_FILE=$work/users \
    RUN_DIR=$work/run_gw PORT=$PORT "$here/scripts/stack.sh" start >/dev/null
gw=http://127.0.0.1:$PORT
BENCH_JWT=$(curl -s -d "grant_type=password&username=bench&password=$BENCH_PASSWORD" "$base/token" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
export BENCH_JWT
threads=$(nproc)
hashers=$((threads >= 4 ? threads / 2 : 1))

# row NAME METHOD URL CONNS: one run_wrk appended to $work/NAME.
row() {
	local out
	out=$(run_wrk "$2" "$3" "$4")
	echo "$out" >>"$work/$1"
	printf '#   %-22s %s\n' "$1" "$out" >&2
}

# matches RUN: auth's count of right passwords so far in $work/RUN's stack
# (its metrics, on the gateway's internal listener).
matches() {
	curl -s --unix-socket "$work/$1/internal/gateway.sock" http://localhost/metrics/auth |
	    awk '/^auth_password_checks_total\{verdict="match"\}/ { print $2 }'
}

# flooded SUFFIX BASE: /login/ and /info on BASE with its POST /token
# flooded at 32 connections meanwhile, into static_flood$SUFFIX and
# info_flood$SUFFIX; the flood's req/s, its logins/s and non-2xx too.
flooded() {
	local m0
	wrk -t1 -c32 -d"$((2 * SECS + 4))s" -s "$here/bench/wrk/token.lua" "$2/token" \
	    >"$work/flood.out" 2>&1 &
	flood=$!
	m0=$(matches "run$1")
	sleep 1
	row "static_flood$1" POST "$2/login/" 32
	row "info_flood$1" GET "$2/info" 32
	wait "$flood" || true
	flood=
	echo "$(( ($(matches "run$1") - m0) / (2 * SECS + 4) ))" >>"$work/flood_ok$1"
	awk '/^Requests\/sec/ { print $2 }' "$work/flood.out" >>"$work/flood_rps$1"
	awk '/Non-2xx/ { print $NF }' "$work/flood.out" >>"$work/flood_non2xx$1"
}

echo "# bench-token: wrk ${SECS}s x $ROUNDS rounds; $cost; $hashers hashing thread(s) on $threads CPUs" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	echo "# round $r" >&2
	row token1 LUA:token "$base/token" 1
	m0=$(matches run)
	row token32 LUA:token "$base/token" 32
	echo "$(( ($(matches run) - m0) / SECS ))" >>"$work/token32_ok"
	row static POST "$base/login/" 32
	row jwt LUA:bearer "$base/login/" 32
	row info GET "$base/info" 32
	# The same two with POST /token flooded at 32 connections meanwhile:
	# on auth's queue, then on the gateway's /token limit.
	flooded "" "$base"
	flooded _gw "$gw"
done

med() { cut -d' ' -f"$2" "$work/$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
block=$work/block
{
	echo "<!-- bench-token:start -->"
	echo "## The password grant and access tokens (make bench-token)"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) CPUs, two stacks alike but for /token's gateway limit (\`LOGIN_RATE=off\`, no failed-login limits; one \`TOKEN_RATE=off\`, whose /token rows meet auth's own queue, the other /token's limit as shipped, 10r/s), wrk ${SECS} s × $ROUNDS rounds, the rows interleaved; medians. The users file's hash: Argon2id $cost (\`make user-hash\`, OWASP's floor); $hashers hashing thread(s) at nice 10."
	echo
	echo "| row | connections | req/s | p50 ms | p99 ms | non-2xx |"
	echo "|---|---|---|---|---|---|"
	for n in "token1 1 POST /token" "token32 32 POST /token" "static 32 POST /login/, static token" \
	    "jwt 32 POST /login/, access token" "info 32 GET /info" \
	    "static_flood 32 POST /login/, /token flooded, TOKEN_RATE=off" \
	    "info_flood 32 GET /info, /token flooded, TOKEN_RATE=off" \
	    "static_flood_gw 32 POST /login/, /token flooded, its gateway limit" \
	    "info_flood_gw 32 GET /info, /token flooded, its gateway limit"; do
		read -r f c label <<<"$n"
		echo "| $label | $c | $(med "$f" 1) | $(med "$f" 2) | $(med "$f" 3) | $(med "$f" 5) |"
	done
	echo
	echo "- POST /token: **$(med token1 1) logins/s** at 1 connection, one check at a time on $hashers hashing thread(s): $(ratio "$(med token1 1)" "$hashers") per hashing core. At 32 connections **$(median <"$work/token32_ok") logins/s** succeed (auth's \`auth_password_checks_total{verdict=\"match\"}\`); the rest of the row's req/s are 503s of a full queue, answered at once. The flood beside the rows flooded on auth's queue: $(median <"$work/flood_rps") req/s, $(median <"$work/flood_ok") logins/s of them succeeding; on the gateway's limit: $(median <"$work/flood_rps_gw") req/s, $(median <"$work/flood_ok_gw") logins/s succeeding (the rest wait in nginx, then 429)."
	echo "- POST /login/ with an access token / with a static token: **$(ratio "$(med jwt 1)" "$(med static 1)")x**."
	echo "- With /token flooded / without, the flood on auth's queue (\`TOKEN_RATE=off\`, as a flood from many addresses): POST /login/ **$(ratio "$(med static_flood 1)" "$(med static 1)")x**, GET /info **$(ratio "$(med info_flood 1)" "$(med info 1)")x**; from one address on the gateway's limit: POST /login/ **$(ratio "$(med static_flood_gw 1)" "$(med static 1)")x**, GET /info **$(ratio "$(med info_flood_gw 1)" "$(med info 1)")x** (both against the \`TOKEN_RATE=off\` stack's rows without a flood; the stacks differ only in /token's limit)."
	echo "<!-- bench-token:end -->"
} >"$block"
cat "$block"
if grep -q '<!-- bench-token:start -->' "$DOC"; then
	awk -v f="$block" '
		/<!-- bench-token:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- bench-token:end -->/ { skip = 0; next }
		!skip' "$DOC" >"$work/doc" && cat "$work/doc" >"$DOC"
else
	{ echo; cat "$block"; } >>"$DOC"
fi
