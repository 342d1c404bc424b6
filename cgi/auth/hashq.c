/*
 * hashq: a fixed table of jobs under one lock.  A job is FREE, QUEUED
 * (waiting for a hashing thread), RUNNING, DONE (its caller takes the
 * verdict) or, when its caller gave up, ABANDONED: the hashing thread then
 * frees it.  The oldest QUEUED job runs first (seq).
 */
#include "hashq.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "users.h"
#include "wipe.h"

#define HASHQ_THREADS_MAX 8

enum hashq_state { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

struct hashq_job {
	enum hashq_state   state;
	unsigned long long seq;
	int                match;
	size_t             len;
	char               phc[USER_HASH_MAX + 1];
	char               pw[USER_PASSWORD_MAX];
	pthread_cond_t     done;
};

struct hashq {
	pthread_mutex_t            lock;
	pthread_cond_t             work;
	int                        stop;
	unsigned long long         seq;
	size_t                     nthreads, njobs;
	pthread_t                  th[HASHQ_THREADS_MAX];
	struct hashq_job          *jobs;
	_Atomic unsigned long long verdicts[HASHQ_NVERDICTS];
};

static const char *const hashq_names[HASHQ_NVERDICTS] = {
	"match",
	"mismatch",
	"busy",
	"timeout",
};

/* The oldest queued job, or NULL.  Under q->lock. */
static struct hashq_job *
hashq_next(struct hashq *q)
{
	struct hashq_job *j = NULL;
	size_t            i;

	for (i = 0; i < q->njobs; i++)
		if (q->jobs[i].state == JOB_QUEUED &&
		    (j == NULL || q->jobs[i].seq < j->seq))
			j = &q->jobs[i];
	return j;
}

static void
hashq_release(struct hashq_job *j)
{
	wipe(j->pw, sizeof(j->pw));
	j->state = JOB_FREE;
}

static void *
hashq_main(void *arg)
{
	struct hashq     *q = arg;
	struct hashq_job *j;
	int               match;

	/* Linux: nice is a thread's own; who 0 is the calling thread. */
	if (setpriority(PRIO_PROCESS, 0, HASHQ_NICE) == -1)
		log_event("warn", "hashing thread: cannot lower its priority");
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->stop && (j = hashq_next(q)) == NULL)
			pthread_cond_wait(&q->work, &q->lock);
		if (q->stop)
			break;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&q->lock);
		match = users_password_ok(j->phc, j->pw, j->len);
		pthread_mutex_lock(&q->lock);
		if (j->state == JOB_ABANDONED) {
			hashq_release(j);
			continue;
		}
		wipe(j->pw, sizeof(j->pw));
		j->match = match;
		j->state = JOB_DONE;
		pthread_cond_signal(&j->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct hashq *
hashq_new(char err[CFG_ERR_MAX])
{
	struct hashq *q;
	long          cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char          ebuf[LOG_ERRNO_MAX];
	size_t        i;
	int           rc;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto oom;
	q->nthreads = cpus >= 4 ? (size_t)cpus / 2 : 1;
	if (q->nthreads > HASHQ_THREADS_MAX)
		q->nthreads = HASHQ_THREADS_MAX;
	q->njobs = q->nthreads * HASHQ_DEPTH_PER;
	if ((q->jobs = calloc(q->njobs, sizeof(*q->jobs))) == NULL)
		goto oom;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	for (i = 0; i < q->njobs; i++)
		pthread_cond_init(&q->jobs[i].done, NULL);
	for (i = 0; i < q->nthreads; i++)
		if ((rc = pthread_create(&q->th[i], NULL, hashq_main, q)) !=
		    0) {
			q->nthreads = i;
			hashq_free(q);
			snprintf(err, CFG_ERR_MAX,
			    "AUTH_USERS_FILE: cannot start a hashing thread: %s",
			    log_strerror(rc, ebuf, sizeof(ebuf)));
			return NULL;
		}
	return q;
oom:
	if (q != NULL)
		free(q->jobs);
	free(q);
	snprintf(err, CFG_ERR_MAX, "AUTH_USERS_FILE: out of memory");
	return NULL;
}

void
hashq_free(struct hashq *q)
{
	size_t i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->th[i], NULL);
	wipe(q->jobs, q->njobs * sizeof(*q->jobs));
	free(q->jobs);
	free(q);
}

size_t
hashq_depth(const struct hashq *q)
{
	return q->njobs;
}

enum hashq_verdict
hashq_check(struct hashq *q, const char *phc, const char *pw, size_t len)
{
	struct hashq_job  *j = NULL;
	struct timespec    until;
	enum hashq_verdict v;
	size_t             i;
	int                rc = 0;

	if (len > USER_PASSWORD_MAX || strlen(phc) > USER_HASH_MAX)
		return HASHQ_MISMATCH; /* token.c's form bounds both */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HASHQ_DEADLINE_MS / 1000;
	until.tv_nsec += (long)(HASHQ_DEADLINE_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->njobs && j == NULL; i++)
		if (q->jobs[i].state == JOB_FREE)
			j = &q->jobs[i];
	if (j == NULL) {
		pthread_mutex_unlock(&q->lock);
		atomic_fetch_add_explicit(&q->verdicts[HASHQ_BUSY], 1,
		    memory_order_relaxed);
		return HASHQ_BUSY;
	}
	memcpy(j->phc, phc, strlen(phc) + 1);
	memcpy(j->pw, pw, len);
	j->len = len;
	j->seq = ++q->seq;
	j->state = JOB_QUEUED;
	pthread_cond_signal(&q->work);
	while (j->state != JOB_DONE && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&j->done, &q->lock, &until);
	if (j->state == JOB_DONE) {
		v = j->match ? HASHQ_MATCH : HASHQ_MISMATCH;
		hashq_release(j);
	} else if (j->state == JOB_QUEUED) {
		v = HASHQ_TIMEOUT;
		hashq_release(j);
	} else {
		/* Running: its thread frees it when done. */
		v = HASHQ_TIMEOUT;
		j->state = JOB_ABANDONED;
	}
	pthread_mutex_unlock(&q->lock);
	atomic_fetch_add_explicit(&q->verdicts[v], 1, memory_order_relaxed);
	return v;
}

int
hashq_metrics(const struct hashq *q, char *buf, size_t cap, size_t *len)
{
	return metrics_family(buf, cap, len, "auth_password_checks_total",
	    "Password checks of POST /token (an unknown name is checked "
	    "against a dummy hash: a mismatch), and those refused.",
	    "verdict", hashq_names, q->verdicts, HASHQ_NVERDICTS);
}
