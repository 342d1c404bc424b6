/*
 * ident: the subject's and the scopes' rules, checked a byte at a time.
 */
#include "ident.h"

#include <stdio.h>
#include <string.h>

static int
ident_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* 1 when s[0..len) is 1..max characters of alnum and extra. */
static int
ident_ok(const char *s, size_t len, size_t max, const char *extra)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (!ident_alnum((unsigned char)s[i]) &&
		    (s[i] == '\0' || strchr(extra, s[i]) == NULL))
			return 0;
	return 1;
}

int
ident_sub_ok(const char *s, size_t len)
{
	return ident_ok(s, len, IDENT_SUB_MAX, "._@-");
}

int
ident_scope_ok(const char *s, size_t len)
{
	return ident_ok(s, len, IDENT_SCOPE_MAX, "._:-");
}

int
ident_scopes_parse(const char *s, size_t len, char sep,
    char out[IDENT_SCOPES_TEXT])
{
	const char *end = s + len, *p = s, *q;
	size_t      n = 0, used = 0, k;

	out[0] = '\0';
	if (len == 0)
		return -1;
	for (;;) {
		q = memchr(p, sep, (size_t)(end - p));
		k = q ? (size_t)(q - p) : (size_t)(end - p);
		if (!ident_scope_ok(p, k) || ++n > IDENT_SCOPES_MAX)
			return -1;
		if (used > 0)
			out[used++] = ' ';
		memcpy(out + used, p, k);
		used += k;
		out[used] = '\0';
		if (q == NULL)
			return 0;
		p = q + 1;
	}
}

int
ident_has_scope(const struct ident *id, const char *scope)
{
	const char *p = id->scopes, *e;
	size_t      n = strlen(scope);

	while (*p != '\0') {
		e = strchr(p, ' ');
		if ((e ? (size_t)(e - p) : strlen(p)) == n &&
		    memcmp(p, scope, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

size_t
ident_json(const struct ident *id, char *buf, size_t cap)
{
	const char *p = id->scopes, *e;
	size_t      len, k;
	int         n;

	/* Neither alphabet needs escaping in JSON. */
	n = snprintf(buf, cap, "{\"authenticated\":true%s%s%s,\"scopes\":[",
	    id->sub[0] ? ",\"sub\":\"" : "", id->sub, id->sub[0] ? "\"" : "");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;
	while (*p != '\0') {
		e = strchr(p, ' ');
		k = e ? (size_t)(e - p) : strlen(p);
		n = snprintf(buf + len, cap - len, "%s\"%.*s\"",
		    p == id->scopes ? "" : ",", (int)k, p);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (len + 3 > cap)
		return 0;
	memcpy(buf + len, "]}", 3);
	return len + 2;
}

int
ident_attrs(const char *a, size_t n, struct ident *id, int *have_scopes,
    const char *where, char err[CFG_ERR_MAX])
{
	const char *e = a + n, *w;
	size_t      k;
	int         have_sub = 0;

	for (;;) {
		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		if (a == e)
			return 0;
		for (w = a; w < e && *w != ' ' && *w != '\t'; w++)
			;
		k = (size_t)(w - a);
		if (k >= 4 && memcmp(a, "sub=", 4) == 0 && !have_sub) {
			if (!ident_sub_ok(a + 4, k - 4)) {
				snprintf(err, CFG_ERR_MAX,
				    "%s: sub= must be 1-%d characters of "
				    "[A-Za-z0-9._@-]",
				    where, IDENT_SUB_MAX);
				return -1;
			}
			memcpy(id->sub, a + 4, k - 4);
			id->sub[k - 4] = '\0';
			have_sub = 1;
		} else if (k >= 6 && memcmp(a, "scope=", 6) == 0 &&
		    !*have_scopes) {
			if (ident_scopes_parse(a + 6, k - 6, ',', id->scopes) ==
			    -1) {
				snprintf(err, CFG_ERR_MAX,
				    "%s: scope= must be 1-%d scopes, "
				    "comma-separated, each 1-%d characters "
				    "of [A-Za-z0-9._:-]",
				    where, IDENT_SCOPES_MAX, IDENT_SCOPE_MAX);
				return -1;
			}
			*have_scopes = 1;
		} else {
			snprintf(err, CFG_ERR_MAX,
			    "%s: an attribute that is not sub= or scope=, "
			    "or given twice",
			    where);
			return -1;
		}
		a = w;
	}
}
