/*
 * Unit tests of store: AUTH_FAIL_STORE's parsing, the script's answer, the
 * keys, and the client's deadlines against servers on loopback that this
 * test plays itself: one that never answers, one that answers garbage, one
 * that answers as Redis would.  (A real redis-server: store.bats.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "store.h"
#include "t.h"

static void
redis_urls_and_unix_paths_parse_and_nothing_else_does(void)
{
	struct store_addr        a;
	static const char *const bad[] = { "", "redis://", "http://h:1",
		"redis://h:0", "redis://h:65536", "redis://h:x",
		"redis://h:", "redis://u@h", "redis://h/0",
		"redis://[::1]:6379", "unix:rel", "unix:", "redis://h:6379x",
		"redis://h:-1" };
	size_t                   i;

	T_CHECK(store_parse_addr("redis://127.0.0.1:6390", &a) == 0 &&
		strcmp(a.host, "127.0.0.1") == 0 && a.port == 6390,
	    "host and port");
	T_CHECK(store_parse_addr("redis://redis", &a) == 0 &&
		strcmp(a.host, "redis") == 0 && a.port == 6379,
	    "port 6379 by default");
	T_CHECK(store_parse_addr("unix:/run/x/redis.sock", &a) == 0 &&
		strcmp(a.host, "/run/x/redis.sock") == 0 && a.port == 0,
	    "a Unix socket");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_CHECK(store_parse_addr(bad[i], &a) == -1, bad[i]);
}

static redisReply *
int_reply(long long v)
{
	static redisReply r[4];
	static int        n;
	redisReply       *x = &r[n++ % 4];

	memset(x, 0, sizeof(*x));
	x->type = REDIS_REPLY_INTEGER;
	x->integer = v;
	return x;
}

static void
only_an_array_of_a_count_and_a_ttl_is_an_answer(void)
{
	redisReply arr, str, *el[2];
	long long  fails = 0, ttl = 0;

	memset(&arr, 0, sizeof(arr));
	arr.type = REDIS_REPLY_ARRAY;
	arr.elements = 2;
	arr.element = el;
	el[0] = int_reply(3);
	el[1] = int_reply(9000);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == 0 && fails == 3 &&
		ttl == 9000,
	    "3 failures, 9000 ms left");
	el[1] = int_reply(0);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == 0 && ttl == 1,
	    "a window ending as it was read: 1 ms");
	el[0] = int_reply(0);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == -1, "a count of 0");
	el[0] = int_reply(1);
	el[1] = int_reply(-1);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == -1, "no expiry");
	el[1] = int_reply(86400001);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == -1, "over a day");
	memset(&str, 0, sizeof(str));
	str.type = REDIS_REPLY_STRING;
	el[1] = &str;
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == -1, "a string");
	arr.elements = 1;
	el[1] = int_reply(5);
	T_CHECK(store_parse_reply(&arr, &fails, &ttl) == -1, "one element");
	T_CHECK(store_parse_reply(int_reply(1), &fails, &ttl) == -1,
	    "an integer alone");
	T_CHECK(store_parse_reply(NULL, &fails, &ttl) == -1, "nothing");
}

/* A file holding text; its name in file (a mkstemp template). */
static int
file_of(char *file, const char *text)
{
	int fd = mkstemp(file);

	if (fd == -1 || write(fd, text, strlen(text)) < 0)
		return -1;
	return close(fd);
}

#define KEY_A "0123456789abcdef0123456789abcdef"

/* A store at url with the password in a file ("": none), keyed by key. */
static struct store *
store_keyed(const char *url, const char *password, const char *key,
    long timeout_ms)
{
	struct store *s = NULL;
	char          err[CFG_ERR_MAX], t[16], file[] = "/tmp/t-store-XXXXXX",
				      kfile[] = "/tmp/t-store-XXXXXX";

	setenv("AUTH_FAIL_STORE", url, 1);
	snprintf(t, sizeof(t), "%ld", timeout_ms);
	setenv("AUTH_FAIL_STORE_TIMEOUT_MS", t, 1);
	setenv("AUTH_FAIL_STORE_RETRY_MS", "1000", 1);
	unsetenv("AUTH_FAIL_STORE_PASSWORD_FILE");
	if (password[0] != '\0') {
		if (file_of(file, password) == -1)
			return NULL;
		setenv("AUTH_FAIL_STORE_PASSWORD_FILE", file, 1);
	}
	if (file_of(kfile, key) == -1)
		return NULL;
	setenv("AUTH_FAIL_STORE_KEY_FILE", kfile, 1);
	if (store_new(&s, 10000, err) == -1)
		printf("# %s\n", err);
	if (password[0] != '\0')
		unlink(file);
	unlink(kfile);
	return s;
}

