/*
 * Fuzzes request id validation (X-Request-ID reaches logs and auth's
 * request): reqid_valid() agrees with the rule written out plainly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reqid.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char  *s;
	size_t i, n;
	int    want;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	want = n >= 1 && n <= REQID_MAX;
	for (i = 0; i < n; i++)
		if (strchr(
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789._-",
			s[i]) == NULL)
			want = 0;
	if (reqid_valid(s) != want)
		abort();
	free(s);
	return 0;
}
