#!/usr/bin/env bats
# One failed-login budget across auth processes (AUTH_FAIL_STORE), in a real
# redis-server on loopback: two whole stacks (A and B, an auth each) count in
# it; valid logins never reach it; killed, the stacks fall back to their own
# budgets, log it once and count it, then go back to it; frozen (SIGSTOP), a
# login still answers within its deadline.

# The budget: 6 failures per 8 s, per address; the store's deadline 50 ms.
LIMIT=6

setup_file() {
	load helpers
	REDIS_DIR=$(mktemp -d /tmp/cgi-redis.XXXXXX)
	chmod 0755 "$REDIS_DIR"
	REDIS_PORT=$(free_port)
	# The password in a file auth (cgi-auth, as root) alone reads.
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$REDIS_DIR/password"
	# The key of the address digests, which redis never gets.
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$REDIS_DIR/key"
	chmod 0600 "$REDIS_DIR/password" "$REDIS_DIR/key"
	if [ "$(id -u)" -eq 0 ]; then
		"$ROOT/scripts/stack.sh" users
		chown cgi-auth "$REDIS_DIR/password" "$REDIS_DIR/key"
	fi
	export REDIS_DIR REDIS_PORT
	redis_start
	local vars=("AUTH_FAIL_LIMIT=$LIMIT" AUTH_FAIL_WINDOW_MS=8000
	    "AUTH_FAIL_STORE=redis://127.0.0.1:$REDIS_PORT"
	    "AUTH_FAIL_STORE_PASSWORD_FILE=$REDIS_DIR/password"
	    "AUTH_FAIL_STORE_KEY_FILE=$REDIS_DIR/key"
	    AUTH_FAIL_STORE_TIMEOUT_MS=50 AUTH_FAIL_STORE_RETRY_MS=200)
	stack_start "${vars[@]}"
	export A_DIR=$RUN_DIR A_BASE=$BASE
	stack_start "${vars[@]}"
	export B_DIR=$RUN_DIR B_BASE=$BASE
}

teardown_file() {
	load helpers
	RUN_DIR=$A_DIR stack_stop
	RUN_DIR=$B_DIR stack_stop
	redis_stop
	rm -rf "$REDIS_DIR"
}

setup() {
	load helpers
}

# The local-redis test's own stack, when it failed before its stop.
teardown() {
	[ -z "${LR_DIR:-}" ] || [ ! -d "$LR_DIR" ] || RUN_DIR=$LR_DIR stack_stop
}

# redis_start: redis-server on $REDIS_PORT with the password, no
# persistence; its pid in $REDIS_DIR/pid.  The password is in its config
# file, never on a command line.
redis_start() {
	local i
	{
		echo "port $REDIS_PORT"
		echo "bind 127.0.0.1"
		echo "requirepass $(cat "$REDIS_DIR/password")"
		echo "save \"\""
		echo "appendonly no"
		echo "dir $REDIS_DIR"
	} >"$REDIS_DIR/redis.conf"
	# Not a job of this shell: its kill is not reported.
	(redis-server "$REDIS_DIR/redis.conf" >>"$REDIS_DIR/redis.log" 2>&1 3>&- &
	    echo $! >"$REDIS_DIR/pid")
	for ((i = 0; i < 50; i++)); do
		cli PING 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	cat "$REDIS_DIR/redis.log" >&2
	return 1
}

redis_stop() {
	local pid i
	pid=$(cat "$REDIS_DIR/pid" 2>/dev/null) || return 0
	kill -CONT "$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$REDIS_DIR/pid"
}

# cli ARGS: redis-cli on the test's server (the password from its file).
cli() {
	REDISCLI_AUTH=$(cat "$REDIS_DIR/password") redis-cli -p "$REDIS_PORT" "$@"
}

# at A|B ADDR METHOD PATH [curl args]: a request to stack A or B.
at() {
	local s=$1
	shift
	if [ "$s" = A ]; then BASE=$A_BASE from "$@"; else BASE=$B_BASE from "$@"; fi
}

