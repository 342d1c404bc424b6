# One entry point: build, run, test.  `make help` lists the targets.

CC      ?= cc
OPT     ?= -O2 -g
CFLAGS  += $(OPT) -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic \
           -fstack-protector-strong -D_FORTIFY_SOURCE=2 -pthread \
           -Icgi/lib -Icgi/auth -Icgi/info
LDFLAGS += -pthread
# make test-sanitize sets these (and B) for the ASan/UBSan/LSan build.
SAN     ?=
CFLAGS  += $(SAN)
LDFLAGS += $(SAN)
B       ?= build

LIB_SRC  := cgi/lib/admin.c cgi/lib/authz.c cgi/lib/b64url.c cgi/lib/cfg.c cgi/lib/clock.c cgi/lib/hex.c cgi/lib/ident.c cgi/lib/log.c cgi/lib/metrics.c cgi/lib/park.c cgi/lib/reqid.c cgi/lib/reqlog.c cgi/lib/resp.c cgi/lib/route.c cgi/lib/sha256.c cgi/lib/trace.c cgi/lib/svc.c cgi/lib/textfile.c cgi/lib/vcache.c cgi/lib/wipe.c cgi/lib/worker.c cgi/lib/jwt.c
AUTH_SRC := cgi/auth/app.c cgi/auth/form.c cgi/auth/guard.c cgi/auth/hashq.c cgi/auth/keys.c cgi/auth/store.c cgi/auth/token.c cgi/auth/tokens.c cgi/auth/users.c
INFO_SRC := cgi/info/authc.c cgi/info/authmux.c cgi/info/breaker.c cgi/info/cache.c cgi/info/info.c cgi/info/jwks.c
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
AUTH_OBJ := $(AUTH_SRC:%.c=$(B)/%.o)
INFO_OBJ := $(INFO_SRC:%.c=$(B)/%.o)
UNIT     := b64url jwt vcache form users authz cfg metrics reqid reqlog resp route svc sha256 tokens guard store authc breaker cache serve ident trace
UNIT_BIN := $(UNIT:%=$(B)/tests/test_%)

PORT ?= 8080
export PORT
# make run TLS=1: HTTPS on TLS_PORT (8443) too (scripts/stack.sh).
export TLS TLS_PORT TLS_CERT TLS_KEY


.PHONY: all deps www images up run run-sanitize start stop reload test check lint lint-installed unit integration test-sanitize test-tsan test-compose swarm-up swarm-down test-swarm fuzz fuzz-smoke bench bench-swarm token-hash user-hash bench-token clean help

all: $(B)/auth.fcgi $(B)/info.fcgi

help:
	@echo "make            build build/auth.fcgi and build/info.fcgi"
	@echo "make deps       install the Debian packages the build and tests need (as root)"
	@echo "make www        /openapi.json and Swagger UI's files into docker/www"
	@echo "make images     build the four images (needs a Docker engine)"
	@echo "make run        the whole stack in the foreground on 127.0.0.1:\$$PORT (8080)"
	@echo "make start|stop the same in the background (run/: s6 service dirs, logs)"
	@echo "make reload     auth re-reads AUTH_TOKENS_FILE (SIGHUP), no restart"
	@echo "make run TLS=1  HTTPS on 127.0.0.1:\$$TLS_PORT (8443) too, self-signed certificate"
	@echo "make check      the edit loop: lint, unit, the core suites; installs nothing (a few minutes)"
	@echo "make test       unit + integration tests, ends with 'N passed, N failed'"
	@echo "make lint       clang-format, clang-tidy and shellcheck (make test runs it)"
	@echo "make unit       the C unit tests only"
	@echo "make integration  the bats suites only"
	@echo "make test-sanitize  the bats suites against the ASan/UBSan/LSan build"
	@echo "make test-tsan  the threaded bats suites against the ThreadSanitizer build"
	@echo "make fuzz-smoke every fuzzer for 20 s (CI)"
	@echo "make fuzz       every libFuzzer harness for FUZZ_SECS (60) seconds"
	@echo "make token-hash the sha256: line for AUTH_TOKENS_FILE (token on stdin)"
	@echo "make user-hash USER=alice  the AUTH_USERS_FILE line (password on stdin)"
	@echo "make bench-token  POST /token, access tokens, and a /token flood (docs/benchmarks.md)"
	@echo "make run-sanitize  make run on the ASan/UBSan/LSan build"
	@echo "make up         docker compose up --build, /docs and /openapi.json included"
	@echo "make test-compose  docker compose up on a real Docker engine, then faults, scale, down"
	@echo "make swarm-up   a 3-node Docker Swarm on this machine, the stack deployed on it;"
	@echo "                prints DOCKER_HOST and GATEWAY to eval (needs root)"
	@echo "make swarm-down remove everything swarm-up made"
	@echo "make test-swarm the swarm suite: deploy, scale, rolling update, node loss"
	@echo "make bench      make run and compose vs the nginx ceiling vs the FastAPI original (wrk)"
	@echo "make bench BENCH_BASE=REV  this tree vs revision REV, in the same rounds"
	@echo "make bench-swarm  the same with the 3-node swarm stack beside compose"
	@echo "make clean      remove build, build-san and build-fuzz"

