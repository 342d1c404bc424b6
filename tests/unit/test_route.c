/* Unit tests of route: lookup, HEAD, 404 vs 405, and Allow. */
#include "route.h"
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
	char			 allow[64];
	int			 allowed, head;

	rt = route_find(&def, "GET", "/info", &allowed, &head);
	T_CHECK(rt == &routes[0] && allowed && !head, "GET /info is routed");
	rt = route_find(&def, "HEAD", "/info", &allowed, &head);
	T_CHECK(rt == &routes[0] && head, "HEAD /info goes to GET, body off");
	rt = route_find(&def, "POST", "/info", &allowed, &head);
	T_CHECK(rt == NULL && allowed, "POST /info is a 405, not a 404");
	rt = route_find(&def, "GET", "/nope", &allowed, &head);
	T_CHECK(rt == NULL && !allowed, "an unknown path is a 404");
	rt = route_find(&def, "PUT", "/login/", &allowed, &head);
	T_CHECK(rt == &routes[2], "the method picks among a path's routes");
	rt = route_find(&def, "DELETE", "/login", &allowed, &head);
	T_CHECK(rt == &routes[3], "\"*\" takes any method");
	rt = route_find(&def, "get", "/info", &allowed, &head);
	T_CHECK(rt == NULL && allowed, "methods are case-sensitive");

	route_allow(&def, "/info", allow, sizeof(allow));
	T_STREQ(allow, "GET, HEAD", "Allow for a GET route adds HEAD");
	route_allow(&def, "/login/", allow, sizeof(allow));
	T_STREQ(allow, "POST, PUT", "Allow lists every method of a path");
	T_CHECK(route_allow(&def, "/nope", allow, sizeof(allow)) == 0 &&
	    allow[0] == '\0', "no Allow for an unknown path");

	return T_DONE();
}
