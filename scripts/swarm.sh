#!/bin/bash
# A real multi-node Docker Swarm on this one machine, for trying and testing
# deploy/swarm/stack.yml (make swarm-up, make swarm-down, make test-swarm).
#
#   swarm.sh up        nodes, swarm, images, tokens secret, the stack, and a
#                      local port per node's gateway; ends by printing
#                      "export DOCKER_HOST=..." and "export GATEWAY=..."
#   swarm.sh cluster   the same without the stack (make test-swarm deploys it)
#   swarm.sh deploy    docker stack deploy, then wait until every service runs
#   swarm.sh wait      wait until every service runs all its tasks, healthy
#   swarm.sh cut N     take node N off the network (its link down)
#   swarm.sh mend N    put node N back on the network
#   swarm.sh kill N    node N crashes: every process of it is killed and its
#                      link goes down
#   swarm.sh down      remove everything "up" made
#
# Each node is its own dockerd, in its own network namespace (cgisw-N), UTS
# namespace (hostname cgi-node-N), data root, exec root and socket, in its
# own cgroups (cgisw/N: the daemon in daemon/, its containers beside it).
# The nodes are joined by veth pairs to a bridge that lives in a namespace of
# its own (cgisw-net), so every address (10.213.0.N/24) exists only inside
# namespaces this script made; the host's network is not touched.  Node 1 is
# the manager.  Images reach the nodes by `docker save | docker load` from
# the engine that builds them (scripts/docker-engine.sh): no registry to run
# and trust, and every node holds the same image id (docs/deploy.md).
#
# The gateway publishes port 8080 in host mode on every node (the routing
# mesh needs iptables, which these engines run without).  From the host's
# 127.0.0.1:SWARM_PORT+N-1, systemd-socket-proxyd carries connections into
# node N's namespace: the listening socket is opened in the host's namespace
# by systemd-socket-activate, and the proxy then enters the node's namespace
# (nsenter) to connect.
#
# Processes are stopped by pid, and a pid is signalled only while its start
# time is still the one recorded when this script started it; what is left
# after that (containers, shims) is killed by cgroup, which only this
# script's nodes use.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
NODES=${SWARM_NODES:-3}
SWARM_PORT=${SWARM_PORT:-8180}
# Data roots (images, containers) and logs.
STATE=${SWARM_DIR:-/var/tmp/cgi-swarm}
# Exec roots and sockets: a short path, since containerd's socket paths under
# it must fit a unix socket's 108 bytes.
RUNROOT=/run/cgi-swarm
NET=10.213.0		# node N is $NET.N, inside our namespaces only
POOL=10.214.0.0/16	# the swarm's overlay networks
STACK=${SWARM_STACK:-cgi}
SECRET=cgi_auth_tokens_1
PROXYD=/lib/systemd/systemd-socket-proxyd

log() {
	echo "swarm: $*" >&2
}

die() {
	log "$*"
	exit 1
}

# dk N ARGS: the docker client against node N.
dk() {
	local n=$1
	shift
	DOCKER_HOST=unix://$RUNROOT/$n/docker.sock docker "$@"
}

# cgroup where nodes' processes live: the pids controller (cgroup v1, as on
# this project's machines) or the unified hierarchy (v2).
cg_root() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo /sys/fs/cgroup/cgisw
	elif [ -d /sys/fs/cgroup/pids ]; then
		echo /sys/fs/cgroup/pids/cgisw
	else
		die "no pids cgroup controller: cannot keep track of the nodes' processes"
	fi
}

# starttime PID: the process's start time in clock ticks since boot (field
# 22 of /proc/PID/stat; the command may hold spaces, so cut after its ')').
starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086  # split the fields
	set -- $s
	echo "${20}"
}

# remember FILE PID: record a process we started.
remember() {
	echo "$2 $(starttime "$2")" > "$1"
}

# ours FILE: prints the pid recorded in FILE if that process still runs and
# is the one we started (same start time); else nothing.
ours() {
	local pid st
	[ -f "$1" ] || return 0
	read -r pid st < "$1" || return 0
	[ -n "$pid" ] && [ "$(starttime "$pid" || true)" = "$st" ] && echo "$pid"
	return 0
}

