/*
 * auth.fcgi: says whether the Authorization header holds a valid token.
 *
 *   POST /login/  200 {"authenticated":true}, or 401 with a JSON detail
 *   any  /login   307 to /login/ (FastAPI's redirect_slashes)
 *   GET  /healthz 200 {"status":"ok"} (never touches the tokens)
 *   GET  /metrics Prometheus text: requests by route and status, latency
 *
 * Fails closed: with no token configured it refuses to start.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "resp.h"
#include "svc.h"
#include "tokens.h"

/* Longest query string carried over by the /login redirect. */
#define AUTH_QUERY_MAX 1024

static const char auth_ok[] = "{\"authenticated\":true}";

static void
auth_login(struct svc_req *r, const void *app)
{
	const struct tokens *ts = app;
	const char          *tok;
	size_t               len;

	if (tokens_extract(svc_param(r, "HTTP_AUTHORIZATION"), &tok, &len) ==
		0 &&
	    tokens_match(ts, tok, len)) {
		resp_json(r, 200, NULL, auth_ok, sizeof(auth_ok) - 1);
		return;
	}
	resp_unauthorized(r);
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

static const struct svc_route auth_routes[] = {
	{ "POST", "/login/", auth_login },
	{ "*", "/login", auth_redirect },
	{ "GET", "/healthz", svc_healthz },
	{ "GET", "/metrics", svc_metrics },
};

int
main(void)
{
	struct svc_cfg cfg;
	struct tokens  ts;
	struct svc_def def = {
		.name = "auth",
		.routes = auth_routes,
		.nroutes = sizeof(auth_routes) / sizeof(auth_routes[0]),
		.app = &ts,
	};
	char err[CFG_ERR_MAX];
	int  rc;

	log_init(def.name);
	/*
	 * A login never waits on anything but the CPU, and kept connections
	 * do not hold threads: more threads than CPUs only add context
	 * switches (on 2 cores, 2 threads: ~45k logins/s, 8: ~30k).
	 */
	if (svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == -1 ||
	    tokens_load(&ts, err) == -1) {
		log_event("error", "%s", err);
		return 1;
	}
	log_event("info", "%zu token(s) loaded", ts.n);
	rc = svc_run(&def, &cfg);
	tokens_free(&ts);
	return rc;
}
