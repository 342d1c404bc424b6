#!/usr/bin/env bats
# info verifies access tokens itself (INFO_VERIFY_TOKENS=local, the
# default): with auth's keys, fetched from /.well-known/jwks.json through
# the gateway and kept as its Cache-Control says (AUTH_KEYS_MAX_AGE_S, 2 s
# here), by the same code as auth (cgi/lib/jwt.c).  A token it cannot
# verify goes to auth, which refuses it and counts the failed login.

PY=/usr/bin/python3

setup_file() {
	load helpers
	LOCAL_DIR=$(mktemp -d /tmp/cgi-jwt-local.XXXXXX)
	chmod 0755 "$LOCAL_DIR"
	export LOCAL_DIR
	{
		printf 'wonderland\n' | "$ROOT/scripts/user-hash.sh" alice | tr -d '\n'
		echo ' scope=info:read'
		printf 'builder\n' | "$ROOT/scripts/user-hash.sh" bob
	} >"$LOCAL_DIR/users"
	openssl genpkey -algorithm ed25519 -out "$LOCAL_DIR/key1.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$LOCAL_DIR/key2.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$LOCAL_DIR/other.pem" 2>/dev/null
	cp "$LOCAL_DIR/key1.pem" "$LOCAL_DIR/keys.pem"
	chmod 0644 "$LOCAL_DIR"/*
	local_start
}

# local_start [VAR=value...]: this suite's stack, with those besides.
local_start() {
	stack_start AUTH_USERS_FILE="$LOCAL_DIR/users" \
	    AUTH_SIGNING_KEY_FILE="$LOCAL_DIR/keys.pem" AUTH_KEYS_MAX_AGE_S=2 \
	    AUTH_STALE_IF_ERROR_MS=2000 AUTH_FAIL_LIMIT=5 AUTH_FAIL_WINDOW_MS=60000 "$@" 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	echo "$PORT" >"$BATS_FILE_TMPDIR/port"
	# info's first fetch of the keys.
	wait_metric 'info_jwks_keys 1'
}

teardown_file() {
	load helpers
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	rm -rf "$LOCAL_DIR"
}

setup() {
	load helpers
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	[ ! -f "$BATS_FILE_TMPDIR/port" ] || PORT=$(cat "$BATS_FILE_TMPDIR/port")
	BASE=http://127.0.0.1:$PORT
}

# wait_metric LINE: polls info's metrics up to 5 s for that exact line.
wait_metric() {
	local i
	for ((i = 0; i < 50; i++)); do
		metric_lines | grep -qxF "$1" && return 0
		sleep 0.1
	done
	fail "info's metrics never said '$1': $(metric_lines | grep -E 'jwks|access_tokens')"
}
metric_lines() {
	curl -s --unix-socket "$RUN_DIR/internal/gateway.sock" http://localhost/metrics/info
}
# metric NAME{LABELS}: its value now.
metric() {
	metric_lines | awk -v m="$1" '$1 == m { print $2 }'
}

# login USER PASSWORD: an access token into TOK.
login() {
	http POST /token -d "grant_type=password&username=$1&password=$2"
	assert_status 200
	TOK=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$BODY")
}

# asked_auth ID: 1 when auth logged the request of X-Request-ID ID, else 0.
asked_auth() {
	grep -c "\"request_id\":\"$1\"" "$RUN_DIR/logs/auth.log" || true
}

forge() {
	"$PY" "$ROOT/tests/integration/jwt_peer.py" forge "$@" "http://127.0.0.1:$PORT"
}

@test "GET /info with an access token answers 200 with no call to auth; a static token still asks auth" {
	local v0 c0
	login alice wonderland
	v0=$(metric 'info_access_tokens_total{verdict="verified"}')
	c0=$(metric 'info_access_tokens_total{verdict="cached"}')
	http GET /info -H "Authorization: Bearer $TOK" -H 'X-Request-ID: jwt-local-first-1'
	assert_status 200
	assert_header Cache-Control no-store
	assert_body '{"info":"The answer is 42."}'
	http GET /info -H "Authorization: bearer  $TOK" -H 'X-Request-ID: jwt-local-again-1'
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	[ "$(metric 'info_access_tokens_total{verdict="verified"}')" = $((v0 + 1)) ] || fail "not verified once"
	[ "$(metric 'info_access_tokens_total{verdict="cached"}')" = $((c0 + 1)) ] || fail "the second is no cache hit"
	http GET /info -H 'Authorization: merixstudio' -H 'X-Request-ID: jwt-local-static-1'
	assert_status 200
	wait_log 1 'jwt-local-static-1' "$RUN_DIR/logs/auth.log"
	assert_equal "$(asked_auth jwt-local-first-1)" 0
	assert_equal "$(asked_auth jwt-local-again-1)" 0
	# info's line names the token's subject; no log holds the token.
	grep -q '"request_id":"jwt-local-first-1".*"sub":"alice"' "$RUN_DIR/logs/info.log" ||
	    fail "$(grep jwt-local-first-1 "$RUN_DIR/logs/info.log")"
	run grep -c "${TOK##*.}" "$RUN_DIR"/logs/*.log
	assert_output --regexp '(:0\s*)+$'
}

@test "forged, altered and expired access tokens go to auth: 401 invalid_token, and past AUTH_FAIL_LIMIT 429 for the address" {
	local c tok i
	login alice wonderland
	for c in "$(forge "$LOCAL_DIR/other.pem" valid)" "${TOK%?}" \
	    "$(forge "$LOCAL_DIR/key1.pem" expired)" "$(forge "$LOCAL_DIR/key1.pem" wrong-iss)" \
	    "$(forge "$LOCAL_DIR/key1.pem" none)"; do
		from 127.0.0.40 GET /info -H "Authorization: Bearer $c"
		assert_status 401
		assert_header WWW-Authenticate 'Bearer error="invalid_token"'
		assert_body '{"detail":"Invalid or missing token"}'
	done
	# The sixth failure from that address within the window: auth's 429.
	tok=$(forge "$LOCAL_DIR/key1.pem" not-yet)
	from 127.0.0.40 GET /info -H "Authorization: Bearer $tok"
	assert_status 429
	assert_body '{"detail":"Too Many Requests"}'
	[ -n "$(header Retry-After)" ] || fail "no Retry-After"
	# Another address is not held back; a valid token is no guess.
	from 127.0.0.41 GET /info -H "Authorization: Bearer ${TOK%?}"
	assert_status 401
	for i in 1 2; do
		from 127.0.0.41 GET /info -H "Authorization: Bearer $TOK"
		assert_status 200
	done
	[ "$(metric 'info_access_tokens_total{verdict="refused"}')" -ge 7 ] || fail "$(metric_lines | grep access_tokens)"
}

@test "a flood of unknown kids: every one refused, the keys fetched at most once a second" {
	local f0 f1 t0 t1 codes
	"$PY" "$ROOT/tests/integration/jwt_peer.py" forge-many "$LOCAL_DIR/other.pem" random-kid \
	    "http://127.0.0.1:$PORT" 200 >"$BATS_TEST_TMPDIR/toks"
	f0=$(metric 'info_jwks_fetches_total{result="ok"}')
	t0=$(date +%s%N)
	codes=$(while read -r tok; do
		curl -s -o /dev/null -w '%{http_code}\n' --interface 127.0.0.42 \
		    -H "Authorization: Bearer $tok" "$BASE/info"
	done <"$BATS_TEST_TMPDIR/toks" | tally)
	t1=$(date +%s%N)
	f1=$(metric 'info_jwks_fetches_total{result="ok"}')
	# The first five are 401s, then the address is throttled (429).
	assert_equal "$codes" "401=5 429=195 "
	# Refreshes (every 1.5 s at max-age 2 s) and the kids' once a second.
	local secs=$(((t1 - t0) / 1000000000 + 1))
	[ $((f1 - f0)) -le $((2 * secs + 2)) ] || fail "$((f1 - f0)) fetches in ${secs}s"
}

@test "keys rotate: a new key's tokens verify in info after one fetch; a removed key stops within max-age" {
	local old i
	login alice wonderland
	old=$TOK
	cat "$LOCAL_DIR/key2.pem" "$LOCAL_DIR/key1.pem" >"$LOCAL_DIR/keys.pem"
	reload_auth
	login alice wonderland
	[ "$(cut -d. -f1 <<<"$TOK")" != "$(cut -d. -f1 <<<"$old")" ] || fail "still signed by the old key"
	# Its kid is new to info: auth answers this one, and info fetches.
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
	wait_metric 'info_jwks_keys 2'
	http GET /info -H "Authorization: Bearer $TOK" -H 'X-Request-ID: jwt-local-rotated-1'
	assert_status 200
	assert_equal "$(asked_auth jwt-local-rotated-1)" 0
	# key1 removed: its token stops in auth at once, in info within
	# AUTH_KEYS_MAX_AGE_S (2 s) and the next fetch.
	cp "$LOCAL_DIR/key2.pem" "$LOCAL_DIR/keys.pem"
	reload_auth
	http POST /login/ -H "Authorization: Bearer $old"
	assert_status 401
	for ((i = 0; i < 30; i++)); do
		http GET /info -H "Authorization: Bearer $old"
		[ "$STATUS" = 401 ] && break
		sleep 0.1
	done
	assert_status 401
	[ "$i" -le 25 ] || fail "the removed key worked $((i / 10)) s on"
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
}

@test "a user removed from the file: auth refuses at once, info's own check until the token expires (docs/security.md)" {
	login bob builder
	grep -v '^bob ' "$LOCAL_DIR/users" >"$LOCAL_DIR/users.new"
	cp "$LOCAL_DIR/users" "$LOCAL_DIR/users.orig"
	chmod 0644 "$LOCAL_DIR/users.new"
	mv "$LOCAL_DIR/users.new" "$LOCAL_DIR/users"
	reload_auth
	http POST /login/ -H "Authorization: Bearer $TOK"
	assert_status 401
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
	cp "$LOCAL_DIR/users.orig" "$LOCAL_DIR/users"
	reload_auth
}

@test "auth down: tokens verify with the keys kept, for max-age and AUTH_STALE_IF_ERROR_MS, then 503 with Retry-After" {
	local i t0
	login alice wonderland
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
	service_down auth
	t0=$(date +%s)
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	http GET /info -H 'Authorization: merixstudio'
	assert_status 503
	# At most 2 s of lifetime and 2 s stale, a fetch a second: 503 within 6 s.
	for ((i = 0; i < 70; i++)); do
		http GET /info -H "Authorization: Bearer $TOK"
		[ "$STATUS" = 200 ] || break
		sleep 0.1
	done
	assert_status 503
	[[ "$(header Retry-After)" =~ ^[12]$ ]] || fail "Retry-After: $(header Retry-After)"
	assert_body '{"detail":"auth service unavailable"}'
	[ $(($(date +%s) - t0)) -ge 2 ] || fail "the kept keys served under 2 s"
	grep -q "auth's keys cannot be fetched" "$RUN_DIR/logs/info.log" || fail "no warning"
	service_up auth
	wait_metric 'info_jwks_keys 1'
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
}

@test "INFO_REQUIRED_SCOPE holds for a token checked in info: 403 insufficient_scope, no call" {
	stack_stop
	local_start INFO_REQUIRED_SCOPE=info:read
	login bob builder
	http GET /info -H "Authorization: Bearer $TOK" -H 'X-Request-ID: jwt-local-scope-1'
	assert_status 403
	assert_header WWW-Authenticate 'Bearer error="insufficient_scope", scope="info:read"'
	assert_body '{"detail":"Insufficient scope"}'
	assert_equal "$(asked_auth jwt-local-scope-1)" 0
	login alice wonderland
	http GET /info -H "Authorization: Bearer $TOK"
	assert_status 200
}

@test "INFO_VERIFY_TOKENS=auth asks auth for every token; another value stops info with one line" {
	stack_stop
	stack_start AUTH_USERS_FILE="$LOCAL_DIR/users" AUTH_SIGNING_KEY_FILE="$LOCAL_DIR/keys.pem" \
	    INFO_VERIFY_TOKENS=auth 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	echo "$PORT" >"$BATS_FILE_TMPDIR/port"
	login alice wonderland
	http GET /info -H "Authorization: Bearer $TOK" -H 'X-Request-ID: jwt-local-auth-1'
	assert_status 200
	wait_log 1 'jwt-local-auth-1' "$RUN_DIR/logs/auth.log"
	run metric_lines
	assert_success
	refute_output --partial info_access_tokens_total
	run env INFO_VERIFY_TOKENS=maybe "$BIN/info.fcgi"
	assert_failure 1
	assert_output --partial "INFO_VERIFY_TOKENS: local or auth, got 'maybe'"
}
