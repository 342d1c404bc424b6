/*
 * store: the shared failed-login budget in Redis (see store.h).
 *
 * Why hiredis: it is Redis's own C client, in Debian (0.14), and its
 * blocking API with socket timeouts is all a deadline of a few
 * milliseconds needs; one connection per worker thread means no pool and
 * no lock on the way to the server.
 */
#include "store.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "metrics.h"
#include "sha256.h"
#include "wipe.h"

_Static_assert(CFG_LEN_AUTH_FAIL_STORE == STORE_HOST_MAX + 8,
    "AUTH_FAIL_STORE's bound in config.def: redis:// and the longest host");

/*
 * The count and its window, atomic on the server.  A key found without an
 * expiry (written by someone else) gets one, so that nothing here lives
 * for ever.  Answers {failures in the window, milliseconds left}.
 */
static const char store_script[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "local t = redis.call('PTTL', KEYS[1]) "
    "if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) "
    "t = tonumber(ARGV[1]) end "
    "return {n, t}";

/* The HMAC block size of SHA-256, and the longest address digested. */
#define STORE_BLOCK    64
#define STORE_ADDR_MAX 64
/* Longest reason in the episode's log line. */
#define STORE_WHY_MAX  128
/* A numeric address, as getnameinfo() writes it, or a socket's path. */
#define STORE_IP_MAX   (STORE_HOST_MAX + 1)
/* How long store_free() waits for the resolver to see it must stop. */
#define STORE_STOP_MS  500

struct store {
	struct store_addr addr;
	long              timeout_ms;
	long              retry_ms;
	long              window_ms;
	char              password[STORE_PASSWORD_MAX + 1]; /* "": none */
	size_t            password_len;
	unsigned char     key[SHA256_LEN]; /* HMAC key of the digests */
	_Atomic int       down;
	_Atomic unsigned long long outcome[STORE_NOUTCOME];
	/*
	 * A host name is looked up by a thread of its own, every retry_ms,
	 * never by a login: a lookup may wait seconds (a name whose task is
	 * gone, asked of a DNS that forwards it nowhere).  Its latest
	 * address ("": none yet), under ip_lock; a literal address or a
	 * socket's path is there from the start.
	 */
	pthread_mutex_t ip_lock;
	char            ip[STORE_IP_MAX];
	int             resolver; /* the thread runs */
	_Atomic int     stop, stopped;
};

struct store_conn {
	struct store *s;
	redisContext *ctx;      /* NULL: not connected */
	long long     retry_at; /* no try before (monotonic ms) */
};

static const char *const store_names[STORE_NOUTCOME] = {
	"counted",
	"store_unavailable",
};

int
store_parse_addr(const char *v, struct store_addr *a)
{
	const char   *p, *colon;
	size_t        n, i;
	unsigned long port = 6379;
	char         *end;

	memset(a, 0, sizeof(*a));
	if (strncmp(v, "unix:", 5) == 0) {
		p = v + 5;
		n = strlen(p);
		if (p[0] != '/' || n > STORE_HOST_MAX)
			return -1;
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return -1;
		memcpy(a->host, p, n + 1);
		return 0;
	}
	if (strncmp(v, "redis://", 8) != 0)
		return -1;
	p = v + 8;
	colon = strrchr(p, ':');
	n = colon != NULL ? (size_t)(colon - p) : strlen(p);
	if (n == 0 || n > STORE_HOST_MAX)
		return -1;
	/* A host name or an IPv4 address: no user, no path, no IPv6. */
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
			p[i]) == NULL)
			return -1;
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			return -1;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
			return -1;
	}
	memcpy(a->host, p, n);
	a->host[n] = '\0';
	a->port = (int)port;
	return 0;
}

/*
 * The first line of the file that variable var names: min to max
 * printable characters without blanks, into out (NUL-terminated, max + 1
 * bytes) and *len.  what names the line in errors, which never show it.
 */
static int
store_read_line(const char *var, const char *file, const char *what, size_t min,
    size_t max, char *out, size_t *len, char err[CFG_ERR_MAX])
{
	FILE  *f;
	char   line[STORE_SECRET_MAX + 3], ebuf[64];
	size_t n, i;
	int    rc = -1;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: cannot open %s: %s", var, file,
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		snprintf(err, CFG_ERR_MAX, "%s: %s is empty", var, file);
		goto out;
	}
	n = strcspn(line, "\r\n");
	if (n < min || n > max) {
		snprintf(err, CFG_ERR_MAX,
		    "%s: the first line must hold %zu to %zu characters", var,
		    min, max);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (line[i] <= 0x20 || line[i] >= 0x7f) {
			snprintf(err, CFG_ERR_MAX,
			    "%s: the %s must be printable ASCII without blanks",
			    var, what);
			goto out;
		}
	memcpy(out, line, n);
	out[n] = '\0';
	*len = n;
	rc = 0;
out:
	wipe(line, sizeof(line));
	fclose(f);
	return rc;
}

