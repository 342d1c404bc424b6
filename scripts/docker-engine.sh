#!/bin/bash
# A Docker engine and the debian:bookworm-slim base image for the compose
# tests and `make images`.
#
#   scripts/docker-engine.sh up     prints "export DOCKER_HOST=..." for the
#                                   engine to use, starting one if needed
#   scripts/docker-engine.sh down   stops the engine that "up" started, if any
#
# On a normal machine (a dockerd already answers, images can be pulled) "up"
# does nothing special: it prints nothing, or pulls the base image.  Where no
# engine runs (this project's CI machines), "up" starts a private dockerd,
# as root, with its own data root, exec root, pid file and socket under
# $DOCKER_DIR (/var/tmp/cgi-docker, kept between runs so images are reused):
# no default bridge and no iptables rules, so it touches nothing else on the
# machine.  When the base image cannot be pulled it is made with debootstrap
# (minbase, bookworm) and `docker import`.
set -eu

DOCKER_DIR=${DOCKER_DIR:-/var/tmp/cgi-docker}
BASE_IMAGE=debian:bookworm-slim
here=$(cd "$(dirname "$0")/.." && pwd)

log() {
	echo "docker-engine: $*" >&2
}

engine_up() {
	local i sock=$DOCKER_DIR/docker.sock pid

	if docker info >/dev/null 2>&1; then
		return 0	# the machine's own engine (or DOCKER_HOST's)
	fi
	export DOCKER_HOST=unix://$sock
	if docker info >/dev/null 2>&1; then
		echo "export DOCKER_HOST=$DOCKER_HOST"
		return 0	# ours, from an earlier "up"
	fi
	if [ "$(id -u)" -ne 0 ]; then
		log "no Docker engine answers, and starting one needs root"
		exit 1
	fi
	"$here/scripts/deps.sh" docker.io debootstrap docker-compose >&2
	mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
	log "starting a private dockerd (logs: $DOCKER_DIR/dockerd.log)"
	setsid dockerd --bridge=none --iptables=false --ip6tables=false \
	    --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" \
	    --pidfile "$DOCKER_DIR/dockerd.pid" -H "unix://$sock" \
	    </dev/null >>"$DOCKER_DIR/dockerd.log" 2>&1 &
	pid=$!
	echo "$pid" > "$DOCKER_DIR/started.pid"
	for ((i = 0; i < 300; i++)); do
		docker info >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || {
			log "dockerd exited; last lines of its log:"
			tail -n 5 "$DOCKER_DIR/dockerd.log" >&2
			exit 1
		}
		sleep 0.1
	done
	docker info >/dev/null 2>&1 || { log "dockerd did not answer in 30 s"; exit 1; }
	echo "export DOCKER_HOST=$DOCKER_HOST"
}

base_image() {
	local root

	docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
	docker pull -q "$BASE_IMAGE" >&2 2>/dev/null && return 0
	log "cannot pull $BASE_IMAGE: making it with debootstrap (a few minutes, once)"
	"$here/scripts/deps.sh" debootstrap >&2
	root=$DOCKER_DIR/rootfs
	rm -rf "$root"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >&2
	# As in the official slim image: no documentation, locales or apt
	# caches, now or in any image built on it.
	cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
CONF
	cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CONF
	find "$root/usr/share/doc" -type f ! -name copyright -delete
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
	    "$root"/usr/share/man/* "$root"/usr/share/info/* \
	    "$root"/usr/share/locale/*
	tar -C "$root" -c . | docker import - "$BASE_IMAGE" >&2
	rm -rf "$root"
}

engine_down() {
	local f=$DOCKER_DIR/started.pid pid i

	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f "$f"
}

case "${1:-}" in
up)
	env=$(engine_up)
	[ -n "$env" ] && eval "$env"
	base_image
	[ -z "$env" ] || echo "$env"
	;;
down)
	engine_down
	;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
