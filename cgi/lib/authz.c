/*
 * authz: a header is judged a byte at a time, at most AUTHZ_MAX + 1 of them.
 */
#include "authz.h"

#include <stddef.h>

enum authz_shape
authz_shape(const char *header)
{
	size_t i;
	int    blank = 1;

	if (header == NULL)
		return AUTHZ_NONE;
	for (i = 0; header[i] != '\0'; i++) {
		if (i >= AUTHZ_MAX)
			return AUTHZ_MALFORMED;
		if (((unsigned char)header[i] < 0x20 && header[i] != '\t') ||
		    header[i] == 0x7f)
			return AUTHZ_MALFORMED;
		if (header[i] != ' ' && header[i] != '\t')
			blank = 0;
	}
	return blank ? AUTHZ_NONE : AUTHZ_CREDENTIALS;
}
