/*
 * keys: auth's signing keys, from AUTH_SIGNING_KEY_FILE: one or more
 * Ed25519 private keys in PEM (`openssl genpkey -algorithm ed25519`), one
 * after another.  The first signs the tokens auth issues; every one of them
 * verifies, and is published at /.well-known/jwks.json, so that a new key
 * is put first and the old one kept until its tokens have expired (a
 * rotation, with a reload).  Read again on SIGHUP with the tokens.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stddef.h>

#include "cfg.h"
#include "jwt.h"

/* Largest key file read: 16 PEM keys are ~2 kB. */
#define KEYS_FILE_MAX ((size_t)64 * 1024)
/* The JWKS of a full key set. */
#define KEYS_JWKS_MAX (16 + JWT_KEYS_MAX * (JWT_JWK_MAX + 1))

/*
 * Reads the keys of the file at path into ks (empty before).  Returns 0,
 * or -1 with err naming the variable and the key's place in the file.  The
 * file's text is wiped from memory once read.
 */
int
keys_read_file(struct jwt_keyset *ks, const char *path, char err[CFG_ERR_MAX]);

/* {"keys":[...]}, every key's public JWK, into buf.  Returns its length. */
size_t keys_jwks(const struct jwt_keyset *ks, char *buf, size_t cap);

#endif
