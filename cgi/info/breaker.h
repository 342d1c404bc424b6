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

#include "cfg.h"

/* Opaque: its state changes only through the functions below. */
struct breaker;

enum breaker_verdict {
	BREAKER_PASS,   /* closed: call */
	BREAKER_PROBE,  /* half-open: this call is the probe */
	BREAKER_REJECT, /* open: do not call */
};

/* What a call's result changed; the caller logs each change once. */
enum breaker_change {
	BREAKER_SAME,
	BREAKER_OPENED,
	BREAKER_REOPENED, /* the probe failed */
	BREAKER_CLOSED,
};

/*
 * A closed breaker that opens after threshold consecutive failures (0:
 * never) for cooldown_ms.  NULL when out of memory.  The caller owns it:
 * breaker_free().  Make it before the threads start.
 */
struct breaker *breaker_new(int threshold, long cooldown_ms);
void            breaker_free(struct breaker *b);

/*
 * breaker_new() with AUTH_CB_FAILURES and AUTH_CB_COOLDOWN_MS (config.def)
 * into *out.  Returns 0, or -1 with err filled (a bad value, or out of
 * memory).
 */
int breaker_load(struct breaker **out, char err[CFG_ERR_MAX]);

/* Its settings, for logs.  Thread-safe. */
int  breaker_threshold(const struct breaker *b);
long breaker_cooldown_ms(const struct breaker *b);

/* 1 while open or half-open (calls are refused or probing), else 0. */
int breaker_is_open(struct breaker *b);

/*
 * Decides whether a call may go out at now_ms.  On REJECT, *retry_ms (may be
 * NULL) is how long until the next probe.  A PROBE verdict must be followed by
 * breaker_record().  Thread-safe.
 */
enum breaker_verdict
breaker_allow(struct breaker *b, long long now_ms, long long *retry_ms);

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
