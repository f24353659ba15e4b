#!/usr/bin/env bash
# A server that accepts and never closes: each client's close leaves a
# CLOSE_WAIT socket the server holds. The doctor reports close-wait-leak
# with the server's pid and the number of leaked sockets, once they are
# older than --close-wait-age, and nothing else; with the server
# SIGSTOPped, the cause is that it is stopped (a stopped program closes
# nothing), not a leak stated as fact. A server that never read what its
# clients sent is told so: a queue that does not move, not a missed EOF.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill -CONT "$SERVER" 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT
SRV="$(dirname "$0")/doctor-servers.py"

python3 "$SRV" leak --port 3001 --seconds 120 >/dev/null &
SERVER=$!
tl_wait_for 5 tl_listening 3001 || fail "server did not listen"
python3 "$SRV" clients --port 3001 --count 3 --seconds 120 >"$T/cli" &
tl_wait_for 5 test -s "$T/cli" || fail "clients did not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3001" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT"

# With the default threshold (30 s) they are young: brief CLOSE_WAIT is normal.
"$TCPLIMBO" doctor --json >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "young CLOSE_WAIT: exit $rc, want 0"; }
ok "young CLOSE_WAIT is no finding"

sleep 1.5
# Past a tenth of the threshold: told as not yet a finding, exit still 0.
"$TCPLIMBO" doctor --json --close-wait-age 10s >"$T/d.json"
rc=$?
[ $rc = 0 ] || { cat "$T/d.json"; fail "CLOSE_WAIT below --close-wait-age: exit $rc, want 0"; }
jq -e '.findings == [] and
	.netns[0].below_age_thresholds.close_wait == 3 and
	.netns[0].below_age_thresholds.close_wait_oldest_ms >= 1000' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "below_age_thresholds: not the 3 CLOSE_WAIT"; }
ok "CLOSE_WAIT past a tenth of --close-wait-age: told, exit 0"

"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
rc=$?
[ $rc = 1 ] || { cat "$T/d.json"; fail "exit $rc, want 1"; }
jq -e '.netns[0].below_age_thresholds.close_wait == 0' "$T/d.json" >/dev/null ||
	fail "the finding's sockets are told again as young"
jq -e --argjson p "$SERVER" '
	(.findings | length) == 1 and
	.findings[0].kind == "close-wait-leak" and
	.findings[0].severity == "warning" and
	.findings[0].pids == [$p] and
	.findings[0].local_port == 3001 and
	.findings[0].count == 3 and
	.findings[0].oldest_ms >= 1000 and
	.findings[0].cause == null and .findings[0].unread == 0 and
	(.findings[0].summary | endswith("it has not called close()")) and
	(.findings[0].remedy | contains("close() a connection when read() returns 0"))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "close-wait-leak"; }
ok "close-wait-leak: pid $SERVER, 3 sockets"

# --close-wait-min above what it holds: no finding, but what it held back
# is said, not hidden (exit 0: a count threshold is the user's to set).
"$TCPLIMBO" doctor --close-wait-age 1s --close-wait-min 4 >"$T/min.txt"
rc=$?
[ $rc = 0 ] || { cat "$T/min.txt"; fail "--close-wait-min 4: exit $rc, want 0"; }
tr -s ' \n' ' ' <"$T/min.txt" | grep -q "held back: 3 CLOSE-WAIT connections held past --close-wait-age by one holder, fewer than --close-wait-min 4; a lower --close-wait-min shows them." ||
	{ cat "$T/min.txt"; fail "--close-wait-min 4: what it held back is not said"; }
"$TCPLIMBO" doctor --json --close-wait-age 1s --close-wait-min 4 >"$T/min.json"
jq -e '.findings == [] and .netns[0].below_age_thresholds.close_wait_below_min == 3 and
	.netns[0].below_age_thresholds.close_wait_below_min_holders == 1' \
	"$T/min.json" >/dev/null || { cat "$T/min.json"; fail "--close-wait-min 4: JSON"; }
ok "--close-wait-min 4 over 3 held: no finding, the 3 said as held back"

kill -STOP "$SERVER"
tl_wait_for 5 sh -c "grep -q '^State:.*T' /proc/$SERVER/status" || fail "server did not stop"
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/stopped.json"
jq -e --argjson p "$SERVER" '.findings[0] | .kind == "close-wait-leak" and
	.cause == "stopped" and .certainty == "certain" and
	.evidence[0].pid == $p and .evidence[0].state == "T" and
	(.remedy | contains("kill -CONT"))' "$T/stopped.json" >/dev/null ||
	{ cat "$T/stopped.json"; fail "close-wait-leak of a stopped server: not 'stopped'"; }
