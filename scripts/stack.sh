#!/bin/bash
# Starts and stops the whole stack without Docker: nginx (the gateway) and
# auth.fcgi / info.fcgi under spawn-fcgi, all three supervised by s6
# (Debian's s6: s6-svscan on $RUN_DIR/svc, one s6-supervise per service).
# The service directories are static, committed in s6/: each run is a few
# lines that exec the process, each finish the one .finish; auth and info
# say when they are ready on s6's notification-fd.  This script renders
# the configuration, copies s6/ in, starts, waits, stops and reloads.
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
#   stack.sh reload  auth re-reads AUTH_TOKENS_FILE (SIGHUP), no restart
#   stack.sh status  s6-svstat of each service
#
# Environment: PORT (8080), BIND (127.0.0.1), RUN_DIR (./run), BIN_DIR
# (./build), AUTH_TOKENS (demo default "merixstudio" unless AUTH_TOKENS_FILE
# is set), and every variable the services read (docs: README).  HTTPS
# beside HTTP on TLS_PORT (8443): TLS=1 makes a throwaway self-signed
# certificate in $RUN_DIR/tls; or TLS_CERT and TLS_KEY name your own.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
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

# make_services: the scan directory: a copy of s6/ (each service's static
# run and finish, .common and .finish beside them), and auth's envdir.
make_services() {
	local n
	rm -rf "$SVC"
	mkdir -p "$SVC"
	cp "$here/s6/.common" "$here/s6/.finish" "$SVC/"
	for n in $SERVICES; do
		cp -R "$here/s6/$n" "$SVC/$n"
	done
	# auth's envdir (AUTH_TOKENS, when given), read by its run script
	# alone: the tokens are in no other process's environment
	# (s6-svscan, s6-supervise, nginx, info).
	mkdir -m 0700 "$SVC/auth/env"
	if [ -n "$auth_tokens" ]; then
		(umask 077 && printf '%s\n' "$auth_tokens" >"$SVC/auth/env/AUTH_TOKENS")
	fi
}

# scan_alive: true while our s6-svscan answers on its control pipe.
scan_alive() {
	[ -p "$SVC/.s6-svscan/control" ] && s6-svscanctl -a "$SVC" 2>/dev/null
}

