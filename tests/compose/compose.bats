#!/usr/bin/env bats
# docker compose up, on a real Docker engine: images built from the
# Dockerfile, the three containers healthy, the tutorial's curl session, a
# stopped auth, replicas, and a quick graceful down.  Everything started here
# is removed in teardown_file: containers, network, and the engine itself if
# scripts/docker-engine.sh had to start one.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_file() {
	local env
	# A dockerd already answering is the machine's; ours is stopped after.
	if docker info >/dev/null 2>&1; then
		echo 0 > "$BATS_FILE_TMPDIR/own_engine"
	else
		echo 1 > "$BATS_FILE_TMPDIR/own_engine"
	fi
	env=$("$ROOT/scripts/docker-engine.sh" up)
	eval "$env"
	echo "$env" > "$BATS_FILE_TMPDIR/env"
	"$ROOT/scripts/images.sh" > "$BATS_FILE_TMPDIR/sizes"
	export COMPOSE_PROJECT_NAME=cgitest$$
	GATEWAY_PORT=$("$ROOT/scripts/free-port.sh")
	# The shared budget's test counts against this limit.
	export GATEWAY_PORT AUTH_FAIL_LIMIT=20 AUTH_FAIL_WINDOW_MS=60000
	echo "export COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME GATEWAY_PORT=$GATEWAY_PORT" \
	    "AUTH_FAIL_LIMIT=$AUTH_FAIL_LIMIT AUTH_FAIL_WINDOW_MS=$AUTH_FAIL_WINDOW_MS" \
	    >> "$BATS_FILE_TMPDIR/env"
	cd "$ROOT" || return
	docker-compose up -d --no-build >&2
	wait_healthy 4
}

teardown_file() {
	load "$BATS_FILE_TMPDIR/env"
	cd "$ROOT" || return
	docker-compose down --remove-orphans -t 10 >&2 || true
	if [ "$(cat "$BATS_FILE_TMPDIR/own_engine")" = 1 ]; then
		"$ROOT/scripts/docker-engine.sh" down
	fi
}

setup() {
	# http, header and the assertions of the integration suites.
	load ../integration/helpers
	load "$BATS_FILE_TMPDIR/env"
	cd "$ROOT" || return
	BASE=http://127.0.0.1:$GATEWAY_PORT
}

# wait_healthy N: until N containers of the project are healthy (60 s).
wait_healthy() {
	local i n
	for ((i = 0; i < 600; i++)); do
		n=$(docker ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
		    --filter health=healthy -q | wc -l)
		[ "$n" -ge "$1" ] && return 0
		sleep 0.1
	done
	docker-compose ps >&2
	docker-compose logs --tail=20 >&2
	return 1
}

# served NAME: how many /info or /login/ requests each replica of NAME logged.
served() {
	local c
	for c in $(docker-compose ps -q "$1"); do
		docker logs "$c" 2>&1 | grep -c '"status":200' || true
	done
}

@test "the images are built FROM debian:bookworm-slim, run unprivileged and are small" {
	local t
	cat "$BATS_FILE_TMPDIR/sizes" >&3
	for t in auth info; do
		run docker image inspect -f '{{.Config.User}}' "cgi-microservices/$t:latest"
		assert_output app
	done
	run docker image inspect -f '{{.Config.User}}' cgi-microservices/gateway:latest
	assert_output www-data
	# Each image adds little to the base: under 20 MB.
	base=$(docker image inspect -f '{{.Size}}' debian:bookworm-slim)
	for t in auth info gateway; do
		size=$(docker image inspect -f '{{.Size}}' "cgi-microservices/$t:latest")
		[ $((size - base)) -lt 20000000 ] || fail "$t adds $((size - base)) bytes"
	done
}

@test "only the gateway publishes a port" {
	run docker-compose port gateway 8080
	assert_output "127.0.0.1:$GATEWAY_PORT"
	for s in auth info redis; do
		run docker inspect -f '{{json .HostConfig.PortBindings}}' "$(docker-compose ps -q "$s")"
		assert_output '{}'
	done
}

# reach FROM HOST PORT: "open" when a TCP connection from service FROM's
# container to HOST:PORT succeeds within 2 s, else "closed" (bash's
# /dev/tcp: a name that does not resolve, no route, or refused).
reach() {
	docker-compose exec -T "$1" timeout 2 bash -c \
	    'exec 3<>"/dev/tcp/$0/$1" && echo open' "$2" "$3" 2>/dev/null || echo closed
}

