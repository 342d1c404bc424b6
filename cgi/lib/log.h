/*
 * log: structured logs, one JSON object per line on stderr.
 *
 * Each line is formatted into a stack buffer and written with one write(2),
 * so lines from concurrent threads never interleave.  Nothing here ever sees
 * a token: callers pass only method, path, status and the validated request id.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <time.h>

/* Longest line written; longer fields are cut, never the JSON structure. */
#define LOG_LINE_MAX 1024

/* Sets the "service" field of every line.  Call once, before threads start. */
void log_init(const char *service);

/*
 * Logs one finished request.  reqid may be NULL ("-"); sub (the caller's
 * subject, ident.h's alphabet) is NULL or a "sub" field; tr (NULL: none)
 * gives "trace_id", "span_id" and "parent_id" (hex, "" for a new trace).
 * Thread-safe.
 */
struct trace;
void log_request(const char *reqid, const char *method, const char *path,
    int status, double duration_ms, const char *sub, const struct trace *tr);

/*
 * Logs one event (start, stop, breaker change...) at level "info", "warn" or
 * "error".  msg is printf-formatted and must never contain a secret.
 * Thread-safe.
 */
void log_event(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes src (at most srcmax bytes of it) into dst as the inside of a JSON
 * string, escaping quotes, backslashes and control bytes, and writing \ufffd
 * for each byte that is not part of well-formed UTF-8 (so a log line is
 * always valid JSON in valid UTF-8); never cuts a sequence; never writes more
 * than cap-1 bytes and always NUL-terminates (cap > 0).  Returns the length
 * written.  Pure; shared with the response helpers' tests.
 */
size_t log_json_escape(char *dst, size_t cap, const char *src, size_t srcmax);

/* Milliseconds since t0 on the monotonic clock: a request's duration. */
double log_ms_since(const struct timespec *t0);

/* Room for log_strerror()'s message. */
#define LOG_ERRNO_MAX 128

/*
 * strerror(), thread-safe: the message for errno value e, in buf (cap
 * bytes).  Returns buf.
 */
const char *log_strerror(int e, char *buf, size_t cap);

#endif