"$TCPLIMBO" doctor --close-wait-age 1s >"$T/stopped.txt"
grep -q "cause: certain: pid $SERVER is stopped by a signal" "$T/stopped.txt" ||
	{ cat "$T/stopped.txt"; fail "text: no stopped cause"; }
kill -CONT "$SERVER"
ok "close-wait-leak of a SIGSTOPped server: stopped (certain), kill -CONT"

"$TCPLIMBO" doctor --json --close-wait-age 1s --close-wait-critical 3 >"$T/d.json"
[ $? = 2 ] || fail "--close-wait-critical 3 should make it critical"
jq -e '.findings[0].severity == "critical"' "$T/d.json" >/dev/null || fail "not critical"
ok "critical past --close-wait-critical"

# A server that never reads what its clients sent: their Recv-Q still
# holds it (and the FIN), so this is a queue inside the program that does
# not move, not a missed end of file.
python3 "$SRV" leak --unread --port 3002 --seconds 120 >/dev/null &
tl_wait_for 5 tl_listening 3002 || fail "server did not listen"
python3 "$SRV" clients --port 3002 --count 3 --seconds 120 >"$T/cli2" &
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3002" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT on 3002"
sleep 1.2
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/unread.json"
jq -e '[.findings[] | select(.local_port == 3002)][0] |
	.kind == "close-wait-leak" and .count == 3 and .unread == 3 and
	(.summary | endswith("nor read what their clients sent (Recv-Q up to 5): taken, never served")) and
	(.remedy | contains("accepted but never served"))' "$T/unread.json" >/dev/null ||
	{ cat "$T/unread.json"; fail "CLOSE_WAIT never read: not told so"; }
ok "CLOSE_WAIT whose data was never read: unread 3, taken and never served"

# A thread per connection, each stuck on an upstream that never answers
# while its client has left; the main thread waits in poll() for more, as
# an accept loop with a timeout (Python's socketserver) does.
# The leak's cause: blocked in I/O on a connection to the upstream.
python3 "$SRV" no-accept --port 3004 --seconds 120 >/dev/null &
tl_wait_for 5 tl_listening 3004 || fail "upstream did not listen"
python3 "$SRV" upstream --port 3003 --upstream 3004 --seconds 120 >/dev/null &
UP=$!
tl_wait_for 5 tl_listening 3003 || fail "threaded server did not listen"
python3 "$SRV" clients --port 3003 --count 3 --seconds 120 >"$T/cli3" &
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3003" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT on 3003"
sleep 1.5
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/up.json"
jq -e --argjson p "$UP" '[.findings[] | select(.local_port == 3003)][0] |
	.kind == "close-wait-leak" and .pids == [$p] and .count == 3 and
	.cause == "blocked-elsewhere" and .certainty == "possible" and
	(.evidence[0].text | test("^its threads are blocked in I/O on fd [0-9]+ \\(a TCP connection to 127.0.0.1:3004, established\\), which is none of the connections it holds")) and
	(.evidence[0].text | test("3 threads in recvfrom on fds [0-9]+, [0-9]+, [0-9]+, 1 in poll"))' \
	"$T/up.json" >/dev/null || { cat "$T/up.json"; fail "thread per connection stuck on an upstream: not told"; }
ok "thread per connection stuck on an upstream, acceptor in poll(): blocked-elsewhere, the upstream named"

# A server that, holding a client's connection, calls its own service and
# waits: the request sits in its own accept queue, never accepted. The
# upstream it waits on is itself, not another host to look on.
# On PORT, its listener IPv4 (4) or dual-stack (6, where the call to
# 127.0.0.1 queues as ::ffff:127.0.0.1).
self_call() { # PORT FAMILY
	python3 -c '
import socket, sys, time
port, fam = int(sys.argv[1]), sys.argv[2]
if fam == "6":
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
else:
    s = socket.socket(); s.bind(("127.0.0.1", port))
s.listen(8)
c = socket.create_connection(("127.0.0.1", port)); held = s.accept()[0]
c.close()
me = socket.create_connection(("127.0.0.1", port)); me.sendall(b"GET /self\r\n\r\n")
print("ready", flush=True)
me.recv(10)' "$1" "$2" >"$T/self.$1" &
	SELF=$!
	tl_wait_for 5 grep -q ready "$T/self.$1" || fail "the self-calling server on $1 did not start"
	sleep 1.5
	"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/self.json"
	jq -e --argjson p "$SELF" --argjson port "$1" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == $port)] |
		length == 1 and .[0].pids == [$p] and .[0].cause == "blocked-elsewhere" and
		(.[0].evidence[0].text | test("blocked in I/O on fd [0-9]+ \\(a TCP connection to 127.0.0.1:\($port), queued at its own listener\\)")) and
		(.[0].remedy | startswith("If it waits on its own listener, nothing outside will answer"))' "$T/self.json" >/dev/null ||
		{ jq '.findings' "$T/self.json"; fail "a server waiting on its own listener ($2): told as another upstream"; }
	kill "$SELF"
}
self_call 3009 4
self_call 3016 6
ok "a server waiting on a request to its own listener, IPv4 or dual-stack: its own, not another host's"

