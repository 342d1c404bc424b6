#!/bin/bash
# Builds the four images of docker-compose.yml from the Dockerfile and
# prints their sizes.  --network=host lets apt-get inside the build reach
# the Debian mirror where the engine has no bridge network (this project's
# CI machines); elsewhere it changes nothing.  The engine is DOCKER_HOST's
# (scripts/docker-engine.sh up gives one).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
# /openapi.json and /docs go into the gateway image from docker/www.
make -s -C "$here" www
for t in auth info gateway redis; do
	# Quiet unless it fails (the legacy builder warns on every run).
	if ! out=$(docker build -q --force-rm --network=host --target "$t" \
	    -t "cgi-microservices/$t:latest" "$here" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
    'cgi-microservices/*' | sort
