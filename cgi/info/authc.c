/*
 * authc: the call from info.fcgi to auth, and the mapping of its answer.
 *
 * A handle keeps its connection alive across calls (the whole point of
 * reusing it).  Its header list is the handle's own fixed nodes and
 * buffers, relinked per call around the caller's Authorization and request
 * id: no allocation per request.
 */
#include "authc.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <cjson/cJSON.h>

#include "trace.h"
#include "wipe.h"

_Static_assert(AUTHC_SOCK_MAX + 1 ==
	sizeof(((struct sockaddr_un *)0)->sun_path),
    "AUTH_UNIX_SOCKET's bound in config.def is sun_path's size less one");

/* "X-Request-ID: " and an id of at most REQID_MAX (64) characters. */
#define AUTHC_REQID_LINE 96

struct authc {
	CURL *h;
	/*
	 * Content-Type:, Expect:, Authorization, X-Request-ID, X-Client-Addr,
	 * X-Log-Sampled.
	 */
	struct curl_slist hdr[8];
	char              authz[AUTHC_AUTHZ_MAX + 32];
	char              rid[AUTHC_REQID_LINE];
	char              client[AUTHC_CLIENT_MAX + 32];
	char              tp[TRACE_HEADER_MAX + 16];
	char              ts[AUTHC_TRACESTATE_MAX + 16];
	char              body[AUTHC_BODY_MAX];
	size_t            len;
	struct ident      id; /* a yes's identity (authc_map()) */
	/* The answer's Cache-Control and X-Auth-Generation values, or "". */
	char cc[AUTHC_CC_MAX];
	char gen[24];
	int  overflow;
	int  wipe; /* authz holds a token */
	char errbuf[CURL_ERROR_SIZE];
	char why[CURL_ERROR_SIZE + 32];
};

int
authc_cfg_load(struct authc_cfg *cfg, char err[CFG_ERR_MAX])
{
	CURLU *u;
	char  *scheme = NULL;
	int    rc = -1;

	if (cfg_text(CFG_AUTH_URL, &cfg->url, err) == -1 ||
	    cfg_text(CFG_AUTH_UNIX_SOCKET, &cfg->sock, err) == -1 ||
	    cfg_int(CFG_AUTH_CONNECT_TIMEOUT_MS, &cfg->connect_ms, err) == -1 ||
	    cfg_int(CFG_AUTH_TIMEOUT_MS, &cfg->total_ms, err) == -1)
		return -1;
	if (cfg->total_ms < cfg->connect_ms) {
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_TIMEOUT_MS: must not be less "
		    "than AUTH_CONNECT_TIMEOUT_MS (%ld)",
		    cfg->connect_ms);
		return -1;
	}
	if ((u = curl_url()) == NULL) {
		snprintf(err, CFG_ERR_MAX, "AUTH_URL: out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, cfg->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		snprintf(err, CFG_ERR_MAX, "AUTH_URL: not a valid URL");
	else if (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0)
		snprintf(err, CFG_ERR_MAX,
		    "AUTH_URL: must be http:// or "
		    "https://");
	else
		rc = 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

static size_t
authc_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct authc *c = arg;
	size_t        n = size * nmemb;

	if (n > sizeof(c->body) - 1 - c->len) {
		c->overflow = 1;
		return 0; /* ends the transfer: CURLE_WRITE_ERROR */
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	return n;
}

/*
 * Keeps the value of header line h (n bytes, CRLF included) in out when
 * its name is name, cut to cap - 1 bytes.
 */
static void
authc_keep(const char *h, size_t n, const char *name, char *out, size_t cap)
{
	size_t k = strlen(name), v;

	if (n <= k || strncasecmp(h, name, k) != 0)
		return;
	h += k;
	n -= k;
	while (n > 0 && (*h == ' ' || *h == '\t')) {
		h++;
		n--;
	}
	while (n > 0 &&
	    (h[n - 1] == '\r' || h[n - 1] == '\n' || h[n - 1] == ' ' ||
		h[n - 1] == '\t'))
		n--;
	v = n < cap - 1 ? n : cap - 1;
	memcpy(out, h, v);
	out[v] = '\0';
}

static size_t
authc_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct authc *c = arg;
	size_t        n = size * nmemb;

	authc_keep(data, n, "Cache-Control:", c->cc, sizeof(c->cc));
	authc_keep(data, n, "X-Auth-Generation:", c->gen, sizeof(c->gen));
	return n;
}

/*
 * Debian's libcurl links libssh2, whose libssh2_init(0), called by
 * curl_global_init(), loads OpenSSL's engines: about 1.5 MB of libcrypto
 * touched in every info.fcgi, for a protocol the handles refuse
 * (CURLOPT_PROTOCOLS_STR).  libssh2 initialises its crypto only on its
 * first init, so one made first without crypto leaves it out.  A libcurl
 * without libssh2 has no such symbol and nothing is done.
 */
#define LIBSSH2_INIT_NO_CRYPTO 0x1
static void (*authc_ssh2_exit)(void);

int
authc_global_init(void)
{
	void *self;
	int (*ssh2_init)(int);

	if ((self = dlopen(NULL, RTLD_LAZY)) != NULL) {
		*(void **)&ssh2_init = dlsym(self, "libssh2_init");
		*(void **)&authc_ssh2_exit = dlsym(self, "libssh2_exit");
		if (ssh2_init == NULL || authc_ssh2_exit == NULL ||
		    ssh2_init(LIBSSH2_INIT_NO_CRYPTO) != 0)
			authc_ssh2_exit = NULL;
		dlclose(self);
	}
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
authc_global_cleanup(void)
{
	curl_global_cleanup();
	if (authc_ssh2_exit != NULL)
		authc_ssh2_exit();
	authc_ssh2_exit = NULL;
}

struct authc *
authc_new(const struct authc_cfg *cfg)
{
	struct authc *c;
	CURL         *h;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((h = c->h = curl_easy_init()) == NULL) {
		free(c);
		return NULL;
	}
	/* No Content-Type for an empty POST; no Expect: 100-continue wait. */
	c->hdr[0].data = (char *)"Content-Type:";
	c->hdr[1].data = (char *)"Expect:";
	c->hdr[2].data = c->authz;
	c->hdr[3].data = c->rid;
	c->hdr[4].data = c->client;
	c->hdr[6].data = c->tp;
	c->hdr[7].data = c->ts;
	if (authc_setup(h, cfg, cfg->url) == -1 ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdr) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, authc_write) !=
		CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, authc_header) !=
		CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, c) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK) {
		authc_free(c);
		return NULL;
	}
	return c;
}