# Missing Debian packages are installed (as root) or named (otherwise).
# The image build has its own packages and sets DEPS=true.
DEPS    ?= scripts/deps.sh
$(B)/.deps: scripts/deps.sh
	@$(DEPS)
	@mkdir -p $(B) && touch $@
deps: $(B)/.deps

# Order-only: the packages must be there, but a new deps.sh rebuilds nothing.
$(B)/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/auth.fcgi: $(B)/cgi/auth/main.o $(AUTH_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ -lfcgi -lcjson -lhiredis -lcrypto -lsodium -largon2 -o $@

$(B)/info.fcgi: $(B)/cgi/info/main.o $(INFO_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) $^ -lfcgi -lcjson -lcurl -lcrypto -lsodium -o $@

# Each unit test links what it calls and nothing more (T_OBJ_x, T_LIB_x).
T_OBJ_authc   := cgi/info/authc.o cgi/lib/ident.o cgi/lib/cfg.o cgi/lib/wipe.o
T_LIB_authc   := -lcurl -lcjson
T_OBJ_breaker := cgi/info/breaker.o cgi/lib/cfg.o
T_OBJ_guard   := cgi/auth/guard.o cgi/lib/cfg.o cgi/lib/wipe.o
T_OBJ_store   := cgi/auth/store.o cgi/lib/cfg.o cgi/lib/clock.o cgi/lib/log.o cgi/lib/metrics.o cgi/lib/sha256.o cgi/lib/wipe.o
T_LIB_store   := -lhiredis
T_OBJ_cache   := cgi/info/cache.o cgi/lib/cfg.o cgi/lib/sha256.o cgi/lib/wipe.o
T_OBJ_authz   := cgi/lib/authz.o
T_OBJ_ident   := cgi/lib/ident.o
T_OBJ_trace   := cgi/lib/trace.o
T_OBJ_cfg     := cgi/lib/cfg.o
T_OBJ_metrics := cgi/lib/metrics.o
T_OBJ_reqid   := cgi/lib/reqid.o
T_OBJ_reqlog  := cgi/lib/reqlog.o cgi/lib/cfg.o
T_OBJ_resp    := cgi/lib/resp.o cgi/lib/authz.o cgi/lib/log.o cgi/lib/reqlog.o cgi/lib/cfg.o
T_LIB_resp    := -lfcgi -lcjson
T_OBJ_route   := cgi/lib/route.o
T_OBJ_sha256  := cgi/lib/sha256.o cgi/lib/wipe.o
T_OBJ_svc     := cgi/lib/svc.o cgi/lib/clock.o cgi/lib/worker.o cgi/lib/park.o cgi/lib/route.o cgi/lib/resp.o \
                 cgi/lib/log.o cgi/lib/metrics.o cgi/lib/reqid.o cgi/lib/reqlog.o \
                 cgi/lib/cfg.o cgi/lib/trace.o
T_LIB_svc     := -lfcgi -lcjson
T_OBJ_serve   := $(T_OBJ_svc)
T_LIB_serve   := $(T_LIB_svc)
T_OBJ_tokens  := cgi/auth/tokens.o cgi/lib/hex.o cgi/lib/authz.o cgi/lib/ident.o cgi/lib/cfg.o cgi/lib/log.o cgi/lib/sha256.o cgi/lib/textfile.o cgi/lib/wipe.o
T_OBJ_b64url  := cgi/lib/b64url.o
T_OBJ_jwt     := cgi/lib/jwt.o cgi/lib/b64url.o cgi/lib/ident.o
T_LIB_jwt     := -lcrypto -lsodium -lcjson
T_OBJ_vcache  := cgi/lib/vcache.o cgi/lib/sha256.o cgi/lib/wipe.o
T_OBJ_form    := cgi/auth/form.o cgi/lib/hex.o
T_OBJ_users   := cgi/auth/users.o cgi/lib/ident.o cgi/lib/cfg.o cgi/lib/log.o cgi/lib/textfile.o cgi/lib/wipe.o
T_LIB_users   := -largon2
.SECONDEXPANSION:
$(B)/tests/test_%: $(B)/tests/unit/test_%.o $$(addprefix $(B)/,$$(T_OBJ_$$*))
	$(CC) $(LDFLAGS) $^ $(T_LIB_$*) -o $@

# npm's packages (package-lock.json pins them): Swagger UI's files for /docs,
# the OpenAPI linter, Stoplight Prism (the contract check of openapi.bats),
# the browser driver of the /docs test and the k8s schema validator.
NODE := node_modules/.package-lock.json
$(NODE): package.json package-lock.json
	@command -v npm >/dev/null || scripts/deps.sh npm
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# /openapi.json and /docs for the gateway image (make run makes its own).
www: $(NODE)
	@scripts/www.sh docker/www

# docker compose up --build with /openapi.json and /docs in the gateway
# image: they come from npm's swagger-ui-dist on this side (make www), since
# an image build may not reach npm's registry.
COMPOSE = $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
up: www
	$(COMPOSE) up --build

# The four images of docker-compose.yml (needs a Docker engine).
images: www
	@scripts/images.sh

run: all $(NODE)
	@scripts/stack.sh run

start: all $(NODE)
	@scripts/stack.sh start

stop:
	@scripts/stack.sh stop

# auth re-reads AUTH_TOKENS_FILE (SIGHUP): new tokens work, removed ones are
# refused, no restart (docs/security.md).
reload:
	@scripts/stack.sh reload

unit: $(UNIT_BIN)
	@scripts/test.sh unit $(UNIT_BIN)

integration: all $(NODE)
	@scripts/deps.sh chromium
	@$(KUBECTL)
	@scripts/test.sh integration tests/integration

# Debian's chromium runs the /docs test (tests/integration/docs.bats);
# kubectl renders deploy/k8s (tests/integration/k8s.bats): the machine's
# own, else Debian's kubernetes-client.
KUBECTL := command -v kubectl >/dev/null || scripts/deps.sh kubernetes-client
# The formatter and the linter, configured in .clang-format and .clang-tidy
# (which says why each left-out check is left out; tests/.clang-tidy, the
# tests' three more); make test runs them.
LINT_C    := $(wildcard cgi/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c)
TIDY_ARGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Icgi/lib -Icgi/auth -Icgi/info
# shellcheck on every shell script the project runs.  make lint installs
# the tools first (make deps); make check uses what is installed.
LINT_SH   := $(wildcard scripts/*.sh nginx/*.sh docker/*.sh s6/.finish s6/*/run s6/*/finish)
# The bats suites too (tests/.shellcheckrc: bash, and why 5 checks are off).
LINT_SH   += $(wildcard tests/integration/*.bats tests/integration/helpers.bash tests/compose/*.bats tests/swarm/*.bats)
LINT_TOOLS := clang-format clang-tidy shellcheck
lint: $(B)/.deps
	@$(MAKE) -s lint-installed

lint-installed:
	@for t in $(LINT_TOOLS); do command -v $$t >/dev/null || \
	    { echo "lint: $$t is missing: make deps installs it" >&2; exit 1; }; done
	clang-format --dry-run --Werror $(LINT_C)
	@mkdir -p $(B)
	@clang-tidy --quiet $(wildcard cgi/*/*.c) -- $(TIDY_ARGS) >$(B)/tidy.log 2>&1 || \
	    { grep -v 'warnings generated' $(B)/tidy.log; exit 1; }
	@# The tests' own checks: tests/.clang-tidy says which are left out.
	@clang-tidy --quiet $(wildcard tests/unit/*.c tests/fuzz/*.c) -- $(TIDY_ARGS) -Itests/unit \
	    >$(B)/tidy-tests.log 2>&1 || { grep -v 'warnings generated' $(B)/tidy-tests.log; exit 1; }
	shellcheck -x $(LINT_SH)
	@echo "lint: clang-format, clang-tidy (cgi/, tests/unit/, tests/fuzz/) and shellcheck (scripts, s6/, the bats suites) clean"

# The edit loop's tier: lint, the unit tests and the suites of the two
# routes and their boundaries, on what is installed (it installs nothing:
# make deps does, once).  make test is all of it.
CHECK_SUITES := core routes malformed identity guard limits boundaries
check: all $(UNIT_BIN)
	@$(MAKE) -s lint-installed
	@scripts/test.sh unit $(UNIT_BIN)
	@scripts/test.sh integration $(CHECK_SUITES:%=tests/integration/%.bats)

test: $(B)/.deps lint all $(UNIT_BIN) $(NODE)
	@scripts/deps.sh chromium
	@$(KUBECTL)
	@scripts/test.sh all $(UNIT_BIN)

# The whole integration suite against services built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer; any report fails it.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
test-sanitize: $(NODE)
	@$(KUBECTL)
	@$(MAKE) -s B=build-san SAN="$(SAN_FLAGS)" OPT="-O1 -g" build-san/auth.fcgi build-san/info.fcgi \
	    $(UNIT:%=build-san/tests/test_%)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    scripts/test.sh unit $(UNIT:%=build-san/tests/test_%)
	@# Reports of an earlier run would fail this one.
	@rm -rf build-san/reports
	@BIN_DIR=$(CURDIR)/build-san SANITIZE_DIR=$(CURDIR)/build-san/reports \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    scripts/test.sh integration tests/integration

# The threaded suites against services built with ThreadSanitizer: kept
# connections, deferral and stop (core, keepalive, faults), token reloads
# under load (reload), the failed-login guard (guard), its shared store
# (store: a connection per thread), identities (identity), info's cache
# (cache) and its own checks of access tokens beside the thread that
# fetches auth's keys (jwt_local); and the guard's unit tests (8 threads at
# once) built with it.
# Any report fails it but those tests/tsan.supp explains.
# Not oauth: under TSan, libargon2's 8-lane 100 MiB check (argon2-cffi's
# default cost) outlasts hashq's 2 s deadline and answers 503.
TSAN_SUITES := core keepalive faults reload guard cache identity store jwt_local
TSAN_UNIT   := guard cache breaker serve store
test-tsan: $(NODE)
	@$(MAKE) -s B=build-tsan SAN="-fsanitize=thread" OPT="-O1 -g" build-tsan/auth.fcgi build-tsan/info.fcgi \
	    $(TSAN_UNIT:%=build-tsan/tests/test_%)
	@TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 exitcode=66" scripts/test.sh unit $(TSAN_UNIT:%=build-tsan/tests/test_%)
	@rm -rf build-tsan/reports
	@# The services run as www-data when root: they read the suppressions
	@# from a copy they can reach (a clone in a 0700 home is not).
	@supp=$$(mktemp /tmp/cgi-tsan.supp.XXXXXX) && cp tests/tsan.supp "$$supp" && \
	    chmod 0644 "$$supp" && \
	    BIN_DIR=$(CURDIR)/build-tsan SANITIZE_DIR=$(CURDIR)/build-tsan/reports \
	    TSAN_OPTIONS="suppressions=$$supp halt_on_error=0" \
	    scripts/test.sh integration $(TSAN_SUITES:%=tests/integration/%.bats); \
	    rc=$$?; rm -f "$$supp"; exit $$rc

# libFuzzer harnesses (tests/fuzz/) for every parser of outside input, built
# with clang, ASan and UBSan.  make fuzz runs each FUZZ_SECS seconds;
# make fuzz-smoke (CI) a short run of each.
FUZZ       := authz tokens_file reqid authc_map cfg log_escape form jwt users_file
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SECS  ?= 60

$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(LIB_OBJ) $(AUTH_OBJ) $(INFO_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ -lfcgi -lcjson -lcurl -lhiredis -lcrypto -lsodium -largon2 -o $@

fuzz:
	@scripts/deps.sh clang libclang-rt-14-dev
	@$(MAKE) -s B=build-fuzz CC=clang SAN="$(FUZZ_FLAGS)" OPT="-O1 -g" \
	    $(FUZZ:%=build-fuzz/fuzz/fuzz_%)
	@scripts/fuzz.sh $(FUZZ_SECS) $(FUZZ)

fuzz-smoke:
	@$(MAKE) -s fuzz FUZZ_SECS=20

# Prints the AUTH_TOKENS_FILE line (sha256:<hex>) for a token read from stdin.
token-hash:
	@scripts/token-hash.sh

# Prints the AUTH_USERS_FILE line for USER (an Argon2id hash of the password
# read without echo): make user-hash USER=alice >> users.txt
user-hash:
	@scripts/user-hash.sh "$(USER)"

# docker compose on a real engine (scripts/docker-engine.sh starts a private
# one where none runs): build, up, curl session, faults, scale, down.
test-compose:
	@scripts/deps.sh docker.io debootstrap docker-compose wrk
	@scripts/test.sh integration tests/compose

# A real multi-node Docker Swarm here (scripts/swarm.sh): three dockerds in
# network namespaces of their own; deploy/swarm/stack.yml deployed on it.
swarm-up:
	@scripts/swarm.sh up

swarm-down:
	@scripts/swarm.sh down

test-swarm:
	@scripts/deps.sh docker.io debootstrap wrk systemd
	@scripts/test.sh integration tests/swarm

# make run on the sanitizer build: for sending hostile input by hand.
# Reports land on the terminal (leaks when the stack stops).
run-sanitize: $(NODE)
	@$(MAKE) -s B=build-san SAN="$(SAN_FLAGS)" OPT="-O1 -g" build-san/auth.fcgi build-san/info.fcgi
	@BIN_DIR=$(CURDIR)/build-san ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 scripts/stack.sh run

# Needs wrk, the FastAPI reference's Debian packages and a Docker engine
# (scripts/docker-engine.sh starts one) for the compose rows.
BENCH_DEPS := wrk python3-fastapi python3-uvicorn python3-requests docker.io debootstrap docker-compose gnuplot-nox valgrind apache2-utils
# BENCH_BASE=REV: this tree against REV instead, in the same rounds
# (scripts/bench-ab.sh), into docs/benchmarks.md's "This tree vs REV".
bench: all $(NODE)
	@scripts/deps.sh $(BENCH_DEPS)
	@if [ -n "$(BENCH_BASE)" ]; then BENCH_BASE='$(BENCH_BASE)' scripts/bench-ab.sh; \
	else scripts/bench.sh && scripts/bench-token.sh; fi

# The password grant alone (docs/benchmarks.md's bench-token block).
bench-token: all
	@scripts/deps.sh $(BENCH_DEPS)
	@scripts/bench-token.sh

# The same, with the swarm stack on the 3-node swarm of make swarm-up beside
# compose, at 32 connections, into docs/benchmarks-swarm.md (the README's
# figures are make bench's).
bench-swarm: all $(NODE)
	@scripts/deps.sh $(BENCH_DEPS) systemd
	@BENCH_SWARM=1 BENCH_CONNS=32 BENCH_OUT=$(CURDIR)/docs/benchmarks-swarm.md \
	    BENCH_README=/dev/null scripts/bench.sh

clean:
	rm -rf build build-san build-tsan build-fuzz

.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
