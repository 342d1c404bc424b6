/*
 * svc: worker threads over libfcgi, and the graceful stop libfcgi lacks.
 *
 * Workers share one epoll set holding the listening socket (non-blocking)
 * and every idle connection the gateway keeps open (fastcgi_keep_conn): a
 * worker takes whichever is ready, lets libfcgi read and answer one request
 * on it, and puts a kept connection back into the set.  libfcgi alone would
 * tie each thread to one connection until the gateway closed it, so kept
 * connections beyond the thread count would wait for seconds.
 *
 * A service whose handlers wait on something (info waits on auth) sets
 * svc_def.inflight: each worker then has that many requests, a handler may
 * defer one (svc_defer) instead of blocking, and the worker waits on the
 * shared set (nested in its own epoll set) and on the service's loop (info:
 * its curl multi handle's sockets and timer) at once.  The loop answers
 * deferred requests as their calls finish (svc_done).  Two threads then do
 * what eight blocking ones did, with fewer context switches.
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
#define _GNU_SOURCE		/* pthread_kill, accept4 */
#include "svc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "reqid.h"
#include "resp.h"

/* Upper bound of SVC_THREADS: each thread holds a stack and, in info, a curl handle. */
#define SVC_THREADS_MAX 256
/* Request bodies are not used by our routes; drain at most this much. */
#define SVC_DRAIN_MAX (64 * 1024)
/* Most connections one worker accepts at a time: see svc_accept(). */
#define SVC_ACCEPT_BATCH 64
/* How often main re-sends the wake signal while waiting for workers. */
#define SVC_WAKE_MS 50

struct svc_worker {
	const struct svc_def	*def;
	struct metrics		*metrics;
	int			 ep;		/* the shared epoll set */
	pthread_t		 tid;
	void			*state;
	/* Requests: one, or def->inflight when requests may be deferred. */
	struct svc_req		*req;
	struct svc_req		**idle;		/* the ones free */
	size_t			 nidle;
	size_t			 deferred;	/* the others */
	/* With inflight: waits on ep (nested) and loop_fd; else -1. */
	int			 wep;
};

static atomic_int	 svc_stopping;
static int		 svc_alive;	/* workers still running */
static pthread_mutex_t	 svc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 svc_done_cv = PTHREAD_COND_INITIALIZER;

int
svc_cfg_load(struct svc_cfg *cfg, long threads_default,
    char err[CFG_ERR_MAX])
{
	if (threads_default == SVC_THREADS_PER_CPU) {
		threads_default = sysconf(_SC_NPROCESSORS_ONLN);
		if (threads_default < 2)
			threads_default = 2;
		if (threads_default > SVC_THREADS_MAX)
			threads_default = SVC_THREADS_MAX;
	}
	if (cfg_long("SVC_THREADS", threads_default, 1, SVC_THREADS_MAX, &cfg->threads,
	    err) == -1)
		return -1;
	if (cfg_long("SHUTDOWN_GRACE_MS", 5000, 0, 600000, &cfg->grace_ms,
	    err) == -1)
		return -1;
	return 0;
}

const struct svc_route *
svc_route_find(const struct svc_def *def, const char *method,
    const char *path, int *allowed, int *head)
{
	const struct svc_route	*get = NULL;
	size_t			 i;

	*allowed = 0;
	*head = 0;
	for (i = 0; i < def->nroutes; i++) {
		const struct svc_route *rt = &def->routes[i];

		if (strcmp(rt->path, path) != 0)
			continue;
		*allowed = 1;
		/* "*" takes every method, as a redirect does. */
		if (strcmp(rt->method, method) == 0 ||
		    strcmp(rt->method, "*") == 0)
			return rt;
		if (strcmp(rt->method, "GET") == 0)
			get = rt;
	}
	if (get != NULL && strcmp(method, "HEAD") == 0) {
		*head = 1;
		return get;
	}
	return NULL;
}

