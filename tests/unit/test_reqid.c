/* Unit tests of reqid: the request-id rule shared with the gateway. */
#include "reqid.h"
#include "t.h"

int
main(void)
{
	char	 id[REQID_MAX + 2];

	T_CHECK(reqid_valid("0123456789abcdef0123456789abcdef"),
	    "nginx's 32 hex digits are valid");
	T_CHECK(reqid_valid("abc-123_X.y"), "letters, digits, '.', '_', '-'");
	T_CHECK(!reqid_valid(""), "empty is invalid");
	T_CHECK(!reqid_valid(NULL), "NULL is invalid");
	T_CHECK(!reqid_valid("a b"), "a space is invalid");
	T_CHECK(!reqid_valid("a\r\nX-Evil: 1"), "CR/LF is invalid");
	T_CHECK(!reqid_valid("\xc3\xa9t\xc3\xa9"), "non-ASCII is invalid");
	memset(id, 'a', REQID_MAX);
	id[REQID_MAX] = '\0';
	T_CHECK(reqid_valid(id), "REQID_MAX characters are valid");
	id[REQID_MAX] = 'a';
	id[REQID_MAX + 1] = '\0';
	T_CHECK(!reqid_valid(id), "REQID_MAX + 1 characters are invalid");
	return T_DONE();
}
