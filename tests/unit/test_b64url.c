/* Unit tests of b64url: RFC 4648's vectors, and one spelling per string. */
#include "b64url.h"
#include "t.h"

static int
dec(const char *in, char *out, size_t cap)
{
	size_t n;

	if (b64url_decode(in, strlen(in), (unsigned char *)out, cap, &n) == -1)
		return -1;
	out[n] = '\0';
	return (int)n;
}

static void
rfc_4648_vectors_encode_without_padding_and_decode_back(void)
{
	static const char *const v[][2] = { { "", "" }, { "f", "Zg" },
		{ "fo", "Zm8" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" } };
	char                     out[32], back[32];
	size_t                   i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		T_CHECK(b64url_encode(v[i][0], strlen(v[i][0]), out,
			    sizeof(out)) == strlen(v[i][1]),
		    v[i][1]);
		T_STREQ(out, v[i][1], v[i][0]);
		T_CHECK(dec(v[i][1], back, sizeof(back) - 1) ==
			(int)strlen(v[i][0]),
		    "decodes");
		T_STREQ(back, v[i][0], "round trip");
	}
}

static void
the_url_alphabet_is_used_not_plus_and_slash(void)
{
	char out[8];

	b64url_encode("\xfb\xff", 2, out, sizeof(out));
	T_STREQ(out, "-_8", "62 and 63 are - and _");
	T_CHECK(dec("+/8", out, sizeof(out)) == -1, "+ and / refused");
}

static void
padding_impossible_lengths_and_second_spellings_are_refused(void)
{
	char out[16];

	T_CHECK(dec("Zg==", out, sizeof(out)) == -1, "padding");
	T_CHECK(dec("Zm9vY", out, sizeof(out)) == -1, "length 5 mod 4 is 1");
	/* "Zh" decodes to "f" with a trailing bit set: "Zg" is the one. */
	T_CHECK(dec("Zh", out, sizeof(out)) == -1, "trailing bits");
	T_CHECK(dec("Zm9v", out, 2) == -1, "over the output's room");
	T_CHECK(dec("Zm 9", out, sizeof(out)) == -1, "a blank");
}

static void
encoding_into_too_small_a_buffer_fails(void)
{
	char out[4];

	T_CHECK(b64url_encode("foo", 3, out, sizeof(out)) == 0,
	    "4 characters and a NUL do not fit in 4");
}

int
main(void)
{
	T_RUN(rfc_4648_vectors_encode_without_padding_and_decode_back);
	T_RUN(the_url_alphabet_is_used_not_plus_and_slash);
	T_RUN(padding_impossible_lengths_and_second_spellings_are_refused);
	T_RUN(encoding_into_too_small_a_buffer_fails);
	return T_DONE();
}
