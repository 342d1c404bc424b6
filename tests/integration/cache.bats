#!/usr/bin/env bats
# The decision cache (AUTH_CACHE_TTL_MS, off by default; faults.bats shows
# /info failing at once when auth goes): info keeps auth's yes for a token
# from an address for auth's max-age, at most the TTL; a reload revokes on
# info's next call to auth; concurrent misses make one call per thread;
# stale-if-error; the failed-login limit holds with it on.

setup() {
	load helpers
}

teardown() {
	stack_stop
}

@test "with the cache on, a token auth said yes to keeps working while auth is down" {
	local st=()
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_CB_FAILURES=0
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS" "$BODY")
	# Another spelling is another key; no token is never cached.
	http GET /info -H 'Authorization: Bearer merixstudio'
	st+=("$STATUS")
	http GET /info
	st+=("$STATUS")
	service_up auth
	assert_equal "${st[*]}" '200 {"info":"The answer is 42."} 503 503'
	run bash -c "curl -s '$BASE/metrics/info' | grep '^info_auth_calls_total{outcome=\"cached\"}'"
	assert_output 'info_auth_calls_total{outcome="cached"} 1'
	grep -q '"msg":"auth cache on: a yes is kept as long as auth.s Cache-Control says, at most 60000 ms, 1024 slots' "$RUN_DIR/logs/info.log"
}

@test "a cached yes answers within AUTH_CACHE_TTL_MS and expires after it" {
	local st t0 ms
	# auth's max-age (5 s) is past the TTL: the TTL is what ends it.
	stack_start AUTH_CACHE_TTL_MS=2000 AUTH_CB_FAILURES=0
	t0=$(date +%s%N)
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	st="$STATUS"
	ms=$((($(date +%s%N) - t0) / 1000000))
	# Within the TTL: stopping auth takes ~0.1 s, the TTL is 20 times it.
	[ "$ms" -lt 2000 ] || fail "stopping auth took ${ms} ms, past the TTL"
	# Past it, by a margin: 2.3 s after the first answer.
	sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", (2300 - ms) / 1000 }')"
	http GET /info -H 'Authorization: merixstudio'
	st="$st $STATUS"
	service_up auth
	assert_equal "$st" '200 503'
}

@test "a wrong token is never cached: 401 each time, each asked of auth" {
	local before
	stack_start AUTH_CACHE_TTL_MS=60000
	before=$(grep -c '"path":"/login/","status":401' "$RUN_DIR/logs/auth.log" || true)
	http GET /info -H 'Authorization: guess'
	assert_status 401
	http GET /info -H 'Authorization: guess'
	assert_status 401
	wait_for 401 GET /info -H 'Authorization: guess'
	run grep -c '"path":"/login/","status":401' "$RUN_DIR/logs/auth.log"
	[ "$output" -ge $((before + 3)) ] || fail "auth saw $output 401s, before $before"
}

@test "with the cache on, the failed-login limit holds: a throttled address gets 429 for a cached token too" {
	local i
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	# Another address, throttled at /login/, cannot test a guess against
	# the yes info holds for the first one.
	for i in 1 2 3; do
		from 127.0.0.31 POST /login/ -H 'Authorization: guess'
		assert_status 401
	done
	from 127.0.0.31 GET /info -H 'Authorization: merixstudio'
	assert_status 429
	assert_body '{"detail":"Too Many Requests"}'
	# The first address fails through /info itself: auth's 429 then holds
	# for the token info had cached for it, until its Retry-After.
	for i in 1 2 3; do
		from 127.0.0.30 GET /info -H 'Authorization: guess'
		assert_status 401
	done
	from 127.0.0.30 GET /info -H 'Authorization: guess'
	assert_status 429
	from 127.0.0.30 GET /info -H 'Authorization: merixstudio'
	assert_status 429
	assert_header Content-Type application/json
	assert_body '{"detail":"Too Many Requests"}'
	[[ "$(header Retry-After)" =~ ^(59|60)$ ]] || fail "Retry-After: '$(header Retry-After)'"
	# An address auth never throttled keeps its cached yes.
	from 127.0.0.32 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	run bash -c "curl -s '$BASE/metrics/info' | grep -E '^info_auth_calls_total\{outcome=\"(cached|throttled)\"\}'"
	assert_output $'info_auth_calls_total{outcome="cached"} 1\ninfo_auth_calls_total{outcome="throttled"} 3'
}

@test "with the cache on, an address throttled at /login/ alone keeps its own cached yes for its lifetime (docs/security.md)" {
	local i
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000
	from 127.0.0.33 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	for i in 1 2 3; do
		from 127.0.0.33 POST /login/ -H 'Authorization: guess'
	done
	from 127.0.0.33 POST /login/ -H 'Authorization: merixstudio'
	assert_status 429
	# info never saw the 429: it answers from its yes for this address
	# and this token, which auth gave this address itself.
	from 127.0.0.33 GET /info -H 'Authorization: merixstudio'
	assert_status 200
	# Any other token is asked of auth, so refused.
	from 127.0.0.33 GET /info -H 'Authorization: other-guess'
	assert_status 429
}

@test "auth says how long its answer holds: a yes to info is private, max-age=5; a no, a 429 and the public answer are no-store" {
	stack_start AUTH_FAIL_LIMIT=2 AUTH_FAIL_WINDOW_MS=60000
	internal POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	assert_header Cache-Control 'private, max-age=5'
	[[ "$(header X-Auth-Generation)" =~ ^[0-9a-f]{16}$ ]] || fail "generation: '$(header X-Auth-Generation)'"
	local gen
	gen=$(header X-Auth-Generation)
	internal POST /login/ -H 'Authorization: wrong' -H 'X-Client-Addr: 198.51.100.7'
	assert_status 401
	assert_header Cache-Control no-store
	assert_equal "$(header X-Auth-Generation)" "$gen"
	internal POST /login/ -H 'Authorization: wrong' -H 'X-Client-Addr: 198.51.100.7'
	internal POST /login/ -H 'Authorization: merixstudio' -H 'X-Client-Addr: 198.51.100.7'
	assert_status 429
	assert_header Cache-Control no-store
	http POST /login/ -H 'Authorization: merixstudio'
	assert_status 200
	assert_header Cache-Control no-store
	assert_equal "$(header X-Auth-Generation)" ''
}

