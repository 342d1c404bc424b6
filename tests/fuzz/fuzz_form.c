/*
 * Fuzzes the token endpoint's form parser: any body is decoded into the
 * fields within their bounds, NUL-ended, or refused with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char              a[33], b[65], c[17];
	struct form_field f[] = {
		{ "grant_type", a, 32, 0, 0 },
		{ "username", b, 64, 0, 0 },
		{ "password", c, 16, 0, 0 },
	};
	const char *why = NULL, *name;
	size_t      i;

	if (form_parse((const char *)data, size, f, 3, &why, &name) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	for (i = 0; i < 3; i++) {
		if (f[i].len > f[i].max || strlen(f[i].buf) != f[i].len)
			abort();
		if (!f[i].seen && f[i].len != 0)
			abort();
	}
	return 0;
}
