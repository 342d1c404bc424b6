/* Unit tests of breaker: closed → open → half-open → closed, on a fake clock. */
#include "breaker.h"
#include "t.h"

int
main(void)
{
	struct breaker		*b = NULL;
	enum breaker_verdict	 v;
	long long		 retry = -1;
	int			 i;

	breaker_free(b);
	b = breaker_new(3, 1000);
	for (i = 0; i < 2; i++)
		T_CHECK(breaker_record(b, 0, BREAKER_PASS, 0) == BREAKER_SAME,
		    "failures below the threshold keep it closed");
	T_CHECK(breaker_allow(b, 0, NULL) == BREAKER_PASS, "closed: calls pass");
	T_CHECK(breaker_record(b, 1, BREAKER_PASS, 0) == BREAKER_SAME,
	    "a success resets the count");
	for (i = 0; i < 2; i++)
		breaker_record(b, 0, BREAKER_PASS, 0);
	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 100) == BREAKER_OPENED,
	    "the threshold-th consecutive failure opens it");
	T_CHECK(breaker_record(b, 0, BREAKER_PASS, 100) == BREAKER_SAME,
	    "more failures do not report opening again");
	T_CHECK(breaker_allow(b, 600, &retry) == BREAKER_REJECT && retry == 500,
	    "open: calls are refused, with the time left");
	v = breaker_allow(b, 1100, NULL);
	T_CHECK(v == BREAKER_PROBE, "after the cooldown one call probes");
	T_CHECK(breaker_allow(b, 1100, NULL) == BREAKER_REJECT,
	    "only one probe at a time");
	T_CHECK(breaker_record(b, 0, v, 1150) == BREAKER_REOPENED,
	    "a failed probe opens it again");
	T_CHECK(breaker_allow(b, 2000, NULL) == BREAKER_REJECT,
	    "reopened for a full cooldown");
	v = breaker_allow(b, 2150, NULL);
	T_CHECK(v == BREAKER_PROBE, "a new probe after that cooldown");
	T_CHECK(breaker_record(b, 1, v, 2160) == BREAKER_CLOSED,
	    "a successful probe closes it");
	T_CHECK(breaker_allow(b, 2160, NULL) == BREAKER_PASS, "closed again");

	/* A probe whose call never went out: nothing learnt, probe again. */
	breaker_free(b);
	b = breaker_new(1, 1000);
	breaker_record(b, 0, BREAKER_PASS, 0);
	v = breaker_allow(b, 1000, NULL);
	T_CHECK(v == BREAKER_PROBE, "cancel: the cooldown over, a call probes");
	breaker_cancel(b, v);
	T_CHECK(breaker_allow(b, 1000, NULL) == BREAKER_PROBE,
	    "a cancelled probe lets the next call probe");
	T_CHECK(breaker_allow(b, 1000, NULL) == BREAKER_REJECT,
	    "a cancelled probe does not close the breaker");
	breaker_cancel(b, BREAKER_PASS);
	T_CHECK(breaker_allow(b, 1000, NULL) == BREAKER_REJECT,
	    "cancelling a PASS changes nothing");

	breaker_free(b);
	b = breaker_new(0, 1000);
	for (i = 0; i < 100; i++)
		breaker_record(b, 0, BREAKER_PASS, 0);
	T_CHECK(breaker_allow(b, 0, NULL) == BREAKER_PASS,
	    "threshold 0 never opens");
	breaker_free(b);
	return T_DONE();
}
