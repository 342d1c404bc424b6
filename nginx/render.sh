#!/bin/sh
# Renders nginx/gateway.conf.template to standard output: the one way the
# gateway's configuration is made, for make run (scripts/stack.sh) and for the
# gateway container alike.  Checks every value it puts into the configuration
# first (the shapes below); a bad one stops here
# with a line naming the variable.
#
# Environment (required): LISTEN, AUTH_UPSTREAM, INFO_UPSTREAM, RUN_DIR,
# ACCESS_LOG, ERROR_LOG.  Optional: LUA_DIR (this directory: where nginx/*.lua
# are, readable by nginx's workers), INTERNAL_LISTEN (unix:$RUN_DIR/internal/gateway.sock),
# NGINX_WORKERS (auto), CLIENT_TIMEOUT (10s), METRICS_ALLOW ("127.0.0.1 ::1":
# addresses or CIDRs that may read /metrics/* on the public listener; the
# internal listener always may), LOGIN_RATE (10r/s, or off: /login/'s and
# /token's; /token keeps 10r/s when off), TOKEN_RATE (/token's alone, or
# off), LOGIN_BURST (20),
# NGINX_USER (www-data when run as root, else none), RESOLVER (none: the
# upstreams' names are resolved once at start; an address, such as Docker's
# 127.0.0.11: each nginx worker re-resolves them every second, nginx/peers.lua,
# so replicas that come and go are followed), TLS_LISTEN (none: no HTTPS; an address:port or port to serve
# HTTPS and HTTP/2 on, with TLS_CERT and TLS_KEY, PEM files nginx's master
# reads at start).
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "render: $*" >&2
	exit 1
}

for v in LISTEN AUTH_UPSTREAM INFO_UPSTREAM RUN_DIR ACCESS_LOG ERROR_LOG; do
	eval "[ -n \"\${$v:-}\" ]" || die "$v: not set"
done
# plain_path VAR: paths go into nginx's configuration unquoted, where a
# space or a quote would break it (or change it): only plain paths pass.
plain_path() {
	eval "f=\${$1:-}"
	# shellcheck disable=SC2154  # set by the eval
	case $f in
	*[!A-Za-z0-9._/+-]*) die "$1: a path of letters, digits and . _ / + - only, got '$f'" ;;
	esac
}
for v in RUN_DIR ACCESS_LOG ERROR_LOG; do
	plain_path "$v"
done
INTERNAL_LISTEN=${INTERNAL_LISTEN:-unix:$RUN_DIR/internal/gateway.sock}
# plain_address VAR: a listen or upstream address (port, host:port,
# [v6]:port, unix:/path) goes into nginx's configuration unquoted too.
plain_address() {
	eval "a=\${$1:-}"
	# shellcheck disable=SC2154  # set by the eval
	case $a in
	'' | *[!A-Za-z0-9._/:+\[\]-]*) die "$1: expected a port, host:port or unix:/path, got '$a'" ;;
	esac
}
for v in LISTEN INTERNAL_LISTEN AUTH_UPSTREAM INFO_UPSTREAM; do
	plain_address "$v"
done
NGINX_WORKERS=${NGINX_WORKERS:-auto}
LOGIN_RATE=${LOGIN_RATE:-10r/s}
LOGIN_BURST=${LOGIN_BURST:-20}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-10s}
METRICS_ALLOW=${METRICS_ALLOW:-127.0.0.1 ::1}

