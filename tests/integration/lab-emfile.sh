#!/usr/bin/env bash
# lab run emfile: a server at its fd limit with a level-triggered epoll loop
# spins (its CPU time over the step, from /proc/PID/stat) while the kernel
# queues the connections; freed fds drain the queue and stop the spin; the
# reserve-fd server refuses the same load without spinning or queueing.
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
# A spinning loop burns all the CPU it gets (a whole core on an idle
# machine, less when the test machine is busy); the fixed ones almost none.
assert q["wall_seconds"] >= 0.9, q
f = steps["fds-freed"]
r = steps["reserve-fd"]
assert q["cpu_percent"] > 20, ("no spin?", q["cpu_percent"])
assert q["cpu_percent"] > 5 * max(f["cpu_percent"], r["cpu_percent"], 1), (q, f, r)
assert f["server_pid"] == srv and f["cpu_percent"] < 20, f["cpu_percent"]
# Level-triggered epoll: tens of thousands of failed accept() a second at
# the very least (over a million on an idle machine).
assert f["emfile_accept_failures"] > 10000 * q["wall_seconds"] * q["cpu_percent"] / 100, f
assert one("fds-freed", "listen", "listen")["recv_q"] == 0
for s in socks("fds-freed", "established", "server"):
    assert s["limbo"] is None and pids(s["owners"]) == [srv], s
assert len(socks("fds-freed", "established", "server")) == 5
assert ssp_pids("fds-freed", "ESTAB").count(srv) == 5
assert r["server_pid"] != srv and r["port"] != q["port"], r
assert r["cpu_percent"] < 20, r["cpu_percent"]
assert one("reserve-fd", "listen", "listen")["recv_q"] == 0
cw = socks("reserve-fd", "close-wait", "client")
assert len(cw) == 5 and all(pids(s["owners"]) == [r["client_pid"]] for s in cw), cw
print("ok: spin %.0f%% (%d failed accepts), then %.0f%% and %.0f%%" % (q["cpu_percent"], f["emfile_accept_failures"], f["cpu_percent"], r["cpu_percent"]))
'
ok "lab run emfile"