# metric A|B NAME: auth's value of NAME (a whole series, labels included).
metric() {
	local base=$A_BASE
	[ "$1" = A ] || base=$B_BASE
	curl -s -m 5 "$base/metrics/auth" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'
}

# wait_for_new_pid SVCDIR OLD: s6 has started another process there.
wait_for_new_pid() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$(s6-svstat -o pid "$1" 2>/dev/null) || p=
		[[ "$p" =~ ^[1-9][0-9]*$ ]] && [ "$p" != "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: no new process"
}

assert_throttled() {
	assert_status 429
	assert_body '{"detail":"Too Many Requests"}'
	[[ "$(header Retry-After)" =~ ^[1-8]$ ]] || fail "Retry-After: '$(header Retry-After)'"
}

@test "two auth processes share one budget: 3 failures at A and 3 at B spend it, then both refuse, the right token too" {
	local i
	for i in 1 2 3; do
		at A 127.0.0.30 POST /login/ -H 'Authorization: wrong'
		assert_status 401
		at B 127.0.0.30 GET /info -H 'Authorization: wrong'
		assert_status 401
	done
	at A 127.0.0.30 POST /login/ -H 'Authorization: wrong'
	assert_throttled
	at A 127.0.0.30 POST /login/ -H 'Authorization: merixstudio'
	assert_throttled
	at B 127.0.0.30 POST /login/ -H 'Authorization: merixstudio'
	assert_throttled
	at B 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_throttled
	# Another address is not affected, on either stack.
	at A 127.0.0.31 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	at B 127.0.0.31 GET /info -H 'Authorization: merixstudio'
	assert_status 200
}

# via A|B ADDR METHOD PATH [curl args]: a request on stack A's or B's internal
# listener, as info makes it for a client at ADDR (X-Client-Addr).
via() {
	local dir=$A_DIR
	[ "$1" = A ] || dir=$B_DIR
	RUN_DIR=$dir internal "$3" "$4" -H "X-Client-Addr: $2" "${@:5}"
}

@test "IPv6: the shared budget counts a client's /64, across both processes, under one key" {
	local i
	for i in 1 2 3; do
		via A "2001:db8:5:6::$i" POST /login/ -H 'Authorization: wrong'
		assert_status 401
		via B "2001:db8:5:6:ffff::$i" POST /login/ -H 'Authorization: wrong'
		assert_status 401
	done
	via B 2001:db8:5:6::99 POST /login/ -H 'Authorization: merixstudio'
	assert_throttled
	via A 2001:db8:5:7::1 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	run cli GET "$(digest 'cgi-auth fail-store key v2' "$(cat "$REDIS_DIR/key")" 2001:db8:5:6::/64)"
	assert_output "$LIMIT"
}

@test "the store's keys are keyed digests with the window's expiry, and no address" {
	local keys ttl
	at A 127.0.0.33 POST /login/ -H 'Authorization: wrong'
	assert_status 401
	keys=$(cli --scan --pattern '*')
	[ -n "$keys" ] || fail "no key"
	run grep -vcE '^cgi-auth:fail:[0-9a-f]{32}$' <<<"$keys"
	assert_output 0
	run grep -c '127\.0\.0' <<<"$keys"
	assert_output 0
	for k in $keys; do
		ttl=$(cli PTTL "$k")
		[ "$ttl" -gt 0 ] && [ "$ttl" -le 8000 ] || fail "$k: PTTL $ttl"
	done
}

# digest LABEL SECRET ADDR: the store's key for ADDR under the key
# SHA-256(LABEL NUL SECRET), as cgi/auth/store.c makes it.
digest() {
	python3 -c 'import hashlib, hmac, sys
k = hashlib.sha256(sys.argv[1].encode() + b"\0" + sys.argv[2].encode()).digest()
print("cgi-auth:fail:" + hmac.new(k, sys.argv[3].encode(), hashlib.sha256).hexdigest()[:32])' "$@"
}

