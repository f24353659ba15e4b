#!/usr/bin/env bash
# drain racing the program: the lab server is told to start accepting
# while drain is under way (a pause between drain's accepts makes the race
# certain). Together they take every connection exactly once, drain ends
# by itself within its deadline, and takes no connection it did not know
# to be dead.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

"$TCPLIMBO" lab server --mode no-accept --port 3007 --seconds 60 >"$T/srv" 2>&1 &
SERVER=$!
tl_wait_for 5 tl_listening 3007 || fail "server did not listen"
timeout 20 "$TCPLIMBO" lab client --port 3007 --send ping --wait 0 --count 4 >"$T/cli" 2>&1 ||
	fail "client failed"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3007" | wc -l)" = 4 ]' ||
	fail "ss: not 4 CLOSE_WAIT"

timeout 30 "$TCPLIMBO" drain 127.0.0.1:3007 --json --test-delay-ms 1500 >"$T/d.json" 2>"$T/e" &
DRAIN=$!
# After drain's first accept, the server starts accepting too.
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3007" | awk "{print \$2}")" -lt 4 ]' ||
	fail "drain did not start"
kill -USR1 "$SERVER"
wait "$DRAIN"
rc=$?
[ $rc = 124 ] && fail "drain did not end by itself"
[ $rc = 0 ] || [ $rc = 1 ] || { cat "$T/e"; fail "drain: exit $rc"; }
freed=$(jq -r '.freed' "$T/d.json")
jq -e '.taken_by_mistake == null and (.stopped == null or .stopped == "deadline")' \
	"$T/d.json" >/dev/null || { cat "$T/d.json" "$T/e"; fail "drain took a connection it did not know"; }
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3007" | wc -l)" = 0 ]' ||
	fail "ss: CLOSE_WAIT left"
accepted=$(grep -c 'Accept conn' "$T/srv")
[ $((freed + accepted)) = 4 ] || { cat "$T/srv"; fail "drain freed $freed, the server accepted $accepted: want 4 in all"; }
[ "$freed" -ge 1 ] && [ "$accepted" -ge 1 ] || fail "no race: drain $freed, server $accepted"
ok "race: drain freed $freed, the server accepted $accepted, nothing taken twice or by mistake"

SRV="$(dirname "$0")/doctor-servers.py"

# A blocking listener (Python's socketserver): the program, resumed, takes
# what is left while drain pauses. drain then finds the queue empty and
# stops; it must not wait in accept() and take the next client, a live
# one that came after (it did, 1 run in 3, and reset it).
python3 -c '
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    pass
S(("127.0.0.1", 3008), H).serve_forever()' &
BL=$!
tl_wait_for 5 tl_listening 3008 || fail "blocking server did not listen"
kill -STOP $BL
python3 "$SRV" clients --port 3008 --count 3 --seconds 0 >/dev/null || fail "clients of 3008"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3008" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT on 3008"
timeout 30 "$TCPLIMBO" drain 127.0.0.1:3008 --test-delay-ms 700 >"$T/b" 2>&1 &
DRAIN=$!
sleep 0.3
kill -CONT $BL
sleep 0.6
got=$(curl -sS -m 5 http://127.0.0.1:3008/ 2>&1)
wait "$DRAIN"
[ "$got" = ok ] || { cat "$T/b"; fail "a client that came after drain's last dead one got '$got'"; }
ok "blocking listener, the program resumed: drain stops at the empty queue, the next client is served"

# The program exits while drain runs: the report says the listener is gone
# at the end, rather than leave out the queue after without a word.
python3 "$SRV" no-accept --port 3009 --seconds 60 >/dev/null &
EX=$!
tl_wait_for 5 tl_listening 3009 || fail "server 3009 did not listen"
python3 "$SRV" clients --port 3009 --count 3 --seconds 0 >/dev/null || fail "clients of 3009"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3009" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT on 3009"
timeout 30 "$TCPLIMBO" drain 127.0.0.1:3009 --test-delay-ms 1000 >"$T/x" 2>&1 &
DRAIN=$!
# Once drain has taken its first (a queue of 2), in its 1 s pause: a
# fixed wait could end before a slow drain (ASan, a loaded machine) took it.
tl_wait_for 10 sh -c '[ "$(ss -Htln "sport = :3009" | awk "{ print \$2 }")" -lt 3 ]' ||
	fail "drain took nothing from 3009"
kill -KILL $EX
wait "$DRAIN"
grep -q "the listener is gone now: its program closed it or exited meanwhile" "$T/x" ||
	{ cat "$T/x"; fail "drain: the program's exit meanwhile not told"; }
ok "the program exits during a drain: the report says the listener is gone"

# Two drains of one listener at once: each would take its own count of
# dead connections, and between them the next live client. The second is
# refused while the first runs, and the live client that comes after is
# left to the program.
python3 "$SRV" no-accept --port 3010 --seconds 60 >/dev/null &
tl_wait_for 5 tl_listening 3010 || fail "server 3010 did not listen"
python3 "$SRV" clients --port 3010 --count 4 --seconds 0 >/dev/null || fail "clients of 3010"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3010" | wc -l)" = 4 ]' ||
	fail "ss: not 4 CLOSE_WAIT on 3010"
timeout 30 "$TCPLIMBO" drain 127.0.0.1:3010 --json --test-delay-ms 1000 >"$T/a.json" 2>"$T/ae" &
DRAIN=$!
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3010" | awk "{print \$2}")" -lt 4 ]' ||
	fail "the first drain did not start"
timeout 30 "$TCPLIMBO" drain 127.0.0.1:3010 >"$T/b2" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$T/b2"; fail "the second drain: exit $rc, want 3"; }
grep -q "another drain of this listener is running; nothing done" "$T/b2" ||
	{ cat "$T/b2"; fail "the second drain does not say why it did nothing"; }
timeout 30 "$TCPLIMBO" drain 127.0.0.1:3010 --json >"$T/b2.json" 2>/dev/null
jq -e '.refused == "another-drain" and .freed == 0' "$T/b2.json" >/dev/null ||
	{ cat "$T/b2.json"; fail "the second drain's JSON does not say why it did nothing"; }
python3 "$SRV" clients --port 3010 --count 1 --hold --seconds 30 >/dev/null &
tl_wait_for 5 sh -c '[ "$(ss -Htn state established "dport = :3010" | wc -l)" = 1 ]' ||
	fail "the live client did not connect"
wait "$DRAIN" || { cat "$T/ae"; fail "the first drain failed"; }
jq -e '.freed == 4 and .taken_by_mistake == null' "$T/a.json" >/dev/null ||
	{ cat "$T/a.json" "$T/ae"; fail "the first drain did not free exactly the 4 dead"; }
[ "$(ss -Htn state established "dport = :3010" | wc -l)" = 1 ] ||
	fail "the live client that came after the drains lost its connection"
ok "two drains at once: the second refused, the first freed the 4 dead, the live client kept"
