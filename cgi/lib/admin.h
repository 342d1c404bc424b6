/*
 * admin: the two routes every service has beside its own, for operators
 * and supervisors: GET /healthz and GET /metrics.  Handlers in svc's
 * table shape (svc_handler); they answer through resp and read the
 * process's counters, so svc itself holds no route.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include "svc.h"

/*
 * GET /healthz: 200 {"status":"ok"} while the process serves requests.
 * Touches no configuration and no secret; compose healthchecks and the
 * gateway's /healthz use it.
 */
void admin_healthz(struct svc_req *r, const void *app);

/*
 * GET /metrics: the process's counters, then svc_def.metrics_extra's, in
 * Prometheus' text format 0.0.4.  The gateway publishes it to allowed
 * addresses only.
 */
void admin_metrics(struct svc_req *r, const void *app);

#endif
