/* Unit tests of svc: routing (lookup, HEAD, 404 vs 405, Allow), configuration. */
#include <stdlib.h>
#include <unistd.h>

#include "svc.h"
#include "t.h"

static void h(struct svc_req *r, const void *app) { (void)r; (void)app; }
static void h2(struct svc_req *r, const void *app) { (void)r; (void)app; }

static const struct svc_route routes[] = {
	{ "GET", "/info", h },
	{ "POST", "/login/", h },
	{ "PUT", "/login/", h2 },
	{ "*", "/login", h2 },
};
static const struct svc_def def = { .name = "t", .routes = routes, .nroutes = 4 };

int
main(void)
{
	const struct svc_route	*rt;
	struct svc_cfg		 cfg;
	char			 allow[64], err[CFG_ERR_MAX];
	long			 cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int			 allowed, head;

	rt = svc_route_find(&def, "GET", "/info", &allowed, &head);
	T_CHECK(rt == &routes[0] && allowed && !head, "GET /info is routed");
	rt = svc_route_find(&def, "HEAD", "/info", &allowed, &head);
	T_CHECK(rt == &routes[0] && head, "HEAD /info goes to GET, body off");
	rt = svc_route_find(&def, "POST", "/info", &allowed, &head);
	T_CHECK(rt == NULL && allowed, "POST /info is a 405, not a 404");
	rt = svc_route_find(&def, "GET", "/nope", &allowed, &head);
	T_CHECK(rt == NULL && !allowed, "an unknown path is a 404");
	rt = svc_route_find(&def, "PUT", "/login/", &allowed, &head);
	T_CHECK(rt == &routes[2], "the method picks among a path's routes");
	rt = svc_route_find(&def, "DELETE", "/login", &allowed, &head);
	T_CHECK(rt == &routes[3], "\"*\" takes any method");
	rt = svc_route_find(&def, "get", "/info", &allowed, &head);
	T_CHECK(rt == NULL && allowed, "methods are case-sensitive");

	svc_allow(&def, "/info", allow, sizeof(allow));
	T_STREQ(allow, "GET, HEAD", "Allow for a GET route adds HEAD");
	svc_allow(&def, "/login/", allow, sizeof(allow));
	T_STREQ(allow, "POST, PUT", "Allow lists every method of a path");
	T_CHECK(svc_allow(&def, "/nope", allow, sizeof(allow)) == 0 &&
	    allow[0] == '\0', "no Allow for an unknown path");

	unsetenv("SVC_THREADS");
	unsetenv("SHUTDOWN_GRACE_MS");
	T_CHECK(svc_cfg_load(&cfg, 8, err) == 0 && cfg.threads == 8 &&
	    cfg.grace_ms == 5000, "unset: the service's default threads, 5 s grace");
	T_CHECK(svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == 0 &&
	    cfg.threads == (cpus < 2 ? 2 : cpus),
	    "per CPU: one thread per online CPU, at least 2");
	setenv("SVC_THREADS", "", 1);
	T_CHECK(svc_cfg_load(&cfg, 8, err) == 0 && cfg.threads == 8,
	    "empty (compose's unset variable) is the default");
	setenv("SVC_THREADS", "3", 1);
	T_CHECK(svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == 0 &&
	    cfg.threads == 3, "SVC_THREADS overrides the default");
	setenv("SVC_THREADS", "257", 1);
	T_CHECK(svc_cfg_load(&cfg, 8, err) == -1, "SVC_THREADS over 256 is refused");
	unsetenv("SVC_THREADS");
	return T_DONE();
}
