/*
 * Fuzzes the token file and list parsers (AUTH_TOKENS_FILE, AUTH_TOKENS):
 * any text either loads or is refused with an error naming the variable, and
 * never echoes a token in that error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokens ts = { 0, NULL, "" };
	char          err[CFG_ERR_MAX], *s;

	if (tokens_parse_file(&ts, (const char *)data, size, err) == -1 &&
	    strncmp(err, "AUTH_TOKENS_FILE line ", 22) != 0)
		abort();
	if (ts.n > TOKENS_COUNT_MAX)
		abort();
	tokens_free(&ts);
	/* The same bytes as an environment variable (a C string). */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tokens_parse_list(&ts, s, err) == -1 &&
	    strncmp(err, "AUTH_TOKENS: ", 13) != 0)
		abort();
	tokens_free(&ts);
	free(s);
	return 0;
}
