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

int
cache_init(struct cache *c, char err[CFG_ERR_MAX])
{
	long size;
	int  i;

	memset(c, 0, sizeof(*c));
	if (cfg_long("AUTH_CACHE_TTL_MS", 0, 0, 3600000, &c->ttl_ms, err) ==
		-1 ||
	    cfg_long("AUTH_CACHE_SIZE", 1024, 1, 1048576, &size, err) == -1)
		return -1;
	if (c->ttl_ms == 0)
		return 0;
	c->size = (size_t)size;
	if ((c->slot = calloc(c->size, sizeof(*c->slot))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_CACHE_SIZE: out of memory");
		return -1;
	}
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	return 0;
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
cache_key(const char *authorization, unsigned char key[SHA256_LEN])
{
	/* No header and an empty one are the same key; neither is ever a yes. */
	if (authorization == NULL)
		authorization = "";
	sha256(authorization, strlen(authorization), key);
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

int
cache_hit(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms)
{
	struct cache_entry *e;
	size_t              i;
	int                 hit;

	if (c->ttl_ms == 0)
		return 0;
	i = cache_index(c, key);
	e = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	hit = e->expires_ms > now_ms && memcmp(e->key, key, SHA256_LEN) == 0;
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
	return hit;
}

void
cache_put(struct cache *c, const unsigned char key[SHA256_LEN],
    long long now_ms)
{
	struct cache_entry *e;
	size_t              i;

	if (c->ttl_ms == 0)
		return;
	i = cache_index(c, key);
	e = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	memcpy(e->key, key, SHA256_LEN);
	e->expires_ms = now_ms + c->ttl_ms;
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
}
