#!/usr/bin/env bats
# The documents against the tree: every variable the services read is a
# row of cgi/lib/config.def, and the README's table and the deployments
# agree with it, every module and suite is in docs/architecture.md,
# every outcome and event info counts is in docs/operations.md, the NOLINT
# count in .clang-tidy is the code's, and sentences found false once stay
# out.  Adding a variable, a module, a suite or an outcome without its
# line in the docs fails here, naming what is missing.

setup() {
	load helpers
	cd "$ROOT" || return
}

# table: config.def as the services print it (--help): NAME SERVICE
# DEFAULT RANGE, tab-separated, SERVICE auth, info or both.
table() {
	{
		"$BIN/auth.fcgi" --help | awk -F'\t' 'NF == 4 { print $0 "\tauth" }'
		"$BIN/info.fcgi" --help | awk -F'\t' 'NF == 4 { print $0 "\tinfo" }'
	} | awk -F'\t' -v OFS='\t' '
		{ n[$1]++; s[$1] = $5; d[$1] = $2; r[$1] = $3 }
		END { for (k in n) print k, (n[k] == 2 ? "both" : s[k]), d[k], r[k] }' | sort
}

@test "auth and info read the environment only through config.def" {
	run grep -rnE '(getenv|cfg_long|cfg_str)\(' cgi --include=*.c
	# cfg.c's own getenv and cfg_long/cfg_str, and nothing else.
	run grep -vE '^cgi/lib/cfg\.c:' <<<"$output"
	assert_output ''
	[ "$(table | wc -l)" -ge 20 ] || fail "the services' --help lists $(table | wc -l) variables"
}

# gateway_table: the gateway's defaults as nginx/render.sh sets them
# (X=${X:-default}), in table's form; no range: render.sh checks shapes.
gateway_table() {
	sed -n 's/^\([A-Z_]*\)=\${\1:-\(.*\)}$/\1\tgateway\t\2\t-/p' nginx/render.sh
}

