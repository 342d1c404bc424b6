#!/usr/bin/env bats
# Health: each service's own GET /healthz (over FastCGI, as the container
# healthchecks ask it) and the gateway's /healthz, which names the service
# that does not answer.

setup_file() {
	load helpers
	# A tight login limit: health checks must not be counted by it.
	stack_start LOGIN_RATE=1r/m LOGIN_BURST=1
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

@test "GET /healthz answers 200 JSON when both services answer" {
	http GET /healthz
	assert_status 200
	assert_body '{"status":"ok"}'
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	[ -n "$(header X-Request-ID)" ]
}

@test "HEAD /healthz answers 200 without a body; POST answers 405 JSON with Allow" {
	http HEAD /healthz -I
	assert_status 200
	# With -I curl writes the headers where the body would go: no JSON there.
	run grep -c '{' "$BATS_TEST_TMPDIR/body"
	assert_output 0
	http POST /healthz
	assert_status 405
	assert_header Allow 'GET, HEAD'
	assert_header Content-Type application/json
	assert_body '{"detail":"Method Not Allowed"}'
}

@test "each service answers its own /healthz over FastCGI" {
	run "$ROOT/scripts/fcgi-health.sh" "$RUN_DIR/auth.sock"
	assert_success
	run "$ROOT/scripts/fcgi-health.sh" "$RUN_DIR/info.sock"
	assert_success
	run "$ROOT/scripts/fcgi-health.sh" "$RUN_DIR/nothing-here.sock"
	assert_failure 1
	assert_output --partial 'unhealthy: Could not connect'
}

@test "with auth down /healthz answers 503 naming auth, and 200 once it is back" {
	local st body retry
	service_down auth
	http GET /healthz
	st=$STATUS body=$BODY retry=$(header Retry-After)
	service_up auth
	assert_equal "$st $retry $body" '503 1 {"detail":"auth service unavailable"}'
	assert_status 200
	assert_body '{"status":"ok"}'
}

@test "with info down /healthz answers 503 naming info" {
	local st body
	service_down info
	http GET /healthz
	st=$STATUS body=$BODY
	service_up info
	assert_equal "$st $body" '503 {"detail":"info service unavailable"}'
}

@test "health checks are not rate limited and need no token" {
	local i
	for i in $(seq 20); do
		http GET /healthz
		assert_status 200
	done
	run grep -rl merixstudio "$RUN_DIR/logs"
	assert_output ''
}
