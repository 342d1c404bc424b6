#!/bin/bash
# make bench: our stack, the nginx ceiling and the tutorial's FastAPI pair,
# loaded by wrk on 127.0.0.1 in the same run, interleaved (every target once
# per round, rounds repeated) so that machine drift hits all alike.  Prints a
# table and writes it, with the machine, to docs/benchmarks.md.
#
# docker compose up is measured beside them (BENCH_COMPOSE=0 skips it): the
# same images as make test-compose, on a Docker engine (scripts/docker-engine.sh
# starts a private one where none runs), reached at the gateway container's
# own address and through the published port.  The README's figures are
# rewritten from this run's table (between its bench markers).
#
# BENCH_SWARM=1 (make bench-swarm) adds the swarm stack on the 3-node swarm
# of scripts/swarm.sh, reached three ways, so that the test rig's hops are
# measured apart from the product's: through the host port (the rig's
# systemd-socket-proxyd, then the node's docker-proxy), from inside node 1's
# network namespace through its published port (docker-proxy only), and
# there at node 1's gateway container's own address (the product alone:
# gateway, overlay network, replicas on any node).
#
# BENCH_SECS (3) per run, BENCH_ROUNDS (3), BENCH_CONNS ("1 8 32 128").
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-1 8 32 128}
OUT=${BENCH_OUT:-$here/docs/benchmarks.md}
README=${BENCH_README:-$here/README.md}
COMPOSE=${BENCH_COMPOSE:-1}
SWARM=${BENCH_SWARM:-0}
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
	RUN_DIR=$work/run-logall "$here/scripts/stack.sh" stop || true
	RUN_DIR=$work/run-zipf "$here/scripts/stack.sh" stop || true
	for p in store wrong wrongl; do
		RUN_DIR=$work/run-$p "$here/scripts/stack.sh" stop || true
	done
	if [ -n "${COMPOSE_PROJECT_NAME:-}" ]; then
		(cd "$here" && docker-compose down -t 10 >/dev/null 2>&1) || true
		(cd "$here" && COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME}all \
		    docker-compose down -t 10 >/dev/null 2>&1) || true
	fi
	[ "$SWARM" = 1 ] && "$here/scripts/swarm.sh" down
	[ "${own_engine:-0}" = 1 ] && "$here/scripts/docker-engine.sh" down
	rm -rf "$work"
}
trap cleanup EXIT
# to_ms, settle, run_wrk, median.
. "$here/scripts/bench-lib.sh"

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
# A signing key, so that auth publishes its JWKS and info checks access
# tokens itself (INFO_VERIFY_TOKENS=local, the default).
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
chmod 0644 "$work/key.pem"
LOGIN_RATE=off TLS=1 TLS_PORT=$TLS_PORT RUN_DIR=$work/run PORT=$PORT \
    AUTH_SIGNING_KEY_FILE=$work/key.pem "$here/scripts/stack.sh" start
ours=http://127.0.0.1:$PORT
# Access tokens signed with that key (PyJWT, tests/integration/jwt_peer.py):
# one for the rows where info has verified it before (vcache), and 4096,
# four times vcache's slots, for the rows where nearly every request is a
# signature check (bench/wrk/info-jwts.lua).  Valid for 2 h: the run
# takes longer than an access token's 15 minutes (at 10 minutes, the
# 128-connection rows were 401s).
"$PY" "$here/tests/integration/jwt_peer.py" forge-many "$work/key.pem" valid "$ours" 4096 7200 \
    >"$work/jwts"
BENCH_JWT=$(head -n 1 "$work/jwts")
BENCH_JWTS=$work/jwts
export BENCH_JWT BENCH_JWTS
for _ in $(seq 50); do
	curl -s "$ours/metrics/info" | grep -qx 'info_jwks_keys 1' && break
	sleep 0.1