# rows_check: the README's and docs/operations.md's variable rows against
# the table on stdin; one line per disagreement.  Every variable of auth's
# and info's needs a README row; operations.md's rows, and the gateway's,
# are checked where they are.
rows_check() {
	/usr/bin/python3 -c '
import re, sys
table = {}
for line in sys.stdin:
    name, svc, dflt, rng = line.rstrip("\n").split("\t")
    table[name] = (svc, dflt, rng)
def rows(path, pattern):
    out = {}
    for line in open(path):
        m = re.match(pattern, line)
        if m and re.match(r"(auth|info|both|gateway)\b", m["svc"]):
            out[m["name"]] = (m["svc"], m["dflt"].replace("`", ""), m["lim"])
    return out
docs = {
    "README.md": rows("README.md",
        r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \| (?P<svc>[^|]*) \| (?P<dflt>[^|]*) \| (?P<lim>.*) \|$"),
    "docs/operations.md": rows("docs/operations.md",
        r"^\| `(?P<name>[A-Z][A-Z0-9_]*)` \((?P<svc>[a-z]+)\) \| (?P<dflt>[^|]*) \| (?P<lim>[^|]*) \|"),
}
bad = [f"{n}: no README row" for n in table
       if n not in docs["README.md"] and table[n][0] != "gateway"]
for doc, found in docs.items():
    for name, (rsvc, rdef, rlim) in found.items():
        if name not in table:
            if not rsvc.startswith("gateway"):
                bad.append(f"{doc}: {name}, a row config.def lacks")
            continue
        svc, dflt, rng = table[name]
        src = "render.sh" if svc == "gateway" else "config.def"
        if not rsvc.startswith(svc):
            bad.append(f"{doc}: {name}: {rsvc}, config.def says {svc}")
        if not re.match(re.escape(dflt) + r"($|[ ;:])", rdef):
            bad.append(f"{doc}: {name}: default {rdef!r}, {src} {dflt!r}")
        m = re.match(r"at most (\d+) bytes", rng)
        if m and f"at most {m[1]} bytes" not in rlim and f"1–{m[1]} of" not in rlim:
            bad.append(f"{doc}: {name}: lacks at most {m[1]} bytes")
        if not m and rng != "-" and not rlim.startswith(rng.replace("-", "–", 1)):
            bad.append(f"{doc}: {name}: range {rlim[:20]!r}, config.def {rng}")
print("\n".join(bad))
'
}

@test "the README's table has a row for each variable of config.def, and it and operations.md's say the table's service, default and range (the gateway's: render.sh's defaults)" {
	local bad
	bad=$({ table; gateway_table; } | rows_check)
	[ -z "$bad" ] || fail "$bad"
	# The gateway's rows were read too.
	[ "$(gateway_table | wc -l)" -ge 5 ] || fail "render.sh's defaults: $(gateway_table)"
}

@test "the rows check finds a default that is not the table's" {
	local bad
	bad=$(table | sed 's/^AUTH_CB_COOLDOWN_MS\t\([a-z]*\)\t2000\t/AUTH_CB_COOLDOWN_MS\t\1\t2500\t/' | rows_check)
	[[ "$bad" == *"README.md: AUTH_CB_COOLDOWN_MS: default '2000', config.def '2500'"* ]] || fail "not found: $bad"
	[[ "$bad" == *"docs/operations.md: AUTH_CB_COOLDOWN_MS: default '2000', config.def '2500'"* ]] || fail "not found: $bad"
	bad=$(gateway_table | sed 's/^LOGIN_BURST\tgateway\t20\t/LOGIN_BURST\tgateway\t30\t/' | rows_check)
	[[ "$bad" == *"README.md: LOGIN_BURST: default '20', render.sh '30'"* ]] || fail "not found: $bad"
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
	    'supervised by scripts/stack.sh, or by Docker' '`scripts/stack.sh` finish'; do
		run grep -rnF "$p" README.md docs nginx/gateway.conf.template
		[ "$status" -ne 0 ] || fail "stale: $output"
	done
}

# known gateway: the variables nginx/render.sh and the gateway's start
# script use.
known() {
	grep -ohE '\$\{?[A-Z_]+' nginx/render.sh docker/gateway-start.sh | sed 's/.*\${\{0,1\}//' | sort -u
}

@test "compose, the swarm stack and k8s set only variables their service reads, to values config.def allows" {
	local bad
	table >"$BATS_TEST_TMPDIR/table"
	bad=$(/usr/bin/python3 - "$(known | tr '\n' ' ')" "$BATS_TEST_TMPDIR/table" <<'PY'
import re, subprocess, sys, yaml
gw = set(sys.argv[1].split())
rows = {}
for line in open(sys.argv[2]):
    name, svc, dflt, rng = line.rstrip("\n").split("\t")
    rows[name] = (svc, rng)
redis = {"REDIS_PASSWORD_FILE", "REDIS_MAXMEMORY"}
def check(where, service, env):
    """env: [(name, value)]; the value as the service gets it when the
    deployment's own variables are unset (${X:-d} and ${X-d} give d)."""
    out = []
    for k, v in env:
        v = re.sub(r"\$\{[A-Z_]+:?-([^}]*)\}", r"\1", str(v))
        if service == "gateway":
            ok = k in gw
        elif service == "redis":
            ok = k in redis
        else:
            ok = k in rows and rows[k][0] in (service, "both")
        if not ok:
            out.append(f"{where}: {service} sets {k}, which it does not read")
            continue
        if k not in rows or v == "":
            continue
        m = re.match(r"at most (\d+) bytes", rows[k][1])
        if m:
            ok = len(v.encode()) <= int(m[1])
        else:
            lo, hi = map(int, rows[k][1].split("-", 1))
            ok = re.fullmatch(r"-?\d+", v) is not None and lo <= int(v) <= hi
        if not ok:
            out.append(f"{where}: {service} sets {k}={v}, outside {rows[k][1]}")
    return out
def env_of(spec):
    e = spec.get("environment", {}) or {}
    return list(e.items()) if isinstance(e, dict) else [tuple(x.split("=", 1)) for x in e]
bad = []
for name in ("docker-compose.yml", "deploy/swarm/stack.yml"):
    for s, spec in yaml.safe_load(open(name))["services"].items():
        bad += check(name, s, env_of(spec))
k8s = subprocess.run(["kubectl", "kustomize", "deploy/k8s"], capture_output=True, text=True, check=True).stdout
for o in yaml.safe_load_all(k8s):
    if o and o["kind"] == "Deployment":
        for c in o["spec"]["template"]["spec"]["containers"]:
            bad += check("k8s", c["name"], [(e["name"], e.get("value", "")) for e in c.get("env", [])])
    if o and o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("gateway-config"):
        bad += check("k8s gateway-config", "gateway", list(o["data"].items()))
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
