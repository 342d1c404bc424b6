/* Unit tests of cache: off by default, TTL, keys, bounded slots, threads. */
#include <pthread.h>
#include <stdlib.h>

#include "cache.h"
#include "t.h"

static int
contains(const void *buf, size_t n, const char *s)
{
	const char *p = buf;
	size_t      i, len = strlen(s);

	for (i = 0; i + len <= n; i++)
		if (memcmp(p + i, s, len) == 0)
			return 1;
	return 0;
}

static void
unset(void)
{
	unsetenv("AUTH_CACHE_TTL_MS");
	unsetenv("AUTH_CACHE_SIZE");
}

static void
off_by_default_it_takes_no_memory_and_remembers_nothing(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	T_CHECK(cache_init(&c, err) == 0 && c.ttl_ms == 0 && c.slot == NULL,
	    "no slots");
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	cache_put_until(&c, a, 1500, 0, NULL);
	T_CHECK(!cache_hit(&c, a, 1000, 0, NULL), "nothing remembered");
	cache_free(&c);
}

static void
a_yes_is_remembered_within_the_ttl_and_forgotten_after(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	T_CHECK(cache_init(&c, err) == 0 && c.ttl_ms == 500 && c.size == 1024,
	    "on, with 1024 slots");
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	T_CHECK(!cache_hit(&c, a, 1000, 0, NULL), "an unknown key is a miss");
	cache_put_until(&c, a, 1500, 0, NULL);
	T_CHECK(cache_hit(&c, a, 1000, 0, NULL) &&
		cache_hit(&c, a, 1499, 0, NULL),
	    "within");
	T_CHECK(!cache_hit(&c, a, 1500, 0, NULL), "forgotten at the TTL");
	cache_free(&c);
	unset();
}

static void
the_key_is_the_whole_header_values_digest_never_the_token(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN], b[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	cache_init(&c, err);
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	cache_key("127.0.0.1", "Bearer merixstudio", NULL, b);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0, "two values, two keys");
	cache_put_until(&c, a, 1500, 0, NULL);
	T_CHECK(!cache_hit(&c, b, 1001, 0, NULL), "another value misses");
	T_CHECK(!contains(c.slot, c.size * sizeof(*c.slot), "merixstudio"),
	    "no token in the slots");
	cache_free(&c);
	unset();
}

static void
the_key_covers_the_address_a_yes_for_one_is_none_for_another(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN], b[SHA256_LEN], n[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	cache_init(&c, err);
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	cache_key("127.0.0.2", "merixstudio", NULL, b);
	cache_key(NULL, "merixstudio", NULL, n);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0 && memcmp(a, n, SHA256_LEN) != 0,
	    "three addresses, three keys");
	cache_put_until(&c, a, 1500, 0, NULL);
	T_CHECK(cache_hit(&c, a, 1001, 0, NULL) &&
		!cache_hit(&c, b, 1001, 0, NULL) &&
		!cache_hit(&c, n, 1001, 0, NULL),
	    "only the address auth said yes to hits");
	/* The pair is hashed as two digests: no shift of bytes between the
	 * address and the header makes the same key. */
	cache_key("127.0.0.1m", "erixstudio", NULL, b);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0, "no ambiguity at the seam");
	cache_free(&c);
	unset();
}

static void
an_entry_put_until_a_time_hits_until_then_and_says_when(void)
{
	struct cache  c, like;
	unsigned char k[SHA256_LEN];
	char          err[CFG_ERR_MAX], sub[IDENT_SUB_MAX + 1];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	setenv("AUTH_CACHE_SIZE", "8", 1);
	cache_init(&like, err);
	T_CHECK(cache_init_like(&c, &like, err) == 0 && c.ttl_ms == 500 &&
		c.size == 8 && c.slot != like.slot,
	    "a table of its own, the same shape");
	cache_addr_key("203.0.113.9", k);
	cache_put_until(&c, k, 4000, 0, "alice");
	memset(sub, 'x', sizeof(sub));
	T_CHECK(cache_hit(&c, k, 1000, 0, sub) == 4000,
	    "the expiry, past the TTL");
	T_STREQ(sub, "alice", "and the subject kept with it");
	T_CHECK(cache_hit(&c, k, 3999, 0, NULL) == 4000 &&
		cache_hit(&c, k, 4000, 0, NULL) == 0,
	    "gone at it");
	cache_free(&c);
	cache_free(&like);
	unset();
	cache_init(&like, err);
	T_CHECK(cache_init_like(&c, &like, err) == 0 && c.slot == NULL,
	    "off like its model");
	cache_put_until(&c, k, 4000, 0, NULL);
	T_CHECK(cache_hit(&c, k, 1000, 0, NULL) == 0, "and remembers nothing");
	cache_free(&c);
}

/* 8 threads put and read keys of their own, with their own expiries, into
 * a table small enough that they keep replacing each other's. */
#define STRESS_THREADS 8
#define STRESS_ROUNDS  20000
static struct cache stress_c;
static int          stress_torn[STRESS_THREADS];
static int          stress_id[STRESS_THREADS]; /* each thread's index */

