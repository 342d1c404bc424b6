/*
 * tokens: the auth service's token store and the Authorization header parser.
 *
 * Tokens come from AUTH_TOKENS (comma-separated) or AUTH_TOKENS_FILE (one per
 * line, '#' comments).  Each entry is a token (1..TOKEN_MAX visible ASCII
 * characters without ',') or "sha256:" and the 64 hex digits of a token's
 * SHA-256, so that a file need not hold secrets.  In the file, the entry
 * may be followed, after blanks, by attributes (ident.h's rules), each at
 * most once, separated by blanks: "sub=<subject>" and "scope=<a,b,...>".
 * An entry without sub= has the subject "token-<N>", N its place among the
 * entries (1 for the first): stable while the entries keep their order,
 * and a function of no part of the token, so a subject read in a log or a
 * header gives nothing to test a guess against.  The store keeps digests
 * only: matching hashes the candidate and compares it with every digest, all
 * bytes every time.  A store is only read once built; auth.fcgi swaps in a
 * new one on SIGHUP under a lock (main.c).
 */
#ifndef TOKENS_H
#define TOKENS_H

#include <stddef.h>

#include "authz.h"
#include "cfg.h"
#include "ident.h"
#include "sha256.h"

/* Longest token: far above any bearer token in use, small enough to scan. */
#define TOKEN_MAX        256
/* Most tokens in a store: matching touches every one of them. */
#define TOKENS_COUNT_MAX 1024
/* Largest AUTH_TOKENS_FILE read. */
#define TOKENS_FILE_MAX  ((size_t)1024 * 1024)

/* An entry that is a digest, not a token. */
#define TOKENS_HASH_PREFIX     "sha256:"
#define TOKENS_HASH_PREFIX_LEN (sizeof(TOKENS_HASH_PREFIX) - 1)

struct token {
	unsigned char h[SHA256_LEN]; /* SHA-256 of the token */
	char          sub[IDENT_SUB_MAX + 1];
	char         *scopes; /* space-separated, owned; NULL: none */
};

/* A store's generation: 16 hex digits and a NUL. */
#define TOKENS_GEN_LEN 17

struct tokens {
	size_t        n;
	struct token *t; /* owned; freed by tokens_free() */
	/*
	 * What identifies this set of tokens and identities: the first 64
	 * bits of a SHA-256 over every entry's digest, subject and scopes,
	 * in hex.  Set by a parse that succeeds; the same file gives the same
	 * generation in every replica, a changed one another (tokens_load).
	 */
	char gen[TOKENS_GEN_LEN];
};

/*
 * Fills ts from AUTH_TOKENS or AUTH_TOKENS_FILE (exactly one must be set);
 * *file is AUTH_TOKENS_FILE's path when that was the source, else NULL (what
 * a reload reads again).  Returns 0, or -1 with err naming the variable
 * (never a token).
 */
int tokens_load(struct tokens *ts, const char **file, char err[CFG_ERR_MAX]);

/*
 * Adds the tokens of the token file at path (AUTH_TOKENS_FILE's format, at
 * most TOKENS_FILE_MAX bytes).  Returns 0, or -1 and err.
 */
int
tokens_read_file(struct tokens *ts, const char *path, char err[CFG_ERR_MAX]);

/* Adds the tokens of a comma-separated list.  Returns 0, or -1 and err. */
int
tokens_parse_list(struct tokens *ts, const char *list, char err[CFG_ERR_MAX]);

/* Adds the tokens of a token file's text.  Returns 0, or -1 and err. */
int tokens_parse_file(struct tokens *ts, const char *text, size_t len,
    char err[CFG_ERR_MAX]);

/* Releases what ts holds and empties it (its memory is wiped first). */
void tokens_free(struct tokens *ts);

/*
 * Returns 1 when tok (len bytes) is in ts, else 0.  The time taken depends on
 * the number of tokens and the candidate's length only, never on the
 * store's content or on where a candidate differs from it.
 */
int tokens_match(const struct tokens *ts, const char *tok, size_t len);

/*
 * As tokens_match(), in the same time, but returns the entry that matched
 * (the last, if the store holds it twice), or NULL.  Valid while ts is.
 */
const struct token *
tokens_find(const struct tokens *ts, const char *tok, size_t len);

/* The token's identity (subject and scopes) into id. */
void tokens_ident(const struct token *t, struct ident *id);

#endif
