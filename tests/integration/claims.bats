#!/usr/bin/env bats
# The documents against the tree: every variable the services read is in
# the README's table, every module and suite is in docs/architecture.md,
# every outcome and event info counts is in docs/operations.md, the NOLINT
# count in .clang-tidy is the code's, and sentences found false once stay
# out.  Adding a variable, a module, a suite or an outcome without its
# line in the docs fails here, naming what is missing.

setup() {
	load helpers
	cd "$ROOT"
}

@test "every variable auth and info read is a row of the README's table" {
	local v missing=
	for v in $(grep -rohE '(cfg_long|cfg_str|getenv)\("[A-Z_]+"' cgi | sed 's/.*("//; s/"//' | sort -u); do
		grep -q "^| \`$v\`" README.md || missing="$missing $v"
	done
	[ -z "$missing" ] || fail "not in README's table:$missing"
}

@test "every module of cgi/ is named in docs/architecture.md's parts" {
	local f m missing=
	for f in cgi/*/*.c; do
		m=$(basename "$f" .c)
		[ "$m" = main ] && continue
		grep -q "\`$m\`" docs/architecture.md || missing="$missing $m"
	done
	[ -z "$missing" ] || fail "not in docs/architecture.md:$missing"
}

@test "every bats suite is named in docs/architecture.md's parts" {
	local f s missing=
	for f in tests/integration/*.bats; do
		s=$(basename "$f" .bats)
		grep -q "\`$s\`" docs/architecture.md || missing="$missing $s"
	done
	[ -z "$missing" ] || fail "not in docs/architecture.md:$missing"
}

@test "every outcome and cache event info counts is in docs/operations.md's metrics table" {
	local n missing=
	for n in $(sed -n '/^static const char \*const info_\(call\|cache\)_names/,/^};/p' cgi/info/info.c |
	    grep -o '= "[a-z_]*"' | tr -d '=" '); do
		grep -q "\`$n\`" docs/operations.md || missing="$missing $n"
	done
	[ -n "$n" ] || fail "no outcome read from info.c"
	[ -z "$missing" ] || fail "not in docs/operations.md:$missing"
}

@test ".clang-tidy says how many findings are silenced: as many as there are NOLINTs" {
	local said n
	said=$(sed -n 's/^# \([A-Z][a-z]*\) findings of .* silenced in place with NOLINT.*/\1/p' .clang-tidy)
	n=$(grep -rc 'NOLINT' cgi | awk -F: '{ s += $2 } END { print s }')
	case "$said" in
	Ten) said=10 ;; Eleven) said=11 ;; Twelve) said=12 ;; Nine) said=9 ;; Eight) said=8 ;;
	esac
	[ "$said" = "$n" ] || fail ".clang-tidy says '$said', the code has $n NOLINTs"
}

@test "the README's benchmark figures come from the run docs/benchmarks.md shows" {
	local r b
	r=$(sed -n 's/^Last run (\([0-9-]*\), written by make bench).*/\1/p' README.md)
	b=$(sed -n 's/^Written by `make bench` (scripts\/bench.sh) on \([0-9-]*\):.*/\1/p' docs/benchmarks.md)
	[ -n "$r" ] && [ "$r" = "$b" ] || fail "README: '$r', docs/benchmarks.md: '$b'"
}

@test "sentences found false stay out of the docs" {
	local p
	# Each was true once, or never: the bash supervisor's backoff, the
	# image count, the shared store "not built", a cache slot's size.
	for p in '100 ms doubling' 'three images' 'same three images' \
	    'a shared store (Redis and the like) is not built' '64 bytes each' \
	    'supervised by scripts/stack.sh, or by Docker'; do
		run grep -rnF "$p" README.md docs nginx/gateway.conf.template
		[ "$status" -ne 0 ] || fail "stale: $output"
	done
}

# known SERVICE: the variables SERVICE reads: auth and info, what their C
# reads; the gateway, what nginx/render.sh and its start script use.
known() {
	if [ "$1" = gateway ]; then
		grep -ohE '\$\{?[A-Z_]+' nginx/render.sh docker/gateway-start.sh | sed 's/.*\${\{0,1\}//'
	else
		grep -rohE '(cfg_long|cfg_str|getenv)\("[A-Z_]+"' cgi | sed 's/.*("//; s/"//'
	fi | sort -u
}

@test "compose, the swarm stack and k8s set only variables their service reads" {
	local bad
	bad=$(/usr/bin/python3 - "$(known gateway | tr '\n' ' ')" "$(known auth | tr '\n' ' ')" <<'PY'
import subprocess, sys, yaml
gw, svc = set(sys.argv[1].split()), set(sys.argv[2].split())
def env_of(spec):
    e = spec.get("environment", {}) or {}
    return list(e) if isinstance(e, dict) else [x.split("=", 1)[0] for x in e]
bad = []
for name, doc in (("docker-compose.yml", yaml.safe_load(open("docker-compose.yml"))),
                  ("deploy/swarm/stack.yml", yaml.safe_load(open("deploy/swarm/stack.yml")))):
    for s, spec in doc["services"].items():
        if s == "redis":
            known = {"REDIS_PASSWORD_FILE", "REDIS_MAXMEMORY"}
        else:
            known = gw if s == "gateway" else svc
        bad += [f"{name}: {s} sets {v}" for v in env_of(spec) if v not in known]
k8s = subprocess.run(["kubectl", "kustomize", "deploy/k8s"], capture_output=True, text=True, check=True).stdout
for o in yaml.safe_load_all(k8s):
    if o and o["kind"] == "Deployment":
        for c in o["spec"]["template"]["spec"]["containers"]:
            known = {"REDIS_PASSWORD_FILE"} if c["name"] == "redis" else (gw if c["name"] == "gateway" else svc)
            bad += [f"k8s: {c['name']} sets {e['name']}" for e in c.get("env", []) if e["name"] not in known]
    if o and o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("gateway-config"):
        bad += [f"k8s: gateway-config sets {k}" for k in o["data"] if k not in gw]
print("\n".join(bad))
PY
)
	[ -z "$bad" ] || fail "$bad"
}

@test "commit subjects from this check's own commit on are at most 72 characters, a blank line before any body" {
	local base bad
	[ -d .git ] || skip "not a git clone"
	base=$(git log --diff-filter=A --format=%H -- tests/integration/claims.bats | tail -n 1)
	[ -n "$base" ] || skip "the check is not committed yet"
	bad=$(git log --format='%H %s' "$base^..HEAD" | awk 'length($0) - 41 > 72 { print }')
	[ -z "$bad" ] || fail "subjects over 72 characters: $bad"
	bad=$(for c in $(git rev-list "$base^..HEAD"); do
		if git log -1 --format=%B "$c" | sed -n 2p | grep -q .; then echo "$c"; fi
	done)
	[ -z "$bad" ] || fail "no blank line after the subject: $bad"
}
