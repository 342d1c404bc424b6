/* Unit tests of cfg: integer parsing and environment validation. */
#include <stdlib.h>

#include "cfg.h"
#include "t.h"

static void
a_decimal_integer_in_range_is_accepted(void)
{
	long v = 0;

	T_CHECK(cfg_parse_long("42", 1, 100, &v) == 0 && v == 42,
	    "42 in 1..100");
	T_CHECK(cfg_parse_long("1", 1, 100, &v) == 0 && v == 1, "the minimum");
	T_CHECK(cfg_parse_long("100", 1, 100, &v) == 0 && v == 100,
	    "the maximum");
}

static void
a_value_out_of_range_is_refused(void)
{
	long v = 0;

	T_CHECK(cfg_parse_long("0", 1, 100, &v) == -1, "below min");
	T_CHECK(cfg_parse_long("101", 1, 100, &v) == -1, "above max");
	T_CHECK(cfg_parse_long("99999999999999999999999", 0, 100, &v) == -1,
	    "overflow");
}

static void
anything_but_plain_digits_is_refused(void)
{
	long v = 0;

	T_CHECK(cfg_parse_long("12abc", 1, 100, &v) == -1, "trailing garbage");
	T_CHECK(cfg_parse_long(" 12", 1, 100, &v) == -1, "a leading blank");
	T_CHECK(cfg_parse_long("+12", 1, 100, &v) == -1, "a plus sign");
	T_CHECK(cfg_parse_long("", 1, 100, &v) == -1, "empty");
}

static void
an_unset_or_empty_variable_gives_the_default(void)
{
	char err[CFG_ERR_MAX];
	long v = 0;

	unsetenv("T_NUM");
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == 0 && v == 7, "unset");
	setenv("T_NUM", "", 1);
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == 0 && v == 7, "empty");
	unsetenv("T_NUM");
}

static void
an_out_of_range_variable_is_an_error_naming_it(void)
{
	char err[CFG_ERR_MAX];
	long v = 0;

	setenv("T_NUM", "11", 1);
	T_CHECK(cfg_long("T_NUM", 7, 1, 10, &v, err) == -1, "refused");
	T_STREQ(err, "T_NUM: must be an integer from 1 to 10, got '11'",
	    "the error names the variable, the range and the value");
	unsetenv("T_NUM");
}

static void
a_control_character_in_a_string_is_an_error_that_does_not_echo_it(void)
{
	char        err[CFG_ERR_MAX];
	const char *s;

	setenv("T_STR", "a\tb", 1);
	T_CHECK(cfg_str("T_STR", NULL, 10, &s, err) == -1, "refused");
	T_STREQ(err, "T_STR: contains a control character",
	    "the (maybe secret) value is not in the error");
	unsetenv("T_STR");
}

static void
a_string_over_its_limit_is_an_error(void)
{
	char        err[CFG_ERR_MAX];
	const char *s;

	setenv("T_STR", "abcdefghijk", 1);
	T_CHECK(cfg_str("T_STR", NULL, 10, &s, err) == -1, "11 bytes of 10");
	unsetenv("T_STR");
}

static void
an_unset_string_gives_the_default(void)
{
	char        err[CFG_ERR_MAX];
	const char *s = NULL;

	unsetenv("T_STR");
	T_CHECK(cfg_str("T_STR", "dflt", 10, &s, err) == 0 &&
		strcmp(s, "dflt") == 0,
	    "the default");
}

int
main(void)
{
	T_RUN(a_decimal_integer_in_range_is_accepted);
	T_RUN(a_value_out_of_range_is_refused);
	T_RUN(anything_but_plain_digits_is_refused);
	T_RUN(an_unset_or_empty_variable_gives_the_default);
	T_RUN(an_out_of_range_variable_is_an_error_naming_it);
	T_RUN(
	    a_control_character_in_a_string_is_an_error_that_does_not_echo_it);
	T_RUN(a_string_over_its_limit_is_an_error);
	T_RUN(an_unset_string_gives_the_default);
	return T_DONE();
}
