/*
 * cache: a direct-mapped table of digests.  The slot is picked by the
 * digest's first bytes (uniform, since it is SHA-256), and a new key simply
 * replaces the old one: no lists, no allocation after start.
 */
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

static int
cache_alloc(struct cache *c, long ttl_ms, size_t size, char err[CFG_ERR_MAX])
{
	int i;

	c->ttl_ms = ttl_ms;
	if (c->ttl_ms == 0)
		return 0;
	c->size = size;
	if ((c->slot = calloc(c->size, sizeof(*c->slot))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_CACHE_SIZE: out of memory");
		return -1;
	}
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	return 0;
}

int
cache_init(struct cache *c, char err[CFG_ERR_MAX])
{
	long ttl_ms, size, stale_ms;

	memset(c, 0, sizeof(*c));
	if (cfg_int(CFG_AUTH_CACHE_TTL_MS, &ttl_ms, err) == -1 ||
	    cfg_int(CFG_AUTH_CACHE_SIZE, &size, err) == -1 ||
	    cfg_int(CFG_AUTH_STALE_IF_ERROR_MS, &stale_ms, err) == -1)
		return -1;
	c->stale_ms = stale_ms;
	return cache_alloc(c, ttl_ms, (size_t)size, err);
}

int
cache_init_like(struct cache *c, const struct cache *like,
    char err[CFG_ERR_MAX])
{
	memset(c, 0, sizeof(*c));
	return cache_alloc(c, like->ttl_ms, like->size, err);
}

void
cache_free(struct cache *c)
{
	int i;

	if (c->slot == NULL)
		return;
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->lock[i]);
	/* Digests of valid tokens: not secrets, but wiped all the same. */
	wipe(c->slot, c->size * sizeof(*c->slot));
	free(c->slot);
	c->slot = NULL;
}

void
cache_addr_key(const char *addr, unsigned char key[SHA256_LEN])
{
	if (addr == NULL)
		addr = "";
	sha256(addr, strlen(addr), key);
}

void
cache_key(const char *addr, const char *authorization, const char *scope,
    unsigned char key[SHA256_LEN])
{
	unsigned char all[3 * SHA256_LEN];

	/* No header and an empty one are the same key; neither is ever a yes. */
	if (authorization == NULL)
		authorization = "";
	if (scope == NULL)
		scope = "";
	/* Digests of fixed length side by side: no two triples meet. */
	cache_addr_key(addr, all);
	sha256(authorization, strlen(authorization), all + SHA256_LEN);
	sha256(scope, strlen(scope), all + (size_t)2 * SHA256_LEN);
	sha256(all, sizeof(all), key);
	wipe(all, sizeof(all));
}

static size_t
cache_index(const struct cache *c, const unsigned char key[SHA256_LEN])
{
	unsigned long long h = 0;
	int                i;

	for (i = 0; i < 8; i++)
		h = h << 8 | key[i];
	return (size_t)(h % c->size);
}

/* The entry for key of generation gen that expires after now_ms - grace. */
static long long
cache_get(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, long grace_ms, unsigned long long gen,
    char sub[IDENT_SUB_MAX + 1])
{
	struct cache_entry *e;
	size_t              i;
	long long           hit;

	if (c->ttl_ms == 0)
		return 0;
	i = cache_index(c, key);
	e = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	hit = e->expires_ms != 0 && e->expires_ms + grace_ms > now_ms &&
		e->gen == gen && memcmp(e->key, key, SHA256_LEN) == 0
	    ? e->expires_ms
	    : 0;
	if (hit && sub != NULL)
		memcpy(sub, e->sub, sizeof(e->sub));
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
	return hit;
}

long long
cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, unsigned long long gen, char sub[IDENT_SUB_MAX + 1])
{
	return cache_get(c, key, now_ms, 0, gen, sub);
}

long long
cache_stale(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, unsigned long long gen, char sub[IDENT_SUB_MAX + 1])
{
	return cache_get(c, key, now_ms, c->stale_ms, gen, sub);
}

void
cache_put_until(struct cache *c, const unsigned char key[SHA256_LEN],
    long long expires_ms, unsigned long long gen, const char *sub)
{
	struct cache_entry *e;
	size_t              i;

	if (c->ttl_ms == 0)
		return;
	i = cache_index(c, key);
	e = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	memcpy(e->key, key, SHA256_LEN);
	e->expires_ms = expires_ms;
	e->gen = gen;
	snprintf(e->sub, sizeof(e->sub), "%s", sub ? sub : "");
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
}
