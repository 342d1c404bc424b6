/* Unit tests of authz: what an Authorization header is before any lookup. */
#include "authz.h"
#include "t.h"

static void
no_header_or_blanks_only_carry_no_credentials(void)
{
	T_CHECK(authz_shape(NULL) == AUTHZ_NONE, "absent");
	T_CHECK(authz_shape("") == AUTHZ_NONE, "empty");
	T_CHECK(authz_shape(" \t ") == AUTHZ_NONE, "blanks only");
}

static void
a_token_with_or_without_the_scheme_is_credentials(void)
{
	T_CHECK(authz_shape("merixstudio") == AUTHZ_CREDENTIALS,
	    "the tutorial's raw token");
	T_CHECK(authz_shape("Bearer abc.def-ghi") == AUTHZ_CREDENTIALS,
	    "a bearer token");
	T_CHECK(authz_shape("Bearer\ta b") == AUTHZ_CREDENTIALS,
	    "a tab and a space: a shape for the lookup to refuse");
	T_CHECK(authz_shape("caf\xc3\xa9") == AUTHZ_CREDENTIALS,
	    "non-ASCII is a guess, not a control character");
}

static void
control_characters_are_malformed(void)
{
	T_CHECK(authz_shape("abc\x01") == AUTHZ_MALFORMED, "SOH");
	T_CHECK(authz_shape("abc\r\nX: 1") == AUTHZ_MALFORMED, "CR LF");
	T_CHECK(authz_shape("abc\x7f") == AUTHZ_MALFORMED, "DEL");
}

static void
the_limit_is_authz_max(void)
{
	char h[AUTHZ_MAX + 2];

	memset(h, 'a', AUTHZ_MAX);
	h[AUTHZ_MAX] = '\0';
	T_CHECK(authz_shape(h) == AUTHZ_CREDENTIALS, "AUTHZ_MAX bytes");
	h[AUTHZ_MAX] = 'a';
	h[AUTHZ_MAX + 1] = '\0';
	T_CHECK(authz_shape(h) == AUTHZ_MALFORMED, "one more");
}

int
main(void)
{
	T_RUN(no_header_or_blanks_only_carry_no_credentials);
	T_RUN(a_token_with_or_without_the_scheme_is_credentials);
	T_RUN(control_characters_are_malformed);
	T_RUN(the_limit_is_authz_max);
	return T_DONE();
}
