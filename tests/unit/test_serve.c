/*
 * Regress tests of svc's serve loop (svc.c, worker.c), in the manner of
 * kcgi's regress/: the loop runs in a child of this process on a Unix
 * socket handed in as fd 0, as spawn-fcgi hands it, and the test speaks
 * FastCGI to it itself (no nginx): kept connections, deferred requests,
 * svc's own 504 past defer_ms, a stop with the backlog full and kept
 * connections idle, and a stop that outlasts the grace period.  Every
 * answer is read whole and checked; under ThreadSanitizer (make test-tsan)
 * a report makes the child exit 66, which fails the test.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "clock.h"
#include "resp.h"
#include "log.h"
#include "svc.h"
#include "t.h"

/* The test service: GET /now answers at once, GET /later after
 * X-Delay-Ms milliseconds, from its thread's loop. */
#define T_INFLIGHT 4

struct later {
	struct svc_req *r;
	long long       due_ms;
};

struct tstate {
	int          pipe[2]; /* loop_fd: never written, the timer rules */
	struct later l[T_INFLIGHT];
};

static void
t_now(struct svc_req *r, const void *app)
{
	static const char body[] = "{\"now\":true}";

	(void)app;
	resp_json(r, 200, NULL, body, sizeof(body) - 1);
}

static void
t_later(struct svc_req *r, const void *app)
{
	struct tstate *s = r->state;
	const char    *d = svc_param(r, "HTTP_X_DELAY_MS");
	int            i;

	(void)app;
	for (i = 0; i < T_INFLIGHT; i++)
		if (s->l[i].r == NULL) {
			s->l[i].r = r;
			s->l[i].due_ms = clock_ms() +
			    (d ? strtol(d, NULL, 10) : 0);
			svc_defer(r);
			return;
		}
	/* svc gives a thread at most inflight requests: never here. */
	resp_error(r, 500, NULL, "no slot");
}

static void *
t_thread_init(const void *app)
{
	struct tstate *s = calloc(1, sizeof(*s));

	(void)app;
	if (s != NULL && pipe(s->pipe) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

static void
t_thread_free(void *state)
{
	struct tstate *s = state;

	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s);
}

static int
t_loop_fd(void *state)
{
	return ((struct tstate *)state)->pipe[0];
}

static long
t_loop_timeout(void *state)
{
	struct tstate *s = state;
	long long      now = clock_ms(), next = -1, left;
	int            i;

	for (i = 0; i < T_INFLIGHT; i++) {
		if (s->l[i].r == NULL)
			continue;
		left = s->l[i].due_ms > now ? s->l[i].due_ms - now : 0;
		if (next == -1 || left < next)
			next = left;
	}
	return (long)next;
}

static void
t_loop_run(void *state)
{
	static const char body[] = "{\"later\":true}";
	struct tstate    *s = state;
	struct svc_req   *r;
	long long         now = clock_ms();
	int               i;

	for (i = 0; i < T_INFLIGHT; i++)
		if ((r = s->l[i].r) != NULL && s->l[i].due_ms <= now) {
			s->l[i].r = NULL;
			resp_json(r, 200, NULL, body, sizeof(body) - 1);
			svc_done(r);
		}
}

static const struct svc_route t_routes[] = {
	{ "GET", "/now", t_now },
	{ "GET", "/later", t_later },
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A server: its pid, its socket, its log. */
struct server {
	pid_t pid;
	char  dir[64], sock[96], log[96];
};

/* Starts the loop in a child with threads workers, svc's defer_ms and
 * grace_ms; 0, or -1. */
static int
serve(struct server *s, const char *threads, long defer_ms,
    const char *grace_ms)
{
	struct sockaddr_un sa;
	struct svc_def     def = {
		    .name = "regress",
		    .routes = t_routes,
		    .nroutes = sizeof(t_routes) / sizeof(t_routes[0]),
		    .thread_init = t_thread_init,
		    .thread_free = t_thread_free,
		    .inflight = T_INFLIGHT,
		    .defer_ms = defer_ms,
		    .loop_fd = t_loop_fd,
		    .loop_timeout = t_loop_timeout,
		    .loop_run = t_loop_run,
	};
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];
	int            lfd, logfd;

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_serve.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->sock, sizeof(s->sock), "%s/s", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 128) == -1)
		return -1;
	fflush(stdout);
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		logfd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(lfd, 0);
		dup2(logfd, 2);
		close(lfd);
		close(logfd);
		setenv("SVC_THREADS", threads, 1);
		setenv("SHUTDOWN_GRACE_MS", grace_ms, 1);
		setenv("LOG_REQUESTS", "all", 1);
		if (svc_cfg_load(&cfg, err) == -1)
			_exit(1);
		log_init(def.name);
		/* exit(), not _exit(): TSan's exit code (66) after a report. */
		exit(svc_run(&def, &cfg));
	}
	close(lfd);
	return 0;
}

