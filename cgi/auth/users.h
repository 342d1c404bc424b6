/*
 * users: the people who log in with a password (POST /token), from
 * AUTH_USERS_FILE: one per line, "NAME HASH [sub=...] [scope=a,b]", '#'
 * comments.  NAME is 1..USER_NAME_MAX characters of a subject's alphabet
 * (ident.h); HASH a PHC string of Argon2id, "$argon2id$v=19$m=M,t=T,p=P$
 * salt$hash", as argon2-cffi, FastAPI's pwdlib and `make user-hash` write
 * it, no weaker than OWASP's floor (USERS_M_MIN KiB, USERS_T_MIN passes)
 * and no costlier than USERS_M_MAX; sub defaults to NAME.  A bad line stops
 * the load naming its number, never its hash.  Checking a password is
 * libargon2's (Debian's reference implementation).  A set is only read once
 * built; auth swaps in a new one on SIGHUP (main.c).
 */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>

#include "cfg.h"
#include "ident.h"

#define USER_NAME_MAX     IDENT_SUB_MAX
/* A PHC string: ~100 characters with a 16-byte salt and a 32-byte hash. */
#define USER_HASH_MAX     256
/* Longest password checked: far above any passphrase, bounded for the form. */
#define USER_PASSWORD_MAX 1024
#define USERS_COUNT_MAX   10000
#define USERS_FILE_MAX    ((size_t)4 * 1024 * 1024)
/* OWASP's Password Storage Cheat Sheet, argon2id's lowest: 19 MiB, 2. */
#define USERS_M_MIN       19456
#define USERS_T_MIN       2
/* The most memory one check may take (KiB): 256 MiB. */
#define USERS_M_MAX       262144
#define USERS_T_MAX       64
#define USERS_P_MAX       16

struct user {
	char         name[USER_NAME_MAX + 1];
	char         hash[USER_HASH_MAX + 1];
	struct ident id; /* sub (NAME unless sub=) and scopes */
};

struct users {
	size_t       n;
	struct user *u; /* owned; freed by users_free() */
	/* Hashed for a name nobody has: as costly as the first user's. */
	char dummy[USER_HASH_MAX + 1];
	/* Every scope any user has, space-separated (the server metadata). */
	char scopes[IDENT_SCOPES_TEXT];
};

/*
 * Reads the users of the file at path into us (empty before) and makes the
 * dummy hash.  Returns 0, or -1 with err naming AUTH_USERS_FILE and the
 * line.
 */
int users_read_file(struct users *us, const char *path, char err[CFG_ERR_MAX]);

/* Parses a users file's text.  Returns 0, or -1 and err. */
int users_parse(struct users *us, const char *text, size_t len,
    char err[CFG_ERR_MAX]);

/* Releases what us holds (wiped first) and empties it. */
void users_free(struct users *us);

/*
 * 0 when phc is an Argon2id PHC string within the bounds above; else -1
 * with *why what is wrong (never the string).
 */
int users_hash_ok(const char *phc, size_t len, const char **why);

/* The user named name, or NULL.  Valid while us is. */
const struct user *users_find(const struct users *us, const char *name);

/* The user whose subject is sub, or NULL.  Valid while us is. */
const struct user *users_by_sub(const struct users *us, const char *sub);

/*
 * 1 when pw[0..len) is the password of the PHC string phc, else 0.  Takes
 * the hash's cost in time and memory (tens of milliseconds); thread-safe.
 */
int users_password_ok(const char *phc, const char *pw, size_t len);

#endif
