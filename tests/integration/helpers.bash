# Shared by every bats file: start a private stack on free loopback ports in a
# temp dir, make requests, read answers.  Every process started here is
# stopped by pid (scripts/stack.sh stop, or the pid kept by the test).

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
# The binaries under test: build/, or build-san/ for make test-sanitize.
BIN=${BIN_DIR:-$ROOT/build}
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# A port nothing listens on (stack_start retries on a clash).
free_port() {
	"$ROOT/scripts/free-port.sh"
}

# stack_start [VAR=value...]: the whole stack with those variables set, in
# $STACK_DIR if set, else a new temp dir, on $STACK_PORT if set, else a free
# port.  POST /login/'s rate limit and auth's limit on failed logins are
# off unless a test sets LOGIN_RATE or AUTH_FAIL_LIMIT: suites send many
# requests, many without a token, from one address.
# Exports PORT, RUN_DIR and BASE for the tests.
stack_start() {
	local i
	# Under /tmp itself: as root, nginx workers and the services run as
	# www-data and must reach the sockets; bats' own temp dirs are 0700.
	RUN_DIR=${STACK_DIR:-$(mktemp -d /tmp/cgi-stack.XXXXXX)}
	export RUN_DIR
	for i in 1 2 3; do
		PORT=${STACK_PORT:-$(free_port)}
		export PORT BASE="http://127.0.0.1:$PORT"
		if env LOGIN_RATE=off AUTH_FAIL_LIMIT=0 "$@" READY_SECS=15 "$ROOT/scripts/stack.sh" start 2>>"$RUN_DIR/start.log"; then
			return 0
		fi
	done
	cat "$RUN_DIR/start.log" "$RUN_DIR"/logs/*.log >&2
	return 1
}

stack_stop() {
	[ -n "${RUN_DIR:-}" ] || return 0
	"$ROOT/scripts/stack.sh" stop
	# Sanitizer reports land in the service logs (leaks at exit, so after
	# stop): keep them for scripts/test.sh to judge.
	if [ -n "${SANITIZE_DIR:-}" ]; then
		mkdir -p "$SANITIZE_DIR"
		cp -r "$RUN_DIR/logs" "$SANITIZE_DIR/$(basename "$RUN_DIR")"
	fi
	rm -rf "$RUN_DIR"
}

# http METHOD PATH [curl args...]: sets STATUS, BODY, TIME (seconds) and
# HEADERS (a file of the response headers).  Never hangs: 15 s at most.
http() {
	local method=$1 path=$2 w
	shift 2
	HEADERS="$BATS_TEST_TMPDIR/headers"
	w=$(curl -s -m 15 -X "$method" -o "$BATS_TEST_TMPDIR/body" -D "$HEADERS" \
	    -w '%{http_code} %{time_total}' "$@" "$BASE$path") || true
	STATUS=${w%% *}
	TIME=${w##* }
	BODY=$(cat "$BATS_TEST_TMPDIR/body" 2>/dev/null || true)
}

# from ADDR METHOD PATH [curl args]: http from loopback address ADDR.
from() {
	local addr=$1
	shift
	http "$@" --interface "$addr"
}

# internal METHOD PATH [curl args]: http on the gateway's internal listener
# (a Unix socket under make run), as info.fcgi calls auth.
internal() {
	local method=$1 path=$2
	shift 2
	BASE=http://localhost http "$method" "$path" --unix-socket "$RUN_DIR/internal/gateway.sock" "$@"
}

# header NAME: the value of response header NAME (case-insensitive), or "".
header() {
	grep -i "^$1:" "$HEADERS" | head -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'
}

assert_status() {
	[ "$STATUS" = "$1" ] || fail "status: expected $1, got $STATUS (body: $BODY)"
}

assert_body() {
	[ "$BODY" = "$1" ] || fail "body: expected '$1', got '$BODY'"
}

assert_header() {
	local v
	v=$(header "$1")
	[ "$v" = "$2" ] || fail "header $1: expected '$2', got '$v'"
}

# assert_faster_than SECONDS: the last request took less.
assert_faster_than() {
	awk -v t="$TIME" -v m="$1" 'BEGIN { exit !(t < m) }' ||
	    fail "took ${TIME}s, expected under ${1}s"
}

# assert_info_unavailable TOKEN: /info with that Authorization answers
# 503 JSON with Retry-After, fast (used with the stand-in auth services).
assert_info_unavailable() {
	http GET /info -H "Authorization: $1"
	assert_status 503
	assert_header Retry-After 1
	assert_body '{"detail":"auth service unavailable"}'
	assert_faster_than 1
}

# The pid of a running service process (not its supervisor).
# s6 says -1 while it is down: never hand that to kill (kill -1 is every
# process), wait up to 5 s for one, else fail.
service_pid() {
	local pid i
	for ((i = 0; i < 50; i++)); do
		pid=$(s6-svstat -o pid "$RUN_DIR/svc/$1" 2>/dev/null) || pid=
		if [[ "$pid" =~ ^[1-9][0-9]*$ ]]; then
			echo "$pid"
			return 0
		fi
		sleep 0.1
	done
	echo "service_pid: $1 has no process" >&2
	return 1
}

# service_down NAME: kills service NAME and keeps it down (s6 is told not
# to restart it), until service_up NAME brings it back and /healthz says
# both services answer again.
service_down() {
	s6-svc -O "$RUN_DIR/svc/$1"
	s6-svc -k "$RUN_DIR/svc/$1"
	s6-svwait -D -t 10000 "$RUN_DIR/svc/$1"
}
service_up() {
	s6-svc -u "$RUN_DIR/svc/$1"
	wait_for 200 GET /healthz
}

# wait_for STATUS METHOD PATH [curl args]: polls up to 10 s for that status.
wait_for() {
	local want=$1 i
	shift
	for ((i = 0; i < 100; i++)); do
		http "$@"
		[ "$STATUS" = "$want" ] && return 0
		sleep 0.1
	done
	fail "no $want from $2 within 10 s (last: $STATUS $BODY)"
}

# wait_log COUNT PATTERN FILE: polls up to 10 s until FILE has COUNT lines
# matching PATTERN (grep -E).  For lines s6's finish writes: it runs after
# the process is gone, so a test that saw the exit may read too soon.
wait_log() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(grep -cE -- "$2" "$3" 2>/dev/null) || n=0
		[ "$n" -ge "$1" ] && break
		sleep 0.1
	done
	[ "$n" = "$1" ] || fail "$3: $n lines match $2 within 10 s, not $1"
}

# assert_tutorial_session [curl args...]: the tutorial's curl session
# against $BASE: GET /info without a token is 401 with our JSON detail, with
# the tutorial's token 200 with the answer, as JSON.
assert_tutorial_session() {
	http GET /info "$@"
	assert_equal "$STATUS" 401
	assert_equal "$BODY" '{"detail":"Invalid or missing token"}'
	http GET /info "$@" -H 'Authorization: merixstudio'
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
	assert_equal "$(header Content-Type)" application/json
}

# make_test_cert DIR: a throwaway self-signed certificate for 127.0.0.1
# (ECDSA P-256, 2 days) in DIR/cert.pem, its key in DIR/key.pem.
make_test_cert() {
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# capture_start: routes an operator adds (conf.d: GET /_capture and
# /_capture2, which includes fastcgi_params) to a
# FastCGI upstream that only records what the gateway sends it, in
# $STACK_DIR/captured (socat, closing after 0.5 s).  Sets STACK_DIR (a new
# run directory, for the stack_start that follows) and exports
# CAPTURE_PORT; the recorder's pid is in $BATS_FILE_TMPDIR/capture.pid
# (capture_stop).
capture_start() {
	CAPTURE_PORT=$(free_port)
	STACK_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	export CAPTURE_PORT
	chmod 0755 "$STACK_DIR"
	mkdir -p "$STACK_DIR/conf.d"
	# Two routes: one that inherits the server's fastcgi_params, and one
	# that sets its own (and so inherits none of them).
	printf '%s\n' \
	    "location = /_capture { fastcgi_pass 127.0.0.1:$CAPTURE_PORT; }" \
	    "location = /_capture2 { include /etc/nginx/fastcgi_params; fastcgi_pass 127.0.0.1:$CAPTURE_PORT; }" \
	    >"$STACK_DIR/conf.d/capture.conf"
	socat "TCP-LISTEN:$CAPTURE_PORT,bind=127.0.0.1,reuseaddr,fork" \
	    "SYSTEM:timeout 0.5 cat >>$STACK_DIR/captured" >/dev/null 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/capture.pid"
}

capture_stop() {
	kill "$(cat "$BATS_FILE_TMPDIR/capture.pid")" 2>/dev/null || true
}

# GUESSES, a bash script for inside a container of the stack (docker exec
# C bash -c "$GUESSES" _ HOST COUNT LOOPS): COUNT requests GET /info with
# a wrong token to HOST:8080 over bash's /dev/tcp, in LOOPS at once, so
# from that container's own address; one status per line (000: no
# connection; each answer waited for 10 s at most).  tally turns those
# lines into "401=N 429=M ".
# shellcheck disable=SC2016  # expanded inside the container
GUESSES='
    one() { exec 3<>"/dev/tcp/$1/8080" || { echo 000; return; }
        printf "GET /info HTTP/1.0\r\nAuthorization: wrong\r\n\r\n" >&3
        IFS= read -r -t 10 l <&3; echo "${l:9:3}"; exec 3<&-; }
    for p in $(seq "$3"); do
        for i in $(seq $(($2 / $3))); do one "$1"; done &
    done; wait'
tally() {
	sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' '
}

# reload_auth: SIGHUP to auth through the stack's own command (make
# reload); waits for auth's log line about it.
reload_auth() {
	local n
	n=$(grep -c 'SIGHUP' "$RUN_DIR/logs/auth.log" || true)
	"$ROOT/scripts/stack.sh" reload
	for _ in $(seq 1 50); do
		[ "$(grep -c 'SIGHUP' "$RUN_DIR/logs/auth.log")" -gt "$n" ] && return 0
		sleep 0.1
	done
	fail "auth logged nothing after SIGHUP"
}
