#!/usr/bin/env bash
# lab run leak: a server that reads EOF and never closes. Its CLOSE_WAIT
# sockets are held by its own fds (ss -p agrees), not in limbo, and stay
# after the clients exit.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

lab_run leak
lab_check '
assert [s["name"] for s in d["steps"]] == ["accepted", "clients-closed", "clients-exited"]
srv = steps["accepted"]["server_pid"]
for step in ("clients-closed", "clients-exited"):
    cw = socks(step, "close-wait", "server")
    assert len(cw) == 3, (step, cw)
    fds = set()
    for s in cw:
        assert s["limbo"] is None and s["inode"] != 0 and s["recv_q"] == 0, s
        assert pids(s["owners"]) == [srv], s
        fds.add(s["owners"][0]["fd"])
    assert len(fds) == 3, fds
    assert sorted(ssp_pids(step, "CLOSE-WAIT")) == [srv] * 3, step
    assert len(socks(step, "fin-wait-2", "client")) == 3, step
    assert steps[step]["server_fds"] >= 3 + 4, steps[step]
print("ok: leak held by", srv)
'
ok "lab run leak"
