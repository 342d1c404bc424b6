#!/usr/bin/env bats
# docs/openapi.yaml against the live stack, through a peer tool: Stoplight
# Prism (npm @stoplight/prism-cli, pinned in package-lock.json) runs as a
# validating proxy in front of the gateway, and a battery of requests covers
# every route x method, token cases, oversized and malformed input and the
# fault answers.  Each answer must satisfy Prism (its sl-violations header
# is empty, or names only a request that was refused with a 4xx) and
# openapi_check.py (documented status, required headers, body schema, and
# the status the test wants); at the end every documented answer must have
# been produced.
#
# Where Prism cannot carry a request, it goes to the gateway directly and
# only openapi_check.py judges it, as marked at each place:
#   - HEAD: Prism tries to parse the empty body as JSON and answers 500;
#   - 3xx: Prism follows redirects, so /login and /docs are asked directly;
#   - a body on GET or HEAD: Prism does not forward it;
#   - a header or request line over 16 KiB: Prism's own limit (431);
#   - Content-Length with Transfer-Encoding, a repeated Authorization:
#     Prism's own HTTP parser refuses or merges them before nginx sees them;
#   - the client's address: Prism connects from 127.0.0.1, so the metrics'
#     403 (an address not allowed) is asked directly from 127.0.0.13.

