#!/usr/bin/env bats
# Brute force: the gateway limits POST /login/ per client address (an IPv6
# client per /64); info.fcgi's own calls to auth (the internal listener) are
# never limited.

setup_file() {
	load helpers
	# One request a minute and a burst of 3: the 5th in a row is refused.
	stack_start LOGIN_RATE=1r/m LOGIN_BURST=3
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

# A test's own stack (the /token test), stopped even when it failed.
teardown() {
	[ -f "$BATS_TEST_TMPDIR/second" ] || return 0
	RUN_DIR=$(cat "$BATS_TEST_TMPDIR/second") stack_stop
}

# login_from ADDRESS: POST /login/ with a wrong token from that loopback address.
login_from() {
	http POST /login/ --interface "$1" -H 'Authorization: guess'
}

@test "POST /login/ past the burst answers 429 JSON with Retry-After, per client address" {
	local i
	# stack_start's readiness checks came from 127.0.0.1, not from here.
	for i in 1 2 3 4; do
		login_from 127.0.0.2
		assert_status 401
	done
	login_from 127.0.0.2
	assert_status 429
	assert_header Retry-After 1
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_body '{"detail":"Too Many Requests"}'
	# Even the right token waits: a limit that a guess can skip is none.
	http POST /login/ --interface 127.0.0.2 -H 'Authorization: merixstudio'
	assert_status 429
	# Another address has its own allowance.
	login_from 127.0.0.3
	assert_status 401
}

@test "GET /info keeps working while its caller's address is throttled on /login/" {
	local i
	for i in 1 2 3 4 5 6; do
		login_from 127.0.0.4
	done
	assert_status 429
	# Each /info makes info.fcgi call POST /login/ through the gateway:
	# 30 of them in a row, far past the burst, all answered.
	for i in $(seq 30); do
		http GET /info --interface 127.0.0.4 -H 'Authorization: merixstudio'
		assert_status 200
	done
	assert_body '{"info":"The answer is 42."}'
}

@test "POST /token past the burst waits in the gateway (4 s of the rate), not a 429 at once; past that, 429 JSON" {
	local d=$BATS_TEST_TMPDIR/token i codes slow
	# A stack of its own at 10r/s, LOGIN_BURST=3: 3 + 40 places to wait.
	stack_start LOGIN_RATE=10r/s LOGIN_BURST=3 3>&-
	echo "$RUN_DIR" >"$BATS_TEST_TMPDIR/second"
	mkdir -p "$d"
	for i in $(seq 1 100); do
		curl -s -o "$d/$i.body" -m 10 -w '%{http_code} %{time_total}\n' \
		    --interface 127.0.0.5 -d grant_type=password "$BASE/token" >"$d/$i.out" &
	done
	wait
	codes=$(cut -d' ' -f1 "$d"/*.out | tally)
	# No users here: what reaches auth is a 400 (the password grant is off).
	[[ "$codes" =~ ^400=([0-9]+)\ 429=([0-9]+)\ $ ]] || fail "answers: $codes"
	# 44 at least (more as the rate goes on while they are sent), and
	# some refused.
	[ "${BASH_REMATCH[1]}" -ge 44 ] && [ "${BASH_REMATCH[2]}" -ge 1 ] || fail "answers: $codes"
	# The last to pass waited about 4 s; a 429 came at once.
	slow=$(awk '$1 == 400 && $2 > m { m = $2 } END { print m + 0 }' "$d"/*.out)
	awk -v s="$slow" 'BEGIN { exit !(s >= 3) }' || fail "the longest wait was ${slow}s"
	for i in $(seq 1 100); do
		read -r code secs <"$d/$i.out"
		[ "$code" = 429 ] || continue
		[ "$(cat "$d/$i.body")" = '{"detail":"Too Many Requests"}' ] || fail "$(cat "$d/$i.body")"
		awk -v s="$secs" 'BEGIN { exit !(s < 1) }' || fail "a 429 took ${secs}s"
	done
}

@test "IPv6: a client counts as its /64, at the gateway's limit and in auth's budget; another /64 is another client" {
	[ "$(id -u)" -eq 0 ] || skip "a network namespace of its own needs root"
	# Its own network namespace, addresses and stack (ipv6_limits.sh).
	run timeout 120 unshare --net bash "$BATS_TEST_DIRNAME/ipv6_limits.sh" "$ROOT"
	assert_success
	assert_line 'gateway: 200 200 200 200 429 other /64: 200'
	assert_line 'auth: 401 401 401 429 other /64: 200'
}

@test "the gateway logs a refused login as a warning without the token" {
	run grep -c 'limiting requests' "$RUN_DIR/logs/gateway.error.log"
	refute_output 0
	run grep -rl merixstudio "$RUN_DIR/logs"
	assert_output ''
}

@test "a malformed LOGIN_RATE, TOKEN_RATE or LOGIN_BURST stops the gateway's rendering with one line" {
	run env LISTEN=x AUTH_UPSTREAM=x INFO_UPSTREAM=x RUN_DIR=x ACCESS_LOG=x \
	    ERROR_LOG=x LOGIN_RATE=fast "$ROOT/nginx/render.sh"
	assert_failure 1
	assert_output "render: LOGIN_RATE: expected like 10r/s or 600r/m, or off, got 'fast'"
	run env LISTEN=x AUTH_UPSTREAM=x INFO_UPSTREAM=x RUN_DIR=x ACCESS_LOG=x \
	    ERROR_LOG=x LOGIN_BURST=-1 "$ROOT/nginx/render.sh"
	assert_failure 1
	assert_output "render: LOGIN_BURST: expected a whole number, got '-1'"
	run env LISTEN=x AUTH_UPSTREAM=x INFO_UPSTREAM=x RUN_DIR=x ACCESS_LOG=x \
	    ERROR_LOG=x TOKEN_RATE=5/s "$ROOT/nginx/render.sh"
	assert_failure 1
	assert_output "render: TOKEN_RATE: expected like 10r/s or 600r/m, or off, got '5/s'"
}

# token_limit VAR=VALUE...: the rendered /token zone's rate and limit line.
token_limit() {
	env LISTEN=x AUTH_UPSTREAM=x INFO_UPSTREAM=x RUN_DIR=x ACCESS_LOG=x \
	    ERROR_LOG=x "$@" "$ROOT/nginx/render.sh" |
	    grep -oE 'zone=token(:10m rate=[0-9]+r/[sm]| burst=[0-9]+ delay=[0-9]+)' | tr '\n' ' '
}

@test "POST /token's rate is LOGIN_RATE's, 10r/s when that is off, and TOKEN_RATE's alone when set" {
	run token_limit LOGIN_RATE=2r/s
	assert_output "zone=token:10m rate=2r/s zone=token burst=28 delay=20 "
	run token_limit LOGIN_RATE=off
	assert_output "zone=token:10m rate=10r/s zone=token burst=60 delay=20 "
	run token_limit LOGIN_RATE=off TOKEN_RATE=120r/m LOGIN_BURST=3
	assert_output "zone=token:10m rate=120r/m zone=token burst=11 delay=3 "
	# off: the zone is declared and no location uses it.
	run token_limit TOKEN_RATE=off
	assert_output "zone=token:10m rate=1r/s "
}