# Three leaks, each with its fix: 3005 and 3007 never read, 3006 reads and
# does not close. The last one's fix is not the one just above it: it is
# printed again, not sent past 3006's with "as for ... above". The
# servers above go first, so that these are the only findings.
tl_cleanup_jobs
for p in 3005 3006 3007; do
	if [ $p = 3006 ]; then
		python3 "$SRV" leak --port $p --seconds 120 >/dev/null &
	else
		python3 "$SRV" leak --unread --port $p --seconds 120 >/dev/null &
	fi
	tl_wait_for 5 tl_listening $p || fail "server on $p did not listen"
	python3 "$SRV" clients --port $p --count 1 --seconds 0 >/dev/null ||
		fail "client of $p"
done
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "( sport >= :3005 and sport <= :3007 )" | wc -l)" = 3 ]' ||
	{ ss -tan; fail "ss: not 3 CLOSE_WAIT on 3005-3007"; }
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s >"$T/three.txt"
# The findings' order follows the pids, which may wrap: each of the three
# refers to the one just above only where that one's fix is its own (3005
# and 3007, never read, share theirs; 3006's is another).
python3 - "$T/three.txt" <<'PY' || { cat "$T/three.txt"; fail "a fix is referred to one above that is not its own"; }
import re, sys
blocks, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r"  (WARNING|CRITICAL) +close-wait-leak on 127\.0\.0\.1:(300[567])", line)
    if m:
        cur = [m.group(2), ""]
        blocks.append(cur)
    elif cur is not None:
        cur[1] += line
assert [b[0] for b in sorted(blocks)] == ["3005", "3006", "3007"], blocks
unread = {"3005", "3007"}
for prev, b in zip([None] + blocks, blocks):
    referred = "why and fix: as for" in b[1]
    same = prev is not None and (prev[0] in unread) == (b[0] in unread)
    assert referred == same, (b[0], prev and prev[0], referred)
    if not referred:
        want = "never served" if b[0] in unread else "lost track of a connection"
        assert want in " ".join(b[1].split()), (b[0], want)
PY
ok "a fix unlike the nearest one above it is printed, not referred to"

# The classic fork bug: a child serves each connection and exits, and the
# parent, back in accept(), keeps its own copy. Its only thread waits for
# new clients, with no event loop: abandoned, likely, with the fork's fix.
python3 -c '
import os, signal, socket
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
signal.alarm(60)
s = socket.socket(); s.bind(("127.0.0.1", 3008)); s.listen(8)
held = []
while True:
    c, _ = s.accept()
    if os.fork() == 0:
        c.recv(100); c.sendall(b"ok"); c.close(); os._exit(0)
    held.append(c)' &
FORKER=$!
tl_wait_for 5 tl_listening 3008 || fail "3008 did not listen"
for _ in 1 2; do
	python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 3008)); c.sendall(b"hi"); c.recv(10); c.close()' ||
		fail "client of 3008"
done
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3008" | wc -l)" = 2 ]' ||
	{ ss -tanp; fail "ss: not 2 CLOSE_WAIT on 3008"; }
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/fork.json"
jq -e --argjson p "$FORKER" '[.findings[] | select(.pids == [$p])] | length == 1 and
	.[0].cause == "abandoned" and .[0].certainty == "likely" and
	(.[0].evidence[0].text | startswith("its only thread is in accept(), waiting for new clients")) and
	(.[0].remedy | contains("must close its own copy of the accepted socket in the parent"))' \
	"$T/fork.json" >/dev/null ||
	{ jq '.findings' "$T/fork.json"; fail "the fork bug's parent: not told as abandoned"; }
ok "a forking server's parent that keeps each connection: abandoned, likely"

# A worker handed each connection over a unix socket (SCM_RIGHTS), which
# keeps them and waits for the next: the fd it waits on is told as the
# unix socket it is, and the connections as those it holds, not accepted;
# its fix is to watch them too, not a timeout on an upstream it has not.
python3 -c '
import os, socket, time
a, b = socket.socketpair()
s = socket.socket(); s.bind(("127.0.0.1", 3010)); s.listen(8)
if os.fork() == 0:
    s.close(); a.close()
    held = []
    end = time.time() + 60
    while time.time() < end:
        held += socket.recv_fds(b, 10, 1)[1]
    os._exit(0)
