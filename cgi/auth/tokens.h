/*
 * tokens: the auth service's token store and the Authorization header parser.
 *
 * Tokens come from AUTH_TOKENS (comma-separated) or AUTH_TOKENS_FILE (one per
 * line, '#' comments).  Each is 1..TOKEN_MAX visible ASCII characters without
 * ',' and is kept zero-padded to TOKEN_MAX so that matching reads the same
 * bytes whatever the candidate is.  The store is built once before threads
 * start and only read afterwards, so matching is thread-safe.
 */
#ifndef TOKENS_H
#define TOKENS_H

#include <stddef.h>

#include "cfg.h"

/* Longest token: far above any bearer token in use, small enough to scan. */
#define TOKEN_MAX 256
/* Most tokens in a store: matching touches every one of them. */
#define TOKENS_COUNT_MAX 1024
/* Longest Authorization header looked at: "Bearer " + a token + blanks. */
#define AUTHZ_MAX 512
/* Largest AUTH_TOKENS_FILE read. */
#define TOKENS_FILE_MAX (1024 * 1024)

struct token {
	size_t		 len;
	unsigned char	 v[TOKEN_MAX];
};

struct tokens {
	size_t		 n;
	struct token	*t;		/* owned; freed by tokens_free() */
};

/*
 * Fills ts from AUTH_TOKENS or AUTH_TOKENS_FILE (exactly one must be set).
 * Returns 0, or -1 with err naming the variable (never a token).
 */
int tokens_load(struct tokens *ts, char err[CFG_ERR_MAX]);

/* Adds the tokens of a comma-separated list.  Returns 0, or -1 and err. */
int tokens_parse_list(struct tokens *ts, const char *list,
    char err[CFG_ERR_MAX]);

/* Adds the tokens of a token file's text.  Returns 0, or -1 and err. */
int tokens_parse_file(struct tokens *ts, const char *text, size_t len,
    char err[CFG_ERR_MAX]);

/* Releases what ts holds and empties it (its memory is wiped first). */
void tokens_free(struct tokens *ts);

/*
 * Finds the token in an Authorization header value: the raw token (the
 * tutorial's "Authorization: merixstudio") or "Bearer <token>", surrounding
 * blanks ignored.  On success sets *tok (a pointer into header) and *len and
 * returns 0; returns -1 when the header is NULL, longer than AUTHZ_MAX or
 * holds no well-formed token.  Pure.
 */
int tokens_extract(const char *header, const char **tok, size_t *len);

/*
 * Returns 1 when tok (len bytes) is in ts, else 0.  The time taken depends on
 * the number of tokens only, never on their content or on where they differ.
 */
int tokens_match(const struct tokens *ts, const char *tok, size_t len);

#endif
