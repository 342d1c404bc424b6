/*
 * jwks: info's copy of auth's public keys, so that /info checks an access
 * token itself (jwt.h's rules, the same code as auth's) with no call.
 *
 * A thread of its own fetches GET /.well-known/jwks.json from AUTH_URL's
 * host as every call to auth is made (authc_setup(): the gateway's
 * internal listener, the deadlines; no fetch while the breaker is open,
 * and a failed fetch does not count in it: /info's calls do), at
 * start, again when 3/4 of the lifetime its Cache-Control gave have
 * passed (public, max-age), once a second while a fetch fails, and when a
 * token names a kid the set lacks (a key rotated in), at most once a
 * second however many such tokens come.  A set is used for its lifetime,
 * and while fetches fail for AUTH_STALE_IF_ERROR_MS past it; after that
 * there are no keys and info asks auth, as it does for any token it does
 * not verify itself.  Thread-safe.
 */
#ifndef JWKS_H
#define JWKS_H

#include <stddef.h>

#include "authc.h"
#include "breaker.h"
#include "jwt.h"

struct jwks;

/* What became of the fetches, for /metrics (info_jwks_fetches_total). */
enum jwks_fetch {
	JWKS_FETCH_OK,
	JWKS_FETCH_FAILED, /* no answer, not 200, or not a key set */
	JWKS_FETCH_BREAKER_OPEN,
	JWKS_FETCH_N,
};

/*
 * A key set fetched from cfg's AUTH_URL host while b (the calls to auth's
 * breaker) is not open, kept stale_ms past its lifetime while fetches fail.
 * Starts the fetching thread.  NULL on failure (out of memory, a URL curl
 * refuses, no thread).  Free with jwks_free(), which stops the thread.
 */
struct jwks      *
jwks_new(const struct authc_cfg *cfg, struct breaker *b, long stale_ms);
void jwks_free(struct jwks *j);

enum jwks_verdict {
	JWKS_VERIFIED, /* out holds the claims */
	JWKS_REFUSED, /* *why: the rules refused it (auth decides and counts) */
	JWKS_NO_KEYS, /* none fetched, or past their use */
};

/*
 * Verifies tok[0..len) with the keys and jwt_verify()'s rules, iss the
 * issuer required.  An unknown kid asks for a fetch.  *gen is the set's
 * generation (a new one with every set fetched; vcache.h), 0 with
 * JWKS_NO_KEYS.
 */
enum jwks_verdict
jwks_verify(struct jwks *j, const char *tok, size_t len, const char *iss,
    struct jwt_claims *out, const char **why, unsigned long *gen);

/* The generation of the keys in use, 0 when there are none. */
unsigned long jwks_generation(struct jwks *j);

/* info_jwks_fetches_total and info_jwks_keys, for /metrics. */
int jwks_metrics(struct jwks *j, char *buf, size_t cap, size_t *len);

#endif
