#!/bin/sh
# Prints the AUTH_TOKENS_FILE entry that stands for a token without holding
# it: "sha256:" and the token's SHA-256 in hex.  The token is read from
# standard input (one line; on a terminal, a prompt that does not echo),
# never from the command line, where ps and the shell history would keep it.
#
#   scripts/token-hash.sh >> tokens.txt          (type the token)
#   printf '%s\n' "$TOKEN" | scripts/token-hash.sh
set -eu

if [ -t 0 ]; then
	printf 'token: ' >&2
	stty -echo
	trap 'stty echo' EXIT
	IFS= read -r tok || true
	stty echo
	trap - EXIT
	printf '\n' >&2
else
	IFS= read -r tok || true
fi
# The same rule as auth.fcgi: blanks around the token are not part of it.
tok=$(printf '%s' "$tok" | sed 's/^[[:blank:]]*//; s/[[:blank:]]*$//')
if [ -z "$tok" ]; then
	echo "token-hash: no token on standard input" >&2
	exit 1
fi
case $tok in
*[!\!-~]* | *,*)
	echo "token-hash: a token is visible ASCII without ',' (auth.fcgi would refuse it)" >&2
	exit 1
	;;
esac
printf 'sha256:%s\n' "$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)"
