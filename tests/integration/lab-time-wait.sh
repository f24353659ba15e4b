#!/usr/bin/env bash
# lab run time-wait: the client closes first and keeps TIME_WAIT (60 s,
# counting down) after it exits; the server side is gone at once.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run time-wait --wait 1
lab_check '
assert [s["name"] for s in d["steps"]] == ["connected", "client-closed", "later"]
c = one("connected", "established", "client")
s = one("connected", "established", "server")
assert pids(c["owners"]) == [steps["connected"]["client_pid"]], c
assert pids(s["owners"]) == [steps["connected"]["server_pid"]], s
t1 = one("client-closed", "time-wait", "client")
t2 = one("later", "time-wait", "client")
assert t1["remote_port"] == t2["remote_port"] and t1["local_port"] == t2["local_port"]
assert 55000 < t1["timer_ms"] <= 60000, t1
assert t1["timer_ms"] - t2["timer_ms"] >= 900, (t1["timer_ms"], t2["timer_ms"])
assert steps["later"]["timer_ms"] == t2["timer_ms"]
assert t1["inode"] == 0 and t1["owners"] == [] and t1["limbo"] == "timewait", t1
assert socks("client-closed", None, "server") == []
print("ok: time-wait", t1["timer_ms"], "->", t2["timer_ms"])
'
ok "lab run time-wait"
