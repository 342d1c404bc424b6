/* Unit tests of authc: what auth answers → what info does; AUTH_URL checks. */
#include <stdlib.h>

#include "authc.h"
#include "t.h"

#define YES     "{\"authenticated\":true}"
#define YES_LEN ((long long)sizeof(YES) - 1)

/* What auth answered (curl's result, status, Content-Length, body) → outcome. */
static const struct {
	CURLcode           rc;
	long               status;
	long long          clen;
	const char        *body;
	size_t             len;
	enum authc_outcome want;
	const char        *what;
} maps[] = {
	{ CURLE_OK, 200, YES_LEN, YES, YES_LEN, AUTHC_OK,
	    "200 with authenticated:true is a yes" },
	{ CURLE_OK, 200, 0, "", 0, AUTHC_OK,
	    "200 with an empty body (the tutorial's auth) is a yes" },
	{ CURLE_OK, 200, -1, "", 0, AUTHC_UNAVAILABLE,
	    "an empty 200 without Content-Length: 0 (headers cut off) is not a yes" },
	{ CURLE_OK, 200, -1, YES, YES_LEN, AUTHC_OK,
	    "a chunked yes (no Content-Length) is a yes" },
	{ CURLE_OK, 200, 1, " ", 1, AUTHC_UNAVAILABLE,
	    "200 with a blank body is not a yes" },
	{ CURLE_OK, 200, 2, "{}", 2, AUTHC_UNAVAILABLE,
	    "200 with an empty object is not a yes" },
	{ CURLE_OK, 200, 23, "{\"authenticated\":false}", 23, AUTHC_UNAVAILABLE,
	    "200 with authenticated:false is not a yes" },
	{ CURLE_OK, 200, 24, "{\"authenticated\":\"true\"}", 24,
	    AUTHC_UNAVAILABLE, "a string \"true\" is not a yes" },
	{ CURLE_OK, 200, 6, "<html>", 6, AUTHC_UNAVAILABLE,
	    "200 with garbage is not a yes" },
	{ CURLE_OK, 200, 10, YES, 10, AUTHC_UNAVAILABLE,
	    "a truncated yes is not a yes" },
	{ CURLE_OK, 401, 0, "", 0, AUTHC_UNAUTHORIZED, "401 is passed on" },
	{ CURLE_OK, 403, 0, "", 0, AUTHC_FORBIDDEN, "403 is passed on" },
	{ CURLE_OK, 429, 0, "", 0, AUTHC_THROTTLED,
	    "429 (the client's address failed too often) is passed on" },
	{ CURLE_OK, 302, 0, "", 0, AUTHC_UNAVAILABLE,
	    "a redirect is unavailable (never followed)" },
	{ CURLE_OK, 500, 0, "", 0, AUTHC_FAILED,
	    "500 is auth's error about the request, not an outage" },
	{ CURLE_OK, 404, 0, "", 0, AUTHC_FAILED,
	    "another 4xx is auth's answer about the request too" },
	{ CURLE_OK, 400, 0, "", 0, AUTHC_BAD_REQUEST,
	    "400 (a malformed Authorization) is passed on" },
	{ CURLE_OK, 502, 0, "", 0, AUTHC_UNAVAILABLE,
	    "the gateway's 502 (auth down) is unavailable" },
	{ CURLE_OK, 503, 0, "", 0, AUTHC_UNAVAILABLE,
	    "the gateway's 503 is unavailable" },
	{ CURLE_OK, 504, 0, "", 0, AUTHC_TIMEOUT,
	    "the gateway's 504 (auth slow) is a timeout" },
	{ CURLE_OK, 204, 0, "", 0, AUTHC_UNAVAILABLE,
	    "another 2xx (204) is not a yes" },
	{ CURLE_OPERATION_TIMEDOUT, 0, 0, "", 0, AUTHC_TIMEOUT,
	    "a deadline hit is a timeout" },
	{ CURLE_COULDNT_CONNECT, 0, 0, "", 0, AUTHC_UNAVAILABLE,
	    "a refused connection is unavailable" },
	{ CURLE_WEIRD_SERVER_REPLY, 200, YES_LEN, YES, YES_LEN,
	    AUTHC_UNAVAILABLE, "a garbled reply is unavailable even with 200" },
};

/* Each row is its own behaviour: the table says which failed. */
static void
every_answer_of_auth_maps_to_its_outcome(void)
{
	struct ident id;
	size_t       i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		T_CHECK(authc_map(maps[i].rc, maps[i].status, maps[i].clen,
			    maps[i].body, maps[i].len, &id) == maps[i].want,
		    maps[i].what);
}

