/*
 * reqlog: which finished requests get a log line (LOG_REQUESTS, LOG_SLOW_MS).
 *
 * A request's line is written when it was sampled, when its answer is a 5xx,
 * or when it took LOG_SLOW_MS or longer: errors and slow requests are always
 * logged.  Sampling is "all", "errors" (nothing sampled) or "N/s": the first
 * N requests of each second of this process, so a person's curl session is
 * logged whole while a load costs at most N lines a second (each line of a
 * container goes through Docker's log driver: docs/operations.md).
 *
 * The decision travels with the request, so that its lines are in every log
 * or in none but an error's: info passes its decision to auth (X-Log-Sampled,
 * through the gateway's internal listener, which passes it on from there
 * only), and every answer tells the gateway whether to write its own line
 * (X-Logged, which the gateway keeps from the client).
 */
#ifndef REQLOG_H
#define REQLOG_H

#include <stdatomic.h>

#include "cfg.h"

/* reqlog.rate: every request sampled. */
#define REQLOG_ALL      (-1L)
/* Most "N/s" may say: beyond it, "all" is the honest setting. */
#define REQLOG_RATE_MAX 1000000L

struct reqlog {
	long rate;    /* N of "N/s", 0 for "errors", REQLOG_ALL */
	long slow_ms; /* LOG_SLOW_MS */
	/* svc's own: the current second (monotonic) and how many it took. */
	atomic_llong window;
	atomic_long  used;
};

/*
 * Parses a LOG_REQUESTS value: "all", "errors" or "N/s" (1 <= N <=
 * REQLOG_RATE_MAX).  Returns 0 and sets *rate, or -1.  Pure.
 */
int reqlog_parse(const char *spec, long *rate);

/*
 * Loads LOG_REQUESTS (unset: 100/s) and LOG_SLOW_MS (unset: 100) into rl.
 * Returns 0, or -1 with err naming the variable.
 */
int reqlog_load(struct reqlog *rl, char err[CFG_ERR_MAX]);

/*
 * Whether the request now starting is sampled: hint is the caller's decision
 * ("1" or "0", X-Log-Sampled) and is taken as is; anything else (NULL
 * included) lets rl decide, counting it against this second's N at now_ms
 * (monotonic).  Thread-safe.
 */
int reqlog_sample(struct reqlog *rl, const char *hint, long long now_ms);

/*
 * Whether a request that was sampled (or not) and answered status after ms
 * gets its line.  Pure.
 */
int reqlog_keep(const struct reqlog *rl, int sampled, int status, double ms);

#endif
