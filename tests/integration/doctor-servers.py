#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tiny servers and clients for the doctor's integration tests.

Each mode plants one kind of TCP limbo (or healthy traffic) on 127.0.0.1
and then sleeps, bounded by --seconds, until the test kills it. A mode
prints "ready" on stdout once its sockets are in place.
"""
import argparse
import os
import resource
import socket
import sys
import threading
import time


def listen(port, backlog=16):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def ready():
    print("ready", flush=True)


def no_accept(a):
    """The post's server: listens and never calls accept()."""
    s = listen(a.port)
    ready()
    time.sleep(a.seconds)
    s.close()


def leak(a):
    """Accepts, reads to the end and never closes: peers' FINs leave
    CLOSE_WAIT behind (the classic leak: read() returned 0, ignored).
    With --unread it never reads either: taken, never served."""
    s = listen(a.port)
    ready()
    held = []
    end = time.time() + a.seconds
    s.settimeout(0.2)
    while time.time() < end:
        try:
            c, _ = s.accept()
            c.setblocking(False)
            held.append(c)
        except socket.timeout:
            pass
        for c in held if not a.unread else []:
            try:
                c.recv(4096)
            except (BlockingIOError, OSError):
                pass


def emfile(a):
    """Listens, then uses up RLIMIT_NOFILE so every accept() fails."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.nofile, a.nofile))
    s = listen(a.port)
    s.setblocking(False)
    spare = []
    try:
        while True:
            spare.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        pass
    ready()
    end = time.time() + a.seconds
    while time.time() < end:
        try:
            c, _ = s.accept()
            c.close()
        except BlockingIOError:
            pass
        except OSError:
            # EMFILE: the connection stays in the queue.
            pass
        time.sleep(0.05)


def serve_one(c):
    with c:
        while True:
            d = c.recv(4096)
            if not d:
                return
            c.sendall(d)


def echo(a):
    """A correct server: one thread a connection, closes on EOF."""
    s = listen(a.port, 1024)
    ready()
    end = time.time() + a.seconds
    s.settimeout(0.2)
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def clients(a):
    """n connections: each writes 'ping', then closes unless --hold."""
    conns = []
    for _ in range(a.count):
        c = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        conns.append(c)
    ready()
    if a.wait:
        time.sleep(a.wait)
    for c in conns:
        c.sendall(b"ping")
        if a.half_close:
            c.shutdown(socket.SHUT_WR)
        elif not a.hold:
            c.close()
    time.sleep(a.seconds)


def busy(a):
    """Healthy traffic: many short request/response connections, some long."""
    long_conns = []
    for _ in range(a.count):
        c = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        c.sendall(b"hello")
        c.recv(16)
        long_conns.append(c)
    for _ in range(a.short):
        c = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        c.sendall(b"ping")
        c.recv(16)
        c.close()
    ready()
    time.sleep(a.seconds)


def asyncio_block(a):
    """An asyncio server one of whose coroutines blocks the event loop
    with time.sleep() once --count clients are connected: their sockets
    stay registered for input in the loop's epoll set, and what they send
    and their FIN are never read (CLOSE-WAIT, unread)."""
    import asyncio
    n = 0

    async def serve(reader, writer):
        nonlocal n
        n += 1
        if n == a.count:
            time.sleep(a.seconds)  # the bug: a blocking call in a coroutine
        await reader.read(4096)
        writer.close()

    async def run():
        await asyncio.start_server(serve, "127.0.0.1", a.port)
        ready()
        await asyncio.sleep(a.seconds)

    asyncio.run(run())


def eof_spin(a):
    """A selectors loop (epoll, level-triggered) that reads its clients'
    end of file and ignores it: the sockets stay registered, every wait
    reports them again at once, and the loop spins in CLOSE-WAIT."""
    import selectors
    sel = selectors.DefaultSelector()
    s = listen(a.port)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    ready()
    end = time.time() + a.seconds
    while time.time() < end:
        for k, _ in sel.select(1):
            if k.fileobj is s:
                c, _ = s.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
            else:
                try:
                    k.fileobj.recv(4096)  # the bug: b"" is not handled
                except BlockingIOError:
                    pass


def cpu_loop(a):
    """A selectors loop (epoll, level-triggered) that serves its clients
    correctly, closing each at its end of file, until a request makes it
    compute in the loop's thread: once it has read --count requests it
    runs a loop with no system call, and the clients' FINs wait unread
    in the set that no one waits on."""
    import selectors
    sel = selectors.DefaultSelector()
    s = listen(a.port)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    ready()
    end = time.time() + a.seconds
    served = 0
    while time.time() < end:
        for k, _ in sel.select(1):
            if k.fileobj is s:
                c, _ = s.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            data = k.fileobj.recv(4)
            if not data:
                sel.unregister(k.fileobj)
                k.fileobj.close()
                continue
            served += 1
            if served == a.count:
                while time.time() < end:  # the bug: work in the loop
                    pass


def upstream(a):
    """A thread per connection: each reads its client's request, then
    asks the upstream on --upstream, which never answers, and waits in
    recv(). The clients leave meanwhile; their sockets stay in CLOSE-WAIT
    with the threads that would close them, while the main thread waits
    for more in poll(), as an accept with a timeout does."""
    import threading
    s = listen(a.port)
    ready()

    def serve(c):
        c.recv(4096)
        up = socket.create_connection(("127.0.0.1", a.upstream))
        up.sendall(b"GET / HTTP/1.0\r\n\r\n")
        up.recv(4096)  # the upstream never answers
        c.close()

    s.settimeout(a.seconds)
    try:
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    except socket.timeout:
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--short", type=int, default=0)
    p.add_argument("--wait", type=float, default=0)
    p.add_argument("--nofile", type=int, default=16)
    p.add_argument("--hold", action="store_true")
    p.add_argument("--half-close", action="store_true")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--upstream", type=int, default=0)
    a = p.parse_args()
    modes = {"no-accept": no_accept, "leak": leak, "emfile": emfile,
             "echo": echo, "clients": clients, "busy": busy,
             "asyncio-block": asyncio_block, "eof-spin": eof_spin,
             "cpu-loop": cpu_loop, "upstream": upstream}
    if a.mode not in modes:
        sys.exit("unknown mode " + a.mode)
    modes[a.mode](a)


if __name__ == "__main__":
    main()
