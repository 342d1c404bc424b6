/* Unit tests of reqid: the request-id rule shared with the gateway. */
#include "reqid.h"
#include "t.h"

static void
nginx_ids_and_the_allowed_characters_are_valid(void)
{
	T_CHECK(reqid_valid("0123456789abcdef0123456789abcdef"),
	    "nginx's 32 hex digits");
	T_CHECK(reqid_valid("abc-123_X.y"), "letters, digits, '.', '_', '-'");
}

static void
empty_null_and_other_characters_are_invalid(void)
{
	T_CHECK(!reqid_valid(""), "empty");
	T_CHECK(!reqid_valid(NULL), "NULL");
	T_CHECK(!reqid_valid("a b"), "a space");
	T_CHECK(!reqid_valid("a\r\nX-Evil: 1"), "CR/LF");
	T_CHECK(!reqid_valid("\xc3\xa9t\xc3\xa9"), "non-ASCII");
}

static void
the_length_limit_is_reqid_max(void)
{
	char id[REQID_MAX + 2];

	memset(id, 'a', REQID_MAX);
	id[REQID_MAX] = '\0';
	T_CHECK(reqid_valid(id), "REQID_MAX characters are valid");
	id[REQID_MAX] = 'a';
	id[REQID_MAX + 1] = '\0';
	T_CHECK(!reqid_valid(id), "REQID_MAX + 1 characters are invalid");
}

int
main(void)
{
	T_RUN(nginx_ids_and_the_allowed_characters_are_valid);
	T_RUN(empty_null_and_other_characters_are_invalid);
	T_RUN(the_length_limit_is_reqid_max);
	return T_DONE();
}
