/*
 * info: the GET /info handler and what it needs per worker thread.
 *
 * info_get() answers from the cache or the breaker when it can, joins a
 * call its thread already has out for the same key (singleflight), else
 * starts a call to auth on its thread's authmux and defers the request;
 * the call's end answers it and every request that joined it:
 *     auth 200          → 200 {"info":"The answer is 42."}, or 403
 *                         {"detail":"Insufficient scope"} when
 *                         INFO_REQUIRED_SCOPE is set and auth's identity
 *                         lacks it
 *     auth 401 / 403    → the same status, JSON detail
 *     auth timed out    → 504, JSON detail, Retry-After
 *     anything else     → 503, JSON detail, Retry-After
 * (a timeout or a failure is a stale yes's 200 instead, within
 * AUTH_STALE_IF_ERROR_MS).  Never 200 unless auth said yes, now or within
 * the lifetime it gave, or (INFO_VERIFY_TOKENS=local) the request's access
 * token verifies with auth's keys (jwks.h) and has not expired: then no
 * call is made.  A token that does not verify goes to auth, which refuses
 * it and counts the failed login.  main.c wires these into svc.
 */
#ifndef INFO_H
#define INFO_H

#include <stdatomic.h>
#include <stddef.h>

#include "authc.h"
#include "breaker.h"
#include "cache.h"
#include "jwks.h"
#include "svc.h"
#include "vcache.h"

/* What became of each /info's call to auth, for /metrics. */
enum info_call {
	INFO_CALL_OK,
	INFO_CALL_DENIED, /* 401 or 403 */
	INFO_CALL_TIMEOUT,
	INFO_CALL_UNAVAILABLE,
	INFO_CALL_BREAKER_OPEN, /* not made: the breaker refused */
	INFO_CALL_CACHED,       /* not made: a "yes" from the cache */
	INFO_CALL_THROTTLED,    /* auth said 429 (with the cache on: or said it
				 * for this address within its Retry-After) */
	INFO_CALL_SCOPE, /* auth said yes, but without INFO_REQUIRED_SCOPE */
	INFO_CALL_BAD_REQUEST, /* a malformed Authorization (400) */
	INFO_CALL_N,
};

/* What info's cache did, for /metrics (info_auth_cache_total). */
enum info_cache_event {
	INFO_CACHE_MISS,      /* looked up, not there: auth asked (or joined) */
	INFO_CACHE_COALESCED, /* a miss that joined a call already out */
	INFO_CACHE_STALE,     /* a yes past its lifetime, auth unreachable */
	INFO_CACHE_REVOKED,   /* auth's token set changed: all dropped */
	INFO_CACHE_N,
};

/* What became of the access tokens info looked at itself, for /metrics. */
enum info_token {
	INFO_TOKEN_VERIFIED, /* checked with auth's keys here: answered */
	INFO_TOKEN_CACHED,   /* checked before (vcache): answered */
	INFO_TOKEN_REFUSED,  /* the rules refused it: auth asked, and counts */
	INFO_TOKEN_NO_KEYS,  /* no keys in use: auth asked */
	INFO_TOKEN_N,
};

/*
 * Calls to auth in flight per thread (svc_def.inflight, authmux's slots);
 * more requests wait in the gateway's connections.  Each slot holds a curl
 * handle and its connection (~45 kB).  On 2 cores, 8 per thread gave /info
 * ~18k req/s against ~15k for 4, and the same as 16 or 64 (the A/B run of
 * November 2026; today's figures: docs/benchmarks.md).
 */
#define INFO_INFLIGHT 8

/* The service's state, shared by every thread (svc_def.app). */
struct info_app {
	struct authc_cfg authc;
	struct breaker  *breaker; /* mutable, atomic */
	struct cache    *cache;   /* mutable, locked */
	/* With the cache on: addresses auth answered 429, until Retry-After. */
	struct cache               *throttled;    /* mutable, locked */
	_Atomic unsigned long long *calls;        /* [INFO_CALL_N] */
	_Atomic unsigned long long *cache_events; /* [INFO_CACHE_N] */
	/* The newest generation of auth's token set seen (0: none yet). */
	_Atomic unsigned long long *gen;
	/* 1 while stale answers are being given (logged once). */
	atomic_int *stale_episode;
	/* INFO_VERIFY_TOKENS=local: auth's keys, the tokens verified, the
	 * issuer required (AUTH_ISSUER); else NULL. */
	struct jwks                *jwks;
	struct vcache              *vcache;
	const char                 *issuer;
	_Atomic unsigned long long *tokens; /* [INFO_TOKEN_N] */
	/* INFO_REQUIRED_SCOPE, or NULL; and its 403's WWW-Authenticate line. */
	const char *scope;
	char        scope_challenge[IDENT_SCOPE_MAX + 96];
};

/* GET /info (and HEAD). */
void info_get(struct svc_req *r, const void *app);

/* svc_def's per-thread hooks: a thread's authmux and its loop. */
void *info_thread_init(const void *app);
void  info_thread_free(void *state);
int   info_loop_fd(void *state);
long  info_loop_timeout(void *state);
void  info_loop_run(void *state);

/* svc_def.metrics_extra: the auth calls' outcomes and the breaker. */
int info_metrics(const void *app, char *buf, size_t cap, size_t *len);

#endif
