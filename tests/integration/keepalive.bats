#!/usr/bin/env bats
# The gateway keeps its FastCGI connections to auth and info open between
# requests (fastcgi_keep_conn, 32 idle per nginx worker and service).  libfcgi alone would tie a
# thread to each kept connection until nginx closed it; svc's workers (worker.c) hand idle
# connections back to its epoll set, so even one thread serves them all.

setup_file() {
	load helpers
	stack_start SVC_THREADS=1
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

@test "one auth thread answers 400 logins over 16 kept connections, none stalled" {
	# -m 3: a request stuck behind an idle kept connection would wait for
	# nginx's keepalive timeout (60 s) and fail here.
	seq 400 | xargs -P 16 -I{} curl -s -m 3 -o /dev/null -w '%{http_code}\n' \
	    -X POST -H 'Authorization: merixstudio' "$BASE/login/" > "$BATS_TEST_TMPDIR/codes"
	run sort "$BATS_TEST_TMPDIR/codes"
	run uniq -c <<<"$output"
	assert_output --regexp '^ *400 200$'
}

@test "/info over one info thread and one auth thread: 200 for 200 requests, 8 at a time" {
	seq 200 | xargs -P 8 -I{} curl -s -m 3 -o /dev/null -w '%{http_code}\n' \
	    -H 'Authorization: merixstudio' "$BASE/info" > "$BATS_TEST_TMPDIR/codes"
	run sort -u "$BATS_TEST_TMPDIR/codes"
	assert_output 200
}

@test "auth restarted: the gateway's stale kept connections are retried, not answered 502" {
	local i
	# Kept connections exist now; kill auth and let its supervisor restart it.
	for i in 1 2 3; do
		http POST /login/ -H 'Authorization: merixstudio'
	done
	kill -KILL "$(service_pid auth)"
	wait_for 200 POST /login/ -H 'Authorization: merixstudio'
	for i in $(seq 20); do
		http POST /login/ -H 'Authorization: merixstudio'
		assert_status 200
	done
}

@test "info restarted: the gateway's stale kept connections are retried, not answered 502" {
	local i
	for i in 1 2 3; do
		http GET /info -H 'Authorization: merixstudio'
	done
	kill -KILL "$(service_pid info)"
	wait_for 200 GET /info -H 'Authorization: merixstudio'
	for i in $(seq 20); do
		http GET /info -H 'Authorization: merixstudio'
		assert_status 200
		assert_body '{"info":"The answer is 42."}'
	done
}

@test "new connections are not starved by busy kept ones: the backlog is accepted at once" {
	local i
	# One info thread, 16 kept connections always with a request waiting,
	# 32 new ones at once (fcgi_fair.py counts the kept connections'
	# answers until the last new one is answered).  Accepting one
	# connection per pass over the ready list made that ~480; accepting
	# the backlog at once, ~32.
	for i in 1 2 3; do
		run "$BATS_TEST_DIRNAME/fcgi_fair.py" "$RUN_DIR/info.sock" GET /info 16 32
		assert_success
		[ "$output" -lt 100 ] || fail "kept answers before the new connections' last: $output"
	done
}
