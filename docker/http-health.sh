#!/bin/bash
# http-health.sh PORT: the gateway container's healthcheck.  Healthy when
# nginx answers GET /healthz on 127.0.0.1:PORT at all: 200 (both services
# answer) or 503 JSON (nginx is fine, a service is not; that service's own
# healthcheck says so).  bash's /dev/tcp, so the image needs no curl.
set -eu

exec 3<>"/dev/tcp/127.0.0.1/$1"
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 2 status <&3
case $status in
'HTTP/1.1 200 '* | 'HTTP/1.1 503 '*) exit 0 ;;
esac
echo "unhealthy: ${status:-no answer}" >&2
exit 1
