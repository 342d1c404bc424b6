/*
 * textfile: the files of secrets and entries a service reads at start and on
 * SIGHUP (tokens, users, keys): bounded reads, and lines with '#'
 * comments.  Errors name the variable and the line, never what it holds.
 */
#ifndef TEXTFILE_H
#define TEXTFILE_H

#include <stddef.h>

#include "cfg.h"

/*
 * Reads the file at path, at most max bytes, into a new buffer with a NUL
 * (*len its length).  Returns it (wipe() and free() it: it may hold
 * secrets), or NULL with err naming var.
 */
char *textfile_read(const char *var, const char *path, size_t max, size_t *len,
    char err[CFG_ERR_MAX]);

/*
 * Calls fn for each line of text[0..len) that is neither blank nor a
 * comment (its first non-blank a '#'), without its "\n" or "\r\n", with
 * where "VAR line N".  A line with a NUL byte is refused.  Returns 0, or -1
 * when a line is refused or fn returns -1 (err set by fn).
 */
int textfile_lines(const char *var, const char *text, size_t len,
    int (*fn)(void *ctx, const char *line, size_t n, const char *where,
	char err[CFG_ERR_MAX]),
    void *ctx, char err[CFG_ERR_MAX]);

/* 1 when c is a blank (space or tab), the separator within a line. */
int textfile_blank(char c);

#endif
