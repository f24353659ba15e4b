#!/usr/bin/env bash
# Healthy traffic is no finding: a correct server handling 200 long-lived
# connections and 400 short request/response ones (which leave TIME_WAIT
# behind on the client side), and one with TCP_DEFER_ACCEPT (Apache's
# default, whose listener counts a drop for each data-less handshake ACK)
# serving 20 requests, must give exit 0 and an empty list, with the
# default thresholds.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" echo --port 3004 --seconds 120 >/dev/null &
tl_wait_for 5 tl_listening 3004 || fail "server did not listen"
python3 "$SRV" busy --port 3004 --count 200 --short 400 --seconds 120 >"$T/cli" &
tl_wait_for 60 test -s "$T/cli" || fail "clients did not finish"

# TCP_DEFER_ACCEPT: the kernel drops the client's last handshake ACK and
# waits for data; the listener's drop counter (ss -m's d) grows, TcpExt
# ListenDrops does not.
python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)
s.bind(("127.0.0.1", 3005)); s.listen(16)
for _ in range(20):
    c = s.accept()[0]; c.recv(100); c.sendall(b"ok"); c.close()
s.accept()' &
tl_wait_for 5 tl_listening 3005 || fail "defer-accept server did not listen"
python3 -c '
import socket
for _ in range(20):
    c = socket.create_connection(("127.0.0.1", 3005)); c.sendall(b"GET /\r\n\r\n")
    assert c.recv(10) == b"ok"; c.close()' || fail "defer-accept clients"
drops=$(ss -Htlnm "sport = :3005" | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
[ "${drops:-0}" -ge 1 ] || { ss -tlnm; fail "ss: the defer-accept listener counted no drop"; }
listen_drops=$(awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ListenDrops") c = i; h = 1 } else print $c }' /proc/net/netstat)
[ "$listen_drops" = 0 ] || fail "TcpExt ListenDrops is $listen_drops, not 0"

est=$(ss -Htn state established | wc -l)
tw=$(ss -Htn state time-wait | wc -l)
[ "$est" -ge 400 ] || fail "ss: only $est ESTABLISHED"
[ "$tw" -ge 300 ] || fail "ss: only $tw TIME_WAIT"

"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "exit $rc on healthy traffic"; }
jq -e '.findings == [] and .netns[0].looked and .netns[0].sockets >= 700' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "findings on healthy traffic"; }
"$TCPLIMBO" doctor | grep -q "^No TCP limbo found" || fail "text report"
ok "healthy: $est established, $tw time-wait, a TCP_DEFER_ACCEPT listener with $drops drops, no finding"
