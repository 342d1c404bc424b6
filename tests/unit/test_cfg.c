/* Unit tests of cfg: integer parsing and environment validation. */
#include <stdlib.h>

#include "cfg.h"
#include "t.h"

int
main(void)
{
	char		 err[CFG_ERR_MAX];
	const char	*s;
	long		 v = 0;

	T_CHECK(cfg_parse_long("42", 1, 100, &v) == 0 && v == 42,
	    "a decimal integer in range is accepted");
	T_CHECK(cfg_parse_long("0", 1, 100, &v) == -1, "below min is refused");
	T_CHECK(cfg_parse_long("101", 1, 100, &v) == -1, "above max is refused");
	T_CHECK(cfg_parse_long("12abc", 1, 100, &v) == -1,
	    "trailing garbage is refused");
	T_CHECK(cfg_parse_long(" 12", 1, 100, &v) == -1,
	    "a leading blank is refused");
	T_CHECK(cfg_parse_long("+12", 1, 100, &v) == -1, "a plus sign is refused");
	T_CHECK(cfg_parse_long("", 1, 100, &v) == -1, "empty is refused");
	T_CHECK(cfg_parse_long("99999999999999999999999", 0, 100, &v) == -1,
	    "overflow is refused");

	unsetenv("T_NUM");
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == 0 && v == 7,
	    "an unset variable gives the default");
	setenv("T_NUM", "", 1);
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == 0 && v == 7,
	    "an empty variable gives the default");
	setenv("T_NUM", "11", 1);
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == -1,
	    "an out-of-range variable is an error");
	T_STREQ(err, "T_NUM: must be an integer from 1 to 10, got '11'",
	    "the error names the variable, the range and the value");

	setenv("T_STR", "a\tb", 1);
	T_CHECK(cfg_str("T_STR", NULL, 10, &s, err) == -1,
	    "a control character in a string is an error");
	T_STREQ(err, "T_STR: contains a control character",
	    "the error does not echo the (maybe secret) value");
	setenv("T_STR", "abcdefghijk", 1);
	T_CHECK(cfg_str("T_STR", NULL, 10, &s, err) == -1,
	    "a string over its limit is an error");
	unsetenv("T_STR");
	T_CHECK(cfg_str("T_STR", "dflt", 10, &s, err) == 0 &&
	    strcmp(s, "dflt") == 0, "an unset string gives the default");
	return T_DONE();
}
