#!/usr/bin/env bash
# watch --backend bpf names the owners of sockets made after it started
# from what the kernel recorded in the owner's own process (connect,
# listen, accept), not from /proc: a client that connects, closes and exits
# at once, and a server that listens, accepts and closes, are each named
# with their pid on every transition of their sockets, with "fd": null
# (the kernel's record has no fd; a /proc rescan would give one). The
# filters are applied in the kernel too: a connection to another port,
# made by the same processes, never shows up under --sport. A connection
# left in the queue of a listener that closes is reset by the kernel after
# the listener's own change to CLOSE, and that last event still names the
# listener's owner. A refused connect() closes with the port it had.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_need_bpf_watch "$T/probe"
PORT=3100
OTHER=3101

"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --ring-size 1 >"$T/out" 2>"$T/err" &
WATCHER=$!
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --sport "$OTHER" >"$T/other" 2>"$T/err2" &
WATCHER2=$!
# Filtered in the kernel, so owners are kept in socket storage there.
FPORT=3104
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --dport "$FPORT" >"$T/fork" 2>"$T/err3" &
WATCHER3=$!
# Kernel filters again, for the connection lent to another process below.
"$TCPLIMBO" watch --json --backend bpf --bpf-attach btf --dport 3105 >"$T/lent.out" 2>"$T/err4" &
WATCHER4=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"
tl_wait_for 10 grep -q "backend" "$T/err4" || fail "watch did not start: $(cat "$T/err4")"
tl_wait_for 10 grep -q "backend" "$T/err2" || fail "watch did not start: $(cat "$T/err2")"
tl_wait_for 10 grep -q "backend" "$T/err3" || fail "watch did not start: $(cat "$T/err3")"
# The start line says whether accepted sockets are named at accept(), or
# why not: then by their listener until a rescan.
grep -Eq "backend bpf \(tp_btf/inet_sock_set_state(, fexit/inet_csk_accept\)|; fexit/inet_csk_accept refused \(.*\), so a connection accepted since the last /proc scan is named by its listener\))" "$T/err" ||
	fail "the start line does not say how accepted sockets are named: $(cat "$T/err")"

# The server: listens on both ports, accepts one connection on each and
# closes it, then waits to be killed.
python3 -c '
import socket, sys, time
ls = []
for p in (int(sys.argv[1]), int(sys.argv[2])):
    s = socket.socket()
    s.bind(("127.0.0.1", p))
    s.listen(16)
    ls.append(s)
print("up", flush=True)
for s in ls:
    c, _ = s.accept()
    c.recv(16)
    c.close()
time.sleep(60)' "$PORT" "$OTHER" >"$T/server" &
SERVER=$!
tl_wait_for 5 grep -q up "$T/server" || fail "server did not listen"

