#!/usr/bin/env bats
# Configuration: validated at start, one clear line, exit 1; tokens from a file.

setup() {
	load helpers
}

teardown() {
	stack_stop
}

@test "auth.fcgi with no token configured refuses to start with one line" {
	run env -i "$BIN/auth.fcgi"
	assert_failure 1
	assert_output --partial '"level":"error","msg":"AUTH_TOKENS: not set, and neither is AUTH_TOKENS_FILE: refusing to start with no token"'
	assert_equal "${#lines[@]}" 1
}

@test "a bad SVC_THREADS stops a service at start naming the variable" {
	run env -i AUTH_TOKENS=x SVC_THREADS=0 "$BIN/auth.fcgi"
	assert_failure 1
	assert_output --partial '"msg":"SVC_THREADS: must be an integer from 1 to 256, got '"'0'"'"'
}

@test "info.fcgi refuses an AUTH_URL that is not http(s)" {
	run env -i AUTH_URL=file:///etc/passwd "$BIN/info.fcgi"
	assert_failure 1
	assert_output --partial '"msg":"AUTH_URL: must be http:// or https://"'
}

@test "a service started outside spawn-fcgi says so and exits 1" {
	run env -i AUTH_TOKENS=x "$BIN/auth.fcgi" </dev/null
	assert_failure 1
	assert_output --partial 'run me under spawn-fcgi'
}

@test "tokens from AUTH_TOKENS_FILE are accepted, others refused, demo token off" {
	local f
	# Readable by www-data, which auth runs as when the tests run as root.
	f=$(mktemp /tmp/cgi-tokens.XXXXXX)
	printf '# team tokens\nalpha-1\nbeta-2\n' > "$f"
	chmod 0644 "$f"
	stack_start AUTH_TOKENS_FILE="$f"
	rm -f "$f"
	http GET /info -H "Authorization: Bearer beta-2"
	assert_status 200
	http GET /info -H "Authorization: merixstudio"
	assert_status 401
}

@test "a token file of sha256: digests made by token-hash.sh holds no secret and still works" {
	local f
	f=$(mktemp /tmp/cgi-tokens.XXXXXX)
	{
		echo '# hashed with scripts/token-hash.sh'
		printf 'gamma-3\n' | "$ROOT/scripts/token-hash.sh"
	} > "$f"
	chmod 0644 "$f"
	run grep -c gamma-3 "$f"
	assert_output 0
	stack_start AUTH_TOKENS_FILE="$f"
	rm -f "$f"
	http GET /info -H "Authorization: Bearer gamma-3"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
	http POST /login/ -H "Authorization: sha256:$(printf gamma-3 | sha256sum | cut -d' ' -f1)"
	assert_status 401
}

@test "a malformed sha256: entry stops auth at start naming the line" {
	run env -i AUTH_TOKENS=ok,sha256:abc "$BIN/auth.fcgi"
	assert_failure 1
	assert_output --partial '"msg":"AUTH_TOKENS: a sha256: entry must be followed by exactly 64 hex digits"'
}

@test "the stack refuses to start when auth cannot start, and leaves nothing running" {
	STACK_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	run stack_start AUTH_TOKENS_FILE=/nonexistent
	assert_failure
	assert_output --partial 'AUTH_TOKENS_FILE: cannot open'
	# No gateway and no service socket left listening in its directory.
	run pgrep -f "nginx -p $STACK_DIR"
	assert_failure
	run bash -c "ss -Hlx | grep -F '$STACK_DIR'"
	assert_output ''
	rm -rf "$STACK_DIR"
}

@test "info.fcgi's call to auth never goes through a proxy from the environment" {
	# A proxy that does not exist: were it used, /info would answer 503
	# (and make run itself would not start: its readiness check is curl).
	# Over TCP to the gateway's public port (a unix socket bypasses proxies).
	STACK_PORT=$(free_port)
	stack_start http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
	    all_proxy=http://127.0.0.1:9 AUTH_URL="http://127.0.0.1:$STACK_PORT/login/"
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
}

@test "a run directory whose path has a space is refused with one line naming RUN_DIR, and nothing is left running" {
	local dir
	dir=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	chmod 0755 "$dir"
	run env RUN_DIR="$dir/with space" PORT="$(free_port)" "$ROOT/scripts/stack.sh" start
	assert_failure
	assert_output --partial "render: RUN_DIR: a path of letters, digits and . _ / + - only, got '$dir/with space'"
	run pgrep -f "$dir"
	assert_output ''
	rm -rf "$dir"
}

@test "the gateway's addresses and user are checked before they reach nginx's configuration: one line naming the variable" {
	local v
	for v in "LISTEN=8080;include /etc/passwd" "AUTH_UPSTREAM=unix:/a b" \
	    "INFO_UPSTREAM=127.0.0.1:9000}" "INTERNAL_LISTEN=unix:/tmp/x;" "NGINX_USER=www-data;"; do
		run env LISTEN=8080 AUTH_UPSTREAM=unix:/tmp/a.sock INFO_UPSTREAM=unix:/tmp/i.sock \
		    RUN_DIR=/tmp ACCESS_LOG=/tmp/a.log ERROR_LOG=/tmp/e.log "$v" "$ROOT/nginx/render.sh"
		assert_failure
		assert_output --partial "render: ${v%%=*}: expected"
	done
	run env LISTEN=127.0.0.1:8080 AUTH_UPSTREAM=unix:/tmp/a.sock INFO_UPSTREAM='[::1]:9000' \
	    RUN_DIR=/tmp ACCESS_LOG=/tmp/a.log ERROR_LOG=/tmp/e.log NGINX_USER=www-data "$ROOT/nginx/render.sh"
	assert_success
}
