/*
 * auth.fcgi: says whether the Authorization header holds a valid token.
 *
 *   POST /login/  200 {"authenticated":true}, or 401 with a JSON detail; on
 *                 the gateway's internal listener (info's calls) the 200
 *                 is the DTO, {"authenticated":true,"sub":..,"scopes":[..]},
 *                 with X-Auth-Subject and X-Auth-Scopes headers
 *   any  /login   307 to /login/ (FastAPI's redirect_slashes)
 *   GET  /healthz 200 {"status":"ok"} (never touches the tokens)
 *   GET  /metrics Prometheus text: requests by route and status, latency
 *
 * Fails closed: with no token configured it refuses to start.  SIGHUP
 * re-reads AUTH_TOKENS_FILE without a restart: the new set replaces the old
 * one at once, between two logins; a file that fails to load keeps the old
 * set and logs one line naming the problem.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "authz.h"
#include "cfg.h"
#include "clock.h"
#include "guard.h"
#include "log.h"
#include "resp.h"
#include "store.h"
#include "svc.h"
#include "tokens.h"

/* Longest query string carried over by the /login redirect. */
#define AUTH_QUERY_MAX 1024

static const char auth_ok[] = "{\"authenticated\":true}";

/* The token set, swapped whole by a reload while logins read it. */
struct auth_app {
	pthread_rwlock_t *lock;
	struct tokens    *ts;
	const char       *file;  /* AUTH_TOKENS_FILE, or NULL: for SIGHUP */
	struct guard     *guard; /* failed logins per client address */
	struct store     *store; /* the budget replicas share, or NULL */
	/* A yes's Cache-Control to info (AUTH_DECISION_MAX_AGE), or NULL. */
	const char *yes_cc;
};

/*
 * The client, as the budget counts it (guard_client: an IPv6 client's
 * network), into out: X-Client-Addr on a call that came in on the
 * gateway's internal listener (what info.fcgi forwards for its client),
 * else REMOTE_ADDR.  Elsewhere the header is a client's own (an
 * operator's route that sets its own params passes it on) and is not
 * believed.
 */
static void
auth_client(const struct auth_app *app, const struct svc_req *r,
    char out[GUARD_ADDR_MAX + 1])
{
	const char *a = r->internal ? svc_param(r, "HTTP_X_CLIENT_ADDR") : NULL;

	if (a == NULL || a[0] == '\0' || strlen(a) > GUARD_ADDR_MAX)
		a = svc_param(r, "REMOTE_ADDR");
	guard_client(app->guard, a != NULL ? a : "", out);
}

/*
 * A yes.  The identity goes to the services behind the gateway only; the
 * public answer stays the tutorial's, byte for byte.
 */
static void
auth_yes(const struct auth_app *a, struct svc_req *r, const struct ident *id)
{
	char   body[IDENT_JSON_MAX], extra[2 * IDENT_SCOPES_TEXT];
	size_t len;

	memcpy(r->sub, id->sub, sizeof(r->sub));
	if (!r->internal || (len = ident_json(id, body, sizeof(body))) == 0) {
		resp_json(r, 200, NULL, auth_ok, sizeof(auth_ok) - 1);
		return;
	}
	snprintf(extra, sizeof(extra), "X-Auth-Subject: %s\r\n%s%s%s", id->sub,
	    id->scopes[0] ? "X-Auth-Scopes: " : "", id->scopes,
	    id->scopes[0] ? "\r\n" : "");
	/* Only a yes to info may be kept, and by info alone (private). */
	r->cache_control = a->yes_cc;
	resp_json(r, 200, extra, body, len);
}

/*
 * A failed login: counted in the shared store (AUTH_FAIL_STORE) when it
 * answers, else in this process.  The store's count decides: past the
 * limit, 429 until its window ends; once the budget is spent, guard keeps
 * that, so the address is refused here without asking again, the right
 * token included.
 */
