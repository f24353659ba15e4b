#!/usr/bin/env bash
# Node's cluster module (round-robin, Linux's default): the primary
# accepts each connection and hands it to a worker, holding it until the
# worker takes it. With its one worker stopped (kill -STOP), clients that
# send a request and give up leave CLOSE-WAIT connections, unread, in the
# primary. The doctor must name the stopped worker, not only the primary,
# and tell how to resume it: kill -CONT with the worker's pid.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
NODE=$(command -v node || command -v nodejs)
[ -n "$NODE" ] || skip "node is not installed"
T=$(mktemp -d)
W=
trap '[ -n "$W" ] && kill -CONT $W 2>/dev/null; tl_cleanup_jobs; rm -rf "$T"' EXIT

cat >"$T/cluster.js" <<'JS'
const cluster = require('cluster'), http = require('http');
if (cluster.isPrimary) {
	cluster.schedulingPolicy = cluster.SCHED_RR;
	for (let i = 0; i < Number(process.argv[3]); i++)
		cluster.fork();
	setTimeout(() => process.exit(0), 60000);
} else {
	http.createServer((q, r) => r.end('ok\n')).listen(Number(process.argv[2]), '127.0.0.1');
	setTimeout(() => process.exit(0), 60000);
}
JS
"$NODE" "$T/cluster.js" 3071 1 &
P=$!
tl_wait_for 15 tl_listening 3071 || fail "the cluster did not listen"
tl_wait_for 5 pgrep -P $P >/dev/null || fail "no worker"
W=$(pgrep -P $P)
# The worker serves, then stops.
python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 3071), timeout=5)
c.sendall(b"GET / HTTP/1.0\r\n\r\n")
assert b"ok" in c.recv(1000)' || fail "the worker did not answer"
kill -STOP "$W"
tl_ask_and_leave 3071 3 || fail "clients"
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3071" | wc -l)" = 3 ]' ||
	{ ss -tanp; fail "ss: not 3 CLOSE-WAIT"; }
sleep 1.5

"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d.json"
"$TCPLIMBO" doctor --close-wait-age 1s >"$T/d.txt"
jq -e --argjson p "$P" --argjson w "$W" '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3071)] |
	length == 1 and (.[0] | .pids == [$p] and .count == 3 and
	.cause == "child-stopped" and .certainty == "possible" and
	(.evidence[0].text | startswith("its child \($w) is stopped by a signal such as SIGSTOP")) and
	(.remedy | contains("kill -CONT \($w) ")) and .inspect == null)' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "the stopped worker $W is not named"; }
grep -q "kill -CONT $W " "$T/d.txt" || { cat "$T/d.txt"; fail "the text does not resume worker $W"; }
ok "Node cluster, worker $W stopped: child-stopped, kill -CONT $W"

# Resumed, the worker takes them and they close.
kill -CONT "$W"
W=
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3071" | wc -l)" = 0 ]' ||
	{ ss -tanp; fail "the worker resumed, the CLOSE-WAIT stayed"; }
ok "resumed as told: the connections are served and closed"

# Two workers, both stopped: the remedy resumes each of them.
"$NODE" "$T/cluster.js" 3072 2 &
P=$!
tl_wait_for 15 tl_listening 3072 || fail "the second cluster did not listen"
tl_wait_for 5 sh -c "[ \$(pgrep -P $P | wc -l) = 2 ]" || fail "not two workers"
W=$(pgrep -P $P | tr '\n' ' ')
kill -STOP $W
tl_ask_and_leave 3072 4 || fail "clients of 3072"
tl_wait_for 10 sh -c '[ "$(ss -Htn state close-wait "sport = :3072" | wc -l)" = 4 ]' ||
	{ ss -tanp; fail "ss: not 4 CLOSE-WAIT on 3072"; }
sleep 1.5
"$TCPLIMBO" doctor --json --close-wait-age 1s >"$T/d2.json"
set -- $W
jq -e --arg a "kill -CONT $1 $2 " --arg b "kill -CONT $2 $1 " '[.findings[] | select(.kind == "close-wait-leak" and .local_port == 3072)] |
	length == 1 and (.[0] | .cause == "child-stopped" and
	(.evidence[0].text | startswith("2 of its children are stopped")) and
	((.remedy | contains($a)) or (.remedy | contains($b))))' "$T/d2.json" >/dev/null ||
	{ jq '.findings' "$T/d2.json"; fail "both stopped workers ($W) are not resumed"; }
# Each process's own remedy in the evidence has its words filled too.
! grep -qw CHILD "$T/d2.json" || fail "a remedy says CHILD, unfilled"
kill -CONT $W
W=
ok "Node cluster, both workers stopped: kill -CONT with both"
