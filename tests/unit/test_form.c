/* Unit tests of form: the token endpoint's body, decoded and bounded. */
#include "form.h"
#include "t.h"

static char              g[33], u[65], p[17];
static struct form_field f[] = {
	{ "grant_type", g, 32, 0, 0 },
	{ "username", u, 64, 0, 0 },
	{ "password", p, 16, 0, 0 },
};

static int
parse(const char *body, const char **why, const char **name)
{
	return form_parse(body, strlen(body), f, 3, why, name);
}

static void
fields_are_decoded_plus_and_percent_escapes_included(void)
{
	const char *why, *name;

	T_CHECK(parse("grant_type=password&username=al%69ce&password=a+b%26c",
		    &why, &name) == 0,
	    "parsed");
	T_STREQ(g, "password", "grant_type");
	T_STREQ(u, "alice", "%69 is i");
	T_STREQ(p, "a b&c", "+ is a space, %26 an ampersand");
	T_CHECK(f[2].len == 5 && f[2].seen, "length and seen");
}

static void
unknown_fields_and_empty_pairs_are_skipped_missing_ones_unseen(void)
{
	const char *why, *name;

	T_CHECK(parse("&client_id=swagger&&username=bob&", &why, &name) == 0,
	    "parsed");
	T_STREQ(u, "bob", "username");
	T_CHECK(!f[0].seen && !f[2].seen && g[0] == '\0', "not given");
}

static void
a_field_twice_is_refused_naming_it(void)
{
	const char *why, *name;

	T_CHECK(parse("username=a&username=b", &why, &name) == -1, "refused");
	T_STREQ(name, "username", "named");
	T_CHECK(strstr(why, "twice") != NULL, "why");
}

static void
bad_escapes_control_characters_and_long_values_are_refused(void)
{
	const char *why, *name;

	T_CHECK(parse("password=%zz", &why, &name) == -1, "bad hex");
	T_CHECK(parse("password=%4", &why, &name) == -1, "cut escape");
	T_CHECK(parse("password=a%00b", &why, &name) == -1, "a NUL");
	T_CHECK(parse("password=a%0Ab", &why, &name) == -1, "a newline");
	T_CHECK(parse("password=a\tb", &why, &name) == -1, "a raw tab");
	T_CHECK(parse("other=%0d", &why, &name) == -1,
	    "in a field not asked for too");
	T_CHECK(parse("password=12345678901234567", &why, &name) == -1 &&
		strstr(why, "too long") != NULL,
	    "17 bytes into 16");
	T_STREQ(name, "password", "named");
	T_CHECK(parse("password=1234567890123456", &why, &name) == 0, "16 fit");
}

static void
more_than_the_most_fields_are_refused(void)
{
	char        body[512];
	const char *why, *name;
	size_t      i;

	for (i = 0; i < FORM_FIELDS_MAX + 1; i++)
		memcpy(body + 4 * i, "x=1&", 4);
	body[4 * i] = '\0';
	T_CHECK(parse(body, &why, &name) == -1, "33 fields");
}

int
main(void)
{
	T_RUN(fields_are_decoded_plus_and_percent_escapes_included);
	T_RUN(unknown_fields_and_empty_pairs_are_skipped_missing_ones_unseen);
	T_RUN(a_field_twice_is_refused_naming_it);
	T_RUN(bad_escapes_control_characters_and_long_values_are_refused);
	T_RUN(more_than_the_most_fields_are_refused);
	return T_DONE();
}
