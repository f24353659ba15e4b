#!/usr/bin/env bash
# watch --top: the table per process and per listener queue. Three
# connections wait in a listener's queue, one is closed by its client: the
# listener's queue row counts them (2 established, 1 close-wait, entered
# in the interval), the client's process row its own sockets.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 3004))
s.listen(8)
time.sleep(30)' &
SERVER=$!
tl_wait_for 5 tl_listening 3004 || fail "no server"
"$TCPLIMBO" watch --top --backend poll --interval 500 --seconds 4 >"$T/out" 2>"$T/err" &
W=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start"
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 3004)) for i in range(3)]
time.sleep(0.3)
cs[0].close()
time.sleep(5)' &
CLIENT=$!
wait "$W" || fail "watch exit $?"
grep -q "^PROCESS / LISTENER QUEUE" "$T/out" || fail "no table: $(cat "$T/out")"
# The last table: the queue row and the server's own row (its listener).
last=$(awk '/^tcplimbo watch --top/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$T/out")
echo "$last"
row=$(echo "$last" | grep "^queue of 127.0.0.1:3004 ($SERVER/python3)") || fail "no queue row for the server"
read -r -a cols <<<"${row#*)}"
# Columns: LISTEN SYN-S SYN-R ESTAB FIN-W1 FIN-W2 TIME-W CLOSE-W ...
[ "${cols[3]%%+*}" = 2 ] || fail "queue ESTAB is ${cols[3]}, want 2"
[ "${cols[7]%%+*}" = 1 ] || fail "queue CLOSE-W is ${cols[7]}, want 1"
echo "$last" | grep -Eq "^$SERVER/python3 +1 " || fail "no listener row for the server"
# The client holds two established sockets (ESTAB is the 4th count).
echo "$last" | grep -Eq "^$CLIENT/python3 +0 +0 +0 +2(\+[0-9]+)? " || fail "no row for the client"
grep -q "+1" "$T/out" || fail "no entered count in any table"
ok "top: queue row 2 established + 1 close-wait, server and client rows"
