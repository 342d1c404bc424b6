#!/usr/bin/python3
"""Is a service fair to new connections while kept ones keep it busy?

Usage: fcgi_fair.py SOCKET METHOD PATH KEPT NEW

Opens KEPT connections to the FastCGI socket (FCGI_KEEP_CONN, as the gateway
keeps them) and runs a closed loop on each: METHOD PATH without a token, the
next request as soon as the answer is complete.  The service's answer must
take longer than this script's turn around its loop (GET /info, which asks
auth, does), so that every kept connection always has a request waiting.  Once every kept
connection has had 3 answers, opens NEW connections at once with one request
each, and counts the answers on kept connections until every new one is
answered.  Prints that count.

A worker that takes new connections one per pass over its ready list lets the
new ones wait about NEW passes, so the count is about KEPT * NEW; one that
accepts the backlog at once serves them within about one pass (KEPT).  The
count depends on the order of service only, not on this machine's speed.
Exits 1 when something is not answered within 10 s, or is not a 401.
"""
import selectors
import socket
import struct
import sys
import time

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
KEEP_CONN = 1


def record(rtype, content=b""):
    return struct.pack(">BBHHBx", 1, rtype, 1, len(content), 0) + content


def pair(name, value):
    # Names and values here are all under 128 bytes: one-byte lengths.
    return bytes([len(name), len(value)]) + name + value


def request(method, path):
    return (record(BEGIN, struct.pack(">HB5x", 1, KEEP_CONN)) +
            record(PARAMS, pair(b"REQUEST_METHOD", method) +
                   pair(b"DOCUMENT_URI", path) + pair(b"REQUEST_URI", path)) +
            record(PARAMS) + record(STDIN))


REQUEST = request(sys.argv[2].encode(), sys.argv[3].encode())


class Conn:
    def __init__(self, path, kept):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.kept = kept
        self.buf = b""
        self.out = b""
        self.answers = 0

    def send(self):
        self.sock.sendall(REQUEST)

    def read(self):
        """Reads what is there; returns the number of answers completed."""
        data = self.sock.recv(65536)
        if not data:
            raise SystemExit("a connection was closed by the service")
        self.buf += data
        done = 0
        while len(self.buf) >= 8:
            _, rtype, _, clen, plen = struct.unpack(">BBHHB", self.buf[:7])
            if len(self.buf) < 8 + clen + plen:
                break
            content = self.buf[8:8 + clen]
            self.buf = self.buf[8 + clen + plen:]
            if rtype == STDOUT:
                self.out += content
            elif rtype == END:
                if not self.out.startswith(b"Status: 401"):
                    raise SystemExit("not a 401: %r" % self.out[:40])
                self.out = b""
                self.answers += 1
                done += 1
        return done


def main():
    path, nkept, nnew = sys.argv[1], int(sys.argv[4]), int(sys.argv[5])
    sel = selectors.DefaultSelector()
    kept = [Conn(path, True) for _ in range(nkept)]
    for c in kept:
        sel.register(c.sock, selectors.EVENT_READ, c)
        c.send()
    new = []
    kept_answers = 0
    deadline = time.monotonic() + 10
    while not new or any(c.answers == 0 for c in new):
        if time.monotonic() > deadline:
            raise SystemExit("no answer within 10 s")
        if not new and all(c.answers >= 3 for c in kept):
            new = [Conn(path, False) for _ in range(nnew)]
            for c in new:
                sel.register(c.sock, selectors.EVENT_READ, c)
                c.send()
        for key, _ in sel.select(1):
            c = key.data
            n = c.read()
            if c.kept and n:
                if new:
                    kept_answers += n
                c.send()
    print(kept_answers)


main()