# rate VAR: VAR's value is Nr/s, Nr/m or off, or rendering stops here.
rate() {
	eval "r=\$$1"
	# shellcheck disable=SC2154  # set by the eval
	case $r in
	off) return ;;
	*[!0-9]*r/[sm] | r/[sm]) ;;
	*r/[sm]) return ;;
	esac
	die "$1: expected like 10r/s or 600r/m, or off, got '$r'"
}
rate LOGIN_RATE
LOGIN_LIMIT=''
[ "$LOGIN_RATE" = off ] || LOGIN_LIMIT="limit_req zone=login burst=$LOGIN_BURST nodelay;"
case $LOGIN_BURST in
'' | *[!0-9]*) die "LOGIN_BURST: expected a whole number, got '$LOGIN_BURST'" ;;
esac
# POST /token is an Argon2 check: its own zone, TOKEN_RATE (LOGIN_RATE, or
# 10r/s when that is off; off only for a gateway behind another limit, or
# a bench of auth's own defence).  Past LOGIN_BURST the excess waits in
# nginx instead of an instant 429, as many requests per address as 4 s of
# the rate lets through, at most 64 (40 at 10r/s; none at 1r/m): a flood
# that is answered at once comes straight back and takes the CPU that
# everyone's logins need.
if [ -z "${TOKEN_RATE:-}" ]; then
	TOKEN_RATE=$LOGIN_RATE
	[ "$LOGIN_RATE" = off ] && TOKEN_RATE=10r/s
fi
rate TOKEN_RATE
if [ "$TOKEN_RATE" = off ]; then
	TOKEN_LIMIT='' TOKEN_RATE=1r/s	# the zone is declared, unused
