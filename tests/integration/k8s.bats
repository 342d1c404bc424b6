#!/usr/bin/env bats
# deploy/k8s, checked offline (no cluster runs here): kustomize renders it,
# every object validates against the Kubernetes API schema of its kind
# (npm's kubernetes-models), and the rendered objects keep the promises
# docs/deploy.md makes.  What only a cluster shows (scheduling, probes
# passing, the NetworkPolicy enforced) is not checked: docs/deploy.md.

setup() {
	load helpers
	RENDERED=$BATS_TEST_TMPDIR/k8s.yaml
	kubectl kustomize "$ROOT/deploy/k8s" > "$RENDERED"
}

# q EXPR: a Python expression over `objs` (the rendered objects), printed
# as JSON with sorted keys (kustomize versions order keys differently).
q() {
	python3 -c 'import json, sys, yaml
objs = [o for o in yaml.safe_load_all(open(sys.argv[1])) if o]
def by(kind): return [o for o in objs if o["kind"] == kind]
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$RENDERED" "$1"
}

@test "kubectl kustomize renders the namespace, four Deployments and Services, the Secrets, ConfigMap, PDBs, HPA and NetworkPolicies" {
	run q 'sorted(o["kind"] + " " + o["metadata"]["name"].rsplit("-", 1)[0] if o["kind"] in ("Secret", "ConfigMap") else o["kind"] + " " + o["metadata"]["name"] for o in objs)'
	assert_output '["ConfigMap gateway-config", "Deployment auth", "Deployment gateway", "Deployment info", "Deployment redis", "HorizontalPodAutoscaler info", "Namespace cgi-microservices", "NetworkPolicy gateway", "NetworkPolicy redis-from-auth-only", "NetworkPolicy services-from-gateway-only", "PodDisruptionBudget auth", "PodDisruptionBudget gateway", "PodDisruptionBudget info", "Secret auth-signing-key", "Secret auth-tokens", "Secret auth-users", "Secret fail-store-key", "Secret redis-password", "Service auth", "Service gateway", "Service gateway-internal", "Service info", "Service redis"]'
	run q 'sorted(set(o["metadata"].get("namespace", "-") for o in objs if o["kind"] != "Namespace"))'
	assert_output '["cgi-microservices"]'
}

@test "every rendered object validates against the Kubernetes API schema of its kind" {
	run node "$ROOT/tests/integration/k8s_validate.mjs" < "$RENDERED"
	assert_success
	[ "$(grep -c '^ok ' <<< "$output")" -eq 23 ]
}

@test "a schema violation is caught: a Deployment whose replicas is a string fails validation" {
	sed 's/^  replicas: 2$/  replicas: "two"/' "$RENDERED" > "$BATS_TEST_TMPDIR/bad.yaml"
	run node "$ROOT/tests/integration/k8s_validate.mjs" < "$BATS_TEST_TMPDIR/bad.yaml"
	assert_failure
	assert_output --partial 'not ok Deployment auth: '
}

@test "every container runs as non-root, read-only, without capabilities or privilege escalation, with requests and limits" {
	run q 'sorted((d["metadata"]["name"], d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], d["spec"]["template"]["spec"]["securityContext"]["runAsUser"], c["securityContext"], sorted(c["resources"])) for d in by("Deployment") for c in d["spec"]["template"]["spec"]["containers"])'
	assert_output '[["auth", true, 10001, {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true}, ["limits", "requests"]], ["gateway", true, 33, {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true}, ["limits", "requests"]], ["info", true, 10001, {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true}, ["limits", "requests"]], ["redis", true, 10002, {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true}, ["limits", "requests"]]]'
}

@test "probes: the FastCGI health check for auth and info, HTTP for the gateway, an authenticated PING for redis" {
	run q 'sorted((d["metadata"]["name"], c["readinessProbe"].get("exec", c["readinessProbe"].get("httpGet")), c["livenessProbe"].get("exec", c["livenessProbe"].get("httpGet"))) for d in by("Deployment") for c in d["spec"]["template"]["spec"]["containers"])'
	assert_output '[["auth", {"command": ["fcgi-health", "127.0.0.1:9000"]}, {"command": ["fcgi-health", "127.0.0.1:9000"]}], ["gateway", {"path": "/openapi.json", "port": "http"}, {"path": "/openapi.json", "port": "http"}], ["info", {"command": ["fcgi-health", "127.0.0.1:9000"]}, {"command": ["fcgi-health", "127.0.0.1:9000"]}], ["redis", {"command": ["redis-health.sh"]}, {"command": ["redis-health.sh"]}]]'
}

