#!/usr/bin/env bats
# Trust boundaries: what a peer of a service's FastCGI port, a token holder
# or a local user can do to everyone else.  Nothing here may let one client
# stall a service, open info's breaker, or speak for info.

setup_file() {
	load helpers
	# Two threads each, as in the report: 4 silent connections once made
	# a valid login wait 5 s for a 504.  The largest identity the token
	# file allows (64-character subject, 32 scopes of 64 characters).
	local scopes i
	scopes=$(for i in $(seq 32); do printf 's%02d%061d,' "$i" 0; done)
	printf 'merixstudio\nbig-token sub=%s scope=%s\n' \
	    "$(head -c 64 /dev/zero | tr '\0' u)" "${scopes%,}" > "/tmp/cgi-boundaries.tokens"
	chmod 0644 /tmp/cgi-boundaries.tokens
	stack_start SVC_THREADS=2 AUTH_TOKENS_FILE=/tmp/cgi-boundaries.tokens
}

teardown_file() {
	load helpers
	stack_stop
	rm -f /tmp/cgi-boundaries.tokens
}

setup() {
	load helpers
}

@test "thousands of silent and trickling connections to auth and info stall no request, and are closed after 5 s" {
	local a=$BATS_TEST_TMPDIR/auth.out i=$BATS_TEST_TMPDIR/info.out n
	"$BATS_TEST_DIRNAME/fcgi_idle.py" "$RUN_DIR/auth.sock" 2000 500 8 >"$a" &
	"$BATS_TEST_DIRNAME/fcgi_idle.py" "$RUN_DIR/info.sock" 1000 200 8 >"$i" &
	for ((n = 0; n < 100; n++)); do
		[ "$(grep -c ready "$a" "$i" | grep -c ':1$')" = 2 ] && break
		sleep 0.1
	done
	# While they are all open: every valid call is answered.
	for n in $(seq 20); do
		http POST /login/ -H 'Authorization: merixstudio'
		assert_status 200
		http GET /info -H 'Authorization: merixstudio'
		assert_status 200
		assert_body '{"info":"The answer is 42."}'
	done
	wait
	run cat "$a" "$i"
	assert_output "$(printf 'ready\nclosed 2000 500\nready\nclosed 1000 200')"
	grep -q 'whose request did not arrive within 5000 ms' "$RUN_DIR/logs/auth.log"
}

@test "the largest identity a token file allows reaches info whole, and its holder leaves the breaker closed" {
	local sub scopes i json
	sub=$(head -c 64 /dev/zero | tr '\0' u)
	scopes=$(for i in $(seq 32); do printf '"s%02d%061d",' "$i" 0; done)
	json="{\"authenticated\":true,\"sub\":\"$sub\",\"scopes\":[${scopes%,}]}"
	internal POST /login/ -H 'Authorization: big-token'
	assert_status 200
	assert_header X-Auth-Subject "$sub"
	assert_body "$json"
	# More calls than the breaker's threshold (5), then anyone else.
	for i in $(seq 8); do
		http GET /info -H 'Authorization: big-token'
		assert_status 200
		assert_body '{"info":"The answer is 42."}'
	done
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	http GET /metrics/info
	assert_status 200
	grep -qx 'info_auth_breaker_open 0' <<<"$BODY" || fail "breaker: $(grep breaker_open <<<"$BODY")"
}

@test "malformed Authorization headers answer 400 without asking auth, and open no breaker" {
	local i
	for i in $(seq 8); do
		http GET /info -H "$(printf 'Authorization: Bearer a\x01b')"
		assert_status 400
		assert_header WWW-Authenticate 'Bearer error="invalid_request"'
		assert_body '{"detail":"Malformed Authorization header"}'
	done
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
}

# can_connect USER SOCKET: whether USER may connect to the unix socket.
can_connect() {
	runuser -u "$1" -- python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$2" 2>/dev/null
}

@test "as root: only info's user reaches the gateway's internal listener; only nginx's reaches a service's socket" {
	[ "$(id -u)" -eq 0 ] || skip "as one user, the run directory (0700) is the boundary"
	local gw=$RUN_DIR/internal/gateway.sock u
	# The report's repro: a local user forging the budget's address.
	run runuser -u nobody -- curl -s -o /dev/null -w '%{http_code}' --unix-socket "$gw" \
	    -X POST -H 'X-Client-Addr: 10.1.1.1' -H 'Authorization: merixstudio' http://x/login/
	assert_failure 7
	assert_output 000
	for u in nobody www-data cgi-auth; do
		! can_connect "$u" "$gw" || fail "$u reaches the internal listener"
	done
	can_connect cgi-info "$gw" || fail "info does not reach the internal listener"
	for u in nobody cgi-info; do
		! can_connect "$u" "$RUN_DIR/auth.sock" || fail "$u reaches auth's socket"
	done
	for u in nobody cgi-auth; do
		! can_connect "$u" "$RUN_DIR/info.sock" || fail "$u reaches info's socket"
	done
	can_connect www-data "$RUN_DIR/auth.sock" || fail "nginx's workers do not reach auth"
	can_connect www-data "$RUN_DIR/info.sock" || fail "nginx's workers do not reach info"
	[ "$(stat -c %a "$RUN_DIR")" = 711 ] || fail "run directory mode $(stat -c %a "$RUN_DIR")"
	# And the services run as those users.
	[ "$(ps -o user= -p "$(service_pid auth)")" = cgi-auth ] || fail "auth's user"
	[ "$(ps -o user= -p "$(service_pid info)")" = cgi-info ] || fail "info's user"
}

@test "make run keeps AUTH_TOKENS out of its own environment for the whole run, and the services are not dumpable" {
	local dir port pid i
	dir=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	port=$(free_port)
	env RUN_DIR="$dir" PORT="$port" AUTH_TOKENS=boundary-secret-1 READY_SECS=15 \
	    "$ROOT/scripts/stack.sh" run >"$dir.out" 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: boundary-secret-1' \
		    "http://127.0.0.1:$port/login/")" = 200 ] && break
		sleep 0.1
	done
	local held
	held=$(grep -l boundary-secret-1 "/proc/$pid/environ" /proc/[0-9]*/cmdline 2>/dev/null || true)
	local auth core
	auth=$(s6-svstat -o pid "$dir/svc/auth")
	core=$(awk '/^Max core file size/ { print $5 }' "/proc/$auth/limits")
	kill -TERM "$pid"
	wait "$pid" || true
	rm -rf "$dir" "$dir.out"
	[ "$i" -lt 150 ] || fail "the stack did not answer"
	[ -z "$held" ] || fail "the token is in $held"
	[ "$core" = 0 ] || fail "auth may dump core ($core)"
}

@test "a service's /proc files are root's (not dumpable): its own user cannot read its memory" {
	[ "$(id -u)" -eq 0 ] || skip "as one user, root's is not a different owner"
	local pid
	pid=$(service_pid auth)
	[ "$(stat -c %U "/proc/$pid/environ")" = root ] || fail "auth's /proc is $(stat -c %U "/proc/$pid/environ")'s"
	! runuser -u cgi-auth -- cat "/proc/$pid/environ" >/dev/null 2>&1 || fail "cgi-auth reads auth's environ"
	pid=$(service_pid info)
	[ "$(stat -c %U "/proc/$pid/mem")" = root ] || fail "info's /proc is not root's"
}
