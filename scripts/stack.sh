#!/bin/bash
# Starts and stops the whole stack without Docker: nginx (the gateway) and
# auth.fcgi / info.fcgi under spawn-fcgi, each service watched by a small
# supervisor that restarts it when it dies.  Every process is stopped by its
# pid, never by name.
#
#   stack.sh run     in the foreground, logs on the terminal, Ctrl-C stops
#   stack.sh start   in the background, logs in $RUN_DIR/logs
#   stack.sh stop    stops what start started
#   stack.sh reload  auth re-reads AUTH_TOKENS_FILE (SIGHUP), no restart
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

log() {
	printf '{"time":"%s","service":"stack","level":"%s","msg":"%s"}\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" >&2
}

# True while pid $1 runs.  A zombie counts as gone: once start has
# exited, our processes are reaped by init, which may take seconds.
alive() {
	local st
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# supervise NAME PROGRAM: runs PROGRAM under spawn-fcgi -n on
# $RUN_DIR/NAME.sock, restarts it with backoff when it dies, forwards
# SIGTERM/SIGINT to it and exits when it has stopped.
supervise() {
	local name=$1 prog=$2 child='' stopping=0 rc backoff=100 t0 first=1
	local -a opts=(-n -s "$RUN_DIR/$name.sock")

	if [ "$(id -u)" -eq 0 ]; then
		# Services and nginx workers run as www-data, not root.
		opts+=(-u www-data -g www-data -U www-data -G www-data -M 0660)
	else
		opts+=(-M 0600)
	fi
	trap 'stopping=1; alive "$child" && kill -TERM "$child"' TERM INT
	while [ "$stopping" -eq 0 ]; do
		t0=$SECONDS
		spawn-fcgi "${opts[@]}" -- "$prog" &
		child=$!
		# stop reaches the service by this pid even if we are gone.
		echo "$child" > "$RUN_DIR/pids/$name.child.pid"
		rc=0
		# wait returns early when a trapped signal arrives: wait again.
		while alive "$child"; do
			wait "$child" && rc=0 || rc=$?
		done
		[ "$stopping" -eq 1 ] && exit 0
		if [ "$first" -eq 1 ] && [ "$rc" -eq 1 ] && [ $((SECONDS - t0)) -lt 2 ]; then
			# Exit 1 at once on the first start is the services'
			# configuration error, which restarting will not fix.
			log error "$name exited with status $rc at start: not restarting"
			exit "$rc"
		fi
		first=0
		[ $((SECONDS - t0)) -ge 10 ] && backoff=100
		log warn "$name exited with status $rc: restarting in $backoff ms"
		sleep "$(printf '%d.%03d' $((backoff / 1000)) $((backoff % 1000)))" &
		child=$!
		wait "$child" || true
		backoff=$((backoff * 2 > 5000 ? 5000 : backoff * 2))
	done
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
	LISTEN="$BIND:$PORT" AUTH_UPSTREAM="unix:$RUN_DIR/auth.sock" \
	INFO_UPSTREAM="unix:$RUN_DIR/info.sock" \
	INTERNAL_LISTEN="unix:$RUN_DIR/gateway.sock" \
	ACCESS_LOG="$1" ERROR_LOG="$2" \
	    "$here/nginx/render.sh" > "$RUN_DIR/nginx.conf"
}

stop_pid() {	# stop_pid NAME SIGNAL
	local f="$RUN_DIR/pids/$1.pid" pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if alive "$pid"; then
		kill "-$2" "$pid" 2>/dev/null || true
		for ((i = 0; i < STOP_SECS * 10; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			log warn "$1 (pid $pid) still running after ${STOP_SECS}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

stop() {
	# The gateway first, so no new request reaches a stopping service.
	stop_pid nginx QUIT
	# A supervisor forwards TERM to its service and waits for it; the
	# service's own pid is only needed when its supervisor is gone.
	stop_pid info TERM
	stop_pid info.child TERM
	stop_pid auth TERM
	stop_pid auth.child TERM
}

wait_ready() {
	local i a n
	for ((i = 0; i < READY_SECS * 10; i++)); do
		for n in nginx auth info; do
			if ! alive "$(cat "$RUN_DIR/pids/$n.pid")"; then
				log error "$n stopped during start"
				return 1
			fi
		done
		a=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -X POST \
		    "http://127.0.0.1:$PORT/login/" || true)
		if [ "$a" = 401 ]; then
			a=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
			    "http://127.0.0.1:$PORT/info" || true)
			[ "$a" = 401 ] && tls_ready && return 0
		fi
		sleep 0.1
	done
	log error "the stack did not answer within ${READY_SECS}s"
	return 1
}

# tls_ready: HTTPS answers too, when it is on (any certificate: this only
# asks whether nginx listens there).
tls_ready() {
	[ -n "${TLS_LISTEN:-}" ] || return 0
	[ "$(curl -sk --noproxy '*' -o /dev/null -w '%{http_code}' -X POST \
	    "https://127.0.0.1:$TLS_PORT/login/" || true)" = 401 ]
}

start() {	# start MODE: "run" logs to the terminal, "start" to files
	local mode=$1 out access error

	if [ -z "${AUTH_TOKENS:-}" ] && [ -z "${AUTH_TOKENS_FILE:-}" ]; then
		# The tutorial's token, for the demo only.
		export AUTH_TOKENS=merixstudio
	fi
	if [ -z "${AUTH_URL:-}" ]; then
		# info.fcgi asks auth through the gateway's internal socket,
		# which POST /login/'s rate limit does not count.
		export AUTH_URL=http://localhost/login/
		export AUTH_UNIX_SOCKET="$RUN_DIR/gateway.sock"
	fi
	if [ -f "$RUN_DIR/pids/nginx.pid" ] && alive "$(cat "$RUN_DIR/pids/nginx.pid")"; then
		echo "already running in $RUN_DIR (make stop)" >&2
		exit 1
	fi
	mkdir -p "$RUN_DIR/pids" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/conf.d"
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
	for n in auth info; do
		[ "$mode" = run ] || out=$RUN_DIR/logs/$n.log
		setsid "$0" supervise "$n" "$BIN_DIR/$n.fcgi" </dev/null >>"$out" 2>&1 &
		echo $! > "$RUN_DIR/pids/$n.pid"
	done
	[ "$mode" = run ] || out=$RUN_DIR/logs/gateway.error.log
	setsid nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr </dev/null >>"$out" 2>&1 &
	echo $! > "$RUN_DIR/pids/nginx.pid"
	if ! wait_ready; then
		stop
		[ "$mode" = run ] || tail -n 5 "$RUN_DIR"/logs/*.log >&2
		exit 1
	fi
	log info "ready: http://127.0.0.1:$PORT (run directory $RUN_DIR)"
	if [ -n "${TLS_LISTEN:-}" ]; then
		log info "HTTPS: curl --cacert $TLS_CERT https://127.0.0.1:$TLS_PORT/info"
	fi
}

case "${1:-}" in
supervise)
	supervise "$2" "$3"
	;;
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
	# SIGHUP to the running auth.fcgi (not its supervisor, which would
	# die of it): it swaps in the file's tokens or logs why it kept them.
	pid=$(cat "$RUN_DIR/pids/auth.child.pid" 2>/dev/null) ||
	    { log error "no auth running in $RUN_DIR"; exit 1; }
	kill -HUP "$pid"
	;;
*)
	echo "usage: $0 run|start|stop|reload" >&2
	exit 2
	;;
esac