@test "one network per hop: info's container reaches neither auth's port nor redis, by name or address; the gateway reaches both services" {
	local auth_ip redis_ip
	auth_ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' \
	    "$(docker-compose ps -q auth | head -n 1)")
	redis_ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' \
	    "$(docker-compose ps -q redis)")
	echo "# auth at $auth_ip, redis at $redis_ip" >&3
	assert_equal "$(reach info auth 9000)" closed
	assert_equal "$(reach info redis 6379)" closed
	for ip in $auth_ip; do
		assert_equal "$(reach info "$ip" 9000)" closed
	done
	for ip in $redis_ip; do
		assert_equal "$(reach info "$ip" 6379)" closed
	done
	# What info needs: the gateway's internal listener.
	assert_equal "$(reach info gateway 8081)" open
	# The gateway reaches both services; auth reaches redis, not info.
	assert_equal "$(reach gateway auth 9000)" open
	assert_equal "$(reach gateway info 9000)" open
	assert_equal "$(reach auth redis 6379)" open
	assert_equal "$(reach auth info 9000)" closed
	# And the tutorial's session works across those hops.
	assert_tutorial_session
}

@test "the tokens are a secret file in auth's container, not its environment: docker inspect shows no token" {
	local c
	c=$(docker-compose ps -q auth | head -n 1)
	run bash -c "docker inspect '$c' | grep -c merixstudio"
	assert_output 0
	run docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$c"
	assert_line AUTH_TOKENS_FILE=/run/secrets/auth_tokens
	assert_line AUTH_TOKENS=
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
}

@test "the tutorial's curl session: 401 without a token, then 200 and the answer; health and docs" {
	assert_tutorial_session
	http GET /healthz
	assert_equal "$STATUS" 200
	http GET /openapi.json
	assert_equal "$STATUS" 200
	http GET /docs/
	assert_equal "$STATUS" 200
}

@test "a newcomer's password session: the demo user's token from POST /token, then /info 200, checked in info; PyJWT verifies it through the JWKS" {
	local tok
	http POST /token -d 'grant_type=password&username=alice&password=wonderland'
	assert_equal "$STATUS" 200
	tok=$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$BODY")
	http GET /info -H "Authorization: Bearer $tok"
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
	run /usr/bin/python3 "$ROOT/tests/integration/jwt_peer.py" verify "$BASE" "$tok" http://127.0.0.1:8080
	assert_success
	assert_output --partial '"sub": "alice"'
	http POST /token -d 'grant_type=password&username=alice&password=wrong'
	assert_equal "$STATUS" 401
	# info checked that token itself, with the keys it fetched from auth
	# through the gateway (INFO_VERIFY_TOKENS=local).
	run docker-compose exec -T gateway bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081
	    printf "GET /metrics/info HTTP/1.0\r\n\r\n" >&3; cat <&3'
	assert_success
	assert_line 'info_jwks_keys 1'
	assert_line --regexp '^info_access_tokens_total\{verdict="verified"\} [1-9]'
}

@test "auth stopped: /info answers 503 JSON, never 200 or a hang; started again: 200" {
	local i
	docker-compose stop auth >&2
	for ((i = 0; i < 50; i++)); do
		http GET /info -H 'Authorization: merixstudio'
		# Fast and clear while the gateway notices: 503, or 504 for a
		# call to the vanished address still cached for up to 1 s.
		[[ "$STATUS" = 50[34] ]] || fail "got $STATUS $BODY"
		awk -v t="$TIME" 'BEGIN { exit !(t < 2.5) }' || fail "took ${TIME}s"
		[ "$STATUS" = 503 ] && break
	done
	assert_equal "$STATUS" 503
	assert_equal "$BODY" '{"detail":"auth service unavailable"}'
	assert_equal "$(header Retry-After)" 1
	http GET /healthz
	assert_equal "$STATUS" 503
	assert_equal "$BODY" '{"detail":"auth service unavailable"}'
	docker-compose start auth >&2
	for ((i = 0; i < 100; i++)); do
		http GET /info -H 'Authorization: merixstudio'
		[ "$STATUS" = 200 ] && break
		sleep 0.1
	done
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
}

@test "docker-compose kill -s HUP auth reaches auth.fcgi (PID 1): it reloads, it does not die" {
	local c
	c=$(docker-compose ps -q auth | head -n 1)
	docker-compose kill -s HUP auth >&2
	for _ in $(seq 1 50); do
		docker logs "$c" 2>&1 | grep -q 'SIGHUP' && break
		sleep 0.1
	done
	# compose gives auth its tokens as a file (a secret): HUP reads it again.
	run bash -c "docker logs '$c' 2>&1 | grep -c 'SIGHUP: 1 token(s) loaded from AUTH_TOKENS_FILE (were 1)'"
	assert_output 1
	assert_equal "$(docker inspect -f '{{.State.Running}} {{.RestartCount}}' "$c")" "true 0"
	http POST /login/ -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
}

