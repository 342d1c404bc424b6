/*
 * info.fcgi: "the answer to all your questions", for callers auth accepts.
 *
 *   GET|HEAD /info  asks auth (AUTH_URL, through the gateway), then:
 *     auth 200          → 200 {"info":"The answer is 42."}
 *     auth 401 / 403    → the same status, JSON detail
 *     auth timed out    → 504, JSON detail, Retry-After
 *     anything else     → 503, JSON detail, Retry-After
 *
 *   GET|HEAD /healthz  200 {"status":"ok"} (no auth call: liveness)
 *   GET|HEAD /metrics  Prometheus text: requests, latency, auth calls
 *
 * Never 200 unless auth said yes.  A circuit breaker stops hammering an auth
 * service that keeps failing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "authc.h"
#include "authq.h"
#include "breaker.h"
#include "cache.h"
#include "log.h"
#include "resp.h"
#include "svc.h"

/* What became of each /info's call to auth, for /metrics. */
enum info_call {
	INFO_CALL_OK,
	INFO_CALL_DENIED,		/* 401 or 403 */
	INFO_CALL_TIMEOUT,
	INFO_CALL_UNAVAILABLE,
	INFO_CALL_BREAKER_OPEN,		/* not made: the breaker refused */
	INFO_CALL_CACHED,		/* not made: a "yes" from the cache */
	INFO_CALL_N,
};

static const char *const info_call_names[INFO_CALL_N] = {
	"ok", "denied", "timeout", "unavailable", "breaker_open", "cached",
};

/* The call's outcome as a metric. */
static const enum info_call info_call_of[AUTHC_N] = {
	[AUTHC_OK] = INFO_CALL_OK,
	[AUTHC_UNAUTHORIZED] = INFO_CALL_DENIED,
	[AUTHC_FORBIDDEN] = INFO_CALL_DENIED,
	[AUTHC_TIMEOUT] = INFO_CALL_TIMEOUT,
	[AUTHC_UNAVAILABLE] = INFO_CALL_UNAVAILABLE,
};

struct info_app {
	struct authc_cfg	 authc;
	struct breaker		*breaker;	/* shared, mutable, atomic */
	struct cache		*cache;		/* shared, mutable, locked */
	_Atomic unsigned long long *calls;	/* [INFO_CALL_N], shared */
};

static const char info_answer[] = "{\"info\":\"The answer is 42.\"}";

/* Answers 503/504 with a Retry-After of at least one second. */
static void
info_unavailable(struct svc_req *r, int status, long long retry_ms,
    const char *detail)
{
	char	 extra[48];

	snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
	    retry_ms <= 1000 ? 1 : (retry_ms + 999) / 1000);
	resp_error(r, status, extra, detail);
}

static void
info_log_change(enum breaker_change ch, const struct breaker *b)
{
	switch (ch) {
	case BREAKER_OPENED:
		log_event("warn", "breaker open: %d consecutive auth failures, "
		    "failing fast for %ld ms", breaker_threshold(b),
		    breaker_cooldown_ms(b));
		break;
	case BREAKER_REOPENED:
		log_event("warn", "breaker open again: probe failed, failing "
		    "fast for %ld ms", breaker_cooldown_ms(b));
		break;
	case BREAKER_CLOSED:
		log_event("info", "breaker closed: auth answers again");
		break;
	default:
		break;
	}
}

static int
info_header_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= AUTHC_AUTHZ_MAX || (unsigned char)s[i] < 0x20 ||
		    s[i] == 0x7f)
			return 0;
	return 1;
}

static void
info_count(const struct info_app *a, enum info_call c)
{
	atomic_fetch_add_explicit(&a->calls[c], 1, memory_order_relaxed);
}

/*
 * Calls to auth in flight per thread (svc_def.inflight, authq's slots);
 * more requests wait in the gateway's connections.  Each slot holds a curl
 * handle and its connection (~45 kB).  On 2 cores, 8 per thread gave /info
 * ~18k req/s against ~15k for 4, and the same as 16 or 64.
 */
#define INFO_INFLIGHT 8

struct info_thread;

/* A request waiting for its call to auth. */
struct info_pending {
	struct info_pending	*next;		/* in the free list */
	struct info_thread	*t;
	struct svc_req		*r;
	enum breaker_verdict	 v;
	int			 cacheable;
	unsigned char		 key[SHA256_LEN];
};

