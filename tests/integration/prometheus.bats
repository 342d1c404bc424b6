#!/usr/bin/env bats
# deploy/prometheus: promtool checks the scrape configurations and the
# alert rules and runs the rules' unit tests; then Debian's prometheus
# scrapes a running stack with make-run.yml (its port, 1 s intervals), finds
# the three targets up, and, once auth is stopped, reports AuthDown pending
# or firing through its HTTP API.

setup() {
	load helpers
	P=$ROOT/deploy/prometheus
}

teardown() {
	[ ! -f "$BATS_TEST_TMPDIR/prom.pid" ] || kill "$(cat "$BATS_TEST_TMPDIR/prom.pid")" 2>/dev/null || true
	stack_stop
}

@test "promtool: the three scrape configurations and the rules check, and every rule's unit tests pass" {
	local f
	for f in make-run compose swarm; do
		run promtool check config "$P/$f.yml"
		assert_success
		assert_output --partial 'SUCCESS: 7 rules found'
	done
	run promtool check rules "$P/rules.yml"
	assert_success
	run promtool test rules "$P/rules.test.yml"
	assert_success
	assert_output --partial SUCCESS
	# Every alert has a unit test.
	run bash -c "grep -o 'alert: [A-Za-z]*' '$P/rules.yml' | sort -u | cut -d' ' -f2"
	local a
	for a in $output; do
		grep -q "alertname: $a\$" "$P/rules.test.yml" || fail "$a has no unit test"
	done
}

# prom_api PATH: GET Prometheus's HTTP API.
prom_api() {
	curl -s -m 5 "http://127.0.0.1:$PROM_PORT$1"
}

@test "a real Prometheus scrapes the stack, then reports AuthDown pending or firing once auth stops" {
	local dir i out
	stack_start
	dir=$BATS_TEST_TMPDIR/prom
	mkdir -p "$dir"
	PROM_PORT=$(free_port)
	# make-run.yml with this stack's port and 1 s intervals.
	sed -e "s/127.0.0.1:8080/127.0.0.1:$PORT/" -e 's/: 15s$/: 1s/' "$P/make-run.yml" >"$dir/prometheus.yml"
	cp "$P/rules.yml" "$dir/"
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
	    --web.listen-address="127.0.0.1:$PROM_PORT" >"$dir/log" 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/prom.pid"
	for ((i = 0; i < 100; i++)); do
		out=$(prom_api '/api/v1/targets' | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join(sorted(x["labels"]["job"] + "=" + x["health"] for x in t)))' 2>/dev/null) || true
		[ "$out" = "auth=up gateway=up info=up" ] && break
		sleep 0.2
	done
	assert_equal "$out" "auth=up gateway=up info=up"
	service_down auth
	for ((i = 0; i < 100; i++)); do
		out=$(prom_api '/api/v1/alerts' | python3 -c '
import json, sys
a = json.load(sys.stdin)["data"]["alerts"]
print(" ".join(sorted(x["labels"]["alertname"] + "=" + x["state"] for x in a)))' 2>/dev/null) || true
		[[ "$out" =~ AuthDown=(pending|firing) ]] && break
		sleep 0.2
	done
	service_up auth
	[[ "$out" =~ AuthDown=(pending|firing) ]] || fail "alerts: '$out'"
}
