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
