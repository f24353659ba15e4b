#!/usr/bin/env bash
# A sync worker asleep inside a request (a handler that sleeps, as a
# gunicorn sync worker's may) when its client gives up: the CLOSE-WAIT it
# holds is told as a program asleep in a request, with the remedy of a
# timeout and the runtime's inspect line, not as a bare leak. A client
# asleep between polls that forgot a connection it opened is not.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 8000)); s.listen(8)
c = s.accept()[0]
c.recv(100)
time.sleep(60)' &
SRV=$!
tl_wait_for 5 tl_listening 8000 || fail "server did not listen"
python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 8000)); c.sendall(b"GET /slow"); c.close()' ||
	fail "client"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :8000" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT on :8000"
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/d.json"
jq -e --argjson p "$SRV" '[.findings[] | select(.local_port == 8000)] | length == 1 and
	.[0].kind == "close-wait-leak" and .[0].pids == [$p] and
	.[0].cause == "asleep-in-request" and .[0].certainty == "possible" and
	(.[0].remedy | startswith("If it sleeps inside its requests")) and
	(.[0].inspect | contains("py-bt"))' "$T/d.json" >/dev/null ||
	{ jq '.findings' "$T/d.json"; fail "the sleeping worker's CLOSE-WAIT not told as asleep in a request"; }
ok "a worker asleep in a request: asleep-in-request, with the timeout's remedy"

# A poller that sleeps between polls and forgot a connection it opened:
# its own leak, told with the client's remedy, not asleep in a request.
python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 9000)); s.listen(64)
while True:
    c = s.accept()[0]; c.recv(100); c.sendall(b"pong"); c.close()' &
tl_wait_for 5 tl_listening 9000 || fail "9000 did not listen"
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 9000)); c.sendall(b"ping"); c.recv(100)
time.sleep(60)' &
POLLER=$!
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "dport = :9000" | wc -l)" = 1 ]' ||
	fail "ss: no CLOSE-WAIT to :9000"
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/p.json"
jq -e --argjson p "$POLLER" '[.findings[] | select(.pids == [$p])] | length == 1 and
	.[0].cause == null and (.[0].remedy | startswith("The program opened these connections itself"))' \
	"$T/p.json" >/dev/null ||
	{ jq '.findings' "$T/p.json"; fail "a sleeping poller's own leak told as asleep in a request"; }
ok "a poller asleep between polls: its own leak, with the client's remedy"

# Python's ThreadingHTTPServer whose handlers sleep: serve_forever()'s
# main thread polls the listener every half second for new clients and
# serves none of these; the handlers' threads, asleep, tell the cause.
python3 -c '
import http.server, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(60)
http.server.ThreadingHTTPServer(("127.0.0.1", 8100), H).serve_forever()' &
THS=$!
tl_wait_for 5 tl_listening 8100 || fail "8100 did not listen"
for _ in 1 2; do
	python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 8100))
c.sendall(b"GET / HTTP/1.0\r\n\r\n")
c.close()' || fail "client of 8100"
done
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :8100" | wc -l)" = 2 ]' ||
	fail "ss: no 2 CLOSE-WAIT on :8100"
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/t.json"
jq -e --argjson p "$THS" '[.findings[] | select(.pids == [$p])] | length == 1 and
	.[0].cause == "asleep-in-request" and
	(.[0].evidence[0].text | test("none but the one waiting for new clients has run for [0-9]+ s"))' \
	"$T/t.json" >/dev/null ||
	{ jq '.findings' "$T/t.json"; fail "ThreadingHTTPServer asleep in its handlers: not told"; }
ok "ThreadingHTTPServer asleep in its handlers: asleep-in-request, its poll thread left out"
