/*
 * authmux: one worker thread's calls to auth in flight, multiplexed on a
 * curl multi handle, so that no thread sleeps through a round trip.
 *
 * Up to `slots` calls at once.  Each slot keeps its authc (a curl handle and
 * its connection to the gateway) for the next call, made on first use, and
 * the caller's context for the call (ctx_size bytes): the one pool of calls,
 * so the caller keeps no list of its own.
 * The thread waits until authmux_fd() is readable or authmux_timeout() ms have
 * passed, then calls authmux_run(), which moves the transfers on and reports
 * each finished call.  Not thread-safe: one authmux per thread.
 */
#ifndef AUTHMUX_H
#define AUTHMUX_H

#include <stddef.h>

#include "authc.h"

struct authmux;

/* What a finished call gave; valid during the done callback. */
struct authmux_result {
	enum authc_outcome  out;
	const char         *why;     /* authc_end()'s */
	long                retry_s; /* THROTTLED: auth's Retry-After, else 0 */
	const struct ident *id;      /* OK: the identity, else NULL */
	long                max_age_s; /* authc_max_age(): -1, not kept */
	unsigned long long  gen;       /* authc_generation(): 0, none */
};

/* A finished call: ctx as authmux_start() gave it. */
typedef void (*authmux_done)(void *ctx, const struct authmux_result *res);

/*
 * slots calls at once, each with ctx_size bytes of context (aligned for
 * any type) for the caller, and done called as each ends.  NULL on
 * failure.  cfg must outlive q.  Free with authmux_free().
 */
struct authmux *authmux_new(const struct authc_cfg *cfg, size_t slots,
    size_t ctx_size, authmux_done done);
void            authmux_free(struct authmux *q);

/*
 * Starts a call with authc_begin()'s (call) and returns its context, for
 * the caller to fill before its next authmux_run(), which calls done(ctx,
 * ...) once, when the call ends (deadlines included).  Returns NULL when no
 * slot is free, memory is short or curl refuses the call: then done is
 * never called.
 */
void *authmux_start(struct authmux *q, const struct authc_call *call);

/* Readable when authmux_run() has work. */
int authmux_fd(const struct authmux *q);

/* Milliseconds until authmux_run() is due for a deadline; -1: none. */
long authmux_timeout(const struct authmux *q);

/* Moves the calls on; calls done for each one that ended. */
void authmux_run(struct authmux *q);

#endif
