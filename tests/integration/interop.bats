#!/usr/bin/env bats
# Interoperating with the tutorial's own services (bench/reference, run by
# Debian's python3-fastapi under uvicorn), one service at a time:
#   - the tutorial's information service asks our auth (through our gateway);
#   - our info asks the tutorial's auth service (AUTH_URL pointing at it).
# Each gives the tutorial's curl session: 401 without the token, 200 and the
# answer with it.

# Debian's python, where Debian's fastapi is (not a python3 earlier on PATH).
PY=/usr/bin/python3

setup_file() {
	load helpers
	local i
	REF_DIR=$(mktemp -d /tmp/cgi-interop.XXXXXX)
	TUT_AUTH_PORT=$(free_port)
	TUT_INFO_PORT=$(free_port)
	export REF_DIR TUT_AUTH_PORT TUT_INFO_PORT
	cd "$ROOT/bench/reference" || return
	"$PY" -m uvicorn auth_service:app --host 127.0.0.1 --port "$TUT_AUTH_PORT" \
	    --log-level warning >"$REF_DIR/auth.log" 2>&1 &
	echo $! > "$REF_DIR/auth.pid"
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$TUT_AUTH_PORT/docs" && break
		sleep 0.1
	done
	# Our whole stack, its info asking the tutorial's auth (which must
	# answer before the stack is ready: start checks GET /info).
	stack_start AUTH_URL="http://127.0.0.1:$TUT_AUTH_PORT/login/"
	echo "$PORT" > "$REF_DIR/our_port"
	# The tutorial's info asking our auth, through our gateway.
	AUTH_SERVICE_URL="http://127.0.0.1:$PORT/login/" "$PY" -m uvicorn \
	    information_service:app --host 127.0.0.1 --port "$TUT_INFO_PORT" \
	    --log-level warning >"$REF_DIR/info.log" 2>&1 &
	echo $! > "$REF_DIR/info.pid"
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$TUT_INFO_PORT/docs" && return 0
		sleep 0.1
	done
	cat "$REF_DIR"/*.log >&2
	return 1
}

teardown_file() {
	load helpers
	local f
	for f in "$REF_DIR"/auth.pid "$REF_DIR"/info.pid; do
		if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
	done
	stack_stop
	rm -rf "$REF_DIR"
}

setup() {
	load helpers
	PORT=$(cat "$REF_DIR/our_port")
	BASE=http://127.0.0.1:$PORT
}

@test "the tutorial's information service with our auth: 401 without a token, 200 and the answer with it" {
	BASE=http://127.0.0.1:$TUT_INFO_PORT
	http GET /info
	assert_equal "$STATUS" 401
	assert_equal "$BODY" ''
	http GET /info -H 'Authorization: wrong'
	assert_equal "$STATUS" 401
	http GET /info -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
}

@test "our info with the tutorial's auth service: 401 JSON without a token, 200 and the answer with it" {
	assert_tutorial_session
	http GET /info -H 'Authorization: wrong'
	assert_equal "$STATUS" 401
	assert_equal "$BODY" '{"detail":"Invalid or missing token"}'
}

@test "our info with the tutorial's auth and INFO_REQUIRED_SCOPE set: 403, since that auth answers no identity" {
	# A second stack of ours, stopped here; the first serves the others.
	stack_start AUTH_URL="http://127.0.0.1:$TUT_AUTH_PORT/login/" INFO_REQUIRED_SCOPE=info:read
	http GET /info -H 'Authorization: merixstudio'
	local st=$STATUS body=$BODY
	http GET /info
	local none=$STATUS
	stack_stop
	assert_equal "$st $body" '403 {"detail":"Insufficient scope"}'
	assert_equal "$none" 401
}
