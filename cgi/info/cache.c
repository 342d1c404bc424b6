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
	long ttl_ms, size;

	memset(c, 0, sizeof(*c));
	if (cfg_long("AUTH_CACHE_TTL_MS", 0, 0, 3600000, &ttl_ms, err) == -1 ||
	    cfg_long("AUTH_CACHE_SIZE", 1024, 1, 1048576, &size, err) == -1)
		return -1;
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
cache_key(const char *addr, const char *authorization,
    unsigned char key[SHA256_LEN])
{
	unsigned char both[2 * SHA256_LEN];

	/* No header and an empty one are the same key; neither is ever a yes. */
	if (authorization == NULL)
		authorization = "";
	/* Digests of fixed length side by side: no two pairs meet. */
	cache_addr_key(addr, both);
	sha256(authorization, strlen(authorization), both + SHA256_LEN);
	sha256(both, sizeof(both), key);
	wipe(both, sizeof(both));
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

long long
cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, char sub[IDENT_SUB_MAX + 1])
{
	struct cache_entry *e;
	size_t              i;
	long long           hit;

	if (c->ttl_ms == 0)
		return 0;
	i = cache_index(c, key);
	e = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	hit = e->expires_ms > now_ms && memcmp(e->key, key, SHA256_LEN) == 0
	    ? e->expires_ms
	    : 0;
	if (hit && sub != NULL)
		memcpy(sub, e->sub, sizeof(e->sub));
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
	return hit;
}

void
cache_put(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms, const char *sub)
{
	cache_put_until(c, key, now_ms + c->ttl_ms, sub);
}

void
cache_put_until(struct cache *c, const unsigned char key[SHA256_LEN],
    long long expires_ms, const char *sub)
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
	snprintf(e->sub, sizeof(e->sub), "%s", sub ? sub : "");
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
}