/* auth's answer body, its outcome and the identity taken from it. */
static const struct {
	const char        *body;
	enum authc_outcome want;
	const char        *sub, *scopes, *what;
} dtos[] = {
	{ "{\"authenticated\":true,\"sub\":\"alice\","
	  "\"scopes\":[\"info:read\",\"admin\"]}",
	    AUTHC_OK, "alice", "info:read admin", "the DTO: sub and scopes" },
	{ "{\"authenticated\":true}", AUTHC_OK, "", "",
	    "no identity: a yes with none" },
	{ "{\"authenticated\":true,\"scopes\":[]}", AUTHC_OK, "", "",
	    "no scopes" },
	{ "{\"authenticated\":true,\"sub\":\"a b\"}", AUTHC_UNAVAILABLE, "", "",
	    "a sub with a blank is garbage" },
	{ "{\"authenticated\":true,\"sub\":\"\"}", AUTHC_UNAVAILABLE, "", "",
	    "an empty sub is garbage" },
	{ "{\"authenticated\":true,\"sub\":7}", AUTHC_UNAVAILABLE, "", "",
	    "a sub that is not a string is garbage" },
	{ "{\"authenticated\":true,\"scopes\":\"info:read\"}",
	    AUTHC_UNAVAILABLE, "", "", "scopes that are not an array" },
	{ "{\"authenticated\":true,\"scopes\":[\"info read\"]}",
	    AUTHC_UNAVAILABLE, "", "", "a scope with a blank" },
	{ "{\"authenticated\":true,\"scopes\":[1]}", AUTHC_UNAVAILABLE, "", "",
	    "a scope that is not a string" },
	{ "{\"authenticated\":false,\"sub\":\"alice\"}", AUTHC_UNAVAILABLE, "",
	    "", "a no's identity is not taken" },
};

static void
a_yes_carries_the_dtos_identity_and_a_bad_one_is_garbage(void)
{
	struct ident id;
	size_t       i;

	for (i = 0; i < sizeof(dtos) / sizeof(dtos[0]); i++) {
		T_CHECK(authc_map(CURLE_OK, 200, -1, dtos[i].body,
			    strlen(dtos[i].body), &id) == dtos[i].want &&
			strcmp(id.sub, dtos[i].sub) == 0 &&
			strcmp(id.scopes, dtos[i].scopes) == 0,
		    dtos[i].what);
	}
}

static void
thirty_three_scopes_are_garbage_thirty_two_are_not(void)
{
	char         body[IDENT_JSON_MAX + 64];
	struct ident id;
	size_t       n;
	int          i;

	n = (size_t)snprintf(body, sizeof(body),
	    "{\"authenticated\":true,"
	    "\"scopes\":[\"s0\"");
	for (i = 1; i < 32; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"s%d\"",
		    i);
	snprintf(body + n, sizeof(body) - n, "]}");
	T_CHECK(authc_map(CURLE_OK, 200, -1, body, strlen(body), &id) ==
		    AUTHC_OK &&
		ident_has_scope(&id, "s31") && !ident_has_scope(&id, "s32"),
	    "32 scopes: a yes, each one known");
	snprintf(body + n, sizeof(body) - n, ",\"s32\"]}");
	T_CHECK(authc_map(CURLE_OK, 200, -1, body, strlen(body), &id) ==
		AUTHC_UNAVAILABLE,
	    "33: garbage");
}

