#!/usr/bin/env bash
# lab run overflow: backlog 2, five clients. The accept queue holds
# backlog+1 = 3, the other two clients sit in SYN_SENT, and the namespace's
# TcpExt ListenOverflows/ListenDrops (read by the hook from the lab's own
# /proc/net/netstat) grow; once the server accepts, everyone gets in.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run overflow
lab_check '
assert [s["name"] for s in d["steps"]] == ["queue-full", "syn-retries", "server-accepts"]
for step in ("queue-full", "syn-retries"):
    lst = one(step, "listen", "listen")
    assert lst["recv_q"] == 3 and lst["send_q"] == 2, lst
    q = socks(step, "established", "server")
    assert len(q) == 3 and all(s["limbo"] == "accept-queue" for s in q), q
    assert len(socks(step, "syn-sent", "client")) == 2, step
    assert len(socks(step, "established", "client")) == 3, step
    st = steps[step]
    assert st["listen_overflows"] >= 2 and st["listen_drops"] >= 2, st
    # A fresh namespace: the counters started at 0, and the hook read
    # them after the snapshot.
    assert netstat(step, "ListenOverflows") >= st["listen_overflows"], step
    assert netstat(step, "ListenDrops") >= st["listen_drops"], step
assert steps["syn-retries"]["listen_overflows"] > steps["queue-full"]["listen_overflows"]
assert len(socks("server-accepts", "established", "client")) == 5
assert socks("server-accepts", "syn-sent", "client") == []
assert one("server-accepts", "listen", "listen")["recv_q"] == 0
print("ok: overflows", steps["syn-retries"]["listen_overflows"])
'
ok "lab run overflow"
