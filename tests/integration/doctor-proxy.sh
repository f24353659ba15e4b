#!/usr/bin/env bash
# A proxy whose upstream never answers keeps its clients' connections in
# CLOSE-WAIT after they give up: haproxy (Debian's; skipped when it is not
# installed), its server accepting and never answering. Its one thread
# waits in epoll for everything, so no thread is blocked: its requests
# out, one for each client that has gone, tell the doctor it waits on its
# upstream, which it names, with haproxy's own timeout. A server that
# leaks its clients' connections while its one connection out was
# answered is not told it waits on an upstream.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
HAPROXY=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null)
[ -n "$HAPROXY" ] || skip "haproxy is not installed"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

SRV="$(dirname "$0")/doctor-servers.py"

# The upstream: accepts, reads nothing, answers nothing (for 60 s).
python3 "$SRV" leak --unread --port 3092 --seconds 60 >/dev/null &
tl_wait_for 5 tl_listening 3092 || fail "upstream did not listen"
cat >"$T/h.cfg" <<CFG
global
  maxconn 64
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend fe
  bind 127.0.0.1:3082
  default_backend be
backend be
  server s1 127.0.0.1:3092
CFG
"$HAPROXY" -db -f "$T/h.cfg" >"$T/haproxy.log" 2>&1 &
HP=$!
tl_wait_for 10 tl_listening 3082 || { cat "$T/haproxy.log"; fail "haproxy did not listen"; }
# Three clients send a request and give up before any answer.
tl_ask_and_leave 3082 3 || fail "clients"
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3082" | wc -l)" = 3 ]' ||
	{ ss -tanp; fail "ss: not 3 CLOSE-WAIT at haproxy"; }
tl_wait_for 10 sh -c '[ "$(ss -Htn state established "dport = :3092" | wc -l)" = 3 ]' ||
	{ ss -tanp; fail "ss: not 3 requests out to the upstream"; }
sleep 2

"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
"$TCPLIMBO" doctor --close-wait-age 1s >"$T/d.txt"
jq -e --argjson p "$HP" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3082)] |
	length == 1 and (.[0] | .pids == [$p] and .count == 3 and
	.cause == "upstream-wait" and .certainty == "possible" and
	(.evidence[0].text | test("^3 of its connections out sent a request that has had no answer, the longest for [0-9]+ s \\(to 127.0.0.1:3092\\), beside its 3 in CLOSE-WAIT")) and
	(.remedy | startswith("If it waits for its upstream")) and
	(.setting | startswith("haproxy: timeout server")))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "haproxy: not told it waits on its upstream"; }
grep -q "setting: haproxy: timeout server" "$T/d.txt" && ! grep -q "PostgreSQL\|php-fpm" "$T/d.txt" ||
	{ cat "$T/d.txt"; fail "haproxy: the text names the wrong program's settings"; }
ok "haproxy waiting on a silent upstream: upstream-wait, 127.0.0.1:3092 named, haproxy's timeout server"

# A leak whose one connection out was answered: its last move was a
# receive, so it waits on nothing, and is not told it does. One client
# leaks, so that one connection out would be enough if it did wait.
python3 "$SRV" echo --port 3093 --seconds 60 >/dev/null &
tl_wait_for 5 tl_listening 3093 || fail "echo server did not listen"
python3 -u -c '
import socket, time
up = socket.create_connection(("127.0.0.1", 3093))
up.sendall(b"ping")
up.recv(100)
s = socket.socket()
s.bind(("127.0.0.1", 3094))
s.listen(16)
held = []
print("ready", flush=True)
s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass' >"$T/leak" &
LEAK=$!
tl_wait_for 5 grep -q ready "$T/leak" || fail "leaking server did not start"
python3 -c '
import socket
socket.create_connection(("127.0.0.1", 3094)).close()' || fail "client of 3094"
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3094" | wc -l)" = 1 ]' ||
	{ ss -tanp; fail "ss: no CLOSE-WAIT on 3094"; }
sleep 2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/l.json"
jq -e --argjson p "$LEAK" '[.findings[] | select(.kind == "close-wait-leak" and .pids == [$p])] |
	length == 1 and .[0].cause != "upstream-wait"' "$T/l.json" >/dev/null ||
	{ cat "$T/l.json"; fail "a leak whose upstream answered: told it waits on it"; }
ok "a leak whose one connection out was answered: not upstream-wait"
