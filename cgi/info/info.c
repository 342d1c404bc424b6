/*
 * info: the GET /info handler and its per-thread state (see info.h).
 */
#include "info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authmux.h"
#include "authz.h"
#include "clock.h"
#include "log.h"
#include "resp.h"
#include "sha256.h"

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
	[INFO_CALL_BAD_REQUEST] = "bad_request",
};

static const char *const info_cache_names[INFO_CACHE_N] = {
	[INFO_CACHE_MISS] = "miss",
	[INFO_CACHE_COALESCED] = "coalesced",
	[INFO_CACHE_STALE] = "stale",
	[INFO_CACHE_REVOKED] = "revoked",
};

/* The call's outcome as a metric. */
static const enum info_call info_call_of[AUTHC_N] = {
	[AUTHC_THROTTLED] = INFO_CALL_THROTTLED,
	[AUTHC_OK] = INFO_CALL_OK,
	[AUTHC_UNAUTHORIZED] = INFO_CALL_DENIED,
	[AUTHC_FORBIDDEN] = INFO_CALL_DENIED,
	[AUTHC_TIMEOUT] = INFO_CALL_TIMEOUT,
	[AUTHC_UNAVAILABLE] = INFO_CALL_UNAVAILABLE,
	[AUTHC_BAD_REQUEST] = INFO_CALL_BAD_REQUEST,
	[AUTHC_FAILED] = INFO_CALL_UNAVAILABLE,
};

static const char *const info_token_names[INFO_TOKEN_N] = {
	[INFO_TOKEN_VERIFIED] = "verified",
	[INFO_TOKEN_CACHED] = "cached",
	[INFO_TOKEN_REFUSED] = "refused",
	[INFO_TOKEN_NO_KEYS] = "no_keys",
};

static const char info_answer[] = "{\"info\":\"The answer is 42.\"}";

static void
info_breaker_log(enum breaker_change ch, const struct breaker *b)
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

static void
info_count(const struct info_app *a, enum info_call c)
{
	atomic_fetch_add_explicit(&a->calls[c], 1, memory_order_relaxed);
}

/* A request waiting for its call to auth: authmux's context of the call. */
struct info_pending {
	const struct info_app *app;
	struct info_thread    *t;
	struct svc_req        *r;
	enum breaker_verdict   v;
	int                    cacheable;
	unsigned char          key[SHA256_LEN];  /* address, token, scope */
	unsigned char          akey[SHA256_LEN]; /* address */
	/* Requests with the same key that came while this call was out. */
	struct svc_req *wait[INFO_INFLIGHT];
	size_t          nwait;
};

/* A worker thread's state: its calls in flight, and which are cacheable. */
struct info_thread {
	const struct info_app *app;
	struct authmux        *q;
	struct info_pending   *lead[INFO_INFLIGHT]; /* NULL: free */
};

static void
info_cache_count(const struct info_app *a, enum info_cache_event e)
{
	atomic_fetch_add_explicit(&a->cache_events[e], 1, memory_order_relaxed);
}

/*
 * The generation of auth's token set that an answer reports: a change
 * from the one seen before drops every decision cached under it (entries
 * are looked up by the newest generation), at once.
 */
static void
info_generation(const struct info_app *a, unsigned long long gen)
{
	unsigned long long old;

	if (gen == 0 || a->cache->ttl_ms == 0)
		return;
	old = atomic_exchange(a->gen, gen);
	if (old != gen && old != 0) {
		info_cache_count(a, INFO_CACHE_REVOKED);
		log_event("info",
		    "auth's token set changed: the decisions cached "
		    "under the old one are dropped");
	}
}

/* A 200 from the cache, stale or not. */
static void
info_answer_cached(const struct info_app *a, struct svc_req *r, int stale)
{
	if (stale) {
		info_cache_count(a, INFO_CACHE_STALE);
		/* Once per episode: until a call reaches auth again. */
		if (!atomic_exchange(a->stale_episode, 1))
			log_event("warn",
			    "auth cannot be reached: answering cached "
			    "decisions up to AUTH_STALE_IF_ERROR_MS (%ld ms) "
			    "past their lifetime",
			    a->cache->stale_ms);
	} else
		info_count(a, INFO_CALL_CACHED);
	resp_json(r, 200, NULL, info_answer, sizeof(info_answer) - 1);
}

