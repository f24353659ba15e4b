#!/usr/bin/env bash
# FIN-WAIT-2 three ways, each classed as ss's timer says. Each client
# half-closes (shutdown(SHUT_WR)) and, once in FIN-WAIT-2: keeps its fd (no
# timer: no limbo); or closes while tcp_fin_timeout exceeds the 60 s of
# TIME-WAIT, so the full socket finishes on the keepalive timer (an
# orphan); or closes with the default tcp_fin_timeout, so tcp_close() hands
# it to the timewait machinery at once (ss: timer:(timewait,...), no
# tcp_info: a timewait entry, not an orphan).
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

cat >"$T/fw2.py" <<'PY'
import os, socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 3007)); srv.listen(8)
held = []
def conn():
    c = socket.create_connection(("127.0.0.1", 3007))
    held.append(srv.accept()[0])     # the server never closes its side
    c.shutdown(socket.SHUT_WR)
    for _ in range(100):             # until our FIN is acknowledged
        if open("/proc/net/tcp").read().count(" 05 ") >= len(held):
            break
        time.sleep(0.02)
    return c
def fin_timeout(s):
    with open("/proc/sys/net/ipv4/tcp_fin_timeout", "w") as f:
        f.write(str(s))
fin_timeout(60)
tw = conn(); print("timewait", tw.getsockname()[1], flush=True); tw.close()
fin_timeout(90)                      # this namespace only
orphan = conn(); print("orphan", orphan.getsockname()[1], flush=True); orphan.close()
half = conn(); print("held", half.getsockname()[1], flush=True)
print("ready", flush=True)
time.sleep(60)
PY
python3 "$T/fw2.py" >"$T/ports" &
tl_wait_for 10 grep -q ready "$T/ports" || fail "sockets not set up"
tl_wait_for 5 test "$(ss -Htan state fin-wait-2 | wc -l)" = 3 ||
	{ ss -tano; fail "ss: not 3 FIN-WAIT-2 sockets"; }

ss -Htano state fin-wait-2 >"$T/ss.txt"
"$TCPLIMBO" ls --json --state fin-wait-2 >"$T/ls.json" || fail "ls"
python3 - "$T/ports" "$T/ss.txt" "$T/ls.json" <<'PY' || fail "ls disagrees with ss's timers"
import json, re, sys
want = {}
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) == 2:
        want[int(w[1])] = w[0]
# ss is the oracle: the timer it shows for each of our client ports.
timer = {}
for line in open(sys.argv[2]):
    m = re.search(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:3007", line)
    if m:
        t = re.search(r"timer:\((\w+)", line)
        timer[int(m.group(1))] = t.group(1) if t else None
expect = {"timewait": "timewait", "orphan": "keepalive", "held": None}
for port, kind in want.items():
    assert timer.get(port, "missing") == expect[kind], (kind, port, timer)
socks = {s["local_port"]: s for s in json.load(open(sys.argv[3]))}
limbo = {"timewait": "timewait", "orphan": "orphan", "held": None}
for port, kind in want.items():
    s = socks.get(port)
    assert s is not None and s["state"] == "fin-wait-2", (kind, s)
    assert s["limbo"] == limbo[kind], (kind, ss_timer := timer[port], s)
    assert (s["owners"] != []) == (kind == "held"), (kind, s)
print("ok: " + ", ".join("%s %s (ss timer %s)" % (k, p, timer[p]) for p, k in sorted(want.items())))
PY
ok "FIN-WAIT-2: timewait entry, orphan and held classed as ss's timers say"

# The table's dump asks for no tcp_info: the classes must not change.
"$TCPLIMBO" ls -H --state fin-wait-2 >"$T/ls.txt" || fail "ls (table)"
python3 - "$T/ports" "$T/ls.txt" <<'PY' || { cat "$T/ls.txt"; fail "the table classes differently"; }
import sys
want = {int(w[1]): w[0] for w in (l.split() for l in open(sys.argv[1])) if len(w) == 2}
rows = {}
for line in open(sys.argv[2]):
    w = line.split()
    rows[int(w[3].rsplit(":", 1)[1])] = " ".join(w[5:])
tail = {"timewait": "[timewait]", "orphan": "[orphan]"}
for port, kind in want.items():
    owner = rows.get(port, "missing")
    if kind == "held":
        assert owner.split()[1:2] == ["fd"], (kind, owner)
    else:
        assert owner == tail[kind], (kind, owner)
PY
ok "FIN-WAIT-2: the table (no tcp_info asked) classes them the same"
