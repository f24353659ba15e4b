#!/usr/bin/env bash
# A deadlocked server: two threads each hold a lock the other wants, and
# the accept loop waits for one of them. Every thread is in futex and none
# runs, so connections wait in the accept queue. The doctor says the
# program is not accepting and that every thread waits on a lock: a
# possible deadlock (lock-wait), with a remedy that says how to see the
# locks.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
T=$(mktemp -d)
trap 'tl_cleanup_jobs; rm -rf "$T"' EXIT

python3 -c '
import socket, threading, time
a, b = threading.Lock(), threading.Lock()
def one(x, y):
    with x:
        time.sleep(0.2)
        with y:
            pass
s = socket.socket()
s.bind(("127.0.0.1", 3030))
s.listen(8)
threading.Thread(target=one, args=(a, b), daemon=True).start()
threading.Thread(target=one, args=(b, a), daemon=True).start()
time.sleep(0.5)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    with a:
        c.close()
' >"$T/srv" &
SERVER=$!
tl_wait_for 5 test -s "$T/srv" || fail "server not ready"
# One connection to take the accept loop into the lock, two to wait.
for i in 1 2 3; do
	(exec 3<>/dev/tcp/127.0.0.1/3030 && printf hi >&3) || fail "connect $i"
done
tl_wait_for 5 test "$(ss -Htln 'sport = :3030' | awk '{print $2}')" = 2 ||
	fail "ss: the queue is not 2"
sleep 1.5
"$TCPLIMBO" doctor --json --queue-age 1s >"$T/d.json"
rc=$?
[ $rc = 2 ] || { cat "$T/d.json"; fail "exit $rc, want 2"; }
jq -e --argjson p "$SERVER" '
	[.findings[] | select(.kind == "not-accepting")] | length == 1 and
	.[0].pids == [$p] and
	.[0].cause == "lock-wait" and
	.[0].certainty == "possible" and
	(.[0].evidence[0].text | test("all 3 threads wait in futex, on a lock or a condition variable, and none has run for [0-9]+ s: nothing in the program waits for the listener")) and
	(.[0].remedy | contains("thread apply all bt"))' "$T/d.json" >/dev/null ||
	{ cat "$T/d.json"; fail "deadlock not told as lock-wait"; }
ok "deadlocked python3 $SERVER: not accepting, every thread waits on a lock"
