/*
 * b64url: base64url without padding (RFC 4648 section 5), the alphabet of
 * JWTs and JWKs (RFC 7515 section 2).  Pure and thread-safe.
 */
#ifndef B64URL_H
#define B64URL_H

#include <stddef.h>

/* The encoded length of n bytes, without a NUL. */
#define B64URL_LEN(n) (((n)*4 + 2) / 3)

/*
 * Encodes in[0..len) into out with a NUL.  Returns the length without the
 * NUL, or 0 when it (and the NUL) does not fit in cap.
 */
size_t b64url_encode(const void *in, size_t len, char *out, size_t cap);

/*
 * Decodes in[0..len) into out (at most cap bytes), *outlen its length.
 * Returns 0, or -1 when in holds a character outside the alphabet, padding,
 * a length no encoding has, bits set past the last byte (a second spelling
 * of the same bytes) or more than cap bytes.
 */
int b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap,
    size_t *outlen);

#endif
