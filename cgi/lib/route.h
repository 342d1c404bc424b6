/*
 * route: a service's routing table, looked up (see route.c).
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "svc.h"

/*
 * Finds the route for method + path.  *allowed is set to 1 when some route has
 * that path (so a miss is 405, not 404).  HEAD is served by a GET route, with
 * *head set to 1.  Returns NULL on a miss.  Pure.
 */
const struct svc_route *route_find(const struct svc_def *def,
    const char *method, const char *path, int *allowed, int *head);

/*
 * Writes the Allow header value for path ("GET, HEAD", "POST") into buf.
 * Returns its length, 0 when no route has that path.  Pure.
 */
size_t
route_allow(const struct svc_def *def, const char *path, char *buf, size_t cap);

#endif
