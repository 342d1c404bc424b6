#!/usr/bin/env bats
# deploy/swarm/stack.yml on a real multi-node Docker Swarm built on this
# machine by scripts/swarm.sh: three dockerds, each in its own network
# namespace, joined over a bridge.  setup_file builds the cluster and runs
# `docker stack deploy`; teardown_file removes every process, namespace,
# link, cgroup and file the cluster had.
#
# The last two tests take nodes away (one cut off the network, one crashed)
# and stay last: bats runs a file's tests in the order written.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
STACK=cgi

setup_file() {
	local env p i
	# A base port with the next two free as well: one per node's gateway.
	for ((i = 0; i < 20; i++)); do
		p=$("$ROOT/scripts/free-port.sh")
		ss -Htan "( sport = :$((p + 1)) or sport = :$((p + 2)) )" | grep -q . || break
	done
	export SWARM_PORT=$p
	# A token of this run only (and the tutorial's), from a file: the
	# secret is made from it, and no log may ever show it.
	TOKEN=t$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	umask 077
	printf 'merixstudio\n%s\n' "$TOKEN" > "$BATS_FILE_TMPDIR/tokens"
	export SWARM_TOKENS_FILE=$BATS_FILE_TMPDIR/tokens
	env=$("$ROOT/scripts/swarm.sh" cluster)
	eval "$env"
	{
		echo "$env"
		echo "export TOKEN=$TOKEN SWARM_PORT=$SWARM_PORT"
	} > "$BATS_FILE_TMPDIR/env"
	"$ROOT/scripts/swarm.sh" deploy
}

teardown_file() {
	"$ROOT/scripts/swarm.sh" down
}

setup() {
	# http, header and the assertions of the integration suites.
	load ../integration/helpers
	load "$BATS_FILE_TMPDIR/env"
	BASE=$GATEWAY
}

# gw N: the URL of node N's gateway.
gw() {
	echo "http://127.0.0.1:$((SWARM_PORT + $1 - 1))"
}

# nodes_of SERVICE: the distinct nodes running SERVICE's tasks.
nodes_of() {
	docker service ps "${STACK}_$1" --filter desired-state=running \
	    --format '{{.Node}}' | sort -u
}

# converge: until every service runs all its tasks, healthy (120 s).
converge() {
	"$ROOT/scripts/swarm.sh" wait
}

# probe URL SECS OUT: GET /info through URL for SECS seconds, with the token
# and, every third round, without; one line per answer in OUT: epoch, "tok"
# or "none", status, seconds, body.  Each request is bounded (10 s).  Two
# probes from this one address must stay within auth's failed-login budget
# (100 per 10 s per replica) while a lost node leaves one auth replica: a
# tokenless request every third round keeps them at ~6 a second.
probe() {
	local end=$((SECONDS + $2)) kind w round=0 kinds
	local -a hdr
	while [ "$SECONDS" -lt "$end" ]; do
		kinds=tok
		[ $((round++ % 3)) -eq 2 ] && kinds="tok none"
		for kind in $kinds; do
			hdr=()
			[ "$kind" = tok ] && hdr=(-H 'Authorization: merixstudio')
			w=$(curl -s -m 10 -o "$3.body" -w '%{http_code} %{time_total}' \
			    "${hdr[@]}" "$1/info" || true)
			echo "$(date +%s.%N) $kind $w $(cat "$3.body" 2>/dev/null)" >> "$3"
		done
		sleep 0.05
	done
}

# assert_answers OUT: what a probe saw around a node loss.  Without a token:
# 401, or 503/504 while auth cannot be reached, never 200.  With it: 200,
# or 503/504 with a JSON detail.  Every answer within 5.5 s (nginx gives a
# service 1 s to connect and 5 s to answer), and 200 again at the end.
assert_answers() {
	local bad
	bad=$(awk '$2 == "none" && $3 !~ /^(401|503|504)$/' "$1")
	[ -z "$bad" ] || fail "without a token: $bad"
	bad=$(awk '$2 == "tok" && $3 != 200 && !($3 ~ /^50[34]$/ && $5 ~ /^\{"detail":"/)' "$1")
	[ -z "$bad" ] || fail "with the token: $bad"
	bad=$(awk '$4 > 5.5' "$1")
	[ -z "$bad" ] || fail "answers slower than 5.5 s: $bad"
	tail -n 6 "$1" | awk '$2 == "tok" && $3 != 200 { exit 1 }' ||
	    fail "not back to 200: $(tail -n 6 "$1")"
}

