#!/usr/bin/env bats
# auth's limit on failed logins per client address (AUTH_FAIL_LIMIT within
# AUTH_FAIL_WINDOW_MS), across POST /login/ and GET /info: past it, 429
# JSON with Retry-After on both routes, the right token included; other
# addresses unaffected; the address is nginx's, never the client's header.

setup_file() {
	load helpers
	stack_start AUTH_FAIL_LIMIT=5 AUTH_FAIL_WINDOW_MS=3000
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

assert_throttled() {
	assert_status 429
	assert_header Content-Type application/json
	assert_body '{"detail":"Too Many Requests"}'
	[[ "$(header Retry-After)" =~ ^[1-3]$ ]] || fail "Retry-After: '$(header Retry-After)'"
}

@test "5 wrong tokens at /login/: the 6th try is 429, the right token too, and /info too" {
	local i
	for i in 1 2 3 4 5; do
		from 127.0.0.20 POST /login/ -H 'Authorization: wrong'
		assert_status 401
	done
	from 127.0.0.20 POST /login/ -H 'Authorization: wrong'
	assert_throttled
	from 127.0.0.20 POST /login/ -H 'Authorization: merixstudio'
	assert_throttled
	from 127.0.0.20 GET /info -H 'Authorization: merixstudio'
	assert_throttled
	from 127.0.0.20 HEAD /info -I -H 'Authorization: merixstudio'
	assert_status 429
	# Another address is not affected.
	from 127.0.0.21 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	from 127.0.0.21 GET /info -H 'Authorization: merixstudio'
	assert_status 200
}

@test "failures through /info count too, and the window ends: 200 again" {
	local i
	for i in 1 2 3; do
		from 127.0.0.22 GET /info -H 'Authorization: wrong'
		assert_status 401
	done
	for i in 1 2; do
		from 127.0.0.22 POST /login/
		assert_status 401
	done
	from 127.0.0.22 GET /info -H 'Authorization: merixstudio'
	assert_throttled
	sleep 3.1
	from 127.0.0.22 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "a client cannot choose its address: X-Client-Addr from outside is refused, and counts nothing" {
	local i
	for i in 1 2 3 4 5; do
		from 127.0.0.23 POST /login/ -H 'X-Client-Addr: 10.9.9.9' -H 'Authorization: wrong'
		assert_status 400
		assert_body '{"detail":"X-Auth-Subject, X-Auth-Scopes, X-Client-Addr and X-Log-Sampled are set by the gateway, not by clients"}'
	done
	from 127.0.0.23 GET /info -H 'X-Client-Addr: 127.0.0.24' -H 'Authorization: merixstudio'
	assert_status 400
	# None of the refused guesses was counted, against either address.
	from 127.0.0.23 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	from 127.0.0.24 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
}

@test "info's answer to a throttled address is counted in its metrics, and auth logs no token" {
	run curl -s "$BASE/metrics/info"
	assert_output --regexp 'info_auth_calls_total\{outcome="throttled"\} [1-9]'
	run grep -c 'wrong\|merixstudio' "$RUN_DIR/logs/auth.log" "$RUN_DIR/logs/info.log"
	refute_output --regexp ':[1-9]'
}