static struct store *
store_at(const char *url, const char *password, long timeout_ms)
{
	return store_keyed(url, password, KEY_A "\n", timeout_ms);
}

static void
a_key_is_an_hmac_of_the_address_under_the_key_file_not_the_password(void)
{
	struct store *a = store_at("redis://h", "s3cret\n", 5),
		     *b = store_at("redis://h", "other", 5),
		     *none = store_at("redis://h", "", 5),
		     *c = store_keyed("redis://h", "s3cret", KEY_A "0", 5);
	char k1[STORE_KEY_MAX], k2[STORE_KEY_MAX];

	T_CHECK(a != NULL && b != NULL && none != NULL && c != NULL, "made");
	if (a == NULL || b == NULL || none == NULL || c == NULL)
		return;
	/* HMAC-SHA-256 (Python's hmac) of "10.0.0.1" under
	 * SHA-256("cgi-auth fail-store key v2\0" KEY_A), cut to 128 bits. */
	store_key(a, "10.0.0.1", k1);
	T_STREQ(k1, "cgi-auth:fail:705df9a1b24b57d76eae3beabdb38bc8",
	    "the reference value");
	store_key(b, "10.0.0.1", k2);
	T_STREQ(k2, k1, "another password, the same key");
	store_key(none, "10.0.0.1", k2);
	T_STREQ(k2, k1, "no password, the same key");
	store_key(c, "10.0.0.1", k2);
	T_CHECK(strcmp(k1, k2) != 0, "another key file, another key");
	store_key(a, "10.0.0.2", k2);
	T_CHECK(strcmp(k1, k2) != 0, "another address, another key");
	T_CHECK(strstr(k1, "10.0.0") == NULL, "no address in it");
	store_free(a);
	store_free(b);
	store_free(none);
	store_free(c);
}

static void
bad_settings_are_errors_that_name_the_variable_not_the_password(void)
{
	struct store *s = (struct store *)1;
	char          err[CFG_ERR_MAX], file[] = "/tmp/t-store-XXXXXX";
	int           fd;

	unsetenv("AUTH_FAIL_STORE");
	T_CHECK(store_new(&s, 1000, err) == 0 && s == NULL, "unset: none");
	setenv("AUTH_FAIL_STORE", "http://redis:6379", 1);
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err, "AUTH_FAIL_STORE: expected") != NULL,
	    "a URL of another scheme");
	setenv("AUTH_FAIL_STORE", "redis://redis", 1);
	setenv("AUTH_FAIL_STORE_TIMEOUT_MS", "0", 1);
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err, "AUTH_FAIL_STORE_TIMEOUT_MS") != NULL,
	    "a timeout of 0");
	setenv("AUTH_FAIL_STORE_TIMEOUT_MS", "5", 1);
	setenv("AUTH_FAIL_STORE_PASSWORD_FILE", "/nonexistent/pw", 1);
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err, "cannot open /nonexistent/pw") != NULL,
	    "a missing password file");
	fd = mkstemp(file);
	T_CHECK(fd != -1 && write(fd, "hunter 2\n", 9) == 9, "written");
	close(fd);
	setenv("AUTH_FAIL_STORE_PASSWORD_FILE", file, 1);
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err, "without blanks") != NULL &&
		strstr(err, "hunter") == NULL,
	    "a blank in the password, which the error does not show");
	unlink(file);
	unsetenv("AUTH_FAIL_STORE_PASSWORD_FILE");
	unsetenv("AUTH_FAIL_STORE_KEY_FILE");
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err, "needs AUTH_FAIL_STORE_KEY_FILE") != NULL,
	    "a store without a key file");
	strcpy(file, "/tmp/t-store-XXXXXX");
	T_CHECK(file_of(file, "short-key-31-characters-long-xx\n") == 0,
	    "written");
	setenv("AUTH_FAIL_STORE_KEY_FILE", file, 1);
	T_CHECK(store_new(&s, 1000, err) == -1 &&
		strstr(err,
		    "AUTH_FAIL_STORE_KEY_FILE: the first line must "
		    "hold 32 to 256") != NULL &&
		strstr(err, "short") == NULL,
	    "a key of 31 characters, which the error does not show");
	unlink(file);
	unsetenv("AUTH_FAIL_STORE_KEY_FILE");
}

