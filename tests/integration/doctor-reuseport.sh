#!/usr/bin/env bash
# SO_REUSEPORT listeners share an address and port, each with its own
# accept queue. With one stuck and one accepting, the queued connections
# are the stuck one's (the only queue that is not empty): ls, the doctor
# and drain must name it, never the busy one. With two stuck, which queue
# holds which connection is the kernel's hash: ls says "or 1 other
# listener", the doctor names both with their own Recv-Q (ss's), and drain
# wants --pid and frees exactly that listener's queue; where one process
# holds both listeners (as nginx's processes do), --fd chooses.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT
P=3017

server() { tl_reuseport_server "$1" "$P"; }
# N clients connect, write and close.
clients() {
	python3 -c '
import socket, sys
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
      for _ in range(int(sys.argv[2]))]
for c in cs:
    c.sendall(b"x")
    c.close()' "$P" "$1" || fail "clients did not connect"
}
# The Recv-Q of the listener PID holds, from ss.
recvq() { ss -Htlnp "sport = :$P" | awk -v p="pid=$1," 'index($0, p) {print $2}'; }
# True once N listeners share the port.
listeners_are() { [ "$(ss -Htln "sport = :$P" | wc -l)" = "$1" ]; }
busy_done() { [ "$(recvq "$BUSY")" = 0 ]; }
# N clients, spread by the kernel's hash; then the busy server has taken
# its share, and the rest wait at the stuck ones.
spread() {
	clients "$1"
	tl_wait_for 5 busy_done || fail "the busy server did not accept its share"
}

server accept
BUSY=$!
server stuck
STUCK=$!
tl_wait_for 5 listeners_are 2 || fail "servers did not listen"
spread 24
q=$(recvq "$STUCK")
[ "${q:-0}" -gt 0 ] || { ss -tlnp; fail "nothing queued at the stuck server"; }

"$TCPLIMBO" ls --json --sport $P --limbo accept-queue >"$T/ls.json" || fail "ls"
jq -e --argjson s "$STUCK" --argjson q "$q" 'length == $q and
	all(.[]; .listener.candidates == 1 and .listener_owners[0].pid == $s)' \
	"$T/ls.json" >/dev/null || { cat "$T/ls.json"; fail "ls: queued ones not all the stuck server's ($q)"; }
"$TCPLIMBO" doctor --json --queue-age 0 >"$T/d.json"
jq -e --argjson s "$STUCK" --argjson q "$q" '[.findings[] | select(.kind == "not-accepting")] |
	length == 1 and .[0].pids == [$s] and .[0].count == $q' "$T/d.json" >/dev/null ||
	{ jq '.findings' "$T/d.json"; fail "doctor: not the stuck server alone"; }
ok "one stuck of two: its $q queued connections are its own; the busy one is not named"

server stuck
STUCK2=$!
tl_wait_for 5 listeners_are 3 || fail "third server did not listen"
spread 24
q1=$(recvq "$STUCK")
q2=$(recvq "$STUCK2")
[ "${q2:-0}" -gt 0 ] || { ss -tlnp; fail "nothing queued at the second stuck server"; }
"$TCPLIMBO" ls --sport $P >"$T/ls.txt" || fail "ls"
grep -q "accept-queue of [0-9]*/python3 fd [0-9]* or 1 other listener\]" "$T/ls.txt" ||
	{ cat "$T/ls.txt"; fail "ls: the shared queue is not told"; }
"$TCPLIMBO" ls --json --sport $P --limbo accept-queue >"$T/ls.json" || fail "ls"
jq -e --argjson n $((q1 + q2)) 'length == $n and all(.[]; .listener.candidates == 2)' \
	"$T/ls.json" >/dev/null || { cat "$T/ls.json"; fail "ls: want $((q1 + q2)) queued, each one of 2"; }
"$TCPLIMBO" doctor --json --queue-age 0 >"$T/d.json"
for pq in "$STUCK:$q1" "$STUCK2:$q2"; do
	jq -e --argjson s "${pq%:*}" --argjson q "${pq#*:}" '[.findings[] |
		select(.kind == "not-accepting" and .pids == [$s])] | length == 1 and
		.[0].count == $q and (.[0].summary | contains("SO_REUSEPORT"))' \
		"$T/d.json" >/dev/null || { jq '.findings' "$T/d.json"; fail "doctor: pid ${pq%:*}, Recv-Q ${pq#*:}"; }
done
jq -e --argjson b "$BUSY" '[.findings[] | select(.kind == "not-accepting" and
	(.pids | index($b)))] | length == 0' "$T/d.json" >/dev/null || fail "doctor named the busy server"
ok "two stuck: both named with their own queues ($q1, $q2), the connections told as shared"

