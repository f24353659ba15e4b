#!/usr/bin/env bash
# A few thousand sockets in every common state, held by several processes:
# every socket `ss -tanpe` shows must agree with `ls --json` on state,
# addresses, queues, inode and owner pids, and the two must list the same
# sockets.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

# Each python process prints "ready" when its sockets are in place.
cat >"$T/pop.py" <<'PY'
import os, socket, sys, time
role = sys.argv[1]
def ready():
    print("ready", flush=True)
    time.sleep(120)
if role == "server":          # accepts 1200, closes 300 of them first
    s = socket.socket(); s.bind(("127.0.0.1", 5000)); s.listen(2048)
    print("listening", flush=True)
    conns = [s.accept()[0] for _ in range(1200)]
    for c in conns[:300]:
        c.close()
    ready()
elif role == "idle":          # listens on IPv4 and IPv6, never accepts
    a = socket.socket(); a.bind(("127.0.0.1", 5001)); a.listen(2048)
    b = socket.socket(socket.AF_INET6); b.bind(("::1", 5002)); b.listen(2048)
    ready()
elif role == "client":
    conns = [socket.create_connection(("127.0.0.1", 5000)) for _ in range(1200)]
    q4 = [socket.create_connection(("127.0.0.1", 5001)) for _ in range(500)]
    q6 = [socket.create_connection(("::1", 5002)) for _ in range(300)]
    for c in q4[:200] + q6[:100]:   # queued connections their clients gave up on
        c.send(b"hello"); c.close()
    time.sleep(1)
    # The server closed the first 300; answer those (our side goes through
    # LAST_ACK, theirs into TIME_WAIT) and leave the next 300 half-closed.
    for c in conns[:300]:
        c.close()
    for c in conns[300:600]:
        c.send(b"bye"); c.shutdown(socket.SHUT_WR)
    ready()
PY
python3 "$T/pop.py" server >"$T/server.out" &
python3 "$T/pop.py" idle >"$T/idle.out" &
tl_wait_for 10 grep -q listening "$T/server.out" || fail "server"
tl_wait_for 10 grep -q ready "$T/idle.out" || fail "idle"
python3 "$T/pop.py" client >"$T/client.out" &
tl_wait_for 30 grep -q ready "$T/client.out" || fail "client"
tl_wait_for 30 grep -q ready "$T/server.out" || fail "server ready"
sleep 1

ss -Htanpe >"$T/ss.txt"
"$TCPLIMBO" ls --json >"$T/ls.json" || fail "ls"
python3 - "$T/ss.txt" "$T/ls.json" <<'PY' || fail "ls disagrees with ss"
import json, re, sys
names = {"ESTAB": "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-recv",
         "FIN-WAIT-1": "fin-wait-1", "FIN-WAIT-2": "fin-wait-2", "TIME-WAIT": "time-wait",
         "CLOSE-WAIT": "close-wait", "LAST-ACK": "last-ack", "LISTEN": "listen",
         "CLOSING": "closing"}
ss = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[3], f[4])
    ino = re.search(r"\bino:(\d+)", line)
    pids = sorted(int(p) for p in re.findall(r"pid=(\d+)", line))
    ss[key] = (names[f[0]], int(f[1]), int(f[2]), int(ino.group(1)) if ino else 0, pids)
def ep(fam, a, p, peer):
    if fam == "inet6":
        a = "[%s]" % a
    if peer and p == 0:
        return a + ":*"
    return "%s:%d" % (a, p)
ls = {}
for s in json.load(open(sys.argv[2])):
    key = (ep(s["family"], s["local_addr"], s["local_port"], False),
           ep(s["family"], s["remote_addr"], s["remote_port"], True))
    assert key not in ls, ("duplicate", key)
    ls[key] = (s["state"], s["recv_q"], s["send_q"], s["inode"],
               sorted(o["pid"] for o in s["owners"]))
assert len(ss) > 3000, len(ss)
missing = set(ss) - set(ls)
extra = set(ls) - set(ss)
assert not missing and not extra, (list(missing)[:5], list(extra)[:5])
bad = [(k, ss[k], ls[k]) for k in ss if ss[k] != ls[k]]
assert not bad, (len(bad), bad[:5])
states = {}
for v in ls.values():
    states[v[0]] = states.get(v[0], 0) + 1
# The population really covers the states it was built for.
for st, least in (("established", 1500), ("close-wait", 500), ("time-wait", 300),
                  ("fin-wait-2", 500), ("listen", 3)):
    assert states.get(st, 0) >= least, (st, states)
print("ok: %d sockets agree with ss: %s" % (len(ls), states))
PY
# Every socket with no fd is classified, and queued ones name their listener.
python3 - "$T/ls.json" <<'PY' || fail "limbo classes"
import json, sys
socks = json.load(open(sys.argv[1]))
for s in socks:
    if s["inode"] == 0:
        assert s["limbo"] in ("accept-queue", "orphan", "timewait"), s
    if s["limbo"] == "accept-queue":
        assert s["listener"]["local_port"] in (5001, 5002) and len(s["listener_owners"]) == 1, s
aq = [s for s in socks if s["limbo"] == "accept-queue"]
assert len(aq) == 800, len(aq)
assert sum(1 for s in aq if s["state"] == "close-wait") == 300
print("ok: limbo classes")
PY
ok "oracle"

# ss's state groups select the same sockets (the population holds no
# SYN_SENT or SYN_RECV, so connected and synchronized differ only there).
for g in connected synchronized bucket big listening established time-wait; do
	want=$(ss -Htan state "$g" | wc -l)
	got=$("$TCPLIMBO" ls --state "$g" --json --no-owners | jq length)
	[ "$want" = "$got" ] || fail "--state $g: $got sockets, ss shows $want"
	[ "$want" -gt 0 ] || fail "--state $g: ss shows none"
done
ok "state groups as ss counts them"
