/*
 * Fuzzes log_json_escape(), which puts the client's path into every log
 * line: the result always fits, never ends in a broken escape, and is the
 * inside of a JSON string that cJSON reads back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char  *src, dst[96], json[100];
	size_t n, cap;
	cJSON *v;

	if (size < 1)
		return 0;
	cap = 1 + data[0] % sizeof(dst);
	if ((src = malloc(size)) == NULL)
		return 0;
	memcpy(src, data + 1, size - 1);
	src[size - 1] = '\0';
	n = log_json_escape(dst, cap, src, 512);
	if (n >= cap || strlen(dst) != n)
		abort();
	json[0] = '"';
	memcpy(json + 1, dst, n);
	json[n + 1] = '"';
	json[n + 2] = '\0';
	if ((v = cJSON_Parse(json)) == NULL || !cJSON_IsString(v))
		abort();
	cJSON_Delete(v);
	free(src);
	return 0;
}