@test "a reader of the store who has its password cannot find an address: the digests are keyed by a file redis never sees" {
	at A 127.0.0.34 POST /login/ -H 'Authorization: wrong'
	assert_status 401
	run cli EXISTS "$(digest 'cgi-auth fail-store key v2' "$(cat "$REDIS_DIR/key")" 127.0.0.34)"
	assert_output 1
	# Keyed by the password, as before: not there.
	run cli EXISTS "$(digest 'cgi-auth fail-store key v1' "$(cat "$REDIS_DIR/password")" 127.0.0.34)"
	assert_output 0
	# What redis holds, its configuration included, has no key in it.
	run cli CONFIG GET '*'
	refute_output --partial "$(cat "$REDIS_DIR/key")"
}

@test "a store without AUTH_FAIL_STORE_KEY_FILE stops the start with one line" {
	local dir
	dir=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	run env "AUTH_FAIL_STORE=redis://127.0.0.1:$REDIS_PORT" PORT="$(free_port)" \
	    RUN_DIR="$dir" READY_SECS=10 "$ROOT/scripts/stack.sh" start
	rm -rf "$dir"
	assert_failure 1
	assert_output --partial '"msg":"auth failed to start: AUTH_FAIL_STORE needs AUTH_FAIL_STORE_KEY_FILE: the key of its address digests, which the store must not hold"'
}

