/*
 * cache: info.fcgi's optional memory of auth's answers (AUTH_CACHE_TTL_MS).
 *
 * Off by default.  When on, a 200 from auth for an Authorization value sent
 * from a client address is remembered for at most the TTL, so repeated /info
 * calls with the same token from the same address skip the round trip to
 * auth.  Entries are keyed by a SHA-256 of the address and the header value:
 * the cache never holds a token, and a yes auth gave one address is never an
 * answer to another (so a throttled address cannot test a guess against
 * tokens other clients use).  A fixed number of slots (AUTH_CACHE_SIZE),
 * each holding the last key hashed to it, bounds the memory.  The same table
 * type, with an expiry per entry (cache_put_until), holds the addresses auth
 * answered 429 until their Retry-After.  The price is revocation delay: a
 * token removed from auth keeps working in each info process for up to the
 * TTL.  Thread-safe (striped locks); time is passed in for the tests.
 */
#ifndef CACHE_H
#define CACHE_H

#include <pthread.h>
#include <stddef.h>

#include "cfg.h"
#include "ident.h"
#include "sha256.h"

/* Lock stripes: enough that 256 threads rarely meet on one. */
#define CACHE_STRIPES 64

struct cache_entry {
	unsigned char key[SHA256_LEN];
	long long     expires_ms;             /* 0: empty */
	char          sub[IDENT_SUB_MAX + 1]; /* the yes's subject, or "" */
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
int cache_init(struct cache *c, char err[CFG_ERR_MAX]);

/*
 * Sets c up as a table of like's TTL and size (off when like is), for
 * another kind of entry.  Returns 0, or -1 with err filled.
 */
int  cache_init_like(struct cache *c, const struct cache *like,
     char err[CFG_ERR_MAX]);
void cache_free(struct cache *c);

/*
 * The key of an Authorization value (NULL: no header) sent from a client
 * address (NULL: none known).  Pure.
 */
void cache_key(const char *addr, const char *authorization,
    unsigned char key[SHA256_LEN]);

/* The key of a client address alone (NULL: none known).  Pure. */
void cache_addr_key(const char *addr, unsigned char key[SHA256_LEN]);

/*
 * When key holds an entry that expires after now_ms, that expiry (> 0),
 * and its subject into sub (when not NULL); else 0.
 */
long long cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, char sub[IDENT_SUB_MAX + 1]);

/*
 * Remembers key, with subject sub (NULL: none), from now_ms for the TTL.
 * Does nothing when off.
 */
void cache_put(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, const char *sub);

/* Remembers key until expires_ms.  Does nothing when off. */
void cache_put_until(struct cache *c, const unsigned char key[SHA256_LEN],
    long long expires_ms, const char *sub);

#endif
