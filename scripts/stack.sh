#!/bin/bash
# Starts and stops the whole stack without Docker: nginx (the gateway) and
# auth.fcgi / info.fcgi under spawn-fcgi, all three supervised by s6
# (Debian's s6: s6-svscan on $RUN_DIR/svc, one s6-supervise per service).
# The service directories are static, committed in s6/: each run is a few
# lines that exec the process, each finish the one .finish; auth and info
# say when they are ready on s6's notification-fd.  This script renders
# the configuration and copies s6/ in (scripts/stack-prepare.sh), starts
# s6-svscan, waits until the stack answers, stops and reloads.
# s6 restarts what dies and signals a service through its supervisor, so
# no pid file is ever read and no signal can reach a process that is not
# ours.  Why s6 rather than runit: its finish script learns how the
# process died and can declare a permanent failure (exit 125), which is
# how a configuration error stops the stack instead of looping; and
# s6-svc -wD waits for a service to be down (docs/operations.md).
#
#   stack.sh run     in the foreground, logs on the terminal, Ctrl-C stops
#   stack.sh start   in the background, logs in $RUN_DIR/logs
#   stack.sh stop    stops what start started
#   stack.sh reload  auth re-reads AUTH_TOKENS_FILE, AUTH_USERS_FILE and
#                    AUTH_SIGNING_KEY_FILE (SIGHUP), no restart
#   stack.sh status  s6-svstat of each service
#   stack.sh users   (root) make the system users cgi-auth and cgi-info
#
# Environment: PORT (8080), BIND (127.0.0.1), RUN_DIR (./run), BIN_DIR
# (./build), AUTH_TOKENS (demo default "merixstudio" unless AUTH_TOKENS_FILE
# is set), and every variable the services read (docs: README).  HTTPS
# beside HTTP on TLS_PORT (8443): TLS=1 makes a throwaway self-signed
# certificate in $RUN_DIR/tls; or TLS_CERT and TLS_KEY name your own.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
# AUTH_TOKENS leaves this script's environment before anything else: a
# foreground run lives as long as the stack, and /proc/PID/environ keeps
# what a process started with, whatever unset does.  The tokens wait in a
# file only this user reads, which prepare moves into auth's envdir.
case ${1:-} in
run | start)
	if [ -n "${AUTH_TOKENS:-}" ]; then
		tf=$(umask 077 && mktemp "${TMPDIR:-/tmp}/cgi-tokens.XXXXXX")
		printf '%s\n' "$AUTH_TOKENS" >"$tf"
		exec env -u AUTH_TOKENS STACK_TOKENS_FILE="$tf" "$0" "$@"
	fi
	;;
esac
if [ -n "${STACK_TOKENS_FILE:-}" ]; then
	# A shell variable, not exported: no child inherits it.
	AUTH_TOKENS=$(cat "$STACK_TOKENS_FILE")
	rm -f "$STACK_TOKENS_FILE"
	unset STACK_TOKENS_FILE
fi
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
# As root, nginx's workers and the services run as www-data, and must reach
# the run directory.  A clone in a home of mode 0700 (root's, usually)
# cannot be reached: the default run directory is then one under /run,
# named after the clone, so that start and stop agree on it.
if [ -z "${RUN_DIR:-}" ]; then
	RUN_DIR=$here/run
	if [ "$(id -u)" -eq 0 ] && ! runuser -u www-data -- test -x "$here"; then
		RUN_DIR=/run/cgi-microservices/$(printf '%s' "$here" | sha256sum | cut -c1-16)
	fi
fi
export RUN_DIR
BIN_DIR=${BIN_DIR:-$here/build}
# How long start waits for the stack to answer, and stop for a process to go.
READY_SECS=${READY_SECS:-10}
STOP_SECS=${STOP_SECS:-10}
# The scan directory: one service directory per process.
SVC=$RUN_DIR/svc
SERVICES="gateway auth info"
# AUTH_FAIL_STORE=local-redis: a redis-server of the stack's own, under s6
# beside the others, holds the failed-login budget (docs/security.md).  It
# listens on a Unix socket in the run directory (redis/redis.sock) only,
# with a password made
# at each start.  Stopped last.
if [ "${AUTH_FAIL_STORE:-}" = local-redis ] || [ -d "$SVC/redis" ]; then
	SERVICES="gateway auth info redis"
fi

# log and log_of, shared with the service directories' scripts.
# shellcheck source=s6/.common
. "$here/s6/.common"
# prepare: all a start writes into the run directory before s6 runs.
# shellcheck source=scripts/stack-prepare.sh
. "$here/scripts/stack-prepare.sh"

# svc_up NAME: true when s6 says NAME's process is up.
svc_up() {
	[ "$(s6-svstat -o up "$SVC/$1" 2>/dev/null)" = true ]
}

# svc_ready NAME: true when NAME said it is ready (its notification-fd).
svc_ready() {
	[ "$(s6-svstat -o ready "$SVC/$1" 2>/dev/null)" = true ]
}

# failed NAME: true when NAME is down for good (its finish said 125).
failed() {
	[ "$(s6-svstat -o up,wantedup "$SVC/$1" 2>/dev/null)" = "false false" ]
}

# scan_alive: true while our s6-svscan answers on its control pipe.
scan_alive() {
	[ -p "$SVC/.s6-svscan/control" ] && s6-svscanctl -a "$SVC" 2>/dev/null
}