# stop_pid FILE SECS: SIGTERM the process recorded in FILE, SIGKILL after
# SECS seconds; a pid no longer ours is left alone.
stop_pid() {
	local pid i
	pid=$(ours "$1")
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < $2 * 10; i++)); do
			[ -n "$(ours "$1")" ] || break
			sleep 0.1
		done
		[ -z "$(ours "$1")" ] || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

# cg_kill DIR: SIGKILL every process in cgroup DIR and below, until none.
cg_kill() {
	local i pids
	[ -d "$1" ] || return 0
	for ((i = 0; i < 100; i++)); do
		pids=$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086  # one pid per word
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	die "processes of $1 survive SIGKILL: $pids"
}

# cg_remove: the nodes' cgroups, deepest first, in every hierarchy where
# this script or Docker (--cgroup-parent) made one.
cg_remove() {
	local d
	for d in /sys/fs/cgroup/cgisw /sys/fs/cgroup/*/cgisw; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ ! -d "$d" ] || log "could not remove cgroup $d"
	done
}

# umount_under DIR: what a killed node left mounted (its containers' root
# filesystems, its namespaces' bind mounts), deepest first.
umount_under() {
	local m
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
	    sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

check_free() {
	if ss -Htln "sport = :$1" | grep -q .; then
		die "port $1 is taken: set SWARM_PORT to the first of $NODES free ports"
	fi
}

net_up() {
	local i
	ip netns add cgisw-net
	ip -n cgisw-net link set lo up
	ip -n cgisw-net link add br0 type bridge
	ip -n cgisw-net link set br0 up
	for ((i = 1; i <= NODES; i++)); do
		ip netns add "cgisw-$i"
		ip -n "cgisw-$i" link set lo up
		# One end is the node's eth0, the other a port of the bridge.
		ip link add "n$i" netns cgisw-net type veth peer name eth0 netns "cgisw-$i"
		ip -n cgisw-net link set "n$i" master br0 up
		ip -n "cgisw-$i" addr add "$NET.$i/24" dev eth0
		ip -n "cgisw-$i" link set eth0 up
	done
}

node_start() {
	local n=$1 run=$RUNROOT/$1 cg pid i
	cg=$(cg_root)/$n/daemon
	mkdir -p "$STATE/$n/data" "$run" "$cg"
	# The shell puts itself in the node's cgroup and becomes dockerd (same
	# pid) inside the node's namespaces, so every process the daemon starts
	# stays in that cgroup.
	# shellcheck disable=SC2016  # expanded by those shells
	setsid sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" \
	    nsenter --net="/var/run/netns/cgisw-$n" unshare --uts -- \
	    sh -c 'hostname "$0" && exec "$@"' "cgi-node-$n" dockerd \
	    --bridge=none --iptables=false --ip6tables=false \
	    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/cgisw/$n" \
	    --data-root "$STATE/$n/data" --exec-root "$run" \
	    --pidfile "$run/dockerd.pid" -H "unix://$run/docker.sock" \
	    </dev/null >>"$STATE/$n/dockerd.log" 2>&1 &
	pid=$!
	remember "$RUNROOT/$n.pid" "$pid"
	for ((i = 0; i < 300; i++)); do
		dk "$n" info >/dev/null 2>&1 && return 0
		[ -n "$(ours "$RUNROOT/$n.pid")" ] || break
		sleep 0.1
	done
	tail -n 5 "$STATE/$n/dockerd.log" >&2
	die "node $n: dockerd did not answer within 30 s"
}

swarm_form() {
	local i token
	dk 1 swarm init --advertise-addr "$NET.1" --listen-addr "$NET.1:2377" \
	    --default-addr-pool "$POOL" >/dev/null
	token=$(dk 1 swarm join-token -q worker)
	for ((i = 2; i <= NODES; i++)); do
		dk "$i" swarm join --token "$token" --advertise-addr "$NET.$i" \
		    --listen-addr "$NET.$i:2377" "$NET.1:2377" >/dev/null
	done
}

# images_load: build the images on the build engine, then the same images
# into every node.
images_load() {
	local env own=0 tar i
	docker info >/dev/null 2>&1 ||
	    DOCKER_HOST=unix://${DOCKER_DIR:-/var/tmp/cgi-docker}/docker.sock \
	    docker info >/dev/null 2>&1 || own=1
	env=$("$here/scripts/docker-engine.sh" up)
	# Only an engine that "up" had to start is stopped by "down".
	[ "$own" = 1 ] && [ -n "$env" ] && touch "$STATE/own-build-engine"
	eval "$env"
	"$here/scripts/images.sh" >&2
	tar=$STATE/images.tar
	docker save -o "$tar" cgi-microservices/gateway:latest \
	    cgi-microservices/auth:latest cgi-microservices/info:latest \
	    cgi-microservices/redis:latest
	for ((i = 1; i <= NODES; i++)); do
		dk "$i" load -q -i "$tar" >/dev/null
	done
	rm -f "$tar"
}

# secret_create: the tokens, redis's password, auth's key, its users and
# its signing key as Docker secrets.  The tokens: SWARM_TOKENS_FILE (one per line, or sha256: entries) or else the
# tutorial's demo token.  Read from a file or a pipe, never from an
# argument or the environment.
secret_create() {
	if [ -n "${SWARM_TOKENS_FILE:-}" ]; then
		dk 1 secret create "$SECRET" "$SWARM_TOKENS_FILE" >/dev/null
	else
		printf 'merixstudio\n' | dk 1 secret create "$SECRET" - >/dev/null
	fi
	# The store's password: random, made here, never written down.
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' |
	    dk 1 secret create cgi_redis_password_1 - >/dev/null
	# The key of auth's address digests, which redis never gets.
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' |
	    dk 1 secret create cgi_fail_store_key_1 - >/dev/null
	# The users of POST /token (SWARM_USERS_FILE, else the demo's alice),
	# and a signing key made here, which leaves the swarm only as the
	# public JWKS.
	dk 1 secret create cgi_auth_users_1 "${SWARM_USERS_FILE:-$here/docker/auth-users.demo}" >/dev/null
	openssl genpkey -algorithm ed25519 2>/dev/null |
	    dk 1 secret create cgi_auth_signing_key_1 - >/dev/null
}

forwarders_up() {
	local i port
	for ((i = 1; i <= NODES; i++)); do
		check_free $((SWARM_PORT + i - 1))
	done
	for ((i = 1; i <= NODES; i++)); do
		port=$((SWARM_PORT + i - 1))
		setsid systemd-socket-activate -l "127.0.0.1:$port" \
		    nsenter --net="/var/run/netns/cgisw-$i" "$PROXYD" 127.0.0.1:8080 \
		    </dev/null >>"$STATE/forward-$i.log" 2>&1 &
		remember "$RUNROOT/forward-$i.pid" $!
	done
	echo "$SWARM_PORT" > "$RUNROOT/port"
}

# converged: true when every service of the stack runs all its tasks and
# each of them is healthy.
converged() {
	local want have
	want=$(dk 1 service ls --filter "label=com.docker.stack.namespace=$STACK" \
	    --format '{{.Replicas}}') || return 1
	[ -n "$want" ] || return 1
	echo "$want" | awk -F/ '$1 != $2 + 0 || $2 == 0 { bad = 1 } END { exit bad }' || return 1
	# A task is "running" only once its container's healthcheck passed.
	have=$(dk 1 stack ps "$STACK" --filter desired-state=running \
	    --format '{{.CurrentState}}' | grep -vc '^Running' || true)
	[ "$have" = 0 ]
}

deploy() {
	dk 1 stack deploy --prune -c "$here/deploy/swarm/stack.yml" "$STACK" >&2
	wait_converged
}

wait_converged() {
	local i
	for ((i = 0; i < 1200; i++)); do
		converged && return 0
		sleep 0.1
	done
	dk 1 stack ps --no-trunc "$STACK" >&2
	die "the stack did not converge within 120 s"
}

cluster_up() {
	local i
	[ "$(id -u)" -eq 0 ] || die "needs root: it makes network namespaces and dockerds"
	"$here/scripts/deps.sh" docker.io debootstrap iproute2 systemd util-linux
	[ -x "$PROXYD" ] || die "$PROXYD is missing (Debian package systemd)"
	if [ -e /var/run/netns/cgisw-net ] || [ -e "$RUNROOT" ]; then
		die "a swarm from an earlier run is still here: scripts/swarm.sh down first"
	fi
	mkdir -p "$STATE" "$RUNROOT"
	cg_root >/dev/null
	log "$NODES nodes on $NET.0/24, each its own dockerd (logs: $STATE/N/dockerd.log)"
	net_up
	for ((i = 1; i <= NODES; i++)); do
		node_start "$i"
	done
	swarm_form
	log "swarm formed: $(dk 1 node ls --format '{{.Hostname}} {{.ManagerStatus}}' | tr '\n' ' ')"
	images_load
	secret_create
	forwarders_up
}

print_env() {
	echo "export DOCKER_HOST=unix://$RUNROOT/1/docker.sock"
	echo "export GATEWAY=http://127.0.0.1:$SWARM_PORT"
	log "each node's gateway: http://127.0.0.1:$SWARM_PORT .. $((SWARM_PORT + NODES - 1)) (node 1 .. $NODES)"
}

# node_kill N: node N crashes: all of its processes at once (containers,
# shims, containerd, dockerd), then its network goes.
node_kill() {
	cg_kill "$(cg_root)/$1"
	rm -f "$RUNROOT/$1.pid"
	ip -n cgisw-net link set "n$1" down
}

down() {
	local i f
	[ "$(id -u)" -eq 0 ] || die "needs root"
	for f in "$RUNROOT"/forward-*.pid; do
		[ -e "$f" ] && stop_pid "$f" 5
	done
	# Every node an earlier up made, however many: their run
	# directories, state directories and network namespaces.
	for i in $({ find "$RUNROOT" "$STATE" -mindepth 1 -maxdepth 1 -type d \
	    -regex '.*/[0-9]+' -printf '%f\n' 2>/dev/null
	    find /var/run/netns -maxdepth 1 -name 'cgisw-[0-9]*' -printf '%f\n' 2>/dev/null |
	    sed 's/^cgisw-//'; } | sort -un); do
		# Containers first: a dockerd that is gone leaves them running.
		if [ -n "$(ours "$RUNROOT/$i.pid")" ]; then
			dk "$i" ps -q | xargs -r timeout 30 \
			    env DOCKER_HOST="unix://$RUNROOT/$i/docker.sock" \
			    docker rm -f >/dev/null 2>&1 || true
			stop_pid "$RUNROOT/$i.pid" 15
		fi
		cg_kill "$(cg_root)/$i"
		umount_under "$RUNROOT/$i"
		umount_under "$STATE/$i"
		ip netns del "cgisw-$i" 2>/dev/null || true
		rm -rf "${STATE:?}/$i"
	done
	ip netns del cgisw-net 2>/dev/null || true
	cg_remove
	rm -rf "$RUNROOT"
	if [ -e "$STATE/own-build-engine" ]; then
		"$here/scripts/docker-engine.sh" down
		rm -f "$STATE/own-build-engine"
	fi
	rm -f "$STATE"/forward-*.log
	rmdir "$STATE" 2>/dev/null || true
}

case "${1:-}" in
up)
	cluster_up
	deploy
	print_env
	;;
cluster)
	cluster_up
	print_env
	;;
deploy) deploy ;;
wait) wait_converged ;;
cut) ip -n cgisw-net link set "n${2:?node}" down ;;
mend) ip -n cgisw-net link set "n${2:?node}" up ;;
kill) node_kill "${2:?node}" ;;
down) down ;;
*)
	echo "usage: $0 up|cluster|deploy|wait|cut N|mend N|kill N|down" >&2
	exit 2
	;;
esac
