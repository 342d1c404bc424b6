/*
 * admin: GET /healthz and GET /metrics, the routes every service has (see
 * admin.h).
 */
#include "admin.h"

#include <stdlib.h>

#include "metrics.h"
#include "resp.h"

void
admin_healthz(struct svc_req *r, const void *app)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	(void)app;
	resp_json(r, 200, NULL, ok, sizeof(ok) - 1);
}

void
admin_metrics(struct svc_req *r, const void *app)
{
	char  *buf;
	size_t len;

	if ((buf = malloc(METRICS_TEXT_MAX)) == NULL) {
		resp_error(r, 503, NULL, "Out of memory");
		return;
	}
	len = metrics_text(r->metrics, buf, METRICS_TEXT_MAX);
	if (len > 0 && r->def->metrics_extra != NULL &&
	    r->def->metrics_extra(app, buf, METRICS_TEXT_MAX, &len) == -1)
		len = 0;
	if (len == 0)
		resp_error(r, 500, NULL, "Metrics do not fit");
	else
		resp_send(r, 200, "text/plain; version=0.0.4", NULL, buf, len);
	free(buf);
}
