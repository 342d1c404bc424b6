/*
 * auth.fcgi: says whether the Authorization header holds a valid token.
 *
 *   POST /login/  200 {"authenticated":true}, or 401 with a JSON detail; on
 *                 the gateway's internal listener (info's calls) the 200
 *                 is the DTO, {"authenticated":true,"sub":..,"scopes":[..]},
 *                 with X-Auth-Subject and X-Auth-Scopes headers
 *                 The token is one of AUTH_TOKENS, or an access token
 *                 auth signed (jwt.h) for a user who is still in
 *                 AUTH_USERS_FILE
 *   POST /token   OAuth2's password grant: a signed access token (token.h)
 *   GET  /.well-known/jwks.json, /.well-known/oauth-authorization-server
 *   any  /login   307 to /login/ (FastAPI's redirect_slashes)
 *   GET  /healthz 200 {"status":"ok"} (never touches the tokens)
 *   GET  /metrics Prometheus text: requests by route and status, latency
 *
 * Fails closed: with no token configured it refuses to start.  SIGHUP
 * re-reads AUTH_TOKENS_FILE, AUTH_USERS_FILE and AUTH_SIGNING_KEY_FILE
 * without a restart: the new set replaces the old one whole, between two
 * logins; a file that fails to load keeps the old set and logs one line
 * naming the problem.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "admin.h"
#include "app.h"
#include "authz.h"
#include "cfg.h"
#include "clock.h"
#include "guard.h"
#include "log.h"
#include "resp.h"
#include "store.h"
#include "svc.h"
#include "token.h"
#include "tokens.h"

/* Longest query string carried over by the /login redirect. */
#define AUTH_QUERY_MAX 1024

static const char auth_ok[] = "{\"authenticated\":true}";

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

/* A failed login: counted (app.h), then a 401 or, past the limit, 429. */
static void
auth_failed(const struct auth_app *a, struct svc_req *r, const char *client,
    int sent, const char *why)
{
	char      extra[160];
	long long ms = auth_fail(r, a->guard, client);

	if (ms > 0)
		resp_retry(r, 429, ms, "Too Many Requests");
	else if (why == NULL)
		resp_unauthorized(r, sent);
	else {
		/* RFC 6750 section 3: why the token is refused. */
		snprintf(extra, sizeof(extra),
		    "WWW-Authenticate: Bearer error=\"invalid_token\", "
		    "error_description=\"%s\"\r\n",
		    why);
		resp_error(r, 401, extra, "Invalid or missing token");
	}
}

/*
 * An access token of ours, for a user still in the users file.  Returns 1
 * with id, or 0 with *why.  Under the lock: the keys and users are the
 * set's.  A token verified before under the same set is a cache hit
 * (vcache.h); its user is looked up again either way.
 */
static int
auth_jwt(const struct auth_app *a, const char *tok, size_t len,
    struct ident *id, const char **why)
{
	struct jwt_claims c;
	unsigned char     d[SHA256_LEN];
	long long         now = (long long)time(NULL);
	int               ok = 0, hit;

	sha256(tok, len, d);
	pthread_rwlock_rdlock(a->lock);
	hit = vcache_get(a->vcache, d, a->set->gen, now, &c.id);
	if (!hit &&
	    jwt_verify(&a->set->ks, tok, len, a->issuer, now, &c, why) == 0) {
		vcache_put(a->vcache, d, a->set->gen, c.exp, &c.id);
		hit = 1;
	}
	if (hit) {
		if (users_by_sub(&a->set->us, c.id.sub) != NULL) {
			*id = c.id;
			ok = 1;
		} else
			*why = "The token's user is no longer known";
	}
	pthread_rwlock_unlock(a->lock);
	return ok;
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
	const char            *why = NULL;
	int                    ok = 0;

