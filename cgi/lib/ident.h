/*
 * ident: who a token's holder is and what it may do (the DTO auth answers
 * info with): a subject and a list of scopes, their rules, and their forms
 * on the wire.
 *
 * A subject is 1..IDENT_SUB_MAX characters of [A-Za-z0-9._@-]; a scope
 * 1..IDENT_SCOPE_MAX of [A-Za-z0-9._:-], at most IDENT_SCOPES_MAX of them.
 * Neither alphabet holds a blank, a comma, a quote or a backslash, so both
 * go into headers and JSON as they are.  Pure and thread-safe.
 */
#ifndef IDENT_H
#define IDENT_H

#include <stddef.h>

#include "cfg.h"

#define IDENT_SUB_MAX     64
#define IDENT_SCOPE_MAX   64
#define IDENT_SCOPES_MAX  32
/* The scopes as one space-separated string, with its NUL. */
#define IDENT_SCOPES_TEXT ((size_t)(IDENT_SCOPE_MAX + 1) * IDENT_SCOPES_MAX)
/* Longest JSON DTO: {"authenticated":true,"sub":"..","scopes":[..]}. */
#define IDENT_JSON_MAX                                                         \
	(64 + IDENT_SUB_MAX + (IDENT_SCOPE_MAX + 3) * IDENT_SCOPES_MAX)

struct ident {
	char sub[IDENT_SUB_MAX + 1];    /* "" when none */
	char scopes[IDENT_SCOPES_TEXT]; /* space-separated, "" when none */
};

/* 1 when s[0..len) is a valid subject, else 0. */
int ident_sub_ok(const char *s, size_t len);

/* 1 when s[0..len) is a valid scope, else 0. */
int ident_scope_ok(const char *s, size_t len);

/*
 * Parses a list of scopes separated by sep (',' in a token file) into
 * out (space-separated).  Returns 0, or -1 when a scope breaks the rules,
 * there are more than IDENT_SCOPES_MAX, or the list is empty.
 */
int ident_scopes_parse(const char *s, size_t len, char sep,
    char out[IDENT_SCOPES_TEXT]);

/*
 * Parses an entry's attributes a[0..n), separated by blanks, each at most
 * once: "sub=<subject>" into id->sub, "scope=<a,b,...>" into id->scopes
 * (then *have_scopes is 1).  What is not given is left as it was.  Returns
 * 0, or -1 with err naming the attribute and where, never its value.
 */
int ident_attrs(const char *a, size_t n, struct ident *id, int *have_scopes,
    const char *where, char err[CFG_ERR_MAX]);

/* 1 when id's scopes hold scope, else 0. */
int ident_has_scope(const struct ident *id, const char *scope);

/*
 * The DTO: {"authenticated":true,"sub":"alice","scopes":["a","b"]} (sub
 * left out when none) into buf.  Returns its length, or 0 when it does not
 * fit.
 */
size_t ident_json(const struct ident *id, char *buf, size_t cap);

#endif
