#!/usr/bin/env bash
# Healthy traffic is no finding: a correct server handling 200 long-lived
# connections and 400 short request/response ones (which leave TIME_WAIT
# behind on the client side), and one with TCP_DEFER_ACCEPT (Apache's
# default, whose listener counts a drop for each data-less handshake ACK)
# serving 20 requests, and one whose queue overflowed before it served
# its clients, must give exit 0 and an empty list, with the default
# thresholds (the past overflow told as not a finding).
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

# A past overflow: a server with a backlog of 1 that started accepting
# only after 6 clients had connected (SYNs dropped, then retried), and
# has served them all since. Its drop counter keeps them: not a finding,
# but said.
# The server accepts only once its drop counter shows a SYN dropped for
# its full queue: a fixed wait could end before a slow machine's clients
# had tried.
python3 -c '
import os, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 3006)); s.listen(1)
end = time.time() + 30
while not os.path.exists(sys.argv[1]) and time.time() < end:
    time.sleep(0.05)
for _ in range(6):
    c = s.accept()[0]; c.recv(100); c.sendall(b"ok"); c.close()
time.sleep(120)' "$T/go" &
tl_wait_for 5 tl_listening 3006 || fail "backlog-1 server did not listen"
python3 -c '
import re, socket, subprocess, sys, threading, time
def one():
    c = socket.create_connection(("127.0.0.1", 3006), timeout=20)
    c.sendall(b"x"); assert c.recv(10) == b"ok"; c.close()
ts = [threading.Thread(target=one) for _ in range(6)]
[t.start() for t in ts]
end = time.time() + 15
while time.time() < end:
    out = subprocess.run(["ss", "-Htlnm", "sport = :3006"], capture_output=True, text=True).stdout
    m = re.search(r",d(\d+)\)", out)
    if m and int(m.group(1)) >= 1:
        break
    time.sleep(0.05)
open(sys.argv[1], "w").close()
[t.join(30) for t in ts]' "$T/go" || fail "backlog-1 clients"
past=$(ss -Htlnm "sport = :3006" | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
[ "${past:-0}" -ge 1 ] || { ss -tlnm; fail "ss: the backlog-1 listener counted no drop"; }

est=$(ss -Htn state established | wc -l)
tw=$(ss -Htn state time-wait | wc -l)
[ "$est" -ge 400 ] || fail "ss: only $est ESTABLISHED"
[ "$tw" -ge 300 ] || fail "ss: only $tw TIME_WAIT"

"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "exit $rc on healthy traffic"; }
jq -e '.findings == [] and .netns[0].looked and .netns[0].sockets >= 700 and
	.netns[0].below_age_thresholds.past_drops_listeners >= 1' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "findings on healthy traffic"; }
"$TCPLIMBO" doctor >"$T/d.txt"
grep -q "^No TCP limbo found" "$T/d.txt" &&
	tr -s ' \n' ' ' <"$T/d.txt" | grep -Eq "not a finding: (1 listener \(127\.0\.0\.1:[0-9]+\) has|2 listeners have) dropped up to [0-9]+ SYNs? for a full queue since (it|they) started, but none while we looked \((its queue is|their queues are) under half full now" ||
	{ cat "$T/d.txt"; fail "text report"; }
ok "healthy: $est established, $tw time-wait, a TCP_DEFER_ACCEPT listener with $drops drops, a past overflow of $past drops told but no finding"
