/* Unit tests of sha256: FIPS 180-4's vectors and every padding boundary. */
#include <stdlib.h>

#include "sha256.h"
#include "t.h"

static int
digest_is(const void *data, size_t len, const char *hex)
{
	unsigned char d[SHA256_LEN];
	char          got[2 * SHA256_LEN + 1];
	size_t        i;

	sha256(data, len, d);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	return strcmp(got, hex) == 0;
}

static void
fips_180_4_vectors(void)
{
	T_CHECK(digest_is("", 0,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b9"
		    "34ca495991b7852b855"),
	    "the empty message");
	T_CHECK(digest_is("abc", 3,
		    "ba7816bf8f01cfea414140de5dae2223b00361a3961"
		    "77a9cb410ff61f20015ad"),
	    "\"abc\" (one block)");
	T_CHECK(
	    digest_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopn"
		      "opq",
		56,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd"
		"419db06c1"),
	    "the 448-bit message (two blocks)");
}

static void
the_demo_tokens_digest_is_what_sha256sum_prints(void)
{
	T_CHECK(digest_is("merixstudio", 11,
		    "6335c4f89111d1e012d4ae3c5cb005a2b"
		    "d5aa614a852d9b537bfb87e27328f40"),
	    "merixstudio");
}

static void
every_padding_boundary_and_a_million_a(void)
{
	static const struct {
		size_t      n;
		const char *hex;
	} as[] = {
		/* 55 and 56: the length fits in the last block or not. */
		{ 55,
		    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56,
		    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63,
		    "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64,
		    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65,
		    "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119,
		    "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120,
		    "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
	};
	char  *a;
	size_t i;
	char   what[64];

	if ((a = malloc(1000000)) == NULL) {
		T_CHECK(a != NULL, "a megabyte to hash");
		return;
	}
	memset(a, 'a', 1000000);
	for (i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		snprintf(what, sizeof(what), "%zu times 'a'", as[i].n);
		T_CHECK(digest_is(a, as[i].n, as[i].hex), what);
	}
	T_CHECK(digest_is(a, 1000000,
		    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48"
		    "a497200e046d39ccc7112cd0"),
	    "FIPS 180-4: a million 'a'");
	free(a);
}

int
main(void)
{
	T_RUN(fips_180_4_vectors);
	T_RUN(the_demo_tokens_digest_is_what_sha256sum_prints);
	T_RUN(every_padding_boundary_and_a_million_a);
	return T_DONE();
}
