#!/usr/bin/env bats
# docker-compose.yml, checked without an engine (make test): valid for
# Debian's docker-compose 1.29, and saying what docs/operations.md promises.
# make test-compose runs it for real.

setup() {
	load helpers
	cd "$ROOT" || return
}

# cfg EXPR: evaluates a Python expression over the normalized config `c`.
cfg() {
	docker-compose config | /usr/bin/python3 -c \
	    'import sys, yaml; c = yaml.safe_load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

@test "docker-compose.yml is valid for docker-compose 1.29" {
	run docker-compose config -q
	assert_success
	assert_output ''
}

@test "four services; only the gateway publishes a port, on loopback by default" {
	run cfg 'sorted(c["services"])'
	assert_output "['auth', 'gateway', 'info', 'redis']"
	run cfg '[(s, "ports" in v) for s, v in sorted(c["services"].items())]'
	assert_output "[('auth', False), ('gateway', True), ('info', False), ('redis', False)]"
	run cfg 'c["services"]["gateway"]["ports"][0]'
	assert_output --regexp "'host_ip': '127.0.0.1'|127.0.0.1:8080:8080"
}

@test "every service has a healthcheck and restarts unless stopped; the gateway waits for healthy services" {
	run cfg '[(s, "test" in v["healthcheck"], v["restart"]) for s, v in sorted(c["services"].items())]'
	assert_output "[('auth', True, 'unless-stopped'), ('gateway', True, 'unless-stopped'), ('info', True, 'unless-stopped'), ('redis', True, 'unless-stopped')]"
	run cfg 'sorted((k, v["condition"]) for k, v in c["services"]["gateway"]["depends_on"].items())'
	assert_output "[('auth', 'service_healthy'), ('info', 'service_healthy')]"
}

@test "the tokens are a secret file (the demo token's digest by default), never container environment" {
	run cfg 'c["services"]["auth"]["environment"]["AUTH_TOKENS_FILE"], c["services"]["auth"]["environment"]["AUTH_TOKENS"]'
	assert_output "('/run/secrets/auth_tokens', '')"
	run cfg 'c["secrets"]["auth_tokens"]["file"]'
	assert_output "$ROOT/docker/auth-tokens.demo"
	run grep -v '^#' docker/auth-tokens.demo
	assert_output "sha256:$(printf %s merixstudio | sha256sum | cut -d' ' -f1)"
	run cfg 'sorted(s for s, v in c["services"].items() if "auth_tokens" in str(v.get("secrets")))'
	assert_output "['auth']"
	AUTH_TOKENS_FILE=/srv/tokens run cfg 'c["secrets"]["auth_tokens"]["file"]'
	assert_output /srv/tokens
	# A token set in the environment reaches auth, which then refuses to
	# start (both set) rather than serve the demo token in its place.
	AUTH_TOKENS=s3cret run cfg 'c["services"]["auth"]["environment"]["AUTH_TOKENS"]'
	assert_output s3cret
	run env AUTH_TOKENS=s3cret AUTH_TOKENS_FILE=/dev/null "$ROOT/build/auth.fcgi" </dev/null
	assert_failure
	assert_output --partial 'AUTH_TOKENS and AUTH_TOKENS_FILE are both set: set only one'
}

@test "one network per hop: the gateway reaches auth and info, info only the gateway, auth only the gateway and redis" {
	run cfg 'sorted((s, sorted(v["networks"])) for s, v in c["services"].items())'
	assert_output "[('auth', ['auth', 'store']), ('gateway', ['auth', 'default', 'info']), ('info', ['info']), ('redis', ['store'])]"
	run cfg 'sorted((n, v.get("internal", False)) for n, v in c["networks"].items())'
	assert_output "[('auth', True), ('default', False), ('info', True), ('store', True)]"
}

@test "redis holds auth's shared failed-login budget: on an internal network with auth alone, its password a secret, no persistence" {
	run cfg 'c["services"]["auth"]["environment"]["AUTH_FAIL_STORE"], c["services"]["auth"]["environment"]["AUTH_FAIL_STORE_PASSWORD_FILE"]'
	assert_output "('redis://redis:6379', '/run/secrets/redis_password')"
	run cfg 'c["networks"]["store"]["internal"], sorted(s for s, v in c["services"].items() if "store" in v.get("networks", {}))'
	assert_output "(True, ['auth', 'redis'])"
	run cfg 'sorted(s for s, v in c["services"].items() if "redis_password" in str(v.get("secrets")))'
	assert_output "['auth', 'redis']"
	# The key of auth's address digests: auth's secret, not redis's.
	run cfg 'c["services"]["auth"]["environment"]["AUTH_FAIL_STORE_KEY_FILE"], sorted(s for s, v in c["services"].items() if "fail_store_key" in str(v.get("secrets")))'
	assert_output "('/run/secrets/fail_store_key', ['auth'])"
	run cfg 'c["services"]["auth"]["depends_on"]["redis"]["condition"]'
	assert_output service_healthy
	# Persistence off, the password read from the secret, not argv.
	run grep -E '^(save|appendonly|requirepass)' docker/redis-start.sh
	assert_output $'requirepass $pw\nsave ""\nappendonly no'
	# Empty: each replica counts alone.
	AUTH_FAIL_STORE='' run cfg 'c["services"]["auth"]["environment"]["AUTH_FAIL_STORE"]'
	assert_output ''
}

@test "info reaches auth through the gateway's internal listener" {
	run cfg 'c["services"]["info"]["environment"]["AUTH_URL"]'
	assert_output http://gateway:8081/login/
}

@test "docker-compose.tls.yml adds HTTPS to the gateway only, its certificate and key as secrets from files, and refuses to start without them" {
	run env TLS_CERT_FILE=/c.pem TLS_KEY_FILE=/k.pem docker-compose \
	    -f docker-compose.yml -f docker-compose.tls.yml config
	assert_success
	run /usr/bin/python3 -c 'import sys, yaml
c = yaml.safe_load(sys.argv[1])
g = c["services"]["gateway"]
print(sorted(str(p) for p in g["ports"]), g["environment"]["TLS_LISTEN"],
    sorted(s["source"] if isinstance(s, dict) else s for s in g["secrets"]),
    sorted((k, v["file"]) for k, v in c["secrets"].items() if k.startswith("tls")),
    [s for s in ("auth", "info") if "tls_key" in str(c["services"][s].get("secrets"))])' "$output"
	assert_output --regexp "8443.*8080|8080.*8443"
	assert_output --partial "8443 ['tls_cert', 'tls_key'] [('tls_cert', '/c.pem'), ('tls_key', '/k.pem')] []"
	run docker-compose -f docker-compose.yml -f docker-compose.tls.yml config -q
	assert_failure
	assert_output --partial 'set TLS_CERT_FILE'
}
