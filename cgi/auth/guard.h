/*
 * guard: a budget of failed authentications per client address, shared by
 * POST /login/ and GET /info (whose calls reach auth with the client's
 * address, set by the gateway: a client cannot choose it).
 *
 * An address that fails AUTH_FAIL_LIMIT times within AUTH_FAIL_WINDOW_MS
 * of its first failure is refused (429) until that window ends, whatever
 * it sends, the right token included: so the limit cannot be used to test
 * a guess.  A window with fewer failures simply ends.  The table has a
 * fixed number of slots (GUARD_SLOTS), each holding its address, in buckets
 * chosen by a keyed hash with a random key per process: an address never
 * shares another's budget, and nobody can aim at another's bucket.  When a
 * bucket is full of live windows, a new failing address takes the slot of
 * the one with the fewest failures, never a refused one while another is
 * left (guard.c).  Thread-safe: a lock per group of buckets.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

/* Addresses tracked at once; 64 bytes each. */
#define GUARD_SLOTS    4096
/* Longest address kept: an IPv6 address in text, or "unix:". */
#define GUARD_ADDR_MAX 46

struct guard;

/*
 * Reads AUTH_FAIL_LIMIT (failures, 0: no limit), AUTH_FAIL_WINDOW_MS and
 * AUTH_FAIL_IPV6_PREFIX (1-128, default 64).  Returns a guard, or NULL and
 * err.  Free with guard_free().
 */
struct guard *guard_new(char err[CFG_ERR_MAX]);
/*
 * The same with AUTH_FAIL_USER_LIMIT as the limit: the budget of wrong
 * passwords per user name (POST /token), whatever the address.
 */
struct guard *guard_new_user(char err[CFG_ERR_MAX]);
void          guard_free(struct guard *g);

/*
 * The name addr is counted under, into out: an IPv6 address as its
 * network of AUTH_FAIL_IPV6_PREFIX bits ("2001:db8:1:2::/64"), since the
 * holder of a /64 has all of its addresses; an IPv4 address, and an
 * IPv4-mapped IPv6 one, as the IPv4 address; anything else as it is (cut
 * at GUARD_ADDR_MAX).  The same for the local table and the shared store.
 */
void guard_client(const struct guard *g, const char *addr,
    char out[GUARD_ADDR_MAX + 1]);

/* The limit and the window, for the start log line. */
long guard_limit(const struct guard *g);
long guard_window_ms(const struct guard *g);

/*
 * 0 when addr may try at now_ms; else the milliseconds until its window
 * ends (> 0).
 */
long long guard_check(struct guard *g, const char *addr, long long now_ms);

/*
 * Counts a failed authentication of addr at now_ms.  Returns 0, or the ms
 * left of its window when the budget was spent before this one (a 429).
 */
long long guard_fail(struct guard *g, const char *addr, long long now_ms);

/*
 * Refuses addr from now_ms for left_ms (at most the window): what the
 * shared store (store.h) said of an address whose budget is spent, kept
 * here so that it is refused without another call.
 */
void guard_block(struct guard *g, const char *addr, long long now_ms,
    long long left_ms);

/* For the tests: addr's bucket, and SipHash-2-4 of data under key. */
size_t   guard_bucket(const struct guard *g, const char *addr);
uint64_t guard_siphash(const uint64_t key[2], const void *data, size_t len);

#endif
