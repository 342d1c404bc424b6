/* Unit tests of breaker: closed → open → half-open → closed, on a fake clock,
 * and what 8 threads at once see of it. */
#include <pthread.h>
#include <stdatomic.h>

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

/* 8 threads, started together at a barrier, each doing one thing many
 * times; what they saw is summed in the counters. */
#define STRESS_THREADS 8
#define STRESS_ROUNDS  5000
static struct breaker   *stress_b;
static pthread_barrier_t stress_start;
static atomic_int stress_opened, stress_probes, stress_rejects, stress_closed;

static void *
stress_fail(void *arg)
{
	int i;

	(void)arg;
	pthread_barrier_wait(&stress_start);
	for (i = 0; i < STRESS_ROUNDS; i++)
		if (breaker_record(stress_b, 0, BREAKER_PASS, 100) ==
		    BREAKER_OPENED)
			atomic_fetch_add(&stress_opened, 1);
	return NULL;
}

static void *
stress_allow(void *arg)
{
	enum breaker_verdict v;
	int                  i;

	(void)arg;
	pthread_barrier_wait(&stress_start);
	for (i = 0; i < STRESS_ROUNDS; i++) {
		v = breaker_allow(stress_b, 2000, NULL);
		if (v == BREAKER_PROBE) {
			atomic_fetch_add(&stress_probes, 1);
			if (breaker_record(stress_b, 1, v, 2000) ==
			    BREAKER_CLOSED)
				atomic_fetch_add(&stress_closed, 1);
		} else if (v == BREAKER_REJECT)
			atomic_fetch_add(&stress_rejects, 1);
	}
	return NULL;
}

static void
stress_run(void *(*fn)(void *))
{
	pthread_t t[STRESS_THREADS];
	int       i;

	pthread_barrier_init(&stress_start, NULL, STRESS_THREADS);
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_create(&t[i], NULL, fn, NULL);
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&stress_start);
}

static void
eight_threads_failing_at_once_open_it_once(void)
{
	stress_b = breaker_new(3, 1000);
	stress_run(stress_fail);
	T_CHECK(atomic_load(&stress_opened) == 1, "one OPENED among 40000");
	T_CHECK(breaker_is_open(stress_b), "open");
	breaker_free(stress_b);
}

static void
eight_threads_past_the_cooldown_make_one_probe_that_closes_it_once(void)
{
	int i;

	stress_b = opened();
	stress_run(stress_allow);
	/* One probe; its success closes the breaker, and every later call
	 * passes: no second probe, no reject after the close. */
	T_CHECK(atomic_load(&stress_probes) == 1, "one probe");
	T_CHECK(atomic_load(&stress_closed) == 1, "one close");
	T_CHECK(!breaker_is_open(stress_b), "closed");
	T_CHECK(atomic_load(&stress_rejects) < STRESS_THREADS * STRESS_ROUNDS,
	    "the calls after the close passed");
	/* And no probe is left taken: the next open still ends in one. */
	for (i = 0; i < 3; i++)
		breaker_record(stress_b, 0, BREAKER_PASS, 3000);
	T_CHECK(breaker_allow(stress_b, 4000, NULL) == BREAKER_PROBE,
	    "the next open's cooldown ends in a probe");
	breaker_free(stress_b);
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
	T_RUN(eight_threads_failing_at_once_open_it_once);
	T_RUN(
	    eight_threads_past_the_cooldown_make_one_probe_that_closes_it_once);
	return T_DONE();
}
