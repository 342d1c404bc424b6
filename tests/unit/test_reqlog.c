/* Unit tests of reqlog: LOG_REQUESTS's forms, N a second, and what is kept. */
#include <stdlib.h>

#include "reqlog.h"
#include "t.h"

/* A policy from the environment, as svc loads it. */
static int
load(const char *spec, const char *slow, struct reqlog *rl)
{
	char err[CFG_ERR_MAX];

	if (spec != NULL)
		setenv("LOG_REQUESTS", spec, 1);
	else
		unsetenv("LOG_REQUESTS");
	if (slow != NULL)
		setenv("LOG_SLOW_MS", slow, 1);
	else
		unsetenv("LOG_SLOW_MS");
	return reqlog_load(rl, err);
}

static void
all_errors_and_a_rate_are_the_three_forms(void)
{
	long rate = 0;

	T_CHECK(reqlog_parse("all", &rate) == 0 && rate == REQLOG_ALL, "all");
	T_CHECK(reqlog_parse("errors", &rate) == 0 && rate == 0, "errors");
	T_CHECK(reqlog_parse("100/s", &rate) == 0 && rate == 100, "100/s");
	T_CHECK(reqlog_parse("1/s", &rate) == 0 && rate == 1, "1/s");
	T_CHECK(reqlog_parse("1000000/s", &rate) == 0 && rate == 1000000,
	    "the most");
}

static void
anything_else_is_refused(void)
{
	static const char *bad[] = { "", "ALL", "0/s", "-1/s", "/s", "10",
		"10/m", "10/ss", "1000001/s", " 10/s", "10 /s",
		"99999999999999/s" };
	long               rate;
	size_t             i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_CHECK(reqlog_parse(bad[i], &rate) == -1, bad[i]);
}

static void
unset_means_100_a_second_and_100_ms_slow(void)
{
	struct reqlog rl;

	T_CHECK(load(NULL, NULL, &rl) == 0 && rl.rate == 100 &&
		rl.slow_ms == 100,
	    "the defaults");
	T_CHECK(load("10/m", NULL, &rl) == -1, "a bad LOG_REQUESTS");
	T_CHECK(load(NULL, "0", &rl) == -1, "a bad LOG_SLOW_MS");
}

static void
a_rate_samples_the_first_n_of_each_second(void)
{
	struct reqlog rl;
	int           i, n = 0;

	T_CHECK(load("3/s", NULL, &rl) == 0, "3/s loads");
	for (i = 0; i < 10; i++)
		n += reqlog_sample(&rl, NULL, 5000 + i);
	T_CHECK(n == 3, "3 of 10 in one second");
	T_CHECK(reqlog_sample(&rl, NULL, 6000) == 1,
	    "the next second starts again");
	n = 1;
	for (i = 0; i < 10; i++)
		n += reqlog_sample(&rl, NULL, 6001 + i);
	T_CHECK(n == 3, "3 again in that second");
}

static void
all_samples_everything_and_errors_nothing(void)
{
	struct reqlog rl;
	int           i, n = 0;

	T_CHECK(load("all", NULL, &rl) == 0, "all loads");
	for (i = 0; i < 1000; i++)
		n += reqlog_sample(&rl, NULL, 1000);
	T_CHECK(n == 1000, "all of 1000");
	T_CHECK(load("errors", NULL, &rl) == 0, "errors loads");
	T_CHECK(reqlog_sample(&rl, NULL, 1000) == 0, "none");
}

static void
the_callers_decision_is_taken_as_is(void)
{
	struct reqlog rl;

	T_CHECK(load("errors", NULL, &rl) == 0, "errors loads");
	T_CHECK(reqlog_sample(&rl, "1", 1000) == 1, "1: sampled");
	T_CHECK(load("all", NULL, &rl) == 0, "all loads");
	T_CHECK(reqlog_sample(&rl, "0", 1000) == 0, "0: not sampled");
	/* Anything else is no decision: the policy's own. */
	T_CHECK(reqlog_sample(&rl, "yes", 1000) == 1, "yes: ours");
	T_CHECK(reqlog_sample(&rl, "", 1000) == 1, "empty: ours");
	T_CHECK(reqlog_sample(&rl, "10", 1000) == 1, "10: ours");
}

static void
errors_and_slow_answers_are_always_kept(void)
{
	struct reqlog rl;

	T_CHECK(load("errors", "100", &rl) == 0, "errors loads");
	T_CHECK(reqlog_keep(&rl, 0, 200, 1.0) == 0, "a fast 200 unsampled");
	T_CHECK(reqlog_keep(&rl, 0, 401, 1.0) == 0, "a fast 401 unsampled");
	T_CHECK(reqlog_keep(&rl, 1, 200, 1.0) == 1, "a sampled 200");
	T_CHECK(reqlog_keep(&rl, 0, 500, 1.0) == 1, "a 500");
	T_CHECK(reqlog_keep(&rl, 0, 503, 0.1) == 1, "a 503");
	T_CHECK(reqlog_keep(&rl, 0, 200, 100.0) == 1, "a 200 at LOG_SLOW_MS");
	T_CHECK(reqlog_keep(&rl, 0, 200, 99.9) == 0, "just under it");
}

int
main(void)
{
	T_RUN(all_errors_and_a_rate_are_the_three_forms);
	T_RUN(anything_else_is_refused);
	T_RUN(unset_means_100_a_second_and_100_ms_slow);
	T_RUN(a_rate_samples_the_first_n_of_each_second);
	T_RUN(all_samples_everything_and_errors_nothing);
	T_RUN(the_callers_decision_is_taken_as_is);
	T_RUN(errors_and_slow_answers_are_always_kept);
	return T_DONE();
}
