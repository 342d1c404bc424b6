/*
 * form: decoded in one pass over the body, each value into its field's own
 * buffer; names are compared after decoding.
 */
#include "form.h"

#include <string.h>

#include "hex.h"

/* Longest field name looked at (ours are at most 10). */
#define FORM_NAME_MAX 32

/*
 * Decodes s[0..len) into out (up to cap bytes, no NUL; out NULL: only
 * checks).  Returns the decoded length, -1 for a malformed escape or a
 * control character, or -2 when it would pass cap.
 */
static long
form_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t        i, o = 0;
	int           hi, lo;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if ((hi = hex_val((unsigned char)s[i + 1])) == -1 ||
			    (lo = hex_val((unsigned char)s[i + 2])) == -1)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (out != NULL && o >= cap)
			return -2;
		if (out != NULL)
			out[o] = (char)c;
		o++;
	}
	return (long)o;
}

/* The field f[0..n) named name[0..len), or NULL. */
static struct form_field *
form_find(struct form_field *f, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(f[i].name) == len &&
		    memcmp(f[i].name, name, len) == 0)
			return &f[i];
	return NULL;
}

int
form_parse(const char *body, size_t len, struct form_field *f, size_t n,
    const char **why, const char **name)
{
	const char        *p = body, *end = body + len, *amp, *eq;
	char               nbuf[FORM_NAME_MAX];
	struct form_field *fld;
	size_t             i, pairs = 0;
	long               nl, vl;

	*name = NULL;
	for (i = 0; i < n; i++) {
		f[i].len = 0;
		f[i].seen = 0;
		f[i].buf[0] = '\0';
	}
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (++pairs > FORM_FIELDS_MAX) {
			*why = "The form has too many fields";
			return -1;
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		nl = form_decode(p, (size_t)(eq - p), nbuf, sizeof(nbuf));
		fld = nl >= 0 ? form_find(f, n, nbuf, (size_t)nl) : NULL;
		if (nl == -1) {
			*why = "The form is malformed (an escape or a control "
			       "character)";
			return -1;
		}
		if (fld != NULL && fld->seen) {
			*why = "The form names a field twice";
			*name = fld->name;
			return -1;
		}
		vl = form_decode(eq + (eq < amp),
		    (size_t)(amp - eq - (eq < amp)),
		    fld != NULL ? fld->buf : NULL, fld != NULL ? fld->max : 0);
		if (vl == -1) {
			*why = "A field is malformed (an escape or a control "
			       "character)";
			*name = fld != NULL ? fld->name : NULL;
			return -1;
		}
		if (vl == -2) {
			*why = "A field is too long";
			*name = fld->name;
			return -1;
		}
		if (fld != NULL) {
			fld->seen = 1;
			fld->len = (size_t)vl;
			fld->buf[vl] = '\0';
		}
		p = amp + (amp < end);
	}
	return 0;
}
