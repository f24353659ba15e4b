#!/usr/bin/env bash
# The doctor on a real pre-forking server, nginx (skipped without it): a
# master and workers sharing one listener are named as one program, "nginx
# (master M, workers W1, W2)", when the workers stop accepting; and when the
# only worker is out of fds (worker_rlimit_nofile 64, 200 clients), the
# worker alone is named, with its own numbers, not the master. With
# reuseport (a listener for each worker, every process holding them all),
# one worker stopped while the other serves clients: the stopped one is
# the cause, and the other, which watches only its own listener, is not
# taken for a worker at its connection limit.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
tl_need_nginx
T=$(mktemp -d)
chmod 755 "$T"
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

# 1. Two workers that stop accepting (SIGSTOP): one program, not accepting.
tl_start_nginx "$T" 8091 2 1024
for w in $WORKERS; do kill -STOP "$w"; done
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 8091)) for _ in range(3)]
time.sleep(60)' &
tl_wait_for 5 sh -c "[ \"\$(ss -Htln 'sport = :8091' | awk '{print \$2}')\" = 3 ]" ||
	fail "ss: queue is not 3"
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d1.json"
for w in $WORKERS; do kill -CONT "$w"; done
read -r W1 W2 <<<"$WORKERS"
jq -e --argjson m "$MASTER" --argjson a "$W1" --argjson b "$W2" '
	[.findings[] | select(.kind == "not-accepting" and .local_port == 8091)] as $f |
	($f | length) == 1 and ($f[0].pids | sort) == ([$m, $a, $b] | sort) and
	($f[0].summary | startswith("nginx (master \($m), workers \($a), \($b)) is not accepting"))' \
	"$T/d1.json" >/dev/null || { cat "$T/d1.json"; fail "master and workers not named as one"; }
ok "nginx (master $MASTER, workers $W1, $W2) is not accepting"

# 2. One worker at worker_rlimit_nofile 64, 200 keep-alive clients.
tl_start_nginx "$T" 8092 1 64
M2=$MASTER W=${WORKERS% }
python3 -c '
import socket, time
cs = []
for _ in range(200):
    c = socket.create_connection(("127.0.0.1", 8092))
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    cs.append(c)
time.sleep(60)' &
tl_wait_for 10 sh -c "[ \"\$(ss -Htln 'sport = :8092' | awk '{print \$2}')\" -gt 100 ]" ||
	{ ss -tln; fail "ss: the worker's queue did not grow"; }
sleep 1.2
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d2.json"
jq -e --argjson w "$W" --arg m "$M2" '
	[.findings[] | select(.kind == "fd-exhaustion" and .local_port == 8092)] as $f |
	($f | length) == 1 and $f[0].pids == [$w] and $f[0].limit == 64 and
	($f[0].summary | startswith("pid \($w) (nginx) has ")) and
	($f[0].summary | contains($m) | not)' \
	"$T/d2.json" >/dev/null || { cat "$T/d2.json"; fail "fd-exhaustion does not name the worker alone"; }
ok "fd-exhaustion names worker $W alone, not master $M2"

# 3. reuseport: worker A stopped, worker B holding clients of its own.
tl_start_nginx "$T" 8093 2 1024 reuseport
M3=$MASTER
read -r A B <<<"$WORKERS"
kill -STOP "$A"
python3 -c '
import socket, time
cs = [socket.create_connection(("127.0.0.1", 8093)) for _ in range(16)]
time.sleep(60)' &
# A's listener keeps its share queued; B holds its share, idle.
stuck_queue() { ss -Htln 'sport = :8093' | awk '$2 > 0 {q = 1} END {exit !q}'; }
b_holds() { ss -Htnp 'sport = :8093' | grep -q "pid=$B,"; }
tl_wait_for 5 stuck_queue || { ss -tlnp; fail "nothing queued at the stopped worker"; }
tl_wait_for 5 b_holds || { ss -tnp; fail "worker $B holds no connection"; }
"$TCPLIMBO" doctor --json --queue-age 0 >"$T/d3.json"
kill -CONT "$A"
jq -e --argjson a "$A" --argjson b "$B" '
	[.findings[] | select(.kind == "not-accepting" and .local_port == 8093)] as $f |
	($f | length) == 1 and $f[0].cause == "stopped" and
	$f[0].certainty == "certain" and ($f[0].remedy | contains("kill -CONT \($a)")) and
	any($f[0].evidence[]; .pid == $b and .held > 0 and
		.cause == "listener-not-watched" and
		(.text | contains("another SO_REUSEPORT listener")))' \
	"$T/d3.json" >/dev/null || { cat "$T/d3.json"; fail "reuseport: worker $B taken for the cause"; }
ok "reuseport, worker $A stopped: stopped (certain); worker $B (master $M3), serving its own listener, is not the cause"
