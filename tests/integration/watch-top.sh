#!/usr/bin/env bash
# watch --top: the table per process and per listener queue. Three
# connections wait in a listener's queue and the client has closed one of
# them before watch starts: the queue row shows 2 established + 1
# close-wait under the server's name, the client's row its 2 sockets, the
# server's row its listener. A connection made while watch runs shows as
# "+1" entered in the queue row.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

tl_listen_idle 3004 30
mkfifo "$T/more"
python3 -c '
import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", 3004)) for i in range(3)]
cs[0].close()
print("ready", flush=True)
open(sys.argv[1]).read()
cs.append(socket.create_connection(("127.0.0.1", 3004)))
time.sleep(20)' "$T/more" >"$T/client" &
CLIENT=$!
tl_wait_for 5 grep -q ready "$T/client" || fail "client did not connect"
tl_wait_for 5 sh -c "ss -Htan state close-wait | grep -q :3004" || fail "no CLOSE_WAIT"

"$TCPLIMBO" watch --top --backend poll --interval 300 --seconds 3 >"$T/out" 2>"$T/err" &
W=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start"
sleep 0.5
echo go >"$T/more"
wait "$W" || fail "watch exit $?"
grep -q "^PROCESS / LISTENER QUEUE" "$T/out" || fail "no table: $(cat "$T/out")"
first=$(awk '/^tcplimbo watch --top/ { n++ } n == 1' "$T/out")
echo "$first"
row=$(echo "$first" | grep -F "queue of 127.0.0.1:3004 ($SERVER/python3)") || fail "no queue row for the server"
read -r -a cols <<<"${row#*)}"
# Columns: LISTEN SYN-S SYN-R ESTAB FIN-W1 FIN-W2 TIME-W CLOSE-W ...
[ "${cols[3]%%+*}" = 2 ] || fail "queue ESTAB is ${cols[3]}, want 2"
[ "${cols[7]%%+*}" = 1 ] || fail "queue CLOSE-W is ${cols[7]}, want 1"
echo "$first" | grep -Eq "^$SERVER/python3 +1 " || fail "no listener row for the server"
# The client holds two established sockets (ESTAB is the 4th count).
echo "$first" | grep -Eq "^$CLIENT/python3 +0 +0 +0 +2 " || fail "no row for the client"
# The connection made while watching: entered ESTAB in the queue row.
grep -F "queue of 127.0.0.1:3004 ($SERVER/python3)" "$T/out" |
	awk '{ sub(/.*\) +/, ""); split($0, c, / +/); print c[4] }' | grep -q "+1" ||
	fail "no +1 entered in the queue row: $(cat "$T/out")"
ok "top: queue row 2 established + 1 close-wait, server and client rows, +1 entered"

# A queue row longer than its 40 columns: the owner is cut, not the
# parenthesis that closes it.
python3 -c '
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"a-long-name-15c", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 30040)); l.listen(4)
c = socket.create_connection(("127.0.0.1", 30040))
print("ready", flush=True)
time.sleep(20)' >"$T/long" &
tl_wait_for 5 grep -q ready "$T/long" || fail "the long-named server did not start"
"$TCPLIMBO" watch --top --backend poll --interval 300 --seconds 1 >"$T/long.out" 2>/dev/null ||
	fail "watch --top exit $?"
label=$(grep -F "queue of 127.0.0.1:30040 (" "$T/long.out" | head -n1 | cut -c1-40 | sed 's/ *$//')
[ -n "$label" ] && [ "${label: -1}" = ")" ] ||
	fail "the cut queue label does not end in its parenthesis: '$label'"
ok "top: a long queue label is cut inside, its parenthesis kept ($label)"

# Under a churn that keeps the ring buffer busy (and leaves tens of
# thousands of TIME-WAIT sockets in the snapshots), --top still ends by
# itself when --seconds says, and answers SIGTERM. (A liveness bound, not
# a speed one: it once ran for minutes past --seconds 3.)
CHURN=${BUILDDIR:-build}/bench/tl-churn
if [ -x "$CHURN" ] && "$TCPLIMBO" watch --backend bpf --seconds 100ms >/dev/null 2>&1; then
	"$CHURN" --seconds 40 --threads 1 --port 4099 >/dev/null &
	CH=$!
	sleep 2
	"$TCPLIMBO" watch --top --backend bpf --seconds 2 --interval 500 >"$T/churn.out" 2>"$T/churn.err" &
	W=$!
	tl_wait_for 30 sh -c "! kill -0 $W 2>/dev/null" ||
		{ kill -TERM $W; fail "watch --top --seconds 2 still ran 30 s later, under churn"; }
	wait "$W" || fail "watch --top under churn: exit $?"
	grep -q "^tcplimbo watch --top" "$T/churn.out" || fail "no table under churn"
	"$TCPLIMBO" watch --top --backend bpf --interval 500 >/dev/null 2>&1 &
	W=$!
	sleep 3
	kill -TERM $W
	tl_wait_for 10 sh -c "! kill -0 $W 2>/dev/null" || fail "watch --top under churn did not answer SIGTERM in 10 s"
	kill $CH 2>/dev/null
	ok "top under churn: ends at --seconds, answers SIGTERM"
fi
