/*
 * Unit tests of jwt: what auth signs verifies, and each forgery a JWT
 * library must refuse is refused, with its reason.
 */
#include <stdio.h>
#include <time.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "jwt.h"
#include "t.h"

#define ISS "https://auth.example"

static struct jwt_keyset ks, other;
static long long         now;

/* header.claims, signed by k (NULL: a signature of zeros). */
static void
forge(const char *hdr, const char *claims, EVP_PKEY *k, char *out, size_t cap)
{
	unsigned char sig[64] = { 0 };
	size_t        o, siglen = sizeof(sig);
	EVP_MD_CTX   *ctx = EVP_MD_CTX_new();

	o = b64url_encode(hdr, strlen(hdr), out, cap);
	out[o++] = '.';
	o += b64url_encode(claims, strlen(claims), out + o, cap - o);
	if (k != NULL) {
		EVP_DigestSignInit(ctx, NULL, NULL, NULL, k);
		EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)out, o);
	}
	EVP_MD_CTX_free(ctx);
	out[o++] = '.';
	b64url_encode(sig, siglen, out + o, cap - o);
}

static void
claims(char *out, size_t cap, long long exp, const char *extra)
{
	snprintf(out, cap,
	    "{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":\"" JWT_AUDIENCE
	    "\",\"exp\":%lld,\"iat\":%lld,\"scope\":\"read write\"%s}",
	    exp, now, extra);
}

static void
header(char *out, size_t cap, const char *alg, const char *typ, const char *kid,
    const char *extra)
{
	snprintf(out, cap, "{\"alg\":\"%s\",\"typ\":\"%s\",\"kid\":\"%s\"%s}",
	    alg, typ, kid, extra);
}

/* 0 when tok verifies; else -1 and why checked to hold want. */
static int
verify(const char *tok, const char *want)
{
	struct jwt_claims c;
	const char       *why = "";
	int rc = jwt_verify(&ks, tok, strlen(tok), ISS, now, &c, &why);

	if (rc == -1 && want != NULL && strstr(why, want) == NULL)
		printf("# reason '%s', wanted '%s'\n", why, want);
	return rc == -1 && want != NULL && strstr(why, want) == NULL ? 0 : rc;
}

static void
a_signed_token_verifies_and_gives_its_subject_and_scopes(void)
{
	char              c[512], tok[2048];
	struct jwt_claims out;
	const char       *why;

	claims(c, sizeof(c), now + 900, "");
	T_CHECK(jwt_sign(&ks.k[0], c, tok, sizeof(tok)) > 0, "signed");
	T_CHECK(jwt_shaped(tok, strlen(tok)), "shaped");
	T_CHECK(jwt_verify(&ks, tok, strlen(tok), ISS, now, &out, &why) == 0,
	    "verifies");
	T_STREQ(out.id.sub, "alice", "sub");
	T_STREQ(out.id.scopes, "read write", "scopes");
	T_CHECK(out.exp == now + 900 && out.iat == now, "dates");
}

static void
the_algorithm_is_the_keys_none_and_hs256_are_refused(void)
{
	char c[512], h[256], tok[2048];

	claims(c, sizeof(c), now + 900, "");
	header(h, sizeof(h), "none", "at+jwt", ks.k[0].kid, "");
	forge(h, c, NULL, tok, sizeof(tok));
	T_CHECK(verify(tok, "algorithm") == -1, "alg none");
	header(h, sizeof(h), "HS256", "at+jwt", ks.k[0].kid, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "algorithm") == -1, "HS256");
	header(h, sizeof(h), "RS256", "at+jwt", ks.k[0].kid, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "algorithm") == -1, "RS256");
}

/* A token of ks's first key whose header carries extra: refused for want. */
static void
header_refused(const char *extra, const char *want, const char *what)
{
	char c[512], h[512], tok[4096];

	claims(c, sizeof(c), now + 900, "");
	header(h, sizeof(h), "EdDSA", "at+jwt", ks.k[0].kid, extra);
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, want) == -1, what);
}

