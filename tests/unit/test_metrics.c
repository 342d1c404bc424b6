/* Unit tests of metrics: counting, buckets, the exposition's exact lines. */
#include <stdlib.h>

#include "metrics.h"
#include "t.h"

static int
has_line(const char *text, const char *line)
{
	const char	*p = text;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

int
main(void)
{
	struct metrics	 m;
	static char	 buf[METRICS_TEXT_MAX];
	char		 small[64];
	size_t		 len;

	T_CHECK(metrics_init(&m, "auth", 2) == 0 && m.nroutes == 3,
	    "init: the table's routes plus unmatched");
	metrics_route_name(&m, 0, "POST", "/login/");
	metrics_route_name(&m, 1, "GET", "/healthz");
	metrics_route_name(&m, 2, "GET", "/not-a-route");
	T_CHECK(m.route[2].path == NULL, "the unmatched slot cannot be renamed");

	metrics_begin(&m);
	metrics_begin(&m);
	metrics_end(&m, 0, 200, 0.2);		/* 200 us: first bucket */
	metrics_begin(&m);
	metrics_end(&m, 0, 401, 3.0);		/* 3 ms: le 0.005 */
	metrics_begin(&m);
	metrics_end(&m, 0, 200, 0.25);		/* on the bound: le 0.00025 */
	metrics_begin(&m);
	metrics_end(&m, 99, 404, 7000.0);	/* unknown index: unmatched, +Inf */
	metrics_begin(&m);
	metrics_end(&m, 2, 42, 1.0);		/* no such status: not counted */

	len = metrics_text(&m, buf, sizeof(buf));
	T_CHECK(len > 0 && len == strlen(buf), "the exposition fits");
	T_CHECK(has_line(buf, "# TYPE cgi_requests_total counter"),
	    "TYPE lines are there");
	T_CHECK(has_line(buf, "cgi_requests_total{service=\"auth\",method=\"POST\","
	    "route=\"/login/\",status=\"200\"} 2"), "requests by route and status");
	T_CHECK(has_line(buf, "cgi_requests_total{service=\"auth\",method=\"POST\","
	    "route=\"/login/\",status=\"401\"} 1"), "each status on its own line");
	T_CHECK(has_line(buf, "cgi_requests_total{service=\"auth\",method=\"\","
	    "route=\"unmatched\",status=\"404\"} 1"), "unrouted requests are "
	    "\"unmatched\", never the client's path");
	T_CHECK(strstr(buf, "status=\"42\"") == NULL && strstr(buf,
	    "route=\"/healthz\",status") == NULL, "zero counts and impossible "
	    "statuses are left out");
	T_CHECK(has_line(buf, "cgi_requests_in_flight{service=\"auth\"} 1"),
	    "in flight: begun and not ended");
	T_CHECK(has_line(buf, "cgi_request_duration_seconds_bucket{service="
	    "\"auth\",method=\"POST\",route=\"/login/\",le=\"0.00025\"} 2") &&
	    has_line(buf, "cgi_request_duration_seconds_bucket{service=\"auth\","
	    "method=\"POST\",route=\"/login/\",le=\"0.0025\"} 2") &&
	    has_line(buf, "cgi_request_duration_seconds_bucket{service=\"auth\","
	    "method=\"POST\",route=\"/login/\",le=\"0.005\"} 3") &&
	    has_line(buf, "cgi_request_duration_seconds_bucket{service=\"auth\","
	    "method=\"POST\",route=\"/login/\",le=\"+Inf\"} 3"),
	    "buckets are cumulative, a bound is inclusive");
	T_CHECK(has_line(buf, "cgi_request_duration_seconds_sum{service=\"auth\","
	    "method=\"POST\",route=\"/login/\"} 0.003450") &&
	    has_line(buf, "cgi_request_duration_seconds_count{service=\"auth\","
	    "method=\"POST\",route=\"/login/\"} 3"), "sum in seconds and count");
	T_CHECK(has_line(buf, "cgi_request_duration_seconds_bucket{service="
	    "\"auth\",method=\"\",route=\"unmatched\",le=\"5\"} 1") &&
	    has_line(buf, "cgi_request_duration_seconds_bucket{service=\"auth\","
	    "method=\"\",route=\"unmatched\",le=\"+Inf\"} 2"), "7 s lands in "
	    "+Inf only; an odd status still counts its time");
	T_CHECK(buf[len - 1] == '\n', "the exposition ends with a newline");

	T_CHECK(metrics_text(&m, small, sizeof(small)) == 0,
	    "a buffer too small gives 0");
	len = 0;
	T_CHECK(metrics_printf(small, sizeof(small), &len, "%s", "abc") == 0 &&
	    len == 3 && metrics_printf(small, sizeof(small), &len, "%070d",
	    1) == -1 && len == 3 && strcmp(small, "abc") == 0,
	    "metrics_printf appends, and on overflow leaves the text as it was");
	metrics_free(&m);
	T_CHECK(m.route == NULL, "free releases the counters");
	return T_DONE();
}