done
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
# The decision cache with a population: 1000 tokens (and one more that
# only the burst below uses), wrk asking with them Zipf-distributed
# (bench/wrk/zipf.lua); auth's own lifetime (AUTH_DECISION_MAX_AGE, 5 s).
PORT_ZIPF=$("$here/scripts/free-port.sh")
seq 1 1000 | sed 's/^/tok-/' >"$work/tokens"
echo burst-token >>"$work/tokens"
chmod 0644 "$work/tokens"
LOGIN_RATE=off AUTH_FAIL_LIMIT=0 AUTH_CACHE_TTL_MS=60000 AUTH_TOKENS_FILE=$work/tokens \
    RUN_DIR=$work/run-zipf PORT=$PORT_ZIPF "$here/scripts/stack.sh" start
zipf=http://127.0.0.1:$PORT_ZIPF
# The first stack again with a request line for every request
# (LOG_REQUESTS=all, the default is 100/s): what the logs cost.
PORT_LOGALL=$("$here/scripts/free-port.sh")
LOGIN_RATE=off LOG_REQUESTS=all RUN_DIR=$work/run-logall PORT=$PORT_LOGALL \
    "$here/scripts/stack.sh" start
logall=http://127.0.0.1:$PORT_LOGALL
# The first stack with the shared failed-login budget (AUTH_FAIL_STORE:
# make run's local redis-server): valid logins never reach it, which the
# ratio of its POST /login/ to the first stack's shows.  Then the
# wrong-token path, with the store and without: a budget wrk's one address
# never spends (1000000 per 1 ms window), so every failure is counted
# (in redis, or in the process) and answered 401.
PORT_STORE=$("$here/scripts/free-port.sh")
LOGIN_RATE=off AUTH_FAIL_STORE=local-redis RUN_DIR=$work/run-store PORT=$PORT_STORE \
    "$here/scripts/stack.sh" start
store=http://127.0.0.1:$PORT_STORE
PORT_WRONG=$("$here/scripts/free-port.sh")
LOGIN_RATE=off AUTH_FAIL_LIMIT=1000000 AUTH_FAIL_WINDOW_MS=1 AUTH_FAIL_STORE=local-redis \
    RUN_DIR=$work/run-wrong PORT=$PORT_WRONG "$here/scripts/stack.sh" start
wrong_store=http://127.0.0.1:$PORT_WRONG
PORT_WRONGL=$("$here/scripts/free-port.sh")
LOGIN_RATE=off AUTH_FAIL_LIMIT=1000000 AUTH_FAIL_WINDOW_MS=1 \
    RUN_DIR=$work/run-wrongl PORT=$PORT_WRONGL "$here/scripts/stack.sh" start
wrong_local=http://127.0.0.1:$PORT_WRONGL

# docker compose up, as a user meets it (the failed-login limit on, as in
# the first stack; no login rate limit, for wrk's one address).
compose_ip=''
if [ "$COMPOSE" != 0 ]; then
	# An engine that answers already (the machine's, or the private one of
	# an earlier "up") is left running.
	own_engine=0
	docker info >/dev/null 2>&1 ||
	    DOCKER_HOST=unix://${DOCKER_DIR:-/var/tmp/cgi-docker}/docker.sock \
	    docker info >/dev/null 2>&1 || own_engine=1
	eval "$("$here/scripts/docker-engine.sh" up)"
	"$here/scripts/images.sh" >/dev/null
	export COMPOSE_PROJECT_NAME=cgibench$$
	GATEWAY_PORT=$("$here/scripts/free-port.sh")
	export GATEWAY_PORT LOGIN_RATE=off
	(cd "$here" && docker-compose up -d --no-build >/dev/null 2>&1)
	# The same with LOG_REQUESTS=all, not published, idle while the
	# others run.
	(cd "$here" && COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME}all LOG_REQUESTS=all \
	    GATEWAY_PORT=$("$here/scripts/free-port.sh") docker-compose up -d --no-build >/dev/null 2>&1)
	for _ in $(seq 300); do
		[ "$(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
		    --filter health=healthy | wc -l)" -ge 4 ] &&
		    [ "$(docker ps -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_NAME}all" \
		    --filter health=healthy | wc -l)" -ge 4 ] && break
		sleep 0.2
	done
	# The gateway's address on the default network: the one with a route
	# from the host (the hops' bridges have none, docker-compose.yml).
	compose_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"${COMPOSE_PROJECT_NAME}_default\").IPAddress}}" \
	    "$(cd "$here" && docker-compose ps -q gateway)")
	compose_all_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"${COMPOSE_PROJECT_NAME}all_default\").IPAddress}}" \
	    "$(cd "$here" && COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME}all docker-compose ps -q gateway)")
	unset LOGIN_RATE
