/*
 * worker: one of svc's serve-loop threads (see svc.c for the whole picture).
 *
 * Workers share one epoll set holding the listening socket (non-blocking)
 * and every idle connection the gateway keeps open: a worker takes whichever
 * has a whole request (park.h: the others wait apart, with a deadline), lets
 * libfcgi read and answer it, and puts a kept connection back into the set.
 * A worker of a service that defers (svc_def.inflight) has that many
 * requests, waits on the shared set (nested in its own epoll set) and on
 * the service's loop at once, and answers deferred requests when the loop
 * says so (svc_done).
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): accept4 */
#include "worker.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "log.h"
#include "park.h"
#include "reqid.h"
#include "reqlog.h"
#include "resp.h"
#include "route.h"

/* Request bodies are not used by our routes; drain at most this much. */
#define WORKER_DRAIN_MAX    ((size_t)64 * 1024)
/* Most connections one worker accepts at a time: see worker_accept(). */
#define WORKER_ACCEPT_BATCH 64

/*
 * Routes r and answers it; every path through here sets r->status.
 * Returns the route's index in the table, or nroutes when none matched.
 */
static size_t
worker_dispatch(const struct svc_def *def, struct svc_req *r)
{
	const struct svc_route *rt;
	const char             *id, *gw;
	char                    allow[64], extra[96];
	int                     allowed;

	r->method = FCGX_GetParam("REQUEST_METHOD", r->fcgx.envp);
	r->path = FCGX_GetParam("DOCUMENT_URI", r->fcgx.envp);
	if (r->method == NULL)
		r->method = "";
	if (r->path == NULL)
		r->path = "";
	id = FCGX_GetParam("HTTP_X_REQUEST_ID", r->fcgx.envp);
	r->reqid = reqid_valid(id) ? id : NULL;
	r->status = 0;
	r->deferred = 0;
	r->expired = 0;
	r->logged = 0;
	r->sub[0] = '\0';
	trace_begin(&r->trace, FCGX_GetParam("HTTP_TRACEPARENT", r->fcgx.envp));
	r->cache_control = NULL;
	r->hdr[0] = '\0';
	gw = FCGX_GetParam("GATEWAY_LISTENER", r->fcgx.envp);
	r->internal = gw != NULL && strcmp(gw, "internal") == 0;
	/* The caller's decision (info's call to auth, on the internal
	 * listener only), else this process's. */
	r->sampled = reqlog_sample(r->reqlog,
	    r->internal ? FCGX_GetParam("HTTP_X_LOG_SAMPLED", r->fcgx.envp)
			: NULL,
	    (long long)r->t0.tv_sec * 1000 + r->t0.tv_nsec / 1000000);

	rt = route_find(def, r->method, r->path, &allowed, &r->head);
	if (rt != NULL)
		rt->fn(r, def->app);
	else if (allowed) {
		route_allow(def, r->path, allow, sizeof(allow));
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
worker_drain(struct svc_req *r)
{
	char   buf[4096];
	size_t total = 0;
	int    n;

	while (total < WORKER_DRAIN_MAX &&
	    (n = FCGX_GetStr(buf, sizeof(buf), r->fcgx.in)) > 0)
		total += (size_t)n;
}

/* Puts connection fd in the set, served once readable; closes it on failure. */
static void
worker_watch(int ep, int fd, int op)
{
	char               ebuf[LOG_ERRNO_MAX];
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
	ev.data.fd = fd;
	if (epoll_ctl(ep, op, fd, &ev) == -1 &&
	    (op != EPOLL_CTL_MOD || errno != ENOENT ||
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)) {
		log_event("warn", "cannot watch a connection: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		close(fd);
	}
}

/*
 * Accepts what the backlog holds, up to WORKER_ACCEPT_BATCH: returns the
 * first connection whose request is whole, to be served now, queues the
 * other whole ones in the set behind the kept connections already ready,
 * and parks the rest (park.h).  The listening socket is reported once per
 * pass over the ready list, so accepting one connection per report would
 * let new connections wait for every kept one, again and again: with the
 * gateway keeping connections, that was a 100 ms tail.  Returns -1 when
 * none is ready (the backlog is empty, or another worker won).
 */
static int
worker_accept(struct worker *w)
{
	char ebuf[LOG_ERRNO_MAX];
	int  fd, first = -1, n;

	for (n = 0; n < WORKER_ACCEPT_BATCH; n++) {
		if ((fd = accept4(0, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				log_event("warn", "accept failed: %s",
				    log_strerror(errno, ebuf, sizeof(ebuf)));
				/* Do not spin on EMFILE and the like. */
				usleep(10000);
			}
			break;
		}
		if (park_accepted(w->sh->park, fd) != PARK_READY)
			continue;
		if (first == -1)
			first = fd;
		else
			worker_watch(w->ep, fd, EPOLL_CTL_ADD);
	}
	return first;
}

/*
 * Waits for the next connection with a whole request; -1 when there is
 * none within timeout_ms, or on the stop signal.  What the set reports on
 * the way (new connections, the park's own descriptors, a connection with
 * part of a request, which is parked) is dealt with here.
 */
static int
worker_next(struct worker *w, int timeout_ms)
{
	struct epoll_event ev;
	int                fd;

	for (;;) {
		if (epoll_wait(w->ep, &ev, 1, timeout_ms) != 1)
			return -1; /* EINTR: the stop signal, or spurious */
		fd = ev.data.fd;
		if (fd == 0)
			fd = worker_accept(w);
		else if (park_run(w->sh->park, fd))
			fd = -1;
		else
			switch (park_check(fd)) {
			case PARK_READY:
				break;
			case PARK_WAIT:
				/* Out of the shared set, into the park. */
				epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
				park_add(w->sh->park, fd);
				fd = -1;
				break;
			default:
				close(fd);
				fd = -1;
				break;
			}
		if (fd != -1)
			return fd;
		if (atomic_load(&w->sh->stopping) && timeout_ms != 0)
			return -1;
	}
}

/*
 * After a request on a connection the gateway keeps (fastcgi_keep_conn),
 * hands the connection back to the epoll set instead of waiting on it, so
 * an idle kept connection never holds a worker: libfcgi alone would block
 * the thread in read() until the next request or the gateway's close.
 */
static void
worker_keep(struct worker *w, struct svc_req *r)
{
	int fd = r->fcgx.ipcFd;

	if (fd < 0)
		return; /* libfcgi closed it */
	r->fcgx.ipcFd = -1;
	if (atomic_load(&w->sh->stopping))
		close(fd);
	else
		worker_watch(w->ep, fd, EPOLL_CTL_MOD);
}

/* Ends r: drains, finishes, keeps or closes its connection, counts, logs. */
static void
worker_end(struct worker *w, struct svc_req *r)
{
	char   method[16], path[256], reqid[REQID_MAX + 1];
	int    status, have_id, logged;
	double ms;

	worker_drain(r);
	/* The params die with the request: keep what the log needs. */
	snprintf(method, sizeof(method), "%s", r->method);
	snprintf(path, sizeof(path), "%s", r->path);
	have_id = r->reqid != NULL;
	if (have_id)
		snprintf(reqid, sizeof(reqid), "%s", r->reqid);
	status = r->status;
	logged = r->logged;
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
	worker_keep(w, r);
	ms = log_ms_since(&r->t0);
	metrics_end(w->metrics, r->route, status, ms);
	/* The answer said whether (X-Logged); a slow end is logged anyway.
	 * The subject and the trace live in r itself: it goes back to the
	 * idle list only after. */
	if (logged || reqlog_keep(&w->sh->log, 0, status, ms))
		log_request(have_id ? reqid : NULL, method, path, status, ms,
		    r->sub[0] ? r->sub : NULL, &r->trace);
	w->idle[w->nidle++] = r;
}

/* Reads and answers (or defers) one request on connection fd. */
static void
worker_serve(struct worker *w, int fd)
{
	struct svc_req *r;

	/* Callers check for an idle request; svc_defer() asserts inflight. */
	assert(w->nidle > 0);
	r = w->idle[--w->nidle];

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
	r->route = worker_dispatch(w->def, r);
	if (r->deferred)
		w->deferred++;
	else
		worker_end(w, r);
}

void
worker_done(struct worker *w, struct svc_req *r)
{
	w->deferred--;
	r->deferred = 0;
	worker_end(w, r);
}

/*
 * Answers 504 for each deferred request older than defer_ms, once (see
 * svc_def.defer_ms); returns the milliseconds until the next one is due,
 * or -1.
 */
static long
worker_expire(struct worker *w)
{
	struct svc_req *r;
	double          age;
	long            next = -1, left;
	size_t          i;

	if (w->def->defer_ms <= 0 || w->deferred == 0)
		return -1;
	for (i = 0; i < w->def->inflight; i++) {
		r = &w->req[i];
		if (!r->deferred || r->expired)
			continue;
		age = log_ms_since(&r->t0);
		if (age >= (double)w->def->defer_ms) {
			log_event("error",
			    "request %s (trace %s) deferred over %ld ms: "
			    "answered 504",
			    r->reqid ? r->reqid : "-", r->trace.trace_id,
			    w->def->defer_ms);
			resp_retry(r, 504, 0, "Gateway Timeout");
			FCGX_FFlush(r->fcgx.out);
			r->expired = 1;
			continue;
		}
		left = (long)((double)w->def->defer_ms - age) + 1;
		if (next == -1 || left < next)
			next = left;
	}
	return next;
}

/*
 * One turn of a worker that defers requests: waits until a connection in
 * the shared set or its own loop has something (or the loop's timer is
 * due), runs the loop, then takes every ready request it has room for.
 * Only the loop is waited on while every request is taken.
 */
static void
worker_turn(struct worker *w, int take)
{
	struct epoll_event ev[4];
	struct pollfd      pfd;
	long               t, e;
	int                fd;

	t = w->def->loop_timeout(w->state);
	e = worker_expire(w);
	if (e >= 0 && (t < 0 || e < t))
		t = e;
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
	while (take && w->nidle > 0 && (fd = worker_next(w, 0)) != -1)
		worker_serve(w, fd);
}

void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int            fd;

	while (!atomic_load(&w->sh->stopping)) {
		if (w->wep != -1)
			worker_turn(w, 1);
		else if ((fd = worker_next(w, -1)) != -1)
			worker_serve(w, fd);
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
		if (w->nidle > 0 &&
		    ((fd = worker_accept(w)) != -1 ||
			(fd = worker_next(w, 0)) != -1))
			worker_serve(w, fd);
		else if (w->deferred > 0)
			worker_turn(w, 0);
		else
			break;
	}
	pthread_mutex_lock(&w->sh->lock);
	w->sh->alive--;
	pthread_cond_signal(&w->sh->done);
	pthread_mutex_unlock(&w->sh->lock);
	return NULL;
}

/* Gives w its requests and, for a service that defers, its own wait set. */
int
worker_init(struct worker *w, const struct svc_def *def,
    struct metrics *metrics, int ep, struct worker_shared *sh)
{
	struct epoll_event ev;
	size_t             i, n = def->inflight > 0 ? def->inflight : 1;

	memset(w, 0, sizeof(*w));
	w->def = def;
	w->metrics = metrics;
	w->ep = ep;
	w->sh = sh;
	w->wep = -1;
	if ((w->req = calloc(n, sizeof(*w->req))) == NULL ||
	    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
	    (w->idle = calloc(n, sizeof(*w->idle))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		w->req[i].def = def;
		w->req[i].metrics = metrics;
		w->req[i].worker = w;
		w->req[i].reqlog = &sh->log;
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

void
worker_free(struct worker *w)
{
	size_t i, n = w->def->inflight > 0 ? w->def->inflight : 1;

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
