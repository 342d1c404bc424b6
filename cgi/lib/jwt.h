/*
 * jwt: signed access tokens (RFC 9068's JWT profile): one implementation of
 * the rules for whoever signs them (auth) and whoever checks them (auth's
 * /login/, and info).
 *
 * Keys are Ed25519 (RFC 8037: alg EdDSA), each named by its RFC 7638
 * thumbprint (the kid).  A token is accepted only when its header names a
 * kid of the key set and the algorithm that key has, typ at+jwt, and no key
 * of its own (jwk, jku, x5u, x5c) nor a crit extension; when its signature
 * verifies under that key (OpenSSL's libcrypto signs; libsodium checks,
 * 1.7 times as fast here: 22k against 13k checks a second on one core); and when its claims hold the configured iss and aud, an exp
 * not past and an nbf not to come (JWT_LEEWAY_S either way), a valid sub
 * and valid scopes (ident.h).  A JSON object with a member twice is
 * refused: two parsers could read it two ways.  Thread-safe: a key set is
 * only read once built.
 */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>

#include <openssl/types.h>

#include "ident.h"

/* Longest token looked at (its three parts and dots). */
#define JWT_MAX      8192
/* Keys in a set: a signing key, and those it rotates with. */
#define JWT_KEYS_MAX 16
/* A kid: the base64url of a SHA-256 (43 characters). */
#define JWT_KID_LEN  43
/* Clock skew allowed on exp and nbf (RFC 9068 leaves it to the checker). */
#define JWT_LEEWAY_S 30
/* The JSON of one public JWK (RFC 7517), with room to spare. */
#define JWT_JWK_MAX  256
/* The audience of every access token: the services behind the gateway. */
#define JWT_AUDIENCE "cgi-microservices"

struct jwt_key {
	char          kid[JWT_KID_LEN + 1];
	EVP_PKEY     *pkey;    /* owned; a private key signs (libcrypto) */
	unsigned char pub[32]; /* its public key: verifies (libsodium) */
};

struct jwt_keyset {
	size_t         n;
	struct jwt_key k[JWT_KEYS_MAX];
};

/* What a verified token says. */
struct jwt_claims {
	struct ident id;
	long long    exp, iat; /* seconds since the epoch; iat 0 when none */
};

/*
 * Adds pkey (taken over: freed with the set, also on failure) to ks with
 * its thumbprint as kid.  Returns 0, or -1 when ks is full, the key is not
 * Ed25519 or its kid cannot be made.
 */
int  jwt_keyset_add(struct jwt_keyset *ks, EVP_PKEY *pkey);
void jwt_keyset_free(struct jwt_keyset *ks);

/* Longest JWKS document read (RFC 7517): JWT_KEYS_MAX keys and room. */
#define JWT_JWKS_MAX (JWT_KEYS_MAX * JWT_JWK_MAX + 64)

/*
 * Fills ks (empty) from a JWKS document, json[0..len): {"keys":[..]},
 * each key an Ed25519 JWK (kty OKP, crv Ed25519, x) whose kid, when it
 * has one, is its RFC 7638 thumbprint, and whose use and alg, when given,
 * are sig and EdDSA; a key of another type is skipped (a set may hold
 * keys for others).  Returns 0, or -1 (ks left empty) when the document is
 * not such a set, a member is there twice, an Ed25519 key is malformed or
 * names another kid, or there are more than JWT_KEYS_MAX keys.
 */
int jwt_keyset_from_jwks(struct jwt_keyset *ks, const char *json, size_t len);

/*
 * The public JWK of k ({"kty":"OKP","crv":"Ed25519","x":..,"kid":..,
 * "use":"sig","alg":"EdDSA"}) into buf.  Returns its length, or 0.
 */
size_t jwt_jwk(const struct jwt_key *k, char *buf, size_t cap);

/*
 * 1 when tok[0..len) has a JWS's shape (three base64url parts, the last
 * empty in an unsecured JWT), else 0.
 */
int jwt_shaped(const char *tok, size_t len);

/*
 * Signs a token with k's key over the claims (a JSON object's text):
 * header {"alg":"EdDSA","typ":"at+jwt","kid":..}.  Writes it with a NUL
 * into out; returns its length, or 0 when it does not fit or signing fails.
 */
size_t
jwt_sign(const struct jwt_key *k, const char *claims, char *out, size_t cap);

/*
 * Verifies tok[0..len) against ks and the rules above, at now (seconds
 * since the epoch), iss the issuer required.  Returns 0 and fills out, or
 * -1 with *why a short reason fit for a client (RFC 6750's
 * error_description: never the token's text).
 */
int jwt_verify(const struct jwt_keyset *ks, const char *tok, size_t len,
    const char *iss, long long now, struct jwt_claims *out, const char **why);

/* jwt_verify()'s *why when no key of the set has the token's kid: a key
 * the verifier may not have fetched yet. */
extern const char jwt_why_unknown_kid[];

#endif
