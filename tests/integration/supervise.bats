#!/usr/bin/env bats
# make run / start / stop under s6 (scripts/stack.sh): the gateway is
# supervised like the services, no pid file is trusted, a configuration
# error stops the start with its one line every time, readiness proves the
# port is this stack's, and a clone in a home of mode 0700 runs.  Each case
# failed on the hand-written supervisor this replaced.

setup() {
	load helpers
}

teardown() {
	[ -z "${RUN_DIR:-}" ] || "$ROOT/scripts/stack.sh" stop || true
	[ -z "${OTHER_DIR:-}" ] || RUN_DIR=$OTHER_DIR "$ROOT/scripts/stack.sh" stop || true
	[ -z "${STRANGER:-}" ] || kill "$STRANGER" 2>/dev/null || true
	rm -rf "${RUN_DIR:-/nonexistent}" "${OTHER_DIR:-/nonexistent}"
}

# ours: every process of this stack (its paths are in their command lines,
# or they are the gateway's workers).
ours() {
	pgrep -f "$RUN_DIR" || true
}

@test "the gateway's master killed (-9): s6 starts a new one, its old workers are gone, and stop leaves nothing" {
	local m w m2 p
	stack_start
	m=$(service_pid gateway)
	w=$(pgrep -P "$m" | tr '\n' ' ')
	[ -n "$w" ] || fail "no workers under master $m"
	kill -KILL "$m"
	for _ in $(seq 1 100); do
		m2=$(service_pid gateway)
		[ "$m2" != -1 ] && [ "$m2" != "$m" ] && break
		sleep 0.1
	done
	[ "$m2" != -1 ] && [ "$m2" != "$m" ] || fail "no new master"
	for p in $w; do
		! kill -0 "$p" 2>/dev/null || fail "old worker $p still runs"
	done
	wait_for 200 POST /login/ -H 'Authorization: merixstudio'
	run s6-svdt "$RUN_DIR/svc/gateway"
	assert_output --partial 'signal SIGKILL'
	"$ROOT/scripts/stack.sh" stop
	assert_equal "$(ours)" ''
	run pgrep -x nginx -P 1
	refute_output --partial "$m"
}

@test "a stranger named nginx outside the stack survives a killed master's clean-up and the stop" {
	local m
	stack_start
	# A process whose name is nginx's, not in the gateway's process
	# group: the finish script kills the old master's workers by group
	# and name, and must not touch it.
	cp "$(command -v sleep)" "$BATS_TEST_TMPDIR/nginx"
	setsid "$BATS_TEST_TMPDIR/nginx" 300 3>&- &
	STRANGER=$!
	sleep 0.2
	assert_equal "$(cat "/proc/$STRANGER/comm")" nginx
	m=$(service_pid gateway)
	kill -KILL "$m"
	wait_for 200 POST /login/ -H 'Authorization: merixstudio'
	run "$ROOT/scripts/stack.sh" stop
	assert_success
	kill -0 "$STRANGER" || fail "the stranger was signalled"
	assert_equal "$(cut -d' ' -f3 "/proc/$STRANGER/stat")" S
	assert_equal "$(ours)" ''
}

@test "a configuration error stops the start with its one line, 20 times out of 20, and leaves nothing running" {
	local i bad line
	RUN_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	for i in $(seq 1 20); do
		if ((i % 2)); then
			bad=('AUTH_TOKENS=,')
			line='auth failed to start: AUTH_TOKENS: holds no token'
		else
			bad=(AUTH_TOKENS_FILE=/nonexistent)
			line="auth failed to start: AUTH_TOKENS_FILE: cannot open '/nonexistent': No such file or directory"
		fi
		run env "${bad[@]}" PORT="$(free_port)" READY_SECS=10 \
		    "$ROOT/scripts/stack.sh" start
		assert_failure 1
		printf 'start %d said:\n%s\n' "$i" "$output"
		assert_equal "${#lines[@]}" 1
		assert_output --partial "\"level\":\"error\",\"msg\":\"$line\""
		assert_equal "$(ours)" ''
	done
}

@test "a port held by another stack: the second start fails with nginx's one line, the first still serves" {
	local a_dir
	stack_start
	a_dir=$RUN_DIR
	OTHER_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	run env RUN_DIR="$OTHER_DIR" PORT="$PORT" "$ROOT/scripts/stack.sh" start
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_output --partial "gateway failed to start: bind() to 127.0.0.1:$PORT failed (98: Address already in use)"
	RUN_DIR=$OTHER_DIR
	assert_equal "$(ours)" ''
	RUN_DIR=$a_dir
	http POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
}

@test "make run beside a running make start: it says so and exits 1, and the running stack still serves" {
	stack_start
	run env RUN_DIR="$RUN_DIR" PORT="$PORT" "$ROOT/scripts/stack.sh" run
	assert_failure 1
	assert_output "already running in $RUN_DIR (make stop)"
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	for n in gateway auth info; do
		[ "$(s6-svstat -o up "$RUN_DIR/svc/$n")" = true ] || fail "$n is down"
	done
}

@test "as root, a clone in a home of mode 0700 runs: the run directory moves under /run" {
	local home clone port dir
	[ "$(id -u)" -eq 0 ] || skip "the case is root's (www-data runs the services)"
	home=$(mktemp -d /tmp/home.XXXXXX)
	chmod 0700 "$home"
	clone=$home/clone
	mkdir -p "$clone/build"
	cp -a "$ROOT/scripts" "$ROOT/nginx" "$ROOT/docs" "$ROOT/s6" "$clone/"
	ln -s "$ROOT/node_modules" "$clone/node_modules"
	cp "$BIN/auth.fcgi" "$BIN/info.fcgi" "$clone/build/"
	port=$(free_port)
	run env -u RUN_DIR PORT="$port" "$clone/scripts/stack.sh" start
	assert_success
	assert_output --partial "run directory /run/cgi-microservices/"
	dir=$(printf '%s' "$output" | sed -n 's/.*run directory \([^)]*\)).*/\1/p')
	BASE=http://127.0.0.1:$port
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	run env -u RUN_DIR "$clone/scripts/stack.sh" stop
	assert_success
	RUN_DIR=$dir
	assert_equal "$(ours)" ''
	RUN_DIR=
	rm -rf "$home" "$dir"
}
