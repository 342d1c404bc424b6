#!/usr/bin/env bats
# Hostile input: whatever a client sends, the answer is a 4xx (or the
# documented status) with a JSON body, never a 5xx or a hang, and both
# services are still the same healthy processes afterwards.

setup_file() {
	load helpers
	# Slow clients are cut off after 1 s here (10 s by default).
	stack_start CLIENT_TIMEOUT=1s
	echo "$(service_pid auth) $(service_pid info)" > "$RUN_DIR/pids.before"
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
}

# raw BYTES: sends them as the request, sets RAW to the status line and JSON
# line of the answer.
raw() {
	RAW=$(printf '%b' "$1" | curl -s -m 5 "telnet://127.0.0.1:$PORT" 2>/dev/null | tr -d '\r' | grep -E '^HTTP/|^\{' || true)
}

assert_json_4xx() {	# assert_json_4xx STATUS DETAIL
	assert_status "$1"
	assert_header Content-Type application/json
	assert_body "{\"detail\":\"$2\"}"
}

@test "a 20 kB token answers 400 JSON, not a 5xx" {
	local tok
	tok=$(head -c 20000 /dev/zero | tr '\0' a)
	# Over one 16 kB header buffer: nginx's 494, which it answers as 400.
	http GET /info -H "Authorization: $tok"
	assert_json_4xx 400 "Bad Request"
	http POST /login/ -H "Authorization: Bearer $tok"
	assert_json_4xx 400 "Bad Request"
}

# token_of_size BYTES STATUS DETAIL ERROR: a token of BYTES letters gets
# STATUS, DETAIL and Bearer error="ERROR" from /info (bare, as the
# tutorial sends it) and /login/ (after "Bearer ") alike.
token_of_size() {
	local tok
	tok=$(head -c "$1" /dev/zero | tr '\0' a)
	http GET /info -H "Authorization: $tok"
	assert_json_4xx "$2" "$3"
	assert_header WWW-Authenticate "Bearer error=\"$4\""
	http POST /login/ -H "Authorization: Bearer $tok"
	assert_json_4xx "$2" "$3"
	assert_header WWW-Authenticate "Bearer error=\"$4\""
}

@test "a 9 kB token (over an access token's 8 KiB) answers 401 invalid_token" {
	token_of_size 9000 401 "Invalid or missing token" invalid_token
}

@test "a 13 kB token (within nginx's 16 kB buffers, over auth's 12 KiB) answers 400 invalid_request" {
	token_of_size 13000 400 "Malformed Authorization header" invalid_request
}

@test "headers over nginx's 4 x 16 kB answer 400 JSON; 50 small ones are served" {
	local args=() i pad
	pad=$(head -c 200 /dev/zero | tr '\0' b)
	for i in $(seq 400); do args+=(-H "X-Pad-$i: $pad"); done
	http GET /info "${args[@]}" -H "Authorization: merixstudio"
	assert_json_4xx 400 "Bad Request"
	args=()
	for i in $(seq 50); do args+=(-H "X-Pad-$i: b"); done
	http GET /info "${args[@]}" -H "Authorization: merixstudio"
	assert_status 200
}

@test "empty, blank and scheme-only tokens answer 401" {
	local v
	for v in "Authorization;" "Authorization:    " "Authorization: Bearer" "Authorization: Bearer    " "Authorization: Basic bWVyaXhzdHVkaW8="; do
		http GET /info -H "$v"
		assert_json_4xx 401 "Invalid or missing token"
		http POST /login/ -H "$v"
		assert_json_4xx 401 "Invalid or missing token"
	done
}

@test "Bearer variants: case of the scheme and extra blanks are accepted, other junk is not" {
	http GET /info -H "Authorization: BEARER merixstudio"
	assert_status 200
	http GET /info -H "Authorization:   bearer    merixstudio   "
	assert_status 200
	http GET /info -H "Authorization: Bearer merixstudio extra"
	assert_json_4xx 401 "Invalid or missing token"
	http GET /info -H "Authorization: Bearermerixstudio"
	assert_json_4xx 401 "Invalid or missing token"
	http GET /info -H "Authorization: \"merixstudio\""
	assert_json_4xx 401 "Invalid or missing token"
}

