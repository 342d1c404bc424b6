/* Unit tests of tokens: loading, header parsing, constant-time matching. */
#include <stdlib.h>
#include <unistd.h>

#include "t.h"
#include "tokens.h"

static int
match(const struct tokens *ts, const char *header)
{
	const char *tok;
	size_t      len;

	return authz_token(header, &tok, &len) == 0 &&
	    tokens_match(ts, tok, len);
}

/* The demo pair loaded from a list, for the matching tests. */
static struct tokens ts;

static void
demo(void)
{
	char err[CFG_ERR_MAX];

	if (tokens_parse_list(&ts, " merixstudio , second,,", err) == -1)
		ts.n = 0;
}

static void
a_list_is_split_on_commas_blanks_and_empties_dropped(void)
{
	demo();
	T_CHECK(ts.n == 2, "two tokens");
	tokens_free(&ts);
	T_CHECK(ts.n == 0 && ts.t == NULL, "free empties the store");
}

static void
the_raw_token_and_bearer_token_match_the_scheme_case_insensitive(void)
{
	demo();
	T_CHECK(match(&ts, "merixstudio"), "the tutorial's raw token");
	T_CHECK(match(&ts, "Bearer merixstudio"), "Bearer <token>");
	T_CHECK(match(&ts, "bearer   second  "), "bearer, blanks ignored");
	tokens_free(&ts);
}

static void
near_misses_other_schemes_and_empty_headers_do_not_match(void)
{
	demo();
	T_CHECK(!match(&ts, "merixstudi"), "a prefix");
	T_CHECK(!match(&ts, "merixstudioo"), "a longer token");
	T_CHECK(!match(&ts, "MERIXSTUDIO"), "another case");
	T_CHECK(!match(&ts, ""), "empty");
	T_CHECK(!match(&ts, "   "), "blank");
	T_CHECK(!match(&ts, "Bearer"), "a bare scheme");
	T_CHECK(!match(&ts, "Basic merixstudio"), "another scheme");
	T_CHECK(!match(&ts, NULL), "no header");
	T_CHECK(tokens_match(&ts, "merixstudio", 0) == 0, "zero length");
	tokens_free(&ts);
}

static void
a_header_with_control_bytes_non_ascii_or_over_its_limits_is_invalid(void)
{
	char        big[TOKEN_MAX + 2], hdr[AUTHZ_MAX + 2];
	const char *tok;
	size_t      len;

	T_CHECK(authz_token("merix\x01studio", &tok, &len) == -1, "control");
	T_CHECK(authz_token("m\xc3\xa9rix", &tok, &len) == -1, "non-ASCII");
	memset(hdr, 'a', AUTHZ_MAX + 1);
	hdr[AUTHZ_MAX + 1] = '\0';
	T_CHECK(authz_token(hdr, &tok, &len) == -1, "over AUTHZ_MAX");
	memset(big, 'a', TOKEN_MAX + 1);
	big[TOKEN_MAX + 1] = '\0';
	/* Longer than a static token may be: an access token's to judge. */
	T_CHECK(authz_token(big, &tok, &len) == 0 && len == TOKEN_MAX + 1,
	    "over TOKEN_MAX");
	T_CHECK(tokens_find(&ts, tok, len) == NULL, "never a static token");
}

static void
an_over_long_or_non_ascii_token_is_refused_without_echoing_it(void)
{
	char err[CFG_ERR_MAX], big[TOKEN_MAX + 2];

	memset(big, 'a', TOKEN_MAX + 1);
	big[TOKEN_MAX + 1] = '\0';
	T_CHECK(tokens_parse_list(&ts, big, err) == -1 &&
		strstr(err, "longer than") != NULL &&
		strstr(err, "aaaa") == NULL,
	    "over-long");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "good,b\xc3\xa4\x64", err) == -1,
	    "non-ASCII");
	tokens_free(&ts);
}

static void
a_file_has_one_per_line_comments_and_blanks_skipped_crlf_accepted(void)
{
	const char text[] = "# demo tokens\n\n  alpha  \r\n"
			    "   # indented comment\nbeta";
	char       err[CFG_ERR_MAX];

	T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1, err) == 0 &&
		ts.n == 2,
	    "two tokens");
	T_CHECK(match(&ts, "alpha") && match(&ts, "beta") && !match(&ts, "#"),
	    "they match, a comment does not");
	tokens_free(&ts);
}

