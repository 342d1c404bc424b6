/*
 * users: parsing the users file and checking passwords.  An unknown name is
 * checked against a dummy hash of the first user's cost, so that a login
 * takes as long for a name nobody has as for a wrong password.
 */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <argon2.h>

#include "textfile.h"
#include "wipe.h"

#define USERS_VAR "AUTH_USERS_FILE"

/* PHC's base64 (standard alphabet, no padding). */
static int
users_b64c(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Reads a decimal number at *p ended by end (',' or '$'); -1 if none. */
static long
users_num(const char **p, char end)
{
	long n = 0;

	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9' && n < 100000000)
		n = n * 10 + (*(*p)++ - '0');
	if (**p != end)
		return -1;
	(*p)++;
	return n;
}

/* n base64 characters at p ended by end; -1 if none or too few. */
static long
users_b64run(const char **p, char end, size_t min)
{
	const char *s = *p;

	while (users_b64c((unsigned char)**p))
		(*p)++;
	if (**p != end || (size_t)(*p - s) < min)
		return -1;
	if (end != '\0')
		(*p)++;
	return (long)(*p - s);
}

/* The cost parameters of a PHC string that users_hash_ok() took. */
static void
users_cost(const char *phc, long *m, long *t, long *p)
{
	const char *s = phc + strlen("$argon2id$v=19$m=");

	*m = users_num(&s, ',');
	s += 2;
	*t = users_num(&s, ',');
	s += 2;
	*p = users_num(&s, '$');
}

int
users_hash_ok(const char *phc, size_t len, const char **why)
{
	static const char head[] = "$argon2id$v=19$m=";
	const char       *s = phc;
	long              m, t, p;

	*why = "HASH must be an Argon2id PHC string, "
	       "$argon2id$v=19$m=M,t=T,p=P$salt$hash";
	if (len > USER_HASH_MAX || strlen(phc) != len ||
	    strncmp(phc, head, sizeof(head) - 1) != 0)
		return -1;
	s += sizeof(head) - 1;
	if ((m = users_num(&s, ',')) == -1 || strncmp(s, "t=", 2) != 0)
		return -1;
	s += 2;
	if ((t = users_num(&s, ',')) == -1 || strncmp(s, "p=", 2) != 0)
		return -1;
	s += 2;
	/* A salt of 8 bytes at least, a hash of 16 (RFC 9106). */
	if ((p = users_num(&s, '$')) == -1 || users_b64run(&s, '$', 11) == -1 ||
	    users_b64run(&s, '\0', 22) == -1)
		return -1;
	if (m < USERS_M_MIN || t < USERS_T_MIN || p < 1) {
		*why = "HASH is weaker than OWASP's floor for Argon2id "
		       "(m=19456, t=2)";
		return -1;
	}
	if (m > USERS_M_MAX || t > USERS_T_MAX || p > USERS_P_MAX ||
	    m < 8 * p) {
		*why =
		    "HASH costs more than auth allows (m=262144, t=64, p=16)";
		return -1;
	}
	return 0;
}

/* textfile_lines()'s callback: one user. */
static int
users_line(void *ctx, const char *line, size_t n, const char *where,
    char err[CFG_ERR_MAX])
{
	struct users *us = ctx;
	struct user   one, *u;
	const char   *e = line + n, *name, *hash, *why;
	size_t        nl, hl;
	int           have_scopes = 0;

	memset(&one, 0, sizeof(one));
	for (name = line; textfile_blank(*name); name++)
		;
	for (nl = 0; name + nl < e && !textfile_blank(name[nl]); nl++)
		;
	for (hash = name + nl; hash < e && textfile_blank(*hash); hash++)
		;
	for (hl = 0; hash + hl < e && !textfile_blank(hash[hl]); hl++)
		;
	if (!ident_sub_ok(name, nl)) {
		snprintf(err, CFG_ERR_MAX,
		    "%s: NAME must be 1-%d characters of [A-Za-z0-9._@-]",
		    where, USER_NAME_MAX);
		return -1;
	}
	memcpy(one.name, name, nl);
	if (hl > USER_HASH_MAX) {
		snprintf(err, CFG_ERR_MAX, "%s: HASH is longer than %d", where,
		    USER_HASH_MAX);
		return -1;
	}
	memcpy(one.hash, hash, hl);
	if (users_hash_ok(one.hash, hl, &why) == -1) {
		snprintf(err, CFG_ERR_MAX, "%s: %s", where, why);
		return -1;
	}
	memcpy(one.id.sub, one.name, nl + 1);
	if (ident_attrs(hash + hl, (size_t)(e - hash - hl), &one.id,
		&have_scopes, where, err) == -1)
		return -1;
	if (users_find(us, one.name) != NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: NAME is already a user", where);
		return -1;
	}
	if (us->n >= USERS_COUNT_MAX ||
	    (u = realloc(us->u, (us->n + 1) * sizeof(*u))) == NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "%s: more than %d users, or out of "
		    "memory",
		    where, USERS_COUNT_MAX);
		return -1;
	}
	us->u = u;
	us->u[us->n++] = one;
	return 0;
}

