#!/usr/bin/env bash
# MPTCP's extra subflows are TCP sockets a kernel thread connects (the
# path manager's workqueue), on behalf of the process that holds the MPTCP
# socket. watch --backend bpf must not name that kernel thread as their
# owner (a kworker holds no fd): with the kernel's filters (owners kept in
# socket storage) and without. The first subflow of each connection, which
# the process's connect() makes, is named by the process. And a queue of
# MPTCP connections holds each once, not once a subflow.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
NS=tl-mptcp-$$
trap 'tl_cleanup_jobs; ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT

tl_require_bpf_watch "$T/probe"
[ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] || skip "no MPTCP in this kernel"
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)' 2>/dev/null ||
	skip "MPTCP sockets refused here"

# The server's namespace, joined to ours by two links: the client's path
# manager adds a subflow from its second address.
ip netns add "$NS" || fail "ip netns add"
ip -n "$NS" link set lo up
ip link add tlm1 type veth peer name tlm1s netns "$NS" || fail "veth"
ip link add tlm2 type veth peer name tlm2s netns "$NS" || fail "veth"
ip addr add 10.78.1.2/24 dev tlm1
ip addr add 10.78.2.2/24 dev tlm2
ip -n "$NS" addr add 10.78.1.1/24 dev tlm1s
ip -n "$NS" addr add 10.78.2.1/24 dev tlm2s
ip link set tlm1 up
ip link set tlm2 up
ip -n "$NS" link set tlm1s up
ip -n "$NS" link set tlm2s up
ip mptcp limits set subflow 2 add_addr_accepted 2 || skip "ip mptcp not supported"
ip -n "$NS" mptcp limits set subflow 2 add_addr_accepted 2
ip mptcp endpoint add 10.78.2.2 dev tlm2 subflow || skip "ip mptcp endpoint not supported"

ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.bind(("0.0.0.0", 5020)); s.listen(8)
cs = [s.accept()[0] for _ in range(3)]
time.sleep(60)' &
tl_wait_for 5 sh -c "ip netns exec $NS ss -Htln 'sport = :5020' | grep -q ." ||
	fail "server did not listen"

"$TCPLIMBO" watch --json --backend bpf >"$T/all" 2>"$T/err" &
W1=$!
"$TCPLIMBO" watch --json --backend bpf --dport 5020 >"$T/filtered" 2>"$T/err2" &
W2=$!
tl_wait_for 10 grep -q "backend" "$T/err" || fail "watch did not start: $(cat "$T/err")"
tl_wait_for 10 grep -q "backend" "$T/err2" || fail "watch did not start: $(cat "$T/err2")"

python3 -c '
import socket, time
cs = []
for _ in range(3):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    c.connect(("10.78.1.1", 5020)); c.send(b"x"); cs.append(c)
time.sleep(60)' &
CLIENT=$!
# Three joins from the second address, as ss sees them.
joined() { [ "$(ss -Htn state established 'src 10.78.2.2' | wc -l)" -ge 3 ]; }
tl_wait_for 10 joined || { ss -tan; fail "ss: no subflows from the second address"; }
sleep 0.5
kill -INT "$W1" "$W2"
wait "$W1" "$W2"

for f in all filtered; do
	jq -e . "$T/$f" >/dev/null || fail "$f: not JSON"
	n=$(jq -c 'select(.local_addr == "10.78.2.2" and .new_state == "established")' "$T/$f" | wc -l)
	[ "$n" -ge 3 ] || { cat "$T/$f"; fail "$f: $n joins seen, not 3"; }
	# No event of the joins names a kernel thread, or anyone but the client.
	bad=$(jq -c --argjson p "$CLIENT" 'select(.local_addr == "10.78.2.2") |
		select([.owners[]?.pid] - [$p] != [])' "$T/$f")
	[ -z "$bad" ] || fail "$f: a join named another owner: $bad"
	# The process's own connect()s name it.
	jq -e -s --argjson p "$CLIENT" '[.[] | select(.local_addr == "10.78.1.2" and
		.new_state == "established")] | length == 3 and
		all(.owners | length == 1 and .[0].pid == $p)' "$T/$f" >/dev/null ||
		{ jq -c 'select(.local_addr == "10.78.1.2")' "$T/$f"; fail "$f: the first subflows are not the client's"; }
done
ok "MPTCP joins: no kernel thread named, with and without kernel filters"

# A server that never accepts: each connection waits in its queue once,
# however many subflows joined it (the listener's Recv-Q counts 3).
ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.bind(("0.0.0.0", 5021)); s.listen(8)
time.sleep(60)' &
tl_wait_for 5 sh -c "ip netns exec $NS ss -Htln 'sport = :5021' | grep -q ." ||
	fail "5021 did not listen"
python3 -c '
import socket, time
cs = []
for _ in range(3):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    c.connect(("10.78.1.1", 5021)); c.send(b"x"); cs.append(c)
time.sleep(60)' &
joined21() { [ "$(ip netns exec "$NS" ss -Htn state established 'sport = :5021' | wc -l)" -ge 6 ]; }
tl_wait_for 10 joined21 || { ip netns exec "$NS" ss -tan; fail "ss: no joins on 5021"; }
q=$(ip netns exec "$NS" ss -Htln 'sport = :5021' | awk '{ print $2; exit }')
[ "$q" = 3 ] || fail "ss: Recv-Q $q, not 3"
sleep 1.2
"$TCPLIMBO" -N "$NS" doctor --queue-age 1s --json >"$T/doc.json" 2>/dev/null
jq -e '[.findings[] | select(.local_port == 5021)] | length == 1 and .[0].count == 3' "$T/doc.json" >/dev/null ||
	{ jq '[.findings[] | select(.local_port == 5021)]' "$T/doc.json"; fail "doctor does not count 3 queued"; }
"$TCPLIMBO" -N "$NS" drain '*:5021' --dry-run >"$T/drain" 2>&1
grep -q "queue: 3 (backlog 8): 0 closed by their clients, 3 live" "$T/drain" ||
	{ cat "$T/drain"; fail "drain does not count 3"; }
ok "a queue of 3 MPTCP connections with joins: 3 queued"

# Their first paths gone (destroyed), the joins carry them: still live
# connections, counted, and drain takes none of them for a gone client.
"$TCPLIMBO" -N "$NS" kill --queued --state established --sport 5021 --addr 10.78.1.2 >/dev/null 2>&1 ||
	fail "kill of the first subflows"
ip netns exec "$NS" ss -Htn state established 'sport = :5021' | grep -q '10.78.1.2' &&
	{ ip netns exec "$NS" ss -tan; fail "a first subflow is left"; }
"$TCPLIMBO" -N "$NS" drain '*:5021' --dry-run >"$T/drain2" 2>&1
grep -q "0 closed by their clients, 3 live" "$T/drain2" && grep -q "nothing to free" "$T/drain2" ||
	{ cat "$T/drain2"; fail "drain would take connections carried by their joins"; }
ok "first paths gone: the joins are counted, live, and drain frees none"
