/*
 * guard: failed authentications per client address (see guard.h).
 */
#include "guard.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slots per lock: 4096 slots, 64 locks. */
#define GUARD_STRIPE 64

struct guard_slot {
	int       fails;
	long long since_ms; /* the window's first failure */
};

struct guard {
	long              limit;
	long              window_ms;
	pthread_mutex_t   lock[GUARD_SLOTS / GUARD_STRIPE];
	struct guard_slot slot[GUARD_SLOTS];
};

struct guard *
guard_new(char err[CFG_ERR_MAX])
{
	struct guard *g;
	long          limit, window;
	size_t        i;

	if (cfg_long("AUTH_FAIL_LIMIT", 100, 0, 1000000, &limit, err) == -1 ||
	    cfg_long("AUTH_FAIL_WINDOW_MS", 10000, 1, 86400000, &window, err) ==
		-1)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_FAIL_LIMIT: out of memory");
		return NULL;
	}
	g->limit = limit;
	g->window_ms = window;
	for (i = 0; i < GUARD_SLOTS / GUARD_STRIPE; i++)
		pthread_mutex_init(&g->lock[i], NULL);
	return g;
}

void
guard_free(struct guard *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < GUARD_SLOTS / GUARD_STRIPE; i++)
		pthread_mutex_destroy(&g->lock[i]);
	free(g);
}

long
guard_limit(const struct guard *g)
{
	return g->limit;
}

long
guard_window_ms(const struct guard *g)
{
	return g->window_ms;
}

/* FNV-1a of the address: its slot. */
static size_t
guard_slot_of(const char *addr)
{
	uint32_t h = 2166136261u;

	for (; *addr != '\0'; addr++)
		h = (h ^ (unsigned char)*addr) * 16777619u;
	return h % GUARD_SLOTS;
}

long long
guard_check(struct guard *g, const char *addr, long long now_ms)
{
	struct guard_slot *s;
	size_t             i;
	long long          left = 0;

	if (g->limit == 0)
		return 0;
	i = guard_slot_of(addr);
	s = &g->slot[i];
	pthread_mutex_lock(&g->lock[i / GUARD_STRIPE]);
	if (s->fails >= g->limit && now_ms - s->since_ms < g->window_ms)
		left = g->window_ms - (now_ms - s->since_ms);
	pthread_mutex_unlock(&g->lock[i / GUARD_STRIPE]);
	return left;
}

void
guard_fail(struct guard *g, const char *addr, long long now_ms)
{
	struct guard_slot *s;
	size_t             i;

	if (g->limit == 0)
		return;
	i = guard_slot_of(addr);
	s = &g->slot[i];
	pthread_mutex_lock(&g->lock[i / GUARD_STRIPE]);
	/* A new window, unless one (of any address in the slot) is live. */
	if (s->fails == 0 || now_ms - s->since_ms >= g->window_ms) {
		s->fails = 0;
		s->since_ms = now_ms;
	}
	if (s->fails < g->limit)
		s->fails++;
	pthread_mutex_unlock(&g->lock[i / GUARD_STRIPE]);
}
