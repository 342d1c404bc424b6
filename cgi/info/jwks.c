/*
 * jwks: the set in use is swapped whole under a write lock by the fetching
 * thread; verifiers hold the read lock while they check a signature
 * (~50 us), so a set is never freed under them.
 */
#include "jwks.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

/* Fetches at most this often: a retry while auth fails, a kid's request. */
#define JWKS_MIN_GAP_MS 1000
/* The longest lifetime believed: a day. */
#define JWKS_MAX_AGE_S  86400

static const char *const jwks_fetch_names[JWKS_FETCH_N] = {
	[JWKS_FETCH_OK] = "ok",
	[JWKS_FETCH_FAILED] = "failed",
	[JWKS_FETCH_BREAKER_OPEN] = "breaker_open",
};

struct jwks {
	const struct authc_cfg *cfg;
	struct breaker         *breaker;
	long                    stale_ms;
	char                   *url; /* AUTH_URL's host, the JWKS's path */
	CURL                   *h;   /* the fetching thread's */

	pthread_rwlock_t  lock; /* ks, gen, fresh_until, use_until */
	struct jwt_keyset ks;
	unsigned long     gen;         /* 0: no set yet */
	long long         fresh_until; /* ms: its lifetime's end */
	long long         use_until;   /* ms: and AUTH_STALE_IF_ERROR_MS */

	pthread_mutex_t mu; /* the thread's schedule */
	pthread_cond_t  cv;
	int             stop, wanted; /* wanted: a kid the set lacked */
	long long       last_ms;      /* the last fetch's start */

	pthread_t                  tid;
	_Atomic unsigned long long fetches[JWKS_FETCH_N];
	atomic_int                 failing; /* logged once per episode */

	/* The fetch in progress, the thread's alone. */
	char   body[JWT_JWKS_MAX];
	size_t len;
	int    over;
	char   cc[AUTHC_CC_MAX + 1];
};

static size_t
jwks_write(char *p, size_t size, size_t n, void *arg)
{
	struct jwks *j = arg;

	n *= size;
	if (j->len + n > sizeof(j->body)) {
		j->over = 1;
		return 0; /* stops the transfer: not a key set of ours */
	}
	memcpy(j->body + j->len, p, n);
	j->len += n;
	return n;
}

static size_t
jwks_header(char *p, size_t size, size_t n, void *arg)
{
	struct jwks *j = arg;
	size_t       len = size * n, k = sizeof("Cache-Control:") - 1, v;

	if (len > k && strncasecmp(p, "Cache-Control:", k) == 0) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		for (v = len; v > k &&
		     (p[v - 1] == '\r' || p[v - 1] == '\n' || p[v - 1] == ' ');
		     v--)
			;
		if (v - k <= AUTHC_CC_MAX) {
			memcpy(j->cc, p + k, v - k);
			j->cc[v - k] = '\0';
		}
	}
	return len;
}

/* Stops a fetch in progress when the process stops. */
static int
jwks_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct jwks *j = arg;
	int          stop;

	(void)a, (void)b, (void)c, (void)d;
	pthread_mutex_lock(&j->mu);
	stop = j->stop;
	pthread_mutex_unlock(&j->mu);
	return stop;
}

/* AUTH_URL with the JWKS's path, malloc'd; NULL when curl refuses it. */
static char *
jwks_url(const char *auth_url)
{
	CURLU *u = curl_url();
	char  *s = NULL, *out = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, auth_url, 0) == 0 &&
	    curl_url_set(u, CURLUPART_PATH, "/.well-known/jwks.json", 0) == 0 &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == 0 &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == 0 &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == 0)
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

static void
jwks_count(struct jwks *j, enum jwks_fetch f)
{
	atomic_fetch_add_explicit(&j->fetches[f], 1, memory_order_relaxed);
}