# lost_and_rescheduled N: until node N is down and no auth or info task is
# placed on it (60 s); then both run all their replicas.
lost_and_rescheduled() {
	local i
	for ((i = 0; i < 600; i++)); do
		docker node ls --format '{{.Hostname}} {{.Status}}' | grep -q "cgi-node-$1 Down" &&
		    ! docker stack ps "$STACK" --filter desired-state=running --format '{{.Node}} {{.Name}}' |
		    grep -v gateway | grep -q "cgi-node-$1" && break
		sleep 0.1
	done
	docker stack ps "$STACK" --filter desired-state=running --format '{{.Name}} {{.Node}}' |
	    grep -v gateway | grep "cgi-node-$1" && fail "replicas still placed on the lost node $1"
	for ((i = 0; i < 600; i++)); do
		converged_counts && return 0
		sleep 0.1
	done
	run docker service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}} {{.Replicas}}'
	assert_line "${STACK}_auth 2/2"
	assert_line "${STACK}_info 2/2"
}

converged_counts() {
	local out
	out=$(docker service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}} {{.Replicas}}')
	echo "$out" | grep -qx "${STACK}_auth 2/2" && echo "$out" | grep -qx "${STACK}_info 2/2"
}

@test "docker stack deploy: every service converges, a gateway on every node, auth and info on at least 2 nodes" {
	run docker service ls --filter "label=com.docker.stack.namespace=$STACK" \
	    --format '{{.Name}} {{.Mode}} {{.Replicas}}'
	assert_line "${STACK}_gateway global 3/3"
	assert_line "${STACK}_auth replicated 2/2"
	assert_line "${STACK}_info replicated 2/2"
	docker stack ps "$STACK" --filter desired-state=running \
	    --format '{{.Name}} {{.Node}} {{.CurrentState}}' >&3
	[ "$(nodes_of gateway | wc -l)" -eq 3 ]
	[ "$(nodes_of auth | wc -l)" -ge 2 ]
	[ "$(nodes_of info | wc -l)" -ge 2 ]
}

@test "only the gateway publishes a port, in host mode on each node; the services are found by DNS round robin" {
	run docker service inspect -f '{{json .Endpoint.Ports}}' "${STACK}_gateway"
	assert_output --partial '"TargetPort":8080,"PublishedPort":8080,"PublishMode":"host"'
	for s in auth info redis; do
		run docker service inspect -f '{{json .Endpoint.Ports}} {{.Spec.EndpointSpec.Mode}}' "${STACK}_$s"
		# No ports: null or [] as engines differ.
		assert_output --regexp '^(null|\[\]) dnsrr$'
	done
}

# reach NODE SERVICE HOST PORT: "open" when a TCP connection from a
# SERVICE container on NODE (or the first node that has one) to HOST:PORT
# succeeds within 2 s, else "closed".
reach() {
	local t
	t=$(task "$1" "$2")
	[ -n "$t" ] || { echo "no $2 container"; return 0; }
	on "${t% *}" exec "${t#* }" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && echo open' "$3" "$4" \
	    2>/dev/null || echo closed
}

# task NODE SERVICE: "N CONTAINER", a SERVICE task on NODE, else on the
# first node N that has one; nothing when no node has.
task() {
	local c n
	for n in "$1" 1 2 3; do
		c=$(on "$n" ps -q --filter "name=${STACK}_$2" | head -n 1)
		[ -z "$c" ] || { echo "$n $c"; return 0; }
	done
}

# addrs SERVICE: the addresses of SERVICE's running tasks, on every network.
addrs() {
	local n c
	for n in 1 2 3; do
		for c in $(on "$n" ps -q --filter "name=${STACK}_$1"); do
			on "$n" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$c"
		done
	done
}

@test "one overlay per hop: info reaches neither auth's port nor redis, by name or address, on any node; the gateway reaches both" {
	local ip n
	for n in 1 2 3; do
		assert_equal "$(reach "$n" info auth 9000)" closed
		assert_equal "$(reach "$n" info redis 6379)" closed
		assert_equal "$(reach "$n" info gateway 8081)" open
		assert_equal "$(reach "$n" gateway auth 9000)" open
		assert_equal "$(reach "$n" gateway info 9000)" open
	done
	for ip in $(addrs auth); do
		assert_equal "$(reach 1 info "$ip" 9000)" closed
	done
	for ip in $(addrs redis); do
		assert_equal "$(reach 1 info "$ip" 6379)" closed
	done
	assert_equal "$(reach 1 auth redis 6379)" open
	assert_equal "$(reach 1 auth info 9000)" closed
}