/* 1 when key's stale yes answered r (AUTH_STALE_IF_ERROR_MS), else 0. */
static int
info_try_stale(const struct info_app *a, struct svc_req *r, int cacheable,
    const unsigned char key[SHA256_LEN])
{
	if (!cacheable || a->cache->stale_ms == 0 ||
	    cache_stale(a->cache, key, clock_ms(), atomic_load(a->gen),
		r->sub) == 0)
		return 0;
	info_answer_cached(a, r, 1);
	return 1;
}

/*
 * 1 when a yes with identity id (NULL: none, as from the tutorial's auth)
 * is enough for /info: INFO_REQUIRED_SCOPE is unset, or id has it.
 */
static int
info_scope_ok(const struct info_app *a, const struct ident *id)
{
	return a->scope == NULL ||
	    (id != NULL && ident_has_scope(id, a->scope));
}

/*
 * A yes for identity id: 200 and 1, or 403 and 0 when the identity lacks
 * INFO_REQUIRED_SCOPE (RFC 6750 section 3.1).
 */
static int
info_yes(const struct info_app *a, struct svc_req *r, const struct ident *id)
{
	if (id != NULL)
		memcpy(r->sub, id->sub, sizeof(r->sub));
	if (!info_scope_ok(a, id)) {
		resp_error(r, 403, a->scope_challenge, "Insufficient scope");
		return 0;
	}
	resp_json(r, 200, NULL, info_answer, sizeof(info_answer) - 1);
	return 1;
}

/* A yes from auth, counted. */
static void
info_answer_yes(const struct info_app *a, struct svc_req *r,
    const struct ident *id)
{
	info_count(a, info_yes(a, r, id) ? INFO_CALL_OK : INFO_CALL_SCOPE);
}

static void
info_token_count(const struct info_app *a, enum info_token e)
{
	atomic_fetch_add_explicit(&a->tokens[e], 1, memory_order_relaxed);
}

/*
 * INFO_VERIFY_TOKENS=local: 1 when r's access token verified with auth's
 * keys (now, or before: vcache) and r is answered; 0 when auth is to be
 * asked: not an access token, no keys in use, or one the rules refuse
 * (auth refuses it too, and counts it against the client's address).
 */
static int
info_local(const struct info_app *a, struct svc_req *r, const char *authz)
{
	const char       *tok, *why;
	size_t            len;
	struct jwt_claims c;
	unsigned char     d[SHA256_LEN];
	unsigned long     gen;
	enum info_token   e = INFO_TOKEN_CACHED;

	if (authz_token(authz, &tok, &len) == -1 || !jwt_shaped(tok, len))
		return 0;
	sha256(tok, len, d);
	gen = jwks_generation(a->jwks);
	if (gen == 0 ||
	    !vcache_get(a->vcache, d, gen, (long long)time(NULL), &c.id)) {
		switch (
		    jwks_verify(a->jwks, tok, len, a->issuer, &c, &why, &gen)) {
		case JWKS_VERIFIED:
			vcache_put(a->vcache, d, gen, c.exp, &c.id);
			e = INFO_TOKEN_VERIFIED;
			break;
		case JWKS_REFUSED:
			info_token_count(a, INFO_TOKEN_REFUSED);
			return 0;
		default:
			info_token_count(a, INFO_TOKEN_NO_KEYS);
			return 0;
		}
	}
	info_token_count(a, e);
	info_yes(a, r, &c.id);
	return 1;
}

/* Answers r (the call's own request or one that waited on it). */
static void
info_answer_one(const struct info_app *a, struct info_pending *k,
    struct svc_req *r, const struct authmux_result *res)
{
	enum authc_outcome out = res->out;

