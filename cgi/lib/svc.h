/*
 * svc: the FastCGI serve loop both services run.
 *
 * spawn-fcgi hands the listening socket in as fd 0.  svc_run() starts
 * SVC_THREADS worker threads that take connections with a request waiting,
 * route on method + path through the service's table, answer (at once, or
 * later for a deferred request) and log one line (reqlog.h).  SIGTERM/SIGINT
 * stop the loop: what already waits (the backlog, ready kept connections,
 * deferred requests) is answered within SHUTDOWN_GRACE_MS, then svc_run()
 * returns, or the process exits (svc_run()).
 */
#ifndef SVC_H
#define SVC_H

#include <stddef.h>
#include <time.h>

#include <fcgiapp.h>

#include "cfg.h"
#include "ident.h"
#include "metrics.h"
#include "reqlog.h"
#include "trace.h"

struct svc_def;

/* One request being answered; owned by the worker thread that accepted it. */
struct svc_req {
	FCGX_Request fcgx;
	const char  *method; /* REQUEST_METHOD, never NULL */
	const char  *path;   /* DOCUMENT_URI, never NULL */
	const char  *reqid;  /* valid X-Request-ID, or NULL */
	int          head;   /* HEAD served by a GET route: no body */
	/*
	 * 1 when r came in on the gateway's internal listener (a service's
	 * call): the FastCGI param GATEWAY_LISTENER is "internal", which only
	 * the gateway's own locations set and no client can (a client sets
	 * HTTP_* params only).  Headers that carry a service's word
	 * (X-Client-Addr, X-Log-Sampled) are believed on such a request alone.
	 */
	int   internal;
	int   status; /* set once answered, 0 before */
	void *state;  /* the worker's state (svc_def.thread_init) */
	const struct svc_def *def;     /* the service being run */
	struct metrics       *metrics; /* the process's counters */
	/* svc's own. */
	int             deferred; /* svc_defer() was called */
	int             expired;  /* answered by svc past defer_ms */
	size_t          route;    /* index in def->routes, or nroutes */
	struct timespec t0;       /* when it was read */
	struct reqlog  *reqlog;   /* the process's log policy */
	int             sampled;  /* reqlog_sample()'s decision */
	int             logged;   /* its line is written (X-Logged) */
	/* The caller's subject, set by the handler when known ("": none). */
	char sub[IDENT_SUB_MAX + 1];
	/*
	 * Set by the handler, reset per request: the Cache-Control value of
	 * its answer (NULL: "no-store"), and header lines ("\r\n"-ended)
	 * every answer to it carries, whichever resp_*() writes it.
	 */
	const char *cache_control;
	char        hdr[96];
	/* Its trace (the gateway's traceparent, or a new one) and its span. */
	struct trace trace;
	void        *worker;
};

/* Answers r; app is svc_def.app.  Must answer through resp_*(). */
typedef void (*svc_handler)(struct svc_req *r, const void *app);

struct svc_route {
	const char *method; /* "GET", "POST"..., "*" for any */
	const char *path;   /* exact match, as nginx routed it */
	svc_handler fn;
};

struct svc_def {
	const char             *name; /* "auth", "info" */
	const struct svc_route *routes;
	size_t                  nroutes;
	const void             *app; /* the service's const config */
	/* Per-thread state, made before the thread starts; NULL = failure. */
	void *(*thread_init)(const void *app);
	void (*thread_free)(void *state);
	/*
	 * NULL, or appends the service's own metrics (Prometheus text) to
	 * buf at *len with metrics_printf(); returns -1 when out of room.
	 */
	int (*metrics_extra)(const void *app, char *buf, size_t cap,
	    size_t *len);
	/*
	 * NULL, or called by svc's main thread on SIGHUP while the workers
	 * serve (auth re-reads its tokens): it must make its change visible
	 * to them safely.  Without it, SIGHUP is logged and ignored.
	 */
	void (*reload)(const void *app);
	/*
	 * Services whose handlers wait on something (info waits on auth) may
	 * defer requests instead of blocking their thread: up to inflight
	 * per thread (0: none, handlers answer before they return).  The
	 * worker then also waits until loop_fd(state) is readable or
	 * loop_timeout(state) ms have passed (-1: no limit), and calls
	 * loop_run(state), which answers what it can and calls svc_done().
	 * A deferred request still unanswered defer_ms after it was read (0:
	 * no limit) is answered 504 by svc, logged as an error; the service's
	 * own answer then goes nowhere, and its svc_done() ends the request
	 * as usual.  A safety net: the service's own deadline comes first.
	 */
	size_t inflight;
	long   defer_ms;
	int (*loop_fd)(void *state);
	long (*loop_timeout)(void *state);
	void (*loop_run)(void *state);
};

struct svc_cfg {
	long          threads;   /* SVC_THREADS */
	long          grace_ms;  /* SHUTDOWN_GRACE_MS */
	long          notify_fd; /* SVC_NOTIFY_FD, -1: none */
	struct reqlog log;       /* LOG_REQUESTS, LOG_SLOW_MS */
};

/*
 * Loads SVC_THREADS (unset or empty: one per online CPU, at least 2),
 * SHUTDOWN_GRACE_MS, SVC_NOTIFY_FD (a supervisor's
 * readiness fd: svc_run() writes a newline on it once every worker runs,
 * then closes it; s6's notification-fd) and the request log policy
 * (reqlog_load()).  Returns 0, or -1 and err.
 */
int svc_cfg_load(struct svc_cfg *cfg, char err[CFG_ERR_MAX]);

/*
 * The exit status of a process whose stop outlasted SHUTDOWN_GRACE_MS: not
 * 1, which the supervisor takes for a configuration error at start.
 */
#define SVC_EXIT_GRACE 2

/*
 * Serves until SIGTERM or SIGINT.  Returns the process exit status: 0 after a
 * clean stop, 1 when it cannot start.  When the grace period ends with
 * requests still being served it does not return: the process exits
 * SVC_EXIT_GRACE at once (_exit), so that no caller frees what the workers
 * still use.  Call once, from main, after log_init(); a thread started
 * before it must block every signal (info's JWKS fetcher, jwks.h), so that
 * SIGTERM, SIGINT and SIGHUP reach svc's own sigwait.
 */
int svc_run(const struct svc_def *def, const struct svc_cfg *cfg);

/*
 * For a handler of a service with svc_def.inflight: keeps r open after the
 * handler returns.  The thread answers it later (resp_*()) and then calls
 * svc_done(r), from loop_run; r and its params stay valid until then.
 */
void svc_defer(struct svc_req *r);
void svc_done(struct svc_req *r);


/* The FastCGI param name of r, or NULL.  Valid until the request ends. */
const char *svc_param(const struct svc_req *r, const char *name);

#endif