/* A loopback listener on a free port; *port set. */
static int
listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t          len = sizeof(sa);
	int                fd = socket(AF_INET, SOCK_STREAM, 0);

	*port = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* What the played server answers to each command it reads. */
struct played {
	int         fd;
	const char *answer;
	char        got[2048];
	int         commands;
};

static void *
play(void *arg)
{
	struct played *p = arg;
	ssize_t        n;
	size_t         have = 0;
	int            c = accept(p->fd, NULL, NULL);

	while (c != -1 &&
	    (n = read(c, p->got + have, sizeof(p->got) - 1 - have)) > 0) {
		have += (size_t)n;
		p->got[have] = '\0';
		p->commands++;
		if (write(c, p->answer, strlen(p->answer)) < 0)
			break;
	}
	if (c != -1)
		close(c);
	return NULL;
}

static char *
url_of(int port, char buf[64])
{
	snprintf(buf, 64, "redis://127.0.0.1:%d", port);
	return buf;
}

/* How long one store_fail() took, in ms; it must say unavailable. */
static long long
unavailable_in(struct store_conn *c)
{
	long long t0 = clock_ms(), fails, ttl;

	T_CHECK(store_fail(c, "10.0.0.1", t0, &fails, &ttl) ==
		STORE_UNAVAILABLE,
	    "unavailable");
	return clock_ms() - t0;
}

static void
a_server_that_never_answers_costs_one_deadline_then_nothing(void)
{
	int                port, fd = listener(&port);
	char               url[64];
	struct store      *s = store_at(url_of(port, url), "", 200);
	struct store_conn *c = s != NULL ? store_conn_new(s) : NULL;
	long long          first, second;

	T_CHECK(fd != -1 && c != NULL, "made");
	if (c == NULL)
		return;
	/* Connected (the backlog takes it), asked, never answered. */
	first = unavailable_in(c);
	/* Within its retry delay the thread does not try: no wait at all. */
	second = unavailable_in(c);
	/* Bounds with room for a loaded machine: the deadline is 200 ms. */
	T_CHECK(first >= 190 && first < 1000, "one deadline, not more");
	T_CHECK(second < 100, "then no wait");
	T_CHECK(store_down(s) == 1, "an episode");
	T_CHECK(store_outcomes(s, STORE_UNAVAILABLE) == 2 &&
		store_outcomes(s, STORE_COUNTED) == 0,
	    "counted as unavailable twice");
	store_conn_free(c);
	store_free(s);
	close(fd);
}

static void
a_refused_connection_is_unavailable_at_once(void)
{
	int                port, fd = listener(&port);
	char               url[64];
	struct store      *s;
	struct store_conn *c;

	close(fd); /* nothing listens there now */
	s = store_at(url_of(port, url), "", 500);
	c = s != NULL ? store_conn_new(s) : NULL;
	T_CHECK(c != NULL, "made");
	if (c == NULL)
		return;
	T_CHECK(unavailable_in(c) < 400, "without waiting for the deadline");
	store_conn_free(c);
	store_free(s);
}

/* store_fail against a played server answering answer; the played state. */
static enum store_outcome
against(const char *answer, const char *password, struct played *p,
    long long *fails, long long *ttl)
{
	int                port;
	char               url[64];
	pthread_t          th;
	struct store      *s;
	struct store_conn *c;
	enum store_outcome o = STORE_NOUTCOME;

	memset(p, 0, sizeof(*p));
	p->answer = answer;
	p->fd = listener(&port);
	s = store_at(url_of(port, url), password, 500);
	c = s != NULL ? store_conn_new(s) : NULL;
	if (p->fd == -1 || c == NULL || pthread_create(&th, NULL, play, p) != 0)
		return o;
	o = store_fail(c, "10.0.0.9", clock_ms(), fails, ttl);
	store_conn_free(c); /* closes: the played server's read ends */
	pthread_join(th, NULL);
	store_free(s);
	close(p->fd);
	return o;
}

