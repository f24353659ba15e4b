#!/usr/bin/env bash
# lab run fin-wait2: the server closes first, the client never does. The
# server's orphan FIN_WAIT2 lasts tcp_fin_timeout (set for the lab's
# namespace only), the client's CLOSE_WAIT (Recv-Q 1: the FIN) lasts until
# the client exits.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/lab-lib.sh"

fin_before=$(cat /proc/sys/net/ipv4/tcp_fin_timeout)
# --wait 1: tcp_fin_timeout 3 s, room for a slow hook on a busy machine.
lab_run fin-wait2 --wait 1
lab_check '
assert [s["name"] for s in d["steps"]] == ["server-closed", "fin-timeout", "client-exited"]
st = steps["server-closed"]
fw = one("server-closed", "fin-wait-2", "server")
assert fw["inode"] == 0 and fw["owners"] == [], fw
assert 0 < fw["timer_ms"] <= st["tcp_fin_timeout"] * 1000, (fw, st)
cw = one("server-closed", "close-wait", "client")
assert cw["recv_q"] == 1 and pids(cw["owners"]) == [st["client_pid"]], cw
assert socks("fin-timeout", None, "server") == []
# A kernel race decides what close() left: a timewait entry goes quietly
# and the client stays in CLOSE_WAIT; a full orphan ends with a RST, which
# ends the CLOSE_WAIT of the client too (the lab says which it saw).
if fw["limbo"] == "orphan":
    assert socks("fin-timeout", "close-wait", "client") == [], steps["fin-timeout"]
    assert "ends with a RST" in str(steps["fin-timeout"]["text"]), steps["fin-timeout"]
else:
    assert fw["limbo"] == "timewait", fw
    one("fin-timeout", "close-wait", "client")
assert socks("client-exited", None, "client") == []
print("ok: fin_timeout", st["tcp_fin_timeout"])
'
[ "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)" = "$fin_before" ] ||
	fail "lab changed tcp_fin_timeout outside its namespace"
ok "lab run fin-wait2"
