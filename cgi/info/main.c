/*
 * info.fcgi: "the answer to all your questions", for callers auth accepts.
 *
 *   GET|HEAD /info     asks auth first (info.c)
 *   GET|HEAD /healthz  200 {"status":"ok"} (no auth call: liveness)
 *   GET|HEAD /metrics  Prometheus text: requests, latency, auth calls
 *
 * Here: the configuration and the wiring into svc.  A circuit breaker stops
 * hammering an auth service that keeps failing; an optional cache keeps
 * auth's yes for a while.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "authc.h"
#include "breaker.h"
#include "cache.h"
#include "info.h"
#include "log.h"
#include "svc.h"

static const struct svc_route info_routes[] = {
	{ "GET", "/info", info_get },
	{ "GET", "/healthz", admin_healthz },
	{ "GET", "/metrics", admin_metrics },
};

_Static_assert(CFG_LEN_INFO_REQUIRED_SCOPE == IDENT_SCOPE_MAX,
    "INFO_REQUIRED_SCOPE's bound in config.def: one scope's");

/* INFO_REQUIRED_SCOPE: empty (none) or one scope (ident.h's rules). */
static int
info_scope_load(struct info_app *app, char err[CFG_ERR_MAX])
{
	const char *s;

	app->scope = NULL;
	if (cfg_text(CFG_INFO_REQUIRED_SCOPE, &s, err) == -1)
		return -1;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (!ident_scope_ok(s, strlen(s))) {
		snprintf(err, CFG_ERR_MAX,
		    "INFO_REQUIRED_SCOPE: must be 1-%d characters of "
		    "[A-Za-z0-9._:-]",
		    IDENT_SCOPE_MAX);
		return -1;
	}
	app->scope = s;
	snprintf(app->scope_challenge, sizeof(app->scope_challenge),
	    "WWW-Authenticate: Bearer error=\"insufficient_scope\", "
	    "scope=\"%s\"\r\n",
	    s);
	return 0;
}

/*
 * INFO_VERIFY_TOKENS and AUTH_ISSUER: with local, auth's keys are fetched
 * (jwks.h) and access tokens checked here.  Returns 0, or -1 and err.
 */
static int
info_tokens_load(struct info_app *app, const struct cache *cache,
    char err[CFG_ERR_MAX])
{
	const char *mode;

	app->jwks = NULL;
	app->vcache = NULL;
	if (cfg_text(CFG_INFO_VERIFY_TOKENS, &mode, err) == -1 ||
	    cfg_text(CFG_AUTH_ISSUER, &app->issuer, err) == -1)
		return -1;
	if (strcmp(mode, "auth") == 0)
		return 0;
	if (strcmp(mode, "local") != 0) {
		snprintf(err, CFG_ERR_MAX,
		    "INFO_VERIFY_TOKENS: local or auth, got '%s'", mode);
		return -1;
	}
	if ((app->vcache = vcache_new()) == NULL ||
	    (app->jwks = jwks_new(&app->authc, app->breaker,
		 cache->stale_ms)) == NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "info: cannot start fetching auth's keys (memory, "
		    "AUTH_URL or a thread)");
		return -1;
	}
	return 0;
}

/* What main made, in the reverse order; each part may be missing. */
static void
info_app_free(struct info_app *app, struct cache *cache,
    struct cache *throttled)
{
	jwks_free(app->jwks);
	vcache_free(app->vcache);
	breaker_free(app->breaker);
	cache_free(cache);
	cache_free(throttled);
}

int
main(int argc, char **argv)
{
	struct svc_cfg             cfg;
	struct info_app            app;
	struct cache               cache = { 0 }, throttled = { 0 };
	_Atomic unsigned long long calls[INFO_CALL_N];
	_Atomic unsigned long long cache_events[INFO_CACHE_N], gen;
	_Atomic unsigned long long tokens[INFO_TOKEN_N];
	atomic_int                 stale_episode;
	struct svc_def             def = {
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
	char err[CFG_ERR_MAX];
	int  rc;

	if ((rc = cfg_args(argc, argv, def.name)) != -1)
		return rc;
	log_init(def.name);
	app.breaker = NULL;
	app.jwks = NULL;
	app.vcache = NULL;
	/* No thread waits on auth: one per CPU, as auth. */
	if (svc_cfg_load(&cfg, err) == -1 ||
	    authc_cfg_load(&app.authc, err) == -1 ||
	    info_scope_load(&app, err) == -1 || cache_init(&cache, err) == -1 ||
	    cache_init_like(&throttled, &cache, err) == -1 ||
	    breaker_load(&app.breaker, err) == -1) {
		log_event("error", "%s", err);
		info_app_free(&app, &cache, &throttled);
		return 1;
	}
	if (authc_global_init() == -1) {
		log_event("error", "libcurl failed to initialise");
		info_app_free(&app, &cache, &throttled);
		return 1;
	}
	for (rc = 0; rc < INFO_TOKEN_N; rc++)
		atomic_init(&tokens[rc], 0);
	app.tokens = tokens;
	if (info_tokens_load(&app, &cache, err) == -1) {
		log_event("error", "%s", err);
		info_app_free(&app, &cache, &throttled);
		authc_global_cleanup();
		return 1;
	}
	for (rc = 0; rc < INFO_CALL_N; rc++)
		atomic_init(&calls[rc], 0);
	app.calls = calls;
	for (rc = 0; rc < INFO_CACHE_N; rc++)
		atomic_init(&cache_events[rc], 0);
	atomic_init(&gen, 0);
	atomic_init(&stale_episode, 0);
	app.cache_events = cache_events;
	app.gen = &gen;
	app.stale_episode = &stale_episode;
	app.cache = &cache;
	app.throttled = &throttled;
	/* A URL with user:password@ is not logged: that part is a secret. */
	log_event("info",
	    "auth at %s%s%s, deadlines %ld/%ld ms, breaker "
	    "%ld/%ld ms",
	    strchr(app.authc.url, '@') ? "(URL with credentials)"
				       : app.authc.url,
	    app.authc.sock ? " via " : "", app.authc.sock ? app.authc.sock : "",
	    app.authc.connect_ms, app.authc.total_ms,
	    (long)breaker_threshold(app.breaker),
	    breaker_cooldown_ms(app.breaker));
	if (app.scope != NULL)
		log_event("info", "GET /info requires the scope %s", app.scope);
	log_event("info",
	    app.jwks != NULL ? "access tokens: checked here with auth's keys "
			       "(INFO_VERIFY_TOKENS=local), iss %s"
			     : "access tokens: asked of auth "
			       "(INFO_VERIFY_TOKENS=auth)%.0s",
	    app.issuer);
	if (cache.ttl_ms > 0)
		log_event("info",
		    "auth cache on: a yes is kept as long as auth's "
		    "Cache-Control says, at most %ld ms, %zu slots; stale "
		    "if auth cannot be reached: %ld ms",
		    cache.ttl_ms, cache.size, cache.stale_ms);
	/* svc's own deadline, past auth's: a safety net (svc_def.defer_ms). */
	def.defer_ms = app.authc.total_ms + 1000;
	rc = svc_run(&def, &cfg);
	info_app_free(&app, &cache, &throttled);
	authc_global_cleanup();
	return rc;
}
