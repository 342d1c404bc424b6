# Four images from one file: gateway (nginx), auth and info (each under
# spawn-fcgi -n), and redis (the shared failed-login budget).  Everything comes from Debian bookworm's packages, the same
# versions as `make run` on Debian 12.  Build one with --target, or let
# docker-compose.yml build all four.
#
#   docker build --target auth -t cgi-microservices/auth .
#
# The build stage has the -dev packages; the runtime images carry only the
# runtime libraries and run as an unprivileged user: "app" (uid and gid
# 10001, fixed so that a swarm secret or a Kubernetes securityContext can
# name it) for the services, www-data (33) for the gateway.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev make \
    libfcgi-dev libcurl4-gnutls-dev libcjson-dev libhiredis-dev \
    libssl-dev libargon2-dev libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY scripts/deps.sh scripts/
COPY cgi/ cgi/
# DEPS=true: the packages are above; scripts/deps.sh is for machines.
RUN make DEPS=true OPT=-O2 all \
 && strip build/auth.fcgi build/info.fcgi

# What both services need at run time: spawn-fcgi, libfcgi, cJSON,
# OpenSSL's libcrypto and libsodium (access tokens signed, and verified:
# cgi/lib/jwt.c), and cgi-fcgi
# (libfcgi-bin) for the healthcheck, which speaks FastCGI itself.
FROM debian:bookworm-slim AS service
RUN apt-get update \
 && apt-get install -y --no-install-recommends spawn-fcgi libfcgi0ldbl \
    libfcgi-bin libcjson1 libssl3 libsodium23 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
    --shell /usr/sbin/nologin app
COPY scripts/fcgi-health.sh /usr/local/bin/fcgi-health
# spawn-fcgi opens the socket and then becomes the service (-n: no fork),
# so the service is PID 1 and takes Docker's SIGTERM for its graceful stop.
STOPSIGNAL SIGTERM
EXPOSE 9000
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
    CMD ["fcgi-health", "127.0.0.1:9000"]

FROM service AS auth
# hiredis for the shared failed-login budget (AUTH_FAIL_STORE), libargon2
# for the users' password hashes (AUTH_USERS_FILE).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libhiredis0.14 libargon2-1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/auth.fcgi /usr/local/bin/auth.fcgi
USER app
CMD ["spawn-fcgi", "-n", "-a", "0.0.0.0", "-p", "9000", "--", "/usr/local/bin/auth.fcgi"]

FROM service AS info
# libcurl for the call to auth: the GnuTLS flavour, which leaves OpenSSL
# untouched (info.fcgi's resident set: docs/architecture.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl3-gnutls \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/info.fcgi /usr/local/bin/info.fcgi
USER app
CMD ["spawn-fcgi", "-n", "-a", "0.0.0.0", "-p", "9000", "--", "/usr/local/bin/info.fcgi"]

# The gateway: Debian's nginx with the same template as make run, rendered
# at start from the environment by the same nginx/render.sh.  Its Lua module
# (and lua-nginx-dns) runs nginx/peers.lua, which follows the replicas that
# Docker's DNS names while keeping connections to them.
FROM debian:bookworm-slim AS gateway
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx gettext-base \
    libnginx-mod-http-lua lua-nginx-dns \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/gateway \
 && chown www-data:www-data /run/gateway
COPY nginx/gateway.conf.template nginx/render.sh nginx/peers.lua nginx/gwmetrics.lua \
    docker/gateway-start.sh docker/http-health.sh /etc/gateway/
# /openapi.json and Swagger UI (/docs), made on the host by `make www`
# (scripts/www.sh, from npm's swagger-ui-dist); without it both are 404.
# Outside RUN_DIR, so that RUN_DIR can be a fresh writable volume under a
# read-only root (deploy/k8s): the start script links it in.
COPY docker/www/ /usr/share/gateway/www/
ENV LISTEN=8080 INTERNAL_LISTEN=8081 \
    AUTH_UPSTREAM=auth:9000 INFO_UPSTREAM=info:9000 RESOLVER=127.0.0.11 \
    RUN_DIR=/run/gateway ACCESS_LOG=/dev/stdout ERROR_LOG=stderr
USER www-data
EXPOSE 8080 8081 8443
# QUIT: nginx finishes the requests it holds, then exits.
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/etc/gateway/http-health.sh", "8080"]
CMD ["/etc/gateway/gateway-start.sh"]

# The store of the shared failed-login budget (AUTH_FAIL_STORE): Debian's
# redis-server, as its own user, configured at start by redis-start.sh.
FROM debian:bookworm-slim AS redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
COPY docker/redis-start.sh docker/redis-health.sh /usr/local/bin/
USER redis
EXPOSE 6379
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
    CMD ["redis-health.sh"]
CMD ["redis-start.sh"]
