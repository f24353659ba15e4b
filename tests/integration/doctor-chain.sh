#!/usr/bin/env bash
# A listener shared down a chain of different programs (NSD's xfrd starts
# main, which starts the server process that accepts): with the one that
# accepts stopped, the finding's heading names that process, with its own
# name and command line, not the first of the chain, which never accepts.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
# The first of the chain is our job; the others, its children, are
# killed by their pids (the stopped one by SIGKILL).
trap 'kill -9 $(cat "$T/pids.all" 2>/dev/null) 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT

# Each process names itself through /proc/self/comm, as NSD's do.
python3 - "$T/pids" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8121))
s.listen(16)
def named(comm):
    with open("/proc/self/comm", "w") as f:
        f.write(comm)
def note(path):
    with open(path, "a") as f:
        f.write("%d\n" % os.getpid())
named("tl-keeper")
if os.fork() == 0:
    named("tl-main")
    note(sys.argv[1] + ".all")
    if os.fork() == 0:
        named("tl-acceptor")
        note(sys.argv[1] + ".all")
        note(sys.argv[1])
        end = time.time() + 60
        while time.time() < end:
            s.accept()[0].close()
        os._exit(0)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
PY
tl_wait_for 5 test -s "$T/pids" || fail "the chain did not start"
ACC=$(cat "$T/pids")
kill -STOP "$ACC"
tl_wait_for 5 sh -c "grep -q '^State:.*T' /proc/$ACC/status" || fail "pid $ACC did not stop"
python3 -c '
import socket
for _ in range(3):
    c = socket.create_connection(("127.0.0.1", 8121)); c.send(b"x"); c.close()'
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :8121" | wc -l)" = 3 ]' ||
	fail "ss: no 3 queued CLOSE-WAIT on :8121"
sleep 1.5
"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
grep -q "^== pid $ACC (tl-acceptor): .*python3" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "the heading does not name the stopped acceptor, pid $ACC"; }
tr -s ' \n' ' ' <"$T/d.txt" | grep -q "(tl-keeper), [0-9]* (tl-main), $ACC (tl-acceptor) are" ||
	{ cat "$T/d.txt"; fail "the summary does not name each process of the chain"; }
ok "a chain of different programs: the heading names the stopped acceptor, pid $ACC"
