#!/bin/sh
# fcgi-health.sh ADDRESS: asks the FastCGI service at ADDRESS (host:port, or
# a unix socket's path) for GET /healthz over FastCGI itself, as nginx would.
# Exit 0 when it answers 200 {"status":"ok"} within 2 s, else 1 with the
# reason.  The containers' healthchecks use it; cgi-fcgi is libfcgi-bin's.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 host:port|/path/to.sock" >&2; exit 2; }
# Only what the services read: no variable of ours leaks into the request.
out=$(timeout 2 env -i REQUEST_METHOD=GET DOCUMENT_URI=/healthz \
    REQUEST_URI=/healthz SERVER_PROTOCOL=HTTP/1.1 \
    cgi-fcgi -bind -connect "$1" 2>&1 | tr -d '\r') || true
case $out in
'Status: 200 OK'*'{"status":"ok"}')
	exit 0
	;;
esac
printf 'unhealthy: %.200s\n' "${out:-no answer within 2 s}" >&2
exit 1