@test "the tutorial's curl session through every node's gateway: 401, then 200 and the answer" {
	local n
	for n in 1 2 3; do
		BASE=$(gw "$n")
		assert_tutorial_session
		http POST /login/ -H 'Authorization: merixstudio'
		assert_equal "$STATUS" 200
		http GET /healthz
		assert_equal "$STATUS" 200
	done
}

@test "the demo user logs in at POST /token on one node, and the token works at every node's /info (one signing key, a secret)" {
	local n tok
	BASE=$(gw 1)
	http POST /token -d 'grant_type=password&username=alice&password=wonderland'
	assert_equal "$STATUS" 200
	tok=$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$BODY")
	for n in 1 2 3; do
		BASE=$(gw "$n")
		http GET /info -H "Authorization: Bearer $tok"
		assert_equal "$STATUS" 200
		http GET /.well-known/jwks.json
		assert_equal "$STATUS" 200
	done
}

@test "the tokens, users and keys come from Docker secrets: the token works, no environment holds it, no container log shows it" {
	local n c
	http GET /info -H "Authorization: $TOKEN"
	assert_equal "$STATUS" 200
	assert_equal "$BODY" '{"info":"The answer is 42."}'
	http GET /info -H "Authorization: ${TOKEN}x"
	assert_equal "$STATUS" 401
	run docker service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}' "${STACK}_auth"
	assert_line AUTH_TOKENS_FILE=/run/secrets/auth_tokens
	refute_output --partial merixstudio
	refute_output --partial "$TOKEN"
	run docker service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.File.Name}} {{.File.UID}} {{printf "%o" .File.Mode}} {{end}}' "${STACK}_auth"
	assert_output 'auth_signing_key 10001 400 auth_tokens 10001 400 auth_users 10001 400 fail_store_key 10001 400 redis_password 10001 400 '
	# Every container of every node, the gateways' access logs included.
	for n in 1 2 3; do
		for c in $(DOCKER_HOST=unix:///run/cgi-swarm/$n/docker.sock docker ps -aq); do
			! DOCKER_HOST=unix:///run/cgi-swarm/$n/docker.sock docker logs "$c" 2>&1 |
			    grep -F -e "$TOKEN" -e merixstudio ||
			    fail "a token in the log of $c on node $n"
		done
	done
}

@test "info scaled to 4 and back to 2: every replica serves /info" {
	local i tasks
	docker service scale -d "${STACK}_info=4" >&2
	converge
	# The gateways re-resolve the name at most 1 s later.
	sleep 1.5
	for i in $(seq 80); do
		http GET /info -H 'Authorization: merixstudio' -H "X-Request-ID: scale4-$i"
		assert_equal "$STATUS" 200
	done
	# Which task logged each of those requests (docker service logs
	# prefixes every line with the task's name).
	tasks=$(timeout 60 docker service logs --no-trunc "${STACK}_info" 2>&1 |
	    grep '"request_id":"scale4-' | grep '"status":200' |
	    cut -d' ' -f1 | sort -u)
	echo "$tasks" >&3
	[ "$(echo "$tasks" | grep -c .)" -eq 4 ] || fail "requests reached $(echo "$tasks" | grep -c .) of 4 replicas"
	docker service scale -d "${STACK}_info=2" >&2
	converge
	sleep 1.5
	for i in $(seq 20); do
		http GET /info -H 'Authorization: merixstudio'
		assert_equal "$STATUS" 200
	done
}

