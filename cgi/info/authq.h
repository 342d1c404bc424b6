/*
 * authq: one worker thread's calls to auth in flight, run together on a
 * curl multi handle, so that no thread sleeps through a round trip.
 *
 * Up to `slots` calls at once.  Each slot keeps its authc (a curl handle and
 * its connection to the gateway) for the next call; it is made on first use.
 * The thread waits until authq_fd() is readable or authq_timeout() ms have
 * passed, then calls authq_run(), which moves the transfers on and reports
 * each finished call.  Not thread-safe: one authq per thread.
 */
#ifndef AUTHQ_H
#define AUTHQ_H

#include <stddef.h>

#include "authc.h"

struct authq;

/* A finished call: arg as given to authq_start(); why as authc_end()'s. */
typedef void (*authq_done)(void *arg, enum authc_outcome out,
    const char *why);

/* NULL on failure.  cfg must outlive q.  Free with authq_free(). */
struct authq *authq_new(const struct authc_cfg *cfg, size_t slots);
void authq_free(struct authq *q);

/*
 * Starts a call with authc_begin()'s arguments; a later authq_run() calls
 * done(arg, ...) once, when it ends (deadlines included).  Returns 0, or -1
 * when no slot is free, memory is short or curl refuses it: then done is
 * never called.
 */
int authq_start(struct authq *q, const char *authorization,
    const char *reqid, authq_done done, void *arg);

/* Readable when authq_run() has work. */
int authq_fd(const struct authq *q);

/* Milliseconds until authq_run() is due for a deadline; -1: none. */
long authq_timeout(const struct authq *q);

/* Moves the calls on; calls done for each one that ended. */
void authq_run(struct authq *q);

#endif
