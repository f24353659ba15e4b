#!/usr/bin/env bash
# lab run emfile: a server at its fd limit with a level-triggered epoll loop
# spins: its accept() fails over and over on the same waiting connections
# (counted by the server) while the kernel queues them; freed fds drain the
# queue; the reserve-fd server takes the same load off its queue (accept
# and close) instead of leaving it there. Behaviour only: how fast the loop
# spins is load, and belongs in bench/.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run emfile
lab_check '
assert [s["name"] for s in d["steps"]] == ["queue-grows", "fds-freed", "reserve-fd"]
q = steps["queue-grows"]
srv = q["server_pid"]
lst = one("queue-grows", "listen", "listen")
assert lst["recv_q"] == 5 and pids(lst["owners"]) == [srv], lst
queued = socks("queue-grows", "established", "server")
assert len(queued) == 5, queued
for s in queued:
    assert s["limbo"] == "accept-queue" and s["recv_q"] == 4 and s["inode"] == 0, s
    assert pids(s["listener_owners"]) == [srv], s
f = steps["fds-freed"]
r = steps["reserve-fd"]
# Level-triggered epoll: accept() fails again and again on the same five
# connections (an edge-triggered loop, or one that backs off, would fail
# about once each). A count, not a rate.
assert f["server_pid"] == srv, f
assert f["emfile_accept_failures"] > 10 * len(queued), f
assert one("fds-freed", "listen", "listen")["recv_q"] == 0
for s in socks("fds-freed", "established", "server"):
    assert s["limbo"] is None and pids(s["owners"]) == [srv], s
assert len(socks("fds-freed", "established", "server")) == 5
assert ssp_pids("fds-freed", "ESTAB").count(srv) == 5
assert r["server_pid"] != srv and r["port"] != q["port"], r
assert one("reserve-fd", "listen", "listen")["recv_q"] == 0
cw = socks("reserve-fd", "close-wait", "client")
assert len(cw) == 5 and all(pids(s["owners"]) == [r["client_pid"]] for s in cw), cw
print("ok: %d failed accepts on 5 queued connections, then drained; reserve-fd left none queued" % f["emfile_accept_failures"])
'
ok "lab run emfile"
