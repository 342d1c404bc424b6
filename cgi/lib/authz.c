/*
 * authz: a header is judged a byte at a time, at most AUTHZ_MAX + 1 of them.
 */
#include "authz.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* A blank around a token or after its scheme (RFC 9110's OWS). */
static int
authz_blank(char c)
{
	return c == ' ' || c == '\t';
}

enum authz_shape
authz_shape(const char *header)
{
	size_t i;
	int    blank = 1;

	if (header == NULL)
		return AUTHZ_NONE;
	for (i = 0; header[i] != '\0'; i++) {
		if (i >= AUTHZ_MAX)
			return AUTHZ_MALFORMED;
		if (((unsigned char)header[i] < 0x20 && header[i] != '\t') ||
		    header[i] == 0x7f)
			return AUTHZ_MALFORMED;
		if (!authz_blank(header[i]))
			blank = 0;
	}
	return blank ? AUTHZ_NONE : AUTHZ_CREDENTIALS;
}

int
authz_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ',';
}

int
authz_token(const char *header, const char **tok, size_t *len)
{
	const char *s, *e;
	size_t      i, n;

	if (header == NULL)
		return -1;
	n = strnlen(header, AUTHZ_MAX + 1);
	if (n > AUTHZ_MAX)
		return -1;
	s = header;
	e = header + n;
	while (s < e && authz_blank(*s))
		s++;
	while (e > s && authz_blank(e[-1]))
		e--;
	/* The auth scheme is case-insensitive (RFC 9110 11.1). */
	if (e - s > 7 && strncasecmp(s, "Bearer", 6) == 0 &&
	    authz_blank(s[6])) {
		s += 7;
		while (s < e && authz_blank(*s))
			s++;
	}
	/* Any length within AUTHZ_MAX: an access token's (jwt.h) is
	 * judged by jwt_verify(), a static one's by tokens_find(). */
	if (s == e)
		return -1;
	for (i = 0; i < (size_t)(e - s); i++)
		if (!authz_token_char((unsigned char)s[i]))
			return -1;
	*tok = s;
	*len = (size_t)(e - s);
	return 0;
}
