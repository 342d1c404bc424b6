/*
 * route: which of a service's routes takes a request, and the Allow header
 * for a path that exists with other methods.  Pure functions over the
 * service's route table; worker.c calls them for every request.  Below svc
 * and worker: it calls neither.
 */
#include "route.h"

#include <string.h>

const struct svc_route *
route_find(const struct svc_def *def, const char *method, const char *path,
    int *allowed, int *head)
{
	const struct svc_route *get = NULL;
	size_t                  i;

	*allowed = 0;
	*head = 0;
	for (i = 0; i < def->nroutes; i++) {
		const struct svc_route *rt = &def->routes[i];

		if (strcmp(rt->path, path) != 0)
			continue;
		*allowed = 1;
		/* "*" takes every method, as a redirect does. */
		if (strcmp(rt->method, method) == 0 ||
		    strcmp(rt->method, "*") == 0)
			return rt;
		if (strcmp(rt->method, "GET") == 0)
			get = rt;
	}
	if (get != NULL && strcmp(method, "HEAD") == 0) {
		*head = 1;
		return get;
	}
	return NULL;
}

size_t
route_allow(const struct svc_def *def, const char *path, char *buf, size_t cap)
{
	size_t i, len = 0;
	int    get = 0, head = 0;

	buf[0] = '\0';
	for (i = 0; i < def->nroutes; i++) {
		const struct svc_route *rt = &def->routes[i];
		size_t                  n = strlen(rt->method);

		if (strcmp(rt->path, path) != 0)
			continue;
		get |= strcmp(rt->method, "GET") == 0;
		head |= strcmp(rt->method, "HEAD") == 0;
		if (len + n + 3 > cap)
			break;
		if (len > 0) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, rt->method, n + 1);
		len += n;
	}
	if (get && !head && len + 7 <= cap) {
		memcpy(buf + len, ", HEAD", 7);
		len += 6;
	}
	return len;
}
