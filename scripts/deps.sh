#!/bin/sh
# Checks that the Debian packages the project builds, runs and tests with are
# installed.  As root, installs the missing ones; otherwise prints the exact
# command to run and fails.  Usage: scripts/deps.sh [extra-package...]
set -eu

PKGS="gcc make libc6-dev libfcgi-dev libcurl4-gnutls-dev libcjson-dev
nginx spawn-fcgi curl gettext-base bats bats-support bats-assert procps iproute2
socat libfcgi-bin docker-compose python3-yaml python3-jsonschema
python3-fastapi python3-uvicorn python3-requests openssl testssl.sh
clang-format clang-tidy shellcheck s6 libnginx-mod-http-lua prometheus libhiredis-dev
redis-server libssl-dev libargon2-dev libsodium-dev argon2 python3-jwt python3-argon2
python3-requests-oauthlib python3-multipart $*"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; an old list may 404.
apt-get update -qq >&2
# shellcheck disable=SC2086  # word splitting of the list is intended
apt-get install -y -qq --no-install-recommends $missing >&2