fi

# The swarm stack (scripts/swarm.sh up builds the nodes and deploys it; its
# DOCKER_HOST is node 1's, kept apart from the compose engine's).
swarm_ip=''
if [ "$SWARM" = 1 ]; then
	# Port 8080 on every node (compose's free GATEWAY_PORT is not the
	# swarm's: the rig's proxies go to each node's 8080).
	swarm_env=$(GATEWAY_PORT=8080 LOGIN_RATE=off "$here/scripts/swarm.sh" up)
	swarm_gw=$(sed -n 's/^export GATEWAY=//p' <<<"$swarm_env")
	swarm_docker=$(sed -n 's/^export DOCKER_HOST=//p' <<<"$swarm_env")
	# Node 1's gateway container, on the node's docker_gwbridge.
	cid=$(DOCKER_HOST=$swarm_docker docker ps -q --no-trunc --filter name=cgi_gateway)
	swarm_ip=$(DOCKER_HOST=$swarm_docker docker network inspect docker_gwbridge \
	    -f '{{range $id, $c := .Containers}}{{$id}} {{$c.IPv4Address}}{{"\n"}}{{end}}' |
	    awk -v id="$cid" '$1 == id { sub("/.*", "", $2); print $2 }')
	[ -n "$swarm_ip" ] || { echo "bench: node 1's gateway has no docker_gwbridge address" >&2; exit 1; }
fi

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
	"ours POST /login/ (shared store)|POST|$store/login/|200"
	"ours POST /login/ (wrong token, shared store)|POSTWRONG|$wrong_store/login/|401"
	"ours POST /login/ (wrong token, local budget)|POSTWRONG|$wrong_local/login/|401"
	"ours GET /info|GET|$ours/info|200"
	"ours GET /info (access token, verified before)|LUA:info-jwt|$ours/info|200"
	"ours GET /info (access tokens, a signature check each)|LUA:info-jwts|$ours/info|200"
	"ours GET /info (HTTPS)|GET|$ours_tls/info|200"
	"ours GET /info (no token)|GETANON|$cached/info|401"
	"ours GET /info (cache on)|GET|$cached/info|200"
	"ours GET /info (cache on, 1000 tokens, Zipf)|ZIPF|$zipf/info|200"
	"ours GET /info (LOG_REQUESTS=all)|GET|$logall/info|200"
	"FastAPI POST /login/|POST|http://127.0.0.1:$fa_auth/login/|200"
	"FastAPI GET /info|GET|http://127.0.0.1:$fa_info/info|200"
	"FastAPI GET /info (no token)|GETANON|http://127.0.0.1:$fa_info/info|401"
)
if [ -n "$compose_ip" ]; then
	targets+=(
		"compose POST /login/|POST|http://$compose_ip:8080/login/|200"
		"compose GET /info|GET|http://$compose_ip:8080/info|200"
		"compose GET /info (published port)|GET|http://127.0.0.1:$GATEWAY_PORT/info|200"
		"compose GET /info (LOG_REQUESTS=all)|GET|http://$compose_all_ip:8080/info|200"
	)
fi
if [ -n "$swarm_ip" ]; then
	targets+=(
		"swarm POST /login/ (node 1's gateway container)|POST|http://$swarm_ip:8080/login/|200|cgisw-1"
		"swarm GET /info (node 1's gateway container)|GET|http://$swarm_ip:8080/info|200|cgisw-1"
		"swarm GET /info (node 1's published port, docker-proxy)|GET|http://127.0.0.1:8080/info|200|cgisw-1"
		"swarm GET /info (host port: socket-proxyd + docker-proxy)|GET|$swarm_gw/info|200"
	)
