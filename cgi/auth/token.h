/*
 * token: OAuth2's password grant (RFC 6749 section 4.3) and what a client
 * needs to check its tokens:
 *
 *   POST /token  a form (grant_type=password, username, password, scope):
 *                200 {"access_token":<JWT>,"token_type":"bearer",
 *                "expires_in":N,"scope":".."}; 401 {"detail":"Incorrect
 *                username or password"} as FastAPI's security tutorial
 *                answers; 400 {"detail":..,"error":<RFC 6749 code>}
 *   GET  /.well-known/jwks.json                  the keys (RFC 7517)
 *   GET  /.well-known/oauth-authorization-server  the metadata (RFC 8414)
 *
 * Handlers for svc's route table; app is the struct auth_app.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include "svc.h"

/* Largest form read: a longest password, percent-encoded, and the rest. */
#define TOKEN_FORM_MAX 8192

void token_post(struct svc_req *r, const void *app);
void token_jwks(struct svc_req *r, const void *app);
void token_metadata(struct svc_req *r, const void *app);

#endif