	if ((out == AUTHC_TIMEOUT || out == AUTHC_UNAVAILABLE) &&
	    info_try_stale(a, r, k->cacheable, k->key))
		return;
	if (out != AUTHC_OK)
		info_count(a, info_call_of[out]);
	switch (out) {
	case AUTHC_OK:
		info_answer_yes(a, r, res->id);
		break;
	case AUTHC_UNAUTHORIZED:
		resp_unauthorized(r,
		    authz_shape(svc_param(r, "HTTP_AUTHORIZATION")) ==
			AUTHZ_CREDENTIALS);
		break;
	case AUTHC_BAD_REQUEST:
		resp_bad_authorization(r);
		break;
	case AUTHC_FORBIDDEN:
		resp_error(r, 403, NULL, "Forbidden");
		break;
	case AUTHC_THROTTLED:
		/* The client's address failed too often: auth's answer. */
		resp_retry(r, 429, res->retry_s * 1000LL, "Too Many Requests");
		break;
	case AUTHC_TIMEOUT:
		log_event("warn",
		    "auth call timed out (request %s, trace %s): %s",
		    r->reqid ? r->reqid : "-", r->trace.trace_id, res->why);
		resp_retry(r, 504, 0, "auth service timed out");
		break;
	default:
		log_event("warn", "auth call failed (request %s, trace %s): %s",
		    r->reqid ? r->reqid : "-", r->trace.trace_id, res->why);
		resp_retry(r, 503, 0, "auth service unavailable");
		break;
	}
}

/* What k's answer leaves in the caches: a yes for its lifetime, a 429. */
static void
info_remember(const struct info_app *a, struct info_pending *k,
    const struct authmux_result *res)
{
	long long now = clock_ms(), life;

	if (!k->cacheable)
		return;
	/* Kept until Retry-After, so that the address's cached tokens get the
	 * same answer (info_get()): auth's limit holds with the cache on. */
	if (res->out == AUTHC_THROTTLED)
		cache_put_until(a->throttled, k->akey,
		    now + res->retry_s * 1000LL, 0, NULL);
	/* Only a full yes, for what auth said, at most info's ceiling. */
	if (res->out != AUTHC_OK || res->max_age_s <= 0 ||
	    !info_scope_ok(a, res->id))
		return;
	life = res->max_age_s * 1000LL;
	if (life > a->cache->ttl_ms)
		life = a->cache->ttl_ms;
	cache_put_until(a->cache, k->key, now + life, res->gen,
	    res->id ? res->id->sub : NULL);
}

/* authmux's report that a call ended: answer its requests, end them. */
static void
info_call_done(void *ctx, const struct authmux_result *res)
{
	struct info_pending   *k = ctx;
	const struct info_app *a = k->app;
	/*
	 * auth answered (whatever it said): the breaker's success.  An error
	 * auth answered for this request (AUTHC_FAILED) is about the request,
	 * not an outage: no client opens the breaker for the others.
	 */
	int reached = res->out != AUTHC_TIMEOUT &&
	    res->out != AUTHC_UNAVAILABLE;
	size_t i;

	info_breaker_log(breaker_record(a->breaker, reached, k->v, clock_ms()),
	    a->breaker);
	if (reached)
		atomic_store(a->stale_episode, 0);
	info_generation(a, res->gen);
	info_remember(a, k, res);
	for (i = 0; i < INFO_INFLIGHT; i++)
		if (k->t->lead[i] == k)
			k->t->lead[i] = NULL;
	info_answer_one(a, k, k->r, res);
	svc_done(k->r);
	for (i = 0; i < k->nwait; i++) {
		info_answer_one(a, k, k->wait[i], res);
		svc_done(k->wait[i]);
	}
}