int
authc_setup(CURL *h, const struct authc_cfg *cfg, const char *url)
{
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    /* The gateway's internal socket: AUTH_URL's host is only a name. */
	    (cfg->sock != NULL &&
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, cfg->sock) !=
		    CURLE_OK) ||
	    /* Threads: no alarm()-based DNS timeouts. */
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_ms) !=
		CURLE_OK ||
	    /*
	     * AUTH_URL's name is looked up again after a second, as the
	     * gateway's resolver does: in a swarm it names every node's
	     * gateway, and a lost node leaves the answer within seconds
	     * (docs/deploy.md).  Kept connections make lookups rare.
	     */
	    curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->total_ms) !=
		CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    /* Never through a proxy from http_proxy & co: auth is ours. */
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
		CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "info.fcgi") != CURLE_OK)
		return -1;
	return 0;
}

void
authc_free(struct authc *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	free(c);
}

/* One Cache-Control directive's name: a token (RFC 9110), lower-cased. */
static size_t
authc_directive(const char *s, char *name, size_t cap)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap &&
	     (isalnum((unsigned char)s[i]) || strchr("!#$%&'*+-.^_`|~", s[i]));
	     i++)
		name[i] = (char)tolower((unsigned char)s[i]);
	name[i] = '\0';
	return i;
}

/*
 * max-age's seconds in cc when it says scope (private or public) and
 * neither no-store, no-cache nor the other scope; else -1.
 */