static void
auth_failed(const struct auth_app *a, struct svc_req *r, const char *client,
    int sent)
{
	long long now = clock_ms(), fails, ttl_ms;
	long      limit = guard_limit(a->guard);

	if (r->state == NULL || limit == 0 ||
	    store_fail(r->state, client, now, &fails, &ttl_ms) !=
		STORE_COUNTED) {
		guard_fail(a->guard, client, now);
		resp_unauthorized(r, sent);
		return;
	}
	if (fails >= limit)
		guard_block(a->guard, client, now, ttl_ms);
	if (fails > limit)
		resp_retry(r, 429, ttl_ms, "Too Many Requests");
	else
		resp_unauthorized(r, sent);
}

static void
auth_login(struct svc_req *r, const void *app)
{
	const struct auth_app *a = app;
	const char            *tok;
	const char            *authz = svc_param(r, "HTTP_AUTHORIZATION");
	char                   client[GUARD_ADDR_MAX + 1];
	enum authz_shape       shape = authz_shape(authz);
	const struct token    *t;
	struct ident           id;
	size_t                 len;
	long long              wait_ms;
	int                    ok = 0;

	auth_client(a, r, client);
	/* Every answer to info says which token set gave it (a no and a 429
	 * too), so that info drops what an older set said (info/cache.h). */
	if (r->internal) {
		pthread_rwlock_rdlock(a->lock);
		snprintf(r->hdr, sizeof(r->hdr), "X-Auth-Generation: %s\r\n",
		    a->ts->gen);
		pthread_rwlock_unlock(a->lock);
	}
	/* Throttled: refused before the token is looked at. */
	if ((wait_ms = guard_check(a->guard, client, clock_ms())) > 0) {
		resp_retry(r, 429, wait_ms, "Too Many Requests");
		return;
	}
	/* No guess, so not a failed login: a request that is malformed. */
	if (shape == AUTHZ_MALFORMED) {
		resp_bad_authorization(r);
		return;
	}
	if (tokens_extract(authz, &tok, &len) == 0) {
		pthread_rwlock_rdlock(a->lock);
		/* Copied under the lock: a reload may free the entry. */
		if ((t = tokens_find(a->ts, tok, len)) != NULL) {
			tokens_ident(t, &id);
			ok = 1;
		}
		pthread_rwlock_unlock(a->lock);
	}
	if (ok) {
		auth_yes(a, r, &id);
		return;
	}
	auth_failed(a, r, client, shape == AUTHZ_CREDENTIALS);
}

/* SIGHUP (svc's main thread): a new set from AUTH_TOKENS_FILE, or none. */
static void
auth_reload(const void *app)
{
	const struct auth_app *a = app;
	struct tokens          fresh = { 0, NULL, "" }, old;
	char                   err[CFG_ERR_MAX] = "";

	if (a->file == NULL) {
		log_event("warn",
		    "SIGHUP: tokens come from AUTH_TOKENS, which "
		    "is read once: nothing reloaded");
		return;
	}
	if (tokens_read_file(&fresh, a->file, err) == -1 || fresh.n == 0) {
		if (fresh.n == 0 && err[0] == '\0')
			snprintf(err, sizeof(err),
			    "AUTH_TOKENS_FILE: holds no token");
		tokens_free(&fresh);
		log_event("error", "SIGHUP: kept the %zu token(s) loaded: %s",
		    a->ts->n, err);
		return;
	}
	pthread_rwlock_wrlock(a->lock);
	old = *a->ts;
	*a->ts = fresh;
	pthread_rwlock_unlock(a->lock);
	log_event("info",
	    "SIGHUP: %zu token(s) loaded from AUTH_TOKENS_FILE "
	    "(were %zu)",
	    fresh.n, old.n);
	tokens_free(&old);
}

