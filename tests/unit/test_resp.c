/* Unit tests of resp and log: JSON error bodies and escaping. */
#include "log.h"
#include "resp.h"
#include "t.h"

static void
an_error_body_is_fastapis_shape_with_its_length(void)
{
	char   buf[128];
	size_t n;

	n = resp_error_body(buf, sizeof(buf), "Not Found");
	T_STREQ(buf, "{\"detail\":\"Not Found\"}", "the body");
	T_CHECK(n == strlen(buf), "the length returned is the body's");
}

static void
quotes_and_newlines_in_a_detail_are_escaped(void)
{
	char buf[128];

	resp_error_body(buf, sizeof(buf), "say \"hi\"\n");
	T_STREQ(buf, "{\"detail\":\"say \\\"hi\\\"\\n\"}", "escaped");
}

static void
an_error_body_that_does_not_fit_gives_0(void)
{
	char buf[8];

	T_CHECK(resp_error_body(buf, sizeof(buf), "Not Found") == 0, "0");
}

static void
an_answer_refused_before_a_byte_is_written_records_no_status(void)
{
	static char    extra[8192], body[RESP_BODY_MAX + 1];
	struct svc_req r;

	memset(&r, 0, sizeof(r));
	memset(extra, 'x', sizeof(extra) - 3);
	memcpy(extra + sizeof(extra) - 3, "\r\n", 3);
	T_CHECK(resp_json(&r, 200, extra, "{}", 2) == -1 && r.status == 0,
	    "headers too long");
	memset(body, ' ', sizeof(body));
	T_CHECK(resp_json(&r, 200, NULL, body, sizeof(body)) == -1 &&
		r.status == 0,
	    "a JSON body too long");
}

static void
a_request_already_answered_gets_no_second_answer(void)
{
	struct svc_req r;

	memset(&r, 0, sizeof(r));
	r.status = 504;
	T_CHECK(resp_json(&r, 200, NULL, "{}", 2) == -1 && r.status == 504,
	    "-1, the first status kept");
}

static void
reason_phrases(void)
{
	T_STREQ(resp_reason(401), "Unauthorized", "401");
	T_STREQ(resp_reason(504), "Gateway Timeout", "504");
	T_STREQ(resp_reason(299), "Unknown", "an unlisted status");
}

static void
log_fields_escape_quotes_backslashes_and_control_bytes(void)
{
	char buf[128];

	log_json_escape(buf, sizeof(buf), "/a\"b\\c\x01", 100);
	T_STREQ(buf, "/a\\\"b\\\\c\\u0001", "escaped");
}

static void
log_fields_are_cut_to_the_buffer_and_to_srcmax_never_mid_escape(void)
{
	char buf[128];

	log_json_escape(buf, 5, "abcdefgh", 100);
	T_STREQ(buf, "abcd", "the buffer");
	log_json_escape(buf, 6, "ab\"cd", 100);
	T_STREQ(buf, "ab\\\"c", "an escape is never cut in half");
	log_json_escape(buf, sizeof(buf), "abcdefgh", 3);
	T_STREQ(buf, "abc", "srcmax source bytes");
}

static void
well_formed_utf8_passes_through(void)
{
	char buf[128];

	log_json_escape(buf, sizeof(buf),
	    "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f"
	    "\x98\x80",
	    100);
	T_STREQ(buf, "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80",
	    "2, 3 and 4 bytes");
}

static void
malformed_utf8_becomes_ufffd_per_byte(void)
{
	char buf[128];

	log_json_escape(buf, sizeof(buf),
	    "a\xff\xc3(\xc0\xaf\xed\xa0\x80"
	    "\xf4\x90\x80\x80",
	    100);
	T_STREQ(buf,
	    "a\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd",
	    "a stray byte, a cut sequence, an "
	    "overlong form, a surrogate, past U+10FFFF");
	log_json_escape(buf, sizeof(buf), "\xe2\x82\xac", 2);
	T_STREQ(buf, "\\ufffd\\ufffd", "a sequence cut by srcmax");
}

static void
a_utf8_sequence_is_never_cut_in_half_by_the_buffer(void)
{
	char buf[4];

	log_json_escape(buf, sizeof(buf), "ab\xe2\x82\xac", 100);
	T_STREQ(buf, "ab", "ab");
}

int
main(void)
{
	T_RUN(an_error_body_is_fastapis_shape_with_its_length);
	T_RUN(quotes_and_newlines_in_a_detail_are_escaped);
	T_RUN(an_error_body_that_does_not_fit_gives_0);
	T_RUN(an_answer_refused_before_a_byte_is_written_records_no_status);
	T_RUN(a_request_already_answered_gets_no_second_answer);
	T_RUN(reason_phrases);
	T_RUN(log_fields_escape_quotes_backslashes_and_control_bytes);
	T_RUN(log_fields_are_cut_to_the_buffer_and_to_srcmax_never_mid_escape);
	T_RUN(well_formed_utf8_passes_through);
	T_RUN(malformed_utf8_becomes_ufffd_per_byte);
	T_RUN(a_utf8_sequence_is_never_cut_in_half_by_the_buffer);
	return T_DONE();
}