"$TCPLIMBO" drain 127.0.0.1:$P >"$T/o" 2>"$T/e"
rc=$?
[ $rc = 3 ] || { cat "$T/o" "$T/e"; fail "drain without --pid: exit $rc, want 3"; }
grep -q "3 listeners share 127.0.0.1:$P (SO_REUSEPORT).*--pid" "$T/e" || { cat "$T/e"; fail "drain: no --pid hint"; }
# Each process holds one: their queues are told, and --fd is not asked.
grep -q "pid $STUCK fd [0-9]*, $q1 queued" "$T/e" && ! grep -q -- "--fd" "$T/e" ||
	{ cat "$T/e"; fail "drain: the listeners' queues not told, or --fd asked of one-listener processes"; }
# '*:PORT' for one shared address: --pid at once, not "name its address".
"$TCPLIMBO" drain "*:$P" >"$T/o" 2>"$T/e"
[ $? = 3 ] && grep -q "3 listeners share 127.0.0.1:$P (SO_REUSEPORT).*--pid" "$T/e" ||
	{ cat "$T/e"; fail "drain '*:$P': not told to use --pid"; }
# This shell: a process whose fds can be read, that holds none of them.
"$TCPLIMBO" drain 127.0.0.1:$P --pid $$ >"$T/o" 2>"$T/e"
[ $? = 3 ] && grep -q "pid $$ does not hold any of the listeners" "$T/e" || { cat "$T/e"; fail "drain --pid $$"; }
"$TCPLIMBO" drain 127.0.0.1:$P --pid 4194303 >"$T/o" 2>"$T/e"
[ $? = 3 ] && grep -q "no process has pid 4194303 (it may have exited)" "$T/e" || { cat "$T/e"; fail "drain --pid of no process"; }
"$TCPLIMBO" drain 127.0.0.1:$P --pid "$STUCK2" --json >"$T/dr.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e" "$T/dr.json"; fail "drain --pid: exit $rc"; }
jq -e --argjson q "$q2" '.freed == $q and .queue_after == 0 and .shared > 0' \
	"$T/dr.json" >/dev/null || { cat "$T/dr.json"; fail "drain --pid: want $q2 freed"; }
[ "$(recvq "$STUCK2")" = 0 ] && [ "$(recvq "$STUCK")" = "$q1" ] ||
	{ ss -tlnp; fail "drain touched another queue"; }
ok "drain --pid freed the $q2 of its own queue; the other stuck queue kept its $q1"

# One process holding two SO_REUSEPORT listeners (as nginx's master and
# workers each hold every one): --pid cannot choose, --fd can.
python3 -c '
import socket, sys, time
ls = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(64)
    ls.append(s)
time.sleep(60)' $((P + 1)) &
TWO=$!
P=$((P + 1)) tl_wait_for 5 listeners_are 2 || fail "two listeners did not listen"
P=$((P + 1)) clients 24
"$TCPLIMBO" drain 127.0.0.1:$((P + 1)) --pid "$TWO" >"$T/o" 2>"$T/e"
[ $? = 3 ] && grep -q "pid $TWO holds 2 listeners on 127.0.0.1:$((P + 1)) (SO_REUSEPORT), as fds [0-9]*, [0-9]*; name one with --fd" "$T/e" ||
	{ cat "$T/e"; fail "drain --pid of a process holding two"; }
"$TCPLIMBO" ls --json --sport $((P + 1)) --state listening >"$T/l.json" || fail "ls"
read -r fd q <<<"$(jq -r '[.[] | select(.recv_q > 0)][0] | "\(.owners[0].fd) \(.recv_q)"' "$T/l.json")"
"$TCPLIMBO" drain 127.0.0.1:$((P + 1)) --pid "$TWO" --fd "$fd" --json >"$T/dr.json" 2>"$T/e" ||
	{ cat "$T/e" "$T/dr.json"; fail "drain --pid --fd: exit $?"; }
jq -e --argjson q "$q" '.freed == $q and .queue_after == 0' "$T/dr.json" >/dev/null ||
	{ cat "$T/dr.json"; fail "drain --pid --fd: want $q freed"; }
ok "one process, two listeners: --fd $fd freed its $q"