@test "the tokens, the users, the signing key, redis's password and auth's key come from Secrets as read-only files for the pod's group, never from an environment variable" {
	run q '[(e["name"], e.get("value")) for d in by("Deployment") if d["metadata"]["name"] == "auth" for c in d["spec"]["template"]["spec"]["containers"] for e in c["env"]]'
	assert_output '[["AUTH_TOKENS_FILE", "/run/secrets/auth/auth_tokens"], ["AUTH_FAIL_STORE", "redis://redis:6379"], ["AUTH_FAIL_STORE_PASSWORD_FILE", "/run/secrets/redis/redis_password"], ["AUTH_FAIL_STORE_KEY_FILE", "/run/secrets/fail-store-key/fail_store_key"], ["AUTH_USERS_FILE", "/run/secrets/auth-users/auth_users"], ["AUTH_SIGNING_KEY_FILE", "/run/secrets/auth-signing-key/auth_signing_key"]]'
	run q 'sorted((d["metadata"]["name"], v["secret"]["secretName"].rsplit("-", 1)[0], oct(v["secret"]["defaultMode"]), d["spec"]["template"]["spec"]["securityContext"]["fsGroup"]) for d in by("Deployment") for v in d["spec"]["template"]["spec"].get("volumes", []) if "secret" in v)'
	assert_output '[["auth", "auth-signing-key", "0o440", 10001], ["auth", "auth-tokens", "0o440", 10001], ["auth", "auth-users", "0o440", 10001], ["auth", "fail-store-key", "0o440", 10001], ["auth", "redis-password", "0o440", 10001], ["redis", "redis-password", "0o440", 10002]]'
	run q 'any("AUTH_TOKENS" == e["name"] for d in by("Deployment") for c in d["spec"]["template"]["spec"]["containers"] for e in c.get("env", []))'
	assert_output false
}

@test "only the gateway reaches auth and info, only info the gateway's internal port, only auth redis; only the gateway's public port is a LoadBalancer" {
	run q 'sorted((p["metadata"]["name"], p["spec"]["podSelector"], p["spec"]["ingress"]) for p in by("NetworkPolicy"))'
	assert_output '[["gateway", {"matchLabels": {"app.kubernetes.io/name": "gateway"}}, [{"ports": [{"port": 8080, "protocol": "TCP"}]}, {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "info"}}}], "ports": [{"port": 8081, "protocol": "TCP"}]}]], ["redis-from-auth-only", {"matchLabels": {"app.kubernetes.io/name": "redis"}}, [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "auth"}}}], "ports": [{"port": 6379, "protocol": "TCP"}]}]], ["services-from-gateway-only", {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["auth", "info"]}]}, [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}], "ports": [{"port": 9000, "protocol": "TCP"}]}]]]'
	run q 'sorted((s["metadata"]["name"], s["spec"].get("type", "ClusterIP"), [p["port"] for p in s["spec"]["ports"]]) for s in by("Service"))'
	assert_output '[["auth", "ClusterIP", [9000]], ["gateway", "LoadBalancer", [80]], ["gateway-internal", "ClusterIP", [8081]], ["info", "ClusterIP", [9000]], ["redis", "ClusterIP", [6379]]]'
}

@test "the gateway's LoadBalancer keeps clients' addresses (externalTrafficPolicy: Local): per-address limits stay per client" {
	run q '[s["spec"].get("externalTrafficPolicy", "Cluster") for s in by("Service") if s["metadata"]["name"] == "gateway"]'
	assert_output '["Local"]'
}

@test "PodDisruptionBudgets keep one of each running; info scales on CPU from 2 to 8" {
	run q 'sorted((p["metadata"]["name"], p["spec"]["minAvailable"]) for p in by("PodDisruptionBudget"))'
	assert_output '[["auth", 1], ["gateway", 1], ["info", 1]]'
	run q '[(h["spec"]["scaleTargetRef"]["name"], h["spec"]["minReplicas"], h["spec"]["maxReplicas"], h["spec"]["metrics"][0]["resource"]["target"]) for h in by("HorizontalPodAutoscaler")]'
	assert_output '[["info", 2, 8, {"averageUtilization": 70, "type": "Utilization"}]]'
}


@test "the gateway's ConfigMap renders plain upstream blocks: its empty RESOLVER overrides the image's Docker DNS" {
	local env
	# The image's ENV first (the Dockerfile), then the ConfigMap over it,
	# as a pod gets them.
	run q '[k + "=" + v for c in by("ConfigMap") for k, v in sorted(c["data"].items())]'
	assert_success
	env=$(python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$output")
	# shellcheck disable=SC2086  # $env: one word per variable
	run env -i PATH="$PATH" LISTEN=8080 INTERNAL_LISTEN=8081 RESOLVER=127.0.0.11 \
	    AUTH_UPSTREAM=x:1 INFO_UPSTREAM=y:1 RUN_DIR=/run/gateway \
	    ACCESS_LOG=/dev/stdout ERROR_LOG=stderr NGINX_USER= \
	    $env "$ROOT/nginx/render.sh"
	assert_success
	assert_output --partial 'upstream auth { server auth:9000; keepalive 32; }'
	assert_output --partial 'upstream info { server info:9000; keepalive 32; }'
	refute_output --partial 'balancer_by_lua_block'
	# (The Lua module is loaded everywhere now, for the gateway's metrics;
	# peers.lua is not.)
	refute_output --partial 'require("peers")'
}
