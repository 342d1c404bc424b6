/*
 * log: JSON lines on stderr.  Formatting is done by hand (not cJSON) because a
 * log line is written on every request and must not allocate.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

static const char *log_service = "-";

/* Paths and messages are cut to this many source bytes in a log line. */
#define LOG_FIELD_MAX 256

void
log_init(const char *service)
{
	log_service = service;
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most max bytes), or 0:
 * overlong forms, surrogates and code points past U+10FFFF are not well
 * formed (RFC 3629).
 */
static size_t
log_utf8_len(const unsigned char *s, size_t max)
{
	size_t   n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n > max)
		return 0;
	/* Only the second byte has the narrower range. */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

size_t
log_json_escape(char *dst, size_t cap, const char *src, size_t srcmax)
{
	static const char    hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)src;
	size_t               o = 0, i, len;

	len = strnlen(src, srcmax);
	for (i = 0; i < len;) {
		unsigned char c = u[i];
		const char   *from = (const char *)&u[i];
		char          esc[7];
		size_t        n, used = 1;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			from = esc;
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): esc is counted (n), not a string */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			from = esc;
			n = 6;
		} else if (c < 0x80)
			n = 1;
		else if ((n = used = log_utf8_len(&u[i], len - i)) == 0) {
			/* Not UTF-8: U+FFFD keeps the line valid JSON. */
			from = "\\ufffd";
			n = 6;
			used = 1;
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, from, n);
		o += n;
		i += used;
	}
	dst[o] = '\0';
	return o;
}

/* ISO 8601 UTC with milliseconds, e.g. 2026-11-24T19:31:39.123Z. */
static void
log_time(char buf[32])
{
	struct timespec ts;
	struct tm       tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, 13, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

double
log_ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
log_write(const char *line, int len)
{
	if (len <= 0)
		return;
	if (len >= LOG_LINE_MAX)
		len = LOG_LINE_MAX - 1;
	/* One write per line; a failed log write must not stop the service. */
	if (write(STDERR_FILENO, line, (size_t)len) < 0)
		return;
}

void
log_request(const char *reqid, const char *method, const char *path, int status,
    double duration_ms, const char *sub, const struct trace *tr)
{
	char line[LOG_LINE_MAX], ts[32], m[32], p[LOG_FIELD_MAX * 6 / 4];
	char trace[128] = "";
	int  len;

	/* Hex only: no escaping. */
	if (tr != NULL)
		snprintf(trace, sizeof(trace),
		    ",\"trace_id\":\"%s\",\"span_id\":\"%s\",\"parent_id\":\"%s\"",
		    tr->trace_id, tr->span_id, tr->parent_id);
	log_time(ts);
	log_json_escape(m, sizeof(m), method ? method : "-", 16);
	log_json_escape(p, sizeof(p), path ? path : "-", LOG_FIELD_MAX);
	len = snprintf(line, sizeof(line),
	    "{\"time\":\"%s\",\"service\":\"%s\","
	    "\"level\":\"info\",\"request_id\":\"%s\",\"method\":\"%s\","
	    "\"path\":\"%s\",\"status\":%d,\"duration_ms\":%.3f%s%s%s%s}\n",
	    ts, log_service, reqid ? reqid : "-", m, p, status, duration_ms,
	    trace,
	    /* A subject needs no escaping (ident.h's alphabet). */
	    sub ? ",\"sub\":\"" : "", sub ? sub : "", sub ? "\"" : "");
	log_write(line, len);
}

const char *
log_strerror(int e, char *buf, size_t cap)
{
	/* The XSI strerror_r (_POSIX_C_SOURCE): fills buf, returns 0. */
	if (strerror_r(e, buf, cap) != 0)
		snprintf(buf, cap, "error %d", e);
	return buf;
}

void
log_event(const char *level, const char *fmt, ...)
{
	char    line[LOG_LINE_MAX], ts[32], raw[LOG_FIELD_MAX * 2];
	char    msg[LOG_FIELD_MAX * 3];
	va_list ap;
	int     len;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is above (clang 14 false positive) */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_json_escape(msg, sizeof(msg), raw, sizeof(raw));
	log_time(ts);
	len = snprintf(line, sizeof(line),
	    "{\"time\":\"%s\",\"service\":\"%s\","
	    "\"level\":\"%s\",\"msg\":\"%s\"}\n",
	    ts, log_service, level, msg);
	log_write(line, len);
}