static void
a_lifetime_needs_private_and_max_age_and_no_veto(void)
{
	static const struct {
		const char *cc;
		long        want;
	} cases[] = {
		{ "private, max-age=5", 5 },
		{ "max-age=30,private", 30 },
		{ "Private, Max-Age=0", 0 },
		{ "private, max-age=5, must-revalidate", 5 },
		{ "private, max-age=5, x-ours=\"a, b\"", 5 },
		{ "private", -1 },
		{ "max-age=5", -1 },
		{ "public, max-age=5", -1 },
		{ "private, max-age=5, no-store", -1 },
		{ "no-cache, private, max-age=5", -1 },
		{ "no-store", -1 },
		{ "private, max-age=", -1 },
		{ "private, max-age=5x", -1 },
		{ "private, max-age=-5", -1 },
		{ "private,, max-age=5", -1 },
		{ "private; max-age=5", -1 },
		{ "private, max-age=\"5", -1 },
		{ "", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_CHECK(authc_parse_max_age(cases[i].cc) == cases[i].want,
		    cases[i].cc);
	T_CHECK(authc_parse_max_age(NULL) == -1, "none: not kept");
}

static void
a_shared_lifetime_needs_public_and_max_age(void)
{
	T_CHECK(authc_parse_public_max_age("public, max-age=300") == 300,
	    "auth's JWKS");
	T_CHECK(authc_parse_public_max_age("private, max-age=5") == -1,
	    "private: not for a shared copy");
	T_CHECK(authc_parse_public_max_age("public, max-age=5, no-cache") == -1,
	    "no-cache vetoes");
	T_CHECK(authc_parse_public_max_age("max-age=5") == -1, "no public");
	T_CHECK(authc_parse_public_max_age(NULL) == -1, "none");
}

static void
a_generation_is_16_hex_digits(void)
{
	T_CHECK(authc_parse_gen("00000000000000ff") == 255 &&
		authc_parse_gen("DEADBEEF00000001") == 0xdeadbeef00000001ULL,
	    "hex, either case");
	T_CHECK(authc_parse_gen("ff") == 0 && authc_parse_gen(NULL) == 0 &&
		authc_parse_gen("000000000000000g") == 0 &&
		authc_parse_gen("00000000000000001") == 0,
	    "anything else: none");
}

static void
unset(void)
{
	unsetenv("AUTH_URL");
	unsetenv("AUTH_UNIX_SOCKET");
	unsetenv("AUTH_CONNECT_TIMEOUT_MS");
	unsetenv("AUTH_TIMEOUT_MS");
}

static void
the_defaults_are_the_local_gateway_over_tcp_within_500_and_2000_ms(void)
{
	struct authc_cfg cfg;
	char             err[CFG_ERR_MAX];

	unset();
	T_CHECK(authc_cfg_load(&cfg, err) == 0 &&
		strcmp(cfg.url, "http://127.0.0.1:8080/login/") == 0 &&
		cfg.connect_ms == 500 && cfg.total_ms == 2000 &&
		cfg.sock == NULL,
	    "the defaults");
}

static void
auth_unix_socket_is_read_and_one_longer_than_sun_path_refused(void)
{
	struct authc_cfg cfg;
	char             err[CFG_ERR_MAX], path[AUTHC_SOCK_MAX + 2];

	unset();
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	setenv("AUTH_UNIX_SOCKET", path, 1);
	T_CHECK(authc_cfg_load(&cfg, err) == -1 &&
		strstr(err, "AUTH_UNIX_SOCKET") == err,
	    "too long");
	setenv("AUTH_UNIX_SOCKET", "/run/gw.sock", 1);
	T_CHECK(authc_cfg_load(&cfg, err) == 0 &&
		strcmp(cfg.sock, "/run/gw.sock") == 0,
	    "read");
	unset();
}

static void
auth_url_must_be_an_http_or_https_url(void)
{
	struct authc_cfg cfg;
	char             err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_URL", "ftp://x/login/", 1);
	T_CHECK(authc_cfg_load(&cfg, err) == -1 &&
		strcmp(err, "AUTH_URL: must be http:// or https://") == 0,
	    "another scheme");
	setenv("AUTH_URL", "not a url", 1);
	T_CHECK(authc_cfg_load(&cfg, err) == -1, "a non-URL");
	unset();
}

static void
a_total_deadline_below_the_connect_deadline_is_refused(void)
{
	struct authc_cfg cfg;
	char             err[CFG_ERR_MAX];

	unset();
	setenv("AUTH_URL", "https://auth.example:9443/login/", 1);
	setenv("AUTH_CONNECT_TIMEOUT_MS", "800", 1);
	setenv("AUTH_TIMEOUT_MS", "700", 1);
	T_CHECK(authc_cfg_load(&cfg, err) == -1 &&
		strstr(err, "AUTH_TIMEOUT_MS") == err,
	    "700 < 800");
	unset();
}

int
main(void)
{
	T_RUN(every_answer_of_auth_maps_to_its_outcome);
	T_RUN(a_lifetime_needs_private_and_max_age_and_no_veto);
	T_RUN(a_shared_lifetime_needs_public_and_max_age);
	T_RUN(a_generation_is_16_hex_digits);
	T_RUN(a_yes_carries_the_dtos_identity_and_a_bad_one_is_garbage);
	T_RUN(thirty_three_scopes_are_garbage_thirty_two_are_not);
	T_RUN(
	    the_defaults_are_the_local_gateway_over_tcp_within_500_and_2000_ms);
	T_RUN(auth_unix_socket_is_read_and_one_longer_than_sun_path_refused);
	T_RUN(auth_url_must_be_an_http_or_https_url);
	T_RUN(a_total_deadline_below_the_connect_deadline_is_refused);
	return T_DONE();
}
