#!/usr/bin/env bats
# The core behaviour through nginx: the tutorial's session, both routes,
# methods, errors, request ids, logs.

setup_file() {
	load helpers
	stack_start
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

@test "the tutorial: GET /info without a token answers 401 with a JSON detail" {
	http GET /info
	assert_status 401
	assert_header Content-Type application/json
	assert_header WWW-Authenticate Bearer
	assert_body '{"detail":"Invalid or missing token"}'
}

@test "the tutorial: GET /info with Authorization: merixstudio answers 200 and the answer" {
	http GET /info --header "Authorization: merixstudio"
	assert_status 200
	assert_header Content-Type application/json
	assert_header Content-Length 28
	assert_body '{"info":"The answer is 42."}'
}

@test "GET /info accepts Bearer <token>" {
	http GET /info -H "Authorization: Bearer merixstudio"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "GET /info with a wrong token answers 401" {
	http GET /info -H "Authorization: merixstudi0"
	assert_status 401
	assert_body '{"detail":"Invalid or missing token"}'
}

@test "HEAD /info answers the GET headers without a body" {
	http HEAD /info -H "Authorization: merixstudio" -I
	assert_status 200
	assert_header Content-Length 28
	# With -I curl writes the headers where the body would go: no JSON there.
	run grep -c '{' "$BATS_TEST_TMPDIR/body"
	assert_output 0
}

@test "POST /info answers 405 with Allow: GET, HEAD" {
	http POST /info -H "Authorization: merixstudio"
	assert_status 405
	assert_header Allow "GET, HEAD"
	assert_body '{"detail":"Method Not Allowed"}'
}

@test "POST /login/ with the token answers 200, not cached" {
	http POST /login/ -H "Authorization: merixstudio"
	assert_status 200
	assert_header Cache-Control no-store
	assert_body '{"authenticated":true}'
}

@test "POST /login/ without a token answers 401 with a challenge" {
	http POST /login/
	assert_status 401
	assert_header WWW-Authenticate Bearer
	assert_body '{"detail":"Invalid or missing token"}'
}

@test "a wrong token answers 401 with RFC 6750's error=\"invalid_token\", on both routes" {
	http POST /login/ -H "Authorization: Bearer nope"
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_body '{"detail":"Invalid or missing token"}'
	http GET /info -H "Authorization: nope"
	assert_status 401
	assert_header WWW-Authenticate 'Bearer error="invalid_token"'
	assert_body '{"detail":"Invalid or missing token"}'
}

@test "the 405s nginx answers itself carry Allow too (static files, stub_status, TRACE)" {
	local case method path allow
	for case in "POST /openapi.json GET, HEAD" "DELETE /openapi.json GET, HEAD" \
	    "POST /docs/ GET, HEAD" "POST /metrics/gateway GET, HEAD" \
	    "TRACE /info GET, HEAD" "TRACE /healthz GET, HEAD" "TRACE /login/ POST" \
	    "TRACE /login GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"; do
		read -r method path allow <<<"$case"
		http "$method" "$path"
		assert_status 405
		assert_header Allow "$allow"
		assert_header Content-Type application/json
		assert_body '{"detail":"Method Not Allowed"}'
	done
	# Other errors carry none.
	http GET /nowhere
	assert_status 404
	assert_equal "$(header Allow)" ''
	# TRACE to no route is the 404 it would be with any other method.
	http TRACE /nowhere
	assert_status 404
	assert_body '{"detail":"Not Found"}'
	assert_equal "$(header Allow)" ''
}

@test "GET /login/ answers 405 with Allow: POST" {
	http GET /login/
	assert_status 405
	assert_header Allow POST
	assert_body '{"detail":"Method Not Allowed"}'
}

@test "/login redirects to /login/ with 307, keeping the query" {
	http POST '/login?x=1'
	assert_status 307
	assert_header Location '/login/?x=1'
	assert_body '{"detail":"Use /login/"}'
}

@test "an unknown path answers 404 JSON from the gateway" {
	http GET /nope
	assert_status 404
	assert_header Content-Type application/json
	assert_body '{"detail":"Not Found"}'
}

@test "a body over 16 kB answers 413 JSON" {
	head -c 20000 /dev/zero | tr '\0' a > "$BATS_TEST_TMPDIR/big"
	http POST /login/ --data-binary "@$BATS_TEST_TMPDIR/big"
	assert_status 413
	assert_body '{"detail":"Content Too Large"}'
}

@test "a malformed request answers 400 JSON" {
	run bash -c "printf 'GARBAGE\r\n\r\n' | curl -s -m 5 telnet://127.0.0.1:$PORT"
	assert_output --partial '{"detail":"Bad Request"}'
	assert_output --partial 'HTTP/1.1 400'
}

@test "POST /token with no users file: 400 unsupported_grant_type, and auth keeps running" {
	http POST /token -d 'grant_type=password&username=alice&password=x'
	assert_status 400
	assert_header Cache-Control no-store
	assert_body '{"detail":"No users here: the password grant is off","error":"unsupported_grant_type"}'
	http POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	run grep -rc 'auth killed by signal' "$RUN_DIR/logs"
	refute_output --regexp ':[1-9]'
}

@test "the Server header carries no version" {
	http GET /info
	assert_header Server nginx
}

@test "a valid X-Request-ID is returned and reaches the gateway, info and auth logs" {
	http GET /info -H "Authorization: merixstudio" -H "X-Request-ID: trace-me-42"
	assert_status 200
	assert_header X-Request-ID trace-me-42
	sleep 0.2
	run grep -c '"request_id":"trace-me-42"' "$RUN_DIR/logs/gateway.access.log"
	assert_output 2	# GET /info and info's own POST /login/
	run grep -c '"request_id":"trace-me-42","method":"GET","path":"/info","status":200' "$RUN_DIR/logs/info.log"
	assert_output 1
	run grep -c '"request_id":"trace-me-42","method":"POST","path":"/login/","status":200' "$RUN_DIR/logs/auth.log"
	assert_output 1
}

@test "an invalid X-Request-ID is replaced by the gateway's own id" {
	http GET /info -H "X-Request-ID: bad id!"
	assert_status 401
	run header X-Request-ID
	assert_output --regexp '^[0-9a-f]{32}$'
}

@test "no log holds the token" {
	http GET /info -H "Authorization: merixstudio"
	http POST /login/ -H "Authorization: Bearer merixstudio"
	sleep 0.2
	run grep -rl merixstudio "$RUN_DIR/logs"
	assert_failure
	assert_output ''
}
