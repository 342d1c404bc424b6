/*
 * reqid: validation of request ids.  Kept apart so that the rule has one home
 * and a unit test of its own.
 */
#include "reqid.h"

#include <stddef.h>

int
reqid_valid(const char *s)
{
	int n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= REQID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '.' || c == '_' ||
			c == '-'))
			return 0;
	}
	return n > 0;
}
