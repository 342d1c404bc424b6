/*
 * authz: the shape of an Authorization header, as both services judge it
 * before anything looks for a token in it (RFC 6750 section 3.1).
 *
 * No header, or only blanks: no credentials (401, a plain challenge).  A
 * header with a control character (other than a tab) or longer than
 * AUTHZ_MAX cannot hold a token of ours: a malformed request (400,
 * error="invalid_request"), which is no guess and is not counted as a failed
 * login.  Anything else carries a token to look up (a miss is 401,
 * error="invalid_token").  Pure and thread-safe.
 */
#ifndef AUTHZ_H
#define AUTHZ_H

#include <stddef.h>

/*
 * Longest Authorization header looked at: "Bearer " + an access token over
 * jwt.h's JWT_MAX (8 KiB), so that such a token is refused as a token (401
 * invalid_token), not as a malformed request.  The gateway's header
 * buffers (16 KiB) hold it.
 */
#define AUTHZ_MAX 12288

enum authz_shape {
	AUTHZ_NONE,      /* absent or blank */
	AUTHZ_MALFORMED, /* a control character, or over AUTHZ_MAX */
	AUTHZ_CREDENTIALS,
};

/* The shape of header (NULL: absent). */
enum authz_shape authz_shape(const char *header);

/* 1 when c may be in a token: visible ASCII but the comma (lists' mark). */
int authz_token_char(unsigned char c);

/*
 * Finds the token in an Authorization header value: the raw token (the
 * tutorial's "Authorization: merixstudio") or "Bearer <token>", surrounding
 * blanks ignored.  On success sets *tok (a pointer into header) and *len and
 * returns 0; returns -1 when the header is NULL, longer than AUTHZ_MAX or
 * holds no well-formed token (visible ASCII, any length: a static token's
 * is auth's tokens_find() to judge, an access token's jwt_verify()).  Pure.
 */
int authz_token(const char *header, const char **tok, size_t *len);

#endif
