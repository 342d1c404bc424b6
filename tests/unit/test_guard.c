/* Unit tests of guard: failed logins per client address, on a fake clock. */
#include <stdlib.h>

#include "guard.h"
#include "t.h"

/* A guard of 3 failures per 1000 ms. */
static struct guard *
three_per_second(void)
{
	char err[CFG_ERR_MAX];

	setenv("AUTH_FAIL_LIMIT", "3", 1);
	setenv("AUTH_FAIL_WINDOW_MS", "1000", 1);
	return guard_new(err);
}

static void
the_defaults_are_100_failures_per_10_s(void)
{
	struct guard *g;
	char          err[CFG_ERR_MAX];

	unsetenv("AUTH_FAIL_LIMIT");
	unsetenv("AUTH_FAIL_WINDOW_MS");
	g = guard_new(err);
	T_CHECK(g != NULL && guard_limit(g) == 100 &&
		guard_window_ms(g) == 10000,
	    "100 per 10000 ms");
	guard_free(g);
}

static void
failures_below_the_limit_refuse_nothing(void)
{
	struct guard *g = three_per_second();

	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 10);
	T_CHECK(guard_check(g, "10.0.0.1", 20) == 0, "two of three");
	guard_free(g);
}

static void
the_limit_th_failure_refuses_until_the_window_ends(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 3; i++)
		guard_fail(g, "10.0.0.1", 100);
	T_CHECK(guard_check(g, "10.0.0.1", 100) == 1000, "1000 ms left");
	T_CHECK(guard_check(g, "10.0.0.1", 600) == 500, "500 ms left");
	T_CHECK(guard_check(g, "10.0.0.1", 1100) == 0, "over at 1100");
	guard_free(g);
}

static void
more_failures_while_refused_do_not_extend_the_window(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 10; i++)
		guard_fail(g, "10.0.0.1", 100 + i * 50);
	T_CHECK(guard_check(g, "10.0.0.1", 1099) == 1, "ends at 1100");
	guard_free(g);
}

static void
another_address_is_not_refused(void)
{
	struct guard *g = three_per_second();
	int           i;

	for (i = 0; i < 3; i++)
		guard_fail(g, "10.0.0.1", 0);
	T_CHECK(guard_check(g, "10.0.0.2", 0) == 0, "10.0.0.2");
	T_CHECK(guard_check(g, "::1", 0) == 0, "::1");
	guard_free(g);
}

static void
a_window_that_ends_below_the_limit_starts_over(void)
{
	struct guard *g = three_per_second();

	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 0);
	guard_fail(g, "10.0.0.1", 1000); /* a new window: 1 of 3 */
	guard_fail(g, "10.0.0.1", 1500);
	T_CHECK(guard_check(g, "10.0.0.1", 1500) == 0, "two in the new one");
	guard_free(g);
}

static void
limit_0_refuses_nothing(void)
{
	struct guard *g;
	char          err[CFG_ERR_MAX];
	int           i;

	setenv("AUTH_FAIL_LIMIT", "0", 1);
	g = guard_new(err);
	for (i = 0; i < 1000; i++)
		guard_fail(g, "10.0.0.1", 0);
	T_CHECK(guard_check(g, "10.0.0.1", 0) == 0, "1000 failures");
	guard_free(g);
}

static void
a_bad_limit_or_window_is_an_error_naming_it(void)
{
	char err[CFG_ERR_MAX];

	setenv("AUTH_FAIL_LIMIT", "-1", 1);
	T_CHECK(guard_new(err) == NULL && strstr(err, "AUTH_FAIL_LIMIT") == err,
	    "a negative limit");
	setenv("AUTH_FAIL_LIMIT", "5", 1);
	setenv("AUTH_FAIL_WINDOW_MS", "0", 1);
	T_CHECK(guard_new(err) == NULL &&
		strstr(err, "AUTH_FAIL_WINDOW_MS") == err,
	    "a zero window");
	unsetenv("AUTH_FAIL_LIMIT");
	unsetenv("AUTH_FAIL_WINDOW_MS");
}

int
main(void)
{
	T_RUN(the_defaults_are_100_failures_per_10_s);
	T_RUN(failures_below_the_limit_refuse_nothing);
	T_RUN(the_limit_th_failure_refuses_until_the_window_ends);
	T_RUN(more_failures_while_refused_do_not_extend_the_window);
	T_RUN(another_address_is_not_refused);
	T_RUN(a_window_that_ends_below_the_limit_starts_over);
	T_RUN(limit_0_refuses_nothing);
	T_RUN(a_bad_limit_or_window_is_an_error_naming_it);
	return T_DONE();
}