/* 1 when r joined a call already out for the same key (singleflight). */
static int
info_join(struct info_thread *t, struct svc_req *r,
    const unsigned char key[SHA256_LEN])
{
	struct info_pending *k;
	size_t               i;

	for (i = 0; i < INFO_INFLIGHT; i++) {
		k = t->lead[i];
		if (k == NULL || memcmp(k->key, key, SHA256_LEN) != 0 ||
		    k->nwait == INFO_INFLIGHT)
			continue;
		k->wait[k->nwait++] = r;
		info_cache_count(t->app, INFO_CACHE_COALESCED);
		svc_defer(r);
		return 1;
	}
	return 0;
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
	size_t                 i;
	struct authc_call      call;
	char                   tp[TRACE_HEADER_MAX];

	authz = svc_param(r, "HTTP_AUTHORIZATION");
	/* The gateway's X-Client-Addr: auth counts failures by address. */
	addr = svc_param(r, "HTTP_X_CLIENT_ADDR");
	/* Not worth a round trip: auth would refuse it too (authz.h). */
	if (authz_shape(authz) == AUTHZ_MALFORMED) {
		info_count(a, INFO_CALL_BAD_REQUEST);
		resp_bad_authorization(r);
		return;
	}
	cacheable = a->cache->ttl_ms > 0 && authz != NULL;
	if (cacheable) {
		/* Throttled by auth: its 429 holds for cached tokens too. */
		now_ms = clock_ms();
		cache_addr_key(addr, akey);
		if ((until_ms = cache_hit(a->throttled, akey, now_ms, 0,
			 NULL)) > 0) {
			info_count(a, INFO_CALL_THROTTLED);
			resp_retry(r, 429, until_ms - now_ms,
			    "Too Many Requests");
			return;
		}
	}
	if (a->jwks != NULL && info_local(a, r, authz))
		return;
	if (cacheable) {
		cache_key(addr, authz, a->scope, key);
		if (cache_hit(a->cache, key, now_ms, atomic_load(a->gen),
			r->sub)) {
			info_answer_cached(a, r, 0);
			return;
		}
		info_cache_count(a, INFO_CACHE_MISS);
		if (info_join(t, r, key))
			return;
	}
	v = breaker_allow(a->breaker, clock_ms(), &retry_ms);
	if (v == BREAKER_REJECT) {
		if (info_try_stale(a, r, cacheable, key))
			return;
		info_count(a, INFO_CALL_BREAKER_OPEN);
		resp_retry(r, 503, retry_ms, "auth service unavailable");
		return;
	}
	/* svc gives a thread at most INFO_INFLIGHT requests: a slot is free. */
	/* With the client's address, and whether this request is logged,
	 * so that auth's line agrees. */
	trace_child(&r->trace, tp);
	call.authorization = authz;
	call.reqid = r->reqid;
	call.client = addr;
	call.sampled = r->sampled;
	call.traceparent = tp;
	call.tracestate = svc_param(r, "HTTP_TRACESTATE");
	if ((k = authmux_start(t->q, &call)) == NULL) {
		log_event("error", "cannot start a call to auth");
		/* Auth was not asked: the breaker learns nothing. */
		breaker_cancel(a->breaker, v);
		resp_retry(r, 503, 0, "auth service unavailable");
		return;
	}
	k->app = a;
	k->t = t;
	k->r = r;
	k->v = v;
	k->cacheable = cacheable;
	k->nwait = 0;
	if (cacheable) {
		memcpy(k->key, key, sizeof(k->key));
		memcpy(k->akey, akey, sizeof(k->akey));
		for (i = 0; i < INFO_INFLIGHT; i++)
			if (t->lead[i] == NULL) {
				t->lead[i] = k;
				break;
			}
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

	if (metrics_family(buf, cap, len, "info_auth_calls_total",
		"What became of /info's calls to auth.", "outcome",
		info_call_names, a->calls, INFO_CALL_N) == -1 ||
	    metrics_family(buf, cap, len, "info_auth_cache_total",
		"What info's cache of auth's decisions did (hits are "
		"info_auth_calls_total{outcome=\"cached\"}).",
		"event", info_cache_names, a->cache_events, INFO_CACHE_N) == -1)
		return -1;
	if (metrics_gauge(buf, cap, len, "info_auth_breaker_open",
		"1 while the circuit breaker refuses calls to auth.",
		breaker_is_open(a->breaker)) == -1)
		return -1;
	if (a->jwks == NULL)
		return 0;
	if (metrics_family(buf, cap, len, "info_access_tokens_total",
		"What became of the access tokens info checked itself.",
		"verdict", info_token_names, a->tokens, INFO_TOKEN_N) == -1)
		return -1;
	return jwks_metrics(a->jwks, buf, cap, len);
}
