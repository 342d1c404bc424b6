/*
 * authc: info.fcgi's client of the auth service.
 *
 * A struct authc serves one call at a time: it owns a libcurl easy handle
 * that is reused, so its connection to the gateway stays open between
 * calls.  authc_begin() / authc_end() frame one call that a curl multi handle
 * runs, many at once (authmux).
 * Every call has a connect and a total deadline; no redirects, http/https
 * only.  What auth answers is mapped to an outcome by authc_map(), a pure
 * function: a yes is a 200 whose body is {"authenticated": true} (ours,
 * with the identity: "sub" and "scopes", ident.h's rules) or empty with
 * Content-Length: 0 (the tutorial's auth service: no identity); any other
 * 200 is not, nor is a DTO whose sub or scopes break the rules.
 */
#ifndef AUTHC_H
#define AUTHC_H

#include <stddef.h>

#include <curl/curl.h>

#include "authz.h"
#include "cfg.h"
#include "ident.h"

/* Longest AUTH_URL: config.def's bound. */
#define AUTHC_URL_MAX   CFG_LEN_AUTH_URL
/* Longest Authorization value forwarded: what auth looks at. */
#define AUTHC_AUTHZ_MAX AUTHZ_MAX
/* Most of auth's answer body read (the largest DTO fits); a longer one is
 * garbage. */
#define AUTHC_BODY_MAX  (IDENT_JSON_MAX + 64)

enum authc_outcome {
	AUTHC_OK,           /* auth said 200 and authenticated */
	AUTHC_UNAUTHORIZED, /* auth said 401 */
	AUTHC_FORBIDDEN,    /* auth said 403 */
	AUTHC_TIMEOUT,      /* no answer within a deadline */
	AUTHC_UNAVAILABLE,  /* refused, reset, 5xx, anything else */
	AUTHC_THROTTLED, /* auth said 429: the client's address failed too often */
	AUTHC_BAD_REQUEST, /* auth said 400: the request's Authorization */
	/* auth answered an error of its own for this request (500, another
	 * 4xx): auth is up, so the breaker counts it as reached. */
	AUTHC_FAILED,
	AUTHC_N /* how many; info names them in its metrics */
};

/* Longest client address forwarded (X-Client-Addr): IPv6 text. */
#define AUTHC_CLIENT_MAX 46

/* Longest AUTH_UNIX_SOCKET: sun_path's size less its NUL (config.def). */
#define AUTHC_SOCK_MAX CFG_LEN_AUTH_UNIX_SOCKET

struct authc_cfg {
	const char *url;        /* AUTH_URL */
	const char *sock;       /* AUTH_UNIX_SOCKET, or NULL: TCP */
	long        connect_ms; /* AUTH_CONNECT_TIMEOUT_MS */
	long        total_ms;   /* AUTH_TIMEOUT_MS */
};

struct authc;

/* Loads and checks AUTH_URL, AUTH_UNIX_SOCKET and the deadlines.  Returns 0, or -1 and err. */
int authc_cfg_load(struct authc_cfg *cfg, char err[CFG_ERR_MAX]);

/*
 * Initialises libcurl for the process (once, before any thread starts);
 * authc_global_cleanup() undoes it.  Returns 0, or -1.
 */
int  authc_global_init(void);
void authc_global_cleanup(void);

/* A client for one call at a time; NULL on failure.  Free: authc_free(). */
struct authc *authc_new(const struct authc_cfg *cfg);
void          authc_free(struct authc *c);

/* Longest tracestate passed on (W3C's limit for a list is 512). */
#define AUTHC_TRACESTATE_MAX 512

/* What a call to auth sends, each part NULL when none. */
struct authc_call {
	const char *authorization; /* the client's, as sent */
	const char *reqid;         /* X-Request-ID */
	const char *client;        /* X-Client-Addr: the client's address */
	int         sampled;       /* X-Log-Sampled: logged (reqlog.h) */
	const char *traceparent;   /* the call's own (trace_child()) */
	const char *tracestate;    /* the client's, at most 512 bytes */
};

/*
 * One call asking auth whether call->authorization is valid, sending the
 * rest of call as its headers, within cfg's deadlines.
 * authc_begin() sets it up and returns c's easy handle, to be added to a
 * curl multi handle; once curl says it is done with result rc, authc_end()
 * gives the outcome and wipes the token.  On an outcome other than OK,
 * UNAUTHORIZED or FORBIDDEN, *why is a short reason for the log (never a
 * token).  c serves one call at a time; not thread-safe.
 */
CURL              *authc_begin(struct authc *c, const struct authc_call *call);
enum authc_outcome authc_end(struct authc *c, CURLcode rc, const char **why);

/* Longest Cache-Control value kept. */
#define AUTHC_CC_MAX 128

/*
 * After authc_end(): how long auth said its answer may be kept, in seconds
 * (authc_parse_max_age()), and the generation of auth's token set
 * (authc_parse_gen()).
 */
long               authc_max_age(const struct authc *c);
unsigned long long authc_generation(const struct authc *c);

/*
 * A Cache-Control value's lifetime for info's cache: max-age's seconds when
 * the value is well-formed and says private and max-age=N, and neither
 * no-store, no-cache nor public; else -1 (not kept).  NULL or "": -1.
 * Unknown directives are ignored.  Pure.
 */
long authc_parse_max_age(const char *cc);

/* The same for a shared cache (auth's JWKS): public, not private. */
long authc_parse_public_max_age(const char *cc);

/* An X-Auth-Generation value: 16 hex digits as a number; else 0.  Pure. */
unsigned long long authc_parse_gen(const char *s);

/* After authc_end() said OK: the identity auth answered (empty: none). */
const struct ident *authc_ident(const struct authc *c);

/* After authc_end() said THROTTLED: auth's Retry-After, in seconds (>= 1). */
long authc_retry_after(struct authc *c);

/*
 * Sets h up to call url as every call to auth is made: cfg's socket and
 * deadlines, no redirects, no proxy, http/https only.  Returns 0, or -1.
 */
int authc_setup(CURL *h, const struct authc_cfg *cfg, const char *url);

/* c's easy handle, owned by c. */
CURL *authc_handle(struct authc *c);

/*
 * Maps a finished transfer to an outcome: rc is curl's result, status the
 * HTTP status, clen the Content-Length auth declared (-1: none), body/len
 * what it sent.  On OK, id holds the DTO's identity (empty parts: none);
 * else it is empty.  Pure.
 */
enum authc_outcome authc_map(CURLcode rc, long status, long long clen,
    const char *body, size_t len, struct ident *id);

#endif