fi

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

declare -A RES
echo "# wrk ${SECS}s x $ROUNDS rounds, interleaved; connections: $CONNS" >&2
for c in $CONNS; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for tg in "${targets[@]}"; do
			IFS='|' read -r name method url want ns <<<"$tg"
			res=$(run_wrk "$method" "$url" "$c" "$ns")
			RES["$name|$c"]+="$res;"
			echo "#  c=$c round $r $name: $res" >&2
		done
	done
done

# The decision cache, on the Zipf stack.
# auth_yes URL: how many 200s auth has answered to POST /login/ (its metrics).
auth_yes() {
	curl -s "$1/metrics/auth" |
	    awk '/^cgi_requests_total\{.*route="\/login\/",status="200"\}/ { s += $2 } END { print s + 0 }'
}
# A burst of 1000 concurrent requests with a token nobody used yet: how many
# of them reach auth (singleflight: one call per info thread at most, then
# the cache).
for _ in $(seq 1000); do printf 'url = "%s/info"\noutput = "/dev/null"\n' "$zipf"; done >"$work/burst"
before=$(auth_yes "$zipf")
curl -s -Z --parallel-immediate --parallel-max 1000 -K "$work/burst" \
    -H 'Authorization: burst-token' -w '%{http_code}\n' >"$work/burst.codes" 2>/dev/null || true
burst_calls=$(($(auth_yes "$zipf") - before))
burst_ok=$(grep -c '^200$' "$work/burst.codes" || true)
# revocation_gap TOKEN WRK_ARGS...: under wrk load, TOKEN is removed from
# the file and auth reloaded; milliseconds from the reload to the first
# 401 for TOKEN at /info (polled every 10 ms, at most 15 s).
revocation_gap() {
	local tok=$1 t0 t1 st wpid
	shift
	wrk -t1 -c8 -d12s "$@" "$zipf/info" >/dev/null 2>&1 &
	wpid=$!
	sleep 1
	curl -s -o /dev/null -H "Authorization: $tok" "$zipf/info"
	grep -vx "$tok" "$work/tokens" >"$work/tokens.new"
	chmod 0644 "$work/tokens.new"
	mv "$work/tokens.new" "$work/tokens"
	t0=$(date +%s%N)
	RUN_DIR=$work/run-zipf "$here/scripts/stack.sh" reload >/dev/null
	for _ in $(seq 1500); do
		st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $tok" "$zipf/info")
		[ "$st" = 401 ] && break
		sleep 0.01
	done
	t1=$(date +%s%N)
	wait "$wpid" 2>/dev/null || true
	if [ "$st" = 401 ]; then echo $(((t1 - t0) / 1000000)); else echo "over 15000"; fi
}
# Under the Zipf mix the other tokens' misses bring the new generation; a
# load of one token alone (the one removed) brings none until its max-age.
gap_mix=$(revocation_gap tok-1 -s "$here/bench/wrk/zipf.lua")
gap_one=$(revocation_gap tok-2 -H 'Authorization: tok-2')

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
# The store stack's redis: EVAL calls its valid-login rows made (none).
store_evals=$(REDISCLI_AUTH=$(cat "$work/run-store/redis/password") \
    redis-cli -s "$work/run-store/redis/redis.sock" INFO commandstats |
    tr -d '\r' | sed -n 's/^cmdstat_eval:calls=\([0-9]*\),.*/\1/p')
store_evals=${store_evals:-0}
mem_info=$(mem "$(s6-svstat -o pid "$work/run/svc/info")")
# shellcheck disable=SC2046  # one pid per word
mem_nginx=$(mem $(cat "$work/run/nginx.pid") $(pgrep -P "$(cat "$work/run/nginx.pid")"))
mem_fa_auth=$(mem "${pids[0]}")
mem_fa_info=$(mem "${pids[1]}")