stop() {
	local n i
	scan_alive || { rm -rf "$SVC"; return 0; }
	# The gateway first, so no new request reaches a stopping service.
	for n in $SERVICES; do
		s6-svc -O "$SVC/$n" 2>/dev/null || true
		if ! s6-svc -wD -T $((STOP_SECS * 1000)) -d "$SVC/$n" 2>/dev/null; then
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

# tls_setup: with TLS=1 (and no TLS_CERT), a self-signed certificate for
# 127.0.0.1 and localhost, valid 90 days, made anew at each start; its key
# readable by its owner only (nginx's master reads it before dropping to
# www-data).  Exports what nginx/render.sh reads.
tls_setup() {
	local d=$RUN_DIR/tls
	if [ -z "${TLS_CERT:-}" ] && [ "${TLS:-0}" = 1 ]; then
		mkdir -p "$d"
		chmod 0700 "$d"
		if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -days 90 -subj "/CN=localhost" \
		    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		    -keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/openssl.log"; then
			cat "$d/openssl.log" >&2
			return 1
		fi
		chmod 0600 "$d/key.pem"
		chmod 0644 "$d/cert.pem"
		TLS_CERT=$d/cert.pem TLS_KEY=$d/key.pem
	fi
	[ -n "${TLS_CERT:-}" ] || return 0
	TLS_PORT=${TLS_PORT:-8443}
	export TLS_LISTEN="$BIND:$TLS_PORT" TLS_CERT TLS_KEY TLS_PORT
}

render() {	# render ACCESS_LOG ERROR_LOG
	# nginx's workers (www-data as root) load the Lua files when they
	# start: a copy in the run directory, which they reach, unlike a
	# clone in a home of mode 0700.
	mkdir -p "$RUN_DIR/lua"
	cp "$here"/nginx/*.lua "$RUN_DIR/lua/"
	chmod 0644 "$RUN_DIR"/lua/*.lua
	LUA_DIR="$RUN_DIR/lua" \
	LISTEN="$BIND:$PORT" AUTH_UPSTREAM="unix:$RUN_DIR/auth.sock" \
	INFO_UPSTREAM="unix:$RUN_DIR/info.sock" \
	INTERNAL_LISTEN="unix:$RUN_DIR/gateway.sock" \
	ACCESS_LOG="$1" ERROR_LOG="$2" \
	    "$here/nginx/render.sh" > "$RUN_DIR/nginx.conf"
}

# redis_setup: for AUTH_FAIL_STORE=local-redis, the local redis-server's
# configuration and a new random password, readable by the user that runs
# redis and auth alone; auth is pointed at its socket.
redis_setup() {
	local d=$RUN_DIR/redis
	[ "${AUTH_FAIL_STORE:-}" = local-redis ] || return 0
	if ! command -v redis-server >/dev/null; then
		echo "AUTH_FAIL_STORE=local-redis needs redis-server (make deps, or apt-get install redis-server)" >&2
		exit 1
	fi
	rm -rf "$d"
	mkdir -m 0700 "$d"
	(
		umask 077
		head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/password"
		# No TCP port, no persistence: the budget lives as long as
		# its windows, and a restart forgets it (docs/security.md).
		cat >"$d/redis.conf" <<-EOF
		port 0
		unixsocket $d/redis.sock
		unixsocketperm 700
		requirepass $(cat "$d/password")
		save ""
		appendonly no
		dir $d
		daemonize no
		EOF
	)
	[ "$(id -u)" -ne 0 ] || chown -R www-data:www-data "$d"
	export AUTH_FAIL_STORE="unix:$d/redis.sock"
	export AUTH_FAIL_STORE_PASSWORD_FILE="$d/password"
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
	local mode=$1 out access error

	if [ -z "${AUTH_TOKENS:-}" ] && [ -z "${AUTH_TOKENS_FILE:-}" ]; then
		# The tutorial's token, for the demo only.
		AUTH_TOKENS=merixstudio
	fi
	# The tokens go to auth's envdir (make_services), not into the
	# environment every process of the stack inherits.
	auth_tokens=${AUTH_TOKENS:-}
	unset AUTH_TOKENS
	if [ -z "${AUTH_URL:-}" ]; then
		# info.fcgi asks auth through the gateway's internal socket,
		# which POST /login/'s rate limit does not count.
		export AUTH_URL=http://localhost/login/
		export AUTH_UNIX_SOCKET="$RUN_DIR/gateway.sock"
	fi
	if scan_alive; then
		echo "already running in $RUN_DIR (make stop)" >&2
		# That stack is not ours: run's traps must not stop it.
		trap - EXIT INT TERM
		exit 1
	fi
	mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/conf.d"
	# nginx workers (www-data when root) reach the sockets through it.
	chmod 0755 "$RUN_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown www-data "$RUN_DIR/tmp"
		if ! runuser -u www-data -- test -x "$RUN_DIR"; then
			echo "www-data (nginx's workers and the services) cannot reach $RUN_DIR:" \
			    "let its parent directories be traversed (chmod o+x)" >&2
			exit 1
		fi
	fi
	if [ "$mode" = run ]; then
		out=/dev/stderr access=/dev/stdout error=stderr
	else
		out=$RUN_DIR/logs/stack.log
		access=$RUN_DIR/logs/gateway.access.log
		error=$RUN_DIR/logs/gateway.error.log
	fi
	tls_setup
	redis_setup
	render "$access" "$error"
	# /openapi.json and /docs (Swagger UI).
	"$here/scripts/www.sh" "$RUN_DIR/www"
	# nginx makes it at start and removes it at a clean stop only.
	rm -f "$RUN_DIR/gateway.sock"
	nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr
	# The services run as www-data: binaries it cannot reach (a clone in a
	# 0700 home) are copied into the run directory first.
	if [ "$(id -u)" -eq 0 ] && ! runuser -u www-data -- test -x "$BIN_DIR/auth.fcgi"; then
		mkdir -p "$RUN_DIR/bin"
		cp "$BIN_DIR/auth.fcgi" "$BIN_DIR/info.fcgi" "$RUN_DIR/bin/"
		BIN_DIR=$RUN_DIR/bin
	fi
	export STACK_MODE=$mode BIN_DIR
	make_services
	[ "$mode" = run ] || out=$RUN_DIR/logs/stack.log
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
	trap 'stop; exit 0' INT TERM
	trap 'stop' EXIT
	start run
	log info "Ctrl-C stops the stack"
	# Sleep in the background so that Ctrl-C is handled at once.
	while :; do
		sleep 3600 &
		wait $! || true
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
	# tokens, or logs why it kept them.
	if ! s6-svc -h "$SVC/auth" 2>/dev/null; then
		log error "no auth running in $RUN_DIR"
		exit 1
	fi
	;;
status)
	for n in $SERVICES; do
		printf '%s: %s\n' "$n" "$(s6-svstat "$SVC/$n" 2>&1)"
	done
	;;
*)
	echo "usage: $0 run|start|stop|reload|status" >&2
	exit 2
	;;
esac
