/*
 * vcache: a slot is taken whole under its stripe's lock; a hit copies the
 * identity out under it.
 */
#include "vcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

#define VCACHE_STRIPES 64

struct vcache_slot {
	unsigned char d[SHA256_LEN];
	unsigned long gen; /* 0: empty (generations start at 1) */
	long long     exp;
	struct ident  id;
};

struct vcache {
	pthread_mutex_t    lock[VCACHE_STRIPES];
	struct vcache_slot slot[VCACHE_SLOTS];
};

struct vcache *
vcache_new(void)
{
	struct vcache *c = calloc(1, sizeof(*c));
	size_t         i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < VCACHE_STRIPES; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	return c;
}

void
vcache_free(struct vcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < VCACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->lock[i]);
	free(c);
}

/* The slot of digest d (a SHA-256: its bytes are uniform). */
static size_t
vcache_index(const unsigned char d[SHA256_LEN])
{
	return ((size_t)d[0] << 8 | d[1]) % VCACHE_SLOTS;
}

int
vcache_get(struct vcache *c, const unsigned char d[SHA256_LEN],
    unsigned long gen, long long now, struct ident *id)
{
	size_t              i = vcache_index(d);
	struct vcache_slot *s = &c->slot[i];
	int                 hit;

	pthread_mutex_lock(&c->lock[i % VCACHE_STRIPES]);
	hit = s->gen == gen && gen != 0 && now < s->exp + JWT_LEEWAY_S &&
	    memcmp(s->d, d, SHA256_LEN) == 0;
	if (hit)
		*id = s->id;
	pthread_mutex_unlock(&c->lock[i % VCACHE_STRIPES]);
	return hit;
}

void
vcache_put(struct vcache *c, const unsigned char d[SHA256_LEN],
    unsigned long gen, long long exp, const struct ident *id)
{
	size_t              i = vcache_index(d);
	struct vcache_slot *s = &c->slot[i];

	pthread_mutex_lock(&c->lock[i % VCACHE_STRIPES]);
	memcpy(s->d, d, SHA256_LEN);
	s->gen = gen;
	s->exp = exp;
	s->id = *id;
	pthread_mutex_unlock(&c->lock[i % VCACHE_STRIPES]);
}
