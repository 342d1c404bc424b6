/*
 * wipe: the one way the services erase a secret (a token file's bytes, a
 * copied Authorization header, the tail of a hashed token).
 *
 * A memset() of a buffer that is freed or leaves scope next is a dead store,
 * and the optimiser removes it: build/cgi/auth/tokens.o had no memset left
 * between its fread and its free.  glibc's explicit_bzero() is promised to
 * stay.  Being one function in its own file, every wipe is a call the object
 * code shows; tests/integration/wipe.bats counts them.
 */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): explicit_bzero */
#include "wipe.h"

#include <string.h>

void
wipe(void *p, size_t len)
{
	if (len > 0)
		explicit_bzero(p, len);
}
