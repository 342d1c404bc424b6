#!/usr/bin/env bats
# auth's limit on failed logins per client address (AUTH_FAIL_LIMIT within
# AUTH_FAIL_WINDOW_MS), across POST /login/ and GET /info: past it, 429
# JSON with Retry-After on both routes, the right token included; other
# addresses unaffected; the address is nginx's, never the client's header.

setup_file() {
	load helpers
	# An operator's route to auth that sets params of its own (and so
	# inherits none of the gateway's: no GATEWAY_LISTENER).
	STACK_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	chmod 0755 "$STACK_DIR"
	mkdir -p "$STACK_DIR/conf.d"
	printf '%s\n' "location = /_auth2 { rewrite ^ /login/ break;" \
	    "include /etc/nginx/fastcgi_params; fastcgi_pass unix:$STACK_DIR/auth.sock; }" \
	    >"$STACK_DIR/conf.d/auth2.conf"
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

@test "a client cannot choose its address: X-Client-Addr from outside is ignored" {
	local i
	for i in 1 2 3 4 5; do
		from 127.0.0.23 POST /login/ -H "X-Client-Addr: 10.9.9.$i" -H 'Authorization: wrong'
		assert_status 401
	done
	from 127.0.0.23 POST /login/ -H 'X-Client-Addr: 127.0.0.24' -H 'Authorization: merixstudio'
	assert_throttled
	from 127.0.0.23 GET /info -H 'X-Client-Addr: 127.0.0.24' -H 'Authorization: merixstudio'
	assert_throttled
	from 127.0.0.24 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
}

@test "an operator's route to auth that includes fastcgi_params: X-Client-Addr and X-Log-Sampled passed on are not believed" {
	local i
	# Sampled out by the client's header, were it believed: auth logs it.
	from 127.0.0.26 POST /_auth2 -H 'Authorization: merixstudio' -H 'X-Log-Sampled: 0' \
	    -H 'X-Request-ID: id-op-sampled'
	assert_status 200
	for i in 1 2 3 4 5; do
		from 127.0.0.25 POST /_auth2 -H "X-Client-Addr: 10.8.8.$i" -H 'Authorization: wrong'
		assert_status 401
	done
	# Counted against the connection's address, not the header's.
	from 127.0.0.25 POST /_auth2 -H 'X-Client-Addr: 10.8.8.9' -H 'Authorization: merixstudio'
	assert_throttled
	sleep 0.3
	run grep -c '"request_id":"id-op-sampled"' "$RUN_DIR/logs/auth.log"
	assert_output 1
}

@test "info's answer to a throttled address is counted in its metrics, and auth logs no token" {
	run curl -s "$BASE/metrics/info"
	assert_output --regexp 'info_auth_calls_total\{outcome="throttled"\} [1-9]'
	run grep -c 'wrong\|merixstudio' "$RUN_DIR/logs/auth.log" "$RUN_DIR/logs/info.log"
	refute_output --regexp ':[1-9]'
}
