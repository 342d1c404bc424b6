/*
 * Fuzzes the parsing of configuration values (SVC_THREADS, AUTH_TIMEOUT_MS...):
 * a value is accepted only inside its range, and then equals strtoll's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long bounds[][2] = {
		{ 1, 256 },
		{ 0, 1000 },
		{ 1, 600000 },
		{ -5, 5 },
	};
	char *s;
	long  out, min, max;

	if (size < 1)
		return 0;
	min = bounds[data[0] % 4][0];
	max = bounds[data[0] % 4][1];
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (cfg_parse_long(s, min, max, &out) == 0) {
		errno = 0;
		if (out < min || out > max || strtoll(s, NULL, 10) != out ||
		    errno != 0)
			abort();
	}
	free(s);
	return 0;
}
