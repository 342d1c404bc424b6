/*
 * breaker: the circuit breaker in front of info.fcgi's calls to auth.
 *
 * After `threshold` consecutive failures it opens: calls are refused at once
 * for `cooldown_ms`; then one probe call goes through (half-open).  The
 * probe's success closes it, its failure opens it again.  Shared by all worker
 * threads of a process; lock-free (C11 atomics).  Time is passed in, so the
 * tests drive it without a clock.
 */
#ifndef BREAKER_H
#define BREAKER_H

#include <stdatomic.h>

struct breaker {
	int			 threshold;	/* 0: never opens */
	long			 cooldown_ms;
	atomic_int		 failures;	/* consecutive */
	atomic_llong		 open_until;	/* ms; 0 while closed */
	atomic_int		 probing;	/* a half-open probe is out */
};

enum breaker_verdict {
	BREAKER_PASS,		/* closed: call */
	BREAKER_PROBE,		/* half-open: this call is the probe */
	BREAKER_REJECT,		/* open: do not call */
};

/* What a call's result changed; the caller logs each change once. */
enum breaker_change {
	BREAKER_SAME,
	BREAKER_OPENED,
	BREAKER_REOPENED,	/* the probe failed */
	BREAKER_CLOSED,
};

/* Sets b up closed.  Not thread-safe: call before threads start. */
void breaker_init(struct breaker *b, int threshold, long cooldown_ms);

/*
 * Decides whether a call may go out at now_ms.  On REJECT, *retry_ms (may be
 * NULL) is how long until the next probe.  A PROBE verdict must be followed by
 * breaker_record().  Thread-safe.
 */
enum breaker_verdict breaker_allow(struct breaker *b, long long now_ms,
    long long *retry_ms);

/* Records a call's result (ok: auth answered).  Thread-safe. */
enum breaker_change breaker_record(struct breaker *b, int ok,
    enum breaker_verdict v, long long now_ms);

/*
 * For a call allowed with verdict v that never went out (it could not be
 * started): nothing is learnt about auth, so nothing changes, but a PROBE
 * verdict is handed back for the next call to take.  Thread-safe.
 */
void breaker_cancel(struct breaker *b, enum breaker_verdict v);

#endif