/* Installs a fetched set, kept max_age_s: the old one is freed. */
static void
jwks_install(struct jwks *j, struct jwt_keyset *ks, long max_age_s)
{
	long long now = clock_ms();
	size_t    n = ks->n;

	pthread_rwlock_wrlock(&j->lock);
	jwt_keyset_free(&j->ks);
	j->ks = *ks;
	j->gen++;
	j->fresh_until = now + max_age_s * 1000LL;
	j->use_until = j->fresh_until + j->stale_ms;
	pthread_rwlock_unlock(&j->lock);
	if (j->gen == 1)
		log_event("info",
		    "auth's keys fetched: %zu key(s), kept %ld s; access "
		    "tokens are checked here",
		    n, max_age_s);
	else if (atomic_load(&j->failing))
		log_event("info", "auth's keys fetched again: %zu key(s)", n);
	atomic_store(&j->failing, 0);
}

/*
 * One fetch: a set installed (0), or -1 (*why for the log).  Sets *max_age_s
 * to the set's lifetime.
 */
static int
jwks_fetch_once(struct jwks *j, long *max_age_s, const char **why)
{
	struct jwt_keyset ks = { 0 };
	long              status = 0;
	CURLcode          rc;

	/*
	 * The breaker decides, but only /info's own calls count in it: a
	 * fetch that fails at start, before the gateway is up, must not open
	 * it for every client (AUTH_CB_FAILURES=1 would).
	 */
	if (breaker_is_open(j->breaker)) {
		jwks_count(j, JWKS_FETCH_BREAKER_OPEN);
		*why = "the breaker is open";
		return -1;
	}
	j->len = 0;
	j->over = 0;
	j->cc[0] = '\0';
	rc = curl_easy_perform(j->h);
	curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &status);
	*why = rc != CURLE_OK && !j->over ? curl_easy_strerror(rc)
	    : status != 200               ? "not 200"
	    : j->over                     ? "too large"
					  : "not a key set";
	if (rc != CURLE_OK || status != 200 ||
	    jwt_keyset_from_jwks(&ks, j->body, j->len) == -1) {
		jwks_count(j, JWKS_FETCH_FAILED);
		return -1;
	}
	*max_age_s = authc_parse_public_max_age(j->cc);
	if (*max_age_s < 0)
		*max_age_s = 0;
	if (*max_age_s > JWKS_MAX_AGE_S)
		*max_age_s = JWKS_MAX_AGE_S;
	jwks_install(j, &ks, *max_age_s);
	jwks_count(j, JWKS_FETCH_OK);
	return 0;
}

/* ms until the next fetch is due after one that did (ok) or did not. */
static long long
jwks_next_ms(int ok, long max_age_s)
{
	long long ms = max_age_s * 750LL;

	return !ok || ms < JWKS_MIN_GAP_MS ? JWKS_MIN_GAP_MS : ms;
}

static void *
jwks_main(void *arg)
{
	struct jwks    *j = arg;
	struct timespec ts;
	long long       due = 0, now, wake;
	long            max_age_s = 0;
	const char     *why;
	int             ok;

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		now = clock_ms();
		wake = due;
		if (j->wanted && j->last_ms + JWKS_MIN_GAP_MS < wake)
			wake = j->last_ms + JWKS_MIN_GAP_MS;
		if (now < wake) {
			/* The wait is on CLOCK_MONOTONIC (jwks_new()). */
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (wake - now) / 1000;
			ts.tv_nsec += (long)((wake - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&j->cv, &j->mu, &ts);
			continue;
		}
		j->wanted = 0;
		j->last_ms = now;
		pthread_mutex_unlock(&j->mu);
		ok = jwks_fetch_once(j, &max_age_s, &why) == 0;
		/* Before the first set (the gateway may not be up yet), no
		 * warning: /info asks auth meanwhile, as ever. */
		if (!ok && jwks_generation(j) != 0 &&
		    !atomic_exchange(&j->failing, 1))
			log_event("warn",
			    "auth's keys cannot be fetched (%s): the ones "
			    "kept serve up to AUTH_STALE_IF_ERROR_MS (%ld ms) "
			    "past their lifetime, then /info asks auth",
			    why, j->stale_ms);
		pthread_mutex_lock(&j->mu);
		due = clock_ms() + jwks_next_ms(ok, max_age_s);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* The thread, with every signal blocked: svc's main thread takes them. */
static int
jwks_start(struct jwks *j)
{
	sigset_t all, old;
	int      rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&j->tid, NULL, jwks_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

static int
jwks_handle(struct jwks *j)
{
	return (j->h = curl_easy_init()) == NULL ||
		authc_setup(j->h, j->cfg, j->url) == -1 ||
		curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, jwks_write) !=
		    CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j) != CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_HEADERFUNCTION, jwks_header) !=
		    CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_HEADERDATA, j) != CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_XFERINFOFUNCTION,
		    jwks_progress) != CURLE_OK ||
		curl_easy_setopt(j->h, CURLOPT_XFERINFODATA, j) != CURLE_OK
	    ? -1
	    : 0;
}

