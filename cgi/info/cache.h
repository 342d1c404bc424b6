/*
 * cache: info.fcgi's optional memory of auth's "yes" (AUTH_CACHE_TTL_MS).
 *
 * Off by default.  When on, a 200 from auth for an Authorization value is
 * remembered for at most the TTL, so repeated /info calls with the same token
 * skip the round trip to auth.  Entries are keyed by the SHA-256 of the
 * header value: the cache never holds a token.  Only positive answers are
 * kept; a fixed number of slots (AUTH_CACHE_SIZE), each holding the last
 * key hashed to it, bounds the memory.  The price is revocation delay: a
 * token removed from auth keeps working in each info process for up to the
 * TTL.  Thread-safe (striped locks); time is passed in for the tests.
 */
#ifndef CACHE_H
#define CACHE_H

#include <pthread.h>
#include <stddef.h>

#include "cfg.h"
#include "sha256.h"

/* Lock stripes: enough that 256 threads rarely meet on one. */
#define CACHE_STRIPES 64

struct cache_entry {
	unsigned char key[SHA256_LEN];
	long long     expires_ms; /* 0: empty */
};

struct cache {
	long                ttl_ms; /* 0: off */
	size_t              size;
	struct cache_entry *slot;
	pthread_mutex_t     lock[CACHE_STRIPES];
};

/*
 * Reads AUTH_CACHE_TTL_MS (0 = off, up to 3600000) and AUTH_CACHE_SIZE
 * (1024, 1..1048576) and sets c up.  Returns 0, or -1 with err filled.
 * Release with cache_free().
 */
int  cache_init(struct cache *c, char err[CFG_ERR_MAX]);
void cache_free(struct cache *c);

/* The key of an Authorization value (NULL: no header).  Pure. */
void cache_key(const char *authorization, unsigned char key[SHA256_LEN]);

/* 1 when key was answered "yes" less than ttl_ms before now_ms, else 0. */
int cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms);

/* Remembers a "yes" for key from now_ms.  Does nothing when off. */
void cache_put(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms);

#endif
