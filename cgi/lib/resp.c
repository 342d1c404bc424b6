/*
 * resp: response assembly.  One buffer, one FCGX_PutStr, so a response costs
 * one FastCGI record in the common case and no allocation but cJSON's for
 * error bodies.
 */
#include "resp.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ident.h"
#include "log.h"

/*
 * Room for the status line and the fixed headers beside the caller's extra
 * (which may hold the scopes: ident.h).
 */
#define RESP_HEAD_MAX (512 + 2 * (int)IDENT_SCOPES_TEXT)

_Static_assert(IDENT_JSON_MAX <= RESP_BODY_MAX,
    "the largest identity auth answers must fit in a response");

const char *
resp_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "Unknown";
	}
}

int
resp_send(struct svc_req *r, int status, const char *ctype, const char *extra,
    const char *body, size_t len)
{
	char buf[RESP_HEAD_MAX + RESP_BODY_MAX];
	int  n;

	/* One answer per request (svc may have answered a late one). */
	if (r->status != 0)
		return -1;
	/* Whether this request gets its log lines, here and at the gateway. */
	r->logged = r->reqlog == NULL ||
	    reqlog_keep(r->reqlog, r->sampled, status, log_ms_since(&r->t0));
	n = snprintf(buf, RESP_HEAD_MAX,
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Logged: %d\r\n"
	    "%s%s\r\n",
	    status, resp_reason(status), ctype, len,
	    r->cache_control ? r->cache_control : "no-store", r->logged, r->hdr,
	    extra ? extra : "");
	if (n < 0 || n >= RESP_HEAD_MAX)
		return -1;
	if (r->head)
		len = 0;
	/* Small answers (all but metrics) go to libfcgi in one call. */
	if (len <= RESP_BODY_MAX) {
		memcpy(buf + n, body, len);
		n += (int)len;
		len = 0;
	}
	if (FCGX_PutStr(buf, n, r->fcgx.out) != n ||
	    (len > 0 && FCGX_PutStr(body, (int)len, r->fcgx.out) != (int)len))
		return -1;
	/* Only an answer handed over counts (logs, metrics, the worker's guard). */
	r->status = status;
	return 0;
}

int
resp_json(struct svc_req *r, int status, const char *extra, const char *body,
    size_t len)
{
	if (len > RESP_BODY_MAX)
		return -1;
	return resp_send(r, status, "application/json", extra, body, len);
}

size_t
resp_error_body(char *buf, size_t cap, const char *detail)
{
	cJSON *o;
	size_t len = 0;

	if ((o = cJSON_CreateObject()) == NULL)
		return 0;
	if (cJSON_AddStringToObject(o, "detail", detail) != NULL &&
	    cJSON_PrintPreallocated(o, buf, (int)cap, 0))
		len = strlen(buf);
	cJSON_Delete(o);
	return len;
}

int
resp_error(struct svc_req *r, int status, const char *extra, const char *detail)
{
	char   body[RESP_BODY_MAX];
	size_t len;

	/* cJSON_PrintPreallocated wants 5 spare bytes. */
	len = resp_error_body(body, sizeof(body) - 5, detail);
	return resp_json(r, status, extra, body, len);
}

int
resp_retry(struct svc_req *r, int status, long long retry_ms,
    const char *detail)
{
	char extra[48];

	snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
	    retry_ms <= 1000 ? 1 : (retry_ms + 999) / 1000);
	return resp_error(r, status, extra, detail);
}

int
resp_unauthorized(struct svc_req *r, int sent)
{
	return resp_error(r, 401,
	    sent ? "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
		 : "WWW-Authenticate: Bearer\r\n",
	    "Invalid or missing token");
}

int
resp_bad_authorization(struct svc_req *r)
{
	return resp_error(r, 400,
	    "WWW-Authenticate: Bearer error=\"invalid_request\"\r\n",
	    "Malformed Authorization header");
}
