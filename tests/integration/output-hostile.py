#!/usr/bin/env python3
# Processes with hostile names against every output of tcplimbo. Run by
# output-hostile.sh inside a private network namespace, as root.
#
# Each name below is set with prctl(PR_SET_NAME) by a process that holds a
# listener nobody accepts on (one connection queued that wrote and closed,
# so it is CLOSE_WAIT in the queue and the doctor reports it, and one that
# stays open) and an accepted, established connection. Then:
#  - every --json output (ls, doctor, doctor --all-netns, watch with the
#    bpf and the poll backends, lab run) must decode as strict UTF-8 and
#    parse, and must carry each name as Python's own decoder would repair
#    it (each invalid sequence one U+FFFD, control characters intact);
#  - every text output (ls, doctor, watch, lab) must decode as strict
#    UTF-8 and hold no control character but the layout's newlines (and
#    tabs), no format character (a bidi override, a zero-width joiner:
#    they are shown as \u202e), and the forged row "FAKE" must not start a
#    line;
#  - serve's /metrics must be such text too, its label values showing
#    the names as the text commands do (\x1b, \u202e);
#  - watch --top's table must stay aligned in terminal columns: on every
#    row the counts start at the same column, 40, whether the name before
#    them is wide (CJK), escaped or holds a combining mark.
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request

TL = os.environ.get("TCPLIMBO", "build/tcplimbo")
NAMES = [
    "ab服务器服务器x".encode(),  # cut by the kernel to ab服务器服\xe5
    b"raw\xff",
    b"lone\xc3",
    b"sur\xed\xa0\x80",
    b"ovl\xc0\xaf",
    b"\x1b[2J\r\nFAKE",
    b"c1\xc2\x9b31m",
    "服务器".encode(),  # 9 bytes, 6 columns
    b"bidi\xe2\x80\xaeevil",  # U+202E RIGHT-TO-LEFT OVERRIDE
    b"zw\xe2\x80\x8dj\xe2\x80\x8b",  # U+200D ZWJ, U+200B ZWSP
    b"cafe\xcc\x81",  # e and a combining acute: 5 columns
]
# How text output shows the bidi and zero-width names.
SHOWN = ["bidi\\u202eevil", "zw\\u200dj\\u200b"]
BASE = 4100


class Failed(Exception):
    pass


FAILED = []


def fail(msg):
    raise Failed(msg)


def section(fn, *args):
    """Runs one check; a failure is told and the others still run."""
    try:
        return fn(*args)
    except Failed as e:
        print("FAIL: %s" % e, file=sys.stderr, flush=True)
        FAILED.append(str(e))
        return None


def ok(msg):
    print("ok: " + msg, flush=True)


def expected(name):
    """What a strict reader must find: the kernel's 15 bytes, repaired."""
    return name[:15].decode("utf-8", "replace")


def holder(name, port, churn):
    """The body of a hostile process (runs after fork)."""
    libc = ctypes.CDLL(None)
    libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(8)
    gone = socket.create_connection(("127.0.0.1", port))
    gone.send(b"ping")
    gone.close()
    stay = socket.create_connection(("127.0.0.1", port))
    acc = socket.socket()
    acc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    acc.bind(("127.0.0.1", port + 1000))
    acc.listen(8)
    est = socket.create_connection(("127.0.0.1", port + 1000))
    peer, _ = acc.accept()
    os.write(1, b"r")
    if churn:
        # Later transitions of known sockets: watch's poll backend names
        # the owners of sockets its snapshots have seen.
        time.sleep(2.5)
        stay.close()
        est.close()
    time.sleep(120)
    del stay, est, peer


def start_holders(base, churn=False):
    pids = []
    for i, name in enumerate(NAMES):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.dup2(w, 1)
            try:
                holder(name, base + i, churn)
            except BaseException as e:  # say why, the parent fails
                print("holder %r: %r" % (name, e), file=sys.stderr)
            finally:
                os._exit(0)
        os.close(w)
        if os.read(r, 1) != b"r":
            fail("holder %r did not start" % name)
        os.close(r)
        pids.append(pid)
    return pids


