/*
 * svc: worker threads over libfcgi, and the graceful stop libfcgi lacks.
 *
 * svc_run() puts the listening socket (non-blocking) in one epoll set that
 * every worker shares with the idle connections the gateway keeps open, and
 * starts the workers (worker.c: how a request is taken, answered or
 * deferred, and how a kept connection goes back into the set; route.c: the
 * routing table).  Here: the configuration, and the process's start and
 * stop.
 *
 * libfcgi's own SIGTERM handler only sets a flag that a blocked thread never
 * sees.  So SIGTERM and SIGINT are blocked in every thread and the main
 * thread waits for them with sigwait().  To stop, it sets the stop flag and
 * sends SIGUSR2 to the workers: the handler is empty and has SA_RESTART, so
 * epoll_wait() returns EINTR while reads and writes of in-flight requests
 * simply resume.  Workers answer what the backlog and the ready connections
 * hold, finish their deferred requests, close their kept connections and
 * exit; main waits at most the grace period.
 */
#include "svc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "log.h"
#include "resp.h"
#include "worker.h"

/* How often main re-sends the wake signal while waiting for workers. */
#define SVC_WAKE_MS 50

/* The workers' stop flag and count, shared with them. */
static struct worker_shared svc_shared = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	/* .done: made in svc_run(), on the monotonic clock. */
};

/*
 * Ready: a newline on the supervisor's fd, which is then closed (s6's
 * notification-fd protocol).  A supervisor that did not give the fd gets
 * EBADF, logged; serving goes on.
 */
static void
svc_ready(long fd)
{
	char ebuf[64];

	if (fd < 0)
		return;
	if (write((int)fd, "\n", 1) != 1)
		log_event("warn", "SVC_NOTIFY_FD %ld: %s", fd,
		    log_strerror(errno, ebuf, sizeof(ebuf)));
	close((int)fd);
}

int
svc_cfg_load(struct svc_cfg *cfg, char err[CFG_ERR_MAX])
{
	/*
	 * SVC_NOTIFY_FD's range starts at 3: 0-2 are the socket and the
	 * logs, never a readiness fd.  Unset, both are config.def's "none".
	 */
	if (cfg_int(CFG_SVC_THREADS, &cfg->threads, err) == -1 ||
	    cfg_int(CFG_SHUTDOWN_GRACE_MS, &cfg->grace_ms, err) == -1 ||
	    cfg_int(CFG_SVC_NOTIFY_FD, &cfg->notify_fd, err) == -1)
		return -1;
	if (cfg->threads == cfg_vars[CFG_SVC_THREADS].def) {
		cfg->threads = sysconf(_SC_NPROCESSORS_ONLN);
		if (cfg->threads < 2)
			cfg->threads = 2;
		if (cfg->threads > CFG_MAX_SVC_THREADS)
			cfg->threads = CFG_MAX_SVC_THREADS;
	}
	return reqlog_load(&cfg->log, err);
}

const char *
svc_param(const struct svc_req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx.envp);
}

void
svc_defer(struct svc_req *r)
{
	/* Only a service with inflight has the requests to defer one. */
	assert(r->def->inflight > 0);
	r->deferred = 1;
}

void
svc_done(struct svc_req *r)
{
	worker_done(r->worker, r);
}

static void
svc_wake(int sig)
{
	(void)sig; /* Its only job is to interrupt epoll_wait(). */
}


/* ts += ms, normalised. */
static void
svc_ts_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits for the workers until the grace period ends; returns how many remain. */
static int
svc_wait_workers(struct worker *w, long n, long grace_ms)
{
	struct timespec deadline, tick;
	long            i;
	int             left;

	/* The monotonic clock: a wall-clock jump must not move the grace. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	svc_ts_add_ms(&deadline, grace_ms);
	pthread_mutex_lock(&svc_shared.lock);
	while (svc_shared.alive > 0) {
		clock_gettime(CLOCK_MONOTONIC, &tick);
		if (tick.tv_sec > deadline.tv_sec ||
		    (tick.tv_sec == deadline.tv_sec &&
			tick.tv_nsec >= deadline.tv_nsec))
			break;
		pthread_mutex_unlock(&svc_shared.lock);
		/* Re-sent until all are gone: no race with epoll_wait(). */
		for (i = 0; i < n; i++)
			pthread_kill(w[i].tid, SIGUSR2);
		pthread_mutex_lock(&svc_shared.lock);
		if (svc_shared.alive == 0)
			break;
		svc_ts_add_ms(&tick, SVC_WAKE_MS);
		pthread_cond_timedwait(&svc_shared.done, &svc_shared.lock,
		    &tick);
	}
	left = svc_shared.alive;
	pthread_mutex_unlock(&svc_shared.lock);
	return left;
}

/*
 * Signals, before any thread exists so that every thread inherits the mask:
 * SIGTERM, SIGINT and SIGHUP blocked (main takes them with sigwait()), SIGPIPE
 * ignored, SIGUSR2 the workers' wake-up.  Also the stop condition, on the
 * monotonic clock for svc_wait_workers().  Returns 0, or -1.
 */
static int
svc_signals(sigset_t *stop)
{
	struct sigaction   sa;
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&svc_shared.done, &ca) != 0) {
		log_event("error", "cannot set up the stop condition");
		return -1;
	}
	pthread_condattr_destroy(&ca);
	sigemptyset(stop);
	sigaddset(stop, SIGTERM);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	/* A client gone mid-response is an EPIPE to handle, not a death. */
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = svc_wake;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);
	return 0;
}

/*
 * The listening socket spawn-fcgi handed in as fd 0, non-blocking, in a new
 * epoll set: workers wait there, never in accept().  Returns the set, or -1.
 */
