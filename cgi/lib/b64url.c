/*
 * b64url: one spelling per byte string.  The decoder refuses the second
 * spellings a lenient one accepts (padding, set trailing bits), so that a
 * token has one form and its digest one value.
 */
#include "b64url.h"

#include <stdint.h>

static const char b64url_abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_encode(const void *in, size_t len, char *out, size_t cap)
{
	const unsigned char *p = in;
	size_t               i, o = 0, n = B64URL_LEN(len);
	uint32_t             v;

	if (n >= cap)
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url_abc[v >> 18];
		out[o++] = b64url_abc[(v >> 12) & 63];
		out[o++] = b64url_abc[(v >> 6) & 63];
		out[o++] = b64url_abc[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = b64url_abc[v >> 18];
		out[o++] = b64url_abc[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64url_abc[v >> 18];
		out[o++] = b64url_abc[(v >> 12) & 63];
		out[o++] = b64url_abc[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	size_t   i, o = 0, n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	uint32_t v = 0;
	int      bits = 0, d;

	if (len % 4 == 1 || n > cap)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = b64url_val((unsigned char)in[i])) == -1)
			return -1;
		v = (v << 6 | (uint32_t)d) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* The bits left over must be zero: one spelling only. */
	if (bits > 0 && (v & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}
