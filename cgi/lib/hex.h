/*
 * hex: the value of a hexadecimal digit, for every parser of hex text
 * (sha256: token entries, %XX escapes).  Pure and thread-safe.
 */
#ifndef HEX_H
#define HEX_H

/* 0-15 for [0-9a-fA-F], else -1. */
int hex_val(unsigned char c);

#endif
