/*
 * info: the GET /info handler and its per-thread state (see info.h).
 */
#include "info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authmux.h"
#include "log.h"
#include "resp.h"

/* Indexed by enum info_call. */
static const char *const info_call_names[INFO_CALL_N] = {
	[INFO_CALL_OK] = "ok",
	[INFO_CALL_DENIED] = "denied",
	[INFO_CALL_TIMEOUT] = "timeout",
	[INFO_CALL_UNAVAILABLE] = "unavailable",
	[INFO_CALL_BREAKER_OPEN] = "breaker_open",
	[INFO_CALL_CACHED] = "cached",
	[INFO_CALL_THROTTLED] = "throttled",
	[INFO_CALL_SCOPE] = "insufficient_scope",
};

/* The call's outcome as a metric. */
static const enum info_call info_call_of[AUTHC_N] = {
	[AUTHC_THROTTLED] = INFO_CALL_THROTTLED,
	[AUTHC_OK] = INFO_CALL_OK,
	[AUTHC_UNAUTHORIZED] = INFO_CALL_DENIED,
	[AUTHC_FORBIDDEN] = INFO_CALL_DENIED,
	[AUTHC_TIMEOUT] = INFO_CALL_TIMEOUT,
	[AUTHC_UNAVAILABLE] = INFO_CALL_UNAVAILABLE,
};

static const char info_answer[] = "{\"info\":\"The answer is 42.\"}";

