#!/usr/bin/env bats
# /docs: Swagger UI served by the gateway, used in a real browser (headless
# Chromium driven by playwright-core): both operations render and "Try it
# out" gets the 401, then, authorized, the 200 body from the live stack.

setup_file() {
	load helpers
	# A user for Authorize's password flow, readable by auth's user.
	DOCS_USERS=$(mktemp /tmp/cgi-users.XXXXXX)
	chmod 0644 "$DOCS_USERS"
	export DOCS_USERS
	echo "alice $(/usr/bin/python3 "$ROOT/tests/integration/jwt_peer.py" hash wonderland)" >"$DOCS_USERS"
	stack_start AUTH_USERS_FILE="$DOCS_USERS"
}

teardown_file() {
	load helpers
	stack_stop
	rm -f "$DOCS_USERS"
}

setup() {
	load helpers
}

@test "GET /docs redirects to /docs/, which serves Swagger UI's page and files" {
	http GET /docs
	assert_status 301
	assert_header Location /docs/
	http GET /docs/
	assert_status 200
	assert_header Content-Type text/html
	[[ "$BODY" == *'<script src="/docs/swagger-ui-bundle.js"></script>'* ]] || fail "$BODY"
	http GET /docs/swagger-ui-bundle.js -o /dev/null
	assert_status 200
	assert_header Content-Type application/javascript
	http GET /docs/swagger-ui.css -o /dev/null
	assert_status 200
	assert_header Content-Type text/css
	http GET /docs/nothing.js
	assert_status 404
	assert_body '{"detail":"Not Found"}'
}

@test "in Chromium, /docs renders both operations, and Try it out answers 401 then 200" {
	local shot
	mkdir -p "$ROOT/build/artifacts"
	shot=$ROOT/build/artifacts/docs.png
	rm -f "$shot"
	run node "$ROOT/tests/integration/docs-ui.js" "$BASE" merixstudio "$shot"
	echo "$output" >&3
	assert_success
	assert_line 'ok: GET /info and POST /login/ are rendered'
	assert_line 'ok: executed without a token, the answer is 401'
	assert_line 'ok: executed with the token, the answer is 200 {"info": "The answer is 42."}'
	[ -s "$shot" ]
	# The browser's calls are in the gateway's log like any other.
	run grep -c '"uri":"/info","status":401' "$RUN_DIR/logs/gateway.access.log"
	refute_output 0
}

@test "in Chromium, Swagger UI's Authorize logs in with a username and password, and Try it out on /info answers 200" {
	local shot
	mkdir -p "$ROOT/build/artifacts"
	shot=$ROOT/build/artifacts/docs-oauth.png
	rm -f "$shot"
	run node "$ROOT/tests/integration/docs-oauth.js" "$BASE" alice wonderland "$shot"
	echo "$output" >&3
	assert_success
	assert_line 'ok: Authorize logged in with a username and password (POST /token 200)'
	assert_line 'ok: Try it out on GET /info with the access token answers 200 {"info": "The answer is 42."}'
	[ -s "$shot" ]
	run grep -c '"method":"POST","uri":"/token","status":200' "$RUN_DIR/logs/gateway.access.log"
	assert_output 1
}
