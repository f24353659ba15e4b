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
tl_queue_closed 8121 3
"$TCPLIMBO" doctor --queue-age 1s >"$T/d.txt"
grep -q "^== pid $ACC (tl-acceptor): .*python3" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "the heading does not name the stopped acceptor, pid $ACC"; }
tr -s ' \n' ' ' <"$T/d.txt" | grep -q "(tl-keeper), [0-9]* (tl-main), $ACC (tl-acceptor) are" ||
	{ cat "$T/d.txt"; fail "the summary does not name each process of the chain"; }
ok "a chain of different programs: the heading names the stopped acceptor, pid $ACC"

# A pre-forked server's manager whose event loop, made before the fork,
# holds the listener while the manager waits elsewhere (hypnotoad's), and
# two workers busy with a client each: as telling as each other, the
# cause the workers share speaks, not the first pid's.
python3 - "$T/pre" <<'PY' &
import os, select, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8122))
s.listen(16)
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN)
r, w = os.pipe()
for _ in range(2):
    if os.fork() == 0:
        ep.close()
        c = s.accept()[0]
        c.recv(100)
        os._exit(0)
with open(sys.argv[1], "w") as f:
    f.write("up\n")
p = select.poll()
p.register(r, select.POLLIN)
p.poll(60000)
PY
tl_wait_for 5 test -s "$T/pre" || fail "the pre-forked server did not start"
python3 -c '
import socket, time
held = [socket.create_connection(("127.0.0.1", 8122)) for _ in range(2)]
time.sleep(60)' &
tl_wait_for 5 sh -c '[ "$(ss -Htn state established "sport = :8122" | wc -l)" = 2 ]' ||
	fail "the workers did not take a client each"
sleep 0.5
tl_queue_closed 8122 3
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/pre.json"
jq -e '[.findings[] | select(.local_port == 8122)][0] | .kind == "not-accepting" and
	(.pids | length) == 3 and .cause == "connection-limit"' "$T/pre.json" >/dev/null ||
	{ jq '.findings' "$T/pre.json"; fail "a manager's idle event loop spoke for its busy workers"; }
ok "a pre-forked server's busy workers speak for the finding, not its manager's idle event loop"
