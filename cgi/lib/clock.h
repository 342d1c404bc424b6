/*
 * clock: the one clock every deadline and timer reads (CLOCK_MONOTONIC, in
 * milliseconds), so that no module depends on the serve loop for the time.
 */
#ifndef CLOCK_H
#define CLOCK_H

/* Milliseconds on the monotonic clock.  Thread-safe, never fails. */
long long clock_ms(void);

#endif