# The client: one connection to each port, each closed at once.
python3 -c '
import socket, sys
for p in (int(sys.argv[1]), int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", p))
    print(c.getsockname()[1], flush=True)
    c.send(b"x")
    c.close()' "$PORT" "$OTHER" >"$T/client" &
CLIENT=$!
wait "$CLIENT" || fail "client failed"
CPORT=$(head -n1 "$T/client")
[ -n "$CPORT" ] || fail "client printed no port"
# Bounded: until both connections have closed (whichever side first, or
# both at once: a simultaneous close goes FIN-WAIT-1 -> CLOSING -> TIME-WAIT
# on each side, with no LAST-ACK).
closed() { [ "$(grep -c '"old_state":"\(last-ack\|fin-wait-2\|closing\)","new_state":"\(close\|time-wait\)"' "$1")" -ge "$2" ]; }
tl_wait_for 10 closed "$T/out" 4 ||
	fail "watch did not report both connections closing: $(cat "$T/out")"
tl_wait_for 10 closed "$T/other" 1 ||
	fail "watch --sport did not report its port: $(cat "$T/other")"

# Never accepted: the client closes, then the listener.
QPORT=3102
python3 -c '
import socket, sys, time
p = int(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", p))
s.listen(4)
c = socket.create_connection(("127.0.0.1", p))
c.close()
time.sleep(0.3)
s.close()
print("closed", flush=True)
time.sleep(60)' "$QPORT" >"$T/queue" &
QUEUE=$!
tl_wait_for 5 grep -q closed "$T/queue" || fail "queue server did not run"
reset() { grep -q "\"local_port\":$QPORT,[^{]*\"old_state\":\"close-wait\",\"new_state\":\"close\"" "$T/out"; }
tl_wait_for 10 reset || fail "no reset of the queued connection: $(grep "$QPORT" "$T/out")"
# A refused connect(): its SYN_SENT -> CLOSE has the port the kernel
# chose, released by then (the CLOSE -> SYN_SENT before could not know it).
python3 -c '
import socket
try: socket.create_connection(("127.0.0.1", 3103))
except ConnectionRefusedError: print("refused", flush=True)' >"$T/refused"
grep -q refused "$T/refused" || fail "connect to 3103 was not refused"
RQ='"remote_port":3103,"old_state":"syn-sent","new_state":"close"'
tl_wait_for 10 grep -q "$RQ" "$T/out" || fail "no SYN_SENT -> CLOSE for the refused connect"
grep "$RQ" "$T/out" | grep -q '"local_port":0,' &&
	fail "refused connect: SYN_SENT -> CLOSE with local port 0: $(grep "$RQ" "$T/out")"
# A client that connects and forks; the parent closes its fd at once, the
# child holds the connection and closes it later. The close is the
# child's: it is named, not the parent that connected (before, the owner
# recorded at connect() was carried to the socket's end).
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
print("up", flush=True)
c, _ = s.accept()
while c.recv(64):
    pass
c.close()' "$FPORT" >"$T/fsrv" &
tl_wait_for 5 grep -q up "$T/fsrv" || fail "fork server did not listen"
python3 -c '
import os, socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
kid = os.fork()
if kid == 0:
    time.sleep(0.5)
    c.close()
    os._exit(0)
c.close()
print(os.getpid(), kid, flush=True)
os.waitpid(kid, 0)' "$FPORT" >"$T/fcli" || fail "fork client failed"
read -r FPARENT FCHILD <"$T/fcli"
fw1() { grep -q '"remote_port":'"$FPORT"',[^{]*"old_state":"established","new_state":"fin-wait-1"' "$1"; }
tl_wait_for 10 fw1 "$T/out" || fail "no FIN-WAIT-1 of the forked client: $(grep "$FPORT" "$T/out")"
tl_wait_for 10 fw1 "$T/fork" || fail "--dport: no FIN-WAIT-1 of the forked client: $(cat "$T/fork")"
for f in "$T/out" "$T/fork"; do
	python3 - "$f" "$FPORT" "$FPARENT" "$FCHILD" <<'PY' || fail "the forked client's close is not named by the child ($f)"
import json, sys
path, port, parent, child = sys.argv[1], *map(int, sys.argv[2:])
evs = [json.loads(l) for l in open(path) if l.strip()]
cli = [e for e in evs if e["remote_port"] == port and e["local_port"] != port]
steps = [(e["old_state"], e["new_state"]) for e in cli]
pids = lambda e: [o["pid"] for o in (e["owners"] or e.get("former_owners") or [])]
first = cli[0]
assert steps[0] == ("close", "syn-sent") and pids(first) == [parent], (steps, first)
fw = [e for e in cli if (e["old_state"], e["new_state"]) == ("established", "fin-wait-1")]
assert len(fw) == 1 and pids(fw[0]) == [child], (steps, fw)
# After the close, the socket is the child's for the rest of its life.
after = cli[cli.index(fw[0]):]
assert all(pids(e) in ([child], []) for e in after), [(e["new_state"], pids(e)) for e in after]
print("forked client:", steps, "closed by", child)
PY
done
ok "a connection handed to a child after fork: its close names the child"

# A process named tsrv whose thread worker-3 closes its connection: the
# owner is the process, by its name (the group leader's), not the thread.
# Then a process that is no descendant borrows a connection's fd
# (pidfd_getfd; a reader of /proc/PID/fd holds the file so for a moment)
# and drops the last reference after its holder closed it: the close runs
# in the borrower, and the holder stays the owner where the kernel keeps
# it (with filters in the kernel; without, user space follows owners).
NPORT=3105
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
print("up", flush=True)
for _ in range(2):
    c, _ = s.accept()
    while c.recv(64):
        pass
    c.close()
' "$NPORT" >"$T/nsrv" &
tl_wait_for 5 grep -q up "$T/nsrv" || fail "name server did not listen"
python3 -c '
import ctypes, socket, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"tsrv", 0, 0, 0)
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(c.getsockname()[1], flush=True)
def work():
    libc.prctl(15, b"worker-3", 0, 0, 0)
    c.close()
t = threading.Thread(target=work)
t.start()
t.join()
' "$NPORT" >"$T/tcli" || fail "threaded client failed"
TPORT=$(cat "$T/tcli")
tfw() { grep -q '"local_port":'"$TPORT"',[^{]*"old_state":"established","new_state":"fin-wait-1"' "$T/out"; }
tl_wait_for 10 tfw || fail "no FIN-WAIT-1 of the threaded client: $(grep "$NPORT" "$T/out")"
grep '"local_port":'"$TPORT"',[^{]*"old_state":"established","new_state":"fin-wait-1"' "$T/out" |
	grep -q '"owners":\[{"pid":[0-9]*,"comm":"tsrv"' ||
	fail "the threaded close is not named by its process: $(grep "\"local_port\":$TPORT," "$T/out")"
ok "a thread named worker-3 closes a connection of tsrv: the owner is tsrv"

