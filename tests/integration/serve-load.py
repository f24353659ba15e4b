#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Load and fault helpers for serve's tests (python3 standard library).

hammer PORT THREADS SECONDS  THREADS scrapers, each scraping /metrics in a
                             loop for SECONDS; prints "ok N" when every
                             scrape got 200 and a complete body, else the
                             failures and exits 1.
seq PORT COUNT               COUNT scrapes in a row on one kept-alive
                             connection; same output.
idle PORT LIMIT              opens a connection, sends nothing, and prints
                             the seconds until the server closes it (or
                             "open" after LIMIT seconds).
rss PID                      the resident set size of PID in KiB.
"""
import http.client
import socket
import sys
import threading
import time

# The last family serve writes: a body that ends with it is complete.
LAST = b"tcplimbo_scrape_errors_total "


def complete(body):
    lines = body.rstrip(b"\n").split(b"\n")
    return lines[-1].startswith(LAST) and b"# TYPE tcplimbo_sockets gauge" in body


def scrape(conn):
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read()
    return r.status, body


def hammer(port, threads, seconds):
    end = time.monotonic() + seconds
    counts, bad = [0] * threads, []

    def run(i):
        conn = None
        while time.monotonic() < end:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, body = scrape(conn)
            except (OSError, http.client.HTTPException) as e:
                bad.append("scraper %d: %r" % (i, e))
                conn = None
                continue
            if status != 200 or not complete(body):
                bad.append("scraper %d: status %d, %d bytes" % (i, status, len(body)))
            counts[i] += 1

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(seconds + 60)
    idle = [i for i, c in enumerate(counts) if c == 0]
    if bad or idle:
        print("\n".join(bad[:20]))
        print("scrapers that never completed one:", idle)
        return 1
    print("ok", sum(counts))
    return 0


def seq(port, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(count):
        status, body = scrape(conn)
        if status != 200 or not complete(body):
            print("scrape %d: status %d, %d bytes" % (i, status, len(body)))
            return 1
    print("ok", count)
    return 0


def idle(port, limit):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(limit)
    start = time.monotonic()
    try:
        data = s.recv(4096)
    except socket.timeout:
        print("open")
        return 0
    except ConnectionResetError:
        data = b""
    print("%.1f %d" % (time.monotonic() - start, len(data)))
    return 0


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(line.split()[1])
                return 0
    return 1


def main(argv):
    mode, args = argv[1], [int(a) for a in argv[2:]]
    return {"hammer": hammer, "seq": seq, "idle": idle, "rss": rss}[mode](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
