/* Unit tests of vcache: verified tokens kept by digest, generation and exp. */
#include "jwt.h"
#include "t.h"
#include "vcache.h"

static void
a_kept_token_is_a_hit_for_its_generation_until_it_expires(void)
{
	struct vcache *c = vcache_new();
	unsigned char  d[SHA256_LEN], e[SHA256_LEN];
	struct ident   id = { "alice", "read write" }, out;

	sha256("tok", 3, d);
	sha256("other", 5, e);
	T_CHECK(!vcache_get(c, d, 1, 1000, &out), "empty");
	vcache_put(c, d, 1, 2000, &id);
	T_CHECK(vcache_get(c, d, 1, 1000, &out), "kept");
	T_STREQ(out.sub, "alice", "its subject");
	T_STREQ(out.scopes, "read write", "its scopes");
	T_CHECK(!vcache_get(c, d, 2, 1000, &out),
	    "another generation (a reload)");
	T_CHECK(!vcache_get(c, e, 1, 1000, &out), "another token");
	T_CHECK(vcache_get(c, d, 1, 2000 + JWT_LEEWAY_S - 1, &out),
	    "within the leeway");
	T_CHECK(!vcache_get(c, d, 1, 2000 + JWT_LEEWAY_S, &out), "expired");
	T_CHECK(!vcache_get(c, d, 0, 1000, &out), "generation 0 is none");
	vcache_free(c);
}

int
main(void)
{
	T_RUN(a_kept_token_is_a_hit_for_its_generation_until_it_expires);
	return T_DONE();
}