static int
svc_listen(void)
{
	char               ebuf[LOG_ERRNO_MAX];
	struct epoll_event ev;
	int                flags, ep;

	if (FCGX_Init() != 0 || FCGX_IsCGI()) {
		log_event("error",
		    "fd 0 is not a listening socket: run me "
		    "under spawn-fcgi");
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = 0;
	if ((flags = fcntl(0, F_GETFL)) == -1 ||
	    fcntl(0, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_event("error", "cannot watch the listening socket: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1) {
		log_event("error", "cannot watch the listening socket: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		close(ep);
		return -1;
	}
	return ep;
}

/*
 * Idle and half-sent connections cost a descriptor each and no thread: the
 * soft limit goes up to the hard one (at most PARK_FDS_MAX), so that
 * thousands of them leave room for the gateway's.
 */
static void
svc_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	rl.rlim_cur = rl.rlim_max < PARK_FDS_MAX ? rl.rlim_max : PARK_FDS_MAX;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * A service's memory holds secrets (auth's digests and the store's
 * password, the tokens of requests in flight): no core dump writes them
 * out, and no process of the same user may read it (ptrace, /proc/PID/mem:
 * non-dumpable makes /proc/PID root's).
 */
static int
svc_private(void)
{
	char          ebuf[LOG_ERRNO_MAX];
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_event("error", "cannot keep the memory private: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	return 0;
}

/*
 * Sets up and starts cfg->threads workers in w; returns how many run (all,
 * or fewer after a failure it logged).
 */
static long
svc_start_workers(struct worker *w, const struct svc_def *def,
    const struct svc_cfg *cfg, struct metrics *metrics, int ep)
{
	long i;

	for (i = 0; i < cfg->threads; i++) {
		if (worker_init(&w[i], def, metrics, ep, &svc_shared) == -1) {
			worker_free(&w[i]);
			log_event("error", "cannot set up worker %ld", i);
			return i;
		}
		pthread_mutex_lock(&svc_shared.lock);
		svc_shared.alive++;
		pthread_mutex_unlock(&svc_shared.lock);
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			pthread_mutex_lock(&svc_shared.lock);
			svc_shared.alive--;
			pthread_mutex_unlock(&svc_shared.lock);
			worker_free(&w[i]);
			log_event("error", "cannot start worker %ld", i);
			return i;
		}
	}
	return i;
}

/*
 * Stops the started workers within the grace period and frees them.  When
 * some are still busy at its end it does not return: the process exits
 * SVC_EXIT_GRACE.
 */
static void
svc_stop(struct worker *w, long started, long grace_ms)
{
	long i;
	int  left;

	atomic_store(&svc_shared.stopping, 1);
	left = svc_wait_workers(w, started, grace_ms);
	if (left > 0) {
		/*
		 * Busy workers still use the metrics, the service's state and
		 * libcurl's: returning would let the caller free them under
		 * the workers.  The process ends here instead, as it would
		 * have a moment later, unanswered requests and all.
		 */
		log_event("warn",
		    "grace period over: %d workers still busy: exiting now",
		    left);
		_exit(SVC_EXIT_GRACE);
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		worker_free(&w[i]);
	}
	free(w);
}

int
svc_run(const struct svc_def *def, const struct svc_cfg *cfg)
{
	struct worker *w;
	struct metrics metrics;
	sigset_t       stop;
	long           i, started;
	int            sig = 0, ep, rc;

	/*
	 * The service's main named the log already (log_init()): threads of
	 * its own, such as info's JWKS fetcher, may be logging by now.
	 */
	if (svc_private() == -1 || svc_signals(&stop) == -1 ||
	    (ep = svc_listen()) == -1)
		return 1;
	svc_nofile();
	if ((svc_shared.park = park_new(ep)) == NULL) {
		close(ep);
		return 1;
	}
	if (metrics_init(&metrics, def->name, def->nroutes) == -1 ||
	    (w = calloc((size_t)cfg->threads, sizeof(*w))) == NULL) {
		log_event("error", "out of memory");
		metrics_free(&metrics);
		park_free(svc_shared.park);
		close(ep);
		return 1;
	}
	/* The policy's counters live with the workers' shared state. */
	svc_shared.log.rate = cfg->log.rate;
	svc_shared.log.slow_ms = cfg->log.slow_ms;
	atomic_init(&svc_shared.log.window, -1);
	atomic_init(&svc_shared.log.used, 0);
	for (i = 0; i < (long)def->nroutes; i++)
		metrics_route_name(&metrics, (size_t)i, def->routes[i].method,
		    def->routes[i].path);
	started = svc_start_workers(w, def, cfg, &metrics, ep);
	/* A worker that failed to start: stop those that did, exit 1. */
	rc = started < cfg->threads;
	if (rc == 0) {
		log_event("info", "started with %ld threads, pid %ld", started,
		    (long)getpid());
		svc_ready(cfg->notify_fd);
		/* SIGHUP: reload (svc_def.reload), then wait again. */
		while (sigwait(&stop, &sig) != 0 || sig == SIGHUP) {
			if (sig != SIGHUP) {
				sig = 0; /* sigwait failed: sig is not set */
				continue;
			}
			if (def->reload != NULL)
				def->reload(def->app);
			else
				log_event("info", "SIGHUP: nothing to reload");
			sig = 0;
		}
		log_event("info", "%s: stopping, grace %ld ms",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg->grace_ms);
	}
	svc_stop(w, started, cfg->grace_ms);
	metrics_free(&metrics);
	park_free(svc_shared.park);
	/* Kept connections still idle in the set close with the process. */
	close(ep);
	if (rc == 0)
		log_event("info", "stopped");
	return rc;
}