/* Adds each of id's scopes that us->scopes lacks. */
static void
users_union(struct users *us, const struct ident *id)
{
	const char  *p = id->scopes, *e;
	size_t       n, used = strlen(us->scopes);
	struct ident have;

	memcpy(have.scopes, us->scopes, sizeof(have.scopes));
	while (*p != '\0') {
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		memcpy(have.sub, p, n);
		have.sub[n] = '\0';
		if (!ident_has_scope(&have, have.sub) &&
		    used + n + 2 < sizeof(us->scopes)) {
			if (used > 0)
				us->scopes[used++] = ' ';
			memcpy(us->scopes + used, p, n);
			used += n;
			us->scopes[used] = '\0';
			memcpy(have.scopes, us->scopes, sizeof(have.scopes));
		}
		p += n + (e != NULL);
	}
}

/* A dummy hash of the first user's cost, of a random password. */
static int
users_dummy(struct users *us, char err[CFG_ERR_MAX])
{
	unsigned char pw[16], salt[16];
	long          m, t, p;

	if (us->n == 0)
		return 0;
	users_cost(us->u[0].hash, &m, &t, &p);
	if (getrandom(pw, sizeof(pw), 0) != (ssize_t)sizeof(pw) ||
	    getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt) ||
	    argon2id_hash_encoded((uint32_t)t, (uint32_t)m, (uint32_t)p, pw,
		sizeof(pw), salt, sizeof(salt), 32, us->dummy,
		sizeof(us->dummy)) != ARGON2_OK) {
		snprintf(err, CFG_ERR_MAX, "%s: cannot make the dummy hash",
		    USERS_VAR);
		return -1;
	}
	return 0;
}

int
users_parse(struct users *us, const char *text, size_t len,
    char err[CFG_ERR_MAX])
{
	size_t i;

	if (textfile_lines(USERS_VAR, text, len, users_line, us, err) == -1)
		return -1;
	for (i = 0; i < us->n; i++)
		users_union(us, &us->u[i].id);
	return 0;
}

int
users_read_file(struct users *us, const char *path, char err[CFG_ERR_MAX])
{
	char  *buf;
	size_t len;
	int    rc;

	if ((buf = textfile_read(USERS_VAR, path, USERS_FILE_MAX, &len, err)) ==
	    NULL)
		return -1;
	rc = users_parse(us, buf, len, err);
	wipe(buf, len);
	free(buf);
	if (rc == 0 && us->n == 0) {
		snprintf(err, CFG_ERR_MAX, "%s: holds no user", USERS_VAR);
		rc = -1;
	}
	if (rc == 0)
		rc = users_dummy(us, err);
	if (rc == -1)
		users_free(us);
	return rc;
}

void
users_free(struct users *us)
{
	if (us->u != NULL)
		wipe(us->u, us->n * sizeof(*us->u));
	free(us->u);
	us->u = NULL;
	us->n = 0;
	us->scopes[0] = '\0';
}

const struct user *
users_find(const struct users *us, const char *name)
{
	size_t i;

	for (i = 0; i < us->n; i++)
		if (strcmp(us->u[i].name, name) == 0)
			return &us->u[i];
	return NULL;
}

const struct user *
users_by_sub(const struct users *us, const char *sub)
{
	size_t i;

	for (i = 0; i < us->n; i++)
		if (strcmp(us->u[i].id.sub, sub) == 0)
			return &us->u[i];
	return NULL;
}

int
users_password_ok(const char *phc, const char *pw, size_t len)
{
	return argon2id_verify(phc, pw, len) == ARGON2_OK;
}
