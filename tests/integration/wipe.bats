#!/usr/bin/env bats
# Secrets are wiped, and the wipes are still in the binary: a memset() before
# a free() is a dead store the optimiser may remove (gcc -O2 does), so every
# wipe goes through wipe() (cgi/lib/wipe.c, glibc's explicit_bzero), and the
# object code is read for the calls.  And AUTH_TOKENS leaves auth's environment.

setup() {
	load helpers
	OBJ=${BIN_DIR:-$ROOT/build}/cgi
}

# A test that fails before its stack_stop leaves no stack behind.
teardown() {
	if [ -n "${RUN_DIR:-}" ] && [ -d "$RUN_DIR" ]; then
		stack_stop || true
	fi
}

# wipe_calls OBJECT: how many calls to wipe() the object's code makes (its
# relocations against the symbol).
wipe_calls() {
	objdump -dr "$1" | grep -cE 'R_X86_64_(PLT32|PC32)[[:space:]]+wipe(-0x4)?$' || true
}

@test "the token file's buffer, the freed store and AUTH_TOKENS' bytes are wiped: tokens.o calls wipe() three times" {
	[ "$(wipe_calls "$OBJ/auth/tokens.o")" -ge 3 ]
}

@test "info's copy of the Authorization header and the cache's digests are wiped; so are every hashed token's tail and its message schedule" {
	[ "$(wipe_calls "$OBJ/info/authc.o")" -ge 1 ]
	[ "$(wipe_calls "$OBJ/info/cache.o")" -ge 1 ]
	# The last block's copy, and the schedule w[] and state v[] of every
	# block (sha256_block, which may be inlined: its calls count here).
	[ "$(wipe_calls "$OBJ/lib/sha256.o")" -ge 3 ]
	# wipe() itself is explicit_bzero, not a memset that could go.
	run bash -c "objdump -dr '$OBJ/lib/wipe.o' | grep -E 'R_X86_64_PLT32[[:space:]]+(explicit_bzero|__explicit_bzero_chk)'"
	assert_success
}

@test "AUTH_TOKENS is not in auth's environment once it has started" {
	local pid
	stack_start AUTH_TOKENS=envsecret123
	pid=$(service_pid auth)
	BASE=http://127.0.0.1:$PORT
	http POST /login/ -H 'Authorization: envsecret123'
	run grep -c envsecret123 "/proc/$pid/environ"
	stack_stop
	assert_equal "$STATUS" 200
	assert_output 0
}

@test "AUTH_TOKENS is in the environment of no process the stack starts: s6, nginx and info included" {
	local pids p n=0 master scan
	stack_start AUTH_TOKENS=envsecret-one,merixstudio
	BASE=http://127.0.0.1:$PORT
	http GET /info -H 'Authorization: envsecret-one'
	assert_equal "$STATUS" 200
	master=$(s6-svstat -o pid "$RUN_DIR/svc/gateway")
	scan=$(pgrep -f "s6-svscan $RUN_DIR/svc")
	# s6-svscan and its s6-supervise children, nginx's master and workers,
	# auth and info.
	pids="$scan $(pgrep -P "$scan") $master $(pgrep -P "$master") \
	    $(s6-svstat -o pid "$RUN_DIR/svc/auth") $(s6-svstat -o pid "$RUN_DIR/svc/info")"
	for p in $pids; do
		[ -r "/proc/$p/environ" ] || continue
		n=$((n + 1))
		! grep -q envsecret "/proc/$p/environ" ||
		    fail "pid $p ($(tr '\0' ' ' < "/proc/$p/cmdline")) has the tokens in its environment"
	done
	stack_stop
	# s6-svscan, 3 s6-supervise, nginx's master and a worker, auth, info.
	[ "$n" -ge 8 ] || fail "only $n processes looked at"
}