# field N of every round's result for name at c, median of them
med() { tr ';' '\n' <<<"${RES["$1|$2"]}" | awk -v f="$3" 'NF { print $f }' | median; }
sum() { tr ';' '\n' <<<"${RES["$1|$2"]}" | awk -v f="$3" 'NF { s += $f } END { print s + 0 }'; }

# The latency table of the headline targets (Kong's benchmark page's
# shape): every connection count, req/s and p50/p95/p99, the runs.
headline() {
	local c tg name
	echo "### The headline targets"
	echo
	echo "$ROUNDS runs of ${SECS} s per target and connection count, interleaved, medians; wrk -t2 (-t1 at 1 connection) on 127.0.0.1, $(nproc) CPUs shared with nginx and both services."
	echo
	echo "| target | conns | req/s | p50 ms | p95 ms | p99 ms |"
	echo "|---|---|---|---|---|---|"
	for tg in "ceiling|the nginx ceiling (return 200)" "ours POST /login/|POST /login/" \
	    "ours GET /info|GET /info, asking auth (static token)" \
	    "ours GET /info (cache on)|GET /info, from the decision cache" \
	    "ours GET /info (access token, verified before)|GET /info, access token checked in info (verified before)" \
	    "ours GET /info (access tokens, a signature check each)|GET /info, access tokens checked in info (a signature each)" \
	    "compose GET /info|docker compose GET /info (container address)"; do
		IFS='|' read -r name label <<<"$tg"
		[ -n "${RES["$name|${CONNS%% *}"]:-}" ] || continue
		for c in $CONNS; do
			printf '| %s | %s | %.0f | %.2f | %.2f | %.2f |\n' "$label" "$c" "$(med "$name" "$c" 1)" \
			    "$(med "$name" "$c" 2)" "$(med "$name" "$c" 6)" "$(med "$name" "$c" 3)"
		done
	done
}

