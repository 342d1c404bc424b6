#!/usr/bin/env bats
# docs/openapi.yaml against the live stack: every answer below must be
# documented (status, required headers, body schema), and every documented
# answer must be produced here, so the document and the code cannot drift.

setup_file() {
	load helpers
	# A login limit that one address can reach (each test uses its own);
	# a short auth deadline so that a frozen auth gives 504 quickly.
	stack_start LOGIN_RATE=1r/m LOGIN_BURST=5 AUTH_TIMEOUT_MS=300 \
	    AUTH_CONNECT_TIMEOUT_MS=200 AUTH_CB_FAILURES=0
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
	SEEN=$BATS_FILE_TMPDIR/seen
	# Over client_max_body_size (16 KiB).
	BIG=$BATS_FILE_TMPDIR/big
	[ -f "$BIG" ] || head -c 20000 /dev/zero | tr '\0' x > "$BIG"
}

# checked METHOD PATH [curl args]: http, then the answer must match the document.
checked() {
	http "$@"
	run /usr/bin/python3 "$ROOT/tests/integration/openapi_check.py" answer \
	    "$ROOT/docs/openapi.yaml" "$SEEN" "$1" "$2" "$STATUS" "$HEADERS" \
	    "$BATS_TEST_TMPDIR/body"
	assert_success
}

@test "GET /openapi.json serves the document, which redocly lints clean" {
	checked GET /openapi.json
	assert_status 200
	assert_header Content-Type application/json
	run bash -c "/usr/bin/python3 -c 'import json, sys, yaml; sys.exit(json.load(open(sys.argv[1])) != yaml.safe_load(open(sys.argv[2])))' '$BATS_TEST_TMPDIR/body' '$ROOT/docs/openapi.yaml'"
	assert_success
	checked POST /openapi.json
	assert_status 405
	run "$ROOT/node_modules/.bin/redocly" lint "$ROOT/docs/openapi.yaml" --format=summary
	assert_success
}

@test "POST /login/: 200, 401, 405, 413 and 429 are as documented" {
	checked POST /login/ --interface 127.0.0.10 -H 'Authorization: merixstudio'
	assert_status 200
	checked POST /login/ --interface 127.0.0.10
	assert_status 401
	checked GET /login/ --interface 127.0.0.10
	assert_status 405
	checked POST /login/ --interface 127.0.0.10 --data-binary "@$BIG"
	assert_status 413
	for i in 1 2 3 4 5 6 7; do
		checked POST /login/ --interface 127.0.0.11
	done
	assert_status 429
}

@test "/login redirects as documented" {
	checked POST /login?x=1
	assert_status 307
	checked POST /login --data-binary "@$BIG"
	assert_status 413
}

@test "GET /info: 200, 401, 405 and 413 are as documented" {
	checked GET /info -H 'Authorization: merixstudio'
	assert_status 200
	checked HEAD /info -I -H 'Authorization: merixstudio'
	assert_status 200
	checked GET /info -H 'Authorization: nope'
	assert_status 401
	checked POST /info
	assert_status 405
	checked GET /info --data-binary "@$BIG" -X GET
	assert_status 413
}

@test "auth down: /info 503, /login/ 502 and /healthz 503 are as documented" {
	local info login health
	service_down auth
	checked GET /info -H 'Authorization: merixstudio'
	info=$STATUS
	checked POST /login/ --interface 127.0.0.12 -H 'Authorization: merixstudio'
	login=$STATUS
	checked GET /healthz
	health=$STATUS
	service_up auth
	assert_equal "$info $login $health" "503 502 503"
	checked GET /healthz
	assert_status 200
	checked POST /healthz
	assert_status 405
}

@test "auth frozen: /info answers 504 as documented" {
	local pid
	pid=$(service_pid auth)
	kill -STOP "$pid"
	checked GET /info -H 'Authorization: merixstudio'
	kill -CONT "$pid"
	assert_status 504
}

@test "info down: /info answers 502 as documented" {
	local st
	service_down info
	checked GET /info -H 'Authorization: merixstudio'
	st=$STATUS
	service_up info
	assert_equal "$st" 502
}

@test "metrics: 200 from loopback, 403 from elsewhere, as documented" {
	local m
	for m in auth info gateway; do
		checked GET "/metrics/$m"
		assert_status 200
		checked GET "/metrics/$m" --interface 127.0.0.13
		assert_status 403
	done
}

@test "every documented answer was produced above, but those that need another auth or 5 s" {
	# 403 from auth needs an auth that answers it (standin.bats has one);
	# /login/ 504 is nginx's 5 s read timeout.
	run /usr/bin/python3 "$ROOT/tests/integration/openapi_check.py" coverage \
	    "$ROOT/docs/openapi.yaml" "$SEEN" GET:/info:403 POST:/login/:504
	assert_success
}
