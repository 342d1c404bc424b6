/*
 * Unit tests of cfg: integer parsing, environment validation and
 * config.def's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A row of config.def as cfg.h declares them, and unlike rows before it. */
static int
row_ok(const struct cfg_var *v)
{
	const struct cfg_var *w;

	if (v->name == NULL || v->doc == NULL || v->doc[0] == '\0')
		return 0;
	if (strcmp(v->services, "auth") != 0 &&
	    strcmp(v->services, "info") != 0 &&
	    strcmp(v->services, "both") != 0)
		return 0;
	if (v->text ? v->maxlen == 0 ||
		    (v->text_def != NULL && strlen(v->text_def) > v->maxlen)
		    : v->min > v->max)
		return 0;
	for (w = cfg_vars; w < v; w++)
		if (strcmp(w->name, v->name) == 0)
			return 0;
	return 1;
}

static void
every_row_of_the_table_is_well_formed(void)
{
	const struct cfg_var *v;
	int                   ok = 1;

	for (v = cfg_vars; v < cfg_vars + CFG_COUNT; v++)
		ok &= row_ok(v);
	T_CHECK(ok, "services known, bounds ordered, names unique");
}

static void
a_row_is_read_with_its_default_and_range(void)
{
	char        err[CFG_ERR_MAX];
	const char *s;
	long        v = 0;

	unsetenv("AUTH_CB_FAILURES");
	T_CHECK(cfg_int(CFG_AUTH_CB_FAILURES, &v, err) == 0 && v == 5,
	    "unset: the table's 5");
	setenv("AUTH_CB_FAILURES", "1001", 1);
	T_CHECK(cfg_int(CFG_AUTH_CB_FAILURES, &v, err) == -1 &&
		strcmp(err,
		    "AUTH_CB_FAILURES: must be an integer from 0 to 1000, "
		    "got '1001'") == 0,
	    "past the table's 1000");
	unsetenv("AUTH_CB_FAILURES");
	unsetenv("AUTH_URL");
	T_CHECK(cfg_text(CFG_AUTH_URL, &s, err) == 0 &&
		strcmp(s, "http://127.0.0.1:8080/login/") == 0,
	    "unset: the table's URL");
}

static void
print_lists_a_services_rows_and_those_of_both(void)
{
	char                  buf[8192];
	FILE                 *f = fmemopen(buf, sizeof(buf), "w");
	size_t                auth = 0, both = 0;
	const struct cfg_var *v;

	if (f == NULL) {
		T_CHECK(0, "fmemopen");
		return;
	}
	cfg_print(f, "auth");
	fclose(f);
	for (v = cfg_vars; v < cfg_vars + CFG_COUNT; v++) {
		auth += strcmp(v->services, "auth") == 0;
		both += strcmp(v->services, "both") == 0;
	}
	T_CHECK(strstr(buf, "AUTH_FAIL_LIMIT\t100\t0-1000000\t") != NULL &&
		strstr(buf, "SVC_THREADS\tnone\t1-256\t") != NULL &&
		strstr(buf, "AUTH_FAIL_STORE\tnone\tat most 263 bytes\t") !=
		    NULL &&
		strstr(buf, "AUTH_URL") == NULL,
	    "auth's rows, a default out of range as none, not info's");
	T_CHECK(auth > 0 && both > 0, "rows of each kind");
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
	T_RUN(every_row_of_the_table_is_well_formed);
	T_RUN(a_row_is_read_with_its_default_and_range);
	T_RUN(print_lists_a_services_rows_and_those_of_both);
	return T_DONE();
}
