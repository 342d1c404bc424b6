#!/usr/bin/env bats
# The tutorial's DTO made real: a token in AUTH_TOKENS_FILE carries a subject
# and scopes; auth answers them to info (the internal listener) as a DTO
# and X-Auth-* headers; info asks for INFO_REQUIRED_SCOPE (403
# insufficient_scope, RFC 6750); a client cannot forge the identity; logs
# carry the subject, never the token; a reload takes a scope away at once.

setup_file() {
	load helpers
	TOKFILE=$(mktemp /tmp/cgi-tokens.XXXXXX)
	chmod 0644 "$TOKFILE"
	export TOKFILE
	printf '%s\n' '# who may read /info' \
	    'alice-secret-1 sub=alice scope=info:read,admin' \
	    "sha256:$(printf '%s' bob-secret-2 | sha256sum | cut -d' ' -f1) scope=other sub=bob" \
	    'merixstudio' >"$TOKFILE"
	# An operator's route to a recorder of what the gateway sends.
	capture_start
	stack_start AUTH_TOKENS_FILE="$TOKFILE" INFO_REQUIRED_SCOPE=info:read
}

teardown_file() {
	load helpers
	capture_stop
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	rm -f "$TOKFILE"
}

setup() {
	load helpers
}

# The request log line of service SVC for request id ID.
line_of() {
	grep "\"request_id\":\"$2\"" "$RUN_DIR/logs/$1.log" | grep '"status"'
}

@test "alice, with info:read, gets 200; auth's and info's lines carry sub alice, never the token" {
	http GET /info -H 'Authorization: Bearer alice-secret-1' -H 'X-Request-ID: id-alice-1'
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	sleep 0.3
	run line_of info id-alice-1
	assert_output --partial '"path":"/info","status":200,'
	assert_output --partial '"sub":"alice"}'
	run line_of auth id-alice-1
	assert_output --partial '"path":"/login/","status":200,'
	assert_output --partial '"sub":"alice"}'
	run grep -rl 'alice-secret-1' "$RUN_DIR/logs"
	assert_failure
}

@test "bob, without info:read, gets 403 insufficient_scope with RFC 6750's challenge" {
	http GET /info -H 'Authorization: bob-secret-2' -H 'X-Request-ID: id-bob-1'
	assert_status 403
	assert_header Content-Type application/json
	assert_body '{"detail":"Insufficient scope"}'
	assert_equal "$(header WWW-Authenticate)" 'Bearer error="insufficient_scope", scope="info:read"'
	sleep 0.3
	run line_of info id-bob-1
	assert_output --partial '"status":403,'
	assert_output --partial '"sub":"bob"}'
	run bash -c "curl -s '$BASE/metrics/info' | grep -c '^info_auth_calls_total{outcome=\"insufficient_scope\"} [1-9]'"
	assert_output 1
}

@test "a token without sub= is token-<its place>; without the scope it is refused too" {
	http GET /info -H 'Authorization: merixstudio' -H 'X-Request-ID: id-merix-1'
	assert_status 403
	assert_body '{"detail":"Insufficient scope"}'
	sleep 0.3
	run line_of auth id-merix-1
	assert_output --partial '"sub":"token-3"}'
}

@test "a wrong or missing token is still the 401 it was, with no sub" {
	http GET /info -H 'Authorization: nope' -H 'X-Request-ID: id-nope-1'
	assert_status 401
	assert_body '{"detail":"Invalid or missing token"}'
	assert_equal "$(header WWW-Authenticate)" 'Bearer error="invalid_token"'
	http POST /login/
	assert_status 401
	assert_equal "$(header WWW-Authenticate)" Bearer
	sleep 0.3
	run line_of info id-nope-1
	refute_output --partial '"sub"'
}

@test "the public POST /login/ answer is the tutorial's, byte for byte; the internal one is the DTO" {
	http POST /login/ -H 'Authorization: alice-secret-1'
	assert_status 200
	assert_body '{"authenticated":true}'
	assert_equal "$(header X-Auth-Subject)" ''
	assert_equal "$(header X-Auth-Scopes)" ''
	internal POST /login/ -H 'Authorization: alice-secret-1'
	assert_status 200
	assert_body '{"authenticated":true,"sub":"alice","scopes":["info:read","admin"]}'
	assert_equal "$(header X-Auth-Subject)" alice
	assert_equal "$(header X-Auth-Scopes)" 'info:read admin'
	internal POST /login/ -H 'Authorization: merixstudio'
	assert_body '{"authenticated":true,"sub":"token-3","scopes":[]}'
	assert_equal "$(header X-Auth-Scopes)" ''
}

