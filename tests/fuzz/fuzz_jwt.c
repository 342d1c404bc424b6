/*
 * Fuzzes the access-token verifier (jwt_verify) two ways: the input as a
 * token from a client, and the input as the claims of a token signed with
 * the harness's own key, so that the claims' parser is reached past the
 * signature.  Either way a token is accepted or refused with a reason, and
 * what is accepted holds a valid subject and valid scopes.  A third way:
 * the input as a JWKS document (what info reads from auth), which gives a
 * set of at most JWT_KEYS_MAX Ed25519 keys or none.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt.h"

#define ISS "https://auth.example"
#define NOW 1800000000LL

static struct jwt_keyset ks;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const unsigned char seed[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)argc;
	(void)argv;
	if (jwt_keyset_add(&ks,
		EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
		    sizeof(seed))) == -1)
		abort();
	return 0;
}

static void
check(const char *tok, size_t len)
{
	struct jwt_claims c;
	const char       *why = NULL;

	if (jwt_verify(&ks, tok, len, ISS, NOW, &c, &why) == 0) {
		if (!ident_sub_ok(c.id.sub, strlen(c.id.sub)) || c.exp <= 0)
			abort();
	} else if (why == NULL || why[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char tok[2 * JWT_MAX];
	char       *s;

	struct jwt_keyset set = { 0 };

	if (size == 0)
		return 0;
	if ((data[0] & 3) == 2) {
		if (jwt_keyset_from_jwks(&set, (const char *)data + 1,
			size - 1) == 0 &&
		    set.n > JWT_KEYS_MAX)
			abort();
		if (set.n > 0 && set.k[0].pkey == NULL)
			abort();
		jwt_keyset_free(&set);
		return 0;
	}
	if (data[0] & 1) {
		check((const char *)data + 1, size - 1);
		return 0;
	}
	if (size > JWT_MAX / 2 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (jwt_sign(&ks.k[0], s, tok, sizeof(tok)) > 0)
		check(tok, strlen(tok));
	free(s);
	return 0;
}
