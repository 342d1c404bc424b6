/*
 * jwt: the checks run in the order of their cost: the shape and sizes, the
 * header (kid, alg, typ, no embedded key), then the signature, and only
 * then the claims are read at all.
 */
#include "jwt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "b64url.h"

/* Ed25519: raw public keys and signatures (RFC 8032). */
#define JWT_ED25519_PUB 32
#define JWT_ED25519_SIG 64
/* Largest decoded header: ours is ~90 bytes. */
#define JWT_HEADER_MAX  512
/* Members of a header or claims object looked at, at most. */
#define JWT_MEMBERS_MAX 32

int
jwt_keyset_add(struct jwt_keyset *ks, EVP_PKEY *pkey)
{
	unsigned char raw[JWT_ED25519_PUB], h[EVP_MAX_MD_SIZE];
	char          x[B64URL_LEN(JWT_ED25519_PUB) + 1], json[128];
	size_t        rawlen = sizeof(raw);
	unsigned int  hlen = 0;
	int           n;

	/* Once per process; safe from any thread, and again. */
	if (ks->n >= JWT_KEYS_MAX || sodium_init() == -1 ||
	    EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 ||
	    rawlen != sizeof(ks->k[0].pub) ||
	    b64url_encode(raw, rawlen, x, sizeof(x)) == 0)
		goto fail;
	/* RFC 7638: the required members, in lexical order, no blanks. */
	n = snprintf(json, sizeof(json),
	    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (n < 0 || (size_t)n >= sizeof(json) ||
	    EVP_Digest(json, (size_t)n, h, &hlen, EVP_sha256(), NULL) != 1 ||
	    b64url_encode(h, hlen, ks->k[ks->n].kid, JWT_KID_LEN + 1) !=
		JWT_KID_LEN)
		goto fail;
	memcpy(ks->k[ks->n].pub, raw, rawlen);
	ks->k[ks->n++].pkey = pkey;
	return 0;
fail:
	EVP_PKEY_free(pkey);
	return -1;
}

void
jwt_keyset_free(struct jwt_keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->k[i].pkey);
	ks->n = 0;
}

size_t
jwt_jwk(const struct jwt_key *k, char *buf, size_t cap)
{
	unsigned char raw[JWT_ED25519_PUB];
	char          x[B64URL_LEN(JWT_ED25519_PUB) + 1];
	size_t        rawlen = sizeof(raw);
	int           n;

	if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 ||
	    b64url_encode(raw, rawlen, x, sizeof(x)) == 0)
		return 0;
	n = snprintf(buf, cap,
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\","
	    "\"use\":\"sig\",\"alg\":\"EdDSA\"}",
	    x, k->kid);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

const char jwt_why_unknown_kid[] = "The token's key is unknown";

/* 1 when o's members each appear once (JWT_MEMBERS_MAX at most), else 0. */
static int
jwt_members_once(const cJSON *o)
{
	const cJSON *a, *b;
	size_t       count = 0;

	for (a = o->child; a != NULL; a = a->next) {
		if (++count > JWT_MEMBERS_MAX || a->string == NULL)
			return 0;
		for (b = a->next; b != NULL; b = b->next)
			if (b->string != NULL &&
			    strcmp(a->string, b->string) == 0)
				return 0;
	}
	return 1;
}

/* 1 when o's member name is absent or the string want, else 0. */
static int
jwt_member_is(const cJSON *o, const char *name, const char *want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	return m == NULL ||
	    (cJSON_IsString(m) && strcmp(m->valuestring, want) == 0);
}

/* Adds the Ed25519 JWK k to ks: 0, 1 when it is another type, or -1. */
static int
jwt_jwk_add(struct jwt_keyset *ks, const cJSON *k)
{
	const cJSON  *kty, *crv, *x, *kid;
	unsigned char raw[JWT_ED25519_PUB];
	size_t        n;
	EVP_PKEY     *pkey;

	if (!cJSON_IsObject(k) || !jwt_members_once(k))
		return -1;
	kty = cJSON_GetObjectItemCaseSensitive(k, "kty");
	crv = cJSON_GetObjectItemCaseSensitive(k, "crv");
	x = cJSON_GetObjectItemCaseSensitive(k, "x");
	kid = cJSON_GetObjectItemCaseSensitive(k, "kid");
	if (!cJSON_IsString(kty))
		return -1;
	if (strcmp(kty->valuestring, "OKP") != 0 ||
	    (cJSON_IsString(crv) && strcmp(crv->valuestring, "Ed25519") != 0))
		return 1;
	if (!cJSON_IsString(crv) || !cJSON_IsString(x) ||
	    !jwt_member_is(k, "use", "sig") ||
	    !jwt_member_is(k, "alg", "EdDSA") ||
	    (kid != NULL && !cJSON_IsString(kid)) ||
	    b64url_decode(x->valuestring, strlen(x->valuestring), raw,
		sizeof(raw), &n) == -1 ||
	    n != sizeof(raw) ||
	    (pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw,
		 n)) == NULL ||
	    jwt_keyset_add(ks, pkey) == -1)
		return -1;
	/* A kid that is not the key's thumbprint names another key. */
	if (kid != NULL && strcmp(kid->valuestring, ks->k[ks->n - 1].kid) != 0)
		return -1;
	return 0;
}

