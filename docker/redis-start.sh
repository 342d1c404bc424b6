#!/bin/sh
# redis-start.sh: the store of the shared failed-login budget
# (AUTH_FAIL_STORE), as compose and the swarm stack run it.  The password
# comes from the secret file REDIS_PASSWORD_FILE
# (/run/secrets/redis_password) into redis-server's configuration on its
# standard input: it is on no command line and in no environment.  No
# persistence (the budget lives as long as its windows); memory bounded,
# and when it is full the keys nearest their end go first (every key has
# a TTL).
set -eu

f=${REDIS_PASSWORD_FILE:-/run/secrets/redis_password}
pw=$(head -n 1 "$f")
[ -n "$pw" ] || { echo "redis-start: $f holds no password" >&2; exit 1; }
exec redis-server - <<CONF
bind 0.0.0.0
port 6379
protected-mode no
requirepass $pw
save ""
appendonly no
maxmemory ${REDIS_MAXMEMORY:-64mb}
maxmemory-policy volatile-ttl
CONF
