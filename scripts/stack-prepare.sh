# shellcheck shell=bash
# Sourced by scripts/stack.sh: prepare MODE writes all a start needs into
# the run directory before s6 runs: its directories, the TLS certificate
# (TLS=1), nginx.conf from the template, /docs' files, the binaries where
# www-data reaches them, the service directories with auth's and info's
# envdirs, and local-redis's configuration.  Reads here, RUN_DIR, BIN_DIR,
# PORT, BIND, SVC and SERVICES from stack.sh.
# shellcheck disable=SC2154  # those are set by stack.sh, which sources this

# make_services: the scan directory: a copy of s6/ (each service's static
# run and finish, .common and .finish beside them), and auth's and info's
# envdirs, which their run scripts read: what is one service's is in no
# other process's environment.
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
	mkdir -m 0700 "$SVC/auth/env" "$SVC/info/env"
	if [ -n "$auth_tokens" ]; then
		(umask 077 && printf '%s\n' "$auth_tokens" >"$SVC/auth/env/AUTH_TOKENS")
	fi
	# The issuer of auth's access tokens: the gateway's address (info
	# checks it in the tokens it verifies itself).
	if [ -z "${AUTH_ISSUER:-}" ]; then
		case $BIND in
		*:*) echo "http://[$BIND]:$PORT" ;;
		*) echo "http://$BIND:$PORT" ;;
		esac >"$SVC/auth/env/AUTH_ISSUER"
		cp "$SVC/auth/env/AUTH_ISSUER" "$SVC/info/env/AUTH_ISSUER"
	fi
	if [ -z "${AUTH_URL:-}" ]; then
		# info.fcgi asks auth through the gateway's internal socket,
		# which POST /login/'s rate limit does not count.
		echo http://localhost/login/ >"$SVC/info/env/AUTH_URL"
		echo "$RUN_DIR/internal/gateway.sock" >"$SVC/info/env/AUTH_UNIX_SOCKET"
	fi
}

