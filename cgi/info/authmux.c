/*
 * authmux: calls to auth in flight on one curl multi handle (see authmux.h).
 *
 * curl tells which sockets it waits for (CURLMOPT_SOCKETFUNCTION), mirrored
 * into an epoll set of our own whose fd the thread waits on, and when it
 * wants to be called for its deadlines (CURLMOPT_TIMERFUNCTION).  authmux_run()
 * hands the ready sockets and any due timer to curl_multi_socket_action(),
 * then collects the finished transfers.
 */
#include "authmux.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "clock.h"
#include "log.h"

/* Socket events handled per authmux_run(); the rest wait a turn. */
#define AUTHMUX_EVENTS 16

struct authmux_slot {
	struct authmux_slot *next; /* in the free list */
	struct authc        *c;    /* made on first use */
	void                *ctx;  /* the caller's, ctx_size bytes */
};

struct authmux {
	const struct authc_cfg *cfg;
	authmux_done            done;
	CURLM                  *multi;
	int                     ep;     /* curl's sockets */
	long long               due_ms; /* curl's timer; -1: none */
	struct authmux_slot    *slot;   /* [nslots] */
	size_t                  nslots;
	struct authmux_slot    *free;
	max_align_t            *ctx; /* every slot's context */
};

/*
 * Logs a failed curl_multi_* call.  None of them is expected to fail with
 * a valid handle; if one does, the transfers still end through curl's own
 * timeouts and are answered as usual, so the log line is what is left.
 */
static void
authmux_check(CURLMcode mc, const char *what)
{
	if (mc != CURLM_OK)
		log_event("error", "curl_multi_%s: %s", what,
		    curl_multi_strerror(mc));
}

/* curl's socket callback: what it waits for on s, into q->ep. */
static int
authmux_sock(CURL *h, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct authmux    *q = arg;
	struct epoll_event ev;

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

/* curl's timer callback: when curl wants authmux_run() next. */
static int
authmux_timer(CURLM *m, long ms, void *arg)
{
	struct authmux *q = arg;

	(void)m;
	q->due_ms = ms < 0 ? -1 : clock_ms() + ms;
	return 0;
}

struct authmux *
authmux_new(const struct authc_cfg *cfg, size_t slots, size_t ctx_size,
    authmux_done done)
{
	struct authmux *q;
	size_t          i, per;

	/* Whole max_align_t units, so that every context is aligned. */
	per = (ctx_size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
	if (per == 0)
		per = 1;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->cfg = cfg;
	q->done = done;
	q->ep = -1;
	q->due_ms = -1;
	if ((q->slot = calloc(slots, sizeof(*q->slot))) == NULL ||
	    (q->ctx = calloc(slots * per, sizeof(max_align_t))) == NULL) {
		free(q->slot);
		free(q);
		return NULL;
	}
	q->nslots = slots;
	for (i = slots; i > 0; i--) {
		q->slot[i - 1].ctx = &q->ctx[(i - 1) * per];
		q->slot[i - 1].next = q->free;
		q->free = &q->slot[i - 1];
	}
	if ((q->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (q->multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(q->multi, CURLMOPT_SOCKETFUNCTION,
		authmux_sock) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_SOCKETDATA, q) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_TIMERFUNCTION,
		authmux_timer) != CURLM_OK ||
	    curl_multi_setopt(q->multi, CURLMOPT_TIMERDATA, q) != CURLM_OK) {
		authmux_free(q);
		return NULL;
	}
	return q;
}

void
authmux_free(struct authmux *q)
{
	size_t i;

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
	free(q->ctx);
	free(q);
}

void *
authmux_start(struct authmux *q, const struct authc_call *call)
{
	struct authmux_slot *s = q->free;
	const char          *why;
	CURL                *h;

	if (s == NULL)
		return NULL;
	if (s->c == NULL && (s->c = authc_new(q->cfg)) == NULL)
		return NULL;
	h = authc_begin(s->c, call);
	if (curl_easy_setopt(h, CURLOPT_PRIVATE, s) != CURLE_OK ||
	    curl_multi_add_handle(q->multi, h) != CURLM_OK) {
		/* Wipes the token authc_begin() copied. */
		authc_end(s->c, CURLE_FAILED_INIT, &why);
		return NULL;
	}
	q->free = s->next;
	return s->ctx;
}

int
authmux_fd(const struct authmux *q)
{
	return q->ep;
}

long
authmux_timeout(const struct authmux *q)
{
	long long left;

	if (q->due_ms < 0)
		return -1;
	left = q->due_ms - clock_ms();
	return left < 0 ? 0 : (long)left;
}

void
authmux_run(struct authmux *q)
{
	struct epoll_event    ev[AUTHMUX_EVENTS];
	struct authmux_slot  *s;
	enum authc_outcome    out;
	const char           *why;
	struct authmux_result res;
	CURLMsg              *m;
	CURLcode              rc;
	CURL                 *h;
	int                   i, n, running, left, flags;

	n = epoll_wait(q->ep, ev, AUTHMUX_EVENTS, 0);
	for (i = 0; i < n; i++) {
		flags = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
		    ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
		    ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR
							    : 0);
		authmux_check(curl_multi_socket_action(q->multi, ev[i].data.fd,
				  flags, &running),
		    "socket_action");
	}
	if (q->due_ms >= 0 && clock_ms() >= q->due_ms) {
		q->due_ms = -1;
		authmux_check(curl_multi_socket_action(q->multi,
				  CURL_SOCKET_TIMEOUT, 0, &running),
		    "socket_action");
	}
	while ((m = curl_multi_info_read(q->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m dies with the removal: keep what is needed first. */
		h = m->easy_handle;
		rc = m->data.result;
		authmux_check(curl_multi_remove_handle(q->multi, h),
		    "remove_handle");
		if (curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&s) !=
			CURLE_OK ||
		    s == NULL) {
			/*
			 * Cannot happen (authmux_start() set it); if it did,
			 * the call's request is answered by svc's own
			 * deadline (svc_def.defer_ms), and its slot is lost.
			 */
			log_event("error", "a finished call has no slot");
			continue;
		}
		/* authc_end() sets why: call it before anything reads why. */
		out = authc_end(s->c, rc, &why);
		res.out = out;
		res.why = why;
		res.retry_s = out == AUTHC_THROTTLED ? authc_retry_after(s->c)
						     : 0;
		res.id = out == AUTHC_OK ? authc_ident(s->c) : NULL;
		res.max_age_s = authc_max_age(s->c);
		res.gen = authc_generation(s->c);
		q->done(s->ctx, &res);
		s->next = q->free;
		q->free = s;
	}
}
