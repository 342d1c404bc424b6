#!/usr/bin/env bats
# A stop that outlasts the grace period: svc owns the end.  The process
# exits at once (2: not 1, a configuration error to the supervisor) instead
# of returning to main, which would free the breaker, the cache and
# libcurl's state under workers still serving.

setup_file() {
	load helpers
	# Grace 200 ms; info's calls to auth may take 3 s, so a frozen auth
	# keeps them in flight well past it.
	stack_start SHUTDOWN_GRACE_MS=200 AUTH_TIMEOUT_MS=3000 \
	    AUTH_CONNECT_TIMEOUT_MS=300 AUTH_CB_FAILURES=0
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

teardown() {
	s6-svc -c -u "$RUN_DIR/svc/auth" 2>/dev/null || true
}

@test "SIGTERM while requests outlast the grace period: info exits 2 at once, each request gets a JSON answer, s6 brings it back" {
	local auth info t0 t1
	wait_for 200 GET /info -H "Authorization: merixstudio"
	auth=$(service_pid auth)
	info=$(service_pid info)
	kill -STOP "$auth"
	# 8 requests deferred on calls to the frozen auth.
	seq 8 | xargs -P 8 -I{} curl -s -m 10 -o "$BATS_TEST_TMPDIR/answer{}" -w '%{http_code}\n' \
	    -H "Authorization: merixstudio" "$BASE/info" > "$BATS_TEST_TMPDIR/codes" &
	sleep 0.5
	t0=$(date +%s%N)
	kill -TERM "$info"
	while kill -0 "$info" 2>/dev/null; do sleep 0.01; done
	t1=$(date +%s%N)
	wait $!
	kill -CONT "$auth"
	echo "# info gone $(((t1 - t0) / 1000000)) ms after SIGTERM; answers: $(sort "$BATS_TEST_TMPDIR/codes" | uniq -c | tr -s ' ' | tr '\n' ';')" >&3
	# Gone within the grace period and a little, not after auth's 3 s.
	[ $(((t1 - t0) / 1000000)) -lt 1500 ] || fail "info took $(((t1 - t0) / 1000000)) ms to go"
	run grep -c '"msg":"grace period over: [1-9][0-9]* workers still busy: exiting now"' "$RUN_DIR/logs/info.log"
	assert_output 1
	wait_log 1 'info exited with status 2: restarting' "$RUN_DIR/logs/info.log"
	# Every request was answered, with JSON: the gateway's 502 for the
	# connections info's exit closed.
	[ "$(wc -l < "$BATS_TEST_TMPDIR/codes")" -eq 8 ] || fail "lost answers"
	run grep -vx 502 "$BATS_TEST_TMPDIR/codes"
	assert_output ''
	for f in "$BATS_TEST_TMPDIR"/answer*; do
		assert_equal "$(cat "$f")" '{"detail":"Bad Gateway"}'
	done
	wait_for 200 GET /info -H "Authorization: merixstudio"
}