size_t
svc_allow(const struct svc_def *def, const char *path, char *buf, size_t cap)
{
	size_t	 i, len = 0;
	int	 get = 0, head = 0;

	buf[0] = '\0';
	for (i = 0; i < def->nroutes; i++) {
		const struct svc_route *rt = &def->routes[i];
		size_t n = strlen(rt->method);

		if (strcmp(rt->path, path) != 0)
			continue;
		get |= strcmp(rt->method, "GET") == 0;
		head |= strcmp(rt->method, "HEAD") == 0;
		if (len + n + 3 > cap)
			break;
		if (len > 0) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, rt->method, n + 1);
		len += n;
	}
	if (get && !head && len + 7 <= cap) {
		memcpy(buf + len, ", HEAD", 7);
		len += 6;
	}
	return len;
}

const char *
svc_param(const struct svc_req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx.envp);
}

long long
svc_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
svc_ms_since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * Routes r and answers it; every path through here sets r->status.
 * Returns the route's index in the table, or nroutes when none matched.
 */
static size_t
svc_dispatch(const struct svc_def *def, struct svc_req *r)
{
	const struct svc_route	*rt;
	const char		*id;
	char			 allow[64], extra[96];
	int			 allowed;

	r->method = svc_param(r, "REQUEST_METHOD");
	r->path = svc_param(r, "DOCUMENT_URI");
	if (r->method == NULL)
		r->method = "";
	if (r->path == NULL)
		r->path = "";
	id = svc_param(r, "HTTP_X_REQUEST_ID");
	r->reqid = reqid_valid(id) ? id : NULL;
	r->status = 0;
	r->deferred = 0;

	rt = svc_route_find(def, r->method, r->path, &allowed, &r->head);
	if (rt != NULL)
		rt->fn(r, def->app);
	else if (allowed) {
		svc_allow(def, r->path, allow, sizeof(allow));
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		resp_error(r, 405, extra, "Method Not Allowed");
	} else
		resp_error(r, 404, NULL, "Not Found");
	if (r->status == 0 && !r->deferred) {
		log_event("error", "handler for %s %s gave no answer",
		    r->method, r->path);
		resp_error(r, 500, NULL, "Internal Server Error");
	}
	return rt != NULL ? (size_t)(rt - def->routes) : def->nroutes;
}

/* Reads and drops what is left of the request body, bounded. */
static void
svc_drain(struct svc_req *r)
{
	char	 buf[4096];
	size_t	 total = 0;
	int	 n;

	while (total < SVC_DRAIN_MAX &&
	    (n = FCGX_GetStr(buf, sizeof(buf), r->fcgx.in)) > 0)
		total += (size_t)n;
}

/* Puts connection fd into the set, served once readable; closes it on failure. */
static void
svc_watch(int ep, int fd, int op)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
	ev.data.fd = fd;
	if (epoll_ctl(ep, op, fd, &ev) == -1 && (op != EPOLL_CTL_MOD ||
	    errno != ENOENT || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)) {
		log_event("warn", "cannot watch a connection: %s",
		    strerror(errno));
		close(fd);
	}
}

/*
 * Accepts what the backlog holds, up to SVC_ACCEPT_BATCH: returns the
 * first connection, to be served now, and queues the others in the set
 * behind the kept connections already ready.  The listening socket is
 * reported once per pass over the ready list, so accepting one connection
 * per report would let new connections wait for every kept one, again and
 * again: with the gateway keeping connections, that was a 100 ms tail.
 * Returns -1 when the backlog is empty (another worker may have won).
 */
