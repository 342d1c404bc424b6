/* Unit tests of metrics: counting, buckets, the exposition's exact lines. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "t.h"

static int
has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t      n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

/* A table of two routes with six requests in it, and its exposition. */
static struct metrics m;
static char           buf[METRICS_TEXT_MAX];

static size_t
fixture(void)
{
	if (metrics_init(&m, "auth", 2) == -1)
		return 0;
	metrics_route_name(&m, 0, "POST", "/login/");
	metrics_route_name(&m, 1, "GET", "/healthz");
	metrics_begin(&m);
	metrics_begin(&m);
	metrics_end(&m, 0, 200, 0.2); /* 200 us: first bucket */
	metrics_begin(&m);
	metrics_end(&m, 0, 401, 3.0); /* 3 ms: le 0.005 */
	metrics_begin(&m);
	metrics_end(&m, 0, 200, 0.25); /* on the bound: le 0.00025 */
	metrics_begin(&m);
	metrics_end(&m, 99, 404, 7000.0); /* unknown index: unmatched, +Inf */
	metrics_begin(&m);
	metrics_end(&m, 2, 42, 1.0); /* no such status: not counted */
	return metrics_text(&m, buf, sizeof(buf));
}

static void
init_has_the_tables_routes_plus_unmatched_which_keeps_its_name(void)
{
	struct metrics t;

	T_CHECK(metrics_init(&t, "auth", 2) == 0 && t.nroutes == 3, "3 slots");
	metrics_route_name(&t, 2, "GET", "/not-a-route");
	T_CHECK(t.route[2].path == NULL, "the unmatched slot is not renamed");
	metrics_free(&t);
	T_CHECK(t.route == NULL, "free releases the counters");
}

static void
the_exposition_fits_has_type_lines_and_ends_with_a_newline(void)
{
	size_t len = fixture();

	T_CHECK(len > 0 && len == strlen(buf), "it fits");
	T_CHECK(has_line(buf, "# TYPE cgi_requests_total counter"), "TYPE");
	T_CHECK(len > 0 && buf[len - 1] == '\n', "a final newline");
	metrics_free(&m);
}

static void
requests_are_counted_by_route_and_status(void)
{
	fixture();
	T_CHECK(has_line(buf,
		    "cgi_requests_total{service=\"auth\",method=\"POST\","
		    "route=\"/login/\",status=\"200\"} 2"),
	    "two 200s");
	T_CHECK(has_line(buf,
		    "cgi_requests_total{service=\"auth\",method=\"POST\","
		    "route=\"/login/\",status=\"401\"} 1"),
	    "each status on its line");
	metrics_free(&m);
}

static void
unrouted_requests_are_unmatched_never_the_clients_path(void)
{
	fixture();
	T_CHECK(has_line(buf,
		    "cgi_requests_total{service=\"auth\",method=\"\","
		    "route=\"unmatched\",status=\"404\"} 1"),
	    "unmatched 404");
	metrics_free(&m);
}

static void
zero_counts_and_impossible_statuses_are_left_out(void)
{
	fixture();
	T_CHECK(strstr(buf, "status=\"42\"") == NULL, "no 42");
	T_CHECK(strstr(buf, "route=\"/healthz\",status") == NULL, "no zeros");
	metrics_free(&m);
}

static void
in_flight_is_begun_less_ended(void)
{
	fixture();
	T_CHECK(has_line(buf, "cgi_requests_in_flight{service=\"auth\"} 1"),
	    "one");
	metrics_free(&m);
}

static void
buckets_are_cumulative_and_a_bound_is_inclusive(void)
{
	fixture();
	T_CHECK(
	    has_line(buf,
		"cgi_request_duration_seconds_bucket{service="
		"\"auth\",method=\"POST\",route=\"/login/\",le=\"0.00025\"} 2") &&
		has_line(buf,
		    "cgi_request_duration_seconds_bucket{service=\"auth\","
		    "method=\"POST\",route=\"/login/\",le=\"0.0025\"} 2") &&
		has_line(buf,
		    "cgi_request_duration_seconds_bucket{service=\"auth\","
		    "method=\"POST\",route=\"/login/\",le=\"0.005\"} 3") &&
		has_line(buf,
		    "cgi_request_duration_seconds_bucket{service=\"auth\","
		    "method=\"POST\",route=\"/login/\",le=\"+Inf\"} 3"),
	    "POST /login/");
	T_CHECK(has_line(buf,
		    "cgi_request_duration_seconds_sum{service=\"auth\","
		    "method=\"POST\",route=\"/login/\"} 0.003450") &&
		has_line(buf,
		    "cgi_request_duration_seconds_count{service=\"auth\","
		    "method=\"POST\",route=\"/login/\"} 3"),
	    "sum in seconds and count");
	metrics_free(&m);
}

static void
seven_seconds_land_in_inf_and_an_odd_status_still_counts_its_time(void)
{
	fixture();
	T_CHECK(has_line(buf,
		    "cgi_request_duration_seconds_bucket{service="
		    "\"auth\",method=\"\",route=\"unmatched\",le=\"5\"} 1") &&
		has_line(buf,
		    "cgi_request_duration_seconds_bucket{service=\"auth\","
		    "method=\"\",route=\"unmatched\",le=\"+Inf\"} 2"),
	    "unmatched");
	metrics_free(&m);
}

static void
a_buffer_too_small_gives_0(void)
{
	char small[64];

	fixture();
	T_CHECK(metrics_text(&m, small, sizeof(small)) == 0, "0");
	metrics_free(&m);
}

static void
metrics_printf_appends_and_on_overflow_leaves_the_text(void)
{
	char   small[64];
	size_t len = 0;

	T_CHECK(metrics_printf(small, sizeof(small), &len, "%s", "abc") == 0 &&
		len == 3,
	    "appends");
	T_CHECK(metrics_printf(small, sizeof(small), &len, "%070d", 1) == -1 &&
		len == 3 && strcmp(small, "abc") == 0,
	    "overflow: unchanged");
}

static void
metrics_gauge_writes_help_type_and_value(void)
{
	char   buf[128];
	size_t len = 0;

	T_CHECK(metrics_gauge(buf, sizeof(buf), &len, "x_up", "1 while up.",
		    1) == 0 &&
		strcmp(buf,
		    "# HELP x_up 1 while up.\n# TYPE x_up gauge\n"
		    "x_up 1\n") == 0 &&
		len == strlen(buf),
	    "the three lines");
	T_CHECK(metrics_gauge(buf, 20, &(size_t){ 0 }, "x_up", "1 while up.",
		    1) == -1,
	    "too small: -1");
}

int
main(void)
{
	T_RUN(init_has_the_tables_routes_plus_unmatched_which_keeps_its_name);
	T_RUN(the_exposition_fits_has_type_lines_and_ends_with_a_newline);
	T_RUN(requests_are_counted_by_route_and_status);
	T_RUN(unrouted_requests_are_unmatched_never_the_clients_path);
	T_RUN(zero_counts_and_impossible_statuses_are_left_out);
	T_RUN(in_flight_is_begun_less_ended);
	T_RUN(buckets_are_cumulative_and_a_bound_is_inclusive);
	T_RUN(
	    seven_seconds_land_in_inf_and_an_odd_status_still_counts_its_time);
	T_RUN(a_buffer_too_small_gives_0);
	T_RUN(metrics_printf_appends_and_on_overflow_leaves_the_text);
	T_RUN(metrics_gauge_writes_help_type_and_value);
	return T_DONE();
}
