/*
 * resp: writing a response to a FastCGI request.
 *
 * Each response (headers and body) is assembled in one buffer and handed to
 * libfcgi in one call.  Every response carries Content-Length,
 * Cache-Control (no-store, or the handler's r->cache_control), the
 * handler's r->hdr lines, and X-Content-Type-Options: nosniff; errors are
 * {"detail": "..."} with Content-Type: application/json, as FastAPI answers.
 */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>

#include "svc.h"

/*
 * Largest JSON body: the largest identity auth can answer (ident.h's
 * IDENT_JSON_MAX, 2272 bytes) must fit, or one token holder's every login
 * would be a 500 (resp.c checks it at compile time).
 */
#define RESP_BODY_MAX 4096

/*
 * Answers r with status and a JSON body of len bytes.  extra is NULL or
 * header lines, each ending in "\r\n".  For HEAD the body is left out but
 * Content-Length stays.  Returns 0, or -1 when the peer went away (logged by
 * the caller's status line, never fatal).
 */
int resp_json(struct svc_req *r, int status, const char *extra,
    const char *body, size_t len);

/*
 * Answers r with status, Content-Type ctype and a body of len bytes (any
 * size: metrics are kilobytes).  Otherwise as resp_json().
 */
int resp_send(struct svc_req *r, int status, const char *ctype,
    const char *extra, const char *body, size_t len);

/*
 * The one 401 of the system, for auth's refusal and info's passing it on:
 * {"detail":"Invalid or missing token"} with the challenge RFC 9110
 * requires; when a token was sent (sent), with RFC 6750's
 * error="invalid_token".  Returns as resp_json.
 */
int resp_unauthorized(struct svc_req *r, int sent);

/*
 * The 400 of an Authorization header that cannot hold a token (authz.h):
 * {"detail":"Malformed Authorization header"}, with RFC 6750's
 * error="invalid_request".  Returns as resp_json.
 */
int resp_bad_authorization(struct svc_req *r);

/*
 * An error that ends: detail with Retry-After, retry_ms rounded up to whole
 * seconds, at least one (429 throttled, 503 unavailable, 504 timed out).
 * Returns as resp_json.
 */
int resp_retry(struct svc_req *r, int status, long long retry_ms,
    const char *detail);

/* Answers r with status and {"detail": detail}.  Returns as resp_json. */
int resp_error(struct svc_req *r, int status, const char *extra,
    const char *detail);

/*
 * Builds {"detail": detail} (detail escaped by cJSON) into buf.  Returns the
 * length, or 0 when it does not fit.  Pure, thread-safe.
 */
size_t resp_error_body(char *buf, size_t cap, const char *detail);

/* The reason phrase for status ("Unauthorized"), "Unknown" if none. */
const char *resp_reason(int status);

#endif
