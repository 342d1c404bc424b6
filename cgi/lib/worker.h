/*
 * worker: one of svc's serve-loop threads.  Internal to svc: services use
 * svc.h only.
 */
#ifndef WORKER_H
#define WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "metrics.h"
#include "park.h"
#include "svc.h"

/* What svc_run() and its workers share: the stop flag and who is left. */
struct worker_shared {
	atomic_int      stopping;
	pthread_mutex_t lock;
	pthread_cond_t  done;  /* signalled as each exits */
	int             alive; /* under lock */
	struct reqlog   log;   /* svc_cfg.log, shared by every request */
	struct park    *park;  /* connections whose request is not whole */
};

struct worker {
	const struct svc_def *def;
	struct metrics       *metrics;
	int                   ep; /* the shared epoll set */
	struct worker_shared *sh;
	pthread_t             tid;
	void                 *state; /* def->thread_init's */
	/* Requests: one, or def->inflight when requests may be deferred. */
	struct svc_req  *req;
	struct svc_req **idle; /* the ones free */
	size_t           nidle;
	size_t           deferred; /* taken, waiting on the loop */
	/* With inflight: waits on ep (nested) and loop_fd; else -1. */
	int wep;
};

/*
 * Sets w up to serve def from the shared set ep: its requests, its state
 * (def->thread_init) and, for a service that defers, its own wait set.
 * Returns 0, or -1; either way worker_free() releases what was made.
 */
int  worker_init(struct worker *w, const struct svc_def *def,
     struct metrics *metrics, int ep, struct worker_shared *sh);
void worker_free(struct worker *w);

/*
 * The thread (pthread_create's start with a struct worker *): serves until
 * sh->stopping, then answers what already waits, finishes its deferred
 * requests, counts itself out of sh->alive and returns NULL.
 */
void *worker_main(void *arg);

/* svc_done() for w's deferred request r. */
void worker_done(struct worker *w, struct svc_req *r);

#endif
