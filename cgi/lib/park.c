/*
 * park: a second epoll set, edge-triggered, so that a parked connection
 * wakes a worker only when new bytes arrive (level-triggered, a partial
 * request would wake one again and again), and a timer that closes what
 * is overdue.  Both are one-shot in the shared set: one worker at a time
 * runs each, and re-arms it when done.  The lock orders that worker's view
 * of the deadlines with the parking and closing of others: a descriptor is
 * parked, moved and closed under it, so a number closed by one and reused
 * by a new connection is never taken for the old one.
 *
 * The timer ticks every PARK_TICK_MS while anything is parked and scans
 * every descriptor up to the highest parked: O(highest fd) a tick, a few
 * microseconds for thousands.
 */
#include "park.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>

#include "clock.h"
#include "log.h"

/* How often the overdue are looked for: the deadline's precision. */
#define PARK_TICK_MS 250
/* Events the park's set hands over at a time. */
#define PARK_BATCH   64

/* FastCGI's record header (the FastCGI specification, section 3.3). */
#define FCGI_HEADER_LEN 8
#define FCGI_VERSION_1  1
#define FCGI_STDIN      5

struct park {
	int             ep;    /* the shared set */
	int             slow;  /* the parked connections (edge-triggered) */
	int             timer; /* PARK_TICK_MS while any is parked */
	pthread_mutex_t lock;
	long long *due; /* [PARK_FDS_MAX]: deadline in ms, 0 if not parked */
	int        hi;  /* 1 + the highest fd parked since empty */
	long       n;   /* how many are parked */
};

/* Puts one of the park's descriptors in the shared set, or re-arms it. */
static int
park_arm(struct park *p, int fd, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.fd = fd;
	return epoll_ctl(p->ep, op, fd, &ev);
}

static void
park_tick(struct park *p, int on)
{
	struct itimerspec t;

	memset(&t, 0, sizeof(t));
	if (on) {
		t.it_value.tv_nsec = PARK_TICK_MS * 1000000L;
		t.it_interval = t.it_value;
	}
	timerfd_settime(p->timer, 0, &t, NULL);
}

