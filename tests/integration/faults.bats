#!/usr/bin/env bats
# Let it fail: auth killed, frozen or refusing; info killed; SIGTERM under
# load.  Every answer is JSON, within its deadline, and the stack recovers
# by itself.  Deadlines are shortened so that the file runs in seconds.

setup_file() {
	load helpers
	# Connect 300 ms, total 1000 ms; the breaker needs 3 failures in a row.
	stack_start AUTH_CONNECT_TIMEOUT_MS=300 AUTH_TIMEOUT_MS=1000 \
	    AUTH_CB_FAILURES=3 AUTH_CB_COOLDOWN_MS=1000
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
	# Each test starts from a healthy stack (and a closed breaker).
	wait_for 200 GET /info -H "Authorization: merixstudio"
}

teardown() {
	# Never leave a frozen process behind a failed test.
	local n
	for n in gateway auth info; do
		s6-svc -c -u "$RUN_DIR/svc/$n" 2>/dev/null || true
	done
}

@test "auth killed: /info answers 503 JSON fast, and 200 again once auth is back" {
	s6-svc -O "$RUN_DIR/svc/auth"	# no restart until we have looked
	kill -KILL "$(service_pid auth)"
	http GET /info -H "Authorization: merixstudio"
	assert_status 503
	assert_header Retry-After 1
	assert_header Content-Type application/json
	assert_body '{"detail":"auth service unavailable"}'
	assert_faster_than 0.8	# connect deadline 0.3 s + margin
	s6-svc -u "$RUN_DIR/svc/auth"	# s6 starts auth again
	wait_for 200 GET /info -H "Authorization: merixstudio"
	assert_body '{"info":"The answer is 42."}'
	run s6-svdt "$RUN_DIR/svc/auth"
	assert_output --partial 'signal SIGKILL'
}

@test "auth killed while s6 restarts it: logged with its signal and the backoff" {
	kill -KILL "$(service_pid auth)"
	# Not through /info: its failures would count in info's breaker.
	wait_for 200 POST /login/ -H "Authorization: merixstudio"
	run grep -c 'auth killed by signal 9: restarting in 1000 ms' "$RUN_DIR/logs/auth.log"
	assert_output 1
}

@test "auth frozen: /info answers 504 JSON within the total deadline, 200 after SIGCONT" {
	local pid
	pid=$(service_pid auth)
	kill -STOP "$pid"
	http GET /info -H "Authorization: merixstudio"
	kill -CONT "$pid"
	assert_status 504
	assert_header Retry-After 1
	assert_body '{"detail":"auth service timed out"}'
	assert_faster_than 1.5	# total deadline 1.0 s + margin
	wait_for 200 GET /info -H "Authorization: merixstudio"
}

@test "breaker: after 3 timeouts /info fails fast with 503, then recovers after the cooldown" {
	local pid i
	pid=$(service_pid auth)
	kill -STOP "$pid"
	for i in 1 2 3; do
		http GET /info -H "Authorization: merixstudio"
		assert_status 504
	done
	http GET /info -H "Authorization: merixstudio"
	kill -CONT "$pid"
	assert_status 503
	assert_body '{"detail":"auth service unavailable"}'
	# No call to auth at all: info counted it as refused by the breaker,
	# and a call to the frozen auth would have waited out AUTH_TIMEOUT_MS
	# (1 s); half of that is the bound, 10 times what it takes here.
	assert_faster_than 0.5
	run bash -c "curl -s '$BASE/metrics/info' | grep -F 'info_auth_calls_total{outcome=\"breaker_open\"}'"
	assert_output 'info_auth_calls_total{outcome="breaker_open"} 1'
	run grep -c 'breaker open: 3 consecutive auth failures' "$RUN_DIR/logs/info.log"
	assert_output 1
	sleep 1.1	# the cooldown
	http GET /info -H "Authorization: merixstudio"
	assert_status 200
	run grep -c 'breaker closed' "$RUN_DIR/logs/info.log"
	assert_output 1
}

@test "info killed: the gateway answers 502 JSON, and supervision brings info back" {
	s6-svc -O "$RUN_DIR/svc/info"
	kill -KILL "$(service_pid info)"
	http GET /info -H "Authorization: merixstudio"
	assert_status 502
	assert_header Content-Type application/json
	assert_header Retry-After 1
	assert_body '{"detail":"Bad Gateway"}'
	s6-svc -u "$RUN_DIR/svc/info"
	wait_for 200 GET /info -H "Authorization: merixstudio"
}

