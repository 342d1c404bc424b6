#!/usr/bin/env bats
# info.fcgi against a stand-in auth (a second, real nginx) that answers what
# the test asks for: a yes is a 200 with {"authenticated":true} (our auth) or
# with an empty body (the tutorial's); 500, 302, 204, any other 200 body (an
# HTML page, garbage, false), an over-long body or a dropped connection are 503.

setup_file() {
	load helpers
	STANDIN_DIR=$(mktemp -d /tmp/cgi-standin.XXXXXX)
	STANDIN_PORT=$(free_port)
	export STANDIN_DIR STANDIN_PORT
	mkdir -p "$STANDIN_DIR/tmp"
	# The answer is chosen by the Authorization header the client sent,
	# which info forwards unchanged.
	cat > "$STANDIN_DIR/nginx.conf" <<CONF
daemon off;
pid $STANDIN_DIR/nginx.pid;
error_log $STANDIN_DIR/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $STANDIN_DIR/tmp;
    server {
        listen 127.0.0.1:$STANDIN_PORT;
        location = /login/ {
            default_type application/json;
            if (\$http_authorization = "yes") { return 200 '{"authenticated":true}'; }
            if (\$http_authorization = "e500") { return 500 '{"detail":"boom"}'; }
            if (\$http_authorization = "r302") { return 302 /elsewhere; }
            if (\$http_authorization = "s204") { return 204; }
            if (\$http_authorization = "garbage") { return 200 'not json at all'; }
            if (\$http_authorization = "empty") { return 200 ''; }
            if (\$http_authorization = "html") { return 200 '<html><body>Welcome to nginx!</body></html>'; }
            if (\$http_authorization = "false") { return 200 '{"authenticated":false}'; }
            if (\$http_authorization = "s403") { return 403 '{"detail":"no"}'; }
            if (\$http_authorization = "drop") { return 444; }
            if (\$http_authorization = "long") { return 200 '{"authenticated":true,"pad":"$(head -c 3000 /dev/zero | tr '\0' x)"}'; }
            return 401 '{"detail":"no"}';
        }
    }
}
CONF
	nginx -p "$STANDIN_DIR" -c "$STANDIN_DIR/nginx.conf" -e "$STANDIN_DIR/error.log" &
	echo $! > "$STANDIN_DIR/pid"
	local i
	for ((i = 0; i < 50; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$STANDIN_PORT/login/" && break
		sleep 0.1
	done
	curl -s -o /dev/null "http://127.0.0.1:$STANDIN_PORT/login/" ||
	    { cat "$STANDIN_DIR/error.log" >&2; return 1; }
	stack_start AUTH_URL="http://127.0.0.1:$STANDIN_PORT/login/" AUTH_CB_FAILURES=0
}

teardown_file() {
	load helpers
	stack_stop
	kill -QUIT "$(cat "$STANDIN_DIR/pid")" 2>/dev/null || true
	rm -rf "$STANDIN_DIR"
}

setup() {
	load helpers
}

@test "stand-in auth 200 {authenticated:true}: /info answers 200" {
	http GET /info -H "Authorization: yes"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "stand-in auth 200 with an empty body, as the tutorial's auth answers: /info answers 200" {
	http GET /info -H "Authorization: empty"
	assert_status 200
	assert_body '{"info":"The answer is 42."}'
}

@test "stand-in auth 200 with an HTML page (a wrong AUTH_URL): /info answers 503 JSON" { assert_info_unavailable html; }
@test "stand-in auth 500: /info answers 503 JSON" { assert_info_unavailable e500; }
@test "stand-in auth 302: /info answers 503 JSON and follows no redirect" { assert_info_unavailable r302; }
@test "stand-in auth 204: /info answers 503 JSON" { assert_info_unavailable s204; }
@test "stand-in auth 200 with garbage: /info answers 503 JSON" { assert_info_unavailable garbage; }
@test "stand-in auth 200 with authenticated:false: /info answers 503 JSON" { assert_info_unavailable false; }
@test "stand-in auth 200 with an over-long body: /info answers 503 JSON" { assert_info_unavailable long; }
@test "stand-in auth closing the connection: /info answers 503 JSON" { assert_info_unavailable drop; }

@test "stand-in auth 403: /info passes 403 on" {
	http GET /info -H "Authorization: s403"
	assert_status 403
	assert_body '{"detail":"Forbidden"}'
}

@test "stand-in auth 401: /info passes 401 on" {
	http GET /info -H "Authorization: other"
	assert_status 401
	assert_body '{"detail":"Invalid or missing token"}'
}