/*
 * The key of the address digests, from AUTH_FAIL_STORE_KEY_FILE: every
 * replica derives the same one from the same file, which never goes to
 * the store (a reader of the store who had the key could test every
 * IPv4 address against the digests).
 */
static int
store_read_key(struct store *s, const char *file, char err[CFG_ERR_MAX])
{
	static const char label[] = "cgi-auth fail-store key v2";
	unsigned char     seed[sizeof(label) + STORE_SECRET_MAX + 1];
	size_t            n;

	memcpy(seed, label, sizeof(label));
	if (store_read_line("AUTH_FAIL_STORE_KEY_FILE", file, "key",
		STORE_KEY_SECRET_MIN, STORE_SECRET_MAX,
		(char *)seed + sizeof(label), &n, err) == -1)
		return -1;
	sha256(seed, sizeof(label) + n, s->key);
	wipe(seed, sizeof(seed));
	return 0;
}

/* A numeric address, or a name to look up: 1 when it is a name. */
static int
store_is_name(const struct store_addr *a)
{
	struct addrinfo hints, *res;
	int             rc;

	if (a->port == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(a->host, NULL, &hints, &res)) == 0)
		freeaddrinfo(res);
	return rc != 0;
}

static void
store_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The resolver: s->addr.host's first address, every retry_ms. */
static void *
store_resolve(void *arg)
{
	struct store   *s = arg;
	struct addrinfo hints, *res, *a;
	char            ip[STORE_IP_MAX];
	long            waited;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	while (!atomic_load(&s->stop)) {
		/* A failed lookup keeps the last address. */
		if (getaddrinfo(s->addr.host, NULL, &hints, &res) == 0) {
			/* IPv4 first, as Docker's and Kubernetes' DNS answer. */
			for (a = res; a != NULL && a->ai_family != AF_INET;
			     a = a->ai_next)
				;
			if (a == NULL)
				a = res;
			if (a != NULL &&
			    getnameinfo(a->ai_addr, a->ai_addrlen, ip,
				sizeof(ip), NULL, 0, NI_NUMERICHOST) == 0) {
				pthread_mutex_lock(&s->ip_lock);
				memcpy(s->ip, ip, sizeof(ip));
				pthread_mutex_unlock(&s->ip_lock);
			}
			freeaddrinfo(res);
		}
		for (waited = 0; waited < s->retry_ms && !atomic_load(&s->stop);
		     waited += 50)
			store_sleep_ms(50);
	}
	atomic_store(&s->stopped, 1);
	return NULL;
}

/*
 * The address is s->addr's host itself, or the resolver's to find.  The
 * resolver takes no signal: svc's main thread waits for them.
 */
static int
store_resolver_start(struct store *s, char err[CFG_ERR_MAX])
{
	pthread_t      t;
	pthread_attr_t attr;
	sigset_t       all, old;
	int            rc;

	if (!store_is_name(&s->addr)) {
		snprintf(s->ip, sizeof(s->ip), "%s", s->addr.host);
		return 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, store_resolve, s);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_FAIL_STORE: no thread to look up its host");
		return -1;
	}
	s->resolver = 1;
	return 0;
}

int
store_new(struct store **out, long window_ms, char err[CFG_ERR_MAX])
{
	struct store *s;
	const char   *v, *pwfile, *keyfile;

	*out = NULL;
	if (cfg_text(CFG_AUTH_FAIL_STORE, &v, err) == -1 ||
	    cfg_text(CFG_AUTH_FAIL_STORE_PASSWORD_FILE, &pwfile, err) == -1 ||
	    cfg_text(CFG_AUTH_FAIL_STORE_KEY_FILE, &keyfile, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (keyfile == NULL) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_FAIL_STORE needs AUTH_FAIL_STORE_KEY_FILE: the key "
		    "of its address digests, which the store must not hold");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_FAIL_STORE: out of memory");
		return -1;
	}
	pthread_mutex_init(&s->ip_lock, NULL);
	if (store_parse_addr(v, &s->addr) == -1) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_FAIL_STORE: expected redis://HOST[:PORT] or "
		    "unix:/PATH");
		goto fail;
	}
	if (cfg_int(CFG_AUTH_FAIL_STORE_TIMEOUT_MS, &s->timeout_ms, err) ==
		-1 ||
	    cfg_int(CFG_AUTH_FAIL_STORE_RETRY_MS, &s->retry_ms, err) == -1)
		goto fail;
	if ((pwfile != NULL &&
		store_read_line("AUTH_FAIL_STORE_PASSWORD_FILE", pwfile,
		    "password", 1, STORE_PASSWORD_MAX, s->password,
		    &s->password_len, err) == -1) ||
	    store_read_key(s, keyfile, err) == -1)
		goto fail;
	s->window_ms = window_ms;
	if (store_resolver_start(s, err) == -1)
		goto fail;
	if (s->password_len == 0)
		log_event("warn",
		    "AUTH_FAIL_STORE without AUTH_FAIL_STORE_PASSWORD_FILE: "
		    "the store takes no password: anyone who reaches it can "
		    "change the counts");
	*out = s;
	return 0;
