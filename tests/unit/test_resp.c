/* Unit tests of resp and log: JSON error bodies and escaping. */
#include "log.h"
#include "resp.h"
#include "t.h"

int
main(void)
{
	char		 buf[128], extra[8192], body[RESP_BODY_MAX + 1];
	size_t		 n;
	struct svc_req	 r;

	n = resp_error_body(buf, sizeof(buf), "Not Found");
	T_STREQ(buf, "{\"detail\":\"Not Found\"}", "a detail body is FastAPI's shape");
	T_CHECK(n == strlen(buf), "the length returned is the body's");
	resp_error_body(buf, sizeof(buf), "say \"hi\"\n");
	T_STREQ(buf, "{\"detail\":\"say \\\"hi\\\"\\n\"}",
	    "quotes and newlines in a detail are escaped");
	T_CHECK(resp_error_body(buf, 8, "Not Found") == 0,
	    "a body that does not fit gives 0");
	/* Refused before a byte is written: no status is recorded. */
	memset(&r, 0, sizeof(r));
	memset(extra, 'x', sizeof(extra) - 3);
	memcpy(extra + sizeof(extra) - 3, "\r\n", 3);
	T_CHECK(resp_json(&r, 200, extra, "{}", 2) == -1 && r.status == 0,
	    "headers too long: -1 and no status recorded");
	memset(body, ' ', sizeof(body));
	T_CHECK(resp_json(&r, 200, NULL, body, sizeof(body)) == -1 &&
	    r.status == 0, "a JSON body too long: -1 and no status recorded");
	T_STREQ(resp_reason(401), "Unauthorized", "401's reason phrase");
	T_STREQ(resp_reason(504), "Gateway Timeout", "504's reason phrase");
	T_STREQ(resp_reason(299), "Unknown", "an unlisted status");

	log_json_escape(buf, sizeof(buf), "/a\"b\\c\x01", 100);
	T_STREQ(buf, "/a\\\"b\\\\c\\u0001", "log fields escape quotes, "
	    "backslashes and control bytes");
	log_json_escape(buf, 5, "abcdefgh", 100);
	T_STREQ(buf, "abcd", "log fields are cut to the buffer");
	log_json_escape(buf, 6, "ab\"cd", 100);
	T_STREQ(buf, "ab\\\"c", "an escape is never cut in half");
	log_json_escape(buf, sizeof(buf), "abcdefgh", 3);
	T_STREQ(buf, "abc", "log fields are cut to srcmax source bytes");
	log_json_escape(buf, sizeof(buf), "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f"
	    "\x98\x80", 100);
	T_STREQ(buf, "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", "well-formed "
	    "UTF-8 of 2, 3 and 4 bytes passes through");
	log_json_escape(buf, sizeof(buf), "a\xff\xc3(\xc0\xaf\xed\xa0\x80"
	    "\xf4\x90\x80\x80", 100);
	T_STREQ(buf, "a\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	    "\\ufffd\\ufffd\\ufffd\\ufffd", "a stray byte, a cut sequence, an "
	    "overlong form, a surrogate and a code point past U+10FFFF each "
	    "become \\ufffd per byte");
	log_json_escape(buf, sizeof(buf), "\xe2\x82\xac", 2);
	T_STREQ(buf, "\\ufffd\\ufffd", "a sequence cut by srcmax is not "
	    "passed through");
	log_json_escape(buf, 4, "ab\xe2\x82\xac", 100);
	T_STREQ(buf, "ab", "a sequence is never cut in half by the buffer");
	return T_DONE();
}
