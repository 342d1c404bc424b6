/*
 * metrics: counters kept with relaxed atomics (each is only ever added to,
 * and a scrape needs no consistency between them), and their exposition.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const uint_least64_t metrics_bounds_us[METRICS_NBUCKETS] = {
	250,
	500,
	1000,
	2500,
	5000,
	10000,
	25000,
	50000,
	100000,
	250000,
	1000000,
	5000000,
};
static const char *const metrics_bounds_txt[METRICS_NBUCKETS + 1] = {
	"0.00025",
	"0.0005",
	"0.001",
	"0.0025",
	"0.005",
	"0.01",
	"0.025",
	"0.05",
	"0.1",
	"0.25",
	"1",
	"5",
	"+Inf",
};

int
metrics_init(struct metrics *m, const char *service, size_t nroutes)
{
	struct timespec now;

	m->service = service;
	m->nroutes = nroutes + 1;
	/* process_start_time_seconds: a restart loop shows as its changes. */
	clock_gettime(CLOCK_REALTIME, &now);
	m->start_s = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	atomic_init(&m->in_flight, 0);
	/* calloc: all-zero bits are a valid zero for these atomics. */
	if ((m->route = calloc(m->nroutes, sizeof(*m->route))) == NULL)
		return -1;
	return 0;
}

void
metrics_route_name(struct metrics *m, size_t i, const char *method,
    const char *path)
{
	if (i + 1 < m->nroutes) {
		m->route[i].method = method;
		m->route[i].path = path;
	}
}

void
metrics_free(struct metrics *m)
{
	free(m->route);
	m->route = NULL;
}

void
metrics_begin(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->in_flight, 1, memory_order_relaxed);
}

void
metrics_end(struct metrics *m, size_t route, int status, double ms)
{
	struct metrics_route *r;
	uint_least64_t        us;
	size_t                b;

	atomic_fetch_sub_explicit(&m->in_flight, 1, memory_order_relaxed);
	if (route >= m->nroutes)
		route = m->nroutes - 1;
	r = &m->route[route];
	if (status >= METRICS_STATUS_MIN &&
	    status < METRICS_STATUS_MIN + METRICS_NSTATUS)
		atomic_fetch_add_explicit(&r->status[status -
					      METRICS_STATUS_MIN],
		    1, memory_order_relaxed);
	us = ms > 0 ? (uint_least64_t)(ms * 1000.0) : 0;
	for (b = 0; b < METRICS_NBUCKETS && us > metrics_bounds_us[b]; b++)
		;
	/* One bucket per request; cumulative counts are summed at scrape. */
	atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, us, memory_order_relaxed);
}

int
metrics_printf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int     n;

	if (*len >= cap)
		return -1;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (clang 14 false positive) */
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		buf[*len] = '\0';
		return -1;
	}
	*len += (size_t)n;
	return 0;
}

int
metrics_family(char *buf, size_t cap, size_t *len, const char *name,
    const char *help, const char *label, const char *const *names,
    const _Atomic unsigned long long *counters, int n)
{
	int i;

	if (metrics_printf(buf, cap, len, "# HELP %s %s\n# TYPE %s counter\n",
		name, help, name) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (metrics_printf(buf, cap, len, "%s{%s=\"%s\"} %llu\n", name,
			label, names[i],
			atomic_load_explicit(&counters[i],
			    memory_order_relaxed)) == -1)
			return -1;
	return 0;
}

int
metrics_gauge(char *buf, size_t cap, size_t *len, const char *name,
    const char *help, long long value)
{
	return metrics_printf(buf, cap, len,
	    "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
	    value);
}

/* The labels of route r: service, method and route. */
static void
metrics_labels(const struct metrics *m, const struct metrics_route *r,
    char *buf, size_t cap)
{
	snprintf(buf, cap, "service=\"%s\",method=\"%s\",route=\"%s\"",
	    m->service, r->method ? r->method : "",
	    r->path ? r->path : "unmatched");
}

size_t
metrics_text(const struct metrics *m, char *buf, size_t cap)
{
	char           lab[160];
	size_t         len = 0, i, s, b;
	uint_least64_t n, cum;

	buf[0] = '\0';
	if (metrics_printf(buf, cap, &len,
		"# HELP process_start_time_seconds Start time of the process "
		"since the Unix epoch, in seconds.\n"
		"# TYPE process_start_time_seconds gauge\n"
		"process_start_time_seconds %.3f\n",
		m->start_s) == -1)
		return 0;
	if (metrics_printf(buf, cap, &len,
		"# HELP cgi_requests_total Requests answered, by route and "
		"status.\n# TYPE cgi_requests_total counter\n") == -1)
		return 0;
	for (i = 0; i < m->nroutes; i++) {
		metrics_labels(m, &m->route[i], lab, sizeof(lab));
		for (s = 0; s < METRICS_NSTATUS; s++) {
			n = atomic_load_explicit(&m->route[i].status[s],
			    memory_order_relaxed);
			if (n > 0 &&
			    metrics_printf(buf, cap, &len,
				"cgi_requests_total{%s,status=\"%zu\"} %llu\n",
				lab, s + METRICS_STATUS_MIN,
				(unsigned long long)n) == -1)
				return 0;
		}
	}
	if (metrics_printf(buf, cap, &len,
		"# HELP cgi_requests_in_flight Requests being answered now.\n"
		"# TYPE cgi_requests_in_flight gauge\n"
		"cgi_requests_in_flight{service=\"%s\"} %lld\n"
		"# HELP cgi_request_duration_seconds From the request read to "
		"the answer handed to the gateway.\n"
		"# TYPE cgi_request_duration_seconds histogram\n",
		m->service,
		(long long)atomic_load_explicit(&m->in_flight,
		    memory_order_relaxed)) == -1)
		return 0;
	for (i = 0; i < m->nroutes; i++) {
		const struct metrics_route *r = &m->route[i];

		metrics_labels(m, r, lab, sizeof(lab));
		cum = 0;
		for (b = 0; b <= METRICS_NBUCKETS; b++) {
			cum += atomic_load_explicit(&r->bucket[b],
			    memory_order_relaxed);
			if (metrics_printf(buf, cap, &len,
				"cgi_request_duration_seconds_bucket{%s,le=\"%s\"} "
				"%llu\n",
				lab, metrics_bounds_txt[b],
				(unsigned long long)cum) == -1)
				return 0;
		}
		/* _count is the +Inf bucket, so the two always agree. */
		if (metrics_printf(buf, cap, &len,
			"cgi_request_duration_seconds_sum{%s} %.6f\n"
			"cgi_request_duration_seconds_count{%s} %llu\n",
			lab,
			(double)atomic_load_explicit(&r->sum_us,
			    memory_order_relaxed) /
			    1e6,
			lab, (unsigned long long)cum) == -1)
			return 0;
	}
	return len;
}
