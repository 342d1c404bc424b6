/* Unit tests of ident: the subject's and scopes' rules, the DTO. */
#include "ident.h"
#include "t.h"

static void
a_subject_is_1_to_64_of_its_alphabet(void)
{
	char s[80];

	memset(s, 'a', sizeof(s));
	T_CHECK(ident_sub_ok("alice", 5) && ident_sub_ok("a.b_c@d-e9", 10),
	    "letters, digits and ._@-");
	T_CHECK(ident_sub_ok(s, 64) && !ident_sub_ok(s, 65), "64, not 65");
	T_CHECK(!ident_sub_ok("", 0), "not empty");
	T_CHECK(!ident_sub_ok("a b", 3) && !ident_sub_ok("a:b", 3) &&
		!ident_sub_ok("a\"b", 3) && !ident_sub_ok("a,b", 3) &&
		!ident_sub_ok("a\0b", 3) && !ident_sub_ok("\xc3\xa4", 2),
	    "no blank, colon, quote, comma, NUL or UTF-8");
}

static void
a_scope_is_1_to_64_of_its_alphabet(void)
{
	char s[80];

	memset(s, 's', sizeof(s));
	T_CHECK(ident_scope_ok("info:read", 9) && ident_scope_ok("a.b_c-d", 7),
	    "letters, digits and ._:-");
	T_CHECK(ident_scope_ok(s, 64) && !ident_scope_ok(s, 65), "64, not 65");
	T_CHECK(!ident_scope_ok("", 0) && !ident_scope_ok("a@b", 3) &&
		!ident_scope_ok("a b", 3) && !ident_scope_ok("a,b", 3),
	    "not empty, no @, blank or comma");
}

static void
a_scope_list_is_1_to_32_scopes_kept_space_separated(void)
{
	char out[IDENT_SCOPES_TEXT], list[400];
	int  i, n = 0;

	T_CHECK(ident_scopes_parse("info:read,admin", 15, ',', out) == 0,
	    "two");
	T_STREQ(out, "info:read admin", "space-separated");
	T_CHECK(ident_scopes_parse("", 0, ',', out) == -1 &&
		ident_scopes_parse("a,", 2, ',', out) == -1 &&
		ident_scopes_parse(",a", 2, ',', out) == -1 &&
		ident_scopes_parse("a,,b", 4, ',', out) == -1,
	    "no empty list or scope");
	for (i = 0; i < 32; i++)
		n += snprintf(list + n, sizeof(list) - (size_t)n, "%ss%d",
		    i ? "," : "", i);
	T_CHECK(ident_scopes_parse(list, (size_t)n, ',', out) == 0, "32");
	n += snprintf(list + n, sizeof(list) - (size_t)n, ",s32");
	T_CHECK(ident_scopes_parse(list, (size_t)n, ',', out) == -1,
	    "33 refused");
	T_CHECK(ident_scopes_parse("a,b c", 5, ',', out) == -1,
	    "a scope with a blank refused");
}

static void
has_scope_matches_whole_scopes_only(void)
{
	struct ident id = { "alice", "info:read admin" };

	T_CHECK(ident_has_scope(&id, "info:read") &&
		ident_has_scope(&id, "admin"),
	    "both");
	T_CHECK(!ident_has_scope(&id, "info") &&
		!ident_has_scope(&id, "read") && !ident_has_scope(&id, "adm") &&
		!ident_has_scope(&id, "info:read admin"),
	    "no part, no run of two");
	id.scopes[0] = '\0';
	T_CHECK(!ident_has_scope(&id, "admin"), "none");
}

static void
the_dto_names_the_subject_and_lists_the_scopes(void)
{
	struct ident id = { "alice", "info:read admin" };
	char         buf[IDENT_JSON_MAX];

	T_CHECK(ident_json(&id, buf, sizeof(buf)) > 0, "fits");
	T_STREQ(buf,
	    "{\"authenticated\":true,\"sub\":\"alice\","
	    "\"scopes\":[\"info:read\",\"admin\"]}",
	    "the DTO");
	id.scopes[0] = '\0';
	ident_json(&id, buf, sizeof(buf));
	T_STREQ(buf, "{\"authenticated\":true,\"sub\":\"alice\",\"scopes\":[]}",
	    "no scopes: an empty list");
	T_CHECK(ident_json(&id, buf, 20) == 0, "too small: 0");
}

int
main(void)
{
	T_RUN(a_subject_is_1_to_64_of_its_alphabet);
	T_RUN(a_scope_is_1_to_64_of_its_alphabet);
	T_RUN(a_scope_list_is_1_to_32_scopes_kept_space_separated);
	T_RUN(has_scope_matches_whole_scopes_only);
	T_RUN(the_dto_names_the_subject_and_lists_the_scopes);
	return T_DONE();
}
