#!/usr/bin/python3
"""Hold connections to a FastCGI socket that never finish their request.

Usage: fcgi_idle.py SOCKET IDLE TRICKLE SECONDS

Opens IDLE connections that send nothing and TRICKLE connections that send
a request one byte every 100 ms (it never completes within SECONDS), prints
"ready" once all are open, keeps them for SECONDS, then prints how many of
each the service closed on its side ("closed IDLE_CLOSED TRICKLE_CLOSED").
Bounded: SECONDS at most 30, IDLE + TRICKLE at most 5000.
"""
import resource
import select
import socket
import struct
import sys
import time

BEGIN, PARAMS, STDIN = 1, 4, 5


def record(rtype, content=b""):
    return struct.pack(">BBHHBx", 1, rtype, 1, len(content), 0) + content


PARAMS_BODY = b"".join(bytes([len(n), len(v)]) + n + v for n, v in (
    (b"REQUEST_METHOD", b"POST"), (b"DOCUMENT_URI", b"/login/"),
    (b"REQUEST_URI", b"/login/")))
REQUEST = (record(BEGIN, struct.pack(">HB5x", 1, 1)) +
           record(PARAMS, PARAMS_BODY) + record(PARAMS) + record(STDIN))


def closed(s):
    """1 when the peer closed s (EOF or reset), else 0."""
    p = select.poll()
    p.register(s, select.POLLIN)
    if not p.poll(0):
        return 0
    try:
        return 1 if s.recv(4096) == b"" else 0
    except OSError:
        return 1


def main():
    path, idle, trickle, secs = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), min(float(sys.argv[4]), 30.0)
    assert idle + trickle <= 5000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    conns = []
    for _ in range(idle + trickle):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        conns.append(s)
    idles, tricklers = conns[:idle], conns[idle:]
    sent = 0
    print("ready", flush=True)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        # One byte more of each trickling request, never its last.
        if sent < len(REQUEST) - 1:
            for s in tricklers:
                try:
                    s.send(REQUEST[sent:sent + 1])
                except OSError:
                    pass
            sent += 1
        time.sleep(0.1)
    print("closed %d %d" % (sum(closed(s) for s in idles),
                            sum(closed(s) for s in tricklers)), flush=True)


main()