int
jwt_keyset_from_jwks(struct jwt_keyset *ks, const char *json, size_t len)
{
	cJSON       *doc;
	const cJSON *keys, *k;
	int          ok = 0;

	ks->n = 0;
	if (len > JWT_JWKS_MAX ||
	    (doc = cJSON_ParseWithLength(json, len)) == NULL)
		return -1;
	keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	if (cJSON_IsObject(doc) && jwt_members_once(doc) &&
	    cJSON_IsArray(keys)) {
		ok = 1;
		cJSON_ArrayForEach(k, keys)
		{
			if (jwt_jwk_add(ks, k) == -1) {
				ok = 0;
				break;
			}
		}
	}
	cJSON_Delete(doc);
	if (!ok)
		jwt_keyset_free(ks);
	return ok ? 0 : -1;
}

/* 1 when c is in base64url's alphabet. */
static int
jwt_b64c(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
jwt_shaped(const char *tok, size_t len)
{
	size_t i, dots = 0, part = 0;

	for (i = 0; i < len; i++) {
		if (tok[i] == '.') {
			if (part == 0 || ++dots > 2)
				return 0;
			part = 0;
		} else if (!jwt_b64c((unsigned char)tok[i]))
			return 0;
		else
			part++;
	}
	/* An empty signature is an unsecured JWT's (alg none): refused
	 * by jwt_verify() with its reason, not taken for a static token. */
	return dots == 2;
}

size_t
jwt_sign(const struct jwt_key *k, const char *claims, char *out, size_t cap)
{
	char          hdr[128];
	unsigned char sig[JWT_ED25519_SIG];
	size_t        o, n, siglen = sizeof(sig);
	EVP_MD_CTX   *ctx;
	int           ok;

	snprintf(hdr, sizeof(hdr),
	    "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", k->kid);
	if ((o = b64url_encode(hdr, strlen(hdr), out, cap)) == 0 ||
	    o + 1 >= cap)
		return 0;
	out[o++] = '.';
	if ((n = b64url_encode(claims, strlen(claims), out + o, cap - o)) == 0)
		return 0;
	o += n;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)out, o) ==
		1;
	EVP_MD_CTX_free(ctx);
	if (!ok || o + 1 >= cap)
		return 0;
	out[o++] = '.';
	if ((n = b64url_encode(sig, siglen, out + o, cap - o)) == 0)
		return 0;
	return o + n;
}

/*
 * Parses b64[0..len), base64url of a JSON object, decoding into buf (cap
 * bytes).  Returns the object (free with cJSON_Delete), or NULL when it is
 * not one, is too big, or holds a member twice or more than
 * JWT_MEMBERS_MAX of them.
 */
static cJSON *
jwt_object(const char *b64, size_t len, unsigned char *buf, size_t cap)
{
	size_t n;
	cJSON *o;

	if (b64url_decode(b64, len, buf, cap, &n) == -1 ||
	    (o = cJSON_ParseWithLength((const char *)buf, n)) == NULL)
		return NULL;
	if (cJSON_IsObject(o) && jwt_members_once(o))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* The header's key, or NULL with *why. */
static const struct jwt_key *
jwt_header_key(const struct jwt_keyset *ks, const cJSON *h, const char **why)
{
	static const char *const embedded[] = { "jwk", "jku", "x5u", "x5c",
		"crit" };
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
	size_t       i;

	for (i = 0; i < sizeof(embedded) / sizeof(embedded[0]); i++)
		if (cJSON_GetObjectItemCaseSensitive(h, embedded[i]) != NULL) {
			*why =
			    "The token's header carries a key or an extension";
			return NULL;
		}
	/* RFC 9068 section 4: "at+jwt" or its long form, any case. */
	if (!cJSON_IsString(typ) ||
	    (strcasecmp(typ->valuestring, "at+jwt") != 0 &&
		strcasecmp(typ->valuestring, "application/at+jwt") != 0)) {
		*why = "The token is not an access token (typ)";
		return NULL;
	}
	/* The algorithm is the key's: every key of ours is Ed25519. */
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "EdDSA") != 0) {
		*why = "The token's algorithm is not its key's";
		return NULL;
	}
	if (cJSON_IsString(kid))
		for (i = 0; i < ks->n; i++)
			if (strcmp(ks->k[i].kid, kid->valuestring) == 0)
				return &ks->k[i];
	*why = jwt_why_unknown_kid;
	return NULL;
}

