/*
 * tokens: parsing and constant-time matching of the auth service's tokens.
 * Error messages name the variable and the line, never a token's text.
 */
#include "tokens.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"

#include "log.h"
#include "textfile.h"
#include "wipe.h"

_Static_assert(CFG_LEN_AUTH_TOKENS == TOKENS_COUNT_MAX * (TOKEN_MAX + 1),
    "AUTH_TOKENS' bound in config.def: the most tokens, each with a comma");

static int
tokens_blank(char c)
{
	return textfile_blank(c);
}

/* "sha256:" + 64 hex digits into a digest.  Returns 0, or -1 if malformed. */
static int
tokens_parse_hash(const char *s, size_t len, unsigned char h[SHA256_LEN])
{
	size_t i;
	int    hi, lo;

	s += TOKENS_HASH_PREFIX_LEN;
	len -= TOKENS_HASH_PREFIX_LEN;
	if (len != (size_t)2 * SHA256_LEN)
		return -1;
	for (i = 0; i < SHA256_LEN; i++) {
		if ((hi = hex_val((unsigned char)s[2 * i])) == -1 ||
		    (lo = hex_val((unsigned char)s[2 * i + 1])) == -1)
			return -1;
		h[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* 1 when the entry s[0..len) begins with the attribute name (with '='). */
static int
tokens_attr_name(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && memcmp(s, name, n) == 0;
}

/*
 * Parses the attributes a[0..n) (ident_attrs()) into t.  Returns 0, or -1
 * with err.
 */
static int
tokens_attrs(struct token *t, const char *a, size_t n, const char *where,
    char err[CFG_ERR_MAX])
{
	struct ident id;
	int          have_scopes = 0;

	memcpy(id.sub, t->sub, sizeof(id.sub));
	if (ident_attrs(a, n, &id, &have_scopes, where, err) == -1)
		return -1;
	memcpy(t->sub, id.sub, sizeof(t->sub));
	if (have_scopes && (t->scopes = strdup(id.scopes)) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", where);
		return -1;
	}
	return 0;
}

/*
 * Adds s[0..len) after trimming blanks; empty after trimming is skipped.
 * A "sha256:<hex>" entry is taken as the digest itself; anything else is a
 * plaintext token, hashed here, so the store never holds a token's text.
 * With attrs, what follows the entry's first blank are its attributes.
 */
static int
tokens_add(struct tokens *ts, const char *s, size_t len, int attrs,
    const char *where, char err[CFG_ERR_MAX])
{
	struct token *t, one;
	unsigned char h[SHA256_LEN];
	const char   *a = NULL;
	size_t        i, alen = 0;

	while (len > 0 && tokens_blank(*s)) {
		s++;
		len--;
	}
	while (len > 0 && tokens_blank(s[len - 1]))
		len--;
	if (len == 0)
		return 0;
	for (i = 0; attrs && i < len; i++)
		if (tokens_blank(s[i])) {
			a = s + i;
			alen = len - i;
			len = i;
			break;
		}
	/*
	 * A line that forgot its token ("sub=mallory scope=admin") would
	 * make its first attribute the token: refused, whatever follows.
	 */
	if (attrs &&
	    (tokens_attr_name(s, len, "sub=") ||
		tokens_attr_name(s, len, "scope="))) {
		snprintf(err, CFG_ERR_MAX,
		    "%s: starts with an attribute (sub= or scope=), not a "
		    "token: the token comes first",
		    where);
		return -1;
	}
	if (len >= TOKENS_HASH_PREFIX_LEN &&
	    memcmp(s, TOKENS_HASH_PREFIX, TOKENS_HASH_PREFIX_LEN) == 0) {
		if (tokens_parse_hash(s, len, h) == -1) {
			snprintf(err, CFG_ERR_MAX,
			    "%s: a sha256: entry must "
			    "be followed by exactly 64 hex digits",
			    where);
			return -1;
		}
	} else {
		if (len > TOKEN_MAX) {
			snprintf(err, CFG_ERR_MAX,
			    "%s: a token is longer "
			    "than %d bytes",
			    where, TOKEN_MAX);
			return -1;
		}
		for (i = 0; i < len; i++)
			if (!authz_token_char((unsigned char)s[i])) {
				snprintf(err, CFG_ERR_MAX,
				    "%s: a token holds "
				    "a character other than visible ASCII",
				    where);
				return -1;
			}
		sha256(s, len, h);
	}
	if (ts->n >= TOKENS_COUNT_MAX) {
		snprintf(err, CFG_ERR_MAX, "%s: more than %d tokens", where,
		    TOKENS_COUNT_MAX);
		return -1;
	}
	memset(&one, 0, sizeof(one));
	memcpy(one.h, h, SHA256_LEN);
	wipe(h, sizeof(h));
	snprintf(one.sub, sizeof(one.sub), "token-%zu", ts->n + 1);
	if (a != NULL && tokens_attrs(&one, a, alen, where, err) == -1) {
		free(one.scopes);
		return -1;
	}
	if ((t = realloc(ts->t, (ts->n + 1) * sizeof(*t))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", where);
		free(one.scopes);
		return -1;
	}
	ts->t = t;
	ts->t[ts->n++] = one;
	return 0;
}

/* Sets ts->gen from its entries (tokens.h). */
static int
tokens_seal(struct tokens *ts)
{
	unsigned char *buf, d[SHA256_LEN];
	size_t         i, n = 0,
		  each = SHA256_LEN + sizeof(ts->t[0].sub) + IDENT_SCOPES_TEXT;

	if ((buf = calloc(ts->n ? ts->n : 1, each)) == NULL)
		return -1;
	for (i = 0; i < ts->n; i++) {
		memcpy(buf + n, ts->t[i].h, SHA256_LEN);
		snprintf((char *)buf + n + SHA256_LEN, sizeof(ts->t[i].sub),
		    "%s", ts->t[i].sub);
		snprintf((char *)buf + n + SHA256_LEN + sizeof(ts->t[i].sub),
		    IDENT_SCOPES_TEXT, "%s",
		    ts->t[i].scopes ? ts->t[i].scopes : "");
		n += each;
	}
	sha256(buf, n, d);
	wipe(buf, (ts->n ? ts->n : 1) * each);
	free(buf);
	for (i = 0; i < 8; i++)
		snprintf(ts->gen + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* tokens_seal(), or -1 with err naming the variable. */
static int
tokens_sealed(struct tokens *ts, const char *var, char err[CFG_ERR_MAX])
{
	if (tokens_seal(ts) == 0)
		return 0;
	snprintf(err, CFG_ERR_MAX, "%s: out of memory", var);
	return -1;
}

int
tokens_parse_list(struct tokens *ts, const char *list, char err[CFG_ERR_MAX])
{
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if (tokens_add(ts, p, comma ? (size_t)(comma - p) : strlen(p),
			0, "AUTH_TOKENS", err) == -1)
			return -1;
		if (comma == NULL)
			return tokens_sealed(ts, "AUTH_TOKENS", err);
		p = comma + 1;
	}
}

/* textfile_lines()'s callback: one entry line of a token file. */
static int
tokens_line(void *ts, const char *line, size_t n, const char *where,
    char err[CFG_ERR_MAX])
{
	return tokens_add(ts, line, n, 1, where, err);
}

int
tokens_parse_file(struct tokens *ts, const char *text, size_t len,
    char err[CFG_ERR_MAX])
{
	if (textfile_lines("AUTH_TOKENS_FILE", text, len, tokens_line, ts,
		err) == -1)
		return -1;
	return tokens_sealed(ts, "AUTH_TOKENS_FILE", err);
}

int
tokens_read_file(struct tokens *ts, const char *path, char err[CFG_ERR_MAX])
{
	char  *buf;
	size_t len;
	int    rc;

	if ((buf = textfile_read("AUTH_TOKENS_FILE", path, TOKENS_FILE_MAX,
		 &len, err)) == NULL)
		return -1;
	rc = tokens_parse_file(ts, buf, len, err);
	/* The buffer held secrets. */
	wipe(buf, len);
	free(buf);
	return rc;
}

int
tokens_load(struct tokens *ts, const char **file, char err[CFG_ERR_MAX])
{
	const char *list;
	int         rc;

	ts->n = 0;
	ts->t = NULL;
	if (cfg_text(CFG_AUTH_TOKENS, &list, err) == -1 ||
	    cfg_text(CFG_AUTH_TOKENS_FILE, file, err) == -1)
		return -1;
	if (list != NULL && *file != NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_TOKENS and AUTH_TOKENS_FILE "
		    "are both set: set only one");
		return -1;
	}
	if (list == NULL && *file == NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_TOKENS: not set, and neither "
		    "is AUTH_TOKENS_FILE: refusing to start with no token");
		return -1;
	}
	rc = list ? tokens_parse_list(ts, list, err)
		  : tokens_read_file(ts, *file, err);
	if (list != NULL) {
		/*
		 * The plaintext tokens leave the process's environment: its
		 * bytes (what /proc/PID/environ shows) are wiped, then the
		 * variable goes.  Only the digests stay.
		 */
		wipe((char *)list, strlen(list));
		/* NOLINTNEXTLINE(concurrency-mt-unsafe): at start, no thread yet */
		unsetenv("AUTH_TOKENS");
	}
	if (rc == 0 && ts->n == 0) {
		snprintf(err, CFG_ERR_MAX, "%s: holds no token",
		    list ? "AUTH_TOKENS" : "AUTH_TOKENS_FILE");
		rc = -1;
	}
	if (rc == -1)
		tokens_free(ts);
	return rc;
}

void
tokens_free(struct tokens *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->t[i].scopes);
	if (ts->t != NULL)
		wipe(ts->t, ts->n * sizeof(*ts->t));
	free(ts->t);
	ts->t = NULL;
	ts->n = 0;
}

const struct token *
tokens_find(const struct tokens *ts, const char *tok, size_t len)
{
	unsigned char cand[SHA256_LEN];
	size_t        i, k, found = 0, mask;

	/* A candidate's length is not a secret; the store's contents are. */
	if (len == 0 || len > TOKEN_MAX)
		return NULL;
	sha256(tok, len, cand);
	for (k = 0; k < ts->n; k++) {
		/* volatile keeps the compiler from ending the loop early. */
		volatile unsigned char diff = 0;

		for (i = 0; i < SHA256_LEN; i++)
			diff |= ts->t[k].h[i] ^ cand[i];
		/* All ones on a match: the index is kept without a branch. */
		mask = (size_t)0 - (size_t)(diff == 0);
		found = (found & ~mask) | ((k + 1) & mask);
	}
	wipe(cand, sizeof(cand));
	return found ? &ts->t[found - 1] : NULL;
}

int
tokens_match(const struct tokens *ts, const char *tok, size_t len)
{
	return tokens_find(ts, tok, len) != NULL;
}

void
tokens_ident(const struct token *t, struct ident *id)
{
	snprintf(id->sub, sizeof(id->sub), "%s", t->sub);
	snprintf(id->scopes, sizeof(id->scopes), "%s",
	    t->scopes ? t->scopes : "");
}
