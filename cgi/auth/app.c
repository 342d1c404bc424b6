/*
 * app: the parts of auth.fcgi that both ways of logging in use (main.c's
 * /login/, token.c's /token).
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "keys.h"

void
auth_client(const struct auth_app *app, const struct svc_req *r,
    char out[GUARD_ADDR_MAX + 1])
{
	/*
	 * Elsewhere than on the internal listener the header is a client's
	 * own (an operator's route that sets its own params passes it on)
	 * and is not believed.
	 */
	const char *a = r->internal ? svc_param(r, "HTTP_X_CLIENT_ADDR") : NULL;

	if (a == NULL || a[0] == '\0' || strlen(a) > GUARD_ADDR_MAX)
		a = svc_param(r, "REMOTE_ADDR");
	guard_client(app->guard, a != NULL ? a : "", out);
}

/*
 * The store's count decides: past the limit, 429 until its window ends;
 * once the budget is spent, guard keeps that, so the key is refused here
 * without asking again, the right credentials included.
 */
long long
auth_fail(struct svc_req *r, struct guard *g, const char *key)
{
	long long now = clock_ms(), fails, ttl_ms;
	long      limit = guard_limit(g);

	if (r->state == NULL || limit == 0 ||
	    store_fail(r->state, key, now, &fails, &ttl_ms) != STORE_COUNTED)
		return guard_fail(g, key, now);
	if (fails >= limit)
		guard_block(g, key, now, ttl_ms);
	return fails > limit ? ttl_ms : 0;
}

/* The last generation given to a set (app.h). */
static unsigned long auth_generations;

int
auth_set_load(struct auth_set *set, struct auth_app *a, int reload,
    char err[CFG_ERR_MAX])
{
	memset(set, 0, sizeof(*set));
	/* A reload without AUTH_TOKENS_FILE keeps AUTH_TOKENS' (main.c). */
	if (!reload) {
		if (tokens_load(&set->ts, &a->file, err) == -1)
			goto fail;
	} else if (a->file != NULL &&
	    tokens_read_file(&set->ts, a->file, err) == -1)
		goto fail;
	if (reload && a->file != NULL && set->ts.n == 0) {
		snprintf(err, CFG_ERR_MAX, "AUTH_TOKENS_FILE: holds no token");
		goto fail;
	}
	if (a->users_file != NULL &&
	    users_read_file(&set->us, a->users_file, err) == -1)
		goto fail;
	if (a->key_file != NULL &&
	    keys_read_file(&set->ks, a->key_file, err) == -1)
		goto fail;
	/* Only svc's main thread loads (at start, and on SIGHUP). */
	set->gen = ++auth_generations;
	return 0;
fail:
	auth_set_free(set);
	return -1;
}

void
auth_set_free(struct auth_set *set)
{
	tokens_free(&set->ts);
	users_free(&set->us);
	jwt_keyset_free(&set->ks);
}