@test "under load, info scaled 1 -> 3 -> 1 and auth 1 -> 2 -> 1: 0 failed requests, 0 non-2xx" {
	local wrk_pid
	# Bounded: 8 connections for 40 s, on this machine's loopback.
	wrk -t2 -c8 -d40s -H 'Authorization: merixstudio' "$BASE/info" \
	    > "$BATS_TEST_TMPDIR/wrk" 2>&1 &
	wrk_pid=$!
	sleep 2
	docker-compose up -d --no-build --no-recreate --scale info=3 --scale auth=2 >&2
	wait_healthy 7
	# Every gateway worker has asked the DNS again (each second).
	sleep 2
	docker-compose up -d --no-build --no-recreate --scale info=1 --scale auth=1 >&2
	sleep 2
	kill -0 "$wrk_pid" || fail "the load ended before the scaling did"
	wait "$wrk_pid"
	cat "$BATS_TEST_TMPDIR/wrk" >&3
	run grep -E 'Non-2xx|Socket errors' "$BATS_TEST_TMPDIR/wrk"
	assert_failure
	grep -Eq '^ +[0-9]+ requests in' "$BATS_TEST_TMPDIR/wrk"
	run docker-compose ps -q info
	assert_equal "${#lines[@]}" 1
}

# conns SERVICE STATE: how many TCP connections on SERVICE's port 9000 are in
# STATE (01 established, 06 TIME_WAIT), read in its own network namespace.
conns() {
	docker-compose exec -T "$1" cat /proc/net/tcp |
	    awk -v st="$2" '$2 ~ /:2328$/ && $4 == st' | wc -l
}

@test "the gateway keeps its connections to auth and info: a few kept, not one per request" {
	local s
	wrk -t1 -c4 -d2s -H 'Authorization: merixstudio' "$BASE/info" > "$BATS_TEST_TMPDIR/wrk"
	grep -E 'requests in' "$BATS_TEST_TMPDIR/wrk" >&3
	for s in auth info; do
		echo "# $s: $(conns "$s" 01) established, $(conns "$s" 06) in TIME_WAIT" >&3
		# A connection the service closes after each request (none
		# kept) would leave thousands in TIME_WAIT on its side.
		[ "$(conns "$s" 01)" -ge 1 ] || fail "$s: no kept connection"
		[ "$(conns "$s" 06)" -lt 100 ] || fail "$s: $(conns "$s" 06) in TIME_WAIT"
	done
}

@test "--scale info=3 auth=2: the gateway spreads requests over every replica" {
	local i n
	docker-compose up -d --no-build --no-recreate --scale info=3 --scale auth=2 >&2
	wait_healthy 7
	# The gateway re-resolves the names at most 1 s later.
	sleep 1.5
	for i in $(seq 60); do
		http GET /info -H 'Authorization: merixstudio'
		assert_equal "$STATUS" 200
	done
	run served info
	assert_equal "${#lines[@]}" 3
	for n in "${lines[@]}"; do
		[ "$n" -ge 1 ] || fail "an info replica served nothing: ${lines[*]}"
	done
	run served auth
	assert_equal "${#lines[@]}" 2
	for n in "${lines[@]}"; do
		[ "$n" -ge 1 ] || fail "an auth replica served nothing: ${lines[*]}"
	done
}

@test "metrics: readable inside the compose network, 403 through the published port" {
	run docker-compose exec -T gateway bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081
	    printf "GET /metrics/info HTTP/1.0\r\n\r\n" >&3; cat <&3'
	assert_success
	assert_line --partial 'HTTP/1.1 200 OK'
	assert_line --regexp '^info_auth_calls_total\{outcome="ok"\} [1-9]'
	http GET /metrics/info
	assert_equal "$STATUS" 403
	assert_equal "$BODY" '{"detail":"Forbidden"}'
}

@test "no container log holds the token" {
	run bash -c "docker-compose logs --no-color 2>&1 | grep -c merixstudio"
	assert_output 0
}

@test "with docker-compose.tls.yml the gateway serves HTTPS on HTTP/2 from mounted certificate files" {
	local d=$BATS_FILE_TMPDIR/tls port i
	make_test_cert "$d"
	# The key for nginx's user in the container (www-data, 33) only.
	chown 33:33 "$d/key.pem"
	chmod 0400 "$d/key.pem"
	port=$("$ROOT/scripts/free-port.sh")
	export TLS_CERT_FILE=$d/cert.pem TLS_KEY_FILE=$d/key.pem GATEWAY_TLS_PORT=$port
	docker-compose -f docker-compose.yml -f docker-compose.tls.yml up -d --no-build gateway >&2
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null --cacert "$d/cert.pem" "https://127.0.0.1:$port/healthz" && break
		sleep 0.1
	done
	BASE=https://127.0.0.1:$port
	http GET /info --cacert "$d/cert.pem" --http2 -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
	assert_equal "$(header Strict-Transport-Security)" max-age=63072000
	run curl -s -o /dev/null -w '%{http_version}' --cacert "$d/cert.pem" --http2 "$BASE/info"
	assert_output 2
	# Plain HTTP goes on beside it.
	BASE=http://127.0.0.1:$GATEWAY_PORT
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
}

