#!/usr/bin/env bats
# Hot reload of auth's tokens: SIGHUP (make reload, scripts/stack.sh reload)
# makes auth re-read AUTH_TOKENS_FILE without a restart.

setup_file() {
	load helpers
	TOKFILE=$(mktemp /tmp/cgi-tokens.XXXXXX)
	chmod 0644 "$TOKFILE"
	export TOKFILE
	printf 'alpha\nkeep\n' >"$TOKFILE"
	stack_start AUTH_TOKENS_FILE="$TOKFILE"
}

teardown_file() {
	load helpers
	# The last test restarts the stack in a new directory.
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	rm -f "$TOKFILE"
}

setup() {
	load helpers
}

# tokens TEXT: replaces the file as an editor or a secret mount would.
tokens() {
	printf '%s' "$1" >"$TOKFILE.new"
	chmod 0644 "$TOKFILE.new"
	mv "$TOKFILE.new" "$TOKFILE"
}


@test "a reload adds a new token and refuses a removed one at once, same pid" {
	local pid
	pid=$(service_pid auth)
	http POST /login/ -H 'Authorization: alpha'
	assert_status 200
	http POST /login/ -H 'Authorization: beta'
	assert_status 401
	tokens $'beta\nkeep\n'
	reload_auth
	http POST /login/ -H 'Authorization: beta'
	assert_status 200
	assert_body '{"authenticated":true}'
	http POST /login/ -H 'Authorization: alpha'
	assert_status 401
	http GET /info -H 'Authorization: alpha'
	assert_status 401
	assert_equal "$(service_pid auth)" "$pid"
	run grep -c 'SIGHUP: 2 token(s) loaded from AUTH_TOKENS_FILE (were 2)' "$RUN_DIR/logs/auth.log"
	assert_output 1
}

@test "a bad file keeps the old set and logs one line naming the problem, never a token" {
	tokens $'keep\nbad token\n'
	reload_auth
	run grep 'SIGHUP: kept' "$RUN_DIR/logs/auth.log"
	assert_line --partial 'SIGHUP: kept the 2 token(s) loaded: AUTH_TOKENS_FILE line 2: an attribute that is not sub= or scope=, or given twice'
	assert_equal "${#lines[@]}" 1
	refute_output --partial 'bad token'
	http POST /login/ -H 'Authorization: keep'
	assert_status 200
	tokens ''
	reload_auth
	run grep -c 'SIGHUP: kept the 2 token(s) loaded: AUTH_TOKENS_FILE: holds no token' "$RUN_DIR/logs/auth.log"
	assert_output 1
	http POST /login/ -H 'Authorization: keep'
	assert_status 200
	tokens $'keep\nbeta\n'
}

@test "100 reloads under load: no request fails" {
	local i out=$BATS_TEST_TMPDIR/codes
	# A bounded load: 4 clients, 3000 logins with a token in both sets.
	seq 1 3000 | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    -X POST -H 'Authorization: keep' "$BASE/login/" >"$out" &
	for i in $(seq 1 100); do
		if ((i % 2)); then tokens $'keep\nbeta\n'; else tokens $'keep\ngamma\n'; fi
		"$ROOT/scripts/stack.sh" reload
		sleep 0.02
	done
	wait
	echo "# $(wc -l <"$out") logins, $(grep -vc '^200$' "$out" || true) not 200, over 100 reloads" >&3
	assert_equal "$(wc -l <"$out")" 3000
	assert_equal "$(grep -vc '^200$' "$out" || true)" 0
	run grep -c 'SIGHUP: 2 token(s) loaded' "$RUN_DIR/logs/auth.log"
	[ "$output" -ge 100 ] || fail "only $output reloads logged"
}

@test "AUTH_TOKENS is read once: SIGHUP says so and keeps serving" {
	local dir=$RUN_DIR
	stack_stop
	stack_start AUTH_TOKENS=merixstudio 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	"$ROOT/scripts/stack.sh" reload
	sleep 0.3
	run grep -c 'SIGHUP: tokens come from AUTH_TOKENS, which is read once: nothing reloaded' "$RUN_DIR/logs/auth.log"
	assert_output 1
	http POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	[ "$dir" != "$RUN_DIR" ]
}