	auth_client(a, r, client);
	/* Every answer to info says which token set gave it (a no and a 429
	 * too), so that info drops what an older set said (info/cache.h). */
	if (r->internal) {
		pthread_rwlock_rdlock(a->lock);
		snprintf(r->hdr, sizeof(r->hdr), "X-Auth-Generation: %s\r\n",
		    a->set->ts.gen);
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
	if (authz_token(authz, &tok, &len) == 0) {
		pthread_rwlock_rdlock(a->lock);
		/* Copied under the lock: a reload may free the entry. */
		if ((t = tokens_find(&a->set->ts, tok, len)) != NULL) {
			tokens_ident(t, &id);
			ok = 1;
		}
		pthread_rwlock_unlock(a->lock);
		/* Not a static token: perhaps an access token of ours. */
		if (!ok && jwt_shaped(tok, len))
			ok = auth_jwt(a, tok, len, &id, &why);
	}
	if (ok) {
		auth_yes(a, r, &id);
		return;
	}
	auth_failed(a, r, client, shape == AUTHZ_CREDENTIALS, why);
}

/* SIGHUP (svc's main thread): a new set from the files, or none. */
static void
auth_reload(const void *app)
{
	const struct auth_app *a = app;
	struct auth_set        fresh, old;
	char                   err[CFG_ERR_MAX] = "";
	int                    others = a->users_file || a->key_file;

	if (a->file == NULL && !others) {
		log_event("warn",
		    "SIGHUP: tokens come from AUTH_TOKENS, which "
		    "is read once: nothing reloaded");
		return;
	}
	if (auth_set_load(&fresh, (struct auth_app *)a, 1, err) == -1) {
		log_event("error", "SIGHUP: kept the %zu token(s) loaded%s: %s",
		    a->set->ts.n, others ? ", users and keys" : "", err);
		return;
	}
	pthread_rwlock_wrlock(a->lock);
	old = *a->set;
	*a->set = fresh;
	/* AUTH_TOKENS is read once: its tokens stay. */
	if (a->file == NULL) {
		a->set->ts = old.ts;
		memset(&old.ts, 0, sizeof(old.ts));
	}
	pthread_rwlock_unlock(a->lock);
	if (a->file != NULL)
		log_event("info",
		    "SIGHUP: %zu token(s) loaded from AUTH_TOKENS_FILE "
		    "(were %zu)",
		    fresh.ts.n, old.ts.n);
	else
		log_event("info",
		    "SIGHUP: %zu token(s) from AUTH_TOKENS kept (read once)",
		    a->set->ts.n);
	if (others)
		log_event("info",
		    "SIGHUP: %zu user(s) loaded (were %zu), %zu signing "
		    "key(s) (were %zu)",
		    fresh.us.n, old.us.n, fresh.ks.n, old.ks.n);
	auth_set_free(&old);
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

	if (a->hashq != NULL && hashq_metrics(a->hashq, buf, cap, len) == -1)
		return -1;
	return a->store != NULL ? store_metrics(a->store, buf, cap, len) : 0;
}

static const struct svc_route auth_routes[] = {
	{ "POST", "/login/", auth_login },
	{ "*", "/login", auth_redirect },
	{ "POST", "/token", token_post },
	{ "GET", "/.well-known/jwks.json", token_jwks },
	{ "GET", "/.well-known/oauth-authorization-server", token_metadata },
	{ "GET", "/healthz", admin_healthz },
	{ "GET", "/metrics", admin_metrics },
};

/* AUTH_ISSUER: a URL that goes into JSON as it is. */
static int
auth_issuer_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > AUTH_ISSUER_MAX ||
	    (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
	    s[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] >= 0x7f ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* The password grant's settings, and its hashing threads. */
static int
auth_users_init(struct auth_app *app, struct svc_cfg *cfg,
    char err[CFG_ERR_MAX])
{
	long keys_s;

	if (cfg_text(CFG_AUTH_USERS_FILE, &app->users_file, err) == -1 ||
	    cfg_text(CFG_AUTH_SIGNING_KEY_FILE, &app->key_file, err) == -1 ||
	    cfg_int(CFG_AUTH_TOKEN_TTL_S, &app->ttl_s, err) == -1 ||
	    cfg_int(CFG_AUTH_KEYS_MAX_AGE_S, &keys_s, err) == -1 ||
	    cfg_text(CFG_AUTH_ISSUER, &app->issuer, err) == -1)
		return -1;
	snprintf(app->keys_cc, sizeof(app->keys_cc), "public, max-age=%ld",
	    keys_s);
	if (!auth_issuer_ok(app->issuer)) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_ISSUER: an http:// or https:// URL of at most %d "
		    "printable characters, without a trailing /",
		    AUTH_ISSUER_MAX);
		return -1;
	}
	if (app->users_file != NULL && app->key_file == NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_USERS_FILE: set, but AUTH_SIGNING_KEY_FILE is not: "
		    "no key to sign the users' tokens");
		return -1;
	}
	if (app->users_file == NULL)
		return 0;
	if ((app->uguard = guard_new_user(err)) == NULL ||
	    (app->hashq = hashq_new(err)) == NULL)
		return -1;
	/* The threads a password check blocks are extra: /login/ keeps its. */
	cfg->threads += (long)hashq_depth(app->hashq);
	return 0;
}

static int
auth_vcache(struct auth_app *app, char err[CFG_ERR_MAX])
{
	if ((app->vcache = vcache_new()) != NULL)
		return 0;
	snprintf(err, CFG_ERR_MAX, "auth: out of memory (vcache)");
	return -1;
}

static void
auth_app_free(struct auth_app *app)
{
	hashq_free(app->hashq);
	vcache_free(app->vcache);
	auth_set_free(app->set);
	store_free(app->store);
	guard_free(app->guard);
	guard_free(app->uguard);
}

int
main(int argc, char **argv)
{
	struct svc_cfg   cfg;
	struct auth_set  set;
	pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
	struct auth_app  app = { .lock = &lock, .set = &set };
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
	memset(&set, 0, sizeof(set));
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
	    auth_users_init(&app, &cfg, err) == -1 ||
	    auth_set_load(&set, &app, 0, err) == -1 ||
	    auth_vcache(&app, err) == -1 ||
	    (app.guard = guard_new(err)) == NULL ||
	    store_new(&app.store, guard_window_ms(app.guard), err) == -1) {
		log_event("error", "%s", err);
		auth_app_free(&app);
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
	    set.ts.n, guard_limit(app.guard), guard_window_ms(app.guard),
	    max_age,
	    app.store != NULL ? "in AUTH_FAIL_STORE (shared)"
			      : "in this process");
	if (set.us.n > 0 || set.ks.n > 0)
		log_event("info",
		    "%zu user(s), %zu signing key(s); access tokens live %ld s; "
		    "at most %ld wrong passwords per user name per window",
		    set.us.n, set.ks.n, app.ttl_s,
		    app.uguard ? guard_limit(app.uguard) : 0L);
	if (max_age > 0) {
		snprintf(yes_cc, sizeof(yes_cc), "private, max-age=%ld",
		    max_age);
		app.yes_cc = yes_cc;
	}
	rc = svc_run(&def, &cfg);
	auth_app_free(&app);
	return rc;
}
