/*
 * cfg: read configuration values from the environment, once, at start.
 * Every variable auth and info read is a row of config.def (its name,
 * service, default, range and a doc line); a module reads its own rows
 * with cfg_int() and cfg_text(), and the services' --help prints them.
 *
 * Every getter validates its value and, on failure, writes one line naming the
 * variable and what is wrong into err (never the value itself when it may be a
 * secret).  Callers collect values into their own const struct and stop the
 * program on the first error.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdio.h>

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

/* The ids of config.def's rows: CFG_SVC_THREADS, CFG_AUTH_URL, ... */
enum cfg_id {
#define CFG_INT(name, svcs, def, min, max, doc) CFG_##name,
#define CFG_TEXT(name, svcs, def, maxlen, doc)  CFG_##name,
#include "config.def"
#undef CFG_INT
#undef CFG_TEXT
	CFG_COUNT
};

/*
 * Each row's bounds as constants, for buffers and static assertions:
 * CFG_MIN_<NAME> and CFG_MAX_<NAME> of an integer, CFG_LEN_<NAME> of text.
 */
enum cfg_bound {
#define CFG_INT(name, svcs, def, min, max, doc)                                \
	CFG_MIN_##name = (min), CFG_MAX_##name = (max),
#define CFG_TEXT(name, svcs, def, maxlen, doc) CFG_LEN_##name = (maxlen),
#include "config.def"
#undef CFG_INT
#undef CFG_TEXT
};

/* A row of config.def. */
struct cfg_var {
	const char *name;
	const char *services;      /* "auth", "info" or "both" */
	int         text;          /* 1: CFG_TEXT, 0: CFG_INT */
	long        def, min, max; /* CFG_INT */
	const char *text_def;      /* CFG_TEXT; may be NULL */
	size_t      maxlen;        /* CFG_TEXT */
	const char *doc;
};

/* The table, indexed by enum cfg_id. */
extern const struct cfg_var cfg_vars[CFG_COUNT];

/*
 * Reads integer row id (a CFG_INT) into *out: cfg_long with the row's
 * default and range.  Returns 0, or -1 with err filled.
 */
int cfg_int(enum cfg_id id, long *out, char err[CFG_ERR_MAX]);

/* Reads text row id (a CFG_TEXT) into *out: cfg_str with the row's. */
int cfg_text(enum cfg_id id, const char **out, char err[CFG_ERR_MAX]);

/*
 * Writes the rows service ("auth" or "info") reads to f, one per line:
 * NAME, a tab, its default ("none" when unset means none), a tab, its range
 * ("MIN-MAX", or "at most N bytes"), a tab, its doc line.  The services'
 * --help.
 */
void cfg_print(FILE *f, const char *service);

/*
 * A service's command line: none is the service (returns -1: go on);
 * "--help" prints what it is and its variables (cfg_print) on stdout and
 * returns 0; anything else, a usage line on stderr and 2.  main() exits with
 * what is not -1.
 */
int cfg_args(int argc, char **argv, const char *service);

/*
 * Parses s as a decimal integer in [min, max] with nothing after it.
 * Returns 0 and sets *out, or -1.  Pure; used by cfg_long and the tests.
 */
int cfg_parse_long(const char *s, long min, long max, long *out);

#endif