struct jwks *
jwks_new(const struct authc_cfg *cfg, struct breaker *b, long stale_ms)
{
	struct jwks       *j;
	pthread_condattr_t ca;
	int                i;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->cfg = cfg;
	j->breaker = b;
	j->stale_ms = stale_ms;
	for (i = 0; i < JWKS_FETCH_N; i++)
		atomic_init(&j->fetches[i], 0);
	atomic_init(&j->failing, 0);
	pthread_rwlock_init(&j->lock, NULL);
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((j->url = jwks_url(cfg->url)) == NULL || jwks_handle(j) == -1 ||
	    jwks_start(j) == -1) {
		curl_easy_cleanup(j->h);
		free(j->url);
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->mu);
		pthread_rwlock_destroy(&j->lock);
		free(j);
		return NULL;
	}
	return j;
}

void
jwks_free(struct jwks *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->tid, NULL);
	curl_easy_cleanup(j->h);
	free(j->url);
	jwt_keyset_free(&j->ks);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	pthread_rwlock_destroy(&j->lock);
	free(j);
}

/* Asks the thread for a fetch (it keeps to one a second). */
static void
jwks_want(struct jwks *j)
{
	pthread_mutex_lock(&j->mu);
	if (!j->wanted) {
		j->wanted = 1;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
}

enum jwks_verdict
jwks_verify(struct jwks *j, const char *tok, size_t len, const char *iss,
    struct jwt_claims *out, const char **why, unsigned long *gen)
{
	enum jwks_verdict v = JWKS_NO_KEYS;

	pthread_rwlock_rdlock(&j->lock);
	*gen = 0;
	if (j->gen != 0 && clock_ms() < j->use_until) {
		*gen = j->gen;
		v = jwt_verify(&j->ks, tok, len, iss, (long long)time(NULL),
			out, why) == 0
		    ? JWKS_VERIFIED
		    : JWKS_REFUSED;
	}
	pthread_rwlock_unlock(&j->lock);
	if (v == JWKS_REFUSED && *why == jwt_why_unknown_kid)
		jwks_want(j);
	return v;
}

unsigned long
jwks_generation(struct jwks *j)
{
	unsigned long gen = 0;

	pthread_rwlock_rdlock(&j->lock);
	if (j->gen != 0 && clock_ms() < j->use_until)
		gen = j->gen;
	pthread_rwlock_unlock(&j->lock);
	return gen;
}

int
jwks_metrics(struct jwks *j, char *buf, size_t cap, size_t *len)
{
	long long n;

	pthread_rwlock_rdlock(&j->lock);
	n = j->gen != 0 && clock_ms() < j->use_until ? (long long)j->ks.n : 0;
	pthread_rwlock_unlock(&j->lock);
	if (metrics_family(buf, cap, len, "info_jwks_fetches_total",
		"What became of info's fetches of auth's keys.", "result",
		jwks_fetch_names, j->fetches, JWKS_FETCH_N) == -1)
		return -1;
	return metrics_gauge(buf, cap, len, "info_jwks_keys",
	    "auth's keys info checks access tokens with (0: it asks auth).", n);
}