static void *
stress_put_hit(void *arg)
{
	int           id = *(const int *)arg, i;
	unsigned char k[SHA256_LEN];
	char          tok[32];
	long long     e;

	for (i = 0; i < STRESS_ROUNDS; i++) {
		snprintf(tok, sizeof(tok), "t%d-%d", id, i % 64);
		cache_key("127.0.0.1", tok, NULL, k);
		/* Thread id's expiries are id mod STRESS_THREADS. */
		cache_put_until(&stress_c, k,
		    1000000 + (long long)i * STRESS_THREADS + id, 0, NULL);
		e = cache_hit(&stress_c, k, 1, 0, NULL);
		if (e != 0 && e % STRESS_THREADS != id)
			stress_torn[id]++;
	}
	return NULL;
}

static void
eight_threads_at_once_never_see_a_key_with_anothers_expiry(void)
{
	pthread_t t[STRESS_THREADS];
	char      err[CFG_ERR_MAX];
	long      i;
	int       torn = 0;

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	setenv("AUTH_CACHE_SIZE", "16", 1);
	cache_init(&stress_c, err);
	for (i = 0; i < STRESS_THREADS; i++) {
		stress_id[i] = (int)i;
		pthread_create(&t[i], NULL, stress_put_hit, &stress_id[i]);
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(t[i], NULL);
		torn += stress_torn[i];
	}
	T_CHECK(torn == 0, "no entry with one key and another's expiry");
	cache_free(&stress_c);
	unset();
}

static void
a_decision_of_another_generation_or_scope_misses(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN], b[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	cache_init(&c, err);
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	cache_key("127.0.0.1", "merixstudio", "info:read", b);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0, "the scope is in the key");
	cache_put_until(&c, a, 1500, 7, NULL);
	T_CHECK(cache_hit(&c, a, 1000, 7, NULL) == 1500, "its generation hits");
	T_CHECK(cache_hit(&c, a, 1000, 8, NULL) == 0,
	    "a newer generation misses: dropped at once");
	cache_free(&c);
	unset();
}

static void
a_stale_yes_answers_only_within_auth_stale_if_error_ms(void)
{
	struct cache  c;
	unsigned char a[SHA256_LEN];
	char          err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	cache_init(&c, err);
	cache_key("127.0.0.1", "merixstudio", NULL, a);
	cache_put_until(&c, a, 1500, 1, NULL);
	T_CHECK(c.stale_ms == 0 && cache_stale(&c, a, 1600, 1, NULL) == 0,
	    "off by default: expired is gone");
	cache_free(&c);
	setenv("AUTH_STALE_IF_ERROR_MS", "1000", 1);
	cache_init(&c, err);
	cache_put_until(&c, a, 1500, 1, NULL);
	T_CHECK(cache_hit(&c, a, 1600, 1, NULL) == 0, "not a hit when expired");
	T_CHECK(cache_stale(&c, a, 2499, 1, NULL) == 1500,
	    "stale up to 1000 ms past");
	T_CHECK(cache_stale(&c, a, 2500, 1, NULL) == 0 &&
		cache_stale(&c, a, 1600, 2, NULL) == 0,
	    "not beyond, nor of another generation");
	cache_free(&c);
	unsetenv("AUTH_STALE_IF_ERROR_MS");
	unset();
}

static void
auth_cache_size_bounds_the_slots(void)
{
	struct cache  c;
	unsigned char k[SHA256_LEN];
	char          err[CFG_ERR_MAX], tok[32];
	int           i, hits;

	unset();
	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	setenv("AUTH_CACHE_SIZE", "4", 1);
	T_CHECK(cache_init(&c, err) == 0 && c.size == 4, "4 slots");
	for (i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		cache_key("127.0.0.1", tok, NULL, k);
		cache_put_until(&c, k, 1500, 0, NULL);
	}
	for (i = 0, hits = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		cache_key("127.0.0.1", tok, NULL, k);
		hits += cache_hit(&c, k, 1001, 0, NULL) > 0;
	}
	T_CHECK(hits >= 1 && hits <= 4, "100 keys: at most 4 remembered");
	cache_free(&c);
	unset();
}

static void
a_ttl_over_an_hour_or_zero_slots_are_refused(void)
{
	struct cache c;
	char         err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_CACHE_TTL_MS", "3600001", 1);
	T_CHECK(cache_init(&c, err) == -1 &&
		strstr(err, "AUTH_CACHE_TTL_MS") == err,
	    "over an hour");
	setenv("AUTH_CACHE_TTL_MS", "10", 1);
	setenv("AUTH_CACHE_SIZE", "0", 1);
	T_CHECK(cache_init(&c, err) == -1 &&
		strstr(err, "AUTH_CACHE_SIZE") == err,
	    "zero slots");
	unset();
}

int
main(void)
{
	T_RUN(off_by_default_it_takes_no_memory_and_remembers_nothing);
	T_RUN(a_yes_is_remembered_within_the_ttl_and_forgotten_after);
	T_RUN(the_key_is_the_whole_header_values_digest_never_the_token);
	T_RUN(the_key_covers_the_address_a_yes_for_one_is_none_for_another);
	T_RUN(an_entry_put_until_a_time_hits_until_then_and_says_when);
	T_RUN(eight_threads_at_once_never_see_a_key_with_anothers_expiry);
	T_RUN(a_decision_of_another_generation_or_scope_misses);
	T_RUN(a_stale_yes_answers_only_within_auth_stale_if_error_ms);
	T_RUN(auth_cache_size_bounds_the_slots);
	T_RUN(a_ttl_over_an_hour_or_zero_slots_are_refused);
	return T_DONE();
}
