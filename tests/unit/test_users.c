/*
 * Unit tests of users: the users file, the hash floor, and passwords
 * checked by libargon2 against hashes argon2-cffi made.
 */
#include "users.h"
#include "t.h"

/* argon2-cffi 21.1 (python3-argon2): "wonderland" at OWASP's floor. */
#define ALICE                                                                  \
	"$argon2id$v=19$m=19456,t=2,p=1$X3H87MgpZzSeELzfwZMBPA$jr3lSTnZ5Ww7NNjyBjtrPw"
/* The same library at t=1: under the floor. */
#define WEAK                                                                   \
	"$argon2id$v=19$m=19456,t=1,p=1$eD75JZcHQ2mMabx9S50MjA$X7NtZZCLovLjlSTKp/e6xg"

static struct users us;

static int
parse(const char *text, char *err)
{
	users_free(&us);
	return users_parse(&us, text, strlen(text), err);
}

static void
a_user_line_gives_name_hash_subject_and_scopes(void)
{
	char               err[CFG_ERR_MAX] = "";
	const struct user *u;

	T_CHECK(parse("# users\nalice " ALICE " scope=read,write\n\nbob " ALICE
		      " sub=bob@example\n",
		    err) == 0,
	    err);
	T_CHECK(us.n == 2, "two users");
	T_CHECK((u = users_find(&us, "alice")) != NULL, "alice");
	if (u == NULL)
		return;
	T_STREQ(u->id.sub, "alice", "sub defaults to the name");
	T_STREQ(u->id.scopes, "read write", "scopes");
	T_CHECK(users_by_sub(&us, "bob@example") == &us.u[1], "by subject");
	T_CHECK(users_find(&us, "carol") == NULL, "nobody else");
	T_STREQ(us.scopes, "read write", "every scope, once");
}

static void
the_right_password_matches_and_others_do_not(void)
{
	T_CHECK(users_password_ok(ALICE, "wonderland", 10), "right");
	T_CHECK(!users_password_ok(ALICE, "wonderlanD", 10), "one letter");
	T_CHECK(!users_password_ok(ALICE, "wonderland", 9), "a prefix");
	T_CHECK(!users_password_ok(ALICE, "", 0), "empty");
}

static void
a_hash_under_owasps_floor_or_not_argon2id_is_refused_by_line(void)
{
	char err[CFG_ERR_MAX];

	T_CHECK(parse("alice " ALICE "\nbob " WEAK "\n", err) == -1, "t=1");
	T_CHECK(strstr(err, "line 2") != NULL && strstr(err, "floor") != NULL,
	    err);
	T_CHECK(strstr(err, "$argon2id$v=19$m=19456,t=1") == NULL,
	    "the hash is not in the error");
	T_CHECK(
	    parse(
		"alice $argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n",
		err) == -1,
	    "argon2i");
	T_CHECK(
	    parse(
		"alice $argon2id$v=19$m=524288,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n",
		err) == -1 &&
		strstr(err, "costs more") != NULL,
	    "512 MiB");
	T_CHECK(parse("alice sha256:abc\n", err) == -1, "no PHC string");
	T_CHECK(parse("alice\n", err) == -1, "no hash");
}

static void
bad_names_duplicates_and_attributes_are_refused(void)
{
	char err[CFG_ERR_MAX];

	T_CHECK(parse("al!ce " ALICE "\n", err) == -1 &&
		strstr(err, "NAME") != NULL,
	    "a name outside the alphabet");
	T_CHECK(parse("alice " ALICE "\nalice " ALICE "\n", err) == -1 &&
		strstr(err, "line 2") != NULL,
	    "a name twice");
	T_CHECK(parse("alice " ALICE " role=admin\n", err) == -1,
	    "an attribute that is not sub= or scope=");
}

int
main(void)
{
	T_RUN(a_user_line_gives_name_hash_subject_and_scopes);
	T_RUN(the_right_password_matches_and_others_do_not);
	T_RUN(a_hash_under_owasps_floor_or_not_argon2id_is_refused_by_line);
	T_RUN(bad_names_duplicates_and_attributes_are_refused);
	users_free(&us);
	return T_DONE();
}