static void
an_unknown_kid_or_a_key_in_the_header_is_refused(void)
{
	char c[512], h[512], tok[4096];

	claims(c, sizeof(c), now + 900, "");
	header(h, sizeof(h), "EdDSA", "at+jwt", other.k[0].kid, "");
	forge(h, c, other.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "unknown") == -1, "another key's kid");
	header_refused(",\"jwk\":{\"kty\":\"OKP\"}", "carries a key", "jwk");
	header_refused(",\"jku\":\"https://evil.example/jwks\"",
	    "carries a key", "jku");
	header_refused(",\"x5c\":[\"MII\"]", "carries a key", "x5c");
	header_refused(",\"crit\":[\"b64\"]", "extension", "crit");
}

static void
another_keys_signature_or_an_altered_token_is_refused(void)
{
	char c[512], h[256], tok[2048], *p;

	claims(c, sizeof(c), now + 900, "");
	header(h, sizeof(h), "EdDSA", "at+jwt", ks.k[0].kid, "");
	forge(h, c, other.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "signature") == -1, "signed by another key");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, NULL) == 0, "the same, by the right key");
	p = strchr(tok, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	T_CHECK(verify(tok, NULL) == -1, "one character of the claims");
}

static void
typ_iss_aud_exp_and_nbf_are_checked_with_30_s_leeway(void)
{
	char c[512], h[256], tok[2048];

	header(h, sizeof(h), "EdDSA", "JWT", ks.k[0].kid, "");
	claims(c, sizeof(c), now + 900, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "typ") == -1, "typ JWT");
	header(h, sizeof(h), "EdDSA", "application/AT+JWT", ks.k[0].kid, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, NULL) == 0, "typ's long form, any case");
	header(h, sizeof(h), "EdDSA", "at+jwt", ks.k[0].kid, "");
	claims(c, sizeof(c), now - 31, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "expired") == -1, "exp 31 s ago");
	claims(c, sizeof(c), now - 29, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, NULL) == 0, "exp 29 s ago: within the leeway");
	claims(c, sizeof(c), now + 900, ",\"nbf\":99999999999");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "not valid yet") == -1, "nbf to come");
	snprintf(c, sizeof(c),
	    "{\"iss\":\"https://evil.example\",\"sub\":\"alice\",\"aud\":\"" JWT_AUDIENCE
	    "\",\"exp\":%lld}",
	    now + 900);
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "claims") == -1, "another issuer");
	snprintf(c, sizeof(c),
	    "{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":[\"a\",\"b\"],"
	    "\"exp\":%lld}",
	    now + 900);
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "claims") == -1, "another audience");
	snprintf(c, sizeof(c),
	    "{\"iss\":\"" ISS
	    "\",\"sub\":\"alice\",\"aud\":[\"a\",\"" JWT_AUDIENCE "\"]}");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "no expiry") == -1, "no exp");
}

static void
a_member_twice_a_bad_sub_or_an_oversized_token_is_refused(void)
{
	static char big[JWT_MAX + 2];
	char        c[512], h[256], tok[2048];

	header(h, sizeof(h), "EdDSA", "at+jwt", ks.k[0].kid,
	    ",\"alg\":\"none\"");
	claims(c, sizeof(c), now + 900, "");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "malformed") == -1, "alg twice");
	header(h, sizeof(h), "EdDSA", "at+jwt", ks.k[0].kid, "");
	claims(c, sizeof(c), now + 900, ",\"sub\":\"mallory\"");
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "malformed") == -1, "sub twice");
	snprintf(c, sizeof(c),
	    "{\"iss\":\"" ISS "\",\"sub\":\"a b\",\"aud\":\"" JWT_AUDIENCE
	    "\",\"exp\":%lld}",
	    now + 900);
	forge(h, c, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(verify(tok, "claims") == -1, "a subject with a blank");
	memset(big, 'a', JWT_MAX + 1);
	T_CHECK(verify(big, "too long") == -1, "over JWT_MAX");
	T_CHECK(verify("a.b", "malformed") == -1, "two parts");
	T_CHECK(verify("a..b", "malformed") == -1, "an empty part");
	T_CHECK(!jwt_shaped("merixstudio", 11), "a static token is no JWT");
}