static void
info_log_change(enum breaker_change ch, const struct breaker *b)
{
	switch (ch) {
	case BREAKER_OPENED:
		log_event("warn",
		    "breaker open: %d consecutive auth failures, "
		    "failing fast for %ld ms",
		    breaker_threshold(b), breaker_cooldown_ms(b));
		break;
	case BREAKER_REOPENED:
		log_event("warn",
		    "breaker open again: probe failed, failing "
		    "fast for %ld ms",
		    breaker_cooldown_ms(b));
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
	size_t i;

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

/* A request waiting for its call to auth: authmux's context of the call. */
struct info_pending {
	const struct info_app *app;
	struct svc_req        *r;
	enum breaker_verdict   v;
	int                    cacheable;
	unsigned char          key[SHA256_LEN];  /* address and token */
	unsigned char          akey[SHA256_LEN]; /* address */
};

/* A worker thread's state: its calls in flight. */
struct info_thread {
	const struct info_app *app;
	struct authmux        *q;
};

/*
 * A yes from auth: 200, or 403 when INFO_REQUIRED_SCOPE is set and the
 * identity (none from the tutorial's auth) lacks it (RFC 6750 section 3.1).
 */
static void
info_answer_yes(const struct info_app *a, struct info_pending *k,
    const struct ident *id)
{
	struct svc_req *r = k->r;

	if (id != NULL)
		memcpy(r->sub, id->sub, sizeof(r->sub));
	if (a->scope != NULL &&
	    (id == NULL || !ident_has_scope(id, a->scope))) {
		info_count(a, INFO_CALL_SCOPE);
		resp_error(r, 403, a->scope_challenge, "Insufficient scope");
		return;
	}
	info_count(a, INFO_CALL_OK);
	/* Only a full yes is kept: the scope is the process's, fixed. */
	if (k->cacheable)
		cache_put(a->cache, k->key, svc_now_ms(), r->sub);
	resp_json(r, 200, NULL, info_answer, sizeof(info_answer) - 1);
}

/* Answers k's request once auth's answer is known. */
static void
info_answer_call(const struct info_app *a, struct info_pending *k,
    enum authc_outcome out, const char *why, long retry_s,
    const struct ident *id)
{
	struct svc_req *r = k->r;

	info_log_change(breaker_record(a->breaker,
			    out != AUTHC_TIMEOUT && out != AUTHC_UNAVAILABLE,
			    k->v, svc_now_ms()),
	    a->breaker);
	if (out != AUTHC_OK)
		info_count(a, info_call_of[out]);
	switch (out) {
	case AUTHC_OK:
		info_answer_yes(a, k, id);
		break;
	case AUTHC_UNAUTHORIZED:
		resp_unauthorized(r);
		break;
	case AUTHC_FORBIDDEN:
		resp_error(r, 403, NULL, "Forbidden");
		break;
	case AUTHC_THROTTLED:
		/* The client's address failed too often: auth's answer.  With
		 * the cache on, kept until Retry-After, so that its cached
		 * tokens get the same answer (info_get()). */
		if (k->cacheable)
			cache_put_until(a->throttled, k->akey,
			    svc_now_ms() + retry_s * 1000LL, NULL);
		resp_retry(r, 429, retry_s * 1000LL, "Too Many Requests");
		break;
	case AUTHC_TIMEOUT:
		log_event("warn", "auth call timed out (request %s): %s",
		    r->reqid ? r->reqid : "-", why);
		resp_retry(r, 504, 0, "auth service timed out");
		break;
	default:
		log_event("warn", "auth call failed (request %s): %s",
		    r->reqid ? r->reqid : "-", why);
		resp_retry(r, 503, 0, "auth service unavailable");
		break;
	}
}

/* authmux's report that a call ended: answer its request, end it. */
static void
info_call_done(void *ctx, enum authc_outcome out, const char *why, long retry_s,
    const struct ident *id)
{
	struct info_pending *k = ctx;

	info_answer_call(k->app, k, out, why, retry_s, id);
	svc_done(k->r);
}

void
info_get(struct svc_req *r, const void *app)
{
	const struct info_app *a = app;
	struct info_thread    *t = r->state;
	struct info_pending   *k;
	const char            *authz, *addr;
	enum breaker_verdict   v;
	long long              retry_ms = 0, now_ms, until_ms;
	unsigned char          key[SHA256_LEN], akey[SHA256_LEN];
	int                    cacheable;

	authz = svc_param(r, "HTTP_AUTHORIZATION");
	/* The gateway's X-Client-Addr: auth counts failures by address. */
	addr = svc_param(r, "HTTP_X_CLIENT_ADDR");
	/* Not worth a round trip: auth would refuse it too. */
	if (authz != NULL && !info_header_ok(authz)) {
		resp_unauthorized(r);
		return;
	}
	cacheable = a->cache->ttl_ms > 0 && authz != NULL;
	if (cacheable) {
		/* Throttled by auth: its 429 holds for cached tokens too. */
		now_ms = svc_now_ms();
		cache_addr_key(addr, akey);
		if ((until_ms = cache_hit(a->throttled, akey, now_ms, NULL)) >
		    0) {
			info_count(a, INFO_CALL_THROTTLED);
			resp_retry(r, 429, until_ms - now_ms,
			    "Too Many Requests");
			return;
		}
		cache_key(addr, authz, key);
		if (cache_hit(a->cache, key, now_ms, r->sub)) {
			info_count(a, INFO_CALL_CACHED);
			resp_json(r, 200, NULL, info_answer,
			    sizeof(info_answer) - 1);
			return;
		}
	}
	v = breaker_allow(a->breaker, svc_now_ms(), &retry_ms);
	if (v == BREAKER_REJECT) {
		info_count(a, INFO_CALL_BREAKER_OPEN);
		resp_retry(r, 503, retry_ms, "auth service unavailable");
		return;
	}
	/* svc gives a thread at most INFO_INFLIGHT requests: a slot is free. */
	/* With the client's address, and whether this request is logged,
	 * so that auth's line agrees. */
	if ((k = authmux_start(t->q, authz, r->reqid, addr, r->sampled)) ==
	    NULL) {
		log_event("error", "cannot start a call to auth");
		/* Auth was not asked: the breaker learns nothing. */
		breaker_cancel(a->breaker, v);
		resp_retry(r, 503, 0, "auth service unavailable");
		return;
	}
	k->app = a;
	k->r = r;
	k->v = v;
	k->cacheable = cacheable;
	if (cacheable) {
		memcpy(k->key, key, sizeof(k->key));
		memcpy(k->akey, akey, sizeof(k->akey));
	}
	svc_defer(r);
}

int
info_loop_fd(void *state)
{
	return authmux_fd(((struct info_thread *)state)->q);
}

long
info_loop_timeout(void *state)
{
	return authmux_timeout(((struct info_thread *)state)->q);
}

void
info_loop_run(void *state)
{
	authmux_run(((struct info_thread *)state)->q);
}

void
info_thread_free(void *state)
{
	struct info_thread *t = state;

	if (t == NULL)
		return;
	authmux_free(t->q);
	free(t);
}

void *
info_thread_init(const void *app)
{
	struct info_thread *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->app = app;
	if ((t->q = authmux_new(&t->app->authc, INFO_INFLIGHT,
		 sizeof(struct info_pending), info_call_done)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

int
info_metrics(const void *app, char *buf, size_t cap, size_t *len)
{
	const struct info_app *a = app;
	int                    i;

	if (metrics_printf(buf, cap, len,
		"# HELP info_auth_calls_total "
		"What became of /info's calls to auth.\n"
		"# TYPE info_auth_calls_total counter\n") == -1)
		return -1;
	for (i = 0; i < INFO_CALL_N; i++)
		if (metrics_printf(buf, cap, len,
			"info_auth_calls_total{"
			"outcome=\"%s\"} %llu\n",
			info_call_names[i],
			atomic_load_explicit(&a->calls[i],
			    memory_order_relaxed)) == -1)
			return -1;
	return metrics_printf(buf, cap, len,
	    "# HELP info_auth_breaker_open "
	    "1 while the circuit breaker refuses calls to auth.\n"
	    "# TYPE info_auth_breaker_open gauge\n"
	    "info_auth_breaker_open %d\n",
	    breaker_is_open(a->breaker));
}