# guesses SERVICE N P: N requests GET /info with a wrong token, in P loops
# at once, from inside SERVICE's container (bash's /dev/tcp), so from an
# address of their own: the gateway's 127.0.0.1, or info's on the network.
# Prints how many of each status.
guesses() {
	local host=127.0.0.1
	[ "$1" = gateway ] || host=gateway
	docker-compose exec -T "$1" bash -c "$GUESSES" _ "$host" "$2" "$3" | tally
}

# store_counted CONTAINER: its auth's failures counted in the store, read
# over FastCGI in the container itself (cgi-fcgi, as its healthcheck).
store_counted() {
	docker exec "$1" env -i REQUEST_METHOD=GET DOCUMENT_URI=/metrics REQUEST_URI=/metrics \
	    SERVER_PROTOCOL=HTTP/1.1 cgi-fcgi -bind -connect 127.0.0.1:9000 |
	    awk '$1 == "auth_fail_store_total{outcome=\"counted\"}" { print $2 }'
}

@test "--scale auth=3: 2000 wrong tokens from one address through /info get exactly AUTH_FAIL_LIMIT 401s in all, then 429; redis frozen or killed, each replica counts alone" {
	local c n out
	docker-compose up -d --no-build --no-recreate --scale info=1 --scale auth=3 >&2
	wait_healthy 6
	# The gateway re-resolves the names at most 1 s later.
	sleep 1.5
	# 4 loops at once of 500, from an address no test used.
	out=$(guesses gateway 2000 4)
	echo "# 2000 guesses: $out" >&3
	assert_equal "$out" "401=20 429=1980 "
	# Every replica took part: the budget was one, not one each.
	for c in $(docker-compose ps -q auth); do
		n=$(store_counted "$c")
		echo "# auth $c: $n counted in the store" >&3
		[ "${n:-0}" -ge 1 ] || fail "auth $c counted nothing in the store"
	done
	# Other addresses are not affected.
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	# Redis frozen (docker pause: the cgroup freezer): every failed login
	# still answers at once (5 ms per step, then each thread counts
	# locally), from another address; a valid token still 200.
	docker-compose pause redis >&2
	SECONDS=0
	out=$(guesses auth 100 2)
	echo "# 100 guesses, redis frozen, in ${SECONDS} s: $out" >&3
	[[ "$out" =~ ^401=([0-9]+)\ (429=[0-9]+\ )?$ ]] || fail "answers: $out"
	[ "${BASH_REMATCH[1]}" -ge 20 ] && [ "${BASH_REMATCH[1]}" -le 60 ] ||
	    fail "401s: ${BASH_REMATCH[1]}"
	# A bound with room for a loaded machine: a login that waited on the
	# frozen store would take info's 2 s deadline each.
	[ "$SECONDS" -lt 30 ] || fail "took ${SECONDS} s"
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	docker-compose unpause redis >&2
	# Redis killed: each replica falls back to its own budget (20 each),
	# answers at once, never 5xx; valid tokens still 200.
	docker-compose kill redis >&2
	out=$(guesses info 200 2)
	echo "# 200 guesses, redis killed: $out" >&3
	[[ "$out" =~ ^401=([0-9]+)\ 429=([0-9]+)\ $ ]] || fail "answers: $out"
	[ "${BASH_REMATCH[1]}" -ge 20 ] && [ "${BASH_REMATCH[1]}" -le 60 ] ||
	    fail "401s: ${BASH_REMATCH[1]}"
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	docker-compose up -d --no-build --no-recreate --scale info=1 --scale auth=3 redis >&2
	wait_healthy 6
}

@test "docker-compose down stops everything gracefully within a few seconds" {
	local t0 t1
	t0=$(date +%s%N)
	docker-compose down -t 10 >&2
	t1=$(date +%s%N)
	echo "# down took $(((t1 - t0) / 1000000)) ms" >&3
	[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "down took $(((t1 - t0) / 1000000)) ms"
	run docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
	assert_output ''
	run docker network ls -q --filter "name=${COMPOSE_PROJECT_NAME}_default"
	assert_output ''
}
