/*
 * store: the failed-login budget every auth replica shares, kept in Redis.
 *
 * With AUTH_FAIL_STORE set, a failed login is counted on the Redis server
 * by one Lua script (INCR, and PEXPIRE when the count is new: atomic on the
 * server, never read-modify-write here), which answers the address's count
 * in the window and the window's remaining milliseconds.  auth compares
 * the count with AUTH_FAIL_LIMIT (auth/main.c); guard.h keeps what the
 * store said, so that a refused address is refused locally, valid token
 * included, without another call.  A valid login never calls the store.
 *
 * Keys hold a keyed digest of the address, never the address:
 * "cgi-auth:fail:" then 32 hex digits of HMAC-SHA-256, keyed by a digest
 * of the password (every replica has it; a reader of the store without it
 * cannot test an address).  Keys expire with their window.
 *
 * Each worker thread has its own connection (store_conn), made on its
 * first failed login.  Every step (connect, AUTH, the script) has
 * AUTH_FAIL_STORE_TIMEOUT_MS; a step that fails or runs out closes the
 * connection, and that thread counts locally (STORE_UNAVAILABLE) for
 * AUTH_FAIL_STORE_RETRY_MS before it tries again.  The first failure of an
 * episode is logged, and its end: one line each, process-wide.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include "cfg.h"

/* Longest host name or Unix socket path in AUTH_FAIL_STORE. */
#define STORE_HOST_MAX       255
/* Longest password (AUTH_FAIL_STORE_PASSWORD_FILE's first line). */
#define STORE_PASSWORD_MAX   256
/* AUTH_FAIL_STORE_KEY_FILE's first line: 32 to 256 characters. */
#define STORE_KEY_SECRET_MIN 32
#define STORE_SECRET_MAX     256
/* A key: the prefix, 32 hex digits (128 bits of the HMAC), NUL. */
#define STORE_KEY_PREFIX     "cgi-auth:fail:"
#define STORE_KEY_MAX        (sizeof(STORE_KEY_PREFIX) - 1 + 32 + 1)

/* Where the store is: "redis://HOST:PORT" or "unix:PATH". */
struct store_addr {
	char host[STORE_HOST_MAX + 1]; /* or the socket's path */
	int  port;                     /* 0: a Unix socket */
};

/* What a store_fail() call did; also the metrics' outcome labels
 * ("counted", "store_unavailable"). */
enum store_outcome {
	STORE_COUNTED,     /* counted; *fails and *ttl_ms are set */
	STORE_UNAVAILABLE, /* not counted: count it locally */
	STORE_NOUTCOME
};

struct store;
struct store_conn;

/*
 * Reads AUTH_FAIL_STORE (unset or empty: no store, *out NULL),
 * AUTH_FAIL_STORE_PASSWORD_FILE, AUTH_FAIL_STORE_KEY_FILE (required
 * with a store: the key of the address digests, never sent to the
 * store), AUTH_FAIL_STORE_TIMEOUT_MS (1-1000,
 * default 5) and AUTH_FAIL_STORE_RETRY_MS (10-60000, default 1000);
 * window_ms is AUTH_FAIL_WINDOW_MS.  Returns 0 (and *out, to free with
 * store_free()), or -1 and err, which names the variable and never the
 * password or the key.  Connects to nothing.
 */
int  store_new(struct store **out, long window_ms, char err[CFG_ERR_MAX]);
void store_free(struct store *s);

/*
 * A worker thread's connection to s (not made yet), or NULL when out of
 * memory.  Owned by that thread alone; free with store_conn_free().
 */
struct store_conn *store_conn_new(struct store *s);
void               store_conn_free(struct store_conn *c);

/*
 * Counts a failed login of addr in the store at now_ms.  STORE_COUNTED:
 * *fails is the address's failures in its window, this one included, and
 * *ttl_ms (>= 1) what remains of the window.  STORE_UNAVAILABLE: nothing
 * was counted (down, slow, refused or garbled), within the deadlines above.
 */
enum store_outcome store_fail(struct store_conn *c, const char *addr,
    long long now_ms, long long *fails, long long *ttl_ms);

/* Calls of store_fail() that ended in o, since start. */
unsigned long long store_outcomes(const struct store *s, enum store_outcome o);
/* 1 during an episode of failures (from its first to a success). */
int store_down(const struct store *s);

/*
 * Appends the store's metrics (metrics.h): auth_fail_store_total by
 * outcome, and auth_fail_store_up.  Returns 0, or -1 when out of room.
 */
int store_metrics(const struct store *s, char *buf, size_t cap, size_t *len);

/* For the tests.  Parses AUTH_FAIL_STORE's value: 0, or -1. */
int store_parse_addr(const char *v, struct store_addr *a);
/* The script's answer: 0 and *fails, *ttl_ms; -1 when it is not one. */
struct redisReply;
int store_parse_reply(const struct redisReply *r, long long *fails,
    long long *ttl_ms);
/* addr's key under s's key. */
void
store_key(const struct store *s, const char *addr, char out[STORE_KEY_MAX]);

#endif