{
	echo "| target | conns | req/s (median) | p50 ms | p99 ms | socket errors | unexpected status | vs ceiling | vs FastAPI |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for c in $CONNS; do
		ceil=$(med ceiling "$c" 1)
		for tg in "${targets[@]}"; do
			IFS='|' read -r name method url want _ <<<"$tg"
			rps=$(med "$name" "$c" 1)
			unexpected=$(sum "$name" "$c" 5)
			[ "$want" = 401 ] && unexpected="n/a (401 expected)"
			fa=""
			case "$name" in
			*"wrong token"*) ;;
			ours* | compose*)
				fa=${name#* }; fa=${fa% (cache on)}; fa=${fa% (cache on, 1000 tokens, Zipf)}; fa=${fa% (HTTPS)}
				fa=${fa% (published port)}; fa=${fa% (LOG_REQUESTS=all)}; fa=${fa% (shared store)}
				fa=${fa% (access token, verified before)}; fa=${fa% (access tokens, a signature check each)}
				fa=$(med "FastAPI ${fa% (no failed-login limit)}" "$c" 1) ;;
			swarm*)
				fa=${name#swarm }
				fa=$(med "FastAPI ${fa% (*}" "$c" 1) ;;
			esac
			printf '| %s | %s | %.0f | %.2f | %.2f | %s | %s | %.1f%% | %s |\n' "$name" "$c" \
			    "$rps" "$(med "$name" "$c" 2)" "$(med "$name" "$c" 3)" "$(sum "$name" "$c" 4)" \
			    "$unexpected" "$(awk -v a="$rps" -v b="$ceil" 'BEGIN { print 100 * a / b }')" \
			    "$( [ -n "$fa" ] && awk -v a="$rps" -v b="$fa" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')"
		done
	done
	echo
	headline
	echo
	ratio_table "GET /info: an access token checked in info (verified before) vs a static token (asks auth)" \
	    "access token" static "ours GET /info (access token, verified before)" "ours GET /info"
	echo
	ratio_table "GET /info: access tokens, a signature check each, vs a static token (asks auth)" \
	    "access tokens" static "ours GET /info (access tokens, a signature check each)" "ours GET /info"
	echo
	ratio_table "GET /info with an access token verified before vs POST /login/" \
	    "/info, token" "/login/" "ours GET /info (access token, verified before)" "ours POST /login/"
	echo
	ratio_table "GET /info, HTTPS vs plain HTTP" HTTPS HTTP \
	    "ours GET /info (HTTPS)" "ours GET /info"
	echo
	ratio_table "POST /login/, failed-login limit on vs off" on off \
	    "ours POST /login/" "ours POST /login/ (no failed-login limit)"
	echo
	ratio_table "POST /login/ (valid token), shared failed-login store on vs off" "store on" off \
	    "ours POST /login/ (shared store)" "ours POST /login/"
	echo
	ratio_table "POST /login/ (wrong token, each a failure counted), shared store vs the process's own budget" store local \
	    "ours POST /login/ (wrong token, shared store)" "ours POST /login/ (wrong token, local budget)"
	echo
	echo "| shared budget (same run, the store stack) | measured | bound (docs/security.md) |"
	echo "|---|---|---|"
	echo "| redis EVAL calls made by the valid-login rows | $store_evals | 0 |"
	echo
	ratio_table "GET /info: cache on (one token) vs off" "cache on" off \
	    "ours GET /info (cache on)" "ours GET /info"
	echo
	ratio_table "GET /info: cache on (1000 tokens, Zipf) vs off" "Zipf mix" off \
	    "ours GET /info (cache on, 1000 tokens, Zipf)" "ours GET /info"
	echo
	echo "| decision cache (same run, the Zipf stack) | measured | bound (docs/security.md) |"
	echo "|---|---|---|"
	echo "| 1000 concurrent /info with a new token: calls that reached auth | $burst_calls ($burst_ok of 1000 answered 200) | one per info thread (singleflight), then the cache |"
	echo "| a token removed by SIGHUP under the Zipf load: ms to its first 401 | $gap_mix | the next call to auth for any token; at most one max-age (5 s) |"
	echo "| the same with that token alone under load (no other misses) | $gap_one | one max-age (5000 ms) |"
	echo
	ratio_table "GET /info, make run: LOG_REQUESTS=all vs the default 100/s" all 100/s \
	    "ours GET /info (LOG_REQUESTS=all)" "ours GET /info"
	if [ -n "$compose_ip" ]; then
		echo
		ratio_table "GET /info, docker compose: LOG_REQUESTS=all vs the default 100/s" all 100/s \
		    "compose GET /info (LOG_REQUESTS=all)" "compose GET /info"
		echo
		ratio_table "GET /info, docker compose (container address) vs make run" compose "make run" \
		    "compose GET /info" "ours GET /info"
		echo
		ratio_table "POST /login/, docker compose (container address) vs make run" compose "make run" \
		    "compose POST /login/" "ours POST /login/"
		echo
		ratio_table "GET /info, docker compose (published port) vs make run" compose "make run" \
		    "compose GET /info (published port)" "ours GET /info"
	fi
	if [ -n "$swarm_ip" ]; then
		echo
		ratio_table "GET /info, swarm (node 1's gateway container) vs compose (container address)" swarm compose \
		    "swarm GET /info (node 1's gateway container)" "compose GET /info"
		echo
		ratio_table "POST /login/, swarm (node 1's gateway container) vs compose (container address)" swarm compose \
		    "swarm POST /login/ (node 1's gateway container)" "compose POST /login/"
		echo
		ratio_table "GET /info, swarm through the rig's host port vs node 1's gateway container" "host port" container \
		    "swarm GET /info (host port: socket-proxyd + docker-proxy)" "swarm GET /info (node 1's gateway container)"
	fi
	echo
	# /info crosses the gateway twice (the client's request, then info's
	# call to auth), so its bound is half of login's share of the ceiling.
	echo "| GET /info vs its two-hop bound (same run) | conns | /info of the ceiling | /login/ of the ceiling | /info of its bound (2 x /info / /login/) |"
	echo "|---|---|---|---|---|"
	for c in $CONNS; do
		awk -v c="$c" -v i="$(med "ours GET /info" "$c" 1)" -v l="$(med "ours POST /login/" "$c" 1)" \
		    -v t="$(med ceiling "$c" 1)" 'BEGIN {
			printf "| | %s | %.1f%% | %.1f%% | %.1f%% |\n", c, 100 * i / t, 100 * l / t, 200 * i / l }'
	done
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

