/*
 * guard: failed authentications per client address (see guard.h).
 */
#include "guard.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "wipe.h"

/*
 * The table: GUARD_SLOTS slots in buckets of GUARD_WAYS.  An address's
 * bucket is a keyed hash of it (SipHash-2-4, a random key per process), so
 * nobody can choose an address that lands in another's bucket, and each
 * slot holds its address, so two addresses in one bucket never share a
 * budget.  Buckets per lock: GUARD_STRIPE.
 */
#define GUARD_WAYS    4
#define GUARD_BUCKETS (GUARD_SLOTS / GUARD_WAYS)
#define GUARD_STRIPE  16

struct guard_slot {
	char      addr[GUARD_ADDR_MAX + 1]; /* "" when free */
	int       fails;
	long long since_ms; /* the window's first failure */
};

struct guard {
	long              limit;
	long              window_ms;
	long              v6_prefix; /* bits of an IPv6 address counted */
	uint64_t          key[2];
	pthread_mutex_t   lock[GUARD_BUCKETS / GUARD_STRIPE];
	struct guard_slot slot[GUARD_SLOTS];
};

/* A guard whose limit is the variable limit_id. */
static struct guard *
guard_make(enum cfg_id limit_id, char err[CFG_ERR_MAX])
{
	struct guard *g;
	long          limit, window, prefix;
	size_t        i;

	if (cfg_int(limit_id, &limit, err) == -1 ||
	    cfg_int(CFG_AUTH_FAIL_WINDOW_MS, &window, err) == -1 ||
	    cfg_int(CFG_AUTH_FAIL_IPV6_PREFIX, &prefix, err) == -1)
		return NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_FAIL_LIMIT: out of memory");
		return NULL;
	}
	if (getrandom(g->key, sizeof(g->key), 0) != (ssize_t)sizeof(g->key)) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_FAIL_LIMIT: no random key for the table");
		free(g);
		return NULL;
	}
	g->limit = limit;
	g->window_ms = window;
	g->v6_prefix = prefix;
	for (i = 0; i < GUARD_BUCKETS / GUARD_STRIPE; i++)
		pthread_mutex_init(&g->lock[i], NULL);
	return g;
}

struct guard *
guard_new(char err[CFG_ERR_MAX])
{
	return guard_make(CFG_AUTH_FAIL_LIMIT, err);
}

struct guard *
guard_new_user(char err[CFG_ERR_MAX])
{
	return guard_make(CFG_AUTH_FAIL_USER_LIMIT, err);
}

void
guard_free(struct guard *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < GUARD_BUCKETS / GUARD_STRIPE; i++)
		pthread_mutex_destroy(&g->lock[i]);
	wipe(g->key, sizeof(g->key));
	free(g);
}

void
guard_client(const struct guard *g, const char *addr,
    char out[GUARD_ADDR_MAX + 1])
{
	struct in6_addr a;
	long            bits = g->v6_prefix;
	size_t          i, n;

	if (inet_pton(AF_INET6, addr, &a) != 1) {
		n = strnlen(addr, GUARD_ADDR_MAX);
		memcpy(out, addr, n);
		out[n] = '\0';
		return;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		inet_ntop(AF_INET, &a.s6_addr[12], out, GUARD_ADDR_MAX + 1);
		return;
	}
	for (i = 0; i < sizeof(a.s6_addr); i++, bits -= 8)
		if (bits < 8)
			a.s6_addr[i] &= bits <= 0
			    ? 0
			    : (uint8_t)(0xff << (8 - bits));
	inet_ntop(AF_INET6, &a, out, GUARD_ADDR_MAX + 1);
	n = strlen(out);
	snprintf(out + n, GUARD_ADDR_MAX + 1 - n, "/%ld", g->v6_prefix);
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

static uint64_t
guard_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

/* One SipRound on the state v. */
static void
guard_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = guard_rotl(v[1], 13) ^ v[0];
	v[0] = guard_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = guard_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = guard_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = guard_rotl(v[1], 17) ^ v[2];
	v[2] = guard_rotl(v[2], 32);
}

/* Mixes the message word m into v: SipHash-2-4's two compression rounds. */
static void
guard_sipword(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	guard_sipround(v);
	guard_sipround(v);
	v[0] ^= m;
}

uint64_t
guard_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t             v[4], m;
	size_t               i, j, left = len & 7;

	v[0] = 0x736f6d6570736575ULL ^ key[0];
	v[1] = 0x646f72616e646f6dULL ^ key[1];
	v[2] = 0x6c7967656e657261ULL ^ key[0];
	v[3] = 0x7465646279746573ULL ^ key[1];
	for (i = 0; i + 8 <= len; i += 8) {
		for (m = 0, j = 0; j < 8; j++)
			m |= (uint64_t)p[i + j] << (8 * j);
		guard_sipword(v, m);
	}
	m = (uint64_t)(len & 0xff) << 56;
	for (j = 0; j < left; j++)
		m |= (uint64_t)p[i + j] << (8 * j);
	guard_sipword(v, m);
	v[2] ^= 0xff;
	for (j = 0; j < 4; j++)
		guard_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

