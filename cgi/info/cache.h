/*
 * cache: info.fcgi's optional memory of auth's decisions (AUTH_CACHE_TTL_MS).
 *
 * Off by default.  When on, a yes from auth is kept for as long as auth's
 * Cache-Control says (private, max-age=N), at most AUTH_CACHE_TTL_MS; an
 * answer that says nothing, no-store or no-cache, or is not well-formed is
 * not kept (authc_parse_max_age()).  Entries are keyed by a SHA-256 of the
 * client's address, the Authorization value as sent and the scope info
 * requires: the cache never holds a token, and a yes auth gave one address
 * is never an answer to another (so a throttled address cannot test a guess
 * against tokens other clients use).  Each entry holds the generation of
 * auth's token set that gave it; info asks for the newest generation it has
 * seen, so a reload that auth reports on any answer drops every older
 * decision at once.  An expired yes stays in its slot until replaced: with
 * AUTH_STALE_IF_ERROR_MS it may answer while auth cannot be reached
 * (RFC 5861's stale-if-error).  A fixed number of slots (AUTH_CACHE_SIZE),
 * each holding the last key hashed to it, bounds the memory.  The same table
 * type holds the addresses auth answered 429, until their Retry-After.
 * Thread-safe (striped locks); time is passed in for the tests.
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
	unsigned char      key[SHA256_LEN];
	long long          expires_ms; /* 0: empty */
	unsigned long long gen;        /* auth's token set's */
	char sub[IDENT_SUB_MAX + 1];   /* the yes's subject, or "" */
};

struct cache {
	long                ttl_ms;   /* the ceiling; 0: off */
	long                stale_ms; /* AUTH_STALE_IF_ERROR_MS; 0: none */
	size_t              size;
	struct cache_entry *slot;
	pthread_mutex_t     lock[CACHE_STRIPES];
};

/*
 * Reads AUTH_CACHE_TTL_MS (0 = off, up to 3600000), AUTH_CACHE_SIZE (1024,
 * 1..1048576) and AUTH_STALE_IF_ERROR_MS (0, up to 3600000) and sets c up.
 * Returns 0, or -1 with err filled.  Release with cache_free().
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
 * address (NULL: none known) to a service requiring scope (NULL: none).
 * Pure.
 */
void cache_key(const char *addr, const char *authorization, const char *scope,
    unsigned char key[SHA256_LEN]);

/* The key of a client address alone (NULL: none known).  Pure. */
void cache_addr_key(const char *addr, unsigned char key[SHA256_LEN]);

/*
 * When key holds an entry of generation gen that expires after now_ms,
 * that expiry (> 0), and its subject into sub (when not NULL); else 0.
 */
long long cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, unsigned long long gen, char sub[IDENT_SUB_MAX + 1]);

/*
 * As cache_hit(), but also for an entry that expired less than stale_ms
 * before now_ms.  0 when stale_ms is 0 and the entry expired.
 */
long long cache_stale(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, unsigned long long gen, char sub[IDENT_SUB_MAX + 1]);

/*
 * Remembers key, of generation gen, with subject sub (NULL: none), until
 * expires_ms.  Does nothing when off.
 */
void cache_put_until(struct cache *c, const unsigned char key[SHA256_LEN],
    long long expires_ms, unsigned long long gen, const char *sub);

#endif