@test "valid logins never reach the store; each failure is one call" {
	local before after i
	cli CONFIG RESETSTAT >/dev/null
	for i in $(seq 1 20); do
		at A 127.0.0.34 POST /login/ -H 'Authorization: merixstudio'
		assert_status 200
		at B 127.0.0.34 GET /info -H 'Authorization: merixstudio'
		assert_status 200
	done
	run bash -c "REDISCLI_AUTH=\$(cat '$REDIS_DIR/password') redis-cli -p $REDIS_PORT INFO commandstats | grep -c cmdstat_eval"
	assert_output 0
	at A 127.0.0.34 POST /login/ -H 'Authorization: wrong'
	at B 127.0.0.34 POST /login/ -H 'Authorization: wrong'
	after=$(cli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_eval:calls=\([0-9]*\),.*/\1/p')
	[ "$after" = 2 ] || fail "EVAL calls: $after"
}

@test "Redis killed: each stack counts alone, logs it once and says so in its metrics; restarted, the store counts again" {
	local i
	redis_stop
	# 2 x LIMIT failures from one address, half at each stack: each
	# process's own budget holds them all (the store would have refused).
	for i in $(seq 1 $LIMIT); do
		at A 127.0.0.35 POST /login/ -H 'Authorization: wrong'
		assert_status 401
		assert_faster_than 1
		at B 127.0.0.35 POST /login/ -H 'Authorization: wrong'
		assert_status 401
	done
	# Then each refuses on its own.
	at A 127.0.0.35 POST /login/ -H 'Authorization: merixstudio'
	assert_throttled
	[ "$(metric A auth_fail_store_up)" = 0 ] || fail "store up"
	[ "$(metric A 'auth_fail_store_total{outcome="store_unavailable"}')" -ge $LIMIT ] ||
	    fail "unavailable not counted"
	run grep -c 'AUTH_FAIL_STORE unavailable' "$A_DIR/logs/auth.log"
	assert_output 1
	redis_start
	# Past AUTH_FAIL_STORE_RETRY_MS (200 ms), a failure reaches it again.
	sleep 0.5
	for i in 1 2 3 4; do
		at A 127.0.0.36 POST /login/ -H 'Authorization: wrong'
		assert_status 401
	done
	[ "$(cli --scan --pattern 'cgi-auth:fail:*' | wc -l)" -ge 1 ] || fail "nothing in the store"
	[ "$(metric A auth_fail_store_up)" = 1 ] || fail "store not up again"
	run grep -c 'AUTH_FAIL_STORE answers again' "$A_DIR/logs/auth.log"
	assert_output 1
	# And the budget is shared again: 2 more at B spend the 6.
	for i in 1 2; do
		at B 127.0.0.36 POST /login/ -H 'Authorization: wrong'
		assert_status 401
	done
	at B 127.0.0.36 POST /login/ -H 'Authorization: wrong'
	assert_throttled
}

@test "Redis frozen (SIGSTOP): a failed login still answers 401 within its deadline, a valid one 200" {
	local i
	kill -STOP "$(cat "$REDIS_DIR/pid")"
	for i in 1 2 3; do
		at A 127.0.0.37 POST /login/ -H 'Authorization: wrong'
		assert_status 401
		# 50 ms per step (connect, AUTH, EVAL) at most; the bound has
		# room for a loaded machine.
		assert_faster_than 1
	done
	at A 127.0.0.37 POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	kill -CONT "$(cat "$REDIS_DIR/pid")"
}

@test "no token or address reaches the logs or the store" {
	run grep -c 'wrong\|merixstudio' "$A_DIR/logs/auth.log" "$B_DIR/logs/auth.log" "$REDIS_DIR/redis.log"
	assert_output --partial ":0"
	refute_output --regexp ':[1-9]'
	run bash -c "REDISCLI_AUTH=\$(cat '$REDIS_DIR/password') redis-cli -p $REDIS_PORT --scan | grep -c '127\\.0\\.0'"
	assert_output 0
	run grep -c "$(cat "$REDIS_DIR/password")" "$A_DIR/logs/auth.log" "$B_DIR/logs/auth.log"
	refute_output --regexp ':[1-9]'
}

@test "make run with AUTH_FAIL_STORE=local-redis: a redis-server of its own under s6, on a socket with a password, holds the budget" {
	local dir pid
	RUN_DIR='' STACK_DIR='' stack_start AUTH_FAIL_STORE=local-redis AUTH_FAIL_LIMIT=2
	dir=$RUN_DIR LR_DIR=$RUN_DIR
	[ "$(s6-svstat -o up "$dir/svc/redis")" = true ] || fail "redis not supervised"
	[ -S "$dir/redis/redis.sock" ] || fail "no socket"
	[ "$(stat -c %a "$dir/redis/password")" = 600 ] || fail "password file mode"
	[ "$(stat -c %a "$dir/auth-key/key")" = 600 ] || fail "key file mode"
	# As root: auth's user alone reads it, not nginx's workers nor info.
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u cgi-auth -- test -r "$dir/redis/password" || fail "auth cannot read it"
		! runuser -u www-data -- cat "$dir/redis/password" 2>/dev/null || fail "www-data reads it"
		! runuser -u cgi-info -- cat "$dir/redis/password" 2>/dev/null || fail "info reads it"
		runuser -u cgi-auth -- test -r "$dir/auth-key/key" || fail "auth cannot read its key"
		! runuser -u www-data -- cat "$dir/auth-key/key" 2>/dev/null || fail "www-data reads the key"
		! runuser -u cgi-info -- cat "$dir/auth-key/key" 2>/dev/null || fail "info reads the key"
	fi
	# No TCP listener of its own, no password on any command line.
	pid=$(s6-svstat -o pid "$dir/svc/redis")
	run ss -Hltnp
	refute_output --partial "pid=$pid,"
	run grep -c "$(cat "$dir/redis/password")" /proc/[0-9]*/cmdline
	refute_output --regexp ':[1-9]'
	from 127.0.0.38 POST /login/ -H 'Authorization: wrong'
	assert_status 401
	from 127.0.0.38 POST /login/ -H 'Authorization: wrong'
	assert_status 401
	from 127.0.0.38 POST /login/ -H 'Authorization: merixstudio'
	assert_status 429
	[ "$(curl -s "$BASE/metrics/auth" | awk '$1 == "auth_fail_store_total{outcome=\"counted\"}" { print $2 }')" = 2 ] ||
	    fail "not counted in the store"
	# Killed, s6 starts it again.
	kill -KILL "$pid"
	wait_for_new_pid "$dir/svc/redis" "$pid"
	stack_stop
	[ ! -e "$dir" ] || fail "run directory left"
	run pgrep -f "$dir/redis/redis.conf"
	assert_failure
}