size_t
guard_bucket(const struct guard *g, const char *addr)
{
	return (
	    size_t)(guard_siphash(g->key, addr, strnlen(addr, GUARD_ADDR_MAX)) %
	    GUARD_BUCKETS);
}

static int
guard_live(const struct guard *g, const struct guard_slot *s, long long now_ms)
{
	return s->fails > 0 && now_ms - s->since_ms < g->window_ms;
}

/* addr's slot in bucket b, or NULL. */
static struct guard_slot *
guard_find(struct guard *g, size_t b, const char *addr)
{
	size_t i;

	for (i = b * GUARD_WAYS; i < (b + 1) * GUARD_WAYS; i++)
		if (strncmp(g->slot[i].addr, addr, GUARD_ADDR_MAX) == 0)
			return &g->slot[i];
	return NULL;
}

/*
 * The slot a new address takes in bucket b: a free or ended one; else the
 * live one with the fewest failures that is not refused; else (every one
 * refused) the one whose window ends first.  So a refused address keeps its
 * record while any other can go, and only a bucket full of live windows
 * (GUARD_WAYS addresses failing at once, in a bucket no one can aim at)
 * loses one.
 */
static struct guard_slot *
guard_victim(struct guard *g, size_t b, long long now_ms)
{
	struct guard_slot *s, *best = &g->slot[b * GUARD_WAYS];
	size_t             i;

	for (i = b * GUARD_WAYS; i < (b + 1) * GUARD_WAYS; i++) {
		s = &g->slot[i];
		if (!guard_live(g, s, now_ms))
			return s;
		if (s == best ||
		    (s->fails < g->limit &&
			(best->fails >= g->limit || s->fails < best->fails)) ||
		    (s->fails >= g->limit && best->fails >= g->limit &&
			s->since_ms < best->since_ms))
			best = s;
	}
	return best;
}

long long
guard_check(struct guard *g, const char *addr, long long now_ms)
{
	struct guard_slot *s;
	size_t             b;
	long long          left = 0;

	if (g->limit == 0)
		return 0;
	b = guard_bucket(g, addr);
	pthread_mutex_lock(&g->lock[b / GUARD_STRIPE]);
	s = guard_find(g, b, addr);
	if (s != NULL && s->fails >= g->limit && guard_live(g, s, now_ms))
		left = g->window_ms - (now_ms - s->since_ms);
	pthread_mutex_unlock(&g->lock[b / GUARD_STRIPE]);
	return left;
}

/* addr's slot in bucket b, taken when it has none.  Under b's lock. */
static struct guard_slot *
guard_slot_of(struct guard *g, size_t b, const char *addr, long long now_ms)
{
	struct guard_slot *s;
	size_t             n;

	if ((s = guard_find(g, b, addr)) == NULL) {
		s = guard_victim(g, b, now_ms);
		n = strnlen(addr, GUARD_ADDR_MAX);
		memcpy(s->addr, addr, n);
		s->addr[n] = '\0';
		s->fails = 0;
	}
	return s;
}

void
guard_block(struct guard *g, const char *addr, long long now_ms,
    long long left_ms)
{
	struct guard_slot *s;
	size_t             b;

	if (g->limit == 0 || left_ms <= 0)
		return;
	if (left_ms > g->window_ms)
		left_ms = g->window_ms;
	b = guard_bucket(g, addr);
	pthread_mutex_lock(&g->lock[b / GUARD_STRIPE]);
	s = guard_slot_of(g, b, addr, now_ms);
	/* A window that began so that it ends in left_ms, spent. */
	s->fails = (int)g->limit;
	s->since_ms = now_ms + left_ms - g->window_ms;
	pthread_mutex_unlock(&g->lock[b / GUARD_STRIPE]);
}

long long
guard_fail(struct guard *g, const char *addr, long long now_ms)
{
	struct guard_slot *s;
	size_t             b;
	long long          left = 0;

	if (g->limit == 0)
		return 0;
	b = guard_bucket(g, addr);
	pthread_mutex_lock(&g->lock[b / GUARD_STRIPE]);
	s = guard_slot_of(g, b, addr, now_ms);
	/* A new window, unless this address's is live. */
	if (!guard_live(g, s, now_ms)) {
		s->fails = 0;
		s->since_ms = now_ms;
	}
	/*
	 * Checked and counted under one lock, as the store's INCR: of
	 * failures racing past guard_check(), only limit are 401s.
	 */
	if (s->fails < g->limit)
		s->fails++;
	else
		left = g->window_ms - (now_ms - s->since_ms);
	pthread_mutex_unlock(&g->lock[b / GUARD_STRIPE]);
	return left;
}