@test "info keeps a yes for auth's max-age, not its own ceiling: AUTH_DECISION_MAX_AGE=1 under AUTH_CACHE_TTL_MS=60000" {
	local st=()
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_DECISION_MAX_AGE=1 AUTH_CB_FAILURES=0
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS")
	# Past auth's 1 s (with 0.5 s to spare for a loaded machine).
	sleep 1.5
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS")
	service_up auth
	assert_equal "${st[*]}" '200 503'
}

@test "an auth that says no-store (AUTH_DECISION_MAX_AGE=0) gets nothing cached: every /info asks it" {
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_DECISION_MAX_AGE=0 AUTH_CB_FAILURES=0
	internal POST /login/ -H 'Authorization: merixstudio'
	assert_header Cache-Control no-store
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	local code=$STATUS
	service_up auth
	assert_equal "$code" 503
}

@test "a reload that removes a token revokes it at once once info sees the new generation on any answer" {
	local tok
	tok=$(mktemp /tmp/cgi-tokens.XXXXXX)
	chmod 0644 "$tok"
	printf 'alpha\nbeta\n' >"$tok"
	stack_start AUTH_TOKENS_FILE="$tok" AUTH_CACHE_TTL_MS=60000 AUTH_DECISION_MAX_AGE=60
	http GET /info -H 'Authorization: alpha'
	assert_status 200
	http GET /info -H 'Authorization: alpha'
	assert_status 200
	printf 'beta\n' >"$tok.new"
	chmod 0644 "$tok.new"
	mv "$tok.new" "$tok"
	"$ROOT/scripts/stack.sh" reload
	sleep 0.5
	# From cache: info has not heard of the reload yet (the documented
	# bound: one max-age).
	http GET /info -H 'Authorization: alpha'
	assert_status 200
	# Any call to auth (here a miss for another token) brings the new
	# generation: every decision cached under the old one is dropped.
	http GET /info -H 'Authorization: beta'
	assert_status 200
	http GET /info -H 'Authorization: alpha'
	assert_status 401
	run bash -c "curl -s '$BASE/metrics/info' | grep '^info_auth_cache_total{event=\"revoked\"}'"
	assert_output 'info_auth_cache_total{event="revoked"} 1'
	grep -q "auth's token set changed" "$RUN_DIR/logs/info.log"
	rm -f "$tok"
}

@test "100 concurrent requests with one uncached token make at most one call to auth per info thread" {
	local calls pid
	stack_start AUTH_CACHE_TTL_MS=60000 SVC_THREADS=2 LOG_REQUESTS=all
	for _ in $(seq 1 100); do
		printf 'url = "%s/info"\noutput = "/dev/null"\n' "$BASE"
	done >"$BATS_TEST_TMPDIR/urls"
	# auth frozen while the burst arrives, so that it meets info with every
	# call still out; thawed 0.5 s later, well within AUTH_TIMEOUT_MS.
	pid=$(service_pid auth)
	kill -STOP "$pid"
	curl -s -Z --parallel-immediate --parallel-max 100 -K "$BATS_TEST_TMPDIR/urls" \
	    -H 'Authorization: merixstudio' -w '%{http_code}\n' >"$BATS_TEST_TMPDIR/codes" 2>/dev/null &
	sleep 0.5
	kill -CONT "$pid"
	wait
	run sort "$BATS_TEST_TMPDIR/codes"
	assert_equal "$(grep -c '^200$' <<<"$output")" 100
	sleep 0.5
	calls=$(grep -c '"path":"/login/","status":200' "$RUN_DIR/logs/auth.log")
	[ "$calls" -ge 1 ] && [ "$calls" -le 2 ] || fail "auth answered $calls calls for 100 requests"
	run bash -c "curl -s '$BASE/metrics/info' | grep '^info_auth_cache_total{event=\"coalesced\"}' | cut -d' ' -f2"
	echo "# 100 requests: $calls calls to auth, $output joined a call already out" >&3
	[ "$output" -ge 1 ] || fail "no request joined a call"
}

@test "stale-if-error: with AUTH_STALE_IF_ERROR_MS, a yes past its max-age answers while auth is down, logged once, counted" {
	local st=()
	stack_start AUTH_CACHE_TTL_MS=60000 AUTH_DECISION_MAX_AGE=1 AUTH_STALE_IF_ERROR_MS=30000 AUTH_CB_FAILURES=0
	http GET /info -H 'Authorization: merixstudio'
	assert_status 200
	sleep 1.5
	service_down auth
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS" "$BODY")
	http GET /info -H 'Authorization: merixstudio'
	st+=("$STATUS")
	# Never for a token that was not a yes.
	http GET /info -H 'Authorization: other'
	st+=("$STATUS")
	service_up auth
	assert_equal "${st[*]}" '200 {"info":"The answer is 42."} 200 503'
	run grep -c 'answering cached decisions up to AUTH_STALE_IF_ERROR_MS' "$RUN_DIR/logs/info.log"
	assert_output 1
	run bash -c "curl -s '$BASE/metrics/info' | grep '^info_auth_cache_total{event=\"stale\"}'"
	assert_output 'info_auth_cache_total{event="stale"} 2'
}
