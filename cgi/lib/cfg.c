/*
 * cfg: environment variables → validated values.  Services call these once in
 * main() before any thread starts, so getenv() here is race-free.
 */
#include "cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cfg_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long  v;

	if (s == NULL || *s == '\0' || strlen(s) > 20)
		return -1;
	/* strtol accepts leading blanks and '+'; a config value should not. */
	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cfg_long(const char *name, long def, long min, long max, long *out,
    char err[CFG_ERR_MAX])
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): at start, no thread yet */
	const char *s = getenv(name);

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	if (cfg_parse_long(s, min, max, out) == 0)
		return 0;
	/* Numbers are not secrets, but bound what we echo back. */
	snprintf(err, CFG_ERR_MAX,
	    "%s: must be an integer from %ld to %ld, "
	    "got '%.32s'",
	    name, min, max, s);
	return -1;
}

int
cfg_str(const char *name, const char *def, size_t maxlen, const char **out,
    char err[CFG_ERR_MAX])
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): at start, no thread yet */
	const char *s = getenv(name), *p;

	if (s == NULL || *s == '\0') {
		*out = def;
		return 0;
	}
	if (strlen(s) > maxlen) {
		snprintf(err, CFG_ERR_MAX, "%s: longer than %zu bytes", name,
		    maxlen);
		return -1;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, CFG_ERR_MAX,
			    "%s: contains a control character", name);
			return -1;
		}
	*out = s;
	return 0;
}