fail:
	store_free(s);
	return -1;
}

void
store_free(struct store *s)
{
	long waited;

	if (s == NULL)
		return;
	if (s->resolver) {
		atomic_store(&s->stop, 1);
		for (waited = 0;
		     !atomic_load(&s->stopped) && waited < STORE_STOP_MS;
		     waited += 10)
			store_sleep_ms(10);
		/* Still in a lookup: it keeps s, which is not freed (at exit). */
		if (!atomic_load(&s->stopped))
			return;
	}
	pthread_mutex_destroy(&s->ip_lock);
	wipe(s->password, sizeof(s->password));
	wipe(s->key, sizeof(s->key));
	free(s);
}

void
store_key(const struct store *s, const char *addr, char out[STORE_KEY_MAX])
{
	unsigned char pad[STORE_BLOCK + SHA256_LEN],
	    inner[STORE_BLOCK + STORE_ADDR_MAX], mac[SHA256_LEN];
	size_t n = strnlen(addr, STORE_ADDR_MAX), i;
	char  *o;

	/* HMAC-SHA-256 (RFC 2104) with a 32-byte key. */
	memset(inner, 0x36, STORE_BLOCK);
	memset(pad, 0x5c, STORE_BLOCK);
	for (i = 0; i < SHA256_LEN; i++) {
		inner[i] ^= s->key[i];
		pad[i] ^= s->key[i];
	}
	memcpy(inner + STORE_BLOCK, addr, n);
	sha256(inner, STORE_BLOCK + n, pad + STORE_BLOCK);
	sha256(pad, sizeof(pad), mac);
	o = out + sizeof(STORE_KEY_PREFIX) - 1;
	memcpy(out, STORE_KEY_PREFIX, sizeof(STORE_KEY_PREFIX) - 1);
	for (i = 0; i < 16; i++) {
		o[2 * i] = "0123456789abcdef"[mac[i] >> 4];
		o[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	o[32] = '\0';
}

int
store_parse_reply(const struct redisReply *r, long long *fails,
    long long *ttl_ms)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return -1;
	/* A count starts at 1; what is left of a window is at most a day. */
	if (r->element[0]->integer < 1 || r->element[1]->integer < 0 ||
	    r->element[1]->integer > 86400000)
		return -1;
	*fails = r->element[0]->integer;
	/* 0: it ended as it was read; the answer says "try in 1 ms". */
	*ttl_ms = r->element[1]->integer > 0 ? r->element[1]->integer : 1;
	return 0;
}

struct store_conn *
store_conn_new(struct store *s)
{
	struct store_conn *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->s = s;
	return c;
}

static void
store_close(struct store_conn *c)
{
	if (c->ctx != NULL)
		redisFree(c->ctx);
	c->ctx = NULL;
}

void
store_conn_free(struct store_conn *c)
{
	if (c == NULL)
		return;
	store_close(c);
	free(c);
}

/* why: the step's reason, from hiredis or the server. */
static void
store_why(const struct store_conn *c, const redisReply *r, const char *step,
    char why[STORE_WHY_MAX])
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		snprintf(why, STORE_WHY_MAX, "%s: %.80s", step, r->str);
	else if (r != NULL)
		snprintf(why, STORE_WHY_MAX, "%s: an answer of the wrong type",
		    step);
	else if (c->ctx != NULL && c->ctx->err != 0)
		snprintf(why, STORE_WHY_MAX, "%s: %.80s", step, c->ctx->errstr);
	else
		snprintf(why, STORE_WHY_MAX, "%s: out of memory", step);
}

