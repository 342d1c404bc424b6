#!/usr/bin/env bats
# HTTPS at the gateway: the stack started with TLS=1 (a throwaway
# self-signed certificate for 127.0.0.1 in the run directory) serves HTTPS
# and HTTP/2 on TLS_PORT beside plain HTTP.  Checked with curl, openssl's
# client and testssl.sh, tools nobody here wrote.

setup_file() {
	load helpers
	TLS_PORT=$(free_port)
	export TLS_PORT
	stack_start TLS=1 TLS_PORT="$TLS_PORT"
	export CA=$RUN_DIR/tls/cert.pem
}

teardown_file() {
	load helpers
	stack_stop
}

setup() {
	load helpers
	HTTPS=https://127.0.0.1:$TLS_PORT
}

# s_client ARGS: openssl's client against the HTTPS port; its output in
# $output, its status in $status.  It stays 0.3 s: a TLS 1.3 session ticket
# comes after the handshake.
s_client() {
	run bash -c 'sleep 0.3 | openssl s_client -connect "127.0.0.1:$0" -CAfile "$1" "${@:2}" 2>&1' \
	    "$TLS_PORT" "$CA" "$@"
}

@test "the tutorial's curl session over HTTPS with --cacert, on HTTP/2" {
	BASE=$HTTPS
	assert_tutorial_session --cacert "$CA" --http2
	run curl -s -o /dev/null -w '%{http_version}' --cacert "$CA" --http2 "$HTTPS/info"
	assert_output 2
	# HTTP/1.1 still, for clients without HTTP/2.
	run curl -s -o /dev/null -w '%{http_version}' --cacert "$CA" --http1.1 "$HTTPS/info"
	assert_output 1.1
}

@test "HSTS on every HTTPS answer, errors included, and never over plain HTTP" {
	local path
	BASE=$HTTPS
	for path in /info /nowhere /healthz; do
		http GET "$path" --cacert "$CA"
		assert_equal "$(header Strict-Transport-Security)" max-age=63072000
	done
	http DELETE /healthz --cacert "$CA"
	assert_equal "$STATUS" 405
	assert_equal "$(header Strict-Transport-Security)" max-age=63072000
	BASE=http://127.0.0.1:$PORT
	http GET /info
	assert_equal "$STATUS" 401
	assert_equal "$(header Strict-Transport-Security)" ''
}

@test "errors over HTTPS are the same JSON as over HTTP" {
	BASE=$HTTPS
	http GET /nowhere --cacert "$CA"
	assert_equal "$STATUS" 404
	assert_equal "$BODY" '{"detail":"Not Found"}'
	http POST /info --cacert "$CA"
	assert_equal "$STATUS" 405
	assert_equal "$(header Allow)" 'GET, HEAD'
	assert_equal "$BODY" '{"detail":"Method Not Allowed"}'
}

@test "plain HTTP sent to the HTTPS port answers 400 JSON" {
	BASE=http://127.0.0.1:$TLS_PORT
	http GET /info
	assert_equal "$STATUS" 400
	assert_equal "$BODY" '{"detail":"Bad Request"}'
	assert_equal "$(header Content-Type)" application/json
}

@test "TLS 1.2 and 1.3 are accepted; TLS 1.0 and 1.1 are refused by the server" {
	s_client -tls1_3
	assert_success
	assert_output --partial 'Verify return code: 0 (ok)'
	assert_output --partial 'New, TLSv1.3'
	s_client -tls1_2
	assert_success
	assert_output --partial 'New, TLSv1.2'
	# SECLEVEL 0: this client offers the old versions; the server says no.
	for v in -tls1 -tls1_1; do
		s_client "$v" -cipher 'DEFAULT@SECLEVEL=0'
		assert_failure
		assert_output --partial 'alert protocol version'
	done
}

@test "a second connection resumes the first one's TLS session" {
	local v
	for v in -tls1_2 -tls1_3; do
		s_client "$v" -sess_out "$BATS_TEST_TMPDIR/sess$v"
		assert_success
		s_client "$v" -sess_in "$BATS_TEST_TMPDIR/sess$v"
		assert_success
		assert_output --partial 'Reused, TLSv1.'
	done
}

@test "testssl.sh: nothing vulnerable, nothing HIGH or CRITICAL but what a self-signed throwaway certificate is" {
	local json=$BATS_TEST_TMPDIR/testssl.json
	testssl --quiet --warnings off --color 0 -p -S -U --jsonfile "$json" \
	    "$HTTPS" > "$BATS_TEST_TMPDIR/testssl.txt" 2>&1 || true
	grep -E '^ (SSLv|TLS 1|ALPN)' "$BATS_TEST_TMPDIR/testssl.txt" >&3
	# The exceptions, both of the test certificate only: no CA vouches
	# for it (chain of trust), and none could revoke it (no CRL, no OCSP).
	run python3 - "$json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
assert len(findings) > 50, f"only {len(findings)} findings: did testssl run?"
allowed = {"cert_chain_of_trust", "cert_revocation"}
for f in findings:
    bad = f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in allowed
    vuln = "VULNERABLE" in f["finding"].upper() and "NOT VULNERABLE" not in f["finding"].upper()
    if bad or vuln:
        print(f["id"], f["severity"], f["finding"])
print("offered:", " ".join(sorted(f["id"] for f in findings
    if f["id"] in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3")
    and f["finding"].startswith("offered"))))
PY
	assert_success
	assert_output 'offered: TLS1_2 TLS1_3'
}

@test "a TLS_CERT that cannot be read stops the start with a line naming it" {
	local dir
	dir=$(mktemp -d /tmp/cgi-stack.XXXXXX)
	run env RUN_DIR="$dir" PORT="$(free_port)" TLS_CERT=/nonexistent/cert.pem \
	    TLS_KEY=/nonexistent/key.pem READY_SECS=5 "$ROOT/scripts/stack.sh" start
	RUN_DIR=$dir "$ROOT/scripts/stack.sh" stop
	rm -rf "$dir"
	assert_failure
	assert_output --partial "render: TLS_CERT: cannot read '/nonexistent/cert.pem'"
}
