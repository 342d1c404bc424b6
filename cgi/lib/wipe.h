/*
 * wipe: erases a secret from memory so that the erasure survives the
 * optimiser.
 */
#ifndef WIPE_H
#define WIPE_H

#include <stddef.h>

/*
 * Overwrites p[0..len) with zeros, even when p is freed or goes out of scope
 * right after.  p may be NULL when len is 0.  Thread-safe.
 */
void wipe(void *p, size_t len);

#endif