static void
the_jwk_is_the_public_key_with_its_thumbprint(void)
{
	char buf[JWT_JWK_MAX];

	T_CHECK(jwt_jwk(&ks.k[0], buf, sizeof(buf)) > 0, "fits");
	T_CHECK(strstr(buf, "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"") ==
		buf + 1,
	    "OKP Ed25519");
	T_CHECK(strstr(buf, ks.k[0].kid) != NULL, "kid");
	T_CHECK(strlen(ks.k[0].kid) == JWT_KID_LEN, "43 characters");
	T_CHECK(strstr(buf, "\"d\"") == NULL, "no private part");
}

static void
only_ed25519_keys_join_a_set(void)
{
	struct jwt_keyset s = { 0 };

	T_CHECK(jwt_keyset_add(&s,
		    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == -1,
	    "P-256 refused (and freed)");
	T_CHECK(s.n == 0, "nothing added");
}

/* A JWKS of ks's key (its JWK, with extra members) read back. */
static void
a_jwks_gives_the_keys_that_verify(void)
{
	struct jwt_keyset s = { 0 };
	char jwk[JWT_JWK_MAX], doc[1024], hdr[256], cl[512], tok[1024];
	struct jwt_claims c;
	const char       *why;
	size_t            n;

	n = jwt_jwk(&ks.k[0], jwk, sizeof(jwk));
	T_CHECK(n > 0, "a JWK");
	snprintf(doc, sizeof(doc),
	    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\",\"e\":\"AQAB\"},%s]}",
	    jwk);
	T_CHECK(jwt_keyset_from_jwks(&s, doc, strlen(doc)) == 0 && s.n == 1,
	    "an RSA key skipped, ours read");
	T_CHECK(strcmp(s.k[0].kid, ks.k[0].kid) == 0, "the same kid");
	header(hdr, sizeof(hdr), "EdDSA", "at+jwt", ks.k[0].kid, "");
	claims(cl, sizeof(cl), now + 60, "");
	forge(hdr, cl, ks.k[0].pkey, tok, sizeof(tok));
	T_CHECK(jwt_verify(&s, tok, strlen(tok), ISS, now, &c, &why) == 0,
	    "a token of that key verifies with the key read");
	jwt_keyset_free(&s);
}

static void
a_malformed_jwks_or_a_wrong_kid_is_refused(void)
{
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"keys\":{}}",
		"{\"keys\":[1]}",
		"{\"keys\":[],\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}]}",
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}]}",
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\",\"x\":\"AAAA\"}]}",
	};
	struct jwt_keyset s = { 0 };
	char              jwk[JWT_JWK_MAX], doc[1024], *k;
	size_t            i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_CHECK(jwt_keyset_from_jwks(&s, bad[i], strlen(bad[i])) ==
			    -1 &&
			s.n == 0,
		    bad[i]);
	/* Our key under another key's kid, and with another alg. */
	jwt_jwk(&ks.k[0], jwk, sizeof(jwk));
	k = strstr(jwk, "\"kid\":\"") + 7;
	*k = *k == 'A' ? 'B' : 'A';
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk);
	T_CHECK(jwt_keyset_from_jwks(&s, doc, strlen(doc)) == -1 && s.n == 0,
	    "a kid that is not the key's thumbprint");
	jwt_jwk(&ks.k[0], jwk, sizeof(jwk));
	memcpy(strstr(jwk, "EdDSA"), "ES256", 5);
	snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", jwk);
	T_CHECK(jwt_keyset_from_jwks(&s, doc, strlen(doc)) == -1 && s.n == 0,
	    "alg ES256 on an Ed25519 key");
}

int
main(void)
{
	now = (long long)time(NULL);
	jwt_keyset_add(&ks, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	jwt_keyset_add(&other, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	T_RUN(a_signed_token_verifies_and_gives_its_subject_and_scopes);
	T_RUN(the_algorithm_is_the_keys_none_and_hs256_are_refused);
	T_RUN(an_unknown_kid_or_a_key_in_the_header_is_refused);
	T_RUN(another_keys_signature_or_an_altered_token_is_refused);
	T_RUN(typ_iss_aud_exp_and_nbf_are_checked_with_30_s_leeway);
	T_RUN(a_member_twice_a_bad_sub_or_an_oversized_token_is_refused);
	T_RUN(the_jwk_is_the_public_key_with_its_thumbprint);
	T_RUN(only_ed25519_keys_join_a_set);
	T_RUN(a_jwks_gives_the_keys_that_verify);
	T_RUN(a_malformed_jwks_or_a_wrong_kid_is_refused);
	jwt_keyset_free(&ks);
	jwt_keyset_free(&other);
	return T_DONE();
}
