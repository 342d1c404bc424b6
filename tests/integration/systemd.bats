#!/usr/bin/env bats
# deploy/systemd: the host units for auth, info (under spawn-fcgi) and the
# gateway.  systemd-analyze verify finds nothing to say about them, each
# scores "OK" or better in systemd-analyze security (offline), and the
# gateway's configuration for that layout, rendered as docs/operations.md
# says, passes nginx -t.

setup() {
	load helpers
	UNITS=("$ROOT"/deploy/systemd/*.service)
}

@test "systemd-analyze verify: the three units, not a word" {
	assert_equal "${#UNITS[@]}" 3
	run systemd-analyze verify "${UNITS[@]}"
	assert_success
	assert_output ''
}

@test "systemd-analyze security --offline: each unit's exposure is OK or better" {
	local u level
	for u in "${UNITS[@]}"; do
		run systemd-analyze security --offline=true --no-pager "$u"
		assert_success
		level=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for \(.*\): \([0-9.]*\) \([A-Z]*\).*/\1 \2 \3/p')
		echo "# $level" >&3
		[[ "$level" =~ \ (SAFE|OK)$ ]] || fail "$level"
	done
}

@test "the hardening a unit must keep: non-root, ProtectSystem=strict, NoNewPrivileges, no capabilities" {
	local u
	for u in "${UNITS[@]}"; do
		run grep -E '^(User=(cgi-auth|cgi-info|www-data)|ProtectSystem=strict|NoNewPrivileges=yes|CapabilityBoundingSet=)$' "$u"
		assert_equal "${#lines[@]}" 4
	done
}

@test "the gateway's configuration for the units' layout passes nginx -t" {
	local d=$BATS_TEST_TMPDIR/var/lib/cgi-gateway
	# The install step makes these (StateDirectory= makes only the top).
	mkdir -p "$d/tmp" "$d/conf.d" "$d/www" "$BATS_TEST_TMPDIR/run"
	# The install step's command, with the state directory under the test's.
	run env RUN_DIR="$d" LISTEN=127.0.0.1:8080 \
	    INTERNAL_LISTEN="unix:$BATS_TEST_TMPDIR/run/gateway.sock" \
	    AUTH_UPSTREAM=unix:/run/cgi-auth/auth.sock \
	    INFO_UPSTREAM=unix:/run/cgi-info/info.sock \
	    ACCESS_LOG=/dev/stdout ERROR_LOG=stderr NGINX_USER= \
	    "$ROOT/nginx/render.sh"
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/nginx.conf"
	grep -q 'server unix:/run/cgi-auth/auth.sock' "$BATS_TEST_TMPDIR/nginx.conf"
	grep -q 'server unix:/run/cgi-info/info.sock' "$BATS_TEST_TMPDIR/nginx.conf"
	run nginx -t -q -c "$BATS_TEST_TMPDIR/nginx.conf" -e stderr
	assert_success
}

@test "the units' boundaries: each socket's directory is 0750 of the one group that may connect, and no service is in nginx's group" {
	local u
	for u in "${UNITS[@]}"; do
		run grep -x 'RuntimeDirectoryMode=0750' "$u"
		assert_success
		run grep -E '^SupplementaryGroups=' "$u"
		assert_failure
	done
	run grep -x 'ExecStartPre=+/bin/chgrp www-data /run/cgi-auth' "$ROOT/deploy/systemd/cgi-auth.service"
	assert_success
	run grep -x 'ExecStartPre=+/bin/chgrp www-data /run/cgi-info' "$ROOT/deploy/systemd/cgi-info.service"
	assert_success
	# Only info's group enters the gateway's: the internal listener.
	run grep -x 'ExecStartPre=+/bin/chgrp cgi-info /run/cgi-gateway' "$ROOT/deploy/systemd/cgi-gateway.service"
	assert_success
}