def stop(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
            os.waitpid(p, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def run(args, timeout=60, ok_codes=(0,)):
    p = subprocess.run([TL] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode not in ok_codes:
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
        fail("%s exited %d" % (" ".join(args), p.returncode))
    return p.stdout, p.stderr


def strict_json(raw, what):
    try:
        text = raw.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        fail("%s: not valid UTF-8: %s" % (what, e))
    try:
        return json.loads(text)
    except ValueError as e:
        fail("%s: not JSON: %s" % (what, e))


def strict_lines(raw, what):
    out = []
    for n, line in enumerate(raw.splitlines()):
        try:
            out.append(json.loads(line.decode("utf-8", "strict")))
        except (UnicodeDecodeError, ValueError) as e:
            fail("%s line %d: %s" % (what, n + 1, e))
    return out


def clean_text(raw, what):
    """Strict UTF-8, no control character but \\n and \\t, no forged row."""
    try:
        text = raw.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        fail("%s: not valid UTF-8: %s" % (what, e))
    for ch in text:
        c = ord(ch)
        if (c < 0x20 and ch not in "\n\t") or c == 0x7f or 0x80 <= c < 0xa0:
            fail("%s: raw control character U+%04X" % (what, c))
        # Cf: bidi controls, zero-width characters, the BOM; Zl, Zp.
        if unicodedata.category(ch) in ("Cf", "Zl", "Zp"):
            fail("%s: raw format character U+%04X" % (what, c))
    for line in text.splitlines():
        if line.startswith("FAKE"):
            fail("%s: the forged row is there" % what)
    return text


def columns(ch):
    """A terminal's columns for one character (wcwidth's answer)."""
    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def comms(owners):
    return {o["comm"] for o in owners or []}


def check_names(found, what):
    """found: {pid: set of comms seen for it} or a set of comms."""
    for name in NAMES:
        if expected(name) not in found:
            fail("%s: %r not found as %r (saw %r)" %
                 (what, name, expected(name), sorted(found)))


def test_ls(pids):
    raw, _ = run(["ls", "--json"])
    socks = strict_json(raw, "ls --json")
    seen = set()
    for s in socks:
        seen |= comms(s["owners"]) | comms(s["listener_owners"])
    check_names(seen, "ls --json")
    text = clean_text(run(["ls"])[0], "ls")
    if "\\x1b[2J\\x0d\\x0aFAKE" not in text:
        fail("ls: the escaped name is not shown")
    for shown in SHOWN:
        if shown not in text:
            fail("ls: %s is not shown" % shown)
    # JSON escapes them too: the same string to a parser, none raw.
    if "\u202e".encode() in raw or b"bidi\\u202eevil" not in raw:
        fail("ls --json: U+202E is not escaped as \\u202e")
    ok("ls --json parses strictly with every name; ls text is clean")


def test_top(pids):
    """watch --top: the counts after each name start at column 40."""
    raw, _ = run(["watch", "--top", "--backend", "poll", "--interval", "1s",
                  "--seconds", "3"])
    text = clean_text(raw, "watch --top")
    rows = 0
    labels = []
    for line in text.splitlines():
        if (not line or line.startswith("tcplimbo watch --top") or
                line.startswith("(N+M")):
            continue
        col, i = 0, 0
        while i < len(line) and col < 40:
            col += columns(line[i])
            i += 1
        while i < len(line) and columns(line[i]) == 0:
            i += 1  # a combining mark belongs to the label
        if col != 40:
            fail("watch --top: the label of %r takes %d columns, not 40" %
                 (line, col))
        cells = line[i:]
        if len(cells) != 110 or not all(
                cells[k] == " " and cells[k + 9] != " "
                for k in range(0, 110, 10)):
            fail("watch --top: the counts after %r are not at columns "
                 "40..150: %r" % (line[:i], cells))
        labels.append(line[:i])
        rows += 1
    for want in ["/服务器", "/cafe\u0301"] + SHOWN:
        if not any(want in label for label in labels):
            fail("watch --top: no row for %r (rows %r)" % (want, labels))
    ok("watch --top: %d rows, the counts at column 40 on each" % rows)


def test_doctor(pids):
    for args in (["doctor", "--json", "--queue-age", "0"],
                 ["doctor", "--all-netns", "--json", "--queue-age", "0"]):
        raw, _ = run(args, ok_codes=(0, 1, 2))
        d = strict_json(raw, " ".join(args))
        seen = {f["comm"] for f in d["findings"] if f["comm"]}
        for f in d["findings"]:
            for k in ("listener", "example"):
                if f.get(k):
                    seen |= comms(f[k]["owners"])
                    seen |= comms(f[k]["listener_owners"])
        check_names(seen, " ".join(args))
    text = clean_text(run(["doctor", "--queue-age", "0"],
                          ok_codes=(0, 1, 2))[0], "doctor")
    if "\\x1b[2J\\x0d\\x0aFAKE" not in text:
        fail("doctor: the escaped name is not shown")
    clean_text(run(["doctor", "--all-netns", "--queue-age", "0"],
                   ok_codes=(0, 1, 2))[0], "doctor --all-netns")
    ok("doctor (and --all-netns) --json parse strictly with every name; "
       "text is clean")


def test_serve(pids):
    """serve's /metrics: label values as the text shows the names."""
    port = 19858
    srv = subprocess.Popen([TL, "serve", "--listen", "127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    raw = None
    try:
        for _ in range(50):
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
                    raw = r.read()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        srv.terminate()
        srv.wait(timeout=10)
    if raw is None:
        fail("serve: /metrics did not answer")
    text = clean_text(raw, "serve /metrics")
    # The exposition escapes the backslash of \x1b: it reads \\x1b. A
    # newline and a cut UTF-8 sequence read as in the text output too.
    for shown in ("\\\\x1b[2J\\\\x0d\\\\x0aFAKE", "bidi\\\\u202eevil",
                  "ab\u670d\u52a1\u5668\u670d\\\\xe5", "raw\\\\xff"):
        if 'comm="%s"' % shown not in text:
            fail("serve /metrics: comm=%r not found" % shown)
    ok("serve's /metrics is clean text with every name escaped")


def watch_backend(backend, base):
    def one(json_mode, base):
        args = [TL, "watch", "--backend", backend, "--seconds", "7"]
        if json_mode:
            args.append("--json")
        w = subprocess.Popen(args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(1.5)
        if w.poll() is not None:
            return None, w.stderr.read()
        pids = start_holders(base, churn=True)
        try:
            out, err = w.communicate(timeout=30)
        finally:
            stop(pids)
        if w.returncode != 0:
            sys.stderr.write(err.decode("utf-8", "replace"))
            fail("watch --backend %s exited %d" % (backend, w.returncode))
        return out, err

    raw, err = one(True, base)
    if raw is None:
        return False, err
    lines = strict_lines(raw, "watch --json (%s)" % backend)
    seen = set()
    for e in lines:
        seen |= comms(e["owners"]) | comms(e["listener_owners"])
        seen |= comms(e["former_owners"])
    check_names(seen, "watch --json --backend %s" % backend)
    raw, _ = one(False, base + 50)
    text = clean_text(raw, "watch --backend %s" % backend)
    if "\\x1b[2J\\x0d\\x0aFAKE" not in text:
        fail("watch --backend %s: the escaped name is not shown" % backend)
    ok("watch --backend %s: %d JSON lines parse strictly with every "
       "name; text is clean" % (backend, len(lines)))
    return True, b""


def test_lab():
    # A --then at the first step starts hostile clients of the lab's
    # server: the next steps' snapshots show them as the sockets' owners.
    me = os.path.abspath(__file__)
    hook = "python3 %s lab-clients </dev/null >/dev/null 2>&1" % me
    for json_mode in (True, False):
        args = ["lab", "run", "seed", "--wait", "1", "--then", hook,
                "--then-at", "connected"]
        if json_mode:
            args.append("--json")
        # The extra clients are not what the steps expect, so the run
        # fails (1, or 3 since every verb shares one exit-status table);
        # what it prints is what is tested here.
        raw, _ = run(args, timeout=120, ok_codes=(0, 1, 3))
        if json_mode:
            d = strict_json(raw, "lab run --json")
            seen = set()
            for st in d["steps"]:
                for s in st["sockets"]:
                    seen |= comms(s["owners"]) | comms(s["listener_owners"])
            check_names(seen, "lab run --json")
        else:
            text = clean_text(raw, "lab run")
            if "\\x1b[2J\\x0d\\x0aFAKE" not in text:
                fail("lab run: the escaped name is not shown")
    ok("lab run --json parses strictly with every name; lab text is clean")


def lab_clients():
    """Inside the lab's namespace: one hostile client each, for 15 s."""
    if os.fork() != 0:
        return  # the hook returns; the clients live on in a session of
    os.setsid()  # their own, out of the lab's reach

    addr = os.environ["TL_LAB_ADDR"]
    port = int(os.environ["TL_LAB_PORT"])
    for name in NAMES:
        if os.fork() == 0:
            libc = ctypes.CDLL(None)
            libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)
            c = socket.create_connection((addr, port))
            # FIN_WAIT2 with the fd kept: a state the later steps show.
            c.send(b"ping")
            c.shutdown(socket.SHUT_WR)
            time.sleep(15)
            del c
            os._exit(0)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "lab-clients":
        lab_clients()
        return
    pids = start_holders(BASE)
    try:
        section(test_ls, pids)
        section(test_doctor, pids)
        section(test_top, pids)
        section(test_serve, pids)
    finally:
        stop(pids)
    r = section(watch_backend, "bpf", BASE + 100)
    if r and not r[0]:
        print("skip: watch --backend bpf unavailable: %s" %
              r[1].decode("utf-8", "replace").strip())
    section(watch_backend, "poll", BASE + 200)
    section(test_lab)
    if FAILED:
        sys.exit(1)


if __name__ == "__main__":
    main()
