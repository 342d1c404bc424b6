/*
 * park: connections whose request has not fully arrived.  Internal to svc.
 *
 * A worker takes a connection from the shared set only when the whole
 * request is already in the socket (park_check), so that libfcgi's blocking
 * reads never wait on a peer: an idle or trickling connection holds no
 * thread.  One that is not ready is parked: it waits in a set of its own
 * for more bytes, and goes back to the shared set once its request is whole,
 * or is closed PARK_DEADLINE_MS after it was parked.  The park's own two
 * descriptors (its set and its timer) sit in the shared set, and whichever
 * worker they wake runs them (park_run).  Thread-safe.
 */
#ifndef PARK_H
#define PARK_H

/*
 * How long a request may take to arrive, from its first byte (or its
 * connection) to its end: the gateway sends each at once, and gives up on
 * the answer after 5 s itself (fastcgi_send_timeout, fastcgi_read_timeout).
 */
#define PARK_DEADLINE_MS 5000
/*
 * Largest request taken: nginx's largest headers (4 x 8 KiB, as params) and
 * body (16 KiB, client_max_body_size) fit with room to spare.  A connection
 * that holds more without a whole request is closed.
 */
#define PARK_REQUEST_MAX ((long)64 * 1024)
/* Highest descriptor parked (svc raises RLIMIT_NOFILE to it at most). */
#define PARK_FDS_MAX     65536

enum park_state {
	PARK_READY, /* a whole request is there */
	PARK_WAIT,  /* part of one, or nothing yet */
	PARK_GONE,  /* the peer closed it, it failed, or it is too big */
};

struct park;

/* A park for the shared set ep; NULL on failure (logged). */
struct park *park_new(int ep);
/* Closes every parked connection, then the park's own descriptors. */
void park_free(struct park *p);

/* What fd (a connection) holds, looked at without reading it.  Pure. */
enum park_state park_check(int fd);

/*
 * A connection just accepted: bounds its reads and writes and returns its
 * state; a PARK_WAIT one is parked, a PARK_GONE one closed, so that only a
 * PARK_READY one is left for the caller.
 */
enum park_state park_accepted(struct park *p, int fd);

/* Parks fd (not in the shared set) until ready, gone or its deadline. */
void park_add(struct park *p, int fd);

/*
 * When fd is one of the park's own descriptors, runs it (ready connections
 * back to the shared set, overdue ones closed) and returns 1; else 0.
 */
int park_run(struct park *p, int fd);

#endif
