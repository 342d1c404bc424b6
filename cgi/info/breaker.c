/*
 * breaker: a three-state circuit breaker on three atomics (failures,
 * open_until, probing).  open_until == 0 is
 * closed; a time is open until then and half-open after it; `probing` makes
 * sure only one call probes.  Compare-and-swap picks the one thread that
 * reports each change, so each is logged once.
 */
#include "breaker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>


struct breaker {
	int          threshold; /* 0: never opens */
	long         cooldown_ms;
	atomic_int   failures;   /* consecutive */
	atomic_llong open_until; /* ms; 0 while closed */
	atomic_int   probing;    /* a half-open probe is out */
};

struct breaker *
breaker_new(int threshold, long cooldown_ms)
{
	struct breaker *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	b->threshold = threshold;
	b->cooldown_ms = cooldown_ms;
	atomic_init(&b->failures, 0);
	atomic_init(&b->open_until, 0);
	atomic_init(&b->probing, 0);
	return b;
}

int
breaker_load(struct breaker **out, char err[CFG_ERR_MAX])
{
	long failures, cooldown;

	*out = NULL;
	if (cfg_int(CFG_AUTH_CB_FAILURES, &failures, err) == -1 ||
	    cfg_int(CFG_AUTH_CB_COOLDOWN_MS, &cooldown, err) == -1)
		return -1;
	if ((*out = breaker_new((int)failures, cooldown)) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_CB_FAILURES: out of memory");
		return -1;
	}
	return 0;
}

void
breaker_free(struct breaker *b)
{
	free(b);
}

int
breaker_threshold(const struct breaker *b)
{
	return b->threshold;
}

long
breaker_cooldown_ms(const struct breaker *b)
{
	return b->cooldown_ms;
}

int
breaker_is_open(struct breaker *b)
{
	return atomic_load(&b->open_until) != 0;
}

enum breaker_verdict
breaker_allow(struct breaker *b, long long now_ms, long long *retry_ms)
{
	long long until;
	int       idle = 0;

	if (b->threshold == 0)
		return BREAKER_PASS;
	until = atomic_load(&b->open_until);
	if (until == 0)
		return BREAKER_PASS;
	if (now_ms >= until &&
	    atomic_compare_exchange_strong(&b->probing, &idle, 1)) {
		/*
		 * The probe before this one may have closed the breaker (and
		 * freed the probe) since until was read, or failures opened
		 * it again: then this is a plain call, or none.  Without
		 * this, a second probe could pass after the close and, its
		 * success changing nothing, keep the probe taken for ever,
		 * so that the next open would never end (the 8-thread test
		 * found it under TSan).
		 */
		until = atomic_load(&b->open_until);
		if (until == 0 || now_ms < until) {
			atomic_store(&b->probing, 0);
			if (until == 0)
				return BREAKER_PASS;
		} else
			return BREAKER_PROBE;
	}
	if (retry_ms != NULL)
		*retry_ms = until > now_ms ? until - now_ms : 0;
	return BREAKER_REJECT;
}

enum breaker_change
breaker_record(struct breaker *b, int ok, enum breaker_verdict v,
    long long now_ms)
{
	long long until;

	if (b->threshold == 0)
		return BREAKER_SAME;
	if (ok) {
		atomic_store(&b->failures, 0);
		until = atomic_load(&b->open_until);
		if (until != 0 &&
		    atomic_compare_exchange_strong(&b->open_until, &until, 0)) {
			atomic_store(&b->probing, 0);
			return BREAKER_CLOSED;
		}
		/* A probe always hands the probe back. */
		if (v == BREAKER_PROBE)
			atomic_store(&b->probing, 0);
		return BREAKER_SAME;
	}
	if (v == BREAKER_PROBE) {
		atomic_store(&b->open_until, now_ms + b->cooldown_ms);
		atomic_store(&b->probing, 0);
		return BREAKER_REOPENED;
	}
	if (atomic_fetch_add(&b->failures, 1) + 1 >= b->threshold) {
		until = 0;
		if (atomic_compare_exchange_strong(&b->open_until, &until,
			now_ms + b->cooldown_ms))
			return BREAKER_OPENED;
	}
	return BREAKER_SAME;
}

void
breaker_cancel(struct breaker *b, enum breaker_verdict v)
{
	if (v == BREAKER_PROBE)
		atomic_store(&b->probing, 0);
}