static void
a_bad_line_in_a_file_is_refused_naming_the_line(void)
{
	const char text[] = "ok\nb\xc3\xa4\x64\n";
	char       err[CFG_ERR_MAX];

	T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1, err) == -1,
	    "a token with a byte above 0x7f");
	T_STREQ(err,
	    "AUTH_TOKENS_FILE line 2: a token holds a character "
	    "other than visible ASCII",
	    "the line, not the token");
	tokens_free(&ts);
}

/* The identity of the entry that tok matches, or an empty one. */
static struct ident
who(const char *tok)
{
	const struct token *t = tokens_find(&ts, tok, strlen(tok));
	struct ident        id = { "", "" };

	if (t != NULL)
		tokens_ident(t, &id);
	return id;
}

static void
a_file_line_may_give_the_token_a_subject_and_scopes(void)
{
	const char text[] =
	    "alpha sub=alice scope=info:read,admin\n"
	    "sha256:6335c4f8a8fa1e2f4a7a6d0b6a8a0b5bd4c6f1d7e58f04c9f8c1d5e5e6f7a8b9"
	    "\tscope=info:read \t sub=bob@example.org\n"
	    "# a comment\n"
	    "gamma\n"
	    "delta scope=x\n";
	char         err[CFG_ERR_MAX];
	struct ident id;

	T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1, err) == 0 &&
		ts.n == 4,
	    "four entries");
	id = who("alpha");
	T_STREQ(id.sub, "alice", "alpha is alice");
	T_STREQ(id.scopes, "info:read admin", "with both scopes");
	T_STREQ(ts.t[1].sub, "bob@example.org", "attributes in any order");
	T_STREQ(ts.t[1].scopes, "info:read", "after tabs and spaces");
	id = who("gamma");
	T_STREQ(id.sub, "token-3", "no sub: its place among the entries");
	T_STREQ(id.scopes, "", "and no scope");
	id = who("delta");
	T_STREQ(id.sub, "token-4", "a scope alone");
	T_STREQ(id.scopes, "x", "kept");
	tokens_free(&ts);
}

static void
a_bad_attribute_is_refused_naming_its_line_never_the_token(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "ok\nsecret-1 sub=a:b\n",
		    "AUTH_TOKENS_FILE line 2: sub= must be 1-64 characters of "
		    "[A-Za-z0-9._@-]" },
		{ "secret-1 sub=\n",
		    "AUTH_TOKENS_FILE line 1: sub= must be 1-64 characters of "
		    "[A-Za-z0-9._@-]" },
		{ "secret-1 scope=a,,b\n",
		    "AUTH_TOKENS_FILE line 1: scope= must be 1-32 scopes, "
		    "comma-separated, each 1-64 characters of [A-Za-z0-9._:-]" },
		{ "secret-1 scope=a@b\n",
		    "AUTH_TOKENS_FILE line 1: scope= must be 1-32 scopes, "
		    "comma-separated, each 1-64 characters of [A-Za-z0-9._:-]" },
		{ "secret-1 sub=a sub=b\n",
		    "AUTH_TOKENS_FILE line 1: an attribute that is not sub= or "
		    "scope=, or given twice" },
		{ "secret-1 scope=a scope=b\n",
		    "AUTH_TOKENS_FILE line 1: an attribute that is not sub= or "
		    "scope=, or given twice" },
		{ "secret-1 role=admin\n",
		    "AUTH_TOKENS_FILE line 1: an attribute that is not sub= or "
		    "scope=, or given twice" },
		/* A line that forgot its token: not the token "sub=mallory". */
		{ "ok\nsub=mallory scope=admin\n",
		    "AUTH_TOKENS_FILE line 2: starts with an attribute (sub= or "
		    "scope=), not a token: the token comes first" },
		{ "scope=admin\n",
		    "AUTH_TOKENS_FILE line 1: starts with an attribute (sub= or "
		    "scope=), not a token: the token comes first" },
		{ "secret-1 secret-2\n",
		    "AUTH_TOKENS_FILE line 1: an attribute that is not sub= or "
		    "scope=, or given twice" },
	};
	char   err[CFG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_CHECK(tokens_parse_file(&ts, bad[i].text, strlen(bad[i].text),
			    err) == -1 &&
			strcmp(err, bad[i].err) == 0 &&
			strstr(err, "secret") == NULL,
		    bad[i].text);
		tokens_free(&ts);
	}
}

