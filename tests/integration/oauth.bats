#!/usr/bin/env bats
# Proper authentication: users with Argon2id hashes (AUTH_USERS_FILE),
# OAuth2's password grant at POST /token, Ed25519 JWT access tokens (RFC
# 9068) signed with AUTH_SIGNING_KEY_FILE, the JWKS and the server
# metadata, and POST /login/ and GET /info taking those tokens.  The peers
# decide: argon2-cffi makes the hashes, PyJWT verifies through our JWKS,
# requests-oauthlib gets a token, FastAPI's security tutorial accepts it.

PY=/usr/bin/python3

setup_file() {
	load helpers
	# Under /tmp itself, readable by auth's user (helpers.bash).
	OAUTH_DIR=$(mktemp -d /tmp/cgi-oauth.XXXXXX)
	chmod 0755 "$OAUTH_DIR"
	export OAUTH_DIR
	{
		echo "# made by argon2-cffi (python3-argon2)"
		echo "alice $("$PY" "$ROOT/tests/integration/jwt_peer.py" hash wonderland) scope=info:read,profile"
		echo "bob $("$PY" "$ROOT/tests/integration/jwt_peer.py" hash builder default)"
		printf 'carol ' && printf 'c4r0l\n' | "$ROOT/scripts/user-hash.sh" carol | cut -d' ' -f2 | tr -d '\n' && echo " sub=carol@example scope=admin"
	} >"$OAUTH_DIR/users"
	cp "$OAUTH_DIR/users" "$OAUTH_DIR/users.orig"
	openssl genpkey -algorithm ed25519 -out "$OAUTH_DIR/key1.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$OAUTH_DIR/key2.pem" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$OAUTH_DIR/other.pem" 2>/dev/null
	cp "$OAUTH_DIR/key1.pem" "$OAUTH_DIR/keys.pem"
	chmod 0644 "$OAUTH_DIR"/*
	stack_start AUTH_USERS_FILE="$OAUTH_DIR/users" \
	    AUTH_SIGNING_KEY_FILE="$OAUTH_DIR/keys.pem"
}

teardown_file() {
	load helpers
	[ ! -f "$BATS_FILE_TMPDIR/run_dir" ] || RUN_DIR=$(cat "$BATS_FILE_TMPDIR/run_dir")
	stack_stop
	[ -z "${FASTAPI_PID:-}" ] || kill "$FASTAPI_PID" 2>/dev/null || true
	rm -rf "$OAUTH_DIR"
}

setup() {
	load helpers
	ISS=$BASE
}

# login USER PASSWORD [curl args]: POST /token with the password grant.
login() {
	local u=$1 p=$2
	shift 2
	http POST /token --data-urlencode grant_type=password \
	    --data-urlencode "username=$u" --data-urlencode "password=$p" "$@"
}

# token: the access token of the last answer.
token() {
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$BODY"
}

# field NAME: a member of the last answer's JSON body.
field() {
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$BODY"
}


@test "POST /token with a right password answers 200: a bearer JWT, no-store, the user's scopes" {
	login alice wonderland
	assert_status 200
	assert_header Content-Type application/json
	assert_header Cache-Control no-store
	assert_header Pragma no-cache
	[ "$(field token_type)" = bearer ] || fail "$BODY"
	[ "$(field expires_in)" = 900 ] || fail "$BODY"
	[ "$(field scope)" = "info:read profile" ] || fail "$BODY"
	[ "$("$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin)))' <<<"$BODY")" = "['access_token', 'expires_in', 'scope', 'token_type']" ] || fail "$BODY"
}

@test "PyJWT verifies the token through the JWKS (PyJWKClient): RFC 9068's header and claims" {
	local out
	login alice wonderland
	out=$("$PY" "$ROOT/tests/integration/jwt_peer.py" verify "$BASE" "$(token)" "$ISS")
	run "$PY" -c '
import json, sys
d = json.loads(sys.argv[1]); h, c = d["header"], d["claims"]
assert h["alg"] == "EdDSA" and h["typ"] == "at+jwt" and len(h["kid"]) == 43, h
assert c["iss"] == sys.argv[2] and c["sub"] == "alice", c
assert c["aud"] == "cgi-microservices" and c["scope"] == "info:read profile", c
assert c["exp"] - c["iat"] == 900 and len(c["jti"]) == 22 and c["client_id"] == "alice", c
print("ok")' "$out" "$ISS"
	assert_output ok
}

@test "argon2-cffi's default cost and make user-hash's lines log in; a user's sub= is the token's subject" {
	login bob builder
	assert_status 200
	[ "$(field scope)" = "" ] || fail "$BODY"
	login carol c4r0l
	assert_status 200
	run "$PY" "$ROOT/tests/integration/jwt_peer.py" verify "$BASE" "$(token)" "$ISS"
	assert_output --partial '"sub": "carol@example"'
}

@test "the token works at POST /login/ and GET /info; through info auth answers the identity of its claims" {
	local tok
	login alice wonderland
	tok=$(token)
	http POST /login/ -H "Authorization: Bearer $tok"
	assert_status 200
	assert_body '{"authenticated":true}'
	http GET /info -H "Authorization: Bearer $tok"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	internal POST /login/ -H "Authorization: Bearer $tok"
	assert_status 200
	assert_body '{"authenticated":true,"sub":"alice","scopes":["info:read","profile"]}'
	assert_header X-Auth-Scopes 'info:read profile'
}

@test "a scope asked for narrows the token; one the user lacks is 400 invalid_scope" {
	login alice wonderland --data-urlencode scope=info:read
	assert_status 200
	[ "$(field scope)" = info:read ] || fail "$BODY"
	login alice wonderland --data-urlencode 'scope=info:read admin'
	assert_status 400
	assert_body '{"detail":"A scope asked for is not the user'"'"'s","error":"invalid_scope"}'
}

@test "a wrong password and an unknown user answer FastAPI's 401 alike, both hashed (the dummy hash)" {
	local before after
	before=$(internal GET /metrics/auth >/dev/null; grep -o 'auth_password_checks_total{verdict="mismatch"} [0-9]*' <<<"$BODY" | cut -d' ' -f2)
	login alice wonderlanD
	assert_status 401
	assert_header WWW-Authenticate Bearer
	assert_body '{"detail":"Incorrect username or password"}'
	login nobody wonderland
	assert_status 401
	assert_header WWW-Authenticate Bearer
	assert_body '{"detail":"Incorrect username or password"}'
	internal GET /metrics/auth
	after=$(grep -o 'auth_password_checks_total{verdict="mismatch"} [0-9]*' <<<"$BODY" | cut -d' ' -f2)
	[ "$after" -eq $((before + 2)) ] || fail "mismatch checks: $before then $after"
}

@test "malformed token requests answer 400 with RFC 6749's error code" {
	http POST /token -d 'username=alice&password=wonderland'
	assert_status 400
	assert_body '{"detail":"grant_type is required","error":"invalid_request"}'
	http POST /token -d 'grant_type=client_credentials&username=alice&password=wonderland'
	assert_status 400
	assert_body '{"detail":"Only grant_type=password is supported","error":"unsupported_grant_type"}'
	http POST /token -d 'grant_type=password&username=alice'
	assert_status 400
	assert_body '{"detail":"username and password are required","error":"invalid_request"}'
	http POST /token -H 'Content-Type: application/json' -d '{"grant_type":"password","username":"alice","password":"wonderland"}'
	assert_status 400
	assert_body '{"detail":"The body must be application/x-www-form-urlencoded","error":"invalid_request"}'
	http POST /token -d 'grant_type=password&username=alice&username=bob&password=wonderland'
	assert_status 400
	assert_body '{"detail":"The form names a field twice: username","error":"invalid_request"}'
	http POST /token -d 'grant_type=password&username=alice&password=wonder%00land'
	assert_status 400
	assert_body '{"detail":"A field is malformed (an escape or a control character): password","error":"invalid_request"}'
	http POST /token -d "grant_type=password&username=alice&password=$(head -c 65536 /dev/zero | tr '\0' p)"
	assert_status 400
	assert_body '{"detail":"The form is too large","error":"invalid_request"}'
	# Over auth's 8 KiB, within the gateway's 16 KiB: auth's answer.
	http POST /token -d "grant_type=password&username=alice&password=$(head -c 12000 /dev/zero | tr '\0' p)"
	assert_status 400
	assert_body '{"detail":"The form is too large","error":"invalid_request"}'
	http GET /token
	assert_status 405
	assert_header Allow POST
}

@test "forged, altered and expired tokens answer 401 invalid_token with a reason, and count as failed logins" {
	local c tok
	for c in "none:algorithm" "hs256:algorithm" "unknown-kid:unknown" "jku:carries a key" \
	    "jwk:carries a key" "typ-jwt:typ" "wrong-iss:claims" "wrong-aud:claims" \
	    "expired:expired" "not-yet:not valid yet" "no-user:no longer known" "huge:too long"; do
		tok=$("$PY" "$ROOT/tests/integration/jwt_peer.py" forge "$OAUTH_DIR/key1.pem" "${c%%:*}" "$ISS")
		http POST /login/ -H "Authorization: Bearer $tok"
		assert_status 401
		assert_body '{"detail":"Invalid or missing token"}'
		[[ "$(header WWW-Authenticate)" == 'Bearer error="invalid_token", error_description="'*"${c#*:}"* ]] ||
			fail "${c%%:*}: $(header WWW-Authenticate)"
	done
	# Signed by a key auth does not have, with that key's own kid.
	tok=$("$PY" "$ROOT/tests/integration/jwt_peer.py" forge "$OAUTH_DIR/other.pem" valid "$ISS")
	http GET /info -H "Authorization: Bearer $tok"
	assert_status 401
	tok=$("$PY" "$ROOT/tests/integration/jwt_peer.py" forge "$OAUTH_DIR/key1.pem" valid "$ISS")
	http POST /login/ -H "Authorization: Bearer $tok"
	assert_status 200
	http POST /login/ -H "Authorization: Bearer ${tok%?}"
	assert_status 401
	run grep -c "$tok" "$RUN_DIR"/logs/*.log
	assert_output --regexp '(:0\s*)+$'
}

@test "GET /.well-known/jwks.json lists the keys, cacheable; the metadata names the endpoints" {
	http GET /.well-known/jwks.json
	assert_status 200
	assert_header Cache-Control 'public, max-age=300'
	run "$PY" -c '
import json, sys
k = json.loads(sys.argv[1])["keys"]
assert len(k) == 1 and k[0]["kty"] == "OKP" and k[0]["crv"] == "Ed25519", k
assert k[0]["alg"] == "EdDSA" and k[0]["use"] == "sig" and "d" not in k[0], k
print("ok")' "$BODY"
	assert_output ok
	http GET /.well-known/oauth-authorization-server
	assert_status 200
	assert_header Cache-Control 'public, max-age=300'
	assert_body "{\"issuer\":\"$ISS\",\"token_endpoint\":\"$ISS/token\",\"jwks_uri\":\"$ISS/.well-known/jwks.json\",\"grant_types_supported\":[\"password\"],\"response_types_supported\":[],\"token_endpoint_auth_methods_supported\":[\"none\"],\"scopes_supported\":[\"info:read\",\"profile\",\"admin\"]}"
}

@test "requests-oauthlib's password grant (LegacyApplicationClient) gets a token that /info takes" {
	run "$PY" "$ROOT/tests/integration/jwt_peer.py" oauthlib "$BASE" alice wonderland
	assert_success
	assert_output 'bearer 900 200 {"info":"The answer is 42."}'
}

@test "FastAPI's security tutorial (get_current_user) accepts our token, and refuses another key's" {
	local port i
	port=$(free_port)
	openssl pkey -in "$OAUTH_DIR/key1.pem" -pubout -out "$OAUTH_DIR/pub.pem"
	cd "$ROOT/tests/integration"
	CGI_PUBLIC_KEY_FILE=$OAUTH_DIR/pub.pem "$PY" -m uvicorn fastapi_security:app \
	    --host 127.0.0.1 --port "$port" --log-level warning 3>&- &
	FASTAPI_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$port/docs" && break
		sleep 0.1
	done
	login alice wonderland
	run curl -s -H "Authorization: Bearer $(token)" "http://127.0.0.1:$port/users/me/"
	kill "$FASTAPI_PID"
	assert_output '{"username":"alice","email":"alice@example.com","full_name":"Alice","disabled":false}'
}

@test "a user removed from the file (reload) is refused at once, their token too; keys rotate with a reload" {
	local old new
	login alice wonderland
	old=$(token)
	# Rotation: a new key first signs; the old one still verifies.
	cat "$OAUTH_DIR/key2.pem" "$OAUTH_DIR/key1.pem" >"$OAUTH_DIR/keys.pem"
	grep -v '^carol ' "$OAUTH_DIR/users" >"$OAUTH_DIR/users.new"
	chmod 0644 "$OAUTH_DIR/users.new"
	mv "$OAUTH_DIR/users.new" "$OAUTH_DIR/users"
	login carol c4r0l
	assert_status 200
	new=$(token)
	reload_auth
	run grep -c 'SIGHUP: 2 user(s) loaded (were 3), 2 signing key(s) (were 1)' "$RUN_DIR/logs/auth.log"
	assert_output 1
	http POST /login/ -H "Authorization: Bearer $new"
	assert_status 401
	[[ "$(header WWW-Authenticate)" == *'no longer known'* ]] || fail "$(header WWW-Authenticate)"
	login carol c4r0l
	assert_status 401
	http POST /login/ -H "Authorization: Bearer $old"
	assert_status 200
	login alice wonderland
	[ "$(cut -d. -f1 <<<"$(token)")" != "$(cut -d. -f1 <<<"$old")" ] || fail "still signed by the old key"
	http GET /.well-known/jwks.json
	[ "$(grep -o '"kid"' <<<"$BODY" | wc -l)" = 2 ] || fail "$BODY"
	# The old key removed: its tokens stop at once in auth.
	cp "$OAUTH_DIR/key2.pem" "$OAUTH_DIR/keys.pem"
	reload_auth
	http POST /login/ -H "Authorization: Bearer $old"
	assert_status 401
	# A bad users file is refused naming its line, never its hash; the
	# set loaded stays.
	printf 'alice $argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n' >"$OAUTH_DIR/users"
	reload_auth
	run grep 'SIGHUP: kept' "$RUN_DIR/logs/auth.log"
	assert_output --partial 'AUTH_USERS_FILE line 1: HASH is weaker than'
	refute_output --partial 'm=4096'
	login alice wonderland
	assert_status 200
	cp "$OAUTH_DIR/users.orig" "$OAUTH_DIR/users"
}

@test "a flood of POST /token is answered 200 or a quick 503 (hashing is bounded), and /login/ stays 200 meanwhile" {
	local i d=$BATS_TEST_TMPDIR/flood codes
	mkdir -p "$d"
	# bob's hash is argon2-cffi's default: 100 MiB and 8 lanes each.
	for i in $(seq 1 40); do
		curl -s -m 15 -o "$d/$i.body" -D "$d/$i.headers" -w '%{http_code}' \
		    -d 'grant_type=password&username=bob&password=builder' "$BASE/token" >"$d/$i.status" &
	done
	for i in 1 2 3 4 5; do
		http POST /login/ -H 'Authorization: merixstudio'
		assert_status 200
	done
	wait
	codes=$(for i in "$d"/*.status; do cat "$i"; echo; done | sort | uniq -c | tr -s ' \n' '  ')
	[[ "$codes" =~ ^\ [0-9]+\ 200\ [0-9]+\ 503\ $ ]] || fail "answers: $codes"
	for i in $(seq 1 40); do
		[ "$(cat "$d/$i.status")" = 503 ] || continue
		[ "$(cat "$d/$i.body")" = '{"detail":"Too many logins at once"}' ] || fail "$(cat "$d/$i.body")"
		grep -q '^Retry-After: 1' "$d/$i.headers" || fail "no Retry-After: $(cat "$d/$i.headers")"
	done
	internal GET /metrics/auth
	[[ "$BODY" =~ auth_password_checks_total\{verdict=\"busy\"\}\ [1-9] ]] || fail "$BODY"
}

@test "wrong passwords past AUTH_FAIL_USER_LIMIT answer 429 for that name from any address; LOGIN_RATE covers /token" {
	local i
	stack_stop
	stack_start AUTH_USERS_FILE="$OAUTH_DIR/users" AUTH_SIGNING_KEY_FILE="$OAUTH_DIR/keys.pem" \
	    AUTH_FAIL_USER_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	for i in 1 2 3; do
		from "127.0.0.$((i + 20))" POST /token -d "grant_type=password&username=alice&password=guess$i"
		assert_status 401
	done
	from 127.0.0.30 POST /token -d 'grant_type=password&username=alice&password=guess4'
	assert_status 429
	assert_header Retry-After 60
	assert_body '{"detail":"Too Many Requests"}'
	# The right password too: the budget cannot test a guess.
	from 127.0.0.31 POST /token -d 'grant_type=password&username=alice&password=wonderland'
	assert_status 429
	# Another name is not held back.
	login bob builder
	assert_status 200
	stack_stop
	stack_start AUTH_USERS_FILE="$OAUTH_DIR/users" AUTH_SIGNING_KEY_FILE="$OAUTH_DIR/keys.pem" \
	    LOGIN_RATE=1r/m LOGIN_BURST=2 3>&-
	echo "$RUN_DIR" >"$BATS_FILE_TMPDIR/run_dir"
	for i in 1 2 3; do
		login bob builder
		assert_status 200
	done
	# At 1r/m no /token waits (4 s of the rate is no request): 429.
	login bob builder
	assert_status 429
	assert_header Retry-After 1
	assert_body '{"detail":"Too Many Requests"}'
}