@test "info's calls to auth spread over every node's gateway: they follow the gateway's replicas" {
	local n c lines
	# nginx closes a kept connection after 1000 requests
	# (keepalive_requests); info then connects again to an address of
	# "gateway" looked up anew: ~10,000 calls renew each connection ~10 times.
	wrk -t2 -c8 -d8s -H 'Authorization: merixstudio' "$(gw 1)/info" > "$BATS_TEST_TMPDIR/wrk"
	grep -E 'requests in' "$BATS_TEST_TMPDIR/wrk" >&3
	for n in 1 2 3; do
		c=$(DOCKER_HOST=unix:///run/cgi-swarm/$n/docker.sock docker ps -q --filter name=cgi_gateway)
		# info's calls on the internal listener: POST /login/ from an
		# address of the overlay network (not the node's docker-proxy).
		lines=$(DOCKER_HOST=unix:///run/cgi-swarm/$n/docker.sock docker logs --since 30s "$c" 2>/dev/null |
		    grep -c '"method":"POST","uri":"/login/"' || true)
		echo "# node $n's gateway: $lines logged calls from info" >&3
		[ "$lines" -ge 1 ] || fail "node $n's gateway got no call from info"
	done
}

@test "a rolling update of info and auth under load: 0 failed requests, 0 non-2xx" {
	local wrk_pid s i t0 ids_before
	ids_before=$(docker service ps -q --filter desired-state=running "${STACK}_info" "${STACK}_auth" | sort)
	wrk -t2 -c8 -d45s -H 'Authorization: merixstudio' "$GATEWAY/info" \
	    > "$BATS_TEST_TMPDIR/wrk" 2>&1 &
	wrk_pid=$!
	sleep 1
	t0=$SECONDS
	# Both at once, each one task at a time (update_config).
	for s in info auth; do
		docker service update -q --force --detach=true "${STACK}_$s" >&2
	done
	for ((i = 0; i < 1200; i++)); do
		[ "$(docker service inspect -f '{{.UpdateStatus.State}}' "${STACK}_info" "${STACK}_auth" | sort -u)" = completed ] && break
		sleep 0.1
	done
	for s in info auth; do
		run docker service inspect -f '{{.UpdateStatus.State}}' "${STACK}_$s"
		assert_output completed
	done
	echo "# both updates took $((SECONDS - t0)) s" >&3
	kill -0 "$wrk_pid" || fail "the load ended before the updates did"
	wait "$wrk_pid"
	cat "$BATS_TEST_TMPDIR/wrk" >&3
	# Every task was replaced.
	[ -z "$(comm -12 <(echo "$ids_before") \
	    <(docker service ps -q --filter desired-state=running "${STACK}_info" "${STACK}_auth" | sort))" ]
	run grep -E 'Non-2xx|Socket errors' "$BATS_TEST_TMPDIR/wrk"
	assert_failure
	grep -Eq '^ +[0-9]+ requests in' "$BATS_TEST_TMPDIR/wrk"
}

# on N CMD...: docker CMD on node N's engine.
on() {
	local n=$1
	shift
	DOCKER_HOST=unix:///run/cgi-swarm/$n/docker.sock docker "$@"
}

# guesses NODE SERVICE HOST COUNT LOOPS: COUNT requests GET /info with a
# wrong token, in LOOPS at once, from inside a SERVICE container on NODE
# (or another node's; bash's /dev/tcp), to HOST:8080: "gateway" is every node's gateway, a
# new lookup for each request.  So they come from that container's own
# address.  Prints how many of each status.
guesses() {
	local t
	t=$(task "$1" "$2")
	[ -n "$t" ] || { echo "no $2 container"; return 0; }
	on "${t% *}" exec "${t#* }" bash -c "$GUESSES" _ "$3" "$4" "$5" | tally
}

@test "auth on 3 replicas: one failed-login budget across the nodes, exactly AUTH_FAIL_LIMIT 401s of 2000 guesses; redis rescheduled mid-run: never a 5xx, and shared again after" {
	local out
	# 20 per 120 s for this test: the run fits in one window.
	docker service update -q --detach=false --replicas 3 \
	    --env-add AUTH_FAIL_LIMIT=20 --env-add AUTH_FAIL_WINDOW_MS=120000 "${STACK}_auth" >&2
	converge
	sleep 1.5
	out=$(guesses 1 info gateway 2000 4)
	echo "# 2000 guesses from one address, over 3 gateways and 3 auth replicas: $out" >&3
	assert_equal "$out" "401=20 429=1980 "
	# From another address, while the store's task is replaced.
	guesses 2 auth gateway 400 2 > "$BATS_TEST_TMPDIR/during" &
	sleep 0.3
	docker service update -q --force --detach=false "${STACK}_redis" >&2
	wait
	out=$(cat "$BATS_TEST_TMPDIR/during")
	echo "# 400 guesses while redis moved: $out" >&3
	[[ "$out" =~ ^401=([0-9]+)\ 429=([0-9]+)\ $ ]] || fail "answers: $out"
	# At most the store's 20 and each replica's own 20.
	[ "${BASH_REMATCH[1]}" -le 80 ] || fail "401s: ${BASH_REMATCH[1]}"
	converge
	# Past AUTH_FAIL_STORE_RETRY_MS (1 s), every replica uses the new task.
	sleep 2
	out=$(guesses 3 gateway 127.0.0.1 60 1)
	echo "# 60 guesses after: $out" >&3
	assert_equal "$out" "401=20 429=40 "
	docker service update -q --detach=false --replicas 2 \
	    --env-rm AUTH_FAIL_LIMIT --env-rm AUTH_FAIL_WINDOW_MS "${STACK}_auth" >&2
	converge
}

@test "with deploy/swarm/tls.yml every node's gateway serves HTTPS on HTTP/2, its key a secret for nginx's user only" {
	local d=$BATS_FILE_TMPDIR/tls n i
	make_test_cert "$d"
	docker secret create cgi_tls_cert_1 "$d/cert.pem" >&2
	docker secret create cgi_tls_key_1 "$d/key.pem" >&2
	docker stack deploy -c "$ROOT/deploy/swarm/stack.yml" -c "$ROOT/deploy/swarm/tls.yml" "$STACK" >&2
	for ((i = 0; i < 1200; i++)); do
		[ "$(docker service inspect -f '{{.UpdateStatus.State}}' "${STACK}_gateway")" = completed ] && break
		sleep 0.1
	done
	run docker service inspect -f '{{.UpdateStatus.State}}' "${STACK}_gateway"
	assert_output completed
	converge
	run docker service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.File.Name}} {{.File.UID}} {{printf "%o" .File.Mode}};{{end}}' "${STACK}_gateway"
	assert_output 'tls_cert 0 444;tls_key 33 400;'
	# Each node's own port 8443, asked from inside that node's namespace.
	for n in 1 2 3; do
		run nsenter --net="/var/run/netns/cgisw-$n" curl -s -o /dev/null \
		    -w '%{http_version} %{http_code}' --cacert "$d/cert.pem" --http2 \
		    -H 'Authorization: merixstudio' https://127.0.0.1:8443/info
		assert_output '2 200'
		BASE=$(gw "$n")
		http GET /info -H 'Authorization: merixstudio'
		assert_equal "$STATUS" 200
	done
}