# The picture (gnuplot): req/s and p99 by connection count, a line per
# target, into an SVG beside the document, which shows it.
SVG=${OUT%.md}.svg
plot=()
i=0
for tg in "${targets[@]}"; do
	IFS='|' read -r name _ <<<"$tg"
	i=$((i + 1))
	for c in $CONNS; do
		echo "$c $(med "$name" "$c" 1) $(med "$name" "$c" 3)"
	done >"$work/plot-$i.dat"
	# gnuplot's single quotes: a quote is written twice.
	plot+=("'$work/plot-$i.dat' using 1:COL with linespoints title '${name//\'/\'\'}'")
done
{
	echo "set terminal svg size 1200,640 dynamic font 'sans,10'"
	echo "set output '$SVG'"
	echo "set multiplot layout 1,2 title 'make bench, $(date -u +%Y-%m-%d): medians of $ROUNDS rounds of ${SECS} s'"
	echo "set logscale x 2; set xlabel 'connections'; set grid; set key outside below vertical maxrows 8 font ',8'"
	echo "set xtics (${CONNS// /, })"
	echo "set ylabel 'req/s'"
	all=$(IFS=,; echo "${plot[*]}")
	echo "plot ${all//COL/2}"
	echo "set ylabel 'p99 ms'; set logscale y"
	echo "plot ${all//COL/3}"
	echo "unset multiplot"
} >"$work/plot.gp"
gnuplot "$work/plot.gp"

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
	echo "- ours (cache on): the same stack started with AUTH_CACHE_TTL_MS=5000: info keeps"
	echo "  auth's yes for as long as auth says (private, max-age=5), at most 5 s, so most /info"
	echo "  skip the call to auth (off by default). \"1000 tokens, Zipf\": a stack with 1000"
	echo "  tokens, wrk picking one per request Zipf-distributed (bench/wrk/zipf.lua)."
	echo "- Memory: RSS counts every page of the shared libraries a process maps (info.fcgi's"
	echo "  libcurl brings ~30); PSS divides shared pages among their users; private is the"
	echo "  process's own. Most of info.fcgi's RSS is the load of those libraries; each of its"
	echo "  worker threads adds a stack, a malloc arena and a curl handle (docs/architecture.md)."
	echo "- ours GET /info (HTTPS): the same stack's TLS port (make run TLS=1: ECDSA P-256,"
	echo "  TLS 1.3, HTTP/1.1 as wrk speaks it); wrk keeps its connections, so the handshake is"
	echo "  paid once per connection and the cost is the record encryption."
	echo "- ours GET /info (access token...): info checks the token itself with auth's keys"
	echo "  (INFO_VERIFY_TOKENS=local, the default), no call to auth. \"Verified before\": one"
	echo "  token, answered from info's cache of verified tokens (vcache) after its first"
	echo "  check; \"a signature check each\": 4096 tokens in turn (bench/wrk/info-jwts.lua),"
	echo "  four times that cache's slots, so nearly every request is an Ed25519 check."
	echo "- FastAPI: bench/reference/, the tutorial's two services, each one uvicorn worker."
	echo "- compose: \`docker compose up\` with the images of make test-compose, defaults but"
	echo "  LOGIN_RATE=off, on a Docker engine on the same machine; \"container address\" is the"
	echo "  gateway container's own address on the compose network, \"published port\" adds"
	echo "  Docker's port publishing (docker-proxy, as this engine runs without iptables)."
	echo "  Its containers' log lines go through Docker's json-file driver."
	echo "- Request logs: every process writes at most LOG_REQUESTS=100/s request lines"
	echo "  (errors and slow requests always), in every row (docs/operations.md) but the"
	echo "  LOG_REQUESTS=all ones: the same stacks logging every request."
	echo
	echo "![req/s and p99 by connection count, each target](${SVG##*/})"
	echo
	cat "$work/table.md"
	# The last A/B table (make bench BENCH_BASE=REV, scripts/bench-ab.sh)
	# and the last bench-token block stay (make bench rewrites the latter
	# after this).
	for block in bench-ab bench-token; do
		if [ -f "$OUT" ] && grep -q "^<!-- $block:start -->\$" "$OUT"; then
			echo
			sed -n "/^<!-- $block:start -->\$/,/^<!-- $block:end -->\$/p" "$OUT"
		fi
	done
} > "$work/out.md"
cat "$work/out.md" > "$OUT"
echo "written to $OUT" >&2

