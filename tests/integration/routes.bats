#!/usr/bin/env bats
# The routes, read from their three places and checked against each other:
# each service's table (cgi/*/main.c, what the C serves), the gateway's
# locations, $route_allow and $gw_route (nginx/gateway.conf.template), and
# docs/openapi.yaml.  A route added to one place and not the others fails
# here, naming what is missing where.

setup() {
	load helpers
	cd "$ROOT" || return
}

# routes_check: the python below, over the three sources; prints one line
# per disagreement, nothing when they agree.
routes_check() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys, yaml

tables = {}
for svc in ("auth", "info"):
    src = open(f"cgi/{svc}/main.c").read()
    body = re.search(r"svc_route \w+_routes\[\] = \{(.*?)\n\};", src, re.S).group(1)
    tables[svc] = re.findall(r'\{ "([A-Z*]+)", "([^"]+)", \w+ \}', body)

tpl = open("nginx/gateway.conf.template").read()
# location = PATH { ... fastcgi_pass SVC; ... } (internal ones marked).
locs = {}
for m in re.finditer(r"location (=?) ?(\S+) \{(.*?)\n        \}", tpl, re.S):
    path, block = m.group(2), m.group(3)
    svc = re.search(r"fastcgi_pass (\w+);", block)
    locs[path] = (svc.group(1) if svc else None, "internal;" in block)

def map_block(name):
    b = re.search(r"map \$request_uri \$" + name + r" \{(.*?)\n    \}", tpl, re.S).group(1)
    # PCRE names a group (?<n>...), Python (?P<n>...).
    return [(re.compile(r.replace("(?<", "(?P<")), v) for r, v in re.findall(r'"~([^"]+)" "([^"]*)";', b)]

allow, gw = map_block("route_allow"), map_block("gw_route")
api = yaml.safe_load(open("docs/openapi.yaml"))["paths"]

bad = []
def first(rules, uri):
    for r, v in rules:
        if r.search(uri):
            return v
    return None

for svc, routes in tables.items():
    for method, path in routes:
        # What the gateway calls it: the same path, or its own name for
        # the routes every service has.
        names = {"/metrics": [f"/metrics/{svc}"],
                 "/healthz": [f"/_healthz/{svc}", "/healthz"]}.get(path, [path])
        if not any(locs.get(n, (None,))[0] == svc for n in names):
            bad.append(f"{svc} serves {method} {path}: no gateway location passes it to {svc}")

for path, (svc, internal) in sorted(locs.items()):
    if internal or path in ("/",):
        continue
    if path not in api:
        bad.append(f"gateway location {path}: not in docs/openapi.yaml")
    if not first(allow, path):
        bad.append(f"gateway location {path}: no $route_allow entry")
    if first(gw, path) in (None, "other"):
        bad.append(f"gateway location {path}: no $gw_route name")

for path, ops in api.items():
    uri = re.sub(r"\{[^}]+\}", "x", path)
    # The methods it serves (a 2xx, or 401: a check of the token): the API
    # also describes the others, with 405 or a redirect.
    methods = {m.upper() for m, op in ops.items()
               if m in ("get", "head", "post", "put", "delete", "patch", "options")
               and any(c.startswith("2") or c == "401"
                       for c in map(str, op.get("responses", {})))}
    said = first(allow, uri)
    if said is None:
        bad.append(f"openapi {path}: no $route_allow entry")
        continue
    for m in sorted(methods - {x.strip() for x in said.split(",")}):
        bad.append(f"openapi {path} {m}: not in $route_allow ({said})")
    if not any(p == path or (p.endswith("/") and path.startswith(p)) for p in locs):
        bad.append(f"openapi {path}: no gateway location")

# Every service's own route (but the shared two) is in the API.
for svc, routes in tables.items():
    for method, path in routes:
        if path in ("/healthz", "/metrics"):
            continue
        if path not in api:
            bad.append(f"{svc} serves {path}: not in docs/openapi.yaml")
        elif method != "*" and method.lower() not in api[path]:
            bad.append(f"{svc} serves {method} {path}: docs/openapi.yaml lacks {method.lower()}")

print("\n".join(bad))
PY
}

@test "every route of each service's table, each gateway location and each openapi path agree" {
	run routes_check
	assert_success
	assert_output ''
}

@test "the check finds a route the gateway does not know" {
	local d=$BATS_TEST_TMPDIR/tree
	mkdir -p "$d/cgi/auth" "$d/cgi/info" "$d/nginx" "$d/docs"
	cp cgi/info/main.c "$d/cgi/info/"
	cp nginx/gateway.conf.template "$d/nginx/"
	cp docs/openapi.yaml "$d/docs/"
	sed 's|{ "POST", "/login/", auth_login },|&\n\t{ "GET", "/version", auth_login },|' \
	    cgi/auth/main.c >"$d/cgi/auth/main.c"
	cd "$d"
	run routes_check
	assert_line 'auth serves GET /version: no gateway location passes it to auth'
	assert_line 'auth serves /version: not in docs/openapi.yaml'
}
