/*
 * keys: PEM parsing is OpenSSL's; this file only bounds the input, counts
 * the keys and names a bad one by its place.
 */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "textfile.h"
#include "wipe.h"

#define KEYS_VAR "AUTH_SIGNING_KEY_FILE"

/* The PEM blocks in text: its lines that begin "-----BEGIN ". */
static size_t
keys_blocks(const char *text, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	size_t            i, n = 0;

	for (i = 0; i + sizeof(begin) - 1 <= len; i++)
		if ((i == 0 || text[i - 1] == '\n') &&
		    memcmp(text + i, begin, sizeof(begin) - 1) == 0)
			n++;
	return n;
}

int
keys_read_file(struct jwt_keyset *ks, const char *path, char err[CFG_ERR_MAX])
{
	char     *text;
	size_t    len;
	BIO      *bio;
	EVP_PKEY *k;
	int       rc = -1;

	if ((text = textfile_read(KEYS_VAR, path, KEYS_FILE_MAX, &len, err)) ==
	    NULL)
		return -1;
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", KEYS_VAR);
		goto out;
	}
	while ((k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) != NULL)
		if (jwt_keyset_add(ks, k) == -1) {
			snprintf(err, CFG_ERR_MAX,
			    "%s: key %zu is not an Ed25519 key, or there are "
			    "more than %d",
			    KEYS_VAR, ks->n + 1, JWT_KEYS_MAX);
			goto out;
		}
	/* Every PEM block must have been a key: none skipped, none bad. */
	if (ks->n == 0 || ks->n != keys_blocks(text, len)) {
		snprintf(err, CFG_ERR_MAX,
		    "%s: key %zu is no PEM private key (openssl genpkey "
		    "-algorithm ed25519 makes one)",
		    KEYS_VAR, ks->n + 1);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	wipe(text, len);
	free(text);
	if (rc == -1)
		jwt_keyset_free(ks);
	return rc;
}

size_t
keys_jwks(const struct jwt_keyset *ks, char *buf, size_t cap)
{
	size_t i, len, n;

	if (cap < 16)
		return 0;
	len = (size_t)snprintf(buf, cap, "{\"keys\":[");
	for (i = 0; i < ks->n; i++) {
		if (i > 0 && len + 1 < cap)
			buf[len++] = ',';
		if ((n = jwt_jwk(&ks->k[i], buf + len, cap - len)) == 0)
			return 0;
		len += n;
	}
	if (len + 3 > cap)
		return 0;
	memcpy(buf + len, "]}", 3);
	return len + 2;
}