/* A worker thread's state: its calls in flight and their requests. */
struct info_thread {
	const struct info_app	*app;
	struct authq		*q;
	struct info_pending	 pending[INFO_INFLIGHT];
	struct info_pending	*free;
};

/* Answers r once auth's answer is known. */
static void
info_answer_call(const struct info_app *a, struct info_pending *k,
    enum authc_outcome out, const char *why)
{
	struct svc_req	*r = k->r;

	info_log_change(breaker_record(a->breaker, out != AUTHC_TIMEOUT &&
	    out != AUTHC_UNAVAILABLE, k->v, svc_now_ms()), a->breaker);
	info_count(a, info_call_of[out]);
	switch (out) {
	case AUTHC_OK:
		if (k->cacheable)
			cache_put(a->cache, k->key, svc_now_ms());
		resp_json(r, 200, NULL, info_answer, sizeof(info_answer) - 1);
		break;
	case AUTHC_UNAUTHORIZED:
		resp_unauthorized(r);
		break;
	case AUTHC_FORBIDDEN:
		resp_error(r, 403, NULL, "Forbidden");
		break;
	case AUTHC_TIMEOUT:
		log_event("warn", "auth call timed out (request %s): %s",
		    r->reqid ? r->reqid : "-", why);
		info_unavailable(r, 504, 0, "auth service timed out");
		break;
	default:
		log_event("warn", "auth call failed (request %s): %s",
		    r->reqid ? r->reqid : "-", why);
		info_unavailable(r, 503, 0, "auth service unavailable");
		break;
	}
}

/* authq's report that k's call ended: answer the request, free the slot. */
static void
info_call_done(void *arg, enum authc_outcome out, const char *why)
{
	struct info_pending	*k = arg;
	struct info_thread	*t = k->t;

	info_answer_call(t->app, k, out, why);
	svc_done(k->r);
	k->r = NULL;
	k->next = t->free;
	t->free = k;
}

static void
info_get(struct svc_req *r, const void *app)
{
	const struct info_app	*a = app;
	struct info_thread	*t = r->state;
	/* svc gives a thread at most INFO_INFLIGHT requests at a time. */
	struct info_pending	*k = t->free;
	const char		*authz;
	enum breaker_verdict	 v;
	long long		 retry_ms = 0;
	int			 cacheable;

	authz = svc_param(r, "HTTP_AUTHORIZATION");
	/* Not worth a round trip: auth would refuse it too. */
	if (authz != NULL && !info_header_ok(authz)) {
		resp_unauthorized(r);
		return;
	}
	cacheable = a->cache->ttl_ms > 0 && authz != NULL;
	if (cacheable) {
		cache_key(authz, k->key);
		if (cache_hit(a->cache, k->key, svc_now_ms())) {
			info_count(a, INFO_CALL_CACHED);
			resp_json(r, 200, NULL, info_answer,
			    sizeof(info_answer) - 1);
			return;
		}
	}
	v = breaker_allow(a->breaker, svc_now_ms(), &retry_ms);
	if (v == BREAKER_REJECT) {
		info_count(a, INFO_CALL_BREAKER_OPEN);
		info_unavailable(r, 503, retry_ms, "auth service unavailable");
		return;
	}
	if (authq_start(t->q, authz, r->reqid, info_call_done, k) == -1) {
		log_event("error", "cannot start a call to auth");
		/* Auth was not asked: the breaker learns nothing. */
		breaker_cancel(a->breaker, v);
		info_unavailable(r, 503, 0, "auth service unavailable");
		return;
	}
	t->free = k->next;
	k->r = r;
	k->v = v;
	k->cacheable = cacheable;
	svc_defer(r);
}

static int
info_loop_fd(void *state)
{
	return authq_fd(((struct info_thread *)state)->q);
}

static long
info_loop_timeout(void *state)
{
	return authq_timeout(((struct info_thread *)state)->q);
}

static void
info_loop_run(void *state)
{
	authq_run(((struct info_thread *)state)->q);
}

static void
info_thread_free(void *state)
{
	struct info_thread	*t = state;

	if (t == NULL)
		return;
	authq_free(t->q);
	free(t);
}

