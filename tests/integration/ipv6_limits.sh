#!/bin/bash
# ipv6_limits.sh ROOT: run in a network namespace of its own (unshare
# --net, as root, from limits.bats).  Gives loopback IPv6 addresses in two
# /64s, starts a stack whose gateway also listens on one of them, and
# prints one line per check: the statuses it got, from which addresses.
# Stops the stack before it exits.
set -eu
root=$1
ip link set lo up
for a in 1:2::1 1:2::a 1:2::b 1:2:1:0:0:0 1:2::c 1:2::d 1:3::a 1:3::c; do
	ip -6 addr add "2001:db8:$a/128" dev lo nodad
done
RUN_DIR=$(mktemp -d /tmp/cgi-stack.XXXXXX)
PORT=18080
export RUN_DIR PORT
chmod 0755 "$RUN_DIR"
mkdir -p "$RUN_DIR/conf.d"
echo "listen [2001:db8:1:2::1]:$PORT;" >"$RUN_DIR/conf.d/v6.conf"
trap '"$root/scripts/stack.sh" stop >/dev/null 2>&1; rm -rf "$RUN_DIR"' EXIT
# The gateway's limit: 1 a minute and a burst of 3; auth's budget: 3
# failed logins a minute.
env LOGIN_RATE=1r/m LOGIN_BURST=3 AUTH_FAIL_LIMIT=3 AUTH_FAIL_WINDOW_MS=60000 \
    READY_SECS=15 "$root/scripts/stack.sh" start 2>"$RUN_DIR/start.log" ||
	{ cat "$RUN_DIR/start.log" >&2; exit 1; }

# st FROM METHOD PATH TOKEN: the status of one request from address FROM.
st() {
	curl -s -o /dev/null -w '%{http_code}' -m 10 --interface "2001:db8:$1" \
	    -X "$2" -H "Authorization: $4" "http://[2001:db8:1:2::1]:$PORT$3"
}

# POST /login/ with the right token: 4 within the burst from three
# addresses of one /64 (written three ways by nginx), then a 5th from a
# fourth address of it: refused; another /64 is not.
echo "gateway: $(st 1:2::a POST /login/ merixstudio) $(st 1:2::b POST /login/ merixstudio)" \
    "$(st 1:2:1:0:0:0 POST /login/ merixstudio) $(st 1:2::a POST /login/ merixstudio)" \
    "$(st 1:2::c POST /login/ merixstudio) other /64: $(st 1:3::a POST /login/ merixstudio)"
# GET /info, which the gateway does not limit: 3 wrong tokens from one
# address spend auth's budget for its /64; the right token from another
# address of it is refused, from another /64 it is not.
echo "auth: $(st 1:2::c GET /info wrong) $(st 1:2::c GET /info wrong) $(st 1:2::d GET /info wrong)" \
    "$(st 1:2::a GET /info merixstudio) other /64: $(st 1:3::c GET /info merixstudio)"