# The README's figures, from this run's medians at 32 connections.
c=32
summary=$(
	i=$(med "ours GET /info" $c 1)
	echo "Last run ($(date -u +%Y-%m-%d), written by make bench) on $(nproc) shared cores, $c connections:"
	awk -v i="$i" -v f="$(med "FastAPI GET /info" $c 1)" -v t="$(med ceiling $c 1)" \
	    -v l="$(med "ours POST /login/" $c 1)" -v p="$(med "ours GET /info" $c 3)" 'BEGIN {
		printf "make run GET /info %.1fk req/s vs FastAPI'"'"'s %.2fk (%.1fx; %.1f %% of nginx'"'"'s own\n", i / 1000, f / 1000, i / f, 100 * i / t
		printf "`return 200`, %.1fk), p99 %.1f ms; POST /login/ %.1fk (%.1f %%).\n", t / 1000, p, l / 1000, 100 * l / t }'
	if [ -n "$compose_ip" ]; then
		awk -v ci="$(med "compose GET /info" $c 1)" -v cl="$(med "compose POST /login/" $c 1)" \
		    -v cp="$(med "compose GET /info (published port)" $c 1)" -v i="$i" \
		    -v l="$(med "ours POST /login/" $c 1)" 'BEGIN {
			printf "docker compose, at the gateway container'"'"'s address: GET /info %.1fk (%.2f of make\n", ci / 1000, ci / i
			printf "run'"'"'s in the same run), POST /login/ %.1fk (%.2f); through the published port\n", cl / 1000, cl / l
			printf "GET /info %.1fk (%.2f).\n", cp / 1000, cp / i }'
	fi
	awk -v j="$(med "ours GET /info (access token, verified before)" $c 1)" \
	    -v s="$(med "ours GET /info (access tokens, a signature check each)" $c 1)" \
	    -v i="$i" -v l="$(med "ours POST /login/" $c 1)" 'BEGIN {
		printf "GET /info with an access token, checked in info with auth'"'"'s keys: %.1fk req/s when\n", j / 1000
		printf "verified before (%.2fx GET /info with a static token, %.2fx POST /login/), %.1fk\n", j / i, j / l, s / 1000
		printf "with a signature check each (%.2fx).\n", s / i }'
	echo "Memory after the load (RSS / PSS): auth.fcgi $(cut -d'|' -f1,2 <<<"$mem_auth" | sed 's/ MB |/ \//; s/ *$//'),"
	echo "info.fcgi $(cut -d'|' -f1,2 <<<"$mem_info" | sed 's/ MB |/ \//; s/ *$//')."
)
if grep -q '^<!-- bench:start -->$' "$README"; then
	awk -v s="$summary" '
		/^<!-- bench:start -->$/ { print; print s; skip = 1; next }
		/^<!-- bench:end -->$/ { skip = 0 }
		!skip' "$README" > "$work/README.md"
	cat "$work/README.md" > "$README"
	echo "README's figures rewritten" >&2
fi
