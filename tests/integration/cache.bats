#!/usr/bin/env bats
# AUTH_CACHE_TTL_MS: info.fcgi remembers auth's yes for a token from an
# address, keyed by their digest, for at most the TTL; off by default
# (faults.bats shows /info failing at once when auth goes).  The failed-login
# limit holds with it on.

setup() {
	load helpers
}

teardown() {
	stack_stop
}

@test "with the cache on, a token auth said yes to keeps working while auth is down" {
	local st=()
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_CB_FAILURES=0
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS" "$BODY")
	# Another spelling is another key; no token is never cached.
	http GET /info -H 'Authorization: Bearer merixstudio'
	st+=("$STATUS")
	http GET /info
	st+=("$STATUS")
	service_up auth
	assert_equal "${st[*]}" '200 {"info":"The answer is 42."} 503 503'
	run bash -c "curl -s '$BASE/metrics/info' | grep '^info_auth_calls_total{outcome=\"cached\"}'"
	assert_output 'info_auth_calls_total{outcome="cached"} 1'
	grep -q '"msg":"auth cache on: a yes is kept 60000 ms, 1024 slots' "$RUN_DIR/logs/info.log"
}

@test "a cached yes expires after AUTH_CACHE_TTL_MS" {
	local st
	stack_start AUTH_CACHE_TTL_MS=300 AUTH_CB_FAILURES=0
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	sleep 0.5
	http GET /info -H 'Authorization: merixstudio'
	st=$STATUS
	service_up auth
	assert_equal "$st" 503
}

@test "a wrong token is never cached: 401 each time, each asked of auth" {
	local before
	stack_start AUTH_CACHE_TTL_MS=60000
	before=$(grep -c '"path":"/login/","status":401' "$RUN_DIR/logs/auth.log" || true)
	http GET /info -H 'Authorization: guess'
	assert_status 401
	http GET /info -H 'Authorization: guess'
	assert_status 401
	wait_for 401 GET /info -H 'Authorization: guess'
	run grep -c '"path":"/login/","status":401' "$RUN_DIR/logs/auth.log"
	[ "$output" -ge $((before + 3)) ] || fail "auth saw $output 401s, before $before"
}

# from ADDR METHOD PATH [curl args]: http from loopback address ADDR.
from() {
	local addr=$1
	shift
	http "$@" --interface "$addr"
}

@test "with the cache on, the failed-login limit holds: a throttled address gets 429 for a cached token too" {
	local i
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	# Another address, throttled at /login/, cannot test a guess against
	# the yes info holds for the first one.
	for i in 1 2 3; do
		from 127.0.0.31 POST /login/ -H 'Authorization: guess'
		assert_status 401
	done
	from 127.0.0.31 GET /info -H 'Authorization: merixstudio'
	assert_status 429
	assert_body '{"detail":"Too Many Requests"}'
	# The first address fails through /info itself: auth's 429 then holds
	# for the token info had cached for it, until its Retry-After.
	for i in 1 2 3; do
		from 127.0.0.30 GET /info -H 'Authorization: guess'
		assert_status 401
	done
	from 127.0.0.30 GET /info -H 'Authorization: guess'
	assert_status 429
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 429
	assert_header Content-Type application/json
	assert_body '{"detail":"Too Many Requests"}'
	[[ "$(header Retry-After)" =~ ^(59|60)$ ]] || fail "Retry-After: '$(header Retry-After)'"
	# An address auth never throttled keeps its cached yes.
	from 127.0.0.32 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	run bash -c "curl -s '$BASE/metrics/info' | grep -E '^info_auth_calls_total\{outcome=\"(cached|throttled)\"\}'"
	assert_output $'info_auth_calls_total{outcome="cached"} 1\ninfo_auth_calls_total{outcome="throttled"} 3'
}

@test "with the cache on, an address throttled at /login/ alone keeps its own cached yes for one TTL (docs/security.md)" {
	local i
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000
	from 127.0.0.33 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	for i in 1 2 3; do
		from 127.0.0.33 POST /login/ -H 'Authorization: guess'
	done
	from 127.0.0.33 POST /login/ -H 'Authorization: merixstudio'
	assert_status 429
	# info never saw the 429: it answers from its yes for this address
	# and this token, which auth gave this address itself.
	from 127.0.0.33 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	# Any other token is asked of auth, so refused.
	from 127.0.0.33 GET /info -H 'Authorization: other-guess'
	assert_status 429
}
