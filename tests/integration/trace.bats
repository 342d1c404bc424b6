#!/usr/bin/env bats
# W3C Trace Context through both hops: the gateway continues a valid
# traceparent and starts a trace for a bad or missing one; info's call to
# auth is a child span; every log line of the gateway, info and auth for
# the request carries trace_id, span_id and parent_id, and the spans chain:
# client -> gateway -> info -> gateway (internal) -> auth.

setup_file() {
	load helpers
	# What a service gets as traceparent/tracestate: an operator's route
	# to a recorder (helpers.bash).
	capture_start
	stack_start LOG_REQUESTS=all
}

teardown_file() {
	load helpers
	capture_stop
	stack_stop
}

setup() {
	load helpers
}

CLIENT_TRACE=4bf92f3577b34da6a3ce929d0e0e4736
CLIENT_SPAN=00f067aa0ba902b7

# lines ID: every log line (gateway, info, auth) of request ID, as
# "service path trace span parent", in the order of the spans' chain.
lines() {
	sleep 0.4
	cat "$RUN_DIR"/logs/gateway.access.log "$RUN_DIR"/logs/info.log "$RUN_DIR"/logs/auth.log |
	    grep "\"request_id\":\"$1\"" | grep '"trace_id"' |
	    python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    print(o["service"], o.get("path", o.get("uri")), o["trace_id"], o["span_id"], o["parent_id"])'
}

# chain ID TRACE PARENT: the four lines of a GET /info carry TRACE, and
# each span is the parent of the next, starting from PARENT.
chain() {
	run lines "$1"
	assert_equal "${#lines[@]}" 4
	local gw info gwi auth
	gw=$(grep '^gateway /info ' <<<"$output")
	info=$(grep '^info /info ' <<<"$output")
	gwi=$(grep '^gateway /login/ ' <<<"$output")
	auth=$(grep '^auth /login/ ' <<<"$output")
	read -r _ _ t1 s1 p1 <<<"$gw"
	read -r _ _ t2 s2 p2 <<<"$info"
	read -r _ _ t3 s3 p3 <<<"$gwi"
	read -r _ _ t4 s4 p4 <<<"$auth"
	assert_equal "$t1 $t2 $t3 $t4" "$2 $2 $2 $2"
	assert_equal "$p1" "$3"
	assert_equal "$p2 $p3 $p4" "$s1 $s2 $s3"
	[[ "$s1$s2$s3$s4" =~ ^[0-9a-f]{64}$ ]] || fail "span ids: $s1 $s2 $s3 $s4"
}

@test "a valid traceparent is continued through the gateway, info, the gateway again and auth" {
	http GET /info -H 'Authorization: merixstudio' -H 'X-Request-ID: tp-valid' \
	    -H "traceparent: 00-$CLIENT_TRACE-$CLIENT_SPAN-01"
	assert_status 200
	chain tp-valid "$CLIENT_TRACE" "$CLIENT_SPAN"
}

@test "an invalid traceparent starts a fresh trace (each rule), with no parent" {
	local tp i=0 t
	for tp in "ff-$CLIENT_TRACE-$CLIENT_SPAN-01" "01-$CLIENT_TRACE-$CLIENT_SPAN-01" \
	    "00-00000000000000000000000000000000-$CLIENT_SPAN-01" \
	    "00-$CLIENT_TRACE-0000000000000000-01" "00-${CLIENT_TRACE^^}-$CLIENT_SPAN-01" \
	    "00-${CLIENT_TRACE:1}-$CLIENT_SPAN-01" "00-$CLIENT_TRACE-$CLIENT_SPAN-1" \
	    "00-$CLIENT_TRACE-$CLIENT_SPAN-01-extra" "garbage"; do
		i=$((i + 1))
		http GET /info -H 'Authorization: merixstudio' -H "X-Request-ID: tp-bad-$i" -H "traceparent: $tp"
		assert_status 200
		t=$(lines "tp-bad-$i" | awk '$1 == "gateway" && $2 == "/info" { print $3 }')
		[[ "$t" =~ ^[0-9a-f]{32}$ ]] && [ "$t" != "$CLIENT_TRACE" ] || fail "$tp: trace '$t'"
		chain "tp-bad-$i" "$t" ""
	done
}

@test "no traceparent: a new trace, the same in all three logs" {
	local t
	http GET /info -H 'Authorization: merixstudio' -H 'X-Request-ID: tp-none'
	assert_status 200
	t=$(lines tp-none | awk '$1 == "gateway" && $2 == "/info" { print $3 }')
	[[ "$t" =~ ^[0-9a-f]{32}$ ]] || fail "trace '$t'"
	chain tp-none "$t" ""
	# A 401 is traced too.
	http GET /info -H 'X-Request-ID: tp-401'
	assert_status 401
	run lines tp-401
	assert_equal "${#lines[@]}" 4
}

@test "a service is sent the gateway's span as parent; tracestate only with a valid traceparent, at most 512 characters" {
	local long
	long=$(head -c 513 /dev/zero | tr '\0' a)
	: >"$RUN_DIR/captured"
	http GET /_capture -H "traceparent: 00-$CLIENT_TRACE-$CLIENT_SPAN-01" -H 'tracestate: vendor=opaque1'
	http GET /_capture -H "traceparent: 00-$CLIENT_TRACE-0000000000000000-01" -H 'tracestate: vendor=dropped2'
	http GET /_capture -H "traceparent: 00-$CLIENT_TRACE-$CLIENT_SPAN-01" -H "tracestate: v=$long"
	sleep 0.6
	run grep -aoE "HTTP_TRACEPARENT00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}" "$RUN_DIR/captured"
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp "^HTTP_TRACEPARENT00-$CLIENT_TRACE-[0-9a-f]{16}-01$"
	refute_line --index 0 --partial "$CLIENT_SPAN"
	refute_line --index 1 --partial "$CLIENT_TRACE"
	run grep -ac 'HTTP_TRACESTATEvendor=opaque1' "$RUN_DIR/captured"
	assert_output 1
	run grep -aE 'dropped2|v=aaaa' "$RUN_DIR/captured"
	assert_failure
}
