/*
 * hashq: password checks off the request threads, bounded.
 *
 * An Argon2id check takes tens of milliseconds of a core and ~19 MiB on
 * purpose.  HASHQ runs them on a few threads of their own (one per two
 * CPUs, at least one), at a lower CPU priority (nice HASHQ_NICE) so that a
 * flood of POST /token takes the CPU that /login/ and /info leave, not the
 * CPU they need.  At most HASHQ_DEPTH_PER checks per hashing thread wait or
 * run at once: a check beyond that is refused at once (busy, a 503), and
 * one that waited past its deadline gives up (a 503 too): a flood is
 * answered fast, never queued.  Thread-safe.
 */
#ifndef HASHQ_H
#define HASHQ_H

#include <stddef.h>

#include "cfg.h"

#define HASHQ_DEPTH_PER   4
#define HASHQ_NICE        10
/* How long a check may wait and run: ~20 checks' time at the floor cost. */
#define HASHQ_DEADLINE_MS 2000

enum hashq_verdict {
	HASHQ_MATCH,
	HASHQ_MISMATCH,
	HASHQ_BUSY,    /* every place taken: refused at once */
	HASHQ_TIMEOUT, /* not done by the deadline */
	HASHQ_NVERDICTS
};

struct hashq;

/*
 * Starts the hashing threads.  Returns the queue, or NULL and err.  Free
 * with hashq_free() (which waits for the check in progress).
 */
struct hashq *hashq_new(char err[CFG_ERR_MAX]);
void          hashq_free(struct hashq *q);

/* How many checks may wait or run at once (threads the caller may block). */
size_t hashq_depth(const struct hashq *q);

/*
 * Checks pw[0..len) (at most USER_PASSWORD_MAX bytes) against the PHC
 * string phc on a hashing thread, blocking the caller until it is done or
 * HASHQ_DEADLINE_MS has passed.  The password's copy is wiped once used.
 */
enum hashq_verdict
hashq_check(struct hashq *q, const char *phc, const char *pw, size_t len);

/*
 * Appends auth_password_checks_total{verdict=...} (Prometheus text) to buf
 * at *len.  Returns 0, or -1 when it does not fit.
 */
int hashq_metrics(const struct hashq *q, char *buf, size_t cap, size_t *len);

#endif
