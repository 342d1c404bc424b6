/*
 * reqid: the request id that ties one request together across the gateway and
 * both services.  nginx makes it (or keeps a valid client X-Request-ID); the
 * services re-check it before it reaches a log line or an outgoing header.
 */
#ifndef REQID_H
#define REQID_H

/* Longest id accepted; nginx's own $request_id is 32 hex digits. */
#define REQID_MAX 64

/*
 * Returns 1 when s is 1..REQID_MAX characters of [A-Za-z0-9._-], else 0.
 * The same rule as the gateway's map, so ids pass through unchanged.
 * Pure and thread-safe; s may be NULL.
 */
int reqid_valid(const char *s);

#endif
