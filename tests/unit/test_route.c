/* Unit tests of route: lookup, HEAD, 404 vs 405, and Allow. */
#include "route.h"
#include "t.h"

static void
h(struct svc_req *r, const void *app)
{
	(void)r;
	(void)app;
}
static void
h2(struct svc_req *r, const void *app)
{
	(void)r;
	(void)app;
}

static const struct svc_route routes[] = {
	{ "GET", "/info", h },
	{ "POST", "/login/", h },
	{ "PUT", "/login/", h2 },
	{ "*", "/login", h2 },
};
static const struct svc_def def = { .name = "t",
	.routes = routes,
	.nroutes = 4 };

static void
a_route_is_found_by_method_and_path(void)
{
	int allowed, head;

	T_CHECK(route_find(&def, "GET", "/info", &allowed, &head) ==
		    &routes[0] &&
		allowed && !head,
	    "GET /info");
	T_CHECK(route_find(&def, "PUT", "/login/", &allowed, &head) ==
		&routes[2],
	    "the method picks among a path's routes");
}

static void
head_goes_to_the_get_route_without_a_body(void)
{
	int allowed, head;

	T_CHECK(route_find(&def, "HEAD", "/info", &allowed, &head) ==
		    &routes[0] &&
		head,
	    "HEAD /info");
}

static void
a_known_path_with_another_method_is_a_405_an_unknown_path_a_404(void)
{
	int allowed, head;

	T_CHECK(route_find(&def, "POST", "/info", &allowed, &head) == NULL &&
		allowed,
	    "POST /info: 405");
	T_CHECK(route_find(&def, "GET", "/nope", &allowed, &head) == NULL &&
		!allowed,
	    "GET /nope: 404");
}

static void
a_star_route_takes_any_method(void)
{
	int allowed, head;

	T_CHECK(route_find(&def, "DELETE", "/login", &allowed, &head) ==
		&routes[3],
	    "DELETE /login");
}

static void
methods_are_case_sensitive(void)
{
	int allowed, head;

	T_CHECK(route_find(&def, "get", "/info", &allowed, &head) == NULL &&
		allowed,
	    "get /info: 405");
}

static void
allow_lists_every_method_of_a_path_and_head_with_get(void)
{
	char allow[64];

	route_allow(&def, "/info", allow, sizeof(allow));
	T_STREQ(allow, "GET, HEAD", "a GET route adds HEAD");
	route_allow(&def, "/login/", allow, sizeof(allow));
	T_STREQ(allow, "POST, PUT", "two methods");
	T_CHECK(route_allow(&def, "/nope", allow, sizeof(allow)) == 0 &&
		allow[0] == '\0',
	    "none for an unknown path");
}

int
main(void)
{
	T_RUN(a_route_is_found_by_method_and_path);
	T_RUN(head_goes_to_the_get_route_without_a_body);
	T_RUN(a_known_path_with_another_method_is_a_405_an_unknown_path_a_404);
	T_RUN(a_star_route_takes_any_method);
	T_RUN(methods_are_case_sensitive);
	T_RUN(allow_lists_every_method_of_a_path_and_head_with_get);
	return T_DONE();
}
