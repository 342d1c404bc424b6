/*
 * vcache: access tokens already verified, so that a token used again costs
 * a SHA-256 and a lookup, not a signature check (jwt.h).
 *
 * Keyed by the SHA-256 of the token, in VCACHE_SLOTS slots (a direct-mapped
 * table: the slot is the digest's first bytes; a newer token takes the
 * slot).  An entry holds the token's identity and exp, and the generation
 * of the key set that verified it: a reload (a new generation) makes every
 * entry stale at once, and an entry past exp + JWT_LEEWAY_S is never
 * answered.  Only verified tokens enter, so no client can fill it with
 * garbage.  Thread-safe: a lock per stripe of slots.
 */
#ifndef VCACHE_H
#define VCACHE_H

#include "ident.h"
#include "sha256.h"

/* ~2.2 kB each (an identity's scopes), paged in as used. */
#define VCACHE_SLOTS 1024

struct vcache;

/* A new, empty cache, or NULL (out of memory).  Free with vcache_free(). */
struct vcache *vcache_new(void);
void           vcache_free(struct vcache *c);

/*
 * 1 and *id when the token of digest d was verified under generation gen
 * and has not expired at now (seconds since the epoch); else 0.
 */
int vcache_get(struct vcache *c, const unsigned char d[SHA256_LEN],
    unsigned long gen, long long now, struct ident *id);

/* Keeps the verified token of digest d: its identity, exp and gen. */
void vcache_put(struct vcache *c, const unsigned char d[SHA256_LEN],
    unsigned long gen, long long exp, const struct ident *id);

#endif