python3 -c '
import os, socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(os.getpid(), c.fileno(), c.getsockname()[1], flush=True)
for _ in range(100):
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
c.close()
time.sleep(30)
' "$NPORT" "$T/lent" >"$T/lender" &
tl_wait_for 5 test -s "$T/lender" || fail "the lender did not connect"
read -r LPID LFD LPORT <"$T/lender"
python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid, fd = int(sys.argv[1]), int(sys.argv[2])
pidfd = os.pidfd_open(pid)
mine = libc.syscall(438, pidfd, fd, 0)
if mine < 0:
    sys.exit("pidfd_getfd: errno %d" % ctypes.get_errno())
open(sys.argv[3], "w").close()
time.sleep(0.5)
os.close(mine)
print(os.getpid(), flush=True)
' "$LPID" "$LFD" "$T/lent" >"$T/borrower" || fail "the borrower failed"
lfw() { grep -q '"local_port":'"$LPORT"',[^{]*"old_state":"established","new_state":"fin-wait-1"' "$T/lent.out"; }
tl_wait_for 10 lfw || fail "no FIN-WAIT-1 of the lent connection: $(grep "\"local_port\":$LPORT," "$T/lent.out")"
grep '"local_port":'"$LPORT"',[^{]*"old_state":"established","new_state":"fin-wait-1"' "$T/lent.out" |
	grep -q '"owners":\[{"pid":'"$LPID"',' ||
	fail "the lent connection's close is named by its borrower $(cat "$T/borrower"), not its holder $LPID: $(grep "$LPORT" "$T/lent.out" | cut -c1-400)"
ok "a borrower that drops the last reference is not named the owner"

kill -INT "$WATCHER" "$WATCHER2" "$WATCHER3" "$WATCHER4"
wait "$WATCHER4" || fail "watch --dport 3105 exited with $? after SIGINT: $(cat "$T/err4")"
wait "$WATCHER" || fail "watch exited with $? after SIGINT: $(cat "$T/err")"
wait "$WATCHER2" || fail "watch --sport exited with $? after SIGINT: $(cat "$T/err2")"
wait "$WATCHER3" || fail "watch --dport exited with $? after SIGINT: $(cat "$T/err3")"

python3 - "$T/out" "$T/other" "$SERVER" "$CLIENT" "$CPORT" "$PORT" "$OTHER" "$QUEUE" "$QPORT" <<'PY' || fail "wrong owners (see above)"
import json, sys
path, other_path = sys.argv[1:3]
server, client, cport, port, other, queue, qport = map(int, sys.argv[3:])
evs = [json.loads(l) for l in open(path) if l.strip()]
oth = [json.loads(l) for l in open(other_path) if l.strip()]
steps = lambda l: [(e["old_state"], e["new_state"]) for e in l]
# --sport: only the other port's listener and accepted socket, and both.
assert oth and all(e["local_port"] == other for e in oth), oth
assert any(e["remote_port"] == 0 for e in oth), steps(oth)
assert any(e["remote_port"] != 0 for e in oth), steps(oth)
lst = [e for e in evs if e["local_port"] == port and e["remote_port"] == 0]
# connect() changes the state before it picks the local port: port 0.
cli = [e for e in evs if e["local_port"] in (0, cport) and e["remote_port"] == port]
srv = [e for e in evs if e["local_port"] == port and e["remote_port"] == cport]
print("listener:", steps(lst))
print("client:", steps(cli))
print("server:", steps(srv))
def named(e, pid):
    who = e["owners"] or e.get("former_owners") or []
    assert [o["pid"] for o in who] == [pid], e
    assert all(o["fd"] is None for o in who), e
assert ("close", "listen") in steps(lst), steps(lst)
for e in lst:
    named(e, server)
s = steps(cli)
assert s[0] == ("close", "syn-sent") and ("syn-sent", "established") in s, s
# Every transition of the client's socket, to its end, names the client.
for e in cli:
    if e["new_state"] == "close" and e["old_state"] in ("fin-wait-2", "time-wait"):
        continue  # a timewait entry: a different kernel object
    named(e, client)
# The server's side: before accept() its listener's owner; after, its own.
assert ("syn-recv", "established") in steps(srv) and len(srv) >= 4, steps(srv)
for e in srv:
    if e["owners"] or e.get("former_owners"):
        named(e, server)
    else:
        assert [o["pid"] for o in e["listener_owners"] or []] == [server], e
# The queued connection, to its reset after its listener closed.
que = [e for e in evs if e["local_port"] == qport and e["remote_port"] != 0]
print("queued:", steps(que))
assert ("close-wait", "close") in steps(que), steps(que)
for e in que:
    assert [o["pid"] for o in e["listener_owners"] or []] == [queue], e
PY
ok "kernel-recorded owners on every transition, filters in the kernel"
