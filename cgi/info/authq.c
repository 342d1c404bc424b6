/*
 * authq: calls to auth in flight on one curl multi handle (see authq.h).
 *
 * curl tells which sockets it waits for (CURLMOPT_SOCKETFUNCTION), mirrored
 * into an epoll set of our own whose fd the thread waits on, and when it
 * wants to be called for its deadlines (CURLMOPT_TIMERFUNCTION).  authq_run()
 * hands the ready sockets and any due timer to curl_multi_socket_action(),
 * then collects the finished transfers.
 */
#include "authq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "log.h"
#include "svc.h"

/* Socket events handled per authq_run(); the rest wait a turn. */
#define AUTHQ_EVENTS 16

struct authq_slot {
	struct authq_slot	*next;		/* in the free list */
	struct authc		*c;		/* made on first use */
	authq_done		 done;
	void			*arg;
};

struct authq {
	const struct authc_cfg	*cfg;
	CURLM			*multi;
	int			 ep;		/* curl's sockets */
	long long		 due_ms;	/* curl's timer; -1: none */
	struct authq_slot	*slot;		/* [nslots] */
	size_t			 nslots;
	struct authq_slot	*free;
};

/*
 * Logs a failed curl_multi_* call.  None of them is expected to fail with
 * a valid handle; if one does, the transfers still end through curl's own
 * timeouts and are answered as usual, so the log line is what is left.
 */
static void
authq_check(CURLMcode mc, const char *what)
{
	if (mc != CURLM_OK)
		log_event("error", "curl_multi_%s: %s", what,
		    curl_multi_strerror(mc));
}

/* curl's socket callback: what it waits for on s, into q->ep. */
static int
authq_sock(CURL *h, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct authq		*q = arg;
	struct epoll_event	 ev;

	(void)h;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		/* curl may have closed it already: epoll dropped it then. */
		epoll_ctl(q->ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
	    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = s;
	if (epoll_ctl(q->ep, EPOLL_CTL_MOD, s, &ev) == -1 &&
	    (errno != ENOENT || epoll_ctl(q->ep, EPOLL_CTL_ADD, s, &ev) == -1))
		return -1;
	return 0;
}

/* curl's timer callback: when curl wants authq_run() next. */
static int
authq_timer(CURLM *m, long ms, void *arg)
{
	struct authq	*q = arg;

	(void)m;
	q->due_ms = ms < 0 ? -1 : svc_now_ms() + ms;
	return 0;
}

struct authq *
authq_new(const struct authc_cfg *cfg, size_t slots)
{
	struct authq	*q;
	size_t		 i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->cfg = cfg;
	q->ep = -1;
	q->due_ms = -1;
	if ((q->slot = calloc(slots, sizeof(*q->slot))) == NULL) {
		free(q);
		return NULL;
	}
	q->nslots = slots;
	for (i = slots; i > 0; i--) {
		q->slot[i - 1].next = q->free;
		q->free = &q->slot[i - 1];
	}
	if ((q->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (q->multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(q->multi, CURLMOPT_SOCKETFUNCTION,
	    authq_sock) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_SOCKETDATA, q) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_TIMERFUNCTION,
	    authq_timer) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_TIMERDATA, q) != CURLM_OK) {
		authq_free(q);
		return NULL;
	}
	return q;
}

void
authq_free(struct authq *q)
{
	size_t	 i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nslots; i++)
		if (q->slot[i].c != NULL) {
			if (q->multi != NULL)
				curl_multi_remove_handle(q->multi,
				    authc_handle(q->slot[i].c));
			authc_free(q->slot[i].c);
		}
	if (q->multi != NULL)
		curl_multi_cleanup(q->multi);
	if (q->ep != -1)
		close(q->ep);
	free(q->slot);
	free(q);
}

int
authq_start(struct authq *q, const char *authorization, const char *reqid,
    authq_done done, void *arg)
{
	struct authq_slot	*s = q->free;
	const char		*why;
	CURL			*h;

	if (s == NULL)
		return -1;
	if (s->c == NULL && (s->c = authc_new(q->cfg)) == NULL)
		return -1;
	h = authc_begin(s->c, authorization, reqid);
	if (curl_easy_setopt(h, CURLOPT_PRIVATE, s) != CURLE_OK ||
	    curl_multi_add_handle(q->multi, h) != CURLM_OK) {
		/* Wipes the token authc_begin() copied. */
		authc_end(s->c, CURLE_FAILED_INIT, &why);
		return -1;
	}
	q->free = s->next;
	s->done = done;
	s->arg = arg;
	return 0;
}

int
authq_fd(const struct authq *q)
{
	return q->ep;
}

long
authq_timeout(const struct authq *q)
{
	long long	 left;

	if (q->due_ms < 0)
		return -1;
	left = q->due_ms - svc_now_ms();
	return left < 0 ? 0 : (long)left;
}

void
authq_run(struct authq *q)
{
	struct epoll_event	 ev[AUTHQ_EVENTS];
	struct authq_slot	*s;
	enum authc_outcome	 out;
	const char		*why;
	CURLMsg			*m;
	CURLcode		 rc;
	CURL			*h;
	int			 i, n, running, left, flags;

	n = epoll_wait(q->ep, ev, AUTHQ_EVENTS, 0);
	for (i = 0; i < n; i++) {
		flags = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
		    ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
		    ((ev[i].events & (EPOLLERR | EPOLLHUP)) ?
		    CURL_CSELECT_ERR : 0);
		authq_check(curl_multi_socket_action(q->multi,
		    ev[i].data.fd, flags, &running), "socket_action");
	}
	if (q->due_ms >= 0 && svc_now_ms() >= q->due_ms) {
		q->due_ms = -1;
		authq_check(curl_multi_socket_action(q->multi,
		    CURL_SOCKET_TIMEOUT, 0, &running), "socket_action");
	}
	while ((m = curl_multi_info_read(q->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m dies with the removal: keep what is needed first. */
		h = m->easy_handle;
		rc = m->data.result;
		authq_check(curl_multi_remove_handle(q->multi, h),
		    "remove_handle");
		curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s);
		/* authc_end() sets why: call it before anything reads why. */
		out = authc_end(s->c, rc, &why);
		s->done(s->arg, out, why);
		s->next = q->free;
		q->free = s;
	}
}