stop() {
	local n i down
	scan_alive || { rm -rf "$SVC"; return 0; }
	# The gateway first, so no new request reaches a stopping service.
	for n in $SERVICES; do
		s6-svc -O "$SVC/$n" 2>/dev/null || true
		# The down-signal again every second: nginx's master acts on a
		# signal only when the next one wakes it, if the first came
		# between its handlers' setup and its loop's first sigsuspend (a
		# start stopped at once: supervise.bats saw it wait for SIGKILL).
		down=0
		for ((i = 0; i < STOP_SECS; i++)); do
			if s6-svc -wD -T 1000 -d "$SVC/$n" 2>/dev/null; then
				down=1
				break
			fi
		done
		if [ "$down" = 0 ]; then
			log warn "$n still running after ${STOP_SECS}s: SIGKILL"
			s6-svc -wD -T 5000 -k "$SVC/$n" 2>/dev/null || true
		fi
	done
	s6-svscanctl -t "$SVC" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		scan_alive || break
		sleep 0.1
	done
	rm -rf "$SVC"
}

# owns_port PORT: the TCP listener on PORT is our gateway's (its master's
# pid among the socket's holders), not another stack's.
owns_port() {
	local pid
	pid=$(s6-svstat -o pid "$SVC/gateway" 2>/dev/null) || return 1
	ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$pid,"
}

# problem NAME: the line in NAME's log that says why it stopped at start
# (a service's last error, nginx's last [emerg]); empty in run mode, where
# it is on the terminal already.
problem() {
	local f
	f=$(log_of "$1")
	[ -f "$f" ] || return 0
	if [ "$1" = redis ]; then
		# redis-server's warnings: "PID:M date # what".
		grep -h ' # ' "$f" | tail -n 1 | sed 's/^.* # //'
	elif [ "$1" = gateway ]; then
		# nginx's retries end "still could not bind()": the cause is above.
		grep -h '\[emerg\]' "$f" | grep -v 'still could not bind' |
		    tail -n 1 | sed 's/^.*\[emerg\] \([0-9]*#[0-9]*: \)\{0,1\}//'
	else
		grep -h "\"service\":\"$1\",\"level\":\"error\"" "$f" |
		    tail -n 1 | sed 's/.*"msg":"\(.*\)"}$/\1/'
	fi
}

# wait_ready: every service up, the port ours, and the system answering
# through it: /healthz is 200 once nginx, auth and info all answer (and it
# is no failed login, which POST /login/ without a token would be).  A service down for good ends the wait at once with its
# last line, which names the problem.
wait_ready() {
	local i a n
	for ((i = 0; i < READY_SECS * 10; i++)); do
		for n in $SERVICES; do
			if failed "$n"; then
				log error "$n failed to start: $(problem "$n")"
				return 1
			fi
		done
		if svc_up gateway && svc_ready auth && svc_ready info &&
		    owns_port "$PORT" && redis_ready; then
			a=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
			    "http://127.0.0.1:$PORT/healthz" || true)
			[ "$a" = 200 ] && tls_ready && return 0
		fi
		sleep 0.1
	done
	if svc_up gateway && ! owns_port "$PORT"; then
		log error "port $PORT answers, but not from this stack's gateway (another process holds it)"
	else
		log error "the stack did not answer within ${READY_SECS}s"
	fi
	return 1
}

# redis_ready: the local redis-server listens, when there is one.
redis_ready() {
	case " $SERVICES " in *" redis "*) ;; *) return 0 ;; esac
	svc_up redis && [ -S "$RUN_DIR/redis/redis.sock" ]
}

# tls_ready: HTTPS answers too, when it is on (any certificate: this only
# asks whether nginx listens there).
tls_ready() {
	[ -n "${TLS_LISTEN:-}" ] || return 0
	owns_port "$TLS_PORT" || return 1
	[ "$(curl -sk --noproxy '*' -o /dev/null -w '%{http_code}' \
	    "https://127.0.0.1:$TLS_PORT/healthz" || true)" = 200 ]
}

start() {	# start MODE: "run" logs to the terminal, "start" to files
	local mode=$1 out=$RUN_DIR/logs/stack.log

	if scan_alive; then
		echo "already running in $RUN_DIR (make stop)" >&2
		# That stack is not ours: run's traps must not stop it.
		trap - EXIT INT TERM
		exit 1
	fi
	prepare "$mode"
	[ "$mode" = run ] && out=/dev/stderr
	setsid s6-svscan "$SVC" </dev/null >>"$out" 2>&1 &
	if ! wait_ready; then
		stop
		exit 1
	fi
	log info "ready: http://127.0.0.1:$PORT (run directory $RUN_DIR)"
	if [ -n "${TLS_LISTEN:-}" ]; then
		log info "HTTPS: curl --cacert $TLS_CERT https://127.0.0.1:$TLS_PORT/info"
	fi
}

case "${1:-}" in
run)
	# The sleep too: left behind, it would hold the terminal (or a
	# caller's pipe) for an hour.
	sleeper=
	trap 'stop; [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' INT TERM
	trap 'stop' EXIT
	start run
	log info "Ctrl-C stops the stack"
	# Sleep in the background so that Ctrl-C is handled at once.
	while :; do
		sleep 3600 &
		sleeper=$!
		wait "$sleeper" || true
	done
	;;
start)
	start start
	;;
stop)
	stop
	;;
reload)
	# SIGHUP to auth.fcgi through its supervisor: it swaps in the file's
	# tokens (and the users file and keys, copied in again first), or
	# logs why it kept them.
	copy_auth_files || exit 1
	if ! s6-svc -h "$SVC/auth" 2>/dev/null; then
		log error "no auth running in $RUN_DIR"
		exit 1
	fi
	;;
users)
	# As root: the system users auth and info run as (start makes them
	# too), for whoever prepares their files first.
	service_users
	;;
status)
	for n in $SERVICES; do
		printf '%s: %s\n' "$n" "$(s6-svstat "$SVC/$n" 2>&1)"
	done
	;;
*)
	echo "usage: $0 run|start|stop|reload|status|users" >&2
	exit 2
	;;
esac
