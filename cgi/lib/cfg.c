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

const struct cfg_var cfg_vars[CFG_COUNT] = {
#define CFG_INT(name, svcs, d, lo, hi, doc)                                    \
	[CFG_##name] = { #name, svcs, 0, d, lo, hi, NULL, 0, doc },
#define CFG_TEXT(name, svcs, d, len, doc)                                      \
	[CFG_##name] = { #name, svcs, 1, 0, 0, 0, d, len, doc },
#include "config.def"
#undef CFG_INT
#undef CFG_TEXT
};

int
cfg_int(enum cfg_id id, long *out, char err[CFG_ERR_MAX])
{
	const struct cfg_var *v = &cfg_vars[id];

	return cfg_long(v->name, v->def, v->min, v->max, out, err);
}

int
cfg_text(enum cfg_id id, const char **out, char err[CFG_ERR_MAX])
{
	const struct cfg_var *v = &cfg_vars[id];

	return cfg_str(v->name, v->text_def, v->maxlen, out, err);
}

void
cfg_print(FILE *f, const char *service)
{
	const struct cfg_var *v;

	for (v = cfg_vars; v < cfg_vars + CFG_COUNT; v++) {
		if (strcmp(v->services, service) != 0 &&
		    strcmp(v->services, "both") != 0)
			continue;
		if (v->text)
			fprintf(f, "%s\t%s\tat most %zu bytes\t%s\n", v->name,
			    v->text_def == NULL          ? "none"
				: v->text_def[0] == '\0' ? "empty"
							 : v->text_def,
			    v->maxlen, v->doc);
		else if (v->def < v->min || v->def > v->max)
			fprintf(f, "%s\tnone\t%ld-%ld\t%s\n", v->name, v->min,
			    v->max, v->doc);
		else
			fprintf(f, "%s\t%ld\t%ld-%ld\t%s\n", v->name, v->def,
			    v->min, v->max, v->doc);
	}
}

int
cfg_args(int argc, char **argv, const char *service)
{
	if (argc < 2)
		return -1;
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("%s.fcgi: a FastCGI responder; spawn-fcgi gives it its "
		       "socket on fd 0.\nIts environment (name, default, "
		       "range, what it is; README: Configuration):\n",
		    service);
		cfg_print(stdout, service);
		return 0;
	}
	fprintf(stderr,
	    "usage: %s.fcgi [--help] (configured by its "
	    "environment)\n",
	    service);
	return 2;
}