@test "SIGTERM to a service under load: in-flight requests complete, it exits 0, and s6 starts it again" {
	local n pid codes
	for n in info auth; do
		pid=$(service_pid "$n")
		# 300 requests, 8 at a time, while the service is told to stop.
		seq 300 | xargs -P 8 -I{} curl -s -m 5 -o /dev/null -w '%{http_code}\n' \
		    -H "Authorization: merixstudio" "$BASE/info" > "$BATS_TEST_TMPDIR/codes" &
		sleep 0.3
		kill -TERM "$pid"
		wait $!
		codes=$(sort "$BATS_TEST_TMPDIR/codes" | uniq -c | tr -s ' ' | tr '\n' ';')
		# 200 before the stop and after the restart; 502/503 only while no
		# process listens.  Never a timeout (000) or a 500/504.
		run grep -vxE '200|502|503' "$BATS_TEST_TMPDIR/codes"
		assert_output ''
		[ "$(wc -l < "$BATS_TEST_TMPDIR/codes")" -eq 300 ] || fail "lost answers: $codes"
		run grep -c "\"service\":\"$n\",\"level\":\"info\",\"msg\":\"stopped\"" "$RUN_DIR/logs/$n.log"
		assert_output 1
		wait_log 1 "$n exited with status 0: restarting" "$RUN_DIR/logs/$n.log"
		wait_for 200 GET /info -H "Authorization: merixstudio"
	done
}

@test "auth killed again and again under load: no hang, no 200 without a token, all JSON" {
	local i
	seq 400 | xargs -P 8 -I{} sh -c 'curl -s -m 5 -o /dev/null -w "%{http_code} %{content_type}\n" "$1/info"' _ "$BASE" > "$BATS_TEST_TMPDIR/anon" &
	seq 400 | xargs -P 4 -I{} curl -s -m 5 -o /dev/null -w '%{http_code} %{content_type}\n' \
	    -H "Authorization: merixstudio" "$BASE/info" > "$BATS_TEST_TMPDIR/auth" &
	for i in 1 2 3; do
		sleep 0.3
		kill -KILL "$(service_pid auth)" 2>/dev/null || true
	done
	wait
	# Without a token: never 200, never a hang (000).
	run grep -vE '^(401|503|504) application/json$' "$BATS_TEST_TMPDIR/anon"
	assert_output ''
	# With it: 200 or a clean 503/504, all JSON.
	run grep -vE '^(200|503|504) application/json$' "$BATS_TEST_TMPDIR/auth"
	assert_output ''
	[ "$(wc -l < "$BATS_TEST_TMPDIR/anon")" -eq 400 ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/auth")" -eq 400 ]
}

@test "an idle service stops on SIGTERM without waiting out its grace period" {
	local n pid t0 t1
	for n in auth info; do
		pid=$(service_pid "$n")
		t0=$(date +%s%N)
		kill -TERM "$pid"
		while kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
			sleep 0.01
		done
		t1=$(date +%s%N)
		# SHUTDOWN_GRACE_MS is 5 s here: a stop that waited for it
		# (a worker not woken) takes that long.  The bound is half of it,
		# 100 times what a stop takes here (~20 ms).
		[ $(((t1 - t0) / 1000000)) -lt 2500 ] || fail "$n took $(((t1 - t0) / 1000000)) ms to stop"
		wait_for 200 GET /info -H "Authorization: merixstudio"
	done
}

@test "clients that hang up mid-request never kill a service" {
	local auth info
	auth=$(service_pid auth)
	info=$(service_pid info)
	# 200 requests abandoned after 1 ms, 8 at a time.
	seq 200 | xargs -P 8 -I{} curl -s -m 0.001 -o /dev/null \
	    -H "Authorization: merixstudio" "$BASE/info" || true
	seq 200 | xargs -P 8 -I{} curl -s -m 0.001 -o /dev/null -X POST \
	    -H "Authorization: merixstudio" "$BASE/login/" || true
	http GET /info -H "Authorization: merixstudio"
	assert_status 200
	assert_equal "$(service_pid auth)" "$auth"
	assert_equal "$(service_pid info)" "$info"
}
