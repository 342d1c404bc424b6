/*
 * sha256: SHA-256 (FIPS 180-4): the token store keeps digests, info.fcgi
 * keys its auth cache by them.
 *
 * auth.fcgi keeps only digests of its tokens, so a token file need not hold a
 * secret and a memory dump of the process shows none.  A small local
 * implementation keeps auth.fcgi free of a crypto library (its RSS target is
 * 2 MB); the unit test checks it against FIPS 180-4's vectors.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Writes the digest of data[0..len) into out.  Pure and thread-safe. */
void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

#endif
