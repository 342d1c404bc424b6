/*
 * Fuzzes what auth.fcgi does with a client's Authorization header:
 * authz_token() then tokens_match() against a small store.  Checks the
 * contract, not just the absence of crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tokens ts;
	static int           loaded;
	char                 err[CFG_ERR_MAX], *h;
	const char          *tok;
	size_t               len, i;

	if (!loaded) {
		if (tokens_parse_list(&ts,
			"merixstudio,sha256:6335c4f89111d1e0"
			"12d4ae3c5cb005a2bd5aa614a852d9b537bfb87e27328f40",
			err) == -1)
			abort();
		loaded = 1;
	}
	/* A header value is a C string from libfcgi. */
	if ((h = malloc(size + 1)) == NULL)
		return 0;
	memcpy(h, data, size);
	h[size] = '\0';
	if (authz_token(h, &tok, &len) == 0) {
		if (len == 0 || len > AUTHZ_MAX || tok < h ||
		    tok + len > h + strlen(h))
			abort();
		for (i = 0; i < len; i++)
			if ((unsigned char)tok[i] <= 0x20 ||
			    (unsigned char)tok[i] >= 0x7f || tok[i] == ',')
				abort();
		if (tokens_match(&ts, tok, len) &&
		    !(len == 11 && memcmp(tok, "merixstudio", 11) == 0))
			abort();
	}
	free(h);
	return 0;
}
