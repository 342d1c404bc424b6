#!/bin/sh
# Prints an AUTH_USERS_FILE line for a user: "NAME $argon2id$v=19$m=19456,
# t=2,p=1$<salt>$<hash>", OWASP's floor for Argon2id, by Debian's argon2
# (the reference implementation's command).  The password is read from
# standard input (on a terminal, twice, without echo), never from the
# command line, where ps and the shell history would keep it.
#
#   scripts/user-hash.sh alice >> users.txt          (type the password)
#   printf '%s\n' "$PASSWORD" | scripts/user-hash.sh alice
set -eu

name=${1:-}
case $name in
'' | *[!A-Za-z0-9._@-]*)
	echo "user-hash: usage: user-hash.sh NAME (1-64 of [A-Za-z0-9._@-])" >&2
	exit 1
	;;
esac
if [ ${#name} -gt 64 ]; then
	echo "user-hash: NAME is longer than 64 characters" >&2
	exit 1
fi
command -v argon2 >/dev/null || {
	echo "user-hash: needs argon2 (apt-get install argon2)" >&2
	exit 1
}

if [ -t 0 ]; then
	stty -echo
	trap 'stty echo' EXIT
	printf 'password for %s: ' "$name" >&2
	IFS= read -r pw || true
	printf '\nagain: ' >&2
	IFS= read -r again || true
	stty echo
	trap - EXIT
	printf '\n' >&2
	if [ "$pw" != "$again" ]; then
		echo "user-hash: the two passwords differ" >&2
		exit 1
	fi
else
	IFS= read -r pw || true
fi
if [ -z "$pw" ]; then
	echo "user-hash: no password on standard input" >&2
	exit 1
fi
# 16 random bytes of salt, in the PHC alphabet (argon2 takes it as text).
salt=$(head -c 16 /dev/urandom | base64 | tr -d '=')
hash=$(printf '%s' "$pw" | argon2 "$salt" -id -t 2 -k 19456 -p 1 -l 32 -e)
printf '%s %s\n' "$name" "$hash"
