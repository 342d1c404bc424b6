#!/usr/bin/env bats
# AUTH_CACHE_TTL_MS: info.fcgi remembers auth's yes for a token, keyed by its
# digest, for at most the TTL; off by default (faults.bats shows /info failing
# at once when auth goes).

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