static void
the_generation_names_the_set_the_same_file_the_same_one(void)
{
	const char a[] = "alpha sub=alice scope=x\nbeta\n";
	const char b[] = "alpha sub=alice scope=y\nbeta\n";
	char       err[CFG_ERR_MAX], g1[TOKENS_GEN_LEN], g2[TOKENS_GEN_LEN];

	tokens_parse_file(&ts, a, sizeof(a) - 1, err);
	memcpy(g1, ts.gen, sizeof(g1));
	tokens_free(&ts);
	tokens_parse_file(&ts, a, sizeof(a) - 1, err);
	T_CHECK(strlen(g1) == 16 && strcmp(g1, ts.gen) == 0,
	    "16 hex digits, the same for the same file");
	tokens_free(&ts);
	tokens_parse_file(&ts, b, sizeof(b) - 1, err);
	memcpy(g2, ts.gen, sizeof(g2));
	tokens_free(&ts);
	T_CHECK(strcmp(g1, g2) != 0, "a scope changed: another generation");
	tokens_parse_list(&ts, "alpha", err);
	T_CHECK(strlen(ts.gen) == 16 && strcmp(ts.gen, g1) != 0,
	    "a list has one too");
	tokens_free(&ts);
}

static void
an_env_list_has_no_attributes(void)
{
	char err[CFG_ERR_MAX];

	T_CHECK(tokens_parse_list(&ts, "one sub=alice", err) == -1 &&
		strstr(err, "alice") == NULL,
	    "a blank in an AUTH_TOKENS entry is refused");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "one,two", err) == 0 &&
		strcmp(who("two").sub, "token-2") == 0,
	    "subjects by place");
	tokens_free(&ts);
}

static void
no_token_an_empty_list_or_both_variables_refuse_to_start(void)
{
	char        err[CFG_ERR_MAX];
	const char *file;

	unsetenv("AUTH_TOKENS");
	unsetenv("AUTH_TOKENS_FILE");
	T_CHECK(tokens_load(&ts, &file, err) == -1 &&
		strstr(err, "AUTH_TOKENS") == err,
	    "none configured");
	setenv("AUTH_TOKENS", " , ", 1);
	T_CHECK(tokens_load(&ts, &file, err) == -1 &&
		strcmp(err, "AUTH_TOKENS: holds no token") == 0,
	    "no token");
	setenv("AUTH_TOKENS_FILE", "/nonexistent", 1);
	setenv("AUTH_TOKENS", "a", 1);
	T_CHECK(tokens_load(&ts, &file, err) == -1 &&
		strstr(err, "both") != NULL,
	    "both");
	unsetenv("AUTH_TOKENS");
	unsetenv("AUTH_TOKENS_FILE");
}

static void
a_missing_file_refuses_to_start(void)
{
	char        err[CFG_ERR_MAX];
	const char *file;

	unsetenv("AUTH_TOKENS");
	setenv("AUTH_TOKENS_FILE", "/nonexistent", 1);
	T_CHECK(tokens_load(&ts, &file, err) == -1 &&
		strstr(err, "AUTH_TOKENS_FILE: cannot open") == err,
	    "refused");
	unsetenv("AUTH_TOKENS_FILE");
}

static void
auth_tokens_file_is_read(void)
{
	char        err[CFG_ERR_MAX], path[] = "/tmp/test_tokens.XXXXXX";
	const char *file;
	FILE       *f;
	int         fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		T_CHECK(0, "a temporary file");
		return;
	}
	fputs("# ops\nfrom-file\n", f);
	fclose(f);
	unsetenv("AUTH_TOKENS");
	setenv("AUTH_TOKENS_FILE", path, 1);
	T_CHECK(tokens_load(&ts, &file, err) == 0 && ts.n == 1 &&
		match(&ts, "from-file") && strcmp(file, path) == 0,
	    "its token matches, and its path is kept for a reload");
	tokens_free(&ts);
	unsetenv("AUTH_TOKENS_FILE");
	unlink(path);
}

