/*
 * Fuzzes info.fcgi's reading of what auth answered: curl's result, the status
 * and the body.  Fail closed: only CURLE_OK + 200 may ever be a yes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const CURLcode rcs[] = {
		CURLE_OK,
		CURLE_OPERATION_TIMEDOUT,
		CURLE_COULDNT_CONNECT,
		CURLE_WEIRD_SERVER_REPLY,
		CURLE_WRITE_ERROR,
		CURLE_RECV_ERROR,
		CURLE_PARTIAL_FILE,
		CURLE_GOT_NOTHING,
	};
	CURLcode           rc;
	long               status;
	enum authc_outcome o;
	struct ident       id;

	if (size < 3)
		return 0;
	rc = rcs[data[0] % (sizeof(rcs) / sizeof(rcs[0]))];
	status = (long)((data[1] << 8 | data[2]) % 1000);
	/* The body is at most AUTHC_BODY_MAX bytes, as authc reads it. */
	size -= 3;
	if (size > AUTHC_BODY_MAX)
		size = AUTHC_BODY_MAX;
	/* Declared length: none, the true one, or 0 (odd bits pick). */
	o = authc_map(rc, status,
	    data[1] & 1       ? -1
		: data[2] & 1 ? 0
			      : (long long)size,
	    (const char *)data + 3, size, &id);
	if (o == AUTHC_OK && (rc != CURLE_OK || status != 200))
		abort();
	/* The identity obeys ident.h's rules, and is empty unless a yes. */
	if ((id.sub[0] && !ident_sub_ok(id.sub, strlen(id.sub))) ||
	    (o != AUTHC_OK && (id.sub[0] || id.scopes[0])))
		abort();
	if ((o == AUTHC_UNAUTHORIZED && status != 401) ||
	    (o == AUTHC_FORBIDDEN && status != 403))
		abort();
	if ((int)o < 0 || o >= AUTHC_N)
		abort();
	return 0;
}