else
	n=${TOKEN_RATE%r/*}
	case $TOKEN_RATE in
	*r/s) wait_places=$((n * 4)) ;;
	*) wait_places=$((n * 4 / 60)) ;;
	esac
	[ "$wait_places" -le 64 ] || wait_places=64
	TOKEN_LIMIT="limit_req zone=token burst=$((LOGIN_BURST + wait_places)) delay=$LOGIN_BURST;"
fi
[ "$LOGIN_RATE" = off ] && LOGIN_RATE=1r/s	# the zone is declared, unused
case $CLIENT_TIMEOUT in
*[!0-9]*ms | ms | *[!0-9]*s | s) die "CLIENT_TIMEOUT: expected like 10s or 500ms, got '$CLIENT_TIMEOUT'" ;;
*ms | *s) ;;
*) die "CLIENT_TIMEOUT: expected like 10s or 500ms, got '$CLIENT_TIMEOUT'" ;;
esac
case $NGINX_WORKERS in
auto) ;;
'' | *[!0-9]* | 0) die "NGINX_WORKERS: expected auto or a number from 1, got '$NGINX_WORKERS'" ;;
esac
# Requests that arrive on the internal listener (info.fcgi's calls to auth)
# are told apart by the port they came in on; a unix socket has none.
case $INTERNAL_LISTEN in
unix:*) INTERNAL_PORT='' ;;
*) INTERNAL_PORT=${INTERNAL_LISTEN##*:} ;;
esac
case $INTERNAL_PORT in
*[!0-9]*) die "INTERNAL_LISTEN: expected unix:/path, port or address:port, got '$INTERNAL_LISTEN'" ;;
esac
# How nginx finds auth and info.  Connections are kept either way, 32 idle
# per nginx worker and service: svc (worker.c) never ties a thread to an
# idle one, and saves the connect, accept and close of every request
# (GET /info: ~+25 %, docs/architecture.md).  Without a resolver: upstream
# blocks, the names resolved once at start.  With one (containers): every
# worker re-resolves each name once a second and balances over all its
# addresses (nginx/peers.lua, Debian's nginx Lua module), so replicas that
# come and go are followed without a reload.
# Debian's Lua module: the gateway's metrics (nginx/gwmetrics.lua), and
# peers.lua below.  lua_package_path names LUA_DIR (this directory unless
# set: nginx's workers load the files, and must be able to read them),
# unquoted by nginx's rules.
LUA_DIR=${LUA_DIR:-$here}
plain_path LUA_DIR
MODULES="load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;"
if [ -z "${RESOLVER:-}" ]; then
	UPSTREAMS="upstream auth { server $AUTH_UPSTREAM; keepalive 32; }
    upstream info { server $INFO_UPSTREAM; keepalive 32; }"
else
	case $RESOLVER in
	*[!0-9.]* | '') die "RESOLVER: expected an IPv4 address such as 127.0.0.11, got '$RESOLVER'" ;;
	esac
	for v in AUTH_UPSTREAM INFO_UPSTREAM; do
		eval "u=\$$v"
		# shellcheck disable=SC2154  # set by the eval
		case ${u%:*}:${u##*:} in
		*[!A-Za-z0-9.:-]* | :* | *: | *:*[!0-9]*) die "$v: with RESOLVER, expected host:port, got '$u'" ;;
		esac
	done
	# peers.lua picks each request's address; the server line is a
	# placeholder that is never connected to.  The quotes are nginx's
	# (text for envsubst, not words for the shell).
	# shellcheck disable=SC2089
	UPSTREAMS="init_by_lua_block {
        require(\"peers\").init(\"$RESOLVER\", { auth = \"$AUTH_UPSTREAM\", info = \"$INFO_UPSTREAM\" })
    }
    init_worker_by_lua_block { require(\"peers\").start() }
    upstream auth {
        server 0.0.0.1:9;
        balancer_by_lua_block { require(\"peers\").pick(\"auth\") }
        keepalive 32;
    }
    upstream info {
        server 0.0.0.1:9;
        balancer_by_lua_block { require(\"peers\").pick(\"info\") }
        keepalive 32;
    }"
fi
METRICS_GEO=''
for a in $METRICS_ALLOW; do
	case $a in
	*[!0-9a-fA-F.:/]*) die "METRICS_ALLOW: expected addresses or CIDRs, got '$a'" ;;
	esac
	METRICS_GEO="$METRICS_GEO $a 1;"
done
# HTTPS: Mozilla's "intermediate" profile (TLS 1.2 and 1.3, forward-secret
# AEAD suites only), resumption by a shared session cache (no tickets:
# their key would never rotate), HTTP/2 and HTTP/1.1 by ALPN.
TLS=''
if [ -n "${TLS_LISTEN:-}" ]; then
	case $TLS_LISTEN in
	*[!0-9a-zA-Z.:\[\]]* | *:) die "TLS_LISTEN: expected port or address:port, got '$TLS_LISTEN'" ;;
	esac
	for v in TLS_CERT TLS_KEY; do
		eval "f=\${$v:-}"
		# shellcheck disable=SC2154  # set by the eval
		[ -n "$f" ] || die "$v: not set (TLS_LISTEN needs a certificate and its key)"
		[ -r "$f" ] || die "$v: cannot read '$f'"
		plain_path "$v"
	done
	TLS="listen $TLS_LISTEN ssl http2;
        ssl_certificate $TLS_CERT;
        ssl_certificate_key $TLS_KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:TLS:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;"
fi
if [ -z "${NGINX_USER+x}" ]; then
	NGINX_USER=''
	[ "$(id -u)" -eq 0 ] && NGINX_USER=www-data
fi
case $NGINX_USER in
*[!A-Za-z0-9._-]*) die "NGINX_USER: expected a user name, got '$NGINX_USER'" ;;
esac
NGINX_USER_LINE=''
[ -n "$NGINX_USER" ] && NGINX_USER_LINE="user $NGINX_USER;"

# shellcheck disable=SC2090  # UPSTREAMS: text for envsubst
export LISTEN INTERNAL_LISTEN INTERNAL_PORT AUTH_UPSTREAM INFO_UPSTREAM RUN_DIR \
    ACCESS_LOG ERROR_LOG NGINX_WORKERS NGINX_USER_LINE LOGIN_RATE LOGIN_BURST TOKEN_RATE TOKEN_LIMIT \
    LOGIN_LIMIT CLIENT_TIMEOUT UPSTREAMS METRICS_GEO MODULES LUA_DIR TLS
# shellcheck disable=SC2016  # the names are for envsubst, not the shell
envsubst '${LISTEN} ${INTERNAL_LISTEN} ${INTERNAL_PORT} ${UPSTREAMS}
${RUN_DIR} ${ACCESS_LOG} ${ERROR_LOG} ${NGINX_WORKERS} ${NGINX_USER_LINE}
${LOGIN_RATE} ${LOGIN_LIMIT} ${TOKEN_RATE} ${TOKEN_LIMIT} ${CLIENT_TIMEOUT} ${METRICS_GEO} ${MODULES} ${LUA_DIR}
${TLS}' < "$here/gateway.conf.template"
