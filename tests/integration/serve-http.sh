#!/usr/bin/env bash
# serve speaks HTTP/1.1 as a scraper expects: a connection is kept alive
# between requests (Prometheus reuses its connection every scrape), and
# requests pipelined on one connection are each answered, in order. An
# answer given before the request was complete is an early one, which
# libmicrohttpd closes the connection after, dropping what followed:
# before, every answer was one (Connection: close on each, the second of
# two pipelined requests never answered). A request that announces a body
# is still answered at once (405 for POST) without reading it, and closed.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
. "$(dirname "$0")/serve-lib.sh"
command -v curl >/dev/null || skip "curl not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
PORT=19861
URL=http://127.0.0.1:$PORT

serve_start "$URL/" --listen 127.0.0.1:$PORT

# Two requests with one curl: the second reuses the connection.
curl -sv -o /dev/null -o /dev/null "$URL/metrics" "$URL/" 2>"$T/v" ||
	fail "GET /metrics then /"
[ "$(grep -c '^< HTTP/1.1 200' "$T/v")" = 2 ] || { cat "$T/v"; fail "two answers"; }
grep -qi '^< Connection: close' "$T/v" && { cat "$T/v"; fail "Connection: close on a plain GET"; }
grep -q 'Re-using existing connection' "$T/v" || { cat "$T/v"; fail "the connection was not kept alive"; }
ok "keep-alive: two GETs on one connection, no Connection: close"

# Three requests pipelined in one write: three answers, in order, the
# last one closing as it asked.
python3 - "$PORT" <<'PY' || fail "pipelining"
import re, socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
c.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
          b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
          b"HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
# Each answer's status line starts a line: bodies end in a newline.
status = re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", data)
assert status == [b"200", b"404", b"200"], (status, data[:300])
print("pipelined:", status)
PY
ok "pipelining: 200, 404, 200 for three requests in one write"

# A request with a body is answered without reading it, and closed.
curl -s -D "$T/h" -o /dev/null -X POST -d 'x=1' "$URL/metrics" || fail "POST"
grep -q '^HTTP/1.1 405' "$T/h" || { cat "$T/h"; fail "POST with a body: not 405"; }
grep -qi '^Connection: close' "$T/h" || { cat "$T/h"; fail "POST with a body: kept open"; }
ok "POST with a body: 405, closed"

kill -TERM "$SERVE"
wait "$SERVE" || fail "serve exited with $? after SIGTERM"

# SIGTERM while scrapes come and go: each one taken is answered, none cut
# (an empty reply or a reset is a failed scrape to Prometheus), including
# those the kernel had queued on the listener; later ones are refused.
# Three times: the moment a signal lands is the kernel's to choose. 1,000
# connections held make each scrape long enough to be caught in flight.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3090)); s.listen(1024)
held = []
for _ in range(1000):
    held.append(socket.create_connection(("127.0.0.1", 3090)))
    held.append(s.accept()[0])
print("ready", flush=True)
time.sleep(60)' >"$T/held" &
tl_wait_for 10 grep -q ready "$T/held" || fail "1,000 connections not made"
for round in 1 2 3; do
	serve_start "$URL/" --listen 127.0.0.1:$PORT
	loops=()
	for i in 1 2 3 4; do
		(
			for _ in $(seq 100); do
				curl -s -m 20 -o /dev/null -w '%{http_code} %{exitcode}\n' "$URL/metrics"
				kill -0 "$SERVE" 2>/dev/null || break
				sleep 0.2
			done
		) >"$T/term.$i" &
		loops+=($!)
	done
	sleep 1
	kill -TERM "$SERVE"
	wait "$SERVE" || fail "serve exited with $? after SIGTERM under scrapes"
	wait "${loops[@]}"
	cat "$T"/term.* >"$T/term"
	grep -q '^200 0$' "$T/term" || fail "no scrape answered before SIGTERM"
	# 7: refused, after the listener closed; anything else is a cut scrape.
	grep -v '^200 0$' "$T/term" | grep -v '^000 7$' >"$T/cut" &&
		{ sort "$T/term" | uniq -c; fail "scrapes cut at SIGTERM (round $round)"; }
	ok "SIGTERM under scrapes, round $round: $(grep -c '^200 0$' "$T/term") answered, none cut"
done