struct park *
park_new(int ep)
{
	char         ebuf[LOG_ERRNO_MAX];
	struct park *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->due = calloc(PARK_FDS_MAX, sizeof(*p->due))) == NULL) {
		free(p);
		log_event("error", "park: out of memory");
		return NULL;
	}
	p->ep = ep;
	p->timer = -1;
	pthread_mutex_init(&p->lock, NULL);
	if ((p->slow = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (p->timer = timerfd_create(CLOCK_MONOTONIC,
		 TFD_NONBLOCK | TFD_CLOEXEC)) == -1 ||
	    park_arm(p, p->slow, EPOLL_CTL_ADD) == -1 ||
	    park_arm(p, p->timer, EPOLL_CTL_ADD) == -1) {
		log_event("error", "park: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		park_free(p);
		return NULL;
	}
	return p;
}

void
park_free(struct park *p)
{
	int fd;

	if (p == NULL)
		return;
	for (fd = 0; fd < p->hi; fd++)
		if (p->due[fd] != 0)
			close(fd);
	if (p->slow != -1)
		close(p->slow);
	if (p->timer != -1)
		close(p->timer);
	pthread_mutex_destroy(&p->lock);
	free(p->due);
	free(p);
}

enum park_state
park_check(int fd)
{
	static _Thread_local unsigned char buf[PARK_REQUEST_MAX + 1];
	ssize_t                            n, off = 0, end, clen;

	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return PARK_GONE;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? PARK_WAIT
							 : PARK_GONE;
	while (off + FCGI_HEADER_LEN <= n) {
		/* Not FastCGI: libfcgi refuses it at once. */
		if (buf[off] != FCGI_VERSION_1)
			return PARK_READY;
		clen = buf[off + 4] << 8 | buf[off + 5];
		end = off + FCGI_HEADER_LEN + clen + buf[off + 6];
		if (end > n)
			break;
		/* The body's end: the request is whole. */
		if (buf[off + 1] == FCGI_STDIN && clen == 0)
			return PARK_READY;
		off = end;
	}
	/* Bigger than anything the gateway sends. */
	return n > PARK_REQUEST_MAX ? PARK_GONE : PARK_WAIT;
}

enum park_state
park_accepted(struct park *p, int fd)
{
	struct timeval  tv = { PARK_DEADLINE_MS / 1000,
		 (PARK_DEADLINE_MS % 1000) * 1000L };
	enum park_state st;

	/* Reads find the request whole; a bound all the same, and on an
	 * answer nobody reads. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	st = park_check(fd);
	if (st == PARK_WAIT)
		park_add(p, fd);
	else if (st == PARK_GONE)
		close(fd);
	return st;
}

void
park_add(struct park *p, int fd)
{
	char               ebuf[LOG_ERRNO_MAX];
	struct epoll_event ev;

	if (fd >= PARK_FDS_MAX) {
		close(fd);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.fd = fd;
	pthread_mutex_lock(&p->lock);
	if (epoll_ctl(p->slow, EPOLL_CTL_ADD, fd, &ev) == -1) {
		pthread_mutex_unlock(&p->lock);
		log_event("warn", "cannot park a connection: %s",
		    log_strerror(errno, ebuf, sizeof(ebuf)));
		close(fd);
		return;
	}
	p->due[fd] = clock_ms() + PARK_DEADLINE_MS;
	if (fd >= p->hi)
		p->hi = fd + 1;
	if (p->n++ == 0)
		park_tick(p, 1);
	pthread_mutex_unlock(&p->lock);
}

/* Under the lock: fd leaves the park (to be served, or closed). */
static void
park_remove(struct park *p, int fd)
{
	epoll_ctl(p->slow, EPOLL_CTL_DEL, fd, NULL);
	p->due[fd] = 0;
	if (--p->n == 0) {
		park_tick(p, 0);
		p->hi = 0;
	}
}

/* The park's set: what has new bytes is looked at again. */
static void
park_wake(struct park *p)
{
	struct epoll_event ev[PARK_BATCH], one;
	int                i, n, fd;
	enum park_state    st;

	pthread_mutex_lock(&p->lock);
	do {
		n = epoll_wait(p->slow, ev, PARK_BATCH, 0);
		for (i = 0; i < n; i++) {
			fd = ev[i].data.fd;
			if (p->due[fd] == 0 ||
			    (st = park_check(fd)) == PARK_WAIT)
				continue;
			park_remove(p, fd);
			memset(&one, 0, sizeof(one));
			one.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
			one.data.fd = fd;
			if (st == PARK_GONE ||
			    epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &one) == -1)
				close(fd);
		}
	} while (n == PARK_BATCH);
	pthread_mutex_unlock(&p->lock);
}

/* The timer: what is overdue is closed, with one line for all of them. */
static void
park_expire(struct park *p)
{
	uint64_t  ticks;
	long long now = clock_ms();
	long      closed = 0;
	int       fd;

	if (read(p->timer, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&p->lock);
	for (fd = 0; fd < p->hi; fd++)
		if (p->due[fd] != 0 && p->due[fd] <= now) {
			park_remove(p, fd);
			close(fd);
			closed++;
		}
	pthread_mutex_unlock(&p->lock);
	if (closed > 0)
		log_event("warn",
		    "closed %ld connection(s) whose request did not arrive "
		    "within %d ms",
		    closed, PARK_DEADLINE_MS);
}

int
park_run(struct park *p, int fd)
{
	if (fd == p->slow)
		park_wake(p);
	else if (fd == p->timer)
		park_expire(p);
	else
		return 0;
	park_arm(p, fd, EPOLL_CTL_MOD);
	return 1;
}