static long
authc_cc_max_age(const char *cc, const char *scope, const char *other)
{
	const char *p = cc;
	char        name[32];
	long        max_age = -1, v;
	int         scoped = 0, bad = 0;
	size_t      n;

	if (cc == NULL)
		return -1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if ((n = authc_directive(p, name, sizeof(name))) == 0)
			return -1; /* unparsable */
		p += n;
		if (*p == '=') {
			p++;
			if (*p == '"') { /* a quoted value, skipped */
				for (p++; *p != '\0' && *p != '"'; p++)
					if (*p == '\\' && p[1] != '\0')
						p++;
				if (*p++ != '"')
					return -1;
				v = -1;
			} else {
				for (v = 0, n = 0; isdigit((unsigned char)p[n]);
				     n++)
					v = v > 100000000
					    ? v
					    : v * 10 + (p[n] - '0');
				if (n == 0)
					return -1;
				p += n;
			}
			if (strcmp(name, "max-age") == 0)
				max_age = v;
		} else if (strcmp(name, "max-age") == 0)
			return -1;
		if (strcmp(name, scope) == 0)
			scoped = 1;
		/* Unknown directives are ignored (RFC 9111 section 5.2.3). */
		if (strcmp(name, "no-store") == 0 ||
		    strcmp(name, "no-cache") == 0 || strcmp(name, other) == 0)
			bad = 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return -1;
	}
	return bad || !scoped ? -1 : max_age;
}

long
authc_parse_max_age(const char *cc)
{
	return authc_cc_max_age(cc, "private", "public");
}

long
authc_parse_public_max_age(const char *cc)
{
	return authc_cc_max_age(cc, "public", "private");
}