static int
jwt_signature_ok(const struct jwt_key *k, const char *tok, size_t signed_len,
    const char *sig64, size_t sig64_len)
{
	unsigned char sig[JWT_ED25519_SIG];
	size_t        siglen;

	return b64url_decode(sig64, sig64_len, sig, sizeof(sig), &siglen) ==
	    0 &&
	    siglen == sizeof(sig) &&
	    crypto_sign_verify_detached(sig, (const unsigned char *)tok,
		signed_len, k->pub) == 0;
}

/* 1 when aud (a string or an array of them) names JWT_AUDIENCE. */
static int
jwt_aud_ok(const cJSON *aud)
{
	const cJSON *a;

	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, JWT_AUDIENCE) == 0;
	if (!cJSON_IsArray(aud))
		return 0;
	cJSON_ArrayForEach(a, aud)
	{
		if (cJSON_IsString(a) &&
		    strcmp(a->valuestring, JWT_AUDIENCE) == 0)
			return 1;
	}
	return 0;
}

/* A NumericDate member as whole seconds, or -1 when absent or not one. */
static long long
jwt_date(const cJSON *c, const char *name)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, name);

	if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 1e13)
		return -1;
	return (long long)d->valuedouble;
}

static int
jwt_claims_ok(const cJSON *c, const char *iss, long long now,
    struct jwt_claims *out, const char **why)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(c, "iss");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(c, "sub");
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(c, "scope");
	long long    nbf = jwt_date(c, "nbf");
	size_t       len;

	memset(out, 0, sizeof(*out));
	*why = "The token's claims are not ours";
	if (!cJSON_IsString(i) || strcmp(i->valuestring, iss) != 0 ||
	    !jwt_aud_ok(cJSON_GetObjectItemCaseSensitive(c, "aud")))
		return -1;
	if ((out->exp = jwt_date(c, "exp")) == -1) {
		*why = "The token has no expiry";
		return -1;
	}
	if (now >= out->exp + JWT_LEEWAY_S) {
		*why = "The token has expired";
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(c, "nbf") != NULL &&
	    (nbf == -1 || nbf > now + JWT_LEEWAY_S)) {
		*why = "The token is not valid yet";
		return -1;
	}
	out->iat = jwt_date(c, "iat") > 0 ? jwt_date(c, "iat") : 0;
	if (!cJSON_IsString(sub) ||
	    !ident_sub_ok(sub->valuestring, strlen(sub->valuestring)))
		return -1;
	memcpy(out->id.sub, sub->valuestring, strlen(sub->valuestring) + 1);
	if (scope == NULL)
		return 0;
	if (!cJSON_IsString(scope) ||
	    ((len = strlen(scope->valuestring)) > 0 &&
		ident_scopes_parse(scope->valuestring, len, ' ',
		    out->id.scopes) == -1))
		return -1;
	return 0;
}

int
jwt_verify(const struct jwt_keyset *ks, const char *tok, size_t len,
    const char *iss, long long now, struct jwt_claims *out, const char **why)
{
	unsigned char         buf[JWT_MAX];
	const char           *d1, *d2;
	const struct jwt_key *k;
	cJSON                *h = NULL, *c = NULL;
	int                   rc = -1;

	*why = "The token is malformed";
	if (len > JWT_MAX) {
		*why = "The token is too long";
		return -1;
	}
	if (!jwt_shaped(tok, len))
		return -1;
	d1 = memchr(tok, '.', len);
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	if ((h = jwt_object(tok, (size_t)(d1 - tok), buf, JWT_HEADER_MAX)) ==
	    NULL)
		return -1;
	if ((k = jwt_header_key(ks, h, why)) == NULL)
		goto out;
	if (!jwt_signature_ok(k, tok, (size_t)(d2 - tok), d2 + 1,
		len - (size_t)(d2 + 1 - tok))) {
		*why = "The token's signature does not verify";
		goto out;
	}
	*why = "The token is malformed";
	if ((c = jwt_object(d1 + 1, (size_t)(d2 - d1 - 1), buf, sizeof(buf))) ==
	    NULL)
		goto out;
	rc = jwt_claims_ok(c, iss, now, out, why);
out:
	cJSON_Delete(h);
	cJSON_Delete(c);
	return rc;
}