static void
a_redis_answer_is_counted_and_the_script_gets_the_key_and_window(void)
{
	struct played p;
	long long     fails = 0, ttl = 0;

	T_CHECK(against("*2\r\n:4\r\n:8500\r\n", "", &p, &fails, &ttl) ==
		    STORE_COUNTED &&
		fails == 4 && ttl == 8500,
	    "4 failures, 8500 ms left");
	T_CHECK(strstr(p.got, "EVAL") != NULL &&
		strstr(p.got, "cgi-auth:fail:") != NULL &&
		strstr(p.got, "\r\n10000\r\n") != NULL &&
		strstr(p.got, "10.0.0.9") == NULL,
	    "EVAL with the key and the window, not the address");
}

static void
the_password_goes_first_and_a_refusal_is_unavailable(void)
{
	struct played p;
	long long     fails, ttl;

	/* AUTH's answer, then the script's. */
	T_CHECK(against("+OK\r\n", "pw1", &p, &fails, &ttl) ==
		STORE_UNAVAILABLE,
	    "+OK is no answer to EVAL");
	T_CHECK(strncmp(p.got, "*2\r\n$4\r\nAUTH\r\n$3\r\npw1\r\n", 22) == 0,
	    "AUTH pw1 first");
	T_CHECK(against("-WRONGPASS invalid username-password pair\r\n", "pw1",
		    &p, &fails, &ttl) == STORE_UNAVAILABLE &&
		p.commands == 1,
	    "a refused password: nothing more is sent");
}

static void
a_host_name_is_looked_up_by_its_own_thread_not_by_a_login(void)
{
	struct played      p;
	int                port;
	char               url[64];
	pthread_t          th;
	struct store      *s;
	struct store_conn *c;
	long long          fails = 0, ttl = 0, t0;
	enum store_outcome o = STORE_UNAVAILABLE;
	int                i;

	memset(&p, 0, sizeof(p));
	p.answer = "*2\r\n:1\r\n:10000\r\n";
	p.fd = listener(&port);
	snprintf(url, sizeof(url), "redis://localhost:%d", port);
	s = store_at(url, "", 500);
	c = s != NULL ? store_conn_new(s) : NULL;
	if (p.fd == -1 || c == NULL ||
	    pthread_create(&th, NULL, play, &p) != 0) {
		T_CHECK(0, "made");
		return;
	}
	/* Before the lookup ends, a login does not wait for it. */
	for (i = 0; i < 40 && o != STORE_COUNTED; i++) {
		t0 = clock_ms();
		o = store_fail(c, "10.0.0.1", t0, &fails, &ttl);
		T_CHECK(clock_ms() - t0 < 400, "no wait");
		if (o != STORE_COUNTED)
			nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	T_CHECK(o == STORE_COUNTED && fails == 1, "counted once looked up");
	store_conn_free(c);
	pthread_join(th, NULL);
	store_free(s);
	close(p.fd);
}

static void
garbage_is_unavailable(void)
{
	static const char *const junk[] = { "*2\r\n:1\r\n$1\r\nx\r\n",
		"*2\r\n:0\r\n:5\r\n", "-ERR no\r\n", "$5\r\nhello\r\n",
		"*1\r\n:1\r\n", "\x01\x02garbage\r\n" };
	struct played            p;
	long long                fails, ttl;
	size_t                   i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		T_CHECK(against(junk[i], "", &p, &fails, &ttl) ==
			STORE_UNAVAILABLE,
		    junk[i]);
}

int
main(void)
{
	T_RUN(redis_urls_and_unix_paths_parse_and_nothing_else_does);
	T_RUN(only_an_array_of_a_count_and_a_ttl_is_an_answer);
	T_RUN(
	    a_key_is_an_hmac_of_the_address_under_the_key_file_not_the_password);
	T_RUN(bad_settings_are_errors_that_name_the_variable_not_the_password);
	T_RUN(a_server_that_never_answers_costs_one_deadline_then_nothing);
	T_RUN(a_refused_connection_is_unavailable_at_once);
	T_RUN(a_redis_answer_is_counted_and_the_script_gets_the_key_and_window);
	T_RUN(the_password_goes_first_and_a_refusal_is_unavailable);
	T_RUN(garbage_is_unavailable);
	T_RUN(a_host_name_is_looked_up_by_its_own_thread_not_by_a_login);
	return T_DONE();
}
