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

@test "the demo token is set in one place and can be overridden from the environment" {
	run cfg 'c["services"]["auth"]["environment"]["AUTH_TOKENS"]'
	assert_output merixstudio
	run grep -c merixstudio docker-compose.yml
	assert_output 2	# the default, and the curl example in the header
	AUTH_TOKENS=s3cret run cfg 'c["services"]["auth"]["environment"]["AUTH_TOKENS"]'
	assert_output s3cret
}

@test "redis holds auth's shared failed-login budget: on an internal network with auth alone, its password a secret, no persistence" {
	run cfg 'c["services"]["auth"]["environment"]["AUTH_FAIL_STORE"], c["services"]["auth"]["environment"]["AUTH_FAIL_STORE_PASSWORD_FILE"]'
	assert_output "('redis://redis:6379', '/run/secrets/redis_password')"
	run cfg 'c["networks"]["store"]["internal"], sorted(s for s, v in c["services"].items() if "store" in v.get("networks", {}))'
	assert_output "(True, ['auth', 'redis'])"
	run cfg 'sorted(s for s, v in c["services"].items() if "redis_password" in str(v.get("secrets")))'
	assert_output "['auth', 'redis']"
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
