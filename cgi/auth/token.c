/*
 * token: the password grant.  The order of the checks is what keeps it
 * safe: the form's shape (400s, no guess), the budgets of the address and
 * of the name (429 before any hashing), the password on the hashing
 * threads (hashq.h: 503 when they are all taken), and only for the right
 * password the scope (400 invalid_scope) and the signature.
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

#include "app.h"
#include "b64url.h"
#include "clock.h"
#include "form.h"
#include "keys.h"
#include "log.h"
#include "resp.h"
#include "wipe.h"

#define TOKEN_CTYPE      "application/x-www-form-urlencoded"
#define TOKEN_GRANT_MAX  32
#define TOKEN_CLIENT_MAX 64
/* The answer: a token of the most scopes, and those scopes again. */
#define TOKEN_ANSWER_MAX (4 * IDENT_SCOPES_TEXT + 2048)
#define TOKEN_CLAIMS_MAX (IDENT_SCOPES_TEXT + AUTH_ISSUER_MAX + 512)

/* 400 with RFC 6749's error code beside the detail. */
static void
token_bad(struct svc_req *r, const char *error, const char *detail)
{
	char body[512];
	int  n = snprintf(body, sizeof(body),
	     "{\"detail\":\"%s\",\"error\":\"%s\"}", detail, error);

	resp_json(r, 400, NULL, body, (size_t)n);
}

/* The form, read whole (at most TOKEN_FORM_MAX).  -1 when too big. */
static long
token_body(struct svc_req *r, char *buf)
{
	size_t total = 0;
	int    n;

	while (total <= TOKEN_FORM_MAX &&
	    (n = FCGX_GetStr(buf + total, (int)(TOKEN_FORM_MAX + 1 - total),
		 r->fcgx.in)) > 0)
		total += (size_t)n;
	return total > TOKEN_FORM_MAX ? -1 : (long)total;
}

/* 1 when the request says its body is a form. */
static int
token_is_form(const struct svc_req *r)
{
	const char *ct = svc_param(r, "CONTENT_TYPE");
	size_t      n = sizeof(TOKEN_CTYPE) - 1;

	return ct != NULL && strncasecmp(ct, TOKEN_CTYPE, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * The scopes granted into out: those asked for (space-separated), each of
 * which the user must have, or all of the user's when none was asked.
 * Returns 0, or -1 when one is not the user's.
 */
static int
token_scopes(const struct ident *user, const char *asked, size_t len,
    char out[IDENT_SCOPES_TEXT])
{
	struct ident want;
	const char  *p, *e;
	char         one[IDENT_SCOPE_MAX + 1];
	size_t       n;

	if (len == 0) {
		memcpy(out, user->scopes, IDENT_SCOPES_TEXT);
		return 0;
	}
	if (ident_scopes_parse(asked, len, ' ', want.scopes) == -1)
		return -1;
	for (p = want.scopes; *p != '\0'; p += n + (e != NULL)) {
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		memcpy(one, p, n);
		one[n] = '\0';
		if (!ident_has_scope(user, one))
			return -1;
	}
	memcpy(out, want.scopes, IDENT_SCOPES_TEXT);
	return 0;
}

/* Signs an access token for id into tok.  Returns its length, or 0. */
static size_t
token_sign(const struct auth_app *a, const struct ident *id, const char *client,
    char *tok, size_t cap)
{
	unsigned char rnd[16];
	char      jti[B64URL_LEN(sizeof(rnd)) + 1], claims[TOKEN_CLAIMS_MAX];
	long long now = (long long)time(NULL);
	size_t    len = 0;
	int       n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) ||
	    b64url_encode(rnd, sizeof(rnd), jti, sizeof(jti)) == 0)
		return 0;
	n = snprintf(claims, sizeof(claims),
	    "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%lld,"
	    "\"iat\":%lld,\"jti\":\"%s\",\"client_id\":\"%s\","
	    "\"scope\":\"%s\"}",
	    a->issuer, id->sub, JWT_AUDIENCE, now + a->ttl_s, now, jti, client,
	    id->scopes);
	if (n < 0 || (size_t)n >= sizeof(claims))
		return 0;
	pthread_rwlock_rdlock(a->lock);
	if (a->set->ks.n > 0)
		len = jwt_sign(&a->set->ks.k[0], claims, tok, cap);
	pthread_rwlock_unlock(a->lock);
	return len;
}