RESERVED='{"detail":"X-Auth-Subject and X-Auth-Scopes are set by auth, not by clients"}'

@test "a client's own X-Auth-Subject or X-Auth-Scopes is refused with 400: the identity cannot be forged" {
	http GET /info -H 'Authorization: alice-secret-1' -H 'X-Request-ID: id-forge-1' \
	    -H 'X-Auth-Subject: alice'
	assert_status 400
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_header X-Request-ID id-forge-1
	assert_body "$RESERVED"
	http POST /login/ -H 'Authorization: bob-secret-2' -H 'X-Auth-Scopes: info:read'
	assert_status 400
	assert_body "$RESERVED"
	# An empty one is no claim: served as without it.
	http GET /info -H 'Authorization: bob-secret-2' -H 'X-Auth-Scopes;'
	assert_status 403
	assert_body '{"detail":"Insufficient scope"}'
	# Nor can a client pass itself off as the internal listener.
	http POST /login/ -H 'Authorization: bob-secret-2' -H 'Gateway-Listener: internal'
	assert_body '{"authenticated":true}'
	# Refused at the gateway: info never saw the request.
	sleep 0.3
	run grep -c '"request_id":"id-forge-1"' "$RUN_DIR/logs/info.log"
	assert_output 0
}

@test "no FastCGI upstream of any route gets a client's X-Auth-*, not even one that includes fastcgi_params" {
	local route
	for route in /_capture /_capture2; do
		http GET "$route" -H 'X-Auth-Subject: forged-subject'
		assert_status 400
		assert_body "$RESERVED"
		http GET "$route" -H 'X-Auth-Scopes: forged-scope'
		assert_status 400
	done
	sleep 0.6
	# Nothing of those reached the recorder, under any name.
	run grep -aE 'forged|X_AUTH' "$RUN_DIR/captured"
	assert_failure
	# The routes do reach it (the capture works): the gateway's params on
	# the one that inherits them, fastcgi_params' on the other.
	http GET /_capture
	http GET /_capture2
	sleep 0.6
	run grep -ac 'HTTP_X_CLIENT_ADDR127.0.0.1' "$RUN_DIR/captured"
	assert_output 1
	run grep -ac 'DOCUMENT_URI/_capture2' "$RUN_DIR/captured"
	assert_output 1
	run grep -ac 'GATEWAY_INTERFACECGI/1.1' "$RUN_DIR/captured"
	assert_output 1
}

@test "a reload that takes alice's scope away refuses her at once; giving it back lets her in" {
	printf '%s\n' 'alice-secret-1 sub=alice scope=admin' 'merixstudio' >"$TOKFILE.new"
	chmod 0644 "$TOKFILE.new"
	cp "$TOKFILE" "$BATS_FILE_TMPDIR/tokens.orig"
	mv "$TOKFILE.new" "$TOKFILE"
	"$ROOT/scripts/stack.sh" reload
	wait_for 403 GET /info -H 'Authorization: alice-secret-1'
	assert_body '{"detail":"Insufficient scope"}'
	cp "$BATS_FILE_TMPDIR/tokens.orig" "$TOKFILE"
	"$ROOT/scripts/stack.sh" reload
	wait_for 200 GET /info -H 'Authorization: alice-secret-1'
}

@test "a bad attribute in the file is refused at start, naming the line, never the token" {
	local dir
	dir=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	printf '%s\n' 'merixstudio' 'hidden-secret-9 sub=a:b' >"$dir/tokens"
	chmod 0755 "$dir"
	chmod 0644 "$dir/tokens"
	AUTH_TOKENS_FILE="$dir/tokens" run "$BIN/auth.fcgi" </dev/null
	assert_failure 1
	assert_output --partial 'AUTH_TOKENS_FILE line 2: sub= must be 1-64 characters of [A-Za-z0-9._@-]'
	refute_output --partial 'hidden-secret-9'
	rm -rf "$dir"
}

@test "with INFO_REQUIRED_SCOPE unset, the tutorial's session is byte for byte what it was, every token a yes" {
	stack_stop
	stack_start AUTH_TOKENS_FILE="$TOKFILE"
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	assert_tutorial_session
	http GET /info -H 'Authorization: bob-secret-2'
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}