static int
svc_accept(int ep)
{
	int	 fd, first = -1, n;

	for (n = 0; n < SVC_ACCEPT_BATCH; n++) {
		if ((fd = accept4(0, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				log_event("warn", "accept failed: %s",
				    strerror(errno));
				/* Do not spin on EMFILE and the like. */
				usleep(10000);
			}
			break;
		}
		if (first == -1)
			first = fd;
		else
			svc_watch(ep, fd, EPOLL_CTL_ADD);
	}
	return first;
}

/* Waits for the next connection with a request ready; -1 when there is none. */
static int
svc_next(int ep, int timeout_ms)
{
	struct epoll_event	 ev;

	if (epoll_wait(ep, &ev, 1, timeout_ms) != 1)
		return -1;		/* EINTR: the stop signal, or spurious */
	if (ev.data.fd != 0)
		return ev.data.fd;	/* a connection, readable or closed */
	return svc_accept(ep);
}

/*
 * After a request on a connection the gateway keeps (fastcgi_keep_conn),
 * hands the connection back to the epoll set instead of waiting on it, so
 * an idle kept connection never holds a worker: libfcgi alone would block
 * the thread in read() until the next request or the gateway's close.
 */
static void
svc_keep(int ep, struct svc_req *r)
{
	int	 fd = r->fcgx.ipcFd;

	if (fd < 0)
		return;			/* libfcgi closed it */
	r->fcgx.ipcFd = -1;
	if (atomic_load(&svc_stopping))
		close(fd);
	else
		svc_watch(ep, fd, EPOLL_CTL_MOD);
}

/* Ends r: drains, finishes, keeps or closes its connection, counts and logs it. */
static void
svc_end(struct svc_worker *w, struct svc_req *r)
{
	char	 method[16], path[256], reqid[REQID_MAX + 1];
	int	 status, have_id;
	double	 ms;

	svc_drain(r);
	/* The params die with the request: keep what the log needs. */
	snprintf(method, sizeof(method), "%s", r->method);
	snprintf(path, sizeof(path), "%s", r->path);
	have_id = r->reqid != NULL;
	if (have_id)
		snprintf(reqid, sizeof(reqid), "%s", r->reqid);
	status = r->status;
	/*
	 * libfcgi's close lingers: shutdown(SHUT_WR), then select() and
	 * read() until the gateway closes its side, holding the thread for
	 * another round trip.  That guards against a reset that would lose
	 * the answer when request data is left unread; once the request was
	 * read to its end nothing is left, and a plain close() is safe
	 * ("detached" selects it).
	 */
	if (FCGX_HasSeenEOF(r->fcgx.in) == EOF)
		r->fcgx.detached = 1;
	FCGX_Finish_r(&r->fcgx);
	r->fcgx.detached = 0;
	svc_keep(w->ep, r);
	ms = svc_ms_since(&r->t0);
	metrics_end(w->metrics, r->route, status, ms);
	w->idle[w->nidle++] = r;
	log_request(have_id ? reqid : NULL, method, path, status, ms);
}

/* Reads and answers (or defers) one request on connection fd. */
static void
svc_serve(struct svc_worker *w, int fd)
{
	struct svc_req	*r = w->idle[--w->nidle];

	/*
	 * libfcgi reads the request from a connection already open:
	 * keepConnection stops it from closing fd first as the end of this
	 * request's predecessor.  A connection the gateway closed fails here
	 * and libfcgi closes it; its own accept() then finds the
	 * non-blocking listening socket empty.
	 */
	r->fcgx.ipcFd = fd;
	r->fcgx.keepConnection = 1;
	if (FCGX_Accept_r(&r->fcgx) < 0) {
		r->fcgx.ipcFd = -1;
		w->idle[w->nidle++] = r;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	metrics_begin(w->metrics);
	r->route = svc_dispatch(w->def, r);
	if (r->deferred)
		w->deferred++;
	else
		svc_end(w, r);
}

void
svc_defer(struct svc_req *r)
{
	r->deferred = 1;
}

void
svc_done(struct svc_req *r)
{
	struct svc_worker	*w = r->worker;

	w->deferred--;
	r->deferred = 0;
	svc_end(w, r);
}

/*
 * One turn of a worker that defers requests: waits until a connection in
 * the shared set or its own loop has something (or the loop's timer is
 * due), runs the loop, then takes every ready request it has room for.
 * Only the loop is waited on while every request is taken.
 */
static void
svc_turn(struct svc_worker *w, int take)
{
	struct epoll_event	 ev[4];
	struct pollfd		 pfd;
	long			 t;
	int			 fd;

	t = w->def->loop_timeout(w->state);
	if (t > INT_MAX)
		t = INT_MAX;
	if (take && w->nidle > 0)
		epoll_wait(w->wep, ev, 4, (int)t);
	else {
		pfd.fd = w->def->loop_fd(w->state);
		pfd.events = POLLIN;
		poll(&pfd, 1, (int)t);
	}
	w->def->loop_run(w->state);
	while (take && w->nidle > 0 && (fd = svc_next(w->ep, 0)) != -1)
		svc_serve(w, fd);
}

static void *
svc_worker_main(void *arg)
{
	struct svc_worker	*w = arg;
	int			 fd;

	while (!atomic_load(&svc_stopping)) {
		if (w->wep != -1)
			svc_turn(w, 1);
		else if ((fd = svc_next(w->ep, -1)) != -1)
			svc_serve(w, fd);
	}
	/*
	 * Stopping: what already waits is still answered, in the backlog and
	 * on connections in the set (kept ones, queued new ones); each is
	 * closed after its answer, and deferred ones are finished.  The
	 * listening socket leaves the set (the first worker here removes it),
	 * so the set reports connections only.
	 */
	epoll_ctl(w->ep, EPOLL_CTL_DEL, 0, NULL);
	for (;;) {
		if (w->nidle > 0 && ((fd = svc_accept(w->ep)) != -1 ||
		    (fd = svc_next(w->ep, 0)) != -1))
			svc_serve(w, fd);
		else if (w->deferred > 0)
			svc_turn(w, 0);
		else
			break;
	}
	pthread_mutex_lock(&svc_lock);
	svc_alive--;
	pthread_cond_signal(&svc_done_cv);
	pthread_mutex_unlock(&svc_lock);
	return NULL;
}

/* Gives w its requests and, for a service that defers, its own wait set. */
static int
svc_worker_init(struct svc_worker *w, const struct svc_def *def,
    struct metrics *metrics, int ep)
{
	struct epoll_event	 ev;
	size_t			 i, n = def->inflight > 0 ? def->inflight : 1;

	memset(w, 0, sizeof(*w));
	w->def = def;
	w->metrics = metrics;
	w->ep = ep;
	w->wep = -1;
	if ((w->req = calloc(n, sizeof(*w->req))) == NULL ||
	    (w->idle = calloc(n, sizeof(*w->idle))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		w->req[i].def = def;
		w->req[i].metrics = metrics;
		w->req[i].worker = w;
		FCGX_InitRequest(&w->req[i].fcgx, 0, 0);
		w->idle[w->nidle++] = &w->req[i];
	}
	if (def->thread_init != NULL &&
	    (w->state = def->thread_init(def->app)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		w->req[i].state = w->state;
	if (def->inflight == 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if ((w->wep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(w->wep, EPOLL_CTL_ADD, ep, &ev) == -1 ||
	    (ev.data.fd = def->loop_fd(w->state)) < 0 ||
	    epoll_ctl(w->wep, EPOLL_CTL_ADD, ev.data.fd, &ev) == -1)
		return -1;
	return 0;
}

static void
svc_worker_free(struct svc_worker *w)
{
	size_t	 i, n = w->def->inflight > 0 ? w->def->inflight : 1;

	if (w->def->thread_free != NULL && w->state != NULL)
		w->def->thread_free(w->state);
	if (w->req != NULL)
		for (i = 0; i < n; i++)
			FCGX_Free(&w->req[i].fcgx, 1);
	if (w->wep != -1)
		close(w->wep);
	free(w->req);
	free(w->idle);
}

static void
svc_wake(int sig)
{
	(void)sig;	/* Its only job is to interrupt epoll_wait(). */
}

/* Waits for the workers until the grace period ends; returns how many remain. */
static int
svc_wait_workers(struct svc_worker *w, long n, long grace_ms)
{
	struct timespec	 deadline, tick;
	long		 i;
	int		 left;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += grace_ms / 1000;
	deadline.tv_nsec += (grace_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&svc_lock);
	while (svc_alive > 0) {
		clock_gettime(CLOCK_REALTIME, &tick);
		if (tick.tv_sec > deadline.tv_sec || (tick.tv_sec ==
		    deadline.tv_sec && tick.tv_nsec >= deadline.tv_nsec))
			break;
		pthread_mutex_unlock(&svc_lock);
		/* Re-sent until all are gone: no race with epoll_wait(). */
		for (i = 0; i < n; i++)
			pthread_kill(w[i].tid, SIGUSR2);
		pthread_mutex_lock(&svc_lock);
		if (svc_alive == 0)
			break;
		tick.tv_nsec += SVC_WAKE_MS * 1000000L;
		if (tick.tv_nsec >= 1000000000L) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&svc_done_cv, &svc_lock, &tick);
	}
	left = svc_alive;
	pthread_mutex_unlock(&svc_lock);
	return left;
}

int
svc_run(const struct svc_def *def, const struct svc_cfg *cfg)
{
	struct svc_worker	*w;
	struct metrics		 metrics;
	struct sigaction	 sa;
	struct epoll_event	 ev;
	sigset_t		 stop;
	long			 i, started = 0;
	int			 sig, flags, left, ep, rc = 1;

	log_init(def->name);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* Blocked before any thread exists, so every thread inherits it. */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	/* A client gone mid-response is an EPIPE to handle, not a death. */
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = svc_wake;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR2, &sa, NULL);

	if (FCGX_Init() != 0 || FCGX_IsCGI()) {
		log_event("error", "fd 0 is not a listening socket: run me "
		    "under spawn-fcgi");
		return 1;
	}
	/* Workers wait in epoll, never in accept(): see the top. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = 0;
	if ((flags = fcntl(0, F_GETFL)) == -1 ||
	    fcntl(0, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1) {
		log_event("error", "cannot watch the listening socket: %s",
		    strerror(errno));
		return 1;
	}
	if (metrics_init(&metrics, def->name, def->nroutes) == -1 ||
	    (w = calloc((size_t)cfg->threads, sizeof(*w))) == NULL) {
		log_event("error", "out of memory");
		metrics_free(&metrics);
		close(ep);
		return 1;
	}
	for (i = 0; i < (long)def->nroutes; i++)
		metrics_route_name(&metrics, (size_t)i, def->routes[i].method,
		    def->routes[i].path);
	for (i = 0; i < cfg->threads; i++) {
		if (svc_worker_init(&w[i], def, &metrics, ep) == -1) {
			svc_worker_free(&w[i]);
			log_event("error", "cannot set up worker %ld", i);
			goto stop;
		}
		pthread_mutex_lock(&svc_lock);
		svc_alive++;
		pthread_mutex_unlock(&svc_lock);
		if (pthread_create(&w[i].tid, NULL, svc_worker_main,
		    &w[i]) != 0) {
			pthread_mutex_lock(&svc_lock);
			svc_alive--;
			pthread_mutex_unlock(&svc_lock);
			svc_worker_free(&w[i]);
			log_event("error", "cannot start worker %ld", i);
			goto stop;
		}
		started++;
	}
	log_event("info", "started with %ld threads, pid %ld", started,
	    (long)getpid());
	rc = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	log_event("info", "%s: stopping, grace %ld ms",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg->grace_ms);
stop:
	atomic_store(&svc_stopping, 1);
	left = svc_wait_workers(w, started, cfg->grace_ms);
	if (left > 0) {
		/* Threads still run: leave their state alone and exit. */
		log_event("warn", "grace period over: %d workers still busy",
		    left);
		return 1;
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		svc_worker_free(&w[i]);
	}
	free(w);
	metrics_free(&metrics);
	/* Kept connections still idle in the set close with the process. */
	close(ep);
	if (rc == 0)
		log_event("info", "stopped");
	return rc;
}

void
svc_healthz(struct svc_req *r, const void *app)
{
	static const char	ok[] = "{\"status\":\"ok\"}";

	(void)app;
	resp_json(r, 200, NULL, ok, sizeof(ok) - 1);
}

void
svc_metrics(struct svc_req *r, const void *app)
{
	char	*buf;
	size_t	 len;

	if ((buf = malloc(METRICS_TEXT_MAX)) == NULL) {
		resp_error(r, 503, NULL, "Out of memory");
		return;
	}
	len = metrics_text(r->metrics, buf, METRICS_TEXT_MAX);
	if (len > 0 && r->def->metrics_extra != NULL &&
	    r->def->metrics_extra(app, buf, METRICS_TEXT_MAX, &len) == -1)
		len = 0;
	if (len == 0)
		resp_error(r, 500, NULL, "Metrics do not fit");
	else
		resp_send(r, 200, "text/plain; version=0.0.4", NULL, buf, len);
	free(buf);
}
