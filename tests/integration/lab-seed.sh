#!/usr/bin/env bash
# lab run seed: the post's experiment, checked against ss in the lab's own
# namespace at every step and against the post's numbers: ESTABLISHED with
# no owner, then CLOSE_WAIT with Recv-Q 5 and inode 0 tied to the server's
# listener while the client sits in FIN_WAIT2, still there after the client
# exits, gone once the server accepts and closes.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run seed
lab_check '
assert d["scenario"] == "seed" and d["netns"] == "private", d
assert [s["name"] for s in d["steps"]] == ["connected", "client-closed", "client-exited", "server-accepted"]
srv_pid = steps["connected"]["server_pid"]
cli_pid = steps["connected"]["client_pid"]
assert srv_pid != cli_pid

# 1. connected: both ESTABLISHED; the server side has no fd (netstat: "-").
lst = one("connected", "listen", "listen")
assert pids(lst["owners"]) == [srv_pid] and lst["recv_q"] == 1, lst
s = one("connected", "established", "server")
assert s["inode"] == 0 and s["owners"] == [] and s["limbo"] == "accept-queue", s
assert pids(s["listener_owners"]) == [srv_pid], s
c = one("connected", "established", "client")
assert pids(c["owners"]) == [cli_pid] and c["inode"] != 0, c
assert ssp_pids("connected", "ESTAB") == [cli_pid], "ss -p names only the client"

# 2. client-closed: CLOSE_WAIT, Recv-Q 5 = "ping" + FIN; client FIN_WAIT2.
s = one("client-closed", "close-wait", "server")
assert s["recv_q"] == 5 and s["inode"] == 0 and s["owners"] == [], s
assert s["limbo"] == "accept-queue" and pids(s["listener_owners"]) == [srv_pid], s
# The kernel sets RCV_SHUTDOWN (1) when the FIN of the peer arrives.
assert s["shutdown"] & 1, ("peer FIN bit", s)
c = one("client-closed", "fin-wait-2", "client")
assert c["inode"] == 0 and c["owners"] == [], c
assert ssp_pids("client-closed", "CLOSE-WAIT") == [], "ss -p shows no owner"
# The text names what the table shows: a timewait entry or an orphan.
kind = {"timewait": "a timewait entry", "orphan": "an orphan"}[c["limbo"]]
assert "what is left of it is " + kind + "," in steps["client-closed"]["text"], (c, steps["client-closed"]["text"])

# 3. client-exited: the client is gone, the CLOSE_WAIT is not.
assert "client_pid" not in steps["client-exited"]
s = one("client-exited", "close-wait", "server")
assert s["recv_q"] == 5 and pids(s["listener_owners"]) == [srv_pid], s
one("client-exited", "fin-wait-2", "client")

# 4. server-accepted: accept + close ends it; the client is the active closer.
assert socks("server-accepted", None, "server") == []
t = one("server-accepted", "time-wait", "client")
assert 50000 < t["timer_ms"] <= 60000, t
assert one("server-accepted", "listen", "listen")["recv_q"] == 0
print("ok: seed transcript matches ss and the post")
'
ok "lab run seed"

# The text transcript says the same, in words.
"$TCPLIMBO" lab run seed --wait 0 >"$T/out.txt" 2>&1 || fail "text run"
for want in "== step 2: client-closed ==" "CLOSE_WAIT        5" \
	"accept-queue of" "Write 4 bytes, error is <nil>" "Close <nil>" \
	"Recv-Q 5: 4 bytes"; do
	grep -qF "$want" "$T/out.txt" || fail "text transcript lacks '$want'"
done
ok "text transcript"

# The other ending: the server exits without accepting. Closing the
# listener resets the queued CLOSE_WAIT (a RST, counted in the namespace's
# Tcp OutRsts), which also ends the client's FIN_WAIT2.
lab_run seed --end exit
lab_check '
assert [s["name"] for s in d["steps"]][-1] == "server-exited", d["steps"]
assert steps["server-exited"]["sockets"] == [], steps["server-exited"]
assert steps["server-exited"]["out_rsts"] >= 1, steps["server-exited"]
assert "server_pid" not in steps["server-exited"]
print("ok: server exit resets the queue")
'
ok "lab run seed --end exit"

# The third ending: the server is left alone and the queue is drained from
# outside (tcplimbo drain's engine): the listener stays, its queue is
# empty, the server is still there, and the RST of the drain's close()
# ended the client's FIN_WAIT2.
lab_run seed --end drain
lab_check '
assert [s["name"] for s in d["steps"]][-1] == "drained", d["steps"]
st = steps["drained"]
assert [x["state"] for x in st["sockets"]] == ["listen"], st
assert st["sockets"][0]["recv_q"] == 0, st
assert st["freed"] == 1, st
assert st["server_pid"] == steps["connected"]["server_pid"], st
print("ok: drain frees the slot, the server stays")
'
ok "lab run seed --end drain"

# From outside, while the lab waits at its first step: -N with the
# runner's pid looks into the lab's namespace (as a doctor run would),
# and our own namespace has none of its sockets.
"$TCPLIMBO" lab run seed --wait 30 >"$T/bg.out" 2>&1 &
RUN=$!
tl_wait_for 10 grep -q "step 1: connected" "$T/bg.out" || fail "background run"
"$TCPLIMBO" -N "$RUN" ls --json >"$T/inside.json" || fail "ls -N $RUN"
"$TCPLIMBO" ls --json >"$T/outside.json" || fail "ls"
kill -INT "$RUN"
rc=0
wait "$RUN" || rc=$?
[ "$rc" = 130 ] || fail "SIGINT: exit $rc"
python3 - "$T/inside.json" "$T/outside.json" <<'PY' || fail "-N view"
import json, sys
inside = json.load(open(sys.argv[1]))
outside = json.load(open(sys.argv[2]))
q = [s for s in inside if s["local_port"] == 3000 and s["state"] == "established"]
assert len(q) == 1 and q[0]["limbo"] == "accept-queue", inside
assert q[0]["listener_owners"][0]["comm"] == "lab-server", q
assert not [s for s in outside if 3000 in (s["local_port"], s["remote_port"])], outside
PY
ok "tcplimbo -N <lab pid> sees the lab's sockets; this namespace does not"
