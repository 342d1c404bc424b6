/*
 * trace: W3C Trace Context (traceparent) for one request: the trace it
 * belongs to, the span that called it (the gateway's, as its traceparent
 * says), and the request's own span, which is the parent of the calls it
 * makes (info's call to auth).
 *
 * A traceparent is "00-" 32 hex "-" 16 hex "-" 2 hex, lower case, neither
 * id all zeros (version 00 only: ff and any other version are refused).
 * The gateway checks the client's and always sends a valid one; a request
 * that comes with none, or a bad one, starts a trace of its own here.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>

#define TRACE_ID_LEN     32 /* hex digits */
#define TRACE_SPAN_LEN   16
/* "00-" trace "-" span "-" flags and a NUL. */
#define TRACE_HEADER_MAX (3 + TRACE_ID_LEN + 1 + TRACE_SPAN_LEN + 1 + 2 + 1)

struct trace {
	char trace_id[TRACE_ID_LEN + 1];
	char parent_id[TRACE_SPAN_LEN + 1]; /* "" when this request starts it */
	char span_id[TRACE_SPAN_LEN + 1];
	char flags[3];
};

/*
 * Parses traceparent value s into t (trace, parent, flags) and gives t a
 * new span of its own.  With s NULL or not valid, t starts a new trace
 * (new trace-id, no parent, flags 01).  Returns 1 when s was valid, else
 * 0.  Thread-safe.
 */
int trace_begin(struct trace *t, const char *s);

/* 1 when s is a valid traceparent value, else 0.  Pure. */
int trace_valid(const char *s);

/* The traceparent value of a call t makes: t's trace, t's span as the
 * parent, t's flags. */
void trace_child(const struct trace *t, char out[TRACE_HEADER_MAX]);

#endif
