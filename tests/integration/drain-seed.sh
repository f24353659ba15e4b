#!/usr/bin/env bash
# tcplimbo drain on the post's experiment, with the lab's own server (never
# accepts) and client (writes "ping", closes, exits), three times: three
# CLOSE_WAIT connections with Recv-Q 5 wait in the queue. drain frees them
# from outside: afterwards ss shows no CLOSE_WAIT and an empty queue, a new
# client completes its handshake into the queue, and the server is
# untouched: still running, still not accepting, same fd table.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

"$TCPLIMBO" lab server --mode no-accept --port 3004 --seconds 60 >"$T/srv" 2>&1 &
SERVER=$!
tl_wait_for 5 tl_listening 3004 || fail "server did not listen"
timeout 20 "$TCPLIMBO" lab client --port 3004 --send ping --wait 0 --count 3 >"$T/cli" 2>&1 ||
	fail "client failed"
tl_wait_for 5 sh -c '[ "$(ss -Htn state close-wait "sport = :3004" | awk "\$1 == 5" | wc -l)" = 3 ]' ||
	fail "ss: not 3 CLOSE_WAIT with Recv-Q 5"
lq() { ss -Htln 'sport = :3004' | awk '{print $2}'; }
[ "$(lq)" = 3 ] || fail "ss: queue $(lq), want 3"
fdtable() { ls -l "/proc/$SERVER/fd" | awk '{print $9, $10, $11}' | sort; }
fdtable >"$T/fd.before"

# A --fd the server does not hold the listener as: which fd it is.
"$TCPLIMBO" drain 127.0.0.1:3004 --pid "$SERVER" --fd 99 >"$T/o" 2>"$T/e"
[ $? = 3 ] && grep -q "pid $SERVER does not hold the listener on 127.0.0.1:3004 as fd 99; it is held by pid $SERVER (lab-server) as fd [0-9]" "$T/e" ||
	{ cat "$T/e"; fail "drain --fd 99: not told which fd holds it"; }
"$TCPLIMBO" drain 127.0.0.1:3004 --dry-run >"$T/dry" 2>&1 || { cat "$T/dry"; fail "--dry-run"; }
grep -q 'would free 3 slots' "$T/dry" &&
	grep -q 'queue: 3 (backlog [0-9]*): 3 closed by their clients, 0 live' "$T/dry" ||
	{ cat "$T/dry"; fail "--dry-run text"; }
[ "$(lq)" = 3 ] || fail "--dry-run changed the queue"

"$TCPLIMBO" ls --json --state listening --sport 3004 >"$T/l.json" || fail "ls of the listener"
"$TCPLIMBO" drain 127.0.0.1:3004 --json >"$T/d.json" 2>"$T/e"
rc=$?
[ $rc = 0 ] || { cat "$T/e" "$T/d.json"; fail "drain: exit $rc, want 0"; }
jq -e --argjson p "$SERVER" '
	.queue_before == 3 and (.dead | length) == 3 and (.live | length) == 0 and
	all(.dead[]; .state == "close-wait" and .recv_q == 5) and
	.freed == 3 and .stopped == null and .taken_by_mistake == null and
	.queue_after == 0 and .queued_dead_after == 0 and
	.listener_owners[0].pid == $p' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "drain --json"; }
# The listener's cgroup and context, as ls gives them.
jq -e --slurpfile l "$T/l.json" '.listener.cgroup == $l[0][0].cgroup and
	.listener.context == $l[0][0].context' "$T/d.json" >/dev/null ||
	{ jq -c .listener "$T/d.json"; jq -c '.[0]' "$T/l.json"; fail "drain --json: the listener's cgroup is not ls's"; }
[ "$(ss -Htn state close-wait 'sport = :3004' | wc -l)" = 0 ] || fail "ss: CLOSE_WAIT left"
[ "$(lq)" = 0 ] || fail "ss: queue $(lq) after drain, want 0"
ok "drain: 3 freed; ss shows no CLOSE_WAIT and an empty queue"

kill -0 "$SERVER" || fail "the server died"
fdtable >"$T/fd.after"
diff "$T/fd.before" "$T/fd.after" || fail "the server's fd table changed"
grep -q 'Accept' "$T/srv" && fail "the server accepted something"
python3 -c '
import socket, time
c = socket.create_connection(("127.0.0.1", 3004), timeout=3)
print("ok", flush=True)
time.sleep(30)' >"$T/new" &
tl_wait_for 5 grep -q ok "$T/new" || fail "a new client could not connect"
tl_wait_for 5 sh -c '[ "$(ss -Htln "sport = :3004" | awk "{print \$2}")" = 1 ]' ||
	fail "the new connection is not queued"
"$TCPLIMBO" ls --json --sport 3004 --state established >"$T/ls.json" || fail "ls"
jq -e --argjson p "$SERVER" 'length == 1 and .[0].limbo == "accept-queue" and
	.[0].listener_owners[0].pid == $p' "$T/ls.json" >/dev/null ||
	{ cat "$T/ls.json"; fail "the new connection is not in the accept queue"; }
ok "the server is untouched: running, not accepting, same fds; a new client queues"

# The lab's client counts what it holds in the right number.
timeout 20 "$TCPLIMBO" lab client --port 3004 --send "" --wait 0 --no-close >"$T/one" 2>&1 ||
	{ cat "$T/one"; fail "lab client --no-close failed"; }
grep -q "Not closing: holding 1 connection$" "$T/one" ||
	{ cat "$T/one"; fail "lab client: not 'holding 1 connection'"; }
ok "lab client --no-close: holding 1 connection"
