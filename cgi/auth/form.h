/*
 * form: an application/x-www-form-urlencoded body (what OAuth2's token
 * endpoint takes, RFC 6749 section 4.3.2), decoded into the fields the
 * caller names.  Pure and thread-safe.
 *
 * '+' is a space and %XX a byte; a malformed escape, a field named twice, a
 * value over its field's limit or one holding a control character (after
 * decoding) refuses the whole body.  Fields the caller did not name are
 * skipped (client_id, client_secret from Swagger UI), but still checked.
 */
#ifndef FORM_H
#define FORM_H

#include <stddef.h>

/* Most fields in a body, named or not. */
#define FORM_FIELDS_MAX 32

struct form_field {
	const char *name; /* the caller's */
	char       *buf; /* the caller's, max + 1 bytes: the value, NUL-ended */
	size_t      max;
	size_t      len;  /* set by form_parse() */
	int         seen; /* set by form_parse() */
};

/*
 * Decodes body[0..len) into the n fields f.  Returns 0, or -1 with *why a
 * client's reason ("duplicate field", "a field holds a control
 * character"...) and *name the field it is about (NULL: the body).
 */
int form_parse(const char *body, size_t len, struct form_field *f, size_t n,
    const char **why, const char **name);

#endif
