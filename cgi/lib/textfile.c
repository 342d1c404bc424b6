/*
 * textfile: one reader for every entry file, so that each bounds its input
 * and reports its errors the same way.
 */
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wipe.h"

int
textfile_blank(char c)
{
	return c == ' ' || c == '\t';
}

char *
textfile_read(const char *var, const char *path, size_t max, size_t *len,
    char err[CFG_ERR_MAX])
{
	char   ebuf[LOG_ERRNO_MAX];
	FILE  *f;
	char  *buf;
	size_t n;
	int    bad;

	if ((buf = malloc(max + 2)) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: out of memory", var);
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: cannot open '%.128s': %s", var,
		    path, log_strerror(errno, ebuf, sizeof(ebuf)));
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if ((bad = ferror(f)) != 0)
		snprintf(err, CFG_ERR_MAX, "%s: cannot read '%.128s'", var,
		    path);
	else if ((bad = n > max) != 0)
		snprintf(err, CFG_ERR_MAX, "%s: larger than %zu bytes", var,
		    max);
	fclose(f);
	if (bad) {
		wipe(buf, max + 2);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
textfile_lines(const char *var, const char *text, size_t len,
    int (*fn)(void *ctx, const char *line, size_t n, const char *where,
	char err[CFG_ERR_MAX]),
    void *ctx, char err[CFG_ERR_MAX])
{
	const char *p = text, *end = text + len, *nl;
	char        where[64];
	size_t      n, i;
	int         line = 0;

	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		snprintf(where, sizeof(where), "%s line %d", var, line);
		if (memchr(p, '\0', n) != NULL) {
			snprintf(err, CFG_ERR_MAX, "%s: holds a NUL byte",
			    where);
			return -1;
		}
		for (i = 0; i < n && textfile_blank(p[i]); i++)
			;
		if (i < n && p[i] != '#' && fn(ctx, p, n, where, err) == -1)
			return -1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}
