#!/usr/bin/env bats
# The code's shape, read from the build: files depend one way.

setup() {
	load helpers
	OBJ=${BIN_DIR:-$ROOT/build}/cgi
}

@test "no two files of cgi/ call each other, directly or round a cycle (nm's symbols of every object)" {
	run /usr/bin/python3 "$ROOT/tests/integration/callgraph.py" "$OBJ"/*/*.o
	assert_success
	# svc starts the workers, the workers route: one way.
	assert_line --regexp "/lib/svc\.o -> .*/lib/worker\.o"
	assert_line --regexp "/lib/worker\.o -> .*/lib/route\.o"
	refute_line --regexp "/lib/(worker|route)\.o -> .*/lib/svc\.o"
	# The time is clock's, the routes every service has are admin's: the
	# auth client's calls and svc need neither of the other.
	assert_line --regexp "/info/authmux\.o -> .*/lib/clock\.o"
	refute_line --regexp "/info/authmux\.o -> .*/lib/svc\.o"
	refute_line --regexp "/lib/svc\.o -> .*/lib/admin\.o"
}

@test "the call-graph check finds a cycle when there is one" {
	local d=$BATS_TEST_TMPDIR
	printf 'void b(void); void a(void) { b(); }\n' > "$d/a.c"
	printf 'void a(void); void b(void) { a(); }\n' > "$d/b.c"
	cc -c "$d/a.c" -o "$d/a.o"
	cc -c "$d/b.c" -o "$d/b.o"
	run /usr/bin/python3 "$ROOT/tests/integration/callgraph.py" "$d/a.o" "$d/b.o"
	assert_failure
	assert_output --partial 'cycle:'
}
