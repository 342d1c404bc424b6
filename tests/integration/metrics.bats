#!/usr/bin/env bats
# Metrics: each service's Prometheus counters through the gateway, the
# gateway's own (nginx/gwmetrics.lua), promtool's lint, and who may read them.

setup_file() {
	load helpers
	# One failure opens the breaker, so its outcome can be counted.
	stack_start AUTH_CB_FAILURES=1 AUTH_CB_COOLDOWN_MS=60000
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

# metric SERVICE 'NAME{LABELS}': the value of that series, 0 when absent.
metric() {
	curl -s -m 5 "$BASE/metrics/$1" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'
}

@test "GET /metrics/auth and /metrics/info answer Prometheus text from loopback" {
	local line
	http GET /metrics/auth
	assert_status 200
	assert_header Content-Type 'text/plain; version=0.0.4'
	assert_header Cache-Control no-store
	# Every line is a comment or "name{labels} value".
	while IFS= read -r line; do
		[[ "$line" =~ ^#\ (HELP|TYPE)\  ]] ||
		    [[ "$line" =~ ^[a-z_]+(\{[^}]*\})?\ [0-9.e+-]+$ ]] ||
		    fail "not exposition format: $line"
	done <<<"$BODY"
	http GET /metrics/info
	assert_status 200
	[[ "$BODY" == *'# TYPE info_auth_calls_total counter'* ]]
	[[ "$BODY" == *'# TYPE cgi_request_duration_seconds histogram'* ]]
}

@test "requests are counted by route and status, and their latency in the histogram" {
	local k200 k401 h i
	k200='cgi_requests_total{service="auth",method="POST",route="/login/",status="200"}'
	k401='cgi_requests_total{service="auth",method="POST",route="/login/",status="401"}'
	h='cgi_request_duration_seconds_count{service="auth",method="POST",route="/login/"}'
	before200=$(metric auth "$k200")
	before401=$(metric auth "$k401")
	beforeh=$(metric auth "$h")
	for i in 1 2 3; do
		http POST /login/ -H 'Authorization: merixstudio'
	done
	http POST /login/ -H 'Authorization: wrong'
	assert_equal "$(metric auth "$k200")" $((before200 + 3))
	assert_equal "$(metric auth "$k401")" $((before401 + 1))
	assert_equal "$(metric auth "$h")" $((beforeh + 4))
}

@test "a client's path never becomes a label: unrouted requests are 'unmatched'" {
	local k before
	# A method no route takes is not a route either.
	k='cgi_requests_total{service="info",method="",route="unmatched",status="405"}'
	before=$(metric info "$k")
	http DELETE /info
	assert_status 405
	assert_equal "$(metric info "$k")" $((before + 1))
	# Only the service's own routes appear as labels.
	run bash -c "curl -s '$BASE/metrics/info' | grep 'route=' | grep -vc 'route=\"\(/info\|/healthz\|/metrics\|unmatched\)\"'"
	assert_output 0
}

@test "info counts its auth calls by outcome: ok, denied, unavailable, breaker_open" {
	local ok denied unav open
	ok=$(metric info 'info_auth_calls_total{outcome="ok"}')
	denied=$(metric info 'info_auth_calls_total{outcome="denied"}')
	http GET /info -H 'Authorization: merixstudio'
	http GET /info -H 'Authorization: merixstudio'
	http GET /info
	assert_equal "$(metric info 'info_auth_calls_total{outcome="ok"}')" $((ok + 2))
	assert_equal "$(metric info 'info_auth_calls_total{outcome="denied"}')" $((denied + 1))
	assert_equal "$(metric info info_auth_breaker_open)" 0

	unav=$(metric info 'info_auth_calls_total{outcome="unavailable"}')
	open=$(metric info 'info_auth_calls_total{outcome="breaker_open"}')
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	assert_status 503
	http GET /info -H 'Authorization: merixstudio'
	assert_status 503
	service_up auth
	assert_equal "$(metric info 'info_auth_calls_total{outcome="unavailable"}')" $((unav + 1))
	assert_equal "$(metric info 'info_auth_calls_total{outcome="breaker_open"}')" $((open + 1))
	assert_equal "$(metric info info_auth_breaker_open)" 1
}

@test "counters stay exact under concurrent load while being scraped" {
	local k before i n
	k='cgi_requests_total{service="info",method="GET",route="/healthz",status="200"}'
	before=$(metric info "$k")
	# 200 gateway /healthz (each asks info's /healthz) 8 at a time, and
	# scrapes alongside.
	seq 200 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    "$BASE/healthz" > "$BATS_TEST_TMPDIR/codes" &
	for i in 1 2 3 4 5; do
		metric info "$k" >/dev/null
	done
	wait
	run sort -u "$BATS_TEST_TMPDIR/codes"
	assert_output 200
	# A request is counted just after its answer is handed over: the last
	# few may land a moment after their client is done.
	for ((i = 0; i < 20; i++)); do
		n=$(metric info "$k")
		[ "$n" -ge $((before + 200)) ] && break
		sleep 0.1
	done
	assert_equal "$n" $((before + 200))
	assert_equal "$(metric info 'cgi_requests_in_flight{service="info"}')" 1
}

@test "GET /metrics/gateway counts the gateway's answers by listener, route and status, in Prometheus' format" {
	local before after
	# (The breaker may be open from a test above: /info's status varies,
	# a path that is no route's does not.)
	before=$(metric gateway 'gateway_requests_total{listener="public",route="other",status="404"}')
	http GET /no/such/path
	http GET /metrics/gateway
	assert_status 200
	assert_header Content-Type 'text/plain; version=0.0.4'
	# Counted in the log phase, just after the answer went out.
	for _ in $(seq 20); do
		after=$(metric gateway 'gateway_requests_total{listener="public",route="other",status="404"}')
		[ "$after" -ge $((before + 1)) ] && break
		sleep 0.1
	done
	assert_equal "$after" $((before + 1))
	# Any other path is "other": no label grows with what clients send.
	run bash -c "curl -s '$BASE/metrics/gateway' | grep -c 'no/such'"
	assert_output 0
	# info's calls to auth crossed the internal listener.
	run bash -c "curl -s '$BASE/metrics/gateway' | grep -c '^gateway_requests_total{listener=\"internal\",route=\"/login/\"'"
	[ "$output" -ge 1 ]
	[ "$(metric gateway 'gateway_connections{state="active"}')" -ge 1 ]
	[ "$(metric gateway 'gateway_request_duration_seconds_count{listener="public",route="other"}')" -ge 1 ]
}

@test "promtool check metrics passes on all three endpoints, no lint warning" {
	local m
	for m in auth info gateway; do
		http GET /info -H 'Authorization: merixstudio'
		run bash -c "curl -s '$BASE/metrics/$m' | promtool check metrics"
		assert_success
		assert_output ''
	done
}

@test "metrics are refused with 403 JSON to other addresses, and served on the internal socket" {
	local m
	for m in auth info gateway; do
		http GET "/metrics/$m" --interface 127.0.0.2
		assert_status 403
		assert_header Content-Type application/json
		assert_body '{"detail":"Forbidden"}'
	done
	run curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 \
	    --unix-socket "$RUN_DIR/internal/gateway.sock" http://localhost/metrics/info
	assert_output 200
}