# service_users: as root, the system users auth and info run as, made
# once (no home, no shell), as the systemd units have them.
service_users() {
	local u
	for u in cgi-auth cgi-info; do
		id -u "$u" >/dev/null 2>&1 && continue
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$u"
		log info "made the system user $u (auth and info run as their own users)"
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
	# nginx's workers (www-data as root) load the Lua files when they
	# start: a copy in the run directory, which they reach, unlike a
	# clone in a home of mode 0700.
	mkdir -p "$RUN_DIR/lua"
	cp "$here"/nginx/*.lua "$RUN_DIR/lua/"
	chmod 0644 "$RUN_DIR"/lua/*.lua
	LUA_DIR="$RUN_DIR/lua" \
	LISTEN="$BIND:$PORT" AUTH_UPSTREAM="unix:$RUN_DIR/auth.sock" \
	INFO_UPSTREAM="unix:$RUN_DIR/info.sock" \
	INTERNAL_LISTEN="unix:$RUN_DIR/internal/gateway.sock" \
	ACCESS_LOG="$1" ERROR_LOG="$2" \
	    "$here/nginx/render.sh" > "$RUN_DIR/nginx.conf"
}

# redis_setup: for AUTH_FAIL_STORE=local-redis, the local redis-server's
# configuration and a new random password, readable by the user that runs
# redis and auth alone, and a new random key for auth's address digests
# (RUN_DIR/auth-key, outside redis's directory); auth is pointed at its
# socket (in its envdir).
redis_setup() {
	local d=$RUN_DIR/redis
	[ "${AUTH_FAIL_STORE:-}" = local-redis ] || return 0
	if ! command -v redis-server >/dev/null; then
		echo "AUTH_FAIL_STORE=local-redis needs redis-server (make deps, or apt-get install redis-server)" >&2
		exit 1
	fi
	rm -rf "$d"
	mkdir -m 0700 "$d"
	rm -rf "$RUN_DIR/auth-key"
	mkdir -m 0700 "$RUN_DIR/auth-key"
	(
		umask 077
		head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/password"
		# The key of the address digests: auth's alone, never redis's.
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/auth-key/key"
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
	[ "$(id -u)" -ne 0 ] || chown -R cgi-auth:cgi-auth "$d" "$RUN_DIR/auth-key"
	echo "unix:$d/redis.sock" >"$SVC/auth/env/AUTH_FAIL_STORE"
	echo "$d/password" >"$SVC/auth/env/AUTH_FAIL_STORE_PASSWORD_FILE"
	echo "$RUN_DIR/auth-key/key" >"$SVC/auth/env/AUTH_FAIL_STORE_KEY_FILE"
}

# auth_files: auth's users file and signing key, in RUN_DIR/auth-files,
# its user's alone: copies of AUTH_USERS_FILE and AUTH_SIGNING_KEY_FILE
# (which may sit where auth's user cannot read, a clone in a 0700 home; a
# reload copies them again: copy_auth_files), or, with a users file and no
# key, a new Ed25519 key made at each start (the last run's tokens stop
# working).  auth is pointed at them in its envdir.
auth_files() {
	local d=$RUN_DIR/auth-files
	rm -rf "$d"
	[ -n "${AUTH_USERS_FILE:-}" ] || [ -n "${AUTH_SIGNING_KEY_FILE:-}" ] || return 0
	mkdir -m 0700 "$d"
	printf '%s\n' "${AUTH_USERS_FILE:-}" >"$d/users.source"
	printf '%s\n' "${AUTH_SIGNING_KEY_FILE:-}" >"$d/key.source"
	if [ -z "${AUTH_SIGNING_KEY_FILE:-}" ]; then
		(umask 077 && openssl genpkey -algorithm ed25519 -out "$d/key.pem")
	fi
	copy_auth_files
	[ -z "${AUTH_USERS_FILE:-}" ] || echo "$d/users" >"$SVC/auth/env/AUTH_USERS_FILE"
	echo "$d/key.pem" >"$SVC/auth/env/AUTH_SIGNING_KEY_FILE"
}

# copy_auth_files: the sources named in RUN_DIR/auth-files, copied in
# whole (a new file, then mv), for auth's user alone.
copy_auth_files() {
	local d=$RUN_DIR/auth-files src dst pair
	[ -d "$d" ] || return 0
	for pair in users.source:users key.source:key.pem; do
		src=$(cat "$d/${pair%%:*}")
		dst=$d/${pair#*:}
		[ -n "$src" ] || continue
		if [ ! -r "$src" ]; then
			echo "cannot read $src (${pair%%.*} file for auth)" >&2
			return 1
		fi
		(umask 077 && cp "$src" "$dst.new")
		mv "$dst.new" "$dst"
	done
	[ "$(id -u)" -ne 0 ] || chown -R cgi-auth:cgi-auth "$d"
}

prepare() {	# prepare MODE: "run" keeps the gateway's logs on the terminal
	local mode=$1 access error

	if [ -z "${AUTH_TOKENS:-}" ] && [ -z "${AUTH_TOKENS_FILE:-}" ]; then
		# The tutorial's token, for the demo only.
		AUTH_TOKENS=merixstudio
	fi
	# The tokens go to auth's envdir (make_services), not into the
	# environment every process of the stack inherits.
	auth_tokens=${AUTH_TOKENS:-}
	unset AUTH_TOKENS
	mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/conf.d" "$RUN_DIR/internal"
	# Who reaches what (docs/security.md, "Boundaries").  As root: nginx's
	# workers (www-data) and the services (cgi-auth, cgi-info) traverse
	# the run directory but cannot list it; each service's socket is its
	# user's and www-data's (s6/.common); the gateway's internal listener
	# is in internal/, which only info's user enters.  Otherwise all is
	# one user's, and no other user enters the run directory.
	if [ "$(id -u)" -eq 0 ]; then
		service_users
		chmod 0711 "$RUN_DIR"
		chown root:cgi-info "$RUN_DIR/internal"
		chmod 0750 "$RUN_DIR/internal"
		chown www-data "$RUN_DIR/tmp"
		if ! runuser -u www-data -- test -x "$RUN_DIR"; then
			echo "www-data (nginx's workers) cannot reach $RUN_DIR:" \
			    "let its parent directories be traversed (chmod o+x)" >&2
			exit 1
		fi
	else
		chmod 0700 "$RUN_DIR" "$RUN_DIR/internal"
	fi
	if [ "$mode" = run ]; then
		access=/dev/stdout error=stderr
	else
		access=$RUN_DIR/logs/gateway.access.log
		error=$RUN_DIR/logs/gateway.error.log
	fi
	tls_setup
	render "$access" "$error"
	# /openapi.json and /docs (Swagger UI).
	"$here/scripts/www.sh" "$RUN_DIR/www"
	# nginx makes it at start and removes it at a clean stop only.
	rm -f "$RUN_DIR/internal/gateway.sock"
	nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr
	# The services run as their users: binaries they cannot reach (a clone
	# in a 0700 home) are copied into the run directory first.
	if [ "$(id -u)" -eq 0 ] && { ! runuser -u cgi-auth -- test -x "$BIN_DIR/auth.fcgi" ||
	    ! runuser -u cgi-info -- test -x "$BIN_DIR/info.fcgi"; }; then
		mkdir -p "$RUN_DIR/bin"
		cp "$BIN_DIR/auth.fcgi" "$BIN_DIR/info.fcgi" "$RUN_DIR/bin/"
		BIN_DIR=$RUN_DIR/bin
	fi
	export STACK_MODE=$mode BIN_DIR
	make_services
	redis_setup
	auth_files
}