/* A connection with its deadlines, authenticated: 0, or -1 and why. */
static int
store_connect(struct store_conn *c, char why[STORE_WHY_MAX])
{
	struct store  *s = c->s;
	struct timeval tv = { s->timeout_ms / 1000,
		(s->timeout_ms % 1000) * 1000 };
	redisReply    *r = NULL;
	char           ip[STORE_IP_MAX];
	int            ok;

	/* The resolver's latest address: a login never looks a name up. */
	pthread_mutex_lock(&s->ip_lock);
	memcpy(ip, s->ip, sizeof(ip));
	pthread_mutex_unlock(&s->ip_lock);
	if (ip[0] == '\0') {
		snprintf(why, STORE_WHY_MAX,
		    "connect: %.80s has no address yet", s->addr.host);
		return -1;
	}
	c->ctx = s->addr.port != 0
	    ? redisConnectWithTimeout(ip, s->addr.port, tv)
	    : redisConnectUnixWithTimeout(ip, tv);
	if (c->ctx == NULL || c->ctx->err != 0) {
		store_why(c, NULL, "connect", why);
		return -1;
	}
	if (redisSetTimeout(c->ctx, tv) != REDIS_OK) {
		store_why(c, NULL, "timeout", why);
		return -1;
	}
	if (s->password_len == 0)
		return 0;
	r = redisCommand(c->ctx, "AUTH %b", s->password, s->password_len);
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (!ok)
		store_why(c, r, "AUTH", why);
	if (r != NULL)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

/*
 * One try on c's connection (made first when there is none): 0 and the
 * count, or -1 and why.  *stale: the failure was a kept connection the
 * server had closed, which a new connection may not share.
 */
static int
store_try(struct store_conn *c, const char *key, long long *fails,
    long long *ttl_ms, int *stale, char why[STORE_WHY_MAX])
{
	redisReply *r;
	int         kept = c->ctx != NULL, rc = -1;

	*stale = 0;
	if (!kept && store_connect(c, why) == -1)
		goto out;
	r = redisCommand(c->ctx, "EVAL %s 1 %s %ld", store_script, key,
	    c->s->window_ms);
	if (store_parse_reply(r, fails, ttl_ms) == 0)
		rc = 0;
	else {
		store_why(c, r, "EVAL", why);
		*stale = kept && r == NULL &&
		    (c->ctx->err == REDIS_ERR_EOF ||
			(c->ctx->err == REDIS_ERR_IO && errno != EAGAIN &&
			    errno != EWOULDBLOCK));
	}
	if (r != NULL)
		freeReplyObject(r);
out:
	if (rc == -1)
		store_close(c);
	return rc;
}

enum store_outcome
store_fail(struct store_conn *c, const char *addr, long long now_ms,
    long long *fails, long long *ttl_ms)
{
	struct store *s = c->s;
	char          key[STORE_KEY_MAX], why[STORE_WHY_MAX] = "";
	int           stale, ok;

	if (c->ctx == NULL && now_ms < c->retry_at)
		ok = 0;
	else {
		store_key(s, addr, key);
		ok = store_try(c, key, fails, ttl_ms, &stale, why) == 0;
		/* A restarted server closed what this thread kept: once more,
		 * on a new connection. */
		if (!ok && stale)
			ok = store_try(c, key, fails, ttl_ms, &stale, why) == 0;
	}
	if (ok) {
		if (atomic_exchange(&s->down, 0))
			log_event("info",
			    "AUTH_FAIL_STORE answers again: failed logins are "
			    "counted in it");
		atomic_fetch_add_explicit(&s->outcome[STORE_COUNTED], 1,
		    memory_order_relaxed);
		return STORE_COUNTED;
	}
	if (why[0] != '\0') {
		c->retry_at = now_ms + s->retry_ms;
		if (!atomic_exchange(&s->down, 1))
			log_event("warn",
			    "AUTH_FAIL_STORE unavailable (%s): failed logins "
			    "are counted in each process until it answers",
			    why);
	}
	atomic_fetch_add_explicit(&s->outcome[STORE_UNAVAILABLE], 1,
	    memory_order_relaxed);
	return STORE_UNAVAILABLE;
}

unsigned long long
store_outcomes(const struct store *s, enum store_outcome o)
{
	return atomic_load_explicit(&s->outcome[o], memory_order_relaxed);
}

int
store_down(const struct store *s)
{
	return atomic_load(&s->down);
}

int
store_metrics(const struct store *s, char *buf, size_t cap, size_t *len)
{
	if (metrics_family(buf, cap, len, "auth_fail_store_total",
		"What became of failed logins sent to the shared store "
		"(AUTH_FAIL_STORE).",
		"outcome", store_names, s->outcome, STORE_NOUTCOME) == -1)
		return -1;
	return metrics_gauge(buf, cap, len, "auth_fail_store_up",
	    "0 while the shared store fails, from a failed call until one "
	    "succeeds.",
	    !store_down(s));
}
