/* Unit tests of cache: off by default, TTL, keys, bounded slots. */
#include <stdlib.h>

#include "cache.h"
#include "t.h"

static int
contains(const void *buf, size_t n, const char *s)
{
	const char	*p = buf;
	size_t		 i, len = strlen(s);

	for (i = 0; i + len <= n; i++)
		if (memcmp(p + i, s, len) == 0)
			return 1;
	return 0;
}

int
main(void)
{
	struct cache	 c;
	unsigned char	 a[SHA256_LEN], b[SHA256_LEN], k[SHA256_LEN];
	char		 err[CFG_ERR_MAX], tok[32];
	int		 i, hits;

	unsetenv("AUTH_CACHE_TTL_MS");
	unsetenv("AUTH_CACHE_SIZE");
	T_CHECK(cache_init(&c, err) == 0 && c.ttl_ms == 0 && c.slot == NULL,
	    "off by default: no memory taken");
	cache_key("merixstudio", a);
	cache_put(&c, a, 1000);
	T_CHECK(!cache_hit(&c, a, 1000), "off: nothing is remembered");
	cache_free(&c);

	setenv("AUTH_CACHE_TTL_MS", "500", 1);
	T_CHECK(cache_init(&c, err) == 0 && c.ttl_ms == 500 && c.size == 1024,
	    "AUTH_CACHE_TTL_MS turns it on with 1024 slots");
	cache_key("Bearer merixstudio", b);
	T_CHECK(memcmp(a, b, SHA256_LEN) != 0, "the key is the whole header "
	    "value's digest");
	T_CHECK(!cache_hit(&c, a, 1000), "an unknown key is a miss");
	cache_put(&c, a, 1000);
	T_CHECK(cache_hit(&c, a, 1000) && cache_hit(&c, a, 1499),
	    "a yes is remembered within the TTL");
	T_CHECK(!cache_hit(&c, a, 1500), "and forgotten when the TTL is over");
	T_CHECK(!cache_hit(&c, b, 1001), "another value is another key");
	T_CHECK(!contains(c.slot, c.size * sizeof(*c.slot), "merixstudio"),
	    "the cache never holds the token");
	cache_free(&c);

	setenv("AUTH_CACHE_SIZE", "4", 1);
	T_CHECK(cache_init(&c, err) == 0 && c.size == 4, "AUTH_CACHE_SIZE "
	    "bounds the slots");
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
	T_CHECK(hits >= 1 && hits <= 4, "100 keys in 4 slots: at most 4 "
	    "remembered");
	cache_free(&c);

	setenv("AUTH_CACHE_TTL_MS", "3600001", 1);
	T_CHECK(cache_init(&c, err) == -1 && strstr(err, "AUTH_CACHE_TTL_MS")
	    == err, "a TTL over an hour is refused");
	setenv("AUTH_CACHE_TTL_MS", "10", 1);
	setenv("AUTH_CACHE_SIZE", "0", 1);
	T_CHECK(cache_init(&c, err) == -1 && strstr(err, "AUTH_CACHE_SIZE")
	    == err, "zero slots are refused");
	return T_DONE();
}