@test "a worker cut off the network: /info answers 200 or 503/504 JSON, never a hang or a tokenless 200; its replicas are rescheduled" {
	local n i out=$BATS_TEST_TMPDIR/probe ppid t_cut t_back
	# The worker with the most auth and info replicas.
	n=$(docker stack ps "$STACK" --filter desired-state=running --format '{{.Name}} {{.Node}}' |
	    awk '$1 !~ /gateway/ && $2 != "cgi-node-1" { c[$2]++ } END { for (k in c) print c[k], k }' |
	    sort -rn | head -n 1 | sed 's/.*cgi-node-//')
	[ -n "$n" ] || fail "no worker runs a replica"
	probe "$(gw 1)" 45 "$out" &
	ppid=$!
	sleep 2
	t_cut=$(date +%s.%N)
	"$ROOT/scripts/swarm.sh" cut "$n"
	lost_and_rescheduled "$n"
	t_back=$(date +%s.%N)
	wait "$ppid"
	"$ROOT/scripts/swarm.sh" mend "$n"
	awk -v cut="$t_cut" -v back="$t_back" -f "$BATS_TEST_DIRNAME/probe-report.awk" "$out" >&3
	assert_answers "$out"
	# The node comes back and gets its gateway again.
	for ((i = 0; i < 300; i++)); do
		[ "$(nodes_of gateway | wc -l)" -eq 3 ] && break
		sleep 0.1
	done
	[ "$(nodes_of gateway | wc -l)" -eq 3 ]
}

@test "a node that runs a gateway crashes: the surviving gateways answer every request, 200 or 503/504 JSON, never a hang; its replicas are rescheduled" {
	local out1=$BATS_TEST_TMPDIR/probe1 out3=$BATS_TEST_TMPDIR/probe3 p1 p3 t_kill t_back out
	converge
	probe "$(gw 1)" 40 "$out1" &
	p1=$!
	probe "$(gw 3)" 40 "$out3" &
	p3=$!
	sleep 2
	t_kill=$(date +%s.%N)
	"$ROOT/scripts/swarm.sh" kill 2
	lost_and_rescheduled 2
	t_back=$(date +%s.%N)
	wait "$p1" "$p3"
	for out in "$out1" "$out3"; do
		awk -v cut="$t_kill" -v back="$t_back" -f "$BATS_TEST_DIRNAME/probe-report.awk" "$out" >&3
		assert_answers "$out"
	done
}
