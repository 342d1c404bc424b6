#!/usr/bin/env bats
# info.fcgi against an "auth" that does not speak proper HTTP: a raw TCP
# stand-in (socat + a small script) answers by the Authorization header info
# forwards.  A broken status line, a non-HTTP banner or a truncated body is
# never a yes: 503 JSON.

setup_file() {
	load helpers
	RAWAUTH_DIR=$(mktemp -d /tmp/cgi-rawauth.XXXXXX)
	RAWAUTH_PORT=$(free_port)
	export RAWAUTH_DIR RAWAUTH_PORT
	cat > "$RAWAUTH_DIR/answer.sh" <<'SH'
#!/bin/bash
auth=
while IFS= read -r line; do
	line=${line%$'\r'}
	[ -z "$line" ] && break
	case "$line" in Authorization:*) auth=${line#Authorization: } ;; esac
done
case "$auth" in
yes) printf 'HTTP/1.1 200 OK\r\nContent-Length: 22\r\nConnection: close\r\n\r\n{"authenticated":true}' ;;
badstatus) printf 'HTTP/1.1 2OO OK\r\nContent-Length: 22\r\n\r\n{"authenticated":true}' ;;
banner) printf 'SSH-2.0-OpenSSH_9.2\r\n' ;;
truncated) printf 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"authenticated":true}' ;;
noheaders) printf 'HTTP/1.1 200 OK\r\nContent-Len' ;;
closeempty) printf 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n' ;;
*) printf 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' ;;
esac
SH
	chmod +x "$RAWAUTH_DIR/answer.sh"
	socat "TCP-LISTEN:$RAWAUTH_PORT,bind=127.0.0.1,reuseaddr,fork" \
	    "EXEC:$RAWAUTH_DIR/answer.sh" 2>/dev/null &
	echo $! > "$RAWAUTH_DIR/pid"
	stack_start AUTH_URL="http://127.0.0.1:$RAWAUTH_PORT/login/" AUTH_CB_FAILURES=0
}

teardown_file() {
	load helpers
	stack_stop
	kill "$(cat "$RAWAUTH_DIR/pid")" 2>/dev/null || true
	rm -rf "$RAWAUTH_DIR"
}

setup() {
	load helpers
}

@test "raw stand-in answering proper HTTP 200 yes: /info answers 200" {
	http GET /info -H "Authorization: yes"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "raw stand-in answering 401: /info passes 401 on" {
	http GET /info
	assert_status 401
	assert_body '{"detail":"Invalid or missing token"}'
}

@test "a malformed status line from auth: /info answers 503 JSON" { assert_info_unavailable badstatus; }
@test "a non-HTTP banner from auth: /info answers 503 JSON" { assert_info_unavailable banner; }
@test "a body shorter than its Content-Length: /info answers 503 JSON" { assert_info_unavailable truncated; }
@test "headers cut off mid-line: /info answers 503 JSON" { assert_info_unavailable noheaders; }
@test "an empty 200 ended by a close, without Content-Length: 0: /info answers 503 JSON" { assert_info_unavailable closeempty; }
