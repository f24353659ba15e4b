#!/usr/bin/env bash
# A listener with TCP_DEFER_ACCEPT (Apache's default, uwsgi's, nginx's
# deferred) drops each connection's bare handshake ACK, and its drop
# counter counts them: one a connection, with no full queue ever. Where
# another listener of the namespace overflowed once, TcpExt ListenDrops is
# not 0 either. A queue at least half full then looks like a listener
# dropping SYNs for a full queue. serve, from its first scan on, and the
# doctor must not say so: the drops that go on do not grow ListenDrops.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

listen_drops() { awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v); for (i in k) if (k[i] == "ListenDrops") print v[i] } }' /proc/net/netstat; }
# Another listener, backlog 1, never accepting, overflows once: its
# clients give up, so that no SYN retried later grows ListenDrops again.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3011)); s.listen(1)
time.sleep(90)' &
tl_wait_for 5 tl_listening 3011 || fail "listener 3011 did not listen"
python3 -c '
import socket, time
cs = []
for _ in range(4):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 3011)); cs.append(c)
time.sleep(1.5)
[c.close() for c in cs]'
dropped() { [ "$(listen_drops)" -gt 0 ]; }
tl_wait_for 10 dropped || fail "TcpExt ListenDrops did not grow"
# The deferring listener, backlog 8, which accepts nothing.
python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
s.bind(("127.0.0.1", 3012)); s.listen(8)
time.sleep(90)' &
tl_wait_for 5 tl_listening 3012 || fail "listener 3012 did not listen"
# Clients that send a request at once: the bare ACK is dropped, the
# request queues the connection.
clients() {
	exec python3 -c '
import socket, sys, time
cs = []
for _ in range(int(sys.argv[1])):
    c = socket.create_connection(("127.0.0.1", 3012)); c.sendall(b"GET / HTTP/1.0\r\n\r\n"); cs.append(c)
time.sleep(90)' "$1"
}
queue_is() { [ "$(ss -Htln 'sport = :3012' | awk '{print $2}')" = "$1" ]; }
clients 5 &
tl_wait_for 10 queue_is 5 || { ss -tln; fail "ss: the queue of 3012 is not 5"; }
drops=$(ss -Htlnm 'sport = :3012' | sed -n 's/.*,d\([0-9]*\)).*/\1/p')
[ "${drops:-0}" -ge 5 ] || { ss -tlnm; fail "ss: 3012 counted $drops drops, not 5"; }
before=$(listen_drops)

URL=http://127.0.0.1:19860
serve_start "$URL/" --listen 127.0.0.1:19860
curl -sf -o "$T/m1" "$URL/metrics" || fail "serve: first scrape"
# One more request while serve waits: one more deferred ACK dropped.
clients 1 &
tl_wait_for 10 queue_is 6 || { ss -tln; fail "ss: the queue of 3012 is not 6"; }
curl -sf -o "$T/m2" "$URL/metrics" || fail "serve: second scrape"
kill "$SERVE"
[ "$(listen_drops)" = "$before" ] || fail "TcpExt ListenDrops grew: the test's premise"
ours="netns=\"$(serve_own_label)\""
for m in m1 m2; do
	grep -qF "tcplimbo_finding{$ours,kind=\"accept-queue-overflow\",severity=\"critical\",subject=\"127.0.0.1:3011\"} 1" "$T/$m" ||
		{ grep finding "$T/$m"; fail "serve ($m): the full queue of 3011 is no finding"; }
	grep -F "tcplimbo_finding{$ours" "$T/$m" | grep -qF '127.0.0.1:3012' &&
		{ grep finding "$T/$m"; fail "serve ($m): TCP_DEFER_ACCEPT's drops told as a full queue's"; }
done
ok "serve: 3012's deferred ACKs are no overflow, 3011's full queue is"

# The doctor looks twice, a second apart; a request in between grows the
# listener's counter, not ListenDrops.
"$TCPLIMBO" doctor --queue-age 60s --json >"$T/d.json" &
DOC=$!
sleep 0.3
clients 1 &
wait "$DOC"
jq -e '[.findings[] | select(.kind == "accept-queue-overflow")] |
	(map(select(.local_port == 3012)) | length) == 0 and
	(map(select(.local_port == 3011)) | length) == 1' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "doctor: TCP_DEFER_ACCEPT's drops told as a full queue's"; }
ok "doctor: the same"
