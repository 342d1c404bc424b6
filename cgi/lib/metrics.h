/*
 * metrics: a service's counters, exposed in Prometheus' text format.
 *
 * Requests by route and status, requests in flight, and a latency histogram
 * per route.  Every counter is a relaxed atomic, so recording costs a few
 * uncontended increments and no lock.  Routes are the service's own table
 * (a client's path never becomes a label: anything unrouted is "unmatched").
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Latency buckets (upper bounds, microseconds), then +Inf. */
#define METRICS_NBUCKETS   12
/* Statuses counted one by one: 100..599. */
#define METRICS_STATUS_MIN 100
#define METRICS_NSTATUS    500
/* Largest exposition: routes x (statuses + buckets) lines, with room. */
#define METRICS_TEXT_MAX   ((size_t)32 * 1024)

struct metrics_route {
	const char            *method; /* label values; NULL: unmatched */
	const char            *path;
	_Atomic uint_least64_t status[METRICS_NSTATUS];
	_Atomic uint_least64_t bucket[METRICS_NBUCKETS + 1];
	_Atomic uint_least64_t sum_us;
};

struct metrics {
	const char           *service;
	size_t                nroutes; /* the table's, plus unmatched */
	struct metrics_route *route;
	_Atomic int_least64_t in_flight;
	double                start_s; /* the wall clock at metrics_init() */
};

/*
 * Makes the counters for a service's nroutes routes plus "unmatched"; name
 * each route with metrics_route_name().  Returns 0, or -1 when out of memory.
 * Release with metrics_free().
 */
int metrics_init(struct metrics *m, const char *service, size_t nroutes);
/* Sets route i's labels (strings that outlive m).  Before threads start. */
void metrics_route_name(struct metrics *m, size_t i, const char *method,
    const char *path);
void metrics_free(struct metrics *m);

/* A request began / ended.  route is its index, or nroutes for unmatched. */
void metrics_begin(struct metrics *m);
void metrics_end(struct metrics *m, size_t route, int status, double ms);

/*
 * Writes the exposition into buf (cap bytes, NUL-terminated).  Returns the
 * length, or 0 when it does not fit.  Thread-safe; counters read while
 * requests run may be a request apart from each other.
 */
size_t metrics_text(const struct metrics *m, char *buf, size_t cap);

/*
 * Appends printf-formatted text at *len in buf, advancing *len; returns -1
 * when it does not fit (and leaves *len where it was).  For the services'
 * own metrics appended after metrics_text().
 */
int metrics_printf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Appends one counter family with metrics_printf(): its HELP and TYPE
 * lines, then name{label="names[i]"} counters[i] for each of the n.
 * Counters are read relaxed.  Returns 0, or -1 when it does not fit.
 */
int metrics_family(char *buf, size_t cap, size_t *len, const char *name,
    const char *help, const char *label, const char *const *names,
    const _Atomic unsigned long long *counters, int n);

/*
 * Appends one gauge without labels with metrics_printf(): its HELP and TYPE
 * lines, then "name value".  Returns 0, or -1 when it does not fit.
 */
int metrics_gauge(char *buf, size_t cap, size_t *len, const char *name,
    const char *help, long long value);

#endif
