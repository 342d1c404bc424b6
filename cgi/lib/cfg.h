/*
 * cfg: read configuration values from the environment, once, at start.
 *
 * Every getter validates its value and, on failure, writes one line naming the
 * variable and what is wrong into err (never the value itself when it may be a
 * secret).  Callers collect values into their own const struct and stop the
 * program on the first error.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>

/* Length of the error buffer every cfg_ function writes into. */
#define CFG_ERR_MAX 256

/*
 * Reads integer variable name into *out.  Unset or empty gives def.  Returns 0,
 * or -1 with err filled when the value is not a decimal integer in [min, max].
 */
int cfg_long(const char *name, long def, long min, long max, long *out,
    char err[CFG_ERR_MAX]);

/*
 * Reads string variable name into *out (a pointer into the environment, valid
 * for the life of the process; def when unset or empty, which may be NULL).
 * Returns 0, or -1 with err filled when longer than maxlen bytes or holding a
 * control character.
 */
int cfg_str(const char *name, const char *def, size_t maxlen, const char **out,
    char err[CFG_ERR_MAX]);

/*
 * Parses s as a decimal integer in [min, max] with nothing after it.
 * Returns 0 and sets *out, or -1.  Pure; used by cfg_long and the tests.
 */
int cfg_parse_long(const char *s, long min, long max, long *out);

#endif
