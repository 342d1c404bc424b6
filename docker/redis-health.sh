#!/bin/sh
# redis-health.sh: the redis container's healthcheck: PING, authenticated
# with the secret's password (in redis-cli's environment, never its
# arguments), answers PONG within 2 s.
set -eu

f=${REDIS_PASSWORD_FILE:-/run/secrets/redis_password}
out=$(REDISCLI_AUTH=$(head -n 1 "$f") timeout 2 redis-cli -h 127.0.0.1 PING 2>&1) || true
[ "$out" = PONG ] && exit 0
printf 'unhealthy: %.200s\n' "${out:-no answer within 2 s}" >&2
exit 1
