/* Unit tests of trace: the traceparent rules, new traces and spans. */
#include "t.h"
#include "trace.h"

static const char good[] =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

static void
a_valid_traceparent_is_continued_with_a_new_span(void)
{
	struct trace t;
	char         child[TRACE_HEADER_MAX];

	T_CHECK(trace_begin(&t, good) == 1, "valid");
	T_STREQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "its trace");
	T_STREQ(t.parent_id, "00f067aa0ba902b7", "its span is our parent");
	T_STREQ(t.flags, "01", "its flags");
	T_CHECK(strlen(t.span_id) == 16 && strcmp(t.span_id, t.parent_id) != 0,
	    "a span of our own");
	trace_child(&t, child);
	T_CHECK(trace_valid(child) && strncmp(child + 3, t.trace_id, 32) == 0 &&
		strncmp(child + 36, t.span_id, 16) == 0 &&
		strcmp(child + 53, "01") == 0,
	    "a child: same trace, our span its parent, the flags kept");
}

static void
the_rules_refuse_what_w3c_refuses(void)
{
	static const char *const bad[] = {
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
		"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
		"",
	};
	size_t i;
	int    refused = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += !trace_valid(bad[i]);
	T_CHECK(refused == (int)(sizeof(bad) / sizeof(bad[0])), "all refused");
	T_CHECK(!trace_valid(NULL), "none");
	T_CHECK(trace_valid(
		    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
	    "flags 00 are valid");
}

static void
a_bad_or_missing_one_starts_a_new_trace(void)
{
	struct trace a, b;

	T_CHECK(trace_begin(&a, "garbage") == 0 && trace_begin(&b, NULL) == 0,
	    "not continued");
	T_CHECK(strlen(a.trace_id) == 32 && strcmp(a.trace_id, b.trace_id) != 0,
	    "new trace ids, each its own");
	T_STREQ(a.parent_id, "", "no parent");
	T_STREQ(a.flags, "01", "sampled");
}

int
main(void)
{
	T_RUN(a_valid_traceparent_is_continued_with_a_new_span);
	T_RUN(the_rules_refuse_what_w3c_refuses);
	T_RUN(a_bad_or_missing_one_starts_a_new_trace);
	return T_DONE();
}
