/*
 * trace: the traceparent rules, and span ids from a per-thread generator
 * seeded from the kernel (ids need to be unique, not secret).
 */
#include "trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static int
trace_hex(const char *s, size_t n)
{
	size_t i;
	int    nonzero = 0;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero || n == 2; /* flags may be 00 */
}

int
trace_valid(const char *s)
{
	if (s == NULL || strlen(s) != TRACE_HEADER_MAX - 1)
		return 0;
	return s[0] == '0' && s[1] == '0' && s[2] == '-' &&
	    trace_hex(s + 3, TRACE_ID_LEN) && s[3 + TRACE_ID_LEN] == '-' &&
	    trace_hex(s + 4 + TRACE_ID_LEN, TRACE_SPAN_LEN) &&
	    s[4 + TRACE_ID_LEN + TRACE_SPAN_LEN] == '-' &&
	    trace_hex(s + 5 + TRACE_ID_LEN + TRACE_SPAN_LEN, 2);
}

/* 64 random bits: xorshift64* on a per-thread state from getrandom(). */
static uint64_t
trace_rand(void)
{
	static _Thread_local uint64_t x;

	while (x == 0)
		if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
			x = (uint64_t)(uintptr_t)&x ^ 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	return x * 0x2545f4914f6cdd1dULL;
}

/* n/16 random 64-bit words as hex, never all zeros. */
static void
trace_rand_hex(char *out, size_t n)
{
	uint64_t w;
	size_t   i;

	for (i = 0; i < n; i += 16) {
		while ((w = trace_rand()) == 0)
			;
		snprintf(out + i, 17, "%016llx", (unsigned long long)w);
	}
}

int
trace_begin(struct trace *t, const char *s)
{
	int ok = trace_valid(s);

	if (ok) {
		memcpy(t->trace_id, s + 3, TRACE_ID_LEN);
		t->trace_id[TRACE_ID_LEN] = '\0';
		memcpy(t->parent_id, s + 4 + TRACE_ID_LEN, TRACE_SPAN_LEN);
		t->parent_id[TRACE_SPAN_LEN] = '\0';
		memcpy(t->flags, s + 5 + TRACE_ID_LEN + TRACE_SPAN_LEN, 2);
		t->flags[2] = '\0';
	} else {
		trace_rand_hex(t->trace_id, TRACE_ID_LEN);
		t->parent_id[0] = '\0';
		memcpy(t->flags, "01", 3);
	}
	trace_rand_hex(t->span_id, TRACE_SPAN_LEN);
	return ok;
}

void
trace_child(const struct trace *t, char out[TRACE_HEADER_MAX])
{
	snprintf(out, TRACE_HEADER_MAX, "00-%s-%s-%s", t->trace_id, t->span_id,
	    t->flags);
}