unsigned long long
authc_parse_gen(const char *s)
{
	unsigned long long g = 0;
	size_t             i;

	if (s == NULL || strlen(s) != 16)
		return 0;
	for (i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return 0;
		g = g << 4 |
		    (unsigned long long)(isdigit((unsigned char)s[i])
			    ? s[i] - '0'
			    : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return g;
}

long
authc_max_age(const struct authc *c)
{
	return authc_parse_max_age(c->cc);
}

unsigned long long
authc_generation(const struct authc *c)
{
	return authc_parse_gen(c->gen);
}

/*
 * The identity in a yes's DTO into id: "sub" a string and "scopes" an
 * array of strings, each by ident.h's rules, both optional.  Returns 0, or
 * -1 when either is there and wrong (the answer is then garbage).
 */
static int
authc_ident_parse(const cJSON *o, struct ident *id)
{
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(o, "sub");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scopes");
	const cJSON *e;
	size_t       used = 0, k, n = 0;

	if (sub != NULL) {
		if (!cJSON_IsString(sub) ||
		    !ident_sub_ok(sub->valuestring, strlen(sub->valuestring)))
			return -1;
		memcpy(id->sub, sub->valuestring, strlen(sub->valuestring) + 1);
	}
	if (sc == NULL)
		return 0;
	if (!cJSON_IsArray(sc))
		return -1;
	cJSON_ArrayForEach(e, sc)
	{
		if (!cJSON_IsString(e) || ++n > IDENT_SCOPES_MAX ||
		    !ident_scope_ok(e->valuestring,
			(k = strlen(e->valuestring))))
			return -1;
		if (used > 0)
			id->scopes[used++] = ' ';
		memcpy(id->scopes + used, e->valuestring, k + 1);
		used += k;
	}
	return 0;
}

enum authc_outcome
authc_map(CURLcode rc, long status, long long clen, const char *body,
    size_t len, struct ident *id)
{
	cJSON             *o;
	enum authc_outcome out = AUTHC_UNAVAILABLE;

	id->sub[0] = '\0';
	id->scopes[0] = '\0';
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return AUTHC_TIMEOUT;
	if (rc != CURLE_OK)
		return AUTHC_UNAVAILABLE;
	switch (status) {
	case 200:
		/*
		 * The tutorial's auth answers an empty 200 (Content-Length: 0):
		 * a yes, so that either service can stand in for the
		 * tutorial's.  An empty body without that header is headers
		 * cut off, which curl reports as a 200 with nothing.  Fail
		 * closed on the rest: a 200 with any other body (an HTML page
		 * from a wrong AUTH_URL, {"authenticated": false}) is garbage.
		 */
		if (len == 0)
			return clen == 0 ? AUTHC_OK : AUTHC_UNAVAILABLE;
		o = cJSON_ParseWithLength(body, len);
		if (cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(o, "authenticated"))) {
			/* A DTO that breaks the rules is garbage too. */
			if (authc_ident_parse(o, id) == 0)
				out = AUTHC_OK;
			else {
				id->sub[0] = '\0';
				id->scopes[0] = '\0';
			}
		}
		cJSON_Delete(o);
		return out;
	case 401:
		return AUTHC_UNAUTHORIZED;
	case 403:
		return AUTHC_FORBIDDEN;
	case 429:
		return AUTHC_THROTTLED;
	case 400:
		return AUTHC_BAD_REQUEST;
	case 504:
		/* The gateway gave up waiting for auth: a timeout too. */
		return AUTHC_TIMEOUT;
	case 502:
	case 503:
		/* The gateway's: no auth behind it answers. */
		return AUTHC_UNAVAILABLE;
	default:
		/* auth itself answered: an error about this request. */
		return status >= 400 && status <= 599 ? AUTHC_FAILED
						      : AUTHC_UNAVAILABLE;
	}
}

CURL *
authc_begin(struct authc *c, const struct authc_call *call)
{
	struct curl_slist *last = &c->hdr[1];

	c->len = 0;
	c->overflow = 0;
	c->cc[0] = '\0';
	c->gen[0] = '\0';
	c->errbuf[0] = '\0';
	c->wipe = call->authorization != NULL;
	if (call->authorization != NULL) {
		snprintf(c->authz, sizeof(c->authz), "Authorization: %s",
		    call->authorization);
		last = last->next = &c->hdr[2];
	}
	if (call->reqid != NULL) {
		snprintf(c->rid, sizeof(c->rid), "X-Request-ID: %s",
		    call->reqid);
		last = last->next = &c->hdr[3];
	}
	if (call->client != NULL && call->client[0] != '\0' &&
	    strlen(call->client) <= AUTHC_CLIENT_MAX) {
		snprintf(c->client, sizeof(c->client), "X-Client-Addr: %s",
		    call->client);
		last = last->next = &c->hdr[4];
	}
	c->hdr[5].data = (char *)(call->sampled ? "X-Log-Sampled: 1"
						: "X-Log-Sampled: 0");
	last = last->next = &c->hdr[5];
	/* W3C Trace Context: this call is a span of info's request. */
	if (call->traceparent != NULL) {
		snprintf(c->tp, sizeof(c->tp), "traceparent: %s",
		    call->traceparent);
		last = last->next = &c->hdr[6];
		if (call->tracestate != NULL && call->tracestate[0] != '\0' &&
		    strlen(call->tracestate) <= AUTHC_TRACESTATE_MAX) {
			snprintf(c->ts, sizeof(c->ts), "tracestate: %s",
			    call->tracestate);
			last = last->next = &c->hdr[7];
		}
	}
	last->next = NULL;
	c->hdr[0].next = &c->hdr[1];
	return c->h;
}

enum authc_outcome
authc_end(struct authc *c, CURLcode rc, const char **why)
{
	long               status = 0;
	curl_off_t         clen = -1;
	enum authc_outcome out;

	*why = "";
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
	/* The buffer held the caller's token. */
	if (c->wipe)
		wipe(c->authz, sizeof(c->authz));
	c->wipe = 0;
	out = authc_map(rc, status, (long long)clen, c->body, c->len, &c->id);
	if (out == AUTHC_TIMEOUT || out == AUTHC_UNAVAILABLE ||
	    out == AUTHC_FAILED) {
		if (c->overflow)
			snprintf(c->why, sizeof(c->why),
			    "answer longer than "
			    "%d bytes",
			    AUTHC_BODY_MAX - 1);
		else if (rc != CURLE_OK)
			snprintf(c->why, sizeof(c->why), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		else
			snprintf(c->why, sizeof(c->why), "status %ld%s", status,
			    status == 200 ? " with a body that is not "
					    "{\"authenticated\":true} "
					    "(with a valid sub and scopes)"
					  : "");
		*why = c->why;
	}
	return out;
}

const struct ident *
authc_ident(const struct authc *c)
{
	return &c->id;
}

long
authc_retry_after(struct authc *c)
{
	curl_off_t s = 0;

	curl_easy_getinfo(c->h, CURLINFO_RETRY_AFTER, &s);
	return s < 1 ? 1 : s > 86400 ? 86400 : (long)s;
}

CURL *
authc_handle(struct authc *c)
{
	return c->h;
}