setup_file() {
	load helpers
	# A short auth deadline so that a frozen auth gives info's 504 quickly;
	# no breaker, so that every call reaches auth.  The login limit is
	# turned on by the last test (Prism's calls all come from one address).
	# A user for POST /token (argon2-cffi's default cost, which a flood
	# of a few checks keeps busy) and a signing key; under /tmp itself,
	# readable by auth's user (helpers.bash).
	OAUTH_DIR=$(mktemp -d /tmp/cgi-openapi.XXXXXX)
	chmod 0755 "$OAUTH_DIR"
	echo "alice $(/usr/bin/python3 "$ROOT/tests/integration/jwt_peer.py" hash wonderland default) scope=info:read" >"$OAUTH_DIR/users"
	openssl genpkey -algorithm ed25519 -out "$OAUTH_DIR/key.pem" 2>/dev/null
	chmod 0644 "$OAUTH_DIR"/*
	echo "$OAUTH_DIR" >"$BATS_FILE_TMPDIR/oauth_dir"
	stack_start AUTH_TIMEOUT_MS=300 AUTH_CONNECT_TIMEOUT_MS=200 AUTH_CB_FAILURES=0 \
	    AUTH_USERS_FILE="$OAUTH_DIR/users" AUTH_SIGNING_KEY_FILE="$OAUTH_DIR/key.pem"
	local port i
	port=$(free_port)
	"$ROOT/node_modules/.bin/prism" proxy "$ROOT/docs/openapi.yaml" "$BASE" \
	    --host 127.0.0.1 --port "$port" \
	    >"$BATS_FILE_TMPDIR/prism.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/prism.pid"
	echo "http://127.0.0.1:$port" >"$BATS_FILE_TMPDIR/prism.url"
	for i in $(seq 1 60); do
		curl -s -o /dev/null "http://127.0.0.1:$port/openapi.json" && return 0
		sleep 0.5
	done
	cat "$BATS_FILE_TMPDIR/prism.log" >&2
	return 1
}

teardown_file() {
	load helpers
	kill "$(cat "$BATS_FILE_TMPDIR/prism.pid")" 2>/dev/null || true
	# The last test restarts the stack in a new directory.
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	rm -rf "$(cat "$BATS_FILE_TMPDIR/oauth_dir")"
}

setup() {
	load helpers
	PRISM=$(cat "$BATS_FILE_TMPDIR/prism.url")
	SEEN=$BATS_FILE_TMPDIR/seen
	BATCH=$BATS_TEST_TMPDIR/batch
	mkdir -p "$BATCH"
	: >"$BATCH/list"
	NREQ=0
	# Over client_max_body_size (16 KiB); a header over nginx's 8 KiB
	# buffer; a request line over it.
	BIG=$BATS_FILE_TMPDIR/big
	[ -f "$BIG" ] || head -c 20000 /dev/zero | tr '\0' x >"$BIG"
	LONG=$(head -c 17000 /dev/zero | tr '\0' a)
	TOKEN='Authorization: merixstudio'
	OAUTH_DIR=$(cat "$BATS_FILE_TMPDIR/oauth_dir")
	USERS=(AUTH_USERS_FILE="$OAUTH_DIR/users" AUTH_SIGNING_KEY_FILE="$OAUTH_DIR/key.pem")
	FORM=(--data-urlencode grant_type=password --data-urlencode username=alice --data-urlencode password=wonderland)
}

# OPS: every documented "METHOD PATH STATUS" (STATUS: its 2xx or 3xx, else 405).
ops() {
	/usr/bin/python3 "$ROOT/tests/integration/openapi_check.py" ops "$ROOT/docs/openapi.yaml"
}

# req EXPECT METHOD PATH [curl args]: one request through Prism, sent in the
# background (8 at a time); settle waits for them and judges the answers.
# EXPECT is the status the test wants, or "-" for any documented one.
# DIRECT=1 sends it to the gateway instead (see the top of this file); HEAD
# and the redirecting paths always go there.
req() {
	local expect=$1 method=$2 path=$3 base=$PRISM
	shift 3
	local id=$((++NREQ)) how=(-X "$method")
	# curl -I sends no body; -X HEAD with one gets nginx's 413 and EOF.
	[ "$method" = HEAD ] && [[ "$*" != *--data-binary* ]] && how=(-I)
	if [ -n "${DIRECT:-}" ] || [ "$method" = HEAD ] || [[ "$path" =~ ^/(login|docs)(\?|$) ]]; then
		base=$BASE
	fi
	echo "$id $expect $method $path" >>"$BATCH/list"
	curl -s -m 15 "${how[@]}" -o "$BATCH/$id.body" -D "$BATCH/$id.headers" \
	    -w '%{http_code}' "$@" "$base$path" >"$BATCH/$id.status" &
	# BURST=1: no pause every 8 (a flood).
	[ -n "${BURST:-}" ] || ((NREQ % 8)) || wait
}

settle() {
	wait
	run /usr/bin/python3 "$ROOT/tests/integration/openapi_check.py" batch \
	    "$ROOT/docs/openapi.yaml" "$SEEN" "$BATCH"
	echo "$output" >&3
	assert_success
}

@test "GET /openapi.json serves the document, which redocly lints clean" {
	http GET /openapi.json
	assert_status 200
	assert_header Content-Type application/json
	run bash -c "/usr/bin/python3 -c 'import json, sys, yaml; sys.exit(json.load(open(sys.argv[1])) != yaml.safe_load(open(sys.argv[2])))' '$BATS_TEST_TMPDIR/body' '$ROOT/docs/openapi.yaml'"
	assert_success
	run "$ROOT/node_modules/.bin/redocly" lint "$ROOT/docs/openapi.yaml" --format=summary
	assert_success
}

@test "Prism: every route x method answers as documented, a token sent or not" {
	local method path status
	while read -r method path status; do
		if [ "$method $path" = "POST /token" ]; then
			req 200 POST /token "${FORM[@]}"
			req 200 POST /token "${FORM[@]}" -H "$TOKEN"
			continue
		fi
		req "$status" "$method" "$path" -H "$TOKEN"
		# Without a token, the API's routes answer 401 where they would 200.
		if [ "$status" = 200 ] && [[ "$path" =~ ^/(login/|info)$ ]]; then
			status=401
		fi
		req "$status" "$method" "$path"
	done < <(ops)
	req 404 GET /docs/nothing.js
	req 404 HEAD /docs/nothing.js
	req 404 POST /docs/nothing.js
	settle
}

@test "Prism: every route x method answers 400 to a header over 16 KiB, 414 to a long URI, 413 to a body over 16 KiB (400 at /token)" {
	local method path status
	while read -r method path status; do
		# Over Prism's own 16 KiB header limit (it answers 431): direct.
		DIRECT=1 req 400 "$method" "$path" -H "X-Big: $LONG"
		DIRECT=1 req 414 "$method" "$path?$LONG"
		case $method:$path in
		TRACE:*) req 405 "$method" "$path" --data-binary "@$BIG" ;;
		GET:/token) DIRECT=1 req 400 "$method" "$path" --data-binary "@$BIG" ;;
		*:/token) req 400 "$method" "$path" --data-binary "@$BIG" ;;
		# Prism does not forward a body on GET (HEAD is always direct).
		GET:*) DIRECT=1 req 413 "$method" "$path" --data-binary "@$BIG" ;;
		*) req 413 "$method" "$path" --data-binary "@$BIG" ;;
		esac
	done < <(ops)
	# Refused by Prism's own HTTP parser, so asked directly.
	DIRECT=1 req 400 GET /info -H "$TOKEN" -H 'Transfer-Encoding: chunked' -H 'Content-Length: 3'
	DIRECT=1 req 400 POST /login/ -H "$TOKEN" -H 'Authorization: wrong'
	DIRECT=1 req 400 GET /info -H 'Authorization: wrong' -H "$TOKEN"
	settle
}

@test "Prism: token cases on POST /login/ and GET /info" {
	local path method
	for path in "POST /login/ 200" "GET /info 200"; do
		read -r method path ok <<<"$path"
		req "$ok" "$method" "$path" -H "$TOKEN"
		req "$ok" "$method" "$path" -H 'Authorization: Bearer merixstudio'
		req 401 "$method" "$path"
		req 401 "$method" "$path" -H 'Authorization:'
		req 401 "$method" "$path" -H 'Authorization: merixstudi'
		req 401 "$method" "$path" -H 'Authorization: merixstudioo'
		req 401 "$method" "$path" -H 'Authorization: Bearer'
		req 401 "$method" "$path" -H 'Authorization: Basic bWVyaXhzdHVkaW86'
		req 401 "$method" "$path" -H "Authorization: $(head -c 4000 /dev/zero | tr '\0' t)"
		req 400 "$method" "$path" -H "Authorization: $(head -c 13000 /dev/zero | tr '\0' t)"
		DIRECT=1 req 400 "$method" "$path" -H "Authorization: $LONG"
	done
	settle
}

@test "Prism: POST /token's refusals: RFC 6749's 400s, FastAPI's 401, and 503 when a flood takes every password check" {
	local i
	req 400 POST /token -d 'username=alice&password=wonderland'
	req 400 POST /token -d 'grant_type=client_credentials&username=alice&password=x'
	req 400 POST /token -H 'Content-Type: application/json' -d '{"grant_type":"password"}'
	req 400 POST /token "${FORM[@]}" --data-urlencode scope=admin
	req 401 POST /token -d 'grant_type=password&username=alice&password=wrong'
	req 401 POST /token -d 'grant_type=password&username=nobody&password=wrong'
	settle
	# 32 at once, each a 100 MiB hash: more than the checks that may wait
	# (4 per hashing thread, one thread per two CPUs).
	for i in $(seq 1 32); do
		BURST=1 DIRECT=1 req - POST /token "${FORM[@]}"
	done
	settle
	run grep -c 'POST /token 503' "$SEEN"
	[ "$output" -ge 1 ] || fail "no 503 in a flood of 32"
}

@test "Prism: metrics answer 200 here, and 403 (directly) to an address not allowed" {
	local method path status
	while read -r method path status; do
		[[ "$path" == /metrics/* ]] || continue
		req "$status" "$method" "$path"
		[ "$method" = TRACE ] || DIRECT=1 req 403 "$method" "$path" --interface 127.0.0.13
	done < <(ops)
	settle
}

# fault_batch SERVICE STATUS: every operation SERVICE answers gets STATUS;
# GET and HEAD /info get INFO_STATUS (auth's fault) and /healthz 503.
fault_batch() {
	local svc=$1 want=$2 method path status
	while read -r method path status; do
		[ "$method" != TRACE ] || continue
		case "$svc:$path" in
		auth:/login/ | auth:/login | auth:/metrics/auth | info:/info | info:/metrics/info | \
		    auth:/token | auth:/.well-known/*)
			req "$want" "$method" "$path" -H "$TOKEN" ;;
		# The others are 405s that info and nginx answer alone.
		auth:/info) [[ $method =~ ^(GET|HEAD)$ ]] && req "$INFO_STATUS" "$method" "$path" -H "$TOKEN" ;;
		*:/healthz) [[ $method =~ ^(GET|HEAD)$ ]] && req 503 "$method" "$path" ;;
		esac
	done < <(ops)
}

@test "Prism: auth stopped: its routes 502, /info 503, /healthz 503, as documented" {
	service_down auth
	INFO_STATUS=503 fault_batch auth 502
	wait
	service_up auth
	settle
}

@test "Prism: auth frozen: its routes 504 after the gateway's 5 s, /info 504 at once" {
	local pid
	pid=$(service_pid auth)
	kill -STOP "$pid"
	INFO_STATUS=504 fault_batch auth 504
	wait
	kill -CONT "$pid"
	settle
}

@test "Prism: info stopped, then frozen: /info and /metrics/info 502, then 504" {
	local pid
	service_down info
	fault_batch info 502
	wait
	service_up info
	pid=$(service_pid info)
	kill -STOP "$pid"
	fault_batch info 504
	wait
	kill -CONT "$pid"
	settle
}

@test "Prism: auth killed under requests: every answer is documented, none is a 200 without a token" {
	local i tokenless=()
	kill -KILL "$(service_pid auth)"
	for i in $(seq 1 20); do
		req - POST /login/ -H "$TOKEN"
		req - GET /info -H "$TOKEN"
		req - GET /info
		tokenless+=("$NREQ")
		sleep 0.05
	done
	wait
	for i in "${tokenless[@]}"; do
		[ "$(cat "$BATCH/$i.status")" != 200 ] || fail "a tokenless /info answered 200"
	done
	settle
	wait_for 200 GET /healthz
}

@test "Prism: with INFO_REQUIRED_SCOPE, a token without the scope is /info's 403 with RFC 6750's challenge, one with it 200" {
	local toks
	# Under /tmp itself, readable by auth's user (helpers.bash).
	toks=$(mktemp /tmp/cgi-tokens.XXXXXX)
	printf '%s\n' 'merixstudio sub=demo scope=other' 'reader-token sub=reader scope=info:read' >"$toks"
	chmod 0644 "$toks"
	# The same port, so Prism keeps its upstream; teardown_file stops it.
	stack_stop
	STACK_PORT=$PORT stack_start AUTH_TOKENS_FILE="$toks" INFO_REQUIRED_SCOPE=info:read "${USERS[@]}" 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	req 403 GET /info -H "$TOKEN"
	req 403 HEAD /info -H "$TOKEN"
	req 200 GET /info -H 'Authorization: reader-token'
	req 200 POST /login/ -H "$TOKEN"
	req 401 GET /info -H 'Authorization: wrong'
	settle
	rm -f "$toks"
	# (Prism passes header names on in lower case.)
	run bash -c "grep -i '^WWW-Authenticate:' '$BATCH/1.headers' | sed 's/^[^:]*: //; s/\r\$//'"
	assert_output 'Bearer error="insufficient_scope", scope="info:read"'
}

@test "Prism: past the login limit every /login/ method, and past the failed-login limit /info, answer 429 with Retry-After" {
	local i method path status
	# The same port, so Prism keeps its upstream; teardown_file stops it.
	# The test before restarted the stack in a new directory.
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	STACK_PORT=$PORT stack_start LOGIN_RATE=1r/m LOGIN_BURST=5 \
	    AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000 "${USERS[@]}" 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	# /login/ and /token have a budget each (at 1r/m no /token waits).
	for i in 1 2 3 4 5 6; do
		req - POST /login/ -H "$TOKEN"
		req - POST /token -d grant_type=password
	done
	wait
	while read -r method path status; do
		[[ ! "$path" =~ ^/(login/|token)$ ]] || [ "$method" = TRACE ] || req 429 "$method" "$path" -H "$TOKEN"
	done < <(ops)
	# Wrong tokens through /info (the limit ignores the login rate): 401
	# until the third, then 429.
	for i in 1 2 3 4; do
		req - GET /info -H 'Authorization: wrong'
		wait
	done
	req 429 GET /info -H "$TOKEN"
	req 429 HEAD /info -H "$TOKEN"
	settle
}

@test "every documented answer was produced above" {
	run /usr/bin/python3 "$ROOT/tests/integration/openapi_check.py" coverage \
	    "$ROOT/docs/openapi.yaml" "$SEEN"
	assert_success
}