static void
a_sha256_entry_matches_its_token_not_its_own_text(void)
{
	/* sha256 of "merixstudio", as scripts/token-hash.sh prints it. */
	const char text[] = "sha256:6335c4f89111d1e012d4ae3c5cb005a2bd5aa6"
			    "14a852d9b537bfb87e27328f40\n";
	char       err[CFG_ERR_MAX];

	T_CHECK(tokens_parse_file(&ts, text, sizeof(text) - 1, err) == 0 &&
		ts.n == 1 && match(&ts, "merixstudio") &&
		!match(&ts,
		    "sha256:"
		    "6335c4f89111d1e012d4ae3c5cb005a2bd5aa614a852d9b537bfb87e27328f40"),
	    "from a file");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts,
		    "sha256:6335C4F89111D1E012D4AE3C5CB005A2"
		    "BD5AA614A852D9B537BFB87E27328F40",
		    err) == 0 &&
		match(&ts, "Bearer merixstudio"),
	    "upper-case hex, in AUTH_TOKENS");
	tokens_free(&ts);
}

static void
a_sha256_entry_needs_exactly_64_hex_digits_and_a_lower_case_prefix(void)
{
	char err[CFG_ERR_MAX];

	T_CHECK(tokens_parse_list(&ts, "ok,sha256:6335c4f8", err) == -1 &&
		strcmp(err,
		    "AUTH_TOKENS: a sha256: entry must be followed by "
		    "exactly 64 hex digits") == 0,
	    "a short digest");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts,
		    "sha256:6335c4f89111d1e012d4ae3c5cb005a2"
		    "bd5aa614a852d9b537bfb87e27328f4g",
		    err) == -1,
	    "a non-hex digit");
	tokens_free(&ts);
	T_CHECK(tokens_parse_list(&ts, "SHA256:x", err) == 0 && ts.n == 1 &&
		match(&ts, "SHA256:x"),
	    "SHA256:x is a plain token");
	tokens_free(&ts);
}

/*
 * The matching contract: every entry is compared in full, so a token is
 * found wherever it sits in a full store, and a candidate differing only in
 * its last byte is not.
 */
static void
every_entry_of_a_full_store_matches_and_near_misses_do_not(void)
{
	static char list[TOKENS_COUNT_MAX * 12];
	char        err[CFG_ERR_MAX];
	size_t      o = 0;
	int         k;

	for (k = 0; k < TOKENS_COUNT_MAX; k++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%stok-%05d",
		    k ? "," : "", k);
	T_CHECK(tokens_parse_list(&ts, list, err) == 0 &&
		ts.n == TOKENS_COUNT_MAX,
	    "TOKENS_COUNT_MAX tokens load");
	T_CHECK(match(&ts, "tok-00000") && match(&ts, "tok-00511") &&
		match(&ts, "tok-01023"),
	    "the first, a middle and the last match");
	T_CHECK(!match(&ts, "tok-01024") && !match(&ts, "tok-0000") &&
		!match(&ts, "tok-000000"),
	    "the last byte, one short, one long");
	tokens_free(&ts);
	snprintf(list + o, sizeof(list) - o, ",one-more");
	T_CHECK(tokens_parse_list(&ts, list, err) == -1 &&
		strcmp(err, "AUTH_TOKENS: more than 1024 tokens") == 0,
	    "one past TOKENS_COUNT_MAX is refused");
	tokens_free(&ts);
}

int
main(void)
{
	T_RUN(a_list_is_split_on_commas_blanks_and_empties_dropped);
	T_RUN(the_raw_token_and_bearer_token_match_the_scheme_case_insensitive);
	T_RUN(near_misses_other_schemes_and_empty_headers_do_not_match);
	T_RUN(
	    a_header_with_control_bytes_non_ascii_or_over_its_limits_is_invalid);
	T_RUN(an_over_long_or_non_ascii_token_is_refused_without_echoing_it);
	T_RUN(
	    a_file_has_one_per_line_comments_and_blanks_skipped_crlf_accepted);
	T_RUN(a_bad_line_in_a_file_is_refused_naming_the_line);
	T_RUN(a_file_line_may_give_the_token_a_subject_and_scopes);
	T_RUN(a_bad_attribute_is_refused_naming_its_line_never_the_token);
	T_RUN(an_env_list_has_no_attributes);
	T_RUN(the_generation_names_the_set_the_same_file_the_same_one);
	T_RUN(no_token_an_empty_list_or_both_variables_refuse_to_start);
	T_RUN(a_missing_file_refuses_to_start);
	T_RUN(auth_tokens_file_is_read);
	T_RUN(a_sha256_entry_matches_its_token_not_its_own_text);
	T_RUN(
	    a_sha256_entry_needs_exactly_64_hex_digits_and_a_lower_case_prefix);
	T_RUN(every_entry_of_a_full_store_matches_and_near_misses_do_not);
	return T_DONE();
}
