/*
 * app: what auth.fcgi's handlers share: its configuration, the credential
 * set a reload swaps whole (tokens, users, signing keys), and the
 * failed-login budget every way of logging in spends.
 */
#ifndef APP_H
#define APP_H

#include <pthread.h>

#include "guard.h"
#include "hashq.h"
#include "jwt.h"
#include "store.h"
#include "svc.h"
#include "tokens.h"
#include "users.h"
#include "vcache.h"

/* Longest AUTH_ISSUER: a URL. */
#define AUTH_ISSUER_MAX 256

/* What a reload replaces, all or nothing. */
struct auth_set {
	unsigned long     gen; /* 1, 2, ...: a new one per load (vcache.h) */
	struct tokens     ts;
	struct users      us; /* n 0: no AUTH_USERS_FILE */
	struct jwt_keyset ks; /* n 0: no AUTH_SIGNING_KEY_FILE */
};

struct auth_app {
	pthread_rwlock_t *lock;
	struct auth_set  *set;  /* under lock */
	const char       *file; /* AUTH_TOKENS_FILE, or NULL: for SIGHUP */
	const char       *users_file; /* AUTH_USERS_FILE, or NULL */
	const char       *key_file;   /* AUTH_SIGNING_KEY_FILE, or NULL */
	struct guard     *guard;      /* failed logins per client address */
	struct guard     *uguard;     /* failed passwords per user name */
	struct store     *store;      /* the budget replicas share, or NULL */
	struct hashq     *hashq;      /* password checks; NULL: no users */
	struct vcache    *vcache;     /* access tokens verified; NULL: none */
	/* A yes's Cache-Control to info (AUTH_DECISION_MAX_AGE), or NULL. */
	const char *yes_cc;
	const char *issuer; /* AUTH_ISSUER: iss, and the metadata's base */
	long        ttl_s;  /* AUTH_TOKEN_TTL_S */
	/* The JWKS's and metadata's Cache-Control (AUTH_KEYS_MAX_AGE_S). */
	char keys_cc[48];
};

/*
 * The client, as the budget counts it (guard_client: an IPv6 client's
 * network), into out: X-Client-Addr on a call that came in on the
 * gateway's internal listener (what info.fcgi forwards for its client),
 * else REMOTE_ADDR.
 */
void auth_client(const struct auth_app *app, const struct svc_req *r,
    char out[GUARD_ADDR_MAX + 1]);

/*
 * Counts a failed login of key in g: in the shared store (AUTH_FAIL_STORE)
 * when it answers, else in this process.  Returns 0, or the milliseconds
 * until the window ends when this failure went past g's limit (answer 429).
 */
long long auth_fail(struct svc_req *r, struct guard *g, const char *key);

/*
 * Fills set from the files and variables of a (at start, tokens from
 * tokens_load(); on a reload, from AUTH_TOKENS_FILE).  Returns 0, or -1
 * and err; set is empty then.
 */
int  auth_set_load(struct auth_set *set, struct auth_app *a, int reload,
     char err[CFG_ERR_MAX]);
void auth_set_free(struct auth_set *set);

#endif