static void
auth_redirect(struct svc_req *r, const void *app)
{
	const char *q = svc_param(r, "QUERY_STRING");
	char        extra[AUTH_QUERY_MAX + 32];
	size_t      i, n;

	(void)app;
	n = q ? strnlen(q, AUTH_QUERY_MAX + 1) : 0;
	/* Only a short, printable query is carried into a header. */
	for (i = 0; i < n; i++)
		if ((unsigned char)q[i] <= 0x20 || q[i] == 0x7f)
			break;
	if (n == 0 || n > AUTH_QUERY_MAX || i < n)
		snprintf(extra, sizeof(extra), "Location: /login/\r\n");
	else
		snprintf(extra, sizeof(extra), "Location: /login/?%s\r\n", q);
	resp_error(r, 307, extra, "Use /login/");
}

/* A worker thread's connection to the store (made on first use). */
static void *
auth_thread_init(const void *app)
{
	const struct auth_app *a = app;

	return store_conn_new(a->store);
}

static void
auth_thread_free(void *state)
{
	store_conn_free(state);
}

/* The store's metrics, when there is one (docs/operations.md). */
static int
auth_metrics(const void *app, char *buf, size_t cap, size_t *len)
{
	const struct auth_app *a = app;

	return a->store != NULL ? store_metrics(a->store, buf, cap, len) : 0;
}

static const struct svc_route auth_routes[] = {
	{ "POST", "/login/", auth_login },
	{ "*", "/login", auth_redirect },
	{ "GET", "/healthz", admin_healthz },
	{ "GET", "/metrics", admin_metrics },
};

int
main(int argc, char **argv)
{
	struct svc_cfg   cfg;
	struct tokens    ts = { 0, NULL, "" };
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	struct auth_app  app = { &lock, &ts, NULL, NULL, NULL, NULL };
	static char      yes_cc[48];
	long             max_age;
	struct svc_def   def = {
		  .name = "auth",
		  .routes = auth_routes,
		  .nroutes = sizeof(auth_routes) / sizeof(auth_routes[0]),
		  .app = &app,
		  .reload = auth_reload,
		  .metrics_extra = auth_metrics,
	};
	char err[CFG_ERR_MAX];
	int  rc;

	if ((rc = cfg_args(argc, argv, def.name)) != -1)
		return rc;
	log_init(def.name);
	/*
	 * A login never waits on anything but the CPU, and kept connections
	 * do not hold threads: more threads than CPUs only add context
	 * switches (on 2 cores, 2 threads: ~45k logins/s, 8: ~30k, in the A/B
	 * run of November 2026; today's figures: docs/benchmarks.md).
	 */
	/*
	 * The tokens first: tokens_load() wipes and unsets AUTH_TOKENS, and
	 * store_new() starts the resolver thread, which must not read the
	 * environment while it changes.
	 */
	if (svc_cfg_load(&cfg, err) == -1 ||
	    cfg_int(CFG_AUTH_DECISION_MAX_AGE, &max_age, err) == -1 ||
	    tokens_load(&ts, &app.file, err) == -1 ||
	    (app.guard = guard_new(err)) == NULL ||
	    store_new(&app.store, guard_window_ms(app.guard), err) == -1) {
		log_event("error", "%s", err);
		tokens_free(&ts);
		store_free(app.store);
		guard_free(app.guard);
		return 1;
	}
	if (app.store != NULL) {
		def.thread_init = auth_thread_init;
		def.thread_free = auth_thread_free;
	}
	log_event("info",
	    "%zu token(s) loaded; at most %ld failed logins per "
	    "client address per %ld ms (0: no limit); info may keep a yes "
	    "%ld s; failed logins counted %s",
	    ts.n, guard_limit(app.guard), guard_window_ms(app.guard), max_age,
	    app.store != NULL ? "in AUTH_FAIL_STORE (shared)"
			      : "in this process");
	if (max_age > 0) {
		snprintf(yes_cc, sizeof(yes_cc), "private, max-age=%ld",
		    max_age);
		app.yes_cc = yes_cc;
	}
	rc = svc_run(&def, &cfg);
	tokens_free(&ts);
	store_free(app.store);
	guard_free(app.guard);
	return rc;
}
