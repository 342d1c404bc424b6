/*
 * Fuzzes the users file parser (AUTH_USERS_FILE): any text either loads or
 * is refused with an error naming the variable and the line; every user
 * loaded has a valid name and an Argon2id hash within the bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "users.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct users us;
	char         err[CFG_ERR_MAX];
	const char  *why;
	size_t       i;

	memset(&us, 0, sizeof(us));
	if (users_parse(&us, (const char *)data, size, err) == -1) {
		if (strncmp(err, "AUTH_USERS_FILE line ", 21) != 0)
			abort();
	}
	for (i = 0; i < us.n; i++)
		if (!ident_sub_ok(us.u[i].name, strlen(us.u[i].name)) ||
		    users_hash_ok(us.u[i].hash, strlen(us.u[i].hash), &why) !=
			0)
			abort();
	users_free(&us);
	return 0;
}