/* Sends SIGTERM (sig 0: none) and waits up to 10 s: the exit status, or
 * -1 (killed, or not by itself). */
static int
reap(struct server *s, int sig)
{
	int status, i;

	if (sig != 0)
		kill(s->pid, sig);
	for (i = 0; i < 1000; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			break;
		sleep_ms(10);
	}
	if (i == 1000) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		status = -1;
	}
	unlink(s->sock);
	unlink(s->log);
	rmdir(s->dir);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* 1 when the server's log holds s. */
static int
logged(const struct server *s, const char *what)
{
	char   buf[65536];
	FILE  *f = fopen(s->log, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

static int
fc_connect(const struct server *s)
{
	struct sockaddr_un sa;
	int                fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A FastCGI record's header: version 1, type, request id 1, length. */
static size_t
fc_header(unsigned char *p, int type, size_t len)
{
	p[0] = 1;
	p[1] = (unsigned char)type;
	p[2] = 0;
	p[3] = 1;
	p[4] = (unsigned char)(len >> 8);
	p[5] = (unsigned char)len;
	p[6] = 0;
	p[7] = 0;
	return 8;
}

/* One name-value pair, both shorter than 128 bytes. */
static size_t
fc_pair(unsigned char *p, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);

	p[0] = (unsigned char)n;
	p[1] = (unsigned char)v;
	memcpy(p + 2, name, n);
	memcpy(p + 2 + n, value, v);
	return 2 + n + v;
}

/* Sends GET path (X-Delay-Ms delay when not NULL), keep: FCGI_KEEP_CONN. */
static int
fc_send(int fd, const char *path, const char *delay, int keep)
{
	unsigned char buf[1024], params[512];
	size_t        n = 0, pl = 0;

	pl += fc_pair(params + pl, "REQUEST_METHOD", "GET");
	pl += fc_pair(params + pl, "DOCUMENT_URI", path);
	if (delay != NULL)
		pl += fc_pair(params + pl, "HTTP_X_DELAY_MS", delay);
	n += fc_header(buf + n, 1, 8); /* BEGIN_REQUEST */
	memset(buf + n, 0, 8);
	buf[n + 1] = 1; /* RESPONDER */
	buf[n + 2] = keep ? 1 : 0;
	n += 8;
	n += fc_header(buf + n, 4, pl); /* PARAMS */
	memcpy(buf + n, params, pl);
	n += pl;
	n += fc_header(buf + n, 4, 0);
	n += fc_header(buf + n, 5, 0); /* STDIN, empty */
	return write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

/* Reads exactly n bytes within timeout_ms; 0, or -1 (EOF, timeout). */
static int
fc_read_n(int fd, unsigned char *p, size_t n, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t       got;

	while (n > 0) {
		if (poll(&pfd, 1, timeout_ms) != 1)
			return -1;
		if ((got = read(fd, p, n)) <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/*
 * Reads one answer to its END_REQUEST: its STDOUT into out (NUL-ended).
 * Returns its HTTP status, or -1 (closed or silent for timeout_ms first).
 */
static int
fc_answer(int fd, char *out, size_t cap, int timeout_ms)
{
	unsigned char h[8], body[65536 + 256];
	size_t        len, got = 0;

	out[0] = '\0';
	for (;;) {
		if (fc_read_n(fd, h, 8, timeout_ms) == -1)
			return -1;
		len = (size_t)h[4] << 8 | h[5];
		if (fc_read_n(fd, body, len + h[6], timeout_ms) == -1)
			return -1;
		if (h[1] == 6 && got + len < cap) { /* STDOUT */
			memcpy(out + got, body, len);
			got += len;
			out[got] = '\0';
		}
		if (h[1] == 3) /* END_REQUEST */
			break;
	}
	return strncmp(out, "Status: ", 8) == 0 ? (int)strtol(out + 8, NULL, 10)
						: 0;
}

/* 1 when the answer's body (after the blank line) is exactly body. */
static int
has_body(const char *answer, const char *body)
{
	const char *p = strstr(answer, "\r\n\r\n");

	return p != NULL && strcmp(p + 4, body) == 0;
}

/* 1 when the peer closed fd within timeout_ms, with nothing more. */
static int
closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char c;

	return poll(&pfd, 1, timeout_ms) == 1 && read(fd, &c, 1) == 0;
}

static void
a_kept_connection_takes_request_after_request_and_stays_open(void)
{
	struct server s;
	char          a[4096];
	int           fd, i, ok = 0;

	T_CHECK(serve(&s, "2", 0, "5000") == 0, "started");
	fd = fc_connect(&s);
	for (i = 0; i < 20; i++) {
		fc_send(fd, i % 2 ? "/later" : "/now", "5", 1);
		ok += fc_answer(fd, a, sizeof(a), 5000) == 200 &&
		    has_body(a, i % 2 ? "{\"later\":true}" : "{\"now\":true}");
	}
	T_CHECK(ok == 20, "20 answers on one connection, each whole");
	T_CHECK(!closed(fd, 100), "still open");
	close(fd);
	T_CHECK(reap(&s, SIGTERM) == 0, "a clean stop");
}

static void
without_keep_conn_the_connection_closes_after_its_answer(void)
{
	struct server s;
	char          a[4096];
	int           fd;

	T_CHECK(serve(&s, "2", 0, "5000") == 0, "started");
	fd = fc_connect(&s);
	fc_send(fd, "/now", NULL, 0);
	T_CHECK(fc_answer(fd, a, sizeof(a), 5000) == 200, "answered");
	T_CHECK(closed(fd, 5000), "then closed");
	close(fd);
	fd = fc_connect(&s);
	fc_send(fd, "/nowhere", NULL, 0);
	T_CHECK(fc_answer(fd, a, sizeof(a), 5000) == 404 &&
		has_body(a, "{\"detail\":\"Not Found\"}"),
	    "404 JSON for an unknown path");
	close(fd);
	T_CHECK(reap(&s, SIGTERM) == 0, "a clean stop");
}

/* 16 connections at once against one thread of 4 deferred requests. */
#define T_CONNS 16

static void
more_deferred_requests_than_inflight_all_get_their_answer(void)
{
	struct server s;
	char          a[4096];
	int           fd[T_CONNS], i, ok = 0;

	T_CHECK(serve(&s, "1", 0, "5000") == 0, "started");
	for (i = 0; i < T_CONNS; i++) {
		fd[i] = fc_connect(&s);
		fc_send(fd[i], "/later", "30", 1);
	}
	for (i = 0; i < T_CONNS; i++) {
		ok += fc_answer(fd[i], a, sizeof(a), 5000) == 200 &&
		    has_body(a, "{\"later\":true}");
		close(fd[i]);
	}
	T_CHECK(ok == T_CONNS, "every one answered 200, whole");
	T_CHECK(reap(&s, SIGTERM) == 0, "a clean stop");
}

static void
a_deferred_request_past_defer_ms_gets_svcs_504_and_the_connection_goes_on(void)
{
	struct server s;
	char          a[4096];
	int           fd;

	T_CHECK(serve(&s, "1", 100, "5000") == 0, "started");
	fd = fc_connect(&s);
	fc_send(fd, "/later", "400", 1);
	T_CHECK(fc_answer(fd, a, sizeof(a), 5000) == 504 &&
		has_body(a, "{\"detail\":\"Gateway Timeout\"}") &&
		strstr(a, "Retry-After: 1\r\n") != NULL,
	    "504 JSON with Retry-After");
	/* The service's own answer went nowhere; the connection is kept. */
	fc_send(fd, "/now", NULL, 1);
	T_CHECK(fc_answer(fd, a, sizeof(a), 5000) == 200 &&
		has_body(a, "{\"now\":true}"),
	    "the next request on it answered");
	close(fd);
	T_CHECK(reap(&s, SIGTERM) == 0, "a clean stop");
}

/* 64 connections queued behind one busy thread when SIGTERM comes. */
#define T_BACKLOG 64

static void
a_stop_with_the_backlog_full_answers_every_request_and_exits_0(void)
{
	struct server s;
	char          a[4096];
	int           fd[T_BACKLOG], idle, i, ok = 0;

	T_CHECK(serve(&s, "1", 0, "5000") == 0, "started");
	/* A kept connection, idle when the stop comes. */
	idle = fc_connect(&s);
	fc_send(idle, "/now", NULL, 1);
	T_CHECK(fc_answer(idle, a, sizeof(a), 5000) == 200, "ready");
	for (i = 0; i < T_BACKLOG; i++) {
		fd[i] = fc_connect(&s);
		fc_send(fd[i], "/later", "10", 1);
	}
	kill(s.pid, SIGTERM);
	for (i = 0; i < T_BACKLOG; i++) {
		ok += fc_answer(fd[i], a, sizeof(a), 5000) == 200 &&
		    has_body(a, "{\"later\":true}");
		/* Answered, then closed: kept connections end with the stop. */
		ok += closed(fd[i], 5000);
		close(fd[i]);
	}
	T_CHECK(ok == 2 * T_BACKLOG, "every one answered, whole, then closed");
	T_CHECK(closed(idle, 5000), "the idle kept connection closed");
	close(idle);
	T_CHECK(reap(&s, 0) == 0, "exit 0");
}

static void
a_stop_past_the_grace_period_exits_2_and_answers_nothing_half(void)
{
	struct server s;
	char          a[4096];
	int           fd, ready;
	long long     t0;

	T_CHECK(serve(&s, "1", 0, "300") == 0, "started");
	fd = fc_connect(&s);
	fc_send(fd, "/now", NULL, 1);
	T_CHECK(fc_answer(fd, a, sizeof(a), 5000) == 200, "ready");
	fc_send(fd, "/later", "20000", 1);
	sleep_ms(100);
	t0 = clock_ms();
	kill(s.pid, SIGTERM);
	/* The answer never comes: the connection ends with the process. */
	T_CHECK(fc_answer(fd, a, sizeof(a), 15000) == -1 && a[0] == '\0',
	    "no answer, no part of one");
	T_CHECK(clock_ms() - t0 < 10000, "well before the request's 20 s");
	ready = logged(&s, "grace period over: 1 workers still busy");
	T_CHECK(reap(&s, 0) == SVC_EXIT_GRACE, "exit 2");
	T_CHECK(ready, "logged why");
	close(fd);
}

int
main(void)
{
	/* A peer gone mid-write is an EPIPE here, not a death. */
	signal(SIGPIPE, SIG_IGN);
	T_RUN(a_kept_connection_takes_request_after_request_and_stays_open);
	T_RUN(without_keep_conn_the_connection_closes_after_its_answer);
	T_RUN(more_deferred_requests_than_inflight_all_get_their_answer);
	T_RUN(
	    a_deferred_request_past_defer_ms_gets_svcs_504_and_the_connection_goes_on);
	T_RUN(a_stop_with_the_backlog_full_answers_every_request_and_exits_0);
	T_RUN(a_stop_past_the_grace_period_exits_2_and_answers_nothing_half);
	return T_DONE();
}