static void *
info_thread_init(const void *app)
{
	struct info_thread	*t;
	int			 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->app = app;
	for (i = INFO_INFLIGHT - 1; i >= 0; i--) {
		t->pending[i].t = t;
		t->pending[i].next = t->free;
		t->free = &t->pending[i];
	}
	if ((t->q = authq_new(&t->app->authc, INFO_INFLIGHT)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* info's own metrics: the auth calls' outcomes and the breaker. */
static int
info_metrics(const void *app, char *buf, size_t cap, size_t *len)
{
	const struct info_app	*a = app;
	int			 i;

	if (metrics_printf(buf, cap, len, "# HELP info_auth_calls_total "
	    "What became of /info's calls to auth.\n"
	    "# TYPE info_auth_calls_total counter\n") == -1)
		return -1;
	for (i = 0; i < INFO_CALL_N; i++)
		if (metrics_printf(buf, cap, len, "info_auth_calls_total{"
		    "outcome=\"%s\"} %llu\n", info_call_names[i],
		    atomic_load_explicit(&a->calls[i],
		    memory_order_relaxed)) == -1)
			return -1;
	return metrics_printf(buf, cap, len, "# HELP info_auth_breaker_open "
	    "1 while the circuit breaker refuses calls to auth.\n"
	    "# TYPE info_auth_breaker_open gauge\n"
	    "info_auth_breaker_open %d\n",
	    breaker_is_open(a->breaker));
}

static const struct svc_route info_routes[] = {
	{ "GET", "/info", info_get },
	{ "GET", "/healthz", svc_healthz },
	{ "GET", "/metrics", svc_metrics },
};

int
main(void)
{
	struct svc_cfg	 cfg;
	struct info_app	 app;
	struct cache	 cache;
	_Atomic unsigned long long calls[INFO_CALL_N];
	struct svc_def	 def = {
		.name = "info",
		.routes = info_routes,
		.nroutes = sizeof(info_routes) / sizeof(info_routes[0]),
		.app = &app,
		.thread_init = info_thread_init,
		.thread_free = info_thread_free,
		.metrics_extra = info_metrics,
		.inflight = INFO_INFLIGHT,
		.loop_fd = info_loop_fd,
		.loop_timeout = info_loop_timeout,
		.loop_run = info_loop_run,
	};
	char		 err[CFG_ERR_MAX];
	long		 failures, cooldown;
	int		 rc;

	log_init(def.name);
	/* No thread waits on auth: one per CPU, as auth. */
	if (svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == -1 ||
	    authc_cfg_load(&app.authc, err) == -1 ||
	    cfg_long("AUTH_CB_FAILURES", 5, 0, 1000, &failures, err) == -1 ||
	    cfg_long("AUTH_CB_COOLDOWN_MS", 2000, 1, 600000, &cooldown,
	    err) == -1 || cache_init(&cache, err) == -1) {
		log_event("error", "%s", err);
		return 1;
	}
	if (authc_global_init() == -1) {
		log_event("error", "libcurl failed to initialise");
		return 1;
	}
	if ((app.breaker = breaker_new((int)failures, cooldown)) == NULL) {
		log_event("error", "out of memory");
		return 1;
	}
	for (rc = 0; rc < INFO_CALL_N; rc++)
		atomic_init(&calls[rc], 0);
	app.calls = calls;
	app.cache = &cache;
	/* A URL with user:password@ is not logged: that part is a secret. */
	log_event("info", "auth at %s%s%s, deadlines %ld/%ld ms, breaker "
	    "%ld/%ld ms", strchr(app.authc.url, '@') ?
	    "(URL with credentials)" : app.authc.url,
	    app.authc.sock ? " via " : "", app.authc.sock ? app.authc.sock : "",
	    app.authc.connect_ms, app.authc.total_ms, failures, cooldown);
	if (cache.ttl_ms > 0)
		log_event("info", "auth cache on: a yes is kept %ld ms, %zu "
		    "slots (a revoked token works that long here)",
		    cache.ttl_ms, cache.size);
	rc = svc_run(&def, &cfg);
	breaker_free(app.breaker);
	cache_free(&cache);
	authc_global_cleanup();
	return rc;
}