@test "non-UTF-8 and control bytes in the token answer 401 or 400, as JSON" {
	http GET /info -H "$(printf 'Authorization: merix\xff\xfestudio')"
	assert_json_4xx 401 "Invalid or missing token"
	http GET /info -H "$(printf 'Authorization: merix\x01studio')"
	assert_json_4xx 400 "Malformed Authorization header"
	http POST /login/ -H "$(printf 'Authorization: merix\x01studio')"
	assert_json_4xx 400 "Malformed Authorization header"
	raw 'GET /info HTTP/1.1\r\nHost: x\r\nAuthorization: merix\rstudio\r\nConnection: close\r\n\r\n'
	assert_equal "$RAW" "$(printf 'HTTP/1.1 400 Bad Request\n{"detail":"Bad Request"}')"
}

@test "a header line without a colon or with CR/LF tricks answers 400 JSON" {
	raw 'GET /info HTTP/1.1\r\nHost: x\r\nBroken header\r\nConnection: close\r\n\r\n'
	assert_equal "$RAW" "$(printf 'HTTP/1.1 400 Bad Request\n{"detail":"Bad Request"}')"
	raw 'GET /info HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\rX-Injected: 1\r\nConnection: close\r\n\r\n'
	assert_equal "$RAW" "$(printf 'HTTP/1.1 400 Bad Request\n{"detail":"Bad Request"}')"
}

@test "a repeated Authorization header answers 400 JSON, whichever copy is valid" {
	http GET /info -H "Authorization: merixstudio" -H "Authorization: wrong"
	assert_json_4xx 400 "Bad Request"
	http POST /login/ -H "Authorization: wrong" -H "Authorization: merixstudio"
	assert_json_4xx 400 "Bad Request"
}

@test "every wrong method on every route answers 405 JSON with Allow" {
	local m
	for m in GET PUT DELETE PATCH OPTIONS; do
		http "$m" /login/
		assert_json_4xx 405 "Method Not Allowed"
		assert_header Allow POST
	done
	for m in POST PUT DELETE PATCH OPTIONS; do
		http "$m" /info
		assert_json_4xx 405 "Method Not Allowed"
		assert_header Allow "GET, HEAD"
	done
}

@test "a body on GET /info is ignored" {
	http GET /info -H "Authorization: merixstudio" --data-binary 'hello' -X GET
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "path tricks: only the exact routes are routed" {
	http GET /info/
	assert_json_4xx 404 "Not Found"
	http GET /INFO
	assert_json_4xx 404 "Not Found"
	http GET '/info%00'
	assert_json_4xx 400 "Bad Request"
	http POST /login/x
	assert_json_4xx 404 "Not Found"
	http GET '/info?x=1&y=%00' -H "Authorization: merixstudio"
	assert_status 200
	http GET //info -H "Authorization: merixstudio" --path-as-is
	assert_status 200	# nginx merges slashes: the same route
	http GET /login/../info -H "Authorization: merixstudio" --path-as-is
	assert_status 200	# normalized by nginx to /info
	http GET /../../etc/passwd --path-as-is
	assert_json_4xx 400 "Bad Request"
}

@test "a long URI answers 414 JSON" {
	http GET "/info?$(head -c 17000 /dev/zero | tr '\0' q)"
	assert_json_4xx 414 "URI Too Long"
}

@test "HTTP/1.0 works" {
	http GET /info -H "Authorization: merixstudio" --http1.0
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

# slow REQUEST-PREFIX: opens a connection, sends the prefix and waits (5 s at
# most) for the gateway to close it; exits 0 when it did, 124 when not.
slow() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%b' "$1" >&3
	timeout 5 cat <&3 >/dev/null
}

@test "slow clients (headers or body never finished) are cut off and do not block others" {
	local i pids=() rc
	for i in $(seq 20); do
		slow 'GET /info HTTP/1.1\r\nHost: x\r\nAuthorization: merix' &
		pids+=($!)
		slow 'POST /login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab' &
		pids+=($!)
	done
	http GET /info -H "Authorization: merixstudio"
	assert_status 200
	# Blocked behind them, it would wait for CLIENT_TIMEOUT (1 s) to cut
	# them off; the bound is half of that, 50 times what it takes here.
	assert_faster_than 0.5
	for i in "${pids[@]}"; do
		rc=0
		wait "$i" || rc=$?
		assert_equal "$rc" 0
	done
}

@test "after all of it the services are the same healthy processes" {
	assert_equal "$(service_pid auth) $(service_pid info)" "$(cat "$RUN_DIR/pids.before")"
	http GET /info -H "Authorization: merixstudio"
	assert_status 200
	run grep -h '"status":5' "$RUN_DIR/logs/auth.log" "$RUN_DIR/logs/info.log"
	assert_output ''
}
