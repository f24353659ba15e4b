#!/usr/bin/env bash
# A server with one thread that serves one connection at a time (Python's
# HTTPServer) held up by a client that sent half a request: the queue
# behind it is told as a server that serves one at a time, with the
# remedy of a timeout or a thread a connection, not a list of other
# servers' worker limits to raise.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import http.server
http.server.HTTPServer(("127.0.0.1", 8111),
                       http.server.BaseHTTPRequestHandler).serve_forever()' &
SRV=$!
tl_wait_for 5 tl_listening 8111 || fail "server did not listen"
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 8111)); c.sendall(b"GET / HT")
time.sleep(60)' &
tl_wait_for 5 sh -c '[ "$(ss -Htn state established "sport = :8111" | wc -l)" = 1 ]' ||
	fail "ss: the slow client's connection is not there"
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 8111)) for _ in range(3)]
for c in cs: c.sendall(b"GET / HTTP/1.0\r\n\r\n")
cs[0].close()
time.sleep(60)' &
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :8111" | wc -l)" = 1 ]' ||
	fail "ss: no queued CLOSE-WAIT on :8111"
sleep 1.5
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/d.json"
jq -e --argjson p "$SRV" '[.findings[] | select(.local_port == 8111)] | length == 1 and
	.[0].kind == "not-accepting" and .[0].pids == [$p] and
	.[0].cause == "connection-limit" and .[0].certainty == "likely" and
	(.[0].evidence[0].text | test("its only thread is in I/O on one of the listener.s connections it holds \\(1\\).*serves one connection at a time")) and
	(.[0].remedy | startswith("If it serves one connection at a time")) and
	(.[0].remedy | contains("MaxRequestWorkers") | not)' "$T/d.json" >/dev/null ||
	{ jq '.findings' "$T/d.json"; fail "a serial server held up by one client: not told as serving one at a time"; }
ok "a serial server held up by one slow client: one at a time, with the timeout's remedy"