b.close()
print("ready", flush=True)
for _ in range(2):
    c = s.accept()[0]; socket.send_fds(a, [b"c"], [c.fileno()]); c.close()
time.sleep(60)' >"$T/hand" &
tl_wait_for 5 grep -q ready "$T/hand" || fail "the hand-off server did not start"
for _ in 1 2; do
	python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 3010)); c.sendall(b"hi"); c.close()' ||
		fail "client of 3010"
done
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3010" | wc -l)" = 2 ]' ||
	{ ss -tanp; fail "ss: not 2 CLOSE_WAIT on 3010"; }
sleep 1.5
"$TCPLIMBO" doctor --close-wait-age 1s --json >"$T/hand.json"
jq -e '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3010)] |
	length == 1 and (.[0].evidence[0].text |
		test("wait in recvmsg on fd [0-9]+ \\(a unix socket\\), which is none of the connections it holds")) and
	(.[0].remedy | contains("poll them together with that socket")) and
	(.[0].remedy | contains("upstream") | not)' \
	"$T/hand.json" >/dev/null ||
	{ jq '.findings' "$T/hand.json"; fail "a worker handed its connections: its wait not told as on a unix socket"; }
ok "a worker handed its connections over a unix socket: the fd it waits on is told as a unix socket, and the fix watches them"

# Under keepalive the replies to its probes reset a CLOSE_WAIT's last ACK
# every second here: still, its age is the time since its last data (the
# FIN came with it), and the leak is found.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 3014)); s.listen(8)
c = socket.create_connection(("127.0.0.1", 3014))
a = s.accept()[0]
a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
a.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
a.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
c.sendall(b"GET / HTTP/1.0\r\n\r\n"); c.shutdown(socket.SHUT_WR)
print("ready", flush=True)
time.sleep(60)' >"$T/ka" &
KA=$!
tl_wait_for 5 grep -q ready "$T/ka" || fail "the keepalive server did not start"
sleep 4.5
# Looked at where the last probe's reply is not a moment old, as a FIN
# that just came would be.
for _ in $(seq 10); do
	ka=$(ss -Htnoi state close-wait "sport = :3014" | grep -o 'lastack:[0-9]*' | cut -d: -f2)
	[ -n "$ka" ] && [ "$ka" -lt 3000 ] || { ss -tnoi; fail "ss: the keepalive's replies do not reset lastack ($ka)"; }
	[ "$ka" -ge 300 ] && [ "$ka" -le 800 ] && break
	sleep 0.2
done
"$TCPLIMBO" doctor --json --close-wait-age 3s >"$T/ka.json"
jq -e --argjson p "$KA" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3014)] |
	length == 1 and .[0].pids == [$p] and .[0].oldest_ms >= 4000' "$T/ka.json" >/dev/null ||
	{ jq '.findings' "$T/ka.json"; fail "a CLOSE_WAIT under keepalive: not found (lastack $ka ms)"; }
kill "$KA"
ok "a CLOSE_WAIT under keepalive, its last ACK $ka ms old: dated by its data, found"

# A client of a local service over a unix socket that does not answer
# (a database's socket), holding a client's CLOSE-WAIT meanwhile: read or
# recv, not recvmsg; an upstream's wait, where a timeout does help.
python3 -c '
import os, socket, time
db = socket.socket(socket.AF_UNIX); db.bind("\0tl-db-" + str(os.getpid())); db.listen(1)
s = socket.socket(); s.bind(("127.0.0.1", 3015)); s.listen(8)
socket.create_connection(("127.0.0.1", 3015)).close()
held = s.accept()[0]
q = socket.socket(socket.AF_UNIX); q.connect("\0tl-db-" + str(os.getpid()))
q.sendall(b"SELECT 1")
print("ready", flush=True)
q.recv(10)' >"$T/db" &
DB=$!
tl_wait_for 5 grep -q ready "$T/db" || fail "the unix-socket client did not start"
sleep 1.5
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/db.json"
jq -e --argjson p "$DB" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3015)] |
	length == 1 and .[0].pids == [$p] and .[0].cause == "blocked-elsewhere" and
	(.[0].evidence[0].text | test("blocked in I/O on fd [0-9]+ \\(a unix socket\\)")) and
	(.[0].remedy | contains("A timeout on that call"))' "$T/db.json" >/dev/null ||
	{ jq '.findings' "$T/db.json"; fail "a client waiting on a local service's unix socket: told as a hand-off"; }
kill "$DB"
ok "a client waiting on a local service's unix socket: blocked there, a timeout's fix"
