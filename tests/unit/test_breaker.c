/* Unit tests of breaker: closed → open → half-open → closed, on a fake clock. */
#include "breaker.h"
#include "t.h"

/* A breaker of threshold 3, cooldown 1000 ms, opened at t=100. */
static struct breaker *
opened(void)
{
	struct breaker *b = breaker_new(3, 1000);
	int             i;

	for (i = 0; i < 3 && b != NULL; i++)
		breaker_record(b, 0, BREAKER_PASS, 100);
	return b;
}

static void
failures_below_the_threshold_keep_it_closed(void)
{
	struct breaker *b = breaker_new(3, 1000);

	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 0) == BREAKER_SAME &&
		breaker_record(b, 0, BREAKER_PASS, 0) == BREAKER_SAME,
	    "two");
	T_CHECK(breaker_allow(b, 0, NULL) == BREAKER_PASS, "calls pass");
	breaker_free(b);
}

static void
a_success_resets_the_count(void)
{
	struct breaker *b = breaker_new(3, 1000);

	breaker_record(b, 0, BREAKER_PASS, 0);
	breaker_record(b, 0, BREAKER_PASS, 0);
	T_CHECK(breaker_record(b, 1, BREAKER_PASS, 0) == BREAKER_SAME, "ok");
	breaker_record(b, 0, BREAKER_PASS, 0);
	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 0) == BREAKER_SAME,
	    "two more failures do not open it");
	breaker_free(b);
}

static void
the_threshold_th_consecutive_failure_opens_it_once(void)
{
	struct breaker *b = breaker_new(3, 1000);

	breaker_record(b, 0, BREAKER_PASS, 100);
	breaker_record(b, 0, BREAKER_PASS, 100);
	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 100) == BREAKER_OPENED,
	    "opened");
	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 100) == BREAKER_SAME,
	    "not reported again");
	breaker_free(b);
}

static void
open_it_refuses_calls_with_the_time_left(void)
{
	struct breaker *b = opened();
	long long       retry = -1;

	T_CHECK(breaker_allow(b, 600, &retry) == BREAKER_REJECT && retry == 500,
	    "500 ms left");
	breaker_free(b);
}

static void
after_the_cooldown_one_call_at_a_time_probes(void)
{
	struct breaker *b = opened();

	T_CHECK(breaker_allow(b, 1100, NULL) == BREAKER_PROBE, "a probe");
	T_CHECK(breaker_allow(b, 1100, NULL) == BREAKER_REJECT, "only one");
	breaker_free(b);
}

static void
a_failed_probe_opens_it_again_for_a_full_cooldown(void)
{
	struct breaker      *b = opened();
	enum breaker_verdict v = breaker_allow(b, 1100, NULL);

	T_CHECK(breaker_record(b, 0, v, 1150) == BREAKER_REOPENED, "reopened");
	T_CHECK(breaker_allow(b, 2000, NULL) == BREAKER_REJECT, "at 2000");
	T_CHECK(breaker_allow(b, 2150, NULL) == BREAKER_PROBE, "at 2150");
	breaker_free(b);
}

static void
a_successful_probe_closes_it(void)
{
	struct breaker      *b = opened();
	enum breaker_verdict v = breaker_allow(b, 1100, NULL);

	T_CHECK(breaker_record(b, 1, v, 1160) == BREAKER_CLOSED, "closed");
	T_CHECK(breaker_allow(b, 1160, NULL) == BREAKER_PASS, "calls pass");
	breaker_free(b);
}

/* A probe whose call never went out: nothing learnt, probe again. */
static void
a_cancelled_probe_lets_the_next_call_probe_and_does_not_close_it(void)
{
	struct breaker      *b = breaker_new(1, 1000);
	enum breaker_verdict v;

	breaker_record(b, 0, BREAKER_PASS, 0);
	v = breaker_allow(b, 1000, NULL);
	T_CHECK(v == BREAKER_PROBE, "the cooldown over, a call probes");
	breaker_cancel(b, v);
	T_CHECK(breaker_allow(b, 1000, NULL) == BREAKER_PROBE, "probe again");
	T_CHECK(breaker_allow(b, 1000, NULL) == BREAKER_REJECT, "still open");
	breaker_free(b);
}

static void
cancelling_a_pass_changes_nothing(void)
{
	struct breaker *b = breaker_new(1, 1000);

	breaker_record(b, 0, BREAKER_PASS, 0);
	breaker_cancel(b, BREAKER_PASS);
	T_CHECK(breaker_allow(b, 10, NULL) == BREAKER_REJECT, "still open");
	breaker_free(b);
}

static void
threshold_0_never_opens(void)
{
	struct breaker *b = breaker_new(0, 1000);
	int             i;

	for (i = 0; i < 100; i++)
		breaker_record(b, 0, BREAKER_PASS, 0);
	T_CHECK(breaker_allow(b, 0, NULL) == BREAKER_PASS, "100 failures");
	breaker_free(b);
}

static void
free_takes_null(void)
{
	breaker_free(NULL);
	T_CHECK(1, "no crash");
}

int
main(void)
{
	T_RUN(failures_below_the_threshold_keep_it_closed);
	T_RUN(a_success_resets_the_count);
	T_RUN(the_threshold_th_consecutive_failure_opens_it_once);
	T_RUN(open_it_refuses_calls_with_the_time_left);
	T_RUN(after_the_cooldown_one_call_at_a_time_probes);
	T_RUN(a_failed_probe_opens_it_again_for_a_full_cooldown);
	T_RUN(a_successful_probe_closes_it);
	T_RUN(a_cancelled_probe_lets_the_next_call_probe_and_does_not_close_it);
	T_RUN(cancelling_a_pass_changes_nothing);
	T_RUN(threshold_0_never_opens);
	T_RUN(free_takes_null);
	return T_DONE();
}