# Connections destroyed earlier (kill --queued) still hold slots in the
# group's queues, counted for the group, not for each queue: a drain of
# one may meet more of them than it counted. Each is dead (state CLOSE,
# no peer): freed, never "taken by mistake" and a stop.
Q=$((P + 2))
tl_reuseport_server stuck "$Q"
S1=$!
tl_reuseport_server stuck "$Q"
S2=$!
P=$Q tl_wait_for 5 listeners_are 2 || fail "two stuck listeners did not listen on $Q"
P=$Q clients 8
tl_wait_for 5 sh -c "[ \$(ss -Htn state close-wait 'sport = :$Q' | wc -l) = 8 ]" || fail "not 8 CLOSE-WAIT on $Q"
"$TCPLIMBO" kill --sport "$Q" --state close-wait --queued >/dev/null 2>"$T/e" || { cat "$T/e"; fail "kill --queued on $Q"; }
P=$Q clients 2
for s in $S1 $S2; do
	"$TCPLIMBO" drain "127.0.0.1:$Q" --pid "$s" --json >"$T/h$s.json" 2>"$T/e"
	rc=$?
	[ $rc = 0 ] && jq -e '.stopped == null and .taken_by_mistake == null and .queue_after == 0' "$T/h$s.json" >/dev/null ||
		{ cat "$T/e" "$T/h$s.json"; fail "drain --pid $s after kill --queued: exit $rc"; }
done
[ "$(ss -Htln "sport = :$Q" | awk '{s += $2} END {print s}')" = 0 ] ||
	{ ss -tlnp "sport = :$Q"; fail "slots left on $Q"; }
ok "SO_REUSEPORT after kill --queued: both queues drained to 0, no false stop"

# One process with two SO_REUSEPORT listeners on a port (as BIND has, one
# a thread), neither accepting: one not-accepting finding, not two that
# say the same.
R=$((P + 3))
python3 -c '
import socket, sys, time
ls = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); ls.append(s)
time.sleep(60)' "$R" &
TWO=$!
P=$R tl_wait_for 5 listeners_are 2 || fail "the two listeners of one process did not listen on $R"
P=$R clients 8
tl_wait_for 5 sh -c "[ \$(ss -Htn state close-wait 'sport = :$R' | wc -l) = 8 ]" || fail "not 8 CLOSE-WAIT on $R"
sleep 1.2
"$TCPLIMBO" doctor --queue-age 1s --json >"$T/two.json"
jq -e --argjson p "$TWO" --argjson r "$R" '[.findings[] | select(.local_port == $r)] |
	length == 1 and .[0].kind == "not-accepting" and .[0].pids == [$p] and
	.[0].severity == "critical"' "$T/two.json" >/dev/null ||
	{ jq --argjson r "$R" '[.findings[] | select(.local_port == $r)]' "$T/two.json"; fail "one process's two listeners: not one finding"; }
# Its count is the group's 8, not the queue of whichever listener the
# dump gave first (which the kernel's hash fills), and it says both are its.
jq -e --argjson r "$R" '.findings[] | select(.local_port == $r) |
	.count == 8 and (.summary | test("8 queued in its 2 SO_REUSEPORT listeners on the port"))' "$T/two.json" >/dev/null ||
	{ jq --argjson r "$R" '.findings[] | select(.local_port == $r) | {count, value, summary}' "$T/two.json"; fail "one process's two listeners: not the group's count"; }
ok "one process's two SO_REUSEPORT listeners, neither accepting: one finding, of all 8"
# drain of one of them counts what may wait in its queue as candidates,
# not as its queue: "queue: 3 ... 8 live" would contradict itself.
"$TCPLIMBO" drain "127.0.0.1:$R" --pid "$TWO" --fd 3 --dry-run >"$T/two.txt" 2>&1
grep -Eq "queue: [0-9]+ \(backlog 16\); of the 8 connections that may wait in it: 8 closed by their clients, 0 live" "$T/two.txt" ||
	{ cat "$T/two.txt"; fail "drain of a shared queue: its counts"; }
ok "drain of one of two SO_REUSEPORT listeners counts its candidates as such"
# One process's two listeners on one address: --fd tells them apart.
"$TCPLIMBO" drain "127.0.0.1:$R" --dry-run >"$T/o" 2>"$T/e"
grep -q "name one with --pid PID, and --fd FD where a process holds several" "$T/e" ||
	{ cat "$T/e"; fail "drain of one process's two listeners: --fd not asked"; }
# Two addresses on a port: each named.
python3 -c '
import socket, sys, time
a = socket.socket(); a.bind(("127.0.0.1", int(sys.argv[1]))); a.listen(4)
b = socket.socket(socket.AF_INET6); b.bind(("::1", int(sys.argv[1]))); b.listen(4)
time.sleep(60)' $((R + 1)) &
P=$((R + 1)) tl_wait_for 5 listeners_are 2 || fail "two addresses did not listen on $((R + 1))"
"$TCPLIMBO" drain "*:$((R + 1))" --dry-run >"$T/o" 2>"$T/e"
grep -q "2 listeners on port $((R + 1)) (.*); name one by its address" "$T/e" &&
	grep -qF "127.0.0.1:$((R + 1))" "$T/e" && grep -qF "[::1]:$((R + 1))" "$T/e" ||
	{ cat "$T/e"; fail "drain '*:PORT' of two addresses: not each named"; }
ok "drain's refusals name the queues, the addresses, and --fd only where it tells"