static void
token_grant(const struct auth_app *a, struct svc_req *r, const struct ident *id,
    const char *client)
{
	char tok[TOKEN_ANSWER_MAX], body[TOKEN_ANSWER_MAX + 256];
	int  n;

	if (token_sign(a, id, client, tok, sizeof(tok)) == 0) {
		log_event("error", "POST /token: signing failed");
		resp_error(r, 500, NULL, "Internal Server Error");
		return;
	}
	memcpy(r->sub, id->sub, sizeof(r->sub));
	n = snprintf(body, sizeof(body),
	    "{\"access_token\":\"%s\",\"token_type\":\"bearer\","
	    "\"expires_in\":%ld,\"scope\":\"%s\"}",
	    tok, a->ttl_s, id->scopes);
	/* RFC 6749 section 5.1: no-store (resp's default) and no-cache. */
	resp_send(r, 200, "application/json", "Pragma: no-cache\r\n", body,
	    (size_t)n);
}

/* The budget key of a user name: a digest, so any name fits the table. */
static void
token_user_key(const char *name, char out[GUARD_ADDR_MAX + 1])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int  dl = 0;
	size_t        i;

	EVP_Digest(name, strlen(name), d, &dl, EVP_sha256(), NULL);
	snprintf(out, GUARD_ADDR_MAX + 1, "user:");
	for (i = 0; i < 16; i++)
		snprintf(out + 5 + 2 * i, 3, "%02x", d[i]);
}

/* The password was wrong, or the name nobody's: both budgets spend. */
static void
token_refused(const struct auth_app *a, struct svc_req *r, const char *client,
    const char *ukey)
{
	long long ms = auth_fail(r, a->guard, client),
		  ums = auth_fail(r, a->uguard, ukey);

	if (ms > 0 || ums > 0) {
		resp_retry(r, 429, ms > ums ? ms : ums, "Too Many Requests");
		return;
	}
	resp_error(r, 401, "WWW-Authenticate: Bearer\r\n",
	    "Incorrect username or password");
}

/* The form's fields, in form_parse()'s order. */
enum { F_GRANT, F_USER, F_PASS, F_SCOPE, F_CLIENT, F_N };

/*
 * Checks the form's shape.  Returns 0, or -1 having answered the 400.
 */
static int
token_form(struct svc_req *r, char *body, struct form_field *f)
{
	const char *why, *name;
	char        detail[160];
	long        len;

	if (!token_is_form(r)) {
		token_bad(r, "invalid_request",
		    "The body must be " TOKEN_CTYPE);
		return -1;
	}
	if ((len = token_body(r, body)) == -1) {
		token_bad(r, "invalid_request", "The form is too large");
		return -1;
	}
	if (form_parse(body, (size_t)len, f, F_N, &why, &name) == -1) {
		snprintf(detail, sizeof(detail), "%s%s%s", why,
		    name ? ": " : "", name ? name : "");
		token_bad(r, "invalid_request", detail);
		return -1;
	}
	if (!f[F_GRANT].seen || f[F_GRANT].len == 0) {
		token_bad(r, "invalid_request", "grant_type is required");
		return -1;
	}
	if (strcmp(f[F_GRANT].buf, "password") != 0) {
		token_bad(r, "unsupported_grant_type",
		    "Only grant_type=password is supported");
		return -1;
	}
	if (f[F_USER].len == 0 || f[F_PASS].len == 0) {
		token_bad(r, "invalid_request",
		    "username and password are required");
		return -1;
	}
	if (f[F_CLIENT].seen &&
	    !ident_sub_ok(f[F_CLIENT].buf, f[F_CLIENT].len)) {
		token_bad(r, "invalid_request", "client_id is malformed");
		return -1;
	}
	return 0;
}

/*
 * The user's hash (or the dummy's) and identity, copied under the lock:
 * the check runs without it.  Returns 1 when the user exists.
 */
static int
token_user(const struct auth_app *a, const char *name,
    char hash[USER_HASH_MAX + 1], struct ident *id)
{
	const struct user *u;

	pthread_rwlock_rdlock(a->lock);
	u = ident_sub_ok(name, strlen(name)) ? users_find(&a->set->us, name)
					     : NULL;
	memcpy(hash, u != NULL ? u->hash : a->set->us.dummy, USER_HASH_MAX + 1);
	if (u != NULL)
		*id = u->id;
	pthread_rwlock_unlock(a->lock);
	return u != NULL;
}

