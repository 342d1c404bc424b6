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
	scopes=$(for i in $(seq -w 32); do printf 's%02d%061d,' "$i" 0; done)
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
