/* Unit tests of cache: off by default, TTL, keys, bounded slots. */
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
	cache_key("merixstudio", a);
	cache_put(&c, a, 1000);
	T_CHECK(!cache_hit(&c, a, 1000), "nothing remembered");
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
	cache_key("merixstudio", a);
	T_CHECK(!cache_hit(&c, a, 1000), "an unknown key is a miss");
	cache_put(&c, a, 1000);
	T_CHECK(cache_hit(&c, a, 1000) && cache_hit(&c, a, 1499), "within");
	T_CHECK(!cache_hit(&c, a, 1500), "forgotten at the TTL");
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
	cache_key("merixstudio", a);
	cache_key("Bearer merixstudio", b);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0, "two values, two keys");
	cache_put(&c, a, 1000);
	T_CHECK(!cache_hit(&c, b, 1001), "another value misses");
	T_CHECK(!contains(c.slot, c.size * sizeof(*c.slot), "merixstudio"),
	    "no token in the slots");
	cache_free(&c);
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
		cache_key(tok, k);
		cache_put(&c, k, 1000);
	}
	for (i = 0, hits = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		cache_key(tok, k);
		hits += cache_hit(&c, k, 1001);
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
	T_RUN(auth_cache_size_bounds_the_slots);
	T_RUN(a_ttl_over_an_hour_or_zero_slots_are_refused);
	return T_DONE();
}
