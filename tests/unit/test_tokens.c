/* Unit tests of tokens: loading, header parsing, constant-time matching. */
#include <stdlib.h>

#include "t.h"
#include "tokens.h"

static int
match(const struct tokens *ts, const char *header)
{
	const char	*tok;
	size_t		 len;

	return tokens_extract(header, &tok, &len) == 0 &&
	    tokens_match(ts, tok, len);
}

int
main(void)
{
	struct tokens	 ts = { 0, NULL };
	char		 err[CFG_ERR_MAX], big[TOKEN_MAX + 2], hdr[AUTHZ_MAX + 2];
	const char	*tok;
	size_t		 len;
	FILE		*f;

	T_CHECK(tokens_parse_list(&ts, " merixstudio , second,,", err) == 0 &&
	    ts.n == 2, "a list is split on commas, blanks and empties dropped");
	T_CHECK(match(&ts, "merixstudio"), "the tutorial's raw token matches");
	T_CHECK(match(&ts, "Bearer merixstudio"), "Bearer <token> matches");
	T_CHECK(match(&ts, "bearer   second  "), "the scheme is case-insensitive "
	    "and blanks are ignored");
	T_CHECK(!match(&ts, "merixstudi"), "a prefix does not match");
	T_CHECK(!match(&ts, "merixstudioo"), "a longer token does not match");
	T_CHECK(!match(&ts, "MERIXSTUDIO"), "tokens are case-sensitive");
	T_CHECK(!match(&ts, ""), "an empty header does not match");
	T_CHECK(!match(&ts, "   "), "a blank header does not match");
	T_CHECK(!match(&ts, "Bearer"), "a bare scheme does not match");
	T_CHECK(!match(&ts, "Basic merixstudio"), "another scheme does not match");
	T_CHECK(!match(&ts, NULL), "no header does not match");
	T_CHECK(tokens_extract("merix\x01studio", &tok, &len) == -1,
	    "a control character makes the header invalid");
	T_CHECK(tokens_extract("m\xc3\xa9rix", &tok, &len) == -1,
	    "non-ASCII makes the header invalid");
	memset(hdr, 'a', AUTHZ_MAX + 1);
	hdr[AUTHZ_MAX + 1] = '\0';
	T_CHECK(tokens_extract(hdr, &tok, &len) == -1,
	    "a header over AUTHZ_MAX is invalid");
	memset(big, 'a', TOKEN_MAX + 1);
	big[TOKEN_MAX + 1] = '\0';
	T_CHECK(tokens_extract(big, &tok, &len) == -1,
	    "a token over TOKEN_MAX is invalid");
	T_CHECK(tokens_match(&ts, "merixstudio", 0) == 0,
	    "a zero-length candidate never matches");
	tokens_free(&ts);
	T_CHECK(ts.n == 0 && ts.t == NULL, "free empties the store");

	T_CHECK(tokens_parse_list(&ts, big, err) == -1 &&
	    strstr(err, "longer than") != NULL && strstr(err, "aaaa") == NULL,
	    "an over-long token is refused without echoing it");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "good,b\xc3\xa4\x64", err) == -1,
	    "a non-ASCII token is refused");
	tokens_free(&ts);

	{
		const char text[] = "# demo tokens\n\n  alpha  \r\n"
		    "   # indented comment\nbeta";
		T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1,
		    err) == 0 && ts.n == 2, "a file: one per line, comments and "
		    "blank lines skipped, CRLF accepted");
		T_CHECK(match(&ts, "alpha") && match(&ts, "beta") &&
		    !match(&ts, "#"), "the file's tokens match");
		tokens_free(&ts);
	}
	{
		const char text[] = "ok\nbad token\n";
		T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1,
		    err) == -1, "a token with a space is refused");
		T_STREQ(err, "AUTH_TOKENS_FILE line 2: a token holds a character "
		    "other than visible ASCII", "the error names the line");
		tokens_free(&ts);
	}

	unsetenv("AUTH_TOKENS");
	unsetenv("AUTH_TOKENS_FILE");
	T_CHECK(tokens_load(&ts, err) == -1 && strstr(err, "AUTH_TOKENS") ==
	    err, "no token configured refuses to start");
	setenv("AUTH_TOKENS", " , ", 1);
	T_CHECK(tokens_load(&ts, err) == -1 &&
	    strcmp(err, "AUTH_TOKENS: holds no token") == 0,
	    "an AUTH_TOKENS with no token refuses to start");
	setenv("AUTH_TOKENS_FILE", "/nonexistent", 1);
	setenv("AUTH_TOKENS", "a", 1);
	T_CHECK(tokens_load(&ts, err) == -1 && strstr(err, "both") != NULL,
	    "both variables set refuses to start");
	unsetenv("AUTH_TOKENS");
	T_CHECK(tokens_load(&ts, err) == -1 &&
	    strstr(err, "AUTH_TOKENS_FILE: cannot open") == err,
	    "a missing file refuses to start");
	if ((f = fopen("build/tests/tokens.txt", "w")) != NULL) {
		fputs("# ops\nfrom-file\n", f);
		fclose(f);
	}
	{
		/* sha256 of "merixstudio", as scripts/token-hash.sh prints it. */
		const char text[] = "sha256:6335c4f89111d1e012d4ae3c5cb005a2bd5aa6"
		    "14a852d9b537bfb87e27328f40\n";
		T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1, err) == 0 && ts.n == 1 &&
		    match(&ts, "merixstudio") && !match(&ts, "sha256:6335c4f8911"
		    "1d1e012d4ae3c5cb005a2bd5aa614a852d9b537bfb87e27328f40"),
		    "a sha256: entry matches its token, not its own text");
		tokens_free(&ts);
	}
	T_CHECK(tokens_parse_list(&ts, "sha256:6335C4F89111D1E012D4AE3C5CB005A2"
	    "BD5AA614A852D9B537BFB87E27328F40", err) == 0 &&
	    match(&ts, "Bearer merixstudio"), "hex digits in upper case, and "
	    "in AUTH_TOKENS too");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "ok,sha256:6335c4f8", err) == -1 &&
	    strcmp(err, "AUTH_TOKENS: a sha256: entry must be followed by "
	    "exactly 64 hex digits") == 0, "a short digest is refused");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "sha256:6335c4f89111d1e012d4ae3c5cb005a2"
	    "bd5aa614a852d9b537bfb87e27328f4g", err) == -1,
	    "a digest with a non-hex digit is refused");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "SHA256:x", err) == 0 && ts.n == 1 &&
	    match(&ts, "SHA256:x"), "the prefix is lower case: SHA256:x is a "
	    "plain token");
	tokens_free(&ts);
	{
		/*
		 * The matching contract: every entry is compared in full, so a
		 * token is found wherever it sits in a full store, and a
		 * candidate differing only in its last byte is not.
		 */
		static char	list[TOKENS_COUNT_MAX * 12];
		size_t		o = 0;
		int		k;

		for (k = 0; k < TOKENS_COUNT_MAX; k++)
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%stok-%05d", k ? "," : "", k);
		T_CHECK(tokens_parse_list(&ts, list, err) == 0 &&
		    ts.n == TOKENS_COUNT_MAX, "a store of TOKENS_COUNT_MAX "
		    "tokens loads");
		T_CHECK(match(&ts, "tok-00000") && match(&ts, "tok-00511") &&
		    match(&ts, "tok-01023"), "the first, a middle and the last "
		    "entry all match");
		T_CHECK(!match(&ts, "tok-01024") && !match(&ts, "tok-0000") &&
		    !match(&ts, "tok-000000"), "near misses (last byte, one "
		    "byte short, one byte long) do not");
		tokens_free(&ts);
		o += (size_t)snprintf(list + o, sizeof(list) - o, ",one-more");
		T_CHECK(tokens_parse_list(&ts, list, err) == -1 &&
		    strcmp(err, "AUTH_TOKENS: more than 1024 tokens") == 0,
		    "one token past TOKENS_COUNT_MAX is refused");
		tokens_free(&ts);
	}
	setenv("AUTH_TOKENS_FILE", "build/tests/tokens.txt", 1);
	T_CHECK(tokens_load(&ts, err) == 0 && ts.n == 1 &&
	    match(&ts, "from-file"), "AUTH_TOKENS_FILE is read");
	tokens_free(&ts);
	return T_DONE();
}
