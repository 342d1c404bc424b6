/*
 * reqlog: the per-request log policy (see reqlog.h).  The "N/s" count is a
 * fixed one-second window held in two atomics, so that deciding costs two
 * atomic operations and no lock: a request that races the turn of a second
 * may land in either second, which changes a count by one at most.
 */
#include "reqlog.h"

#include <stdio.h>
#include <string.h>

/* Longest LOG_REQUESTS value ("1000000/s"): config.def's bound. */
#define REQLOG_SPEC_MAX CFG_LEN_LOG_REQUESTS

int
reqlog_parse(const char *spec, long *rate)
{
	char   num[REQLOG_SPEC_MAX];
	size_t len;

	if (strcmp(spec, "all") == 0) {
		*rate = REQLOG_ALL;
		return 0;
	}
	if (strcmp(spec, "errors") == 0) {
		*rate = 0;
		return 0;
	}
	len = strlen(spec);
	if (len < 3 || len >= sizeof(num) || strcmp(spec + len - 2, "/s") != 0)
		return -1;
	memcpy(num, spec, len - 2);
	num[len - 2] = '\0';
	return cfg_parse_long(num, 1, REQLOG_RATE_MAX, rate);
}

int
reqlog_load(struct reqlog *rl, char err[CFG_ERR_MAX])
{
	const char *spec;

	if (cfg_text(CFG_LOG_REQUESTS, &spec, err) == -1)
		return -1;
	if (reqlog_parse(spec, &rl->rate) == -1) {
		snprintf(err, CFG_ERR_MAX,
		    "LOG_REQUESTS: expected all, errors or N/s (1 <= N <= %ld)",
		    REQLOG_RATE_MAX);
		return -1;
	}
	if (cfg_int(CFG_LOG_SLOW_MS, &rl->slow_ms, err) == -1)
		return -1;
	atomic_init(&rl->window, -1);
	atomic_init(&rl->used, 0);
	return 0;
}

int
reqlog_sample(struct reqlog *rl, const char *hint, long long now_ms)
{
	long long sec = now_ms / 1000, w;

	if (hint != NULL && (hint[0] == '0' || hint[0] == '1') &&
	    hint[1] == '\0')
		return hint[0] == '1';
	if (rl->rate == REQLOG_ALL)
		return 1;
	if (rl->rate == 0)
		return 0;
	w = atomic_load_explicit(&rl->window, memory_order_relaxed);
	if (w != sec && atomic_compare_exchange_strong(&rl->window, &w, sec))
		atomic_store(&rl->used, 0);
	return atomic_fetch_add_explicit(&rl->used, 1, memory_order_relaxed) <
	    rl->rate;
}

int
reqlog_keep(const struct reqlog *rl, int sampled, int status, double ms)
{
	return sampled || status >= 500 || ms >= (double)rl->slow_ms;
}