void
token_post(struct svc_req *r, const void *app)
{
	const struct auth_app *a = app;
	char body[TOKEN_FORM_MAX + 1], grant[TOKEN_GRANT_MAX + 1],
	    user[USER_NAME_MAX + 1], pass[USER_PASSWORD_MAX + 1],
	    scope[IDENT_SCOPES_TEXT], client[TOKEN_CLIENT_MAX + 1],
	    addr[GUARD_ADDR_MAX + 1], ukey[GUARD_ADDR_MAX + 1],
	    hash[USER_HASH_MAX + 1];
	struct form_field f[F_N] = {
		{ "grant_type", grant, TOKEN_GRANT_MAX, 0, 0 },
		{ "username", user, USER_NAME_MAX, 0, 0 },
		{ "password", pass, USER_PASSWORD_MAX, 0, 0 },
		{ "scope", scope, IDENT_SCOPES_TEXT - 1, 0, 0 },
		{ "client_id", client, TOKEN_CLIENT_MAX, 0, 0 },
	};
	struct ident       id;
	enum hashq_verdict v;
	long long          ms;
	int                known;

	if (token_form(r, body, f) == -1)
		goto out;
	if (a->hashq == NULL) { /* no AUTH_USERS_FILE: nobody to log in */
		token_bad(r, "unsupported_grant_type",
		    "No users here: the password grant is off");
		goto out;
	}
	auth_client(a, r, addr);
	token_user_key(user, ukey);
	if ((ms = guard_check(a->guard, addr, clock_ms())) > 0 ||
	    (ms = guard_check(a->uguard, ukey, clock_ms())) > 0) {
		resp_retry(r, 429, ms, "Too Many Requests");
		goto out;
	}
	known = token_user(a, user, hash, &id);
	v = hash[0] != '\0' ? hashq_check(a->hashq, hash, pass, f[F_PASS].len)
			    : HASHQ_MISMATCH;
	if (v == HASHQ_BUSY || v == HASHQ_TIMEOUT) {
		resp_retry(r, 503, 1000, "Too many logins at once");
		goto out;
	}
	if (v != HASHQ_MATCH || !known) {
		token_refused(a, r, addr, ukey);
		goto out;
	}
	if (token_scopes(&id, scope, f[F_SCOPE].len, id.scopes) == -1) {
		token_bad(r, "invalid_scope",
		    "A scope asked for is not the user's");
		goto out;
	}
	token_grant(a, r, &id, f[F_CLIENT].seen ? client : user);
out:
	wipe(pass, sizeof(pass));
	wipe(body, sizeof(body));
}

void
token_jwks(struct svc_req *r, const void *app)
{
	const struct auth_app *a = app;
	char                   buf[KEYS_JWKS_MAX];
	size_t                 len;

	pthread_rwlock_rdlock(a->lock);
	len = keys_jwks(&a->set->ks, buf, sizeof(buf));
	pthread_rwlock_unlock(a->lock);
	r->cache_control = a->keys_cc;
	resp_send(r, 200, "application/json", NULL, buf, len);
}

void
token_metadata(struct svc_req *r, const void *app)
{
	const struct auth_app *a = app;
	char        scopes[IDENT_SCOPES_TEXT * 2], body[sizeof(scopes) + 1024];
	const char *p, *e;
	size_t      o = 0, n;
	int         len;

	pthread_rwlock_rdlock(a->lock);
	for (p = a->set->us.scopes; *p != '\0'; p += n + (e != NULL)) {
		e = strchr(p, ' ');
		n = e ? (size_t)(e - p) : strlen(p);
		o += (size_t)snprintf(scopes + o, sizeof(scopes) - o,
		    "%s\"%.*s\"", o ? "," : "", (int)n, p);
	}
	pthread_rwlock_unlock(a->lock);
	scopes[o] = '\0';
	len = snprintf(body, sizeof(body),
	    "{\"issuer\":\"%s\",\"token_endpoint\":\"%s/token\","
	    "\"jwks_uri\":\"%s/.well-known/jwks.json\","
	    "\"grant_types_supported\":[\"password\"],"
	    "\"response_types_supported\":[],"
	    "\"token_endpoint_auth_methods_supported\":[\"none\"],"
	    "\"scopes_supported\":[%s]}",
	    a->issuer, a->issuer, a->issuer, scopes);
	r->cache_control = a->keys_cc;
	resp_send(r, 200, "application/json", NULL, body, (size_t)len);
}
