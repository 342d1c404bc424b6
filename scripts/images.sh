#!/bin/bash
# Builds the three images of docker-compose.yml from the Dockerfile and
# prints their sizes.  --network=host lets apt-get inside the build reach
# the Debian mirror where the engine has no bridge network (this project's
# CI machines); elsewhere it changes nothing.  The engine is DOCKER_HOST's
# (scripts/docker-engine.sh up gives one).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
for t in auth info gateway; do
	docker build -q --force-rm --network=host --target "$t" \
	    -t "cgi-microservices/$t:latest" "$here" >/dev/null
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
    'cgi-microservices/*' | sort
